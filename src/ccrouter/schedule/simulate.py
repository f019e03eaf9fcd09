"""The schedule simulated: its shifts and breaks become an agent group's ``shifts``.

The simulator logs each agent in at its shift's start, makes it not ready for each break and
logs it out at the shift's end (after the work in hand), so the service level per interval,
with its confidence interval over replications, is that of the schedule as planned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from typing import TYPE_CHECKING

import msgspec

from ccrouter.events import AgentLoggedOut, AgentNotReady, AgentReady, Event
from ccrouter.schedule.templates import ScheduleInputError
from ccrouter.sim.clock import clock_label
from ccrouter.sim.replications import SimulationResult, simulate
from ccrouter.sim.scenario import Break, Scenario, Shift

if TYPE_CHECKING:
    from ccrouter.schedule.result import Schedule
    from ccrouter.sim.engines import EngineChoice

__all__ = ["scenario_with_schedule", "simulate_schedule", "to_shifts", "working_agents"]


def to_shifts(schedule: Schedule) -> list[Shift]:
    """One simulator :class:`~ccrouter.sim.scenario.Shift` per group of identical shifts."""
    return [
        Shift(
            start=s.start,
            end=s.end,
            count=s.count,
            breaks=[Break(start=b.start - s.start, length=b.length) for b in s.breaks],
        )
        for s in schedule.shifts
    ]


def scenario_with_schedule(
    scenario: Scenario, schedule: Schedule, group: str | None = None
) -> Scenario:
    """A copy of ``scenario`` whose agent group ``group`` works the schedule's shifts.

    Args:
        scenario: the model (call types, routing, the group's skills and capacity).
        schedule: the shifts to work.
        group: the agent group to staff (default: the scenario's only group).

    Raises:
        ScheduleInputError: ``group`` is not in the scenario, or not given while the
            scenario has several groups; the scenario's clock time of time 0 (``origin``, set
            by ``ccrouter scenario``) is not the requirements' first interval. A scenario
            without an origin takes the schedule's, so its reports read clock times.
    """
    names = [g.name for g in scenario.agent_groups]
    if group is None:
        if len(names) != 1:
            msg = f"group: expected one of {names} (the scenario has {len(names)} agent groups)"
            raise ScheduleInputError(msg)
        group = names[0]
    if group not in names:
        raise ScheduleInputError(f"group: expected one of {names}, got {group!r}")
    origin = schedule.requirements.origin % 86400.0
    if scenario.origin and scenario.origin != origin:
        msg = (
            f"the scenario's time 0 is {clock_label(scenario.origin)} (its origin) but the "
            f"requirements start at {clock_label(origin)}: build both from the same forecast"
        )
        raise ScheduleInputError(msg)
    shifts = to_shifts(schedule)
    groups = [
        msgspec.structs.replace(g, shifts=shifts, headcount=None) if g.name == group else g
        for g in scenario.agent_groups
    ]
    return scenario.replace(agent_groups=groups, origin=origin)


def simulate_schedule(
    scenario: Scenario,
    schedule: Schedule,
    *,
    group: str | None = None,
    replications: int = 10,
    seed: int = 0,
    engine: EngineChoice = "auto",
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> SimulationResult:
    """Simulate the schedule: replications of ``scenario`` staffed by its shifts.

    ``result.per_interval["all"]["service_level"]`` is then one estimate (mean and 95 %
    interval) per scenario interval. Arguments as :func:`ccrouter.sim.simulate` (``progress``
    is called with the replications done, after each).

    Raises:
        ScheduleInputError: as :func:`scenario_with_schedule`.
    """
    staffed = scenario_with_schedule(scenario, schedule, group)
    return simulate(
        staffed, replications, seed=seed, engine=engine, executor=executor, progress=progress
    )


def working_agents(events: Iterable[Event], interval: float, n: int) -> list[int]:
    """Agents ready (logged in, not on a break) at the middle of each of ``n`` intervals,
    read from a run's events: what the simulator staffed, to hold against the schedule."""
    working: set[str] = set()
    out: list[int] = []
    k = 0
    for e in events:
        while k < n and e.at > (k + 0.5) * interval:
            out.append(len(working))
            k += 1
        if isinstance(e, AgentReady):
            working.add(e.agent_id)
        elif isinstance(e, AgentNotReady | AgentLoggedOut):
            working.discard(e.agent_id)
    while k < n:
        out.append(len(working))
        k += 1
    return out
