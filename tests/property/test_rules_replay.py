"""Replay equals live with routing rules, and replay never evaluates a rule.

A random session (logins with attributes, submits with attributes and customers, updates that
re-classify, answers, completions, abandons) runs on a router whose rules read attributes,
customer history, the calendar and queue state, with a weighted split. Replaying its log —
with rule evaluation made to fail — must rebuild the identical state.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ccrouter.engine.classify as classify_module
from ccrouter import Router, RouterConfig
from ccrouter.errors import CCRouterError

CONFIG = RouterConfig.from_dict(
    {
        "attributes": {
            "interaction.attributes.tier": "str",
            "interaction.attributes.digit": "int",
            "agent.level": "int",
        },
        "calendar": {"timezone": "Europe/Paris", "hours": {"mon": ["08:00-18:00"]}},
        # Exception triggers: sales re-classifies after an hour of waiting, support when
        # more than one waits there.
        "queues": {"vip": {}, "sales": {"reclassify_after": 3600},
                   "support": {"reclassify_over": 1}, "callbacks": {}, "overflow": {}},
        "rules": [
            {"name": "late", "when": 'interaction.exception == "wait_time"', "queue": "overflow",
             "priority": "interaction.priority + 5"},
            {"name": "crowded", "when": 'interaction.exception == "queue_length"',
             "priority": "interaction.priority + 1", "tags": ["crowded"]},
            {"name": "vip", "when": 'interaction.attributes.tier == "gold"', "queue": "vip",
             "priority": "5 + customer.contacts_7d * 2", "tags": ["vip"]},
            {"name": "faq", "when": "interaction.attributes.digit == 9", "deflect": "faq"},
            {"name": "busy", "when": "queue.sales.waiting >= 2", "queue": "overflow"},
            {"name": "closed", "when": "not calendar.open and interaction.attributes.digit == 3",
             "queue": "callbacks"},
            {"name": "sales", "when": "interaction.attributes.digit == 1",
             "split": [{"weight": 1, "queue": "sales"}, {"weight": 1, "queue": "support"}]},
            {"name": "rest", "queue": "support"},
        ],
    }
)  # fmt: skip

MONDAY = 1_796_634_000.0  # 2026-12-07 10:00 in Paris

ops = st.lists(
    st.one_of(
        st.tuples(st.just("login"), st.integers(0, 2), st.integers(0, 5)),
        st.tuples(st.just("ready"), st.integers(0, 2), st.just(0)),
        st.tuples(st.just("submit"), st.sampled_from(["gold", "std", None]), st.integers(0, 9)),
        st.tuples(st.just("update"), st.integers(0, 9), st.integers(0, 9)),
        st.tuples(st.just("accept"), st.integers(0, 9), st.just(0)),
        st.tuples(st.just("complete"), st.integers(0, 9), st.just(0)),
        st.tuples(st.just("abandon"), st.integers(0, 9), st.just(0)),
        st.tuples(st.just("level"), st.integers(0, 2), st.integers(0, 5)),
    ),
    max_size=30,
)


def _run(script: list[tuple[str, Any, int]]) -> Router:
    r = Router(CONFIG)
    at = MONDAY
    n = 0
    for op, a, b in script:
        at += 1800.0  # half an hour per step: crosses closing time
        try:
            if op == "login":
                r.login(f"a{a}", skills={}, attributes={"level": b}, at=at)
            elif op == "ready":
                r.ready(f"a{a}", at=at)
            elif op == "level":
                r.update_agent(f"a{a}", {"level": b}, at=at)
            elif op == "submit":
                attrs: dict[str, Any] = {"digit": b}
                if a is not None:
                    attrs["tier"] = a
                r.submit(f"c{n}", channel="voice", customer_id=f"k{b % 3}", attributes=attrs,
                         at=at)  # fmt: skip
                n += 1
            elif op == "update":
                r.update(f"c{a}", attributes={"digit": b, "tier": "gold" if b > 6 else "std"},
                         at=at)  # fmt: skip
            elif op == "accept":
                r.accept(f"c{a}", at=at)
            elif op == "complete":
                r.complete(f"c{a}", at=at)
            elif op == "abandon":
                r.abandon(f"c{a}", at=at)
        except (CCRouterError, KeyError):
            pass  # an op that does not fit the state: refused, nothing changed
    return r


@given(ops)
def test_replay_equals_live_without_evaluating_rules(script: list[tuple[str, Any, int]]) -> None:
    live = _run(script)
    live.check()
    mp = pytest.MonkeyPatch()

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("replay evaluated a rule")

    mp.setattr(classify_module, "classify", refuse)
    try:
        replayed = Router.replay(live.events, CONFIG)
    finally:
        mp.undo()
    assert replayed.state_digest() == live.state_digest()
    for iid, view in ((i, live.interaction(i)) for i in live._state.interactions):
        assert replayed.interaction(iid) == view


def test_a_session_classifies_something() -> None:
    # The property above is not vacuous: a fixed script exercises every rule kind.
    script = [("login", 0, 3), ("submit", "gold", 0), ("submit", None, 9), ("submit", None, 1),
              ("submit", None, 1), ("update", 3, 7), ("ready", 0, 0)]  # fmt: skip
    r = _run(script)
    rules = [e.rule for e in r.events if e.kind == "interaction_classified"]
    assert {"vip", "faq", "sales"} <= set(rules)


def test_a_session_fires_both_exception_triggers() -> None:
    # Not vacuous either: waiting work in sales is re-classified after an hour (two steps),
    # a second one waiting in support on arrival.
    script = [("submit", None, 1), ("submit", None, 1), ("submit", None, 0), ("submit", None, 0),
              ("submit", None, 2), ("ready", 0, 0)]  # fmt: skip
    r = _run(script)
    r.check()
    fired = {e.exception for e in r.events if e.kind == "interaction_classified"}
    assert {"wait_time", "queue_length"} <= fired
