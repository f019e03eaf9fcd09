"""ccrouter.staffing.tables: forecast reading and validation, staffing tables, CSV and PNG
export."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from ccrouter.errors import InvalidArgument
from ccrouter.staffing import erlang
from ccrouter.staffing.tables import (
    ForecastRow,
    infer_interval,
    read_forecast,
    scheduled_agents,
    staffing_table,
)

SAMPLE = Path(__file__).resolve().parents[2] / "simulations" / "forecast_sample.csv"


def write(tmp_path: Path, text: str, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_the_sample_forecast() -> None:
    rows = read_forecast(SAMPLE)
    assert len(rows) == 28
    assert rows[0] == ForecastRow("07:00", 43.0, 255.0)
    assert infer_interval([r.interval_start for r in rows]) == 1800.0


def test_header_aliases_extra_columns_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(
        "\ufeffStart ; x\n".replace(" ; x", ",Note,Volume, Handle Time").encode()
        + b"08:00,hi,10,200\n\n08:15,,12.5,210\n"
    )
    rows = read_forecast(path)
    assert rows == [ForecastRow("08:00", 10.0, 200.0), ForecastRow("08:15", 12.5, 210.0)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("interval_start,calls\n08:00,10\n", "line 1 (header): missing column 'aht'"),
        (
            "interval_start,calls,aht\n08:00,10,200\n08:30,-5,200\n",
            "row 2 (line 3), column 'calls'",
        ),
        (
            "interval_start,calls,aht\n08:00,ten,200\n",
            "row 1 (line 2), column 'calls': expected a number >= 0, got 'ten'",
        ),
        (
            "interval_start,calls,aht\n08:00,10,0\n",
            "row 1 (line 2), column 'aht': expected a number > 0",
        ),
        ("interval_start,calls,aht\n08:00,10,nan\n", "column 'aht'"),
        ("interval_start,calls,aht\n08:00,10,inf\n", "column 'aht'"),
        ("interval_start,calls,aht\n08:00,10\n", "row 1 (line 2), column 'aht': missing value"),
        ("interval_start,calls,aht\n,10,200\n", "column 'interval_start': empty"),
        ("", "empty file"),
        ("interval_start,calls,aht\n", "no rows after the header"),
        ('interval_start,calls,aht\n"08:00,10,200\n', "not a valid CSV file"),
    ],
)
def test_bad_files_name_the_row_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InvalidArgument) as info:
        read_forecast(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="cannot read the forecast"):
        read_forecast(tmp_path / "missing.csv")
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    with pytest.raises(InvalidArgument, match=r"cannot read the forecast|not a CSV"):
        read_forecast(binary)
    nul = tmp_path / "n.csv"
    nul.write_bytes(b"interval_start,calls,aht\n08:00,1\x00,2\n")
    with pytest.raises(InvalidArgument, match="NUL"):
        read_forecast(nul)


def test_rows_input_and_its_errors() -> None:
    rows = read_forecast([("a", 1, 2), {"interval_start": "b", "calls": "3", "aht": 4.0}])
    assert rows == [ForecastRow("a", 1.0, 2.0), ForecastRow("b", 3.0, 4.0)]
    with pytest.raises(InvalidArgument, match="row 2, column 'aht': missing"):
        read_forecast([("a", 1, 2), {"interval_start": "b", "calls": 3}])
    with pytest.raises(InvalidArgument, match="row 1: expected"):
        read_forecast(["08:00,1,2"])
    with pytest.raises(InvalidArgument, match="row 1, column 'calls'"):
        read_forecast([("a", None, 2)])
    with pytest.raises(InvalidArgument, match="empty"):
        read_forecast([])


def test_infer_interval() -> None:
    assert infer_interval(["08:00", "08:15", "08:30"]) == 900.0
    assert infer_interval(["2024-03-04T23:30", "2024-03-05T00:00"]) == 1800.0
    assert infer_interval(["2024-03-04 08:00+01:00", "2024-03-04 08:30+01:00"]) == 1800.0
    # Gaps (lunch closed, next day) do not matter: the smallest step wins.
    assert infer_interval(["08:00", "08:30", "13:00", "13:30", "08:00"]) == 1800.0
    assert infer_interval(["08:00"]) is None
    assert infer_interval(["mon", "tue"]) is None


def test_scheduled_agents_is_exact() -> None:
    agents = np.arange(0, 400)
    for shrink in (0.0, 0.1, 0.25, 0.3, 0.35, 0.5, 0.9):
        got = scheduled_agents(agents, shrink)
        # Brute force with exact rational arithmetic on the decimal shrinkage.
        keep_num = round((1 - shrink) * 100)
        want = [next(s for s in range(10_000) if s * keep_num >= a * 100) for a in agents]
        assert got.tolist() == want, shrink


def test_erlang_c_table_matches_the_solver() -> None:
    table = staffing_table(SAMPLE, level=0.8, target=20, shrinkage=0.3, max_occupancy=0.88)
    assert table.method == "erlang_c" and table.interval == 1800.0 and len(table) == 28
    traffic = table.calls * table.aht / 1800
    assert np.allclose(table.traffic, traffic, rtol=1e-15)
    want = erlang.agents_for_service_level(traffic, table.aht, 20, 0.8, max_occupancy=0.88)
    assert table.agents.tolist() == want.tolist()
    assert table.scheduled.tolist() == scheduled_agents(want, 0.3).tolist()
    assert np.all(table.service_level >= 0.8) and np.all(table.occupancy <= 0.88)
    assert (
        table.service_level.tolist() == erlang.service_level(traffic, want, table.aht, 20).tolist()
    )
    assert table.asa.tolist() == erlang.average_speed_of_answer(traffic, want, table.aht).tolist()
    assert table.abandon is None and "abandon" not in table.columns
    # Peak at 10:30 (402 calls of 273 s): 60.97 erlangs need 68 agents for 80/20, but 70 to
    # stay under 88 % occupancy; 100 scheduled at 30 % shrinkage.
    peak = table.interval_start.index("10:30")
    assert (table.agents[peak], table.scheduled[peak]) == (70, 100)


def test_asa_goal_and_explicit_interval() -> None:
    rows = [("a", 100, 300), ("b", 0, 300), ("c", 1000, 200)]
    table = staffing_table(rows, asa=15, interval=900)
    traffic = np.array([100 * 300, 0, 1000 * 200]) / 900
    assert (
        table.agents.tolist()
        == erlang.agents_for_asa(traffic, np.array([300, 300, 200]), 15).tolist()
    )
    assert table.agents[1] == 0 and table.service_level[1] == 1.0
    assert np.all(table.asa <= 15)
    assert table.targets["asa"] == 15


def test_erlang_a_table() -> None:
    table = staffing_table(SAMPLE, level=0.8, target=20, patience=90, max_abandon=0.03)
    traffic = table.calls * table.aht / 1800
    want = erlang.agents_for_erlang_a(traffic, table.aht, 90, 20, 0.8, max_abandon=0.03)
    assert table.method == "erlang_a"
    assert table.agents.tolist() == want.tolist()
    assert table.abandon is not None and np.all(table.abandon <= 0.03)
    assert np.all(table.service_level >= 0.8)
    check = erlang.erlang_a(traffic, want, table.aht, 90, 20)
    assert table.abandon.tolist() == check.p_abandon.tolist()
    assert "abandon" in table.columns
    # Abandonment only: fewer agents than with the service-level goal as well.
    loose = staffing_table(SAMPLE, patience=90, max_abandon=0.1)
    assert np.all(loose.agents <= table.agents) and np.all(loose.abandon <= 0.1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one goal"),
        ({"level": 0.8, "asa": 10}, "exactly one goal"),
        ({"level": 0.8, "max_abandon": 0.05}, "max_abandon needs patience"),
        ({"asa": 10, "patience": 60}, "ASA goal is for Erlang C"),
        ({"patience": 60}, "Erlang A needs"),
        ({"level": 1.0}, "level must be in"),
        ({"level": 0.8, "shrinkage": 1.0}, "shrinkage must be in"),
        ({"level": 0.8, "max_occupancy": 0.0}, "max_occupancy"),
        ({"level": 0.8, "interval": 0.0}, "interval must be"),
    ],
)
def test_goal_validation(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        staffing_table([("08:00", 10, 200), ("08:30", 10, 200)], **kwargs)


def test_interval_that_cannot_be_inferred() -> None:
    with pytest.raises(InvalidArgument, match="cannot infer the interval"):
        staffing_table([("mon", 10, 200)], level=0.8)
    assert len(staffing_table([("mon", 10, 200)], level=0.8, interval=1800)) == 1


def test_csv_export_round_trips(tmp_path: Path) -> None:
    table = staffing_table(SAMPLE, level=0.8, patience=90)
    out = tmp_path / "staff.csv"
    table.to_csv(out)
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == table.columns
    assert len(rows) == len(table)
    for row, want in zip(rows, table.rows(), strict=True):
        assert row["interval_start"] == want["interval_start"]
        assert int(row["agents"]) == want["agents"] and int(row["scheduled"]) == want["scheduled"]
        for name in ("traffic", "service_level", "asa", "occupancy", "abandon"):
            assert float(row[name]) == pytest.approx(want[name], rel=1e-5, abs=1e-9)
    buffer = io.StringIO()
    table.to_csv(buffer)
    assert buffer.getvalue() == out.read_text()
    json.dumps(table.rows())  # plain Python scalars


def test_text_format_and_totals() -> None:
    table = staffing_table(SAMPLE, level=0.8, shrinkage=0.3)
    text = table.format()
    lines = text.splitlines()
    assert lines[0].split()[:5] == ["start", "calls", "aht", "erlangs", "agents"]
    assert len(lines) == 28 + 2
    required, scheduled = table.agent_hours()
    assert required == table.agents.sum() / 2 and scheduled == table.scheduled.sum() / 2
    assert lines[-1] == f"agent-hours: {required:g} required, {scheduled:g} scheduled"


def test_to_pandas() -> None:
    frame = staffing_table(SAMPLE, level=0.8).to_pandas()
    assert list(frame.columns)[:5] == ["interval_start", "calls", "aht", "traffic", "agents"]
    assert len(frame) == 28


def test_plot_writes_a_png(tmp_path: Path) -> None:
    out = tmp_path / "staff.png"
    staffing_table(SAMPLE, level=0.8, shrinkage=0.3).plot(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000


def test_plot_without_matplotlib_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install 'ccrouter\[plot\]'"):
        staffing_table([("a", 10, 200)], level=0.8, interval=1800).plot(tmp_path / "x.png")
