"""A solved schedule: the shifts, the coverage they give, what cannot be covered, the CSVs.

Coverage counts the agents working (logged in and not on a break) in each interval, from the
shifts themselves, so it never depends on the solver's own arithmetic.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ccrouter.schedule.requirements import Requirements, clock_label
from ccrouter.schedule.templates import ScheduleInputError, ShiftTemplate

if TYPE_CHECKING:
    from ccrouter.schedule.roster import RosterLine
    from ccrouter.sim.scenario import Shift

__all__ = [
    "PlacedBreak",
    "Schedule",
    "ScheduledShift",
    "UncoverableInterval",
    "coverage_of",
    "read_shifts_csv",
]

SHIFT_COLUMNS = ("template", "kind", "count", "start", "end", "start_label", "end_label",
                 "cost_each", "breaks", "break_times")  # fmt: skip
"""The schedule CSV's columns; ``start``/``end`` in seconds from the horizon's start,
``breaks`` as ``name@start+length`` (seconds) joined by ``; `` (read back by
:func:`read_shifts_csv`), ``break_times`` the same as clock times, for people."""

COVERAGE_COLUMNS = ("interval_start", "start", "required", "scheduled", "short", "over")


@dataclass(frozen=True)
class PlacedBreak:
    """A break of a scheduled shift: ``start`` seconds from the horizon's start."""

    name: str
    start: float
    length: float
    paid: bool = True


@dataclass(frozen=True)
class ScheduledShift:
    """``count`` identical shifts of ``template``: same start, same breaks."""

    template: str
    kind: str
    start: float
    end: float
    count: int
    cost_each: float
    breaks: tuple[PlacedBreak, ...] = ()


@dataclass(frozen=True)
class UncoverableInterval:
    """An interval the schedule leaves short, by ``missing`` agents, and why."""

    index: int
    label: str
    start: float
    required: int
    covered: int
    missing: int
    reason: str


def coverage_of(shifts: Sequence[ScheduledShift], interval: float, n: int) -> list[int]:
    """Agents working (in a shift, not on a break) per interval, over ``n`` intervals.

    A shift works an interval when it is logged in for the whole interval and on no break in
    it; starts, ends and breaks on interval boundaries (as the scheduler places them).
    """
    cover = [0] * n
    for s in shifts:
        a = round(s.start / interval)
        b = min(round(s.end / interval), n)
        for i in range(max(a, 0), b):
            cover[i] += s.count
        for brk in s.breaks:
            p = round(brk.start / interval)
            q = min(round((brk.start + brk.length) / interval), n)
            for i in range(max(p, 0), q):
                cover[i] -= s.count
    return cover


