"""What-if replay: the external inputs of a recorded log, re-run under another config.

A replay (:meth:`ccrouter.Router.replay`) applies the recorded decisions and never decides
again. What-if replay does decide again: it reads from the log only what came from outside
the router (logins, ready / not-ready / logout, submissions with their targeting and explicit
deadline, updates, notes, abandons, customers' callback requests) and how agents and
customers behaved (ring delays, declines, talk times, transfers and consults, patience),
feeds them to a fresh router under ``config`` in time order, and compares its decisions and
service with the recorded ones. The rules are in ``docs/routing.md``
("What-if replay").

>>> from ccrouter import Router, RouterConfig
>>> r = Router()
>>> _ = r.login("ann", skills={"en": 1}, at=0)
>>> _ = r.login("bob", skills={"en": 5}, at=0)
>>> _ = r.ready("ann", at=0)
>>> _ = r.ready("bob", at=1)
>>> _ = r.submit("c1", channel="voice", skills={"en": 1}, at=2)
>>> _ = r.accept("c1", at=3)
>>> _ = r.complete("c1", at=60)
>>> same = whatif(r.events, RouterConfig())
>>> same.same_decisions, same.changed
(True, 0)
>>> other = whatif(r.events, RouterConfig.from_dict(
...     {"queues": {"default": {"strategy": "most_skilled"}}}))
>>> d = other.interactions[0]
>>> (d.before.agent_id, d.after.agent_id, other.summary.another_agent)
('ann', 'bob', 1)

Everything here is a function of its arguments: no clock, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal, TypeAlias

import msgspec

from ccrouter.config import RouterConfig
from ccrouter.errors import ConfigError, InvalidArgument
from ccrouter.events import (
    ConfigChanged,
    Event,
    InteractionAbandoned,
    InteractionOffered,
    InteractionQueued,
    OfferAccepted,
)
from ccrouter.stats import interval_report
from ccrouter.whatif.model import EVENT_ROLES, ConfigChanges, Recording, Role, SkippedInput
from ccrouter.whatif.run import LOGOUT_PENDING, Run

__all__ = [
    "EVENT_ROLES",
    "LOGOUT_PENDING",
    "ConfigChanges",
    "InteractionDiff",
    "Outcome",
    "Role",
    "SkippedInput",
    "Totals",
    "WhatIfResult",
    "WhatIfSummary",
    "decisions",
    "whatif",
]

OutcomeKind: TypeAlias = Literal["answered", "abandoned", "waiting"]


# --- results -----------------------------------------------------------------------------------


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """How one interaction fared in one log (up to the what-if's end time)."""

    outcome: OutcomeKind
    """``answered`` (an offer was accepted), ``abandoned``, or ``waiting`` at the end. An
    interaction is answered once: what follows a transfer does not change it."""
    agent_id: str | None
    """Who answered it first (``None`` unless answered)."""
    offered_at: float | None
    """When the answered offer was made; else when its last offer was made (if any)."""
    answered_at: float | None
    wait: float | None
    """Arrival to answer, or to abandon; ``None`` while waiting."""
    offers: int
    """Offers made of it (declined and missed ones included)."""


class InteractionDiff(msgspec.Struct, frozen=True, kw_only=True):
    """One interaction, before (recorded) and after (what-if)."""

    interaction_id: str
    queue: str
    channel: str
    arrived_at: float
    before: Outcome
    after: Outcome

    @property
    def changed(self) -> bool:
        """Another outcome, answering agent or offer time."""
        b, a = self.before, self.after
        return (b.outcome, b.agent_id, b.offered_at) != (a.outcome, a.agent_id, a.offered_at)

    @property
    def another_agent(self) -> bool:
        """Answered in both logs, by different agents."""
        b, a = self.before, self.after
        return b.outcome == a.outcome == "answered" and b.agent_id != a.agent_id


class Totals(msgspec.Struct, frozen=True, kw_only=True):
    """Service figures of one log, from :func:`ccrouter.stats.interval_report`."""

    offered: int
    answered: int
    abandoned: int
    waiting: int
    asa: float | None
    """Average speed of answer (seconds)."""
    service_level: float | None
    """Answered within the threshold over offered."""
    declined: int
    timed_out: int


class WhatIfSummary(msgspec.Struct, frozen=True, kw_only=True):
    interactions: int
    changed: int
    """Interactions with another outcome, answering agent or offer time."""
    another_agent: int
    """Answered in both, by another agent."""
    before: Totals
    after: Totals
    threshold: float
    """The service-level threshold (seconds)."""


class WhatIfResult(msgspec.Struct, frozen=True, kw_only=True):
    """The comparison of a recorded log with its what-if run."""

    until: float
    """The run stopped here (default: the recorded log's last event)."""
    interactions: list[InteractionDiff]
    """Every recorded interaction, in arrival order."""
    summary: WhatIfSummary
    same_decisions: bool
    """Every offer (interaction, agent, time) is the recorded one, in the same order."""
    skipped: list[SkippedInput]
    events: list[Event]
    """The what-if run's own event log (any report can be run on it)."""

    @property
    def changed(self) -> int:
        return self.summary.changed


def decisions(events: Iterable[Event]) -> list[tuple[str, str, float]]:
    """Every offer as ``(interaction_id, agent_id, at)``, in log order."""
    return [(e.interaction_id, e.agent_id, e.at) for e in events if type(e) is InteractionOffered]


# --- comparison ----------------------------------------------------------------------------------


def _outcomes(events: Iterable[Event], until: float) -> dict[str, Outcome]:
    offers: dict[str, int] = {}
    last_offer: dict[str, float] = {}
    arrived: dict[str, float] = {}
    done: dict[str, Outcome] = {}
    for e in events:
        if e.at > until:
            break
        t = type(e)
        if t is InteractionQueued:
            arrived[e.interaction_id] = e.at  # type: ignore[union-attr]
        elif t is InteractionOffered:
            iid = e.interaction_id  # type: ignore[union-attr]
            offers[iid] = offers.get(iid, 0) + 1
            last_offer[iid] = e.at
        elif t is OfferAccepted or t is InteractionAbandoned:
            iid = e.interaction_id  # type: ignore[union-attr]
            if iid in done:
                continue  # as in the reports: a leg after a transfer is not a new contact
            answered = t is OfferAccepted
            done[iid] = Outcome(
                outcome="answered" if answered else "abandoned",
                agent_id=e.agent_id if answered else None,  # type: ignore[union-attr]
                offered_at=last_offer.get(iid),
                answered_at=e.at if answered else None,
                wait=e.at - arrived[iid],
                offers=0,
            )
    out: dict[str, Outcome] = {}
    for iid in arrived:
        o = done.get(iid)
        if o is None:
            o = Outcome(
                outcome="waiting",
                agent_id=None,
                offered_at=last_offer.get(iid),
                answered_at=None,
                wait=None,
                offers=0,
            )
        out[iid] = msgspec.structs.replace(o, offers=offers.get(iid, 0))
    return out


def _totals(events: list[Event], until: float, threshold: float) -> Totals:
    rows = []
    if events:
        first = events[0].at
        span = max(until - first, 0.0) + 1.0
        rows = interval_report(events, span, threshold=threshold, end=until, by=(), origin=first)
    answered = sum(r.answered for r in rows)
    offered = sum(r.offered for r in rows)
    wait = sum(r.total_wait_time for r in rows)
    return Totals(
        offered=offered,
        answered=answered,
        abandoned=sum(r.abandoned for r in rows),
        waiting=sum(r.waiting for r in rows),
        asa=wait / answered if answered else None,
        service_level=(
            sum(r.answered_within_threshold for r in rows) / offered if offered else None
        ),
        declined=sum(r.declined for r in rows),
        timed_out=sum(r.timed_out for r in rows),
    )


def _finite(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def whatif(
    events: Iterable[Event],
    config: RouterConfig,
    *,
    until: float | None = None,
    threshold: float = 20.0,
    backend: str | None = None,
    config_changes: ConfigChanges = "drop",
) -> WhatIfResult:
    """Re-run the inputs of ``events`` (a log from its start) under ``config`` and compare.

    Args:
        events: the recorded log, in order, from its first event.
        config: the config to try.
        until: stop the run here (default: the recorded log's last event time); both logs
            are compared up to it.
        threshold: service-level threshold in seconds.
        backend: selection backend of the what-if router (see :class:`~ccrouter.Router`).
        config_changes: what to do with the log's ``config_changed`` events: ``"drop"``
            (``config`` is in force for the whole run; each change is listed in
            ``skipped``) or ``"replay"`` (``config`` replaces the starting config only; the
            recorded changes are made again at their time).

    Returns:
        Per interaction, the recorded and the what-if outcome; service totals of both logs;
        whether every decision is the recorded one; inputs and agent actions (transfers)
        that could not apply as recorded;
        the what-if log.

    Raises:
        UnsupportedInput: the log holds an event type what-if replay does not know, or a
            part of a submission (targeting, explicit deadline) apart from its submission.
        ConfigError: a queue the log's work arrives in or is transferred to is not in
            ``config``.
        InvalidArgument: ``until`` or ``threshold`` is not a finite number (>= 0), or the
            config (or a replayed change) uses batch matching.
    """
    if not isinstance(config, RouterConfig):
        msg = f"config must be a RouterConfig, got {type(config).__name__}"
        raise InvalidArgument(msg)
    if until is not None and not _finite(until):
        msg = f"until must be a finite number of seconds, got {until!r}"
        raise InvalidArgument(msg)
    if not _finite(threshold) or threshold < 0:
        msg = f"threshold must be a finite number of seconds >= 0, got {threshold!r}"
        raise InvalidArgument(msg)
    rec = Recording(list(events))
    if config_changes not in ("drop", "replay"):
        msg = f"config_changes must be 'drop' or 'replay', got {config_changes!r}"
        raise InvalidArgument(msg)
    queues = set(config.queues)
    batch = config.matching == "batch"
    if config_changes == "replay":
        for e in rec.events:
            if isinstance(e, ConfigChanged):
                queues.update(e.config.get("queues", {}))
                batch = batch or e.config.get("matching") == "batch"
    if batch:
        # Batch mode routes only when `match()` is called, and those calls leave no event
        # of their own: the run could not know when to call it.
        msg = "what-if replay does not drive batch matching (matching = 'batch') yet"
        raise InvalidArgument(msg)
    missing = sorted(rec.queues - queues)
    if missing:
        msg = (
            f"the log routes to queue(s) {', '.join(missing)} that the what-if config does "
            f"not define (it has: {', '.join(sorted(config.queues))})"
        )
        raise ConfigError(msg)
    end = rec.end if until is None else float(until)
    run = Run(rec, config, end, backend, config_changes)
    after = run.go()
    before_out = _outcomes(rec.events, end)
    after_out = _outcomes(after, end)
    diffs = [
        InteractionDiff(
            interaction_id=iid,
            queue=q.queue,
            channel=q.channel,
            arrived_at=q.at,
            before=before_out[iid],
            after=after_out[iid],
        )
        for iid, q in rec.queued.items()
        if q.at <= end
    ]
    before_events = [e for e in rec.events if e.at <= end]
    summary = WhatIfSummary(
        interactions=len(diffs),
        changed=sum(d.changed for d in diffs),
        another_agent=sum(d.another_agent for d in diffs),
        before=_totals(before_events, end, threshold),
        after=_totals(after, end, threshold),
        threshold=float(threshold),
    )
    return WhatIfResult(
        until=end,
        interactions=diffs,
        summary=summary,
        same_decisions=decisions(before_events) == decisions(after),
        skipped=run.skipped,
        events=after,
    )
