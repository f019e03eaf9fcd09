"""Hashes: a command's fingerprint (what makes command ids idempotent) and the digest of a
whole routing state (equal states, equal digests; replay is checked with it)."""

from __future__ import annotations

import contextlib
import hashlib
import math
from typing import Any

import msgspec

from ccrouter.commands import Command, Submit
from ccrouter.engine.records import Agent, Interaction, digest_plan
from ccrouter.engine.state import RouterState

__all__ = ["FINGERPRINT_PREFIX", "command_fingerprint", "fingerprint", "state_digest"]


def state_digest(state: RouterState) -> str:
    """A hash of the whole routing state: equal states, equal digests."""
    return hashlib.sha256(_ENCODER.encode(_canonical(state))).hexdigest()


_ENCODER = msgspec.msgpack.Encoder()
_SORTED_ENCODER = msgspec.msgpack.Encoder(order="sorted")
_COMMAND_DECODER: msgspec.msgpack.Decoder[Command] = msgspec.msgpack.Decoder(Command)


FINGERPRINT_PREFIX = "c2:"
"""Marks a fingerprint of the content alone (:func:`command_fingerprint`). Fingerprints
recorded before it (:func:`fingerprint`, 32 hex digits) also hashed ``at``."""


def command_fingerprint(command: Command | str | None) -> str:
    """A hash of a command's content without its time, as ``CommandRecorded`` records it.

    A retry of a command keeps its id and content but, in a live service where the server
    supplies ``at``, not its time: leaving ``at`` out makes such a retry a repeat instead of
    an :class:`~ccrouter.errors.IdempotencyConflict`.

    >>> from ccrouter.commands import Ready
    >>> a = command_fingerprint(Ready(agent_id="ann"))
    >>> a.startswith(FINGERPRINT_PREFIX), a == command_fingerprint(Ready(agent_id="bob"))
    (True, False)
    """
    return FINGERPRINT_PREFIX + fingerprint(command, "")


def fingerprint(command: Command | str | None, at: Any) -> str:
    """A hash of a command's content and time (``None``: advance; a string: that operation,
    e.g. ``"match"``), insensitive to the spelling of equal values (``2`` or ``2.0`` for a
    float field, the order of a mapping).

    The legacy form of a command's fingerprint (logs recorded before
    :func:`command_fingerprint`): still computed to recognise retries against them."""
    if command is None:
        body: Any = "advance"
    elif isinstance(command, str):
        body = command
    else:
        try:
            body = _SORTED_ENCODER.encode(command)
        except (TypeError, ValueError, OverflowError):  # fields msgspec cannot encode
            try:
                body = repr(command)
            except ValueError:  # an int too large for its decimal repr
                body = f"<unencodable {type(command).__name__}>"
        # A typed round trip: an int given for a float field becomes that float.
        with contextlib.suppress(msgspec.DecodeError, TypeError):
            body = _SORTED_ENCODER.encode(_without_later_defaults(_COMMAND_DECODER.decode(body)))
    when = float(at) if isinstance(at, int | float) and not math.isnan(at) else repr(at)
    return hashlib.sha256(_SORTED_ENCODER.encode([body, when])).hexdigest()[:32]


_LATER_FIELDS: dict[type, dict[str, Any]] = {Submit: {"deadline": None}}
"""Fields added to a command after command ids were recorded, with their defaults: left out
of the fingerprint while at the default, so a command id recorded by an older version still
matches the same command retried after an upgrade."""


def _without_later_defaults(command: Command) -> Any:
    later = _LATER_FIELDS.get(type(command))
    if not later:
        return command
    data = msgspec.to_builtins(command)
    for name, default in later.items():
        if data.get(name, default) == default:
            data.pop(name, None)
    return data


def _canonical(state: RouterState) -> Any:
    """The state as plain, ordered data (derived arrays left out: `_check` ties them)."""
    # Rows derived from the record schema (engine.records): which fields, in what form.
    agents = [_agent_row(a) for a in sorted(state.agents.values(), key=lambda a: a.agent_id)]
    interactions = [
        _interaction_row(i)
        for i in sorted(state.interactions.values(), key=lambda i: i.interaction_id)
    ]
    queues = [
        (
            q.name,
            q.waiting,
            sorted((list(sig), list(group)) for sig, group in q.groups.items()),
            *(
                (sorted((repr(t), list(group)) for t, group in q.targeted.items()),)
                if q.targeted
                else ()
            ),
        )
        for q in sorted(state.queues.values(), key=lambda q: q.name)
        if q.waiting
    ]
    # `now` is left out: a command that changes nothing moves a live router's clock but
    # leaves no event, so a replay cannot know it.
    canonical: tuple[Any, ...] = (
        state.last_seq,
        agents,
        interactions,
        queues,
        list(state.timers),
        sorted(state.round_robin_last.items()),
        state.logins,
    )
    if state.commands:  # only then: digests of logs without command ids stay as they were
        canonical += (sorted(state.commands.items()),)
    if state.config_version:  # likewise for logs without config changes
        canonical += (state.config_version, _SORTED_ENCODER.encode(state.config))
    if state.ledger is not None:  # only with fairness configured: other digests unchanged
        canonical += (state.ledger.canonical(),)
    if state.outcomes:  # only with outcomes recorded, and a performance config: likewise
        canonical += ("outcomes", sorted(state.outcomes.items()))
    if state.book is not None:
        canonical += ("performance", state.book.canonical())
    return canonical


_agent_row = digest_plan(Agent)
_interaction_row = digest_plan(Interaction)
