"""Agent-desktop commands: who may answer an offer, ending or extending wrap-up, changing a
logged-in agent's skills, capacity and groups. Pure.

A desktop acts for one agent, so its commands name that agent: ``accept``/``decline``/
``complete`` with ``agent_id`` are refused (:class:`~ccrouter.errors.NotYourWork`, nothing
changes) when the offer or the connection is another agent's. Wrap-up (after-call work) ends
on its timer, or early by :class:`~ccrouter.commands.EndWrapUp` (a ``WrapUpEnded`` event, as
the timer makes), or later by :class:`~ccrouter.commands.ExtendWrapUp` (a ``WrapUpExtended``
event that moves the timer). ``ready`` stays a presence change only: it may be sent at any
time (a simulator sends it after a break) and does not end after-call work.

Each command has a check (raising before anything changes, as every
:mod:`~ccrouter.engine.validation` checker) and a decision (its events); the core routes the
agent afterwards.
"""

from __future__ import annotations

from ccrouter.commands import EndWrapUp, ExtendWrapUp, UpdateAgent
from ccrouter.engine.records import Agent, Interaction
from ccrouter.engine.state import RouterState
from ccrouter.errors import InvalidArgument, InvalidTransition, NotYourWork, UnknownAgent
from ccrouter.events import AgentUpdated, Event, WrapUpEnded, WrapUpExtended
from ccrouter.limits import check_duration, check_name, is_time

__all__ = [
    "check_end_wrap_up",
    "check_extend_wrap_up",
    "check_holder",
    "check_update_agent",
    "decide_end_wrap_up",
    "decide_extend_wrap_up",
    "decide_routing_facts",
]


def check_holder(interaction: Interaction, agent_id: str | None, verb: str) -> None:
    """Refuse a command that names an agent (``agent_id``) for work that is not its.

    Raises:
        InvalidArgument: ``agent_id`` is not an id.
        NotYourWork: the interaction is offered or connected to another agent.
    """
    if agent_id is None:
        return
    if agent_id != interaction.agent_id:
        check_name(agent_id, "agent_id")
        holder = interaction.agent_id
        whose = f"agent {holder!r}'s" if holder is not None else "no agent's"
        msg = (
            f"agent_id {agent_id!r} cannot {verb} {interaction.interaction_id!r}: it is "
            f"{whose} (status {interaction.status})"
        )
        raise NotYourWork(msg)


def _agent(state: RouterState, agent_id: str) -> Agent:
    check_name(agent_id, "agent_id")
    agent = state.agents.get(agent_id)
    if agent is None:
        msg = f"unknown agent {agent_id!r}: it never logged in"
        raise UnknownAgent(msg)
    return agent


def _wrap_ups(state: RouterState, command: EndWrapUp | ExtendWrapUp, at: float) -> list[str]:
    """The wrap-ups the command acts on, still running at ``at``, in start order.

    Raises:
        NotYourWork: ``interaction_id`` is not in wrap-up with this agent.
        InvalidTransition: the agent has no wrap-up running at ``at``.
    """
    agent = _agent(state, command.agent_id)
    verb = "end" if isinstance(command, EndWrapUp) else "extend"
    running = [
        iid
        for iid in agent.wrapping
        if (timer := state.timer_of.get(("wrap", iid))) is None or timer[0] > at
    ]
    iid = command.interaction_id
    if iid is not None:
        check_name(iid, "interaction_id")
        if iid not in running:
            msg = (
                f"agent {command.agent_id!r} cannot {verb} the wrap-up of {iid!r}: it has no "
                f"wrap-up of it running at {at:g}"
            )
            raise NotYourWork(msg)
        return [iid]
    if not running:
        msg = (
            f"agent {command.agent_id!r} has no wrap-up to {verb} at {at:g} (status {agent.status})"
        )
        raise InvalidTransition(msg)
    return running


