"""The compiled engine reproduces the router-driven engine event for event.

For every scenario the compiled engine supports and every seed, the decoded events of
``run_compiled`` equal ``Engine(scenario, seed).run().events`` (kinds, seq, ids, every field,
times bit for bit). Hypothesis generates small scenarios across the supported feature space;
the example scenarios run with 5 seeds each.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccrouter.engine.routing.strategies import CODES
from ccrouter.sim import Engine, Scenario, compute_metrics, load_scenario
from ccrouter.sim.compiled import NotCompiled, run_compiled, unsupported_features

SIMULATIONS = Path(__file__).resolve().parents[2] / "simulations"
EXAMPLES = sorted(SIMULATIONS.glob("*.toml"))
COMPILED_STRATEGIES = sorted(s for s in CODES if s not in ("order_by", "performance"))
"""The strategies the compiled engine runs (``order_by`` reads agent attributes, ``performance``
the outcome projection: not compiled)."""
NOT_COMPILED_EXAMPLES: dict[str, list[str]] = {}
"""Example scenarios that use a feature the compiled engine does not run yet."""


def assert_same_run(scenario: Scenario, seed: int) -> int:
    """Run both engines with ``seed``; fail naming the first differing event. Returns the
    number of events compared."""
    ref = Engine(scenario, np.random.SeedSequence(seed)).run()
    got = run_compiled(scenario, np.random.SeedSequence(seed), keep_events=True)
    assert got.events is not None
    for j, (want, have) in enumerate(zip(ref.events, got.events, strict=False)):
        if want != have:
            context = "\n".join(f"    {e}" for e in ref.events[max(0, j - 3) : j])
            pytest.fail(
                f"first difference at event {j} (seed {seed}):\n  router:   {want}\n"
                f"  compiled: {have}\n  before it:\n{context}"
            )
    assert len(got.events) == len(ref.events), "one engine logged more events"
    assert got.n_events == len(ref.events)
    assert got.customers == ref.customers
    assert got.agent_group == ref.agent_group
    assert got.dials == ref.dials
    return len(ref.events)


# --- generated scenarios ----------------------------------------------------------------------

SKILLS = ("a", "b")


def _distribution(draw: Any, mean: float) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            ["exponential", "lognormal", "gamma", "deterministic", "uniform", "empirical"]
        )
    )
    if kind == "exponential":
        return {"kind": kind, "mean": mean}
    if kind in ("lognormal", "gamma"):
        return {"kind": kind, "mean": mean, "sd": mean * draw(st.sampled_from([0.3, 1.0, 2.0]))}
    if kind == "deterministic":
        return {"kind": kind, "value": draw(st.sampled_from([0.0, mean]))}
    if kind == "uniform":
        return {"kind": kind, "low": 0.0, "high": 2 * mean}
    values = draw(
        st.lists(st.sampled_from([0.0, mean / 2, mean, 3 * mean]), min_size=1, max_size=4)
    )
    return {"kind": kind, "values": values}


def _mean(dist: dict[str, Any]) -> float:
    """The mean of a generated distribution."""
    if "mean" in dist:
        return float(dist["mean"])
    if "value" in dist:
        return float(dist["value"])
    if "high" in dist:
        return (dist["low"] + dist["high"]) / 2.0
    return float(np.mean(dist["values"]))


def _self_service(draw: Any, targets: list[str]) -> dict[str, Any]:
    """A self-service stage: IVR time, containment, opt-out, automation, repeats (to this
    call type or one generated before it)."""
    opt_out = draw(st.sampled_from([0.0, 0.2]))
    stage: dict[str, Any] = {
        "time": _distribution(draw, draw(st.sampled_from([5.0, 60.0]))),
        "containment": draw(st.sampled_from([0.0, 0.3, 0.8])),
        "opt_out": opt_out,
        "automated": draw(st.sampled_from([0.0, 0.5, 1.0])),
        "automated_handle_factor": draw(st.sampled_from([0.5, 1.0])),
        "escalated_handle_factor": draw(st.sampled_from([1.0, 1.5])),
        "repeat": draw(st.sampled_from([0.0, 0.5, 1.0])),
        "repeat_delay": _distribution(draw, draw(st.sampled_from([30.0, 300.0]))),
    }
    if opt_out:
        stage["opt_out_time"] = _distribution(draw, 5.0)
    if draw(st.booleans()):
        stage["repeat_to"] = draw(st.sampled_from(targets))
    return stage


def _overflow_cycles(queues: dict[str, dict[str, Any]]) -> list[list[str]]:
    """The cycles of ``overflow_to`` among ``queues`` (each once, from its first queue)."""
    cycles = []
    for start in sorted(queues):
        path = [start]
        q = queues[start].get("overflow_to")
        while q is not None and q not in path:
            path.append(q)
            q = queues[q].get("overflow_to")
        if q == start and start == min(path):
            cycles.append(path)
    return cycles


def _steps(draw: Any, names: list[str], grouped: bool) -> list[dict[str, Any]]:
    """One or two widening steps (at 0 s too; groups only where the queue names some)."""
    afters = sorted(draw(st.lists(st.sampled_from([0.0, 10.0, 30.0]), min_size=1, max_size=2)))
    steps = []
    for after in afters:
        step: dict[str, Any] = {"after": after}
        if draw(st.booleans()):
            step["skills"] = draw(
                st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 3), max_size=2)
            )
        if draw(st.booleans()):
            step["drop_skills"] = draw(st.lists(st.sampled_from(SKILLS), max_size=2))
        if draw(st.booleans()):
            step["priority"] = draw(st.sampled_from([0.0, 3.0]))
        if grouped and draw(st.booleans()):
            step["groups"] = draw(st.lists(st.sampled_from(names), min_size=1, max_size=2))
        step["skip_if_nobody"] = draw(st.booleans())
        steps.append(step)
    return steps


@st.composite
def scenarios(draw: Any) -> Scenario:
    """A small scenario anywhere in the compiled engine's feature space."""
    interval = draw(st.sampled_from([600.0, 900.0]))
    n_intervals = draw(st.integers(1, 3))
    horizon = interval * n_intervals - draw(st.sampled_from([0.0, 100.0]))
    channels = draw(st.sampled_from([["voice"], ["voice", "chat"]]))
    queues: dict[str, dict[str, Any]] = {}
    for q in draw(st.sampled_from([["default"], ["q0", "q1"]])):
        settings_: dict[str, Any] = {
            "strategy": draw(st.sampled_from(COMPILED_STRATEGIES)),
            "wrap_up": draw(st.sampled_from([0.0, 5.0, 30.0])),
            "aging_rate": draw(st.sampled_from([0.0, 0.0, 0.01])),
        }
        if draw(st.booleans()):
            settings_["offer_timeout"] = draw(st.sampled_from([3.0, 10.0]))
        if draw(st.integers(0, 3)) == 0:
            settings_["deadline"] = draw(st.sampled_from([60.0, 300.0]))
            settings_["reminders"] = draw(
                st.lists(st.sampled_from([10.0, 30.0, 120.0]), max_size=2)
            )
            settings_["overdue_priority"] = draw(st.sampled_from([0.0, 5.0]))
        queues[q] = settings_
    if draw(st.integers(0, 3)) == 0:  # a queue only overflows reach
        queues["spill"] = {"strategy": draw(st.sampled_from(COMPILED_STRATEGIES))}
    inbound = sorted(queues)
    for q in inbound:  # exits, and where they overflow
        settings_ = queues[q]
        if draw(st.integers(0, 2)) == 0:
            settings_["max_wait"] = draw(st.sampled_from([5.0, 30.0, 120.0]))
        if draw(st.integers(0, 3)) == 0:
            settings_["max_size"] = draw(st.integers(0, 3))
        if ("max_wait" in settings_ or "max_size" in settings_) and draw(st.booleans()):
            settings_["overflow_to"] = draw(st.sampled_from(inbound))
            settings_["keep_age"] = draw(st.booleans())
    n_groups = draw(st.integers(1, 3))
    names = [f"g{g}" for g in range(n_groups)] + ["gx"]
    for settings_ in queues.values():
        if draw(st.integers(0, 2)) == 0:  # agent groups: members only ("gx": nobody)
            settings_["groups"] = draw(st.lists(st.sampled_from(names), min_size=1, max_size=2))
        if draw(st.integers(0, 2)) == 0:
            settings_["steps"] = _steps(draw, names, "groups" in settings_)
        if draw(st.integers(0, 3)) == 0:
            settings_["max_wait_no_agents"] = draw(st.sampled_from([0.0, 5.0, 40.0]))
        if draw(st.integers(0, 4)) == 0:
            settings_["callback_after"] = draw(st.sampled_from([0.0, 15.0, 60.0]))
        if "deadline" in settings_ and draw(st.booleans()):
            settings_["overdue_queue"] = draw(st.sampled_from(inbound))
    cycles = _overflow_cycles(queues)
    for cycle in cycles:  # a cycle passing work on at once is refused by the config
        if all(queues[q].get("keep_age") for q in cycle):
            queues[cycle[0]]["keep_age"] = False
        for q in cycle:  # (nobody able: every queue of the cycle would pass it on at once)
            if queues[q].get("max_wait_no_agents") == 0.0:
                queues[q]["max_wait_no_agents"] = 5.0
    call_types = []
    for c in range(draw(st.integers(1, 3))):
        call: dict[str, Any] = {
            "name": f"t{c}",
            "channel": draw(st.sampled_from(channels)),
            "queue": draw(st.sampled_from([q for q in inbound if q != "spill"])),
            "skills": draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 3), max_size=2)),
            "priority": draw(st.sampled_from([0.0, 0.0, 1.0, 2.5])),
            "handle": _distribution(draw, draw(st.sampled_from([60.0, 200.0]))),
        }
        if draw(st.integers(0, 4)) == 0:
            times = draw(st.lists(st.floats(0.0, horizon + 50.0), min_size=1, max_size=30))
            call["arrivals"] = {"kind": "trace", "times": sorted(times)}
        else:
            k = draw(st.sampled_from([1, n_intervals]))
            rates = draw(
                st.lists(st.sampled_from([0.0, 30.0, 90.0, 200.0]), min_size=k, max_size=k)
            )
            call["arrivals"] = {"kind": "poisson", "rates_per_hour": rates}
        if draw(st.booleans()):
            call["patience"] = _distribution(draw, draw(st.sampled_from([20.0, 120.0])))
            call["retrial_probability"] = draw(st.sampled_from([0.0, 0.3, 0.6]))  # < 1: finite runs
            call["retrial_delay"] = _distribution(draw, 60.0)
        if cycles:  # work going round a cycle of overflows ends only when the caller leaves
            call.setdefault("patience", _distribution(draw, 120.0))
            call.setdefault("retrial_probability", 0.0)
            call.setdefault("retrial_delay", {"kind": "exponential", "mean": 60.0})
        if draw(st.integers(0, 3)) == 0:
            call["callback"] = {
                "after": draw(st.sampled_from([0.0, 15.0, 60.0])),
                "acceptance": draw(st.sampled_from([0.3, 1.0])),
            }
        if draw(st.integers(0, 3)) == 0 and _mean(call["handle"]) > 0:  # AHT per interval
            k = draw(st.sampled_from([1, n_intervals]))
            means = st.lists(st.sampled_from([30.0, 150.0, 400.0]), min_size=k, max_size=k)
            call["handle_means"] = draw(means)
        if draw(st.integers(0, 2)) == 0:
            call["self_service"] = _self_service(draw, [f"t{j}" for j in range(c + 1)])
        call_types.append(call)
    groups = []
    for g in range(n_groups):
        group: dict[str, Any] = {
            "name": f"g{g}",
            "skills": draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 5), max_size=2)),
            "capacity": {ch: draw(st.integers(1, 3)) if ch == "chat" else 1 for ch in channels},
        }
        if draw(st.booleans()):
            k = draw(st.sampled_from([1, n_intervals]))
            group["headcount"] = draw(st.lists(st.integers(0, 4), min_size=k, max_size=k))
        else:
            shifts = []
            for _ in range(draw(st.integers(1, 2))):
                start = draw(st.sampled_from([0.0, 200.0, interval]))
                end = start + draw(st.sampled_from([300.0, 900.0, 2000.0]))
                shift: dict[str, Any] = {
                    "start": start,
                    "end": end,
                    "count": draw(st.integers(1, 3)),
                }
                if draw(st.booleans()):
                    shift["breaks"] = [
                        {"start": 100.0, "length": draw(st.sampled_from([50.0, 150.0]))}
                    ]
                shifts.append(shift)
            group["shifts"] = shifts
        groups.append(group)
    data: dict[str, Any] = {
        "horizon": horizon,
        "interval": interval,
        "call_types": call_types,
        "agent_groups": groups,
        "router": {
            "queues": queues,
            "max_no_answer": draw(st.integers(1, 3)),
            # the router's accepted range (ccrouter.limits): a signed 64-bit integer
            "seed": draw(st.integers(-(2**63), 2**63 - 1)),
        },
    }
    if draw(st.integers(0, 3)) == 0:
        queues["out"] = {"strategy": draw(st.sampled_from(COMPILED_STRATEGIES)), "wrap_up": 10.0}
        out = queues["out"]
        if draw(st.integers(0, 2)) == 0:  # exits on the campaign's queue, overflow from it
            out["max_wait"] = draw(st.sampled_from([1.0, 5.0]))
            if draw(st.booleans()):
                out["max_size"] = draw(st.integers(0, 2))
            if draw(st.booleans()):
                out["overflow_to"] = draw(st.sampled_from([*inbound, "out"]))
                out["keep_age"] = out["overflow_to"] != "out" and draw(st.booleans())
        pacing: dict[str, Any] = {"kind": draw(st.sampled_from(["progressive", "predictive"]))}
        if pacing["kind"] == "predictive" and draw(st.booleans()):
            pacing.update(initial_gain=2.0, gain_step=0.5, prior_attempts=0.0)
        campaign: dict[str, Any] = {
            "name": "dial",
            "queue": "out",
            "channel": "voice",
            "skills": draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 2), max_size=1)),
            "priority": draw(st.sampled_from([-1.0, 0.0, 1.0])),
            "rpc_probability": draw(st.sampled_from([0.2, 0.6])),
            "handle": _distribution(draw, 100.0),
            "answer_time": _distribution(draw, 10.0),
            "grace": draw(st.sampled_from([0.0, 2.0, 10.0])),
            "reserve": draw(st.integers(0, 1)),
            "pacing": pacing,
            "start": draw(st.sampled_from([0.0, 100.0])),
        }
        if draw(st.booleans()):
            campaign["list_size"] = draw(st.integers(1, 30))
        data["campaigns"] = [campaign]
        # (a connect switched to a callback is not run by the router-driven engine)
        todo, reached = ["out"], set()
        while todo:
            q = todo.pop()
            if q not in reached:
                reached.add(q)
                queues[q].pop("callback_after", None)
                todo += [queues[q][k] for k in ("overflow_to", "overdue_queue") if k in queues[q]]
    if draw(st.integers(0, 2)) == 0:  # channel rules (costs count only with a budget)
        blocking = draw(st.sampled_from(channels))
        data["router"]["channels"] = {
            blocking: {
                "blocks": draw(st.lists(st.sampled_from(channels), min_size=1, max_size=2)),
                "cost": draw(st.integers(0, 2)),
            }
        }
    ringing = draw(st.sampled_from(["auto", "ring", "ring", "no_delay"]))
    if ringing == "ring":
        data["ring_delay"] = _distribution(draw, draw(st.sampled_from([2.0, 8.0])))
        if any("offer_timeout" in q for q in queues.values()):
            # A ring longer than the timeout may never be answered: only patience (without
            # a callback, which stops it) ends such a call, and with it the run.
            for call in call_types:
                call.setdefault("patience", {"kind": "exponential", "mean": 120.0})
                call.pop("callback", None)
            for settings_ in queues.values():
                settings_.pop("callback_after", None)
    elif ringing == "no_delay":
        data["router"]["auto_accept"] = False
    return Scenario.from_dict(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_compiled_equals_router_driven(scenario: Scenario, seed: int) -> None:
    assert unsupported_features(scenario) == []
    assert_same_run(scenario, seed)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_compiled_equals_router_driven_many(scenario: Scenario, seed: int) -> None:
    assert_same_run(scenario, seed)


# --- the example scenarios ----------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_compiled_or_named(path: Path) -> None:
    """Each example either runs compiled or is listed here with the features it lacks."""
    assert unsupported_features(load_scenario(path)) == NOT_COMPILED_EXAMPLES.get(path.name, [])


@pytest.mark.parametrize(
    "path", [p for p in EXAMPLES if p.name not in NOT_COMPILED_EXAMPLES], ids=lambda p: p.name
)
@pytest.mark.parametrize("seed", range(5))
def test_examples_equal(path: Path, seed: int) -> None:
    assert assert_same_run(load_scenario(path), seed) > 500  # the demo: ~1,000 events


# --- honesty, metrics -------------------------------------------------------------------------

BASE: dict[str, Any] = {
    "horizon": 1800,
    "call_types": [
        {
            "name": "c",
            "queue": "q",
            "arrivals": {"kind": "poisson", "rates_per_hour": [120]},
            "handle": {"kind": "exponential", "mean": 100},
        }
    ],
    "agent_groups": [{"name": "g", "headcount": [3]}],
}


@pytest.mark.parametrize(
    ("queue", "router", "feature"),
    [
        ({}, {"fairness": {"max_above_median": 2}}, "fairness cap"),
        (
            {},
            {"channels": {"voice": {"interruptible_by": ["chat"]}}},
            "channel interruptions (interruptible_by)",
        ),
    ],
)
def test_unsupported_is_named(queue: dict[str, Any], router: dict[str, Any], feature: str) -> None:
    scenario = Scenario.from_dict({**BASE, "router": {"queues": {"q": queue}, **router}})
    assert feature in unsupported_features(scenario)
    with pytest.raises(NotCompiled) as info:
        run_compiled(scenario, np.random.SeedSequence(0))
    assert feature in info.value.features
    assert feature in str(info.value)


def test_every_example_runs_compiled() -> None:
    assert NOT_COMPILED_EXAMPLES == {}
    assert len(EXAMPLES) == 6


def test_supported_base_runs() -> None:
    scenario = Scenario.from_dict({**BASE, "router": {"queues": {"q": {}}}})
    assert unsupported_features(scenario) == []
    assert_same_run(scenario, 3)


def _close(x: Any, y: Any, path: str = "") -> None:
    """Equal structures, floats equal to 1e-12 relative (nan equal to nan)."""
    if isinstance(x, dict):
        assert x.keys() == y.keys(), path
        for k in x:
            _close(x[k], y[k], f"{path}.{k}")
    elif isinstance(x, list | tuple):
        assert len(x) == len(y), path
        for j, (u, v) in enumerate(zip(x, y, strict=True)):
            _close(u, v, f"{path}[{j}]")
    elif isinstance(x, float) and math.isnan(x):
        assert isinstance(y, float) and math.isnan(y), path
    elif isinstance(x, float):
        assert y == pytest.approx(x, rel=1e-12, abs=1e-12), path
    else:
        assert x == y, path


@pytest.mark.parametrize(
    "path", [p for p in EXAMPLES if p.name not in NOT_COMPILED_EXAMPLES], ids=lambda p: p.name
)
def test_metrics_equal_compute_metrics_examples(path: Path) -> None:
    import msgspec

    scenario = load_scenario(path).replace(warmup=900.0)
    run = run_compiled(scenario, np.random.SeedSequence(11), keep_events=True)
    assert run.events is not None
    want = compute_metrics(scenario, run.events, run.agent_group, run.customers, run.dials)
    lean = run_compiled(scenario, np.random.SeedSequence(11))
    assert lean.events is None
    _close(msgspec.to_builtins(want), msgspec.to_builtins(lean.metrics()))


def test_constants_tied_to_their_sources() -> None:
    """Values the kernels repeat (they may not import the router's internals)."""
    from ccrouter.engine.routing.strategies import uniform
    from ccrouter.sim import engine, pacing
    from ccrouter.sim.compiled import _dialer, _engine, _layout, _router

    assert {s: CODES[s] for s in COMPILED_STRATEGIES} == _layout.STRATEGY_CODES
    assert _engine.RONA_RECOVERY == engine.RONA_RECOVERY
    assert _dialer.MIN_HIT_RATE == pacing.MIN_HIT_RATE
    for seed in (0, 1, -1, -(2**63), 2**63 - 1, 2**63 + 5, 2**64 - 1):
        for seq in (1, 2, 17, 10**9):
            # packed as pack.py does: the seed's 64 bits, as the router's mask reads them
            packed = np.uint64(seed & (2**64 - 1))
            assert _router.uniform(packed, seq) == uniform(seed, seq)


@pytest.mark.parametrize(
    "dist",
    [
        {"kind": "exponential", "mean": 30.0},
        {"kind": "lognormal", "mean": 30.0, "sd": 50.0},
        {"kind": "gamma", "mean": 30.0, "sd": 10.0},
        {"kind": "gamma", "mean": 30.0, "sd": 60.0},
        {"kind": "uniform", "low": 1.0, "high": 4.0},
        {"kind": "empirical", "values": [1.0, 2.0, 7.0]},
        {"kind": "deterministic", "value": 3.0},
    ],
    ids=lambda d: str(d["kind"]),
)
def test_on_demand_draws_equal_numpy(dist: dict[str, Any]) -> None:
    """The kernel draws retrials and ring delays one at a time from the numpy Generator: each
    draw must be the one ``distributions.sample(dist, rng, 1)`` makes (same stream state)."""
    from collections import namedtuple

    import msgspec

    from ccrouter.sim.compiled._engine import sample
    from ccrouter.sim.compiled.pack import _dist
    from ccrouter.sim.distributions import Distribution
    from ccrouter.sim.distributions import sample as reference

    spec = msgspec.convert(dist, Distribution)
    table: list[Any] = []
    d = _dist(spec, table)
    emp = [v for row in table for v in row[3]] or [0.0]

    tables = namedtuple("tables", "d_kind d_a d_b d_off d_len emp")
    p = tables(
        np.array([r[0] for r in table], dtype=np.int64),
        np.array([r[1] for r in table]),
        np.array([r[2] for r in table]),
        np.zeros(1, dtype=np.int64),
        np.array([len(r[3]) for r in table], dtype=np.int64),
        np.array(emp),
    )
    rng_a, rng_b = np.random.default_rng(9), np.random.default_rng(9)
    got = [sample(p, d, rng_a) for _ in range(200)]  # compiled, one draw at a time
    want = [float(reference(spec, rng_b, 1)[0]) for _ in range(200)]
    assert got == want


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1), warm=st.sampled_from([0.0, 0.3]))
def test_metrics_equal_compute_metrics(scenario: Scenario, seed: int, warm: float) -> None:
    """The kernel's fold equals compute_metrics over the decoded events, and a run that keeps
    no events (its records one step at a time, interaction slots reused) has the same
    figures."""
    import msgspec

    scenario = scenario.replace(warmup=round(warm * scenario.horizon))
    run = run_compiled(scenario, np.random.SeedSequence(seed), keep_events=True)
    assert run.events is not None
    want = msgspec.to_builtins(
        compute_metrics(scenario, run.events, run.agent_group, run.customers, run.dials)
    )
    _close(want, msgspec.to_builtins(run.metrics()))
    lean = run_compiled(scenario, np.random.SeedSequence(seed))
    assert lean.events is None
    assert (lean.customers, lean.n_events, lean.dials) == (run.customers, run.n_events, run.dials)
    _close(want, msgspec.to_builtins(lean.metrics()))


