"""Events: every fact the router knows, as frozen msgspec Structs.

Events form a closed tagged union (:data:`Event`); the tag field is ``"type"``. Each event
carries its sequence number ``seq`` (1, 2, 3, ... in log order) and its time ``at`` in seconds.
Names are in the past tense: an event is a fact that has happened.

One codec serves JSON and MessagePack:

>>> e = AgentReady(seq=1, at=0.0, agent_id="ann")
>>> decode_json(encode_json(e)) == e
True
>>> decode_msgpack(encode_msgpack(e)) == e
True
>>> encode_json(e)
b'{"type":"agent_ready","agent_id":"ann","seq":1,"at":0.0}'

On the wire the tag comes first, then each event's own fields, then the common ``seq`` and
``at`` (msgspec puts keyword-only base fields last); stored logs depend on this order.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import msgspec

from ccrouter.errors import DecodeError

__all__ = [
    "AgentAttributesUpdated",
    "AgentLoggedIn",
    "AgentLoggedOut",
    "AgentNotReady",
    "AgentReady",
    "AgentUpdated",
    "CallbackRequested",
    "CommandRecorded",
    "ConfigChanged",
    "Event",
    "EventBase",
    "ExperimentAssigned",
    "InteractionAbandoned",
    "InteractionClassified",
    "InteractionCompleted",
    "InteractionDeadlineSet",
    "InteractionExited",
    "InteractionNoteAdded",
    "InteractionOffered",
    "InteractionOverdue",
    "InteractionPaused",
    "InteractionQueued",
    "InteractionReminded",
    "InteractionResumed",
    "InteractionStepped",
    "InteractionTargetExpired",
    "InteractionTargeted",
    "InteractionTransferred",
    "InteractionUpdated",
    "OfferAccepted",
    "OfferDeclined",
    "OfferRevoked",
    "OfferTimedOut",
    "OutcomeRecorded",
    "RepeatContact",
    "TransferAccepted",
    "TransferDeclined",
    "TransferOffered",
    "WrapUpEnded",
    "WrapUpExtended",
    "decode_json",
    "decode_json_many",
    "decode_msgpack",
    "decode_msgpack_many",
    "encode_json",
    "encode_json_many",
    "encode_msgpack",
    "encode_msgpack_many",
]


class EventBase(
    msgspec.Struct, frozen=True, kw_only=True, tag_field="type", forbid_unknown_fields=True
):
    """Fields common to every event."""

    seq: int
    """Position in the log, starting at 1, without gaps."""
    at: float
    """When it happened, in seconds (wall clock, log clock or virtual time)."""

    @property
    def kind(self) -> str:
        """The event's tag, e.g. ``"agent_ready"`` (the ``type`` field of its encoding)."""
        return str(self.__struct_config__.tag)


# --- agents -----------------------------------------------------------------------------------


# omit_defaults: a login without a budget or groups encodes as before the fields existed.
class AgentLoggedIn(EventBase, frozen=True, tag="agent_logged_in", omit_defaults=True):
    """An agent logged in (state ``not_ready``) with skills and per-channel capacity.

    ``groups``: the agent groups it belongs to (for queues and widening steps that name
    groups).

    ``budget`` (omnichannel rules): the units of channel cost the agent may hold at once
    (``None``: no shared budget, only the per-channel capacity).
    """

    agent_id: str
    skills: dict[str, int]
    capacity: dict[str, int]
    groups: list[str] = []
    budget: int | None = None
    attributes: dict[str, Any] = {}
    """Typed agent attributes (level, languages, team, ...; see ``RouterConfig.attributes``)."""


class AgentLoggedOut(EventBase, frozen=True, tag="agent_logged_out"):
    """An agent logged out."""

    agent_id: str


class AgentReady(EventBase, frozen=True, tag="agent_ready"):
    """An agent became available for new work."""

    agent_id: str


class AgentNotReady(EventBase, frozen=True, tag="agent_not_ready"):
    """An agent stopped taking new work, for a reason code (``no_answer`` after missed offers)."""

    agent_id: str
    reason: str


# --- interactions -----------------------------------------------------------------------------


class InteractionQueued(EventBase, frozen=True, tag="interaction_queued"):
    """An interaction arrived and waits in ``queue`` for an agent.

    ``skills`` maps each required skill to its minimum proficiency.
    """

    interaction_id: str
    channel: str
    queue: str
    skills: dict[str, int] = {}
    priority: float = 0.0
    customer_id: str | None = None
    attributes: dict[str, Any] = {}


