"""Staffing search: Erlang's answer on M/M/c, a minimal staffing on two skills, CRN, the CLI.

The seeds are fixed and were not picked to pass: on the M/M/c model the answer was 7 agents
for each of the seeds 0-11 (10 replications of 8 hours), with the simulated service level at
6 agents between 0.746 and 0.803 and at 7 between 0.894 and 0.920, against a goal of 0.84
(Erlang C: 0.772 and 0.903), so the test sits well away from a knife edge.
"""

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from models import mmc

from ccrouter.cli import main
from ccrouter.cli.search import merge_targets, parse_target_sl, write_path_csv
from ccrouter.sim import (
    QueueTarget,
    Scenario,
    ScenarioError,
    erlang_start,
    load_scenario,
    simulate,
    staff_search,
)
from ccrouter.staffing import erlang

GOAL = {"default": QueueTarget(service_level=0.84)}


def _mmc() -> Scenario:
    # 80 calls/h × 180 s = 4 erlangs; Erlang C for 84 % in 20 s: 7 agents (6 give 0.772).
    return mmc(7, 4 / 7, horizon=8 * 3600.0)


@pytest.mark.parametrize("start", [None, 5, 9], ids=["erlang-start", "from-below", "from-above"])
def test_single_skill_search_returns_the_erlang_c_answer(start: int | None) -> None:
    answer = erlang.agents_for_service_level(4.0, 180.0, 20.0, 0.84)
    assert answer == 7
    result = staff_search(
        _mmc(),
        GOAL,
        replications=10,
        seed=5,
        start=None if start is None else {"agents": start},
    )
    assert result.feasible and result.staffing == {"agents": answer}
    if start is None:
        assert result.lower_bound == {"agents": answer}
        assert [c.staffing["agents"] for c in result.path] == [7, 6]
    # The path walks one agent at a time and ends with a failed removal from the answer.
    last = result.path[-1]
    assert last.phase == "remove" and last.staffing == {"agents": 6} and not last.met
    assert last.decision == "rejected" and last.reason.startswith("misses default SL")
    accepted = [c.staffing["agents"] for c in result.path if c.decision == "accepted"]
    expected = {None: [7], 5: [5, 6, 7], 9: [9, 8, 7]}[start]
    assert accepted == expected


def _two_skills(**changes: Any) -> Scenario:
    data: dict[str, Any] = {
        "name": "two skills",
        "horizon": 4 * 3600.0,
        "interval": 3600.0,
        "warmup": 1800.0,
        "router": {
            "queues": {"a": {"strategy": "longest_idle"}, "b": {"strategy": "longest_idle"}}
        },
        "call_types": [
            {
                "name": "a",
                "queue": "a",
                "skills": {"a": 1},
                "arrivals": {"kind": "poisson", "rates_per_hour": [90]},
                "handle": {"kind": "exponential", "mean": 180},
                "patience": {"kind": "exponential", "mean": 180},
            },
            {
                "name": "b",
                "queue": "b",
                "skills": {"b": 1},
                "arrivals": {"kind": "poisson", "rates_per_hour": [45]},
                "handle": {"kind": "exponential", "mean": 180},
                "patience": {"kind": "exponential", "mean": 180},
            },
        ],
        "agent_groups": [
            {"name": "a_only", "skills": {"a": 5}, "headcount": [1]},
            {"name": "b_only", "skills": {"b": 5}, "headcount": [1]},
            {"name": "both", "skills": {"a": 3, "b": 3}, "headcount": [1, 2, 3, 4]},
        ],
        "targets": {
            "a": {"service_level": 0.8},
            "b": {"service_level": 0.75, "max_abandon": 0.05},
        },
    }
    data.update(changes)
    return Scenario.from_dict(data)


def _meets(scenario: Scenario, staffing: dict[str, int], seed: int, n: int) -> bool:
    """Judged independently through ``simulate`` (the same seeds as the search)."""
    result = simulate(scenario.with_headcounts({g: [k] for g, k in staffing.items()}), n, seed=seed)
    a, b = result.overall["a"], result.overall["b"]
    return (
        a["service_level"].mean >= 0.8
        and b["service_level"].mean >= 0.75
        and b["abandonment_rate"].mean <= 0.05
    )


