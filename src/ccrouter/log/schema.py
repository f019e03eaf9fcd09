"""Event schema versions and upcasters, shared by every durable store.

Event classes (:mod:`ccrouter.events`) describe the *current* schema. Each stored record (a
file batch, a SQLite or PostgreSQL row) carries the schema version it was written with in its
envelope, never inside the event itself. Reading a record of an older version decodes it
untyped, runs the upcasters ``v → v+1`` one after the other up to :data:`SCHEMA_VERSION`, and
only then converts it to the typed event. Records of the current version take the fast path:
one typed MessagePack decode for many events at once.

How to change an event class later:

1. Bump :data:`SCHEMA_VERSION` (say to 2).
2. Register an upcaster for the old version: a pure function from an event's dict in schema
   1 to the same event's dict in schema 2 (rename a field, fill a new one in, split a tag).
3. Commit a small golden log written with the old version under ``tests/golden/v1/`` (keep
   it forever) and one for the new version; the golden tests replay each to its stored digest.

Payloads are plain MessagePack: one event is ``encode_msgpack(event)``; a batch is the
concatenation of its events' encodings (no array header, so many batches or rows can be joined
and decoded in one call).

>>> from ccrouter.events import AgentReady
>>> e = AgentReady(seq=1, at=0.0, agent_id="ann")
>>> decode_payload(encode_payload([e]), 1, SCHEMA_VERSION) == [e]
True
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

import msgspec

from ccrouter.errors import DecodeError, InvalidArgument
from ccrouter.events import Event, decode_msgpack_many, encode_msgpack_many

__all__ = [
    "SCHEMA_VERSION",
    "UPCASTERS",
    "Upcaster",
    "decode_payload",
    "encode_payload",
    "row_checksum",
    "upcast",
]

SCHEMA_VERSION = 6
"""The schema version this code writes.