def test_fold_statuses_tied() -> None:
    from ccrouter.sim.compiled import _fold
    from ccrouter.stats import _common

    assert (_fold.LOGGED_OUT, _fold.READY, _fold.NOT_READY) == (
        _common.LOGGED_OUT,
        _common.READY,
        _common.NOT_READY,
    )
    assert (_fold.RESERVED, _fold.BUSY, _fold.WRAP_UP) == (
        _common.RESERVED,
        _common.BUSY,
        _common.WRAP_UP,
    )


def test_deadline_passed_while_ringing_fires_before_the_next_offer() -> None:
    """Regression (router change of issue 12): work back from a missed offer fires its own
    due deadline timers before it is offered again: overdue first, then the next offer."""
    from ccrouter.events import InteractionOffered, InteractionOverdue, OfferTimedOut

    scenario = Scenario.from_dict(
        {
            "horizon": 600,
            "ring_delay": {"kind": "deterministic", "value": 100.0},  # every offer rings out
            "call_types": [
                {
                    "name": "c",
                    "queue": "q",
                    "arrivals": {"kind": "trace", "times": [0.0]},
                    "handle": {"kind": "exponential", "mean": 100},
                    "patience": {"kind": "deterministic", "value": 45.0},
                }
            ],
            "agent_groups": [{"name": "g", "headcount": [2]}],
            "router": {
                "max_no_answer": 9,
                "queues": {"q": {"offer_timeout": 10.0, "deadline": 5.0, "reminders": [5.0]}},
            },
        }
    )
    n = assert_same_run(scenario, 1)
    assert n > 5
    events = Engine(scenario, np.random.SeedSequence(1)).run().events
    kinds = [type(e) for e in events]
    j = kinds.index(OfferTimedOut)
    assert kinds[j + 1 : j + 3] == [InteractionOverdue, InteractionOffered]


