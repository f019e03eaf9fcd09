"""Which features of a scenario the compiled engine runs, and the error naming the rest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from ccrouter.errors import ConfigError, SimulationError
from ccrouter.sim.scenario import Scenario

__all__ = ["FEATURES", "NotCompiled", "unsupported_features"]

_FEATURES = (
    ("headcount per interval", True),
    ("shifts and breaks", True),
    ("leaving after work in hand", True),
    ("patience and abandonment", True),
    ("retrials", True),
    ("wrap-up", True),
    ("multi-skill eligibility with per-channel capacity", True),
    ("all six strategies with their tie-breaks", True),
    ("priorities and aging", True),
    ("ring delay, offer timeout, max_no_answer", True),
    ("callbacks (virtual hold)", True),
    ("deadlines, reminders, overdue priority", True),
    ("outbound campaigns with the dialer's pacing", True),
    ("batch matching", False),
    ("channel rules", True),
    ("channel interruptions (interruptible_by)", False),
    ("fairness cap", False),
    ("queue agent groups", True),
    ("widening steps", True),
    ("exit max_wait", True),
    ("exit max_wait_no_agents", True),
    ("exit max_size", True),
    ("exits and overflow on a campaign's queue", True),
    ("automatic callbacks on a campaign's connects", False),
    ("automatic callbacks (callback_after)", True),
    ("overdue queue", True),
    ("classification rules", False),
    ("strategy order_by", False),
    ("agent selectors", False),
    ("call type attributes", False),
    ("agent attributes", False),
    ("strategy performance", False),
    ("queue experiments", False),
    ("repeat contacts and the performance projection", False),
    ("agent group performance (handle factors, outcomes)", False),
    ("handle time per interval (handle_means)", True),
    ("self-service stage (IVR/bot, repeats)", True),
)
FEATURES: Mapping[str, bool] = MappingProxyType(dict(_FEATURES))
"""Every feature the compiled engine knows of, and whether it runs compiled (the table in
docs/simulation.md is held equal to this by a test). :func:`unsupported_features` names only
features marked ``False`` here."""
_NOT_COMPILED = frozenset(name for name, compiled in FEATURES.items() if not compiled)


class NotCompiled(ConfigError):
    """The scenario uses features the compiled engine does not run (``features`` names them)."""

    features: list[str]

    def __init__(self, features: Sequence[str]) -> None:
        self.features = list(features)
        super().__init__(
            "the compiled engine does not run this scenario; not compiled: "
            + ", ".join(self.features)
            + " (use engine='router' or engine='auto')"
        )


def unsupported_features(scenario: Scenario) -> list[str]:
    """Names of the features of ``scenario`` the compiled engine cannot run (empty: it can).

    Args:
        scenario: the scenario to check.

    Returns:
        Short stable names (``"outbound campaigns"``, ``"strategy 'random'"``...), in a fixed
        order; empty when the whole scenario runs compiled.
    """
    s = scenario
    config = s.router_config()
    found: list[str] = []

    def note(name: str) -> None:
        if name not in _NOT_COMPILED:  # a new feature check must be listed in FEATURES first
            msg = f"feature {name!r} is not listed in FEATURES as not compiled"
            raise SimulationError(msg)
        if name not in found:
            found.append(name)

    if config.matching != "greedy":
        note("batch matching")
    if any(rule.interruptible_by for rule in config.channels.values()):
        note("channel interruptions (interruptible_by)")
    if config.fairness is not None:
        note("fairness cap")
    # A connect switched to a callback cannot be dropped at its grace time (the router
    # refuses to abandon a callback): the router-driven engine stops there.
    if any(config.queue(q).callback_after is not None for q in _reached(s)):
        note("automatic callbacks on a campaign's connects")
    for name in sorted(config.queues):
        q = config.queue(name)
        if q.strategy == "order_by":
            note("strategy order_by")
        if q.strategy == "performance":
            note("strategy performance")
        if q.experiment is not None:
            note("queue experiments")
        if q.agent_selector is not None or any(st.agent_selector for st in q.steps):
            note("agent selectors")
    if config.performance is not None:  # repeat contacts are events of their own
        note("repeat contacts and the performance projection")
    if config.rules or any(q.rules for q in config.queues.values()):
        note("classification rules")
    # Attributes change the events (submit and login carry them) and feed rules and selectors,
    # which the compiled engine does not run.
    if any(ct.attributes for ct in s.call_types):
        note("call type attributes")
    if any(g.attributes for g in s.agent_groups):
        note("agent attributes")
    if any(g.performance for g in s.agent_groups):
        note("agent group performance (handle factors, outcomes)")
    return found


def _reached(scenario: Scenario) -> set[str]:
    """The queues a campaign's connect can wait in: its queue, and those its overflows and
    overdue moves lead to."""
    config = scenario.router_config()
    todo = [c.queue for c in scenario.campaigns]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        q = config.queue(name)
        todo.extend(t for t in (q.overflow_to, q.overdue_queue) if t is not None)
    return seen
