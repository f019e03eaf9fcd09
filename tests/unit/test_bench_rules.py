"""The rules benchmark runs (smoke size) and reports what it promises."""

from __future__ import annotations

from benchmarks import bench_rules


def test_bench_rules_smoke() -> None:
    result = bench_rules.run(smoke=True)
    assert result["rules"] == 20
    for shape in ("indexed", "scanned"):
        assert {"added_us_median", "added_us_range", "goal_met"} <= set(result[shape])
        assert result[shape]["submit_us_20_rules_median"] > 0
