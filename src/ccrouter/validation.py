"""Command validation: the error a command would meet, raised before anything changes.

One checker per command type (:data:`_CHECKS`), so the hot commands (submit, accept,
complete) pay for their own checks only. The state is read, never written: a refused command
leaves the router exactly as it was.
"""

from __future__ import annotations

import math
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
    Login,
    Logout,
    NotReady,
    Ready,
    Reconfigure,
    RequestCallback,
    Submit,
    Transfer,
    Update,
)
from ccrouter.config import RouterConfig
from ccrouter.errors import (
    ConfigError,
    DuplicateId,
    InvalidArgument,
    InvalidTransition,
    TimeWentBackwards,
    UnknownAgent,
    UnknownInteraction,
)
from ccrouter.state import Agent, Interaction, RouterState
from ccrouter.transfers import validate_transfer

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
    """Raise unless ``at`` is a finite time no earlier than the router's current time."""
    if not _is_number(at):
        msg = f"`at` must be a finite number of seconds, got {at!r}"
        raise InvalidArgument(msg)
    if at < state.now:
        msg = f"time went backwards: at={at:g} is before the router's current time {state.now:g}"
        raise TimeWentBackwards(msg)


# --- agents ----------------------------------------------------------------------------------


def _login(state: RouterState, command: Login, at: float) -> None:
    _check_id(command.agent_id, "agent_id")
    agent = state.agents.get(command.agent_id)
    if agent is not None and agent.presence != "logged_out":
        msg = f"agent {command.agent_id!r} is already logged in (status {agent.status!r})"
        raise InvalidTransition(msg)
    _check_levels(command.skills, "skills", MAX_PROFICIENCY)
    _check_levels(command.capacity, "capacity", 1_000_000)
    if not isinstance(command.groups, list | tuple):
        msg = f"groups must be a list of group names, got {type(command.groups).__name__}"
        raise InvalidArgument(msg)
    for group in command.groups:
        _check_id(group, "groups[]")
    budget = command.budget
    if budget is not None and (
        not isinstance(budget, int) or isinstance(budget, bool) or not 0 <= budget <= 10**6
    ):
        msg = f"budget must be an integer from 0 to 1000000 or None, got {budget!r}"
        raise InvalidArgument(msg)


def _presence(state: RouterState, command: Ready | NotReady | Logout, at: float) -> None:
    agent = _agent(state, command.agent_id)
    if agent.presence == "logged_out":
        what = type(command).__name__.lower()
        msg = f"agent {command.agent_id!r} is logged out; log in before {what}"
        raise InvalidTransition(msg)
    if isinstance(command, NotReady):
        _check_id(command.reason, "reason")
    if isinstance(command, Logout) and agent.connected:
        busy = ", ".join(sorted(agent.connected))
        msg = f"agent {command.agent_id!r} is connected to {busy}; complete it before logout"
        raise InvalidTransition(msg)


def _reconfigure(state: RouterState, command: Reconfigure, at: float) -> None:
    _check_reconfigure(state, command)


# --- interactions ----------------------------------------------------------------------------


def _submit(state: RouterState, command: Submit, at: float) -> None:
    _check_id(command.interaction_id, "interaction_id")
    if command.interaction_id in state.interactions:
        msg = f"interaction id {command.interaction_id!r} was already submitted"
        raise DuplicateId(msg)
    _check_id(command.channel, "channel")
    state.config.queue(command.queue)
    _check_levels(command.skills, "skills", MAX_PROFICIENCY)
    if not _is_number(command.priority):
        msg = f"priority must be a finite number, got {command.priority!r}"
        raise InvalidArgument(msg)
    deadline = command.deadline
    if deadline is not None and not _is_number(deadline):
        msg = f"deadline must be a finite time in seconds, got {deadline!r}"
        raise InvalidArgument(msg)
    if command.preferred_agents or command.direct_to is not None:
        _check_targets(command)
    elif command.preferred_wait is not None:
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


def _complete(state: RouterState, command: Complete, at: float) -> None:
    interaction = _interaction(state, command.interaction_id)
    if interaction.status != "connected":
        _wrong_status(command, interaction, "connected")
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
    if command.priority is not None and not _is_number(command.priority):
        msg = f"priority must be a finite number, got {command.priority!r}"
        raise InvalidArgument(msg)
    if command.skills is not None:
        _check_levels(command.skills, "skills", MAX_PROFICIENCY)
    attributes = command.attributes
    if attributes is not None and not isinstance(attributes, Mapping):
        msg = f"attributes must be a mapping, got {type(attributes).__name__}"
        raise InvalidArgument(msg)


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
    Abandon: _abandon,
    RequestCallback: _request_callback,
    Update: _update,
    Transfer: validate_transfer,
    AcceptTransfer: validate_transfer,
    DeclineTransfer: validate_transfer,
    AddNote: validate_transfer,
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
        _check_id(command.direct_to, "direct_to")
        if command.preferred_agents or command.preferred_wait is not None:
            msg = "direct_to is preferred for good: give it without preferred_agents/_wait"
            raise InvalidArgument(msg)
        return
    agents = command.preferred_agents
    if not isinstance(agents, list | tuple):
        msg = f"preferred_agents must be a list of agent ids, got {type(agents).__name__}"
        raise InvalidArgument(msg)
    for agent_id in agents:
        _check_id(agent_id, "preferred_agents[]")
    wait = command.preferred_wait
    if wait is not None and (not _is_number(wait) or wait < 0):
        msg = f"preferred_wait must be a finite number of seconds >= 0, got {wait!r}"
        raise InvalidArgument(msg)


def _is_number(x: object) -> bool:
    if type(x) is float:  # the common case, answered first
        return math.isfinite(x)
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _check_id(value: object, field: str) -> None:
    if not isinstance(value, str) or not value:
        msg = f"{field} must be a non-empty string, got {value!r}"
        raise InvalidArgument(msg)


def _check_levels(levels: object, field: str, maximum: int) -> None:
    if type(levels) is not dict and not isinstance(levels, Mapping):
        msg = f"{field} must be a mapping of name to integer, got {type(levels).__name__}"
        raise InvalidArgument(msg)
    for name, level in levels.items():
        if not isinstance(name, str) or not name:
            msg = f"{field} names must be non-empty strings, got {name!r}"
            raise InvalidArgument(msg)
        if not isinstance(level, int) or isinstance(level, bool) or not 0 <= level <= maximum:
            msg = f"{field}[{name!r}] must be an integer from 0 to {maximum}, got {level!r}"
            raise InvalidArgument(msg)


def _agent(state: RouterState, agent_id: str) -> Agent:
    agent = state.agents.get(agent_id)
    if agent is None:
        msg = f"unknown agent {agent_id!r}: it never logged in"
        raise UnknownAgent(msg)
    return agent


def _interaction(state: RouterState, interaction_id: str) -> Interaction:
    interaction = state.interactions.get(interaction_id)
    if interaction is None:
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
