"""Routing rules in the router: agent attributes, classification, config-load checks,
re-classification, splits, calendar, queue state, explain, statistics and what-if."""

from __future__ import annotations

from typing import Any

import pytest

from ccrouter import Router, RouterConfig
from ccrouter.errors import InvalidArgument, InvalidTransition, RuleError, UnknownAgent
from ccrouter.events import AgentAttributesUpdated, InteractionClassified, InteractionExited
from ccrouter.log import MemoryEventLog
from ccrouter.stats.rules import rule_report

D1 = "interaction.attributes.digit == 1"
D2 = "interaction.attributes.digit == 2"
SCHEMA = {
    "interaction.attributes.tier": "str",
    "interaction.attributes.digit": "int",
    "interaction.attributes.value": "float",
    "agent.level": "int",
    "agent.languages": "list[str]",
}
QUEUES: dict[str, Any] = {"vip": {}, "sales": {}, "support": {}, "callbacks": {}, "overflow": {}}


def config(rules: list[dict[str, Any]], **extra: Any) -> RouterConfig:
    return RouterConfig.from_dict({"attributes": SCHEMA, "queues": QUEUES, "rules": rules, **extra})


# --- agent attributes ---------------------------------------------------------------------------


def test_agent_attributes_at_login_and_update() -> None:
    r = Router(config([]))
    r.login("ann", skills={}, attributes={"level": 3, "languages": ["fr"]}, at=0)
    assert r.agent("ann").attributes == {"level": 3, "languages": ["fr"]}
    events = r.update_agent("ann", {"level": 4, "languages": None}, at=1)
    assert events == [
        AgentAttributesUpdated(
            seq=2, at=1.0, agent_id="ann", attributes={"level": 4, "languages": None}
        )
    ]
    assert r.agent("ann").attributes == {"level": 4}
    assert r.update_agent("ann", {"level": 4}, at=2) == []  # nothing changes: no event
    r.update_agent("ann", {"team": "b"}, replace=True, at=3)
    assert r.agent("ann").attributes == {"team": "b"}
    # Replay rebuilds them from the events.
    assert Router.replay(r.events, r.config).agent("ann").attributes == {"team": "b"}


def test_agent_attributes_are_type_checked() -> None:
    r = Router(config([]))
    with pytest.raises(InvalidArgument, match=r"attributes\['level'\] must be of type int"):
        r.login("ann", skills={}, attributes={"level": "senior"}, at=0)
    r.login("ann", skills={}, attributes={"level": 1}, at=0)
    with pytest.raises(InvalidArgument, match="list\\[str\\]"):
        r.update_agent("ann", {"languages": "fr"}, at=1)
    with pytest.raises(UnknownAgent):
        r.update_agent("bob", {"level": 1}, at=1)
    r.logout("ann", at=2)
    with pytest.raises(InvalidTransition):
        r.update_agent("ann", {"level": 2}, at=3)


def test_selector_mask_per_slot() -> None:
    r = Router(config([]))
    r.login("ann", skills={}, attributes={"level": 3, "languages": ["fr"]}, at=0)
    r.login("bob", skills={}, attributes={"level": 5, "languages": ["en"]}, at=0)
    r.login("cat", skills={}, attributes={"level": 4, "languages": ["fr", "en"]}, at=0)
    r.update_agent("cat", {"level": 2}, at=1)
    # The routing's own mask (the selection kernel's allowed slots), kept per slot.
    selected = r.state.selectors.mask('agent.level >= 3 and "fr" in agent.languages')
    assert selected[:3].tolist() == [1, 0, 0]


# --- classification -----------------------------------------------------------------------------

