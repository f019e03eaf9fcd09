"""The interaction side of an explanation: which older waiting work the agent passed over."""

from __future__ import annotations

import pytest

from ccrouter import Router
from ccrouter.config import QueueConfig, RouterConfig


def test_priority_overtakes_an_older_call() -> None:
    r = Router()
    r.login("ann", skills={}, at=0)
    r.submit("old", channel="voice", at=1)  # priority 0, no aging
    r.submit("vip", channel="voice", at=2, priority=5)
    r.ready("ann", at=10)
    assert r.interaction("vip").agent_id == "ann"
    ex = r.explain("vip")
    assert ex.chosen == "ann"
    [passed] = ex.ahead_of
    assert passed.interaction_id == "old"
    assert passed.arrived_at == 1
    assert passed.effective_priority == 0
    assert passed.versus == 5
    assert passed.reason == "higher effective priority"


def test_aging_makes_an_old_call_win() -> None:
    # aging 0.1/s: at t=100, "old" (arrived 0, priority 0) has 0 + 0.1 * 100 = 10;
    # "new" (arrived 60, priority 3) has 3 + 0.1 * 40 = 7: the old call wins.
    config = RouterConfig(queues={"default": QueueConfig(aging_rate=0.1)})
    r = Router(config)
    r.login("ann", skills={}, at=0)
    r.login("bob", skills={}, at=0)
    r.submit("old", channel="voice", at=0)
    r.submit("new", channel="voice", at=60, priority=3)
    r.ready("ann", at=100)
    assert r.interaction("old").agent_id == "ann"
    assert r.explain("old").ahead_of == []  # nothing older was waiting
    r.ready("bob", at=120)
    assert r.interaction("new").agent_id == "bob"
    assert r.explain("new").ahead_of == []  # "old" was no longer waiting


def test_aging_overtaken_by_a_high_priority() -> None:
    # aging 0.1/s at t=50: "old" (arrived 0) has 5.0; "vip" (arrived 40, priority 8) has 9.0.
    config = RouterConfig(queues={"default": QueueConfig(aging_rate=0.1)})
    r = Router(config)
    r.login("ann", skills={"fr": 1}, at=0)
    r.submit("old", channel="voice", at=0)
    r.submit("french", channel="voice", at=10, skills={"de": 1})  # ann cannot take it
    r.submit("vip", channel="voice", at=40, priority=8)
    r.ready("ann", at=50)
    ex = r.explain("vip")
    assert [p.interaction_id for p in ex.ahead_of] == ["old"]
    assert ex.ahead_of[0].effective_priority == pytest.approx(5.0)
    assert ex.ahead_of[0].versus == pytest.approx(9.0)


def test_no_decision_no_passed() -> None:
    r = Router()
    r.submit("c1", channel="voice", at=0)
    r.submit("c2", channel="voice", at=1)
    ex = r.explain("c2")
    assert ex.chosen is None
    assert ex.ahead_of == []