1: the first stored schema. 2: adds the event types ``command_recorded``,
``interaction_updated``, ``interaction_targeted`` and ``interaction_target_expired`` (a
schema-1 reader refuses a schema-2 log as newer instead of misreading a tag it does not know).
3: adds ``config_changed``; transfers (``interaction_transferred``, ``transfer_offered``,
``transfer_accepted``, ``transfer_declined``, ``interaction_note_added``); channel rules
(``interaction_paused``, ``interaction_resumed``); queue policies (``interaction_stepped``,
``interaction_exited``, ``callback_requested``, ``interaction_deadline_set``,
``interaction_reminded``, ``interaction_overdue``); and optional fields with defaults
(``AgentLoggedIn.groups``/``budget``, left out of the encoding when unset).
4: adds ``InteractionDeadlineSet.explicit`` (the submission gave the deadline, rather than the
queue's ``deadline`` setting; left out of the encoding when ``False``). Schema-3 events read
with ``explicit=False``: an explicit deadline of an old log is taken for a queue default.
5: adds ``InteractionOffered.batch_seq`` (set on the offers of a batch step, ``match()``: the
seq of the step's first offer; left out of the encoding on greedy offers). Schema-4 offers
read unset: ``explain`` takes a batch decision of an old log for a greedy one.
6: adds the routing-rule event types ``interaction_classified`` and
``agent_attributes_updated``, ``AgentLoggedIn.attributes`` (left out when empty), and the
agent-desktop event types ``agent_updated`` and ``wrap_up_extended`` (a schema-5 reader refuses
a schema-6 log as newer instead of calling a batch it cannot decode corrupt). From this version
on, a log a router opens empty starts with its config: a ``config_changed`` of version 0 at
seq 1 (an event schema 5 already knows). Every schema-5 event reads unchanged.
"""

Upcaster: TypeAlias = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns one event's plain dict from schema ``v`` into the same event in schema ``v + 1``."""


def _v1_to_v2(event: dict[str, Any]) -> dict[str, Any]:
    # Schema 2 only added event types; every schema-1 event reads unchanged.
    return event


def _v2_to_v3(event: dict[str, Any]) -> dict[str, Any]:
    # Schema 3 added event types and defaulted fields; every schema-2 event reads unchanged.
    return event


def _v3_to_v4(event: dict[str, Any]) -> dict[str, Any]:
    # Schema 4 added a defaulted field (`explicit`, False): every schema-3 event reads
    # unchanged. A schema-3 log does not say which deadlines the submission gave.
    return event


def _v4_to_v5(event: dict[str, Any]) -> dict[str, Any]:
    # Schema 5 added a field left out when unset (`batch_seq`): every schema-4 event reads
    # unchanged. A schema-4 log does not say which offers a batch step made.
    return event


def _v5_to_v6(event: dict[str, Any]) -> dict[str, Any]:
    # Schema 6 added event types and a field left out when empty: schema-5 events read
    # unchanged.
    return event


UPCASTERS: dict[int, Upcaster] = {
    1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4, 4: _v4_to_v5, 5: _v5_to_v6,
}  # fmt: skip
"""Registered upcasters, keyed by the version they read (``{1: v1_to_v2, ...}``)."""

_ARRAY32 = struct.Struct(">BI")
_VS = struct.Struct("<qH")
_untyped_many = msgspec.msgpack.Decoder(list[dict[str, Any]])


def _array_header(count: int) -> bytes:
    return _ARRAY32.pack(0xDD, count)


def _strip_array_header(data: bytes, count: int) -> memoryview:
    # msgspec writes the shortest MessagePack array header: fixarray, array16 or array32.
    skip = 1 if count < 16 else 3 if count < 0x10000 else 5
    return memoryview(data)[skip:]


def encode_payload(events: Sequence[Event]) -> bytes:
    """Encode events as the concatenation of their MessagePack encodings.

    Raises:
        InvalidArgument: an event holds a value MessagePack cannot encode (nothing is written).
    """
    try:
        data = encode_msgpack_many(list(events))
    except (TypeError, ValueError, OverflowError, msgspec.EncodeError) as exc:
        msg = f"cannot encode the batch: {exc}"
        raise InvalidArgument(msg) from exc
    return bytes(_strip_array_header(data, len(events)))


def encode_one(event: Event) -> bytes:
    """Encode one event (a database row's payload)."""
    return encode_payload([event])


def decode_payload(
    payload: bytes | memoryview | Sequence[bytes | memoryview],
    count: int,
    version: int,
    *,
    upcasters: Mapping[int, Upcaster] | None = None,
    current: int | None = None,
) -> list[Event]:
    """Decode ``count`` concatenated events written with schema ``version``.

    ``payload`` may be one buffer or several (joined without copying them twice).
    ``upcasters`` and ``current`` default to :data:`UPCASTERS` and :data:`SCHEMA_VERSION`.

    Raises:
        DecodeError: the bytes are not ``count`` valid events, or no upcaster path leads from
            ``version`` to the current schema.
    """
    current = SCHEMA_VERSION if current is None else current
    parts = [payload] if isinstance(payload, bytes | memoryview) else list(payload)
    data = b"".join([_array_header(count), *parts])
    if version == current:
        events = decode_msgpack_many(data)
    else:
        try:
            raws = _untyped_many.decode(data)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            msg = f"invalid MessagePack event data (schema {version}): {exc}"
            raise DecodeError(msg) from exc
        events = [
            _convert(upcast(raw, version, upcasters=upcasters, current=current)) for raw in raws
        ]
    if len(events) != count:
        msg = f"expected {count} events in the payload, decoded {len(events)}"
        raise DecodeError(msg)
    return events


def upcast(
    raw: dict[str, Any],
    version: int,
    *,
    upcasters: Mapping[int, Upcaster] | None = None,
    current: int | None = None,
) -> dict[str, Any]:
    """Bring one event's plain dict from schema ``version`` up to ``current``.

    >>> upcast({"type": "agent_ready"}, 1, upcasters={1: lambda d: {**d, "new": 0}}, current=2)
    {'type': 'agent_ready', 'new': 0}

    Raises:
        DecodeError: ``version`` is newer than ``current`` (written by a newer ccrouter) or an
            upcaster on the way is missing.
    """
    table = UPCASTERS if upcasters is None else upcasters
    current = SCHEMA_VERSION if current is None else current
    if version > current or version < 1:
        msg = (
            f"record has event schema version {version}; this ccrouter reads versions 1 to "
            f"{current} (upgrade ccrouter to read newer logs)"
        )
        raise DecodeError(msg)
    while version < current:
        step = table.get(version)
        if step is None:
            msg = f"no upcaster from event schema version {version} to {version + 1}"
            raise DecodeError(msg)
        raw = step(raw)
        version += 1
    return raw


def _convert(raw: dict[str, Any]) -> Event:
    try:
        return msgspec.convert(raw, Event)  # type: ignore[no-any-return]
    except msgspec.ValidationError as exc:
        msg = f"upcasted event does not fit the current schema: {exc}"
        raise DecodeError(msg) from exc


def row_checksum(stream: str, version: int, schema: int, data: bytes) -> int:
    """The checksum a database store keeps with each event row.

    CRC-32 over the stream name, the version, the schema version and the data, so a flipped
    byte, a row moved to another version and a payload swapped between rows are all caught.

    >>> row_checksum("default", 1, 1, b"x") == row_checksum("default", 2, 1, b"x")
    False
    """
    # Reduced into the packed ranges (identity for valid values) so that a damaged row with an
    # out-of-range version or schema fails its checksum instead of raising struct.error.
    head = _VS.pack(version % (1 << 63), schema % (1 << 16))
    return zlib.crc32(data, zlib.crc32(head, zlib.crc32(stream.encode())))
