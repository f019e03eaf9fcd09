"""The performance projection read and routed by: estimates, shrinkage, strategy, explain."""

from __future__ import annotations

from typing import Any

import pytest

from ccrouter import Router, RouterConfig
from ccrouter.engine.estimates import CONV, FIELDS
from ccrouter.engine.performance import outcome_counters
from ccrouter.errors import ConfigError, InvalidArgument
from ccrouter.events import OutcomeRecorded


def router(kpi: str = "satisfaction", **routing: Any) -> Router:
    queue: dict[str, Any] = {"strategy": "performance", "performance": {"kpi": kpi, **routing}}
    if routing.get("top_share", 1.0) < 1:
        queue["steps"] = [{"after": 30}]
    cfg = RouterConfig.from_dict(
        {"performance": {"prior_weight": 10}, "queues": {"default": queue}}
    )
    return Router(cfg, backend="python")


def history(r: Router, per_agent: dict[str, list[dict[str, Any]]], t: float = 0.0) -> float:
    """Each agent serves its contacts (targeted at it), with the given outcomes."""
    n = len(r.events)
    for agent, outcomes in per_agent.items():
        if agent not in r._state.agents:
            r.login(agent, skills={}, at=t)
        for outcome in outcomes:
            r.ready(agent, at=t) if r.agent(agent).status != "ready" else None
            iid = f"h{n}"
            n += 1
            r.submit(iid, channel="voice", direct_to=agent, at=t)
            r.accept(iid, at=t + 1)
            r.complete(iid, at=t + 100, outcome=outcome or None)
            t += 101
    for agent in per_agent:
        if r.agent(agent).status != "ready":
            r.ready(agent, at=t)
    return t


def test_the_best_predicted_agent_is_chosen_and_shrinkage_holds_back_thin_evidence() -> None:
    r = router()
    t = history(
        r,
        {
            "ann": [{"satisfaction": 3}] * 30,
            "bob": [{"satisfaction": 4}] * 30,
            "new": [{"satisfaction": 5}] * 2,  # two perfect calls: not enough to lead
        },
    )
    rows = {row.agent_id: row.satisfaction for row in r.performance()}
    assert rows["new"].observed == 5.0 and rows["new"].estimate < rows["bob"].estimate
    assert rows["bob"].low < rows["bob"].estimate < rows["bob"].high
    r.submit("x", channel="voice", at=t + 1)
    assert r.interaction("x").agent_id == "bob"
    e = r.explain("x")
    by = {c.agent_id: c for c in e.candidates}
    assert [c.agent_id for c in sorted(e.candidates, key=lambda c: c.rank or 99)][:3] == [
        "bob", "new", "ann",
    ]  # fmt: skip
    assert by["bob"].estimate is not None and by["bob"].estimate.n == 30
    assert "satisfaction" in e.tie_break


def test_handle_time_lower_wins() -> None:
    r = router("handle_time")
    r.login("slow", skills={}, at=0)
    r.login("fast", skills={}, at=0)
    t = 0.0
    for i, (agent, talk) in enumerate([("slow", 300), ("fast", 60)] * 10):
        r.ready(agent, at=t) if r.agent(agent).status != "ready" else None
        r.submit(f"h{i}", channel="voice", direct_to=agent, at=t)
        r.accept(f"h{i}", at=t)
        r.complete(f"h{i}", at=t + talk)
        t += talk + 1
    for agent in ("slow", "fast"):
        if r.agent(agent).status != "ready":
            r.ready(agent, at=t)
    r.submit("x", channel="voice", at=t + 1)
    assert r.interaction("x").agent_id == "fast"


def test_top_share_holds_work_for_the_best_until_the_first_step() -> None:
    r = router(top_share=0.5)
    t = history(r, {"ann": [{"satisfaction": 2}] * 20, "bob": [{"satisfaction": 5}] * 20})
    r.not_ready("bob", reason="break", at=t)  # the best agent is away: ann is free but not top
    r.submit("x", channel="voice", at=t + 1)
    assert r.interaction("x").status == "queued"
    assert {c.agent_id: c.reason for c in r.explain("x").candidates}["ann"] == "not_top_share"
    r.advance(at=t + 31)  # the step at 30 s: everyone may take it now
    assert r.interaction("x").agent_id == "ann"


def test_top_share_applies_to_an_agent_looking_for_work_too() -> None:
    r = router(top_share=0.5)
    t = history(r, {"ann": [{"satisfaction": 2}] * 20, "bob": [{"satisfaction": 5}] * 20})
    r.not_ready("ann", reason="break", at=t)
    r.not_ready("bob", reason="break", at=t)
    r.submit("x", channel="voice", at=t + 1)
    r.ready("ann", at=t + 2)  # not among the best: leaves it
    assert r.interaction("x").status == "queued"
    r.ready("bob", at=t + 3)
    assert r.interaction("x").agent_id == "bob"


