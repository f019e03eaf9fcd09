"""The selector benchmark runs, compares like with like, and keeps its JSON keys."""

from __future__ import annotations

from benchmarks import bench_selectors


def test_smoke_run_reports_every_variant_against_no_selector() -> None:
    result = bench_selectors.run(smoke=True)
    for section in ("decisions", "all_free"):
        variants = result[section]
        assert set(variants) == {"none", "selector", "selector_order_by"}
        assert variants["none"]["ratio_vs_none"] == 1.0
        for v in variants.values():
            low, high = v["round_medians_us"]
            assert 0 < low <= high and v["median_us"] > 0
    # The selector admits about a quarter of the agents, so it finds someone less often.
    assert 0.1 < result["passing_share"] < 0.4
    assert (
        result["decisions"]["selector"]["eligible_found_share"]
        <= (result["decisions"]["none"]["eligible_found_share"])
    )
    assert result["all_free"]["selector"]["eligible_found_share"] == 1.0
    assert set(result["goal"]) == {"ratio_at_most", "worst_ratio", "met"}
    assert result["masks"]["attribute_change_median_us"] > 0
