"""The command-line fixes of the report issue, each through the CLI: --report without
matplotlib refused before simulating, --warmup 15m, staff --sl 0.8/20, --export, the notes of
a short run, --sl-definition printed, progress that does not flood a log, tables that fit."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import ccrouter.cli.simulate as simulate_cli
from ccrouter.cli import main
from ccrouter.cli.progress import ProgressReporter
from ccrouter.cli.search import _progress
from ccrouter.cli.text import table_lines

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "simulations" / "bank_line.toml"
FORECAST = ROOT / "simulations" / "forecast_sample.csv"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_report_without_matplotlib_is_refused_before_simulating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError

    def no_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("simulated although the report could not be written")

    monkeypatch.setattr(simulate_cli, "simulate", no_run)
    code, out, err = _run("simulate", str(BANK), "-n", "2", "--report", str(tmp_path / "r.html"))
    assert code == 2
    assert "matplotlib" in err and "pip install 'ccrouter[plot]'" in err
    assert "Traceback" not in out + err
    assert not (tmp_path / "r.html").exists()


def test_warmup_takes_a_unit() -> None:
    _, minutes, _ = _run("simulate", str(BANK), "-n", "2", "--quiet", "--warmup", "15m")
    _, seconds, _ = _run("simulate", str(BANK), "-n", "2", "--quiet", "--warmup", "900")

    def figures(out: str) -> list[str]:  # without the timing line
        return [line for line in out.splitlines() if not line.startswith("engine:")]

    assert "customers" in minutes and figures(minutes) == figures(seconds)
    _, none, _ = _run("simulate", str(BANK), "-n", "2", "--quiet")
    assert figures(none) != figures(seconds)  # the warm-up did change the figures


def test_staff_takes_the_service_level_as_staff_search_does() -> None:
    outs = {_run("staff", str(FORECAST), "--sl", sl) for sl in ("0.8/20", "80/20", "80%/20s")}
    assert len(outs) == 1
    code, out, _ = outs.pop()
    assert code == 0 and "agents" in out


@pytest.mark.parametrize("suffix", ["json", "csv"])
def test_simulate_exports_every_metric(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"bank.{suffix}"
    code, text, _ = _run("simulate", str(BANK), "-n", "3", "--quiet", "--export", str(out))
    assert code == 0 and f"wrote {out}" in text
    body = out.read_text()
    if suffix == "json":
        rows = json.loads(body)["rows"]
        assert {r["metric"] for r in rows} >= {"service_level", "asa", "queue_length", "aht"}
        assert {r["interval"] for r in rows if r["section"] == "per_interval"} == set(range(16))
    else:
        assert body.splitlines()[0].startswith("section,scope,metric,interval,start,end,mean,")


def test_a_bad_export_path_is_refused_before_simulating(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(simulate_cli, "simulate", None)  # would fail loudly if reached
    code, _, err = _run("simulate", str(BANK), "--export", "out.xlsx")
    assert code == 2 and ".json or .csv" in err


def test_a_short_run_says_its_intervals_are_unreliable() -> None:
    code, out, _ = _run("simulate", str(BANK), "-n", "2", "--quiet")
    assert code == 0
    assert "note: only 2 replications" in out and "unreliable" in out
    assert "clipped" in out
    # Clipped intervals read "mean (low–high)": no negative end, no share above 100 %.
    for low_high in re.findall(r"\(([-\d.]+)–([-\d.]+)\)( %)?", out):
        low, high, share = float(low_high[0]), float(low_high[1]), low_high[2]
        assert 0.0 <= low <= high and (not share or high <= 100.0), out


def test_the_service_level_definition_is_chosen_and_printed() -> None:
    _, offered, _ = _run("simulate", str(BANK), "-n", "2", "--quiet")
    _, answered, _ = _run(
        "simulate", str(BANK), "-n", "2", "--quiet", "--sl-definition", "answered"
    )
    assert "service level = answered within 20 s / all arrivals" in offered
    assert "service level = answered within 20 s / answered interactions" in answered
    rows = [[line for line in out.splitlines() if line.startswith("all ")] for out in
            (offered, answered)]  # fmt: skip
    assert rows[0] != rows[1]


def test_simulate_progress_in_a_log_is_one_line() -> None:
    code, _, err = _run("simulate", str(BANK), "-n", "4")
    assert code == 0
    assert "\r" not in err
    assert [line for line in err.splitlines() if "replications" in line] == [
        "replications: 4/4 done"
    ]


def test_staff_search_progress_does_not_flood_a_log(capsys: pytest.CaptureFixture[str]) -> None:
    """The helper another command reuses: the library's (label, done, total) shape; in a log,
    one line per finished label and no carriage returns."""
    show = _progress(False)
    assert show is not None and _progress(True) is None
    for label in ("erlang start", "candidate 2"):
        for done in range(31):
            show(label, done, 30)
    err = capsys.readouterr().err
    assert "\r" not in err
    assert err.splitlines() == ["erlang start: 30/30 done", "candidate 2: 30/30 done"]


def test_a_live_bar_is_drawn_on_a_terminal() -> None:
    import io

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    with ProgressReporter(file=out) as show:
        for done in range(11):
            show("replications", done, 10)
    assert "replications" in out.getvalue() and "10/10" in out.getvalue()


def test_tables_fit_the_width_they_are_given() -> None:
    header = ["scope", *(f"metric {i}" for i in range(10))]
    rows = [["all", *("79.2 (73.4–100.0) %" for _ in range(10))]]
    natural = table_lines(header, rows)
    assert len(natural) == 3 and max(map(len, natural)) > 200  # a log keeps one line per row
    fitted = table_lines(header, rows, width=180)
    assert len(fitted) > 3 and max(map(len, fitted)) <= 180  # cells wrap at spaces to fit
    words = {w for line in fitted for w in line.split()}
    assert "(73.4–100.0)" in words and "metric" in words  # no number or word broken
    # Too narrow for even the longest words: whole lines (the terminal wraps), nothing cut.
    assert table_lines(header, rows, width=60) == natural