class InteractionOffered(EventBase, frozen=True, tag="interaction_offered"):
    """The router offered an interaction to an agent, reserving one unit of its capacity.

    This is a routing decision: replay applies it and never decides again.
    ``expires_at`` is when the offer times out (``None``: never).

    ``batch_seq`` is set only on the offers of a batch step (``Router.match``): the ``seq``
    of that step's first offer, so the state just before it is the one the step solved (all
    of the step's offers share it). It is unset (``msgspec.UNSET``, and left out of the
    encoding, as in logs of schema 4 and before) on greedy decisions; :attr:`batch` says
    which.
    """

    interaction_id: str
    agent_id: str
    expires_at: float | None = None
    config_version: int = 0
    # UNSET rather than a None default: a greedy offer encodes byte for byte as before the
    # field existed (the struct does not omit its other defaults, so omit_defaults cannot).
    batch_seq: int | msgspec.UnsetType = msgspec.UNSET

    @property
    def batch(self) -> bool:
        """Whether a batch step (``match()``) made this decision, rather than greedy routing."""
        return self.batch_seq is not msgspec.UNSET


class OfferAccepted(EventBase, frozen=True, tag="offer_accepted"):
    """The agent accepted the offer; the interaction is connected."""

    interaction_id: str
    agent_id: str


class OfferDeclined(EventBase, frozen=True, tag="offer_declined"):
    """The agent declined; the interaction goes back to its place in the queue."""

    interaction_id: str
    agent_id: str


class OfferTimedOut(EventBase, frozen=True, tag="offer_timed_out"):
    """Nobody answered the offer in time (a miss); the interaction goes back to its place."""

    interaction_id: str
    agent_id: str


class OfferRevoked(EventBase, frozen=True, tag="offer_revoked"):
    """The router withdrew an offer (e.g. the agent logged out); the interaction goes back."""

    interaction_id: str
    agent_id: str
    reason: str


class InteractionCompleted(EventBase, frozen=True, tag="interaction_completed"):
    """The conversation ended; the agent's slot stays held in wrap-up until ``wrap_up_until``."""

    interaction_id: str
    agent_id: str
    wrap_up_until: float


class WrapUpEnded(EventBase, frozen=True, tag="wrap_up_ended"):
    """After-call work ended; the agent's slot is free again."""

    interaction_id: str
    agent_id: str


class InteractionAbandoned(EventBase, frozen=True, tag="interaction_abandoned"):
    """The customer left while queued or offered (``agent_id`` names the agent offered, if any)."""

    interaction_id: str
    agent_id: str | None = None


class InteractionUpdated(EventBase, frozen=True, tag="interaction_updated"):
    """The caller changed an interaction mid-flight; a ``None`` field is left as it was.

    ``priority`` replaces the priority, ``skills`` replaces the whole requirement (skill to
    minimum) and ``attributes`` is merged into the attributes (the keys given are set). A
    waiting interaction takes its new place in the queue at once; an offered or connected one
    only records the change (it counts if the interaction goes back to the queue).
    """

    interaction_id: str
    priority: float | None = None
    skills: dict[str, int] | None = None
    attributes: dict[str, Any] | None = None


class InteractionTargeted(EventBase, frozen=True, tag="interaction_targeted"):
    """Only ``agent_ids`` may take the interaction until ``until`` (``None``: for good).

    ``reason`` says why: ``preferred`` (preferred agents on submit) or ``direct`` (sent to
    one agent). When ``until`` passes, :class:`InteractionTargetExpired` lifts the restriction.
    """

    interaction_id: str
    agent_ids: list[str]
    until: float | None = None
    reason: str = "preferred"


class InteractionTargetExpired(EventBase, frozen=True, tag="interaction_target_expired"):
    """The preferred agents' time ran out: any eligible agent may take the interaction now."""

    interaction_id: str


# --- queue policies (steps, exits, deadlines) --------------------------------------------------


# omit_defaults: a queue deadline encodes as before `explicit` existed (schema 3).
class InteractionDeadlineSet(
    EventBase, frozen=True, tag="interaction_deadline_set", omit_defaults=True
):
    """The work is due by ``deadline`` (an SLA; absolute time): reminders before it and an
    escalation after it follow (see ``QueueConfig.reminders`` / ``overdue_*``)."""

    interaction_id: str
    deadline: float
    explicit: bool = False
    """The submission gave the deadline (``submit(deadline=...)``); ``False``: the queue's
    ``deadline`` setting did. Logs of schema 3 and older do not say: they read ``False``."""


