"""A replayed router has the live router's matching arrays, not only its digest.

Replay folds events in bulk (:meth:`RouterState.apply_many` syncs the arrays once per agent
and files waiting work at the end), so the arrays the kernel scans are checked here directly:
same per-slot facts, availability and proficiencies, same ready sets (in any order), the
state's own ``_check()``, and the same next decisions on both routers.
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np
from hypothesis import given

from ccrouter import Router, RouterConfig
from ccrouter.errors import CCRouterError

AGENTS = [f"a{i}" for i in range(6)]
CHANNELS = ["voice", "chat"]
SKILLS = ["x", "y", "z"]
STRATEGIES = [
    "longest_idle",
    "most_skilled",
    "least_occupied",
    "fewest_handled",
    "round_robin",
    "random",
]

levels = st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 4), max_size=3)
capacity = st.dictionaries(st.sampled_from(CHANNELS), st.integers(0, 2), min_size=1, max_size=2)
agent = st.sampled_from(AGENTS)
work = st.integers(0, 9).map(lambda i: f"i{i}")
submit = st.tuples(st.just("submit"), work, st.sampled_from(CHANNELS), levels, st.integers(0, 2))
commands = st.one_of(
    submit,
    st.tuples(st.sampled_from(["accept", "accept", "complete", "complete"]), work),
    st.tuples(st.just("login"), agent, levels, capacity),
    st.tuples(st.just("ready"), agent),
    st.tuples(st.just("not_ready"), agent),
    st.tuples(st.just("logout"), agent),
    submit,
    st.tuples(st.sampled_from(["accept", "decline", "complete", "abandon"]), work),
    st.tuples(st.just("advance")),
    # transfers (blind and consult, to a queue or an agent) and their context
    st.tuples(
        st.just("transfer"),
        work,
        st.sampled_from([None, "default", "vip"]),
        st.sampled_from([None, *AGENTS]),
        st.sampled_from(["blind", "blind", "consult"]),
    ),
    st.tuples(st.sampled_from(["accept_transfer", "decline_transfer", "add_note"]), work),
    st.tuples(st.just("login"), agent, levels, capacity, st.integers(0, 3)),  # with a budget
)
CHANNEL_RULES: list[dict[str, Any]] = [
    {},
    {"voice": {"blocks": ["chat"]}, "chat": {"cost": 2}},
    {"chat": {"blocks": ["voice"], "interruptible_by": ["voice"]}},
]


def run(router: Router, command: tuple[Any, ...], at: float) -> list[Any]:
    name, *args = command
    try:
        if name == "login":
            budget = args[3] if len(args) > 3 else None
            return router.login(args[0], skills=args[1], capacity=args[2], budget=budget, at=at)
        if name == "transfer":
            iid, to_queue, to_agent, mode = args
            if mode == "consult" and to_agent is None:
                to_agent = AGENTS[0]
            return router.transfer(iid, to_queue=to_queue, to_agent=to_agent, mode=mode, at=at)
        if name == "add_note":
            return router.add_note(args[0], "note", at=at)
        if name == "not_ready":
            return router.not_ready(args[0], reason="break", at=at)
        if name == "submit":
            iid, channel, skills, priority = args
            queue = "vip" if priority == 2 else "default"
            return router.submit(
                iid, channel=channel, skills=skills, priority=priority, queue=queue, at=at
            )
        if name == "advance":
            return router.advance(at=at)
        return getattr(router, name)(args[0], at=at)  # type: ignore[no-any-return]
    except CCRouterError as exc:
        return [type(exc)]


def assert_same_arrays(live: Router, replayed: Router) -> None:
    a, b = live.state.table, replayed.state.table
    n = a.n
    assert b.n == n
    assert a.channel_cols == b.channel_cols and a.skill_cols == b.skill_cols
    channels = len(a.channel_cols)
    assert np.array_equal(a.avail[:channels, :n], b.avail[:channels, :n])
    assert np.array_equal(a.facts[:n], b.facts[:n])
    assert np.array_equal(a.agent_prof[:n], b.agent_prof[:n])
    for row in range(channels):
        live_set = sorted(a.ready[row, : a.ready_count[row]].tolist())
        assert live_set == sorted(b.ready[row, : b.ready_count[row]].tolist())


@given(
    strategy=st.sampled_from(STRATEGIES),
    wrap_up=st.sampled_from([0.0, 2.0]),
    timeout=st.sampled_from([None, 3.0]),
    auto_accept=st.booleans(),
    channels=st.sampled_from(CHANNEL_RULES),
    team=st.lists(st.tuples(levels, capacity), min_size=1, max_size=len(AGENTS)),
    history=st.lists(st.tuples(commands, st.sampled_from([0.0, 0.5, 2.0])), max_size=60),
    future=st.lists(st.tuples(commands, st.sampled_from([0.0, 1.0])), max_size=15),
)
def test_replay_rebuilds_the_matching_arrays(
    strategy: str,
    wrap_up: float,
    timeout: float | None,
    auto_accept: bool,
    channels: dict[str, Any],
    team: list[tuple[dict[str, int], dict[str, int]]],
    history: list[tuple[tuple[Any, ...], float]],
    future: list[tuple[tuple[Any, ...], float]],
) -> None:
    queue = {"strategy": strategy, "wrap_up": wrap_up, "offer_timeout": timeout}
    config = RouterConfig.from_dict(
        {
            "auto_accept": auto_accept,
            "queues": {"default": queue, "vip": {**queue, "aging_rate": 1}},
            "channels": channels,
        }
    )
    live = Router(config)
    at = 0.0
    for aid, (skills, caps) in zip(AGENTS, team, strict=False):
        live.login(aid, skills=skills, capacity=caps, at=at)
        live.ready(aid, at=at)
    for command, step in history:
        at += step
        run(live, command, at)
    replayed = Router.replay(live.events, config)
    replayed.check()
    assert replayed.state_digest() == live.state_digest()
    assert_same_arrays(live, replayed)
    for command, step in future:  # the same decisions from here on
        at += step
        assert run(replayed, command, at) == run(live, command, at)
    replayed.check()
    assert_same_arrays(live, replayed)
