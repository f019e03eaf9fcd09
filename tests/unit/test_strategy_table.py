"""Every routing strategy is one entry of ``engine.routing.strategies.TABLE``, and every part of
the router that knows strategies reads that entry: the config's names, the reference, the
kernel, ``explain`` and the docs table. A strategy missing from any of them fails here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pytest

from ccrouter import Router, RouterConfig
from ccrouter.config import STRATEGIES, Strategy
from ccrouter.engine import agent_table
from ccrouter.engine.agent_table import AgentTable
from ccrouter.engine.routing import strategies
from ccrouter.engine.routing.match import select_agent
from ccrouter.engine.routing.strategies import TABLE, AgentFacts, by_name, selection_key

DOCS = Path(__file__).resolve().parents[2] / "docs" / "concepts.md"
NAMES = [s.name for s in TABLE]


def test_config_names_are_the_table() -> None:
    assert list(get_args(Strategy)) == NAMES
    assert list(STRATEGIES) == NAMES


def test_codes_are_positions_and_key_rows_match() -> None:
    for i, s in enumerate(TABLE):
        assert s.code == i
        assert strategies.CODES[s.name] == i
        key = s.kernel_key
        assert (key & 15, key >> 4 & 15, bool(key & 256), bool(key & 512)) == (
            s.primary, s.secondary, s.descending, s.random
        )  # fmt: skip
        assert max(strategies.ZERO, strategies.SKILL_SUM, strategies.AFTER_LAST) < 16
        assert s.secondary != strategies.SKILL_SUM  # the kernel sums skills for the primary only


def test_feature_columns_are_the_agent_table_facts() -> None:
    assert (strategies.IDLE_SINCE, strategies.LOAD, strategies.HANDLED, strategies.LOGIN_ORDER) == (
        agent_table.IDLE_SINCE, agent_table.LOAD, agent_table.HANDLED, agent_table.LOGIN_ORDER
    )  # fmt: skip
    derived = {strategies.SKILL_SUM, strategies.AFTER_LAST, strategies.ZERO}
    assert len(derived) == 3 and min(derived) == agent_table.LOGIN_ORDER + 1


def _table() -> AgentTable:
    """Four ready agents that every non-random strategy orders differently."""
    table = AgentTable()
    row = table.ensure_channel("chat")
    # slot: (skill level, idle since, load, handled, login order)
    facts = [(3, 5.0, 0.5, 2, 1), (9, 7.0, 0.9, 3, 2), (5, 6.0, 0.0, 4, 3), (4, 8.0, 0.7, 0, 4)]
    for level, idle, load, handled, order in facts:
        slot = table.add_agent()
        table.set_skills(slot, {"x": level})
        table.set_fact(slot, agent_table.LOGIN_ORDER, order)
        table.set_fact(slot, agent_table.IDLE_SINCE, idle)
        table.set_fact(slot, agent_table.LOAD, load)
        table.set_fact(slot, agent_table.HANDLED, handled)
        table.set_available(row, slot, True)
    return table


ORDER_KEYS = np.array([3.0, 1.0, 2.0, 1.0])  # an order_by key per slot: slots 1 and 3 tie
EXPECTED = {  # the slot each strategy picks in _table() (round robin: last used login 2)
    "longest_idle": 0,
    "most_skilled": 1,
    "least_occupied": 2,
    "fewest_handled": 3,
    "round_robin": 2,
    "order_by": 1,  # key 1.0, tied with slot 3: slot 1 has idled longer (since 7.0, not 8.0)
    "performance": 1,  # the same per-slot key array (the outcome projection's keys)
}


@pytest.mark.parametrize("name", NAMES)
def test_reference_and_kernel_follow_the_entry(name: str) -> None:
    table = _table()
    picks = {
        backend: select_agent(
            table,
            "chat",
            {"x": 1},
            strategy=name,
            round_robin_last=2,
            u=0.6,
            backend=backend,
            order=ORDER_KEYS,
        )
        for backend in ("python", "numba")
    }
    assert picks["python"] == picks["numba"]
    if by_name(name).random:
        assert picks["python"] == int(0.6 * 4)  # rank in slot order
        with pytest.raises(ValueError, match="no ordering key"):
            selection_key(by_name(name).code, skill_sum=0, idle_since=0.0, login_order=1,
                          load=0.0, handled=0, round_robin_last=0)  # fmt: skip
    else:
        assert name in EXPECTED, f"add {name} to EXPECTED with the slot it picks"
        assert picks["python"] == EXPECTED[name]


@pytest.mark.parametrize("name", NAMES)
def test_explain_scores_by_the_entry(name: str) -> None:
    settings: dict[str, str] = {"strategy": name}
    if name == "order_by":
        settings["order_by"] = "agent.level desc"  # no attributes: every key ties (inf)
    extra: dict[str, Any] = {}
    if name == "performance":  # no outcomes yet: every estimate is the team's, keys tie
        settings["performance"] = {"kpi": "fcr"}  # type: ignore[assignment]
        extra["performance"] = {}
    schema = {"agent.level": "int"}
    r = Router(RouterConfig.from_dict({"queues": {"q": settings}, "attributes": schema, **extra}))
    for agent, level in [("ann", 3), ("bob", 5)]:
        r.login(agent, skills={"x": level}, capacity={"chat": 1}, at=0)
    for agent in ("ann", "bob"):
        r.ready(agent, at=1)
    r.submit("c", channel="chat", queue="q", skills={"x": 1}, at=4)
    explanation = r.explain("c")
    entry = by_name(name)
    assert explanation.strategy == name
    if entry.tie_break:  # (performance says first how its keys were made)
        assert explanation.tie_break.endswith(entry.tie_break)
    for c in explanation.candidates:
        assert c.eligible
        if entry.score is None:
            assert c.score is None
        else:
            assert c.score is not None
    if entry.score is not None:
        order = float("inf") if name == "order_by" else 0.0  # bob has no agent.level
        facts = AgentFacts(
            idle_since=1.0, load=0.0, handled=0, login_order=2, skill_sum=5, order=order
        )
        bob = next(c for c in explanation.candidates if c.agent_id == "bob")
        assert bob.score == entry.score(facts, 4.0, 0, 2)


def test_docs_have_one_row_per_entry() -> None:
    text = DOCS.read_text().split("## Strategies", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)`(?: \(default\))? \| (.+?) \| (.+?) \|$", text, re.M)
    assert [r[0] for r in rows] == NAMES
    for (name, picks, score), entry in zip(rows, TABLE, strict=True):
        assert (picks, score) == (entry.picks, entry.score_doc), name