# --- exits ----------------------------------------------------------------------------------


def _exits_scenario(queues: dict[str, Any], **extra: Any) -> Scenario:
    """A busy single-type center (two agents, ~0.95 load) whose queues are ``queues``."""
    return Scenario.from_dict(
        {
            "horizon": 2400,
            "call_types": [
                {
                    "name": "c",
                    "queue": "q",
                    "arrivals": {"kind": "poisson", "rates_per_hour": [70]},
                    "handle": {"kind": "exponential", "mean": 100},
                    "patience": {"kind": "exponential", "mean": 300},
                }
            ],
            "agent_groups": [{"name": "g", "headcount": [2]}],
            "router": {"queues": queues},
            **extra,
        }
    )


def _exits(scenario: Scenario, seed: int) -> list[Any]:
    from ccrouter.events import InteractionExited

    events = Engine(scenario, np.random.SeedSequence(seed)).run().events
    return [e for e in events if isinstance(e, InteractionExited)]


@pytest.mark.parametrize(
    ("queue", "reason"),
    [
        ({"max_wait": 20.0}, "max_wait"),
        ({"max_size": 1}, "max_size"),
        ({"max_size": 0}, "max_size"),
    ],
)
def test_exits_without_overflow_equal(queue: dict[str, Any], reason: str) -> None:
    scenario = _exits_scenario({"q": queue})
    assert unsupported_features(scenario) == []
    for seed in range(3):
        assert_same_run(scenario, seed)
    exits = _exits(scenario, 0)
    assert exits and {(e.reason, e.overflow_to) for e in exits} == {(reason, None)}


