"""A configuration's classification rules, checked and compiled once (docs/rules.md).

:func:`ruleset` reads a ``RouterConfig`` (duck-typed: this package sits below the config)
and returns a :class:`RuleSet`: every rule parsed, type-checked against the declared schema
plus the built-in names, its actions checked (known queues and skills), shadowed rules
refused, and each condition compiled to a closure. It is cached per config object, so the
check at config load is the only compile.

Shadowing: rule B can never fire when an earlier rule A in the same chain matches whenever B
does: A has no condition, or B's condition implies A's (:func:`ccrouter.rules.implication.implies`:
``A: x`` shadows ``B: x and y``; ``A: tier >= 3`` shadows ``B: tier == 5``;
``A: digits in ["1", "2"]`` shadows ``B: digits == "1"``). That test is sound, not complete
(it does not prove arithmetic implications): what it reports is always right.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ccrouter.errors import ConfigError, RuleError
from ccrouter.rules.calendar import CALENDAR_SCHEMA, Calendar
from ccrouter.rules.evaluator import Env, compile_expr
from ccrouter.rules.implication import implies
from ccrouter.rules.nodes import And, Compare, Expr, Literal, Name, names
from ccrouter.rules.parser import parse
from ccrouter.rules.types import TYPES, check

__all__ = [
    "BUILTIN_SCHEMA",
    "QUEUE_FACTS",
    "Action",
    "CompiledRule",
    "Plan",
    "RuleSet",
    "ruleset",
    "split_point",
]

QUEUE_FACTS = {
    "ready_agents": "int",
    "logged_in": "int",
    "waiting": "int",
    "oldest_wait": "float",
    "estimated_wait": "float",
    "service_level": "float",
}
"""What rules may read of any queue's state at decision time, as ``queue.NAME.FACT``:
agents ready (presence ready, nothing in hand) and logged in who serve the queue (its groups),
work waiting, the oldest waiting work's wait in seconds (0 when none waits), the estimated
wait of work arriving now and the service level so far (docs/rules.md)."""

BUILTIN_SCHEMA: dict[str, str] = {
    "interaction.id": "str",
    "interaction.channel": "str",
    "interaction.queue": "str",
    "interaction.priority": "float",
    "interaction.customer_id": "str",
    "interaction.exception": "str",
    "interaction.waiting_in": "str",
    "interaction.skills.*": "int",
    "customer.contacts": "int",
    "customer.contacts_1d": "int",
    "customer.contacts_7d": "int",
    "customer.contacts_30d": "int",
    "customer.last_agent": "str",
    "customer.last_outcome": "str",
    "customer.last_queue": "str",
    **{f"queue.*.{k}": v for k, v in QUEUE_FACTS.items()},
    **CALENDAR_SCHEMA,
}
"""The names every rule may read besides the declared ``interaction.attributes.*``."""


@dataclass(frozen=True, slots=True)
class Action:
    """What a matching rule (or a split variant) sets."""

    queue: str | None
    priority: float | None
    formula: Callable[[Env], Any] | None
    skills: dict[str, int] | None
    skills_mode: str
    preferred_agents: tuple[str, ...]
    tags: tuple[str, ...]
    deflect: str | None


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """One rule, ready to run."""

    name: str
    text: str | None
    condition: Expr | None
    test: Callable[[Env], Any] | None
    action: Action
    splits: tuple[tuple[float, Action], ...]
    """(cumulative share in (0, 1], variant) for weighted splits; empty: none."""
    reads: tuple[tuple[str, tuple[str, ...]], ...]
    """The names this rule and every rule before it in its chain read (dotted, path)."""
    first: Callable[[Env], Any] | None = None
    """For a condition ``A and B and ...``: ``A`` alone, tried before the rest (``rest``), so
    that a rule that fails on its first test costs one call; else the whole condition."""
    rest: Callable[[Env], Any] | None = None

    def matches(self, env: Env) -> bool:
        """Whether the rule's condition holds (a rule without one always matches)."""
        first = self.first
        if first is None:
            return True
        if first(env) is not True:
            return False
        rest = self.rest
        return rest is None or rest(env) is True


class RuleSet:
    """The compiled rules of one configuration: per entry queue, the chain tried in order."""

    def __init__(
        self, chains: dict[str | None, tuple[CompiledRule, ...]], calendar: Calendar
    ) -> None:
        self._chains = chains
        self._roots: dict[str, frozenset[str]] = {}
        self._plans: dict[str, Plan] = {}
        self.calendar = calendar
        self.empty = not any(chains.values())
        """No rule anywhere."""

    def chain(self, queue: str) -> tuple[CompiledRule, ...]:
        """The rules tried for work submitted to ``queue`` (its own, then the router's)."""
        found = self._chains.get(queue)
        return found if found is not None else self._chains[None]

    def plan(self, queue: str) -> Plan:
        """How to find the first match of ``queue``'s chain without trying every rule.

        Most rule lists test one name against literals (``interaction.attributes.tier ==
        "gold"``, an IVR digit, an intent): the name most rules start with is read once and
        only the rules whose literal equals its value (plus the rules that do not test it)
        are tried, in their order. Exact: a skipped rule's condition is false.
        """
        found = self._plans.get(queue)
        if found is None:
            found = self._plans[queue] = _plan(self.chain(queue))
        return found

    def roots(self, queue: str) -> frozenset[str]:
        """The root names (``customer``, ``queue``, ``calendar``, ...) any rule of the chain
        reads: facts nobody reads are not even prepared."""
        found = self._roots.get(queue)
        if found is None:
            chain = self.chain(queue)
            found = frozenset(p[0] for _, p in chain[-1].reads) if chain else frozenset()
            self._roots[queue] = found
        return found

    def rules(self) -> list[CompiledRule]:
        """Every rule once (queue chains first)."""
        seen: dict[str, CompiledRule] = {}
        for chain in self._chains.values():
            for rule in chain:
                seen.setdefault(rule.name, rule)
        return list(seen.values())


