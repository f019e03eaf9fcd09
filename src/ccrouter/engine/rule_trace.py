"""The rule trace of a classification, for ``explain`` (docs/rules.md).

Rebuilt from the :class:`~ccrouter.events.InteractionClassified` event alone: its ``reads``
hold every value the rules read, so each rule's conditions are evaluated again over those
values (never over today's state) and show which were true or false, with the values.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ccrouter.config import RouterConfig
from ccrouter.events import InteractionClassified
from ccrouter.rules.evaluator import evaluate, trace
from ccrouter.rules.nodes import Name
from ccrouter.rules.parser import parse
from ccrouter.rules.ruleset import ruleset

__all__ = ["ConditionCheck", "RuleCheck", "RuleTrace", "rule_trace"]


class ConditionCheck(msgspec.Struct, frozen=True, kw_only=True):
    """One comparison of a rule's condition: its text, whether it held, the values read."""

    text: str
    result: bool
    values: dict[str, Any]


class RuleCheck(msgspec.Struct, frozen=True, kw_only=True):
    """One rule tried: whether it matched and, condition by condition, why."""

    rule: str
    matched: bool
    conditions: list[ConditionCheck]


class RuleTrace(msgspec.Struct, frozen=True, kw_only=True):
    """How an interaction was classified: the rules tried in order, the one that matched
    (``""``: none), the split variant, and what it set."""

    rule: str
    trigger: str
    at: float
    seq: int
    split: int | None
    tags: list[str]
    set: dict[str, Any]
    checks: list[RuleCheck]


def _env(reads: dict[str, Any]) -> dict[str, Any]:
    env: dict[str, Any] = {}
    for key, value in reads.items():
        node = parse(key)
        assert isinstance(node, Name)
        where = env
        for seg in node.path[:-1]:
            nxt = where.get(seg)
            if not isinstance(nxt, dict):
                nxt = where[seg] = {}
            where = nxt
        where[node.path[-1]] = value
    return env


def rule_trace(config: RouterConfig, event: InteractionClassified, entry_queue: str) -> RuleTrace:
    """The trace of one classification.

    Args:
        config: the configuration the rules came from (the router's at that time).
        event: the classification event.
        entry_queue: the queue the work was submitted to (whose chain ran).

    Returns:
        The trace.
    """
    env = _env(event.reads)
    checks: list[RuleCheck] = []
    for rule in ruleset(config).chain(entry_queue):
        matched = rule.condition is None or evaluate(rule.condition, env) is True
        steps = [] if rule.condition is None else trace(rule.condition, env)
        conditions = [
            ConditionCheck(text=s.text, result=s.result, values=dict(s.values)) for s in steps
        ]
        checks.append(RuleCheck(rule=rule.name, matched=matched, conditions=conditions))
        if rule.name == event.rule:
            break
    done = {
        k: v
        for k, v in (
            ("queue", event.queue),
            ("priority", event.priority),
            ("skills", event.skills),
            ("preferred_agents", event.preferred_agents or None),
            ("deflect", event.deflect),
        )
        if v is not None
    }
    return RuleTrace(
        rule=event.rule,
        trigger=event.trigger,
        at=event.at,
        seq=event.seq,
        split=event.split,
        tags=list(event.tags),
        set=done,
        checks=checks,
    )
