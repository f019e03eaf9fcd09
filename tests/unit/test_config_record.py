"""A log carries its config: recorded as its first event, read back on reopening, checked
against a config given, read by ``ccrouter explain``/``whatif``/``report``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ccrouter import Router, RouterConfig
from ccrouter.cli import main
from ccrouter.engine.config_record import (
    config_record,
    is_config_record,
    log_config,
    recorded_config,
    with_config,
)
from ccrouter.errors import ConfigError, ConfigMismatch, InvalidArgument, UnknownQueue
from ccrouter.events import ConfigChanged, InteractionOffered
from ccrouter.log import FileEventLog, MemoryEventLog, SQLiteEventLog
from ccrouter.whatif import whatif

ROOT = Path(__file__).resolve().parents[2]
BILLING = RouterConfig.from_dict(
    {"queues": {"billing": {"strategy": "most_skilled", "wrap_up": 30, "offer_timeout": 20}}}
)


def _calls(r: Router) -> None:
    r.login("ann", skills={"billing": 7}, at=0.0)
    r.login("bob", skills={"billing": 9}, at=0.0)
    r.ready("ann", at=1.0)
    r.ready("bob", at=2.0)
    r.submit("c1", channel="voice", queue="billing", skills={"billing": 5}, at=10.0)


def test_a_supplied_empty_log_records_its_config_first(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    with SQLiteEventLog(path) as log:
        r = Router(BILLING, log=log)
        first = r.login("ann", skills={"billing": 7}, at=3.0)
        # The record is written with the first command's events, not returned by it.
        assert [e.kind for e in first] == ["agent_logged_in"] and first[0].seq == 2
        head = next(log.read())
        assert is_config_record(head) and head.at == 3.0
        assert isinstance(head, ConfigChanged) and head.version == 0
        assert RouterConfig.from_dict(head.config) == BILLING
        r.ready("ann", at=4.0)
        r.submit("c1", channel="voice", queue="billing", skills={"billing": 5}, at=5.0)
        digest = r.state_digest()
    with SQLiteEventLog(path) as log:
        again = Router(log=log)  # no config: the log's own
        assert again.config == BILLING and again.base_config == BILLING
        assert again.state_digest() == digest
        assert again.config_version == 0  # the record is not a change
        assert again.interaction("c1").agent_id == "ann"


def test_a_refused_or_empty_first_command_writes_no_record() -> None:
    log = MemoryEventLog()
    r = Router(BILLING, log=log)
    with pytest.raises(UnknownQueue):
        r.submit("c1", channel="voice", queue="nope", at=1.0)
    assert log.version == 0
    assert r.advance(at=2.0) == [] and log.version == 0 and r.now == 2.0
    r.login("ann", skills={}, at=3.0)
    assert [e.seq for e in log.read()] == [1, 2] and is_config_record(next(log.read()))


def test_a_retried_first_command_returns_its_own_events_only() -> None:
    log = MemoryEventLog()
    r = Router(log=log)
    first = r.login("ann", skills={}, at=0.0, command_id="cmd-1")
    again = Router(log=log).login("ann", skills={}, at=0.0, command_id="cmd-1")
    assert first == again and [e.kind for e in again] == ["agent_logged_in"]


def test_the_routers_own_log_records_nothing() -> None:
    """No ``log=``: an in-memory log that dies with the router (simulations, what-if runs),
    so its events are unchanged (and the simulators' event-for-event equality holds)."""
    r = Router(BILLING)
    _calls(r)
    assert r.events[0].kind == "agent_logged_in"


def test_reopening_with_another_config_is_refused_or_recorded() -> None:
    log = MemoryEventLog()
    _calls(Router(BILLING, log=log))
    before = log.version
    other = RouterConfig.from_dict({"queues": {"billing": {"wrap_up": 10}}})
    with pytest.raises(ConfigMismatch, match=r"queues\.billing\.wrap_up: 30\.0 -> 10\.0") as err:
        Router(other, log=log)
    assert isinstance(err.value, ConfigError) and log.version == before
    # The same config, or none, opens it.
    assert Router(BILLING, log=log).config == BILLING
    # An explicit, recorded change.
    r = Router(other, log=log, reconfigure=True)
    assert log.version == before + 1 and r.config == other and r.config_version == 1
    last = list(log.read())[-1]
    assert isinstance(last, ConfigChanged) and last.version == 1 and last.at == r.now
    # From then on the log opens with the config in force, or the one it started from.
    assert Router(other, log=log).config == other
    assert Router(BILLING, log=log).config == other  # (the base: Router.replay's idiom)
    assert Router(log=log).config == other


def test_old_logs_without_a_record_open_with_the_config_given() -> None:
    """The golden log of schema 5 (no record) replays with its config, as before."""
    import json

    golden = ROOT / "tests" / "golden" / "v5"
    config = RouterConfig.from_dict(json.loads((golden / "config.json").read_text()))
    with FileEventLog(golden / "events.ccr", readonly=True) as log:
        assert log_config(log) is None
        events = list(log.read())
    digests = json.loads((golden / "digests.json").read_text())
    replayed = Router.replay(events, config)
    assert replayed.state_digest() == digests["state_digest"]
    assert replayed.base_config == config


def test_with_config_shifts_every_seq_and_batch_seq() -> None:
    r = Router(RouterConfig.from_dict({"matching": "batch"}))
    r.login("ann", skills={}, at=0.0)
    r.ready("ann", at=0.0)
    r.submit("c1", channel="voice", at=1.0)
    r.match(at=2.0)
    events = r.events
    shifted = with_config(events, r.base_config)
    assert [e.seq for e in shifted] == list(range(1, len(events) + 2))
    offer = next(e for e in shifted if isinstance(e, InteractionOffered))
    assert offer.batch_seq == offer.seq  # the step's first offer, shifted alike
    replayed = Router.replay(shifted)
    assert replayed.config == r.config
    assert replayed.explain("c1").batch is not None
    with pytest.raises(InvalidArgument):
        with_config(shifted, r.base_config)
    assert recorded_config(shifted) == r.base_config
    assert recorded_config(events) is None and recorded_config([]) is None
    assert with_config([], r.base_config) == [config_record(r.base_config, 0.0)]


def _billing_log(tmp_path: Path) -> Path:
    path = tmp_path / "events.log"
    with FileEventLog(path, durability="none") as log:
        r = Router(BILLING, log=log)
        _calls(r)
        r.accept("c1", at=12.0)
        r.complete("c1", at=100.0)
    return path


def test_cli_reads_the_config_from_the_log(tmp_path: Path) -> None:
    """The failure the issue reports (``unknown queue 'billing'`` without --config) is gone
    for a log that records its config."""
    path = _billing_log(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["explain", str(path), "c1"])
    assert result.exit_code == 0, result.output
    assert "strategy most_skilled" in result.output and "Chosen agent: bob" in result.output
    result = runner.invoke(main, ["report", str(path), "--interval", "1h"])
    assert result.exit_code == 0, result.output
    toml = tmp_path / "other.toml"
    toml.write_text(
        RouterConfig.from_dict({"queues": {"billing": {"strategy": "longest_idle"}}}).to_toml()
    )
    result = runner.invoke(main, ["whatif", str(path), "--config", str(toml)])
    assert result.exit_code == 0, result.output
    # The model check runs under the log's own config, read from it: it reproduces the log.
    assert "Model check: under the base config the re-run makes every recorded" in result.output
    # A --config other than the log's is refused with the difference named.
    result = runner.invoke(main, ["explain", str(path), "c1", "--config", str(toml)])
    assert result.exit_code == 1 and "strategy: 'most_skilled' -> 'longest_idle'" in result.output


def test_cli_on_a_log_without_a_record_still_needs_the_config(tmp_path: Path) -> None:
    """(The issue's reproduction: a log without the record, e.g. one written before it.)"""
    path = tmp_path / "old.log"
    r = Router(BILLING)
    _calls(r)
    with FileEventLog(path, durability="none") as log:
        log.append(r.events)
    result = CliRunner().invoke(main, ["explain", str(path), "c1"])
    assert result.exit_code == 1 and "unknown queue 'billing'" in result.output


def test_whatif_takes_the_record_for_the_starting_config_not_a_change() -> None:
    log = MemoryEventLog()
    _calls(Router(BILLING, log=log))
    events = list(log.read())
    other = RouterConfig.from_dict({"queues": {"billing": {"strategy": "longest_idle"}}})
    for changes in ("drop", "replay"):
        result = whatif(events, other, config_changes=changes)  # type: ignore[arg-type]
        assert result.skipped == []  # the record is neither dropped nor re-made
        # longest idle: ann (ready first) instead of bob, the most skilled
        assert result.interactions[0].after.agent_id == "ann"


def test_demo_log_explains_without_config(tmp_path: Path) -> None:
    """The demo's log (the simulator's events, written with the config record) explains
    and re-runs from the command line without --config."""
    from ccrouter.demo import main as demo

    out = tmp_path / "demo"
    assert demo(["--out", str(out), "--seed", "1"]) == 0
    path = out / "events.log"
    with FileEventLog(path, readonly=True) as log:
        events = list(log.read())
    config = recorded_config(events)
    assert config is not None and "billing" in config.queues
    offered = next(e for e in events if isinstance(e, InteractionOffered))
    result = CliRunner().invoke(main, ["explain", str(path), offered.interaction_id])
    assert result.exit_code == 0, result.output