@dataclass(frozen=True)
class Schedule:
    """The result of :func:`ccrouter.schedule.solve`.

    Attributes:
        requirements: what was asked.
        shifts: the scheduled shifts, grouped by template, start and break times.
        coverage: agents working per interval.
        uncoverable: the intervals left short (empty when every requirement is met), each
            with the amount missing and the reason: never a bare "infeasible".
        status: ``"OPTIMAL"`` (proven) or ``"FEASIBLE"`` (time limit reached first).
        cost: the schedule's cost (the number of shifts when no template has a cost).
        bound: the solver's proven lower bound on the cost.
        solve_seconds: wall-clock time of the solver.
        phases: ``"cost"`` (one solve), or ``"shortfall, cost"`` when intervals could not be
            covered (least shortfall first, then the cheapest schedule with it; ``"shortfall
            (the least found, not proven), cost"`` when the first phase hit the time limit).
    """

    requirements: Requirements
    templates: tuple[ShiftTemplate, ...]
    shifts: tuple[ScheduledShift, ...]
    coverage: tuple[int, ...]
    uncoverable: tuple[UncoverableInterval, ...]
    status: str
    cost: float
    bound: float
    solve_seconds: float
    phases: str = "cost"
    counts_shifts: bool = False
    """True when no template has a cost, so the objective counted shifts."""
    roster: tuple[RosterLine, ...] = ()
    """With ``Limits.roster``: one line per agent (days off, a shift per day worked)."""
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        """Relative distance between the cost and the proven bound (0 when optimal)."""
        return 0.0 if self.cost <= self.bound else (self.cost - self.bound) / max(self.cost, 1e-9)

    @property
    def shortfall(self) -> tuple[int, ...]:
        """Agents missing per interval (0 where the requirement is met)."""
        return tuple(max(r - c, 0) for r, c in zip(self.requirements.values, self.coverage,
                                                   strict=True))  # fmt: skip

    @property
    def over(self) -> tuple[int, ...]:
        """Agents beyond the requirement per interval."""
        return tuple(max(c - r, 0) for r, c in zip(self.requirements.values, self.coverage,
                                                   strict=True))  # fmt: skip

    @property
    def total_shifts(self) -> int:
        return sum(s.count for s in self.shifts)

    def counts(self) -> dict[str, int]:
        """Shifts per template (templates unused: 0)."""
        out = {t.name: 0 for t in self.templates}
        for s in self.shifts:
            out[s.template] += s.count
        return out

    def summary(self) -> str:
        """A few lines for people: cost, status, gap, shifts per template, short intervals."""
        what = "shifts" if self.counts_shifts else "cost"
        lines = [
            f"{self.status}: {what} {self.cost:g} (bound {self.bound:g}, gap {self.gap:.2%}), "
            f"{self.total_shifts} shifts, solved in {self.solve_seconds:.2f} s",
            "per template: " + ", ".join(f"{k} {v}" for k, v in self.counts().items() if v),
        ]
        over = sum(self.over) * self.requirements.interval / 3600.0
        lines.append(f"over-coverage: {over:g} agent-hours")
        if self.uncoverable:
            missing = sum(u.missing for u in self.uncoverable)
            lines.append(
                f"{len(self.uncoverable)} interval(s) left short, {missing} agent-intervals:"
            )
            lines += [f"  {u.label}: {u.missing} of {u.required} missing ({u.reason})"
                      for u in self.uncoverable[:20]]  # fmt: skip
            if len(self.uncoverable) > 20:
                lines.append(f"  ... and {len(self.uncoverable) - 20} more (see coverage.csv)")
        else:
            lines.append("every interval covered")
        if self.roster:
            lines.append(f"roster: {len(self.roster)} agents")
        return "\n".join(lines)

    def to_csv(self, target: str | os.PathLike[str] | IO[str]) -> None:
        """Write the shifts (one row per group of identical shifts; :data:`SHIFT_COLUMNS`)."""
        with _csv_writer(target) as writer:
            writer.writerow(SHIFT_COLUMNS)
            o = self.requirements.origin
            for s in self.shifts:
                writer.writerow([
                    s.template, s.kind, s.count, f"{s.start:g}", f"{s.end:g}",
                    clock_label(o + s.start), clock_label(o + s.end), f"{s.cost_each:.6g}",
                    "; ".join(f"{b.name}@{b.start:g}+{b.length:g}{'' if b.paid else 'u'}"
                              for b in s.breaks),
                    "; ".join(f"{b.name} {clock_label(o + b.start)}-"
                              f"{clock_label(o + b.start + b.length)}" for b in s.breaks),
                ])  # fmt: skip

    def coverage_csv(self, target: str | os.PathLike[str] | IO[str]) -> None:
        """Write the coverage per interval against the requirement (:data:`COVERAGE_COLUMNS`)."""
        with _csv_writer(target) as writer:
            writer.writerow(COVERAGE_COLUMNS)
            req = self.requirements
            for k, (r, c) in enumerate(zip(req.values, self.coverage, strict=True)):
                writer.writerow([req.labels[k], f"{k * req.interval:g}", r, c, max(r - c, 0),
                                 max(c - r, 0)])  # fmt: skip

    def roster_csv(self, target: str | os.PathLike[str] | IO[str]) -> None:
        """Write the roster: one row per agent, its days off, then per day its shift
        (``template HH:MM-HH:MM``), ``off``, or empty for a working day without a shift."""
        with _csv_writer(target) as writer:
            days = len(self.roster[0].shifts) if self.roster else 0
            writer.writerow(["agent", "days_off", *(f"day{d + 1}" for d in range(days))])
            o = self.requirements.origin
            for line in self.roster:
                cells = []
                for d, index in enumerate(line.shifts):
                    if d in line.days_off:
                        cells.append("off")
                    elif index is None:
                        cells.append("")
                    else:
                        s = self.shifts[index]
                        start, end = clock_label(o + s.start)[-5:], clock_label(o + s.end)[-5:]
                        cells.append(f"{s.template} {start}-{end}")
                off = " ".join(f"day{d + 1}" for d in line.days_off)
                writer.writerow([line.agent, off, *cells])

    def to_shifts(self) -> list[Shift]:
        """The shifts as the simulator's :class:`ccrouter.sim.scenario.Shift` (with breaks)."""
        from ccrouter.schedule.simulate import to_shifts

        return to_shifts(self)


@contextmanager
def _csv_writer(target: str | os.PathLike[str] | IO[str]) -> Iterator[Any]:
    """A CSV writer on ``target``: a path (opened, written, closed) or an open text file."""
    if isinstance(target, str | os.PathLike):
        with open(target, "w", newline="", encoding="utf-8") as f:
            yield csv.writer(f, lineterminator="\n")
    else:
        yield csv.writer(target, lineterminator="\n")


_BREAK = re.compile(r"^(.*)@([0-9.eE+-]+)\+([0-9.eE+-]+?)(u?)$")


def read_shifts_csv(source: str | Path | IO[str]) -> list[ScheduledShift]:
    """Read back a schedule CSV written by :meth:`Schedule.to_csv`.

    Raises:
        ScheduleInputError: a missing column or a malformed cell (named by line).
    """
    if isinstance(source, str | Path):
        with open(source, newline="", encoding="utf-8") as f:
            return read_shifts_csv(f)
    rows = list(csv.DictReader(io.StringIO(source.read())))
    out = []
    for n, row in enumerate(rows, start=2):
        try:
            breaks = []
            for part in filter(None, (p.strip() for p in row["breaks"].split(";"))):
                m = _BREAK.match(part)
                if m is None:
                    msg = f"schedule CSV line {n}: breaks: expected name@start+length, got {part!r}"
                    raise ScheduleInputError(msg)
                breaks.append(PlacedBreak(m.group(1), float(m.group(2)), float(m.group(3)),
                                          paid=not m.group(4)))  # fmt: skip
            out.append(ScheduledShift(
                template=row["template"], kind=row["kind"], start=float(row["start"]),
                end=float(row["end"]), count=int(row["count"]),
                cost_each=float(row["cost_each"]), breaks=tuple(breaks),
            ))  # fmt: skip
        except (KeyError, ValueError, TypeError) as exc:
            raise ScheduleInputError(f"schedule CSV line {n}: cannot read {exc}") from None
    return out
