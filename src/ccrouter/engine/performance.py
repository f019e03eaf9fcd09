"""The performance projection: outcome counters per agent × queue over a sliding window.

Kept by the state when ``RouterConfig.performance`` is set (like the fairness ledger): a fold
of the events, so a replay, a restored snapshot or an explanation rebuilds the same book.
A *contact* is a completed interaction, filed by the time it ended in a *bucket*
(``performance.bucket`` seconds) under the agent who completed it and its queue:

* :class:`~ccrouter.events.InteractionCompleted` counts a contact and its handle time (from
  the acceptance, or the accepted transfer, to the completion; paused time included);
* :class:`~ccrouter.events.OutcomeRecorded` adds its satisfaction, value, conversion and
  ``resolved=False`` to the contact's bucket, whenever it arrives;
* :class:`~ccrouter.events.RepeatContact` marks the earlier contact not resolved at first
  contact (once per contact, whatever else says so).

The window at time ``t`` is the bucket holding ``t`` and the ``window / bucket - 1`` before
it; older buckets (and the contacts they hold, which later outcomes can no longer reach) are
dropped as time passes, so memory is bounded by the window. Counters are integers (fixed point,
:mod:`ccrouter.engine.estimates`): the totals do not depend on when old buckets were dropped,
so routing keys computed from them are a function of the log up to the decision and its time.

For routing, the book keeps per queue and KPI a *model* over the agent slots (per slot
``s/(n+k)``, ``n/(n+k)`` and the contacts, :mod:`ccrouter.engine.performance_kernel`), a
column refreshed whenever that agent's counters change. A decision reads it with the queue's
parameters (:meth:`PerformanceBook.decision`) and the selection kernel computes the keys of
the eligible agents only. :meth:`PerformanceBook.keys` gives every slot's key and, with
``top_share`` < 1, the mask of the best logged-in agents (for ``explain``, batch matching and
runs of decisions with nothing changed); both are cached per queue until the queue's counters
change (the mask also until an agent logs in or out: :attr:`PerformanceBook.presence` is in
its cache token).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ccrouter.config import PerformanceConfig
from ccrouter.engine.estimates import (
    CONV,
    DONE,
    FAIL,
    FIELDS,
    HT,
    HT2,
    NSAT,
    NVAL,
    SAT,
    SAT2,
    VAL,
    VAL2,
    Estimate,
    PerformanceRow,
    add_into,
    estimate,
    fixed,
    kpi_sums,
    rows,
)
from ccrouter.engine.performance_kernel import (
    Params,
    compute_mask,
    count_below,
    in_share,
    keys_kernel,
    model_keys,
    params,
)
from ccrouter.engine.performance_share import ShareArrays, ShareIndex
from ccrouter.engine.performance_slots import ZERO, SlotModels, team_mean
from ccrouter.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    Event,
    InteractionCompleted,
    InteractionTransferred,
    OfferAccepted,
    OutcomeRecorded,
    RepeatContact,
    TransferAccepted,
)

if TYPE_CHECKING:
    from ccrouter.engine.state import RouterState

__all__ = [
    "Contact",
    "ContactLog",
    "Decision",
    "PerformanceBook",
    "outcome_counters",
    "window_rows",
]

_N = len(FIELDS)
_NONE = np.zeros(0, dtype=np.uint8)
_NO_SHARES: dict[tuple[str, float], ShareIndex] = {}
Contact = list[Any]
"""A tracked contact: [queue, agent, bucket, failed]."""
Decision = tuple[
    npt.NDArray[np.float64],
    Params,
    npt.NDArray[np.uint8],
    npt.NDArray[np.uint8] | None,
    ShareArrays | None,
]
"""What a decision reads (:meth:`PerformanceBook.decision`): the model, its parameters, who
is logged in (both at least as wide as the slots), the best share's mask when it is cached,
and else its bucket index (numba backend; ``None`` otherwise)."""


def outcome_counters(e: OutcomeRecorded, already_failed: bool) -> list[int]:
    """What outcome ``e`` adds to its contact's counters (``already_failed``: the contact
    already counts as not resolved at first contact).

    >>> from ccrouter.events import OutcomeRecorded
    >>> e = OutcomeRecorded(seq=1, at=9.0, interaction_id="c", agent_id="a", queue="q",
    ...                     completed_at=5.0, resolved=False, value=12.5)
    >>> c = outcome_counters(e, False)
    >>> c[FAIL], c[NVAL], c[VAL], c[CONV]
    (1, 1, 12500000, 1)
    """
    c = [0] * _N
    if e.resolved is False and not already_failed:
        c[FAIL] = 1
    if e.satisfaction is not None:
        x = fixed(e.satisfaction)
        c[NSAT], c[SAT], c[SAT2] = 1, x, x * x
    if e.value is not None:
        x = fixed(e.value)
        c[NVAL], c[VAL], c[VAL2], c[CONV] = 1, x, x * x, int(x > 0)
    return c


class PerformanceBook:
    """Outcome counters per (queue, agent) over a window of buckets (see the module doc).

    Cost: ``observe`` O(1) (dropping a bucket: O(its entries), once; a model column per
    KPI when counters change); ``decision`` O(1) (the parameters recomputed when the queue's
    counters changed); ``keys`` O(1) when the queue's counters have not changed, else one
    pass over the agent slots.
    """

    __slots__ = (
        "_arrays",
        "_cache",
        "_present",
        "_shares",
        "_versions",
        "bucket",
        "buckets",
        "connected",
        "contacts",
        "latest",
        "presence",
        "prior_weight",
        "settings",
        "spans",
        "team",
        "totals",
    )

    def __init__(self, settings: PerformanceConfig) -> None:
        self.settings = settings
        self.bucket = float(settings.bucket)
        self.spans = round(settings.window / settings.bucket)
        self.prior_weight = float(settings.prior_weight)
        self.buckets: dict[int, dict[tuple[str, str], list[int]]] = {}
        """Bucket index to its counters per (queue, agent)."""
        self.totals: dict[tuple[str, str], list[int]] = {}
        """(queue, agent) to its counters summed over the buckets kept."""
        self.team: dict[str, list[int]] = {}
        """Queue to its counters summed over its agents (derived from ``totals``)."""
        self.contacts: dict[str, Contact] = {}
        """Interaction id to [queue, agent, bucket, failed] for the contacts in kept buckets."""
        self.connected: dict[str, float] = {}
        """Connected interaction id to when its current leg was accepted."""
        self.latest: int | None = None
        """The bucket of the latest event observed."""
        self._versions: dict[str, int] = {}
        self._arrays: dict[str, SlotModels] = {}
        self._cache: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self.presence = 0
        """Logins and logouts observed (derived: in the masks' cache token)."""
        self._present: npt.NDArray[np.uint8] | None = None
        """Per agent slot, 1 when logged in (derived; built from the state on first use)."""
        self._shares: dict[str, dict[tuple[str, float], ShareIndex]] = {}
        """Queue to its best shares' stale indexes per (KPI, balance) (derived; told of every
        model column and presence that changes)."""

    # --- fold ---------------------------------------------------------------------------------

    def index(self, at: float) -> int:
        """The bucket holding time ``at``."""
        return math.floor(at / self.bucket)

    def observe(self, event: Event, state: RouterState) -> None:
        """Fold one event (applied to ``state`` already: the queue of a completed interaction
        and the agents' slots are read there)."""
        self.advance(event.at, state)
        kind = type(event)
        if kind is AgentLoggedIn or kind is AgentLoggedOut:
            # The best share ranks the logged-in agents: a login or logout moves the masks.
            self.presence += 1
            if self._present is not None:
                assert isinstance(event, AgentLoggedIn | AgentLoggedOut)
                self._mark(state.agents[event.agent_id].slot, kind is AgentLoggedIn)
        elif kind is OfferAccepted or kind is TransferAccepted:
            self.connected[event.interaction_id] = event.at  # type: ignore[union-attr]
        elif kind is InteractionTransferred:
            self.connected.pop(event.interaction_id, None)  # type: ignore[union-attr]
        elif kind is InteractionCompleted:
            assert isinstance(event, InteractionCompleted)
            iid = event.interaction_id
            handle = event.at - self.connected.pop(iid, event.at)
            queue = state.interactions[iid].queue
            b = self.index(event.at)
            c = [0] * _N
            x = fixed(handle)
            c[DONE], c[HT], c[HT2] = 1, x, x * x
            self.contacts[iid] = [queue, event.agent_id, b, False]
            self._add(b, queue, event.agent_id, c, state)
        elif kind is OutcomeRecorded:
            assert isinstance(event, OutcomeRecorded)
            contact = self.contacts.get(event.interaction_id)
            if contact is not None:  # else: ended before the book began, or left the window
                c = outcome_counters(event, contact[3])
                contact[3] = contact[3] or event.resolved is False
                self._add(contact[2], contact[0], contact[1], c, state)
        elif kind is RepeatContact:
            assert isinstance(event, RepeatContact)
            contact = self.contacts.get(event.previous_id)
            if contact is not None and not contact[3]:
                contact[3] = True
                c = [0] * _N
                c[FAIL] = 1
                self._add(contact[2], contact[0], contact[1], c, state)

    def advance(self, at: float, state: RouterState | None = None) -> None:
        """Drop the buckets that have left the window at ``at`` (a no-op when none have).
        The totals are exact sums, so when this runs changes nothing that is read."""
        b = self.index(at)
        if self.latest is not None and b <= self.latest:
            return
        self.latest = b
        cutoff = b - self.spans
        for old in [x for x in self.buckets if x <= cutoff]:
            for (queue, agent), c in self.buckets.pop(old).items():
                self._total(queue, agent, c, -1, state)
        if self.contacts:
            stale = [iid for iid, c in self.contacts.items() if c[2] <= cutoff]
            for iid in stale:
                del self.contacts[iid]

    def _add(self, b: int, queue: str, agent: str, c: list[int], state: RouterState) -> None:
        cell = self.buckets.setdefault(b, {}).setdefault((queue, agent), [0] * _N)
        add_into(cell, c)
        self._total(queue, agent, c, 1, state)

    def _total(
        self, queue: str, agent: str, c: list[int], sign: int, state: RouterState | None
    ) -> None:
        key = (queue, agent)
        total = self.totals.get(key)
        if total is None:
            total = self.totals[key] = [0] * _N
        add_into(total, c, sign)
        add_into(self.team.setdefault(queue, [0] * _N), c, sign)
        if not any(total):
            del self.totals[key]
            total = None
        self._versions[queue] = self._versions.get(queue, 0) + 1
        arrays = self._arrays.get(queue)
        if arrays is not None:
            if state is None or agent not in state.agents:
                del self._arrays[queue]  # rebuilt on next use
                self._shares.pop(queue, None)
            else:
                slot = state.agents[agent].slot
                arrays.set(slot, total)
                present = self._present
                for (kpi, _), share in self._shares.get(queue, _NO_SHARES).items():
                    assert present is not None  # (an index is made after it)
                    share.touch(slot, arrays.models[kpi], present)

    # --- queries ------------------------------------------------------------------------------

    def window_totals(self, at: float) -> dict[tuple[str, str], list[int]]:
        """Counters per (queue, agent) in the window ending at ``at`` (not before the latest
        event): the totals less the buckets that have left the window by then."""
        cutoff = self.index(at) - self.spans
        stale = [b for b in self.buckets if b <= cutoff]
        if not stale:
            return {k: list(v) for k, v in self.totals.items()}
        out = {k: list(v) for k, v in self.totals.items()}
        for b in stale:
            for key, c in self.buckets[b].items():
                add_into(out[key], c, -1)
        return {k: v for k, v in out.items() if any(v)}

    def rows(self, at: float) -> list[PerformanceRow]:
        """Every (agent, queue) with contacts in the window ending at ``at``."""
        return rows(self.window_totals(at), prior_weight=self.prior_weight)

    def estimate(self, queue: str, agent: str, kpi: str) -> Estimate:
        """``agent``'s shrunk estimate of ``kpi`` on ``queue`` (over the book's totals)."""
        empty = [0] * _N
        return estimate(
            kpi_sums(self.totals.get((queue, agent), empty), kpi),
            kpi_sums(self.team.get(queue, empty), kpi),
            prior_weight=self.prior_weight,
            kpi=kpi,
        )

    def keys(
        self, state: RouterState, queue: str, kpi: str, balance: float, top_share: float, at: float
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.uint8] | None]:
        """Per agent slot, the ``performance`` strategy's key (smallest wins) for ``queue``,
        and with ``top_share`` < 1 the mask of the best ``⌈top_share · P⌉`` of the ``P``
        logged-in agents (by key, ties included; logged-out agents are never in it; ``None``
        otherwise). Both are cached until the queue's counters change (and the mask until an
        agent logs in or out). Computed in one fused pass
        (:mod:`ccrouter.engine.performance_kernel`; the Numba kernel with the numba backend).

        key = −d · (estimate − μ) / |μ| + balance · (n − n̄) / n̄, where ``d`` is 1 (−1 for
        ``handle_time``), μ the team's mean, ``n`` the agent's contacts in the window and n̄
        the mean over the agents with contacts (|μ|, n̄ taken as 1 when 0).
        """
        keys = self.order(state, queue, kpi, balance, at)
        if top_share >= 1.0 or not keys.shape[0]:
            return keys, None
        slots = keys.shape[0]
        if self._moved(at):  # keys over the window apart: so is the mask
            return keys, compute_mask(keys, self._logged_in(state, slots), top_share, state.backend)
        token = (queue, kpi, balance, top_share)
        version = self._versions.get(queue, 0)
        hit = self._cache.get(token)
        if hit is not None and hit[:3] == (version, slots, self.presence):
            return keys, hit[3]
        mask = compute_mask(keys, self._logged_in(state, slots), top_share, state.backend)
        self._cache[token] = (version, slots, self.presence, mask)
        return keys, mask

    def order(
        self, state: RouterState, queue: str, kpi: str, balance: float, at: float
    ) -> npt.NDArray[np.float64]:
        """The keys of :meth:`keys` alone (cached until the queue's counters change)."""
        slots = len(state.slots)
        model, p = self.model(state, queue, kpi, balance, at)
        if self._moved(at):
            return model_keys(model, slots, p)  # (the window apart: not cached)
        token = (queue, kpi, balance)
        version = self._versions.get(queue, 0)
        hit = self._cache.get(token)
        if hit is not None and hit[0] == version and hit[1] == slots:
            return hit[2]  # type: ignore[no-any-return]
        if state.backend == "numba":
            keys = keys_kernel(model, slots, p)
        else:
            keys = model_keys(model, slots, p)
        self._cache[token] = (version, slots, keys)
        return keys  # type: ignore[no-any-return]

    def model(
        self, state: RouterState, queue: str, kpi: str, balance: float, at: float
    ) -> tuple[npt.NDArray[np.float64], Params]:
        """What a decision reads to compute the keys of the agents it considers (and only
        those): the ``(3, ≥ slots)`` model of ``kpi`` on ``queue`` and its parameters
        (:mod:`ccrouter.engine.performance_kernel`). The model is kept column by column as
        counters change (O(1) per event); the parameters are cached until the queue's counters
        change. The model is the book's own array: read it before the next event."""
        decision = self.decision(state, queue, kpi, balance, 1.0, at)
        return decision[0], decision[1]

    def decision(
        self, state: RouterState, queue: str, kpi: str, balance: float, top_share: float, at: float
    ) -> Decision:
        """All a decision on ``queue`` reads, in one call (this is the hot path): the model
        and parameters (:meth:`model`), who is logged in (:meth:`logged_in`), and with
        ``top_share`` < 1 the best share's mask when it is worth having (else ``None``: the
        decision counts instead, see :meth:`cached_mask`). Cached until the queue's counters
        change, an agent logs in or out, or the slots grow."""
        slots = len(state.slots)
        latest = self.latest
        if latest is not None and math.floor(at / self.bucket) > latest and self._moved(at):
            # Asked after a quiet spell: the window apart, nothing cached.
            window, team = self._window_arrays(state, queue, at, slots)
            sign = -1.0 if kpi == "handle_time" else 1.0
            p = params(team_mean(team, kpi), sign, balance, window.mean())
            return window.models[kpi], p, self._logged_in(state, slots, whole=True), None, None
        token = (queue, kpi, balance, top_share, "decision")
        version = self._versions.get(queue, 0)
        hit = self._cache.get(token)
        if hit is not None and hit[0] == version and hit[1] == slots and hit[2] == self.presence:
            if hit[4] or top_share >= 1.0:
                return hit[3]  # type: ignore[no-any-return]
            # Asked again with nothing changed: the mask (one selection) pays off from now on,
            # while nothing changes; a decision after each change never builds it.
            model, p, present, _, _ = hit[3]
            mask = self.keys(state, queue, kpi, balance, top_share, at)[1]
            decision: Decision = (model, p, present, mask, None)
            self._cache[token] = (version, slots, self.presence, decision, True)
            return decision
        arrays = self._arrays.get(queue)
        if arrays is None or arrays.models[kpi].shape[1] < slots:
            arrays = self._queue_arrays(state, queue, slots)
        model = arrays.models[kpi]
        present = self._present
        if present is None or present.shape[0] < slots:
            present = self._logged_in(state, slots, whole=True)
        mean = arrays.done / arrays.active if arrays.active else 0.0  # (arrays.mean())
        mu = team_mean(self.team.get(queue, ZERO), kpi)
        p = params(mu, -1.0 if kpi == "handle_time" else 1.0, balance, mean)
        share = None
        if top_share < 1.0 and state.backend == "numba":
            index = self._shares.get(queue, _NO_SHARES).get((kpi, balance))
            if index is None:
                index = self._shares.setdefault(queue, {})[(kpi, balance)] = ShareIndex()
            share = index.ints if index.cap >= slots else index.arrays(model, present, slots, p)
        decision = (model, p, present, None, share)  # (typed above)
        self._cache[token] = (version, slots, self.presence, decision, False)
        return decision

    def _queue_arrays(self, state: RouterState, queue: str, slots: int) -> SlotModels:
        """The models of ``queue`` (built from the totals when missing), at least ``slots``
        wide."""
        arrays = self._arrays.get(queue)
        if arrays is None:
            arrays = self._arrays[queue] = SlotModels(max(16, slots), self.prior_weight)
            for (q, agent), total in self.totals.items():
                if q == queue and agent in state.agents:
                    arrays.set(state.agents[agent].slot, total)
        if arrays.size() < slots:
            arrays.grow(slots)
        return arrays

    def _moved(self, at: float) -> bool:
        """Whether buckets have left the window by ``at`` that the book still holds: asked
        past the last event's bucket (a match or an explanation after a quiet spell). The book
        is then not moved, since its buckets are digested and only events may change them (a
        replay's book would not have moved): the keys are computed over the window apart,
        uncached. (Events move the book: :meth:`observe` advances it.)"""
        if self.latest is None or self.index(at) <= self.latest:
            return False
        cutoff = self.index(at) - self.spans
        return any(b <= cutoff for b in self.buckets)

    def _window_arrays(
        self, state: RouterState, queue: str, at: float, slots: int
    ) -> tuple[SlotModels, list[int]]:
        """The models and the team's counters of ``queue`` over the window ending at ``at``
        (not cached, the book unchanged)."""
        arrays = SlotModels(max(16, slots), self.prior_weight)
        team = [0] * _N
        for (q, agent), total in self.window_totals(at).items():
            if q == queue:
                add_into(team, total)
                if agent in state.agents:
                    arrays.set(state.agents[agent].slot, total)
        return arrays, team

    def in_top(
        self,
        state: RouterState,
        queue: str,
        kpi: str,
        balance: float,
        top_share: float,
        at: float,
        slot: int,
    ) -> bool:
        """Whether ``slot`` is in :meth:`keys`' mask (``top_share`` < 1): read from the mask
        when it is cached (:meth:`cached_mask`), else decided by counting the logged-in agents
        whose key is below the slot's (one pass computing each key from the model,
        :func:`~ccrouter.engine.performance_kernel.below_kernel`), without storing keys or
        selecting."""
        model, p, present, mask, _ = self.decision(state, queue, kpi, balance, top_share, at)
        if mask is not None:
            return bool(mask[slot])
        slots = len(state.slots)
        below, count = count_below(model, present, slots, p, slot, backend=state.backend)
        return in_share(below, count, bool(present[slot]), top_share)

    def cached_mask(
        self, state: RouterState, queue: str, kpi: str, balance: float, top_share: float, at: float
    ) -> npt.NDArray[np.uint8] | None:
        """:meth:`keys`' mask if it is worth reading, else ``None`` (then a decision counts
        instead: :meth:`in_top`): asked a second time with nothing changed, the mask is built
        (one selection) and read from then on while nothing changes, so a run of decisions
        between changes reads it, and a decision after each change does not pay for it.
        Either way the answer is the same (a property test holds it)."""
        return self.decision(state, queue, kpi, balance, top_share, at)[3]

    def logged_in(self, state: RouterState) -> npt.NDArray[np.uint8]:
        """Per agent slot of ``state``, 1 when the agent is logged in (the book's own array,
        kept up to date by :meth:`observe`: read it before the next event)."""
        return self._logged_in(state, len(state.slots))

    def _logged_in(
        self, state: RouterState, slots: int, *, whole: bool = False
    ) -> npt.NDArray[np.uint8]:
        """Per slot, 1 when the agent is logged in (kept up to date by :meth:`observe`;
        rebuilt from the state when the book is new, restored or unpickled): the first
        ``slots``, or (``whole``) the book's whole array, at least ``slots`` wide (no view
        to make: the kernels are told how many slots to read)."""
        present = self._present
        if present is None:
            present = self._present = np.zeros(max(16, slots), dtype=np.uint8)
            for agent in state.agents.values():
                self._mark(agent.slot, agent.presence != "logged_out")
            present = self._present
        elif present.shape[0] < slots:
            self._mark(slots - 1, False)
            present = self._present
        assert present is not None
        return present if whole else present[:slots]

    def _mark(self, slot: int, logged_in: bool) -> None:
        present = self._present
        assert present is not None
        if present.shape[0] <= slot:
            grown = np.zeros(max(slot + 1, 2 * present.shape[0]), dtype=np.uint8)
            grown[: present.shape[0]] = present
            present = self._present = grown
        present[slot] = logged_in
        for queue, shares in self._shares.items():
            models = self._arrays[queue].models
            for (kpi, _), share in shares.items():
                share.touch(slot, models[kpi], present)

    # --- snapshots ----------------------------------------------------------------------------

    def canonical(self) -> list[object]:
        """Plain ordered data for the state digest and snapshots."""
        return [
            self.latest,
            sorted(
                (b, sorted([q, a, list(c)] for (q, a), c in cells.items()))
                for b, cells in self.buckets.items()
            ),
            sorted([iid, *c] for iid, c in self.contacts.items()),
            sorted(self.connected.items()),
        ]

    @classmethod
    def from_canonical(cls, settings: PerformanceConfig, data: list[Any]) -> PerformanceBook:
        """The book :meth:`canonical` describes."""
        book = cls(settings)
        latest, buckets, contacts, connected = data
        book.latest = None if latest is None else int(latest)
        for b, cells in buckets:
            book.buckets[int(b)] = {(q, a): [int(x) for x in c] for q, a, c in cells}
            for q, a, c in cells:
                add_into(book.totals.setdefault((q, a), [0] * _N), c)
                add_into(book.team.setdefault(q, [0] * _N), c)
        book.contacts = {iid: [q, a, int(b), bool(f)] for iid, q, a, b, f in contacts}
        book.connected = {iid: float(t) for iid, t in connected}
        return book

    def __getstate__(self) -> dict[str, Any]:
        # Pickled by the explain checkpoints: the derived arrays and caches are rebuilt.
        return {"settings": self.settings, "data": self.canonical()}

    def __setstate__(self, data: dict[str, Any]) -> None:
        other = PerformanceBook.from_canonical(data["settings"], data["data"])
        for name in PerformanceBook.__slots__:
            setattr(self, name, getattr(other, name))


