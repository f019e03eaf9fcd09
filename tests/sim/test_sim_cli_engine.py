"""``ccrouter simulate --engine/--verify`` and ``ccrouter staff-search --engine``, through click."""

from __future__ import annotations

import math
import shlex
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from engine_fakes import fake_compiled, not_compiled

from ccrouter.cli import main
from ccrouter.events import Event

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "simulations" / "bank_line.toml"


def _simulate(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["simulate", str(BANK), "-n", "2", "--quiet", *args])
    return result.exit_code, result.stdout, result.stderr


def test_help_lists_the_engines_and_verify() -> None:
    result = CliRunner().invoke(main, ["simulate", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "--engine [auto|compiled|router]" in text and "[default: auto]" in text
    assert "--verify" in text and "replication 0 on both engines" in text
    search = CliRunner().invoke(main, ["staff-search", "--help"])
    assert "--engine [auto|compiled|router]" in " ".join(search.output.split())


def test_fallback_prints_one_note_naming_the_features(monkeypatch: pytest.MonkeyPatch) -> None:
    not_compiled(monkeypatch, ["widening steps", "outbound campaigns"])
    code, out, err = _simulate()
    assert code == 0, out + err
    notes = [line for line in err.splitlines() if line.startswith("note:")]
    assert notes == [
        "note: running on the router-driven engine; not compiled: widening steps, "
        "outbound campaigns"
    ]
    assert "Warning" not in err  # a note, not Python's warning with a source line
    assert "engine: router-driven; compile" in out


def test_compiled_on_an_unsupported_scenario_is_a_typed_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    not_compiled(monkeypatch, ["strategy 'random'"])
    code, out, err = _simulate("--engine", "compiled")
    assert code == 1
    assert "Error: the compiled engine does not run this scenario" in err
    assert "strategy 'random'" in err and "Traceback" not in out + err


def test_router_engine_runs_without_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    not_compiled(monkeypatch, ["widening steps"])
    code, out, err = _simulate("--engine", "router")
    assert code == 0 and "note:" not in err
    assert "engine: router-driven; compile" in out and "customers/s" in out


def test_auto_says_the_compiled_engine_ran(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_compiled(monkeypatch)
    code, out, err = _simulate()
    assert code == 0 and "note:" not in err
    assert "engine: compiled; compile" in out


def test_results_do_not_depend_on_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    _, routed, _ = _simulate("--engine", "router", "--seed", "3")
    fake_compiled(monkeypatch)
    _, compiled, _ = _simulate("--engine", "compiled", "--seed", "3")
    table = [line for line in routed.splitlines() if not line.startswith("engine:")]
    assert table == [line for line in compiled.splitlines() if not line.startswith("engine:")]


def test_verify_prints_how_many_events_matched(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_compiled(monkeypatch)
    code, out, err = _simulate("--verify")
    assert code == 0, out + err
    first = out.splitlines()[0]
    assert first.startswith("verify: replication 0 (seed 0): ")
    assert "events identical on the compiled and the router-driven engine" in first
    assert "replications" in out  # then the simulation runs as usual


def test_verify_prints_the_first_difference_and_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def nudge(events: list[Event]) -> list[Event]:
        events[7] = msgspec.structs.replace(events[7], at=math.nextafter(events[7].at, 1e9))
        return events

    fake_compiled(monkeypatch, mutate=nudge)
    code, out, _err = _simulate("--verify")
    assert code == 1
    lines = out.splitlines()
    assert "the engines differ" in lines[0]
    assert "first difference at event index 7 (field 'at')" in lines[1]
    assert lines[2].lstrip().startswith("router") and lines[3].lstrip().startswith("compiled")
    assert "replications" not in out  # no simulation after a failed check


def test_verify_names_what_is_not_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    not_compiled(monkeypatch, ["callbacks"])
    code, _out, err = _simulate("--verify")
    assert code == 1 and "callbacks" in err and "not compiled" in err


def test_staff_search_engine_note_and_error(monkeypatch: pytest.MonkeyPatch) -> None:
    not_compiled(monkeypatch, ["shifts"])
    args = ["staff-search", str(BANK), "-n", "1", "--quiet", "--sl", "80/20"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "note: running on the router-driven engine; not compiled: shifts" in result.stderr
    assert "engine: router-driven" in result.stdout
    refused = CliRunner().invoke(main, [*args, "--engine", "compiled"])
    assert refused.exit_code == 1 and "shifts" in refused.stderr


def test_make_demo_simulates_on_the_compiled_engine(tmp_path: Path) -> None:
    """The demo's `ccrouter simulate` line, shortened: it verifies, then runs compiled."""
    line = next(x for x in (ROOT / "Makefile").read_text().splitlines() if "ccrouter simulate" in x)
    args = shlex.split(line.split("ccrouter ", 1)[1])
    args[args.index("--replications") + 1] = "2"
    args[args.index("--jobs") + 1] = "1"
    args[args.index("--report") + 1] = str(tmp_path / "r.html")
    args[1] = str(ROOT / args[1])
    result = CliRunner().invoke(main, [*args, "--quiet"])
    assert result.exit_code == 0, result.output
    assert "events identical on the compiled and the router-driven engine" in result.stdout
    assert "engine: compiled;" in result.stdout and "note:" not in result.stderr
    assert "run on the compiled engine" in (tmp_path / "r.html").read_text()


def test_the_report_says_why_not_compiled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    not_compiled(monkeypatch, ["widening steps"])
    report = tmp_path / "r.html"
    code, out, err = _simulate("--report", str(report))
    assert code == 0, out + err
    assert "run on the router-driven engine (not compiled: widening steps)" in report.read_text()