RULES: list[dict[str, Any]] = [
    {"name": "vip", "when": 'interaction.attributes.tier == "gold"', "queue": "vip",
     "priority": "10 + interaction.attributes.value / 100", "tags": ["vip"],
     "skills": {"senior": 1}},
    {"name": "faq", "when": "interaction.attributes.digit == 9", "deflect": "faq_sms",
     "tags": ["self-service"]},
    {"name": "sales", "when": "interaction.attributes.digit == 1", "queue": "sales"},
    {"name": "fallback", "queue": "support"},
]  # fmt: skip


def test_first_matching_rule_sets_queue_priority_skills_tags() -> None:
    r = Router(config(RULES))
    events = r.submit("c1", channel="voice", attributes={"tier": "gold", "value": 500.0}, at=0)
    queued, classified = events[0], events[1]
    assert (queued.queue, queued.priority, queued.skills) == ("vip", 15.0, {"senior": 1})
    assert isinstance(classified, InteractionClassified)
    assert classified.rule == "vip" and classified.tags == ["vip"]
    assert classified.reads == {
        "interaction.attributes.tier": "gold",
        "interaction.attributes.value": 500.0,
    }
    assert classified.submitted == {"queue": "default", "priority": 0.0, "skills": {}}
    view = r.interaction("c1")
    assert (view.queue, view.rule, view.tags) == ("vip", "vip", ["vip"])
    r.submit("c2", channel="voice", attributes={"digit": 1}, at=1)
    r.submit("c3", channel="voice", at=2)
    assert r.interaction("c2").queue == "sales"
    assert r.interaction("c3").queue == "support" and r.interaction("c3").rule == "fallback"


def test_skills_modes() -> None:
    base = {"name": "s", "skills": {"fr": 3, "billing": 1}}
    for mode, expected in [
        ("add", {"fr": 1, "billing": 1}),
        ("raise", {"fr": 3, "billing": 1}),
        ("replace", {"fr": 3, "billing": 1}),
    ]:
        r = Router(config([{**base, "skills_mode": mode}]))
        r.submit("c", channel="voice", skills={"fr": 1}, at=0)
        assert r.interaction("c").skills == expected, mode
    r = Router(config([{"name": "s", "skills": {"x": 1}, "skills_mode": "replace"}]))
    r.submit("c", channel="voice", skills={"fr": 5}, at=0)
    assert r.interaction("c").skills == {"x": 1}


def test_deflection_ends_the_work_and_is_counted() -> None:
    r = Router(config(RULES))
    r.login("ann", skills={}, at=0)
    r.ready("ann", at=0)
    events = r.submit("c1", channel="voice", attributes={"digit": 9}, at=1)
    assert isinstance(events[-1], InteractionExited) and events[-1].reason == "deflected"
    view = r.interaction("c1")
    assert view.status == "exited" and view.exit_reason == "deflected"
    assert r.agent("ann").status == "ready"  # never offered
    rows = {row.key: row for row in rule_report(r.events, by="tag")}
    assert rows["self-service"].deflected == 1 and rows["self-service"].classified == 1


def test_update_reclassifies_from_what_was_submitted() -> None:
    rules = [
        {"name": "vip", "when": 'interaction.attributes.tier == "gold"', "queue": "vip",
         "priority": "interaction.priority + 10"},
        {"name": "rest"},
    ]  # fmt: skip
    r = Router(config(rules))
    r.submit("c1", channel="voice", priority=1, at=0)
    assert r.interaction("c1").queue == "default"
    events = r.update("c1", attributes={"tier": "gold"}, at=5)
    kinds = [e.kind for e in events]
    assert kinds[:3] == ["interaction_updated", "interaction_classified", "interaction_exited"]
    assert events[2].reason == "reclassified" and events[2].keep_age
    view = r.interaction("c1")
    assert (view.queue, view.priority, view.arrived_at) == ("vip", 11.0, 0.0)
    r.update("c1", attributes={"tier": "gold", "x": 1}, at=6)
    assert r.interaction("c1").priority == 11.0  # the formula never compounds


