"""Schema versions: golden logs of every version replay to their stored digests; upcasters.

``tests/golden/v<N>/`` are written once per schema version by ``tests/golden/make_golden.py``
and never rewritten.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
from pathlib import Path
from typing import Any

import msgspec
import pytest

import ccrouter.log.schema as schema
from ccrouter import Router, RouterConfig
from ccrouter.errors import CorruptLog
from ccrouter.events import (
    AgentReady,
    Event,
    InteractionDeadlineSet,
    InteractionOffered,
    decode_json,
)
from ccrouter.log import FileEventLog, SQLiteEventLog
from ccrouter.log.chain import GENESIS, extend_events
from ccrouter.log.file import _batch_header, _file_header
from ccrouter.log.framing import V1

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
VERSIONS = sorted(GOLDEN.glob("v*"), key=lambda p: int(p.name[1:]))


def test_there_is_a_golden_log_for_every_schema_version() -> None:
    assert [int(p.name[1:]) for p in VERSIONS] == list(range(1, schema.SCHEMA_VERSION + 1))


@pytest.mark.parametrize("version_dir", VERSIONS, ids=[p.name for p in VERSIONS])
def test_golden_logs_replay_to_their_digests(version_dir: Path, tmp_path: Path) -> None:
    digests = json.loads((version_dir / "digests.json").read_text())
    config = RouterConfig.from_dict(json.loads((version_dir / "config.json").read_text()))
    as_json = [
        decode_json(line) for line in (version_dir / "events.jsonl").read_bytes().splitlines()
    ]

    with FileEventLog(version_dir / "events.ccr", readonly=True) as log:
        from_file = list(log.read())
    db = tmp_path / "events.db"
    shutil.copyfile(version_dir / "events.db", db)  # never touch the committed file
    with SQLiteEventLog(db, readonly=True) as sqlite_log:
        from_sqlite = list(sqlite_log.read())

    assert len(from_file) == digests["events"]
    assert from_file == as_json == from_sqlite
    got = msgspec.json.encode(from_file)
    assert hashlib.sha256(got).hexdigest() == digests["events_sha256"]
    state = Router.replay(from_file, config, backend="python").state_digest()
    assert state == digests["state_digest"], (
        "replaying the golden log gives another state. If the router's state representation "
        "changed on purpose, run `CCROUTER_BACKEND=python python tests/golden/make_golden.py "
        "--refresh-state-digest`; if events now mean something else, that is a schema change: "
        "bump SCHEMA_VERSION and add an upcaster"
    )


def test_current_version_writes_byte_identical_files(tmp_path: Path) -> None:
    """The file format is stable: rewriting the golden events gives the same bytes.

    Goldens up to v5 are file format 1 (before the history chain): the format-1 framing must
    not change (checked on v5, the last of them). Newer goldens are format 2, whose headers
    carry the history chain after each batch: the same events appended today give the same
    bytes, and the chain computed from a format-1 file's bytes is the same chain.
    """
    old = GOLDEN / "v5"
    with FileEventLog(old / "events.ccr", readonly=True) as log:
        assert log.format == 1
        events = list(log.read())
        firsts = [*log._firsts, len(events) + 1]
        golden_chain = log.chain_at(len(events))
    data = bytearray(_file_header(1))
    v2 = bytearray(_file_header())
    chain = GENESIS
    for a, b in itertools.pairwise(firsts):
        payload = schema.encode_payload(events[a - 1 : b - 1])
        data += _batch_header(payload, a, b - a, 5, bf=V1) + payload
        chain = extend_events(chain, events[a - 1 : b - 1])
        v2 += _batch_header(payload, a, b - a, 5, chain) + payload
    assert bytes(data) == (old / "events.ccr").read_bytes()
    assert chain == golden_chain  # computed from a format-1 file's bytes: the same chain

    newest = GOLDEN / f"v{schema.SCHEMA_VERSION}"
    with FileEventLog(newest / "events.ccr", readonly=True) as log:
        assert log.format == 2
        events = list(log.read())
        firsts = [*log._firsts, len(events) + 1]
    with FileEventLog(tmp_path / "today.ccr", durability="none") as log:
        for a, b in itertools.pairwise(firsts):
            log.append(events[a - 1 : b - 1])
    assert (tmp_path / "today.ccr").read_bytes() == (newest / "events.ccr").read_bytes()


def _rename_agents(raw: dict[str, Any]) -> dict[str, Any]:
    if raw.get("type") == "agent_ready":
        return {**raw, "agent_id": raw["agent_id"].upper()}
    return raw


def test_older_records_go_through_the_upcasters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pretend the code is one schema ahead with an upcaster: today's logs read upcasted."""
    path = tmp_path / "log.ccr"
    with FileEventLog(path) as log:
        log.append([AgentReady(seq=1, at=0.0, agent_id="ann")])
    db = tmp_path / "log.db"
    with SQLiteEventLog(db) as sq:
        sq.append([AgentReady(seq=1, at=0.0, agent_id="bob")])

    current = schema.SCHEMA_VERSION
    monkeypatch.setattr(schema, "SCHEMA_VERSION", current + 1)
    monkeypatch.setattr(schema, "UPCASTERS", {**schema.UPCASTERS, current: _rename_agents})
    with FileEventLog(path, readonly=True) as log:
        assert list(log.read()) == [AgentReady(seq=1, at=0.0, agent_id="ANN")]
    with SQLiteEventLog(db, readonly=True) as sq:
        assert list(sq.read()) == [AgentReady(seq=1, at=0.0, agent_id="BOB")]

    monkeypatch.setattr(schema, "UPCASTERS", {})
    with FileEventLog(path, readonly=True) as log, pytest.raises(CorruptLog, match="upcaster"):
        list(log.read())


