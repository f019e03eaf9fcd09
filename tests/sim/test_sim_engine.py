"""Engine and replication behaviour: determinism across executors, common random numbers,
shifts and breaks, retrials, traces, scenario errors."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import msgspec
import numpy as np
import pytest
from models import mmc

from ccrouter.errors import ConfigError
from ccrouter.events import AgentLoggedOut, AgentNotReady, InteractionQueued, OfferAccepted
from ccrouter.sim import (
    Engine,
    Scenario,
    ScenarioError,
    load_scenario,
    simulate,
    t_quantile,
)

SIMULATIONS = Path(__file__).resolve().parents[2] / "simulations"


def _small() -> Scenario:
    return mmc(4, 0.8, horizon=1800.0, warmup=0.0, patience=200.0)


def test_serial_process_pool_and_dask_give_identical_results() -> None:
    scenario = _small()
    serial = simulate(scenario, 4, seed=3)
    with ProcessPoolExecutor(2) as pool:
        pooled = simulate(scenario, 4, seed=3, executor=pool)
    assert pooled.runs == serial.runs
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = simulate(scenario, 4, seed=3, executor=client.get_executor())
    assert on_dask.runs == serial.runs


def test_sequential_sampling_keeps_earlier_replications() -> None:
    scenario = _small()
    seen: list[int] = []
    result = simulate(
        scenario, 3, seed=1, target_half_width=1e-9, max_replications=9, progress=seen.append
    )
    assert result.replications == 9 and seen == list(range(1, 10))
    assert simulate(scenario, 3, seed=1).runs == result.runs[:3]


def test_common_random_numbers_across_staffing_variants() -> None:
    """The same customers (arrival times, handle times) whatever the staffing."""

    def customers(agents: int) -> list[tuple[str, float]]:
        scenario = mmc(4, 0.8, horizon=1800.0, warmup=0.0).with_headcounts({"agents": [agents]})
        out = Engine(scenario, np.random.SeedSequence(5)).run()
        return [(e.interaction_id, e.at) for e in out.events if isinstance(e, InteractionQueued)]

    assert customers(4) == customers(6)


def test_shifts_breaks_and_logout_after_work() -> None:
    scenario = Scenario.from_dict(
        {
            "horizon": 3600,
            "interval": 900,
            "call_types": [
                {
                    "name": "c",
                    "arrivals": {"kind": "poisson", "rates_per_hour": [40, 40, 40, 40]},
                    "handle": {"kind": "deterministic", "value": 600},
                }
            ],
            "agent_groups": [
                {
                    "name": "g",
                    "shifts": [
                        {
                            "start": 0,
                            "end": 1800,
                            "count": 3,
                            "breaks": [{"start": 600, "length": 300}],
                        },
                        {"start": 900, "end": 3600, "count": 2},
                    ],
                }
            ],
        }
    )
    out = Engine(scenario, np.random.SeedSequence(2)).run()
    breaks = [e for e in out.events if isinstance(e, AgentNotReady) and e.reason == "break"]
    assert len(breaks) == 3 and all(e.at == 600 for e in breaks)
    logouts = {e.agent_id: e.at for e in out.events if isinstance(e, AgentLoggedOut)}
    assert len(logouts) == 5
    first_shift = [at for agent, at in logouts.items() if agent <= "g-0003"]
    assert all(1800 <= at <= 1800 + 600 for at in first_shift)  # after finishing the call
    accepted = [e for e in out.events if isinstance(e, OfferAccepted)]
    assert all(not (600 < e.at < 900 and e.agent_id <= "g-0003") for e in accepted)


def test_headcount_per_interval_and_retrials() -> None:
    scenario = mmc(3, 1.5, horizon=3600.0, warmup=0.0, patience=30.0)
    call = scenario.call_types[0]
    retrying = scenario.replace(
        call_types=[type(call)(**{**_fields(call), "retrial_probability": 1.0})]
    )
    plain = Engine(scenario, np.random.SeedSequence(1)).run()
    again = Engine(retrying, np.random.SeedSequence(1)).run()
    retries = [
        e for e in again.events if isinstance(e, InteractionQueued) and "." in e.interaction_id
    ]
    assert retries and plain.customers == again.customers
    staffed = simulate(scenario.with_headcounts({"agents": [5]}), 2, seed=1)
    assert staffed.overall["all"]["staffed_agents"].mean == pytest.approx(5.0, rel=0.02)


def _fields(struct: object) -> dict[str, object]:
    return {f: getattr(struct, f) for f in struct.__struct_fields__}  # type: ignore[attr-defined]


def test_trace_arrivals(tmp_path: Path) -> None:
    (tmp_path / "trace.csv").write_text("at\n5\n10.5\n3000\n")
    (tmp_path / "s.toml").write_text(
        'horizon = 3600\n[[call_types]]\nname = "t"\n'
        'arrivals = {kind = "trace", path = "trace.csv"}\n'
        'handle = {kind = "empirical", values = [60, 120]}\n'
        '[[agent_groups]]\nname = "g"\nheadcount = [1]\n'
    )
    out = Engine(load_scenario(tmp_path / "s.toml"), np.random.SeedSequence(0)).run()
    queued = [e.at for e in out.events if isinstance(e, InteractionQueued)]
    assert queued == [5.0, 10.5, 3000.0]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"horizon": -1}, "$.horizon"),
        (
            {
                "call_types": [
                    {
                        "name": "c",
                        "handle": {"kind": "exponential", "mean": 0},
                        "arrivals": {"kind": "poisson", "rates_per_hour": [1]},
                    }
                ]
            },
            "$.call_types[0].handle.mean",
        ),
        (
            {
                "call_types": [
                    {
                        "name": "c",
                        "handle": {"kind": "weibull"},
                        "arrivals": {"kind": "poisson", "rates_per_hour": [1]},
                    }
                ]
            },
            "$.call_types[0].handle",
        ),
        (
            {
                "call_types": [
                    {
                        "name": "c",
                        "queue": "nope",
                        "handle": {"kind": "deterministic", "value": 1},
                        "arrivals": {"kind": "poisson", "rates_per_hour": [1]},
                    }
                ]
            },
            "$.call_types[0].queue",
        ),
        ({"agent_groups": [{"name": "g", "headcount": [1, 2, 3]}]}, "$.agent_groups[0].headcount"),
        ({"agent_groups": [{"name": "g"}]}, "$.agent_groups[0]"),
        ({"router": {"queues": {"default": {"strategy": "fastest"}}}}, "$.queues.default.strategy"),
    ],
)
def test_scenario_errors_name_the_field(change: dict[str, object], where: str) -> None:
    base: dict[str, object] = {
        "horizon": 3600,
        "interval": 1800,
        "call_types": [],
        "agent_groups": [{"name": "g", "headcount": [1]}],
    }
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict({**base, **change})
    assert where in str(info.value)


def test_example_scenarios_load() -> None:
    for path in sorted(SIMULATIONS.glob("*.toml")):
        assert load_scenario(path).call_types, path


def test_t_quantile_matches_tables() -> None:
    assert t_quantile(0.975, 1) == pytest.approx(12.7062047, rel=1e-7)
    assert t_quantile(0.975, 4) == pytest.approx(2.7764451, rel=1e-7)
    assert t_quantile(0.995, 29) == pytest.approx(2.7563859, rel=1e-7)


def test_batch_matching_is_refused_rather_than_serving_nobody() -> None:
    base = _small()
    scenario = msgspec.structs.replace(base, router={**base.router, "matching": "batch"})
    with pytest.raises(ConfigError, match="greedy matching only"):
        Engine(scenario, np.random.SeedSequence(0))


def test_callers_who_take_a_callback_never_abandon_and_are_served_later() -> None:
    """One agent, three calls at once, 30 s handle; patience 5 s; callback offered after 1 s
    and always taken: the two waiting callers become callbacks (no abandon) and are served
    one after the other; with acceptance 0 they abandon at 5 s."""
    from ccrouter.events import CallbackRequested, InteractionAbandoned, InteractionCompleted
    from ccrouter.sim import Scenario
    from ccrouter.sim.engine import Engine

    def run(acceptance: float) -> list[object]:
        scenario = Scenario.from_dict(
            {
                "horizon": 100.0,
                "interval": 100.0,
                "call_types": [
                    {
                        "name": "c",
                        "arrivals": {"kind": "trace", "times": [0.0, 0.0, 0.0]},
                        "handle": {"kind": "deterministic", "value": 30.0},
                        "patience": {"kind": "deterministic", "value": 5.0},
                        "callback": {"after": 1.0, "acceptance": acceptance},
                    }
                ],
                "agent_groups": [{"name": "g", "headcount": [1]}],
            }
        )
        return list(Engine(scenario, np.random.SeedSequence(1)).run().events)

    taken = run(1.0)
    assert [e.at for e in taken if isinstance(e, CallbackRequested)] == [1.0, 1.0]
    assert not any(isinstance(e, InteractionAbandoned) for e in taken)
    assert [e.at for e in taken if isinstance(e, InteractionCompleted)] == [30.0, 60.0, 90.0]
    refused = run(0.0)
    assert not any(isinstance(e, CallbackRequested) for e in refused)
    assert [e.at for e in refused if isinstance(e, InteractionAbandoned)] == [5.0, 5.0]


def test_ringing_is_not_queueing() -> None:
    """With a ring delay every answer comes after the arrival, yet with agents to spare
    (load 0.2 on 10) almost nobody queues: P(wait) follows Erlang C (~0), while the mean
    answer time carries the ring delay (uniform 2-6 s: mean 4 s)."""
    data = msgspec.to_builtins(mmc(10, 0.2, horizon=3600.0, warmup=0.0))
    data["ring_delay"] = {"kind": "uniform", "low": 2, "high": 6}
    result = simulate(Scenario.from_dict(data), 2, seed=5)
    overall = result.overall["all"]
    assert overall["p_wait"].mean < 0.01
    assert 3.0 < overall["asa"].mean < 5.0
