"""Pieces shared by the statistics projections: agent status codes, the service-level formula,
argument checks and the events no statistic reads. Private: the public names are re-exported by
:mod:`ccrouter.stats`.
"""

from __future__ import annotations

import math
from typing import Any

from ccrouter.errors import InvalidArgument
from ccrouter.events import (
    AgentAttributesUpdated,
    AgentUpdated,
    CommandRecorded,
    ConfigChanged,
    Event,
    ExperimentAssigned,
    InteractionClassified,
    InteractionDeadlineSet,
    InteractionNoteAdded,
    InteractionReminded,
    InteractionStepped,
    InteractionTargeted,
    InteractionTargetExpired,
    InteractionUpdated,
    OutcomeRecorded,
    RepeatContact,
    WrapUpExtended,
)
from ccrouter.stats.definitions import (
    EVENT_COUNTERS,
    SL_DEFINITIONS,
    SlDefinition,
    service_level,
)

__all__ = [
    "BUSY",
    "HANDLING",
    "LOGGED_OUT",
    "NOT_READY",
    "NO_REASON",
    "NO_STATISTIC",
    "READY",
    "RESERVED",
    "SL_DEFINITIONS",
    "STATUS_NAMES",
    "WRAP_UP",
    "AgentTrack",
    "SlDefinition",
    "check_sl_definition",
    "check_threshold",
    "ignore",
    "ratio",
    "service_level",
]

# Agent status codes, in the order of the status precedence used everywhere:
# logged_out; else reserved (an offer rings); else busy (connected); else wrap_up; else presence.
LOGGED_OUT, READY, NOT_READY, RESERVED, BUSY, WRAP_UP = range(6)
STATUS_NAMES: tuple[str, ...] = ("logged_out", "ready", "not_ready", "reserved", "busy", "wrap_up")
HANDLING: tuple[int, ...] = (RESERVED, BUSY, WRAP_UP)
"""Statuses that count as occupied (working on an interaction) for occupancy."""

NO_REASON = "unspecified"
"""Reason code reported for not-ready time without a reason (after login, before any
``AgentNotReady``)."""


NO_STATISTIC: tuple[type[Event], ...] = tuple(t for t in (
    CommandRecorded,  # bookkeeping of command ids
    InteractionUpdated,  # priority/requirement/attributes: no statistic reads them
    InteractionTargeted,  # who may take it
    InteractionTargetExpired,
    InteractionDeadlineSet,
    InteractionStepped,  # a new requirement/priority: no statistic reads them
    InteractionReminded,
    InteractionNoteAdded,  # context
    ConfigChanged,  # statistics do not depend on the routing config
    AgentAttributesUpdated,  # attributes: no statistic reads them
    InteractionClassified,  # by rule and tag: ccrouter.stats.rules reads the events itself
    AgentUpdated,  # skills, capacity, groups: no statistic reads them
    WrapUpExtended,  # wrap-up time runs until WrapUpEnded, whenever that comes
    OutcomeRecorded,  # outcomes: the performance projection reads them (engine/performance.py)
    RepeatContact,
    ExperimentAssigned,  # ccrouter.stats.experiments reads it
) if t not in EVENT_COUNTERS)  # fmt: skip
"""Event types that change no statistic (a type that comes to be counted in
:data:`ccrouter.stats.definitions.EVENT_COUNTERS` leaves this list by itself). The
projections' dispatch tables map them to :func:`ignore`; a type in neither a table nor this
list raises ``KeyError`` when folded in."""


def ignore(_fold: Any, _event: Any) -> None:
    """Dispatch entry for the events in :data:`NO_STATISTIC`."""


class AgentTrack:
    """One agent's presence and work in hand, from which its displayed status follows.

    ``presence``/``reason`` are what the agent last asked for; ``offers``, ``busy`` and ``wrap``
    count the interactions ringing, connected and in wrap-up; ``status``/``seg_reason``/``since``
    describe the current status segment (``seg_reason`` matters while ``status`` is not ready).
    """

    __slots__ = ("busy", "offers", "presence", "reason", "seg_reason", "since", "status", "wrap")

    def __init__(self, at: float) -> None:
        self.presence = LOGGED_OUT
        self.reason = NO_REASON
        self.offers = 0
        self.busy = 0
        self.wrap = 0
        self.status = LOGGED_OUT
        self.seg_reason = NO_REASON
        self.since = at

    def derive(self) -> int:
        """The displayed status implied by presence and the work in hand."""
        if self.presence == LOGGED_OUT:
            return LOGGED_OUT
        if self.offers > 0:
            return RESERVED
        if self.busy > 0:
            return BUSY
        if self.wrap > 0:
            return WRAP_UP
        return self.presence


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, or ``None`` when the denominator is 0."""
    return numerator / denominator if denominator else None


def check_sl_definition(value: str) -> None:
    if value not in SL_DEFINITIONS:
        msg = f"sl_definition must be one of {', '.join(map(repr, SL_DEFINITIONS))}; got {value!r}"
        raise InvalidArgument(msg)


def check_threshold(value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        msg = f"threshold must be a finite number of seconds >= 0; got {value!r}"
        raise InvalidArgument(msg)
