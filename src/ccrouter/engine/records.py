"""The records the router's state is made of: agents, interactions, queues, timers.

Plain mutable records with a few derived views; only :class:`~ccrouter.engine.state.RouterState`
changes them, when it applies an event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Literal, TypeAlias, TypeVar

import attrs
import msgspec
from sortedcontainers import SortedList

__all__ = [
    "Agent",
    "AgentStatus",
    "Consult",
    "Interaction",
    "InteractionStatus",
    "QueueKey",
    "QueueState",
    "Segment",
    "Signature",
    "TargetedKey",
    "Timer",
    "col",
    "digest_plan",
    "effective_priority",
    "meets_skills",
    "queue_key",
    "reminder_times",
    "restriction",
    "serves",
    "urgency",
    "view_plan",
    "wire_codec",
    "wire_struct",
]

AgentStatus: TypeAlias = Literal["logged_out", "not_ready", "ready", "reserved", "busy", "wrap_up"]
InteractionStatus: TypeAlias = Literal[
    "queued", "offered", "connected", "completed", "abandoned", "exited"
]
Signature: TypeAlias = tuple[str, tuple[tuple[str, int], ...]]
"""An interaction's requirements: its channel and its sorted (skill, minimum) pairs."""
QueueKey: TypeAlias = tuple[float, float, int, str]
TargetedKey: TypeAlias = (
    tuple[Signature, tuple[str, ...]] | tuple[Signature, tuple[str, ...], tuple[str, ...]]
)
"""A restricted group: the requirement signature, the agents who alone may take the work
(empty: any) and, for work limited to agent groups, those groups (see :func:`restriction`)."""
Timer: TypeAlias = tuple[float, int, str, str]
"""A pending timer: (due, seq of the event that set it, kind ``offer``/``wrap``/``target``/
``consult`` or a queue policy's kind (see :data:`ccrouter.engine.policies.POLICY_TIMERS`),
interaction)."""
Consult: TypeAlias = tuple[str, str, str, float | None]
"""A pending consult: (agent consulted, target queue, reason, expiry)."""


# --- the record schema -------------------------------------------------------------------------
# Each field of Agent and Interaction says once how the snapshot codec stores it and how the
# state digest reads it (attrs metadata under "col"); engine.snapshot and engine.digest are
# derived from it, so a new field is declared here only (and in engine.views if users see it).


_R = TypeVar("_R")


def _same(value: Any) -> Any:
    return value


def _items(value: dict[Any, Any]) -> list[tuple[Any, Any]]:
    return list(value.items())


def _sorted_items(value: dict[Any, Any]) -> list[tuple[Any, Any]]:
    return sorted(value.items())


def _sorted(value: Any) -> list[Any]:
    return sorted(value)


def _json_sorted(value: Any) -> bytes:
    return msgspec.json.encode(value, order="sorted")


@attrs.frozen
class Col:
    """How one record field is stored and compared (see :func:`col`)."""

    wire: Any
    """Its type in a snapshot (``None``: not stored; derived on restore)."""
    store: Callable[[Any], Any]
    load: Callable[[Any], Any]
    digest: Callable[[Any], Any] | None
    group: str | None
    trigger: bool
    tag: str | None
    view: Callable[[Any], Any] | None
    view_as: str | None


def col(
    wire: Any = None,
    *,
    store: Callable[[Any], Any] = _same,
    load: Callable[[Any], Any] = _same,
    digest: Callable[[Any], Any] | None = _same,
    group: str | None = None,
    trigger: bool = True,
    tag: str | None = None,
    view: Callable[[Any], Any] | None = None,
    view_as: str | None = None,
) -> dict[str, Col]:
    """Field metadata: how a record field is stored in a snapshot and read by the digest.

    Args:
        wire: the field's snapshot type (``None``: not in snapshots). Snapshot rows are arrays
            in field order, so a new field goes last, with a default.
        store: the field's value to its snapshot form; ``load``: back.
        digest: the field's value to its digest form (``None``: not digested).
        group: fields added after digests were first recorded are digested only when one
            field of their group (a ``trigger``) differs from its default, so that the digests
            of older logs do not change; consecutive fields share a group.
        tag: a label digested before the group's values.
        view: the field's value to its form in the public view
            (:mod:`ccrouter.engine.views`; ``None``: not shown), under the name ``view_as``
            (default: the field's name).

    Returns:
        The ``metadata`` for :func:`attrs.field`.
    """
    return {"col": Col(wire, store, load, digest, group, trigger, tag, view, view_as)}


