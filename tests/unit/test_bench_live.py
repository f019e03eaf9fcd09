"""benchmarks/bench_live.py runs (smoke sizes) and reports what the issue asks for."""

from __future__ import annotations

from benchmarks import bench_live


def test_smoke_run_reports_overhead_and_push_latency() -> None:
    out = bench_live.run(smoke=True)
    for variant in ("memory", "memory_subscribed", "sqlite_os", "sqlite_os_subscribed"):
        row = out[variant]
        assert row["bare_median_us"] > 0 and row["live_median_us"] > 0
        low, high = row["overhead_range"]
        assert low <= row["overhead_median"] <= high
        assert ("met" in row) is not variant.endswith("subscribed")
    assert out["push_latency"]["batches"] > 0 and out["push_latency"]["median_us"] > 0
