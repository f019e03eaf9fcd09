"""``ccrouter report`` and the export helpers (CSV, records, DataFrame)."""

from __future__ import annotations

import csv
import doctest
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

import ccrouter.cli.report
import ccrouter.stats.export
from ccrouter.cli import main
from ccrouter.cli.report import parse_duration
from ccrouter.errors import InvalidArgument
from ccrouter.events import encode_json, encode_json_many
from ccrouter.log import FileEventLog, SQLiteEventLog
from ccrouter.stats import agent_report, interval_report, to_csv, to_dataframe, to_records
from ccrouter.stats.export import columns, to_csv_text
from statstools import scenario


def _jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"".join(encode_json(e) + b"\n" for e in scenario()))
    return path


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_doctests() -> None:
    for module in (ccrouter.cli.report, ccrouter.stats.export):
        assert doctest.testmod(module).failed == 0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("900", 900.0), ("900s", 900.0), ("15m", 900.0), ("15min", 900.0), ("1h", 3600.0),
     ("1.5h", 5400.0), ("1d", 86400.0), (" 30 s ", 30.0), (".5m", 30.0)],
)  # fmt: skip
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "15x", "-5m", "m", "1e3"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


def test_report_table_from_json_lines(tmp_path: Path) -> None:
    out = _run("report", str(_jsonl(tmp_path)), "--interval", "15m", "--end", "1800")
    lines = out.splitlines()
    assert lines[0].startswith("Interval report of events.jsonl: 15 min intervals")
    assert lines[1].split() == [
        "Interval", "Queue", "Channel", "Offered", "Answered", "Abandoned", "Waiting", "SL",
        "ASA", "AHT", "Handled", "Occupancy",
    ]  # fmt: skip
    # sales/voice, first interval: 3 offered, 2 answered, SL 1/3, ASA 162.5 s, AHT 315 s.
    assert lines[3].split() == [
        "00:00", "sales", "voice", "3", "2", "1", "0", "33.3%", "2:42", "5:15", "2", "65.8%",
    ]  # fmt: skip
    assert lines[6].split()[:8] == ["00:15", "support", "chat", "0", "0", "0", "0", "-"]
    assert len(lines) == 7


def test_report_csv_has_every_metric(tmp_path: Path) -> None:
    out_csv = tmp_path / "out.csv"
    out = _run("report", str(_jsonl(tmp_path)), "-i", "900", "--end", "1800", "--csv", str(out_csv))
    assert f"wrote 4 rows to {out_csv}" in out
    with out_csv.open() as f:
        records = list(csv.DictReader(f))
    assert list(records[0]) == list(ccrouter.stats.IntervalRow.__struct_fields__)
    first = records[0]
    assert (first["queue"], first["offered"], first["aht"], first["agent_id"]) == (
        "sales",
        "3",
        "315.0",
        "",
    )
    assert float(first["service_level"]) == pytest.approx(1 / 3)
    assert records[3]["service_level"] == ""  # no arrival: no service level


def test_report_by_agent_and_total(tmp_path: Path) -> None:
    log = str(_jsonl(tmp_path))
    lines = _run("report", log, "--by", "agent", "--end", "1800").splitlines()
    assert lines[1].split()[:6] == ["Interval", "Agent", "Offers", "Answered", "Declined", "Missed"]
    assert [ln.split()[1] for ln in lines[3:]] == ["ann", "bob", "carl", "ann", "carl"]
    lines = _run("report", log, "--by", "total", "-i", "1h").splitlines()
    assert lines[3].split()[:6] == ["00:00", "7", "3", "3", "1", "28.6%"]


def test_report_agents(tmp_path: Path) -> None:
    lines = _run("report", str(_jsonl(tmp_path)), "--agents").splitlines()
    assert lines[0] == "Agent report of events.jsonl"
    # carl: logged in 800-1030, 1 handled with AHT 125 s.
    assert lines[5].split() == [
        "carl", "3:50", "1:25", "0:00", "0:20", "1:35", "0:30", "2", "1", "2:05", "0", "0",
        "63.0%",
    ]  # fmt: skip


def test_report_reads_the_log_stores(tmp_path: Path) -> None:
    expected = _run("report", str(_jsonl(tmp_path))).splitlines()[1:]
    with FileEventLog(tmp_path / "events.log", durability="none") as log:
        log.append(scenario())
    assert _run("report", str(tmp_path / "events.log")).splitlines()[1:] == expected
    with SQLiteEventLog(tmp_path / "events.db", durability="none") as db:
        db.append(scenario())
    assert _run("report", str(tmp_path / "events.db")).splitlines()[1:] == expected
    (tmp_path / "events.json").write_bytes(encode_json_many(scenario()))
    assert _run("report", str(tmp_path / "events.json")).splitlines()[1:] == expected


def test_report_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    result = CliRunner().invoke(main, ["report", str(bad)])
    assert result.exit_code == 1
    assert "is not an event log" in result.output
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(encode_json(scenario()[0]) + b'\n{"type": "nope"}\n')
    result = CliRunner().invoke(main, ["report", str(broken)])
    assert result.exit_code == 1
    assert "broken.jsonl:2:" in result.output
    result = CliRunner().invoke(
        main, ["report", str(_jsonl(tmp_path)), "--start", "9", "--end", "1"]
    )
    assert result.exit_code == 1
    assert "before start" in result.output


def test_report_empty_window(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert "(no events in the window)" in _run("report", str(empty))
    assert "(no agent activity in the window)" in _run("report", str(empty), "--agents")


# --- export ---------------------------------------------------------------------------------


def test_records_flatten_reason_columns() -> None:
    rows = agent_report(scenario(), end=1800)
    cols = columns(rows)
    assert cols[3:7] == [
        "not_ready_time",
        "not_ready_by_reason.break",
        "not_ready_by_reason.no_answer",
        "not_ready_by_reason.unspecified",
    ]
    records = to_records(rows)
    assert [r["not_ready_by_reason.no_answer"] for r in records] == [0.0, 1690.0, 0.0]
    assert all(list(r) == cols for r in records)


def test_csv_round_trip() -> None:
    rows = interval_report(scenario(), 900, end=1800)
    buf = io.StringIO()
    to_csv(rows, buf)
    assert buf.getvalue() == to_csv_text(rows)
    back = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert [float(r["staffed_time"]) for r in back] == [r.staffed_time for r in rows]
    assert [r["asa"] for r in back] == ["162.5", "15.0", "", ""]


def test_export_rejects_mixed_rows() -> None:
    mixed = [*interval_report(scenario()), *agent_report(scenario())]
    with pytest.raises(InvalidArgument):
        to_records(mixed)
    with pytest.raises(InvalidArgument):
        to_records([{"a": 1}])
    assert to_records([]) == []
    assert to_csv_text([]) == "\n"


def test_dataframe() -> None:
    pytest.importorskip("pandas")
    rows = interval_report(scenario(), 900, end=1800)
    df = to_dataframe(rows)
    assert list(df.columns) == list(ccrouter.stats.IntervalRow.__struct_fields__)
    assert df["offered"].tolist() == [3, 2, 2, 0]
    assert df["service_level"].isna().tolist() == [False, False, False, True]
    agents = to_dataframe(agent_report(scenario(), end=1800))
    assert agents.set_index("agent_id").loc["ann", "not_ready_by_reason.break"] == 795.0
