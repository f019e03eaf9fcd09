"""The shift-scheduling model and its solve (OR-Tools CP-SAT): integers, a proven bound.

Variables: ``x[c]``, the number of shifts of candidate ``c`` (a template at one start time);
for each break of its template, ``y[c, b, o]``, how many of those shifts take break ``b`` at
offset ``o`` (``sum_o y[c, b, o] = x[c]``). Breaks of one shift are taken in order: pairing the
k-th earliest break ``b - 1`` with the k-th earliest break ``b`` is valid exactly when, for
every offset ``t``, the breaks ``b`` started by ``t`` are no more than the breaks ``b - 1``
ended by ``t`` (linear constraints on the counts), so counts suffice and the
schedule is read back by sorting. Coverage of an interval is the shifts logged in less those
on a break; it must reach the requirement.

When it cannot (no template reaches 03:00, ``max_count`` too low), the solve says where and by
how much instead of "infeasible": a first phase minimises the total shortfall (one slack per
interval), a second finds the cheapest schedule with that shortfall.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from ccrouter.schedule.requirements import Requirements
from ccrouter.schedule.rest import Class, add_rest, build_rest_roster, fewest_rested
from ccrouter.schedule.result import (
    PlacedBreak,
    Schedule,
    ScheduledShift,
    UncoverableInterval,
    coverage_of,
)
from ccrouter.schedule.roster import RosterLine, add_roster, build_roster, fewest_agents
from ccrouter.schedule.templates import Limits, ScheduleInputError, ShiftTemplate

__all__ = ["Candidate", "candidates", "solve"]

COST_SCALE = 100
"""Costs are scaled to integers (cents) for the solver."""


@dataclass(frozen=True)
class Candidate:
    """A template at one start: its start interval, its break offset choices (intervals)."""

    template: int
    start: int
    day: int
    """The day it starts on (a clock day: ``Limits.day_length``), 0 without days."""
    length: int
    breaks: tuple[tuple[tuple[int, ...], int], ...]
    """Per break: (the offsets it may start at, its length), in intervals."""
    upper: int


def _steps(value: float, interval: float, where: str) -> int:
    steps = value / interval
    if abs(steps - round(steps)) > 1e-6:
        msg = f"{where}: expected a multiple of the interval ({interval:g} s), got {value:g} s"
        raise ScheduleInputError(msg)
    return round(steps)


def candidates(
    requirements: Requirements, templates: list[ShiftTemplate], limits: Limits
) -> list[Candidate]:
    """Every (template, start) the schedule may use: starts within the horizon (a shift may
    run past its end), start windows read as clock times of each day (``limits.day_length``)
    against the requirements' ``origin``.

    Raises:
        ScheduleInputError: a time that is not a multiple of the interval (the field named).
    """
    step_s = requirements.interval
    n = len(requirements.values)
    req = requirements.values
    origin = _steps(
        requirements.origin, step_s, "requirements origin (the first interval's clock time)"
    )
    day = (
        n + origin
        if limits.day_length is None
        else _steps(limits.day_length, step_s, "limits.day_length")
    )
    days = math.ceil((n + origin) / day) if limits.day_length is not None else 1
    out = []
    for t, tpl in enumerate(templates):
        at = f"template {tpl.name!r}"
        length = _steps(tpl.length, step_s, f"{at}: length")
        first = _steps(tpl.earliest_start, step_s, f"{at}: earliest_start")
        last = _steps(tpl.latest_start, step_s, f"{at}: latest_start")
        step = 1 if tpl.step is None else _steps(tpl.step, step_s, f"{at}: step")
        breaks = []
        for b, brk in enumerate(tpl.breaks):
            where = f"{at}: breaks[{b}] ({brk.name!r})"
            lo = _steps(brk.earliest, step_s, f"{where}.earliest")
            hi = _steps(brk.latest, step_s, f"{where}.latest")
            every = 1 if brk.step is None else _steps(brk.step, step_s, f"{where}.step")
            size = _steps(brk.length, step_s, f"{where}.length")
            breaks.append((tuple(range(lo, hi + 1, max(every, 1))), size))
        for d in range(days):
            for s in range(first, last + 1, max(step, 1)):
                start = d * day + s - origin  # window times are clock times of day d
                if not 0 <= start < n:
                    continue
                covered = req[start : min(start + length, n)]
                # More shifts than this never help (costs are >= 0): without breaks, the
                # largest requirement it spans; with breaks, each shift must work
                # some agent-interval that is needed, so at most their sum.
                useful = sum(covered) if breaks else max(covered, default=0)
                upper = max(useful, tpl.min_count)
                if tpl.max_count is not None:
                    upper = min(upper, tpl.max_count)
                if upper > 0:
                    out.append(Candidate(t, start, d, length, tuple(breaks), upper))
    return out


class _Model:
    """One CP-SAT model over the candidates; ``slack`` adds a shortfall per interval."""

    def __init__(
        self,
        req: tuple[int, ...],
        templates: list[ShiftTemplate],
        limits: Limits,
        cands: list[Candidate],
        *,
        slack: bool,
        interval: float = 1.0,
        origin: float = 0.0,
    ) -> None:
        m = self.model = cp_model.CpModel()
        n = len(req)
        self.x = [m.new_int_var(0, c.upper, f"x{k}") for k, c in enumerate(cands)]
        self.y: list[list[dict[int, cp_model.IntVar]]] = []
        terms: list[list[tuple[Any, int]]] = [[] for _ in range(n)]
        for k, c in enumerate(cands):
            for i in range(c.start, min(c.start + c.length, n)):
                terms[i].append((self.x[k], 1))
            per_break: list[dict[int, cp_model.IntVar]] = []
            for b, (offsets, size) in enumerate(c.breaks):
                ys = {o: m.new_int_var(0, c.upper, f"y{k}_{b}_{o}") for o in offsets}
                m.add(sum(ys.values()) == self.x[k])
                for o, var in ys.items():
                    for i in range(c.start + o, min(c.start + o + size, n)):
                        terms[i].append((var, -1))
                if b:
                    _prev_offsets, prev_size = c.breaks[b - 1]
                    prev = per_break[-1]
                    for t in range(min(offsets), max(offsets) + 1):
                        started = [v for o, v in ys.items() if o <= t]
                        ended = [v for o, v in prev.items() if o + prev_size <= t]
                        m.add(sum(started) <= sum(ended))
                per_break.append(ys)
            self.y.append(per_break)
        self.short: list[Any] = []
        for i in range(n):
            cover = cp_model.LinearExpr.weighted_sum([v for v, _ in terms[i]],
                                                     [w for _, w in terms[i]])  # fmt: skip
            if slack and req[i] > 0:
                s = m.new_int_var(0, req[i], f"short{i}")
                self.short.append(s)
                m.add(cover + s >= req[i])
            elif req[i] > 0:
                m.add(cover >= req[i])
        by_template: dict[int, list[Any]] = {}
        for k, c in enumerate(cands):
            by_template.setdefault(c.template, []).append(self.x[k])
        for t, tpl in enumerate(templates):
            used = sum(by_template.get(t, []))
            if tpl.min_count:
                m.add(used >= tpl.min_count)
            if tpl.max_count is not None:
                m.add(used <= tpl.max_count)
        part = [self.x[k] for k, c in enumerate(cands) if templates[c.template].kind == "part_time"]
        full = [self.x[k] for k, c in enumerate(cands) if templates[c.template].kind == "full_time"]
        if limits.max_part_time is not None:
            m.add(sum(part) <= limits.max_part_time)
        if limits.max_part_time_share is not None:
            share = round(limits.max_part_time_share * 10_000)
            m.add(10_000 * sum(part) <= share * sum(self.x))
        if limits.min_full_time:
            m.add(sum(full) >= limits.min_full_time)
        roster = limits.roster
        self.costs, self.scale = _scaled_costs(templates, limits)
        self.cost: Any = sum(self.costs[c.template] * self.x[k] for k, c in enumerate(cands))
        self.patterns: list[tuple[bool, ...]] = []
        self.agents: list[Any] = []
        if roster is not None:
            days = max((c.day for c in cands), default=0) + 1
            if limits.day_length is not None and limits.day_length > 0:
                days = max(days, math.ceil((n * interval + origin) / limits.day_length - 1e-9))
            per_day: list[list[Any]] = [[] for _ in range(days)]
            for k, c in enumerate(cands):
                per_day[c.day].append(self.x[k])
            upper = max((sum(cands[k].upper for k in range(len(cands)) if cands[k].day == d)
                         for d in range(days)), default=0)  # fmt: skip
            if roster.min_rest_hours is not None:
                upper = max(upper * days, 1)  # rest may need more agents than shifts a day
            self.patterns, self.agents = add_roster(m, per_day, roster, max(upper, 1))
            if roster.min_rest_hours is not None:
                classes: list[dict[Class, list[Any]]] = [{} for _ in range(days)]
                for k, c in enumerate(cands):
                    begin = c.start * interval
                    key = (begin, begin + templates[c.template].length)
                    classes[c.day].setdefault(key, []).append(self.x[k])
                period = days * (limits.day_length or 0.0)
                add_rest(m, self.patterns, self.agents,
                         [{c: sum(v) for c, v in day.items()} for day in classes],
                         roster, period, max(upper, 1))  # fmt: skip
            agent_cost = round(roster.cost_per_agent * self.scale)
            if agent_cost:
                self.cost = self.cost + agent_cost * sum(self.agents)


def _scaled_costs(templates: list[ShiftTemplate], limits: Limits) -> tuple[list[int], int]:
    """Integer costs per template and their scale (1: no costs given, shifts are counted)."""
    agent_cost = limits.roster.cost_per_agent if limits.roster is not None else 0.0
    if all(t.cost == 0 for t in templates) and agent_cost == 0:
        return [1] * len(templates), 1
    return [round(t.cost * COST_SCALE) for t in templates], COST_SCALE


def _solver(time_limit: float, workers: int, seed: int, gap: float = 0.0) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.relative_gap_limit = gap
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    return solver


def _run(solver: cp_model.CpSolver, model: cp_model.CpModel) -> str:
    status = solver.solve(model)
    return str(solver.status_name(status))


def solve(
    requirements: Requirements,
    templates: list[ShiftTemplate],
    limits: Limits | None = None,
    *,
    time_limit: float = 60.0,
    workers: int = 1,
    seed: int = 0,
    gap_limit: float = 0.0,
    progress: Callable[[str], None] | None = None,
) -> Schedule:
    """The cheapest schedule that covers the requirements (or leaves the least short).

    Args:
        requirements: agents needed per interval.
        templates: the shift templates (unique names).
        limits: part-time and full-time limits, and the day length for a week.
        time_limit: wall-clock seconds per solver phase; a schedule found but not proven
            optimal by then is returned as ``"FEASIBLE"`` with its gap.
        workers: the solver's threads (1 is fully deterministic; more may find a schedule
            sooner but the one returned under a time limit may vary).
        seed: the solver's random seed.
        gap_limit: stop once the cost is within this fraction of the proven bound (0: prove
            the optimum); the schedule is then ``"FEASIBLE"`` with its gap, unless equal.
        progress: called with one line as each solver phase starts and ends.

    Returns:
        A :class:`~ccrouter.schedule.result.Schedule`; intervals that cannot be covered are in
        ``uncoverable`` with the amount missing and why, never an exception.

    Raises:
        ScheduleInputError: bad input (duplicate names, times not multiples of the
            interval, ...), or no schedule found within ``time_limit`` (says so).
    """
    limits = limits or Limits()
    if not templates:
        raise ScheduleInputError("templates: expected at least one template, got none")
    names = Counter(t.name for t in templates)
    dup = sorted(k for k, v in names.items() if v > 1)
    if dup:
        raise ScheduleInputError(f"templates: duplicate template name(s) {dup}")
    if not (time_limit > 0 and workers >= 1 and 0.0 <= gap_limit < 1.0):
        msg = "expected time_limit > 0, workers >= 1 and 0 <= gap_limit < 1, got "
        raise ScheduleInputError(f"{msg}{time_limit!r}, {workers!r} and {gap_limit!r}")
    req = requirements.values
    cands = candidates(requirements, templates, limits)
    where = {"interval": requirements.interval, "origin": requirements.origin}
    say = progress if progress is not None else (lambda _: None)
    began = time.perf_counter()
    say(f"phase cost: {len(cands)} candidate starts, covering every interval at the least cost")
    phases = "cost"
    model = _Model(req, templates, limits, cands, slack=False, **where)
    model.model.minimize(model.cost)
    solver = _solver(time_limit, workers, seed, gap_limit)
    status = _run(solver, model.model)
    if status in ("INFEASIBLE", "MODEL_INVALID", "UNKNOWN"):
        # Covering everything is impossible (or was not shown possible in time): find the
        # least shortfall first, then the cheapest schedule that achieves it.
        phases = "shortfall, cost"
        why = (
            "every interval cannot be covered"
            if status == "INFEASIBLE"
            else f"no schedule covering every interval found in {time_limit:g} s"
        )
        say(f"phase shortfall: {why}; finding the least shortfall")
        model = _Model(req, templates, limits, cands, slack=True, **where)
        model.model.minimize(sum(model.short))
        solver = _solver(time_limit, workers, seed)
        status = _run(solver, model.model)
        if status not in ("OPTIMAL", "FEASIBLE"):
            raise ScheduleInputError(_no_schedule(status, time_limit, templates, limits))
        least = round(solver.objective_value)
        proven = "" if status == "OPTIMAL" else " (the least found, not proven)"
        phases = f"shortfall{proven}, cost"
        say(f"phase cost: the cheapest schedule leaving {least} agent-intervals short{proven}")
        model = _Model(req, templates, limits, cands, slack=True, **where)
        model.model.add(sum(model.short) <= least)
        model.model.minimize(model.cost)
        solver = _solver(time_limit, workers, seed, gap_limit)
        status = _run(solver, model.model)
        if status not in ("OPTIMAL", "FEASIBLE"):
            raise ScheduleInputError(_no_schedule(status, time_limit, templates, limits))
    seconds = time.perf_counter() - began
    shifts = _read_back(solver, model, cands, templates, requirements.interval)
    n = len(req)
    coverage = coverage_of(shifts, requirements.interval, n)
    scale = model.scale
    counts_shifts = scale == 1
    cost = sum(s.count * (1.0 if counts_shifts else s.cost_each) for s in shifts)
    roster: tuple[RosterLine, ...] = ()
    if limits.roster is not None:
        counts = [(p, int(solver.value(a))) for p, a in zip(model.patterns, model.agents,
                                                             strict=True)]  # fmt: skip
        day_of = {(cands[k].start, templates[cands[k].template].name): cands[k].day
                  for k in range(len(cands))}  # fmt: skip
        by_day: list[list[tuple[int, int]]] = [[] for _ in model.patterns[0]]
        for index, sh in enumerate(shifts):
            start = round(sh.start / requirements.interval)
            by_day[day_of[(start, sh.template)]].append((index, sh.count))
        if limits.roster.min_rest_hours is not None:
            roster = _rested(shifts, by_day, limits, seed)
        else:
            if limits.roster.cost_per_agent == 0 and limits.roster.max_agents is None:
                # Agents cost nothing: the solver had no reason to keep them few; take the least.
                per_day = [sum(count for _, count in day) for day in by_day]
                counts = fewest_agents(per_day, limits.roster, seed=seed)
            roster = build_roster(counts, by_day)
        cost += len(roster) * limits.roster.cost_per_agent
    bound = min(float(solver.best_objective_bound) / scale, cost)
    if status == "OPTIMAL" and gap_limit == 0.0:
        bound = cost
    # A stop at the gap limit is "OPTIMAL" to the solver; to a planner it is not proven.
    status = "OPTIMAL" if cost - bound < 0.5 / scale else "FEASIBLE"
    say(f"solved: {status.lower()} in {seconds:.2f} s")
    return Schedule(
        requirements=requirements,
        templates=tuple(templates),
        shifts=tuple(shifts),
        coverage=tuple(coverage),
        uncoverable=tuple(_uncoverable(requirements, coverage, cands)),
        status=status,
        cost=cost,
        bound=bound,
        solve_seconds=seconds,
        phases=phases,
        counts_shifts=counts_shifts,
        roster=roster,
        stats={
            "candidates": len(cands),
            "variables": len(model.model.proto.variables),
            "constraints": len(model.model.proto.constraints),
        },
    )


def _rested(
    shifts: list[ScheduledShift],
    by_day: list[list[tuple[int, int]]],
    limits: Limits,
    seed: int,
) -> tuple[RosterLine, ...]:
    """The roster with the rest rule: the fewest agents for the shifts, then their weeks."""
    assert limits.roster is not None and limits.day_length is not None
    classes = [(sh.start, sh.end) for sh in shifts]
    per_day: list[dict[Class, int]] = [{} for _ in by_day]
    for d, day in enumerate(by_day):
        for index, count in day:
            per_day[d][classes[index]] = per_day[d].get(classes[index], 0) + count
    period = len(by_day) * limits.day_length
    counts, lines = fewest_rested(per_day, limits.roster, period, seed=seed)
    found = [p for p, _ in counts]
    return build_rest_roster(found, lines, by_day, classes, limits.roster, period)


def _no_schedule(status: str, time_limit: float, templates: list[ShiftTemplate],
                 limits: Limits) -> str:  # fmt: skip
    if status == "INFEASIBLE":
        mins = ", ".join(f"{t.name} min_count {t.min_count}" for t in templates if t.min_count)
        return (
            "no schedule satisfies the limits even with intervals left short: the templates' "
            f"min_count ({mins or 'none'}), max_count and the part-time/full-time limits "
            f"({limits}) contradict each other"
        )
    return f"no schedule found within time_limit={time_limit:g} s (solver status {status})"


def _read_back(
    solver: cp_model.CpSolver,
    model: _Model,
    cands: list[Candidate],
    templates: list[ShiftTemplate],
    interval: float,
) -> list[ScheduledShift]:
    groups: Counter[tuple[int, tuple[int, ...]]] = Counter()
    for k in range(len(cands)):
        count = int(solver.value(model.x[k]))
        if count == 0:
            continue
        # The k-th shift takes the k-th earliest placement of each break (valid by the
        # ordering constraints).
        placed: list[list[int]] = []
        for ys in model.y[k]:
            offsets: list[int] = []
            for o in sorted(ys):
                offsets += [o] * int(solver.value(ys[o]))
            placed.append(offsets)
        for j in range(count):
            groups[(k, tuple(p[j] for p in placed))] += 1
    shifts = []
    for (k, chosen), count in sorted(groups.items()):
        c = cands[k]
        start = c.start
        tpl = templates[c.template]
        breaks = tuple(
            PlacedBreak(brk.name, (start + o) * interval, brk.length, brk.paid)
            for brk, o in zip(tpl.breaks, chosen, strict=True)
        )
        shifts.append(
            ScheduledShift(
                template=tpl.name,
                kind=tpl.kind,
                start=start * interval,
                end=start * interval + tpl.length,
                count=count,
                cost_each=tpl.cost,
                breaks=breaks,
            )
        )
    shifts.sort(key=lambda s: (s.start, s.template, [b.start for b in s.breaks]))
    return shifts


def _uncoverable(
    requirements: Requirements, coverage: list[int], cands: list[Candidate]
) -> list[UncoverableInterval]:
    n = len(requirements.values)
    reachable = [False] * n
    for c in cands:
        for i in range(c.start, min(c.start + c.length, n)):
            reachable[i] = True
    out = []
    for i, (r, cov) in enumerate(zip(requirements.values, coverage, strict=True)):
        if cov < r:
            reason = (
                "too few shifts allowed (max_count, part-time/full-time limits or the "
                "roster's headcount and rest rules)"
                if reachable[i]
                else "no template's start window and length reach this interval"
            )
            out.append(
                UncoverableInterval(
                    index=i,
                    label=requirements.labels[i],
                    start=i * requirements.interval,
                    required=r,
                    covered=cov,
                    missing=r - cov,
                    reason=reason,
                )
            )
    return out
