"""Snapshots: the router's state at a log version, so a restart replays only the tail.

A snapshot holds the state's authoritative facts (the ones :meth:`Router.state_digest
<ccrouter.router.Router.state_digest>` hashes) encoded with msgspec, wrapped in an envelope
with a format version, the log version it was taken at, the log's *history chain* at that
version (:mod:`ccrouter.log.chain`: a hash over every event up to it, so a snapshot of another
history is recognised even when the event at its version is the same), the CRC-32 of that
event (its *anchor*) and a CRC-32 over the payload.
Derived structures (the matching arrays, the queues' sorted groups, the timer index) are
rebuilt on restore exactly as a replay builds them.

A snapshot is an optimisation, never a source of truth: :func:`restore` returns ``None`` and
warns (:class:`SnapshotWarning`) for a snapshot that is missing, damaged, of another format,
ahead of the log or of another history (:class:`ForeignSnapshotWarning`), and the router then
replays the whole log.

>>> from ccrouter import Router
>>> from ccrouter.log import MemoryEventLog
>>> log, store = MemoryEventLog(), MemorySnapshotStore()
>>> r = Router(log=log, snapshots=store)
>>> _ = r.login("ann", skills={"sales": 3}, at=0)
>>> r.snapshot()   # the log's config record (seq 1) and the login
2
>>> _ = r.ready("ann", at=1)
>>> Router(log=log, snapshots=store).state_digest() == r.state_digest()   # replays 1 event
True
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import tempfile
import warnings
import zlib
from pathlib import Path
from typing import Any, Protocol

import msgspec
from sortedcontainers import SortedList

from ccrouter.config import RouterConfig
from ccrouter.engine.agent_table import HANDLED, LOGIN_ORDER
from ccrouter.engine.fairness import FairnessLedger
from ccrouter.engine.performance import PerformanceBook
from ccrouter.engine.policies import POLICIES
from ccrouter.engine.records import queue_key, wire_codec, wire_struct
from ccrouter.engine.state import (
    POLICY_TIMERS,
    Agent,
    Interaction,
    QueueState,
    RouterState,
)
from ccrouter.errors import DecodeError, StorageFull
from ccrouter.events import Event, encode_msgpack
from ccrouter.log.base import EventLog
from ccrouter.log.chain import CHAIN_SIZE, history_chain

__all__ = [
    "FORMAT",
    "FileSnapshotStore",
    "ForeignSnapshotWarning",
    "MemorySnapshotStore",
    "SnapshotStore",
    "SnapshotWarning",
    "anchor_of",
    "decode_snapshot",
    "encode_snapshot",
    "restore",
    "snapshot_of",
    "unusable",
]

FORMAT = 2
"""The snapshot format this code writes and reads (another one is ignored, with a warning).

2: the envelope records the log's history chain at the snapshot's version. Format-1
snapshots (which only had the anchor) are refused: they cannot tell another history apart.
"""
MAGIC = b"CCRSNAP\x00"

logger = logging.getLogger(__name__)


class SnapshotWarning(UserWarning):
    """A snapshot could not be used; the router replayed the whole log instead."""


class ForeignSnapshotWarning(SnapshotWarning):
    """The snapshot was taken from another history than the log's (another tenant's log, a
    log repaired and re-written since, a longer or shorter history): the log's history chain
    at the snapshot's version differs. The router replayed the whole log instead."""


# Agent and interaction rows come from the record schema (engine.records: each field's stored
# type and form, new fields last with a default so that older payloads decode).
_AgentData = wire_struct(Agent, "_AgentData")
_InteractionData = wire_struct(Interaction, "_InteractionData")
_agent_row, _agent_of = wire_codec(Agent, _AgentData)
_interaction_row, _interaction_of = wire_codec(Interaction, _InteractionData)


