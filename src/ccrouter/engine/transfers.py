"""Transfers, escalation and notes: validation and decisions (pure, like
:mod:`ccrouter.engine.core`).

A *blind* transfer releases the connected agent at once and puts the interaction back to wait
in the target queue (for the target agent alone when one is named): one
:class:`~ccrouter.events.InteractionTransferred`. A *consult* transfer offers the interaction
to a named agent while the first one stays connected (:class:`~ccrouter.events.TransferOffered`,
holding a unit of the target's capacity); the target accepts
(:class:`~ccrouter.events.TransferAccepted`: the first agent is released, the target connected)
or declines, times out or logs out (:class:`~ccrouter.events.TransferDeclined`: nothing moves).

Neither releases the first agent into wrap-up: the conversation goes on with someone else, so
its after-call work belongs to the final completion (the queue's ``wrap_up`` applies then).

An escalation is a transfer with ``reason="escalation"``; without an explicit target it goes
to the current queue's ``escalate_to`` tier.
"""

from __future__ import annotations

from collections.abc import Mapping

from ccrouter.commands import AcceptTransfer, AddNote, DeclineTransfer, Transfer
from ccrouter.engine.policies import is_full
from ccrouter.engine.state import Interaction, RouterState
from ccrouter.errors import InvalidArgument, InvalidTransition, UnknownInteraction
from ccrouter.events import (
    Event,
    InteractionNoteAdded,
    InteractionTransferred,
    TransferAccepted,
    TransferDeclined,
    TransferOffered,
)
from ccrouter.limits import check_duration, check_name, is_name, is_text

__all__ = ["MODES", "TransferCommand", "decide_transfer", "validate_transfer"]

MODES = ("blind", "consult")
"""Transfer modes."""
MAX_NOTE = 10_000
"""Longest note accepted, in characters (notes travel in every offer of the interaction)."""

TransferCommand = Transfer | AcceptTransfer | DeclineTransfer | AddNote


def _interaction(state: RouterState, interaction_id: object) -> Interaction:
    interaction = (
        state.interactions.get(interaction_id) if isinstance(interaction_id, str) else None
    )
    if interaction is None:
        check_name(interaction_id, "interaction_id")
        msg = f"unknown interaction {interaction_id!r}: it was never submitted"
        raise UnknownInteraction(msg)
    return interaction