@pytest.mark.parametrize("keep_age", [False, True])
@pytest.mark.parametrize("rule", ["max_wait", "max_size"])
def test_overflow_equal(keep_age: bool, rule: str) -> None:
    """Overflow to a second queue (itself limited: a full target ends the work ``exited``),
    with and without keeping the age."""
    first: dict[str, Any] = {"overflow_to": "r", "keep_age": keep_age, "aging_rate": 0.01}
    first.update({"max_wait": 15.0} if rule == "max_wait" else {"max_size": 1})
    scenario = _exits_scenario({"q": first, "r": {"max_size": 2, "max_wait": 60.0}})
    assert unsupported_features(scenario) == []
    for seed in range(3):
        assert_same_run(scenario, seed)
    exits = _exits(scenario, 0)
    assert any(e.overflow_to == "r" and e.keep_age == keep_age for e in exits)
    assert any(e.overflow_to is None for e in exits)


def test_overflow_back_to_itself_equal() -> None:
    """Work that overflows back into its own queue: a new arrival there each time."""
    scenario = _exits_scenario({"q": {"max_wait": 10.0, "overflow_to": "q", "max_size": 4}})
    for seed in range(3):
        assert_same_run(scenario, seed)
    assert any(e.overflow_to == "q" for e in _exits(scenario, 0))