class Plan:
    """The rules of a chain indexed by the literal their first comparison tests (see
    :meth:`RuleSet.plan`)."""

    __slots__ = ("by_value", "others", "path")

    def __init__(
        self,
        path: tuple[str, ...] | None,
        by_value: dict[str | int, tuple[CompiledRule, ...]],
        others: tuple[CompiledRule, ...],
    ) -> None:
        self.path = path
        """The name read first (``None``: no index; try ``others``, which is every rule)."""
        self.by_value = by_value
        """Its value -> the rules to try, in chain order."""
        self.others = others
        """The rules to try when its value is none of the indexed literals."""


def _guard(rule: CompiledRule) -> tuple[tuple[str, ...], str | int] | None:
    """``(path, literal)`` when the rule can match only if ``path == literal`` (a text or an
    integer literal; ``1.0`` finds ``1`` as the language's ``==`` does)."""
    node = rule.condition
    if isinstance(node, And):
        node = node.operands[0]
    if (
        isinstance(node, Compare)
        and node.op == "=="
        and isinstance(node.left, Name)
        and isinstance(node.right, Literal)
    ):
        value = node.right.value
        if type(value) is str or type(value) is int:  # not bool: true != 1
            return node.left.path, value
    return None


def _plan(chain: tuple[CompiledRule, ...]) -> Plan:
    guards = [_guard(r) for r in chain]
    counts: dict[tuple[str, ...], int] = {}
    for g in guards:
        if g is not None:
            counts[g[0]] = counts.get(g[0], 0) + 1
    if not counts or max(counts.values()) < 2:
        return Plan(None, {}, chain)
    path = max(counts, key=lambda p: counts[p])
    values = {g[1] for g in guards if g is not None and g[0] == path}
    by_value = {
        v: tuple(
            r for r, g in zip(chain, guards, strict=True) if g is None or g[0] != path or g[1] == v
        )
        for v in values
    }
    others = tuple(r for r, g in zip(chain, guards, strict=True) if g is None or g[0] != path)
    return Plan(path, by_value, others)


