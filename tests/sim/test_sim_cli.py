"""``ccrouter simulate``: summary table, report with embedded plots, field-naming errors."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ccrouter.cli import main

BANK = Path(__file__).resolve().parents[2] / "simulations" / "bank_line.toml"


def test_simulate_prints_a_table_and_writes_a_report(tmp_path: Path) -> None:
    report = tmp_path / "r.html"
    args = ["simulate", str(BANK), "-n", "2", "--seed", "4", "--quiet", "--report", str(report)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "2 replications" in result.output and "service level" in result.output
    # service level, ASA, abandon rate, queue length, occupancy, waits
    assert report.read_text().count("data:image/png;base64,") == 6


def test_simulate_names_the_bad_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(BANK.read_text().replace("mean = 200, sd = 120", "mean = -200, sd = 120"))
    result = CliRunner().invoke(main, ["simulate", str(bad), "-n", "2", "--quiet"])
    assert result.exit_code != 0
    assert "$.call_types[0].handle.mean" in result.output
