"""Agent selectors and orderings: expressions over one agent's attributes (docs/rules.md).

A *selector* (``agent.level >= 3 and "fr" in agent.languages``) narrows which agents may take
a queue's work (per queue, per widening step); an *ordering* (``agent.level desc``) is the key
of the ``order_by`` strategy. Both read only the ``agent`` root: their environment is
``{"agent": attributes}``, so a selector's value for an agent depends on nothing but that
agent's attributes, and the router can keep it as a per-agent mask, updated when an agent's
attributes change (:mod:`ccrouter.engine.routing.selectors`), instead of evaluating it per
decision.

Parsed and compiled once per text (cached): the config check and the router share them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ccrouter.errors import RuleError
from ccrouter.rules.evaluator import Step, compile_expr, evaluate, trace
from ccrouter.rules.nodes import Expr, names
from ccrouter.rules.parser import parse
from ccrouter.rules.types import Schema, check

__all__ = [
    "Ordering",
    "Selector",
    "check_ordering",
    "check_selector",
    "ordering",
    "selector",
]

_ROOT = "agent"


@dataclass(frozen=True, slots=True, eq=False)
class Selector:
    """A parsed agent selector.

    Attributes:
        text: its source.
        tree: the syntax tree.
        test: the compiled closure, ``test(attributes) -> bool``.
    """

    text: str
    tree: Expr
    test: Callable[[Mapping[str, Any]], bool]

    def explain(self, attributes: Mapping[str, Any]) -> list[Step]:
        """Each condition of the selector with its result and the values it read, for one
        agent (what ``explain`` shows for an agent the selector excluded).

        >>> [tuple(s) for s in selector("agent.level >= 3").explain({"level": 2})]
        [('agent.level >= 3', False, (('agent.level', 2),))]
        """
        return trace(self.tree, {_ROOT: attributes})

    def reference(self, attributes: Mapping[str, Any]) -> bool:
        """The selector by the reference interpreter (the compiled ``test`` must agree)."""
        return evaluate(self.tree, {_ROOT: attributes}) is True


@dataclass(frozen=True, slots=True, eq=False)
class Ordering:
    """A parsed ``order_by``: an expression over agent attributes and a direction.

    Attributes:
        text: its source (``"agent.level desc"``).
        tree: the expression's syntax tree.
        descending: larger values first.
        key: ``key(attributes) -> float``, smallest first (negated when descending; an agent
            without a numeric value sorts last, ``inf``).
    """

    text: str
    tree: Expr
    descending: bool
    key: Callable[[Mapping[str, Any]], float]


def _only_agent(tree: Expr, text: str, where: str) -> None:
    for name in names(tree):
        if name.path[0] != _ROOT or len(name.path) < 2:
            raise RuleError(
                f"{where}: column {name.col}: expected an agent attribute (agent.NAME), "
                f"got {name.dotted!r}",
                rule=where,
                column=name.col,
                expected="an agent attribute (agent.NAME)",
                got=name.dotted,
            )


@lru_cache(maxsize=1024)
def selector(text: str, where: str = "agent_selector") -> Selector:
    """Parse and compile an agent selector (cached per text).

    Args:
        text: the condition, over ``agent.NAME`` only.
        where: what holds it, for messages (``"queue 'sales' agent_selector"``).

    Returns:
        The selector.

    Raises:
        RuleError: it does not parse, or reads something other than an agent attribute.

    >>> s = selector('agent.level >= 3 and "fr" in agent.languages')
    >>> s.test({"level": 4, "languages": ["fr", "en"]}), s.test({"level": 4})
    (True, False)
    """
    tree = parse(text, rule=where)
    _only_agent(tree, text, where)
    compiled = compile_expr(tree)

    def test(attributes: Mapping[str, Any]) -> bool:
        return compiled({_ROOT: attributes}) is True

    return Selector(text=text, tree=tree, test=test)


@lru_cache(maxsize=1024)
def ordering(text: str, where: str = "order_by") -> Ordering:
    """Parse an ``order_by``: an expression, then optionally ``asc`` or ``desc``.

    Args:
        text: e.g. ``"agent.level desc"`` or ``"agent.tenure_days"`` (ascending).
        where: what holds it, for messages.

    Returns:
        The ordering.

    Raises:
        RuleError: it does not parse or reads something other than an agent attribute.

    >>> o = ordering("agent.level desc")
    >>> o.key({"level": 5}) < o.key({"level": 2}) < o.key({})
    True
    """
    body, _, last = text.rstrip().rpartition(" ")
    descending = last == "desc"
    expr_text = body if last in ("asc", "desc") and body.strip() else text
    tree = parse(expr_text, rule=where)
    _only_agent(tree, text, where)
    compiled = compile_expr(tree)
    sign = -1.0 if descending else 1.0

    def key(attributes: Mapping[str, Any]) -> float:
        v = compiled({_ROOT: attributes})
        if type(v) is bool or not isinstance(v, int | float) or not math.isfinite(v):
            return math.inf
        return sign * float(v)

    return Ordering(text=text, tree=tree, descending=descending, key=key)


def _agent_schema(schema: Schema) -> dict[str, str]:
    return {k: v for k, v in schema.items() if k.split(".", 1)[0] == _ROOT}


def check_selector(text: str, schema: Schema, where: str) -> Selector:
    """Parse a selector and check it against the attribute schema.

    Args:
        text: the selector.
        schema: the declared attributes (``{"agent.level": "int", ...}``).
        where: what holds it (``"queue 'sales' steps[1].agent_selector"``), named in errors.

    Returns:
        The selector.

    Raises:
        RuleError: it does not parse, reads an undeclared or non-agent name, or applies an
            operator to the wrong types; the message names ``where`` and the column.

    >>> check_selector("agent.level >= 3", {"agent.level": "int"}, "queue 'q'").text
    'agent.level >= 3'
    >>> check_selector('agent.level == "x"', {"agent.level": "int"}, "queue 'q'")
    Traceback (most recent call last):
    ...
    ccrouter.errors.RuleError: rule "queue 'q'": column 13: expected two values of one type around '==', got int and str
    """  # noqa: E501 (a doctest's output is one line)
    sel = selector(text, where)
    check(sel.tree, _agent_schema(schema), want="bool", rule=where)
    return sel


def check_ordering(text: str, schema: Schema, where: str) -> Ordering:
    """Parse an ``order_by`` and check its expression is a number over declared attributes.

    Raises:
        RuleError: as :func:`check_selector`, or the expression is not a number.

    >>> check_ordering("agent.level desc", {"agent.level": "int"}, "queue 'q'").descending
    True
    """
    order = ordering(text, where)
    check(order.tree, _agent_schema(schema), want="number", rule=where)
    return order


def check_all(items: Iterable[tuple[str, str, bool]], schema: Schema | None) -> None:
    """Check many selectors and orderings: ``(text, where, is_ordering)`` each.

    Args:
        items: what to check.
        schema: the attribute schema; ``None``: parse only (no schema to check against).

    Raises:
        RuleError: the first that fails, naming its ``where``.
    """
    for text, where, is_ordering in items:
        if schema is None:
            (ordering if is_ordering else selector)(text, where)
        elif is_ordering:
            check_ordering(text, schema, where)
        else:
            check_selector(text, schema, where)