def test_max_wait_passed_while_ringing_exits_before_the_next_offer() -> None:
    """Work back from a missed offer whose max_wait passed while it rang exits before it is
    offered again (core._fire_own_policy_timers), overflowing with its age into a queue
    whose limit has passed too; a deadline passed as well."""
    from ccrouter.events import InteractionExited, OfferTimedOut

    scenario = Scenario.from_dict(
        {
            "horizon": 600,
            "ring_delay": {"kind": "deterministic", "value": 100.0},  # every offer rings out
            "call_types": [
                {
                    "name": "c",
                    "queue": "q",
                    "arrivals": {"kind": "trace", "times": [0.0, 1.0]},
                    "handle": {"kind": "exponential", "mean": 100},
                    "patience": {"kind": "deterministic", "value": 200.0},
                }
            ],
            "agent_groups": [{"name": "g", "headcount": [2]}],
            "router": {
                "max_no_answer": 9,
                "queues": {
                    "q": {"offer_timeout": 10.0, "max_wait": 5.0, "overflow_to": "r",
                          "keep_age": True, "deadline": 8.0},
                    "r": {"offer_timeout": 10.0, "max_wait": 7.0},
                },
            },
        }
    )  # fmt: skip
    assert_same_run(scenario, 1)
    events = Engine(scenario, np.random.SeedSequence(1)).run().events
    kinds = [type(e) for e in events]
    j = kinds.index(OfferTimedOut)
    # The exit (with its overflow) comes before any offer; the router then routes the work in
    # its new queue at once (an offer cancels the policy timers due there too).
    assert kinds[j + 1] is InteractionExited and events[j + 1].at == events[j].at
    assert [type(e) for e in events if isinstance(e, InteractionExited) and e.overflow_to is None]