def test_split_is_stable_and_weighted() -> None:
    split = [{"weight": 9, "queue": "sales"}, {"weight": 1, "queue": "support"}]
    rules = [{"name": "rollout", "queue": "sales", "split": split}]
    r = Router(config(rules))
    for i in range(2000):
        r.submit(f"c{i}", channel="voice", at=i)
    support = sum(r.interaction(f"c{i}").queue == "support" for i in range(2000))
    assert 140 <= support <= 260  # 10 % of 2000, within a wide band
    r2 = Router(config(rules))
    for i in range(50):
        r2.submit(f"c{i}", channel="voice", at=i)
        assert r2.interaction(f"c{i}").queue == r.interaction(f"c{i}").queue


def test_calendar_after_hours_to_callbacks() -> None:
    rules = [{"name": "closed", "when": "not calendar.open", "queue": "callbacks"}]
    cal = {
        "timezone": "Europe/Paris",
        "hours": {"mon": ["08:00-18:00"]},
        "holidays": ["2026-12-25"],
    }
    r = Router(config(rules, calendar=cal))
    monday_10h = 1_796_634_000.0  # 2026-12-07 10:00 in Paris
    r.submit("open", channel="voice", at=monday_10h)
    r.submit("late", channel="voice", at=monday_10h + 9 * 3600)  # 19:00
    assert r.interaction("open").queue == "default"
    assert r.interaction("late").queue == "callbacks"
    assert r.explain_rules("late").checks[0].conditions[0].values == {"calendar.open": False}


def test_queue_state_overflow_reads_state_at_decision_time() -> None:
    rules = [{"name": "overflow", "when": "queue.sales.ready_agents == 0", "queue": "overflow"},
             {"name": "sales", "queue": "sales"}]  # fmt: skip
    r = Router(config(rules))
    r.submit("c1", channel="voice", at=0)
    assert r.interaction("c1").queue == "overflow"
    r.abandon("c1", at=0.5)
    r.login("ann", skills={}, at=1)
    r.ready("ann", at=1)
    r.submit("c2", channel="voice", at=2)
    assert r.interaction("c2").queue == "sales"


def test_customer_history_facts() -> None:
    rules = [{"name": "repeat", "when": "customer.contacts_7d >= 2", "queue": "vip"}]
    r = Router(config(rules))
    for i in range(3):
        r.submit(f"c{i}", channel="voice", customer_id="kim", at=i)
    assert [r.interaction(f"c{i}").queue for i in range(3)] == ["default", "default", "vip"]


def test_entry_point_rules_run_before_router_rules() -> None:
    queues = {**QUEUES, "ivr": {"rules": [{"name": "ivr1", "when": D1, "queue": "sales"}]}}
    data = {"attributes": SCHEMA, "queues": queues, "rules": [{"name": "all", "queue": "support"}]}
    r = Router(RouterConfig.from_dict(data))
    r.submit("a", channel="voice", queue="ivr", attributes={"digit": 1}, at=0)
    r.submit("b", channel="voice", queue="ivr", attributes={"digit": 2}, at=0)
    r.submit("c", channel="voice", attributes={"digit": 1}, at=0)
    assert [r.interaction(i).queue for i in "abc"] == ["sales", "support", "support"]


def test_explain_shows_the_rule_trace() -> None:
    r = Router(config(RULES))
    r.login("ann", skills={"senior": 1}, at=0)
    r.ready("ann", at=0)
    r.submit("c1", channel="voice", attributes={"digit": 1}, at=1)
    trace = r.explain("c1").rules
    assert trace is not None and trace.rule == "sales"
    assert [(c.rule, c.matched) for c in trace.checks] == [
        ("vip", False), ("faq", False), ("sales", True),
    ]  # fmt: skip
    assert trace.checks[1].conditions[0].values == {"interaction.attributes.digit": 1}
    assert trace.set == {"queue": "sales"}


