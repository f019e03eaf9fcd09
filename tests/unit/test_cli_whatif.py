"""``ccrouter whatif LOG --config other.toml`` on a log written by ``FileEventLog``."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner

from ccrouter import Router, RouterConfig
from ccrouter.cli import main
from ccrouter.cli.whatif import CSV_FIELDS
from ccrouter.events import encode_json
from ccrouter.log import FileEventLog


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    path = tmp_path / "events.log"
    with FileEventLog(path, durability="none") as log:
        r = Router(log=log, backend="python")
        r.login("ann", skills={"en": 1}, at=0)
        r.login("bob", skills={"en": 5}, at=0)
        r.ready("ann", at=0)
        r.ready("bob", at=1)
        r.submit("c1", channel="voice", skills={"en": 1}, at=2)  # ann
        r.accept("c1", at=3)
        r.submit("c2", channel="voice", skills={"en": 1}, at=10)  # bob
        r.accept("c2", at=12)
        r.submit("c3", channel="voice", skills={"en": 1}, at=20)  # both busy: waits
        r.abandon("c3", at=30)
        r.complete("c2", at=40)
    skilled = tmp_path / "skilled.toml"
    skilled.write_text('[queues.default]\nstrategy = "most_skilled"\n')
    base = tmp_path / "base.toml"
    base.write_text('[queues.default]\nstrategy = "longest_idle"\n')
    return path, skilled, base


def _run(*args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["whatif", *args])
    return result.exit_code, result.output.splitlines()


def test_table_lists_changed_interactions_and_the_summary(tmp_path: Path) -> None:
    log, skilled, base = _files(tmp_path)
    code, lines = _run(str(log), "--config", str(skilled), "--base-config", str(base))
    assert code == 0, lines
    assert lines[0] == "What-if of events.log under skilled.toml"
    assert lines[1].startswith("Model check: under the base config the re-run makes every")
    assert lines[2] == (
        "3 interactions up to 40: 2 changed (outcome, agent or offer time), "
        "2 answered by another agent"
    )
    assert lines[3] == "decisions: differ"
    summary = {line[:16].strip(): line[16:].split() for line in lines[5:14]}
    assert summary["Answered"] == ["2", "2"]
    assert summary["Abandoned"] == ["1", "1"]
    assert summary["ASA"] == ["1.5", "s", "1.5", "s"]
    assert summary["SL (20 s)"] == ["66.7%", "66.7%"]
    header = lines.index(next(x for x in lines if x.startswith("Interaction ")))
    assert lines[header + 1].split() == [
        "c1", "default", "2", "ann", "2", "1", "answered", "->", "bob", "2", "1", "answered",
    ]  # fmt: skip
    assert lines[header + 2].split()[3] == "bob" and lines[header + 2].split()[8] == "ann"
    assert len(lines) == header + 3  # c3 did not change: not listed


def test_all_lists_every_interaction(tmp_path: Path) -> None:
    log, skilled, _ = _files(tmp_path)
    code, lines = _run(str(log), "--config", str(skilled), "--all")
    assert code == 0
    assert lines[-1].split() == [
        "c3", "default", "20", "-", "-", "10", "abandoned", "->", "-", "-", "10", "abandoned",
    ]  # fmt: skip


def test_same_config_changes_nothing(tmp_path: Path) -> None:
    log, _, base = _files(tmp_path)
    code, lines = _run(str(log), "--config", str(base))
    assert code == 0
    assert "decisions: identical to the recorded ones" in lines
    assert lines[-1] == "No interaction changed."


def test_base_config_that_does_not_reproduce_is_flagged(tmp_path: Path) -> None:
    log, skilled, base = _files(tmp_path)
    code, lines = _run(str(log), "--config", str(base), "--base-config", str(skilled))
    assert code == 0
    assert lines[1].startswith("Model check: under the base config 2 interaction(s) already")


def test_csv(tmp_path: Path) -> None:
    log, skilled, _ = _files(tmp_path)
    result = CliRunner().invoke(main, ["whatif", str(log), "--config", str(skilled), "--csv"])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert tuple(rows[0]) == CSV_FIELDS
    assert [(r["interaction_id"], r["before_agent"], r["after_agent"], r["changed"])
            for r in rows] == [("c1", "ann", "bob", "1"), ("c2", "bob", "ann", "1"),
                               ("c3", "", "", "0")]  # fmt: skip
    assert rows[2]["after_outcome"] == "abandoned" and rows[2]["after_answered_at"] == ""


def test_errors_are_one_line(tmp_path: Path) -> None:
    log, _, _ = _files(tmp_path)
    sales_log = tmp_path / "sales.jsonl"
    r = Router(RouterConfig.from_dict({"queues": {"sales": {}}}), backend="python")
    r.submit("s1", channel="voice", queue="sales", at=0)
    sales_log.write_bytes(b"".join(encode_json(e) + b"\n" for e in r.events))
    code, lines = _run(str(sales_log), "--config", str(log.parent / "base.toml"))
    assert code == 1
    assert lines == [
        "Error: the log routes to queue(s) sales that the what-if config does not define "
        "(it has: default)"
    ]
    bad = tmp_path / "bad.toml"
    bad.write_text("[queues.default]\nstrategy = 'fastest'\n")
    code, lines = _run(str(log), "--config", str(bad))
    assert code == 1 and len(lines) == 1 and lines[0].startswith("Error: invalid router config")
    code, lines = _run(str(log))
    assert code == 2 and "Missing option '--config'" in "\n".join(lines)


def test_help_names_the_rules() -> None:
    result = CliRunner().invoke(main, ["whatif", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "whatif [OPTIONS] LOG" in text
    assert "--base-config FILE" in text and "--csv" in text
    assert 'See "What-if replay" in docs/routing.md' in text


def test_config_changes_option(tmp_path: Path) -> None:
    path = tmp_path / "changed.jsonl"
    r = Router(backend="python")
    r.login("ann", skills={"en": 1}, at=0)
    r.login("bob", skills={"en": 5}, at=0)
    r.ready("ann", at=0)
    r.ready("bob", at=1)
    r.reconfigure({"queues": {"default": {"strategy": "most_skilled"}}}, at=5)
    r.submit("c1", channel="voice", at=10)  # bob
    path.write_bytes(b"".join(encode_json(e) + b"\n" for e in r.events))
    _, _, base = _files(tmp_path)
    code, lines = _run(str(path), "--config", str(base))
    assert code == 0
    assert lines[-3:] == [
        "",
        "1 recorded input(s) or agent action(s) could not apply as recorded:",
        "  #5 reconfigure at 5: config change dropped: the what-if config stays in force",
    ]
    code, lines = _run(str(path), "--config", str(base), "--config-changes", "replay",
                       "--base-config", str(base))  # fmt: skip
    assert code == 0
    assert lines[1].startswith("Model check: under the base config the re-run makes every")
    assert lines[-1] == "No interaction changed."


def test_a_log_with_a_transfer_lists_the_skipped_consult(tmp_path: Path) -> None:
    path = tmp_path / "consult.log"
    with FileEventLog(path, durability="none") as log:
        r = Router(log=log, backend="python")
        r.login("ann", skills={"en": 1}, at=0)
        r.login("bob", skills={"fr": 1}, at=0)
        r.login("dave", skills={"fr": 5}, at=0)
        r.ready("ann", at=0)
        r.ready("bob", at=1)
        r.ready("dave", at=2)
        r.submit("c1", channel="voice", skills={"en": 1}, at=3)  # ann
        r.submit("c2", channel="voice", skills={"fr": 1}, at=4)  # bob
        r.accept("c1", at=4)
        r.accept("c2", at=5)
        r.transfer("c1", to_agent="dave", mode="consult", at=10)
        r.accept_transfer("c1", at=12)
        r.complete("c1", at=30)
        r.complete("c2", at=40)
    _, skilled, _ = _files(tmp_path)
    code, lines = _run(str(path), "--config", str(skilled))
    assert code == 0, lines
    assert lines[-2] == "1 recorded input(s) or agent action(s) could not apply as recorded:"
    # (#14: the log starts with its config record, seq 1)
    assert lines[-1].startswith("  #14 consult_transfer at 10: cannot consult 'dave' about 'c1'")
