"""Command validation: the error a command would meet, raised before anything changes.

One checker per command type (:data:`_CHECKS`), so the hot commands (submit, accept,
complete) pay for their own checks only. The state is read, never written: a refused command
leaves the router exactly as it was.

Every field of every command is checked for type and range (the bounds of
:mod:`ccrouter.limits`), not only for meaning: a command built directly (``Router.execute``)
gets the same checks as one built by a ``Router`` method, and every event made from a valid
command encodes and decodes back equal in both codecs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

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
from ccrouter.engine.agent_attributes import check_attributes, validate_update_agent
from ccrouter.engine.desk import (
    check_end_wrap_up,
    check_extend_wrap_up,
    check_holder,
    check_update_agent,
)
from ccrouter.engine.outcomes import validate_complete_outcome, validate_record_outcome
from ccrouter.engine.state import Agent, Interaction, RouterState
from ccrouter.engine.transfers import validate_transfer
from ccrouter.errors import (
    ConfigError,
    DuplicateId,
    InvalidArgument,
    InvalidTransition,
    TimeWentBackwards,
    UnknownAgent,
    UnknownInteraction,
)
from ccrouter.limits import (
    MAX_PRIORITY,
    check_duration,
    check_json,
    check_name,
    check_number,
    is_int,
    is_name,
    is_time,
)
from ccrouter.limits import check_time as _check_time_value

__all__ = ["MAX_PROFICIENCY", "check_time", "validate"]

MAX_PROFICIENCY = 32767
"""Proficiencies are stored as 16-bit integers."""


def validate(state: RouterState, command: Command, at: float) -> None:
    """Raise the error ``command`` would meet at ``at``; change nothing.

    Timers due by ``at`` are taken into account (an offer that will have expired cannot be
    accepted).
    """
    check_time(state, at)
    check = _CHECKS.get(type(command))
    if check is None:
        msg = f"not a router command: {command!r}"
        raise InvalidArgument(msg)
    check(state, command, at)


def check_time(state: RouterState, at: float) -> None:
    """Raise unless ``at`` is a finite time (within ``±limits.MAX_TIME``) no earlier than the
    router's current time."""
    if not is_time(at):
        _check_time_value(at, "at")
    if at < state.now:
        msg = f"time went backwards: at={at:g} is before the router's current time {state.now:g}"
        raise TimeWentBackwards(msg)


# --- agents ----------------------------------------------------------------------------------


def _login(state: RouterState, command: Login, at: float) -> None:
    check_name(command.agent_id, "agent_id")
    agent = state.agents.get(command.agent_id)
    if agent is not None and agent.presence != "logged_out":
        msg = f"agent {command.agent_id!r} is already logged in (status {agent.status!r})"
        raise InvalidTransition(msg)
    _check_levels(command.skills, "skills", MAX_PROFICIENCY)
    _check_levels(command.capacity, "capacity", 1_000_000)
    _check_names(command.groups, "groups", "group names")
    budget = command.budget
    if budget is not None and not is_int(budget, 0, 10**6):
        msg = f"budget must be an integer from 0 to 1000000 or None, got {budget!r}"
        raise InvalidArgument(msg)
    if command.attributes:
        check_attributes(state, command.attributes, "attributes")


def _presence(state: RouterState, command: Ready | NotReady | Logout, at: float) -> None:
    agent = _agent(state, command.agent_id)
    if agent.presence == "logged_out":
        what = type(command).__name__.lower()
        msg = f"agent {command.agent_id!r} is logged out; log in before {what}"
        raise InvalidTransition(msg)
    if isinstance(command, NotReady):
        check_name(command.reason, "reason")
    if isinstance(command, Logout) and agent.connected:
        busy = ", ".join(sorted(agent.connected))
        msg = f"agent {command.agent_id!r} is connected to {busy}; complete it before logout"
        raise InvalidTransition(msg)


def _reconfigure(state: RouterState, command: Reconfigure, at: float) -> None:
    _check_reconfigure(state, command)


# --- interactions ----------------------------------------------------------------------------


