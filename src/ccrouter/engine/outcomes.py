"""Outcomes of interactions and repeat contacts: their checks and their events.

An outcome (:class:`~ccrouter.commands.Outcome`) comes with ``complete(outcome=...)`` or later
with :class:`~ccrouter.commands.RecordOutcome`; either way it becomes an
:class:`~ccrouter.events.OutcomeRecorded` naming the agent, the queue and the completion time
of the interaction (read from the state, which keeps every interaction), so the performance
projection and any report folding the log need nothing else. Each field is recorded once per
interaction (:attr:`RouterState.outcomes <ccrouter.engine.state.RouterState.outcomes>` holds
which): a second value is refused with :class:`~ccrouter.errors.OutcomeConflict`.

With ``RouterConfig.performance`` set, a submit by a customer whose last served contact (any
channel, any queue) ended within ``performance.repeat_within`` seconds also makes a
:class:`~ccrouter.events.RepeatContact` naming that contact: first-contact resolution needs no
manual flag.
"""

from __future__ import annotations

from ccrouter.commands import Complete, Outcome, RecordOutcome, Submit
from ccrouter.config import PerformanceConfig
from ccrouter.engine.state import Interaction, RouterState
from ccrouter.errors import InvalidArgument, InvalidTransition, OutcomeConflict, UnknownInteraction
from ccrouter.events import Event, OutcomeRecorded, RepeatContact
from ccrouter.limits import MAX_COUNT, check_name, is_number

__all__ = [
    "OUTCOME_FIELDS",
    "check_outcome",
    "decide_record_outcome",
    "outcome_event",
    "recorded_fields",
    "repeat_contact",
    "validate_complete_outcome",
    "validate_record_outcome",
]

OUTCOME_FIELDS = ("resolved", "disposition", "satisfaction", "value", "tags")
MAX_TAGS = 100
MAX_VALUE = 1e15
_DEFAULT = PerformanceConfig()
_SCAN = 100
"""How many of a customer's latest contacts a submit looks through for the last served one."""


def recorded_fields(outcome: Outcome) -> tuple[str, ...]:
    """The fields ``outcome`` gives (not ``None``, tags not empty), in declaration order."""
    return tuple(
        f for f in OUTCOME_FIELDS if getattr(outcome, f) is not None and getattr(outcome, f) != []
    )


def check_outcome(state: RouterState, outcome: object, field: str = "outcome") -> Outcome:
    """Raise unless ``outcome`` is a valid :class:`Outcome` giving at least one field.

    Raises:
        InvalidArgument: a field has the wrong type or is out of range (the message names it).
    """
    if not isinstance(outcome, Outcome):
        msg = (
            f"{field} must be an Outcome (or a mapping of its fields), got {type(outcome).__name__}"
        )
        raise InvalidArgument(msg)
    if outcome.resolved is not None and not isinstance(outcome.resolved, bool):
        msg = f"{field}.resolved must be true, false or None, got {outcome.resolved!r:.60}"
        raise InvalidArgument(msg)
    if outcome.disposition is not None:
        check_name(outcome.disposition, f"{field}.disposition")
    settings = state.config.performance or _DEFAULT
    low, high = settings.satisfaction
    sat = outcome.satisfaction
    if sat is not None and not (is_number(sat, MAX_COUNT) and low <= sat <= high):
        msg = f"{field}.satisfaction must be a number from {low:g} to {high:g}, got {sat!r:.60}"
        raise InvalidArgument(msg)
    value = outcome.value
    if value is not None and not (is_number(value, MAX_VALUE) and value >= 0):
        msg = f"{field}.value must be a number from 0 to {MAX_VALUE:g}, got {value!r:.60}"
        raise InvalidArgument(msg)
    tags = outcome.tags
    if not isinstance(tags, list) or len(tags) > MAX_TAGS:
        msg = f"{field}.tags must be a list of at most {MAX_TAGS} names, got {tags!r:.60}"
        raise InvalidArgument(msg)
    for tag in tags:
        check_name(tag, f"{field}.tags[]")
    if not recorded_fields(outcome):
        msg = f"{field} gives nothing: set at least one of {', '.join(OUTCOME_FIELDS)}"
        raise InvalidArgument(msg)
    return outcome