_PAIRS: dict[str, Any] = {"store": _items, "load": dict}
_SORTED_MAP: dict[str, Any] = {"load": dict, "digest": _sorted_items}


class Segment(msgspec.Struct, frozen=True, array_like=True):
    """One closed leg of an interaction: the queue it waited in, the agent who had it, when
    the leg started (arrival or the transfer into it) and ended, and how (``transferred``),
    with the transfer's reason."""

    queue: str
    agent_id: str | None
    started_at: float
    ended_at: float | None
    outcome: str
    reason: str


@attrs.define(eq=False)
class Agent:
    """One agent as the router sees it.

    ``presence`` is what the agent asked for (``logged_out``, ``not_ready``, ``ready``);
    ``status`` adds the work in hand: ``reserved`` (an offer rings), ``busy`` (connected) or
    ``wrap_up`` take precedence over presence while the agent is logged in.
    """

    agent_id: str = attrs.field(metadata=col(str, view=_same))
    slot: int = attrs.field(metadata=col(int))
    skills: dict[str, int] = attrs.field(metadata=col(dict[str, int], **_SORTED_MAP, view=dict))
    capacity: dict[str, int] = attrs.field(metadata=col(dict[str, int], **_SORTED_MAP, view=dict))
    presence: Literal["logged_out", "not_ready", "ready"] = attrs.field(
        default="not_ready", metadata=col(str, view=_same)
    )
    reason: str | None = attrs.field(default=None, metadata=col(str | None, view=_same))
    login_order: int = attrs.field(default=0, metadata=col(int))
    logged_in_at: float = attrs.field(default=0.0, metadata=col(float))
    idle_since: float = attrs.field(default=0.0, metadata=col(float, view=_same))
    handled: int = attrs.field(default=0, metadata=col(int, view=_same))
    misses: int = attrs.field(default=0, metadata=col(int, view=_same))
    offers: dict[str, str] = attrs.field(
        factory=dict, metadata=col(list[tuple[str, str]], digest=_items, **_PAIRS, view=list)
    )
    """Interaction id to channel, for offers that ring now (insertion-ordered)."""
    connected: dict[str, str] = attrs.field(
        factory=dict, metadata=col(list[tuple[str, str]], digest=_items, **_PAIRS, view=list)
    )
    wrapping: dict[str, str] = attrs.field(
        factory=dict, metadata=col(list[tuple[str, str]], digest=_items, **_PAIRS, view=list)
    )
    in_use: dict[str, int] = attrs.field(
        factory=dict, metadata=col(list[tuple[str, int]], digest=_sorted_items, **_PAIRS, view=dict)
    )
    """Units of capacity held per channel (offers + connected + wrap-up + consults)."""
    groups: frozenset[str] = attrs.field(
        default=frozenset(),
        metadata=col(list[str], store=_sorted, load=frozenset, digest=_sorted, group="groups"),
    )
    """Agent groups given at login."""
    consults: dict[str, str] = attrs.field(
        factory=dict,
        metadata=col(list[tuple[str, str]], digest=_items, group="consults", **_PAIRS, view=list),
    )
    """Interaction id to channel, for consult-transfers offered to this agent (ringing)."""
    budget: int | None = attrs.field(
        default=None, metadata=col(int | None, group="budget", tag="budget", view=_same)
    )
    """Omnichannel rules: channel cost units the agent may hold at once (``None``: none)."""
    attributes: dict[str, Any] = attrs.field(
        factory=dict,
        metadata=col(dict[str, Any], digest=_json_sorted, group="attributes", view=dict),
    )
    """Typed attributes (level, languages, ...): given at login, changed by update_agent.
    Kept per agent id; a selector reads them per slot (``RouterState.slots``) into a mask."""

    @property
    def status(self) -> AgentStatus:
        if self.presence == "logged_out":
            return "logged_out"
        if self.offers or self.consults:
            return "reserved"
        if self.connected:
            return "busy"
        if self.wrapping:
            return "wrap_up"
        return self.presence

    def free(self, channel: str) -> int:
        """Free capacity on ``channel`` (0 for a channel the agent does not serve)."""
        return self.capacity.get(channel, 0) - self.in_use.get(channel, 0)

    @property
    def work_in_hand(self) -> int:
        return len(self.offers) + len(self.connected) + len(self.wrapping) + len(self.consults)

    @property
    def load(self) -> float:
        """Share of the agent's total capacity in use (0 for an agent with no capacity)."""
        total = sum(self.capacity.values())
        return sum(self.in_use.values()) / total if total else 0.0


