"""Decisions: the events a command causes by itself, before any routing. Pure.

One function per command type (:data:`_DECISIONS`); each assumes
:func:`~ccrouter.engine.validation.validate` passed and the due timers have fired, reads the
state and returns events numbered after ``state.last_seq``, changing nothing (the caller
applies them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from ccrouter.commands import (
    Abandon,
    Accept,
    AcceptTransfer,
    AddNote,
    Command,
    Complete,
    Decline,
    DeclineTransfer,
    EndWrapUp,
    ExtendWrapUp,
    Login,
    Logout,
    NotReady,
    Ready,
    Reconfigure,
    RecordOutcome,
    RequestCallback,
    Submit,
    Transfer,
    Update,
    UpdateAgent,
)
from ccrouter.config import RouterConfig
from ccrouter.engine.agent_attributes import decide_attributes
from ccrouter.engine.classify import classify_submit, reclassify
from ccrouter.engine.customers import last_agent
from ccrouter.engine.desk import decide_end_wrap_up, decide_extend_wrap_up, decide_routing_facts
from ccrouter.engine.experiments import assignment
from ccrouter.engine.outcomes import decide_record_outcome, outcome_event, repeat_contact
from ccrouter.engine.policies import size_exit
from ccrouter.engine.state import RouterState
from ccrouter.engine.transfers import decide_transfer
from ccrouter.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    CallbackRequested,
    ConfigChanged,
    Event,
    InteractionAbandoned,
    InteractionCompleted,
    InteractionDeadlineSet,
    InteractionExited,
    InteractionQueued,
    InteractionTargeted,
    InteractionUpdated,
    OfferAccepted,
    OfferDeclined,
    OfferRevoked,
    TransferDeclined,
    WrapUpEnded,
)

__all__ = ["decide"]


def decide(state: RouterState, command: Command, at: float) -> list[Event]:
    """The events ``command`` causes by itself (routing comes after); pure.

    Assumes :func:`~ccrouter.engine.validation.validate` passed and due timers have fired. Returns
    an empty list for a command that changes nothing (``ready`` when already ready).
    """
    return _DECISIONS[type(command)](state, command, at)


class _Seq:
    """Numbers the events of one decision after the state's last sequence number."""

    def __init__(self, state: RouterState) -> None:
        self.next = state.last_seq + 1

    def __call__(self) -> int:
        self.next += 1
        return self.next - 1


def _login(state: RouterState, command: Login, at: float) -> list[Event]:
    return [
        AgentLoggedIn(
            seq=state.last_seq + 1,
            at=at,
            agent_id=command.agent_id,
            skills=dict(command.skills),
            capacity=dict(command.capacity),
            groups=list(dict.fromkeys(command.groups)),
            budget=command.budget,
            attributes=dict(command.attributes),
        )
    ]


def _ready(state: RouterState, command: Ready, at: float) -> list[Event]:
    if state.agents[command.agent_id].presence == "ready":
        return []
    return [AgentReady(seq=state.last_seq + 1, at=at, agent_id=command.agent_id)]


def _not_ready(state: RouterState, command: NotReady, at: float) -> list[Event]:
    agent = state.agents[command.agent_id]
    if agent.presence == "not_ready" and agent.reason == command.reason:
        return []
    return [
        AgentNotReady(
            seq=state.last_seq + 1, at=at, agent_id=command.agent_id, reason=command.reason
        )
    ]


def _logout(state: RouterState, command: Logout, at: float) -> list[Event]:
    seq = _Seq(state)
    agent = state.agents[command.agent_id]
    aid = agent.agent_id
    events: list[Event] = [
        OfferRevoked(seq=seq(), at=at, interaction_id=iid, agent_id=aid, reason="logged_out")
        for iid in agent.offers
    ]
    events += [
        WrapUpEnded(seq=seq(), at=at, interaction_id=iid, agent_id=aid) for iid in agent.wrapping
    ]
    events += [
        TransferDeclined(
            seq=seq(),
            at=at,
            interaction_id=iid,
            agent_id=_holder(state, iid),
            to_agent=aid,
            outcome="revoked",
        )
        for iid in agent.consults
    ]
    events.append(AgentLoggedOut(seq=seq(), at=at, agent_id=aid))
    return events


def _holder(state: RouterState, iid: str) -> str:
    holder = state.interactions[iid].agent_id
    assert holder is not None  # a consult is pending only on a connected interaction
    return holder


def _reconfigure(state: RouterState, command: Reconfigure, at: float) -> list[Event]:
    config = RouterConfig.from_dict(command.config)
    if config == state.config:
        return []
    data = config.to_dict()
    version = state.config_version + 1
    return [ConfigChanged(seq=state.last_seq + 1, at=at, version=version, config=data)]


