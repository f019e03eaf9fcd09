"""From a forecast CSV to a scenario (``sim/forecast.py``), its TOML (``sim/scenario_toml.py``)
and ``ccrouter scenario`` (``cli/scenario.py``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from ccrouter.cli import main
from ccrouter.errors import InvalidArgument
from ccrouter.sim import (
    ForecastError,
    Lognormal,
    Scenario,
    ScenarioError,
    load_scenario,
    read_forecast,
    scenario_from_forecast,
    scenario_to_toml,
    simulate,
    write_scenario,
)

SIMULATIONS = Path(__file__).resolve().parents[2] / "simulations"
SAMPLE = SIMULATIONS / "forecast_sample.csv"

TWO_TYPES = """interval_start,call_type,calls,aht
07:00,voice,30,240
07:00,chat,10,400
07:30,voice,60,300
08:00,voice,45,270
08:00,chat,20,420
"""

TEMPLATE = """
name = "two channels"
[router.queues]
voice = {strategy = "longest_idle", wrap_up = 10}
chat = {strategy = "longest_idle"}
[[call_types]]
name = "voice"
queue = "voice"
arrivals = {kind = "poisson", rates_per_hour = [1]}
handle = {kind = "lognormal", mean = 200, sd = 100}
patience = {kind = "exponential", mean = 120}
[[call_types]]
name = "chat"
channel = "chat"
queue = "chat"
arrivals = {kind = "poisson", rates_per_hour = [1]}
handle = {kind = "exponential", mean = 300}
[call_types.self_service]
time = {kind = "exponential", mean = 40}
containment = 0.2
[[agent_groups]]
name = "team"
capacity = {voice = 1, chat = 2}
headcount = [5]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- reading ------------------------------------------------------------------------------


def test_reads_call_types_on_a_grid_and_fills_gaps(tmp_path: Path) -> None:
    f = read_forecast(write(tmp_path, "f.csv", TWO_TYPES))
    assert (f.origin, f.interval, f.n_intervals) == (7 * 3600.0, 1800.0, 3)
    assert f.calls == {"voice": [30.0, 60.0, 45.0], "chat": [10.0, 0.0, 20.0]}
    assert f.aht["voice"] == [240.0, 300.0, 270.0]
    # the gap gets the call type's volume-weighted mean AHT
    assert f.aht["chat"] == [400.0, pytest.approx((10 * 400 + 20 * 420) / 30), 420.0]


def test_seconds_and_clock_times_give_the_same_forecast(tmp_path: Path) -> None:
    clock = read_forecast(
        write(tmp_path, "a.csv", "start,calls,aht\n08:00,10,200\n08:15:00,20,210\n")
    )
    seconds = read_forecast(
        write(tmp_path, "b.csv", "start,calls,aht\n28800,10,200\n29700,20,210\n")
    )
    assert clock == seconds
    assert clock.interval == 900.0 and clock.calls == {"": [10.0, 20.0]}


def test_the_existing_single_type_sample_reads_with_a_name() -> None:
    f = read_forecast(SAMPLE, call_type="bank")
    assert list(f.calls) == ["bank"] and f.n_intervals == 28 and f.interval == 1800.0


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("interval_start,calls\n07:00,3\n", "line 1 (header): missing column 'aht'"),
        ("start,calls,aht\n07:00,3,200\n07:30,x,200\n", "row 2 (line 3), column 'calls'"),
        ("start,calls,aht\n07:00,3,-5\n", "row 1 (line 2), column 'aht': expected a number > 0"),
        ("start,calls,aht\n7h,3,200\n", "row 1 (line 2), column 'interval_start'"),
        ("start,calls,aht\n07:61,3,200\n", "column 'interval_start': not a clock time"),
        (
            "start,calls,aht\n07:00,3,200\n07:30,3,200\n07:45,3,200\n08:10,1,1\n",
            "row 4 (line 5), column 'interval_start'",
        ),
        (
            "start,type,calls,aht\n07:00,v,3,200\n07:00,v,4,200\n",
            "row 2 (line 3): call type v given twice",
        ),
        ("start,type,calls,aht\n07:00,,3,200\n", "row 1 (line 2), column 'call_type': empty"),
        ("start,calls,aht\n07:00,3\n", "row 1 (line 2), column 'aht': missing value"),
        ("start,calls,aht\n", "no rows after the header"),
        ("", "empty file"),
    ],
)
def test_bad_rows_name_the_row_and_column(tmp_path: Path, text: str, words: str) -> None:
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(ForecastError) as err:
        read_forecast(path)
    assert words in str(err.value)
    assert str(path) in str(err.value)
    assert isinstance(err.value, InvalidArgument) and isinstance(err.value, ValueError)