def test_two_skill_result_meets_every_target_and_no_agent_can_go() -> None:
    scenario = _two_skills()
    result = staff_search(scenario, replications=6, seed=2)
    assert result.feasible and result.final.met
    assert result.notes == ["both: per-interval headcount replaced by a constant headcount"]
    # Every target holds at the answer, and the search's own figures are simulate's.
    final = simulate(result.scenario(scenario), 6, seed=2)
    for check in result.final.checks:
        assert check.estimate == final.overall[check.queue][check.metric]
    assert _meets(scenario, result.staffing, 2, 6)
    # Taking any single agent away breaks a target (with the same seeds).
    for group, n in result.staffing.items():
        if n > 0:
            assert not _meets(scenario, {**result.staffing, group: n - 1}, 2, 6), group
    # ... and the path shows those failed removals from the answer.
    removals = {
        next(g for g in c.staffing if c.staffing[g] < result.staffing[g])
        for c in result.path
        if c.phase == "remove"
        and c.decision == "rejected"
        and sum(c.staffing.values()) == sum(result.staffing.values()) - 1
        and all(c.staffing[g] <= result.staffing[g] for g in c.staffing)
    }
    assert removals == {g for g, n in result.staffing.items() if n > 0}


def test_same_seed_same_search_path_serially_and_in_parallel() -> None:
    scenario = _two_skills()
    first = staff_search(scenario, replications=3, seed=9)
    again = staff_search(scenario, replications=3, seed=9)
    with ThreadPoolExecutor(2) as pool:
        parallel = staff_search(scenario, replications=3, seed=9, executor=pool)
    encoded = msgspec.json.encode(first.path)
    assert encoded == msgspec.json.encode(again.path) == msgspec.json.encode(parallel.path)
    # Common random numbers: every candidate saw exactly the same customers.
    offered = {(c.overall["a"]["offered"].mean, c.overall["b"]["offered"].mean) for c in first.path}
    assert len(offered) == 1 and len(first.path) > 2


def test_erlang_start_splits_shared_traffic_after_exclusive_traffic() -> None:
    # Group A alone takes `a` (4 erlangs: Erlang C 80/20 says 7); `b` (4 erlangs) is shared.
    # All 8 erlangs pooled need 11, so the 4 missing agents are split 2 + 2 by shared traffic.
    call = {"arrivals": {"kind": "poisson", "rates_per_hour": [80]},
            "handle": {"kind": "exponential", "mean": 180}}  # fmt: skip
    s = Scenario.from_dict({
        "horizon": 3600,
        "call_types": [{"name": "a", "skills": {"a": 1}, **call},
                       {"name": "b", "skills": {"b": 1}, **call}],
        "agent_groups": [{"name": "A", "skills": {"a": 1, "b": 1}, "headcount": [0]},
                         {"name": "B", "skills": {"b": 1}, "headcount": [0]}],
    })  # fmt: skip
    goal = {"default": QueueTarget(service_level=0.8)}
    assert erlang_start(s, goal, ["A", "B"]) == {"A": 9, "B": 2}
    # Chat-like capacity: slots are servers, so three chats per agent need a third of them.
    chat = msgspec.structs.replace(s.agent_groups[0], capacity={"voice": 3})
    assert erlang_start(s.replace(agent_groups=[chat]), goal, ["A"]) == {"A": 4}


def test_targets_are_validated_and_required() -> None:
    with pytest.raises(
        ScenarioError, match=r"queue 'nope' is not in the router config.*\$\.targets\.nope"
    ):
        _two_skills(targets={"nope": {"service_level": 0.8}})
    with pytest.raises(ScenarioError, match=r"\$\.targets\.a"):
        _two_skills(targets={"a": {"threshold": 20}})
    with pytest.raises(ScenarioError, match=r"service_level"):
        _two_skills(targets={"a": {"service_level": 1.0}})
    with pytest.raises(ScenarioError, match="needs targets"):
        staff_search(_two_skills(targets={}), replications=2)
    with pytest.raises(ScenarioError, match="unknown agent group 'x'"):
        staff_search(_two_skills(), replications=2, groups=["x"])
    with pytest.raises(ScenarioError, match="can serve queue 'b'"):
        staff_search(_two_skills(), replications=2, groups=["a_only"])
    with pytest.raises(ValueError, match="replications must be >= 2"):
        staff_search(_two_skills(), replications=1, judge="ci")


