"""benchmarks/bench_explain: its workload makes both kinds of decision, and what it times as
the full replay is the explanation ``explain`` gives."""

from __future__ import annotations

from benchmarks import bench_explain


def test_the_workload_has_greedy_and_batch_decisions_explained_alike() -> None:
    router = bench_explain.build_log(6_000, segment=1_500, batch_span=800)
    chosen = bench_explain.pick(bench_explain.last_offers(router), router.state.last_seq)
    assert any(k.startswith("greedy@") for k in chosen)
    assert any(k.startswith("batch@") for k in chosen)
    full = bench_explain.full_replay(router)
    for iid in set(chosen.values()):
        assert router.explain(iid) == full(iid)
    assert sum(q.waiting for q in router.state.queues.values()) < bench_explain.AGENTS


def test_the_wide_step_is_explained_as_a_full_replay_that_solves_it() -> None:
    out = bench_explain.wide_step(1, waiting=30)
    assert out["offers"] == 30 and out["same_as_full_replay"] is True
    assert out["live"]["median_ms"] > 0 and out["solved_again"]["median_ms"] > 0
