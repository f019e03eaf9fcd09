"""Scheduling input errors, the CSVs, the plot, the CLI and the schedule simulated."""

from __future__ import annotations

import builtins
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from ccrouter.cli import main
from ccrouter.errors import InvalidArgument
from ccrouter.schedule import (
    BreakRule,
    Requirements,
    ScheduleInputError,
    ShiftTemplate,
    read_shifts_csv,
    solve,
    templates_from_dict,
)
from ccrouter.schedule.plot import PlotUnavailable, plot_coverage
from ccrouter.schedule.simulate import scenario_with_schedule, simulate_schedule, working_agents
from ccrouter.sim import Engine, Scenario
from ccrouter.sim.compiled.run import run_compiled

ROOT = Path(__file__).resolve().parents[2]
H = 3600.0


def _day() -> tuple[Requirements, list[ShiftTemplate]]:
    req = Requirements.from_values([2, 3, 4, 4, 3, 3, 2, 1], interval=1800, origin=8 * H)
    templates = [
        ShiftTemplate(name="long", earliest_start=8 * H, latest_start=9 * H, step=1800,
                      length=3 * H, cost_per_hour=20,
                      breaks=(BreakRule(name="coffee", earliest=1800, latest=H, length=1800),
                              BreakRule(name="lunch", earliest=H, latest=2 * H, length=1800,
                                        paid=False))),
        ShiftTemplate(name="short", earliest_start=8 * H, latest_start=11 * H, step=1800,
                      length=H, cost_per_hour=25, kind="part_time"),
    ]  # fmt: skip
    return req, templates


# --- errors name the field ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "names"),
    [
        (lambda: BreakRule(name="b", earliest=100, latest=50, length=10), "latest"),
        (lambda: ShiftTemplate(name="t", earliest_start=0, latest_start=0, length=3600,
                               breaks=(BreakRule(name="m", earliest=0, latest=3600, length=900),)),
         "breaks[0]"),
        (lambda: ShiftTemplate(name="t", earliest_start=0, latest_start=0, length=-1), "length"),
        (lambda: ShiftTemplate(name="t", earliest_start=0, latest_start=0, length=60,
                               kind="casual"), "kind"),  # type: ignore[arg-type]
        (lambda: ShiftTemplate(name="t", earliest_start=0, latest_start=0, length=60,
                               min_count=3, max_count=2), "max_count"),
        (lambda: Requirements.from_values([1, -2], interval=900), "requirements[1]"),
        (lambda: Requirements.from_values([1.5], interval=900), "requirements[0]"),
        (lambda: Requirements.from_values([1], interval=0), "interval"),
        (lambda: templates_from_dict({"templates": [{"name": "a", "length": "8h",
                                                     "start": "07:00", "colour": 1}]}),
         "colour"),
        (lambda: templates_from_dict({"templates": [{"name": "a", "length": "eight hours",
                                                     "start": "07:00"}]}),
         "templates[0].length"),
    ],
)  # fmt: skip
def test_bad_input_is_a_typed_error_naming_the_field(build: Any, names: str) -> None:
    with pytest.raises(ScheduleInputError, match=names.replace("[", r"\[").replace("]", r"\]")):
        build()
    assert issubclass(ScheduleInputError, InvalidArgument)
    assert issubclass(ScheduleInputError, ValueError)


def test_times_not_multiple_of_the_interval_are_refused() -> None:
    req = Requirements.from_values([1, 1, 1, 1], interval=900)
    odd = ShiftTemplate(name="odd", earliest_start=0, latest_start=0, length=1000)
    with pytest.raises(ScheduleInputError, match=r"template 'odd': length: expected a multiple"):
        solve(req, [odd])
    rule = BreakRule(name="x", earliest=600, latest=600, length=900)
    brk = ShiftTemplate(name="b", earliest_start=0, latest_start=0, length=3600, breaks=(rule,))
    with pytest.raises(ScheduleInputError, match=r"breaks\[0\] \('x'\)\.earliest"):
        solve(req, [brk])


def test_contradicting_limits_say_why() -> None:
    req = Requirements.from_values([1], interval=H)
    t = ShiftTemplate(name="pt", earliest_start=0, latest_start=0, length=H, kind="part_time",
                      min_count=2)  # fmt: skip
    from ccrouter.schedule import Limits

    with pytest.raises(ScheduleInputError, match="min_count"):
        solve(req, [t], Limits(max_part_time=1))


# --- CSVs and the plot ---------------------------------------------------------------------


def test_schedule_csv_round_trip() -> None:
    req, templates = _day()
    s = solve(req, templates)
    assert any(b.paid is False for sh in s.shifts for b in sh.breaks)
    text = io.StringIO()
    s.to_csv(text)
    back = read_shifts_csv(io.StringIO(text.getvalue()))
    assert tuple(back) == s.shifts
    assert text.getvalue().splitlines()[0].startswith("template,kind,count,start,end")


def test_requirements_from_staff_csv(tmp_path: Path) -> None:
    out = tmp_path / "req.csv"
    runner = CliRunner()
    forecast = ROOT / "simulations" / "forecast_sample.csv"
    done = runner.invoke(main, ["staff", str(forecast), "--sl", "80/20", "--csv", str(out)])
    assert done.exit_code == 0, done.output
    req = Requirements.from_csv(out)
    assert req.interval == 1800 and req.origin == 7 * H and req.labels[0] == "07:00"
    scheduled = Requirements.from_csv(out, column="scheduled")
    assert len(scheduled.values) == len(req.values)
    with pytest.raises(ScheduleInputError, match="no column 'nope'"):
        Requirements.from_csv(out, column="nope")


