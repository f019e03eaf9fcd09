"""The fairness ledger: per-agent offers, handled work, handle time and misses over a window.

A projection of the events, like the rest of the state: :meth:`FairnessLedger.observe` folds
one event (time comes from ``event.at``), so a replay or a restored snapshot rebuilds the same
ledger. Entries older than the window (relative to the latest event) are dropped as events
arrive; a query at a later time ``at`` skips the entries that have left the window by then
without changing anything, so reading never mutates the projection.

Counted per agent, each at the time of its event:

* ``offers``: :class:`~ccrouter.events.InteractionOffered` to the agent;
* ``handled``: :class:`~ccrouter.events.OfferAccepted` by the agent (as ``Agent.handled``);
* ``handle_time``: seconds from acceptance to :class:`~ccrouter.events.InteractionCompleted`,
  counted at completion (``completed`` is how many completions it sums);
* ``misses``: :class:`~ccrouter.events.OfferTimedOut` (offers that rang out).

>>> from ccrouter.events import InteractionOffered, OfferAccepted, InteractionCompleted
>>> ledger = FairnessLedger(window=60.0)
>>> ledger.observe(InteractionOffered(seq=1, at=0.0, interaction_id="i", agent_id="a"))
>>> ledger.observe(OfferAccepted(seq=2, at=5.0, interaction_id="i", agent_id="a"))
>>> ledger.observe(
...     InteractionCompleted(seq=3, at=35.0, interaction_id="i", agent_id="a", wrap_up_until=35.0)
... )
>>> view = ledger.view("a", 40.0)
>>> view.offers, view.handled, view.completed, view.handle_time, view.misses
(1, 1, 1, 30.0, 0)
>>> ledger.view("a", 61.0).offers  # the window is now (1, 61]: the offer at 0 left it
0
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from statistics import median

import msgspec
from sortedcontainers import SortedList

from ccrouter.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    Event,
    InteractionAbandoned,
    InteractionCompleted,
    InteractionOffered,
    OfferAccepted,
    OfferTimedOut,
)

__all__ = ["FairnessLedger", "LedgerView", "over_cap"]

OFFER, HANDLED, COMPLETED, MISS = 0, 1, 2, 3
Entry = tuple[float, int, float]
"""(time, kind, value): value is the handle time for a completion, else 0."""


class LedgerView(msgspec.Struct, frozen=True, kw_only=True):
    """One agent's ledger over the window ending at the time asked.

    Attributes:
        agent_id: the agent.
        offers: offers made to it.
        handled: offers it accepted.
        completed: interactions it completed (those whose handle time is summed).
        handle_time: seconds from acceptance to completion, summed over ``completed``.
        misses: offers that rang out.
        over_cap: over the fairness cap at that time (filled by
            :meth:`~ccrouter.router.Router.fairness`; ``False`` without a cap).
    """

    agent_id: str
    offers: int = 0
    handled: int = 0
    completed: int = 0
    handle_time: float = 0.0
    misses: int = 0
    over_cap: bool = False


class FairnessLedger:
    """Per-agent counts over a sliding window of ``window`` seconds (entries with
    ``at > t - window`` count at time ``t``).

    Cost: ``observe`` O(1) amortised; ``handled`` (what the cap reads, per agent per
    decision) O(1) plus the entries that left the window since the agent's last entry;
    ``view`` O(entries of the agent).
    """

    __slots__ = ("_accepted_at", "_handled", "_index", "entries", "window")

    def __init__(self, window: float) -> None:
        self.window = float(window)
        self.entries: dict[str, deque[Entry]] = {}
        """Agent id to its entries in time order (agents appear at their first entry)."""
        self._accepted_at: dict[str, float] = {}
        """Connected interaction id to when it was accepted (for its handle time)."""
        self._handled: dict[str, int] = {}
        """Agent id to the number of ``HANDLED`` entries in its deque (derived)."""
        self._index: _CapIndex | None = None
        """The team's counts kept sorted for :meth:`over_cap` (derived, built on first use)."""

    def observe(self, event: Event) -> None:
        """Fold one event (those that do not concern the ledger are ignored)."""
        kind = type(event)
        if kind is InteractionOffered:
            assert isinstance(event, InteractionOffered)
            self._add(event.agent_id, (event.at, OFFER, 0.0))
        elif kind is OfferAccepted:
            assert isinstance(event, OfferAccepted)
            self._accepted_at[event.interaction_id] = event.at
            self._add(event.agent_id, (event.at, HANDLED, 0.0))
        elif kind is InteractionCompleted:
            assert isinstance(event, InteractionCompleted)
            start = self._accepted_at.pop(event.interaction_id, event.at)
            self._add(event.agent_id, (event.at, COMPLETED, event.at - start))
        elif kind is OfferTimedOut:
            assert isinstance(event, OfferTimedOut)
            self._add(event.agent_id, (event.at, MISS, 0.0))
        elif kind is InteractionAbandoned:
            assert isinstance(event, InteractionAbandoned)
            self._accepted_at.pop(event.interaction_id, None)
        elif self._index is not None and (kind is AgentLoggedIn or kind is AgentLoggedOut):
            assert isinstance(event, AgentLoggedIn | AgentLoggedOut)
            self._index.set_member(event.agent_id, kind is AgentLoggedIn)

    def set_window(self, window: float) -> None:
        """A new window from now on, for the entries still kept (a config change)."""
        self.window = float(window)
        self._index = None

    def over_cap(
        self, team: Callable[[], Iterable[str]], at: float, max_above_median: float
    ) -> set[str]:
        """What :func:`over_cap` answers for ``team()`` (the logged-in agents), in
        O(log n + agents over the cap) per call instead of O(n log n): the team's counts are
        kept sorted as events arrive and entries leave the window. ``team`` is called only
        when that index is (re)built: the first time, after a window change, or when asked
        about an earlier time than before."""
        cutoff = at - self.window
        index = self._index
        if index is None or cutoff < index.cutoff:
            index = self._index = _CapIndex(self, team(), cutoff)
        else:
            index.expire(cutoff)
        return index.over(max_above_median)

    def _add(self, agent_id: str, entry: Entry) -> None:
        entries = self.entries.get(agent_id)
        if entries is None:
            entries = self.entries[agent_id] = deque()
            self._handled[agent_id] = 0
        # Only the agent touched is pruned (O(1) amortised, not O(agents) per event); the
        # others' stale entries are skipped by the queries. Either way the ledger is a
        # function of the events alone, so replays and snapshots agree.
        cutoff = entry[0] - self.window
        while entries and entries[0][0] <= cutoff:
            if entries.popleft()[1] == HANDLED:
                self._handled[agent_id] -= 1
        entries.append(entry)
        if entry[1] == HANDLED:
            self._handled[agent_id] += 1
            if self._index is not None:
                self._index.add(agent_id, entry[0])

    def handled(self, agent_id: str, at: float) -> int:
        """Offers ``agent_id`` accepted in the window ending at ``at`` (``at`` not before
        the latest event observed)."""
        entries = self.entries.get(agent_id)
        if not entries:
            return 0
        cutoff = at - self.window
        count = self._handled[agent_id]
        for t, kind, _ in entries:  # the oldest first: stop at the first still in the window
            if t > cutoff:
                break
            if kind == HANDLED:
                count -= 1
        return count

    def view(self, agent_id: str, at: float, *, capped: bool = False) -> LedgerView:
        """``agent_id``'s counts in the window ending at ``at`` (``capped`` is copied into
        ``over_cap``)."""
        counts = [0, 0, 0, 0]
        handle_time = 0.0
        cutoff = at - self.window
        for t, kind, value in self.entries.get(agent_id, ()):
            if t > cutoff:
                counts[kind] += 1
                handle_time += value
        return LedgerView(
            agent_id=agent_id,
            offers=counts[OFFER],
            handled=counts[HANDLED],
            completed=counts[COMPLETED],
            handle_time=handle_time,
            misses=counts[MISS],
            over_cap=capped,
        )

    def canonical(self) -> list[object]:
        """Plain ordered data for the state digest and snapshots."""
        return [
            sorted((a, [list(e) for e in entries]) for a, entries in self.entries.items()),
            sorted(self._accepted_at.items()),
        ]

    @classmethod
    def from_canonical(cls, window: float, data: list[object]) -> FairnessLedger:
        """The ledger :meth:`canonical` describes."""
        ledger = cls(window)
        entries, accepted = data
        assert isinstance(entries, list) and isinstance(accepted, list)
        for agent_id, rows in entries:
            ledger.entries[agent_id] = deque((float(t), int(k), float(v)) for t, k, v in rows)
            ledger._handled[agent_id] = sum(1 for _, k, _ in rows if k == HANDLED)
        ledger._accepted_at = {iid: float(t) for iid, t in accepted}
        return ledger