class InteractionStepped(EventBase, frozen=True, tag="interaction_stepped"):
    """A waiting interaction reached widening step ``step`` (0-based) of its queue.

    ``skills`` and ``priority`` are its requirement and priority from now on; when ``skipped``
    the step was passed over (no logged-in agent could have taken it) and nothing changed.
    """

    interaction_id: str
    step: int
    skills: dict[str, int]
    priority: float
    skipped: bool = False
    groups: list[str] = []
    """The agent groups that may take it from now on (empty: any agent)."""


class InteractionExited(EventBase, frozen=True, tag="interaction_exited"):
    """An exit rule took a waiting interaction out of its queue (``reason``: the rule, one of
    :data:`ccrouter.config.EXIT_REASONS`).

    With ``overflow_to`` it waits on in that queue (arrival time kept when ``keep_age``);
    without, it ends with status ``exited``.
    """

    interaction_id: str
    reason: str
    overflow_to: str | None = None
    keep_age: bool = False


class InteractionReminded(EventBase, frozen=True, tag="interaction_reminded"):
    """Work with a deadline is still waiting ``before`` seconds before it is due."""

    interaction_id: str
    deadline: float
    before: float


class InteractionOverdue(EventBase, frozen=True, tag="interaction_overdue"):
    """Waiting work passed its deadline: it is escalated to ``priority`` and, when ``queue``
    is given, moved to that queue (keeping its age)."""

    interaction_id: str
    deadline: float
    priority: float
    queue: str | None = None


class CallbackRequested(EventBase, frozen=True, tag="callback_requested"):
    """The waiting customer left the line for a callback (virtual hold).

    The interaction keeps its place and age; when its turn comes it is offered like any other
    and the agent calls the customer back. It can no longer be abandoned (nobody is on the
    line to hang up) and the live-caller patience limits (``max_wait``,
    ``max_wait_no_agents``) no longer apply. ``automatic``: made by the queue's
    ``callback_after`` rather than asked for.
    """

    interaction_id: str
    automatic: bool = False


# --- transfers --------------------------------------------------------------------------------


class InteractionTransferred(EventBase, frozen=True, tag="interaction_transferred"):
    """Blind transfer: ``agent_id`` is released at once (no wrap-up: the conversation goes on
    elsewhere) and the interaction waits in ``queue``, for ``to_agent`` alone when given.

    It keeps its arrival time (its age travels with it) and its requirement; ``from_queue``
    is the queue it leaves, ``reason`` says why (``transfer``, ``escalation``, ...) and
    ``note`` is added to its notes.
    """

    interaction_id: str
    agent_id: str
    from_queue: str
    queue: str
    to_agent: str | None = None
    reason: str = "transfer"
    note: str | None = None
    skills: dict[str, int] | None = None
    """The new leg's requirement (``None``: unchanged)."""


class TransferOffered(EventBase, frozen=True, tag="transfer_offered"):
    """Consult: ``to_agent`` is offered the interaction (one unit of its capacity is held)
    while ``agent_id`` stays connected; ``expires_at`` is when the consult times out."""

    interaction_id: str
    agent_id: str
    to_agent: str
    from_queue: str
    queue: str
    reason: str = "transfer"
    note: str | None = None
    expires_at: float | None = None


class TransferAccepted(EventBase, frozen=True, tag="transfer_accepted"):
    """The consulted agent took the interaction: ``agent_id`` is released (no wrap-up) and
    ``to_agent`` is connected; the interaction now belongs to ``queue``."""

    interaction_id: str
    agent_id: str
    to_agent: str
    from_queue: str
    queue: str
    reason: str = "transfer"


class TransferDeclined(EventBase, frozen=True, tag="transfer_declined"):
    """The consult ended without a transfer (``outcome``: ``declined``, ``timed_out`` or
    ``revoked``); the interaction stays with ``agent_id``."""

    interaction_id: str
    agent_id: str
    to_agent: str
    outcome: str = "declined"


class InteractionPaused(EventBase, frozen=True, tag="interaction_paused"):
    """Connected work was paused because ``by`` (an interaction on a channel allowed to
    interrupt it) was connected to the same agent; the paused time is not handle time."""

    interaction_id: str
    agent_id: str
    by: str


class InteractionResumed(EventBase, frozen=True, tag="interaction_resumed"):
    """Paused work resumed: the interaction that interrupted it ended for this agent."""

    interaction_id: str
    agent_id: str


