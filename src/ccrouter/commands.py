"""Commands: what a caller asks the router to do.

A command is validated against the current state and, when valid, turned into events
(:func:`ccrouter.engine.core.decide`). Commands are plain data, so a recorded sequence of them
can be re-run under another configuration.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import msgspec

__all__ = [
    "Abandon",
    "Accept",
    "AcceptTransfer",
    "AddNote",
    "Command",
    "Complete",
    "Decline",
    "DeclineTransfer",
    "Login",
    "Logout",
    "NotReady",
    "Ready",
    "Reconfigure",
    "RequestCallback",
    "Submit",
    "Transfer",
    "Update",
    "UpdateAgent",
]


class _Base(msgspec.Struct, frozen=True, kw_only=True, tag_field="command"):
    pass


# omit_defaults: without a budget, a login's fingerprint is what it was before the field.
class Login(_Base, frozen=True, tag="login", omit_defaults=True):
    agent_id: str
    skills: dict[str, int]
    capacity: dict[str, int]
    groups: list[str] = []
    budget: int | None = None
    attributes: dict[str, Any] = {}


class Ready(_Base, frozen=True, tag="ready"):
    agent_id: str


class NotReady(_Base, frozen=True, tag="not_ready"):
    agent_id: str
    reason: str


class Logout(_Base, frozen=True, tag="logout"):
    agent_id: str


class Submit(_Base, frozen=True, tag="submit"):
    interaction_id: str
    channel: str
    queue: str = "default"
    skills: dict[str, int] = {}
    priority: float = 0.0
    customer_id: str | None = None
    attributes: dict[str, Any] = {}
    preferred_agents: list[str] = []
    preferred_wait: float | None = None
    direct_to: str | None = None
    deadline: float | None = None


class Accept(_Base, frozen=True, tag="accept"):
    interaction_id: str


class Decline(_Base, frozen=True, tag="decline"):
    interaction_id: str


class Complete(_Base, frozen=True, tag="complete"):
    interaction_id: str


class Abandon(_Base, frozen=True, tag="abandon"):
    interaction_id: str


class Update(_Base, frozen=True, tag="update"):
    """Change a live interaction's priority, requirement or attributes (``None``: unchanged)."""

    interaction_id: str
    priority: float | None = None
    skills: dict[str, int] | None = None
    attributes: dict[str, Any] | None = None


class RequestCallback(_Base, frozen=True, tag="request_callback"):
    """The waiting customer leaves the line and is called back when their turn comes."""

    interaction_id: str


class Transfer(_Base, frozen=True, tag="transfer"):
    """Move a connected interaction to a queue and/or one agent (blind or consult)."""

    interaction_id: str
    to_queue: str | None = None
    to_agent: str | None = None
    mode: str = "blind"
    reason: str = "transfer"
    note: str | None = None
    timeout: float | None = None
    skills: dict[str, int] | None = None


class AcceptTransfer(_Base, frozen=True, tag="accept_transfer"):
    """The consulted agent takes the interaction."""

    interaction_id: str


class DeclineTransfer(_Base, frozen=True, tag="decline_transfer"):
    """The consulted agent (or the first one, cancelling) ends the consult without transfer."""

    interaction_id: str


class AddNote(_Base, frozen=True, tag="add_note"):
    """Add a note to a live interaction's context."""

    interaction_id: str
    text: str


class UpdateAgent(_Base, frozen=True, tag="update_agent"):
    """Change a logged-in agent's attributes: merge (a ``None`` value removes the key), or
    replace them all."""

    agent_id: str
    attributes: dict[str, Any]
    replace: bool = False


class Reconfigure(_Base, frozen=True, tag="reconfigure"):
    """Replace the routing configuration (``config``: ``RouterConfig.to_dict()`` data)."""

    config: dict[str, Any]


Command: TypeAlias = (
    Login
    | Ready
    | NotReady
    | Logout
    | Submit
    | Accept
    | Decline
    | Complete
    | Abandon
    | Update
    | RequestCallback
    | Transfer
    | AcceptTransfer
    | DeclineTransfer
    | AddNote
    | Reconfigure
    | UpdateAgent
)