class _StateData(msgspec.Struct, frozen=True):
    last_seq: int
    now: float
    logins: int
    agents: list[_AgentData]  # type: ignore[valid-type]  # in slot order (= dict order)
    interactions: list[_InteractionData]  # type: ignore[valid-type]  # in dict order
    queues: list[str]
    timers: list[tuple[float, int, str, str]]
    round_robin_last: list[tuple[str, int]]
    commands: list[tuple[str, str, int, int]]
    skill_cols: list[str]  # matching-array columns, in column order
    channel_cols: list[str]
    config_version: int = 0  # config changes (trailing defaults: older payloads decode)
    config: dict[str, Any] | None = None  # the config in force, when it was changed
    # Fairness ledger (window, entries, accepted-at) when the config keeps one; trailing
    # default: older payloads decode.
    ledger: tuple[float, Any] | None = None
    # Outcome fields recorded per interaction, and the performance book when the config keeps
    # one (docs/performance.md); trailing defaults: older payloads decode.
    outcomes: list[tuple[str, list[str]]] = []
    book: Any = None


class _Envelope(msgspec.Struct, frozen=True):
    format: int
    version: int
    anchor: int
    checksum: int
    payload: bytes
    chain: bytes = b""  # the log's history chain at ``version`` (format 2)


_encoder = msgspec.msgpack.Encoder()
_envelope_decoder = msgspec.msgpack.Decoder(_Envelope)
_state_decoder = msgspec.msgpack.Decoder(_StateData)


def anchor_of(event: Event | None) -> int:
    """CRC-32 of an event's MessagePack encoding (0 for none): ties a snapshot to its log."""
    return 0 if event is None else zlib.crc32(encode_msgpack(event))


def encode_snapshot(state: RouterState, anchor: int, *, chain: bytes = b"") -> bytes:
    """Encode ``state`` (at version ``state.last_seq``) with the ``anchor`` of that event and
    the log's history ``chain`` at that version (:func:`ccrouter.log.chain.history_chain`).

    A snapshot without a chain is refused on restore: it cannot show whose history it is.
    """
    cols = sorted(state.table.skill_cols.items(), key=lambda kv: kv[1])
    chans = sorted(state.table.channel_cols.items(), key=lambda kv: kv[1])
    data = _StateData(
        last_seq=state.last_seq,
        now=state.now,
        logins=state.logins,
        agents=[_agent_row(a) for a in state.agents.values()],
        interactions=[_interaction_row(i) for i in state.interactions.values()],
        queues=list(state.queues),
        timers=list(state.timers),
        round_robin_last=list(state.round_robin_last.items()),
        commands=[(cid, *entry) for cid, entry in state.commands.items()],
        skill_cols=[name for name, _ in cols],
        channel_cols=[name for name, _ in chans],
        config_version=state.config_version,
        config=state.config.to_dict() if state.config_version else None,
        ledger=None if state.ledger is None else (state.ledger.window, state.ledger.canonical()),
        outcomes=[(iid, list(fields)) for iid, fields in state.outcomes.items()],
        book=None if state.book is None else state.book.canonical(),
    )
    payload = _encoder.encode(data)
    envelope = _Envelope(FORMAT, state.last_seq, anchor, zlib.crc32(payload), payload, chain)
    return MAGIC + _encoder.encode(envelope)


def snapshot_of(state: RouterState, log: EventLog) -> bytes:
    """Encode ``state``, taken at ``log``'s version ``state.last_seq``, with that version's
    anchor and history chain (what :meth:`Router.snapshot <ccrouter.router.Router.snapshot>`
    saves)."""
    version = state.last_seq
    last = next(iter(log.read(version, version + 1)), None) if version else None
    return encode_snapshot(state, anchor_of(last), chain=history_chain(log, version))


def decode_snapshot(blob: bytes, config: RouterConfig) -> tuple[RouterState, int]:
    """Rebuild the state a snapshot holds; return it with its anchor.

    Raises:
        ValueError: the bytes are not an intact snapshot of this format (the message says why).
    """
    state, anchor, _chain = _decode(blob, config)
    return state, anchor