@attrs.define(eq=False)
class Interaction:
    """One interaction (call, chat, email, ...) and where it stands."""

    interaction_id: str = attrs.field(metadata=col(str, view=_same))
    channel: str = attrs.field(metadata=col(str, view=_same))
    queue: str = attrs.field(metadata=col(str, view=_same))
    skills: dict[str, int] = attrs.field(metadata=col(dict[str, int], **_SORTED_MAP, view=dict))
    # Any: kept as given (the digest tells 2 from 2.0).
    priority: float = attrs.field(metadata=col(Any, view=_same))
    customer_id: str | None = attrs.field(metadata=col(str | None, view=_same))
    attributes: dict[str, Any] = attrs.field(
        metadata=col(dict[str, Any], load=dict, digest=_json_sorted, view=dict)
    )
    arrived_at: float = attrs.field(metadata=col(float, view=_same))
    queued_seq: int = attrs.field(metadata=col(int))
    status: InteractionStatus = attrs.field(default="queued", metadata=col(str))
    agent_id: str | None = attrs.field(default=None, metadata=col(str | None, view=_same))
    offer_expires_at: float | None = attrs.field(
        default=None, metadata=col(float | None, view=_same)
    )
    declined_by: list[str] = attrs.field(
        factory=list, metadata=col(list[str], load=list, view=list)
    )
    """Agents who declined or missed it, oldest first: asked again only when nobody else can."""
    ended_at: float | None = attrs.field(default=None, metadata=col(float | None, view=_same))
    preferred: tuple[str, ...] = attrs.field(
        default=(),
        metadata=col(
            list[str], store=list, load=tuple, group="target", view=list, view_as="preferred_agents"
        ),
    )
    """The only agents who may take it now (empty: anyone eligible)."""
    preferred_until: float | None = attrs.field(
        default=None, metadata=col(float | None, group="target", trigger=False, view=_same)
    )
    """When ``preferred`` lapses (``None``: never, e.g. direct-to-agent)."""
    deadline: float | None = attrs.field(
        default=None, metadata=col(float | None, group="policy", view=_same)
    )
    """When the work is due (an SLA), if ever."""
    step: int = attrs.field(default=0, metadata=col(int, group="policy", view=_same))
    """Widening steps of its queue reached so far (applied or skipped)."""
    reminded: int = attrs.field(default=0, metadata=col(int, group="policy", trigger=False))
    """Deadline reminders of its queue made (or passed over) so far."""
    overdue: bool = attrs.field(default=False, metadata=col(bool, group="policy", trigger=False))
    """Its deadline passed while it waited (it was escalated)."""
    exit_reason: str | None = attrs.field(
        default=None, metadata=col(str | None, group="policy", view=_same)
    )
    """Why an exit rule ended it (status ``exited``)."""
    callback: bool = attrs.field(default=False, metadata=col(bool, group="policy", view=_same))
    """The customer left the line to be called back (virtual hold)."""
    groups: tuple[str, ...] = attrs.field(
        default=(), metadata=col(list[str], store=list, load=tuple, group="policy", view=list)
    )
    """Sorted agent groups whose members alone may take it (empty: any agent)."""
    notes: tuple[str, ...] = attrs.field(
        default=(), metadata=col(list[str], store=list, load=tuple, group="context", view=list)
    )
    """Notes added to its context (:class:`~ccrouter.events.InteractionNoteAdded`, transfer
    notes), oldest first."""
    history: tuple[Segment, ...] = attrs.field(
        default=(), metadata=col(list[Segment], store=list, load=tuple, group="context")
    )
    """Closed legs (one per transfer), oldest first; the open leg is ``queue``/``agent_id``
    since :attr:`segment_started_at`."""
    consult: Consult | None = attrs.field(
        default=None, metadata=col(tuple[str, str, str, float | None] | None, group="context")
    )
    """The consult-transfer pending while its agent stays connected, if any."""
    paused_by: str | None = attrs.field(
        default=None, metadata=col(str | None, digest=None, view=_same)
    )
    """The interaction (of the same agent) it is paused for, while paused."""
    offer_seq: int | None = attrs.field(
        default=None, metadata=col(int | None, digest=None, view=_same)
    )
    """The ``seq`` of its last offer (``InteractionOffered``), the id an accept may name."""
    rule: str | None = attrs.field(
        default=None, metadata=col(str | None, group="rules", view=_same)
    )
    """The classification rule that matched (docs/rules.md; ``None``: not classified)."""
    tags: tuple[str, ...] = attrs.field(
        default=(), metadata=col(list[str], store=list, load=tuple, group="rules", view=list)
    )
    """The tags its classification set."""
    agent_selector: str | None = attrs.field(
        default=None, metadata=col(str | None, group="rules", view=_same)
    )
    """The agent selector its classification rule set (met as well as the queue's)."""
    submitted: dict[str, Any] = attrs.field(
        factory=dict,
        metadata=col(dict[str, Any], digest=_json_sorted, group="rules", trigger=False),
    )
    """Queue, priority and skills as submitted, before classification (what re-classifying
    starts from)."""
    exceptions: tuple[str, ...] = attrs.field(
        default=(),
        metadata=col(list[str], store=list, load=tuple, group="exceptions"),
    )
    """The exception triggers that re-classified it, as ``QUEUE:TRIGGER`` (each fires at
    most once per interaction and queue, docs/rules.md)."""
    answered_at: float | None = attrs.field(default=None, metadata=col(float | None, digest=None))
    """When an agent first accepted it (what the rules' ``queue.NAME.service_level`` and
    ``estimated_wait`` read; not digested: the accept event's time, which the digest has)."""
    classified_seq: int | None = attrs.field(default=None, metadata=col(int | None, digest=None))
    """The ``seq`` of its last :class:`~ccrouter.events.InteractionClassified` (what explain
    reads instead of searching the log)."""
    signature: Signature = attrs.field(init=False, metadata=col(None, digest=None))
    """Channel and sorted requirements (recomputed when an update changes the skills)."""

    def __attrs_post_init__(self) -> None:
        self.signature = (self.channel, tuple(sorted(self.skills.items())))

    @property
    def segment_started_at(self) -> float:
        """When the current leg began: arrival, or the last transfer."""
        if not self.history:
            return self.arrived_at
        end = self.history[-1].ended_at
        assert end is not None  # closed legs have an end
        return end