def window_rows(
    contacts: Mapping[str, tuple[str, str, float, list[int]]],
    start: float,
    end: float,
    *,
    prior_weight: float,
) -> list[PerformanceRow]:
    """Rows over the contacts that ended in ``[start, end)`` (``contacts``: interaction id to
    (queue, agent, completed at, counters), as :class:`ContactLog` collects them)."""
    totals: dict[tuple[str, str], list[int]] = {}
    for queue, agent, ended, c in contacts.values():
        if start <= ended < end:
            add_into(totals.setdefault((queue, agent), [0] * _N), c)
    return rows(totals, prior_weight=prior_weight)


class ContactLog:
    """Every contact of a log with its counters, without a window: the plain recomputation
    behind ``Router.performance(start=, end=)`` (any past window), and the reference the
    incremental book is tested against. Fold it beside a state, like the book."""

    def __init__(self) -> None:
        self.contacts: dict[str, tuple[str, str, float, list[int]]] = {}
        self.failed: set[str] = set()
        self.accepted: dict[str, float] = {}

    def observe(self, event: Event, state: RouterState) -> None:
        """Fold one event (applied to ``state`` already)."""
        if isinstance(event, OfferAccepted | TransferAccepted):
            self.accepted[event.interaction_id] = event.at
        elif isinstance(event, InteractionTransferred):
            self.accepted.pop(event.interaction_id, None)
        elif isinstance(event, InteractionCompleted):
            iid = event.interaction_id
            handle = fixed(event.at - self.accepted.pop(iid, event.at))
            c = [0] * _N
            c[DONE], c[HT], c[HT2] = 1, handle, handle * handle
            self.contacts[iid] = (state.interactions[iid].queue, event.agent_id, event.at, c)
        elif isinstance(event, OutcomeRecorded) and event.interaction_id in self.contacts:
            c = self.contacts[event.interaction_id][3]
            add_into(c, outcome_counters(event, event.interaction_id in self.failed))
            if event.resolved is False:
                self.failed.add(event.interaction_id)
        elif (
            isinstance(event, RepeatContact)
            and event.previous_id in self.contacts
            and event.previous_id not in self.failed
        ):
            self.failed.add(event.previous_id)
            self.contacts[event.previous_id][3][FAIL] += 1