@pytest.mark.parametrize("seed", range(3))
def test_exit_metrics_equal(seed: int) -> None:
    """Exits and overflows in the kernel's fold: counted in the arrival queue."""
    import msgspec

    scenario = _exits_scenario(
        {"q": {"max_wait": 15.0, "overflow_to": "r", "max_size": 2}, "r": {"max_size": 1}},
        warmup=300.0,
    )
    run = run_compiled(scenario, np.random.SeedSequence(seed), keep_events=True)
    assert run.events is not None
    want = compute_metrics(scenario, run.events, run.agent_group, run.customers, run.dials)
    assert want.overall["q"]["exited"] > 0
    _close(msgspec.to_builtins(want), msgspec.to_builtins(run.metrics()))
    lean = run_compiled(scenario, np.random.SeedSequence(seed))
    _close(msgspec.to_builtins(want), msgspec.to_builtins(lean.metrics()))


def _campaign(out: dict[str, Any], *, rpc: float, gain: tuple[float, float]) -> Scenario:
    """BASE plus a predictive campaign ``d`` whose connects wait in queue ``out`` (set up by
    ``out``), beside the inbound queue ``q``."""
    campaign = {
        "name": "d",
        "queue": "out",
        "rpc_probability": rpc,
        "handle": {"kind": "exponential", "mean": 60},
        "grace": 10.0,
        "pacing": {"kind": "predictive", "initial_gain": gain[0], "min_gain": gain[1]},
    }
    router = {"queues": {"q": {}, "out": out}}
    return Scenario.from_dict({**BASE, "campaigns": [campaign], "router": router})