def split_point(interaction_id: str) -> float:
    """A stable number in [0, 1) for an interaction id (which split variant it gets).

    >>> split_point("c1") == split_point("c1") and 0 <= split_point("c1") < 1
    True
    """
    digest = hashlib.blake2b(interaction_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


class _Builder:
    def __init__(self, config: Any) -> None:
        self.config = config
        schema = dict(BUILTIN_SCHEMA)
        for key, kind in config.attributes.items():
            ok_key = key.startswith(("interaction.attributes.", "agent."))
            if not ok_key or kind not in TYPES:
                msg = (
                    "invalid router config: `attributes` maps 'interaction.attributes.NAME' or "
                    f"'agent.NAME' to one of {', '.join(sorted(TYPES))}, got {key!r}: {kind!r}"
                )
                raise ConfigError(msg)
            if key.startswith("interaction."):
                schema[key] = kind
        # Classification runs before any agent is chosen: agent.* is for agent selectors.
        self.schema = schema
        self.queues = set(config.queues)
        self.skills = set(config.skills)

    def fail(self, rule: str, what: str) -> RuleError:
        return RuleError(f"rule {rule!r}: {what}", rule=rule, expected=what)

    def action(self, rule: str, src: Any, base: Action | None) -> Action:
        queue = src.queue if src.queue is not None else (base.queue if base else None)
        if queue is not None and queue not in self.queues:
            known = ", ".join(sorted(self.queues))
            raise self.fail(rule, f"a configured queue ({known}), got queue {queue!r}")
        skills = src.skills if src.skills is not None else (base.skills if base else None)
        for skill in skills or ():
            if self.skills and skill not in self.skills:
                raise self.fail(rule, f"a declared skill (RouterConfig.skills), got {skill!r}")
        priority: float | None = None
        formula = None
        raw = src.priority
        if isinstance(raw, str):
            tree = parse(raw, rule=rule)
            check(tree, self.schema, want="number", rule=rule)
            formula = compile_expr(tree)
        elif raw is not None:
            priority = float(raw)
        elif base is not None:
            priority, formula = base.priority, base.formula

        def pick(field: str) -> Any:
            value = getattr(src, field)
            if value is None and base is not None:
                return getattr(base, field)
            return value

        return Action(
            queue=queue,
            priority=priority,
            formula=formula,
            skills=dict(skills) if skills else None,
            skills_mode=getattr(src, "skills_mode", base.skills_mode if base else "add"),
            preferred_agents=tuple(pick("preferred_agents") or ()),
            tags=tuple(pick("tags") or ()),
            deflect=pick("deflect"),
        )

    def rule(self, src: Any) -> tuple[CompiledRule, list[tuple[str, tuple[str, ...]]]]:
        name = src.name
        tree = None
        test = None
        used: list[tuple[str, tuple[str, ...]]] = []
        if src.when is not None:
            tree = parse(src.when, rule=name)
            check(tree, self.schema, rule=name)
            self._queue_names(name, tree)
            test = compile_expr(tree)
            used += [(str(n), n.path) for n in names(tree)]
        if isinstance(src.priority, str):
            used += [(str(n), n.path) for n in names(parse(src.priority, rule=name))]
        action = self.action(name, src, None)
        splits: list[tuple[float, Action]] = []
        total = sum(v.weight for v in src.split)
        acc = 0.0
        for variant in src.split:
            acc += variant.weight
            splits.append((acc / total, self.action(name, variant, action)))
            if isinstance(variant.priority, str):
                used += [(str(n), n.path) for n in names(parse(variant.priority, rule=name))]
        if splits:
            splits[-1] = (1.0, splits[-1][1])
        rule = CompiledRule(name, src.when, tree, test, action, tuple(splits), ())
        return rule, used

    def _queue_names(self, rule: str, tree: Expr) -> None:
        for n in names(tree):
            if n.path[0] == "queue" and len(n.path) == 3 and n.path[1] not in self.queues:
                known = ", ".join(sorted(self.queues))
                raise RuleError(
                    f"rule {rule!r}: column {n.col}: expected a configured queue ({known}), "
                    f"got {n.dotted!r}",
                    rule=rule,
                    column=n.col,
                    expected="a configured queue",
                    got=n.dotted,
                )

    def chain(self, sources: Sequence[Any], compiled: dict[str, Any]) -> tuple[CompiledRule, ...]:
        out: list[CompiledRule] = []
        seen: dict[str, tuple[str, ...]] = {}
        for src in sources:
            rule, used = compiled[src.name]
            for dotted, path in used:
                seen.setdefault(dotted, path)
            for earlier in out:
                if implies(rule.condition, earlier.condition):
                    raise RuleError(
                        f"rule {rule.name!r} can never fire: rule {earlier.name!r} before it "
                        "matches whenever it does (shadowed)",
                        rule=rule.name,
                        expected="a rule that can fire",
                        got=f"shadowed by {earlier.name!r}",
                    )
            first, rest = _split_first(rule.condition)
            out.append(
                CompiledRule(
                    rule.name, rule.text, rule.condition, rule.test, rule.action, rule.splits,
                    tuple(seen.items()), first, rest,
                )
            )  # fmt: skip
        return tuple(out)


def _split_first(
    condition: Expr | None,
) -> tuple[Callable[[Env], Any] | None, Callable[[Env], Any] | None]:
    if condition is None:
        return None, None
    if isinstance(condition, And):
        rest = condition.operands[1:]
        tail: Expr = rest[0] if len(rest) == 1 else And(rest)
        return compile_expr(condition.operands[0]), compile_expr(tail)
    return compile_expr(condition), None


def _build(config: Any) -> RuleSet:
    b = _Builder(config)
    compiled: dict[str, Any] = {}
    every = [*config.rules, *(r for q in config.queues.values() for r in q.rules)]
    for src in every:
        if src.name in compiled:
            raise RuleError(
                f"rule {src.name!r}: rule names must be unique, got it twice",
                rule=src.name,
                expected="a unique name",
                got="a duplicate",
            )
        compiled[src.name] = b.rule(src)
    chains: dict[str | None, tuple[CompiledRule, ...]] = {None: b.chain(config.rules, compiled)}
    for qname, queue in config.queues.items():
        if queue.rules:
            chains[qname] = b.chain([*queue.rules, *config.rules], compiled)
    cal = config.calendar
    calendar = (
        Calendar() if cal is None else Calendar(cal.timezone, cal.hours or None, cal.holidays)
    )
    return RuleSet(chains, calendar)


_CACHE: dict[int, tuple[Any, RuleSet]] = {}
_CACHE_SIZE = 64


def ruleset(config: Any) -> RuleSet:
    """The checked, compiled rules of a ``RouterConfig`` (cached per config object).

    Args:
        config: a ``RouterConfig``.

    Returns:
        The rule set.

    Raises:
        RuleError: a rule does not parse or type-check, names an unknown queue or skill, is
            shadowed, or two rules share a name (the message names the rule).
        ConfigError: a malformed schema or calendar.
    """
    hit = _CACHE.get(id(config))
    if hit is not None and hit[0] is config:
        return hit[1]
    built = _build(config)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(config)] = (config, built)
    return built
