"""Daily targets for the per-interval staffing search (``targets_over="day"``,
``sim/day_search.py``, ``sim/day_runs.py``): cheaper than meeting every interval, the day's
target held on an independent re-simulation while some interval falls below it, no single
agent-interval left to remove, determinism, the paired verdicts, typed errors and the CLI.

Every search here runs on the compiled engine with fixed seeds that were not picked to pass.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ccrouter.cli import main
from ccrouter.errors import InvalidArgument
from ccrouter.sim import Scenario, ScenarioError, simulate, staff_search_per_interval
from ccrouter.sim.day_search import DaySearch, day_weights
from ccrouter.sim.interval_fold import one_pass
from ccrouter.sim.interval_runs import DAY, WindowRuns
from ccrouter.sim.interval_window import run_day, window_scenario


def _day(rates: list[float], **extra: Any) -> Scenario:
    """One call type, one group; the quiet intervals need agents mostly to meet their own
    targets."""
    return Scenario.from_dict(
        {
            "horizon": 1800.0 * len(rates),
            "interval": 1800.0,
            "threshold": 20,
            "call_types": [
                {
                    "name": "c",
                    "arrivals": {"kind": "poisson", "rates_per_hour": rates},
                    "handle": {"kind": "exponential", "mean": 120},
                    **extra,
                }
            ],
            "agent_groups": [{"name": "g", "headcount": [1]}],
            "targets": {"default": {"service_level": 0.8}},
        }
    )


QUIET_ENDS = [30.0, 60.0, 600.0, 600.0, 60.0, 30.0]


def _two_queues(rates: list[tuple[float, float]]) -> Scenario:
    return Scenario.from_dict(
        {
            "horizon": 1800.0 * len(rates),
            "interval": 1800.0,
            "threshold": 20,
            "router": {"queues": {"a": {"wrap_up": 5}, "b": {"wrap_up": 5}}},
            "call_types": [
                {
                    "name": "a",
                    "queue": "a",
                    "skills": {"a": 1},
                    "arrivals": {"kind": "poisson", "rates_per_hour": [x for x, _ in rates]},
                    "handle": {"kind": "exponential", "mean": 150},
                    "patience": {"kind": "exponential", "mean": 200},
                },
                {
                    "name": "b",
                    "queue": "b",
                    "skills": {"b": 1},
                    "arrivals": {"kind": "poisson", "rates_per_hour": [y for _, y in rates]},
                    "handle": {"kind": "exponential", "mean": 200},
                    "patience": {"kind": "exponential", "mean": 200},
                },
            ],
            "agent_groups": [
                {"name": "ga", "skills": {"a": 1}, "headcount": [1]},
                {"name": "gb", "skills": {"b": 1}, "headcount": [1]},
            ],
            "targets": {
                "a": {"service_level": 0.8, "max_abandon": 0.05},
                "b": {"service_level": 0.75, "threshold": 30},
            },
        }
    )


def test_daily_targets_cost_less_hold_over_the_day_and_leave_an_interval_below() -> None:
    s = _day(QUIET_ENDS)
    every = staff_search_per_interval(s, replications=8, seed=1, engine="compiled")
    daily = staff_search_per_interval(
        s, replications=8, seed=1, engine="compiled", targets_over="day"
    )
    assert every.feasible and daily.feasible and daily.targets_over == "day"
    assert sum(daily.requirements["g"]) < sum(every.requirements["g"])
    assert [c.interval for c in daily.day_checks] == [DAY] and daily.day_checks[0].met
    # The mode does what it says: some interval is below target, on the search's check ...
    assert daily.unmet and not every.unmet
    assert any("below a target" in note for note in daily.notes)
    # ... and the day's figure is what ``simulate`` with the same seed reports.
    own = simulate(daily.scenario(s), replications=8, seed=1, engine="compiled")
    assert own.overall["default"]["service_level"].mean == pytest.approx(
        daily.day_checks[0].estimate.mean
    )
    # An independent re-simulation (other seeds, more of them): the target lies within or
    # below the day's 95 % interval, while an interval's own interval lies below it.
    other = simulate(daily.scenario(s), replications=30, seed=77, engine="compiled")
    day_sl = other.overall["default"]["service_level"]
    assert day_sl.upper >= 0.8, day_sl
    assert any(e.upper < 0.8 for e in other.per_interval["default"]["service_level"])


def test_no_single_agent_interval_can_go_from_the_daily_answer() -> None:
    s = _two_queues([(40.0, 20.0), (240.0, 120.0), (60.0, 30.0)])
    reps, seed = 6, 4
    daily = staff_search_per_interval(
        s, replications=reps, min_replications=reps, seed=seed, engine="compiled",
        targets_over="day",
    )  # fmt: skip
    assert daily.feasible

    def day_misses(model: Scenario) -> list[str]:
        out = []
        for queue, target in s.targets.items():
            at = model.replace(threshold=target.threshold or model.threshold)
            o = simulate(at, replications=reps, seed=seed, engine="compiled").overall[queue]
            if target.service_level is not None and o["service_level"].mean < target.service_level:
                out.append(f"{queue} SL")
            if target.max_abandon is not None and o["abandonment_rate"].mean > target.max_abandon:
                out.append(f"{queue} abandon")
        return out

    assert day_misses(daily.scenario(s)) == []
    for g, counts in daily.requirements.items():
        for k, count in enumerate(counts):
            if count == 0:
                continue
            fewer = {h: list(c) for h, c in daily.requirements.items()}
            fewer[g][k] -= 1
            assert day_misses(s.with_headcounts(fewer)), f"{g} in interval {k} could still go"


def test_same_seed_same_daily_answer_and_path_serially_and_in_parallel() -> None:
    s = _day(QUIET_ENDS)
    first = staff_search_per_interval(s, replications=4, seed=9, targets_over="day")
    again = staff_search_per_interval(s, replications=4, seed=9, targets_over="day")
    with ThreadPoolExecutor(2) as pool:
        parallel = staff_search_per_interval(
            s, replications=4, seed=9, targets_over="day", executor=pool
        )
    for other in (again, parallel):
        assert other.requirements == first.requirements
        assert [(p.interval, p.phase, p.staffing, p.decision) for p in other.path] == [
            (p.interval, p.phase, p.staffing, p.decision) for p in first.path
        ]


def test_the_daily_path_records_whole_day_candidates() -> None:
    s = _day(QUIET_ENDS)
    result = staff_search_per_interval(s, replications=6, seed=2, targets_over="day")
    assert result.path[0].phase == "start" and result.path[-1].phase == "check"
    assert {p.phase for p in result.path} <= {"start", "add", "remove", "exchange", "polish",
                                               "check"}  # fmt: skip
    for p in result.path:
        assert p.window == (0, s.n_intervals - 1)
        assert p.checks and all(c.interval == DAY for c in p.checks)
        assert p.decision in {"accepted", "rejected"} and p.reason
    assert any(p.phase == "remove" and p.decision == "accepted" for p in result.path)
    # The interval checks are per interval, as in the per-interval mode.
    assert [c.interval for c in result.checks] == list(range(s.n_intervals))


def test_costs_steer_the_daily_answer_to_the_cheaper_group() -> None:
    s = Scenario.from_dict(
        {
            "horizon": 4 * 1800.0,
            "interval": 1800.0,
            "threshold": 20,
            "call_types": [
                {
                    "name": "c",
                    "arrivals": {"kind": "poisson", "rates_per_hour": [60, 400, 400, 60]},
                    "handle": {"kind": "exponential", "mean": 120},
                }
            ],
            "agent_groups": [{"name": "a", "headcount": [1]}, {"name": "b", "headcount": [1]}],
            "targets": {"default": {"service_level": 0.8}},
        }
    )
    costs = {"a": 1.0, "b": 3.0}

    def cost(r: Any) -> float:
        return sum(costs[g] * sum(n) for g, n in r.requirements.items())

    plain = staff_search_per_interval(s, replications=6, seed=2, targets_over="day")
    costed = staff_search_per_interval(s, replications=6, seed=2, targets_over="day", costs=costs)
    assert plain.feasible and costed.feasible
    assert sum(costed.requirements["b"]) < sum(plain.requirements["b"])
    assert cost(costed) < cost(plain)


def test_the_router_driven_engine_finds_the_same_daily_plan() -> None:
    s = _day([30.0, 600.0, 30.0])
    compiled = staff_search_per_interval(s, replications=3, seed=3, targets_over="day")
    router = staff_search_per_interval(
        s, replications=3, seed=3, targets_over="day", engine="router"
    )
    assert router.engine == "router" and router.requirements == compiled.requirements
    assert [c.estimate.mean for c in router.day_checks] == pytest.approx(
        [c.estimate.mean for c in compiled.day_checks]
    )


def test_judged_on_the_ci_the_days_lower_bound_meets_the_target() -> None:
    s = _day(QUIET_ENDS)
    result = staff_search_per_interval(s, replications=6, seed=3, judge="ci", targets_over="day")
    (sl,) = result.day_checks
    assert result.feasible and sl.judged == sl.estimate.lower >= 0.8
    by_mean = staff_search_per_interval(s, replications=6, seed=3, targets_over="day")
    assert sum(by_mean.requirements["g"]) <= sum(result.requirements["g"])


def test_intervals_left_without_an_agent_are_named() -> None:
    s = _day(QUIET_ENDS)
    result = staff_search_per_interval(s, replications=4, seed=3, targets_over="day")
    empty = [k for k, n in enumerate(result.requirements["g"]) if n == 0]
    named = [note for note in result.notes if "no agent" in note]
    assert empty  # the quiet ends, at this seed
    assert named and all(f"0{k // 2}:{30 * (k % 2):02d}" in named[0] for k in empty)
    staffed = staff_search_per_interval(s, replications=4, seed=3)
    assert not any("no agent" in note for note in staffed.notes)


def test_a_day_that_cannot_be_met_within_max_agents_says_so() -> None:
    s = _day([600.0, 600.0])
    result = staff_search_per_interval(s, replications=4, seed=1, max_agents=15,
                                       targets_over="day")  # fmt: skip
    assert not result.feasible and not result.day_checks[0].met
    assert result.requirements["g"] == [15, 15]
    assert [p.phase for p in result.path] == ["start", "check"]


def test_a_start_below_the_daily_target_gets_agents_added() -> None:
    s = _day([60.0, 600.0, 60.0])
    runs = WindowRuns(s, s.targets, 6, 6, 3, None, "mean", None, "compiled")
    search = DaySearch(s, ["g"], {"g": [2, 14, 2]}, runs, {"g": 1.0}, 100)
    day_checks, _ = search.search(polish=True)
    assert all(c.met for c in day_checks)
    adds = [p for p in search.path if p.phase == "add"]
    assert adds and all(p.decision == "accepted" for p in adds)
    assert not all(c.met for c in search.path[0].checks)  # the start missed the day's target
    assert sum(search.plan["g"]) > 18 and search.plan["g"][1] >= 14


def test_daily_mode_arguments_are_validated() -> None:
    s = _day([120.0])
    with pytest.raises(InvalidArgument, match="targets_over must be 'interval' or 'day'"):
        staff_search_per_interval(s, targets_over="week")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lookback goes with targets_over='interval'"):
        staff_search_per_interval(s, targets_over="day", lookback=1)
    with pytest.raises(ScenarioError, match="targets"):
        staff_search_per_interval(s.replace(targets={}), targets_over="day")
    with pytest.raises(InvalidArgument, match="min_replications"):
        staff_search_per_interval(s, replications=3, min_replications=5, targets_over="day")


def test_day_weights_are_each_queues_share_of_its_calls_at_the_agents() -> None:
    bot = {"time": {"kind": "deterministic", "value": 10.0}, "containment": 0.5}
    s = _day([100.0, 300.0], self_service=bot)
    assert day_weights(s, ["default", "nobody"]) == {
        "default": pytest.approx([0.25, 0.75]),
        "nobody": [0.0, 0.0],
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_whole_day_levels_from_one_run_equal_one_run_per_threshold(seed: int) -> None:
    s = _two_queues([(200.0, 100.0), (400.0, 200.0), (100.0, 60.0)])
    day = window_scenario(s, 0, 2, {"ga": [8, 13, 5], "gb": [5, 9, 3]})
    thresholds = {20.0: ["a"], 30.0: ["b"]}
    one = run_day(day, seed, 0, thresholds, "compiled", one_run=True)
    each = run_day(day, seed, 0, thresholds, "compiled", one_run=False)
    assert one.keys() == each.keys()
    for q in one:
        assert one[q][0] == pytest.approx(each[q][0]) and one[q][1] == pytest.approx(each[q][1])
        assert one[q][2] == pytest.approx(each[q][2], nan_ok=True)
    assert 0.0 < one["a"][0] < 1.0
    # The fold divides by every arrival: another service-level definition runs per threshold.
    assert one_pass(s) and not one_pass(s.replace(sl_definition="answered"))


_TOML = """
horizon = 10800
interval = 1800
threshold = 20
[[call_types]]
name = "c"
arrivals = { kind = "poisson", rates_per_hour = [30, 600, 600, 30, 30, 30] }
handle = { kind = "exponential", mean = 120 }
[[agent_groups]]
name = "g"
headcount = [1]
[targets.default]
service_level = 0.8
"""


def test_cli_daily_prints_the_mode_and_the_days_figures(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(_TOML)
    out = tmp_path / "req.csv"
    args = ["staff-search", str(path), "--per-interval", "--daily", "-n", "4", "--quiet"]
    result = CliRunner().invoke(main, [*args, "--out", str(out), "--path"])
    assert result.exit_code == 0, result.output
    assert "targets over the day" in result.output
    assert "over the day (mean ± 95 % CI): day default SL" in result.output
    assert "the day meets every target" in result.output and "below a target" in result.output
    assert len(out.read_text().splitlines()) == 1 + 6
    refused = CliRunner().invoke(main, ["staff-search", str(path), "--daily"])
    assert refused.exit_code == 2 and "--per-interval" in refused.output
    both = CliRunner().invoke(main, [*args, "--lookback", "1"])
    assert both.exit_code == 2 and "--lookback does not go with --daily" in both.output
    shown = CliRunner().invoke(main, ["staff-search", "--help"])
    assert "--daily" in shown.output and "whole day's calls" in shown.output


def test_min_agents_keeps_every_interval_with_calls_staffed() -> None:
    s = _day(QUIET_ENDS)
    bare = staff_search_per_interval(s, replications=4, seed=3, targets_over="day")
    assert 0 in bare.requirements["g"]  # at this seed the quiet ends go without an agent
    kept = staff_search_per_interval(s, replications=4, seed=3, targets_over="day", min_agents=4)
    assert kept.min_agents == 4 and all(n >= 4 for n in kept.requirements["g"])
    # The daily target still holds, on the search's check and as ``simulate`` reports it.
    assert kept.feasible and kept.day_checks[0].met
    own = simulate(kept.scenario(s), replications=4, seed=3, engine="compiled")
    assert own.overall["default"]["service_level"].mean >= 0.8
    assert not any("no agent" in note for note in kept.notes)
    assert any("at least 4 agent(s)" in note for note in kept.notes)
    assert min(bare.erlang["g"]) < 4 and "min_agents=4" in kept.path[0].reason  # raised start
    # Raising the quiet intervals lets the search take agents elsewhere: never more than
    # the bare answer plus what the floor added.
    added = sum(max(0, 4 - n) for n in bare.requirements["g"])
    assert sum(kept.requirements["g"]) <= sum(bare.requirements["g"]) + added


def test_min_agents_leaves_intervals_without_calls_at_zero() -> None:
    s = _day([0.0, 600.0, 600.0, 60.0])
    result = staff_search_per_interval(s, replications=4, seed=1, targets_over="day",
                                       min_agents=3)  # fmt: skip
    assert result.requirements["g"][0] == 0
    assert all(n >= 3 for n in result.requirements["g"][1:])


def test_min_agents_counts_the_groups_able_to_serve_each_call_type() -> None:
    s = _two_queues([(10.0, 5.0), (240.0, 120.0), (10.0, 5.0)])
    result = staff_search_per_interval(s, replications=4, seed=2, targets_over="day",
                                       min_agents=1)  # fmt: skip
    assert result.feasible
    # ga alone serves a, gb alone serves b: each keeps one agent in every interval.
    assert all(n >= 1 for n in result.requirements["ga"])
    assert all(n >= 1 for n in result.requirements["gb"])


def test_min_agents_is_validated() -> None:
    s = _day([120.0])
    for bad in (-1, 1.5, True, "1"):
        with pytest.raises(InvalidArgument, match="min_agents: expected an integer >= 0"):
            staff_search_per_interval(s, targets_over="day", min_agents=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_agents: expected at most max_agents"):
        staff_search_per_interval(s, targets_over="day", max_agents=3, min_agents=4)
    with pytest.raises(InvalidArgument, match="min_agents goes with targets_over='day'"):
        staff_search_per_interval(s, min_agents=1)


def test_cli_min_agents(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(_TOML)
    out = tmp_path / "req.csv"
    args = ["staff-search", str(path), "--per-interval", "--daily", "-n", "4", "--quiet"]
    result = CliRunner().invoke(main, [*args, "--min-agents", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "at least 2 agent(s)" in result.output
    rows = out.read_text().splitlines()[1:]
    assert all(int(row.split(",")[1]) >= 2 for row in rows)
    refused = CliRunner().invoke(main, ["staff-search", str(path), "--per-interval",
                                        "--min-agents", "1"])  # fmt: skip
    assert refused.exit_code == 2 and "--min-agents goes with" in refused.output
    shown = CliRunner().invoke(main, ["staff-search", "--help"])
    assert "--min-agents" in shown.output
