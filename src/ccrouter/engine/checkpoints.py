"""Explain checkpoints: the state before any decision without replaying the whole log.

An explanation (:mod:`ccrouter.engine.routing.explain`) needs the state just before the
decision. Folding the log from its start up to there costs time in proportion to the log (4 s
on a log of a million events); :class:`Checkpoints` keeps, in memory, a copy of the state every
``every`` events or so (and each interaction records the ``seq`` of its last offer), so the
state before a decision is the nearest copy before it plus the few events after it.

What a copy holds: what the rules of an explanation and the events after the copy read, not
the whole state. The state keeps every interaction ever submitted, so a copy of it would grow
with the log (and cost as much to decode); a copy keeps the *live* interactions (waiting,
offered, connected, or held by an agent in wrap-up), every agent, the queues, timers, the
matching arrays, the fairness ledger and the config in force. Finished interactions, the
customer index and the command ids are left out: no explanation reads them, and no event after
the copy changes them except a note added to an interaction that exited, for which the fold
puts a placeholder in. ``tests/property/test_explain_checkpoints.py`` holds every explanation
equal to the one of a full replay.

The copies are pickled (in memory only, never stored or read from elsewhere): pickle copies
the records' dicts, tuples and frozensets exactly and keeps shared objects shared, and the
records themselves are written as their field values (the constructor rebuilds them).

Cost: a copy costs about as much as a command per agent or live interaction, so copies are
taken every ``every`` events but never more often than every ``PER_RECORD x (agents + live
interactions)`` events (a few percent of live commands at most). While a router opens its
log they are ``OPEN_FACTOR`` times sparser (a replayed event costs a fraction of a
command); the first explanation in such a stretch folds it once and fills in the dense
copies. Memory: copies are kept up to ``max_bytes``; past that every other one is dropped
(the spacing doubles), so memory stays bounded on any log and an explanation stays correct,
only slower.
"""

from __future__ import annotations

import bisect
import gc
import pickle
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from operator import attrgetter
from typing import Any, NamedTuple

import attrs
import msgspec

from ccrouter.config import RouterConfig
from ccrouter.engine.agent_table import AgentTable
from ccrouter.engine.batch_steps import BatchSteps
from ccrouter.engine.records import Agent, Interaction
from ccrouter.engine.routing.explain import Explanation, explain_decision
from ccrouter.engine.routing.explain_batch import explain_batch
from ccrouter.engine.state import RouterState
from ccrouter.errors import InvalidArgument
from ccrouter.events import Event, InteractionOffered, InteractionQueued

__all__ = [
    "Checkpoints",
    "Reader",
    "explain_events",
    "explain_interaction",
    "explain_offer",
    "replay_before",
]

Reader = Callable[[int, int], Iterable[Event]]
"""``read(start, stop)``: the log's events with ``start <= seq < stop``, in order
(``EventLog.read``)."""

EVERY = 1024
"""Default spacing of the copies, in events (the most events folded to explain a decision)."""
MAX_BYTES = 64 << 20
"""Default memory held by the copies before every other one is dropped."""
PER_RECORD = 8
"""Copies are never taken more often than every ``PER_RECORD`` events per agent and live
interaction in the state (a copy's cost grows with them)."""

OPEN_FACTOR = 8
"""Copies taken while a router opens its log are this many times sparser."""
STEPS_SHARE = 8
"""The record of batch steps (:attr:`Checkpoints.steps`) may hold ``max_bytes`` divided by
this."""

# --- the copy codec ---------------------------------------------------------------------------

_AGENT_FIELDS = tuple(f.name for f in attrs.fields(Agent) if f.init)
_INTERACTION_FIELDS = tuple(f.name for f in attrs.fields(Interaction) if f.init)
_agent_values = attrgetter(*_AGENT_FIELDS)
_interaction_values = attrgetter(*_INTERACTION_FIELDS)


def _agent(values: tuple[Any, ...]) -> Agent:
    return Agent(*values)


def _interaction(values: tuple[Any, ...]) -> Interaction:
    # ``signature`` is derived from channel and skills by the constructor, as the state keeps it.
    return Interaction(*values)


