"""Focused equality tests of the compiled engine, one section per feature it gained after
the first release of the engine: queue agent groups, widening steps, ``max_wait_no_agents``.

Each scenario is small and chosen to hit the feature's edges (ties at one instant, nobody
able, steps at 0 s, ...); ``assert_same_run`` compares both engines event for event.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_compiled_equality import assert_same_run

from ccrouter.events import AgentLoggedIn, InteractionOffered
from ccrouter.sim import Engine, Scenario
from ccrouter.sim.compiled import unsupported_features


def _center(queues: dict[str, Any], call_types: list[dict[str, Any]], **extra: Any) -> Scenario:
    """Two agent groups (``a``: skill x, ``b``: skills x and y) on ``queues``."""
    return Scenario.from_dict(
        {
            "horizon": 1800,
            "call_types": call_types,
            "agent_groups": [
                {"name": "a", "skills": {"x": 2}, "headcount": [2]},
                {"name": "b", "skills": {"x": 1, "y": 3}, "headcount": [1]},
            ],
            "router": {"queues": queues},
            **extra,
        }
    )


def _call(name: str, queue: str, rate: float = 90.0, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "queue": queue,
        "arrivals": {"kind": "poisson", "rates_per_hour": [rate]},
        "handle": {"kind": "exponential", "mean": 100},
        "patience": {"kind": "exponential", "mean": 200},
        **extra,
    }


def _events(scenario: Scenario, seed: int) -> list[Any]:
    return Engine(scenario, np.random.SeedSequence(seed)).run().events


# --- queue agent groups -------------------------------------------------------------------------


def test_queue_groups_equal_and_limit_the_agents() -> None:
    scenario = _center(
        {"qa": {"groups": ["a"]}, "qb": {"groups": ["b", "a"], "strategy": "random"}},
        [_call("ca", "qa"), _call("cb", "qb", skills={"y": 1})],
    )
    assert unsupported_features(scenario) == []
    for seed in range(3):
        assert_same_run(scenario, seed)
    events = _events(scenario, 0)
    logins = [e for e in events if isinstance(e, AgentLoggedIn)]
    assert logins and all(e.groups == [e.agent_id.split("-")[0]] for e in logins)
    offers = [e for e in events if isinstance(e, InteractionOffered)]
    # qa's work goes to group a only; qb's (skill y) only b can take
    assert {e.agent_id[0] for e in offers if e.interaction_id.startswith("ca")} == {"a"}
    assert {e.agent_id[0] for e in offers if e.interaction_id.startswith("cb")} == {"b"}


def test_queue_group_nobody_has_waits_until_it_leaves() -> None:
    """A queue limited to a group no agent is in: its work is never offered (equal runs)."""
    scenario = _center({"q": {"groups": ["nobody"]}, "r": {}}, [_call("c", "q"), _call("d", "r")])
    assert_same_run(scenario, 1)
    offers = [e for e in _events(scenario, 1) if isinstance(e, InteractionOffered)]
    assert offers and not any(e.interaction_id.startswith("c-") for e in offers)


def test_queue_groups_same_time_arrivals_and_overflow() -> None:
    """Arrivals at one instant into queues with different groups, overflowing into a queue
    with other groups (the work keeps its skills, takes the new queue's groups)."""
    times = [0.0, 0.0, 0.0, 5.0, 5.0, 5.0, 5.0, 30.0, 30.0]
    trace = {"kind": "trace", "times": times}
    scenario = _center(
        {
            "q": {"groups": ["b"], "max_wait": 10.0, "overflow_to": "r"},
            "r": {"groups": ["a"], "strategy": "most_skilled"},
        },
        [{**_call("c", "q"), "arrivals": trace}, {**_call("d", "r"), "arrivals": trace}],
        ring_delay={"kind": "deterministic", "value": 2.0},
    )
    for seed in range(3):
        assert_same_run(scenario, seed)


# --- widening steps -----------------------------------------------------------------------------


def _stepped(scenario: Scenario, seed: int) -> list[Any]:
    from ccrouter.events import InteractionStepped

    return [e for e in _events(scenario, seed) if isinstance(e, InteractionStepped)]


def test_steps_widen_equal() -> None:
    """Steps at 0 s (at the arrival's instant), relaxing a skill, dropping one, adding a
    group and raising the priority; work nobody can take at first is taken once widened."""
    steps = [
        {"after": 0.0, "priority": 2.0},
        {"after": 20.0, "skills": {"y": 1}},
        {"after": 45.0, "drop_skills": ["y"], "groups": ["a"]},
    ]
    scenario = _center(
        {"q": {"groups": ["b"], "steps": steps, "aging_rate": 0.01}, "r": {}},
        [_call("c", "q", 120.0, skills={"y": 5}), _call("d", "r", 60.0)],
    )
    assert unsupported_features(scenario) == []
    for seed in range(3):
        assert_same_run(scenario, seed)
    stepped = _stepped(scenario, 0)
    assert {e.step for e in stepped} == {0, 1, 2}
    assert any(e.groups == ["a", "b"] and e.skills == {} for e in stepped)


def test_steps_skip_if_nobody_equal() -> None:
    """A step nobody logged in could take is skipped (the requirement stays); one someone
    could take applies. Agents of b leave at 900 s: the same step is skipped after."""
    steps = [
        {"after": 10.0, "skills": {"z": 1}, "skip_if_nobody": True},  # nobody has z
        {"after": 30.0, "skills": {"y": 1}, "drop_skills": ["x"], "skip_if_nobody": True},
    ]
    scenario = Scenario.from_dict(
        {
            "horizon": 1800,
            "interval": 900,
            "call_types": [_call("c", "q", 150.0, skills={"x": 3})],
            "agent_groups": [
                {"name": "a", "skills": {"x": 3}, "headcount": [1]},
                {"name": "b", "skills": {"x": 1, "y": 3}, "headcount": [2, 0]},
            ],
            "router": {"queues": {"q": {"steps": steps}}},
        }
    )
    for seed in range(3):
        assert_same_run(scenario, seed)
    stepped = _stepped(scenario, 0)
    assert any(e.skipped and e.step == 0 for e in stepped)
    assert any(not e.skipped and e.step == 1 for e in stepped)
    assert any(e.skipped and e.step == 1 for e in stepped)  # after b left


def test_step_passed_while_ringing_fires_before_the_next_offer() -> None:
    """Work back from a missed offer takes the step whose time passed while it rang, at the
    instant it comes back, before it is offered again (the offer cancels the next step's
    timer, due then too); with a deadline passed as well, the overdue escalation comes
    first and its routing offers the work before any step."""
    from ccrouter.events import InteractionStepped, OfferTimedOut

    scenario = Scenario.from_dict(
        {
            "horizon": 600,
            "ring_delay": {"kind": "deterministic", "value": 100.0},  # every offer rings out
            "call_types": [
                {
                    "name": "c",
                    "queue": "q",
                    "arrivals": {"kind": "trace", "times": [0.0, 1.0, 1.0]},
                    "handle": {"kind": "exponential", "mean": 100},
                    "patience": {"kind": "deterministic", "value": 200.0},
                }
            ],
            "agent_groups": [{"name": "g", "headcount": [2]}],
            "router": {
                "max_no_answer": 9,
                "queues": {
                    "q": {
                        "offer_timeout": 10.0,
                        "steps": [{"after": 4.0, "priority": 1.0}, {"after": 8.0}],
                    }
                },
            },
        }
    )
    assert_same_run(scenario, 1)
    events = _events(scenario, 1)
    j = next(k for k, e in enumerate(events) if isinstance(e, OfferTimedOut))
    after = [type(e) for e in events[j + 1 :] if e.at == events[j].at]
    assert after[:2] == [InteractionStepped, InteractionOffered]
    queues = scenario.router["queues"]
    with_deadline = scenario.replace(
        router={"max_no_answer": 9, "queues": {"q": {**queues["q"], "deadline": 8.0}}}
    )
    assert_same_run(with_deadline, 1)


# --- max_wait_no_agents -----------------------------------------------------------------------


def _no_agents_center(limit: float, **queue: Any) -> Scenario:
    """One able agent, busy with a long call, leaves at 600 s (logged out when it ends);
    callers pile up meanwhile; group b lacks the skill."""
    times = [float(t) for t in range(0, 560, 20)]  # ids c-0 .. c-27: "c-10" < "c-2"
    return Scenario.from_dict(
        {
            "horizon": 1200,
            "interval": 600,
            "call_types": [
                {
                    "name": "c",
                    "queue": "q",
                    "skills": {"x": 1},
                    "arrivals": {"kind": "trace", "times": times},
                    "handle": {"kind": "deterministic", "value": 700.0},
                    "patience": {"kind": "exponential", "mean": 900.0},
                    "retrial_probability": 0.9,
                    "retrial_delay": {"kind": "exponential", "mean": 30.0},
                }
            ],
            "agent_groups": [
                {"name": "a", "skills": {"x": 1}, "headcount": [1, 0]},
                {"name": "b", "headcount": [1]},
            ],
            "router": {"queues": {"q": {"max_wait_no_agents": limit, **queue}}},
        }
    )


def _exits(scenario: Scenario, seed: int) -> list[Any]:
    from ccrouter.events import InteractionExited

    return [e for e in _events(scenario, seed) if isinstance(e, InteractionExited)]


def test_no_agents_ties_fire_in_id_order() -> None:
    """When the last able agent logs out, every waiting caller's timer is set at one due
    time and seq: they fire in the order of the ids as strings (``c-10`` before ``c-2``),
    retrials (``c-3.1``) among them."""
    for limit in (0.0, 30.0):
        scenario = _no_agents_center(limit)
        assert unsupported_features(scenario) == []
        for seed in range(3):
            assert_same_run(scenario, seed)
        exits = [e for e in _exits(scenario, 0) if e.reason == "max_wait_no_agents"]
        at = max({e.at for e in exits}, key=lambda t: sum(e.at == t for e in exits))
        first = [e.interaction_id for e in exits if e.at == at]  # the logout's batch
        assert len(first) > 10 and first == sorted(first)
        numeric = sorted(first, key=lambda i: [float(x) for x in i[2:].split(".")])
        assert first != numeric  # the order is the strings', not the numbers'


def test_no_agents_overflow_and_login_cancels() -> None:
    """Exits overflow into a queue agents of b can take; an agent able to take the work
    logging in cancels the timers (here a shift of group a starting later)."""
    data = {
        "queues": {
            "q": {"max_wait_no_agents": 60.0, "overflow_to": "r", "keep_age": True},
            "r": {"max_wait_no_agents": 0.0},
        }
    }
    shifted = Scenario.from_dict(
        {
            "horizon": 1200,
            "interval": 600,
            "call_types": [
                {**_call("c", "q", 200.0, skills={"x": 1})},
                {**_call("d", "r", 60.0)},
            ],
            "agent_groups": [
                {"name": "a", "skills": {"x": 1}, "shifts": [{"start": 300, "end": 800}]},
                {"name": "b", "headcount": [1]},
            ],
            "router": data,
        }
    )
    for seed in range(3):
        assert_same_run(shifted, seed)
    exits = _exits(shifted, 0)
    assert any(e.overflow_to == "r" for e in exits)
    assert all(e.at < 300.0 or e.at >= 800.0 for e in exits if e.reason == "max_wait_no_agents")


# --- automatic callbacks ---------------------------------------------------------------------


def test_callback_after_equal() -> None:
    """Automatic callbacks at 0 s (the arrival's instant) and later, beside the caller's own
    virtual-hold choice; a callback no longer abandons, exits by max_wait or by nobody."""
    from ccrouter.events import CallbackRequested

    scenario = _center(
        {
            "q": {"callback_after": 0.0, "max_wait": 30.0},
            "r": {"callback_after": 20.0, "max_wait_no_agents": 10.0, "groups": ["b"]},
        },
        [
            _call("c", "q", 150.0),
            _call("d", "r", 150.0, callback={"after": 10.0, "acceptance": 0.5}),
        ],
    )
    assert unsupported_features(scenario) == []
    for seed in range(3):
        assert_same_run(scenario, seed)
    calls = [e for e in _events(scenario, 0) if isinstance(e, CallbackRequested)]
    assert {e.automatic for e in calls} == {True, False}


def test_callback_after_runs_end() -> None:
    """Regression guard: compiled runs with automatic callbacks end (a callback re-armed at
    the instant it fired would loop without end). Run in a child process with a timeout."""
    import subprocess
    import sys
    import textwrap

    from ccrouter.sim.compiled import warmup

    warmup()  # compiled here first: the child loads the kernels from the disk cache
    code = textwrap.dedent(
        """
        import numpy as np
        from ccrouter.sim import Scenario
        from ccrouter.sim.compiled import run_compiled
        call = {"name": "c", "queue": "q", "arrivals": {"kind": "poisson",
                "rates_per_hour": [300]}, "handle": {"kind": "exponential", "mean": 60},
                "patience": {"kind": "exponential", "mean": 30},
                "retrial_probability": 0.5}
        for queue in ({"callback_after": 0.0}, {"callback_after": 0.0, "groups": ["x"]},
                      {"callback_after": 0.0, "max_wait": 5.0, "overflow_to": "q"},
                      {"callback_after": 0.0, "max_wait_no_agents": 0.0,
                       "steps": [{"after": 0.0, "priority": 1.0}]}):
            s = Scenario.from_dict({"horizon": 1800, "call_types": [call],
                "agent_groups": [{"name": "g", "headcount": [1, 0]}], "interval": 900,
                "router": {"queues": {"q": queue}}})
            for seed in range(3):
                run_compiled(s, np.random.SeedSequence(seed), keep_events=True)
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


# --- overdue queue ------------------------------------------------------------------------------


def test_overdue_queue_equal() -> None:
    """Overdue work moves to another queue (its groups, strategy, steps and exits)."""
    from ccrouter.events import InteractionOverdue

    scenario = _center(
        {
            "q": {"deadline": 30.0, "reminders": [10.0], "overdue_queue": "late", "groups": ["b"]},
            "late": {
                "strategy": "most_skilled",
                "overdue_priority": 5.0,
                "steps": [{"after": 60.0, "priority": 4.0}],
                "max_wait": 90.0,
            },
        },
        [_call("c", "q", 150.0)],
    )
    assert unsupported_features(scenario) == []
    for seed in range(3):
        assert_same_run(scenario, seed)
    late = [e for e in _events(scenario, 0) if isinstance(e, InteractionOverdue)]
    assert late and {e.queue for e in late} == {"late"}


# --- constants and the id order ---------------------------------------------------------------


def test_timer_ranks_tied_to_the_router() -> None:
    """The kernel orders timers of one due time and seq by the rank of their kind's name
    among the router's timer kinds (``core._TIMERS``), as the router's sorted timers do."""
    from ccrouter.config import EXIT_REASONS
    from ccrouter.engine.core import _TIMERS
    from ccrouter.sim.compiled import _layout as lay

    rank = {kind: j for j, kind in enumerate(sorted(_TIMERS))}
    slots = {
        lay.T_OFFER: "offer",
        lay.T_OVERDUE: "overdue",
        lay.T_REMIND: "remind",
        lay.T_WRAP: "wrap",
        lay.T_EXIT: "exit",
        lay.T_STEP: "step",
        lay.T_EMPTY: "empty",
        lay.T_CALLBACK: "callback",
    }
    assert len(slots) == lay.N_TIMERS
    assert tuple(rank[slots[j]] for j in range(lay.N_TIMERS)) == lay.TIMER_RANK
    assert set(lay.EXIT_REASONS) <= set(EXIT_REASONS)


@settings(max_examples=300, deadline=None)
@given(
    names=st.lists(
        st.text(alphabet="ab-.:0é9\u4e2d", min_size=1, max_size=4), min_size=1, max_size=3
    ),
    ids=st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 120), st.integers(0, 12)),
        min_size=2,
        max_size=12,
    ),
)
def test_ids_sort_as_strings(names: list[str], ids: list[tuple[int, int, int]]) -> None:
    """``_ids.sort_by_id`` orders interactions as Python orders their id strings, for any
    type names (a name with ``-``, ``.``, digits, non-ASCII) and retrial numbers."""
    from collections import namedtuple

    from ccrouter.sim.compiled import _layout as lay
    from ccrouter.sim.compiled._ids import sort_by_id

    ids = [(c % len(names), k, a) for c, k, a in ids]
    table = np.zeros((len(ids), lay.I_COLS), dtype=np.int64)
    for j, (c, k, a) in enumerate(ids):
        table[j, lay.I_TYPE], table[j, lay.I_K], table[j, lay.I_ATTEMPT] = c, k, a
    raw = [n.encode() for n in names]
    params = namedtuple("params", "nm_bytes nm_off nm_len")(
        np.frombuffer(b"".join(raw), dtype=np.uint8).copy(),
        np.cumsum([0, *[len(r) for r in raw]])[:-1].astype(np.int64),
        np.array([len(r) for r in raw], dtype=np.int64),
    )
    state = namedtuple("state", "I")(table)
    buf = np.arange(len(ids), dtype=np.int64)
    sort_by_id(state, params, buf, len(ids))

    def text(j: int) -> str:
        c, k, a = ids[j]
        return f"{names[c]}-{k}" if a == 0 else f"{names[c]}-{k}.{a}"

    got = [text(j) for j in buf.tolist()]
    assert got == sorted(got)


# --- channel rules ----------------------------------------------------------------------------


def test_channel_blocks_equal() -> None:
    """Voice blocks chat (an agent on a call, ringing or in wrap-up is offered no chat) and
    chat blocks nothing: blended agents with chat capacity 3 (costs count only with a
    budget, which the simulator's agents do not have)."""
    scenario = Scenario.from_dict(
        {
            "horizon": 1800,
            "ring_delay": {"kind": "exponential", "mean": 3.0},
            "call_types": [
                _call("v", "q", 90.0),
                {**_call("c", "q", 200.0), "channel": "chat"},
            ],
            "agent_groups": [
                {"name": "a", "capacity": {"voice": 1, "chat": 3}, "headcount": [3]},
            ],
            "router": {
                "queues": {"q": {"wrap_up": 10.0, "strategy": "least_occupied"}},
                "channels": {"voice": {"blocks": ["chat"], "cost": 2}},
            },
        }
    )
    assert unsupported_features(scenario) == []
    for seed in range(3):
        assert_same_run(scenario, seed)
    held: dict[str, set[str]] = {}
    from ccrouter.events import (
        InteractionAbandoned,
        InteractionCompleted,
        InteractionOffered,
        OfferTimedOut,
        WrapUpEnded,
    )

    for e in _events(scenario, 0):  # offers of chat never reach an agent holding a call
        if isinstance(e, InteractionOffered):
            if e.interaction_id.startswith("c-"):
                assert not any(i.startswith("v-") for i in held.get(e.agent_id, set()))
            held.setdefault(e.agent_id, set()).add(e.interaction_id)
        elif (
            isinstance(e, WrapUpEnded | OfferTimedOut)
            or (isinstance(e, InteractionCompleted) and e.wrap_up_until <= e.at)
            or (isinstance(e, InteractionAbandoned) and e.agent_id is not None)
        ):
            held.get(e.agent_id, set()).discard(e.interaction_id)
