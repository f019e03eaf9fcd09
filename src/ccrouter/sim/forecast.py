"""From a forecast to a scenario: volume and handle time per interval per call type.

A forecast is a CSV file with a header and one row per interval and call type:

- ``interval_start``: a clock time (``07:30``, ``07:30:00``) or seconds (``27000``);
- ``call_type``: the call type's name (optional: without the column, every row is one call
  type, named by ``call_type=`` or taken from the template);
- ``calls``: the calls offered in the interval (>= 0);
- ``aht``: their average handle time in seconds (> 0).

Header aliases: ``start``/``interval``/``time``, ``type``/``queue``, ``volume``/``offered``,
``handle_time`` (case and spaces ignored; other columns ignored). The interval is the smallest
step between starts (or given; one hour for a forecast of one interval); every start must fall
on that grid. Scenario time 0 is the
first interval's start: a forecast from 07:00 to 19:00 in half hours becomes a 12-hour horizon
of 24 intervals. A call type missing from an interval has no calls there.

:func:`scenario_from_forecast` turns it into a :class:`~ccrouter.sim.scenario.Scenario`: each
call type takes its other settings (queue, skills, handle-time distribution, patience,
self-service...) from the template's call type of the same name, its arrivals become Poisson
with the forecast's rate per interval, and its ``handle_means`` the forecast's AHT per interval
(the template's handle distribution keeps its shape, scaled to each interval's mean). Agent
groups, router configuration, targets and campaigns come from the template; ``agents``
overrides headcounts.

>>> f = read_forecast([("07:00", "voice", 30, 240), ("07:30", "voice", 60, 300)])
>>> f.interval, f.n_intervals, f.calls["voice"], f.aht["voice"]
(1800.0, 2, [30.0, 60.0], [240.0, 300.0])
>>> s = scenario_from_forecast(f, agents={"agents": 8})
>>> s.horizon, s.call_types[0].arrivals.rates_per_hour, s.call_types[0].handle_means
(3600.0, [60.0, 120.0], [240.0, 300.0])
>>> read_forecast([("07:00", "voice", 30, 0)])
Traceback (most recent call last):
...
ccrouter.sim.forecast.ForecastError: rows: row 1, column 'aht': expected a number > 0, got 0
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from ccrouter.errors import InvalidArgument
from ccrouter.sim.scenario import Scenario, ScenarioError
from ccrouter.staffing.tables import COLUMNS as TABLE_COLUMNS
from ccrouter.staffing.tables import forecast_text, header_index, parse_number

__all__ = [
    "COLUMNS",
    "Forecast",
    "ForecastError",
    "load_template",
    "read_forecast",
    "scenario_from_forecast",
]

COLUMNS: dict[str, tuple[str, ...]] = {
    "interval_start": TABLE_COLUMNS["interval_start"],
    "call_type": ("call_type", "type", "queue"),
    "calls": TABLE_COLUMNS["calls"],
    "aht": TABLE_COLUMNS["aht"],
}
"""Forecast columns and the header names accepted for each (case and spaces ignored);
``call_type`` may be absent."""

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


class ForecastError(InvalidArgument):
    """A forecast that cannot be read; the message names the file, row and column."""


@dataclass(frozen=True, slots=True)
class Forecast:
    """Calls and AHT per interval per call type, on a regular grid from ``origin``.

    Attributes:
        origin: the first interval's start, in seconds (from midnight for clock times).
        interval: the interval length in seconds.
        calls: call type → calls per interval (0 where the forecast has no row).
        aht: call type → AHT per interval (where there is no row: the call type's
            volume-weighted mean AHT).
    """

    origin: float
    interval: float
    calls: dict[str, list[float]]
    aht: dict[str, list[float]]

    @property
    def n_intervals(self) -> int:
        return len(next(iter(self.calls.values())))


def _seconds(text: str, where: str) -> float:
    clock = _CLOCK.match(text.strip())
    if clock:
        h, m, s = clock.groups()
        if int(m) > 59 or int(s or 0) > 59:
            raise ForecastError(f"{where}, column 'interval_start': not a clock time: {text!r}")
        return int(h) * 3600.0 + int(m) * 60.0 + int(s or 0)
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        msg = (
            f"{where}, column 'interval_start': expected HH:MM, HH:MM:SS or seconds >= 0, "
            f"got {text!r}"
        )
        raise ForecastError(msg)
    return value


def _number(text: object, where: str, column: str, *, positive: bool) -> float:
    return parse_number(text, where, column, positive=positive, error=ForecastError)


def _header(names: Sequence[str], source: str) -> dict[str, int]:
    return header_index(names, source, COLUMNS, optional=("call_type",), error=ForecastError)


Row = tuple[float, str, float, float, str]  # start, call type, calls, aht, where


def _csv_rows(text: str, source: str, call_type: str | None) -> list[Row]:
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        lines = list(reader)
    except csv.Error as exc:
        raise ForecastError(f"{source}: line {reader.line_num}: not valid CSV: {exc}") from None
    if not lines:
        raise ForecastError(f"{source}: empty file (expected a header line and rows)")
    index = _header(lines[0], source)
    rows: list[Row] = []
    for line, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        where = f"{source}: row {len(rows) + 1} (line {line})"
        if len(cells) <= max(index.values()):
            missing = next(c for c, i in index.items() if i >= len(cells))
            raise ForecastError(f"{where}, column '{missing}': missing value")
        name = cells[index["call_type"]].strip() if "call_type" in index else (call_type or "")
        if "call_type" in index and not name:
            raise ForecastError(f"{where}, column 'call_type': empty")
        rows.append(
            (
                _seconds(cells[index["interval_start"]], where),
                name,
                _number(cells[index["calls"]], where, "calls", positive=False),
                _number(cells[index["aht"]], where, "aht", positive=True),
                where,
            )
        )
    if not rows:
        raise ForecastError(f"{source}: no rows after the header")
    return rows


def _given_rows(items: Iterable[Any], call_type: str | None) -> list[Row]:
    rows: list[Row] = []
    for number, item in enumerate(items, start=1):
        where = f"rows: row {number}"
        if isinstance(item, Mapping):
            missing = [c for c in COLUMNS if c != "call_type" and c not in item]
            if missing:
                raise ForecastError(f"{where}, column '{missing[0]}': missing")
            values = [item["interval_start"], item.get("call_type", call_type or "")]
            values += [item["calls"], item["aht"]]
        elif isinstance(item, Sequence) and not isinstance(item, str) and len(item) in (3, 4):
            values = list(item) if len(item) == 4 else [item[0], call_type or "", *item[1:]]
        else:
            msg = (
                f"{where}: expected (interval_start, [call_type,] calls, aht) or a mapping, "
                f"got {item!r}"
            )
            raise ForecastError(msg)
        start = values[0]
        seconds = float(start) if isinstance(start, int | float) else _seconds(str(start), where)
        rows.append(
            (
                seconds,
                str(values[1]),
                _number(values[2], where, "calls", positive=False),
                _number(values[3], where, "aht", positive=True),
                where,
            )
        )
    if not rows:
        raise ForecastError("rows: the forecast is empty")
    return rows


def read_forecast(
    source: str | os.PathLike[str] | Iterable[Any],
    *,
    call_type: str | None = None,
    interval: float | None = None,
) -> Forecast:
    """Read and check a forecast (see the module docstring for the columns).

    Args:
        source: a CSV file path, or rows: ``(interval_start, call_type, calls, aht)`` or
            ``(interval_start, calls, aht)`` tuples, or mappings with those keys.
        call_type: the name of the call type of rows without one (a CSV without a
            ``call_type`` column); ``None``: named later after the template's only call type.
        interval: the interval length in seconds (default: the smallest step between starts).

    Returns:
        The forecast on its grid.

    Raises:
        ForecastError: an unreadable file, a missing column, a bad value, a start off the
            grid or a call type given twice for one interval; the message names the file, the
            row (and line) and the column. Also an ``InvalidArgument`` and a ``ValueError``.
    """
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        rows = _csv_rows(forecast_text(path, ForecastError), str(path), call_type)
    else:
        rows = _given_rows(source, call_type)
    starts = sorted({r[0] for r in rows})
    origin = starts[0]
    if interval is None:
        steps = [b - a for a, b in itertools.pairwise(starts)]
        interval = min(steps) if steps else 3600.0
    elif not interval > 0:
        raise ForecastError(f"interval: expected seconds > 0, got {interval!r}")
    n = round((starts[-1] - origin) / interval) + 1
    calls: dict[str, list[float]] = {}
    aht: dict[str, list[float | None]] = {}
    for start, name, volume, handle, where in rows:
        k = (start - origin) / interval
        if abs(k - round(k)) > 1e-6:
            msg = (
                f"{where}, column 'interval_start': {start:g} s is not on the grid of "
                f"{interval:g} s intervals from {origin:g} s"
            )
            raise ForecastError(msg)
        slot = round(k)
        if name not in calls:
            calls[name] = [0.0] * n
            aht[name] = [None] * n
        if aht[name][slot] is not None:
            shown = name or "(unnamed)"
            raise ForecastError(f"{where}: call type {shown} given twice for this interval")
        calls[name][slot] = volume
        aht[name][slot] = handle
    filled: dict[str, list[float]] = {}
    for name, values in aht.items():
        given = [(v, c) for v, c in zip(values, calls[name], strict=True) if v is not None]
        weight = sum(c for _, c in given)
        mean = (
            sum(v * c for v, c in given) / weight
            if weight > 0
            else sum(v for v, _ in given) / len(given)
        )
        filled[name] = [mean if v is None else v for v in values]
    return Forecast(origin=origin, interval=float(interval), calls=calls, aht=filled)


def load_template(path: str | Path) -> dict[str, Any]:
    """A template scenario file as data: a scenario TOML whose ``horizon``, ``interval`` and
    call types' ``arrivals`` may be left out (the forecast gives them).

    Raises:
        ScenarioError: unreadable or not TOML.
    """
    path = Path(path)
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"cannot read template {path}: {exc}") from None
    return data


def _headcount(group: dict[str, Any], n: int, agents: Mapping[str, Any]) -> dict[str, Any]:
    name = str(group.get("name"))
    if name in agents:
        value = agents[name]
        counts = [int(value)] if isinstance(value, int) else [int(v) for v in value]
        out = {**group, "headcount": counts}
        out.pop("shifts", None)
        return out
    given = group.get("headcount")
    if isinstance(given, list) and len(given) not in (1, n):
        msg = (
            f"agent group {name!r}: the template has {len(given)} headcounts, "
            f"the forecast {n} intervals; give its headcount (agents={{{name!r}: N}}, "
            f"or --agents {name}=N)"
        )
        raise ForecastError(msg)
    return group


def scenario_from_forecast(
    forecast: Forecast,
    template: Scenario | Mapping[str, Any] | str | Path | None = None,
    *,
    agents: Mapping[str, int | Sequence[int]] | None = None,
    name: str | None = None,
) -> Scenario:
    """A scenario with the forecast's demand and the template's everything else.

    Args:
        forecast: from :func:`read_forecast`.
        template: the scenario giving agent groups, router configuration, targets,
            campaigns, and each call type's other settings (matched by name; a forecast
            without call type names uses the template's only call type): a
            :class:`Scenario`, its data, or a TOML file (where ``horizon``, ``interval`` and
            the call types' ``arrivals`` may be left out). ``None``: one agent group
            ``agents``, exponential handle times, no patience, the default router.
        agents: headcount per agent group (one value, or one per interval), replacing the
            template's headcount or shifts for those groups.
        name: the scenario's name (default: the template's).

    Returns:
        The validated scenario: horizon = the forecast's intervals, interval = its step.

    Raises:
        ForecastError: a forecast call type the template does not have, a group whose
            headcount does not fit the forecast's intervals, or an unknown group in ``agents``.
        ScenarioError: the result is not a valid scenario (the message names the field).
    """
    agents = dict(agents or {})
    n = forecast.n_intervals
    base_dir: Path | None = None
    if template is None:
        data: dict[str, Any] = {
            "call_types": [{"name": "calls", "handle": {"kind": "exponential", "mean": 1.0}}],
            "agent_groups": [{"name": "agents", "headcount": [0]}],
        }
        by_name = dict.fromkeys(forecast.calls, data["call_types"][0])
    else:
        if isinstance(template, Scenario):
            data = msgspec.to_builtins(template)
        elif isinstance(template, Mapping):
            data = dict(template)
        else:
            data = load_template(template)
            base_dir = Path(template).parent
        models = {ct.get("name"): ct for ct in data.get("call_types", [])}
        by_name = {}
        for ct_name in forecast.calls:
            if ct_name in models:
                by_name[ct_name] = models[ct_name]
            elif ct_name == "" and len(models) == 1:
                by_name[ct_name] = next(iter(models.values()))
            else:
                known = ", ".join(sorted(str(k) for k in models)) or "none"
                shown = repr(ct_name) if ct_name else "(unnamed: no call_type column)"
                msg = (
                    f"forecast call type {shown} is not a call type of the template ({known}); "
                    "name it with call_type= (--call-type)"
                )
                raise ForecastError(msg)
    groups = [g for g in data.get("agent_groups", []) if isinstance(g, dict)]
    unknown = sorted(set(agents) - {g.get("name") for g in groups})
    if unknown:
        known = ", ".join(str(g.get("name")) for g in groups)
        raise ForecastError(f"agents: unknown agent group {unknown[0]!r} (known: {known})")
    call_types = []
    for ct_name, volumes in forecast.calls.items():
        model = by_name[ct_name]
        means = forecast.aht[ct_name]
        call = {
            **model,
            "name": ct_name or model.get("name"),
            "arrivals": {
                "kind": "poisson",
                "rates_per_hour": [v * 3600.0 / forecast.interval for v in volumes],
            },
            "handle_means": [means[0]] if len(set(means)) == 1 else list(means),
        }
        call.setdefault("handle", {"kind": "exponential", "mean": 1.0})
        call_types.append(call)
    data = {
        **data,
        "horizon": forecast.interval * n,
        "interval": forecast.interval,
        "origin": forecast.origin % 86400.0,
        "call_types": call_types,
        "agent_groups": [_headcount(g, n, agents) for g in groups],
    }
    if name is not None:
        data["name"] = name
    try:
        return Scenario.from_dict(data, base_dir=base_dir)
    except ScenarioError as exc:
        raise ScenarioError(f"{exc} (the scenario built from the forecast)") from None