def test_explain_rules_reads_one_event_not_the_log() -> None:
    """explain's rule trace reads the classification at its recorded seq: on a long log,
    a search from the start would cost the router's thread a pass over every event."""
    log = MemoryEventLog()
    r = Router(config(RULES), log=log)
    r.submit("c1", channel="voice", attributes={"digit": 1}, at=1)
    for i in range(300):
        r.submit(f"x{i}", channel="voice", attributes={"digit": 9}, at=2 + i)
    r.update("c1", attributes={"digit": 2}, at=400)  # re-classified: the last one counts
    want = r.explain_rules("c1")
    reads: list[tuple[int, int | None]] = []
    real = log.read

    def counted(start: int = 1, stop: int | None = None) -> Any:
        reads.append((start, stop))
        return real(start, stop)

    log.read = counted  # type: ignore[method-assign]
    got = r.explain_rules("c1")
    assert got == want and got is not None and got.rule == "fallback"
    assert (1, None) not in reads  # no scan of the whole log for the event
    # A record without the seq (a snapshot written before records kept it): the search.
    r.state.interactions["c1"].classified_seq = None
    assert r.explain_rules("c1") == want


def test_stats_by_rule() -> None:
    r = Router(config(RULES))
    r.login("ann", skills={"senior": 1}, at=0)
    r.ready("ann", at=0)
    r.submit("c1", channel="voice", attributes={"tier": "gold", "value": 1.0}, at=1)
    r.accept("c1", at=2)
    r.complete("c1", at=3)
    r.submit("c2", channel="voice", attributes={"digit": 9}, at=4)
    r.submit("c3", channel="voice", at=5)
    r.abandon("c3", at=6)
    rows = {row.key: row for row in rule_report(r.events)}
    assert (rows["vip"].classified, rows["vip"].answered, rows["vip"].completed) == (1, 1, 1)
    assert rows["faq"].deflected == 1
    assert rows["fallback"].abandoned == 1


# --- checked at config load ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "fragment"),
    [
        ([{"name": "r", "when": "interaction.attributes.colour == 1"}],
         "rule 'r': column 1: expected a declared attribute, got unknown name "
         "'interaction.attributes.colour'"),
        ([{"name": "r", "when": 'interaction.attributes.digit == "1"'}],
         "rule 'r': column 30: expected two values of one type around '=='"),
        ([{"name": "r", "when": "interaction.attributes.digit ="}],
         "rule 'r': column 30: expected"),
        ([{"name": "r", "queue": "nowhere"}], "rule 'r': a configured queue"),
        ([{"name": "r", "when": "queue.nowhere.waiting > 1"}], "expected a configured queue"),
        ([{"name": "r", "skills": {"klingon": 1}}], "a declared skill"),
        ([{"name": "r", "priority": "interaction.attributes.tier"}], "expected a number"),
        ([{"name": "a", "when": D1},
          {"name": "b", "when": D1 + ' and interaction.attributes.tier == "x"'}],
         "rule 'b' can never fire: rule 'a' before it matches whenever it does"),
        ([{"name": "default"}, {"name": "late", "when": D2}],
         "rule 'late' can never fire: rule 'default'"),
        ([{"name": "a"}, {"name": "a"}], "rule names must be unique"),
        ([{"name": "r", "when": "agent.level > 1"}], "unknown name 'agent.level'"),
    ],
)  # fmt: skip
def test_config_load_errors_name_the_rule(rules: list[dict[str, Any]], fragment: str) -> None:
    with pytest.raises(RuleError) as info:
        config(rules, skills=["senior", "fr"])
    assert fragment in str(info.value)
    assert info.value.rule is not None


