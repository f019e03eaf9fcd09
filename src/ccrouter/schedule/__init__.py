"""Shift scheduling: from per-interval requirements to shifts with breaks, then simulated.

>>> from ccrouter.schedule import BreakRule, Requirements, ShiftTemplate, solve
>>> req = Requirements.from_values([1, 2, 2, 1], interval=3600)
>>> day = ShiftTemplate(name="day", earliest_start=0, latest_start=3600, length=3 * 3600,
...                     cost_per_shift=10)
>>> s = solve(req, [day])
>>> s.status, s.cost, s.coverage, s.uncoverable
('OPTIMAL', 20.0, (1, 2, 2, 1), ())

Docs: ``docs/scheduling.md``.
"""

from __future__ import annotations

from ccrouter.schedule.model import solve
from ccrouter.schedule.requirements import Requirements
from ccrouter.schedule.result import (
    PlacedBreak,
    Schedule,
    ScheduledShift,
    UncoverableInterval,
    coverage_of,
    read_shifts_csv,
)
from ccrouter.schedule.roster import RosterLine
from ccrouter.schedule.simulate import scenario_with_schedule, simulate_schedule, working_agents
from ccrouter.schedule.templates import (
    BreakRule,
    Limits,
    RosterRules,
    ScheduleInputError,
    ShiftTemplate,
    templates_from_dict,
)

__all__ = [
    "BreakRule",
    "Limits",
    "PlacedBreak",
    "Requirements",
    "RosterLine",
    "RosterRules",
    "Schedule",
    "ScheduleInputError",
    "ScheduledShift",
    "ShiftTemplate",
    "UncoverableInterval",
    "coverage_of",
    "read_shifts_csv",
    "scenario_with_schedule",
    "simulate_schedule",
    "solve",
    "templates_from_dict",
    "working_agents",
]