def _check_text(value: object, field: str, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not is_text(value, MAX_NOTE):
        shown = repr(value) if isinstance(value, str) and len(value) <= 80 else type(value).__name__
        msg = (
            f"{field} must be a non-empty string of at most {MAX_NOTE} characters (valid "
            f"Unicode), got {shown}"
        )
        raise InvalidArgument(msg)


def _check_skills(skills: object) -> None:
    if not isinstance(skills, Mapping):
        msg = f"skills must be a mapping of skill to minimum, got {type(skills).__name__}"
        raise InvalidArgument(msg)
    for name, level in skills.items():
        if not is_name(name):
            check_name(name, "skills names")
        if not isinstance(level, int) or isinstance(level, bool) or not 0 <= level <= 32767:
            msg = f"skills[{name!r}] must be an integer from 0 to 32767, got {level!r}"
            raise InvalidArgument(msg)


def target_queue(state: RouterState, command: Transfer, interaction: Interaction) -> str:
    """The queue a transfer sends the interaction to: ``to_queue``, else the current queue."""
    return interaction.queue if command.to_queue is None else command.to_queue


def validate_transfer(state: RouterState, command: TransferCommand, at: float) -> None:
    """Raise the error ``command`` would meet; change nothing (time is checked by the core).

    Raises:
        UnknownInteraction: no such interaction.
        UnknownQueue: ``to_queue`` is not configured.
        InvalidArgument: a bad mode, reason, note, timeout or target.
        InvalidTransition: the interaction is not connected, a consult is (or is not)
            pending, the consulted agent cannot take it now, or a blind transfer's queue is
            full (its ``max_size``). (A consult to a queue, without ``to_agent``, is refused
            by the core when nobody there can take it: see ``core.consult_target``.)
    """
    interaction = _interaction(state, command.interaction_id)
    iid, status = interaction.interaction_id, interaction.status
    if isinstance(command, AddNote):
        _check_text(command.text, "text")
        if status in ("completed", "abandoned"):
            msg = f"cannot add a note to {iid!r}: it is {status}"
            raise InvalidTransition(msg)
        return
    if isinstance(command, AcceptTransfer | DeclineTransfer):
        consult = interaction.consult
        if consult is None:
            what = "accept" if isinstance(command, AcceptTransfer) else "decline"
            msg = f"cannot {what} a transfer of {iid!r}: no consult is pending"
            raise InvalidTransition(msg)
        if isinstance(command, AcceptTransfer) and interaction.paused_by is not None:
            msg = f"cannot hand {iid!r} over while it is paused for {interaction.paused_by!r}"
            raise InvalidTransition(msg)
        expires = consult[3]
        if expires is not None and expires <= at:
            msg = f"the consult of {iid!r} expired at {expires:g} (now {at:g})"
            raise InvalidTransition(msg)
        return
    if command.mode not in MODES:
        msg = f"mode must be one of {', '.join(MODES)}, got {command.mode!r}"
        raise InvalidArgument(msg)
    _check_text(command.reason, "reason")
    _check_text(command.note, "note", optional=True)
    if command.to_queue is None and command.to_agent is None:
        raise InvalidArgument("a transfer needs to_queue or to_agent (or both)")
    if command.to_queue is not None:
        check_name(command.to_queue, "to_queue")
        state.config.queue(command.to_queue)  # UnknownQueue
    if command.to_agent is not None:
        check_name(command.to_agent, "to_agent")
    timeout = command.timeout
    if timeout is not None:
        check_duration(timeout, "timeout", positive=True)
    if timeout is not None and command.mode != "consult":
        raise InvalidArgument("timeout applies to consult transfers only")
    if command.skills is not None:
        if command.mode != "blind":
            raise InvalidArgument("skills (a new requirement) apply to blind transfers only")
        _check_skills(command.skills)
    if status != "connected":
        msg = f"cannot transfer {iid!r}: expected it connected, but it is {status}"
        raise InvalidTransition(msg)
    if interaction.consult is not None:
        msg = f"cannot transfer {iid!r}: a consult with {interaction.consult[0]!r} is pending"
        raise InvalidTransition(msg)
    if interaction.paused_by is not None:
        msg = f"cannot transfer {iid!r}: it is paused for {interaction.paused_by!r}"
        raise InvalidTransition(msg)
    if command.to_agent == interaction.agent_id:
        msg = f"cannot transfer {iid!r} to {command.to_agent!r}: it is already connected there"
        raise InvalidArgument(msg)
    if command.mode == "consult":
        if command.to_agent is None:
            # A consult to a queue: the core picks the agent (its strategy, after the due
            # timers) and refuses when nobody there can take the interaction then.
            return
        target = state.agents.get(command.to_agent)
        col = state.table.channel_col(interaction.channel)
        if (
            target is None
            or target.presence != "ready"
            or col is None
            or not state.table.avail[col, target.slot]
        ):
            msg = (
                f"cannot consult {command.to_agent!r} about {iid!r}: the agent is not ready "
                f"with free capacity on {interaction.channel!r}"
            )
            raise InvalidTransition(msg)
    else:
        queue = interaction.queue if command.to_queue is None else command.to_queue
        if is_full(state, queue):
            cap = state.config.queue(queue).max_size
            msg = (
                f"cannot transfer {iid!r} to queue {queue!r}: it is full ({cap} waiting, its "
                "max_size); the agent keeps the interaction"
            )
            raise InvalidTransition(msg)


def decide_transfer(state: RouterState, command: TransferCommand, at: float) -> list[Event]:
    """The events of a validated transfer command (routing comes after, in the core)."""
    interaction = state.interactions[command.interaction_id]
    iid, seq = interaction.interaction_id, state.last_seq + 1
    if isinstance(command, AddNote):
        return [InteractionNoteAdded(seq=seq, at=at, interaction_id=iid, text=command.text)]
    holder = interaction.agent_id
    assert holder is not None  # validated: connected
    if isinstance(command, AcceptTransfer | DeclineTransfer):
        consult = interaction.consult
        assert consult is not None
        to_agent, queue, reason, _ = consult
        if isinstance(command, AcceptTransfer):
            accepted = TransferAccepted(
                seq=seq,
                at=at,
                interaction_id=iid,
                agent_id=holder,
                to_agent=to_agent,
                from_queue=interaction.queue,
                queue=queue,
                reason=reason,
            )
            return [accepted]
        return [
            TransferDeclined(seq=seq, at=at, interaction_id=iid, agent_id=holder, to_agent=to_agent)
        ]
    queue = target_queue(state, command, interaction)
    if command.mode == "blind":
        blind = InteractionTransferred(
            seq=seq,
            at=at,
            interaction_id=iid,
            agent_id=holder,
            from_queue=interaction.queue,
            queue=queue,
            to_agent=command.to_agent,
            reason=command.reason,
            note=command.note,
            skills=None if command.skills is None else dict(command.skills),
        )
        return [blind]
    assert command.to_agent is not None  # validated
    timeout = command.timeout
    if timeout is None:
        timeout = state.config.queue(queue).offer_timeout
    offered = TransferOffered(
        seq=seq,
        at=at,
        interaction_id=iid,
        agent_id=holder,
        to_agent=command.to_agent,
        from_queue=interaction.queue,
        queue=queue,
        reason=command.reason,
        note=command.note,
        expires_at=None if timeout is None else at + float(timeout),
    )
    return [offered]
