"""The history chain: one running hash over every event a log holds, up to each version.

``chain(0) = GENESIS`` (16 zero bytes) and ``chain(v) = H(chain(v - 1) || data(v))`` where
``data(v)`` is event ``v`` as the store holds it (its MessagePack encoding, exactly the bytes
:func:`ccrouter.log.schema.encode_payload` writes for it) and ``H`` is BLAKE2b with a 16-byte
digest and the personalisation ``b"ccr-history-v1"``. The value at ``v`` is a function of the
whole history ``1..v`` and of nothing else: not of how the events were batched, nor of the
store. Two logs agree on ``chain(v)`` only if their first ``v`` events are the same (but for
a 2^-128 accident).

A snapshot records the chain at its version; restoring compares it with the log's
(:func:`history_chain`). A snapshot of another tenant, of a log that was repaired and
re-written after it, or of a longer or shorter history is therefore refused, where comparing
the one event at the snapshot's version could not tell such histories apart.

Stores keep the chain as they append, from the bytes they encode anyway, so that looking it up
does not re-read the log: the file store in each batch header (format 2), SQLite and
PostgreSQL in a ``chain`` column of each row, the memory store in a list filled on first use.
A store that keeps none (an older file or database, an :class:`~ccrouter.log.base.EventLog`
written elsewhere) gets it computed by reading its prefix once.

>>> from ccrouter.events import AgentReady
>>> from ccrouter.log import MemoryEventLog
>>> ready = AgentReady(seq=1, at=0.0, agent_id="a")
>>> log = MemoryEventLog([ready])
>>> history_chain(log, 1) == extend(GENESIS, [encode_payload([ready])])
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import msgspec

from ccrouter.errors import DecodeError, InvalidArgument
from ccrouter.events import Event, encode_msgpack
from ccrouter.log.base import EventLog
from ccrouter.log.schema import encode_payload

__all__ = [
    "CHAIN_SIZE",
    "GENESIS",
    "chain_of_parts",
    "extend",
    "extend_events",
    "history_chain",
    "split_payload",
]

CHAIN_SIZE = 16
GENESIS = bytes(CHAIN_SIZE)
"""The chain of the empty history (version 0)."""

# A prepared hasher copied per step: cheaper than building one with keyword arguments.
_H0 = hashlib.blake2b(digest_size=CHAIN_SIZE, person=b"ccr-history-v1")
_raw_list = msgspec.msgpack.Decoder(list[msgspec.Raw])
_ARRAY32 = b"\xdd"


def extend(chain: bytes, parts: Iterable[bytes | memoryview]) -> bytes:
    """The chain after the events whose stored bytes are ``parts``, starting from ``chain``.

    O(bytes hashed).
    """
    h0 = _H0
    for data in parts:
        h = h0.copy()
        h.update(chain)
        h.update(data)
        chain = h.digest()
    return chain


def extend_events(chain: bytes, events: Iterable[Event]) -> bytes:
    """:func:`extend` over events held as objects (encoded first, as a store would)."""
    return extend(chain, (encode_msgpack(e) for e in events))


def split_payload(payload: bytes | memoryview, count: int) -> list[memoryview]:
    """Cut a payload of ``count`` concatenated events into each event's bytes (no copy kept).

    Raises:
        DecodeError: the bytes are not ``count`` MessagePack values.
    """
    head = _ARRAY32 + count.to_bytes(4, "big")
    try:
        raws: list[msgspec.Raw] = _raw_list.decode(head + bytes(payload))
    except msgspec.DecodeError as exc:
        raise DecodeError(f"payload of {count} events does not split: {exc}") from exc
    if len(raws) != count:
        raise DecodeError(f"expected {count} events in the payload, found {len(raws)}")
    return [memoryview(r) for r in raws]


def chain_of_parts(chain: bytes, parts: Sequence[bytes]) -> list[bytes]:
    """The chain after each of ``parts`` in turn (one value per part)."""
    out = []
    for data in parts:
        chain = extend(chain, (data,))
        out.append(chain)
    return out


def history_chain(log: EventLog, version: int) -> bytes:
    """The chain of ``log``'s first ``version`` events.

    Uses the store's own ``chain_at(version)`` when it has one (no re-reading); otherwise
    reads events ``1..version`` once and hashes their encodings.

    Raises:
        InvalidArgument: ``version`` is negative or beyond the log.
        CorruptLog: the log is damaged where it has to be read.
    """
    chain_at = getattr(log, "chain_at", None)
    if chain_at is not None:
        value: bytes = chain_at(version)
        return value
    if version < 0:
        raise InvalidArgument(f"version must be >= 0, got {version}")
    chain = GENESIS
    seen = 0
    for event in log.read(1, version + 1):
        chain = extend(chain, (encode_payload([event]),))
        seen += 1
    if seen != version:
        raise InvalidArgument(f"version {version} is beyond the log (it holds {seen} events)")
    return chain