def test_rows_given_in_code() -> None:
    f = read_forecast(
        [{"interval_start": 0, "calls": 5, "aht": 100}, ("1800", 7, 120)], call_type="c"
    )
    assert f.calls == {"c": [5.0, 7.0]} and f.aht == {"c": [100.0, 120.0]}
    with pytest.raises(ForecastError, match=r"rows: row 2, column 'calls'"):
        read_forecast([("0", 5, 100), ("1800", "many", 120)])


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ForecastError, match="cannot read the forecast"):
        read_forecast(tmp_path / "missing.csv")


# --- building -----------------------------------------------------------------------------


def test_scenario_takes_the_templates_settings_and_the_forecasts_demand(tmp_path: Path) -> None:
    template = write(tmp_path, "t.toml", TEMPLATE)
    s = scenario_from_forecast(read_forecast(write(tmp_path, "f.csv", TWO_TYPES)), template)
    assert (s.horizon, s.interval, s.n_intervals, s.name) == (5400.0, 1800.0, 3, "two channels")
    voice, chat = s.call_types
    assert voice.arrivals.rates_per_hour == [60.0, 120.0, 90.0]  # type: ignore[union-attr]
    assert voice.handle_means == [240.0, 300.0, 270.0]
    assert voice.handle == Lognormal(mean=200.0, sd=100.0) and voice.patience is not None
    assert chat.channel == "chat" and chat.self_service is not None
    assert s.agent_groups[0].capacity == {"voice": 1, "chat": 2}
    assert s.router_config().queue("voice").wrap_up == 10
    # the same from the template's data or as a scenario object (given a horizon)
    data = tomllib.loads(TEMPLATE)
    f = read_forecast(write(tmp_path, "f.csv", TWO_TYPES))
    assert scenario_from_forecast(f, data) == s
    assert scenario_from_forecast(f, Scenario.from_dict({**data, "horizon": 60})) == s


def test_a_template_call_type_the_forecast_lacks_is_left_out(tmp_path: Path) -> None:
    template = write(tmp_path, "t.toml", TEMPLATE)
    f = read_forecast([("07:00", 10, 100)], call_type="voice")
    assert [ct.name for ct in scenario_from_forecast(f, template).call_types] == ["voice"]


def test_unknown_call_type_and_group_are_named(tmp_path: Path) -> None:
    template = write(tmp_path, "t.toml", TEMPLATE)
    with pytest.raises(
        ForecastError,
        match=r"forecast call type 'fax' is not a call type of the template \(chat, voice\)",
    ):
        scenario_from_forecast(read_forecast([("07:00", "fax", 1, 100)]), template)
    with pytest.raises(ForecastError, match=r"no call_type column"):
        scenario_from_forecast(read_forecast([("07:00", 1, 100)]), template)
    f = read_forecast([("07:00", "voice", 1, 100)])
    with pytest.raises(ForecastError, match=r"agents: unknown agent group 'x' \(known: team\)"):
        scenario_from_forecast(f, template, agents={"x": 3})


def test_headcount_per_interval_must_fit_or_be_given() -> None:
    template = load_scenario(SIMULATIONS / "bank_line.toml")  # 16 headcounts
    f = read_forecast(SAMPLE)  # 28 intervals, one unnamed call type -> the template's "bank"
    with pytest.raises(
        ForecastError, match=r"'tellers': the template has 16 headcounts, the forecast 28"
    ):
        scenario_from_forecast(f, template)
    s = scenario_from_forecast(f, template, agents={"tellers": 25})
    assert s.agent_groups[0].headcount == [25] and s.call_types[0].name == "bank"
    with pytest.raises(ScenarioError, match=r"headcount"):
        scenario_from_forecast(f, template, agents={"tellers": [1, 2, 3]})


def test_without_a_template() -> None:
    s = scenario_from_forecast(read_forecast(SAMPLE, call_type="bank"), agents={"agents": 30})
    assert [ct.name for ct in s.call_types] == ["bank"] and s.agent_groups[0].headcount == [30]
    assert s.call_types[0].handle_means is not None and len(s.call_types[0].handle_means) == 28