def test_balance_trades_a_small_lead_against_over_use() -> None:
    outcomes = {"ann": [{"satisfaction": 4.2}] * 40, "bob": [{"satisfaction": 4.0}] * 10}
    plain = router()
    t = history(plain, outcomes)
    plain.submit("x", channel="voice", at=t + 1)
    assert plain.interaction("x").agent_id == "ann"
    balanced = router(balance=0.5)
    t = history(balanced, outcomes)
    balanced.submit("x", channel="voice", at=t + 1)
    assert balanced.interaction("x").agent_id == "bob"


def test_fcr_counts_repeat_contacts_without_a_flag() -> None:
    r = router("fcr")
    r.login("ann", skills={}, at=0)
    r.ready("ann", at=0)
    r.submit("c1", channel="voice", customer_id="kim", at=1)
    r.accept("c1", at=2)
    r.complete("c1", at=60)
    r.submit("c2", channel="chat", customer_id="kim", at=3600)  # back within a week
    [row] = r.performance()
    assert (row.contacts, row.fcr.n, row.fcr.observed) == (1, 1, 0.0)


def test_value_zero_is_a_contact_without_a_sale() -> None:
    e = OutcomeRecorded(seq=1, at=0.0, interaction_id="c", agent_id="a", queue="q",
                        completed_at=0.0, value=0.0)  # fmt: skip
    c = outcome_counters(e, False)
    assert len(c) == len(FIELDS) and c[CONV] == 0


def test_config_errors() -> None:
    with pytest.raises(ConfigError, match="a `performance` section"):
        RouterConfig.from_dict({"queues": {"q": {"strategy": "performance", "performance": {}}}})
    with pytest.raises(ConfigError, match="set exactly when strategy is 'performance'"):
        RouterConfig.from_dict({"performance": {}, "queues": {"q": {"strategy": "performance"}}})
    with pytest.raises(ConfigError, match="widening step"):
        RouterConfig.from_dict(
            {"performance": {}, "queues": {"q": {"strategy": "performance",
                                                  "performance": {"top_share": 0.2}}}}
        )  # fmt: skip
    with pytest.raises(ConfigError, match="whole number"):
        RouterConfig.from_dict({"performance": {"window": 1000, "bucket": 300}})


def test_performance_queries_say_what_is_missing() -> None:
    r = Router(backend="python")
    with pytest.raises(InvalidArgument, match=r"set RouterConfig\.performance"):
        r.performance()
    with pytest.raises(InvalidArgument, match="both"):
        r.performance(start=0)
    assert r.performance(start=0, end=10) == []  # from the log: no config needed


def test_explain_from_checkpoints_equals_a_full_replay() -> None:
    """The explain copies carry the book (pickled as its canonical data): an explanation made
    from a copy, with its estimates, is the one a fold of the whole log gives."""
    from ccrouter.engine.checkpoints import explain_events

    r = router(balance=0.3)
    for agent in ("ann", "bob", "cy"):
        r.login(agent, skills={}, at=0)
        r.ready(agent, at=0)
    t = 1.0
    for i in range(900):  # > 2 copies' spacing of events
        r.submit(f"c{i}", channel="voice", at=t)
        agent = r.interaction(f"c{i}").agent_id
        if agent is None:
            t += 1
            continue
        r.accept(f"c{i}", at=t)
        score = {"ann": 3, "bob": 5, "cy": 4}[agent]
        r.complete(f"c{i}", at=t + 5, outcome={"satisfaction": score})
        t += 6
    assert len(r.events) > 2 * 2048
    for iid in ("c100", "c450", "c899"):
        live = r.explain(iid)
        assert live == explain_events(r.events, iid, r.config)
        assert any(c.estimate is not None and c.estimate.n > 0 for c in live.candidates)


def test_whatif_reruns_a_recorded_day_under_the_performance_strategy() -> None:
    """A what-if run re-makes handle times (the connected agents' reactions are re-timed), so
    a handle-time KPI learns in the re-run; the recorded outcomes are not carried over (they
    were the recorded agents')."""
    from ccrouter.whatif import whatif

    recorded = Router(RouterConfig.from_dict({"performance": {}}), backend="python")
    for agent in ("ann", "bob"):
        recorded.login(agent, skills={}, at=0)
        recorded.ready(agent, at=0)
    t = 1.0
    for i in range(40):
        recorded.submit(f"c{i}", channel="voice", at=t)
        agent = recorded.interaction(f"c{i}").agent_id
        assert agent is not None
        recorded.accept(f"c{i}", at=t + 1)
        recorded.complete(f"c{i}", at=t + (9 if agent == "ann" else 3),
                          outcome={"satisfaction": 3})  # fmt: skip
        t += 20
    new = RouterConfig.from_dict(
        {"performance": {}, "queues": {"default": {"strategy": "performance",
                                                   "performance": {"kpi": "handle_time"}}}}
    )  # fmt: skip
    result = whatif(recorded.events, new)
    assert not [e for e in result.events if isinstance(e, OutcomeRecorded)]
    assert result.changed  # some decisions went the other way