@attrs.define(eq=False)
class QueueState:
    """The waiting interactions of one queue, grouped by signature."""

    name: str
    groups: dict[Signature, SortedList] = attrs.Factory(dict)
    targeted: dict[TargetedKey, SortedList] = attrs.Factory(dict)
    """Waiting work only some agents may take, grouped by signature and those agents (apart
    from ``groups``, so that a group's head is always takeable by every agent it fits)."""
    waiting: int = 0

    def iter_keys(self) -> Iterator[QueueKey]:
        for group in self.groups.values():
            yield from group
        for group in self.targeted.values():
            yield from group


def restriction(interaction: Interaction) -> TargetedKey:
    """The restricted group a waiting interaction belongs to: its signature, its preferred
    agents and, only when it has some, its agent groups (so keys of work without groups are
    as they were before groups existed)."""
    if interaction.groups:
        return (interaction.signature, interaction.preferred, interaction.groups)
    return (interaction.signature, interaction.preferred)


def reminder_times(reminders: list[float]) -> list[float]:
    """Seconds before the deadline, earliest reminder first."""
    return sorted(reminders, reverse=True)


# --- what the snapshot codec and the digest derive from the schema ----------------------------


def _cols(cls: type) -> list[tuple[str, Col, Any]]:
    """(name, Col, default) of each field of ``cls``, in field order (default: ``attrs.NOTHING``
    for a required field)."""
    out = []
    for field in attrs.fields(cls):
        default = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory()
        out.append((field.name, field.metadata["col"], default))
    return out


def wire_struct(cls: type, name: str) -> type[msgspec.Struct]:
    """The snapshot row type of record ``cls``: an array of its stored fields in field order;
    fields with a default keep it (in stored form), so rows written before a field was added
    still decode."""
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for field_name, spec, default in _cols(cls):
        if spec.wire is None:
            continue
        if default is attrs.NOTHING:
            fields.append((field_name, spec.wire))
        else:
            fields.append((field_name, spec.wire, spec.store(default)))
    return msgspec.defstruct(name, fields, array_like=True, frozen=True)


