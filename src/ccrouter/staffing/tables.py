"""Intraday staffing: from an interval forecast to required and scheduled agents.

A forecast is a CSV file (or rows) with one line per interval: its start, the calls offered and
the average handle time in seconds. :func:`staffing_table` sizes every interval with Erlang C
(a service-level or an ASA goal) or Erlang A (a service-level goal and/or an abandonment cap,
given a mean patience), applies an occupancy cap and shrinkage, and returns a
:class:`StaffingTable` that prints, exports to CSV and plots to PNG.

>>> table = staffing_table(
...     [("08:00", 120, 240), ("08:30", 300, 240)], level=0.8, target=20, shrinkage=0.3
... )
>>> table.agents.tolist(), table.scheduled.tolist()
([20, 46], [29, 66])
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any, NamedTuple

import attrs
import numpy as np
from numpy.typing import NDArray

from ccrouter.errors import InvalidArgument
from ccrouter.staffing import erlang

__all__ = [
    "COLUMNS",
    "ForecastRow",
    "StaffingTable",
    "forecast_text",
    "header_index",
    "infer_interval",
    "parse_number",
    "read_forecast",
    "scheduled_agents",
    "staffing_table",
]

COLUMNS = {
    "interval_start": ("interval_start", "start", "interval", "time"),
    "calls": ("calls", "volume", "offered"),
    "aht": ("aht", "handle_time"),
}
"""Forecast columns and the header names accepted for each (case and spaces ignored)."""

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


class ForecastRow(NamedTuple):
    """One interval of a forecast."""

    interval_start: str
    """The interval's label as written (``08:30`` or ``2024-03-04T08:30``)."""
    calls: float
    """Calls offered in the interval (>= 0)."""
    aht: float
    """Average handle time in seconds (> 0)."""


