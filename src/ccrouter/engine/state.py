"""The router's state: a projection of the event log.

:meth:`RouterState.apply` is the only way state changes, one event at a time; applying the
same events to a fresh state always gives the same state. ``apply`` trusts its events (the core
validated the commands that produced them) but checks that ``seq`` numbers continue without
gaps, so a log from elsewhere cannot be applied out of order.

Waiting work is kept per queue in groups of interactions with the same channel and skill
requirements (a *signature*). Each group is a ``SortedList`` ordered by
``(-(priority - aging_rate * arrived_at), arrived_at, queued_seq)``: with linear aging that is
the order of ``priority + aging_rate * waited`` at any later time, so the order never needs
re-sorting as time passes. An agent looking for work only checks each group's head.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs
from sortedcontainers import SortedList

from ccrouter.config import QueueConfig, RouterConfig
from ccrouter.engine.agent_table import HANDLED, LOGIN_ORDER, AgentTable
from ccrouter.engine.channels import available
from ccrouter.engine.fairness import FairnessLedger
from ccrouter.engine.invariants import check_state
from ccrouter.engine.policies import POLICIES, POLICY_TIMERS
from ccrouter.engine.records import (
    Agent,
    AgentStatus,
    Interaction,
    InteractionStatus,
    QueueKey,
    QueueState,
    Segment,
    Signature,
    Timer,
    meets_skills,
    queue_key,
    reminder_times,
    restriction,
)
from ccrouter.engine.routing.selectors import SelectorMasks, rule_selector
from ccrouter.errors import InvalidArgument
from ccrouter.events import (
    AgentAttributesUpdated,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    AgentUpdated,
    CallbackRequested,
    CommandRecorded,
    ConfigChanged,
    Event,
    InteractionAbandoned,
    InteractionClassified,
    InteractionCompleted,
    InteractionDeadlineSet,
    InteractionExited,
    InteractionNoteAdded,
    InteractionOffered,
    InteractionOverdue,
    InteractionPaused,
    InteractionQueued,
    InteractionReminded,
    InteractionResumed,
    InteractionStepped,
    InteractionTargeted,
    InteractionTargetExpired,
    InteractionTransferred,
    InteractionUpdated,
    OfferAccepted,
    OfferDeclined,
    OfferRevoked,
    OfferTimedOut,
    TransferAccepted,
    TransferDeclined,
    TransferOffered,
    WrapUpEnded,
    WrapUpExtended,
)

__all__ = [
    "POLICY_TIMERS",
    "Agent",
    "AgentStatus",
    "Interaction",
    "InteractionStatus",
    "QueueState",
    "RouterState",
    "Segment",
    "Signature",
    "Timer",
    "reminder_times",
    "restriction",
]


@attrs.define(eq=False)
class RouterState:
    """Everything the router knows, rebuilt by applying events in order."""

    config: RouterConfig = attrs.Factory(RouterConfig)
    config_version: int = 0
    """0 for the configuration the state started with, then one more per ``ConfigChanged``."""
    last_seq: int = 0
    now: float = float("-inf")
    agents: dict[str, Agent] = attrs.Factory(dict)
    slots: list[str] = attrs.Factory(list)
    interactions: dict[str, Interaction] = attrs.Factory(dict)
    queues: dict[str, QueueState] = attrs.Factory(dict)
    timers: SortedList = attrs.Factory(SortedList)
    timer_of: dict[tuple[str, str], Timer] = attrs.Factory(dict)
    """(kind, interaction id) to its pending timer, for O(log n) cancellation."""
    round_robin_last: dict[str, int] = attrs.Factory(dict)
    """Queue name to the login order of the agent its last offer went to."""
    logins: int = 0
    commands: dict[str, tuple[str, int, int]] = attrs.Factory(dict)
    """Command id to (content fingerprint, seq of its first event, number of its events), from
    :class:`~ccrouter.events.CommandRecorded` events: what makes commands idempotent."""
    armed: set[str] = attrs.Factory(set)
    """Interactions that may hold policy timers (a superset; derived, not digested): the
    others skip the cancelling when they leave the queue."""
    customers: dict[str, list[str]] = attrs.Factory(dict)
    """Customer id to the interactions that customer started, in arrival order."""
    table: AgentTable = attrs.Factory(AgentTable)
    watched: dict[str, Interaction] = attrs.Factory(dict)
    """Waiting interactions of queues with ``max_wait_no_agents`` (not callbacks): the ones
    whose ``empty`` timer an agent's login or logout may set or cancel. Derived."""
    _keys: dict[str, QueueKey] = attrs.Factory(dict)
    _arrival_rules: dict[str, tuple[float, tuple[str, ...], bool]] = attrs.Factory(dict)
    """Per queue, what an arrival reads of its config (see :func:`_arrival_rules`); derived,
    cleared when the config changes."""
    _dirty: dict[str, Agent] | None = None
    """While :meth:`apply_many` runs: agents whose matching arrays are not synced yet."""
    _pending: dict[str, Interaction] | None = None
    """While :meth:`apply_many` runs: interactions waiting but not yet in their groups."""
    ledger: FairnessLedger | None = None
    """The fairness ledger, kept only when ``config.fairness`` is set."""
    torn: bool = False
    """An event failed part-way through its apply: the state is no longer a fold of its
    events, and its owner must rebuild it (the router does, from its log)."""
    backend: str = "numba"
    """How the core selects agents (``"numba"`` or ``"python"``; same decisions either way):
    set by the core's entry points, carried here so that no routing function passes it on.
    Not a fact of the log: no snapshot or digest holds it."""
    selectors: SelectorMasks = attrs.field(init=False)
    """The agent selectors' masks and the orderings' keys over the slots (derived from the
    agents' attributes; :mod:`ccrouter.engine.routing.selectors`)."""

    def __attrs_post_init__(self) -> None:
        if self.ledger is None and self.config.fairness is not None:
            self.ledger = FairnessLedger(self.config.fairness.window)
        self.selectors = SelectorMasks(self._slot_attributes, self.slots.__len__)

    def _slot_attributes(self, slot: int) -> Mapping[str, Any]:
        return self.agents[self.slots[slot]].attributes

    # --- queries -----------------------------------------------------------------------------

    def queue(self, name: str) -> QueueState:
        queue = self.queues.get(name)
        if queue is None:
            queue = self.queues[name] = QueueState(name)
        return queue

    def waiting(self) -> Iterator[Interaction]:
        """Every queued interaction (queue by queue, each in routing order within a group)."""
        for queue in self.queues.values():
            for key in queue.iter_keys():
                yield self.interactions[key[3]]

    def next_timer(self) -> Timer | None:
        return self.timers[0] if self.timers else None

    # --- evolve ------------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Fold one event into the state.

        Raises:
            InvalidArgument: ``event.seq`` does not follow ``last_seq``.
        """
        if event.seq != self.last_seq + 1:
            expected = self.last_seq + 1
            msg = f"event seq {event.seq} does not follow {self.last_seq}; expected {expected}"
            raise InvalidArgument(msg)
        try:  # (free when nothing raises)
            _APPLY[type(event)](self, event)
            if self.ledger is not None:
                self.ledger.observe(event)
        except BaseException:
            self.torn = True
            raise
        self.last_seq = event.seq
        if event.at > self.now:
            self.now = event.at

    def apply_many(self, events: Iterable[Event]) -> None:
        """Fold events in order: the same state as :meth:`apply` on each, faster (a replay).

        Matching arrays are synced once per touched agent at the end, and interactions that
        wait are put in their sorted groups at the end (one that is queued and then offered
        within the batch never enters a group). If the events fail (a gap, a read error),
        the state holds every event before it, exactly as with :meth:`apply`; if an event
        fails part-way through its apply, the state is marked :attr:`torn`.

        Raises:
            InvalidArgument: an event's ``seq`` does not follow the one before.
        """
        event: Event | None = None
        if self._dirty is not None:  # re-entered: plain folding
            for event in events:
                self.apply(event)
            return
        self._dirty, self._pending = {}, {}
        handlers = _APPLY
        try:
            for event in events:
                if event.seq != self.last_seq + 1:
                    self.apply(event)  # raises, naming the gap
                handlers[type(event)](self, event)
                if self.ledger is not None:  # read each time: a config change may set it
                    self.ledger.observe(event)
                self.last_seq = event.seq
                if event.at > self.now:
                    self.now = event.at
        except BaseException:
            # Torn if it failed inside an event's apply (its seq is next, not yet counted);
            # not if the events themselves failed (a gap, a store's read error between two).
            if event is not None and event.seq == self.last_seq + 1:
                self.torn = True
            raise
        finally:
            dirty, pending = self._dirty, self._pending
            self._dirty = self._pending = None
            for agent in dirty.values():
                self.table.set_fact(agent.slot, LOGIN_ORDER, agent.login_order)
                self.table.set_fact(agent.slot, HANDLED, agent.handled)
                self._sync(agent)
            for interaction in pending.values():
                self._add_to_group(interaction)

    def defer_filing(self) -> None:
        """Keep interactions queued from now on out of their sorted groups (they still count
        as waiting) until :meth:`file_deferred`: for a caller that routes a new interaction
        right away and reads no group meanwhile, so one that is offered at once never enters
        a group."""
        if self._pending is None:
            self._pending = {}

    def file_deferred(self) -> None:
        """Put the interactions kept aside by :meth:`defer_filing` in their groups."""
        pending, self._pending = self._pending, None
        if pending:
            for interaction in pending.values():
                self._add_to_group(interaction)

    def _login(self, e: AgentLoggedIn) -> None:
        agent = self.agents.get(e.agent_id)
        if agent is None:
            slot = self.table.add_agent()
            self.slots.append(e.agent_id)
            agent = self.agents[e.agent_id] = Agent(e.agent_id, slot, {}, {})
        self.logins += 1
        agent.skills = dict(e.skills)
        agent.capacity = dict(e.capacity)
        agent.presence, agent.reason = "not_ready", None
        agent.login_order = self.logins
        agent.logged_in_at = agent.idle_since = e.at
        agent.handled = agent.misses = 0
        agent.in_use = dict.fromkeys(e.capacity, 0)
        agent.groups = frozenset(e.groups)
        agent.budget = e.budget
        agent.attributes = dict(e.attributes)
        for channel in e.capacity:
            self.table.ensure_channel(channel)
        self.table.set_skills(agent.slot, agent.skills)
        self.selectors.changed(agent.slot)
        if self._dirty is None:
            self.table.set_fact(agent.slot, LOGIN_ORDER, agent.login_order)
            self.table.set_fact(agent.slot, HANDLED, 0)
        self._sync(agent)
        self._rewatch(e.at, e.seq)

    def _logout(self, e: AgentLoggedOut) -> None:
        agent = self.agents[e.agent_id]
        agent.presence, agent.reason = "logged_out", None
        self._sync(agent)
        self._rewatch(e.at, e.seq)

    def _ready(self, e: AgentReady) -> None:
        agent = self.agents[e.agent_id]
        agent.presence, agent.reason = "ready", None
        agent.idle_since = e.at
        agent.misses = 0
        self._sync(agent)

    def _agent_updated(self, e: AgentUpdated) -> None:
        agent = self.agents[e.agent_id]
        if e.skills is not None:
            agent.skills = dict(e.skills)
            self.table.set_skills(agent.slot, agent.skills)
        if e.capacity is not None:
            agent.capacity = dict(e.capacity)
            # (validated: a channel dropped or lowered holds no more than its new capacity)
            agent.in_use = {ch: agent.in_use.get(ch, 0) for ch in e.capacity}
            for channel in e.capacity:
                self.table.ensure_channel(channel)
        if e.groups is not None:
            agent.groups = frozenset(e.groups)
        self._sync(agent)
        self._rewatch(e.at, e.seq)  # who could serve waiting work may have changed

    def _wrap_up_extended(self, e: WrapUpExtended) -> None:
        self._cancel_timer("wrap", e.interaction_id)
        self._set_timer(e.until, e.seq, "wrap", e.interaction_id)

    def _not_ready(self, e: AgentNotReady) -> None:
        agent = self.agents[e.agent_id]
        agent.presence, agent.reason = "not_ready", e.reason
        self._sync(agent)

    def _queued(self, e: InteractionQueued) -> None:
        # Positional (half the cost of keywords on this hot path), in field order:
        # interaction_id, channel, queue, skills, priority, customer_id, attributes,
        # arrived_at, queued_seq.
        interaction = Interaction(
            e.interaction_id,
            e.channel,
            e.queue,
            dict(e.skills),
            e.priority,
            e.customer_id,
            dict(e.attributes),
            e.at,
            e.seq,
        )
        rules = self._arrival_rules.get(e.queue)
        if rules is None:
            rules = self._arrival_rules[e.queue] = _arrival_rules(self.config.queue(e.queue))
        rate, groups, timed = rules
        if groups:
            interaction.groups = groups
        self.interactions[e.interaction_id] = interaction
        if e.customer_id is not None:
            contacts = self.customers.get(e.customer_id)
            if contacts is None:
                self.customers[e.customer_id] = [e.interaction_id]
            else:
                contacts.append(e.interaction_id)
        self._keys[e.interaction_id] = queue_key(e.priority, rate, e.at, e.seq, e.interaction_id)
        self._enqueue(interaction)
        # (No deadline yet: InteractionDeadlineSet, if any, comes next and arms its timers.)
        if timed:
            self._arm(interaction, e.at, e.seq)

    def _offered(self, e: InteractionOffered) -> None:
        interaction = self.interactions[e.interaction_id]
        agent = self.agents[e.agent_id]
        self._dequeue(interaction)
        if self.armed or self.watched:  # some work has policy timers: maybe this one
            self._disarm(interaction)
        interaction.status, interaction.agent_id = "offered", e.agent_id
        interaction.offer_expires_at, interaction.offer_seq = e.expires_at, e.seq
        agent.offers[e.interaction_id] = interaction.channel
        agent.in_use[interaction.channel] += 1
        if e.expires_at is not None:
            self._set_timer(e.expires_at, e.seq, "offer", e.interaction_id)
        self.round_robin_last[interaction.queue] = agent.login_order
        self._sync(agent)

    def _accepted(self, e: OfferAccepted) -> None:
        interaction = self.interactions[e.interaction_id]
        agent = self.agents[e.agent_id]
        self._cancel_timer("offer", e.interaction_id)
        interaction.status, interaction.offer_expires_at = "connected", None
        agent.connected[e.interaction_id] = agent.offers.pop(e.interaction_id)
        if interaction.answered_at is None:
            interaction.answered_at = e.at
        agent.handled += 1
        agent.misses = 0
        if interaction.preferred_until is not None:
            self._cancel_timer("target", e.interaction_id)
        if self._dirty is None:
            self.table.set_fact(agent.slot, HANDLED, agent.handled)
        else:
            self._dirty[agent.agent_id] = agent
        # A connected interaction never waits again, so its queue key is not needed.
        del self._keys[e.interaction_id]
        if self.config.channels:  # connected work may be paused: the mask may change
            self._sync(agent)

    def _returned(self, e: OfferDeclined | OfferTimedOut | OfferRevoked) -> None:
        interaction = self.interactions[e.interaction_id]
        agent = self.agents[e.agent_id]
        self._cancel_timer("offer", e.interaction_id)
        interaction.status, interaction.agent_id, interaction.offer_expires_at = (
            "queued",
            None,
            None,
        )
        if e.agent_id not in interaction.declined_by:
            interaction.declined_by.append(e.agent_id)
        if isinstance(e, OfferTimedOut):
            agent.misses += 1
        elif isinstance(e, OfferDeclined):
            agent.misses = 0
        self._release(agent, agent.offers, e.interaction_id, e.at)
        self._enqueue(interaction)
        self._arm(interaction, e.at, e.seq)

    def _completed(self, e: InteractionCompleted) -> None:
        interaction = self.interactions[e.interaction_id]
        agent = self.agents[e.agent_id]
        interaction.status, interaction.ended_at = "completed", e.at
        if e.wrap_up_until > e.at:
            agent.wrapping[e.interaction_id] = agent.connected.pop(e.interaction_id)
            self._set_timer(e.wrap_up_until, e.seq, "wrap", e.interaction_id)
            self._sync(agent)
        else:
            self._release(agent, agent.connected, e.interaction_id, e.at)

    def _wrap_up_ended(self, e: WrapUpEnded) -> None:
        agent = self.agents[e.agent_id]
        self._cancel_timer("wrap", e.interaction_id)
        self._release(agent, agent.wrapping, e.interaction_id, e.at)

    def _abandoned(self, e: InteractionAbandoned) -> None:
        interaction = self.interactions[e.interaction_id]
        if interaction.status == "queued":
            self._dequeue(interaction)
            self._disarm(interaction)
        elif interaction.status == "offered" and interaction.agent_id is not None:
            self._cancel_timer("offer", e.interaction_id)
            agent = self.agents[interaction.agent_id]
            self._release(agent, agent.offers, e.interaction_id, e.at)
        interaction.status, interaction.ended_at = "abandoned", e.at
        interaction.offer_expires_at = None
        if interaction.preferred_until is not None:
            self._cancel_timer("target", e.interaction_id)
        self._keys.pop(e.interaction_id, None)

    def _updated(self, e: InteractionUpdated) -> None:
        interaction = self.interactions[e.interaction_id]
        waiting = interaction.status == "queued"
        if waiting:  # out of its group under the old key, back in under the new one
            self._dequeue(interaction)
        if e.priority is not None:
            interaction.priority = e.priority
        if e.skills is not None:
            interaction.skills = dict(e.skills)
            interaction.signature = (interaction.channel, tuple(sorted(e.skills.items())))
        if e.attributes is not None:
            interaction.attributes.update(e.attributes)
        key = self._keys.get(e.interaction_id)
        if key is not None:  # queued or offered: the key it waits (or would wait) under
            rate = self.config.queue(interaction.queue).aging_rate
            self._keys[e.interaction_id] = queue_key(interaction.priority, rate, *key[1:])
        if waiting:
            self._enqueue(interaction)
            if e.interaction_id in self.watched:
                self._watch(interaction, e.at, e.seq)

    def _targeted(self, e: InteractionTargeted) -> None:
        interaction = self.interactions[e.interaction_id]
        waiting = interaction.status == "queued"
        if waiting:
            self._dequeue(interaction)
        if interaction.preferred_until is not None:
            self._cancel_timer("target", e.interaction_id)
        interaction.preferred = tuple(sorted(set(e.agent_ids)))
        interaction.preferred_until = e.until
        if e.until is not None:
            self._set_timer(e.until, e.seq, "target", e.interaction_id)
        if waiting:
            self._enqueue(interaction)

    def _target_expired(self, e: InteractionTargetExpired) -> None:
        interaction = self.interactions[e.interaction_id]
        self._cancel_timer("target", e.interaction_id)
        waiting = interaction.status == "queued"
        if waiting:
            self._dequeue(interaction)
        interaction.preferred, interaction.preferred_until = (), None
        if waiting:
            self._enqueue(interaction)

    def _deadline_set(self, e: InteractionDeadlineSet) -> None:
        interaction = self.interactions[e.interaction_id]
        interaction.deadline = e.deadline
        if interaction.status == "queued":
            self._arm(interaction, e.at, e.seq)

    def _stepped(self, e: InteractionStepped) -> None:
        interaction = self.interactions[e.interaction_id]
        self._cancel_timer("step", e.interaction_id)
        interaction.step = e.step + 1
        if not e.skipped:
            self._requeue(interaction, priority=e.priority, skills=e.skills, groups=tuple(e.groups))
        self._arm(interaction, e.at, e.seq)

    def _exited(self, e: InteractionExited) -> None:
        interaction = self.interactions[e.interaction_id]
        self._dequeue(interaction)
        self._disarm(interaction)
        if e.overflow_to is None:
            interaction.status, interaction.ended_at = "exited", e.at
            interaction.exit_reason = e.reason
            if interaction.preferred_until is not None:
                self._cancel_timer("target", e.interaction_id)
            del self._keys[e.interaction_id]
            return
        interaction.queue = e.overflow_to
        interaction.step = 0
        interaction.groups = tuple(sorted(set(self.config.queue(e.overflow_to).groups)))
        if not e.keep_age:  # a new arrival in the new queue
            interaction.arrived_at, interaction.queued_seq = e.at, e.seq
        self._rekey(interaction)
        self._enqueue(interaction)
        self._arm(interaction, e.at, e.seq)

    def _reminded(self, e: InteractionReminded) -> None:
        interaction = self.interactions[e.interaction_id]
        self._cancel_timer("remind", e.interaction_id)
        interaction.reminded += 1
        self._arm(interaction, e.at, e.seq)

    def _overdue(self, e: InteractionOverdue) -> None:
        interaction = self.interactions[e.interaction_id]
        self._dequeue(interaction)
        self._disarm(interaction)
        interaction.overdue = True
        interaction.priority = e.priority
        if e.queue is not None:
            interaction.queue, interaction.step = e.queue, 0
            interaction.groups = tuple(sorted(set(self.config.queue(e.queue).groups)))
        self._rekey(interaction)
        self._enqueue(interaction)
        self._arm(interaction, e.at, e.seq)

    def _callback_requested(self, e: CallbackRequested) -> None:
        interaction = self.interactions[e.interaction_id]
        interaction.callback = True
        # No caller on the line to lose patience.
        for kind in _LIVE_CALLER_TIMERS:
            self._cancel_timer(kind, e.interaction_id)
        self.watched.pop(e.interaction_id, None)

    # Transfers: the interaction's context (attributes, notes, history) stays on it.

    def _close_segment(
        self, interaction: Interaction, agent_id: str, at: float, reason: str
    ) -> None:
        start = interaction.segment_started_at
        leg = Segment(interaction.queue, agent_id, start, at, "transferred", reason)
        interaction.history += (leg,)

    def _transferred(self, e: InteractionTransferred) -> None:
        interaction = self.interactions[e.interaction_id]
        agent = self.agents[e.agent_id]
        self._close_segment(interaction, e.agent_id, e.at, e.reason)
        if e.note is not None:
            interaction.notes += (e.note,)
        interaction.queue, interaction.status, interaction.agent_id = e.queue, "queued", None
        interaction.declined_by = []
        if e.skills is not None:
            interaction.skills = dict(e.skills)
            interaction.signature = (interaction.channel, tuple(sorted(e.skills.items())))
        interaction.preferred = () if e.to_agent is None else (e.to_agent,)
        interaction.preferred_until = None
        # Its age travels with it: it waits under its original arrival, at the new queue's
        # aging rate.
        rate = self.config.queue(e.queue).aging_rate
        self._keys[e.interaction_id] = queue_key(
            interaction.priority,
            rate,
            interaction.arrived_at,
            interaction.queued_seq,
            e.interaction_id,
        )
        self._release(agent, agent.connected, e.interaction_id, e.at)
        # Queue policies: the new queue's groups and steps, timers counted from the arrival.
        interaction.step = 0
        interaction.groups = tuple(sorted(set(self.config.queue(e.queue).groups)))
        self._enqueue(interaction)
        self._arm(interaction, e.at, e.seq)

    def _transfer_offered(self, e: TransferOffered) -> None:
        interaction = self.interactions[e.interaction_id]
        target = self.agents[e.to_agent]
        interaction.consult = (e.to_agent, e.queue, e.reason, e.expires_at)
        if e.note is not None:
            interaction.notes += (e.note,)
        target.consults[e.interaction_id] = interaction.channel
        target.in_use[interaction.channel] += 1
        if e.expires_at is not None:
            self._set_timer(e.expires_at, e.seq, "consult", e.interaction_id)
        self._sync(target)

    def _transfer_accepted(self, e: TransferAccepted) -> None:
        interaction = self.interactions[e.interaction_id]
        agent, target = self.agents[e.agent_id], self.agents[e.to_agent]
        self._cancel_timer("consult", e.interaction_id)
        self._close_segment(interaction, e.agent_id, e.at, e.reason)
        interaction.queue, interaction.agent_id, interaction.consult = e.queue, e.to_agent, None
        interaction.declined_by = []
        target.connected[e.interaction_id] = target.consults.pop(e.interaction_id)
        target.handled += 1
        target.misses = 0
        if self._dirty is None:
            self.table.set_fact(target.slot, HANDLED, target.handled)
        self._sync(target)
        self._release(agent, agent.connected, e.interaction_id, e.at)

    def _transfer_declined(self, e: TransferDeclined) -> None:
        interaction = self.interactions[e.interaction_id]
        target = self.agents[e.to_agent]
        self._cancel_timer("consult", e.interaction_id)
        interaction.consult = None
        self._release(target, target.consults, e.interaction_id, e.at)

    def _note_added(self, e: InteractionNoteAdded) -> None:
        self.interactions[e.interaction_id].notes += (e.text,)

    def _command_recorded(self, e: CommandRecorded) -> None:
        self.commands[e.command_id] = (e.fingerprint, e.seq - e.events, e.events)

    def _config_changed(self, e: ConfigChanged) -> None:
        old, self.config = self.config, RouterConfig.from_dict(e.config)
        self._arrival_rules.clear()
        self.config_version = e.version
        if old.channels != self.config.channels:  # new omnichannel rules: a new mask
            for agent in self.agents.values():
                self._sync(agent)
        # The fairness ledger follows the config: turned on, it starts empty now; turned off,
        # it is dropped; a new window applies from now on to the entries still kept.
        fairness = self.config.fairness
        if fairness is None:
            self.ledger = None
        elif self.ledger is None:
            self.ledger = FairnessLedger(fairness.window)
        else:
            self.ledger.set_window(fairness.window)
        # Work that waits keeps its arrival and priority; only a new aging rate re-orders it.
        for iid, key in list(self._keys.items()):
            interaction = self.interactions[iid]
            rate = self.config.queue(interaction.queue).aging_rate
            if rate == old.queue(interaction.queue).aging_rate:
                continue
            waiting = interaction.status == "queued"
            if waiting:
                self._dequeue(interaction)
            self._keys[iid] = queue_key(interaction.priority, rate, key[1], key[2], iid)
            if waiting:
                self._enqueue(interaction)
        # Queue policies follow the new settings at once: the waiting work's timers are set
        # again (still counted from arrival; a time already past fires at once), keeping the
        # steps it reached (within the new number of steps) and the reminders made.
        for iid in list(self._keys):
            interaction = self.interactions[iid]
            if interaction.status == "queued":
                self._disarm(interaction)
                self._arm(interaction, e.at, e.seq)

    # --- helpers -----------------------------------------------------------------------------

    def _requeue(
        self,
        interaction: Interaction,
        *,
        priority: float,
        skills: dict[str, int],
        groups: tuple[str, ...],
    ) -> None:
        """Give a waiting interaction a new priority and requirement (new key and group)."""
        self._dequeue(interaction)
        interaction.groups = tuple(sorted(set(groups)))
        interaction.priority = priority
        interaction.skills = dict(skills)
        interaction.signature = (interaction.channel, tuple(sorted(skills.items())))
        self._rekey(interaction)
        self._enqueue(interaction)

    def _rekey(self, interaction: Interaction) -> None:
        rate = self.config.queue(interaction.queue).aging_rate
        self._keys[interaction.interaction_id] = queue_key(
            interaction.priority,
            rate,
            interaction.arrived_at,
            interaction.queued_seq,
            interaction.interaction_id,
        )

    def _arm(self, interaction: Interaction, at: float, seq: int) -> None:
        """Set the policy timers of a waiting interaction that are not set yet (each policy of
        :data:`~ccrouter.engine.policies.POLICIES` decides whether and when: at its nominal
        time, or at ``at`` if that passed while the work was offered)."""
        queue = self.config.queue(interaction.queue)
        for arm in _ARMS:
            arm(self, interaction, queue, at, seq)

    def _disarm(self, interaction: Interaction) -> None:
        iid = interaction.interaction_id
        self.watched.pop(iid, None)
        if iid not in self.armed:  # the common case: no policy timer was ever set for it
            return
        self.armed.discard(iid)
        for kind in POLICY_TIMERS:
            self._cancel_timer(kind, iid)

    def _watch(self, interaction: Interaction, at: float, seq: int) -> None:
        """Let the policies that depend on who is logged in re-arm or cancel the timer of a
        watched interaction."""
        for watch in _WATCHES:
            watch(self, interaction, at, seq)

    def _rewatch(self, at: float, seq: int) -> None:
        """An agent came or went: who can be served by nobody may have changed. O(watched ×
        agents), only for queues with ``max_wait_no_agents``."""
        for interaction in self.watched.values():
            self._watch(interaction, at, seq)

    def anyone_could_take(
        self,
        channel: str,
        skills: dict[str, int],
        groups: Iterable[str] = (),
        selector: str | None = None,
    ) -> bool:
        """Whether a logged-in agent (ready or not, busy or not) serves ``channel`` with
        ``skills`` (and, when ``groups`` are given, belongs to one of them; when ``selector``
        is given, meets that agent selector)."""
        groups = tuple(groups)
        mask = None if selector is None else self.selectors.mask(selector)
        for agent in self.agents.values():
            if agent.presence == "logged_out" or agent.capacity.get(channel, 0) <= 0:
                continue
            if groups and agent.groups.isdisjoint(groups):
                continue
            if mask is not None and not mask[agent.slot]:
                continue
            if meets_skills(agent.skills, skills.items()):
                return True
        return False

    def _enqueue(self, interaction: Interaction) -> None:
        if self._pending is not None:
            self._pending[interaction.interaction_id] = interaction
        else:
            self._add_to_group(interaction)
        self.queue(interaction.queue).waiting += 1

    def _add_to_group(self, interaction: Interaction) -> None:
        queue = self.queue(interaction.queue)
        if interaction.preferred or interaction.groups:
            target = restriction(interaction)
            group = queue.targeted.get(target)
            if group is None:
                group = queue.targeted[target] = SortedList()
            group.add(self._keys[interaction.interaction_id])
            return
        group = queue.groups.get(interaction.signature)
        if group is None:
            group = queue.groups[interaction.signature] = SortedList()
        group.add(self._keys[interaction.interaction_id])

    def _dequeue(self, interaction: Interaction) -> None:
        queue = self.queues[interaction.queue]
        if self._pending is not None and (
            self._pending.pop(interaction.interaction_id, None) is not None
        ):
            queue.waiting -= 1
            return
        queue.waiting -= 1
        if interaction.preferred or interaction.groups:
            target = restriction(interaction)
            group = queue.targeted[target]
            group.remove(self._keys[interaction.interaction_id])
            if not group:
                del queue.targeted[target]
            return
        signature = interaction.signature
        group = queue.groups[signature]
        group.remove(self._keys[interaction.interaction_id])
        if not group:
            del queue.groups[signature]

    def _release(
        self, agent: Agent, holder: dict[str, str], interaction_id: str, at: float
    ) -> None:
        channel = holder.pop(interaction_id)
        agent.in_use[channel] -= 1
        # (work_in_hand == 0, without counting: the first non-empty holder answers)
        if not (agent.offers or agent.connected or agent.wrapping or agent.consults):
            agent.idle_since = at
        self._sync(agent)

    def _set_timer(self, due: float, seq: int, kind: str, interaction_id: str) -> None:
        timer: Timer = (due, seq, kind, interaction_id)
        self.timers.add(timer)
        self.timer_of[(kind, interaction_id)] = timer
        if kind in _POLICY_KINDS:
            self.armed.add(interaction_id)

    def _cancel_timer(self, kind: str, interaction_id: str) -> None:
        timer = self.timer_of.pop((kind, interaction_id), None)
        if timer is not None:
            self.timers.remove(timer)

    def _sync(self, agent: Agent) -> None:
        """Copy an agent's routing facts into the matching arrays."""
        if self._dirty is not None:
            self._dirty[agent.agent_id] = agent
            return
        table, slot = self.table, agent.slot
        ready = agent.presence == "ready"
        table.set_facts(slot, agent.idle_since, agent.load)  # first: joining copies them
        if self.config.channels or agent.budget is not None:
            for channel, col in table.channel_cols.items():
                table.set_available(col, slot, self.can_take(agent, channel))
            return
        for channel, col in table.channel_cols.items():
            table.set_available(col, slot, ready and agent.free(channel) > 0)

    def pausable(self, agent: Agent) -> dict[str, int]:
        """Per channel, the agent's connected work that is not paused (what an interruption
        could pause)."""
        counts: dict[str, int] = {}
        interactions = self.interactions
        for iid, channel in agent.connected.items():
            if interactions[iid].paused_by is None:
                counts[channel] = counts.get(channel, 0) + 1
        return counts

    def can_take(self, agent: Agent, channel: str) -> bool:
        """Whether ``agent`` may be offered new work on ``channel`` now: ready, free capacity,
        and the omnichannel rules (:mod:`ccrouter.engine.channels`) allow it."""
        if agent.presence != "ready" or agent.free(channel) <= 0:
            return False
        if not self.config.channels and agent.budget is None:
            return True
        pausable = self.pausable(agent) if agent.connected else None
        return available(
            self.config, True, agent.capacity, agent.in_use, channel, agent.budget, pausable
        )

    def _agent_attributes_updated(self, e: AgentAttributesUpdated) -> None:
        agent = self.agents[e.agent_id]
        merged = {} if e.replace else dict(agent.attributes)
        for key, value in e.attributes.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        agent.attributes = merged
        self.selectors.changed(agent.slot)  # its masks and order_by keys, one slot
        self._rewatch(e.at, e.seq)  # whom a selector lets serve waiting work may have changed

    def _classified(self, e: InteractionClassified) -> None:
        # What the rule set is already in the InteractionQueued/Updated/Exited events around
        # this one; here only what explain and re-classification read.
        interaction = self.interactions[e.interaction_id]
        interaction.rule = e.rule or None
        interaction.classified_seq = e.seq
        interaction.tags = tuple(e.tags)
        interaction.agent_selector = rule_selector(self.config, e.rule, e.split)
        if e.interaction_id in self.watched:  # its selector decides who could take it
            self._watch(interaction, e.at, e.seq)
        if e.submitted:
            interaction.submitted = dict(e.submitted)
        if e.exception is not None:
            # An exception trigger fired (docs/rules.md): once per queue; what the rule set
            # applies here (a new queue or a deflection follows as an exit).
            interaction.exceptions += (f"{interaction.queue}:{e.exception}",)
            self._cancel_timer(e.exception, e.interaction_id)
            if e.priority is not None or e.skills is not None:
                self._requeue(
                    interaction,
                    priority=interaction.priority if e.priority is None else e.priority,
                    skills=interaction.skills if e.skills is None else e.skills,
                    groups=interaction.groups,
                )

    def _paused(self, e: InteractionPaused) -> None:
        self.interactions[e.interaction_id].paused_by = e.by
        self._sync(self.agents[e.agent_id])

    def _resumed(self, e: InteractionResumed) -> None:
        self.interactions[e.interaction_id].paused_by = None
        self._sync(self.agents[e.agent_id])

    # --- invariants --------------------------------------------------------------------------

    def _check(self) -> None:
        """Verify the state's internal invariants; raise ``AssertionError`` on the first broken
        (:func:`ccrouter.engine.invariants.check_state`)."""
        check_state(self)


