"""Customer context: every customer's contacts across channels, in order.

The router keeps, per customer id, the interactions that customer started (a projection of
``InteractionQueued`` events: :attr:`RouterState.customers
<ccrouter.engine.state.RouterState.customers>`). This module reads it:
:func:`customer_view` for ``Router.customer(id)``, :func:`recent_contacts` for the history an
offered interaction shows its agent, and :func:`last_agent` for last-agent routing.

>>> from ccrouter import Router
>>> r = Router()
>>> _ = r.login("ann", skills={}, at=0); _ = r.ready("ann", at=0)
>>> _ = r.submit("c1", channel="voice", customer_id="kim", at=1)
>>> _ = r.accept("c1", at=2); _ = r.complete("c1", at=60)
>>> _ = r.submit("c2", channel="chat", customer_id="kim", at=100)
>>> [(c.interaction_id, c.channel, c.outcome, c.agent_id) for c in r.customer("kim").contacts]
[('c1', 'voice', 'completed', 'ann'), ('c2', 'chat', 'queued', None)]
"""

from __future__ import annotations

from typing import Any

import msgspec

from ccrouter.engine.state import Interaction, InteractionStatus, RouterState

__all__ = ["CustomerContact", "CustomerView", "customer_view", "last_agent", "recent_contacts"]


class CustomerContact(msgspec.Struct, frozen=True, kw_only=True):
    """One contact of a customer, as it stands now."""

    interaction_id: str
    channel: str
    queue: str
    arrived_at: float
    outcome: InteractionStatus
    """``queued``, ``offered``, ``connected`` (in progress), ``completed`` or ``abandoned``."""
    agent_id: str | None
    """The agent who served it (connected or completed); ``None`` if nobody did."""
    ended_at: float | None
    attributes: dict[str, Any]
    notes: list[str] = []


class CustomerView(msgspec.Struct, frozen=True, kw_only=True):
    """A customer's contacts across every channel, oldest first (empty for a new customer)."""

    customer_id: str
    contacts: list[CustomerContact]


def served_by(interaction: Interaction) -> str | None:
    """The agent who took the interaction (``None`` while nobody has)."""
    if interaction.status in ("connected", "completed"):
        return interaction.agent_id
    return None


def _contact(interaction: Interaction) -> CustomerContact:
    return CustomerContact(
        interaction_id=interaction.interaction_id,
        channel=interaction.channel,
        queue=interaction.queue,
        arrived_at=interaction.arrived_at,
        outcome=interaction.status,
        agent_id=served_by(interaction),
        ended_at=interaction.ended_at,
        attributes=dict(interaction.attributes),
        notes=list(getattr(interaction, "notes", ())),
    )


def customer_view(state: RouterState, customer_id: str) -> CustomerView:
    """Every contact of ``customer_id``, in the order they arrived."""
    ids = state.customers.get(customer_id, ())
    return CustomerView(
        customer_id=customer_id,
        contacts=[_contact(state.interactions[iid]) for iid in ids],
    )


def recent_contacts(state: RouterState, interaction: Interaction) -> list[CustomerContact]:
    """The customer's contacts before ``interaction`` (at most ``config.customer_history``,
    oldest first): what the agent offered it should see so the customer never repeats."""
    limit = state.config.customer_history
    if interaction.customer_id is None or limit == 0:
        return []
    ids = state.customers.get(interaction.customer_id, [])
    earlier = ids[: ids.index(interaction.interaction_id)]
    return [_contact(state.interactions[iid]) for iid in earlier[-limit:]]


def last_agent(
    state: RouterState, customer_id: str, queue: str | None, at: float, within: float | None
) -> str | None:
    """The agent who most recently served ``customer_id`` (on ``queue``; ``None``: any queue),
    if that contact arrived no more than ``within`` seconds before ``at``."""
    for iid in reversed(state.customers.get(customer_id, ())):
        interaction = state.interactions[iid]
        if within is not None and at - interaction.arrived_at > within:
            return None  # contacts are in arrival order: every earlier one is older still
        if queue is not None and interaction.queue != queue:
            continue
        agent = served_by(interaction)
        if agent is not None:
            return agent
    return None