def check_end_wrap_up(state: RouterState, command: EndWrapUp, at: float) -> None:
    """Raise unless the agent has (that) wrap-up running at ``at``."""
    _wrap_ups(state, command, at)


def check_extend_wrap_up(state: RouterState, command: ExtendWrapUp, at: float) -> None:
    """Raise unless the agent has (that) wrap-up running at ``at`` and ``seconds`` is a
    positive duration that keeps the new end within the time bounds."""
    check_duration(command.seconds, "seconds")
    if command.seconds == 0:
        msg = "seconds must be a positive number of seconds, got 0"
        raise InvalidArgument(msg)
    for iid in _wrap_ups(state, command, at):
        until = state.timer_of[("wrap", iid)][0] + float(command.seconds)
        if not is_time(until):
            msg = f"seconds={command.seconds!r} would end the wrap-up of {iid!r} out of range"
            raise InvalidArgument(msg)


def decide_end_wrap_up(state: RouterState, command: EndWrapUp, at: float) -> list[Event]:
    """One ``WrapUpEnded`` per wrap-up ended."""
    first = state.last_seq + 1
    return [
        WrapUpEnded(seq=first + i, at=at, interaction_id=iid, agent_id=command.agent_id)
        for i, iid in enumerate(_wrap_ups(state, command, at))
    ]


def decide_extend_wrap_up(state: RouterState, command: ExtendWrapUp, at: float) -> list[Event]:
    """One ``WrapUpExtended`` per wrap-up extended, ``seconds`` after its current end."""
    first = state.last_seq + 1
    seconds = float(command.seconds)
    return [
        WrapUpExtended(
            seq=first + i,
            at=at,
            interaction_id=iid,
            agent_id=command.agent_id,
            until=state.timer_of[("wrap", iid)][0] + seconds,
        )
        for i, iid in enumerate(_wrap_ups(state, command, at))
    ]


def check_update_agent(state: RouterState, command: UpdateAgent, at: float) -> None:
    """Raise unless the agent is logged in, something is to change, and a new capacity keeps
    every channel's work in hand (a channel holding work cannot drop below it). The parts'
    types and ranges are checked first by the validation module (as for a login).
    """
    agent = _agent(state, command.agent_id)
    if agent.presence == "logged_out":
        msg = f"agent {command.agent_id!r} is logged out; log in before update_agent"
        raise InvalidTransition(msg)
    parts = (command.attributes, command.skills, command.capacity, command.groups)
    if all(part is None for part in parts):
        msg = "update_agent needs attributes, skills, capacity or groups (all were None)"
        raise InvalidArgument(msg)
    if command.capacity is not None:
        for channel, held in agent.in_use.items():
            if held > command.capacity.get(channel, 0):
                msg = (
                    f"capacity[{channel!r}] must be at least the {held} interaction(s) "
                    f"agent {command.agent_id!r} holds on it, got "
                    f"{command.capacity.get(channel, 0)!r}"
                )
                raise InvalidTransition(msg)


def decide_routing_facts(
    state: RouterState, command: UpdateAgent, at: float, *, seq: int
) -> list[Event]:
    """An ``AgentUpdated`` (numbered ``seq``) with the skills, capacity and groups that
    change (none: no event)."""
    agent = state.agents[command.agent_id]
    skills = None if command.skills is None else dict(command.skills)
    if skills is not None and skills == agent.skills:
        skills = None
    capacity = None if command.capacity is None else dict(command.capacity)
    if capacity is not None and capacity == agent.capacity:
        capacity = None
    groups = None if command.groups is None else list(dict.fromkeys(command.groups))
    if groups is not None and frozenset(groups) == agent.groups:
        groups = None
    if skills is None and capacity is None and groups is None:
        return []
    event = AgentUpdated(
        seq=seq,
        at=at,
        agent_id=command.agent_id,
        skills=skills,
        capacity=capacity,
        groups=groups,
    )
    return [event]