def _submit(state: RouterState, command: Submit, at: float) -> None:
    check_name(command.interaction_id, "interaction_id")
    if command.interaction_id in state.interactions:
        msg = f"interaction id {command.interaction_id!r} was already submitted"
        raise DuplicateId(msg)
    check_name(command.channel, "channel")
    check_name(command.queue, "queue")
    state.config.queue(command.queue)
    _check_levels(command.skills, "skills", MAX_PROFICIENCY)
    if type(command.priority) is not float or not -MAX_PRIORITY <= command.priority <= MAX_PRIORITY:
        check_number(command.priority, "priority", MAX_PRIORITY)
    deadline = command.deadline
    if deadline is not None and not is_time(deadline):
        _check_time_value(deadline, "deadline")
    if command.customer_id is not None:
        check_name(command.customer_id, "customer_id")
    check_json(command.attributes, "attributes")
    if command.preferred_agents or command.direct_to is not None:
        _check_targets(command)
    else:
        if type(command.preferred_agents) is not list:
            _check_names(command.preferred_agents, "preferred_agents", "agent ids")
        if command.preferred_wait is not None:
            msg = "preferred_wait needs preferred_agents"
            raise InvalidArgument(msg)


def _answer(state: RouterState, command: Accept | Decline, at: float) -> None:
    interaction = _interaction(state, command.interaction_id)
    if interaction.status != "offered":
        _wrong_status(command, interaction, "offered")
    expires = interaction.offer_expires_at
    if expires is not None and expires <= at:
        msg = (
            f"cannot {type(command).__name__.lower()} {interaction.interaction_id!r}: "
            f"its offer expired at {expires:g} (now {at:g})"
        )
        raise InvalidTransition(msg)
    check_holder(interaction, command.agent_id, type(command).__name__.lower())


def _complete(state: RouterState, command: Complete, at: float) -> None:
    interaction = _interaction(state, command.interaction_id)
    if interaction.status != "connected":
        _wrong_status(command, interaction, "connected")
    check_holder(interaction, command.agent_id, "complete")
    if interaction.paused_by is not None:
        msg = (
            f"cannot complete {interaction.interaction_id!r}: it is paused for "
            f"{interaction.paused_by!r} and resumes when that ends"
        )
        raise InvalidTransition(msg)
    if interaction.consult is not None:
        msg = (
            f"cannot complete {interaction.interaction_id!r}: a consult with "
            f"{interaction.consult[0]!r} is pending (decline_transfer ends it)"
        )
        raise InvalidTransition(msg)
    if command.outcome is not None:
        validate_complete_outcome(state, command)


def _abandon(state: RouterState, command: Abandon, at: float) -> None:
    interaction = _interaction(state, command.interaction_id)
    if interaction.status not in ("queued", "offered"):
        _wrong_status(command, interaction, "queued or offered")
    if interaction.callback:
        msg = (
            f"cannot abandon {interaction.interaction_id!r}: it is a callback (the "
            "customer already left the line); the agent completes it"
        )
        raise InvalidTransition(msg)


def _request_callback(state: RouterState, command: RequestCallback, at: float) -> None:
    interaction = _interaction(state, command.interaction_id)
    if interaction.status != "queued":
        _wrong_status(command, interaction, "queued")
    if interaction.callback:
        msg = f"{interaction.interaction_id!r} is already a callback"
        raise InvalidTransition(msg)


def _update(state: RouterState, command: Update, at: float) -> None:
    interaction = _interaction(state, command.interaction_id)
    if interaction.status not in ("queued", "offered", "connected"):
        _wrong_status(command, interaction, "queued, offered or connected")
    if command.priority is not None:
        check_number(command.priority, "priority", MAX_PRIORITY)
    if command.skills is not None:
        _check_levels(command.skills, "skills", MAX_PROFICIENCY)
    if command.attributes is not None:
        check_json(command.attributes, "attributes")


def _update_agent(state: RouterState, command: UpdateAgent, at: float) -> None:
    if command.skills is not None:
        _check_levels(command.skills, "skills", MAX_PROFICIENCY)
    if command.capacity is not None:
        _check_levels(command.capacity, "capacity", 1_000_000)
    if command.groups is not None:
        _check_names(command.groups, "groups", "group names")
    validate_update_agent(state, command, at)  # the agent, and its attributes
    check_update_agent(state, command, at)  # something to change; capacity above work held