def _decode(blob: bytes, config: RouterConfig) -> tuple[RouterState, int, bytes]:
    if not blob.startswith(MAGIC):
        raise DecodeError("not a ccrouter snapshot (bad magic)")
    try:
        envelope = _envelope_decoder.decode(memoryview(blob)[len(MAGIC) :])
    except msgspec.DecodeError as exc:
        raise DecodeError(f"snapshot envelope does not decode (truncated?): {exc}") from exc
    if envelope.format != FORMAT:
        raise DecodeError(f"snapshot format {envelope.format}; this code reads format {FORMAT}")
    if zlib.crc32(envelope.payload) != envelope.checksum:
        raise DecodeError("snapshot payload fails its checksum")
    if len(envelope.chain) != CHAIN_SIZE:
        raise DecodeError("snapshot records no history chain (it cannot show whose history it is)")
    try:
        data = _state_decoder.decode(envelope.payload)
    except msgspec.DecodeError as exc:
        raise DecodeError(f"snapshot payload does not decode: {exc}") from exc
    if data.last_seq != envelope.version:
        raise DecodeError(f"snapshot says version {envelope.version} but holds {data.last_seq}")
    try:
        state = _rebuild(data, config)
        state._check()
    except ValueError:
        raise
    except Exception as exc:  # checksummed but inconsistent: a writer's bug, still unusable
        msg = f"snapshot does not rebuild a consistent state: {type(exc).__name__}: {exc}"
        raise DecodeError(msg) from exc
    return state, envelope.anchor, envelope.chain


def _rebuild(data: _StateData, config: RouterConfig) -> RouterState:
    if data.config is not None:  # changed while running: the log's config, not the caller's
        config = RouterConfig.from_dict(data.config)
    state = RouterState(config, data.config_version)
    state.last_seq, state.now, state.logins = data.last_seq, data.now, data.logins
    table = state.table
    for channel in data.channel_cols:
        table.ensure_channel(channel)
    for name in data.skill_cols:  # columns in their original order, as the replay made them
        table._ensure_skill(name)
    for row in data.agents:
        agent = a = _agent_of(row)
        slot = table.add_agent()
        if slot != a.slot:
            raise DecodeError(f"agent {a.agent_id!r} is in slot {a.slot}, expected {slot}")
        state.agents[a.agent_id] = agent
        state.slots.append(a.agent_id)
        table.set_skills(slot, agent.skills)
        table.set_fact(slot, LOGIN_ORDER, agent.login_order)
        table.set_fact(slot, HANDLED, agent.handled)
    for name in data.queues:
        state.queues[name] = QueueState(name)
    for row in data.interactions:
        interaction = i = _interaction_of(row)
        state.interactions[i.interaction_id] = interaction
        if interaction.customer_id is not None:
            state.customers.setdefault(interaction.customer_id, []).append(i.interaction_id)
        if interaction.status in ("queued", "offered"):  # the ones a replay keeps a key for
            rate = config.queue(i.queue).aging_rate
            key = queue_key(i.priority, rate, i.arrived_at, i.queued_seq, i.interaction_id)
            state._keys[i.interaction_id] = key
        if interaction.status == "queued":
            state._enqueue(interaction)
            queue = config.queue(i.queue)
            if any(p.watches is not None and p.watches(interaction, queue) for p in POLICIES):
                state.watched[i.interaction_id] = interaction
    for agent in state.agents.values():  # after the interactions: the channel rules read them
        state._sync(agent)
    state.timers = SortedList(data.timers)
    state.timer_of = {(t[2], t[3]): t for t in data.timers}
    state.armed = {t[3] for t in data.timers if t[2] in POLICY_TIMERS}
    state.round_robin_last = dict(data.round_robin_last)
    state.commands = {cid: (fp, first, n) for cid, fp, first, n in data.commands}
    if config.fairness is not None:
        # A ledger kept under another window (or none) cannot be turned into this one.
        if data.ledger is None or data.ledger[0] != config.fairness.window:
            msg = "snapshot has no fairness ledger for this config's window"
            raise DecodeError(msg)
        state.ledger = FairnessLedger.from_canonical(data.ledger[0], data.ledger[1])
    state.outcomes = {iid: tuple(fields) for iid, fields in data.outcomes}
    if config.performance is not None:
        if data.book is None:  # kept under no performance config: cannot be made up now
            msg = "snapshot has no performance book for this config"
            raise DecodeError(msg)
        state.book = PerformanceBook.from_canonical(config.performance, data.book)
    return state