def _not_yet(state: RouterState, iid: str, outcome: Outcome) -> None:
    done = state.outcomes.get(iid, ())
    again = [f for f in recorded_fields(outcome) if f in done]
    if again:
        msg = (
            f"the outcome of {iid!r} already has {', '.join(again)}: each outcome field is "
            "recorded once"
        )
        raise OutcomeConflict(msg)


def validate_complete_outcome(state: RouterState, command: Complete) -> None:
    """The checks of ``complete``'s outcome (the completion itself is checked elsewhere)."""
    if command.outcome is not None:
        check_outcome(state, command.outcome)
        _not_yet(state, command.interaction_id, command.outcome)


def validate_record_outcome(state: RouterState, command: RecordOutcome, at: float) -> None:
    """Raise the error ``record_outcome`` would meet; change nothing.

    Raises:
        UnknownInteraction: never submitted.
        InvalidTransition: not completed (an outcome belongs to served, finished work).
        OutcomeConflict: a field given was recorded already.
        InvalidArgument: a bad outcome.
    """
    check_name(command.interaction_id, "interaction_id")
    interaction = state.interactions.get(command.interaction_id)
    if interaction is None:
        msg = f"unknown interaction {command.interaction_id!r}: it was never submitted"
        raise UnknownInteraction(msg)
    if interaction.status != "completed" or interaction.agent_id is None:
        msg = (
            f"cannot record the outcome of {command.interaction_id!r}: it is "
            f"{interaction.status}, and outcomes belong to completed work (complete() takes one)"
        )
        raise InvalidTransition(msg)
    check_outcome(state, command.outcome)
    _not_yet(state, command.interaction_id, command.outcome)


def outcome_event(
    interaction: Interaction, agent_id: str, completed_at: float, outcome: Outcome, *,
    seq: int, at: float, late: bool,
) -> OutcomeRecorded:  # fmt: skip
    """The event recording ``outcome`` of ``interaction`` (completed by ``agent_id``)."""
    return OutcomeRecorded(
        seq=seq,
        at=at,
        interaction_id=interaction.interaction_id,
        agent_id=agent_id,
        queue=interaction.queue,
        completed_at=completed_at,
        resolved=outcome.resolved,
        disposition=outcome.disposition,
        satisfaction=None if outcome.satisfaction is None else float(outcome.satisfaction),
        value=None if outcome.value is None else float(outcome.value),
        tags=list(outcome.tags),
        late=late,
    )


def decide_record_outcome(state: RouterState, command: RecordOutcome, at: float) -> list[Event]:
    """``record_outcome``'s event (validated first)."""
    interaction = state.interactions[command.interaction_id]
    assert interaction.agent_id is not None and interaction.ended_at is not None
    return [
        outcome_event(
            interaction,
            interaction.agent_id,
            interaction.ended_at,
            command.outcome,
            seq=state.last_seq + 1,
            at=at,
            late=True,
        )
    ]


def repeat_contact(
    state: RouterState, command: Submit, at: float, seq: int
) -> RepeatContact | None:
    """The repeat contact ``command`` makes, if its customer's last served contact ended
    within ``performance.repeat_within`` seconds (``None`` without the performance config)."""
    settings = state.config.performance
    cid = command.customer_id
    if settings is None or cid is None:
        return None
    ids = state.customers.get(cid)
    if not ids:
        return None
    for iid in reversed(ids[-_SCAN:]):
        previous = state.interactions[iid]
        if previous.status != "completed" or previous.agent_id is None:
            continue
        ended = previous.ended_at
        if ended is None or at - ended > settings.repeat_within:
            return None
        return RepeatContact(
            seq=seq,
            at=at,
            interaction_id=command.interaction_id,
            customer_id=cid,
            previous_id=iid,
            agent_id=previous.agent_id,
            queue=previous.queue,
            completed_at=ended,
        )
    return None
