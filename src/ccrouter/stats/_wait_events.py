"""What each event type is to a pass that follows contacts from arrival to answer or abandon
(the wait and outcome passes of :mod:`ccrouter.sim.metrics`, :mod:`ccrouter.sim.search` and
:mod:`ccrouter.whatif.compare`).

Every event type has an entry, ``None`` for the ones such a pass skips, so a new event type
fails ``tests/unit/test_dispatch_tables.py`` until it is decided here.

>>> from ccrouter.events import OfferAccepted, WrapUpEnded
>>> WAIT_EVENTS[OfferAccepted], WAIT_EVENTS[WrapUpEnded]
('answered', None)
"""

from __future__ import annotations

from typing import Literal, TypeAlias

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
    ExperimentAssigned,
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
    OutcomeRecorded,
    RepeatContact,
    TransferAccepted,
    TransferDeclined,
    TransferOffered,
    WrapUpEnded,
    WrapUpExtended,
)

__all__ = ["WAIT_EVENTS", "WaitStep"]

WaitStep: TypeAlias = Literal["arrived", "offered", "answered", "abandoned"]

WAIT_EVENTS: dict[type, WaitStep | None] = {
    InteractionQueued: "arrived",
    InteractionOffered: "offered",
    OfferAccepted: "answered",
    InteractionAbandoned: "abandoned",
    # Skipped: an exit is not an answer nor an abandon (the reports count it apart), and a
    # transfer's new leg is not a new contact; the rest neither starts nor ends a wait.
    InteractionExited: None,
    InteractionTransferred: None,
    TransferOffered: None,
    TransferAccepted: None,
    TransferDeclined: None,
    OfferDeclined: None,
    OfferTimedOut: None,
    OfferRevoked: None,
    InteractionCompleted: None,
    WrapUpEnded: None,
    AgentLoggedIn: None,
    AgentLoggedOut: None,
    AgentReady: None,
    AgentNotReady: None,
    CallbackRequested: None,
    CommandRecorded: None,
    ConfigChanged: None,
    AgentAttributesUpdated: None,
    InteractionClassified: None,
    AgentUpdated: None,
    WrapUpExtended: None,
    OutcomeRecorded: None,
    RepeatContact: None,
    ExperimentAssigned: None,
    InteractionDeadlineSet: None,
    InteractionNoteAdded: None,
    InteractionOverdue: None,
    InteractionPaused: None,
    InteractionResumed: None,
    InteractionReminded: None,
    InteractionStepped: None,
    InteractionTargeted: None,
    InteractionTargetExpired: None,
    InteractionUpdated: None,
}
"""Event type to the step of a contact's wait it records (``None``: not one)."""
