"""Interval reports: per interval × queue / channel / agent, the service delivered.

A report is a fold of the event log, so it can be computed for any past window of any stored log
or of a live router's events. The rules (documented in ``docs/statistics.md``):

- Intervals are ``[origin + k·interval, origin + (k+1)·interval)``.
- **Each interaction is counted in the interval it arrived in** (its ``InteractionQueued``), and
  every later outcome (answer, abandon, handle time, declined offers...) is attributed to that
  interval, whenever it happens up to the end of the window.
- Time-based figures (staffed time, occupancy) are split over the intervals in which the time
  passes.

>>> from ccrouter.events import InteractionQueued, InteractionAbandoned
>>> log = [
...     InteractionQueued(seq=1, at=10.0, interaction_id="c1", channel="voice", queue="sales"),
...     InteractionAbandoned(seq=2, at=15.0, interaction_id="c1"),
... ]
>>> [(r.start, r.queue, r.offered, r.abandoned, r.abandoned_within_threshold)
...  for r in interval_report(log)]
[(0.0, 'sales', 1, 1, 1)]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from ccrouter.errors import InvalidArgument
from ccrouter.events import Event
from ccrouter.stats._common import (
    BUSY,
    READY,
    RESERVED,
    WRAP_UP,
    SlDefinition,
    check_sl_definition,
    check_threshold,
    ratio,
    service_level,
)
from ccrouter.stats._interval_fold import DISPATCH, IntervalFold
from ccrouter.stats._interval_records import EMPTY, Counts
from ccrouter.stats.definitions import INTERVAL, field_reader, ratio_reader
from ccrouter.stats.rows import IntervalRow

_fields = field_reader(INTERVAL)
"""Every interval counter, by its row field: each fills its field as it is."""
_ratios = ratio_reader(("asa", "aht", "average_wrap_up_time"))
"""The ratios of :data:`ccrouter.stats.definitions.RATIOS` an interval row carries."""

__all__ = ["GROUPINGS", "IntervalRow", "interval_report"]

GROUPINGS: tuple[tuple[str, ...], ...] = (
    (),
    ("queue",),
    ("channel",),
    ("queue", "channel"),
    ("agent",),
)
"""The accepted values of ``by`` (the order of names inside does not matter)."""


def _check_by(by: Sequence[str]) -> frozenset[str]:
    if isinstance(by, str):
        by = (by,)
    names = frozenset(by)
    if len(names) != len(tuple(by)) or names not in {frozenset(g) for g in GROUPINGS}:
        allowed = ", ".join(repr(g) for g in GROUPINGS)
        msg = f"by must be one of {allowed}; got {tuple(by)!r}"
        raise InvalidArgument(msg)
    return names


def interval_report(
    events: Iterable[Event],
    interval: float = 900.0,
    *,
    threshold: float = 20.0,
    sl_definition: SlDefinition = "offered",
    start: float | None = None,
    end: float | None = None,
    by: Sequence[str] = ("queue", "channel"),
    origin: float = 0.0,
) -> list[IntervalRow]:
    """Fold ``events`` into one :class:`IntervalRow` per interval and group.

    Args:
        events: the log in order (``at`` never decreasing), from its beginning. Events before
            ``start`` build the state (who is logged in, what is waiting) but are not counted.
        interval: interval length in seconds (900 = 15 minutes).
        threshold: service-level threshold ``T`` in seconds; "within threshold" means a wait of
            at most ``T``.
        sl_definition: ``"offered"`` (answered within T / offered),
            ``"offered_minus_short_abandons"`` (answered within T / (offered − abandoned within
            T)) or ``"answered"`` (answered within T / answered).
        start: window start (default: the first event). Interactions that arrived earlier are
            not counted, and time before it is not accounted.
        end: window end, the "as of" time (default: the last event). Events after it are
            ignored: an interaction still waiting at ``end`` counts as offered and ``waiting``.
        by: grouping, one of :data:`GROUPINGS`: queue and/or channel, or agent, or ``()`` for one
            total row per interval.
        origin: intervals are aligned on ``origin + k·interval`` (0: clock-aligned for Unix
            times).

    Returns:
        Rows sorted by interval, then group. Queue/channel/total grouping: every interval of the
        window × every group that had an arrival in the window (zero rows included). Agent
        grouping: the (interval, agent) pairs with staffed time or offers.

    Raises:
        InvalidArgument: a non-positive interval, a negative threshold, an unknown
            ``sl_definition`` or grouping, or ``end`` before ``start``.

    Complexity: O(events + rows + Σ intervals spanned by agent status segments).
    """
    if not (isinstance(interval, int | float) and math.isfinite(interval) and interval > 0):
        msg = f"interval must be a positive number of seconds; got {interval!r}"
        raise InvalidArgument(msg)
    check_threshold(threshold)
    check_sl_definition(sl_definition)
    names = _check_by(by)
    lo = -math.inf if start is None else float(start)
    hi = math.inf if end is None else float(end)
    if hi < lo:
        msg = f"end ({end}) is before start ({start})"
        raise InvalidArgument(msg)

    fold = IntervalFold(float(interval), float(threshold), lo, hi, float(origin), names)
    dispatch = DISPATCH
    it = iter(events)
    e: Event | None = next(it, None)
    if e is None or e.at > hi:
        return []
    first = last = e.at
    dispatch[type(e)](fold, e)
    for e in it:
        if e.at > hi:
            break
        last = e.at
        dispatch[type(e)](fold, e)
    ws = lo if start is not None else first
    we = hi if end is not None else last
    return _rows(fold, ws, we, sl_definition)


def _rows(fold: IntervalFold, ws: float, we: float, sl_definition: str) -> list[IntervalRow]:
    interval, origin = fold.interval, fold.origin
    for a in fold.agents.values():
        fold.close(a, we)

    b_first = math.floor((ws - origin) / interval)
    b_last = math.floor((we - origin) / interval)
    if we > ws and origin + b_last * interval >= we:
        b_last -= 1  # the window ends exactly on a boundary: no time in the next interval
    if fold.counts:
        b_last = max(b_last, max(k[0] for k in fold.counts))

    def row(
        b: int, group: tuple[str | None, str | None, str | None], c: Counts, times: list[float]
    ) -> IntervalRow:
        handling = times[RESERVED] + times[BUSY] + times[WRAP_UP]
        staffed = handling + times[READY]
        agent_row = group[2] is not None
        ratios: dict[str, Any] = _ratios(c)
        return IntervalRow(
            start=origin + b * interval,
            end=origin + (b + 1) * interval,
            queue=group[0],
            channel=group[1],
            agent_id=group[2],
            **_fields(c),
            service_level=None
            if agent_row
            else service_level(sl_definition, c.within, c.offered, c.answered, c.ab_within),
            **ratios,
            staffed_time=staffed,
            handling_time=handling,
            occupancy=ratio(handling, staffed),
        )

    zero = [0.0] * 6
    rows: list[IntervalRow] = []
    if fold.by_agent:
        keys: set[tuple[int, str]] = {(k[0], k[3]) for k in fold.counts if k[3] is not None}
        for a in fold.agents.values():
            keys.update((b, a.agent_id) for b, acc in a.buckets.items() if any(acc))
        for b, agent_id in sorted(keys):
            times = fold.agents[agent_id].buckets.get(b, zero)
            c = fold.counts.get((b, None, None, agent_id), EMPTY)
            rows.append(row(b, (None, None, agent_id), c, times))
        return rows

    center: dict[int, list[float]] = {}
    for a in fold.agents.values():
        for b, acc in a.buckets.items():
            tot = center.get(b)
            if tot is None:
                center[b] = list(acc)
            else:
                for i in (READY, RESERVED, BUSY, WRAP_UP):
                    tot[i] += acc[i]
    groups = sorted(
        {(k[1], k[2]) for k in fold.counts},
        key=lambda g: (g[0] or "", g[1] or ""),
    )
    if not fold.by_queue and not fold.by_channel:
        groups = [(None, None)]
    for b in range(b_first, b_last + 1):
        times = center.get(b, zero)
        for q, ch in groups:
            c = fold.counts.get((b, q, ch, None), EMPTY)
            rows.append(row(b, (q, ch, None), c, times))
    return rows
