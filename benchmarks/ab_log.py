"""Event-log A/B: this tree's stores against an earlier revision, interleaved in one process.

Appending is bound by the disk's flush latency, which drifts on a shared machine by more
than the differences worth seeing; so both revisions append to fresh logs in alternating
blocks inside one process (the earlier revision is exported as ``ccrouter_base``, see
:mod:`benchmarks.ab_routing`) and the figures are medians over blocks.

    python -m benchmarks.ab_log --base main [--blocks 20] [--appends 100]

Per store and durability: the median latency of one append (a batch of 1 to 3 events,
microseconds), its 90th percentile, events per second, and this/base ratios (for latency
below 1 is faster). PostgreSQL runs too when ``CCROUTER_PG_DSN`` is set.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import ccrouter
from benchmarks.ab_routing import export_base


def _events(package: ModuleType, first: int, count: int) -> list[Any]:
    ev = package.events
    out: list[Any] = []
    for seq in range(first, first + count):
        at, agent, inter = seq * 0.25, f"agent-{seq % 97}", f"int-{seq // 3}"
        k = seq % 3
        if k == 0:
            out.append(
                ev.InteractionQueued(
                    seq=seq,
                    at=at,
                    interaction_id=inter,
                    channel="voice",
                    queue="default",
                    skills={"sales": 2},
                )
            )
        elif k == 1:
            out.append(ev.OfferAccepted(seq=seq, at=at, interaction_id=inter, agent_id=agent))
        else:
            out.append(ev.AgentReady(seq=seq, at=at, agent_id=agent))
    return out


def _block(log: Any, package: ModuleType, appends: int) -> tuple[list[float], int]:
    """Append ``appends`` batches of 1, 2, 3 events; per-append seconds and events written."""
    version = log.version
    batches = []
    for i in range(appends):
        size = i % 3 + 1
        batches.append(_events(package, version + 1, size))
        version += size
    times = []
    for batch in batches:
        t0 = time.perf_counter()
        log.append(batch)
        times.append(time.perf_counter() - t0)
    return times, version


def _open(package: ModuleType, store: str, where: Path, dsn: str | None) -> Any:
    log = package.log
    if store == "postgres":
        return log.PostgresEventLog(dsn, stream=f"ab-{uuid.uuid4()}")
    kind, durability = store.split("_")
    path = where / f"{uuid.uuid4().hex}.{kind}"
    if kind == "sqlite":
        return log.SQLiteEventLog(path, durability=durability)
    return log.FileEventLog(path, durability=durability)


def _summary(blocks: list[list[float]], events: list[int]) -> dict[str, float]:
    medians = [statistics.median(b) for b in blocks]
    p90 = [statistics.quantiles(b, n=10)[-1] for b in blocks]
    rates = [n / sum(b) for b, n in zip(blocks, events, strict=True)]
    return {
        "append_median_us": round(statistics.median(medians) * 1e6, 1),
        "append_median_us_range": (
            round(min(medians) * 1e6, 1),
            round(max(medians) * 1e6, 1),
        ),
        "append_p90_us": round(statistics.median(p90) * 1e6, 1),
        "events_per_s": round(statistics.median(rates)),
    }


def compare(
    packages: dict[str, ModuleType], stores: list[str], blocks: int, appends: int
) -> dict[str, Any]:
    """Run every store's blocks alternating between the packages; return the summaries."""
    dsn = os.environ.get("CCROUTER_PG_DSN")
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(dir=os.environ.get("CCROUTER_BENCH_DIR")) as tmp:
        where = Path(tmp)
        for store in stores:
            if store == "postgres" and not dsn:
                out[store] = "skipped: set CCROUTER_PG_DSN"
                continue
            times: dict[str, list[list[float]]] = {name: [] for name in packages}
            counts: dict[str, list[int]] = {name: [] for name in packages}
            for block in range(blocks):
                names = list(packages) if block % 2 == 0 else list(reversed(packages))
                for name in names:
                    log = _open(packages[name], store, where, dsn)
                    try:
                        t, n = _block(log, packages[name], appends)
                    finally:
                        log.close()
                    times[name].append(t)
                    counts[name].append(n)
            summary = {name: _summary(times[name], counts[name]) for name in packages}
            a, b = summary["this"], summary["base"]
            summary["this/base"] = {
                "append_median": round(a["append_median_us"] / b["append_median_us"], 2),
                "events_per_s": round(a["events_per_s"] / b["events_per_s"], 2),
            }
            out[store] = summary
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--base", required=True, help="git revision to compare against")
    parser.add_argument("--blocks", type=int, default=20, help="alternating blocks per store")
    parser.add_argument("--appends", type=int, default=100, help="appends per block")
    parser.add_argument(
        "--stores",
        default="sqlite_fsync,sqlite_os,sqlite_none,file_fsync,postgres",
        help="comma-separated: sqlite_<durability>, file_<durability>, postgres",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as export:
        base = export_base(args.base, Path(export))
        packages = {"this": ccrouter, "base": base}
        result = compare(packages, args.stores.split(","), args.blocks, args.appends)
    import json

    print(json.dumps({"base": args.base, "blocks": args.blocks, **result}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