def test_max_agents_stops_an_infeasible_search() -> None:
    result = staff_search(_mmc(), GOAL, replications=2, seed=1, max_agents=5)
    assert not result.feasible and result.staffing == {"agents": 5}
    assert [c.staffing["agents"] for c in result.path] == [5]


def test_ci_judge_needs_the_pessimistic_bound() -> None:
    # Judged on the CI's lower end, 7 agents (0.90 ± ~0.05 on 4 runs) may not be enough: the
    # answer is never below the mean-judged one.
    mean = staff_search(_mmc(), GOAL, replications=4, seed=5)
    ci = staff_search(_mmc(), GOAL, replications=4, seed=5, judge="ci")
    assert ci.staffing["agents"] >= mean.staffing["agents"] == 7
    for c in ci.path:
        check = c.checks[0]
        assert check.judged == check.estimate.lower
        assert check.met == (check.estimate.lower >= 0.84)


def test_parse_target_sl_and_merge() -> None:
    assert parse_target_sl("0.8/20") == parse_target_sl("80/20") == (0.8, 20.0)
    with pytest.raises(ValueError, match="LEVEL/SECONDS"):
        parse_target_sl("80")
    merged = merge_targets(_two_skills(), (0.9, 15.0), 0.1)
    assert merged == {
        "a": QueueTarget(service_level=0.9, threshold=15.0, max_abandon=0.1),
        "b": QueueTarget(service_level=0.9, threshold=15.0, max_abandon=0.1),
    }


SCENARIO = """
name = "tiny line"
horizon = 28800
interval = 28800
warmup = 1800

[[call_types]]
name = "calls"
arrivals = { kind = "poisson", rates_per_hour = [80] }
handle = { kind = "exponential", mean = 180 }

[[agent_groups]]
name = "agents"
headcount = [3]

[targets.default]
service_level = 0.84
"""


