"""Rest between shifts in a roster (``RosterRules.min_rest_hours``), still without a variable
per agent.

A shift's *class* is its (start, end) in seconds from the horizon's start: rest depends on
nothing else. For each days-off pattern ``p``, day ``d`` it works and class ``j`` starting
that day, ``n[p, d, j]`` counts the agents of ``p`` working a shift of class ``j`` on day
``d`` (the rest of them work that day without a shift). The day's shifts of each class are
shared among the patterns working it.

Between two consecutive days an agent of ``p`` works, the agents' day-``d`` classes must be
matched one to one with their day-``d + 1`` classes (or no shift), a day-``d`` class ending at
``e`` only with one starting at ``e + rest`` or later. The agents compatible with a day-``d``
class are nested (a later end has fewer), so by Hall's theorem such a matching exists exactly
when, for every ready time ``r`` (an end plus the rest):

    (agents of p ending day d at r - rest or later) + (agents of p starting day d + 1
    before r) <= agents of p

one linear constraint per (pattern, day, distinct end). With a day off, a pattern's working
days form runs with a first day: chaining the matchings along each run gives each agent its
week, and the wrap from the last day to the first (next week's first day, as the days off
wrap) is one more consecutive pair inside a run. Agents working every day have no day to
start from (chained matchings could close into a cycle over several agents' weeks), so that
pattern is split into *lines* by the start of the first day's shift (or none): a line's
last-day shifts must leave the rest before that start, and its other days chain as above.
:func:`build_rest_roster` reads the rosters back, each day giving its shifts to the most
constrained agents first (nested choices: always possible when the constraints hold).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ortools.sat.python import cp_model

from ccrouter.schedule.roster import RosterLine, patterns, solve_fewest
from ccrouter.schedule.templates import RosterRules, ScheduleInputError

__all__ = ["Class", "Line", "add_rest", "build_rest_roster", "fewest_rested", "rest_ok"]

Class = tuple[float, float]
"""A shift's (start, end), seconds from the horizon's start."""

_EPS = 1e-6


class Line(NamedTuple):
    """Agents of one days-off pattern whose weeks are chained day to day (see the module
    docstring): the whole pattern, or (working every day) those starting the first day at
    ``first`` (``None``: without a shift that day)."""

    pattern: int
    full: bool
    """The pattern works every day (the line then fixes its first day's start)."""
    first: float | None
    agents: Any
    n: dict[int, dict[Class, Any]]
    """Per day worked, the line's agents working each class."""


def rest_ok(end: float, next_start: float, rules: RosterRules) -> bool:
    """Whether a shift starting at ``next_start`` leaves the rest after one ending at ``end``.

    >>> rules = RosterRules(min_rest_hours=11)
    >>> rest_ok(24 * 3600, 30 * 3600, rules), rest_ok(14 * 3600, 30 * 3600, rules)
    (False, True)
    """
    rest = 0.0 if rules.min_rest_hours is None else rules.min_rest_hours * 3600.0
    return next_start - end >= rest - _EPS


def add_rest(
    model: cp_model.CpModel,
    found: Sequence[tuple[bool, ...]],
    agents: Sequence[Any],
    classes_per_day: Sequence[Mapping[Class, Any]],
    rules: RosterRules,
    period: float,
    upper: int,
) -> list[Line]:
    """Add the class counts and the rest constraints (the module docstring); return the
    lines.

    Args:
        model: the CP-SAT model.
        found: the days-off patterns (:func:`~ccrouter.schedule.roster.patterns`).
        agents: the agents of each pattern (variables).
        classes_per_day: per day, the shifts starting that day of each class (variables,
            expressions or numbers).
        rules: the roster rules (``min_rest_hours`` set).
        period: the week's length in seconds (the wrap: next week's day 0 starts this much
            later).
        upper: a bound on the agents of one line working one class.
    """
    days = len(classes_per_day)
    lines: list[Line] = []
    for p, pattern in enumerate(found):
        full = all(pattern)
        firsts: list[float | None] = [None]
        if full:
            firsts = [*sorted({c[0] for c in classes_per_day[0]}), None]
        count = [model.new_int_var(0, upper * days, f"l{p}_{f}") for f in firsts] if full else []
        if full:
            model.add(sum(count) == agents[p])
        for q, first in enumerate(firsts):
            n: dict[int, dict[Class, Any]] = {}
            for d, classes in enumerate(classes_per_day):
                if pattern[d]:
                    n[d] = {
                        c: model.new_int_var(0, upper, f"n{p}_{q}_{d}_{j}")
                        for j, c in enumerate(classes)
                    }
            line = Line(p, full, first, count[q] if full else agents[p], n)
            for per in n.values():
                model.add(sum(per.values()) <= line.agents)
            if full:
                if first is not None:
                    model.add(sum(v for c, v in n[0].items() if c[0] == first) == line.agents)
                for c, v in n[0].items():
                    if first is None or c[0] != first:
                        model.add(v == 0)
                if first is not None:  # the wrap: the last day leaves the rest before `first`
                    for c, v in n[days - 1].items():
                        if not rest_ok(c[1], first + period, rules):
                            model.add(v == 0)
            lines.append(line)
    for d, classes in enumerate(classes_per_day):
        for c, total in classes.items():
            model.add(sum(line.n[d][c] for line in lines if d in line.n) == total)
    for line in lines:
        pattern = found[line.pattern]
        for d in range(days):
            e = (d + 1) % days
            if not (pattern[d] and pattern[e]) or (line.full and e == 0):
                continue
            later = period if e == 0 else 0.0  # the wrap: next week's first day
            left, right = line.n[d], line.n[e]
            for end in sorted({c[1] for c in left}):
                early = [v for c, v in right.items() if not rest_ok(end, c[0] + later, rules)]
                if early:
                    late = [v for c, v in left.items() if c[1] >= end - _EPS]
                    model.add(sum(late) + sum(early) <= line.agents)
    return lines


def fewest_rested(
    classes_per_day: Sequence[Mapping[Class, int]],
    rules: RosterRules,
    period: float,
    *,
    seed: int = 0,
) -> tuple[list[tuple[tuple[bool, ...], int]], list[Line]]:
    """The fewest agents per pattern working these shifts with the rest rule (a small exact
    solve), and the lines with their numbers (agents, and per day and class).

    Raises:
        ScheduleInputError: no roster found (the shifts came from a model with the rule, so
            this is a bug or a solver time-out).
    """
    model = cp_model.CpModel()
    found = patterns(len(classes_per_day), rules)
    total = sum(sum(day.values()) for day in classes_per_day)
    top = max((max(day.values(), default=0) for day in classes_per_day), default=0)
    agents = [model.new_int_var(0, max(total, 1), f"a{k}") for k in range(len(found))]
    for d, day in enumerate(classes_per_day):
        model.add(sum(a for a, p in zip(agents, found, strict=True) if p[d]) >= sum(day.values()))
    lines = add_rest(model, found, agents, classes_per_day, rules, period, max(top, 1))
    model.minimize(sum(agents))
    solver = solve_fewest(model, seed, 30.0, "roster: no rested roster found for the shifts")
    counts = [(p, int(solver.value(a))) for p, a in zip(found, agents, strict=True)]
    values = [
        line._replace(
            agents=int(solver.value(line.agents)),
            n={d: {c: int(solver.value(v)) for c, v in day.items()} for d, day in line.n.items()},
        )
        for line in lines
    ]
    return counts, values


def build_rest_roster(
    found: Sequence[tuple[bool, ...]],
    lines: Sequence[Line],
    shifts_by_day: Sequence[Sequence[tuple[int, int]]],
    classes: Sequence[Class],
    rules: RosterRules,
    period: float,
) -> tuple[RosterLine, ...]:
    """One line per agent from the lines' numbers (:func:`fewest_rested`), each agent's
    consecutive shifts leaving the rest.

    Args:
        found: the days-off patterns.
        lines: the lines with numbers (agents, and per day and class).
        shifts_by_day: per day, (shift index, count) starting that day.
        classes: each shift index's class.
        rules: the roster rules.
        period: the week's length in seconds.

    Raises:
        ScheduleInputError: counts that break the rule (a model bug).
    """
    days = len(shifts_by_day)
    rest = 0.0 if rules.min_rest_hours is None else rules.min_rest_hours * 3600.0
    pool: dict[tuple[int, Class], list[int]] = {}
    for d, day in enumerate(shifts_by_day):
        for index, count in day:
            pool.setdefault((d, classes[index]), []).extend([index] * count)
    out: list[RosterLine] = []
    named: dict[int, int] = {}
    for line in lines:
        count = int(line.agents)
        if count == 0:
            continue
        pattern = found[line.pattern]
        table: list[list[int | None]] = [[None] * days for _ in range(count)]
        # Start each run of days worked after a day off (its first day has no day before),
        # or on day 0 for a line working every day (its wrap is in the model).
        first = (
            0 if line.full else next(d for d in range(days) if pattern[d] and not pattern[d - 1])
        )
        ready = [-math.inf] * count
        for step in range(days):
            d = (first + step) % days
            if not pattern[d]:
                ready = [-math.inf] * count
                continue
            later = period if d < first else 0.0
            units: list[Class | None] = [
                c for c, m in sorted(line.n[d].items()) for _ in range(int(m))
            ]
            units += [None] * (count - len(units))
            for a in sorted(range(count), key=lambda i: -ready[i]):
                fit = next(
                    (
                        j
                        for j, u in enumerate(units)
                        if u is None or u[0] + later >= ready[a] - _EPS
                    ),
                    None,
                )
                if fit is None:
                    raise ScheduleInputError(f"roster: day {d + 1}: no shift leaves the rest")
                unit = units.pop(fit)
                if unit is None:
                    ready[a] = -math.inf
                    continue
                table[a][d] = pool[d, unit].pop()
                ready[a] = unit[1] + later + rest
        done = named.get(line.pattern, 0)
        named[line.pattern] = done + count
        out += [
            RosterLine(
                agent=f"agent-{line.pattern + 1:02d}-{done + j + 1:03d}",
                days_off=tuple(d for d in range(days) if not pattern[d]),
                shifts=tuple(row),
            )
            for j, row in enumerate(table)
        ]
    return tuple(out)
