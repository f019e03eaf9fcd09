"""The router façade: what an application holds.

Commands are methods; each takes the time ``at`` (seconds, any clock) and returns the events it
appended, including the offers it caused::

    >>> from ccrouter import Router
    >>> r = Router()
    >>> _ = r.login("ann", skills={"billing": 5}, at=0)
    >>> _ = r.ready("ann", at=0)
    >>> [e.kind for e in r.submit("c1", channel="voice", skills={"billing": 3}, at=1)]
    ['interaction_queued', 'interaction_offered']
    >>> r.agent("ann").status, r.interaction("c1").agent_id
    ('reserved', 'ann')
    >>> Router.replay(r.events).state_digest() == r.state_digest()
    True
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from ccrouter.backend import resolve_backend
from ccrouter.commands import (
    Abandon,
    Accept,
    AcceptTransfer,
    AddNote,
    Command,
    Complete,
    Decline,
    DeclineTransfer,
    EndWrapUp,
    ExtendWrapUp,
    Login,
    Logout,
    NotReady,
    Outcome,
    Ready,
    Reconfigure,
    RecordOutcome,
    RequestCallback,
    Submit,
    Transfer,
    Update,
    UpdateAgent,
)
from ccrouter.config import RouterConfig
from ccrouter.engine import core
from ccrouter.engine.checkpoints import Checkpoints, explain_interaction
from ccrouter.engine.config_record import check_config, config_record, log_config
from ccrouter.engine.customers import CustomerView, customer_view
from ccrouter.engine.digest import (
    FINGERPRINT_PREFIX,
    command_fingerprint,
    fingerprint,
    state_digest,
)
from ccrouter.engine.estimates import PerformanceRow
from ccrouter.engine.fairness import FairnessLedger, LedgerView
from ccrouter.engine.performance_report import as_outcome, performance_between
from ccrouter.engine.records import Interaction
from ccrouter.engine.routing.batch_match import BatchStep
from ccrouter.engine.routing.explain import Explanation
from ccrouter.engine.rule_trace import RuleTrace, rule_trace
from ccrouter.engine.snapshot import SnapshotStore, restore, snapshot_of, unusable
from ccrouter.engine.state import RouterState, Segment
from ccrouter.engine.views import AgentView, InteractionView, agent_view, interaction_view
from ccrouter.errors import (
    CCRouterError,
    IdempotencyConflict,
    InvalidArgument,
    LogError,
    StaleOffer,
    UnknownAgent,
    UnknownInteraction,
)
from ccrouter.events import CommandRecorded, Event, InteractionClassified
from ccrouter.limits import check_name, check_time, is_name, is_time, json_copy
from ccrouter.log.base import EventLog
from ccrouter.log.memory import MemoryEventLog
from ccrouter.stats.realtime import RealtimeStats

__all__ = ["AgentView", "CommandResult", "InteractionView", "Router", "Segment"]


class CommandResult(list[Event]):
    """What a command returns: the list of the events it made (its own and the offers it
    caused), with what a service needs to know about them.

    Attributes:
        repeat: ``True`` when the ``command_id`` had run before: the events are the first
            run's, read back from the log, and nothing was appended now (count them once).
        seq: the log's version once the command's events are in it (for a command with an
            id, the seq of its ``CommandRecorded`` marker): a subscriber that has seen this
            seq has seen every event of the command.
        appended: every event the command appended, in order (its events, then the
            ``CommandRecorded`` marker when it had an id); empty for a repeat.
    """

    repeat: bool
    seq: int
    appended: tuple[Event, ...]

    def __init__(
        self,
        events: Iterable[Event] = (),
        *,
        repeat: bool = False,
        seq: int = 0,
        appended: tuple[Event, ...] = (),
    ) -> None:
        super().__init__(events)
        self.repeat, self.seq, self.appended = repeat, seq, appended

    def __repr__(self) -> str:
        return f"CommandResult({list.__repr__(self)}, repeat={self.repeat}, seq={self.seq})"


class Router:
    """An event-sourced router: every command appends events to ``log``; state is their fold.

    Args:
        config: the routing configuration (default: one ``"default"`` queue, longest idle).
        log: where events go (default: in memory). A log that already holds events is
            replayed first, so a router resumes where its log ends.
        backend: ``"numba"`` or ``"python"`` for the selection hot path (default: the
            ``CCROUTER_BACKEND`` environment variable, else ``numba``).
        snapshots: a snapshot store (:mod:`ccrouter.engine.snapshot`): the router starts from its
            snapshot and replays only the log's tail after it; :meth:`snapshot` writes one.
            An unusable snapshot is ignored with a ``SnapshotWarning`` (full replay).
        reconfigure: when the log records its config and ``config`` is another, record the
            change (a ``ConfigChanged`` at the log's last time) instead of raising
            :class:`~ccrouter.errors.ConfigMismatch`.

    The log carries its config: a ``log`` supplied empty records ``config`` as its first
    event (``ConfigChanged`` version 0, written with the first command's events and left out
    of that command's result), so reopening it needs no config. A ``config`` given for such
    a log must be the one it starts from or the one in force at its end (else
    ``ConfigMismatch``, unless ``reconfigure``). A log without a record (written before it
    existed, or by the simulator) is opened with ``config`` as before.

    Every command returns a :class:`CommandResult` (a ``list`` of the events it made).

    Every command takes an optional ``command_id``: the same id again with the same command
    and arguments returns the first result (the same events, ``repeat=True``) and appends
    nothing, even after a restart and whatever its ``at`` (a retry's time is the time of the
    retry); the same id with other content (command or arguments) raises
    :class:`~ccrouter.errors.IdempotencyConflict`. A command that raised left no trace, so
    its id may be used again.

    Every command raises a :class:`~ccrouter.errors.CCRouterError` subclass on bad input and
    then leaves the log and the state exactly as they were. Every argument is checked for type
    and range first (the bounds are in :mod:`ccrouter.limits`: ids non-empty strings, times
    within ±10¹² s, durations 0 or 1 ms to 10¹² s, attributes JSON data); a command that fails
    after a change (the event limit, the store, a bug) leaves the state rebuilt from the log.
    """

    def __init__(
        self,
        config: RouterConfig | None = None,
        *,
        log: EventLog | None = None,
        backend: str | None = None,
        snapshots: SnapshotStore | None = None,
        reconfigure: bool = False,
    ) -> None:
        if config is not None and not isinstance(config, RouterConfig):
            msg = f"config must be a RouterConfig, got {type(config).__name__}"
            raise InvalidArgument(msg)
        self.backend = resolve_backend(backend)
        self._log: EventLog = log if log is not None else MemoryEventLog()
        # The log's own config, when it records one (engine/config_record.py), else the one
        # given; a log supplied empty records its config with its first events.
        recorded = log_config(self._log)
        self._base_config = recorded or config or RouterConfig()
        self._snapshots = snapshots
        self._checkpoints = Checkpoints()
        self._state = self._open()
        self._stats: RealtimeStats | None = None
        self._record_config = log is not None and recorded is None and self._state.last_seq == 0
        if recorded is not None:
            change = check_config(recorded, self._state.config, config, reconfigure=reconfigure)
            if change is not None:
                self.reconfigure(change, at=self._state.now)

    # --- commands ------------------------------------------------------------------------

    def login(
        self,
        agent_id: str,
        *,
        skills: Mapping[str, int],
        capacity: Mapping[str, int] | None = None,
        groups: Iterable[str] = (),
        budget: int | None = None,
        attributes: Mapping[str, Any] | None = None,
        at: float,
        command_id: str | None = None,
    ) -> list[Event]:
        """Log an agent in (status ``not_ready``) with proficiency per skill and capacity
        per channel (default ``{"voice": 1}``); ``groups``: the agent groups it belongs to
        (queues and widening steps may limit work to groups); ``budget``: the channel cost
        units it may hold at once (omnichannel rules, ``RouterConfig.channels``; ``None``: no
        budget); ``attributes``: typed agent attributes (``RouterConfig.attributes``
        declares ``agent.NAME`` types; docs/rules.md)."""
        cap = {"voice": 1} if capacity is None else capacity
        command = Login(
            agent_id=agent_id,
            skills=_plain(skills, "skills"),
            capacity=_plain(cap, "capacity"),
            groups=_listed(groups),
            budget=budget,
            attributes={} if not attributes else json_copy(attributes, "attributes"),
        )
        return self._run(command, at, command_id)

    def ready(self, agent_id: str, *, at: float, command_id: str | None = None) -> list[Event]:
        """Make an agent available; it is offered waiting work at once. A presence change
        only: after-call work in progress goes on (:meth:`end_wrap_up` ends it)."""
        return self._run(Ready(agent_id=agent_id), at, command_id)

    def not_ready(
        self, agent_id: str, *, reason: str, at: float, command_id: str | None = None
    ) -> list[Event]:
        """Stop new offers to an agent (work in hand continues), with a reason code."""
        return self._run(NotReady(agent_id=agent_id, reason=reason), at, command_id)

    def logout(self, agent_id: str, *, at: float, command_id: str | None = None) -> list[Event]:
        """Log an agent out: its ringing offers go back to their queues, wrap-up ends.

        Raises:
            InvalidTransition: the agent is still connected to an interaction.
        """
        return self._run(Logout(agent_id=agent_id), at, command_id)

    def submit(
        self,
        interaction_id: str,
        *,
        channel: str,
        at: float,
        queue: str = "default",
        skills: Mapping[str, int] | None = None,
        priority: float = 0,
        customer_id: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        preferred_agents: Iterable[str] | None = None,
        preferred_wait: float | None = None,
        direct_to: str | None = None,
        deadline: float | None = None,
        command_id: str | None = None,
    ) -> list[Event]:
        """Queue a new interaction; ``skills`` maps each required skill to its minimum.

        ``deadline`` is the absolute time the work is due by (default: the queue's
        ``deadline`` seconds after ``at``, if set): reminders and escalation follow it.

        Targeted routing: with ``preferred_agents`` only those agents may take it until
        ``preferred_wait`` seconds have passed (``None``: for good), then any eligible agent;
        ``direct_to`` sends it to one agent for good. Either way the agents must still be
        eligible (ready, skilled, free capacity); the work waits for them meanwhile.
        """
        command = Submit(
            interaction_id=interaction_id,
            channel=channel,
            queue=queue,
            skills={} if skills is None else _plain(skills, "skills"),
            priority=priority,
            customer_id=customer_id,
            attributes={} if attributes is None else json_copy(attributes, "attributes"),
            preferred_agents=[] if preferred_agents is None else _listed(preferred_agents),
            preferred_wait=preferred_wait,
            direct_to=direct_to,
            deadline=deadline,
        )
        return self._run(command, at, command_id)

    def accept(
        self,
        interaction_id: str,
        *,
        at: float,
        agent_id: str | None = None,
        command_id: str | None = None,
        offer_seq: int | None = None,
    ) -> list[Event]:
        """The agent offered ``interaction_id`` accepts it; it is connected.

        ``agent_id``: the agent doing it (an agent desktop's): refused with
        :class:`~ccrouter.errors.NotYourWork` when the work is another agent's.
        ``offer_seq``: the offer answered (``InteractionView.offer_seq``, the seq of its
        ``InteractionOffered``); when given, an offer that is no longer the one ringing raises
        :class:`~ccrouter.errors.StaleOffer` (an ``InvalidTransition``) and changes nothing.
        """
        command = Accept(interaction_id=interaction_id, agent_id=agent_id)
        return self._run(command, at, command_id, offer_seq)

    def decline(
        self,
        interaction_id: str,
        *,
        at: float,
        agent_id: str | None = None,
        command_id: str | None = None,
        offer_seq: int | None = None,
    ) -> list[Event]:
        """The agent declines; the interaction goes back to its place and to another agent.

        ``agent_id``, ``offer_seq``: as for :meth:`accept`.
        """
        command = Decline(interaction_id=interaction_id, agent_id=agent_id)
        return self._run(command, at, command_id, offer_seq)

    def complete(
        self,
        interaction_id: str,
        *,
        at: float,
        agent_id: str | None = None,
        command_id: str | None = None,
        outcome: Outcome | Mapping[str, Any] | None = None,
    ) -> list[Event]:
        """The conversation ended; the agent's slot stays in wrap-up for the queue's wrap_up.

        ``agent_id``: the agent doing it (an agent desktop's): refused with
        :class:`~ccrouter.errors.NotYourWork` when the work is another agent's.
        ``outcome``: what came of it (an :class:`~ccrouter.commands.Outcome` or a mapping of
        its fields; docs/performance.md), recorded as an ``outcome_recorded`` event.
        """
        result = None if outcome is None else as_outcome(outcome)
        command = Complete(interaction_id=interaction_id, agent_id=agent_id, outcome=result)
        return self._run(command, at, command_id)

    def record_outcome(
        self,
        interaction_id: str,
        outcome: Outcome | Mapping[str, Any],
        *,
        at: float,
        command_id: str | None = None,
    ) -> list[Event]:
        """Record (more of) the outcome of an interaction completed earlier, however long
        ago: a survey score, a confirmed sale (docs/performance.md).

        Raises:
            UnknownInteraction: never submitted.
            InvalidTransition: not completed.
            OutcomeConflict: a field given was recorded already (each is recorded once).
            InvalidArgument: a bad outcome (the message names the field).
        """
        command = RecordOutcome(interaction_id=interaction_id, outcome=as_outcome(outcome))
        return self._run(command, at, command_id)

    def end_wrap_up(
        self,
        agent_id: str,
        *,
        at: float,
        interaction_id: str | None = None,
        command_id: str | None = None,
    ) -> list[Event]:
        """End an agent's after-call work now (``interaction_id``: that wrap-up only; default:
        all it has); the agent is offered waiting work at once. ``ready`` does not end
        wrap-up: it is a presence change only.

        Raises:
            InvalidTransition: the agent has no wrap-up running (``NotYourWork`` when
                ``interaction_id`` is not in wrap-up with this agent).
        """
        command = EndWrapUp(agent_id=agent_id, interaction_id=interaction_id)
        return self._run(command, at, command_id)

    def extend_wrap_up(
        self,
        agent_id: str,
        seconds: float,
        *,
        at: float,
        interaction_id: str | None = None,
        command_id: str | None = None,
    ) -> list[Event]:
        """Give an agent ``seconds`` more after-call work (added to the wrap-up's current end;
        ``interaction_id`` as for :meth:`end_wrap_up`).

        Raises:
            InvalidTransition: the agent has no wrap-up running.
            InvalidArgument: ``seconds`` is not a positive duration.
        """
        command = ExtendWrapUp(agent_id=agent_id, seconds=seconds, interaction_id=interaction_id)
        return self._run(command, at, command_id)

    def update_agent(
        self,
        agent_id: str,
        attributes: Mapping[str, Any] | None = None,
        *,
        at: float,
        replace: bool = False,
        skills: Mapping[str, int] | None = None,
        capacity: Mapping[str, int] | None = None,
        groups: Iterable[str] | None = None,
        command_id: str | None = None,
    ) -> list[Event]:
        """Change a logged-in agent while it works (``None``: leave that part).

        ``attributes`` are merged into the agent's (a ``None`` value removes the key), or
        replace them all with ``replace=True`` (recorded as ``agent_attributes_updated``);
        ``skills``, ``capacity`` per channel and ``groups`` each replace the old part whole
        (recorded as ``agent_updated``). Work in hand stands; the agent is offered what it can
        take now at once. A change that changes nothing appends no event.

        Raises:
            UnknownAgent: the agent never logged in.
            InvalidTransition: the agent is logged out, or a new capacity is below the work
                it holds on a channel.
            InvalidArgument: nothing to change, an attribute of the wrong type for the
                schema, or a bad part (named).
        """
        command = UpdateAgent(
            agent_id=agent_id,
            attributes=None if attributes is None else json_copy(attributes, "attributes"),
            replace=replace,
            skills=None if skills is None else _plain(skills, "skills"),
            capacity=None if capacity is None else _plain(capacity, "capacity"),
            groups=None if groups is None else _listed(groups),
        )
        return self._run(command, at, command_id)

    def abandon(
        self, interaction_id: str, *, at: float, command_id: str | None = None
    ) -> list[Event]:
        """The customer left a queued or ringing interaction."""
        return self._run(Abandon(interaction_id=interaction_id), at, command_id)

    def request_callback(
        self, interaction_id: str, *, at: float, command_id: str | None = None
    ) -> list[Event]:
        """The waiting customer leaves the line to be called back (virtual hold).

        The interaction keeps its place and age in its queue and is offered when its turn
        comes (``interaction(...).callback`` says it is a callback). From then on it cannot be
        abandoned and ``max_wait`` no longer applies; steps and deadlines still do.

        Raises:
            InvalidTransition: it is not waiting in a queue, or already a callback.
        """
        return self._run(RequestCallback(interaction_id=interaction_id), at, command_id)

    def update(
        self,
        interaction_id: str,
        *,
        at: float,
        priority: float | None = None,
        attributes: Mapping[str, Any] | None = None,
        skills: Mapping[str, int] | None = None,
        command_id: str | None = None,
    ) -> list[Event]:
        """Change a live interaction mid-flight (``None``: leave that part as it is).

        ``priority`` replaces its priority, ``skills`` its whole requirement (skill to
        minimum), ``attributes`` are merged into its attributes. A waiting interaction takes
        its new place in the queue at once (a new requirement moves it to that requirement's
        group) and is offered if an agent can now take it. An offered or connected one only
        records the change: the offer stands, and the new values count if it goes back to
        the queue.

        Raises:
            InvalidTransition: the interaction already ended.
        """
        command = Update(
            interaction_id=interaction_id,
            priority=priority,
            skills=None if skills is None else _plain(skills, "skills"),
            attributes=None if attributes is None else json_copy(attributes, "attributes"),
        )
        return self._run(command, at, command_id)

    def transfer(
        self,
        interaction_id: str,
        *,
        at: float,
        to_queue: str | None = None,
        to_agent: str | None = None,
        mode: str = "blind",
        reason: str = "transfer",
        note: str | None = None,
        timeout: float | None = None,
        skills: Mapping[str, int] | None = None,
        command_id: str | None = None,
    ) -> list[Event]:
        """Move a connected interaction to ``to_queue`` and/or ``to_agent``.

        ``mode="blind"``: the agent is released at once (no wrap-up) and the interaction
        waits in ``to_queue`` (default: its current queue), for ``to_agent`` alone when given,
        keeping its arrival time. ``mode="consult"``: ``to_agent`` (ready, with free capacity
        on the channel; without ``to_agent``, the agent ``to_queue``'s strategy picks among
        those who can take it now) is offered it while the first agent stays connected, for
        ``timeout`` seconds (default: the target queue's ``offer_timeout``);
        :meth:`accept_transfer` completes the move, :meth:`decline_transfer` or the timeout
        leave it where it is.
        ``note`` is added to the interaction's notes; ``reason`` is recorded in its history.
        ``skills`` (blind only) replaces the requirement for the new leg.

        Raises:
            InvalidTransition: the interaction is not connected, or a consult is pending, or
                the consulted agent (or, consulting a queue, anyone there) cannot take it
                now, or (blind) the queue it would wait in is full (``max_size``): the agent
                keeps it.
            InvalidArgument: no target, a bad mode, reason, note or timeout.
            UnknownQueue: ``to_queue`` is not configured.
        """
        command = Transfer(
            interaction_id=interaction_id,
            to_queue=to_queue,
            to_agent=to_agent,
            mode=mode,
            reason=reason,
            note=note,
            timeout=timeout,
            skills=None if skills is None else _plain(skills, "skills"),
        )
        return self._run(command, at, command_id)

    def escalate(
        self,
        interaction_id: str,
        *,
        at: float,
        to_queue: str | None = None,
        to_agent: str | None = None,
        mode: str = "blind",
        note: str | None = None,
        timeout: float | None = None,
        skills: Mapping[str, int] | None = None,
        command_id: str | None = None,
    ) -> list[Event]:
        """A transfer with ``reason="escalation"``; without a target, to the current queue's
        ``escalate_to`` tier.

        Raises:
            InvalidArgument: no target given and the queue has no ``escalate_to``.
        """
        if to_queue is None and to_agent is None and is_name(interaction_id):
            interaction = self._state.interactions.get(interaction_id)
            if interaction is not None:
                to_queue = self.config.queue(interaction.queue).escalate_to
                if to_queue is None:
                    msg = (
                        f"cannot escalate {interaction_id!r}: queue {interaction.queue!r} has "
                        "no escalate_to tier; give to_queue or to_agent"
                    )
                    raise InvalidArgument(msg)
        return self.transfer(
            interaction_id,
            at=at,
            to_queue=to_queue,
            to_agent=to_agent,
            mode=mode,
            reason="escalation",
            note=note,
            timeout=timeout,
            skills=skills,
            command_id=command_id,
        )

    def accept_transfer(
        self, interaction_id: str, *, at: float, command_id: str | None = None
    ) -> list[Event]:
        """The consulted agent takes the interaction: the first agent is released."""
        return self._run(AcceptTransfer(interaction_id=interaction_id), at, command_id)

    def decline_transfer(
        self, interaction_id: str, *, at: float, command_id: str | None = None
    ) -> list[Event]:
        """End a pending consult without transfer: the interaction stays where it is."""
        return self._run(DeclineTransfer(interaction_id=interaction_id), at, command_id)

    def add_note(
        self, interaction_id: str, text: str, *, at: float, command_id: str | None = None
    ) -> list[Event]:
        """Add a note to a live interaction's context (it travels with transfers)."""
        return self._run(AddNote(interaction_id=interaction_id, text=text), at, command_id)

    def advance(self, *, at: float, command_id: str | None = None) -> list[Event]:
        """Move time forward to ``at``, firing due timers (offer timeouts, wrap-up ends).

        Raises:
            TooManyEvents: more than ``ccrouter.limits.MAX_EVENTS`` events would be made (an
                overflow back to the same queue over a very long span): nothing changes;
                advance in smaller steps.
        """
        return self._commit(
            lambda: core.advance(self._state, at, backend=self.backend), None, at, command_id
        )

    def match(self, *, at: float, command_id: str | None = None) -> list[Event]:
        """Fire due timers, then assign all waiting work to all free agents in one optimal
        step (the ``matching = "batch"`` mode's routing; see docs/routing.md, *Batch
        matching*). The offers are ``InteractionOffered`` events like any other.
        """
        steps: list[BatchStep] = []
        events = self._commit(
            lambda: core.match(self._state, at, backend=self.backend, on_step=steps.append),
            "match",
            at,
            command_id,
        )
        for step in steps:  # (logged: explain looks the step up instead of solving it)
            self._checkpoints.steps.record(step, self._state)
        return events

    def execute(self, command: Command, *, at: float, command_id: str | None = None) -> list[Event]:
        """Run a command object (the methods above build these)."""
        return self._run(command, at, command_id)

    def snapshot(self) -> int:
        """Write a snapshot of the current state to the snapshot store; return its version.

        Raises:
            InvalidArgument: the router was opened without ``snapshots``.
            StorageFull: a :class:`~ccrouter.engine.snapshot.FileSnapshotStore` found the disk full
                (the previous snapshot is kept; the router's state and log are unchanged).
        """
        if self._snapshots is None:
            raise InvalidArgument("this router has no snapshot store (pass snapshots=...)")
        version = self._state.last_seq
        self._snapshots.save(snapshot_of(self._state, self._log))
        return version

    def reconfigure(
        self,
        config: RouterConfig | Mapping[str, Any],
        *,
        at: float,
        command_id: str | None = None,
    ) -> list[Event]:
        """Replace the routing configuration while running; the change is a ``ConfigChanged``
        event, so a replay makes it at the same point.

        What changes for work already in the router (see docs/routing.md): waiting
        interactions keep their arrival time and priority and are re-ordered by the new
        aging rate; the next decision uses the new strategy; ringing offers keep their expiry
        and wrap-ups their end; ``complete`` uses the new wrap-up. Ready agents then get a
        routing pass. A config equal to the current one changes nothing (no event).

        >>> r = Router(RouterConfig.from_dict({"queues": {"sales": {}}}))
        >>> new = RouterConfig.from_dict({"queues": {"sales": {"strategy": "most_skilled"}}})
        >>> [e.kind for e in r.reconfigure(new, at=10)], r.config_version
        (['config_changed'], 1)
        >>> r.config.queues["sales"].strategy
        'most_skilled'

        Raises:
            ConfigError: the config is invalid, or drops a queue that still holds live work.
        """
        if isinstance(config, RouterConfig):
            data = config.to_dict()
        elif isinstance(config, Mapping):
            data = RouterConfig.from_dict(dict(config)).to_dict()
        else:
            msg = f"config must be a RouterConfig or a mapping, got {type(config).__name__}"
            raise InvalidArgument(msg)
        return self._run(Reconfigure(config=data), at, command_id)

    # --- queries -------------------------------------------------------------------------

    @property
    def config(self) -> RouterConfig:
        """The configuration in force now (the last ``reconfigure``, else the one given)."""
        return self._state.config

    @property
    def base_config(self) -> RouterConfig:
        """The configuration the log starts from (what ``Router.replay`` needs)."""
        return self._base_config

    @property
    def config_version(self) -> int:
        """How many times the configuration changed (0: never); offers record it."""
        return self._state.config_version

    def customer(self, customer_id: str) -> CustomerView:
        """Every contact of a customer across channels, oldest first: channel, queue, agent,
        outcome, notes (an empty list for a customer never seen)."""
        check_name(customer_id, "customer_id")
        return customer_view(self._state, customer_id)

    @property
    def events(self) -> list[Event]:
        """Every event so far, in order."""
        return list(self._log.read())

    @property
    def stats(self) -> RealtimeStats:
        """Real-time statistics (waiting, longest wait, service level so far, agents by status).

        Built from the log on first use, then kept up to date event by event (O(1) each), so
        routers that never look at statistics (replays, simulations) do not pay for them.
        """
        if self._stats is None:
            self._stats = RealtimeStats()
            self._stats.apply_all(self._log.read())
        return self._stats

    @property
    def log(self) -> EventLog:
        return self._log

    @property
    def state(self) -> RouterState:
        """The live state (read it, never change it: only events do)."""
        return self._state

    @property
    def now(self) -> float:
        """The router's time: the latest ``at`` seen."""
        return self._state.now

    def agent(self, agent_id: str) -> AgentView:
        """A snapshot of one agent.

        Raises:
            UnknownAgent: (a ``KeyError``) no such agent ever logged in.
            InvalidArgument: ``agent_id`` is not an id (a non-empty string).
        """
        check_name(agent_id, "agent_id")
        return agent_view(self._state, agent_id)

    def interaction(self, interaction_id: str) -> InteractionView:
        """A snapshot of one interaction.

        Raises:
            UnknownInteraction: (a ``KeyError``) no such interaction was ever submitted.
            InvalidArgument: ``interaction_id`` is not an id (a non-empty string).
        """
        check_name(interaction_id, "interaction_id")
        return interaction_view(self._state, interaction_id)

    def fairness(self, *, at: float | None = None) -> dict[str, LedgerView]:
        """Every agent's fairness ledger over the window ending at ``at`` (default: now), in
        login-slot order, with ``over_cap`` marking the logged-in agents over the cap.

        Raises:
            InvalidArgument: the config has no ``fairness`` section (no ledger is kept), or
                ``at`` is before the router's time (entries that left the window by then are
                forgotten, so the past cannot be read).
        """
        ledger = self._ledger()
        if at is not None:
            check_time(at, "at")
        when = self._state.now if at is None else float(at)
        if not when >= self._state.now:
            msg = f"`at` must be a number >= the router's time {self._state.now:g}, got {at!r}"
            raise InvalidArgument(msg)
        capped = set(core.capped_agents(self._state, when))
        return {a: ledger.view(a, when, capped=a in capped) for a in self._state.slots}

    def ledger(self, agent_id: str, *, at: float | None = None) -> LedgerView:
        """One agent's fairness ledger (see :meth:`fairness`).

        Raises:
            UnknownAgent: (a ``KeyError``) no such agent ever logged in.
            InvalidArgument: the config has no ``fairness`` section.
        """
        self._ledger()
        check_name(agent_id, "agent_id")
        if agent_id not in self._state.agents:
            msg = f"unknown agent {agent_id!r}: it never logged in"
            raise UnknownAgent(msg)
        return self.fairness(at=at)[agent_id]

    def performance(
        self, *, at: float | None = None, start: float | None = None, end: float | None = None
    ) -> list[PerformanceRow]:
        """Per agent and queue, first-contact resolution, satisfaction, conversion, value and
        handle time, each shrunk towards the team's mean with its uncertainty
        (docs/performance.md). Without ``start``/``end``: the window routing reads, ending
        at ``at`` (default: now; needs ``RouterConfig.performance``); with both: the contacts
        that ended in ``[start, end)``, recomputed from the log (any past window).

        Raises:
            InvalidArgument: no ``performance`` config (for the routing window), only one of
                ``start``/``end``, or times out of order.
        """
        if start is not None or end is not None:
            if start is None or end is None:
                msg = "give both `start` and `end` (a window), or neither"
                raise InvalidArgument(msg)
            return performance_between(self._log.read(), self._base_config, start, end)
        book = self._state.book
        if book is None:
            msg = "no performance projection: set RouterConfig.performance (e.g. {})"
            raise InvalidArgument(msg)
        when = self._state.now if at is None else at
        check_time(when, "at")
        if not when >= self._state.now:
            msg = f"`at` must be a number >= the router's time {self._state.now:g}, got {at!r}"
            raise InvalidArgument(msg)
        return book.rows(float(when))

    def _ledger(self) -> FairnessLedger:
        if self._state.ledger is None:
            msg = "no fairness ledger: set RouterConfig.fairness (e.g. {'window': 3600})"
            raise InvalidArgument(msg)
        return self._state.ledger

    def explain(self, interaction_id: str) -> Explanation:
        """Why the last offer of ``interaction_id`` went to its agent, and why not to others;
        with ``rules`` (the classification's rule trace, docs/rules.md) when rules classified
        it. See :meth:`_explain_offer` for the agent side."""
        explanation = self._explain_offer(interaction_id)
        trace = self.explain_rules(interaction_id)
        if trace is None:
            return explanation
        return msgspec.structs.replace(explanation, rules=trace)

    def explain_rules(self, interaction_id: str) -> RuleTrace | None:
        """How routing rules classified ``interaction_id`` (its last classification): each
        rule tried in order, each condition true or false with the values it read, and what
        the matching rule set; ``None`` when no rule ran for it.

        Raises:
            UnknownInteraction: no such interaction was ever submitted.
        """
        check_name(interaction_id, "interaction_id")
        interaction = self._state.interactions.get(interaction_id)
        if interaction is None:
            msg = f"unknown interaction {interaction_id!r}: it was never submitted"
            raise UnknownInteraction(msg)
        if interaction.rule is None and not interaction.submitted:
            return None
        event = self._last_classification(interaction)
        if event is None:
            return None
        read = self._log.read  # the config in force then: from the nearest copy
        before = self._checkpoints.state_before(
            event.seq, read, lambda: RouterState(self._base_config)
        )
        submitted = event.submitted or interaction.submitted
        entry = str(submitted.get("queue", interaction.queue))
        return rule_trace(before.config, event, entry)

    def _last_classification(self, interaction: Interaction) -> InteractionClassified | None:
        """The interaction's last classification event: one read at its recorded ``seq``
        (a router opened from a snapshot written before records kept it searches the log)."""
        seq = interaction.classified_seq
        if seq is not None:
            event = next(iter(self._log.read(seq, seq + 1)))
            assert isinstance(event, InteractionClassified)
            return event
        found = None
        for e in self._log.read():
            if type(e) is InteractionClassified and e.interaction_id == interaction.interaction_id:
                found = e
        return found

    def _explain_offer(self, interaction_id: str) -> Explanation:
        """Why the last offer of ``interaction_id`` went to its agent, and why not to others.

        The state just before that decision is rebuilt from the log and the rules are
        evaluated again in plain Python; the rebuild starts from the nearest of the copies
        the router keeps every couple of thousand events
        (:mod:`ccrouter.engine.checkpoints`), so it costs milliseconds whatever the log's
        length. A decision of a batch step (``match``)
        is explained as the step made it (``Explanation.batch``), from the state before its
        first offer and the pairs the step chose, looked up in the log or in the router's
        record of its steps (:mod:`ccrouter.engine.batch_steps`), not solved again. For an
        interaction never offered, the
        explanation is of the current state: why nobody can take it now (``chosen`` is
        ``None``).
        """
        check_name(interaction_id, "interaction_id")
        interaction = self._state.interactions.get(interaction_id)
        if interaction is None:
            msg = f"unknown interaction {interaction_id!r}: it was never submitted"
            raise UnknownInteraction(msg)
        read = self._log.read
        return explain_interaction(
            self._state,
            interaction,
            self._checkpoints.last_offer(interaction, read),
            read,
            lambda seq: self._checkpoints.state_before(
                seq, read, lambda: RouterState(self._base_config)
            ),
            self._checkpoints.steps,
        )

    def state_digest(self) -> str:
        """A hash of the whole routing state: equal states, equal digests."""
        return state_digest(self._state)

    @classmethod
    def replay(
        cls,
        events: Iterable[Event],
        config: RouterConfig | None = None,
        *,
        backend: str | None = None,
    ) -> Router:
        """A new router (with an in-memory log) in the state these events lead to.

        Replay applies the recorded decisions; it never decides again.
        """
        return cls(config, log=MemoryEventLog(list(events)), backend=backend)

    def check(self) -> None:
        """Verify the state's invariants (raises ``AssertionError``); for tests and debugging."""
        self._state._check()

    # --- internals -----------------------------------------------------------------------

    def _open(self) -> RouterState:
        """The log's state: from the snapshot plus the log's tail when one is usable."""
        if self._snapshots is not None:
            state = restore(self._snapshots, self._log, self._base_config)
            if state is not None:
                try:
                    return self._fold(self._log.read(state.last_seq + 1), state)
                except LogError:
                    raise
                except Exception as exc:  # the tail does not fit the snapshot: ignore it
                    unusable(f"the log's tail does not apply to the snapshot ({exc!r})")
        return self._fold(self._log.read())

    def _fold(self, events: Iterable[Event], state: RouterState | None = None) -> RouterState:
        state = RouterState(self._base_config) if state is None else state
        # A fold allocates many long-lived objects and no garbage cycles: the cyclic
        # collector would only walk them again and again (a third of a replay's time), so
        # it pauses meanwhile.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._checkpoints.fold(state, events)  # (copies for explain on the way)
        finally:
            if collecting:
                gc.enable()
        return state

    def _run(
        self,
        command: Command,
        at: float,
        command_id: str | None = None,
        offer_seq: int | None = None,
    ) -> CommandResult:
        if offer_seq is None:
            return self._commit(
                lambda: core.execute(self._state, command, at, backend=self.backend),
                command,
                at,
                command_id,
            )

        def answer() -> list[Event]:
            # After the command id's recall (a retried accept is a repeat, not stale) and
            # before any timer fires: an offer that expires at `at` was still ringing.
            _check_offer(self._state, getattr(command, "interaction_id", None), offer_seq, at)
            return core.execute(self._state, command, at, backend=self.backend)

        return self._commit(answer, command, at, command_id)

    def _commit(
        self, step: Any, command: Command | str | None, at: float, command_id: str | None
    ) -> CommandResult:
        version, now = self._state.last_seq, self._state.now
        if command_id is not None:
            check_name(command_id, "command_id")
            known = self._state.commands.get(command_id)
            if known is not None:
                return self._recall(command_id, known, command, at)
        head = self._config_head(at)
        try:
            events: list[Event] = step()
            if head and not events and command_id is None:  # nothing to write: no header
                self._rebuild(now)
                self._state.now = max(self._state.now, float(at))
                return CommandResult(events, seq=self._state.last_seq)
            batch = [*head, *events] if head else events
            if command_id is not None:
                marker = CommandRecorded(
                    seq=self._state.last_seq + 1,
                    at=self._state.now,
                    command_id=command_id,
                    fingerprint=command_fingerprint(command),
                    events=len(events),
                )
                self._state.apply(marker)
                batch = [*batch, marker]
        except BaseException as exc:
            # Apply is atomic: validation raises before any change, so a refused command
            # costs nothing here. Anything that fails after a change (timers fired before a
            # command turned invalid, the event limit, an event that failed half-way through
            # its apply, or any unexpected error: a bug) leaves the state rebuilt from the log,
            # exactly as it was before the command.
            if (
                self._state.last_seq != version
                or self._state.torn
                or not isinstance(exc, CCRouterError)
            ):
                self._rebuild(now)
            raise
        if batch:
            try:
                self._log.append(batch, expected_version=version)
            except BaseException:
                self._rebuild(now)
                raise
            self._checkpoints.observe(self._state)
            if self._stats is not None:
                self._stats.apply_all(batch)
        return CommandResult(events, seq=self._state.last_seq, appended=tuple(batch))

    def _config_head(self, at: float) -> list[Event]:
        """The config record a log supplied empty starts with, applied to the state, before
        the first command's events (``[]`` once written, or for the router's own log)."""
        if not self._record_config or self._state.last_seq != 0 or not is_time(at):
            return []
        record = config_record(self._base_config, at)
        self._state.apply(record)
        return [record]

    def _rebuild(self, now: float) -> None:
        """The state again as the log has it (snapshot and tail when there is a snapshot
        store), at the time it had: ``now`` (a command that made no event still moved the
        clock, which the log cannot know)."""
        self._state = self._open()
        self._state.now = max(self._state.now, now)

    def _recall(
        self, command_id: str, known: tuple[str, int, int], command: Command | str | None, at: Any
    ) -> CommandResult:
        recorded, first, count = known
        if recorded.startswith(FINGERPRINT_PREFIX):
            same = recorded == command_fingerprint(command)
        else:
            # Recorded before fingerprints left `at` out: it hashed the command with its `at`,
            # which is the marker's time (a command moves the router's time to its `at`), so
            # a retry at another time is still recognised.
            marker = next(self._log.read(first + count, first + count + 1))
            same = recorded in (fingerprint(command, at), fingerprint(command, marker.at))
        if not same:
            msg = (
                f"command_id {command_id!r} was already used (recorded at seq {first + count}) "
                "by a command with other content (command or arguments)"
            )
            raise IdempotencyConflict(msg)
        return CommandResult(self._log.read(first, first + count), repeat=True, seq=first + count)


def _check_offer(state: RouterState, interaction_id: Any, offer_seq: Any, at: Any) -> None:
    """Refuse an answer to an offer that no longer rings at ``at`` (see ``Router.accept``):
    one whose expiry is due by ``at`` times out before the command runs."""
    if type(offer_seq) is not int:
        msg = f"offer_seq must be an int (an offer's seq), got {type(offer_seq).__name__}"
        raise InvalidArgument(msg)
    check_name(interaction_id, "interaction_id")
    interaction = state.interactions.get(interaction_id)
    if interaction is None:
        return  # the command's own validation names the unknown interaction
    current = interaction.offer_seq if interaction.status == "offered" else None
    expires = interaction.offer_expires_at
    if (
        current is not None
        and expires is not None
        and isinstance(at, int | float)
        and expires <= at
    ):
        current = None  # it times out when the command's due timers fire
    if current != offer_seq:
        now = "no offer rings now" if current is None else f"offer {current} rings now"
        msg = (
            f"stale offer for {interaction_id!r}: offer_seq {offer_seq} is not the offer "
            f"ringing ({now}, status {interaction.status!r})"
        )
        raise StaleOffer(msg, offer_seq=offer_seq, current=current)


def _plain(levels: Mapping[str, int], field: str) -> dict[str, int]:
    if type(levels) is not dict and not isinstance(levels, Mapping):
        msg = f"{field} must be a mapping of name to integer, got {type(levels).__name__}"
        raise InvalidArgument(msg)
    return dict(levels)


def _listed(names: Iterable[str]) -> list[str]:
    """A list of the names given (any iterable; a set sorted). A string, bytes, a mapping or
    a non-iterable is passed on as is, to be refused by validation naming the argument: a
    bare ``"bob"`` is not ``["b", "o", "b"]``."""
    if type(names) is list or type(names) is tuple:  # the common cases, answered first
        return list(names)
    if isinstance(names, str | bytes | bytearray | Mapping):
        return names  # type: ignore[return-value]
    if isinstance(names, set | frozenset):
        try:  # a set's order varies between processes: sorted, a retry matches its id
            return sorted(names)
        except TypeError:  # mixed types: refused by validation anyway
            return list(names)
    try:
        return list(names)
    except TypeError:  # not iterable
        return names  # type: ignore[return-value]
