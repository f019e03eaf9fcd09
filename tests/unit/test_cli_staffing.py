"""``ccrouter erlang`` and ``ccrouter staff`` through click's runner."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ccrouter.cli import main
from ccrouter.cli.staffing import parse_fraction, parse_sl
from ccrouter.staffing import erlang

SAMPLE = Path(__file__).resolve().parents[2] / "simulations" / "forecast_sample.csv"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def table_rows(output: str) -> dict[int, list[str]]:
    rows = {}
    for line in output.splitlines():
        cells = line.split()
        if cells and cells[0].isdigit():
            rows[int(cells[0])] = cells[1:]
    return rows


def test_erlang_prints_the_table_around_the_answer() -> None:
    result = run("erlang", "--calls", "300", "--interval", "1800", "--aht", "240", "--sl", "80/20")
    assert result.exit_code == 0, result.output
    assert "40.00 erlangs" in result.output
    rows = table_rows(result.output)
    assert sorted(rows) == list(range(42, 51))
    assert rows[46][-2:] == ["<-", "required"]
    assert rows[46][:3] == ["83.9%", "10.6", "87.0%"]
    assert rows[45][0] == "77.5%"  # one fewer misses the goal
    assert "required: 46 agents" in result.output


def test_erlang_with_shrinkage_occupancy_and_asa() -> None:
    out = run(
        "erlang", "--calls", "300", "--aht", "240", "--sl", "80/20", "--shrinkage", "30%"
    ).output
    assert "required: 46 agents; scheduled with 30% shrinkage: 66" in out
    out = run(
        "erlang", "--traffic", "40", "--aht", "240", "--sl", "80/20", "--max-occupancy", "0.85"
    ).output
    assert "required: 48 agents" in out
    out = run("erlang", "--traffic", "40", "--aht", "240", "--asa", "15").output
    assert f"required: {erlang.agents_for_asa(40.0, 240, 15)} agents" in out


def test_erlang_a_option() -> None:
    result = run(
        "erlang",
        "--traffic",
        "40",
        "--aht",
        "240",
        "--sl",
        "80/20",
        "--erlang-a",
        "--patience",
        "90",
    )
    assert result.exit_code == 0, result.output
    assert "Erlang A, patience 90 s" in result.output and "abandon" in result.output
    assert f"required: {erlang.agents_for_erlang_a(40.0, 240, 90, 20, 0.8)} agents" in result.output
    capped = run(
        "erlang", "--traffic", "40", "--aht", "240", "--erlang-a", "--patience", "90",
        "--max-abandon", "2%",
    )  # fmt: skip
    want = erlang.agents_for_erlang_a(40.0, 240, 90, 20, 0.0, max_abandon=0.02)
    assert f"required: {want} agents" in capped.output


def test_tiny_and_zero_traffic() -> None:
    out = run("erlang", "--traffic", "0", "--aht", "240", "--sl", "80/20").output
    assert "required: 0 agents" in out
    out = run("erlang", "--calls", "1", "--aht", "100", "--sl", "80/20").output
    assert "required: 1 agents" in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--aht", "240", "--sl", "80/20"], "exactly one of --calls and --traffic"),
        (["--calls", "3", "--traffic", "3", "--aht", "240", "--sl", "80/20"], "exactly one of"),
        (["--calls", "3", "--aht", "240"], "exactly one goal"),
        (["--calls", "3", "--aht", "240", "--sl", "80/20", "--asa", "20"], "exactly one goal"),
        (["--calls", "3", "--aht", "240", "--sl", "eighty"], "LEVEL/SECONDS"),
        (["--calls", "3", "--aht", "240", "--sl", "100/20"], "percentage"),
        (["--calls", "3", "--aht", "240", "--sl", "80/20", "--shrinkage", "130%"], "fraction"),
        (["--calls", "3", "--aht", "240", "--sl", "80/20", "--patience", "60"], "need --erlang-a"),
        (["--calls", "3", "--aht", "240", "--sl", "80/20", "--erlang-a"], "needs --patience"),
        (["--calls", "3", "--aht", "240", "--sl", "80/20", "--interval", "soon"], "duration"),
    ],
)
def test_erlang_usage_errors(args: list[str], words: str) -> None:
    result = run("erlang", *args)
    assert result.exit_code == 2
    assert words in result.output


def test_erlang_bad_values_are_one_line_errors() -> None:
    result = run("erlang", "--calls", "-3", "--aht", "240", "--sl", "80/20")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: calls must be a finite number in [0, inf): calls got -3.0"
    ]
    result = run("erlang", "--calls", "3", "--aht", "0", "--sl", "80/20")
    assert result.exit_code == 1 and "aht" in result.output


def test_staff_sample_with_csv_and_plot(tmp_path: Path) -> None:
    out_csv, out_png = tmp_path / "s.csv", tmp_path / "s.png"
    result = run(
        "staff", str(SAMPLE), "--sl", "80/20", "--shrinkage", "0.3",
        "--csv", str(out_csv), "--plot", str(out_png),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[0] == "start" and lines[1].startswith("07:00")
    assert lines[-1] == f"wrote {out_png}" and lines[-2] == f"wrote {out_csv}"
    with out_csv.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 28
    peak = next(r for r in rows if r["interval_start"] == "10:30")
    assert (peak["agents"], peak["scheduled"]) == ("68", "98")
    assert out_png.read_bytes()[:4] == b"\x89PNG"


def test_staff_erlang_a() -> None:
    result = run(
        "staff", str(SAMPLE), "--sl", "80/20", "--erlang-a", "--patience", "90",
        "--max-abandon", "3%", "--interval", "30m",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].split()[-1] == "aband"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("interval_start,calls\n08:00,10\n", "line 1 (header): missing column 'aht'"),
        (
            "interval_start,calls,aht\n08:00,10,200\n08:30,-4,200\n",
            "row 2 (line 3), column 'calls'",
        ),
        ("interval_start,calls,aht\n08:00,10,two hundred\n", "row 1 (line 2), column 'aht'"),
        ("", "empty file"),
    ],
)
def test_staff_bad_forecast_is_a_one_line_error(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = run("staff", str(path), "--sl", "80/20")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert words in lines[0] and str(path) in lines[0]


def test_staff_unparsable_or_missing_file(tmp_path: Path) -> None:
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"\x00\x01\x02\xff")
    for path in (binary, tmp_path / "missing.csv"):
        result = run("staff", str(path), "--sl", "80/20")
        assert result.exit_code == 1
        assert len(result.output.strip().splitlines()) == 1 and str(path) in result.output


def test_help_is_readable() -> None:
    for command in ("erlang", "staff"):
        result = run(command, "--help")
        assert result.exit_code == 0
        assert "--sl PCT/SEC" in result.output and "--erlang-a" in result.output
    assert "erlang" in run("--help").output and "staff" in run("--help").output


def test_parsers() -> None:
    assert parse_sl("80/20") == (0.8, 20.0)
    assert parse_sl(" 95% / 10s ") == (0.95, 10.0)
    assert parse_fraction("85%") == 0.85 and parse_fraction(".3") == 0.3
    with pytest.raises(ValueError, match="percentage"):
        parse_sl("100/20")
    with pytest.raises(ValueError, match="fraction"):
        parse_fraction("150")