def test_or_shadowing_and_non_shadowing() -> None:
    # An earlier disjunct that is a sub-conjunction shadows.
    with pytest.raises(RuleError, match="never fire"):
        config([{"name": "a", "when": f"{D1} or {D2}"}, {"name": "b", "when": D2}])
    # Different conditions are fine.
    config([{"name": "a", "when": D1}, {"name": "b", "when": D2}, {"name": "rest"}])


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("interaction.attributes.digit >= 1", D2),
        ("interaction.attributes.digit in [1, 2]", f"{D1} and interaction.attributes.value > 9"),
        ('interaction.attributes.tier != "gold"', 'interaction.attributes.tier == "silver"'),
    ],
)
def test_shadowing_by_values(first: str, second: str) -> None:
    # The later rule's values always satisfy the earlier condition: it can never fire.
    with pytest.raises(RuleError, match="'b' can never fire: rule 'a'"):
        config([{"name": "a", "when": first}, {"name": "b", "when": second}])
    # The other way round both can fire.
    config([{"name": "b", "when": second}, {"name": "a", "when": first}])


@pytest.mark.parametrize(
    ("calendar", "fragment"),
    [
        ({"timezone": "Mars/Olympus"}, "IANA zone"),
        ({"hours": {"monday": ["08:00-18:00"]}}, "calendar.hours"),
        ({"hours": {"mon": ["18:00-08:00"]}}, "HH:MM-HH:MM"),
        ({"holidays": ["25/12/2026"]}, "YYYY-MM-DD"),
    ],
)
def test_calendar_errors(calendar: dict[str, Any], fragment: str) -> None:
    with pytest.raises(Exception, match=fragment):
        config([{"name": "r", "when": "calendar.open"}], calendar=calendar)


def test_bad_schema() -> None:
    with pytest.raises(Exception, match="attributes"):
        RouterConfig.from_dict({"attributes": {"tier": "str"}})
    with pytest.raises(Exception, match="attributes"):
        RouterConfig.from_dict({"attributes": {"agent.level": "integer"}})


def test_config_round_trips_with_rules() -> None:
    cfg = config(RULES, calendar={"timezone": "UTC", "hours": {"mon": ["08:00-18:00"]}})
    assert RouterConfig.from_dict(cfg.to_dict()) == cfg


# --- what-if --------------------------------------------------------------------------------------


def test_whatif_reevaluates_rules_under_the_new_config() -> None:
    from ccrouter.whatif import whatif

    recorded = Router(config(RULES))
    recorded.login("ann", skills={"senior": 1}, attributes={"level": 3}, at=0)
    recorded.ready("ann", at=0)
    recorded.submit("c1", channel="voice", attributes={"tier": "gold", "value": 1.0}, at=1)
    recorded.submit("c2", channel="voice", attributes={"digit": 1}, at=2)
    new_rules = [{"name": "everything", "queue": "overflow", "tags": ["new"]}]
    result = whatif(recorded.events, config(new_rules))
    queued = {e.interaction_id: e.queue for e in result.events if e.kind == "interaction_queued"}
    assert queued == {"c1": "overflow", "c2": "overflow"}
    classified = [e for e in result.events if isinstance(e, InteractionClassified)]
    assert [c.rule for c in classified] == ["everything", "everything"]
    # Submitted values are restored before the new rules run: no priority 11 carried over.
    assert all(e.priority == 0.0 for e in result.events if e.kind == "interaction_queued")
    logged_in = [e for e in result.events if e.kind == "agent_logged_in"]
    assert logged_in[0].attributes == {"level": 3}


def test_update_without_a_match_leaves_the_work_where_it_is() -> None:
    # Regression: a re-classification that matches no rule must not move work back to the
    # queue it was submitted to (an overflow or an earlier rule put it where it is).
    rules = [{"name": "vip", "when": 'interaction.attributes.tier == "gold"', "queue": "vip"}]
    r = Router(config(rules))
    r.submit("c1", channel="voice", attributes={"tier": "gold"}, at=0)
    assert r.interaction("c1").queue == "vip"
    events = r.update("c1", attributes={"tier": "std"}, at=1)
    assert [e.kind for e in events] == ["interaction_updated", "interaction_classified"]
    assert r.interaction("c1").queue == "vip" and r.interaction("c1").rule is None
