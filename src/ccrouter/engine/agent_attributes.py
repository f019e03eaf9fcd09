"""Agent attributes (docs/rules.md): checked against the schema at login and on update.

An agent's attributes are a plain mapping on its record (``Agent.attributes``), keyed by the
names the schema declares as ``agent.NAME``. A selector over them becomes a per-slot boolean
mask with :func:`mask` (slot order is ``RouterState.slots``): the form the selection kernel's
allowed slots take.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ccrouter.commands import UpdateAgent
from ccrouter.engine.state import RouterState
from ccrouter.errors import InvalidArgument, InvalidTransition, UnknownAgent
from ccrouter.events import AgentAttributesUpdated, Event
from ccrouter.limits import check_json, check_name
from ccrouter.rules.types import type_of_value

__all__ = ["check_attributes", "decide_attributes", "validate_update_agent"]


def _compatible(declared: str, value: object) -> bool:
    got = type_of_value(value)
    if got == declared:
        return True
    if declared == "float" and got == "int":
        return True
    if declared == "list[float]" and got == "list[int]":
        return True
    # An empty list fits every list type.
    return declared.startswith("list[") and isinstance(value, list) and not value


def check_attributes(
    state: RouterState, attributes: Mapping[str, Any], field: str, *, nulls: bool = False
) -> None:
    """Check agent attributes: JSON data, and each declared ``agent.NAME`` of its type.

    Args:
        state: the state (its config's schema).
        attributes: the attributes.
        field: the argument's name, for messages.
        nulls: ``None`` values are allowed (an update removing a key).

    Raises:
        InvalidArgument: not JSON data, or a value of the wrong type (the message names the
            attribute, the declared type and what arrived).
    """
    check_json(attributes, field)
    schema = state.config.attributes
    if not schema:
        return
    for key, value in attributes.items():
        declared = schema.get(f"agent.{key}")
        if declared is None or (value is None and nulls):
            continue
        if not _compatible(declared, value):
            msg = (
                f"{field}[{key!r}] must be of type {declared} (RouterConfig.attributes "
                f"'agent.{key}'), got {value!r:.60}"
            )
            raise InvalidArgument(msg)


def validate_update_agent(state: RouterState, command: UpdateAgent, at: float) -> None:
    """Check an :class:`~ccrouter.commands.UpdateAgent` against the state.

    Raises:
        UnknownAgent: the agent never logged in.
        InvalidTransition: the agent is logged out.
        InvalidArgument: bad attributes.
    """
    check_name(command.agent_id, "agent_id")
    agent = state.agents.get(command.agent_id)
    if agent is None:
        msg = f"unknown agent {command.agent_id!r}"
        raise UnknownAgent(msg)
    if agent.presence == "logged_out":
        msg = f"agent {command.agent_id!r} is logged out; log in before update_agent"
        raise InvalidTransition(msg)
    if type(command.replace) is not bool:
        msg = f"replace must be a bool, got {command.replace!r}"
        raise InvalidArgument(msg)
    if command.attributes is not None:
        check_attributes(state, command.attributes, "attributes", nulls=True)


def decide_attributes(state: RouterState, command: UpdateAgent, at: float) -> list[Event]:
    """The event of an attribute update (none when it names no attributes or changes
    nothing)."""
    if command.attributes is None:
        return []
    current = state.agents[command.agent_id].attributes
    if command.replace:
        target = {k: v for k, v in command.attributes.items() if v is not None}
        if target == current:
            return []
        changes, replace = target, True
    else:
        changes = {
            k: v
            for k, v in command.attributes.items()
            if (v is None and k in current) or (v is not None and current.get(k) != v)
        }
        if not changes:
            return []
        replace = False
    return [
        AgentAttributesUpdated(
            seq=state.last_seq + 1,
            at=at,
            agent_id=command.agent_id,
            attributes=dict(changes),
            replace=replace,
        )
    ]
