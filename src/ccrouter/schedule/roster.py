"""Rosters: the week's shifts assigned to agents who each work at most N days, days off
together.

The model counts agents per days-off pattern (``a[p]``: agents working the days of pattern
``p``); every day, the shifts starting that day are at most the agents whose pattern works it.
Any counts meeting that can be turned into a roster (each day independently: the day's shifts
go to distinct agents working it), so no variable per agent is needed. A shift belongs to the
day it starts on. Rest between one day's shift and the next day's
(``RosterRules.min_rest_hours``) is added by :mod:`ccrouter.schedule.rest`. Not modelled:
keeping an agent's start time alike across the week.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from ccrouter.schedule.templates import RosterRules, ScheduleInputError

__all__ = ["RosterLine", "add_roster", "build_roster", "fewest_agents", "longest_run", "patterns"]


@dataclass(frozen=True)
class RosterLine:
    """One agent's week: the days off and, per day worked, the index of its shift in
    ``Schedule.shifts`` (``None``: a working day without a shift)."""

    agent: str
    days_off: tuple[int, ...]
    shifts: tuple[int | None, ...]


def patterns(days: int, rules: RosterRules) -> list[tuple[bool, ...]]:
    """Every days-worked pattern over ``days`` days: exactly ``min(max_work_days, days)`` days
    worked (fewer is never needed: a working day may go without a shift), the days off in one
    cyclic block when ``consecutive_days_off``.

    >>> len(patterns(7, RosterRules(max_work_days=5))), len(patterns(7, RosterRules(
    ...     max_work_days=5, consecutive_days_off=False)))
    (7, 21)
    """
    work = min(rules.max_work_days, days)
    if work == days:
        found = [(True,) * days]
    elif rules.consecutive_days_off:
        off = days - work
        found = [tuple(not (0 <= (d - first) % days < off) for d in range(days))
                 for first in range(days)]  # fmt: skip
    else:
        found = [tuple(d in chosen for d in range(days))
                 for chosen in itertools.combinations(range(days), work)]  # fmt: skip
    most = rules.max_consecutive_days
    if most is None:
        return found
    kept = [p for p in found if longest_run(p) <= most]
    if not kept:
        raise ScheduleInputError(
            f"roster: max_consecutive_days: expected at least the longest run of days worked "
            f"that {work} days out of {days} allow ({min(map(longest_run, found))}"
            f"{', cyclically' if work == days else ''}), got {most}"
        )
    return kept


def longest_run(pattern: Sequence[bool]) -> int:
    """The most days worked in a row, cyclically (a pattern without a day off: unbounded,
    ``len * 2``: next week's days follow).

    >>> longest_run((True, True, False, True, True, True, False))
    3
    >>> longest_run((True, False, True, True))
    3
    """
    days = len(pattern)
    if all(pattern):
        return 2 * days
    best = run = 0
    for d in range(2 * days):
        run = run + 1 if pattern[d % days] else 0
        best = max(best, run)
    return best


def add_roster(
    model: cp_model.CpModel,
    shifts_per_day: Sequence[Sequence[Any]],
    rules: RosterRules,
    upper: int,
) -> tuple[list[tuple[bool, ...]], list[cp_model.IntVar]]:
    """Add the pattern counts and the per-day constraints; return (patterns, their counts).

    Args:
        model: the CP-SAT model.
        shifts_per_day: per day, the shift-count variables of the candidates starting that day.
        rules: the rest rules.
        upper: a bound on the agents of one pattern.
    """
    days = len(shifts_per_day)
    if days < 2:
        raise ScheduleInputError(
            "roster: expected requirements over several days (a week with "
            "limits.day_length = 86400), got one day"
        )
    found = patterns(days, rules)
    agents = [model.new_int_var(0, upper, f"agents{k}") for k in range(len(found))]
    for d, shifts in enumerate(shifts_per_day):
        working = [a for a, p in zip(agents, found, strict=True) if p[d]]
        model.add(sum(shifts) <= sum(working))
    if rules.max_agents is not None:
        model.add(sum(agents) <= rules.max_agents)
    return found, agents


def build_roster(
    pattern_counts: Sequence[tuple[tuple[bool, ...], int]],
    shifts_by_day: Sequence[Sequence[tuple[int, int]]],
) -> tuple[RosterLine, ...]:
    """Agents per pattern, and per day the (shift index, count) starting that day, into one
    line per agent (day by day, each shift to a distinct agent working that day).

    Raises:
        ScheduleInputError: a day has more shifts than agents working it (a model bug).
    """
    days = len(shifts_by_day)
    lines: list[tuple[str, tuple[bool, ...]]] = []
    for k, (pattern, count) in enumerate(pattern_counts):
        lines += [(f"agent-{k + 1:02d}-{j + 1:03d}", pattern) for j in range(count)]
    table: list[list[int | None]] = [[None] * days for _ in lines]
    for d in range(days):
        free = [i for i, (_, p) in enumerate(lines) if p[d]]
        todo = [index for index, count in shifts_by_day[d] for _ in range(count)]
        if len(todo) > len(free):
            msg = f"roster: day {d + 1} has {len(todo)} shifts for {len(free)} agents working"
            raise ScheduleInputError(msg)
        for agent, index in zip(free, todo, strict=False):
            table[agent][d] = index
    return tuple(
        RosterLine(
            agent=name,
            days_off=tuple(d for d in range(days) if not pattern[d]),
            shifts=tuple(row),
        )
        for (name, pattern), row in zip(lines, table, strict=True)
    )


def fewest_agents(
    shifts_per_day: Sequence[int], rules: RosterRules, *, seed: int = 0
) -> list[tuple[tuple[bool, ...], int]]:
    """The fewest agents per pattern that work ``shifts_per_day`` (a small exact solve): used
    when agents cost nothing, so that the roster has no idle agents.

    >>> [(p.count(False), n) for p, n in fewest_agents([3] * 7, RosterRules()) if n]
    ... # doctest: +ELLIPSIS
    [...]
    >>> sum(n for _, n in fewest_agents([3] * 7, RosterRules(max_work_days=5)))
    5
    """
    model = cp_model.CpModel()
    found = patterns(len(shifts_per_day), rules)
    top = max(shifts_per_day, default=0)
    agents = [model.new_int_var(0, top, f"a{k}") for k in range(len(found))]
    for d, count in enumerate(shifts_per_day):
        model.add(sum(a for a, p in zip(agents, found, strict=True) if p[d]) >= count)
    model.minimize(sum(agents))
    solver = solve_fewest(model, seed, 10.0, "roster: no agents found for the shifts")
    return [(p, int(solver.value(a))) for p, a in zip(found, agents, strict=True)]


def solve_fewest(
    model: cp_model.CpModel, seed: int, seconds: float, failure: str
) -> cp_model.CpSolver:
    """Solve a roster's fewest-agents ``model`` deterministically (one worker, ``seed``) within
    ``seconds``: the solver, to read the values from.

    Raises:
        ScheduleInputError: ``failure`` (the solver found no roster in time).
    """
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = seconds
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise ScheduleInputError(f"{failure} (solver gave up)")
    return solver
