"""Routing hot path: kernel decisions, end-to-end ``submit()``, live handling and replay.

Every figure is measured for the Numba kernel and for the pure-Python reference in the same
run, so ratios compare like with like on the same machine. The garbage collector stays in its
default state (enabled) throughout: medians are what a caller sees.

The matching state is built through the real :class:`~ccrouter.Router` API:

- ``agents`` agents log in with 8 random skills out of 90 *common* ones (proficiency 1-10);
  ``1 - free_share`` of them are *specialists* who also hold one of 10 *rare* skills.
- The specialists get ready first and are each given an interaction (accepted: busy), then
  the generalists get ready (``free_share`` of the agents: ready with free capacity).
- ``waiting`` interactions are submitted that each need a rare skill plus a common one: no
  free agent can take them, so they wait (spread over a catalogue of requirement groups).

Decisions are then timed on those arrays (``match.select_agent``, which is what ``submit``
calls) for new work needing 1-3 common skills at levels 1-3, drawn from a catalogue of
routing profiles (some free agent is usually eligible, and the strategy has to compare them
all), plus the case where no free agent is eligible. A separate *worst case* has every agent
ready and free and work with no requirement: every agent is eligible.

    python -m benchmarks.run --only routing [--smoke]
"""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ccrouter import Router, RouterConfig
from ccrouter.engine.routing import match
from ccrouter.engine.routing.strategies import CODES, uniform
from ccrouter.events import Event, InteractionOffered

COMMON = [f"s{i:02d}" for i in range(90)]
RARE = [f"s{i:02d}" for i in range(90, 100)]
PROFILES = 200
"""Distinct requirement profiles new work is drawn from (routing profiles are a catalogue)."""
FREE_SHARE = 0.2
GOALS = {
    "kernel_decision_median_us_at_10k": 5.0,
    "kernel_speedup_vs_reference_at_10k": 20.0,
    "submit_median_us": 30.0,
    "submit_offered_median_us": 30.0,
    "replay_events_per_s": 300_000.0,
}


def _median_us(samples_ns: list[int]) -> float:
    return round(statistics.median(samples_ns) / 1e3, 3)


def _pct_us(samples_ns: list[int], q: float) -> float:
    return round(float(np.percentile(samples_ns, q)) / 1e3, 3)


# --- building the state ----------------------------------------------------------------------


def build_router(
    agents: int, waiting: int, *, free_share: float, groups: int, seed: int
) -> tuple[Router, dict[str, Any]]:
    """A router with ``agents`` logged in and ``waiting`` interactions queued (see module doc)."""
    rng = np.random.default_rng(seed)
    router = Router(RouterConfig(), backend="numba")
    n_free = max(1, int(agents * free_share))
    specialists: list[str] = []
    generalists: list[str] = []
    t = 0.0
    for i in range(agents):
        aid = f"a{i}"
        chosen = rng.choice(len(COMMON), size=8, replace=False)
        skills = {COMMON[int(c)]: int(rng.integers(1, 11)) for c in chosen}
        if len(generalists) < n_free and rng.random() < (n_free - len(generalists)) / (agents - i):
            generalists.append(aid)
        else:
            skills[RARE[int(rng.integers(len(RARE)))]] = int(rng.integers(1, 11))
            specialists.append(aid)
        router.login(aid, skills=skills, at=t)
    for aid in specialists:
        router.ready(aid, at=t)
    for k in range(len(specialists)):
        t += 0.001
        events = router.submit(f"busy{k}", channel="voice", at=t)
        assert isinstance(events[-1], InteractionOffered)
        router.accept(f"busy{k}", at=t)
    for aid in generalists:
        t += 0.001
        router.ready(aid, at=t)
    catalogue = [
        {RARE[int(rng.integers(len(RARE)))]: 1, COMMON[int(rng.integers(len(COMMON)))]: 1}
        for _ in range(groups)
    ]
    for k in range(waiting):
        t += 0.001
        skills = catalogue[int(rng.integers(len(catalogue)))]
        events = router.submit(f"w{k}", channel="voice", skills=skills, at=t)
        assert len(events) == 1, "a waiting interaction must not be offered"
    info = {
        "agents": agents,
        "skills": len(COMMON) + len(RARE),
        "waiting": router.state.queue("default").waiting,
        "free_agents": len(generalists),
        "busy_agents": len(specialists),
        "waiting_requirement_groups": len(router.state.queue("default").groups),
    }
    return router, info


