"""Shift templates, their breaks and the schedule's limits: plain data, checked when built.

A template says when a shift may start (a window and a step), how long it lasts, which breaks
it takes (each in a window measured from the shift's start), what it costs and whether it is
part-time or full-time. Times are seconds; the TOML reader also takes ``"06:30"`` (a clock
time, for starts) and ``"8h30m"``, ``"15m"``, ``"90s"`` (durations).

>>> t = ShiftTemplate(name="early", earliest_start=6 * 3600, latest_start=7 * 3600,
...                   step=1800, length=8 * 3600, cost_per_hour=20.0,
...                   breaks=(BreakRule(name="lunch", earliest=3 * 3600, latest=5 * 3600,
...                                     length=1800, paid=False),))
>>> t.starts(), t.cost
([21600.0, 23400.0, 25200.0], 150.0)
>>> ShiftTemplate(name="x", earliest_start=0, latest_start=0, length=3600,
...               breaks=(BreakRule(name="b", earliest=3000, latest=3500, length=900),))
... # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ccrouter.schedule.templates.ScheduleInputError: template 'x': breaks[0] ('b') may end ...
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ccrouter.errors import InvalidArgument

__all__ = [
    "BreakRule",
    "Limits",
    "RosterRules",
    "ScheduleInputError",
    "ShiftTemplate",
    "parse_time",
    "templates_from_dict",
]

Kind = Literal["full_time", "part_time"]


class ScheduleInputError(InvalidArgument):
    """Invalid scheduling input (a template, a break, a limit, a requirement); the message
    names the field, what was expected and what arrived."""


_CLOCK = re.compile(r"^\s*(\d{1,3}):(\d{2})(?::(\d{2}))?\s*$")
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(h|min|m|s|d)")
_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "min": 60.0, "s": 1.0}


def parse_time(value: object, where: str) -> float:
    """Seconds from a number, a clock time ``"HH:MM[:SS]"`` or a duration ``"8h30m"``.

    >>> parse_time("06:30", "x"), parse_time("8h30m", "x"), parse_time(900, "x")
    (23400.0, 30600.0, 900.0)

    Raises:
        ScheduleInputError: anything else, or a negative number (the message names ``where``).
    """
    if isinstance(value, bool):
        raise ScheduleInputError(f"{where}: expected seconds or a time like '8h30m', got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        clock = _CLOCK.match(value)
        text = value.replace(" ", "")
        if clock:
            h, m, s = clock.groups()
            seconds = int(h) * 3600.0 + int(m) * 60.0 + int(s or 0)
        elif text and _PART.sub("", text) == "":
            seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(text))
        else:
            try:
                seconds = float(text)
            except ValueError:
                msg = f"{where}: expected seconds, a clock time '06:30' or a duration '8h30m'"
                raise ScheduleInputError(f"{msg}, got {value!r}") from None
    else:
        raise ScheduleInputError(f"{where}: expected seconds or a time like '8h30m', got {value!r}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ScheduleInputError(f"{where}: expected a finite time >= 0, got {value!r}")
    return seconds


@dataclass(frozen=True)
class BreakRule:
    """A break every shift of a template takes once.

    Attributes:
        name: a label (``"lunch"``, ``"break 1"``), written in the schedule.
        earliest: the earliest start, seconds after the shift's start.
        latest: the latest start, seconds after the shift's start.
        length: seconds.
        paid: a paid break counts in a per-hour cost; an unpaid one (a meal) does not.
        step: start positions tried between ``earliest`` and ``latest`` (default: the
            interval).
    """

    name: str
    earliest: float
    latest: float
    length: float
    paid: bool = True
    step: float | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ScheduleInputError("break name: expected a non-empty name, got ''")
        for attr in ("earliest", "latest", "length"):
            _finite(getattr(self, attr), f"break {self.name!r}: {attr}", positive=attr == "length")
        if self.step is not None:
            _finite(self.step, f"break {self.name!r}: step", positive=True)
        if self.latest < self.earliest:
            msg = f"break {self.name!r}: latest ({self.latest:g} s) is before earliest"
            raise ScheduleInputError(f"{msg} ({self.earliest:g} s): expected latest >= earliest")


@dataclass(frozen=True)
class ShiftTemplate:
    """A kind of shift: start window, length, breaks, cost, kind and how many may be used.

    Attributes:
        name: unique among the templates.
        earliest_start, latest_start: the start window, seconds from the start of each day
            (of the horizon when ``Limits.day_length`` is not set).
        step: seconds between the starts tried (default: the interval).
        length: seconds from login to logout, breaks included.
        breaks: taken in this order, each wholly inside the shift, none overlapping the next.
        cost_per_shift: cost of one shift.
        cost_per_hour: added per paid hour (the length less the unpaid breaks).
        kind: ``"full_time"`` or ``"part_time"`` (for the limits).
        min_count, max_count: how many shifts of this template the schedule uses, in total.
    """

    name: str
    earliest_start: float
    latest_start: float
    length: float
    step: float | None = None
    breaks: tuple[BreakRule, ...] = ()
    cost_per_shift: float = 0.0
    cost_per_hour: float = 0.0
    kind: Kind = "full_time"
    min_count: int = 0
    max_count: int | None = None

    def __post_init__(self) -> None:
        at = f"template {self.name!r}"
        if not self.name:
            raise ScheduleInputError("template name: expected a non-empty name, got ''")
        _finite(self.earliest_start, f"{at}: earliest_start")
        _finite(self.latest_start, f"{at}: latest_start")
        _finite(self.length, f"{at}: length", positive=True)
        if self.step is not None:
            _finite(self.step, f"{at}: step", positive=True)
        _finite(self.cost_per_shift, f"{at}: cost_per_shift")
        _finite(self.cost_per_hour, f"{at}: cost_per_hour")
        if self.latest_start < self.earliest_start:
            msg = f"{at}: latest_start ({self.latest_start:g} s) is before earliest_start"
            raise ScheduleInputError(f"{msg} ({self.earliest_start:g} s)")
        if self.kind not in ("full_time", "part_time"):
            msg = f"{at}: kind: expected 'full_time' or 'part_time', got {self.kind!r}"
            raise ScheduleInputError(msg)
        if isinstance(self.min_count, bool) or not isinstance(self.min_count, int):
            raise ScheduleInputError(
                f"{at}: min_count: expected an integer, got {self.min_count!r}"
            )
        if self.min_count < 0:
            raise ScheduleInputError(f"{at}: min_count: expected >= 0, got {self.min_count}")
        if self.max_count is not None and (
            isinstance(self.max_count, bool)
            or not isinstance(self.max_count, int)
            or self.max_count < self.min_count
        ):
            msg = f"{at}: max_count: expected an integer >= min_count ({self.min_count})"
            raise ScheduleInputError(f"{msg}, got {self.max_count!r}")
        for b, brk in enumerate(self.breaks):
            if brk.latest + brk.length > self.length:
                msg = f"{at}: breaks[{b}] ({brk.name!r}) may end at {brk.latest:g} + {brk.length:g}"
                raise ScheduleInputError(
                    f"{msg} s, after the shift's length ({self.length:g} s): "
                    "expected latest + length <= length"
                )
            if b and brk.latest < self.breaks[b - 1].earliest + self.breaks[b - 1].length:
                prev = self.breaks[b - 1]
                raise ScheduleInputError(
                    f"{at}: breaks[{b}] ({brk.name!r}) cannot start after breaks[{b - 1}] "
                    f"({prev.name!r}) ends: its latest start {brk.latest:g} s is before "
                    f"{prev.earliest:g} + {prev.length:g} s"
                )

    @property
    def paid_seconds(self) -> float:
        """The length less the unpaid breaks."""
        return self.length - sum(b.length for b in self.breaks if not b.paid)

    @property
    def cost(self) -> float:
        """The cost of one shift: ``cost_per_shift + cost_per_hour × paid hours``."""
        return self.cost_per_shift + self.cost_per_hour * self.paid_seconds / 3600.0

    def starts(self, step: float | None = None) -> list[float]:
        """The start times tried within one day (``step``: used when the template has none)."""
        every = self.step if self.step is not None else step
        if every is None:
            every = max(self.latest_start - self.earliest_start, 1.0)
        count = math.floor((self.latest_start - self.earliest_start) / every + 1e-9)
        return [float(self.earliest_start + k * every) for k in range(count + 1)]


@dataclass(frozen=True)
class RosterRules:
    """Weekly rest rules: each agent works at most ``max_work_days`` of the horizon's days
    (a week with ``Limits.day_length = 86400``), the days off together when
    ``consecutive_days_off`` (cyclically: Sunday and Monday are consecutive).

    Attributes:
        max_work_days: days worked per agent, at most.
        consecutive_days_off: the days off form one block.
        cost_per_agent: added per agent rostered (a weekly salary); 0: shifts' costs only.
        max_agents: the headcount available (``None``: no limit); too few agents leave
            intervals short, reported like any other shortfall.
        min_rest_hours: the least rest, in hours, between the end of an agent's shift on one
            day and the start of its shift on the next (11: the EU's minimum daily rest);
            across the week's wrap too (Sunday to Monday, as the days off). ``None`` (the
            default): not checked, as before this rule existed, because the right figure is
            a contract's or a country's, and a default would silently change every roster.
            Shifts a day off apart are not checked (they are more than 24 h minus a shift's
            length apart).
        max_consecutive_days: most days worked in a row (cyclically), ``None``: no limit;
            with ``consecutive_days_off`` the days worked are always in one run.
    """

    max_work_days: int = 5
    consecutive_days_off: bool = True
    cost_per_agent: float = 0.0
    max_agents: int | None = None
    min_rest_hours: float | None = None
    max_consecutive_days: int | None = None

    def __post_init__(self) -> None:
        for name in ("max_work_days", "max_agents", "max_consecutive_days"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 1):  # fmt: skip
                raise ScheduleInputError(f"roster: {name}: expected an integer >= 1, got {value!r}")
        _finite(self.cost_per_agent, "roster: cost_per_agent")
        rest = self.min_rest_hours
        if rest is not None:
            if isinstance(rest, bool) or not isinstance(rest, int | float):
                msg = f"roster: min_rest_hours: expected a number of hours or None, got {rest!r}"
                raise ScheduleInputError(msg)
            if not (math.isfinite(rest) and 0 < rest <= 48):
                msg = f"roster: min_rest_hours: expected hours in (0, 48], got {rest!r}"
                raise ScheduleInputError(msg)


@dataclass(frozen=True)
class Limits:
    """Limits over the whole schedule.

    Attributes:
        max_part_time_share: part-time shifts at most this share of all shifts, in [0, 1].
        max_part_time: at most this many part-time shifts.
        min_full_time: at least this many full-time shifts.
        day_length: templates' start windows repeat every ``day_length`` seconds (a week of
            requirements with ``86400``); ``None``: one window over the whole horizon.
        roster: weekly rest rules; the schedule then also assigns the shifts to agents.
    """

    max_part_time_share: float | None = None
    max_part_time: int | None = None
    min_full_time: int = 0
    day_length: float | None = None
    roster: RosterRules | None = None

    def __post_init__(self) -> None:
        share = self.max_part_time_share
        if share is not None and not (0.0 <= share <= 1.0):
            raise ScheduleInputError(
                f"limits: max_part_time_share: expected in [0, 1], got {share}"
            )
        for name in ("max_part_time", "min_full_time"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 0):  # fmt: skip
                raise ScheduleInputError(f"limits: {name}: expected an integer >= 0, got {value!r}")
        if self.day_length is not None:
            _finite(self.day_length, "limits: day_length", positive=True)


def _finite(value: object, where: str, *, positive: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScheduleInputError(f"{where}: expected a finite number of seconds, got {value!r}")
    if value < 0 or (positive and value == 0):
        expected = "> 0" if positive else ">= 0"
        raise ScheduleInputError(f"{where}: expected {expected}, got {value!r}")


_TEMPLATE_KEYS = {"name", "earliest_start", "latest_start", "start", "step", "length", "breaks",
                  "cost_per_shift", "cost_per_hour", "kind", "min_count", "max_count"}  # fmt: skip
_BREAK_KEYS = {"name", "earliest", "latest", "length", "paid", "step"}
_LIMIT_KEYS = {"max_part_time_share", "max_part_time", "min_full_time", "day_length"}
_ROSTER_KEYS = {"max_work_days", "consecutive_days_off", "cost_per_agent", "max_agents",
                "min_rest_hours", "max_consecutive_days"}  # fmt: skip


def _unknown(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise ScheduleInputError(f"{where}: unknown field(s) {extra} (expected {sorted(allowed)})")


def _break_from(data: Mapping[str, Any], where: str) -> BreakRule:
    _unknown(data, _BREAK_KEYS, where)
    for key in ("earliest", "latest", "length"):
        if key not in data:
            raise ScheduleInputError(f"{where}: missing field {key!r}")
    return BreakRule(
        name=str(data.get("name", "break")),
        earliest=parse_time(data["earliest"], f"{where}.earliest"),
        latest=parse_time(data["latest"], f"{where}.latest"),
        length=parse_time(data["length"], f"{where}.length"),
        paid=bool(data.get("paid", True)),
        step=parse_time(data["step"], f"{where}.step") if "step" in data else None,
    )


def _template_from(data: Mapping[str, Any], where: str) -> ShiftTemplate:
    _unknown(data, _TEMPLATE_KEYS, where)
    if "name" not in data or "length" not in data:
        raise ScheduleInputError(f"{where}: expected the fields 'name' and 'length'")
    if "start" in data:  # one fixed start
        earliest = latest = parse_time(data["start"], f"{where}.start")
    else:
        if "earliest_start" not in data:
            raise ScheduleInputError(f"{where}: expected 'start' or 'earliest_start'")
        earliest = parse_time(data["earliest_start"], f"{where}.earliest_start")
        latest = parse_time(
            data.get("latest_start", data["earliest_start"]), f"{where}.latest_start"
        )
    raw_breaks = data.get("breaks", [])
    if not isinstance(raw_breaks, Sequence) or isinstance(raw_breaks, str):
        raise ScheduleInputError(f"{where}.breaks: expected a list of tables")
    return ShiftTemplate(
        name=str(data["name"]),
        earliest_start=earliest,
        latest_start=latest,
        step=parse_time(data["step"], f"{where}.step") if "step" in data else None,
        length=parse_time(data["length"], f"{where}.length"),
        breaks=tuple(_break_from(b, f"{where}.breaks[{k}]") for k, b in enumerate(raw_breaks)),
        cost_per_shift=float(data.get("cost_per_shift", 0.0)),
        cost_per_hour=float(data.get("cost_per_hour", 0.0)),
        kind=data.get("kind", "full_time"),
        min_count=data.get("min_count", 0),
        max_count=data.get("max_count"),
    )


def _hours(value: object, where: str) -> float | None:
    """Hours from a number (``11``) or a duration (``"11h"``, ``"10h30m"``); ``None`` stays."""
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    if isinstance(value, str):
        try:
            return float(value)  # a bare number is hours here, not seconds
        except ValueError:
            return parse_time(value, where) / 3600.0
    raise ScheduleInputError(f"{where}: expected hours (11) or a duration ('11h'), got {value!r}")


def templates_from_dict(data: Mapping[str, Any]) -> tuple[list[ShiftTemplate], Limits]:
    """Templates and limits from a parsed TOML/JSON document (``[[templates]]``, ``[limits]``,
    ``[roster]``: :class:`RosterRules`, which sets ``day_length`` to a day unless given).

    Raises:
        ScheduleInputError: a missing, unknown or invalid field (the message names it), or
            two templates with one name.
    """
    _unknown(data, {"templates", "limits", "roster"}, "templates file")
    raw = data.get("templates")
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        raise ScheduleInputError("templates: expected at least one [[templates]] table")
    templates = [_template_from(t, f"templates[{k}]") for k, t in enumerate(raw)]
    seen: set[str] = set()
    for k, t in enumerate(templates):
        if t.name in seen:
            raise ScheduleInputError(f"templates[{k}].name: duplicate template name {t.name!r}")
        seen.add(t.name)
    limits_raw = data.get("limits", {})
    _unknown(limits_raw, _LIMIT_KEYS, "limits")
    day = limits_raw.get("day_length")
    roster = None
    if "roster" in data:
        raw_roster = data["roster"]
        _unknown(raw_roster, _ROSTER_KEYS, "roster")
        roster = RosterRules(
            max_work_days=raw_roster.get("max_work_days", 5),
            consecutive_days_off=bool(raw_roster.get("consecutive_days_off", True)),
            cost_per_agent=float(raw_roster.get("cost_per_agent", 0.0)),
            max_agents=raw_roster.get("max_agents"),
            min_rest_hours=_hours(raw_roster.get("min_rest_hours"), "roster.min_rest_hours"),
            max_consecutive_days=raw_roster.get("max_consecutive_days"),
        )
        day = day if day is not None else 86400.0
    limits = Limits(
        max_part_time_share=limits_raw.get("max_part_time_share"),
        max_part_time=limits_raw.get("max_part_time"),
        min_full_time=limits_raw.get("min_full_time", 0),
        day_length=None if day is None else parse_time(day, "limits.day_length"),
        roster=roster,
    )
    return templates, limits
