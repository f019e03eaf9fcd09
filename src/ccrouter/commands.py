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
    "EndWrapUp",
    "ExtendWrapUp",
    "Login",
    "Logout",
    "NotReady",
    "Outcome",
    "Ready",
    "Reconfigure",
    "RecordOutcome",
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


# omit_defaults: without agent_id, the fingerprint is what it was before the field.
class Accept(_Base, frozen=True, tag="accept", omit_defaults=True):
    interaction_id: str
    agent_id: str | None = None
    """The agent doing it (``None``: not checked); refused when the work is not its."""


# omit_defaults: without agent_id, the fingerprint is what it was before the field.
class Decline(_Base, frozen=True, tag="decline", omit_defaults=True):
    interaction_id: str
    agent_id: str | None = None
    """The agent doing it (``None``: not checked); refused when the work is not its."""


class Outcome(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True
):
    """What came of an interaction (docs/performance.md); ``None``: not known (yet).

    Attributes:
        resolved: the customer's need was met (``False`` counts against first-contact
            resolution, as a repeat contact does).
        disposition: the wrap-up code the agent chose (a name).
        satisfaction: a survey score within ``RouterConfig.performance.satisfaction``.
        value: the sale value (>= 0; 0: no sale, which still counts for conversion).
        tags: free labels.
    """

    resolved: bool | None = None
    disposition: str | None = None
    satisfaction: float | None = None
    value: float | None = None
    tags: list[str] = []


# omit_defaults: without agent_id or outcome, the fingerprint is what it was before the field.
class Complete(_Base, frozen=True, tag="complete", omit_defaults=True):
    interaction_id: str
    agent_id: str | None = None
    """The agent doing it (``None``: not checked); refused when the work is not its."""
    outcome: Outcome | None = None
    """The outcome known at completion (an :class:`~ccrouter.events.OutcomeRecorded` follows)."""


class RecordOutcome(_Base, frozen=True, tag="record_outcome"):
    """The outcome (or more of it) of an interaction completed earlier: a survey score days
    after, a sale confirmed later. Each field of an outcome is recorded once."""

    interaction_id: str
    outcome: Outcome


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


class Reconfigure(_Base, frozen=True, tag="reconfigure"):
    """Replace the routing configuration (``config``: ``RouterConfig.to_dict()`` data)."""

    config: dict[str, Any]


class EndWrapUp(_Base, frozen=True, tag="end_wrap_up", omit_defaults=True):
    """The agent ends its after-call work now (``interaction_id``: that one only; ``None``:
    every wrap-up it has)."""

    agent_id: str
    interaction_id: str | None = None


class ExtendWrapUp(_Base, frozen=True, tag="extend_wrap_up", omit_defaults=True):
    """The agent's wrap-up lasts ``seconds`` longer (``interaction_id`` as for
    :class:`EndWrapUp`)."""

    agent_id: str
    seconds: float
    interaction_id: str | None = None


class UpdateAgent(_Base, frozen=True, tag="update_agent", omit_defaults=True):
    """Change a logged-in agent while it works (``None``: unchanged): its ``attributes``
    (merged, a ``None`` value removing the key, or all replaced with ``replace``), and its
    ``skills``, ``capacity`` or ``groups`` (each given part replaces the old one whole)."""

    agent_id: str
    attributes: dict[str, Any] | None = None
    replace: bool = False
    skills: dict[str, int] | None = None
    capacity: dict[str, int] | None = None
    groups: list[str] | None = None


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
    | EndWrapUp
    | ExtendWrapUp
    | UpdateAgent
    | RecordOutcome
)