def profiles(rng: np.random.Generator, count: int) -> list[dict[str, int]]:
    """``count`` requirement profiles: 1-3 common skills at minimum levels 1-3."""
    out = []
    for _ in range(count):
        k = int(rng.integers(1, 4))
        chosen = rng.choice(len(COMMON), size=k, replace=False)
        out.append({COMMON[int(c)]: int(rng.integers(1, 4)) for c in chosen})
    return out


def _draw(rng: np.random.Generator, catalogue: list[dict[str, int]], count: int) -> list[Any]:
    return [catalogue[int(i)] for i in rng.integers(len(catalogue), size=count)]


# --- kernel decisions ------------------------------------------------------------------------


def time_decisions(
    router: Router,
    requirements: list[dict[str, int]],
    *,
    backend: str,
    strategy: str,
    repeat: int,
) -> tuple[list[int], int]:
    """Per-call times (ns) of ``match.select_agent`` over the router's live arrays."""
    table = router.state.table
    select = match.select_agent
    samples: list[int] = []
    found = 0
    clock = time.perf_counter_ns
    for r in range(repeat):
        for i, skills in enumerate(requirements):
            u = uniform(7, r * len(requirements) + i)
            t0 = clock()
            slot = select(table, "voice", skills, strategy=strategy, u=u, backend=backend)
            samples.append(clock() - t0)
            found += slot >= 0
    return samples, found


def _compare(
    router: Router,
    requirements: list[dict[str, int]],
    *,
    strategy: str,
    repeat: int,
    reference_calls: int,
) -> dict[str, Any]:
    fast, found = time_decisions(
        router, requirements, backend="numba", strategy=strategy, repeat=repeat
    )
    slow, _ = time_decisions(
        router, requirements[:reference_calls], backend="python", strategy=strategy, repeat=1
    )
    return {
        "numba_median_us": _median_us(fast),
        "numba_p99_us": _pct_us(fast, 99),
        "python_median_us": _median_us(slow),
        "speedup": round(statistics.median(slow) / statistics.median(fast), 1),
        "eligible_found_share": round(found / len(fast), 3),
    }


