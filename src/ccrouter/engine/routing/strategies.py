"""The routing strategies: one entry each in :data:`TABLE`, read by every part of the router.

Every strategy orders eligible agents by a key and picks the smallest. A key is written over
*feature columns* — the agent table's per-agent facts plus a few derived ones — as
``(primary, secondary, login order)``, where ``primary`` may be negated (larger wins). The
pure-Python reference (:func:`selection_key`), the Numba kernel (which receives
:attr:`Strategy.kernel_key`) and the batch step all derive their ordering from the entry;
``explain`` reads its score and tie-break text from it, ``config`` its name (a test ties the
``Strategy`` literal there to this table) and ``docs/concepts.md`` has one row per entry (a
test checks that too). Adding a strategy over the existing facts is one entry here and one
name in ``config.Strategy``.

============== =============================================== ==================
strategy       key (smallest wins)                              score (explain)
============== =============================================== ==================
longest_idle   (idle_since, idle_since, login_order)            seconds idle
most_skilled   (-sum of proficiency over required skills, ...)  proficiency sum
least_occupied (share of capacity in use, idle_since, ...)      -share in use
fewest_handled (accepted since login, idle_since, ...)          -handled
round_robin    (login_order <= last used, 0, login_order)       -(position after last)
random         uniform among eligible, seeded by (seed, seq)    —
order_by       (the queue's order_by over agent attributes,     −key
               idle_since, login_order)
performance    (−predicted KPI + balance · over-use,            −key
               idle_since, login_order)
============== =============================================== ==================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ccrouter.errors import InvalidArgument

__all__ = [
    "AFTER_LAST",
    "CODES",
    "FEWEST_HANDLED",
    "HANDLED",
    "IDLE_SINCE",
    "KERNEL_KEYS",
    "LEAST_OCCUPIED",
    "LOAD",
    "LOGIN_ORDER",
    "LONGEST_IDLE",
    "MOST_SKILLED",
    "ORDER",
    "ORDER_BY",
    "PERFORMANCE",
    "RANDOM",
    "ROUND_ROBIN",
    "SKILL_SUM",
    "TABLE",
    "ZERO",
    "AgentFacts",
    "Strategy",
    "by_name",
    "selection_key",
    "uniform",
]

# Feature columns. The first four are the agent table's facts columns
# (ccrouter.engine.agent_table.IDLE_SINCE, ...; this module imports no ccrouter module, a test
# ties them); the rest are derived per decision.
IDLE_SINCE, LOAD, HANDLED, LOGIN_ORDER = 0, 1, 2, 3
SKILL_SUM = 4
"""Proficiency summed over the interaction's required skills."""
AFTER_LAST = 5
"""1 when the agent's login order is at or before the queue's last round-robin agent, else 0."""
ZERO = 6
"""The constant 0 (a key part that orders nothing)."""
ORDER = 7
"""A per-slot key array the strategy orders by: the queue's ``order_by`` key of the agent
(``ccrouter.rules.selectors.Ordering.key``: its direction folded in, ``inf`` when the agent has
no number), or the ``performance`` strategy's key (``ccrouter.engine.performance``: the
predicted KPI, negated when larger is better, plus the over-use penalty)."""


@dataclass(frozen=True, slots=True)
class AgentFacts:
    """What a strategy may read of one agent for one decision.

    Attributes:
        idle_since: when its work in hand last reached zero (or it became ready), seconds.
        load: share of its total capacity in use, in [0, 1].
        handled: interactions accepted since login.
        login_order: 1 for the first login, 2 for the next, ... (unique).
        skill_sum: proficiency summed over the required skills.
        order: the queue's ``order_by`` key (smallest first; 0 when it has none).
    """

    idle_since: float
    load: float
    handled: int
    login_order: int
    skill_sum: int
    order: float = 0.0

    def feature(self, column: int, round_robin_last: int) -> float:
        """The value of feature ``column`` (``IDLE_SINCE`` ... ``ZERO``).

        >>> AgentFacts(idle_since=3.0, load=0.5, handled=2, login_order=4, skill_sum=7).feature(
        ...     SKILL_SUM, 0)
        7.0
        """
        values = (
            self.idle_since,
            self.load,
            float(self.handled),
            float(self.login_order),
            float(self.skill_sum),
            1.0 if self.login_order <= round_robin_last else 0.0,
            0.0,
            self.order,
        )
        return values[column]


