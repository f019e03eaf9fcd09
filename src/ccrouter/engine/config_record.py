"""The configuration a log starts from, recorded in the log itself.

A log a router opens empty starts with a :class:`~ccrouter.events.ConfigChanged` event of
``version`` 0 at seq 1: the whole starting configuration (``RouterConfig.to_dict()``), made
with the first command's events and at its time. Version 0 already meant "the configuration
the router was created with" (every offer records the version it was decided under), so the
record is an event every reader of schema 5 knows, applies the same way (the state takes
that config) and needs no new log schema; changes made later by ``Router.reconfigure`` are
versions 1, 2, ...

Logs written before the record existed (and logs of the simulator, which keeps no header)
have none: they are opened with the config given, as before.

>>> from ccrouter.config import RouterConfig
>>> config = RouterConfig.from_dict({"queues": {"billing": {"wrap_up": 30}}})
>>> record = config_record(config, at=5.0)
>>> (record.seq, record.version, recorded_config([record]) == config)
(1, 0, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from ccrouter.config import RouterConfig
from ccrouter.errors import ConfigMismatch
from ccrouter.events import ConfigChanged, Event, InteractionOffered
from ccrouter.log.base import EventLog

__all__ = [
    "check_config",
    "config_differences",
    "config_record",
    "is_config_record",
    "log_config",
    "recorded_config",
    "with_config",
]


def config_record(config: RouterConfig, at: float) -> ConfigChanged:
    """The first event of a log that starts from ``config`` (seq 1, version 0, at ``at``)."""
    return ConfigChanged(seq=1, at=float(at), version=0, config=config.to_dict())


def is_config_record(event: Event) -> bool:
    """Whether ``event`` records the configuration a log starts from (not a change)."""
    return type(event) is ConfigChanged and event.version == 0 and event.seq == 1


def recorded_config(events: Iterable[Event]) -> RouterConfig | None:
    """The configuration recorded at the head of ``events`` (a log from its start), or
    ``None`` when the first event is not a record (an older log, a simulator's log) or there
    is none. Only the first event is read.

    Raises:
        ConfigError: the record holds an invalid configuration.
    """
    for event in events:
        if is_config_record(event):
            assert isinstance(event, ConfigChanged)
            return RouterConfig.from_dict(event.config)
        return None
    return None


def log_config(log: EventLog) -> RouterConfig | None:
    """The configuration ``log`` records at its head (see :func:`recorded_config`)."""
    return recorded_config(log.read(1, 2))


def with_config(events: Sequence[Event], config: RouterConfig) -> list[Event]:
    """``events`` (a log from its start, without a record) with ``config`` recorded at its
    head: every event one seq later (a batch step's ``batch_seq`` too), the record at the
    first event's time. For logs made outside a router's own log, such as a simulation's
    that is written to a file for the command line.

    Raises:
        InvalidArgument: ``events`` already start with a record.
    """
    if events and is_config_record(events[0]):
        from ccrouter.errors import InvalidArgument

        msg = "events already start with a config record (ConfigChanged version 0 at seq 1)"
        raise InvalidArgument(msg)
    at = events[0].at if events else 0.0
    shifted: list[Event] = [config_record(config, at)]
    replace = msgspec.structs.replace
    for e in events:
        if type(e) is InteractionOffered and e.batch_seq is not msgspec.UNSET:
            shifted.append(replace(e, seq=e.seq + 1, batch_seq=e.batch_seq + 1))
        else:
            shifted.append(replace(e, seq=e.seq + 1))
    return shifted


def config_differences(expected: RouterConfig, given: RouterConfig, limit: int = 5) -> list[str]:
    """Up to ``limit`` settings that differ, as ``path: expected -> given`` lines, in a stable
    order (``queues.billing.wrap_up: 30.0 -> 20.0``)."""
    out: list[str] = []
    _diff(expected.to_dict(), given.to_dict(), "", out)
    return out[:limit] + ([f"... and {len(out) - limit} more"] if len(out) > limit else [])


def _diff(a: Any, b: Any, path: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in a:
                out.append(f"{where}: (absent) -> {b[key]!r}")
            elif key not in b:
                out.append(f"{where}: {a[key]!r} -> (absent)")
            else:
                _diff(a[key], b[key], where, out)
    elif a != b:
        out.append(f"{path}: {a!r} -> {b!r}")


def check_config(
    recorded: RouterConfig,
    in_force: RouterConfig,
    given: RouterConfig | None,
    *,
    reconfigure: bool = False,
) -> RouterConfig | None:
    """The config to record as a change on opening a log, or ``None`` for none.

    ``given`` (the config a caller opens a log with; ``None``: none) must equal the one the
    log records at its head or the one in force at its end (after its changes). Anything
    else is a mismatch, or, with ``reconfigure``, the change to record (returned).

    Raises:
        ConfigMismatch: ``given`` is neither and ``reconfigure`` is false; the message lists
            the settings that differ from the config in force.
    """
    if given is None or given == in_force:
        return None
    if reconfigure:
        return given
    if given == recorded:
        return None
    lines = "; ".join(config_differences(in_force, given))
    msg = (
        "the log records another config than the one given (log's config in force -> given: "
        f"{lines}); open it without a config to use its own, or pass reconfigure=True to "
        "record the change"
    )
    raise ConfigMismatch(msg)