def _table(fields: dict[str, Any]) -> AgentTable:
    table = AgentTable.__new__(AgentTable)
    table.__dict__.update(fields)
    table._requirements = {}  # the kernel's cache of requirement rows, refilled on use
    return table


_REDUCERS: dict[type, Callable[[Any], tuple[Any, ...]]] = {
    Agent: lambda a: (_agent, (_agent_values(a),)),
    Interaction: lambda i: (_interaction, (_interaction_values(i),)),
    AgentTable: lambda t: (
        _table,
        ({k: v for k, v in t.__dict__.items() if k != "_requirements"},),
    ),
}
_STATE_FIELDS = tuple(f.name for f in attrs.fields(RouterState) if f.init)
"""The state's fields a copy holds; the others are derived (the selector masks, which read
the agents through the state) and made again by the state's own post-init on decode."""
_LEFT_OUT: dict[str, Any] = {"config": None, "customers": {}, "commands": {}}
"""What a copy leaves out of the state: the config (kept beside the bytes, by reference), the
customer index and the command ids (finished interactions: see :func:`_live`)."""


def _live(state: RouterState) -> dict[str, Interaction]:
    """The interactions an explanation or a later event may read: waiting or offered (they
    have a queue key), and every one an agent holds (connected, in wrap-up, consulted)."""
    interactions = state.interactions
    live = {iid: interactions[iid] for iid in state._keys}
    for agent in state.agents.values():
        for holder in (agent.offers, agent.connected, agent.wrapping, agent.consults):
            for iid in holder:
                if iid not in live:
                    live[iid] = interactions[iid]
    return live