@dataclass(frozen=True, slots=True)
class Strategy:
    """One routing strategy: everything the router, ``explain`` and the docs know of it.

    Attributes:
        name: the ``strategy`` of a queue's config.
        code: small integer the reference and the kernel are called with.
        picks: what it picks (the docs row of ``docs/concepts.md``).
        primary: the feature column ordered first; ``descending`` when larger wins.
        secondary: the feature column ordered next (ties then fall to login order); not
            ``SKILL_SUM`` (the kernel computes a skill sum for the primary only).
        score: ``explain``'s measure of an eligible agent, higher is better, from its facts,
            the decision time, the queue's last round-robin login order and the number of
            logins so far; ``None`` for ``random``.
        score_doc: what ``score`` is, in words (the docs row).
        tie_break: ``explain``'s ``tie_break`` text.
        random: picks uniformly among the eligible (the key is unused).
    """

    name: str
    code: int
    picks: str
    primary: int
    descending: bool
    secondary: int
    score: Callable[[AgentFacts, float, int, int], float] | None
    score_doc: str
    tie_break: str
    random: bool = False

    @property
    def kernel_key(self) -> int:
        """The key as the kernel reads it, packed in one integer (a scalar argument is the
        cheapest to pass to a compiled function): bits 0-3 the primary column, 4-7 the
        secondary column, bit 8 set when the primary is negated, bit 9 for ``random``."""
        return KERNEL_KEYS[self.code]


def _round_robin_score(f: AgentFacts, at: float, rr_last: int, logins: int) -> float:
    distance = f.login_order - rr_last
    return -float(distance if distance > 0 else distance + logins)


_THEN = "then longest idle, then login order"

TABLE: tuple[Strategy, ...] = (
    Strategy(
        name="longest_idle",
        code=0,
        picks="idle longest: since its work in hand last reached zero, or since it became ready",
        primary=IDLE_SINCE,
        descending=False,
        secondary=IDLE_SINCE,
        score=lambda f, at, rr_last, logins: at - f.idle_since,
        score_doc="seconds idle",
        tie_break="longest idle, then login order",
    ),
    Strategy(
        name="most_skilled",
        code=1,
        picks="highest sum of proficiency over the required skills",
        primary=SKILL_SUM,
        descending=True,
        secondary=IDLE_SINCE,
        score=lambda f, at, rr_last, logins: float(f.skill_sum),
        score_doc="the sum",
        tie_break=f"most_skilled, {_THEN}",
    ),
    Strategy(
        name="least_occupied",
        code=2,
        picks="lowest share of its total capacity in use",
        primary=LOAD,
        descending=False,
        secondary=IDLE_SINCE,
        score=lambda f, at, rr_last, logins: -f.load,
        score_doc="− share in use",
        tie_break=f"least_occupied, {_THEN}",
    ),
    Strategy(
        name="fewest_handled",
        code=3,
        picks="fewest interactions accepted since login",
        primary=HANDLED,
        descending=False,
        secondary=IDLE_SINCE,
        score=lambda f, at, rr_last, logins: -float(f.handled),
        score_doc="− count",
        tie_break=f"fewest_handled, {_THEN}",
    ),
    Strategy(
        name="round_robin",
        code=4,
        picks="next in login order after the agent this queue used last",
        primary=AFTER_LAST,
        descending=False,
        secondary=ZERO,
        score=_round_robin_score,
        score_doc="− distance",
        tie_break=f"round_robin, {_THEN}",
    ),
    Strategy(
        name="random",
        code=5,
        picks="uniformly at random, seeded by `RouterConfig.seed` and the decision's `seq`",
        primary=ZERO,
        descending=False,
        secondary=ZERO,
        score=None,
        score_doc="—",
        tie_break="",  # explain words the draw itself
        random=True,
    ),
    Strategy(
        name="order_by",
        code=6,
        picks="first by the queue's `order_by` over agent attributes (`agent.level desc`)",
        primary=ORDER,
        descending=False,  # the direction is folded into the key
        secondary=IDLE_SINCE,
        score=lambda f, at, rr_last, logins: -f.order,
        score_doc="− key (the attribute, or its negation for `desc`)",
        tie_break=f"order_by, {_THEN}",
    ),
    Strategy(
        name="performance",
        code=7,
        picks="best predicted KPI the queue names (shrunk per-agent estimates from recorded "
        "outcomes), less a weight of over-use (docs/performance.md)",
        primary=ORDER,  # the key array holds −estimate (+ balance term): smallest wins
        descending=False,
        secondary=IDLE_SINCE,
        score=lambda f, at, rr_last, logins: -f.order,
        score_doc="− key (the predicted KPI relative to the team, less the over-use penalty)",
        tie_break=f"performance, {_THEN}",
    ),
)

