"""Engine selection: ``engine="auto" | "compiled" | "router"`` in ``simulate``, ``run_replication``
and ``staff_search``; the fallback warning, the typed error, compile time apart from run time.

The plumbing is tested with a stand-in compiled engine (``engine_fakes``: the router-driven run
dressed as a compiled one); the tests marked ``needs_compiled`` run the real compiled engine
and are skipped while it does not yet run their scenario.
"""

from __future__ import annotations

import pickle
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from engine_fakes import fake_compiled, not_compiled
from models import mmc

from ccrouter.errors import CCRouterError, ConfigError, InvalidArgument
from ccrouter.sim import (
    ENGINES,
    EngineFallback,
    NotCompiled,
    QueueTarget,
    Scenario,
    load_scenario,
    run_replication,
    simulate,
    staff_search,
)
from ccrouter.sim.compiled import unsupported_features
from ccrouter.sim.engines import resolve_engine, warm_engine

SIMULATIONS = Path(__file__).resolve().parents[2] / "simulations"
FEATURES = ["widening steps", "strategy 'random'"]


def _small() -> Scenario:
    return mmc(4, 0.8, horizon=1800.0, warmup=0.0, patience=200.0)


def test_engines_are_the_three_names() -> None:
    assert ENGINES == ("auto", "compiled", "router")


def test_unknown_engine_is_an_invalid_argument_naming_the_choices() -> None:
    for call in (
        lambda: simulate(_small(), 2, engine="diesel"),  # type: ignore[arg-type]
        lambda: run_replication(_small(), 0, 0, engine="fast"),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidArgument, match=r"engine: expected one of 'auto'.*got '"):
            call()
    assert issubclass(InvalidArgument, ValueError)


def test_router_never_asks_the_compiled_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(scenario: Scenario) -> list[str]:
        raise AssertionError("engine='router' must not consult the compiled engine")

    monkeypatch.setattr("ccrouter.sim.engines.unsupported_features", boom)
    assert resolve_engine(_small(), "router") == ("router", [])
    assert simulate(_small(), 2, seed=1, engine="router").engine == "router"


