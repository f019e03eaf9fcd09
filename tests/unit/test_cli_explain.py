"""``ccrouter explain LOG INTERACTION_ID`` on a log written by ``FileEventLog``."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ccrouter import Router
from ccrouter.cli import main
from ccrouter.log import FileEventLog


def _log(tmp_path: Path) -> Path:
    path = tmp_path / "events.log"
    with FileEventLog(path, durability="none") as log:
        r = Router(log=log)
        r.login("ann", skills={"en": 2}, at=0)
        r.login("bob", skills={"fr": 1}, at=0)
        r.submit("old", channel="voice", skills={"en": 1}, at=1)
        r.submit("vip", channel="voice", skills={"en": 1}, priority=5, at=2)
        r.ready("bob", at=3)
        r.ready("ann", at=10)
    return path


def test_explain_prints_candidates_and_passed(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["explain", str(_log(tmp_path)), "vip"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Interaction vip (queue default, channel voice, skills en>=1)"
    assert "Chosen agent: ann" in lines
    header = next(i for i, line in enumerate(lines) if line.startswith("Agent "))
    assert lines[header + 1].split() == ["ann", "yes", "-", "0", "1"]  # ready at 10
    assert lines[header + 2].split() == ["bob", "no", "missing_skill", "-", "-"]
    assert "Taken ahead of 1 older waiting interaction(s):" in lines
    assert lines[-1].split() == ["old", "default", "1", "0", "5", "higher", "effective", "priority"]


def test_explain_config_option(tmp_path: Path) -> None:
    toml = tmp_path / "router.toml"
    toml.write_text("[queues.default]\nstrategy = 'longest_idle'\n")
    result = CliRunner().invoke(
        main, ["explain", str(_log(tmp_path)), "vip", "--config", str(toml)]
    )
    assert result.exit_code == 0, result.output
    assert "Chosen agent: ann" in result.output


def test_explain_errors_are_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["explain", str(_log(tmp_path)), "nope"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: unknown interaction 'nope': it was never submitted"
    ]
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    result = CliRunner().invoke(main, ["explain", str(bad), "vip"])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "is not an event log" in result.output