class InteractionNoteAdded(EventBase, frozen=True, tag="interaction_note_added"):
    """A note was added to the interaction's context (it travels with transfers)."""

    interaction_id: str
    text: str


# --- configuration ------------------------------------------------------------------------------


class ConfigChanged(EventBase, frozen=True, tag="config_changed"):
    """The routing configuration was replaced while running (``Router.reconfigure``).

    ``config`` is the whole new configuration as plain data (``RouterConfig.to_dict()``) and
    ``version`` its number: 1 for the first change, then 2, 3, ... (0 is the configuration the
    router was created with). Every later offer records the version it was decided under.
    """

    version: int
    config: dict[str, Any]


# --- commands -----------------------------------------------------------------------------------


class CommandRecorded(EventBase, frozen=True, tag="command_recorded"):
    """A command that carried a caller's ``command_id`` ran; it closes that command's batch.

    The command's own events are the ``events`` events just before this one (possibly none),
    so a router that replays the log knows each id's result and its content ``fingerprint``
    (a hash of the command and its arguments, ``c2:``-prefixed; older logs also hashed ``at``)
    without having kept anything else.
    """

    command_id: str
    fingerprint: str
    events: int = 0


class AgentAttributesUpdated(EventBase, frozen=True, tag="agent_attributes_updated"):
    """A logged-in agent's attributes changed: ``attributes`` are merged into the agent's
    (a ``None`` value removes the key), or replace them all when ``replace``."""

    agent_id: str
    attributes: dict[str, Any]
    replace: bool = False


class InteractionClassified(
    EventBase, frozen=True, tag="interaction_classified", omit_defaults=True
):
    """Routing rules classified an interaction (docs/rules.md). Replay applies what it set and
    never evaluates a rule again.

    ``rule``: the rule that matched (``""``: none matched and no default: nothing set);
    ``reads``: every value the rules evaluated up to that one read (dotted name -> value), so
    the trace can be rebuilt; ``split``: the variant of a weighted split; ``trigger``:
    ``submit``, ``update`` or ``reclassify``; ``submitted``: the queue, priority and skills
    the interaction had before (what-if replays start from them). The rest is what the rule
    set (``None``/empty: unchanged); ``deflect``: the work leaves with this reason.
    ``exception``: for trigger ``reclassify``, the exception trigger that fired
    (``wait_time`` or ``queue_length``, docs/rules.md); applying the event then sets the
    priority and skills the rule set (a new queue or deflection follows as an exit).
    """

    interaction_id: str
    rule: str
    reads: dict[str, Any] = {}
    queue: str | None = None
    priority: float | None = None
    skills: dict[str, int] | None = None
    tags: list[str] = []
    preferred_agents: list[str] = []
    deflect: str | None = None
    split: int | None = None
    trigger: str = "submit"
    submitted: dict[str, Any] = {}
    exception: str | None = None


# --- agent desktop ------------------------------------------------------------------------------


# omit_defaults: only the parts that changed are encoded.
class AgentUpdated(EventBase, frozen=True, tag="agent_updated", omit_defaults=True):
    """A logged-in agent's skills, capacity or groups changed (``None``: unchanged); each
    given part replaces the old one whole. Work in hand stands; new offers follow the new
    values at once (the agent is routed again)."""

    agent_id: str
    skills: dict[str, int] | None = None
    capacity: dict[str, int] | None = None
    groups: list[str] | None = None


class WrapUpExtended(EventBase, frozen=True, tag="wrap_up_extended"):
    """The agent asked for more after-call work: the wrap-up of ``interaction_id`` now ends
    at ``until`` (later than it would have)."""

    interaction_id: str
    agent_id: str
    until: float


# --- outcomes (docs/performance.md) ---------------------------------------------------------------


# omit_defaults: only the outcome fields given are encoded.
class OutcomeRecorded(EventBase, frozen=True, tag="outcome_recorded", omit_defaults=True):
    """The outcome of a completed interaction (or part of it) was recorded: with
    ``complete(outcome=...)`` or later with ``record_outcome`` (``late``).

    ``agent_id``, ``queue`` and ``completed_at`` say whose work it was and when it ended (the
    attribution the performance projection folds, read from the state when recorded);
    ``None`` fields were not given. Each field of an interaction's outcome is recorded once.
    """

    interaction_id: str
    agent_id: str
    queue: str
    completed_at: float
    resolved: bool | None = None
    disposition: str | None = None
    satisfaction: float | None = None
    value: float | None = None
    tags: list[str] = []
    late: bool = False


