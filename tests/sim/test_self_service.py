"""The self-service stage and per-interval handle means (``sim/self_service.py``,
``sim/customers.py``): what reaches the router, when, with which handle time; the counts;
stream independence; validation; both engines and the reports."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ccrouter.sim import Exponential, Scenario, ScenarioError, simulate, source_rng
from ccrouter.sim.customers import arrival_times, draw_customers, self_service_counts
from ccrouter.sim.demand import agent_demand
from ccrouter.sim.distributions import sample
from ccrouter.sim.engines import run_events, run_metrics

SIMULATIONS = Path(__file__).resolve().parents[2] / "simulations"


def scenario(
    stage: dict[str, Any] | None = None,
    *,
    rate: float = 600.0,
    horizon: float = 3600.0,
    **call: Any,
) -> Scenario:
    """Call type ``a`` (with ``stage``), call type ``b`` beside it, one group."""
    a: dict[str, Any] = {
        "name": "a",
        "queue": "qa",
        "arrivals": {"kind": "poisson", "rates_per_hour": [rate]},
        "handle": {"kind": "exponential", "mean": 100.0},
        "patience": {"kind": "exponential", "mean": 60.0},
        **call,
    }
    if stage is not None:
        a["self_service"] = stage
    b = {
        "name": "b",
        "queue": "qb",
        "arrivals": {"kind": "poisson", "rates_per_hour": [120.0]},
        "handle": {"kind": "lognormal", "mean": 200.0, "sd": 80.0},
        "patience": {"kind": "exponential", "mean": 90.0},
    }
    return Scenario.from_dict(
        {
            "horizon": horizon,
            "interval": 1800,
            "call_types": [a, b],
            "agent_groups": [{"name": "g", "headcount": [30]}],
            "router": {"queues": {"qa": {}, "qb": {}}},
        }
    )


DET = {"kind": "deterministic", "value": 60.0}
SEED = np.random.SeedSequence(11)


def test_without_the_new_features_the_draw_is_the_old_one() -> None:
    """Regression: arrival, handle and patience draws are the named streams' numbers, bit
    for bit, as both engines drew them before the shared draw existed."""
    s = scenario()
    drawn = draw_customers(s, SEED)
    for c, ct in enumerate(s.call_types):
        times = arrival_times(s, c, source_rng(SEED, f"arrivals/{ct.name}"))
        n = len(times)
        assert np.array_equal(drawn[c].times, times)
        assert np.array_equal(
            drawn[c].handle, sample(ct.handle, source_rng(SEED, f"handle/{ct.name}"), n)
        )
        assert ct.patience is not None and drawn[c].patience is not None
        want = sample(ct.patience, source_rng(SEED, f"patience/{ct.name}"), n)
        assert np.array_equal(drawn[c].patience, want)
        assert drawn[c].stage == {}


def test_containment_share_is_p_within_binomial_tolerance() -> None:
    s = scenario({"time": DET, "containment": 0.35}, rate=20000.0)
    drawn = draw_customers(s, SEED)
    entered = float(drawn[0].stage["entered"].sum())
    contained = float(drawn[0].stage["contained"].sum())
    sd = math.sqrt(entered * 0.35 * 0.65)
    assert entered > 15000
    assert abs(contained - 0.35 * entered) < 4 * sd
    # the contained never reach the router
    assert len(drawn[0].times) == entered - contained
    # and the other call type is not touched
    assert drawn[1].stage == {}


def test_opt_out_share_and_outcomes_partition_the_entries() -> None:
    stage = {"time": DET, "containment": 0.5, "opt_out": 0.2, "opt_out_time": DET}
    drawn = draw_customers(scenario(stage, rate=20000.0), SEED)
    st = {k: float(v.sum()) for k, v in drawn[0].stage.items()}
    assert st["contained"] + st["opted_out"] + st["escalated"] == st["entered"]
    assert abs(st["opted_out"] - 0.2 * st["entered"]) < 4 * math.sqrt(st["entered"] * 0.16)


def test_ivr_time_shifts_queue_arrivals() -> None:
    plain = draw_customers(scenario(), SEED)[0]
    shifted = draw_customers(scenario({"time": DET}), SEED)[0]
    assert np.array_equal(shifted.times, plain.times + 60.0)
    assert np.array_equal(shifted.handle, plain.handle)  # escalated, factor 1: unchanged
    # opt-outs spend the opt-out time instead
    early = {"kind": "deterministic", "value": 5.0}
    opted = draw_customers(scenario({"time": DET, "opt_out": 1.0, "opt_out_time": early}), SEED)
    assert np.array_equal(opted[0].times, plain.times + 5.0)


def test_random_ivr_time_reorders_by_queue_arrival() -> None:
    """With a random time in the stage, customers reach the queue in another order: the
    draw sorts them, carrying handle and patience along."""
    plain = draw_customers(scenario(), SEED)[0]
    got = draw_customers(scenario({"time": {"kind": "exponential", "mean": 300.0}}), SEED)[0]
    assert np.all(np.diff(got.times) >= 0)
    in_stage = sample(
        Exponential(mean=300.0), source_rng(SEED, "selfservice/a/time"), len(plain.times)
    )
    queue_at = plain.times + in_stage
    order = np.argsort(queue_at, kind="stable")
    assert not np.array_equal(order, np.arange(len(order)))  # the test means something
    assert np.array_equal(got.times, queue_at[order])
    assert np.array_equal(got.handle, plain.handle[order])
    assert plain.patience is not None and got.patience is not None
    assert np.array_equal(got.patience, plain.patience[order])


def test_partial_automation_and_escalation_scale_the_agents_part() -> None:
    plain = draw_customers(scenario(), SEED)[0]
    automated = {"time": DET, "automated": 1.0, "automated_handle_factor": 0.5}
    got = draw_customers(scenario(automated), SEED)[0]
    assert np.array_equal(got.handle, plain.handle * 0.5)
    longer = {"time": DET, "escalated_handle_factor": 1.5}
    got = draw_customers(scenario(longer), SEED)[0]
    assert np.array_equal(got.handle, plain.handle * 1.5)
    # opt-outs get no automation
    opted = {**automated, "opt_out": 1.0, "opt_out_time": DET}
    got = draw_customers(scenario(opted), SEED)[0]
    assert np.array_equal(got.handle, plain.handle)


def test_partial_automation_shortens_the_simulated_mean_handle() -> None:
    half = {"time": DET, "automated": 0.5, "automated_handle_factor": 0.4}
    runs = [run_metrics(scenario(s), 3, 0, "compiled") for s in (None, half)]
    before, after = (r.per_interval["qa"]["aht"] for r in runs)
    # expected factor 0.5 * 0.4 + 0.5 = 0.7 on the same draws
    for x, y in zip(before, after, strict=True):
        assert 0.6 < y / x < 0.8


def test_repeats_arrive_after_the_delay_and_late_ones_are_counted() -> None:
    delay = {"kind": "deterministic", "value": 600.0}
    stage = {"time": DET, "containment": 1.0, "repeat": 1.0, "repeat_delay": delay}
    plain = draw_customers(scenario(), SEED)[0]
    got = draw_customers(scenario(stage), SEED)
    expected = plain.times + 60.0 + 600.0  # (arrival + time in the stage) + delay
    assert np.array_equal(got[0].times, expected[expected < 3600.0])
    counts = got[0].stage
    assert counts["repeats"].sum() == len(plain.times)
    assert counts["repeats_dropped"].sum() == np.sum(expected >= 3600.0) > 0
    # a repeat's handle comes from its own stream, with the target's distribution
    n = len(got[0].times)
    want = sample(
        scenario().call_types[0].handle, source_rng(SEED, "selfservice/a/repeat_handle"), n
    )
    assert np.array_equal(got[0].handle, want)


def test_repeats_may_go_to_another_call_type() -> None:
    delay = {"kind": "deterministic", "value": 600.0}
    stage = {
        "time": DET,
        "containment": 1.0,
        "repeat": 1.0,
        "repeat_delay": delay,
        "repeat_to": "b",
    }
    plain = draw_customers(scenario(), SEED)
    got = draw_customers(scenario(stage), SEED)
    assert len(got[0].times) == 0  # all contained
    repeats = plain[0].times + 60.0 + 600.0
    repeats = repeats[repeats < 3600.0]
    merged = np.sort(np.concatenate([plain[1].times, repeats]))
    assert np.array_equal(got[1].times, merged)
    # b's own customers keep their handle times
    own = np.isin(got[1].times, plain[1].times)
    assert np.array_equal(got[1].handle[own], plain[1].handle)


def test_self_service_on_a_leaves_b_unchanged() -> None:
    plain = draw_customers(scenario(), SEED)
    stage = {
        "time": {"kind": "exponential", "mean": 90.0},
        "containment": 0.4,
        "opt_out": 0.1,
        "opt_out_time": DET,
        "automated": 0.5,
        "automated_handle_factor": 0.7,
        "repeat": 0.5,
    }
    got = draw_customers(scenario(stage), SEED)
    assert np.array_equal(got[1].times, plain[1].times)
    assert np.array_equal(got[1].handle, plain[1].handle)
    assert got[1].patience is not None and plain[1].patience is not None
    assert np.array_equal(got[1].patience, plain[1].patience)


def test_changing_one_probability_keeps_the_other_draws() -> None:
    """Common random numbers inside the stage: a higher containment contains a superset."""
    low = draw_customers(scenario({"time": DET, "containment": 0.2}), SEED)[0]
    high = draw_customers(scenario({"time": DET, "containment": 0.5}), SEED)[0]
    assert set(high.times.tolist()) <= set(low.times.tolist())
    assert high.stage["entered"].sum() == low.stage["entered"].sum()


def test_handle_means_scale_the_draw_per_interval() -> None:
    plain = draw_customers(scenario(), SEED)[0]
    got = draw_customers(scenario(handle_means=[50.0, 300.0]), SEED)[0]
    first = plain.times < 1800.0
    assert np.allclose(got.handle[first], plain.handle[first] * 0.5)
    assert np.allclose(got.handle[~first], plain.handle[~first] * 3.0)


@pytest.mark.parametrize(
    ("stage", "field", "words"),
    [
        (
            {"time": DET, "containment": 0.8, "opt_out": 0.3, "opt_out_time": DET},
            "self_service.containment",
            "containment + opt_out <= 1",
        ),
        ({"time": DET, "opt_out": 0.3}, "self_service.opt_out_time", "opt_out > 0"),
        ({"time": DET, "repeat": 0.3, "repeat_to": "zz"}, "self_service.repeat_to", "'zz'"),
        ({"time": DET, "containment": 1.5}, "self_service.containment", "<= 1.0"),
        ({"time": DET, "repeat": -0.1}, "self_service.repeat", ">= 0.0"),
        (
            {"time": DET, "automated_handle_factor": 0},
            "self_service.automated_handle_factor",
            "> 0",
        ),
    ],
)
def test_invalid_stage_names_the_field(stage: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario(stage)
    assert f"call_types[0].{field}" in str(err.value)
    assert words in str(err.value)


def test_invalid_handle_means_names_the_field() -> None:
    with pytest.raises(
        ScenarioError, match=r"expected 1 or 2 values, got 3 - at `\$.call_types\[0\].handle_means`"
    ):
        scenario(handle_means=[1.0, 2.0, 3.0])
    with pytest.raises(ScenarioError, match=r"handle_means"):
        scenario(handle_means=[0.0])
    with pytest.raises(ScenarioError, match=r"mean > 0 .* at `\$.call_types\[0\].handle`"):
        scenario(handle_means=[10.0], handle={"kind": "deterministic", "value": 0.0})


STAGE = {
    "time": {"kind": "lognormal", "mean": 60.0, "sd": 30.0},
    "containment": 0.3,
    "opt_out": 0.1,
    "opt_out_time": {"kind": "uniform", "low": 2.0, "high": 8.0},
    "automated": 0.5,
    "automated_handle_factor": 0.7,
    "escalated_handle_factor": 1.2,
    "repeat": 0.4,
    "repeat_delay": {"kind": "exponential", "mean": 300.0},
    "repeat_to": "b",
}


def test_both_engines_run_the_stage_event_for_event() -> None:
    s = scenario(STAGE, handle_means=[80.0, 140.0])
    for seed in range(3):
        ref = run_events(s, seed, 0, "router")
        got = run_events(s, seed, 0, "compiled")
        assert got.events == ref.events
        assert ref.customers == got.customers


def test_counts_in_the_metrics_and_the_estimates() -> None:
    s = scenario(STAGE)
    router = run_metrics(s, 5, 1, "router")
    compiled = run_metrics(s, 5, 1, "compiled")
    assert router.self_service == compiled.self_service
    assert router.self_service_overall == compiled.self_service_overall
    drawn = draw_customers(s, np.random.SeedSequence(5, spawn_key=(1,)))
    per_interval, overall = self_service_counts(s, drawn)
    assert compiled.self_service == per_interval
    a = overall["a"]
    assert a["entered"] == a["contained"] + a["opted_out"] + a["escalated"]
    assert a["containment_rate"] == a["contained"] / a["entered"]
    assert set(overall) == {"a", "all"}
    result = simulate(s, 4, seed=2)
    est = result.self_service_overall["a"]["containment_rate"]
    assert est.n == 4 and 0.15 < est.mean < 0.45
    assert len(result.self_service["a"]["entered"]) == s.n_intervals
    # no stage, no counts
    assert simulate(scenario(), 2, seed=2).self_service_overall == {}


def test_warmup_leaves_early_entries_out_of_the_counts() -> None:
    s = scenario(STAGE).replace(warmup=1800.0)
    per_interval, overall = self_service_counts(s, draw_customers(s, SEED))
    assert math.isnan(per_interval["a"]["entered"][0])
    assert overall["a"]["entered"] == per_interval["a"]["entered"][1]


def test_sample_scenario_runs_and_the_report_shows_the_stage(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from ccrouter.sim import load_scenario
    from ccrouter.sim.report import write_report

    result = simulate(load_scenario(SIMULATIONS / "self_service.toml"), 3, seed=1)
    rate = result.self_service_overall["bank"]["containment_rate"].mean
    assert 0.3 < rate < 0.4
    text = write_report(result, tmp_path / "r.html").read_text()
    assert "<h2>Self-service</h2>" in text and "containment" in text


def test_agent_demand_matches_the_draw_on_average() -> None:
    """The analytical demand at the agents (``sim/demand.py``) equals the draws' mean: calls
    per hour and mean handle time per interval, after the stage and with repeats moved to
    their target; a wrong factor, share or repeat interval moves these by far more than the
    tolerance (200 replications: under 1 % relative standard error; 2 % allowed)."""
    stage = {**STAGE, "time": {"kind": "deterministic", "value": 10.0},
             "repeat_delay": {"kind": "deterministic", "value": 1800.0}}  # fmt: skip
    s = scenario(stage, rate=600.0, horizon=7200.0, handle_means=[80.0, 160.0, 120.0, 100.0])
    want = agent_demand(s)
    counts = {c: np.zeros(4) for c in ("a", "b")}
    work = {c: np.zeros(4) for c in ("a", "b")}
    runs = 200
    for r in range(runs):
        for ct, got in zip(s.call_types, draw_customers(s, np.random.SeedSequence(r)), strict=True):
            k = np.minimum(3, (got.times // 1800).astype(int))
            counts[ct.name] += np.bincount(k, minlength=4)
            work[ct.name] += np.bincount(k, weights=got.handle, minlength=4)
    for name in ("a", "b"):
        per_hour = counts[name] / runs * 2
        assert per_hour == pytest.approx(want[name].calls_per_hour, rel=0.02)
        assert work[name] / counts[name] == pytest.approx(want[name].mean_handle, rel=0.02)
    # repeats of a reach b one interval later: b's own 120/h plus 600 x 0.3 x 0.4 = 72/h
    assert want["b"].calls_per_hour == pytest.approx([120.0, 192.0, 192.0, 192.0])


def test_attributes_travel_with_their_customer() -> None:
    """Reordered by the time in the stage, each customer keeps its own attributes (the
    router-driven engine submits them; the compiled engine runs no attributes)."""
    level = {"kind": "uniform", "low": 0.0, "high": 1000.0}
    plain = draw_customers(scenario(attributes={"level": level}), SEED)[0]
    ivr = {"kind": "exponential", "mean": 300.0}
    got = draw_customers(scenario({"time": ivr}, attributes={"level": level}), SEED)[0]
    in_stage = sample(
        Exponential(mean=300.0), source_rng(SEED, "selfservice/a/time"), len(plain.times)
    )
    order = np.argsort(plain.times + in_stage, kind="stable")
    assert got.attributes == [plain.attributes[j] for j in order.tolist()]
    assert len({a["level"] for a in got.attributes}) == len(got.attributes)  # all distinct
    assert draw_customers(scenario({"time": ivr}), SEED)[0].attributes == []
