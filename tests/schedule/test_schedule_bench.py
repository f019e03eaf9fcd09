"""The scheduling benchmark's problem, and ccrouter's cost against pyworkforce's on a small
instance (the same requirements and candidate shifts): never higher."""

from __future__ import annotations

import pytest
from benchmarks import bench_schedule

from ccrouter.schedule import Limits, Requirements, solve


def test_week_problem_has_the_described_shape() -> None:
    req = bench_schedule.week_requirements(7)
    assert len(req.values) == 672 and req.interval == 900
    day = req.values[:96]
    assert max(day[:24]) == 0 and max(day[92:]) == 0  # closed before 06:00 and from 23:00
    assert sum(req.values[:96]) > sum(req.values[6 * 96 :])  # Monday busier than Sunday
    plain = bench_schedule.week_templates(breaks=False)
    assert len(plain) == 21 and not any(t.breaks for t in plain)
    assert all(t.latest_start + t.length <= 86400 for t in plain)
    breaks = bench_schedule.week_templates(breaks=True)
    assert all(t.breaks for t in breaks)


def test_pyworkforce_inputs_match_the_candidates() -> None:
    req = bench_schedule.week_requirements(1)
    templates = bench_schedule.week_templates(breaks=False, smoke=True)
    days, periods, coverage, per_day, costs = bench_schedule.pyworkforce_inputs(req, templates)
    assert (days, periods) == (1, 96) and per_day[0] == list(req.values)
    assert len(coverage) == sum(len(t.starts(900)) for t in templates)
    first = templates[0]
    row = coverage[f"{first.name}@{round(first.earliest_start / 900)}"]
    assert sum(row) == round(first.length / 900)
    assert costs[f"{first.name}@{round(first.earliest_start / 900)}"] == round(first.cost)


def test_cost_never_above_pyworkforce_on_a_small_instance() -> None:
    pytest.importorskip("pyworkforce")
    values = [0] * 24 + [3, 4, 6, 8, 9, 9, 8, 7, 7, 8, 9, 9, 8, 6, 5, 4] * 3 + [2] * 20 + [0] * 4
    req = Requirements.from_values(values, interval=900)
    templates = bench_schedule.week_templates(breaks=False, smoke=True)
    ours = solve(req, templates, Limits(day_length=86400), time_limit=30)
    theirs = bench_schedule.solve_pyworkforce(req, templates, time_limit=30, workers=1)
    assert theirs["status"] == "OPTIMAL" and ours.status == "OPTIMAL"
    assert ours.cost <= theirs["cost"] + 1e-6
    assert ours.cost == theirs["cost"]  # both proven optimal on the same model
    assert all(c >= r for c, r in zip(theirs["coverage"], values, strict=True))
    assert ours.uncoverable == ()


def test_smoke_run_reports_both_tools() -> None:
    result = bench_schedule.run(smoke=True)
    assert result["problem"]["templates"] == 12 and result["problem"]["intervals"] == 96
    plain, breaks = result["ccrouter_no_breaks"], result["ccrouter_with_breaks"]
    assert plain["status"] == "OPTIMAL" and plain["short_intervals"] == 0
    assert breaks["short_intervals"] == 0 and breaks["cost"] >= plain["cost"]
    if isinstance(result.get("pyworkforce"), str):  # not installed: said so, nothing faked
        assert "not installed" in result["pyworkforce"] and "goals" not in result
    else:
        assert result["goals"]["cost_equal_or_lower_than_pyworkforce"]["met"]
        assert result["pyworkforce_no_breaks"]["covers_every_interval"]