_CHECKS: dict[type[Any], Callable[[RouterState, Any, float], None]] = {
    Login: _login,
    Ready: _presence,
    NotReady: _presence,
    Logout: _presence,
    Reconfigure: _reconfigure,
    Submit: _submit,
    Accept: _answer,
    Decline: _answer,
    Complete: _complete,
    RecordOutcome: validate_record_outcome,
    Abandon: _abandon,
    RequestCallback: _request_callback,
    Update: _update,
    Transfer: validate_transfer,
    AcceptTransfer: validate_transfer,
    DeclineTransfer: validate_transfer,
    AddNote: validate_transfer,
    EndWrapUp: check_end_wrap_up,
    ExtendWrapUp: check_extend_wrap_up,
    UpdateAgent: _update_agent,
}


# --- shared checks ---------------------------------------------------------------------------


def _check_reconfigure(state: RouterState, command: Reconfigure) -> RouterConfig:
    """The new configuration, validated; a queue that still holds live work must stay."""
    config = RouterConfig.from_dict(command.config)
    live = sorted(
        {
            i.queue
            for i in state.interactions.values()
            if i.status in ("queued", "offered", "connected") and i.queue not in config.queues
        }
    )
    if live:
        msg = (
            f"invalid router config: queue(s) {', '.join(map(repr, live))} still hold live "
            "interactions and cannot be removed"
        )
        raise ConfigError(msg)
    return config


def _check_targets(command: Submit) -> None:
    if command.direct_to is not None:
        check_name(command.direct_to, "direct_to")
        if command.preferred_agents or command.preferred_wait is not None:
            msg = "direct_to is preferred for good: give it without preferred_agents/_wait"
            raise InvalidArgument(msg)
        return
    _check_names(command.preferred_agents, "preferred_agents", "agent ids")
    wait = command.preferred_wait
    if wait is not None:
        check_duration(wait, "preferred_wait")


def _check_names(names: object, field: str, what: str) -> None:
    """A list (or tuple) of ids or names; a bare string is refused, not split."""
    if type(names) is not list and not isinstance(names, list | tuple):
        msg = f"{field} must be a list of {what}, got {type(names).__name__}"
        raise InvalidArgument(msg)
    for name in names:
        check_name(name, f"{field}[]")


def _check_levels(levels: object, field: str, maximum: int) -> None:
    if type(levels) is not dict and not isinstance(levels, Mapping):
        msg = f"{field} must be a mapping of name to integer, got {type(levels).__name__}"
        raise InvalidArgument(msg)
    for name, level in levels.items():
        if not is_name(name):
            check_name(name, f"{field} names")
        if not (type(level) is int and 0 <= level <= maximum) and not is_int(level, 0, maximum):
            msg = f"{field}[{name!r}] must be an integer from 0 to {maximum}, got {level!r}"
            raise InvalidArgument(msg)


def _agent(state: RouterState, agent_id: str) -> Agent:
    try:  # a stored id is valid: the checks below run only on a miss
        agent = state.agents.get(agent_id)
    except TypeError:  # unhashable
        agent = None
    if agent is None:
        check_name(agent_id, "agent_id")
        msg = f"unknown agent {agent_id!r}: it never logged in"
        raise UnknownAgent(msg)
    return agent


def _interaction(state: RouterState, interaction_id: str) -> Interaction:
    try:  # a stored id is valid: the checks below run only on a miss
        interaction = state.interactions.get(interaction_id)
    except TypeError:  # unhashable
        interaction = None
    if interaction is None:
        check_name(interaction_id, "interaction_id")
        msg = f"unknown interaction {interaction_id!r}: it was never submitted"
        raise UnknownInteraction(msg)
    return interaction


def _wrong_status(command: Command, interaction: Interaction, expected: str) -> None:
    msg = (
        f"cannot {type(command).__name__.lower()} {interaction.interaction_id!r}: "
        f"expected it {expected}, but it is {interaction.status}"
    )
    raise InvalidTransition(msg)


# --- decisions -----------------------------------------------------------------------------