def wire_codec(
    cls: type[_R], struct: type[msgspec.Struct]
) -> tuple[Callable[[_R], msgspec.Struct], Callable[[Any], _R]]:
    """``(to_row, from_row)``: a record of ``cls`` to its snapshot row and back."""
    stored = [(n, spec.store, spec.load) for n, spec, _ in _cols(cls) if spec.wire is not None]
    names = [n for n, _, _ in stored]
    assert names == list(struct.__struct_fields__), (names, struct.__struct_fields__)

    def to_row(record: _R) -> msgspec.Struct:
        return struct(*[store(getattr(record, n)) for n, store, _ in stored])

    def from_row(row: Any) -> _R:
        return cls(*[load(getattr(row, n)) for n, _, load in stored])

    return to_row, from_row


def digest_plan(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """The digest row of a record of ``cls``: its digested fields in field order, each group
    only when one of its triggers differs from its default (after its tag, if any)."""
    plan: list[tuple[str | None, str | None, list[tuple[str, Any]], list[tuple[str, Any]]]] = []
    for name, spec, default in _cols(cls):
        if spec.digest is None:
            continue
        if spec.group is None or not plan or plan[-1][0] != spec.group:
            plan.append((spec.group, spec.tag, [], []))
        plan[-1][2].append((name, spec.digest))
        if spec.group is not None and spec.trigger:
            plan[-1][3].append((name, default))

    def row(record: Any) -> tuple[Any, ...]:
        out: list[Any] = []
        for group, tag, fields, triggers in plan:
            if group is not None and all(getattr(record, n) == d for n, d in triggers):
                continue
            if tag is not None:
                out.append(tag)
            out.extend(encode(getattr(record, n)) for n, encode in fields)
        return tuple(out)

    return row


def view_plan(cls: type) -> Callable[[Any], dict[str, Any]]:
    """The public view's fields of a record of ``cls`` (the ones declared with ``view``), by
    their view names."""
    plan = [
        (spec.view_as or name, name, spec.view)
        for name, spec, _ in _cols(cls)
        if spec.view is not None
    ]

    def fields(record: Any) -> dict[str, Any]:
        return {shown: convert(getattr(record, name)) for shown, name, convert in plan}

    return fields


def queue_key(
    priority: float, aging_rate: float, arrived_at: float, queued_seq: int, interaction_id: str
) -> QueueKey:
    """The key a waiting interaction is stored under in its queue, smallest first:
    ``(-(priority - aging_rate * arrived_at), arrived_at, queued_seq, interaction_id)``.

    With linear aging this is the order of :func:`effective_priority` (highest first) at any
    later time, so a stored order never needs re-sorting as time passes (only when the rate
    or the priority changes).

    >>> queue_key(2.0, 0.5, 10.0, 7, "c1")
    (3.0, 10.0, 7, 'c1')
    """
    return (-(priority - aging_rate * arrived_at), arrived_at, queued_seq, interaction_id)


def effective_priority(priority: float, aging_rate: float, arrived_at: float, at: float) -> float:
    """``priority + aging_rate * waited`` at time ``at`` (seconds): how urgent waiting work is.

    >>> effective_priority(2.0, 0.5, 10.0, at=14.0)
    4.0
    """
    return priority + aging_rate * (at - arrived_at)


def urgency(interaction: Interaction, aging_rate: float, at: float) -> tuple[float, float, int]:
    """The order of waiting work at time ``at`` across queues (of different aging rates),
    smallest first: highest effective priority, then earliest arrival, then submission."""
    return (
        -effective_priority(interaction.priority, aging_rate, interaction.arrived_at, at),
        interaction.arrived_at,
        interaction.queued_seq,
    )


def meets_skills(skills: Mapping[str, int], required: Iterable[tuple[str, int]]) -> bool:
    """Whether an agent with proficiencies ``skills`` meets every ``(skill, minimum)`` of
    ``required`` (a missing skill never does; nothing required: always).

    >>> meets_skills({"billing": 5}, {"billing": 5}.items())
    True
    >>> meets_skills({"billing": 5}, [("billing", 3), ("french", 0)])
    False
    """
    return all(skills.get(skill, -1) >= level for skill, level in required)


def serves(
    capacity: Mapping[str, int],
    skills: Mapping[str, int],
    channel: str,
    required: Iterable[tuple[str, int]],
) -> bool:
    """Whether an agent (or an agent group) with ``capacity`` per channel and ``skills`` can
    ever take work on ``channel`` needing ``required``: some capacity on the channel (a
    capacity of 0 is none, as the router treats it) and every skill met.

    >>> serves({"chat": 0, "voice": 1}, {}, "chat", [])
    False
    >>> serves({"chat": 0, "voice": 1}, {}, "voice", [])
    True
    """
    return capacity.get(channel, 0) > 0 and meets_skills(skills, required)
