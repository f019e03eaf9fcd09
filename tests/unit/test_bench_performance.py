"""The performance-routing benchmark runs, compares against longest-idle, keeps its keys."""

from __future__ import annotations

from benchmarks import bench_performance


def test_smoke_run_reports_every_variant_against_longest_idle() -> None:
    result = bench_performance.run(smoke=True)
    variants = result["decisions"]
    assert set(variants) == {
        "longest_idle", "longest_idle_after_outcome", "performance", "performance_top_share",
        "performance_recomputed",
        "performance_after_outcome", "performance_top_share_after_outcome",
    }  # fmt: skip
    assert variants["longest_idle"]["ratio_vs_longest_idle"] == 1.0
    for v in variants.values():
        low, high = v["round_medians_us"]
        assert 0 < low <= high and v["median_us"] > 0
    # The best-quarter mask admits fewer agents: it finds someone less often.
    top = variants["performance_top_share"]["eligible_found_share"]
    assert top < variants["performance"]["eligible_found_share"]
    assert set(result["goal"]) == {
        "ratio_at_most", "worst_cached_ratio", "worst_after_outcome_ratio",
        "worst_after_outcome_ratio_same_footing", "met",
    }  # fmt: skip
    assert result["outcome_fold_us"] > 0 and len(result["load_average"]["before"]) == 3
    assert result["ready_agents"] == result["agents"] // 5
    for v in variants.values():
        assert v["mean_us"] > 0
    # The best share's decisions after an outcome counted from its index: most settled by the
    # buckets' sizes, few keys computed (the plain pass computes every agent's per decision).
    index = result["share_index"]
    calls = 3 * 200  # smoke: 3 rounds of 200 requirements
    assert index["settled"] > 0.5 * 0.85 * calls
    assert index["keys_computed"] < 0.1 * calls * index["agents"]