def restore(store: SnapshotStore, log: EventLog, config: RouterConfig) -> RouterState | None:
    """The state of the snapshot in ``store``, if it is usable with ``log``; else ``None``.

    Usable means: present, intact (magic, format, checksum, decodes, passes the state's
    invariants), not ahead of the log, and taken from this log's history: the log's history
    chain at the snapshot's version (one look-up in the stores, no re-reading) equals the one
    the snapshot recorded, and so does the event at that version. Otherwise a
    :class:`SnapshotWarning` says why (a :class:`ForeignSnapshotWarning` for another history;
    no warning for a missing snapshot of an empty log), the reason is logged, and the caller
    replays the whole log.

    Raises:
        LogError: the log is damaged where the check reads it (replay would fail there too).
    """
    try:
        blob = store.load()
    except OSError as exc:
        unusable(f"cannot read the snapshot ({exc})")
        return None
    version = log.version
    if blob is None:
        if version:
            unusable("no snapshot")
        return None
    try:
        state, anchor, chain = _decode(blob, config)
    except ValueError as exc:
        unusable(str(exc))
        return None
    if state.last_seq > version:
        unusable(
            f"snapshot at version {state.last_seq} is ahead of the log ({version}): taken from "
            "a longer history",
            ForeignSnapshotWarning,
        )
        return None
    if history_chain(log, state.last_seq) != chain:
        unusable(
            f"snapshot at version {state.last_seq} was taken from another history (the log's "
            f"history chain up to version {state.last_seq} differs: another log, or this log "
            "re-written since)",
            ForeignSnapshotWarning,
        )
        return None
    if state.last_seq:
        event = next(iter(log.read(state.last_seq, state.last_seq + 1)), None)
        if anchor_of(event) != anchor:
            unusable(
                f"snapshot at version {state.last_seq} was taken from another log "
                "(the event at that version differs)",
                ForeignSnapshotWarning,
            )
            return None
    return state


def unusable(why: str, category: type[SnapshotWarning] = SnapshotWarning) -> None:
    """Warn that a snapshot cannot be used (``category``, a :class:`SnapshotWarning`) and log
    the reason."""
    logger.warning("snapshot not used: %s; replaying the whole log instead", why)
    warnings.warn(f"{why}; replaying the whole log instead", category, stacklevel=4)


class SnapshotStore(Protocol):
    """Where snapshots go: the latest one is kept."""

    def save(self, blob: bytes) -> None:
        """Store ``blob`` as the latest snapshot (atomically: the old one or the new one)."""
        ...

    def load(self) -> bytes | None:
        """The latest snapshot's bytes, or ``None`` when there is none."""
        ...


class MemorySnapshotStore:
    """A snapshot store in memory (tests, simulations)."""

    def __init__(self) -> None:
        self.blob: bytes | None = None

    def save(self, blob: bytes) -> None:
        self.blob = bytes(blob)

    def load(self) -> bytes | None:
        return self.blob


class FileSnapshotStore:
    """The latest snapshot in one file, replaced atomically.

    ``save`` writes a temporary file beside ``path``, ``fsync``s it (``durable=True``, the
    default), renames it over ``path`` and ``fsync``s the directory: a crash leaves the old
    snapshot or the new one, and a torn or damaged file is detected by its checksum anyway.
    """

    def __init__(self, path: str | os.PathLike[str], *, durable: bool = True) -> None:
        self.path = Path(path)
        self.durable = durable

    def save(self, blob: bytes) -> None:
        """Replace the snapshot file atomically.

        Raises:
            StorageFull: the disk, quota or file-size limit is full; the previous snapshot
                file is left as it was and the temporary file is removed.
            OSError: another failure of the file system.
        """
        try:
            self._save(blob)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) and not isinstance(
                exc, StorageFull
            ):
                msg = f"{self.path}: storage full while saving a snapshot ({exc.strerror})"
                raise StorageFull(exc.errno, msg) from exc
            raise

    def _save(self, blob: bytes) -> None:
        directory = self.path.parent
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=directory)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
                if self.durable:
                    f.flush()
                    os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        if self.durable:
            dfd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    def load(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
