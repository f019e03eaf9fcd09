"""The staffing searches' Erlang start sees the load at the agents (``sim/staffing_bound.py``,
``sim/interval_window.py``): after the self-service stage and with ``handle_means``, as
:func:`ccrouter.sim.demand.agent_demand` computes it, checked against Erlang C on that load
worked out by hand; and a search starting there still meets every target, close to its start.
"""

from __future__ import annotations

from typing import Any

import pytest

from ccrouter.sim import QueueTarget, Scenario, staff_search_per_interval
from ccrouter.sim.interval_window import interval_erlang, window_scenario
from ccrouter.sim.staffing_bound import erlang_start
from ccrouter.staffing import erlang

SL = {"default": QueueTarget(service_level=0.8)}
BOT = {"time": {"kind": "deterministic", "value": 30.0}, "containment": 0.5}


def _day(rates: list[float], mean: float = 120.0, **extra: Any) -> Scenario:
    return Scenario.from_dict(
        {
            "horizon": 1800.0 * len(rates),
            "interval": 1800.0,
            "threshold": 20,
            "call_types": [
                {
                    "name": "c",
                    "arrivals": {"kind": "poisson", "rates_per_hour": rates},
                    "handle": {"kind": "exponential", "mean": mean},
                    **extra,
                }
            ],
            "agent_groups": [{"name": "g", "headcount": [1]}],
            "targets": {"default": {"service_level": 0.8}},
        }
    )


def _erlang_c(calls_per_hour: float, aht: float) -> int:
    return int(erlang.agents_for_service_level(calls_per_hour * aht / 3600.0, aht, 20.0, 0.8))


def test_a_bot_containing_half_the_calls_halves_the_starts_traffic() -> None:
    plain = _day([480.0])
    bot = _day([480.0], self_service=BOT)
    assert erlang_start(plain, SL, ["g"]) == {"g": _erlang_c(480.0, 120.0)}
    assert erlang_start(bot, SL, ["g"]) == {"g": _erlang_c(240.0, 120.0)}
    assert _erlang_c(240.0, 120.0) < _erlang_c(480.0, 120.0)
    assert interval_erlang(bot, 0, SL, ["g"]) == {"g": _erlang_c(240.0, 120.0)}


def test_handle_means_scale_the_starts_traffic_and_its_handle_time() -> None:
    doubled = _day([240.0], handle_means=[240.0])
    assert erlang_start(doubled, SL, ["g"]) == {"g": _erlang_c(240.0, 240.0)}
    per_interval = _day([240.0, 240.0], handle_means=[120.0, 360.0])
    assert [interval_erlang(per_interval, k, SL, ["g"])["g"] for k in (0, 1)] == [
        _erlang_c(240.0, 120.0),
        _erlang_c(240.0, 360.0),
    ]
    # Over the horizon: the mean rate, each interval's calls at their own mean handle time.
    assert erlang_start(per_interval, SL, ["g"]) == {"g": _erlang_c(240.0, 240.0)}


def test_escalation_automation_and_opt_out_change_the_handle_time_at_the_agents() -> None:
    stage = {
        "time": {"kind": "deterministic", "value": 30.0},
        "containment": 0.3,
        "opt_out": 0.2,
        "opt_out_time": {"kind": "deterministic", "value": 5.0},
        "automated": 0.5,
        "automated_handle_factor": 0.6,
        "escalated_handle_factor": 1.4,
    }
    s = _day([600.0], mean=100.0, self_service=stage)
    # Reaching an agent: opt-outs 20 % at 100 s, escalations 50 % at (0.5·0.6 + 0.5·1.4)·100 s.
    calls = 600.0 * (0.2 + 0.5)
    work = 600.0 * (0.2 * 100.0 + 0.5 * 100.0)
    assert erlang_start(s, SL, ["g"]) == {"g": _erlang_c(calls, work / calls)}


def test_repeats_of_contained_callers_reach_the_interval_they_call_back_in() -> None:
    stage = {
        "time": {"kind": "deterministic", "value": 30.0},
        "containment": 0.5,
        "repeat": 1.0,
        "repeat_delay": {"kind": "deterministic", "value": 1800.0},
    }
    s = _day([480.0, 480.0, 480.0], self_service=stage)
    # Interval 0: the escalated half; later ones: that half and interval k-1's repeats.
    assert [interval_erlang(s, k, SL, ["g"])["g"] for k in range(3)] == [
        _erlang_c(240.0, 120.0),
        _erlang_c(480.0, 120.0),
        _erlang_c(480.0, 120.0),
    ]


def test_a_window_numbers_its_handle_means_from_its_first_interval() -> None:
    s = _day([60.0, 60.0, 60.0, 60.0], handle_means=[100.0, 200.0, 300.0, 400.0])
    w = window_scenario(s, 1, 2, {"g": [1, 1]})
    assert w.call_types[0].handle_means == [200.0, 300.0]
    flat = _day([60.0, 60.0], handle_means=[150.0])
    assert window_scenario(flat, 1, 1, {"g": [1]}).call_types[0].handle_means == [150.0]


@pytest.mark.parametrize("lookback", [None, 1])
def test_with_a_bot_the_search_starts_within_a_few_agents_of_its_answer(
    lookback: int | None,
) -> None:
    stage = {**BOT, "automated": 1.0, "automated_handle_factor": 0.75}
    s = _day([240.0, 600.0, 360.0], handle_means=[120.0, 160.0, 120.0], self_service=stage)
    result = staff_search_per_interval(s, replications=6, seed=3, lookback=lookback)
    assert result.feasible and not result.unmet  # still meets every target on the whole day
    start, answer = result.erlang["g"], result.requirements["g"]
    assert max(abs(a - b) for a, b in zip(start, answer, strict=True)) <= 2, (start, answer)
    # The raw arrivals at the distribution's own mean (the start before) were far off.
    raw = [_erlang_c(r, 120.0) for r in (240.0, 600.0, 360.0)]
    assert all(r >= a + 3 for r, a in zip(raw, answer, strict=True)), (raw, answer)