def test_a_batch_step_ranks_by_the_performance_keys() -> None:
    queue = {"strategy": "performance", "performance": {"kpi": "satisfaction"}}
    cfg = RouterConfig.from_dict(
        {"performance": {"prior_weight": 1}, "matching": "batch", "queues": {"default": queue}}
    )
    r = Router(cfg, backend="python")
    for agent in ("ann", "bob"):
        r.login(agent, skills={}, at=0)
        r.ready(agent, at=0)
    t = 1.0
    for agent, score in [("ann", 2)] * 5 + [("bob", 5)] * 5:
        r.submit(f"h{t}", channel="voice", direct_to=agent, at=t)
        r.match(at=t)
        r.accept(f"h{t}", at=t)
        r.complete(f"h{t}", at=t + 1, outcome={"satisfaction": score})
        t += 2
    r.submit("x", channel="voice", at=t)
    r.match(at=t)
    assert r.interaction("x").agent_id == "bob"  # ann has idled longer: the key decided


def _four(r: Router) -> float:
    return history(
        r,
        {
            "ann": [{"satisfaction": 2}] * 20,
            "bob": [{"satisfaction": 3}] * 20,
            "cy": [{"satisfaction": 5}] * 20,
            "dee": [{"satisfaction": 5}] * 20,
        },
    )


def test_top_share_ranks_logged_in_agents_only() -> None:
    """The best share is taken among the agents who could be offered work (logged in), not
    among every agent the router has known: with the two best logged out, the best of the two
    left is the best half and takes the work at once."""
    r = router(top_share=0.5)
    t = _four(r)
    r.logout("cy", at=t)
    r.logout("dee", at=t)
    r.submit("x", channel="voice", at=t + 1)
    assert r.interaction("x").agent_id == "bob"  # the best of those logged in (1 of 2)
    r.submit("y", channel="voice", at=t + 2)
    assert r.interaction("y").status == "queued"
    assert {c.agent_id: c.reason for c in r.explain("y").candidates}["ann"] == "not_top_share"


def test_a_logout_re_ranks_the_best_share_without_a_counter_change() -> None:
    """The cached mask follows presence: logging the best out (no outcome in between) makes
    the next best part of the best share."""
    r = router(top_share=0.5)
    t = _four(r)
    for agent in ("bob", "cy", "dee"):
        r.not_ready(agent, reason="break", at=t)
    r.submit("x", channel="voice", at=t + 1)  # best half of 4: cy and dee, both away
    assert r.interaction("x").status == "queued"
    r.logout("cy", at=t + 2)
    r.logout("dee", at=t + 2)
    r.ready("bob", at=t + 3)  # now the best of 2 logged in
    assert r.interaction("x").agent_id == "bob"
    r.login("cy", skills={}, at=t + 4)  # back: best half of 3 is cy and bob again
    r.not_ready("cy", reason="break", at=t + 4)
    r.submit("y", channel="voice", at=t + 5)
    assert r.interaction("y").status == "queued"


def test_a_decliner_in_the_best_share_is_still_the_fallback() -> None:
    """Agents who declined the work are chosen only when no one else is eligible: when the
    only others are outside the best share, the decliner in it gets the work back (as when
    the best share narrowed the candidates before the pick)."""
    r = router(top_share=0.5)
    t = history(r, {"ann": [{"satisfaction": 2}] * 20, "cy": [{"satisfaction": 5}] * 20})
    r.submit("x", channel="voice", at=t + 1)
    assert r.interaction("x").agent_id == "cy"
    r.decline("x", at=t + 2)
    if r.agent("cy").status != "ready":
        r.ready("cy", at=t + 3)
    assert r.interaction("x").agent_id == "cy"


def test_routing_after_a_quiet_spell_leaves_the_book_as_the_log_has_it() -> None:
    """Keys asked past the last event's bucket (an explanation, a match after a quiet spell
    longer than the window) are those of the window then, but do not move the book: its
    buckets are digested, and a replay, which saw no event then, must reach the same state."""
    cfg = RouterConfig.from_dict(
        {
            "performance": {"window": 30, "bucket": 10, "prior_weight": 10},
            "queues": {"default": {"strategy": "performance", "performance": {"kpi": "fcr"}}},
        }
    )
    r = Router(cfg, backend="python")
    r.login("a0", skills={}, at=0)
    r.ready("a0", at=0)
    r.submit("h", channel="voice", at=0)
    r.accept("h", at=1)
    r.complete("h", at=2)
    r.submit("i1", channel="voice", preferred_agents=["a1"], at=3)  # waits for a1
    r.advance(at=100)
    r.explain("i1")
    r.match(at=100)
    assert Router.replay(r.events, cfg).state_digest() == r.state_digest()