def test_round_trip_forecast_to_toml_to_scenario(tmp_path: Path) -> None:
    template = write(tmp_path, "t.toml", TEMPLATE)
    s = scenario_from_forecast(read_forecast(write(tmp_path, "f.csv", TWO_TYPES)), template)
    assert load_scenario(write_scenario(s, tmp_path / "out" / "s.toml")) == s
    assert Scenario.from_dict(tomllib.loads(scenario_to_toml(s))) == s


@pytest.mark.parametrize("path", sorted(SIMULATIONS.glob("*.toml")), ids=lambda p: p.name)
def test_every_example_round_trips_through_toml(path: Path) -> None:
    s = load_scenario(path)
    assert Scenario.from_dict(tomllib.loads(scenario_to_toml(s))) == s


def test_per_interval_aht_reaches_the_simulation() -> None:
    """The measured mean handle time per interval follows the forecast's AHT."""
    rows = [
        (f"{8 + k // 2:02d}:{30 * (k % 2):02d}", 400, aht)
        for k, aht in enumerate([120, 300, 180, 60])
    ]
    s = scenario_from_forecast(read_forecast(rows, call_type="c"), agents={"agents": 60})
    result = simulate(s, 6, seed=3, engine="compiled")
    measured = [e.mean for e in result.per_interval["all"]["aht"]]
    for got, want in zip(measured, [120, 300, 180, 60], strict=True):
        assert got == pytest.approx(want, rel=0.06)


# --- the CLI ------------------------------------------------------------------------------


def test_cli_writes_a_scenario_that_loads(tmp_path: Path) -> None:
    template = write(tmp_path, "t.toml", TEMPLATE)
    forecast = write(tmp_path, "f.csv", TWO_TYPES)
    out = tmp_path / "s.toml"
    result = CliRunner().invoke(
        main,
        ["scenario", str(forecast), "-t", str(template), "-o", str(out), "--agents", "team=4,5,6"],
    )
    assert result.exit_code == 0, result.output
    assert (
        "wrote" in result.output
        and "3 intervals of 30 min from 07:00 (time 0)" in result.output
        and "165 calls" in result.output
    )
    s = load_scenario(out)
    assert s.agent_groups[0].headcount == [4, 5, 6]
    assert s == scenario_from_forecast(
        read_forecast(forecast), template, agents={"team": [4, 5, 6]}
    )


def test_cli_prints_without_out_and_takes_a_bare_headcount() -> None:
    result = CliRunner().invoke(
        main,
        [
            "scenario",
            str(SAMPLE),
            "-t",
            str(SIMULATIONS / "bank_line.toml"),
            "-a",
            "20",
            "--name",
            "day",
        ],
    )
    assert result.exit_code == 0, result.output
    data = tomllib.loads(result.output)
    assert data["name"] == "day" and data["agent_groups"][0]["headcount"] == [20]


def test_cli_errors_are_one_line_naming_the_problem(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.csv", "start,calls,aht\n07:00,3,zero\n")
    result = CliRunner().invoke(main, ["scenario", str(bad), "-a", "agents=3"])
    assert result.exit_code == 1
    assert "row 1 (line 2), column 'aht'" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["scenario", str(SAMPLE), "-a", "lots"])
    assert result.exit_code == 2 and "--agents" in result.output
    template = write(tmp_path, "t.toml", TEMPLATE)
    result = CliRunner().invoke(main, ["scenario", str(SAMPLE), "-t", str(template)])
    assert result.exit_code == 1 and "--call-type" in result.output


def test_cli_help_reads_well() -> None:
    result = CliRunner().invoke(main, ["scenario", "--help"])
    assert result.exit_code == 0
    for words in (
        "interval_start",
        "call_type",
        "--template",
        "--agents",
        "--call-type",
        "Example",
    ):
        assert words in result.output


def test_cli_interval_option_sets_the_grid(tmp_path: Path) -> None:
    forecast = write(tmp_path, "f.csv", "start,calls,aht\n07:00,10,200\n08:00,20,200\n")
    out = tmp_path / "s.toml"
    args = ["scenario", str(forecast), "-a", "5", "--interval", "30m", "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    s = load_scenario(out)
    # 07:00 and 08:00 on a 30-minute grid: three intervals, the middle one without calls
    assert s.interval == 1800.0 and s.call_types[0].arrivals.rates_per_hour == [20.0, 0.0, 40.0]  # type: ignore[union-attr]