def _submit(state: RouterState, command: Submit, at: float) -> list[Event]:
    events = _arrival(state, command, at)
    if state.config.performance is not None and command.customer_id is not None:
        repeat = repeat_contact(state, command, at, state.last_seq + 1 + len(events))
        if repeat is not None:  # last: the arrival's own events keep the seqs they had
            events.append(repeat)
    arm = assignment(state, events, state.last_seq + 1 + len(events))
    if arm is not None:
        events.append(arm)
    return events


def _arrival(state: RouterState, command: Submit, at: float) -> list[Event]:
    seq = _Seq(state)
    outcome = classify_submit(state, command, at)
    submitted: dict[str, Any] = {}
    if outcome is not None:
        submitted = {"queue": command.queue, "priority": float(command.priority),
                     "skills": dict(command.skills)}  # fmt: skip
        # The rule's choices become the submit's: the InteractionQueued below carries them.
        preferred = command.preferred_agents
        if outcome.preferred_agents and not preferred and command.direct_to is None:
            preferred = outcome.preferred_agents
        command = msgspec.structs.replace(
            command,
            queue=outcome.queue,
            priority=outcome.priority,
            skills=outcome.skills,
            preferred_agents=preferred,
        )
    settings = state.config.queue(command.queue)
    deadline = command.deadline
    if deadline is None and settings.deadline is not None:
        deadline = at + settings.deadline
    queued: list[Event] = [
        InteractionQueued(
            seq=seq(),
            at=at,
            interaction_id=command.interaction_id,
            channel=command.channel,
            queue=command.queue,
            skills=dict(command.skills),
            priority=float(command.priority),
            customer_id=command.customer_id,
            attributes=dict(command.attributes),
        )
    ]
    if outcome is not None:
        queued.append(outcome.event(seq(), at, command.interaction_id, "submit", submitted))
        if outcome.deflect is not None:
            queued.append(
                InteractionExited(
                    seq=seq(), at=at, interaction_id=command.interaction_id, reason="deflected"
                )
            )
            return queued
    if command.direct_to is not None:
        queued.append(
            InteractionTargeted(
                seq=seq(),
                at=at,
                interaction_id=command.interaction_id,
                agent_ids=[command.direct_to],
                reason="direct",
            )
        )
    elif command.preferred_agents and command.preferred_wait != 0:
        wait = command.preferred_wait
        queued.append(
            InteractionTargeted(
                seq=seq(),
                at=at,
                interaction_id=command.interaction_id,
                agent_ids=list(dict.fromkeys(command.preferred_agents)),
                until=None if wait is None else at + float(wait),
            )
        )
    elif command.customer_id is not None and not command.preferred_agents:
        previous = _last_agent(state, command, at)
        if previous is not None:
            aid, wait = previous
            queued.append(
                InteractionTargeted(
                    seq=seq(),
                    at=at,
                    interaction_id=command.interaction_id,
                    agent_ids=[aid],
                    until=at + wait,
                    reason="last_agent",
                )
            )
    if deadline is not None:
        queued.append(
            InteractionDeadlineSet(
                seq=seq(),
                at=at,
                interaction_id=command.interaction_id,
                deadline=float(deadline),
                explicit=command.deadline is not None,
            )
        )
    if settings.max_size is not None:
        exited = size_exit(state, command.queue, command.interaction_id, at, seq.next)
        if exited is not None:
            queued.append(exited)
    return queued


def _last_agent(state: RouterState, command: Submit, at: float) -> tuple[str, float] | None:
    """Last-agent routing: the customer's last agent and how long to hold the work for them,
    when the queue asks for it and that agent is logged in (holding work for an absent agent
    helps nobody)."""
    rule = state.config.queue(command.queue).last_agent
    if rule is None or command.customer_id is None:
        return None
    scope = command.queue if rule.scope == "queue" else None
    aid = last_agent(state, command.customer_id, scope, at, rule.within)
    if aid is None or state.agents[aid].presence == "logged_out":
        return None
    return aid, rule.wait


