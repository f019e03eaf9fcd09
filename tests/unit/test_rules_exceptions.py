"""Exception triggers (docs/rules.md): re-classification on wait time and on queue length.

Each test asserts what a wrong implementation breaks: a trigger that never fires or fires
twice, that compounds a priority formula, that re-evaluates rules on replay, that loses its
timer across a snapshot, or that leaves the state's invariants broken.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import ccrouter.engine.classify as classify_module
from ccrouter import Router, RouterConfig
from ccrouter.engine.snapshot import MemorySnapshotStore
from ccrouter.errors import ConfigError
from ccrouter.events import InteractionClassified, InteractionExited
from ccrouter.log import MemoryEventLog

LATE = {"name": "late-sales",
        "when": 'interaction.exception == "wait_time" and interaction.waiting_in == "sales"',
        "queue": "overflow", "priority": "interaction.priority + 5"}  # fmt: skip


def config(**sales: Any) -> RouterConfig:
    return RouterConfig.from_dict({
        "attributes": {"interaction.attributes.intent": "str"},
        "queues": {"sales": sales, "overflow": {}},
        "rules": [
            LATE,
            {"name": "crowded", "when": 'interaction.exception == "queue_length"',
             "priority": 9, "skills": {"senior": 1}, "tags": ["crowded"]},
            {"name": "sales", "queue": "sales"},
        ],
    })  # fmt: skip


def classified(r: Router, iid: str) -> list[InteractionClassified]:
    return [e for e in r.events if isinstance(e, InteractionClassified) and e.interaction_id == iid]


def replay_without_rules(r: Router, cfg: RouterConfig) -> Router:
    mp = pytest.MonkeyPatch()

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("replay evaluated a rule")

    mp.setattr(classify_module, "classify", refuse)
    try:
        return Router.replay(r.events, cfg)
    finally:
        mp.undo()


def test_wait_time_trigger_moves_the_work_once_keeping_its_age() -> None:
    cfg = config(reclassify_after=60)
    r = Router(cfg)
    r.submit("c1", channel="voice", priority=1, at=0)
    assert r.advance(at=59.9) == []
    assert r.interaction("c1").queue == "sales"
    r.advance(at=61)
    view = r.interaction("c1")
    assert (view.queue, view.priority, view.arrived_at, view.rule) == (
        "overflow",
        6.0,
        0.0,
        "late-sales",
    )
    last = classified(r, "c1")[-1]
    assert (last.trigger, last.exception, last.at, last.priority) == (
        "reclassify",
        "wait_time",
        60.0,
        6.0,
    )
    exit_ = [e for e in r.events if isinstance(e, InteractionExited)]
    assert [(e.reason, e.overflow_to, e.keep_age) for e in exit_] == [
        ("reclassified", "overflow", True)
    ]
    r.check()
    r.advance(at=10_000)  # overflow has no trigger; nothing more fires
    assert len(classified(r, "c1")) == 2
    assert replay_without_rules(r, cfg).state_digest() == r.state_digest()


def test_wait_time_trigger_fires_once_per_queue_even_when_the_work_stays() -> None:
    # A rule that keeps the work in sales but raises its priority: fired once, from what was
    # submitted (the formula never compounds), and not again after an offer is declined.
    cfg = RouterConfig.from_dict({
        "queues": {"sales": {"reclassify_after": 30}},
        "rules": [{"name": "late", "when": 'interaction.exception == "wait_time"',
                   "priority": "interaction.priority + 5"},
                  {"name": "sales", "queue": "sales"}],
    })  # fmt: skip
    r = Router(cfg)
    r.submit("c1", channel="voice", priority=2, at=0)
    r.advance(at=100)
    assert (r.interaction("c1").queue, r.interaction("c1").priority) == ("sales", 7.0)
    r.login("ann", skills={}, at=101)
    r.ready("ann", at=101)
    assert r.interaction("c1").agent_id == "ann"
    r.decline("c1", at=102)
    r.advance(at=1000)
    assert [e.trigger for e in classified(r, "c1")] == ["submit", "reclassify"]
    assert r.interaction("c1").priority == 7.0
    r.check()
    assert replay_without_rules(r, cfg).state_digest() == r.state_digest()


def test_wait_time_trigger_is_cancelled_when_the_work_is_answered() -> None:
    cfg = config(reclassify_after=60)
    r = Router(cfg)
    r.login("ann", skills={}, at=0)
    r.ready("ann", at=0)
    r.submit("c1", channel="voice", at=1)
    r.accept("c1", at=2)
    r.advance(at=500)
    assert [e.trigger for e in classified(r, "c1")] == ["submit"]
    r.check()


def test_queue_length_trigger_fires_only_beyond_the_threshold() -> None:
    cfg = config(reclassify_over=2)
    r = Router(cfg)
    for i in range(4):
        r.submit(f"c{i}", channel="voice", at=i)
        r.check()  # no queue-length timer is pending between commands
    triggers = {i: [e.exception for e in classified(r, f"c{i}")] for i in range(4)}
    # c0 and c1 arrive at 1 and 2 waiting; c2 (3 waiting) and c3 (4) are re-classified.
    assert triggers == {0: [None], 1: [None], 2: [None, "queue_length"], 3: [None, "queue_length"]}
    c3 = r.interaction("c3")
    assert (c3.queue, c3.priority, c3.skills, c3.tags) == ("sales", 9.0, {"senior": 1}, ["crowded"])
    assert replay_without_rules(r, cfg).state_digest() == r.state_digest()


def test_queue_length_trigger_skips_work_taken_at_once() -> None:
    cfg = config(reclassify_over=0)
    r = Router(cfg)
    r.login("ann", skills={}, at=0)
    r.ready("ann", at=0)
    r.submit("c1", channel="voice", at=1)  # offered at once: never re-classified
    r.submit("c2", channel="voice", at=2)  # waits: re-classified
    assert [e.exception for e in classified(r, "c1")] == [None]
    assert [e.exception for e in classified(r, "c2")] == [None, "queue_length"]
    r.check()


def test_trigger_deflects() -> None:
    cfg = RouterConfig.from_dict({
        "queues": {"sales": {"reclassify_after": 10}},
        "rules": [{"name": "give-up", "when": 'interaction.exception == "wait_time"',
                   "deflect": "sms_link"},
                  {"name": "sales", "queue": "sales"}],
    })  # fmt: skip
    r = Router(cfg)
    r.submit("c1", channel="voice", at=0)
    r.advance(at=11)
    assert (r.interaction("c1").status, r.interaction("c1").exit_reason) == ("exited", "deflected")
    r.check()
    assert replay_without_rules(r, cfg).state_digest() == r.state_digest()


def test_no_rule_matching_on_trigger_leaves_the_work() -> None:
    cfg = RouterConfig.from_dict({
        "attributes": {"interaction.attributes.intent": "str"},
        "queues": {"sales": {"reclassify_after": 10}},
        "rules": [{"name": "buy", "when": 'interaction.attributes.intent == "buy"',
                   "queue": "sales"}],
    })  # fmt: skip
    r = Router(cfg)
    r.submit("c1", channel="voice", attributes={"intent": "buy"}, at=0)
    r.advance(at=11)
    r.advance(at=100)
    assert [e.exception for e in classified(r, "c1")] == [None, "wait_time"]
    assert r.interaction("c1").queue == "sales"
    r.check()


def test_snapshot_restore_keeps_the_timer() -> None:
    cfg = config(reclassify_after=60)
    store = MemorySnapshotStore()
    router = Router(cfg, backend="python", snapshots=store)
    router.submit("c1", channel="voice", priority=1, at=0)
    router.snapshot()
    copy = MemoryEventLog(list(router.events))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the snapshot is used
        restored = Router(cfg, log=copy, backend="python", snapshots=store)
    restored.check()
    for r in (router, restored):
        r.advance(at=61)
        assert (r.interaction("c1").queue, r.interaction("c1").priority) == ("overflow", 6.0)
    assert restored.state_digest() == router.state_digest()


def test_explain_shows_the_reclassification_trace() -> None:
    r = Router(config(reclassify_after=60))
    r.submit("c1", channel="voice", at=0)
    r.advance(at=60)
    trace = r.explain("c1").rules
    assert trace is not None
    assert (trace.rule, trace.trigger, trace.at) == ("late-sales", "reclassify", 60.0)
    [check] = trace.checks
    assert [(c.text, c.result, c.values) for c in check.conditions] == [
        ('interaction.exception == "wait_time"', True, {"interaction.exception": "wait_time"}),
        ('interaction.waiting_in == "sales"', True, {"interaction.waiting_in": "sales"}),
    ]


@pytest.mark.parametrize(
    ("sales", "fragment"),
    [({"reclassify_after": -1}, "reclassify_after"), ({"reclassify_over": -1}, "reclassify_over"),
     ({"reclassify_over": 1.5}, "reclassify_over")],
)  # fmt: skip
def test_bad_trigger_settings_are_refused(sales: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        config(**sales)


def test_exception_fact_is_type_checked() -> None:
    with pytest.raises(ConfigError, match="got str and int"):
        RouterConfig.from_dict({"rules": [{"name": "x", "when": "interaction.exception > 3"}]})


def test_without_rules_no_trigger_is_armed() -> None:
    cfg = RouterConfig.from_dict(
        {"queues": {"sales": {"reclassify_after": 5, "reclassify_over": 0}}}
    )
    r = Router(cfg)
    r.submit("c1", channel="voice", queue="sales", at=0)
    r.advance(at=10)
    assert [e.kind for e in r.events] == ["interaction_queued"]
    r.check()