def _encode(state: RouterState, live: dict[str, Interaction]) -> bytes:
    """The copy's bytes: ``state``'s fields with the live interactions only and without
    what :data:`_LEFT_OUT` names (see the module docstring)."""
    fields = [
        live if name == "interactions" else _LEFT_OUT.get(name, getattr(state, name))
        for name in _STATE_FIELDS
    ]
    parts: list[bytes] = []
    pickler = pickle.Pickler(_Sink(parts), protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _REDUCERS
    pickler.dump(fields)
    return b"".join(parts)


class _Sink:
    """Where the pickler writes: the parts, joined afterwards (a buffer in memory)."""

    def __init__(self, parts: list[bytes]) -> None:
        self.write = parts.append


def _decode(config: RouterConfig, blob: bytes) -> RouterState:
    state = RouterState.__new__(RouterState)
    for name, value in zip(_STATE_FIELDS, pickle.loads(blob), strict=True):
        object.__setattr__(state, name, value)
    state.config = config
    state.__attrs_post_init__()  # the derived fields, over this state's agents
    return state


def _placeholder(interaction_id: str) -> Interaction:
    """A finished interaction left out of a copy, for an event that still names it (a note
    added after it exited): the event changes only it, and nothing reads it."""
    stub = Interaction(interaction_id, "", "", {}, 0.0, None, {}, 0.0, 0)
    stub.status = "exited"
    return stub


def _placehold(state: RouterState, events: list[Event]) -> None:
    """Put placeholders in ``state`` (a copy's) for the finished interactions that ``events``
    name and the copy left out."""
    known = state.interactions
    new: set[str] = set()
    for event in events:
        iid = getattr(event, "interaction_id", None)
        if iid is None or iid in known or iid in new:
            continue
        if type(event) is InteractionQueued:
            new.add(iid)
        else:
            known[iid] = _placeholder(iid)


# --- the checkpoints ----------------------------------------------------------------------------


class _Copy(NamedTuple):
    config: RouterConfig
    blob: bytes
    gap: int
    """Events to the next copy, at the dense spacing."""
    sparse: bool
    """The stretch after it is not filled in with dense copies: taken while the router
    opened (the next copy is ``OPEN_FACTOR`` gaps away), or the last one a fill-in took
    (it stopped at the decision it was for)."""


class Checkpoints:
    """Copies of a router's state every ``every`` events or so.

    The router feeds it: :meth:`fold` while it opens its log, :meth:`observe` after each
    command; :meth:`state_before` then gives the state just before any event.

    While the router opens its log, copies are ``open_factor`` times sparser (a replay's
    events cost less than commands, so a copy weighs more there); the first explanation
    within such a stretch folds it once and fills in the dense copies.

    Args:
        every: the spacing of the copies, in events (default :data:`EVERY`).
        max_bytes: memory the copies may hold; past it, every other copy is dropped (default
            :data:`MAX_BYTES`).
        per_record: copies are at least this many events apart per agent and live
            interaction of the state (default :data:`PER_RECORD`; 0: ``every`` only).
        open_factor: how much sparser the copies taken while opening are (default
            :data:`OPEN_FACTOR`).

    Raises:
        InvalidArgument: ``every``, ``max_bytes`` or ``open_factor`` is not a positive
            integer, or ``per_record`` not a non-negative one.
    """

    def __init__(
        self,
        *,
        every: int | None = None,
        max_bytes: int | None = None,
        per_record: int | None = None,
        open_factor: int | None = None,
    ) -> None:
        every = EVERY if every is None else every
        max_bytes = MAX_BYTES if max_bytes is None else max_bytes
        per_record = PER_RECORD if per_record is None else per_record
        open_factor = OPEN_FACTOR if open_factor is None else open_factor
        for name, value, low in (
            ("every", every, 1),
            ("max_bytes", max_bytes, 1),
            ("per_record", per_record, 0),
            ("open_factor", open_factor, 1),
        ):
            if type(value) is not int or value < low:
                msg = f"{name} must be an integer >= {low}, got {value!r}"
                raise InvalidArgument(msg)
        self.every = every
        self.max_bytes = max_bytes
        self.per_record = per_record
        self.open_factor = open_factor
        self._versions: list[int] = []
        self._copies: dict[int, _Copy] = {}
        self._bytes = 0
        self._opened_at = 0
        """The version the router opened its state at (a snapshot's, or 0)."""
        self._earlier: dict[str, int] | None = None
        """Last offers up to ``_opened_at``, read from the log when first needed."""
        self._spacing = every
        """The least spacing (doubled each time copies are dropped)."""
        self._next = every
        """The version the next copy of a live command is due at."""
        self.steps = BatchSteps(max(1, max_bytes // STEPS_SHARE))
        """The pairs of the batch steps the log may not tell (explain's lookup of a step)."""

    # --- recording ------------------------------------------------------------------------------

    def fold(self, state: RouterState, events: Iterable[Event]) -> None:
        """Fold ``events`` into ``state`` (as ``state.apply_many``), starting the record over
        from ``state``'s version, with sparse copies on the way.

        Raises:
            InvalidArgument: an event's ``seq`` does not follow the one before (as
                ``RouterState.apply_many``).
        """
        self._versions, self._copies, self._bytes = [], {}, 0
        self._earlier, self._opened_at = None, state.last_seq
        self._spacing = self.every
        due = self._take(state, self.open_factor)
        self._fold(state, iter(events), due, factor=self.open_factor)
        last = self._versions[-1]  # live commands take dense copies from here on
        self._next = last + self._copies[last].gap

    def observe(self, state: RouterState) -> None:
        """After a command: take a copy of ``state`` when one is due."""
        if state.last_seq >= self._next:
            self._next = self._take(state, 1)

    def _fold(
        self,
        state: RouterState,
        events: Iterator[Event],
        due: int,
        *,
        factor: int,
        placehold: bool = False,
    ) -> None:
        """Fold ``events`` in chunks that end where copies are due (the first at ``due``,
        then ``factor`` gaps apart); ``placehold``: ``state`` is a copy's (see
        :func:`_placehold`)."""
        while True:
            last = state.last_seq
            if placehold:
                chunk = list(islice(events, max(1, due - last)))
                _placehold(state, chunk)
                state.apply_many(chunk)
            else:  # (no list: a replay's events stream through)
                state.apply_many(islice(events, max(1, due - last)))
            if state.last_seq == last:  # no event left
                return
            if state.last_seq >= due:
                due = self._take(state, factor)

    def _take(self, state: RouterState, factor: int) -> int:
        """Copy ``state`` (unless a copy of its version is kept); return the version the next
        copy is due at, ``factor`` gaps on."""
        live = _live(state)
        version = state.last_seq
        gap = max(self._spacing, self.per_record * (len(state.agents) + len(live)))
        if version not in self._copies:
            collecting = gc.isenabled()
            gc.disable()  # its objects are gone when it returns: no collection for them
            try:
                blob = _encode(state, live)
            finally:
                if collecting:
                    gc.enable()
            self._copies[version] = _Copy(state.config, blob, gap, factor > 1)
            bisect.insort(self._versions, version)
            self._bytes += len(blob)
            if self._bytes > self.max_bytes and len(self._versions) > 2:
                self._thin()
        return version + gap * factor

    def _thin(self) -> None:
        """Drop every other copy (keeping the first and the last): the spacing doubles."""
        last = self._versions[-1]
        keep = [v for k, v in enumerate(self._versions) if k % 2 == 0 or v == last]
        for version in set(self._versions) - set(keep):
            self._bytes -= len(self._copies.pop(version).blob)
        self._versions = keep
        self._spacing *= 2
        for version in keep:  # dropped copies are not filled in again
            self._copies[version] = self._copies[version]._replace(sparse=False)

    # --- queries --------------------------------------------------------------------------------

    def last_offer(self, interaction: Interaction, read: Reader) -> int | None:
        """The ``seq`` of ``interaction``'s last offer (``None``: never offered): its
        ``offer_seq``. A router opened from a snapshot written before records kept it has
        ``None`` for work offered before the snapshot: then the log up to the snapshot is
        read once for its offers."""
        seq = interaction.offer_seq
        if seq is None and self._opened_at:
            if self._earlier is None:
                self._earlier = {}
                for event in read(1, self._opened_at + 1):
                    if type(event) is InteractionOffered:
                        self._earlier[event.interaction_id] = event.seq
            seq = self._earlier.get(interaction.interaction_id)
        return seq

    def state_before(self, seq: int, read: Reader, fresh: Callable[[], RouterState]) -> RouterState:
        """A state as it was just before event ``seq`` (``last_seq == seq - 1``), with the
        live interactions only (see the module docstring): the nearest copy before it, plus
        the events after the copy.

        Far from a dense copy (before the first copy of a router opened from a snapshot, or
        in a sparse stretch taken while opening), the events are folded from ``fresh()`` (a
        state at version 0) or the sparse copy, taking dense copies on the way for the next
        time."""
        target = seq - 1
        collecting = gc.isenabled()
        gc.disable()  # many long-lived objects, no cycles (as in a replay)
        try:
            k = bisect.bisect_right(self._versions, target) - 1
            if k < 0:
                state, start, gap, fill = fresh(), 0, self._spacing, True
            else:
                start = self._versions[k]
                copy = self._copies[start]
                state, gap = _decode(copy.config, copy.blob), copy.gap
                fill = copy.sparse and target - start > gap
            if not fill:
                events = list(read(start + 1, seq))
                _placehold(state, events)
                state.apply_many(events)
                return state
            self._fold(state, iter(read(start + 1, seq)), start + gap, factor=1, placehold=k >= 0)
            self._stopped(target)
            return state
        finally:
            if collecting:
                gc.enable()

    def _stopped(self, target: int) -> None:
        """After a fill-in up to ``target``: the last copy it took is followed by a stretch
        still unfilled when the next copy is more than a gap away (or there is none), so a
        later decision in that stretch fills it in from there (instead of folding it all,
        every time, from a dense copy)."""
        k = bisect.bisect_right(self._versions, target) - 1
        if k < 0:
            return
        last = self._versions[k]
        copy = self._copies[last]
        after = self._versions[k + 1] if k + 1 < len(self._versions) else None
        if not copy.sparse and (after is None or after - last > copy.gap):
            self._copies[last] = copy._replace(sparse=True)

    def describe(self) -> dict[str, int]:
        """What the checkpoints hold: ``copies`` (``sparse`` of them taken while opening),
        their ``bytes`` and the least ``spacing`` in events."""
        return {
            "copies": len(self._versions),
            "sparse": sum(1 for c in self._copies.values() if c.sparse),
            "bytes": self._bytes,
            "spacing": self._spacing,
        }


# --- explaining -------------------------------------------------------------------------------


def explain_interaction(
    state: RouterState,
    interaction: Interaction,
    offer_seq: int | None,
    read: Reader,
    before: Callable[[int], RouterState],
    steps: BatchSteps | None = None,
) -> Explanation:
    """Explain ``interaction``'s last decision (see :meth:`ccrouter.router.Router.explain`).

    Args:
        state: the router's current state (for an interaction never offered: why nobody
            can take it now).
        interaction: the interaction, as ``state`` holds it.
        offer_seq: the ``seq`` of its last offer (``None``: never offered).
        read: the log's reader.
        before: the state just before an event ``seq`` (``last_seq == seq - 1``):
            :meth:`Checkpoints.state_before`, or a fold of the log from its start.
        steps: where a batch step's pairs are looked up (:attr:`Checkpoints.steps`);
            ``None``: the step is solved again.

    Returns:
        The explanation, the same whichever ``before`` gives the state and whether
        ``steps`` is given.
    """
    if offer_seq is None:
        return explain_decision(state, interaction, state.now, None)
    return explain_offer(interaction.interaction_id, offer_seq, read, before, steps)


def explain_offer(
    interaction_id: str,
    offer_seq: int,
    read: Reader,
    before: Callable[[int], RouterState],
    steps: BatchSteps | None = None,
) -> Explanation:
    """Explain the offer of ``interaction_id`` that is event ``offer_seq`` (arguments as for
    :func:`explain_interaction`)."""
    decision = next(iter(read(offer_seq, offer_seq + 1)))
    assert isinstance(decision, InteractionOffered)
    if decision.batch_seq is not msgspec.UNSET:
        # A batch step's decision: from the state before its first offer and the step's
        # pairs (looked up, or the step solved again).
        start = before(decision.batch_seq)
        offers = (
            None if steps is None else steps.offers(start, decision.at, decision.batch_seq, read)
        )
        return explain_batch(
            start,
            start.interactions[interaction_id],
            decision.at,
            offer_seq,
            chosen=decision.agent_id,
            batch_seq=decision.batch_seq,
            offers=offers,
        )
    prior = before(offer_seq)
    return explain_decision(
        prior, prior.interactions[interaction_id], decision.at, offer_seq, chosen=decision.agent_id
    )


def explain_events(
    events: Sequence[Event], interaction_id: str, config: RouterConfig | None = None
) -> Explanation | None:
    """Explain ``interaction_id``'s last offer in a whole log held in memory (``events``,
    from ``seq`` 1 on, under ``config``: default ``RouterConfig()``), folding the log only up
    to that decision (what ``ccrouter explain`` does: a process that explains once needs no
    copies). ``None`` when the log has no offer of it (the caller explains the current
    state, or reports an unknown interaction).
    """
    offer = next(
        (
            e
            for e in reversed(events)
            if type(e) is InteractionOffered and e.interaction_id == interaction_id
        ),
        None,
    )
    if offer is None or events[offer.seq - 1] is not offer:
        return None

    def read(start: int, stop: int) -> Iterable[Event]:
        return events[start - 1 : stop - 1]

    before = replay_before(RouterConfig() if config is None else config, read)
    return explain_offer(interaction_id, offer.seq, read, before, BatchSteps(MAX_BYTES))


def replay_before(config: RouterConfig, read: Reader) -> Callable[[int], RouterState]:
    """``before`` for :func:`explain_interaction` that folds the log from its start (from a
    state of ``config``): what ``explain`` did before checkpoints, and the reference the
    checkpoints are tested against. O(seq) per call."""

    def before(seq: int) -> RouterState:
        state = RouterState(config)
        collecting = gc.isenabled()
        gc.disable()
        try:
            state.apply_many(read(1, seq))
        finally:
            if collecting:
                gc.enable()
        return state

    return before
