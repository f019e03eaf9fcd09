"""Read-only views of one agent or one interaction, as :class:`~ccrouter.router.Router`
returns them: copies, so a caller can keep or change them without touching the state."""

from __future__ import annotations

from typing import Any

import msgspec

from ccrouter.engine.customers import CustomerContact, recent_contacts
from ccrouter.engine.records import Agent, Interaction, view_plan
from ccrouter.engine.state import AgentStatus, InteractionStatus, RouterState, Segment
from ccrouter.errors import UnknownAgent, UnknownInteraction

__all__ = ["AgentView", "InteractionView", "agent_view", "interaction_view"]


class AgentView(msgspec.Struct, frozen=True, kw_only=True):
    """A read-only snapshot of one agent."""

    agent_id: str
    status: AgentStatus
    presence: str
    reason: str | None
    skills: dict[str, int]
    capacity: dict[str, int]
    in_use: dict[str, int]
    idle_since: float
    handled: int
    misses: int
    offers: list[str]
    connected: list[str]
    wrapping: list[str]
    consults: list[str] = []
    """Interactions offered to this agent by a consult transfer (ringing)."""
    budget: int | None = None
    """Channel cost units the agent may hold at once (``None``: no shared budget)."""
    attributes: dict[str, Any] = {}
    """Typed agent attributes (docs/rules.md)."""


class InteractionView(msgspec.Struct, frozen=True, kw_only=True):
    """A read-only snapshot of one interaction."""

    interaction_id: str
    status: InteractionStatus
    agent_id: str | None
    channel: str
    queue: str
    skills: dict[str, int]
    priority: float
    customer_id: str | None
    attributes: dict[str, Any]
    arrived_at: float
    offer_expires_at: float | None
    declined_by: list[str]
    ended_at: float | None
    preferred_agents: list[str] = []
    """Targeted routing: the only agents who may take it now (empty: anyone eligible)."""
    preferred_until: float | None = None
    """When ``preferred_agents`` lapses (``None``: never, or not targeted)."""
    deadline: float | None = None
    """When the work is due (an SLA), if ever."""
    step: int = 0
    """Widening steps of its queue reached so far (applied or skipped)."""
    exit_reason: str | None = None
    """Why an exit rule ended it (status ``exited``)."""
    callback: bool = False
    """The customer left the line to be called back (an offer of it is a callback)."""
    groups: list[str] = []
    """The agent groups whose members alone may take it (empty: any agent)."""
    notes: list[str] = []
    """Notes of its context, oldest first (they travel with transfers)."""
    history: list[Segment] = []
    """Its legs, oldest first: one per transfer (``outcome="transferred"``) and the current
    one last (``ended_at`` is ``ended_at`` of the interaction or ``None`` while it lasts,
    ``outcome`` its status)."""
    consulting: str | None = None
    """The agent a pending consult transfer is offered to, if any."""
    paused_by: str | None = None
    """While paused (omnichannel interruption): the interaction it is paused for."""
    rule: str | None = None
    """The classification rule that matched (docs/rules.md; ``None``: not classified)."""
    tags: list[str] = []
    """The tags its classification set."""
    agent_selector: str | None = None
    """The agent selector its classification rule set (docs/rules.md)."""
    customer_history: list[CustomerContact] = []
    """The customer's earlier contacts (up to ``RouterConfig.customer_history``, oldest
    first), so the agent offered this interaction never has to ask twice."""
    offer_seq: int | None = None
    """The ``seq`` of its last offer (``None``: never offered): the offer's id. Pass it to
    ``accept``/``decline`` (``offer_seq=``) so that an answer to an offer that has since
    timed out or gone to someone else is refused (``StaleOffer``) instead of taking the new one."""


def agent_view(state: RouterState, agent_id: str) -> AgentView:
    """A snapshot of one agent.

    Raises:
        UnknownAgent: (a ``KeyError``) no such agent ever logged in.
    """
    agent = state.agents.get(agent_id)
    if agent is None:
        msg = f"unknown agent {agent_id!r}: it never logged in"
        raise UnknownAgent(msg)
    # The record's fields declared with a view (engine.records), and what is derived.
    return AgentView(status=agent.status, **_agent_fields(agent))


def interaction_view(state: RouterState, interaction_id: str) -> InteractionView:
    """A snapshot of one interaction, with the customer's recent contacts.

    Raises:
        UnknownInteraction: (a ``KeyError``) no such interaction was ever submitted.
    """
    i = state.interactions.get(interaction_id)
    if i is None:
        msg = f"unknown interaction {interaction_id!r}: it was never submitted"
        raise UnknownInteraction(msg)
    current = Segment(i.queue, i.agent_id, i.segment_started_at, i.ended_at, i.status, "")
    return InteractionView(
        **_interaction_fields(i),
        status=i.status,
        history=[*i.history, current],
        consulting=None if i.consult is None else i.consult[0],
        customer_history=recent_contacts(state, i),
    )


_agent_fields = view_plan(Agent)
_interaction_fields = view_plan(Interaction)
