"""Agent selectors and orderings as per-slot arrays the selection kernel reads.

A selector's value for an agent depends only on that agent's attributes
(:mod:`ccrouter.rules.selectors`), so instead of evaluating it per decision for every agent,
:class:`SelectorMasks` keeps, per selector text, a ``uint8`` mask over the agent slots (1: the
agent may take the work) and, per ``order_by`` text, a ``float64`` key over the slots. A mask
is computed for every slot the first time a decision asks for it, then one slot is
re-evaluated whenever that agent's attributes change (the state calls :meth:`changed` at login
and on an attribute update): O(selectors in use) per change, nothing per decision. A restored
snapshot needs nothing: masks are computed from the agents' attributes on first use.

The kernel and the reference receive the mask (and the key) as arrays: they remain the only
places an agent is chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from ccrouter.config import QueueConfig, RouterConfig
from ccrouter.rules.selectors import Ordering, Selector, ordering, selector

__all__ = ["NO_MASK", "NO_ORDER", "SelectorMasks", "rule_selector", "selector_for"]

NO_MASK: npt.NDArray[np.uint8] = np.zeros(0, dtype=np.uint8)
"""What the kernel receives when no selector applies (every agent passes)."""
NO_ORDER: npt.NDArray[np.float64] = np.zeros(0, dtype=np.float64)
"""What the kernel receives when the strategy reads no ordering."""


class SelectorMasks:
    """Per-slot masks of the selectors in use and keys of the orderings in use.

    Args:
        attributes: ``attributes(slot)`` is the agent's attributes (read when a mask is
            first computed and when :meth:`changed` names the slot).
        slots: ``slots()`` is the number of agent slots in use.

    >>> agents = [{"level": 4}, {"level": 1}]
    >>> m = SelectorMasks(agents.__getitem__, agents.__len__)
    >>> m.mask("agent.level >= 3")[:2].tolist()
    [1, 0]
    >>> agents[1] = {"level": 5}
    >>> m.changed(1)  # one slot re-evaluated, in place
    >>> m.mask("agent.level >= 3")[:2].tolist()
    [1, 1]
    """

    def __init__(
        self, attributes: Callable[[int], Mapping[str, Any]], slots: Callable[[], int]
    ) -> None:
        self._read = attributes
        self._slots = slots
        self._capacity = 16
        self._masks: dict[str, tuple[Selector, npt.NDArray[np.uint8]]] = {}
        self._orders: dict[str, tuple[Ordering, npt.NDArray[np.float64]]] = {}

    def _grow(self, size: int) -> None:
        capacity = self._capacity
        while capacity < size:
            capacity *= 2
        if capacity == self._capacity:
            return
        self._capacity = capacity
        for text, (sel, mask) in self._masks.items():
            grown = np.zeros(capacity, dtype=np.uint8)
            grown[: mask.shape[0]] = mask
            self._masks[text] = (sel, grown)
        for text, (order, keys) in self._orders.items():
            grown_keys = np.full(capacity, np.inf, dtype=np.float64)
            grown_keys[: keys.shape[0]] = keys
            self._orders[text] = (order, grown_keys)

    def changed(self, slot: int) -> None:
        """Re-evaluate every selector and ordering in use for ``slot`` only (its agent logged
        in or its attributes changed); O(selectors in use)."""
        if slot >= self._capacity:
            self._grow(slot + 1)
        if not self._masks and not self._orders:
            return
        attrs = self._read(slot)
        for sel, mask in self._masks.values():
            mask[slot] = sel.test(attrs)
        for order, keys in self._orders.values():
            keys[slot] = order.key(attrs)

    def mask(self, text: str) -> npt.NDArray[np.uint8]:
        """The mask of selector ``text`` over the slots (``mask[slot]`` is 1 when the agent
        may take the work); computed for every slot on first use, then kept.

        Raises:
            RuleError: ``text`` does not parse (the config check catches it first).
        """
        entry = self._masks.get(text)
        if entry is None:
            sel = selector(text)
            n = self._slots()
            self._grow(n)
            mask = np.zeros(self._capacity, dtype=np.uint8)
            for slot in range(n):
                mask[slot] = sel.test(self._read(slot))
            entry = self._masks[text] = (sel, mask)
        return entry[1]

    def order(self, text: str) -> npt.NDArray[np.float64]:
        """The ``order_by`` key of ``text`` per slot (smallest first, ``inf`` when the agent
        has no number there); computed on first use, then kept."""
        entry = self._orders.get(text)
        if entry is None:
            order = ordering(text)
            n = self._slots()
            self._grow(n)
            keys = np.full(self._capacity, np.inf, dtype=np.float64)
            for slot in range(n):
                keys[slot] = order.key(self._read(slot))
            entry = self._orders[text] = (order, keys)
        return entry[1]

    def _check(self) -> None:
        """Every kept mask and key equals a fresh evaluation by the reference interpreter;
        raise ``AssertionError``."""
        n = self._slots()
        for sel, mask in self._masks.values():
            for slot in range(n):
                assert mask[slot] == int(sel.reference(self._read(slot))), (sel.text, slot)
        for order, keys in self._orders.values():
            for slot in range(n):
                assert keys[slot] == order.key(self._read(slot)), (order.text, slot)


def selector_for(queue: QueueConfig, step: int, rule: str | None = None) -> str | None:
    """The agent selector in force for work in ``queue`` that has reached ``step`` widening
    steps: the last reached step's that sets one, else the queue's (``None``: no selector);
    with ``rule`` (the selector its classification rule set) the agent must meet both.

    >>> from ccrouter.config import Step
    >>> q = QueueConfig(agent_selector="agent.level >= 3",
    ...                 steps=[Step(after=30, agent_selector="agent.level >= 1")])
    >>> selector_for(q, 0), selector_for(q, 1)
    ('agent.level >= 3', 'agent.level >= 1')
    >>> selector_for(q, 1, 'agent.team == "north"')
    '(agent.level >= 1) and (agent.team == "north")'
    """
    text = queue.agent_selector
    steps = queue.steps
    for i in range(min(step, len(steps))):
        later = steps[i].agent_selector
        if later is not None:
            text = later
    if rule is not None:
        # One text, so one cached mask per combination (never an AND per decision).
        return rule if text is None else _both(text, rule)
    return text


_BOTH: dict[tuple[str, str], str] = {}


def _both(a: str, b: str) -> str:
    both = _BOTH.get((a, b))
    if both is None:
        if len(_BOTH) > 4096:
            _BOTH.clear()
        both = _BOTH[a, b] = f"({a}) and ({b})"
    return both


def rule_selector(config: RouterConfig, rule: str, split: int | None) -> str | None:
    """The agent selector classification rule ``rule`` (its variant ``split``, if any) sets
    in ``config`` (``None``: none, or no such rule). Read when the classification event
    applies, from the configuration in force then, so replay finds the same one.

    >>> c = RouterConfig.from_dict({"attributes": {"agent.level": "int"}, "rules": [
    ...     {"name": "vip", "agent_selector": "agent.level >= 4",
    ...      "split": [{"weight": 1}, {"weight": 1, "agent_selector": "agent.level >= 5"}]}]})
    >>> rule_selector(c, "vip", 0), rule_selector(c, "vip", 1), rule_selector(c, "", None)
    ('agent.level >= 4', 'agent.level >= 5', None)
    """
    if not rule:
        return None
    entry = _RULE_SELECTORS.get(id(config))
    if entry is None or entry[0] is not config:
        if len(_RULE_SELECTORS) >= 64:
            _RULE_SELECTORS.clear()
        table = {
            r.name: (r.agent_selector, tuple(v.agent_selector for v in r.split))
            for r in (*config.rules, *(r for q in config.queues.values() for r in q.rules))
            if r.agent_selector is not None or any(v.agent_selector for v in r.split)
        }
        entry = _RULE_SELECTORS[id(config)] = (config, table)
    found = entry[1].get(rule)
    if found is None:
        return None
    base, variants = found
    if split is not None and split < len(variants) and variants[split] is not None:
        return variants[split]
    return base


_RULE_SELECTORS: dict[
    int, tuple[RouterConfig, dict[str, tuple[str | None, tuple[str | None, ...]]]]
] = {}
"""Per configuration (by identity, kept alive beside it): the rules that set a selector, so
applying a classification costs one dict lookup."""
