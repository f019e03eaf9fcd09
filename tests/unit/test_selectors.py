"""Agent selectors and ``order_by`` (issue 16, point 3): checked when the config loads, kept as
per-agent masks, applied by the kernel in both directions of routing, explained."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ccrouter import Router, RouterConfig
from ccrouter.engine.routing.selectors import SelectorMasks, selector_for
from ccrouter.errors import ConfigError, InvalidArgument, RuleError
from ccrouter.rules.selectors import check_selector, ordering, selector

SCHEMA = {"agent.level": "int", "agent.languages": "list[str]", "agent.team": "str"}
FR_SENIOR = 'agent.level >= 3 and "fr" in agent.languages'


def _config(queue: dict[str, Any], **extra: Any) -> RouterConfig:
    return RouterConfig.from_dict({"queues": {"q": queue}, "attributes": SCHEMA, **extra})


def _router(queue: dict[str, Any], backend: str = "python", **extra: Any) -> Router:
    return Router(_config(queue, **extra), backend=backend)


TEAM = {
    "ann": {"level": 5, "languages": ["en"]},
    "bob": {"level": 2, "languages": ["fr"]},
    "cy": {"level": 4, "languages": ["fr", "en"]},
    "dee": {"level": 3, "languages": ["fr"]},
}


def _staff(r: Router, team: dict[str, dict[str, Any]] = TEAM, at: float = 0.0) -> None:
    for agent, attributes in team.items():
        r.login(agent, skills={"x": 1}, capacity={"chat": 1}, attributes=attributes, at=at)
    for i, agent in enumerate(team):
        r.ready(agent, at=at + 1 + i)  # ann idles longest, then bob, cy, dee


# --- checked at load -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("queue", "match"),
    [
        ({"agent_selector": "agent.grade >= 3"}, r"agent_selector.*unknown name 'agent\.grade'"),
        ({"agent_selector": 'agent.level == "3"'}, r"queues\.q\.agent_selector.*int and str"),
        ({"agent_selector": "agent.level"}, r"queues\.q\.agent_selector.*a condition"),
        ({"agent_selector": "agent.level >="}, r"queues\.q\.agent_selector.*column 15"),
        ({"agent_selector": 'interaction.attributes.tier == "gold"'}, r"an agent attribute"),
        ({"steps": [{"after": 5}, {"after": 9, "agent_selector": "agent.tier > 1"}]},
         r"queues\.q\.steps\[1\]\.agent_selector.*agent\.tier"),
        ({"strategy": "order_by", "order_by": "agent.team desc"}, r"queues\.q\.order_by.*a number"),
        ({"strategy": "order_by", "order_by": "agent.rank"}, r"queues\.q\.order_by.*agent\.rank"),
    ],
)  # fmt: skip
def test_config_load_rejects_bad_selectors_naming_queue_and_step(
    queue: dict[str, Any], match: str
) -> None:
    with pytest.raises(RuleError, match=match) as info:
        _config(queue)
    assert isinstance(info.value, ConfigError) and isinstance(info.value, ValueError)
    assert info.value.rule is not None and info.value.rule.startswith("queues.q.")


def test_order_by_goes_with_its_strategy() -> None:
    with pytest.raises(ConfigError, match="order_by"):
        _config({"strategy": "order_by"})
    with pytest.raises(ConfigError, match="order_by"):
        _config({"order_by": "agent.level"})


def test_batch_steps_apply_selectors_and_order_by() -> None:
    r = _router(
        {"agent_selector": FR_SENIOR, "strategy": "order_by", "order_by": "agent.level desc"},
        matching="batch",
    )
    _staff(r)  # French seniors: cy (level 4), dee (3); ann and bob fail the selector
    for i in range(3):
        r.submit(f"c{i}", channel="chat", queue="q", at=10 + i)
    offers = [e for e in r.match(at=20) if e.kind == "interaction_offered"]
    # The most urgent (oldest) goes to the highest level; the third waits: nobody else passes.
    assert [(e.interaction_id, e.agent_id) for e in offers] == [("c0", "cy"), ("c1", "dee")]  # type: ignore[attr-defined]
    assert r.interaction("c2").status == "queued"
    why = r.explain("c0")
    assert why.chosen == "cy"


def test_a_selector_without_a_declared_schema_is_an_unknown_name() -> None:
    with pytest.raises(RuleError, match=r"unknown name 'agent\.level'"):
        RouterConfig.from_dict({"queues": {"q": {"agent_selector": "agent.level > 1"}}})


def test_check_selector_returns_the_parsed_selector() -> None:
    sel = check_selector(FR_SENIOR, SCHEMA, "queues.q.agent_selector")
    assert sel.test({"level": 3, "languages": ["fr"]}) is True
    assert sel.test({"level": "3", "languages": ["fr"]}) is False  # wrong type: false, no raise
    assert ordering("agent.level desc").descending and not ordering("agent.level").descending
    assert ordering("agent.level asc").key({"level": 2}) == 2.0


# --- masks -----------------------------------------------------------------------------------


def test_masks_follow_attribute_changes_one_slot_at_a_time() -> None:
    attrs: list[dict[str, Any]] = [{"level": 1}, {"level": 4}]
    masks = SelectorMasks(attrs.__getitem__, attrs.__len__)
    assert masks.mask("agent.level >= 3")[:2].tolist() == [0, 1]
    assert masks.order("agent.level desc")[:2].tolist() == [-1.0, -4.0]
    attrs.extend({"level": k} for k in range(40))  # grows past the first capacity
    for slot in range(2, len(attrs)):
        masks.changed(slot)
    attrs[0] = {"level": 9}
    masks.changed(0)
    masks._check()
    assert masks.mask("agent.level >= 3")[0] == 1
    attrs[1] = {"level": 0}  # a change not reported: _check fails
    with pytest.raises(AssertionError):
        masks._check()


def test_selector_in_force_is_the_last_reached_step_s() -> None:
    q = _config(
        {
            "agent_selector": "agent.level >= 4",
            "steps": [
                {"after": 10, "agent_selector": "agent.level >= 3"},
                {"after": 20, "skills": {"x": 1}},  # sets no selector: the previous stays
                {"after": 30, "agent_selector": "agent.level >= 1"},
            ],
        }
    ).queue("q")
    assert [selector_for(q, k) for k in range(5)] == [
        "agent.level >= 4", "agent.level >= 3", "agent.level >= 3", "agent.level >= 1",
        "agent.level >= 1",
    ]  # fmt: skip


def test_select_agent_refuses_masks_that_do_not_cover_the_agents() -> None:
    from ccrouter.engine.routing.match import select_agent

    r = _router({})
    _staff(r)
    table = r.state.table
    with pytest.raises(InvalidArgument, match="cover the 4 agent slots"):
        select_agent(table, "chat", {}, strategy="longest_idle", selected=np.ones(2, np.uint8))
    with pytest.raises(InvalidArgument, match="order_by"):
        select_agent(table, "chat", {}, strategy="order_by")


# --- routing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["python", "numba"])
def test_queue_selector_narrows_who_takes_the_work(backend: str) -> None:
    r = _router({"agent_selector": FR_SENIOR}, backend=backend)
    _staff(r)
    r.submit("c1", channel="chat", queue="q", at=10)
    r.submit("c2", channel="chat", queue="q", at=11)
    r.submit("c3", channel="chat", queue="q", at=12)  # cy and dee are busy: c3 waits
    assert r.interaction("c1").agent_id == "cy"  # longest idle of the two who pass
    assert r.interaction("c2").agent_id == "dee"
    assert r.interaction("c3").status == "queued"


@pytest.mark.parametrize("backend", ["python", "numba"])
def test_order_by_picks_by_the_attribute(backend: str) -> None:
    r = _router({"strategy": "order_by", "order_by": "agent.level desc"}, backend=backend)
    _staff(r)
    for k in range(4):
        r.submit(f"c{k}", channel="chat", queue="q", at=10 + k)
    assert [r.interaction(f"c{k}").agent_id for k in range(4)] == ["ann", "cy", "dee", "bob"]
    r2 = _router({"strategy": "order_by", "order_by": "agent.level"}, backend=backend)
    _staff(r2)
    r2.submit("c", channel="chat", queue="q", at=10)
    assert r2.interaction("c").agent_id == "bob"  # ascending: lowest level first


def test_a_widening_step_replaces_the_selector() -> None:
    step = {"after": 30, "agent_selector": "agent.level >= 2"}
    r = _router({"agent_selector": "agent.level >= 5", "steps": [step]})
    _staff(r, {"bob": TEAM["bob"], "cy": TEAM["cy"]})
    r.submit("c", channel="chat", queue="q", at=10)
    assert r.interaction("c").status == "queued"  # nobody at level 5
    r.advance(at=40)  # the step is reached at 10 + 30
    assert r.interaction("c").agent_id == "bob"  # longest idle of the widened pool


def test_an_agent_freed_takes_only_work_whose_selector_it_passes() -> None:
    r = Router(
        RouterConfig.from_dict(
            {
                "queues": {"fr": {"agent_selector": '"fr" in agent.languages'}, "any": {}},
                "attributes": SCHEMA,
                "auto_accept": True,
            }
        ),
        backend="python",
    )
    r.login("ann", skills={}, capacity={"chat": 1}, attributes=TEAM["ann"], at=0)
    r.submit("french", channel="chat", queue="fr", priority=5, at=1)
    r.submit("plain", channel="chat", queue="any", at=2)
    r.ready("ann", at=3)  # the French work is more urgent, but ann has no French
    assert r.interaction("plain").agent_id == "ann"
    assert r.interaction("french").status == "queued"


def test_updating_attributes_makes_an_agent_eligible_and_routes_at_once() -> None:
    r = _router({"agent_selector": FR_SENIOR})
    _staff(r, {"bob": TEAM["bob"]})
    r.submit("c", channel="chat", queue="q", at=10)
    assert r.interaction("c").status == "queued"
    events = r.update_agent("bob", {"level": 3}, at=20)
    assert [e.kind for e in events] == ["agent_attributes_updated", "interaction_offered"]
    assert r.interaction("c").agent_id == "bob"
    r.state.selectors._check()


def test_replay_and_snapshot_restore_rebuild_the_same_masks() -> None:
    r = _router({"agent_selector": FR_SENIOR})
    _staff(r)
    r.update_agent("ann", {"languages": ["fr"]}, at=5)
    r.submit("c1", channel="chat", queue="q", at=10)
    assert r.interaction("c1").agent_id == "ann"  # the update made her pass
    replayed = Router.replay(r.events, r.config, backend="numba")
    assert replayed.state_digest() == r.state_digest()
    mask = r.state.selectors.mask(FR_SENIOR)[:4].tolist()
    assert replayed.state.selectors.mask(FR_SENIOR)[:4].tolist() == mask == [1, 0, 1, 1]
    replayed.state.selectors._check()


# --- explain ---------------------------------------------------------------------------------


def test_explain_shows_who_the_selector_excluded_and_why() -> None:
    r = _router({"agent_selector": FR_SENIOR})
    _staff(r)
    r.submit("c", channel="chat", queue="q", at=10)
    e = r.explain("c")
    assert e.chosen == "cy" and e.agent_selector == FR_SENIOR
    by = {c.agent_id: c for c in e.candidates}
    assert by["ann"].reason == by["bob"].reason == "not_selected"
    assert by["cy"].eligible and by["cy"].selector == [] and by["dee"].eligible
    ann = [(s.text, s.result, s.values) for s in by["ann"].selector]
    assert ann == [
        ("agent.level >= 3", True, {"agent.level": 5}),
        ('"fr" in agent.languages', False, {"agent.languages": ["en"]}),
    ]
    bob = [(s.text, s.result) for s in by["bob"].selector]
    assert bob == [("agent.level >= 3", False), ('"fr" in agent.languages', True)]


def test_selector_parse_is_cached_per_text() -> None:
    assert selector(FR_SENIOR) is selector(FR_SENIOR)


# --- a rule's action -------------------------------------------------------------------------

VIP = {
    "name": "vip",
    "when": 'interaction.attributes.tier == "gold"',
    "agent_selector": "agent.level >= 4",
}


def _ruled(queue: dict[str, Any], backend: str = "python") -> Router:
    schema = {**SCHEMA, "interaction.attributes.tier": "str"}
    config = {"queues": {"q": queue}, "attributes": schema, "rules": [VIP]}
    return Router(RouterConfig.from_dict(config), backend=backend)


@pytest.mark.parametrize("backend", ["python", "numba"])
def test_a_rule_sets_a_selector_met_together_with_the_queue_s(backend: str) -> None:
    r = _ruled({"agent_selector": '"fr" in agent.languages'}, backend=backend)
    _staff(r)
    r.submit("gold", channel="chat", queue="q", attributes={"tier": "gold"}, at=10)
    r.submit("plain", channel="chat", queue="q", attributes={"tier": "bronze"}, at=11)
    assert r.interaction("gold").agent_id == "cy"  # French and level >= 4: only cy
    assert r.interaction("plain").agent_id == "bob"  # French, longest idle of the rest
    assert r.interaction("gold").agent_selector == "agent.level >= 4"  # from the rule
    assert r.interaction("plain").agent_selector is None
    e = r.explain("gold")
    assert e.agent_selector == '("fr" in agent.languages) and (agent.level >= 4)'
    dee = next(c for c in e.candidates if c.agent_id == "dee")
    assert dee.reason == "not_selected"
    assert [(s.text, s.result) for s in dee.selector] == [
        ('"fr" in agent.languages', True), ("agent.level >= 4", False),
    ]  # fmt: skip
    replayed = Router.replay(r.events, r.config)
    assert replayed.state_digest() == r.state_digest()
    assert replayed.state.interactions["gold"].agent_selector == "agent.level >= 4"


def test_a_rule_selector_is_checked_at_load_naming_the_rule() -> None:
    bad = {**VIP, "agent_selector": "agent.seniority > 2"}
    schema = {**SCHEMA, "interaction.attributes.tier": "str"}
    with pytest.raises(RuleError, match=r"rules\.vip\.agent_selector.*agent\.seniority"):
        RouterConfig.from_dict({"queues": {"q": {}}, "attributes": schema, "rules": [bad]})
    split = {**VIP, "split": [{"weight": 1}, {"weight": 1, "agent_selector": "agent.level"}]}
    with pytest.raises(RuleError, match=r"rules\.vip\.split\[1\]\.agent_selector"):
        RouterConfig.from_dict({"queues": {"q": {}}, "attributes": schema, "rules": [split]})


# --- "nobody could take it" counts only agents the selector lets through ---------------------


def test_max_wait_no_agents_counts_only_agents_the_selector_lets_through() -> None:
    r = _router({"agent_selector": FR_SENIOR, "max_wait_no_agents": 30})
    _staff(r, {"ann": TEAM["ann"], "bob": TEAM["bob"]})  # neither is a French senior
    r.submit("c1", channel="chat", queue="q", at=10)
    assert ("empty", "c1") in r.state.timer_of  # logged in, but nobody may take it
    r.update_agent("bob", {"level": 3}, at=20)  # bob now passes: the timer goes
    assert ("empty", "c1") not in r.state.timer_of
    assert r.interaction("c1").agent_id == "bob"  # and he is offered it at once


def test_max_wait_no_agents_exits_when_only_excluded_agents_are_logged_in() -> None:
    r = _router({"agent_selector": FR_SENIOR, "max_wait_no_agents": 30})
    _staff(r, {"ann": TEAM["ann"]})
    r.submit("c1", channel="chat", queue="q", at=10)
    r.advance(at=40)
    assert r.interaction("c1").status == "exited"
    assert r.interaction("c1").exit_reason == "max_wait_no_agents"


def test_skip_if_nobody_reads_the_selector_of_the_step() -> None:
    queue = {
        "agent_selector": FR_SENIOR,
        "steps": [{"after": 10, "skills": {"y": 1}, "skip_if_nobody": True,
                   "agent_selector": "agent.level >= 9"}],
    }  # fmt: skip
    r = _router(queue)
    _staff(r, {"ann": TEAM["ann"]})
    r.not_ready("ann", reason="break", at=5)
    r.login("zed", skills={"x": 1, "y": 1}, capacity={"chat": 1}, attributes={"level": 5}, at=5)
    r.submit("c1", channel="chat", queue="q", skills={"x": 1}, at=6)
    r.advance(at=16)
    stepped = [e for e in r.events if e.kind == "interaction_stepped"]
    # zed has skill y but not level 9: nobody could take the widened work, so it is skipped.
    assert len(stepped) == 1 and stepped[0].skipped  # type: ignore[attr-defined]