def test_exits_on_a_campaign_queue_equal() -> None:
    """A connect that exits its campaign's queue (max_wait) overflows to an inbound queue;
    the dialer sees it end when answered or dropped at its grace time, on both engines."""
    scenario = _campaign({"max_wait": 1, "overflow_to": "q"}, rpc=0.5, gain=(4.0, 2.0))
    assert unsupported_features(scenario) == []
    for seed in range(3):
        assert_same_run(scenario, seed)
    assert any(e.interaction_id.startswith("out:") for e in _exits(scenario, 0))


def test_a_connect_turned_callback_is_not_abandoned_at_its_grace_time() -> None:
    """With callback_after on the campaign's queue a waiting connect becomes a callback; at
    its grace time the customer has hung up for a call back: the router-driven engine must
    not abandon it (the router refuses to abandon a callback), and the call back is served."""
    scenario = _campaign({"callback_after": 2}, rpc=0.9, gain=(6.0, 3.0))
    assert unsupported_features(scenario) == ["automatic callbacks on a campaign's connects"]
    events = Engine(scenario, np.random.SeedSequence(0)).run().events
    callbacks = {e.interaction_id for e in events if e.kind == "callback_requested"}
    assert callbacks, "the scenario must turn some connect into a callback"
    abandoned = {e.interaction_id for e in events if e.kind == "interaction_abandoned"}
    assert not callbacks & abandoned
    completed = {e.interaction_id for e in events if e.kind == "interaction_completed"}
    assert callbacks & completed  # called back and served
