"""Snapshot + tail replay == full replay, at every cut point of Hypothesis-made histories.

A live router runs a generated command sequence (some commands carry ``command_id``s, some
repeat one). Then for every cut ``c`` (0 .. the log's version, inside a command's batch too)
the state at ``c`` is snapshotted, a router is opened from the whole log plus that snapshot
(restore, then replay of the tail after ``c``), and it must equal the live router: the same
``state_digest()``, the same matching arrays, ``_check()`` passes, no ``SnapshotWarning``.
Snapshots taken by the live router itself between commands are checked the same way, and a
restored router then makes the same decisions as the live one.
"""

from __future__ import annotations

import warnings
from typing import Any

import hypothesis.strategies as st
from hypothesis import given, settings
from test_replay_arrays import (
    AGENTS,
    CHANNEL_RULES,
    assert_same_arrays,
    capacity,
    commands,
    levels,
    run,
)

from ccrouter import Router, RouterConfig
from ccrouter.engine.snapshot import (
    MemorySnapshotStore,
    SnapshotWarning,
    anchor_of,
    encode_snapshot,
)
from ccrouter.engine.state import RouterState
from ccrouter.log import MemoryEventLog
from ccrouter.log.chain import GENESIS, extend_events

CUTS: list[int] = []  # cut points tried, for the figures


def restored(config: RouterConfig, log: MemoryEventLog, blob: bytes) -> Router:
    store = MemorySnapshotStore()
    store.save(blob)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SnapshotWarning)
        router = Router(config, log=log, snapshots=store, backend="python")
    router.check()
    return router


def run_with_id(router: Router, command: tuple[Any, ...], at: float, cid: str | None) -> Any:
    if cid is None:
        return run(router, command, at)
    name, *args = command
    try:
        if name == "advance":
            return router.advance(at=at, command_id=cid)
        if name == "submit":
            iid, channel, skills, priority = args
            return router.submit(
                iid, channel=channel, skills=skills, priority=priority, at=at, command_id=cid
            )
        if name in ("ready", "logout"):
            return getattr(router, name)(args[0], at=at, command_id=cid)
    except Exception as exc:
        return [type(exc)]
    return run(router, command, at)


@settings(max_examples=100)
@given(
    strategy=st.sampled_from(["longest_idle", "most_skilled", "round_robin", "random"]),
    timeout=st.sampled_from([None, 3.0]),
    wrap_up=st.sampled_from([0.0, 2.0]),
    channels=st.sampled_from(CHANNEL_RULES),
    team=st.lists(st.tuples(levels, capacity), min_size=1, max_size=len(AGENTS)),
    history=st.lists(
        st.tuples(commands, st.sampled_from([0.0, 0.5, 2.0]), st.none() | st.integers(0, 5)),
        max_size=40,
    ),
    future=st.lists(st.tuples(commands, st.sampled_from([0.0, 1.0])), max_size=10),
    restart_at=st.integers(0, 40),
    fairness=st.sampled_from([None, {"window": 3.0, "max_above_median": 0}]),
)
def test_snapshot_plus_tail_equals_full_replay_at_every_cut(
    strategy: str,
    timeout: float | None,
    wrap_up: float,
    channels: dict[str, Any],
    team: list[tuple[dict[str, int], dict[str, int]]],
    history: list[tuple[tuple[Any, ...], float, int | None]],
    future: list[tuple[tuple[Any, ...], float]],
    restart_at: int,
    fairness: dict[str, float] | None,
) -> None:
    queue = {"strategy": strategy, "wrap_up": wrap_up, "offer_timeout": timeout}
    config = RouterConfig.from_dict(
        {
            "queues": {"default": queue, "vip": {**queue, "aging_rate": 1}},
            "channels": channels,
            "fairness": fairness,
        }
    )
    log = MemoryEventLog()
    live_store = MemorySnapshotStore()
    live = Router(config, log=log, snapshots=live_store, backend="python")
    live_snapshots: list[bytes] = []
    at = 0.0
    for aid, (skills, caps) in zip(AGENTS, team, strict=False):
        live.login(aid, skills=skills, capacity=caps, at=at)
        live.ready(aid, at=at, command_id=f"ready-{aid}")
    for command, step, cid in history:
        at += step
        run_with_id(live, command, at, None if cid is None else f"cmd-{cid}")
        live.snapshot()
        blob = live_store.load()
        assert blob is not None
        live_snapshots.append(blob)
    events = list(log.read())
    digest = live.state_digest()

    prefix = RouterState(config)  # the state at each cut, one event at a time
    chain = GENESIS  # and the history chain, computed apart from the log's own
    for cut in range(len(events) + 1):  # every cut, mid-batch included
        if cut:
            prefix.apply(events[cut - 1])
            chain = extend_events(chain, events[cut - 1 : cut])
        blob = encode_snapshot(prefix, anchor_of(events[cut - 1] if cut else None), chain=chain)
        router = restored(config, log, blob)
        assert router.state_digest() == digest, cut
        assert router.state.commands == live.state.commands
        assert_same_arrays(live, router)
        CUTS.append(cut)

    for blob in live_snapshots:  # snapshots the live router took between commands
        router = restored(config, log, blob)
        assert router.state_digest() == digest

    if live_snapshots:  # a restored router decides as the live one from here on
        blob = live_snapshots[restart_at % len(live_snapshots)]
        router = restored(config, MemoryEventLog(events), blob)
        for command, step in future:
            at += step
            assert run(router, command, at) == run(live, command, at)
        assert router.state_digest() == live.state_digest()
        router.check()


def test_figures() -> None:
    print(f"SNAPSHOT-FIGURES {{'cut_points_tried': {len(CUTS)}}}")