def bench_kernel(router: Router, catalogue: list[dict[str, int]], *, smoke: bool) -> dict[str, Any]:
    rng = np.random.default_rng(1)
    requirements = _draw(rng, catalogue, 20 if smoke else 400)
    n = router.state.table.n
    reference_calls = max(5, min(len(requirements), 300_000 // max(n, 1)))
    repeat = 5 if smoke else 25
    out: dict[str, Any] = {
        strategy: _compare(
            router,
            requirements,
            strategy=strategy,
            repeat=repeat,
            reference_calls=reference_calls,
        )
        # order_by ranks by a key over agent attributes this state has none of: it is
        # measured, with its selector masks, in benchmarks/bench_selectors.py; performance
        # ranks by the outcome projection's keys: benchmarks/bench_performance.py.
        for strategy in CODES
        if strategy not in ("order_by", "performance")
    }
    out["longest_idle"]["numba_cold_median_us"] = _cold_decisions(router, requirements)
    nobody = [{RARE[int(rng.integers(len(RARE)))]: 1} for _ in range(len(requirements))]
    out["no_eligible_agent"] = _compare(
        router, nobody, strategy="longest_idle", repeat=repeat, reference_calls=reference_calls
    )
    return out


def _cold_decisions(router: Router, requirements: list[dict[str, int]]) -> float:
    """Median decision time with cold caches (8 MiB read between calls), as inside a busy
    process; the tight-loop figures above run with the arrays in cache."""
    junk = np.ones(1 << 20)
    table = router.state.table
    samples = []
    for skills in requirements:
        junk.sum()
        t0 = time.perf_counter_ns()
        match.select_agent(table, "voice", skills, strategy="longest_idle")
        samples.append(time.perf_counter_ns() - t0)
    return _median_us(samples)


def all_free_router(agents: int) -> Router:
    """``agents`` agents with eight common skills each, all ready and free, idle since a
    random order (the scan's worst case; bench_selectors reuses it)."""
    router = Router(RouterConfig(), backend="numba")
    rng = np.random.default_rng(5)
    for i in range(agents):
        chosen = rng.choice(len(COMMON), size=8, replace=False)
        levels = {COMMON[int(c)]: int(rng.integers(1, 11)) for c in chosen}
        router.login(f"f{i}", skills=levels, at=0.0)
    for n, i in enumerate(rng.permutation(agents)):  # idle since: a random order
        router.ready(f"f{i}", at=n * 0.001)
    return router


def bench_all_free(agents: int, *, smoke: bool) -> dict[str, Any]:
    """Worst case for the scan: every agent ready and free, work with no requirement."""
    router = all_free_router(agents)
    repeat = 5 if smoke else 200
    reference_calls = max(5, min(50, 300_000 // agents))
    return {
        "agents_free": agents,
        **{
            strategy: _compare(
                router, [{}], strategy=strategy, repeat=repeat, reference_calls=reference_calls
            )
            for strategy in ("longest_idle", "most_skilled", "random")
        },
    }


# --- end-to-end submit -----------------------------------------------------------------------


def bench_submit(
    router: Router,
    catalogue: list[dict[str, int]],
    *,
    backend: str,
    count: int,
    start: float,
) -> dict[str, Any]:
    """Median ``submit()`` time of new work drawn from the requirement profiles (offered when
    a free agent is eligible, else queued), and of work nobody free can take (a level above
    every proficiency: queued after a full scan). Each is abandoned afterwards (not timed) so
    the state stays as built."""
    rng = np.random.default_rng(2)
    requirements = _draw(rng, catalogue, count)
    router.backend = backend  # type: ignore[assignment]
    clock = time.perf_counter_ns
    offered: list[int] = []
    queued: list[int] = []
    no_match: list[int] = []
    t = start
    for k, skills in enumerate(requirements):
        t += 0.001
        iid = f"e2e-{backend}-{k}"
        t0 = clock()
        events = router.submit(iid, channel="voice", skills=skills, at=t)
        dt = clock() - t0
        if isinstance(events[-1], InteractionOffered):
            offered.append(dt)
        else:
            queued.append(dt)
        router.abandon(iid, at=t)
    for k in range(count):
        t += 0.001
        iid = f"e2e-q-{backend}-{k}"
        skills = {RARE[k % len(RARE)]: 11}  # above every proficiency: always waits
        t0 = clock()
        router.submit(iid, channel="voice", skills=skills, at=t)
        no_match.append(clock() - t0)
        router.abandon(iid, at=t)
    router.backend = "numba"
    return {
        "all_median_us": _median_us(offered + queued),
        "offered_median_us": _median_us(offered) if offered else None,
        "queued_median_us": _median_us(queued) if queued else None,
        "no_match_median_us": _median_us(no_match),
        "all_p99_us": _pct_us(offered + queued, 99),
        "offered": len(offered),
        "queued": len(queued),
        "end_time": t,
    }


# --- live handling and replay ----------------------------------------------------------------


def live_workload(router: Router, steps: int, *, agents: int, seed: int) -> int:
    """A seeded submit/accept/complete workload; returns the number of events appended."""
    rng = np.random.default_rng(seed)
    skills = COMMON[:6]
    made = 0
    for i in range(agents):
        picked = rng.choice(len(skills), size=3, replace=False)
        levels = {skills[int(p)]: int(rng.integers(1, 6)) for p in picked}
        made += len(router.login(f"L{i}", skills=levels, at=0.0))
        made += len(router.ready(f"L{i}", at=0.0))
    t = 0.0
    connected: list[str] = []
    ringing: list[str] = []

    def accept_ringing() -> int:
        n = 0
        for iid in ringing:
            n += len(router.accept(iid, at=t))
            connected.append(iid)
        ringing.clear()
        return n

    for k in range(steps):
        t += float(rng.exponential(0.05))
        need = {skills[int(rng.integers(len(skills)))]: int(rng.integers(1, 4))}
        events = router.submit(f"L-{k}", channel="voice", skills=need, at=t)
        made += len(events)
        ringing += [e.interaction_id for e in events if isinstance(e, InteractionOffered)]
        made += accept_ringing()
        while len(connected) > agents * 0.8 or (connected and rng.random() < 0.5):
            iid = connected.pop(int(rng.integers(len(connected))))
            events = router.complete(iid, at=t)
            made += len(events)
            ringing += [e.interaction_id for e in events if isinstance(e, InteractionOffered)]
            made += accept_ringing()
    return made


def bench_live(*, backend: str, steps: int, seed: int) -> tuple[dict[str, Any], list[Event]]:
    router = Router(RouterConfig(), backend=backend)
    t0 = time.perf_counter()
    made = live_workload(router, steps, agents=50, seed=seed)
    elapsed = time.perf_counter() - t0
    return (
        {"events": made, "seconds": round(elapsed, 4), "events_per_s": round(made / elapsed)},
        router.events,
    )


def bench_replay(events: list[Event], *, repeat: int) -> dict[str, Any]:
    """Events/s of rebuilding the state: from the file store (read, verify, decode, apply)
    and from memory (apply only)."""
    out: dict[str, Any] = {"events": len(events)}
    try:
        from ccrouter.log import FileEventLog
    except ImportError:  # pragma: no cover - the file store landed separately
        out["store"] = "memory only (no ccrouter.log.FileEventLog)"
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "events.log"
            with FileEventLog(path, durability="none") as writer:
                for i in range(0, len(events), 64):  # batches, as live appends make them
                    writer.append(events[i : i + 64])
            out["file_bytes"] = os.path.getsize(path)

            def from_file() -> Router:
                with FileEventLog(path, readonly=True) as reader:
                    return Router(RouterConfig(), log=reader)

            out["store"] = "ccrouter.log.FileEventLog (readonly, page cache warm)"
            out["file"] = _rate(from_file, len(events), repeat)

    def from_memory() -> Router:
        return Router.replay(events, RouterConfig())

    out["memory"] = _rate(from_memory, len(events), repeat)
    return out


def _rate(rebuild: Callable[[], Router], count: int, repeat: int) -> dict[str, Any]:
    times = []
    rebuild()  # warm-up
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        rebuild()
        times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    return {"median_seconds": round(median, 4), "events_per_s": round(count / median)}


def cold_compile_seconds() -> float:
    """``match.warmup()`` in a fresh process with an empty numba cache: the first-ever compile."""
    code = (
        "import time; from ccrouter.engine.routing import match; t = time.perf_counter(); "
        "match.warmup(); print(time.perf_counter() - t)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
    return round(float(done.stdout.strip()), 3)


# --- entry point -----------------------------------------------------------------------------


def run(smoke: bool) -> dict[str, Any]:
    """Run the routing benchmarks; ``smoke`` uses tiny sizes (seconds in all)."""
    t0 = time.perf_counter()
    match.warmup()
    compile_seconds = time.perf_counter() - t0
    sizes = [100, 300] if smoke else [1_000, 10_000]
    waiting = 300 if smoke else 10_000
    catalogue = profiles(np.random.default_rng(0), PROFILES)
    result: dict[str, Any] = {
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "compile_seconds": round(compile_seconds, 3),
        "compile_note": "match.warmup() in this process (numba's on-disk cache may be warm)",
        "cold_compile_seconds": None if smoke else cold_compile_seconds(),
        "free_share": FREE_SHARE,
        "requirement_profiles": PROFILES,
        "sizes": {},
    }
    for agents in sizes:
        t_build = time.perf_counter()
        router, info = build_router(
            agents, waiting, free_share=FREE_SHARE, groups=10 if smoke else 100, seed=agents
        )
        info["build_seconds"] = round(time.perf_counter() - t_build, 2)
        entry: dict[str, Any] = {"state": info}
        entry["decision"] = bench_kernel(router, catalogue, smoke=smoke)
        count = 50 if smoke else 2_000
        e2e_numba = bench_submit(router, catalogue, backend="numba", count=count, start=1e6)
        e2e_python = bench_submit(
            router,
            catalogue,
            backend="python",
            count=max(10, count // (20 if agents >= 10_000 else 2)),
            start=e2e_numba["end_time"],
        )
        for e in (e2e_numba, e2e_python):
            e.pop("end_time")
        entry["submit"] = {"numba": e2e_numba, "python": e2e_python}
        result["sizes"][str(agents)] = entry
    result["all_free_worst_case"] = bench_all_free(sizes[-1], smoke=smoke)
    steps = 2_000 if smoke else 40_000
    live_numba, events = bench_live(backend="numba", steps=steps, seed=4)
    live_python, _ = bench_live(backend="python", steps=steps, seed=4)
    result["live"] = {"numba": live_numba, "python": live_python}
    result["replay"] = bench_replay(events, repeat=3 if smoke else 5)
    result["goals"] = _goals(result, sizes[-1])
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def _goals(result: dict[str, Any], largest: int) -> dict[str, Any]:
    entry = result["sizes"][str(largest)]
    decision = entry["decision"]["longest_idle"]
    submit = entry["submit"]["numba"]
    replay = result["replay"].get("file", result["replay"]["memory"])
    measured = {
        "kernel_decision_median_us_at_10k": decision["numba_median_us"],
        "kernel_speedup_vs_reference_at_10k": decision["speedup"],
        "submit_median_us": submit["all_median_us"],
        "submit_offered_median_us": submit["offered_median_us"],
        "replay_events_per_s": replay["events_per_s"],
    }
    out: dict[str, Any] = {"at_agents": largest}
    for name, goal in GOALS.items():
        value = measured[name]
        higher_is_better = name.endswith(("speedup_vs_reference_at_10k", "events_per_s"))
        met = value >= goal if higher_is_better else value <= goal
        out[name] = {"goal": goal, "measured": value, "met": bool(met)}
    return out