def _same(a: object, b: object) -> bool:
    """Equal and of the same type, all the way down (``1``, ``1.0`` and ``True`` are equal
    in Python but encode differently: changing one for another is a change)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list | tuple):
        assert isinstance(b, list | tuple)
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _update(state: RouterState, command: Update, at: float) -> list[Event]:
    # Only what changes is recorded; an update that changes nothing appends no event
    # (docs/routing.md), whatever parts it names.
    interaction = state.interactions[command.interaction_id]
    priority = None if command.priority is None else float(command.priority)
    if priority is not None and _same(priority, interaction.priority):
        priority = None
    skills = None if command.skills is None else dict(command.skills)
    if skills is not None and _same(skills, interaction.skills):
        skills = None
    attributes = None
    if command.attributes is not None:
        old = interaction.attributes
        attributes = {
            k: v for k, v in command.attributes.items() if k not in old or not _same(v, old[k])
        } or None
    if priority is None and skills is None and attributes is None:
        return []
    outcome = None
    if attributes is not None and interaction.status == "queued":
        outcome = reclassify(state, interaction, {**interaction.attributes, **attributes}, at)
    if outcome is not None:
        # Re-classification on new attributes (docs/rules.md): the rule's priority and
        # skills win over the update's; a new queue moves the work, keeping its age.
        if outcome.set_priority is not None and not _same(outcome.priority, interaction.priority):
            priority = outcome.priority
        if outcome.set_skills is not None and not _same(outcome.skills, interaction.skills):
            skills = outcome.skills
    seq = _Seq(state)
    out: list[Event] = [
        InteractionUpdated(
            seq=seq(),
            at=at,
            interaction_id=command.interaction_id,
            priority=priority,
            skills=skills,
            attributes=attributes,
        )
    ]
    if outcome is not None:
        out.append(outcome.event(seq(), at, command.interaction_id, "update", {}))
        if outcome.deflect is not None:
            out.append(InteractionExited(seq=seq(), at=at, interaction_id=command.interaction_id,
                                         reason="deflected"))  # fmt: skip
        elif outcome.set_queue is not None and outcome.set_queue != interaction.queue:
            # Only a rule that names a queue moves the work (no match leaves it where it is).
            out.append(InteractionExited(seq=seq(), at=at, interaction_id=command.interaction_id,
                                         reason="reclassified", overflow_to=outcome.set_queue,
                                         keep_age=True))  # fmt: skip
    return out


def _request_callback(state: RouterState, command: RequestCallback, at: float) -> list[Event]:
    return [CallbackRequested(seq=state.last_seq + 1, at=at, interaction_id=command.interaction_id)]


def _abandon(state: RouterState, command: Abandon, at: float) -> list[Event]:
    iid = command.interaction_id
    holder = state.interactions[iid].agent_id
    return [
        InteractionAbandoned(seq=state.last_seq + 1, at=at, interaction_id=iid, agent_id=holder)
    ]


def _accept(state: RouterState, command: Accept, at: float) -> list[Event]:
    iid = command.interaction_id
    holder = _holder(state, iid)
    return [OfferAccepted(seq=state.last_seq + 1, at=at, interaction_id=iid, agent_id=holder)]


def _decline(state: RouterState, command: Decline, at: float) -> list[Event]:
    iid = command.interaction_id
    holder = _holder(state, iid)
    return [OfferDeclined(seq=state.last_seq + 1, at=at, interaction_id=iid, agent_id=holder)]


def _complete(state: RouterState, command: Complete, at: float) -> list[Event]:
    interaction = state.interactions[command.interaction_id]
    holder = _holder(state, interaction.interaction_id)
    wrap_up = state.config.queue(interaction.queue).wrap_up
    events: list[Event] = [
        InteractionCompleted(
            seq=state.last_seq + 1,
            at=at,
            interaction_id=interaction.interaction_id,
            agent_id=holder,
            wrap_up_until=at + wrap_up,
        )
    ]
    if command.outcome is not None:
        events.append(
            outcome_event(
                interaction,
                holder,
                at,
                command.outcome,
                seq=state.last_seq + 2,
                at=at,
                late=False,
            )
        )
    return events


def _update_agent(state: RouterState, command: UpdateAgent, at: float) -> list[Event]:
    # Attributes (what selectors read) and routing facts (skills, capacity, groups) are two
    # facts, each its own event when it changes: the attributes first.
    events = decide_attributes(state, command, at)
    return events + decide_routing_facts(state, command, at, seq=state.last_seq + 1 + len(events))


_DECISIONS: dict[type[Any], Callable[[RouterState, Any, float], list[Event]]] = {
    Login: _login,
    Ready: _ready,
    NotReady: _not_ready,
    Logout: _logout,
    Reconfigure: _reconfigure,
    Submit: _submit,
    Update: _update,
    UpdateAgent: _update_agent,
    RequestCallback: _request_callback,
    Abandon: _abandon,
    Accept: _accept,
    Decline: _decline,
    Complete: _complete,
    RecordOutcome: decide_record_outcome,
    Transfer: decide_transfer,
    AcceptTransfer: decide_transfer,
    DeclineTransfer: decide_transfer,
    AddNote: decide_transfer,
    EndWrapUp: decide_end_wrap_up,
    ExtendWrapUp: decide_extend_wrap_up,
}
