"""engine.checkpoints: arguments, the memory bound, what a copy holds, the live path."""

from __future__ import annotations

from typing import Any

import pytest

from ccrouter import Router
from ccrouter.engine.checkpoints import Checkpoints, replay_before
from ccrouter.errors import InvalidArgument


@pytest.mark.parametrize(
    ("argument", "value"),
    [("every", 0), ("every", 1.5), ("max_bytes", -1), ("per_record", -1), ("open_factor", 0)],
)
def test_bad_arguments_are_refused_naming_them(argument: str, value: object) -> None:
    with pytest.raises(InvalidArgument, match=rf"{argument} must be an integer >= \d, got"):
        Checkpoints(**{argument: value})  # type: ignore[arg-type]


def _busy_router(calls: int) -> Router:
    router = Router(backend="python")
    for a in ("ann", "bob", "cy"):
        router.login(a, skills={"x": 1}, at=0)
        router.ready(a, at=0)
    for k in range(calls):
        router.submit(f"c{k}", channel="voice", skills={"x": 1}, at=k)
        router.accept(f"c{k}", at=k)
        if k % 3:
            router.complete(f"c{k}", at=k)  # a third stay connected a while
        if k % 3 == 0 and k:
            router.complete(f"c{k - 3}", at=k)
    return router


def _never() -> Any:
    raise AssertionError("folded from the log's start: there is a copy at version 0")


def test_memory_stays_under_the_bound_and_explanations_stay_right() -> None:
    router = _busy_router(600)
    log = router.log
    checkpoints = Checkpoints(every=8, per_record=0, max_bytes=20_000, open_factor=1)
    reopened = Router(log=log, backend="python")
    reopened._checkpoints = checkpoints
    state = reopened.state.__class__(reopened.base_config)
    checkpoints.fold(state, log.read())
    described = checkpoints.describe()
    assert described["spacing"] > 8  # copies were dropped (the spacing doubled)
    biggest = max(len(c.blob) for c in checkpoints._copies.values())
    assert described["bytes"] <= 20_000 + biggest
    before = replay_before(reopened.base_config, log.read)
    for iid in ("c5", "c300", "c598"):
        seq = checkpoints.last_offer(reopened.state.interactions[iid], log.read)
        assert seq is not None
        fast = checkpoints.state_before(seq, log.read, _never)
        slow = before(seq)
        assert fast.last_seq == slow.last_seq == seq - 1
        assert reopened.explain(iid) == router.explain(iid)


def test_a_live_router_copies_as_it_goes_and_records_last_offers() -> None:
    router = _busy_router(1500)
    described = router._checkpoints.describe()
    assert described["copies"] >= 2  # the opening one and at least one from commands
    assert described["sparse"] == 1  # only the opening copy (of the empty log)
    offers = {e.interaction_id: e.seq for e in router.events if e.kind == "interaction_offered"}
    assert {i: x.offer_seq for i, x in router.state.interactions.items()} == offers


def test_a_snapshot_without_last_offers_reads_them_from_the_log_once() -> None:
    """A snapshot written before records kept ``offer_seq`` restores it as ``None``: the
    offers up to the snapshot are read from the log (once), and explanations stay right."""
    from ccrouter.engine.snapshot import MemorySnapshotStore

    live = _busy_router(300)
    store = MemorySnapshotStore()
    log = live.log
    opened = Router(log=log, snapshots=store, backend="python")
    version = opened.snapshot()
    restored = Router(log=log, snapshots=store, backend="python")
    for interaction in restored.state.interactions.values():
        interaction.offer_seq = None  # as an older snapshot decodes
    reads: list[tuple[int, int | None]] = []
    read = log.read

    def counting(start: int, stop: int | None = None) -> Any:
        reads.append((start, stop))
        return read(start, stop)

    restored._log.read = counting  # type: ignore[method-assign]
    for iid in ("c1", "c150", "c299"):
        assert restored.explain(iid) == live.explain(iid)
    assert reads.count((1, version + 1)) == 1  # the log up to the snapshot, read once
