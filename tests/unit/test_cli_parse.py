"""One parser each for durations, fractions and service-level targets, used by every command.

Each command is driven through click's CliRunner with the accepted forms (they reach the
command as the same value) and with refused forms (a usage error naming the option, exit
status 2, no traceback). The simulations behind ``simulate`` and ``staff-search`` are replaced
by a recorder: what is tested is the parsing, not the search.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import ccrouter.cli.search
import ccrouter.cli.simulate
from ccrouter import Router
from ccrouter.cli import main
from ccrouter.cli.parse import parse_duration, parse_fraction, parse_service_level
from ccrouter.errors import CCRouterError, InvalidArgument
from ccrouter.log import FileEventLog

ROOT = Path(__file__).resolve().parents[2]
LOG = ROOT / "tests" / "golden" / "v5" / "events.jsonl"
BANK = ROOT / "simulations" / "bank_line.toml"

SERVICE_LEVELS = ["0.8/20", "80/20", "80%/20s", " 80 % / 20 s ", "0.8/20s"]
FRACTIONS = [("0.05", 0.05), ("5%", 0.05), ("5", 0.05), (".05", 0.05)]
DURATIONS = [("90", 90.0), ("90s", 90.0), ("1.5m", 90.0), ("1h", 3600.0), ("15min", 900.0)]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def refused(result: Result, option: str) -> None:
    """A clear usage error: exit 2, the option named, no traceback."""
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, CCRouterError | ValueError)


# --- the parsers --------------------------------------------------------------------------


@pytest.mark.parametrize("text", SERVICE_LEVELS)
def test_every_service_level_form_reads_the_same(text: str) -> None:
    assert parse_service_level(text) == (0.8, 20.0)


def test_service_level_time_takes_a_unit() -> None:
    assert parse_service_level("90/1m") == (0.9, 60.0)


@pytest.mark.parametrize("text", ["80", "eighty/20", "80/", "/20", "80/20/5", "80/-5", "80/x"])
def test_service_level_syntax_refused(text: str) -> None:
    with pytest.raises(InvalidArgument, match="LEVEL/SECONDS"):
        parse_service_level(text)


@pytest.mark.parametrize("text", ["0/20", "100/20", "1/20", "150/20", "0%/20"])
def test_service_level_out_of_range_refused(text: str) -> None:
    with pytest.raises(InvalidArgument, match="percentage"):
        parse_service_level(text)


@pytest.mark.parametrize(("text", "value"), [*FRACTIONS, ("0", 0.0), ("1", 1.0), ("100%", 1.0)])
def test_fraction_forms(text: str, value: float) -> None:
    assert parse_fraction(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "-0.1", "101", "150%", "half", "5 %%"])
def test_fraction_refused(text: str) -> None:
    with pytest.raises(InvalidArgument, match="fraction"):
        parse_fraction(text)


@pytest.mark.parametrize(("text", "seconds"), DURATIONS)
def test_duration_forms(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_the_old_names_are_the_one_parser() -> None:
    from ccrouter.cli.report import parse_duration as report_duration
    from ccrouter.cli.search import parse_target_sl
    from ccrouter.cli.staffing import parse_fraction as staffing_fraction
    from ccrouter.cli.staffing import parse_sl

    assert parse_sl is parse_target_sl is parse_service_level
    assert staffing_fraction is parse_fraction and report_duration is parse_duration


# --- erlang and staff: --sl, fractions and durations ----------------------------------------


@pytest.mark.parametrize("sl", SERVICE_LEVELS)
def test_erlang_accepts_every_service_level_form(sl: str) -> None:
    result = run("erlang", "--calls", "300", "--aht", "240", "--sl", sl)
    assert result.exit_code == 0, result.output
    assert "goal: 80% answered within 20 s" in result.output


def test_staff_accepts_the_search_syntax(tmp_path: Path) -> None:
    # Before: `staff --sl 0.8/20` was refused while `staff-search --sl 0.8/20` was accepted.
    forecast = tmp_path / "f.csv"
    forecast.write_text("interval_start,calls,aht\n0,100,240\n1800,200,240\n")
    outputs = {
        run("staff", str(forecast), "--sl", sl, "--shrinkage", shrink).output
        for sl in ("0.8/20", "80/20", "80%/20s")
        for shrink in ("0.3", "30%", "30")
    }
    assert len(outputs) == 1
    assert "Traceback" not in outputs.pop()


@pytest.mark.parametrize(("text", "value"), FRACTIONS)
def test_erlang_fraction_forms(text: str, value: float) -> None:
    args = ["erlang", "--calls", "300", "--aht", "240", "--sl", "80/20", "--erlang-a"]
    result = run(*args, "--patience", "90", "--max-abandon", text)
    assert result.exit_code == 0, result.output
    assert f"abandonment <= {value:.1%}" in result.output


@pytest.mark.parametrize(("text", "seconds"), DURATIONS)
def test_erlang_duration_forms(text: str, seconds: float) -> None:
    result = run("erlang", "--calls", "300", "--aht", "240", "--sl", "80/20", "--interval", text)
    assert result.exit_code == 0, result.output
    assert f"/ {seconds:g} s =" in result.output


@pytest.mark.parametrize(
    ("option", "value"),
    [("--sl", "80"), ("--sl", "100/20"), ("--max-occupancy", "120%"), ("--shrinkage", "-1"),
     ("--asa", "soon"), ("--interval", "1e3"), ("--aht", "4 minutes")],
)  # fmt: skip
def test_erlang_refusals_are_usage_errors(option: str, value: str) -> None:
    args = ["--calls", "300", "--aht", "240"]
    if option not in ("--sl", "--asa"):
        args += ["--sl", "80/20"]
    refused(run("erlang", *args, option, value), option)


def test_staff_refusal_is_a_usage_error(tmp_path: Path) -> None:
    forecast = tmp_path / "f.csv"
    forecast.write_text("interval_start,calls,aht\n0,100,240\n")
    refused(run("staff", str(forecast), "--sl", "80%"), "--sl")


# --- staff-search and simulate (the simulation replaced by a recorder) -----------------------


class _Stop(CCRouterError):
    pass


@pytest.fixture
def searched(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def record(model: Any, targets: Any, **kwargs: Any) -> Any:
        seen["targets"] = targets
        raise _Stop("recorded")

    monkeypatch.setattr(ccrouter.cli.search, "staff_search", record)
    return seen


@pytest.mark.parametrize("sl", SERVICE_LEVELS)
@pytest.mark.parametrize(("cap", "value"), FRACTIONS[:3])
def test_staff_search_forms(searched: dict[str, Any], sl: str, cap: str, value: float) -> None:
    result = run("staff-search", str(BANK), "--sl", sl, "--max-abandon", cap, "--quiet")
    assert result.exit_code == 1 and "recorded" in result.output
    for target in searched["targets"].values():
        assert (target.service_level, target.threshold) == (0.8, 20.0)
        assert target.max_abandon == pytest.approx(value)


@pytest.mark.parametrize(("option", "value"), [("--sl", "80"), ("--max-abandon", "200")])
def test_staff_search_refusals(searched: dict[str, Any], option: str, value: str) -> None:
    refused(run("staff-search", str(BANK), option, value, "--quiet"), option)
    assert not searched


@pytest.mark.parametrize(("text", "seconds"), DURATIONS)
def test_simulate_warmup_forms(monkeypatch: pytest.MonkeyPatch, text: str, seconds: float) -> None:
    seen = {}

    def record(model: Any, replications: int, **kwargs: Any) -> Any:
        # The CLI sets the warm-up on the scenario (so --verify sees it too), not as an argument.
        seen["warmup"] = kwargs["warmup"] if kwargs.get("warmup") is not None else model.warmup
        raise _Stop("recorded")

    monkeypatch.setattr(ccrouter.cli.simulate, "simulate", record)
    result = run("simulate", str(BANK), "--warmup", text, "--quiet")
    # simulate reports a ccrouter error as a usage-style message (exit 1), so look at the output.
    assert "recorded" in result.output
    assert seen == {"warmup": seconds}


def test_simulate_warmup_refused() -> None:
    refused(run("simulate", str(BANK), "--warmup", "a while"), "--warmup")


# --- report and whatif: durations ------------------------------------------------------------


def test_report_duration_forms_agree() -> None:
    outputs = {
        run("report", str(LOG), "--interval", i, "--threshold", t).output
        for i in ("900", "900s", "15m", "15min", "0.25h")
        for t in ("20", "20s")
    }
    assert len(outputs) == 1


@pytest.mark.parametrize("option", ["--interval", "--threshold"])
def test_report_refusals(option: str) -> None:
    refused(run("report", str(LOG), option, "15 minutes"), option)


def test_whatif_threshold_forms_agree(tmp_path: Path) -> None:
    log = tmp_path / "events.log"
    with FileEventLog(log, durability="none") as store:
        r = Router(log=store, backend="python")
        r.login("ann", skills={"en": 1}, at=0)
        r.ready("ann", at=0)
        r.submit("c1", channel="voice", skills={"en": 1}, at=2)
        r.accept("c1", at=30)
    skilled = tmp_path / "skilled.toml"
    skilled.write_text('[queues.default]\nstrategy = "most_skilled"\n')
    results = [
        run("whatif", str(log), "--config", str(skilled), "--threshold", t)
        for t in ("30", "30s", "0.5m")
    ]
    assert {r.exit_code for r in results} == {0}
    assert len({r.output for r in results}) == 1 and "SL (30 s)" in results[0].output
    refused(run("whatif", str(log), "--config", str(skilled), "-t", "soon"), "--threshold")


# --- help texts say the accepted forms ---------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "forms"),
    [
        ("erlang", ["0.8/20, 80/20 or 80%/20s", "0.8, 80% or 80", "15m, 1h"]),
        ("staff", ["0.8/20, 80/20 or 80%/20s", "0.8, 80% or 80", "15m, 1h"]),
        ("staff-search", ["0.8/20, 80/20 or 80%/20s", "0.8, 80% or 80"]),
        ("simulate", ["15m, 1h"]),
        ("report", ["15m, 1h"]),
        ("whatif", ["15m, 1h"]),
    ],
)
def test_help_says_the_accepted_forms(command: str, forms: list[str]) -> None:
    text = " ".join(run(command, "--help").output.split())
    for form in forms:
        assert form in text, (command, form)