def _arrival_rules(settings: QueueConfig) -> tuple[float, tuple[str, ...], bool]:
    """A queue's aging rate, its agent groups (sorted) and whether its work has policy
    timers to arm on arrival (a policy of :data:`~ccrouter.engine.policies.POLICIES` in use)."""
    timed = any(policy.in_use(settings) for policy in POLICIES)
    return settings.aging_rate, tuple(sorted(set(settings.groups))), timed


_POLICY_KINDS = frozenset(POLICY_TIMERS)
_ARMS = tuple(p.arm for p in POLICIES)
_LIVE_CALLER_TIMERS = tuple(p.kind for p in POLICIES if p.live_caller)
"""Policy timers that only a live caller has: cancelled when it switches to a callback."""
_WATCHES = tuple(p.watch for p in POLICIES if p.watch is not None)


_APPLY: dict[type[Any], Any] = {
    AgentLoggedIn: RouterState._login,
    AgentLoggedOut: RouterState._logout,
    AgentReady: RouterState._ready,
    AgentNotReady: RouterState._not_ready,
    InteractionQueued: RouterState._queued,
    InteractionOffered: RouterState._offered,
    OfferAccepted: RouterState._accepted,
    OfferDeclined: RouterState._returned,
    OfferTimedOut: RouterState._returned,
    OfferRevoked: RouterState._returned,
    InteractionCompleted: RouterState._completed,
    WrapUpEnded: RouterState._wrap_up_ended,
    InteractionAbandoned: RouterState._abandoned,
    CommandRecorded: RouterState._command_recorded,
    InteractionUpdated: RouterState._updated,
    InteractionTargeted: RouterState._targeted,
    InteractionTargetExpired: RouterState._target_expired,
    InteractionDeadlineSet: RouterState._deadline_set,
    InteractionStepped: RouterState._stepped,
    InteractionExited: RouterState._exited,
    InteractionReminded: RouterState._reminded,
    InteractionOverdue: RouterState._overdue,
    CallbackRequested: RouterState._callback_requested,
    InteractionTransferred: RouterState._transferred,
    TransferOffered: RouterState._transfer_offered,
    TransferAccepted: RouterState._transfer_accepted,
    TransferDeclined: RouterState._transfer_declined,
    InteractionNoteAdded: RouterState._note_added,
    InteractionPaused: RouterState._paused,
    InteractionResumed: RouterState._resumed,
    ConfigChanged: RouterState._config_changed,
    AgentAttributesUpdated: RouterState._agent_attributes_updated,
    InteractionClassified: RouterState._classified,
    AgentUpdated: RouterState._agent_updated,
    WrapUpExtended: RouterState._wrap_up_extended,
}
