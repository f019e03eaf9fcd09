"""Routing A/B: this tree's router against an earlier revision, interleaved in one process.

Separate benchmark runs on a shared machine drift by more than the differences worth seeing
(the unchanged selection kernel alone swings between 22 and 45 µs from run to run here). So
the earlier revision's ``src/ccrouter`` is exported with ``git archive``, renamed
``ccrouter_base`` (every ``ccrouter`` name in it rewritten), and both routers run the same
workloads in alternating blocks inside one process: noise falls on both alike and the ratios
hold still.

    python -m benchmarks.ab_routing --base 82dceb7 [--blocks 30]

Prints, per workload, both medians and main/base (for times, below 1 is faster; for rates,
above 1 is faster): ``submit`` with 10,000 agents and 10,000 waiting (the routing
benchmark's state), live handling (submit/accept/complete on 50 agents) and replay from
memory.
"""

from __future__ import annotations

import argparse
import importlib
import io
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

import ccrouter
from benchmarks import bench_routing as br

ROOT = Path(__file__).resolve().parents[1]


def export_base(rev: str, into: Path) -> ModuleType:
    """``src/ccrouter`` at ``rev``, importable as ``ccrouter_base``."""
    archive = subprocess.run(
        ["git", "archive", rev, "src/ccrouter"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    package = into / "ccrouter_base"
    (into / "src" / "ccrouter").rename(package)
    for path in package.rglob("*.py"):
        path.write_text(re.sub(r"\bccrouter\b", "ccrouter_base", path.read_text()))
    for name in [m for m in sys.modules if m.split(".")[0] == "ccrouter_base"]:
        del sys.modules[name]  # an earlier export in this process
    sys.path.insert(0, str(into))
    import ccrouter_base  # type: ignore[import-not-found]

    module: ModuleType = ccrouter_base
    return module


def _use(package: ModuleType) -> None:
    """Point the routing benchmark's builders at ``package``."""
    br.Router, br.RouterConfig = package.Router, package.RouterConfig  # type: ignore[misc]
    br.InteractionOffered = package.events.InteractionOffered  # type: ignore[misc]


def _order(block: int) -> tuple[str, str]:
    return ("base", "main") if block % 2 == 0 else ("main", "base")


def submit(packages: dict[str, ModuleType], blocks: int) -> dict[str, list[float]]:
    """Per-call ``submit`` times (µs), each submitted interaction abandoned untimed."""
    routers = {}
    for name, package in packages.items():
        _use(package)
        routers[name], _ = br.build_router(
            10_000, 10_000, free_share=br.FREE_SHARE, groups=100, seed=10_000
        )
    catalogue = br.profiles(np.random.default_rng(0), br.PROFILES)
    requirements = br._draw(np.random.default_rng(2), catalogue, 100)
    samples: dict[str, list[float]] = {"base": [], "main": []}
    clock = dict.fromkeys(samples, 1e6)
    k = 0
    for block in range(blocks):
        for name in _order(block):
            router = routers[name]
            for skills in requirements:
                k += 1
                clock[name] += 0.001
                t0 = time.perf_counter_ns()
                router.submit(f"ab{k}", channel="voice", skills=skills, at=clock[name])
                samples[name].append((time.perf_counter_ns() - t0) / 1e3)
                router.abandon(f"ab{k}", at=clock[name])
    return samples


def live_and_replay(
    packages: dict[str, ModuleType], rounds: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Events/s (CPU time) of the live workload and of replaying its log from memory."""
    live: dict[str, list[float]] = {"base": [], "main": []}
    replay: dict[str, list[float]] = {"base": [], "main": []}
    logs: dict[str, list[Any]] = {}
    for block in range(rounds):
        for name in _order(block):
            package = packages[name]
            _use(package)
            router = package.Router(package.RouterConfig(), backend="numba")
            t0 = time.process_time()
            made = br.live_workload(router, 10_000, agents=50, seed=4)
            live[name].append(made / (time.process_time() - t0))
            logs[name] = router.events
    for block in range(2 * rounds):
        for name in _order(block):
            t0 = time.process_time()
            packages[name].Router.replay(logs[name])
            replay[name].append(len(logs[name]) / (time.process_time() - t0))
    return live, replay


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="git revision to compare against")
    parser.add_argument("--blocks", type=int, default=30, help="alternating submit blocks")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        packages = {"base": export_base(args.base, Path(tmp)), "main": ccrouter}
        for package in packages.values():
            # The new home (engine/): the old ccrouter.routing path is an import alias only.
            importlib.import_module(f"{package.__name__}.engine.routing.match").warmup()
        rows = [("submit, 10,000 agents (µs)", submit(packages, args.blocks))]
        live, replay = live_and_replay(packages, max(2, args.blocks // 5))
        rows += [("live handling (events/s)", live), ("replay from memory (events/s)", replay)]
    print(f"main ({ROOT.name}) against {args.base}, interleaved in one process:")
    for label, samples in rows:
        base, new = statistics.median(samples["base"]), statistics.median(samples["main"])
        print(f"  {label:32s} base {base:12,.1f}   main {new:12,.1f}   main/base {new / base:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