def over_cap(
    ledger: FairnessLedger, team: list[str], at: float, max_above_median: float
) -> set[str]:
    """The agents of ``team`` that handled more than ``max_above_median`` above the team's
    median (over ``team``, the logged-in agents) in the window ending at ``at``.

    >>> from ccrouter.events import OfferAccepted
    >>> ledger = FairnessLedger(window=100.0)
    >>> for seq, (iid, aid) in enumerate([("1", "a"), ("2", "a"), ("3", "a"), ("4", "b")]):
    ...     ledger.observe(OfferAccepted(seq=seq + 1, at=1.0, interaction_id=iid, agent_id=aid))
    >>> sorted(over_cap(ledger, ["a", "b", "c"], 2.0, 1))  # counts 3, 1, 0: median 1
    ['a']
    """
    if not team:
        return set()
    counts = {a: ledger.handled(a, at) for a in team}
    mid = median(counts.values())
    return {a for a, n in counts.items() if n > mid + max_above_median}


class _CapIndex:
    """The team's handled counts in the window ending at the latest query, kept sorted.

    A cache of the ledger (never digested nor snapshotted): it is built from the ledger's
    entries, then follows the ``HANDLED`` entries as they arrive, expires them in time
    order as the queried time moves on, and follows logins and logouts.
    """

    __slots__ = ("counts", "cutoff", "expiry", "ranked", "team")

    def __init__(self, ledger: FairnessLedger, team: Iterable[str], cutoff: float) -> None:
        self.cutoff = cutoff
        live = sorted(
            (t, agent_id)
            for agent_id, entries in ledger.entries.items()
            for t, kind, _ in entries
            if kind == HANDLED and t > cutoff
        )
        self.expiry: deque[tuple[float, str]] = deque(live)
        self.counts: dict[str, int] = {}
        for _, agent_id in live:
            self.counts[agent_id] = self.counts.get(agent_id, 0) + 1
        self.team = set(team)
        self.ranked = SortedList((self.counts.get(a, 0), a) for a in self.team)

    def _bump(self, agent_id: str, by: int) -> None:
        old = self.counts.get(agent_id, 0)
        self.counts[agent_id] = old + by
        if agent_id in self.team:
            self.ranked.remove((old, agent_id))
            self.ranked.add((old + by, agent_id))

    def add(self, agent_id: str, t: float) -> None:
        # Events arrive in time order, so the expiry queue stays sorted.
        self.expiry.append((t, agent_id))
        self._bump(agent_id, 1)

    def expire(self, cutoff: float) -> None:
        expiry = self.expiry
        while expiry and expiry[0][0] <= cutoff:
            self._bump(expiry.popleft()[1], -1)
        self.cutoff = cutoff

    def set_member(self, agent_id: str, member: bool) -> None:
        if member == (agent_id in self.team):
            return
        key = (self.counts.get(agent_id, 0), agent_id)
        if member:
            self.team.add(agent_id)
            self.ranked.add(key)
        else:
            self.team.discard(agent_id)
            self.ranked.remove(key)

    def over(self, max_above_median: float) -> set[str]:
        ranked, n = self.ranked, len(self.ranked)
        if not n:
            return set()
        mid = (ranked[(n - 1) // 2][0] + ranked[n // 2][0]) / 2
        # Counts are integers: above the threshold means at least its floor plus one.
        lowest = math.floor(mid + max_above_median) + 1
        return {agent_id for _, agent_id in ranked.irange((lowest, ""))}