KERNEL_KEYS: tuple[int, ...] = tuple(
    s.primary | s.secondary << 4 | int(s.descending) << 8 | int(s.random) << 9 for s in TABLE
)
"""Per code, the kernel's packed key (see :attr:`Strategy.kernel_key`)."""

CODES: dict[str, int] = {s.name: s.code for s in TABLE}
_BY_NAME: dict[str, Strategy] = {s.name: s for s in TABLE}

# The codes by name, for callers that predate the table.
LONGEST_IDLE = CODES["longest_idle"]
MOST_SKILLED = CODES["most_skilled"]
LEAST_OCCUPIED = CODES["least_occupied"]
FEWEST_HANDLED = CODES["fewest_handled"]
ROUND_ROBIN = CODES["round_robin"]
RANDOM = CODES["random"]
ORDER_BY = CODES["order_by"]
PERFORMANCE = CODES["performance"]


def by_name(name: str) -> Strategy:
    """The table entry of strategy ``name``.

    Raises:
        KeyError: ``name`` is not a strategy (the config validates names first).

    >>> by_name("most_skilled").code
    1
    """
    return _BY_NAME[name]


def selection_key(
    strategy: int,
    *,
    skill_sum: int,
    idle_since: float,
    login_order: int,
    load: float,
    handled: int,
    round_robin_last: int,
    order: float = 0.0,
) -> tuple[float, float, int]:
    """The key strategy ``strategy`` (a code) orders eligible agents by; the smallest wins.

    Ties on the strategy's own measure fall to its secondary column, then login order.

    Raises:
        InvalidArgument: the strategy has no ordering key (``random``).

    >>> key = lambda code, idle: selection_key(code, skill_sum=0, idle_since=idle,
    ...     login_order=1, load=0.0, handled=0, round_robin_last=0)
    >>> key(LONGEST_IDLE, 5.0) < key(LONGEST_IDLE, 9.0)
    True
    """
    entry = TABLE[strategy]
    if entry.random:
        msg = f"strategy code {strategy} has no ordering key"
        raise InvalidArgument(msg)
    facts = AgentFacts(
        idle_since=idle_since,
        load=load,
        handled=handled,
        login_order=login_order,
        skill_sum=skill_sum,
        order=order,
    )
    primary = facts.feature(entry.primary, round_robin_last)
    return (
        -primary if entry.descending else primary,
        facts.feature(entry.secondary, round_robin_last),
        login_order,
    )


def uniform(seed: int, seq: int) -> float:
    """A reproducible uniform number in [0, 1) for the decision made at event ``seq``.

    Counter-based (SplitMix64 of seed and seq): a replay needs no generator state, and a
    decision's randomness does not depend on how many random decisions came before.

    >>> uniform(0, 1) == uniform(0, 1) and 0.0 <= uniform(0, 1) < 1.0
    True
    """
    mask = (1 << 64) - 1
    z = (seed * 0x9E3779B97F4A7C15 + seq * 0xBF58476D1CE4E5B9 + 0x94D049BB133111EB) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    z ^= z >> 31
    return (z >> 11) / float(1 << 53)