def test_compiled_raises_not_compiled_naming_every_feature(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    not_compiled(monkeypatch, FEATURES)
    with pytest.raises(NotCompiled) as info:
        simulate(_small(), 2, engine="compiled")
    assert info.value.features == FEATURES
    assert "widening steps" in str(info.value) and "strategy 'random'" in str(info.value)
    assert isinstance(info.value, ConfigError) and isinstance(info.value, CCRouterError)
    with pytest.raises(NotCompiled):
        run_replication(_small(), 0, 0, engine="compiled")
    with pytest.raises(NotCompiled):
        staff_search(_small(), {"default": QueueTarget(service_level=0.8)}, engine="compiled")


def test_auto_falls_back_with_one_warning_naming_the_features(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    not_compiled(monkeypatch, FEATURES)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = simulate(_small(), 3, seed=2)
    fallbacks = [w for w in caught if issubclass(w.category, EngineFallback)]
    assert len(fallbacks) == 1  # once per call, not once per replication
    message = fallbacks[0].message
    assert isinstance(message, EngineFallback) and message.features == FEATURES
    assert "\n" not in str(message) and "widening steps, strategy 'random'" in str(message)
    assert fallbacks[0].filename == __file__  # points at the caller, not at the library
    assert result.engine == "router" and result.not_compiled == FEATURES
    # The fallback changes nothing but the engine: the same numbers as asking for the router.
    assert result.runs == simulate(_small(), 3, seed=2, engine="router").runs


def test_fallback_warning_can_be_made_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    not_compiled(monkeypatch, FEATURES)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EngineFallback)
        with pytest.raises(EngineFallback):
            simulate(_small(), 2)


def test_fallback_warning_survives_being_rebuilt_from_its_text() -> None:
    # The warnings machinery (and pytest) may rebuild a warning as category(str(message)).
    rebuilt = EngineFallback(str(EngineFallback.naming(FEATURES)))
    assert str(rebuilt) == str(EngineFallback.naming(FEATURES)) and rebuilt.features == []


def test_auto_runs_compiled_when_supported_with_the_same_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    router = simulate(_small(), 3, seed=5, engine="router")
    calls = fake_compiled(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EngineFallback)  # no fallback, so no warning
        auto = simulate(_small(), 3, seed=5)
    assert auto.engine == "compiled" and auto.not_compiled == []
    assert calls.runs == [False, False, False]  # metrics from records: no events kept
    assert calls.warmups == 1  # compiled once, before the replications
    assert auto.runs == router.runs  # common random numbers: the same customers
    assert auto.compile_seconds >= 0.0 and auto.run_seconds > 0.0
    assert run_replication(_small(), 5, 1) == router.runs[1]


def test_compile_time_is_reported_apart_from_run_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_compiled(monkeypatch)

    def slow_compile() -> float:
        calls.warmups += 1
        time.sleep(0.3)
        return 0.3

    monkeypatch.setattr("ccrouter.sim.engines.warm_compiled", slow_compile)
    assert warm_engine("compiled") >= 0.3 and calls.warmups == 1
    start = time.perf_counter()
    result = simulate(_small(), 2, seed=1)
    wall = time.perf_counter() - start
    assert calls.warmups == 2
    assert result.compile_seconds >= 0.3
    assert 0.0 < result.run_seconds <= wall - result.compile_seconds


def test_staff_search_runs_every_candidate_on_the_chosen_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = mmc(5, 0.8, horizon=3600.0, warmup=600.0)
    goal = {"default": QueueTarget(service_level=0.8)}
    router = staff_search(scenario, goal, replications=2, seed=3, engine="router")
    calls = fake_compiled(monkeypatch)
    compiled = staff_search(scenario, goal, replications=2, seed=3)
    assert compiled.engine == "compiled" and router.engine == "router"
    assert calls.warmups == 1 and calls.runs and all(calls.runs)  # events: per-queue SL
    assert compiled.staffing == router.staffing
    assert [c.staffing for c in compiled.path] == [c.staffing for c in router.path]
    assert [c.checks for c in compiled.path] == [c.checks for c in router.path]


def test_staff_search_fallback_warns_and_records_why(monkeypatch: pytest.MonkeyPatch) -> None:
    not_compiled(monkeypatch, FEATURES)
    goal = {"default": QueueTarget(service_level=0.8)}
    with pytest.warns(EngineFallback, match="widening steps"):
        result = staff_search(mmc(5, 0.8, horizon=3600.0), goal, replications=1, seed=1)
    assert result.engine == "router" and result.not_compiled == FEATURES


def test_replication_function_and_result_pickle() -> None:
    # Executors pickle the function and its arguments; the engine choice travels as a string.
    assert pickle.loads(pickle.dumps(run_replication)) is run_replication
    result = simulate(_small(), 2, seed=1, engine="router")
    assert pickle.loads(pickle.dumps(result)).engine == "router"


# --- with the real compiled engine, once it runs the scenario ---------------------------------

BANK = load_scenario(SIMULATIONS / "bank_line.toml")
needs_compiled = pytest.mark.skipif(
    bool(unsupported_features(BANK)),
    reason=f"the compiled engine does not run bank_line yet: {unsupported_features(BANK)}",
)


@needs_compiled
def test_compiled_in_a_process_pool_equals_serial_and_router() -> None:
    scenario = BANK
    serial = simulate(scenario, 4, seed=3, engine="compiled")
    with ProcessPoolExecutor(2) as pool:
        pooled = simulate(scenario, 4, seed=3, executor=pool, engine="compiled")
    assert pooled.runs == serial.runs and pooled.engine == "compiled"
    assert simulate(scenario, 4, seed=3, engine="router").runs == serial.runs


@needs_compiled
def test_compiled_on_dask_equals_serial() -> None:
    distributed = pytest.importorskip("distributed")
    scenario = BANK
    serial = simulate(scenario, 3, seed=4, engine="compiled")
    with (
        distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = simulate(scenario, 3, seed=4, executor=client.get_executor(), engine="compiled")
    assert on_dask.runs == serial.runs