def test_coverage_plot_is_written(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    req, templates = _day()
    s = solve(req, templates)
    plot_coverage(s, tmp_path / "c.png")
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    req, templates = _day()
    with pytest.raises(PlotUnavailable, match=r"pip install 'ccrouter\[plot\]'"):
        plot_coverage(solve(req, templates), "never.png")


# --- the schedule simulated ---------------------------------------------------------------


def _scenario(hours: int = 4) -> Scenario:
    return Scenario.from_dict({
        "horizon": hours * H, "interval": 1800,
        "call_types": [{"name": "c", "arrivals": {"kind": "poisson", "rates_per_hour": [40]},
                        "handle": {"kind": "exponential", "mean": 200}}],
        "agent_groups": [{"name": "team", "headcount": [1]}],
    })  # fmt: skip


def test_simulated_agents_at_work_equal_the_schedule_coverage() -> None:
    req, templates = _day()
    s = solve(req, templates)
    scenario = scenario_with_schedule(_scenario(), s)
    n = len(req.values)
    seq = np.random.SeedSequence(3)
    reference = Engine(scenario, seq).run().events
    assert working_agents(reference, req.interval, n) == list(s.coverage)
    compiled = run_compiled(scenario, seq, keep_events=True).output().events
    assert working_agents(compiled, req.interval, n) == list(s.coverage)
    # Breaks are taken as placed: some agent goes not ready with reason "break".
    assert any(getattr(e, "reason", None) == "break" for e in reference)


def test_simulate_schedule_reports_service_level_per_interval() -> None:
    req, templates = _day()
    s = solve(req, templates)
    result = simulate_schedule(_scenario(), s, replications=3, seed=1)
    sl = result.per_interval["all"]["service_level"]
    assert len(sl) == 8 and result.replications == 3
    assert all(0.0 <= e.mean <= 1.0 for e in sl if e.n)
    with pytest.raises(ScheduleInputError, match="group"):
        scenario_with_schedule(_scenario(), s, group="nobody")


# --- the CLI -------------------------------------------------------------------------------


def test_cli_schedule_writes_the_files_and_simulates(tmp_path: Path) -> None:
    runner = CliRunner()
    req_csv = tmp_path / "req.csv"
    forecast = ROOT / "simulations" / "forecast_sample.csv"
    assert runner.invoke(main, ["staff", str(forecast), "--sl", "80/20", "--csv",
                                str(req_csv)]).exit_code == 0  # fmt: skip
    out = tmp_path / "plan"
    here = ROOT / "simulations" / "schedules"
    args = ["schedule", str(req_csv), "-t", str(here / "shift_templates.toml"),
            "--simulate", str(here / "schedule_day.toml"), "-n", "2",
            "--out", str(out), "--time-limit", "30"]  # fmt: skip
    done = runner.invoke(main, args)
    assert done.exit_code == 0, done.output
    assert "every interval covered" in done.output
    assert "simulated" in done.output
    for name in ("schedule.csv", "coverage.csv", "service_level.csv"):
        assert (out / name).stat().st_size > 0
    shifts = read_shifts_csv(out / "schedule.csv")
    assert sum(s.count for s in shifts) > 0
    rows = (out / "coverage.csv").read_text().splitlines()
    assert rows[0] == "interval_start,start,required,scheduled,short,over"
    assert len(rows) == 29
    sl = (out / "service_level.csv").read_text().splitlines()
    assert sl[0].startswith("interval_start,start,service_level") and sl[1].startswith("07:00,0,")


def test_cli_schedule_reports_bad_templates_without_traceback(tmp_path: Path) -> None:
    req_csv = tmp_path / "req.csv"
    req_csv.write_text("interval_start,agents\n08:00,2\n08:30,3\n")
    bad = tmp_path / "t.toml"
    bad.write_text('[[templates]]\nname = "a"\nstart = "08:00"\nlength = "1h"\n'
                   'breaks = [{ earliest = "50m", latest = "55m", length = "15m" }]\n')  # fmt: skip
    done = CliRunner().invoke(main, ["schedule", str(req_csv), "-t", str(bad), "-o",
                                     str(tmp_path / "o")])  # fmt: skip
    assert done.exit_code == 1
    assert "breaks[0]" in done.output and "Traceback" not in done.output


def test_cli_schedule_help_reads_well() -> None:
    done = CliRunner().invoke(main, ["schedule", "--help"])
    assert done.exit_code == 0
    for word in ("REQUIREMENTS", "--templates", "--simulate", "--out", "--time-limit"):
        assert word in done.output


def test_cli_schedule_writes_a_roster(tmp_path: Path) -> None:
    rows = ["interval_start,agents"]
    for d in range(7):
        rows += [f"2026-03-0{2 + d}T{h:02d}:00,{2 if 8 <= h < 16 else 0}" for h in range(24)]
    req_csv = tmp_path / "week.csv"
    req_csv.write_text("\n".join(rows) + "\n")
    templates = tmp_path / "t.toml"
    templates.write_text('[roster]\nmax_work_days = 5\n\n[[templates]]\nname = "day"\n'
                         'start = "08:00"\nlength = "8h"\ncost_per_shift = 100\n')  # fmt: skip
    out = tmp_path / "o"
    done = CliRunner().invoke(main, ["schedule", str(req_csv), "-t", str(templates), "-o",
                                     str(out), "--no-plot"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "roster: 3 agents" in done.output
    lines = (out / "roster.csv").read_text().splitlines()
    assert lines[0] == "agent,days_off,day1,day2,day3,day4,day5,day6,day7"
    assert len(lines) == 4 and all(line.count("off") == 2 for line in lines[1:])
