"""Idempotent commands: a `command_id` seen before returns its first result, appends nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccrouter import Router
from ccrouter.errors import IdempotencyConflict, InvalidArgument, UnknownAgent
from ccrouter.events import CommandRecorded
from ccrouter.log import FileEventLog, SQLiteEventLog
from ccrouter.stats.interval import interval_report


def staffed(log: object = None) -> Router:
    r = Router(log=log) if log is not None else Router()  # type: ignore[arg-type]
    r.login("ann", skills={"billing": 5}, at=0, command_id="login-ann")
    r.ready("ann", at=0, command_id="ready-ann")
    return r


def test_same_id_returns_the_first_result_and_appends_nothing() -> None:
    r = staffed()
    first = r.submit("c1", channel="voice", skills={"billing": 3}, at=1, command_id="s1")
    assert [e.kind for e in first] == ["interaction_queued", "interaction_offered"]
    version, digest = r.log.version, r.state_digest()
    assert isinstance(next(iter(r.log.read(version))), CommandRecorded)
    again = r.submit("c1", channel="voice", skills={"billing": 3}, at=1, command_id="s1")
    assert again == first
    assert (r.log.version, r.state_digest()) == (version, digest)
    # Without the id the same submit is a new command (and a duplicate interaction).
    with pytest.raises(ValueError, match="c1"):
        r.submit("c1", channel="voice", skills={"billing": 3}, at=1)


@pytest.mark.parametrize(
    "call",
    [
        lambda r: r.submit("c1", channel="voice", skills={"billing": 4}, at=1, command_id="s1"),
        lambda r: r.submit("c2", channel="voice", skills={"billing": 3}, at=1, command_id="s1"),
        lambda r: r.accept("c1", at=1, command_id="s1"),
        lambda r: r.advance(at=1, command_id="s1"),
    ],
    ids=["other-arguments", "other-id-field", "other-command", "advance"],
)
def test_same_id_other_content_is_a_typed_error(call: object) -> None:
    r = staffed()
    r.submit("c1", channel="voice", skills={"billing": 3}, at=1, command_id="s1")
    version = r.log.version
    with pytest.raises(IdempotencyConflict, match="'s1' was already used") as info:
        call(r)  # type: ignore[operator]
    assert isinstance(info.value, ValueError)
    assert r.log.version == version


def test_equal_spellings_are_the_same_content() -> None:
    r = staffed()
    first = r.submit(
        "c1",
        channel="voice",
        skills={"a": 1, "billing": 3},
        priority=2,
        attributes={"x": 1, "y": 2},
        at=1,
        command_id="s1",
    )
    again = r.submit(
        "c1",
        channel="voice",
        skills={"billing": 3, "a": 1},
        priority=2.0,
        attributes={"y": 2, "x": 1},
        at=1.0,
        command_id="s1",
    )
    assert again == first


def test_a_command_without_events_is_idempotent_too() -> None:
    r = staffed()
    assert r.advance(at=5, command_id="tick-5") == []
    version = r.log.version
    recorded = list(r.log.read(version))
    assert recorded[0] == CommandRecorded(
        seq=version, at=5.0, command_id="tick-5", fingerprint=recorded[0].fingerprint, events=0
    )
    assert r.advance(at=5, command_id="tick-5") == []
    assert r.log.version == version
    repeat = r.advance(at=6, command_id="tick-5")  # a retry's time is its own
    assert repeat == [] and repeat.repeat and r.log.version == version
    with pytest.raises(IdempotencyConflict):
        r.match(at=6, command_id="tick-5")


def test_a_failed_command_leaves_no_trace() -> None:
    r = staffed()
    version = r.log.version
    with pytest.raises(UnknownAgent):
        r.ready("bob", at=1, command_id="x")
    assert r.log.version == version
    r.login("bob", skills={}, at=1, command_id="x")  # the id is still free
    assert r.agent("bob").status == "not_ready"


def test_ids_are_remembered_across_a_restart(tmp_path: Path) -> None:
    for path, store in ((tmp_path / "a.log", FileEventLog), (tmp_path / "a.db", SQLiteEventLog)):
        with store(path) as log:  # type: ignore[operator]
            r = staffed(log)
            first = r.submit("c1", channel="voice", skills={"billing": 3}, at=1, command_id="s1")
            digest = r.state_digest()
        with store(path) as log:  # type: ignore[operator]
            r = Router(log=log)
            assert r.state_digest() == digest
            version = log.version
            again = r.submit("c1", channel="voice", skills={"billing": 3}, at=1, command_id="s1")
            assert again == first
            # (seq 1 is the log's config record, 2-3 ann's login and its marker)
            assert r.ready("ann", at=0, command_id="ready-ann") == list(log.read(4, 5))
            assert log.version == version
            with pytest.raises(IdempotencyConflict):
                r.not_ready("ann", reason="lunch", at=1, command_id="ready-ann")


def test_replay_and_statistics_see_through_the_markers() -> None:
    r = staffed()
    r.submit("c1", channel="voice", skills={"billing": 3}, at=1, command_id="s1")
    r.accept("c1", at=2, command_id="a1")
    r.complete("c1", at=30, command_id="c1-done")
    replayed = Router.replay(r.events)
    assert replayed.state_digest() == r.state_digest()
    assert replayed.state.commands == r.state.commands
    assert r.stats.queue(at=30).answered == 1
    assert sum(row.offered for row in interval_report(r.events, interval=60)) == 1


def test_the_digest_covers_command_ids() -> None:
    plain, tagged = Router(), Router()
    plain.advance(at=1)
    tagged.advance(at=1, command_id="t")
    assert plain.state_digest() != tagged.state_digest()


@pytest.mark.parametrize("bad", ["", 7, b"id"])
def test_command_id_must_be_a_non_empty_string(bad: object) -> None:
    with pytest.raises(InvalidArgument, match="command_id"):
        Router().advance(at=1, command_id=bad)  # type: ignore[arg-type]


def test_a_command_id_recorded_by_an_older_version_still_matches_after_an_upgrade() -> None:
    """Golden schema-2 log: `submit("v2-direct", direct_to="agent-0", command_id="cmd-1")`.
    Fields added to `submit` since (``deadline``) must not change its fingerprint."""
    import json
    from pathlib import Path

    from ccrouter import RouterConfig
    from ccrouter.log import FileEventLog

    golden = Path(__file__).resolve().parents[1] / "golden" / "v2"
    config = RouterConfig.from_dict(json.loads((golden / "config.json").read_text()))
    with FileEventLog(golden / "events.ccr", readonly=True) as log:
        events = list(log.read())
    router = Router.replay(events, config)
    queued = next(e for e in events if getattr(e, "interaction_id", None) == "v2-direct")
    again = router.submit(
        "v2-direct", channel="voice", direct_to="agent-0", command_id="cmd-1", at=queued.at
    )
    assert [e.seq for e in again] == [queued.seq, queued.seq + 1]
    assert router.log.version == len(events)


def test_a_retry_at_a_later_time_is_a_repeat_flagged_as_such() -> None:
    """A live service supplies `at` itself: the retry of a command arrives with a new time.
    It returns the first result, flagged, and appends nothing; a fresh result is not."""
    r = staffed()
    first = r.submit("c1", channel="voice", skills={"billing": 3}, at=1, command_id="s1")
    assert first.repeat is False and first.seq == r.log.version
    assert [e.seq for e in first.appended] == [e.seq for e in first] + [r.log.version]
    version, digest = r.log.version, r.state_digest()
    again = r.submit("c1", channel="voice", skills={"billing": 3}, at=7.5, command_id="s1")
    assert again == first and again.repeat is True and again.seq == first.seq
    assert again.appended == ()
    assert (r.log.version, r.state_digest()) == (version, digest)
    assert r.now == 1  # a repeat does not move the router's time either
    # Same id, other content: still a conflict, whatever the time.
    with pytest.raises(IdempotencyConflict, match="other content"):
        r.submit("c1", channel="chat", skills={"billing": 3}, at=7.5, command_id="s1")


def test_the_fingerprint_leaves_time_out_and_is_versioned() -> None:
    from ccrouter.commands import Ready
    from ccrouter.engine.digest import FINGERPRINT_PREFIX, command_fingerprint, fingerprint

    r = staffed()
    r.not_ready("ann", reason="lunch", at=3, command_id="nr")
    marker = next(iter(r.log.read(r.log.version)))
    assert isinstance(marker, CommandRecorded)
    assert marker.fingerprint.startswith(FINGERPRINT_PREFIX)
    assert command_fingerprint(Ready(agent_id="ann")) != fingerprint(Ready(agent_id="ann"), 0)


def _golden(version: str) -> tuple[list[object], object]:
    import json

    from ccrouter import RouterConfig

    golden = Path(__file__).resolve().parents[1] / "golden" / version
    config = RouterConfig.from_dict(json.loads((golden / "config.json").read_text()))
    with FileEventLog(golden / "events.ccr", readonly=True) as log:
        return list(log.read()), config


@pytest.mark.parametrize("version", ["v2", "v5"])
def test_a_retry_at_a_new_time_matches_a_legacy_fingerprint(version: str) -> None:
    """Golden logs hold fingerprints that hashed `at` (no version prefix). A retry of their
    command at a later time is still recognised (the marker's time is the command's `at`),
    other content still conflicts, and the replayed log keeps its digest."""
    events, config = _golden(version)
    router = Router.replay(events, config)  # type: ignore[arg-type]
    marker = next(e for e in events if isinstance(e, CommandRecorded))
    assert ":" not in marker.fingerprint  # a legacy record
    later = router.now + 100
    again = router.submit(
        "v2-direct", channel="voice", direct_to="agent-0", command_id="cmd-1", at=later
    )
    assert again.repeat and [e.seq for e in again] == [marker.seq - 2, marker.seq - 1]
    assert router.log.version == len(events)
    with pytest.raises(IdempotencyConflict):
        router.submit(
            "v2-direct", channel="chat", direct_to="agent-0", command_id="cmd-1", at=later
        )
