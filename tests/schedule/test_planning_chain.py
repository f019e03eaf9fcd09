"""The planner's chain end to end through the CLI: forecast → scenario → per-interval
requirements by simulation → shifts → the schedule simulated, with the forecast's clock
times carried through every step (the scenario's ``origin``)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from ccrouter.cli import main
from ccrouter.schedule import Requirements, solve
from ccrouter.schedule.simulate import scenario_with_schedule
from ccrouter.schedule.templates import ScheduleInputError, ShiftTemplate
from ccrouter.sim import load_scenario, simulate
from ccrouter.sim.report import interval_rows

ROOT = Path(__file__).resolve().parents[2]
SIM = ROOT / "simulations"


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_forecast_clock_times_reach_requirements_schedule_and_report(tmp_path: Path) -> None:
    day, req, plan = tmp_path / "day.toml", tmp_path / "req.csv", tmp_path / "plan"
    _run("scenario", str(SIM / "forecast_sample.csv"), "-t", str(SIM / "self_service.toml"),
         "--agents", "tellers=10", "-o", str(day))  # fmt: skip
    scenario = load_scenario(day)
    assert scenario.origin == 7 * 3600  # the forecast starts at 07:00
    _run("staff-search", str(day), "--per-interval", "--sl", "80/20", "-n", "2", "--quiet",
         "--out", str(req))  # fmt: skip
    with req.open() as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["interval_start", "tellers"]
    assert [r[0] for r in rows[1:4]] == ["07:00", "07:30", "08:00"]
    assert Requirements.from_csv(req, column="tellers").origin == 7 * 3600
    out = _run("schedule", str(req), "--column", "tellers", "-t",
               str(SIM / "schedules" / "shift_templates.toml"), "--simulate", str(day),
               "-n", "2", "--out", str(plan), "--no-plot")  # fmt: skip
    assert "every interval covered" in out
    scheduled = load_scenario(plan / "scheduled.toml")
    (tellers,) = scheduled.agent_groups
    assert tellers.headcount is None and tellers.shifts
    assert scheduled.origin == 7 * 3600
    # The shifts start inside the templates' clock windows (07:00 onwards), not 7 h late.
    assert min(s.start for s in tellers.shifts) == 0.0
    with (plan / "service_level.csv").open() as f:
        assert next(csv.reader(f)) and next(csv.reader(f))[0] == "07:00"
    result = simulate(scheduled, replications=2, seed=1)
    _header, table = interval_rows(result, "all")
    assert table[0][0] == "07:00–07:30" and table[-1][0] == "20:30–21:00"


def test_a_schedule_from_other_clock_times_is_refused() -> None:
    scenario = load_scenario(SIM / "self_service.toml").replace(origin=8 * 3600.0)
    day = ShiftTemplate(name="day", earliest_start=7 * 3600, latest_start=7 * 3600,
                        length=8 * 3600, cost_per_shift=1)  # fmt: skip
    at_seven = solve(Requirements.from_values([1] * 16, interval=1800, origin=7 * 3600), [day])
    with pytest.raises(ScheduleInputError, match=r"time 0 is 08:00 .* start at 07:00"):
        scenario_with_schedule(scenario, at_seven)
    # Without an origin the scenario takes the schedule's (its reports then read clock times).
    adopted = scenario_with_schedule(scenario.replace(origin=0.0), at_seven)
    assert adopted.origin == 7 * 3600