class RepeatContact(EventBase, frozen=True, tag="repeat_contact"):
    """The customer came back (any channel) within ``RouterConfig.performance.repeat_within``
    seconds of the end of their last served contact ``previous_id``: that contact was not
    resolved at first contact. ``agent_id``, ``queue`` and ``completed_at`` are the previous
    contact's (its attribution)."""

    interaction_id: str
    customer_id: str
    previous_id: str
    agent_id: str
    queue: str
    completed_at: float


class ExperimentAssigned(EventBase, frozen=True, tag="experiment_assigned"):
    """Work arrived in a queue that runs an experiment (``QueueConfig.experiment``) and
    belongs to ``arm`` (``"a"``: the queue's own routing, ``"b"``: the experiment's) of
    experiment ``experiment``: the reports compare the arms by it."""

    interaction_id: str
    queue: str
    experiment: str
    arm: str


Event: TypeAlias = (
    AgentLoggedIn
    | AgentLoggedOut
    | AgentReady
    | AgentNotReady
    | InteractionQueued
    | InteractionOffered
    | OfferAccepted
    | OfferDeclined
    | OfferTimedOut
    | OfferRevoked
    | InteractionCompleted
    | WrapUpEnded
    | InteractionAbandoned
    | InteractionUpdated
    | InteractionTargeted
    | InteractionTargetExpired
    | InteractionDeadlineSet
    | InteractionStepped
    | InteractionExited
    | InteractionReminded
    | InteractionOverdue
    | CallbackRequested
    | CommandRecorded
    | InteractionTransferred
    | TransferOffered
    | TransferAccepted
    | TransferDeclined
    | InteractionNoteAdded
    | InteractionPaused
    | InteractionResumed
    | ConfigChanged
    | AgentAttributesUpdated
    | InteractionClassified
    | AgentUpdated
    | WrapUpExtended
    | OutcomeRecorded
    | RepeatContact
    | ExperimentAssigned
)
"""Every event type, as a tagged union."""

# Encoders and decoders are reused: building them once is the expensive part.
_json_encoder = msgspec.json.Encoder()
_json_decoder: msgspec.json.Decoder[Event] = msgspec.json.Decoder(Event)
_json_many_decoder: msgspec.json.Decoder[list[Event]] = msgspec.json.Decoder(list[Event])
_msgpack_encoder = msgspec.msgpack.Encoder()
_msgpack_decoder: msgspec.msgpack.Decoder[Event] = msgspec.msgpack.Decoder(Event)
_msgpack_many_decoder: msgspec.msgpack.Decoder[list[Event]] = msgspec.msgpack.Decoder(list[Event])


def encode_json(event: Event) -> bytes:
    """Encode one event as JSON."""
    return _json_encoder.encode(event)


def encode_json_many(events: list[Event]) -> bytes:
    """Encode a list of events as one JSON array."""
    return _json_encoder.encode(events)


def encode_msgpack(event: Event) -> bytes:
    """Encode one event as MessagePack."""
    return _msgpack_encoder.encode(event)


def encode_msgpack_many(events: list[Event]) -> bytes:
    """Encode a list of events as one MessagePack array."""
    return _msgpack_encoder.encode(events)


def _decode(decoder: Any, data: bytes | memoryview, fmt: str) -> Any:
    try:
        return decoder.decode(data)
    except msgspec.DecodeError as exc:
        # msgspec already says what was expected and where (`... - at $.skills`).
        msg = f"invalid {fmt} event data: {exc}"
        raise DecodeError(msg) from exc


def decode_json(data: bytes | memoryview) -> Event:
    """Decode one event from JSON.

    Raises:
        DecodeError: the bytes are not a valid event (the message says what and where).
    """
    return _decode(_json_decoder, data, "JSON")  # type: ignore[no-any-return]


def decode_json_many(data: bytes | memoryview) -> list[Event]:
    """Decode a JSON array of events."""
    return _decode(_json_many_decoder, data, "JSON")  # type: ignore[no-any-return]


def decode_msgpack(data: bytes | memoryview) -> Event:
    """Decode one event from MessagePack.

    Raises:
        DecodeError: the bytes are not a valid event (the message says what and where).
    """
    return _decode(_msgpack_decoder, data, "MessagePack")  # type: ignore[no-any-return]


def decode_msgpack_many(data: bytes | memoryview) -> list[Event]:
    """Decode a MessagePack array of events."""
    return _decode(_msgpack_many_decoder, data, "MessagePack")  # type: ignore[no-any-return]
