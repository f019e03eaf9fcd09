"""Explain from checkpoints == explain from a full replay, for every decision of generated logs.

A live router runs a generated command sequence (greedy commands, batch ``match`` steps,
reconfigures between strategies and routing modes, exits that leave finished work that notes
may still name, transfers ...) with checkpoints every few events. Then, for every interaction,
``Router.explain`` (nearest copy + the log after it) must equal the explanation built from the
state folded from the log's start (what ``explain`` did before checkpoints), with the last
offer found by scanning the log. The same holds on a router opened again on the log, on one
opened from a snapshot taken part-way (offers before it indexed later, copies taken on the
way), and with a memory bound small enough that copies are dropped.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any
from unittest import mock

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings
from test_replay_arrays import (
    AGENTS,
    CHANNEL_RULES,
    CHANNELS,
    SKILLS,
    capacity,
    commands,
    levels,
    run,
    work,
)

from ccrouter import Router, RouterConfig
from ccrouter.engine import checkpoints
from ccrouter.engine.checkpoints import explain_events, explain_interaction, replay_before
from ccrouter.engine.routing.explain import Explanation
from ccrouter.engine.snapshot import MemorySnapshotStore, SnapshotWarning
from ccrouter.errors import CCRouterError
from ccrouter.events import InteractionNoteAdded, InteractionOffered
from ccrouter.log import MemoryEventLog

STRATEGIES = ["longest_idle", "most_skilled", "round_robin", "random", "fewest_handled"]

# Work most agents can take and agents who can take it, so that many decisions are made
# (and explained); the shared command mix adds transfers, logouts, budgets and the rest.
easy = st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 1), max_size=1)
submit = st.tuples(st.just("submit"), work, st.sampled_from(CHANNELS), easy, st.integers(0, 2))
# Answer the k-th ringing offer / end the k-th connected interaction (an id drawn blindly is
# rarely the one ringing).
answer = st.tuples(st.sampled_from(["accept", "accept", "complete", "decline"]), st.integers(0, 3))
extra = st.one_of(
    st.tuples(st.just("match")),
    st.tuples(
        st.just("reconfigure"),
        st.sampled_from(STRATEGIES),
        st.sampled_from(["greedy", "batch"]),
        st.sampled_from([0.0, 1.0]),
    ),
    st.tuples(st.just("add_note"), work),
    st.tuples(st.just("advance")),
)
steps = st.lists(
    st.tuples(
        st.one_of(submit, submit, answer, answer, st.tuples(st.just("match")), extra, commands),
        st.sampled_from([0.0, 0.5, 2.0]),
    ),
    min_size=5,
    max_size=60,
)
seats = st.dictionaries(st.sampled_from(CHANNELS), st.integers(1, 2), min_size=1, max_size=2)


def config_of(strategy: str, matching: str, aging: float, base: dict[str, Any]) -> RouterConfig:
    queue = {**base, "strategy": strategy}
    return RouterConfig.from_dict(
        {
            **base.get("router", {}),
            "matching": matching,
            "queues": {
                "default": {k: v for k, v in queue.items() if k != "router"},
                # Exits: finished work that a note may still name after a copy left it out.
                "vip": {
                    **{k: v for k, v in queue.items() if k != "router"},
                    "aging_rate": aging,
                    "max_wait": 1.5,
                },
            },
        }
    )


def step(router: Router, command: tuple[Any, ...], at: float, base: dict[str, Any]) -> None:
    name, *args = command
    try:
        if name == "match":
            router.match(at=at)
        elif name in ("accept", "complete", "decline") and isinstance(args[0], int):
            status = "connected" if name == "complete" else "offered"
            held = [i for i, x in router.state.interactions.items() if x.status == status]
            if held:
                getattr(router, name)(held[args[0] % len(held)], at=at)
        elif name == "reconfigure":
            router.reconfigure(config_of(args[0], args[1], args[2], base), at=at)
        else:
            run(router, command, at)
    except CCRouterError:
        pass


def reference(router: Router, config: RouterConfig, interaction_id: str) -> Explanation:
    """The explanation from a fold of the log from its start, the last offer found by a scan
    of the log (neither from the checkpoints)."""
    read = router.log.read
    seq = None
    for event in read(1, None):  # type: ignore[arg-type]
        if isinstance(event, InteractionOffered) and event.interaction_id == interaction_id:
            seq = event.seq
    interaction = router.state.interactions[interaction_id]
    return explain_interaction(router.state, interaction, seq, read, replay_before(config, read))


def assert_all_equal(router: Router, config: RouterConfig) -> int:
    """Every interaction's explanation equals the reference, from the router and from the
    whole log in memory (the CLI's path); returns how many were batch decisions."""
    batch = 0
    events = list(router.log.read())
    for iid in list(router.state.interactions):
        fast = router.explain(iid)
        assert fast == reference(router, config, iid), iid
        logged = explain_events(events, iid, config)
        assert logged == (None if fast.decision_seq is None else fast), iid
        batch += fast.batch is not None
    return batch


@settings(max_examples=60, deadline=None)
@given(
    strategy=st.sampled_from(STRATEGIES),
    matching=st.sampled_from(["greedy", "batch"]),
    timeout=st.sampled_from([None, 3.0]),
    wrap_up=st.sampled_from([0.0, 2.0]),
    channels=st.sampled_from(CHANNEL_RULES),
    fairness=st.sampled_from([None, {"window": 3.0, "max_above_median": 0}]),
    team=st.lists(
        st.tuples(levels, st.one_of(seats, seats, capacity)), min_size=1, max_size=len(AGENTS)
    ),
    history=steps,
    every=st.integers(1, 7),
    open_factor=st.integers(1, 4),
    max_bytes=st.sampled_from([1 << 30, 3000]),
    cut=st.integers(0, 60),
)
def test_explain_from_checkpoints_equals_full_replay(
    strategy: str,
    matching: str,
    timeout: float | None,
    wrap_up: float,
    channels: dict[str, Any],
    fairness: dict[str, float] | None,
    team: list[tuple[dict[str, int], dict[str, int]]],
    history: list[tuple[tuple[Any, ...], float]],
    every: int,
    open_factor: int,
    max_bytes: int,
    cut: int,
) -> None:
    base: dict[str, Any] = {
        "wrap_up": wrap_up,
        "offer_timeout": timeout,
        "router": {"channels": channels, "fairness": fairness},
    }
    config = config_of(strategy, matching, 0.0, base)
    with (
        mock.patch.object(checkpoints, "EVERY", every),
        mock.patch.object(checkpoints, "PER_RECORD", 0),
        mock.patch.object(checkpoints, "MAX_BYTES", max_bytes),
        mock.patch.object(checkpoints, "OPEN_FACTOR", open_factor),
    ):
        log = MemoryEventLog()
        store = MemorySnapshotStore()
        live = Router(config, log=log, snapshots=store, backend="python")
        at = 0.0
        for aid, (skills, caps) in zip(AGENTS, team, strict=False):
            live.login(aid, skills=skills, capacity=caps, at=at)
            live.ready(aid, at=at)
        for k, (command, pause) in enumerate(history):
            at += pause
            step(live, command, at, base)
            if k == cut:
                live.snapshot()
        live.advance(at=at + 5)  # exits and timeouts fire
        assert_all_equal(live, config)
        reopened = Router(config, log=log, backend="python")
        assert_all_equal(reopened, config)
        assert_all_equal(reopened, config)  # again, from the copies filled in
        if store.load() is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("error", SnapshotWarning)
                restored = Router(config, log=log, snapshots=store, backend="python")
            assert_all_equal(restored, config)


@pytest.mark.parametrize("every", [1, 2, 3, 4, 7])
def test_notes_on_exited_work_and_batch_steps_after_copies(every: int) -> None:
    """The cases a generated log rarely makes, made on purpose: a note added to work that
    exited (a copy left it out: the fold puts a placeholder in), batch steps and greedy
    decisions after reconfigures, explained from copies taken every few events."""
    base: dict[str, Any] = {"wrap_up": 1.0, "offer_timeout": 5.0, "router": {}}
    greedy = config_of("most_skilled", "greedy", 0.0, base)
    with (
        mock.patch.object(checkpoints, "EVERY", every),
        mock.patch.object(checkpoints, "PER_RECORD", 0),
    ):
        router = Router(greedy, backend="python")
        router.login("ann", skills={"x": 2}, at=0)
        router.login("bob", skills={"x": 1, "y": 1}, at=0)
        router.submit("gone", channel="voice", queue="vip", skills={"z": 1}, at=0)
        router.advance(at=2)  # max_wait: it exits
        assert router.interaction("gone").status == "exited"
        router.submit("w0", channel="voice", skills={"x": 1}, at=2)
        router.add_note("gone", "called back by hand", at=3)
        router.ready("ann", at=3)
        router.ready("bob", at=3)
        router.reconfigure(config_of("round_robin", "batch", 1.0, base), at=4)
        for k in range(1, 5):
            router.submit(f"w{k}", channel="voice", skills={"x": 1}, at=4)
        router.match(at=5)
        router.decline("w1", at=6)
        router.match(at=6)
        router.reconfigure(greedy, at=7)
        router.submit("w9", channel="voice", skills={"y": 1}, at=7)
        log = router.log
        notes = [e for e in log.read() if isinstance(e, InteractionNoteAdded)]
        assert notes and notes[0].interaction_id == "gone"
        batch = assert_all_equal(router, greedy)
        assert batch >= 2
        assert assert_all_equal(Router(greedy, log=log, backend="python"), greedy) == batch


def test_a_copy_leaves_finished_work_out() -> None:
    """A copy holds the live interactions only: its size does not grow with finished work."""
    router = Router(backend="python")
    router.login("ann", skills={}, at=0)
    router.ready("ann", at=0)
    sizes = []
    for k in range(400):
        router.submit(f"c{k}", channel="voice", at=k)
        router.accept(f"c{k}", at=k)
        router.complete(f"c{k}", at=k)
        state = router.state
        sizes.append(len(checkpoints._encode(state, checkpoints._live(state))))
    assert len(router.state.interactions) == 400
    assert max(sizes[100:]) <= min(sizes[100:]) + 64


def test_explain_after_a_reopen_does_not_fold_the_log_again() -> None:
    """A router opened on a long log explains from its copies: the state before a decision
    is a copy plus at most one sparse stretch the first time (which fills in dense copies),
    then at most one dense stretch (events counted through the reader)."""
    router = Router(backend="python")
    for a in ("ann", "bob"):
        router.login(a, skills={"x": 1}, at=0)
        router.ready(a, at=0)
    for k in range(3000):
        router.submit(f"c{k}", channel="voice", skills={"x": 1}, at=k)
        router.accept(f"c{k}", at=k)
        router.complete(f"c{k}", at=k)
    log = router.log
    reopened = Router(log=log, backend="python")
    read = log.read
    counted: list[int] = []

    def counting(start: int, stop: int | None = None) -> Any:
        events = list(read(start, stop))
        counted.append(len(events))
        return iter(events)

    def never() -> Any:
        raise AssertionError("folded from the log's start")

    cp = reopened._checkpoints
    assert cp.describe()["sparse"] >= 1
    seq = cp.last_offer(reopened.state.interactions["c2500"], counting)
    assert seq is not None
    gap = max(cp.every, cp.per_record * 4)
    assert cp.state_before(seq, counting, never).last_seq == seq - 1
    assert sum(counted) <= cp.open_factor * gap + 1
    counted.clear()
    assert cp.state_before(seq, counting, never).last_seq == seq - 1
    assert sum(counted) <= gap + 1
    assert reopened.explain("c2500") == router.explain("c2500")


def test_a_fill_in_that_stopped_is_resumed_by_the_next_decision_past_it() -> None:
    """After a reopen, explaining a decision fills the sparse stretch in only up to it; a
    later decision further in the same stretch resumes the fill-in from the last copy taken
    (then costs one dense gap), instead of folding from that copy every time."""
    router = Router(backend="python")
    for a in ("ann", "bob"):
        router.login(a, skills={"x": 1}, at=0)
        router.ready(a, at=0)
    for k in range(300):
        router.submit(f"c{k}", channel="voice", skills={"x": 1}, at=k)
        router.accept(f"c{k}", at=k)
        router.complete(f"c{k}", at=k)
    log = router.log
    gap = 32
    with (
        mock.patch.object(checkpoints, "EVERY", gap),
        mock.patch.object(checkpoints, "PER_RECORD", 0),
        mock.patch.object(checkpoints, "OPEN_FACTOR", 8),
    ):
        reopened = Router(log=log, backend="python")
    cp = reopened._checkpoints
    read = log.read
    counted: list[int] = []

    def counting(start: int, stop: int | None = None) -> Any:
        events = list(read(start, stop))
        counted.append(len(events))
        return iter(events)

    def never() -> Any:
        raise AssertionError("folded from the log's start")

    versions = list(cp._versions)
    start = next(v for v, w in itertools.pairwise(versions) if w - v >= 8 * gap)
    first, second = start + gap + gap // 2, start + 4 * gap + gap // 2
    cp.state_before(first, counting, never)
    counted.clear()
    assert cp.state_before(second, counting, never).last_seq == second - 1
    assert sum(counted) <= second - first + gap  # from the last copy the first fill took
    counted.clear()
    assert cp.state_before(second, counting, never).last_seq == second - 1
    assert sum(counted) <= gap + 1  # and that fill went on: dense copies up to `second`
    offer = next(e for e in read(second, None) if isinstance(e, InteractionOffered))
    assert reopened.explain(offer.interaction_id) == router.explain(offer.interaction_id)