def test_records_from_a_newer_ccrouter_are_refused_by_name(tmp_path: Path) -> None:
    payload = schema.encode_payload([AgentReady(seq=1, at=0.0, agent_id="a")])
    path = tmp_path / "future.ccr"
    path.write_bytes(_file_header() + _batch_header(payload, 1, 1, 7) + payload)
    with FileEventLog(path, readonly=True) as log, pytest.raises(CorruptLog, match="version 7"):
        list(log.read())


def test_the_newest_golden_log_holds_every_event_type() -> None:
    """So that a reader of every event type is pinned by a stored log of this version."""
    newest = GOLDEN / f"v{schema.SCHEMA_VERSION}" / "events.jsonl"
    seen = {json.loads(line)["type"] for line in newest.read_text().splitlines()}
    every = {t.__struct_config__.tag for t in Event.__args__}  # type: ignore[attr-defined]
    assert every - seen == set()


def test_schema_3_deadlines_read_as_queue_defaults() -> None:
    """Schema 4 added ``InteractionDeadlineSet.explicit``: older logs read ``False`` (the
    queue's deadline), the newest golden log holds both kinds."""

    def deadlines(version: int) -> list[InteractionDeadlineSet]:
        with FileEventLog(GOLDEN / f"v{version}" / "events.ccr", readonly=True) as log:
            return [e for e in log.read() if isinstance(e, InteractionDeadlineSet)]

    assert deadlines(3) and not any(e.explicit for e in deadlines(3))
    assert {e.explicit for e in deadlines(4)} == {True, False}
    r = Router(RouterConfig.from_dict({"queues": {"mail": {"deadline": 60}}}))
    r.submit("own", channel="email", queue="mail", deadline=500, at=1)
    r.submit("queue", channel="email", queue="mail", at=2)
    got = [(e.deadline, e.explicit) for e in r.events if isinstance(e, InteractionDeadlineSet)]
    assert got == [(500.0, True), (62.0, False)]


def test_schema_4_offers_read_as_greedy_decisions() -> None:
    """Schema 5 added ``InteractionOffered.batch_seq``: older offers read unset (greedy), the
    newest golden log holds both kinds, and a greedy offer encodes as it did in schema 4."""

    def offers(version: int) -> list[InteractionOffered]:
        with FileEventLog(GOLDEN / f"v{version}" / "events.ccr", readonly=True) as log:
            return [e for e in log.read() if isinstance(e, InteractionOffered)]

    assert offers(4) and not any(e.batch for e in offers(4))
    newest = offers(5)
    assert {e.batch for e in newest} == {True, False}
    batch = [e for e in newest if e.batch]
    assert {e.batch_seq for e in batch} == {batch[0].seq}  # one step: its first offer
    greedy = offers(4)[0]
    assert b"batch_seq" not in msgspec.json.encode(greedy)
