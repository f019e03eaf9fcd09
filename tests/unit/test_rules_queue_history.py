"""The queue facts that read past work: ``queue.NAME.estimated_wait`` and ``service_level``
(docs/rules.md). Computed from the router's state at decision time (no clock), recorded in the
classification, replayed without evaluating a rule."""

from __future__ import annotations

from typing import Any

import pytest

import ccrouter.engine.classify as classify_module
from ccrouter import Router, RouterConfig
from ccrouter.events import InteractionClassified


def router(when: str) -> tuple[Router, RouterConfig]:
    cfg = RouterConfig.from_dict({
        "queues": {"sales": {"service_level_seconds": 10}, "overflow": {}},
        "rules": [{"name": "long", "when": when, "queue": "overflow"},
                  {"name": "sales", "queue": "sales"}],
    })  # fmt: skip
    return Router(cfg, backend="python"), cfg


def reads(r: Router, iid: str) -> dict[str, Any]:
    [e] = [e for e in r.events if isinstance(e, InteractionClassified) and e.interaction_id == iid]
    return e.reads


def serve(r: Router, iid: str, at: float, handle: float) -> None:
    r.accept(iid, at=at)
    r.complete(iid, at=at + handle)


def test_estimated_wait_fires_the_rule_when_long() -> None:
    r, cfg = router("queue.sales.estimated_wait > 60")
    r.login("ann", skills={}, at=0)
    r.submit("c0", channel="voice", at=0)  # nothing known yet: null, the rule does not fire
    assert r.interaction("c0").queue == "sales"
    assert reads(r, "c0") == {"queue.sales.estimated_wait": None}
    r.ready("ann", at=1)  # ann takes c0
    serve(r, "c0", 2, 50)  # handled in 50 s; ann is ready again (no wrap-up)
    r.not_ready("ann", reason="break", at=60)
    r.submit("c1", channel="voice", at=61)  # 1 x 50 / 1 agent = 50: not > 60
    assert r.interaction("c1").queue == "sales"
    assert reads(r, "c1") == {"queue.sales.estimated_wait": 50.0}
    r.submit("c2", channel="voice", at=62)  # (1 waiting + 1) x 50 / 1 = 100 > 60
    assert r.interaction("c2").queue == "overflow"
    assert reads(r, "c2") == {"queue.sales.estimated_wait": 100.0}
    r.check()
    mp = pytest.MonkeyPatch()
    mp.setattr(classify_module, "classify", lambda *a, **k: (_ for _ in ()).throw(AssertionError))
    try:
        assert Router.replay(r.events, cfg).state_digest() == r.state_digest()
    finally:
        mp.undo()


def test_estimated_wait_is_zero_with_a_ready_agent_and_nobody_waiting() -> None:
    r, _ = router("queue.sales.estimated_wait == 0")
    r.login("ann", skills={}, at=0)
    r.ready("ann", at=0)
    r.submit("c0", channel="voice", at=1)
    assert r.interaction("c0").queue == "overflow"


def test_service_level_counts_answers_within_the_threshold() -> None:
    r, cfg = router("queue.sales.service_level < 0.4")
    r.login("ann", skills={}, at=0)
    r.submit("c0", channel="voice", at=0)
    assert reads(r, "c0") == {"queue.sales.service_level": None}  # nothing decided yet
    r.ready("ann", at=5)
    serve(r, "c0", 5, 1)  # answered after 5 s: within 10
    r.not_ready("ann", reason="break", at=7)
    r.submit("c1", channel="voice", at=7)  # 1 of 1 within: stays
    assert (r.interaction("c1").queue, reads(r, "c1")) == (
        "sales",
        {"queue.sales.service_level": 1.0},
    )
    r.ready("ann", at=30)
    serve(r, "c1", 30, 1)  # answered after 23 s: late
    r.not_ready("ann", reason="break", at=32)
    r.submit("c2", channel="voice", at=33)  # 1 of 2 within: stays
    assert r.interaction("c2").queue == "sales"
    r.abandon("c2", at=34)  # abandoned: decided, not within
    r.submit("c3", channel="voice", at=35)  # 1 of 3 within
    assert reads(r, "c3") == {"queue.sales.service_level": pytest.approx(1 / 3)}
    assert r.interaction("c3").queue == "overflow"
    assert Router.replay(r.events, cfg).state_digest() == r.state_digest()


def test_the_facts_are_type_checked() -> None:
    from ccrouter.errors import ConfigError

    with pytest.raises(ConfigError, match="float and str"):
        router('queue.sales.service_level > "high"')
