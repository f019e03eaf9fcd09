"""The records the router's state is made of: agents, interactions, queues, timers.

Plain mutable records with a few derived views; only :class:`~ccrouter.engine.state.RouterState`
changes them, when it applies an event.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal, TypeAlias

import attrs
import msgspec
from sortedcontainers import SortedList

__all__ = [
    "POLICY_TIMERS",
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
    "reminder_times",
    "restriction",
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
``consult``/``step``/``exit``/``empty``/``callback``/``remind``/``overdue``, interaction)."""
POLICY_TIMERS: tuple[str, ...] = ("callback", "empty", "exit", "overdue", "remind", "step")
"""Timer kinds that run only while an interaction waits in its queue (see ``_arm``)."""
Consult: TypeAlias = tuple[str, str, str, float | None]
"""A pending consult: (agent consulted, target queue, reason, expiry)."""


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

    agent_id: str
    slot: int
    skills: dict[str, int]
    capacity: dict[str, int]
    presence: Literal["logged_out", "not_ready", "ready"] = "not_ready"
    reason: str | None = None
    login_order: int = 0
    logged_in_at: float = 0.0
    idle_since: float = 0.0
    handled: int = 0
    misses: int = 0
    offers: dict[str, str] = attrs.Factory(dict)
    """Interaction id to channel, for offers that ring now (insertion-ordered)."""
    connected: dict[str, str] = attrs.Factory(dict)
    wrapping: dict[str, str] = attrs.Factory(dict)
    in_use: dict[str, int] = attrs.Factory(dict)
    """Units of capacity held per channel (offers + connected + wrap-up + consults)."""
    groups: frozenset[str] = frozenset()
    """Agent groups given at login."""
    consults: dict[str, str] = attrs.Factory(dict)
    """Interaction id to channel, for consult-transfers offered to this agent (ringing)."""
    budget: int | None = None
    """Omnichannel rules: channel cost units the agent may hold at once (``None``: none)."""

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

    interaction_id: str
    channel: str
    queue: str
    skills: dict[str, int]
    priority: float
    customer_id: str | None
    attributes: dict[str, Any]
    arrived_at: float
    queued_seq: int
    status: InteractionStatus = "queued"
    agent_id: str | None = None
    offer_expires_at: float | None = None
    declined_by: list[str] = attrs.Factory(list)
    """Agents who declined or missed it, oldest first: asked again only when nobody else can."""
    ended_at: float | None = None
    preferred: tuple[str, ...] = ()
    """The only agents who may take it now (empty: anyone eligible)."""
    preferred_until: float | None = None
    """When ``preferred`` lapses (``None``: never, e.g. direct-to-agent)."""
    deadline: float | None = None
    """When the work is due (an SLA), if ever."""
    step: int = 0
    """Widening steps of its queue reached so far (applied or skipped)."""
    reminded: int = 0
    """Deadline reminders of its queue made (or passed over) so far."""
    overdue: bool = False
    """Its deadline passed while it waited (it was escalated)."""
    exit_reason: str | None = None
    """Why an exit rule ended it (status ``exited``)."""
    callback: bool = False
    """The customer left the line to be called back (virtual hold)."""
    groups: tuple[str, ...] = ()
    """Sorted agent groups whose members alone may take it (empty: any agent)."""
    notes: tuple[str, ...] = ()
    """Notes added to its context (:class:`~ccrouter.events.InteractionNoteAdded`, transfer
    notes), oldest first."""
    history: tuple[Segment, ...] = ()
    """Closed legs (one per transfer), oldest first; the open leg is ``queue``/``agent_id``
    since :attr:`segment_started_at`."""
    consult: Consult | None = None
    """The consult-transfer pending while its agent stays connected, if any."""
    paused_by: str | None = None
    """The interaction (of the same agent) it is paused for, while paused."""
    signature: Signature = attrs.field(init=False)
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
