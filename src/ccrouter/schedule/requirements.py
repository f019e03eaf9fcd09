"""Per-interval requirements: agents needed in each interval of the horizon.

They come from a list (an Erlang table's ``agents``, a simulated search), from a
:class:`ccrouter.staffing.StaffingTable`, or from a CSV file such as ``ccrouter staff``
writes (a column of agents, optionally an ``interval_start`` column of labels).

>>> r = Requirements.from_values([2, 3, 0], interval=900)
>>> r.values, r.horizon, r.labels
((2, 3, 0), 2700.0, ('00:00', '00:15', '00:30'))
>>> Requirements.from_values([1, 1], interval=1800, origin=7 * 3600).labels
('07:00', '07:30')
>>> Requirements.from_values([2, -1], interval=900)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ccrouter.schedule.templates.ScheduleInputError: requirements[1]: expected a whole number ... got -1
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ccrouter.schedule.templates import ScheduleInputError
from ccrouter.sim.clock import clock_label
from ccrouter.staffing.tables import infer_interval

if TYPE_CHECKING:
    from ccrouter.staffing.tables import StaffingTable

__all__ = ["REQUIREMENT_COLUMNS", "Requirements", "clock_label"]

REQUIREMENT_COLUMNS = ("required", "requirement", "agents")
"""The columns a requirements CSV is read from by default, the first found."""


_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


def _clock(label: str) -> float | None:
    """Seconds after midnight of a clock time or an ISO date-time label (else ``None``)."""
    m = _CLOCK.match(label)
    if m is None:
        try:
            moment = datetime.fromisoformat(label.strip())
        except ValueError:
            return None
        return moment.hour * 3600.0 + moment.minute * 60.0 + moment.second
    h, mi, sec = m.groups()
    return int(h) * 3600.0 + int(mi) * 60.0 + int(sec or 0)


@dataclass(frozen=True)
class Requirements:
    """Agents needed per interval (whole numbers >= 0), ``interval`` seconds each; ``labels``
    name the intervals (clock times by default).

    Times in a schedule (and in the simulator) count from the first interval's start;
    ``origin`` is that start's clock time (seconds after midnight of the first day: ``07:00``
    is 25200), against which templates' start windows (clock times) are placed.
    """

    values: tuple[int, ...]
    interval: float
    labels: tuple[str, ...]
    origin: float = 0.0

    @property
    def horizon(self) -> float:
        """Seconds covered: intervals × interval length."""
        return len(self.values) * self.interval

    @classmethod
    def from_values(
        cls,
        values: Sequence[float],
        *,
        interval: float,
        labels: Sequence[str] | None = None,
        origin: float = 0.0,
    ) -> Requirements:
        """Check and wrap a list of requirements.

        Raises:
            ScheduleInputError: a negative or fractional value, no value, a bad interval, or
                labels of another length.
        """
        if (
            isinstance(interval, bool)
            or not isinstance(interval, int | float)
            or not (math.isfinite(interval) and interval > 0)
        ):
            raise ScheduleInputError(f"interval: expected seconds > 0, got {interval!r}")
        if len(values) == 0:
            raise ScheduleInputError("requirements: expected at least one interval, got none")
        checked = []
        for k, v in enumerate(values):
            number = float(v)
            if not math.isfinite(number) or number < 0 or number != math.floor(number):
                msg = f"requirements[{k}]: expected a whole number of agents >= 0, got {v!r}"
                raise ScheduleInputError(msg)
            checked.append(int(number))
        if (
            isinstance(origin, bool)
            or not isinstance(origin, int | float)
            or not (math.isfinite(origin) and origin >= 0)
        ):
            raise ScheduleInputError(f"origin: expected seconds >= 0, got {origin!r}")
        if labels is None:
            labels = [clock_label(origin + k * interval) for k in range(len(checked))]
        if len(labels) != len(checked):
            msg = f"labels: expected {len(checked)} (one per interval), got {len(labels)}"
            raise ScheduleInputError(msg)
        return cls(tuple(checked), float(interval), tuple(str(x) for x in labels), float(origin))

    @classmethod
    def from_table(cls, table: StaffingTable, column: str = "agents") -> Requirements:
        """From an Erlang staffing table (``column``: ``"agents"`` or ``"scheduled"``).

        Breaks are placed by the scheduler, so ``agents`` (productive agents) is the usual
        choice; ``scheduled`` adds the table's shrinkage on top.
        """
        if column not in ("agents", "scheduled"):
            raise ScheduleInputError(f"column: expected 'agents' or 'scheduled', got {column!r}")
        values = getattr(table, column).tolist()
        labels = table.interval_start
        origin = _clock(labels[0]) if labels else None
        return cls.from_values(values, interval=table.interval, labels=labels, origin=origin or 0.0)

    @classmethod
    def from_csv(
        cls, source: str | Path, *, column: str | None = None, interval: float | None = None
    ) -> Requirements:
        """Read a CSV with a header: the requirement ``column`` (default: the first of
        ``required``, ``requirement``, ``agents``) and optionally ``interval_start`` labels,
        from which the interval is inferred when ``interval`` is not given.

        Raises:
            ScheduleInputError: unreadable, a missing column, a bad value (named by line).
        """
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScheduleInputError(f"{path}: cannot read requirements: {exc}") from None
        rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
        if len(rows) < 2:
            raise ScheduleInputError(f"{path}: expected a header line and at least one row")
        header = [h.strip().lower() for h in rows[0]]
        wanted = [column.lower()] if column else list(REQUIREMENT_COLUMNS)
        found = next((c for c in wanted if c in header), None)
        if found is None:
            msg = f"{path}: line 1 (header): no column {' or '.join(map(repr, wanted))}"
            raise ScheduleInputError(f"{msg} (found: {', '.join(header)})")
        col = header.index(found)
        labels = None
        if "interval_start" in header:
            at = header.index("interval_start")
            labels = [r[at].strip() if at < len(r) else "" for r in rows[1:]]
        values: list[float] = []
        for n, row in enumerate(rows[1:], start=2):
            cell = row[col].strip() if col < len(row) else ""
            try:
                values.append(float(cell))
            except ValueError:
                msg = f"{path}: line {n}, column {found!r}: expected a number, got {cell!r}"
                raise ScheduleInputError(msg) from None
        if interval is None:
            interval = infer_interval(labels) if labels else None
            if interval is None:
                msg = f"{path}: cannot infer the interval length from 'interval_start'"
                raise ScheduleInputError(f"{msg}: give it (interval=900, --interval 15m)")
        origin = _clock(labels[0]) if labels else None
        try:
            return cls.from_values(values, interval=interval, labels=labels, origin=origin or 0.0)
        except ScheduleInputError as exc:
            raise ScheduleInputError(f"{path}: {exc}") from None