def parse_number(
    text: object,
    where: str,
    column: str,
    *,
    positive: bool,
    error: type[InvalidArgument] = InvalidArgument,
) -> float:
    """A forecast cell as a number ``>= 0`` (``> 0`` when ``positive``); else ``error`` naming
    ``where`` (file, row and line) and the column. Shared by every forecast reader."""
    bound = "> 0" if positive else ">= 0"
    try:
        value = float(str(text).strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise error(f"{where}, column '{column}': expected a number {bound}, got {text!r}")
    return value


def forecast_text(path: Path, error: type[InvalidArgument] = InvalidArgument) -> str:
    """A forecast file's text (UTF-8, a byte-order mark ignored); else ``error`` saying why.
    Shared by every forecast reader."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise error(f"{path}: cannot read the forecast: {reason}") from None


def header_index(
    names: Sequence[str],
    source: str,
    columns: Mapping[str, tuple[str, ...]] = COLUMNS,
    *,
    optional: Collection[str] = (),
    error: type[InvalidArgument] = InvalidArgument,
) -> dict[str, int]:
    """Where each of ``columns`` is in a header row (by any of its names, case and spaces
    ignored); a missing column not in ``optional`` is ``error``, naming what was found."""
    found = {name.strip().lower().replace(" ", "_"): i for i, name in enumerate(names)}
    index: dict[str, int] = {}
    for column, aliases in columns.items():
        hit = next((found[a] for a in aliases if a in found), None)
        if hit is not None:
            index[column] = hit
        elif column not in optional:
            have = ", ".join(n.strip() for n in names) or "nothing"
            raise error(f"{source}: line 1 (header): missing column '{column}' (found: {have})")
    return index


def _parse_rows(cells: Iterable[Sequence[str]], source: str) -> list[ForecastRow]:
    lines = iter(cells)
    first = next(lines, None)
    if first is None:
        raise InvalidArgument(f"{source}: empty file (expected a header line and rows)")
    index = header_index(first, source)
    rows: list[ForecastRow] = []
    for line, cell in enumerate(lines, start=2):
        if not any(c.strip() for c in cell):
            continue
        where = f"{source}: row {len(rows) + 1} (line {line})"
        if len(cell) <= max(index.values()):
            missing = next(c for c, i in index.items() if i >= len(cell))
            raise InvalidArgument(f"{where}, column '{missing}': missing value")
        start = cell[index["interval_start"]].strip()
        if not start:
            raise InvalidArgument(f"{where}, column 'interval_start': empty")
        calls = parse_number(cell[index["calls"]], where, "calls", positive=False)
        aht = parse_number(cell[index["aht"]], where, "aht", positive=True)
        rows.append(ForecastRow(start, calls, aht))
    if not rows:
        raise InvalidArgument(f"{source}: no rows after the header")
    return rows


def read_forecast(
    source: str | os.PathLike[str] | Iterable[Sequence[Any] | Mapping[str, Any]],
) -> list[ForecastRow]:
    """Read and validate a forecast.

    Args:
        source: A CSV file path with a header naming the columns ``interval_start``, ``calls``
            and ``aht`` (aliases in :data:`COLUMNS`; other columns are ignored), or rows: each a
            ``(interval_start, calls, aht)`` sequence or a mapping with those keys.

    Returns:
        The rows, in order.

    Raises:
        InvalidArgument: An unreadable or empty file, a missing column, or a bad value; the
            message names the file, the row (and line) and the column.

    >>> read_forecast([("08:00", "120", 240)])
    [ForecastRow(interval_start='08:00', calls=120.0, aht=240.0)]
    >>> read_forecast([("08:00", -1, 240)])
    Traceback (most recent call last):
    ...
    ccrouter.errors.InvalidArgument: rows: row 1, column 'calls': expected a number >= 0, got -1
    """
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        text = forecast_text(path)
        if "\x00" in text:
            raise InvalidArgument(f"{path}: not a CSV text file (found NUL bytes)")
        reader = csv.reader(io.StringIO(text), strict=True)
        try:
            return _parse_rows(reader, str(path))
        except csv.Error as exc:
            msg = f"{path}: line {reader.line_num}: not a valid CSV file: {exc}"
            raise InvalidArgument(msg) from None
    rows: list[ForecastRow] = []
    for number, item in enumerate(source, start=1):
        where = f"rows: row {number}"
        if isinstance(item, Mapping):
            missing = [c for c in COLUMNS if c not in item]
            if missing:
                raise InvalidArgument(f"{where}, column '{missing[0]}': missing")
            values = [item[c] for c in COLUMNS]
        elif isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 3:
            values = list(item)
        else:
            msg = f"{where}: expected (interval_start, calls, aht) or a mapping, got {item!r}"
            raise InvalidArgument(msg)
        calls = parse_number(values[1], where, "calls", positive=False)
        aht = parse_number(values[2], where, "aht", positive=True)
        rows.append(ForecastRow(str(values[0]), calls, aht))
    if not rows:
        raise InvalidArgument("rows: the forecast is empty")
    return rows


def _seconds(label: str) -> float | None:
    clock = _CLOCK.match(label.strip())
    if clock:
        h, m, s = clock.groups()
        return int(h) * 3600.0 + int(m) * 60.0 + int(s or 0)
    try:
        moment = datetime.fromisoformat(label.strip())
    except ValueError:
        return None
    # Wall-clock difference from a fixed origin in the label's own zone: no local-time or DST
    # guesses for naive labels.
    return (moment - datetime(1970, 1, 1, tzinfo=moment.tzinfo)).total_seconds()


def infer_interval(starts: Sequence[str]) -> float | None:
    """The interval length in seconds: the smallest positive step between consecutive starts.

    Starts are clock times (``08:30``) or ISO dates and times. Returns ``None`` when fewer than
    two starts parse, or none is later than the one before.

    >>> infer_interval(["08:00", "08:15", "08:30"])
    900.0
    >>> infer_interval(["Monday 8h"]) is None
    True
    """
    times = [_seconds(s) for s in starts]
    steps = [b - a for a, b in itertools.pairwise(times) if a is not None and b is not None]
    positive = [s for s in steps if s > 0]
    return min(positive) if positive else None


def scheduled_agents(agents: NDArray[np.int64], shrinkage: float) -> NDArray[np.int64]:
    """Agents to schedule so that ``agents`` remain after shrinkage.

    The smallest ``s`` with ``s·(1 − shrinkage) >= agents``, compared with a 1e-9 relative
    tolerance so that a decimal shrinkage (0.3 is not exact in binary) never adds an agent.

    Args:
        agents: Required (productive) agents.
        shrinkage: Fraction of scheduled time lost to breaks, training, absence: in [0, 1).

    Returns:
        Scheduled agents, same shape.

    >>> scheduled_agents(np.array([7, 10, 0]), 0.3).tolist()
    [10, 15, 0]
    """
    keep = 1.0 - shrinkage
    guess = np.ceil(agents / keep).astype(np.int64)
    lower = np.maximum(guess - 1, 0)
    fits = lower * keep >= agents * (1.0 - 1e-9)
    return np.where(fits, lower, guess)


_FLOAT_COLUMNS = ("calls", "aht", "traffic", "service_level", "asa", "occupancy", "p_wait")


@attrs.frozen(eq=False)
class StaffingTable:
    """Per-interval requirements. Columns are numpy arrays of one length.

    ``agents`` are the productive agents the targets need; ``scheduled`` adds shrinkage. The
    achieved ``service_level``, ``asa``, ``occupancy``, ``p_wait`` (and ``abandon`` with
    Erlang A) are those of ``agents``.
    """

    interval_start: list[str]
    calls: NDArray[np.float64]
    aht: NDArray[np.float64]
    traffic: NDArray[np.float64]
    agents: NDArray[np.int64]
    scheduled: NDArray[np.int64]
    service_level: NDArray[np.float64]
    asa: NDArray[np.float64]
    occupancy: NDArray[np.float64]
    p_wait: NDArray[np.float64]
    abandon: NDArray[np.float64] | None
    interval: float
    """Interval length in seconds."""
    targets: dict[str, float]
    """The goals used (``level``, ``target``, ``asa``, ``patience``, ``max_abandon``, …)."""
    method: str
    """``"erlang_c"`` or ``"erlang_a"``."""

    def __len__(self) -> int:
        return len(self.interval_start)

    @property
    def columns(self) -> list[str]:
        """Column names in export order."""
        names = ["interval_start", "calls", "aht", "traffic", "agents", "scheduled"]
        names += ["service_level", "asa", "occupancy", "p_wait"]
        return names + (["abandon"] if self.abandon is not None else [])

    def rows(self) -> list[dict[str, Any]]:
        """One dict per interval, Python scalars (JSON-able)."""
        cols = {name: getattr(self, name) for name in self.columns}
        return [
            {name: (v[i] if name == "interval_start" else v[i].item()) for name, v in cols.items()}
            for i in range(len(self))
        ]

    def agent_hours(self) -> tuple[float, float]:
        """(required, scheduled) agent-hours over the whole forecast."""
        hours = self.interval / 3600.0
        return float(self.agents.sum() * hours), float(self.scheduled.sum() * hours)

    def to_csv(self, target: str | os.PathLike[str] | IO[str]) -> None:
        """Write the table as CSV (header, then one line per interval).

        Args:
            target: A path or an open text file.
        """
        if isinstance(target, str | os.PathLike):
            with open(target, "w", newline="", encoding="utf-8") as f:
                self.to_csv(f)
            return
        writer = csv.writer(target, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows():
            writer.writerow(
                f"{v:.6g}" if k in _FLOAT_COLUMNS or k == "abandon" else v for k, v in row.items()
            )

    def format(self) -> str:
        """The table as aligned text, with a line of totals."""
        heads = ["start", "calls", "aht", "erlangs", "agents", "sched", "SL", "ASA", "occ"]
        if self.abandon is not None:
            heads.append("aband")
        lines = []
        for i in range(len(self)):
            cells = [
                self.interval_start[i],
                f"{self.calls[i]:g}",
                f"{self.aht[i]:g}",
                f"{self.traffic[i]:.2f}",
                str(self.agents[i]),
                str(self.scheduled[i]),
                f"{self.service_level[i]:.1%}",
                f"{self.asa[i]:.1f}",
                f"{self.occupancy[i]:.1%}",
            ]
            if self.abandon is not None:
                cells.append(f"{self.abandon[i]:.1%}")
            lines.append(cells)
        widths = [max(len(h), *(len(r[j]) for r in lines)) for j, h in enumerate(heads)]

        def fmt(cells: list[str]) -> str:
            first = cells[0].ljust(widths[0])
            return "  ".join(
                [first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))]
            )

        required, scheduled = self.agent_hours()
        total = f"agent-hours: {required:g} required, {scheduled:g} scheduled"
        return "\n".join([fmt(heads), *(fmt(r) for r in lines), total])

    def to_pandas(self) -> Any:
        """The table as a ``pandas.DataFrame`` (needs the ``pandas`` extra).

        Raises:
            ImportError: pandas is not installed (``pip install 'ccrouter[pandas]'``).
        """
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - pandas is in the dev group
            msg = "StaffingTable.to_pandas needs pandas: pip install 'ccrouter[pandas]'"
            raise ImportError(msg) from exc
        return pd.DataFrame({name: getattr(self, name) for name in self.columns})

    def plot(self, path: str | os.PathLike[str]) -> None:
        """Save a PNG: required and scheduled agents (left axis) and achieved service level
        (right axis) by interval.

        Args:
            path: Where to write the PNG.

        Raises:
            ImportError: matplotlib is not installed (``pip install 'ccrouter[plot]'``).
        """
        try:
            from matplotlib.figure import Figure
        except ImportError as exc:
            msg = "plotting needs matplotlib: pip install 'ccrouter[plot]'"
            raise ImportError(msg) from exc
        # A bare Figure (no pyplot): no global state, no GUI backend, safe in threads and CI.
        fig = Figure(figsize=(max(6.0, 0.25 * len(self) + 2.0), 4.0), layout="constrained")
        ax = fig.add_subplot()
        x = np.arange(len(self))
        ax.step(x, self.scheduled, where="mid", label="scheduled", color="tab:orange")
        ax.step(x, self.agents, where="mid", label="required", color="tab:blue")
        ax.set_ylabel("agents")
        ax.set_ylim(bottom=0)
        every = max(1, len(self) // 12)
        ax.set_xticks(x[::every], [self.interval_start[i] for i in x[::every]], rotation=45)
        ax.set_xlabel("interval start")
        sl_ax = ax.twinx()
        sl_ax.plot(x, self.service_level, "o-", ms=3, color="tab:green", label="service level")
        if "level" in self.targets:
            level = self.targets["level"]
            sl_ax.axhline(level, ls=":", color="tab:green", label=f"goal {level:.0%}")
        sl_ax.set_ylim(0, 1.05)
        sl_ax.set_ylabel(f"answered within {self.targets.get('target', 0):g} s")
        handles = ax.get_legend_handles_labels()
        more = sl_ax.get_legend_handles_labels()
        fig.legend(handles[0] + more[0], handles[1] + more[1], loc="outside lower center", ncols=4)
        ax.set_title(f"Staffing by interval ({self.method.replace('_', ' ').title()})")
        fig.savefig(path, format="png", dpi=110)


def _fraction(name: str, value: float | None, *, allow_zero: bool, allow_one: bool) -> None:
    if value is None:
        return
    low_ok = value >= 0 if allow_zero else value > 0
    high_ok = value <= 1 if allow_one else value < 1
    if not (math.isfinite(value) and low_ok and high_ok):
        span = f"{'[' if allow_zero else '('}0, 1{']' if allow_one else ')'}"
        raise InvalidArgument(f"{name} must be in {span}, got {value!r}")


def staffing_table(
    forecast: str | os.PathLike[str] | Iterable[Sequence[Any] | Mapping[str, Any]],
    *,
    level: float | None = None,
    target: float = 20.0,
    asa: float | None = None,
    patience: float | None = None,
    max_abandon: float | None = None,
    max_occupancy: float = 1.0,
    shrinkage: float = 0.0,
    interval: float | None = None,
) -> StaffingTable:
    """Required and scheduled agents for every interval of a forecast.

    Erlang C (no ``patience``): give ``level`` (with ``target``) or ``asa``. Erlang A (with
    ``patience``): give ``level`` and/or ``max_abandon``. Complexity: O(agents) per interval.

    Args:
        forecast: A CSV path or rows (see :func:`read_forecast`).
        level: Service-level goal: the fraction answered within ``target``, in [0, 1).
        target: Answer-time target in seconds (the service level is reported at it).
        asa: Erlang C only: average-speed-of-answer goal in seconds.
        patience: Mean caller patience in seconds: staff with Erlang A (M/M/N+M).
        max_abandon: Erlang A only: cap on the abandonment probability, in (0, 1].
        max_occupancy: Occupancy cap in (0, 1].
        shrinkage: Fraction of scheduled time not available for calls, in [0, 1).
        interval: Interval length in seconds; by default inferred from the starts.

    Returns:
        A :class:`StaffingTable`.

    Raises:
        InvalidArgument: Bad forecast rows (the message names row and field), missing or
            conflicting goals, or values out of range.
    """
    _fraction("level", level, allow_zero=True, allow_one=False)
    _fraction("max_abandon", max_abandon, allow_zero=False, allow_one=True)
    _fraction("shrinkage", shrinkage, allow_zero=True, allow_one=False)
    if patience is None:
        if (level is None) == (asa is None):
            raise InvalidArgument("Erlang C needs exactly one goal: level (with target) or asa")
        if max_abandon is not None:
            raise InvalidArgument("max_abandon needs patience (Erlang A)")
    else:
        if asa is not None:
            raise InvalidArgument(
                "an ASA goal is for Erlang C; with patience use level/max_abandon"
            )
        if level is None and max_abandon is None:
            raise InvalidArgument("Erlang A needs level (with target) and/or max_abandon")
    rows = read_forecast(forecast)
    starts = [r.interval_start for r in rows]
    if interval is None:
        interval = infer_interval(starts)
        if interval is None:
            msg = (
                "cannot infer the interval length from interval_start (needs two or more times "
                "like 08:30 or 2024-03-04T08:30); pass interval (seconds)"
            )
            raise InvalidArgument(msg)
    if not (math.isfinite(interval) and interval > 0):
        raise InvalidArgument(f"interval must be a number of seconds > 0, got {interval!r}")
    calls = np.array([r.calls for r in rows])
    aht = np.array([r.aht for r in rows])
    traffic = erlang.traffic_from_calls(calls, interval, aht)
    targets: dict[str, float] = {"target": float(target), "max_occupancy": float(max_occupancy)}
    targets |= {"shrinkage": float(shrinkage)}
    abandon = None
    if patience is None:
        req = erlang.erlang_c_requirement(
            traffic, aht, target, level=level, asa=asa, max_occupancy=max_occupancy
        )
        agents, sl, mean_wait, occ, p_wait = (
            req.agents,
            req.service_level,
            req.asa,
            req.occupancy,
            req.p_wait,
        )
        targets |= {"level": level} if level is not None else {"asa": float(asa or 0.0)}
        method = "erlang_c"
    else:
        agents = erlang.agents_for_erlang_a(
            traffic,
            aht,
            patience,
            target,
            0.0 if level is None else level,
            max_abandon=max_abandon,
            max_occupancy=max_occupancy,
        )
        res = erlang.erlang_a(traffic, agents, aht, patience, target)
        sl, mean_wait, occ, p_wait, abandon = (
            res.service_level,
            res.asa,
            res.occupancy,
            res.p_wait,
            res.p_abandon,
        )
        targets |= {"patience": float(patience)}
        targets |= {"level": level} if level is not None else {}
        targets |= {"max_abandon": max_abandon} if max_abandon is not None else {}
        method = "erlang_a"
    return StaffingTable(
        interval_start=starts,
        calls=calls,
        aht=aht,
        traffic=traffic,
        agents=agents,
        scheduled=scheduled_agents(agents, shrinkage),
        service_level=sl,
        asa=mean_wait,
        occupancy=occ,
        p_wait=p_wait,
        abandon=abandon,
        interval=float(interval),
        targets=targets,
        method=method,
    )