def test_cli_prints_the_path_and_the_answer_and_writes_csv(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO)
    out = tmp_path / "path.csv"
    args = ["staff-search", str(path), "-n", "10", "--seed", "5", "--quiet", "--csv", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "answer: agents=7 (7 agents), meets every target" in result.output
    assert "Erlang start agents=7" in result.output
    rows = list(csv.DictReader(out.open()))
    assert [(r["agents"], r["decision"]) for r in rows] == [("7", "accepted"), ("6", "rejected")]
    assert rows[1]["met"] == "False" and float(rows[1]["mean"]) < 0.84 <= float(rows[0]["mean"])
    # The same answer from the API, and its CSV is the same file.
    api = staff_search(load_scenario(path), replications=10, seed=5)
    buffer = io.StringIO()
    write_path_csv(api, buffer)
    assert buffer.getvalue().replace("\r\n", "\n") == out.read_text().replace("\r\n", "\n")


def test_cli_options_override_targets_and_report_infeasible(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO)
    args = ["staff-search", str(path), "-n", "2", "--quiet", "--sl", "95/20", "--max-agents", "6"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "answer: agents=6 (6 agents), does NOT meet every target" in result.output
    bad = CliRunner().invoke(main, ["staff-search", str(path), "--sl", "80"])
    assert bad.exit_code != 0 and "LEVEL/SECONDS" in bad.output


@pytest.mark.slow
def test_single_skill_search_matches_erlang_c_on_a_larger_line() -> None:
    # 20 erlangs; Erlang C for 84.5 % in 20 s: 25 agents (0.880; 24 give 0.809).
    answer = erlang.agents_for_service_level(20.0, 180.0, 20.0, 0.845)
    assert answer == 25
    scenario = mmc(25, 20 / 25, horizon=8 * 3600.0)
    goal = {"default": QueueTarget(service_level=0.845)}
    result = staff_search(scenario, goal, replications=20, seed=8, start={"agents": 22})
    assert result.staffing == {"agents": answer}
    assert [c.staffing["agents"] for c in result.path] == [22, 23, 24, 25, 24]


def test_doctests() -> None:
    import doctest

    from ccrouter.cli import search as cli_search
    from ccrouter.sim import search, staffing_bound

    for module in (search, staffing_bound, cli_search):
        assert doctest.testmod(module).failed == 0, module.__name__


def _three_groups(rate_a: float, rate_b: float, able: tuple[bool, bool, bool]) -> Scenario:
    """Calls `a` and `b`; group X takes a and b, Y takes b, Z (if able[2]) takes a; X and Y
    can be switched off via ``able`` to vary which traffic is exclusive."""
    call = {"handle": {"kind": "exponential", "mean": 180}}
    return Scenario.from_dict({
        "horizon": 5400, "interval": 1800,
        "call_types": [
            {"name": "a", "skills": {"a": 1}, **call,
             "arrivals": {"kind": "poisson", "rates_per_hour": [rate_a, rate_a / 2, rate_a]}},
            {"name": "b", "skills": {"b": 1}, **call,
             "arrivals": {"kind": "poisson", "rates_per_hour": [rate_b]}},
        ],
        "agent_groups": [
            {"name": "X", "skills": {"a": 1, "b": 1} if able[0] else {"z": 1}, "headcount": [0]},
            {"name": "Y", "skills": {"b": 1} if able[1] else {"z": 1}, "headcount": [0]},
            {"name": "Z", "skills": {"a": 1} if able[2] else {"z": 1}, "headcount": [0]},
        ],
    })  # fmt: skip


@given(
    rate_a=st.floats(min_value=1.0, max_value=400.0),
    rate_b=st.floats(min_value=1.0, max_value=400.0),
    able=st.tuples(st.booleans(), st.booleans(), st.booleans()).filter(
        lambda t: (t[0] or t[1]) and (t[0] or t[2])  # every call type has some group
    ),
    level=st.floats(min_value=0.5, max_value=0.95),
)
@settings(max_examples=60, deadline=None)
def test_erlang_start_is_at_least_each_exclusive_and_the_pooled_bound(
    rate_a: float, rate_b: float, able: tuple[bool, bool, bool], level: float
) -> None:
    s = _three_groups(rate_a, rate_b, able)
    goal = {"default": QueueTarget(service_level=level)}
    start = erlang_start(s, goal, ["X", "Y", "Z"])
    # Rates per hour averaged over the three half-hours (the middle one is half as busy).
    a, b = rate_a * (2.5 / 3) * 180 / 3600, rate_b * 180 / 3600
    pooled = erlang.agents_for_service_level(a + b, 180.0, 20.0, level)
    only: dict[str, list[float]] = {"X": [], "Y": [], "Z": []}  # traffic only it can take
    if not able[2]:
        only["X"].append(a)
    if not able[1]:
        only["X"].append(b)
    if not able[0]:
        only["Y"].append(b)
        only["Z"].append(a)
    for group, loads in only.items():
        if loads:
            assert start[group] >= erlang.agents_for_service_level(sum(loads), 180.0, 20.0, level)
        if (group == "X" and not able[0]) or (group == "Y" and not able[1]):
            assert start[group] == 0
        if group == "Z" and not able[2]:
            assert start[group] == 0
    # The total is the larger of the exclusive answers and the pooled one: the top-up to the
    # pool is exact, and pooled traffic never needs more than its parts (Erlang economies).
    exclusive = sum(
        erlang.agents_for_service_level(sum(loads), 180.0, 20.0, level)
        for loads in only.values()
        if loads
    )
    assert sum(start.values()) == max(exclusive, pooled)


@pytest.mark.parametrize("mode", [[], ["--per-interval"]])
def test_cli_says_when_the_scenario_defines_service_level_otherwise(
    tmp_path: Path, mode: list[str]
) -> None:
    path = tmp_path / "s.toml"
    path.write_text('sl_definition = "answered"\n' + SCENARIO)
    args = ["staff-search", str(path), "-n", "2", "--quiet", *mode]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "sl_definition is 'answered'" in result.output and "all arrivals" in result.output
    path.write_text(SCENARIO)
    assert "sl_definition" not in CliRunner().invoke(main, args).output
