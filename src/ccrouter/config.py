"""Router configuration: validated msgspec Structs, loadable from a dict, TOML or JSON.

>>> cfg = RouterConfig.from_dict({"queues": {"sales": {"strategy": "most_skilled"}}})
>>> sorted(cfg.queues)
['default', 'sales']
>>> cfg.queues["sales"].strategy
'most_skilled'
>>> RouterConfig.from_dict({"queues": {"sales": {"wrap_up": -1}}})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ccrouter.errors.ConfigError: invalid router config: Expected `float` >= 0.0 - at `$.queues.sales...`
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, TypeAlias, TypeVar, get_args

import msgspec

from ccrouter.errors import ConfigError
from ccrouter.limits import (
    MAX_AGING_RATE,
    MAX_COUNT,
    MAX_DURATION,
    MAX_INT,
    MAX_NAME,
    MAX_PRIORITY,
    MIN_DURATION,
    MIN_INT,
    is_duration,
    is_int,
    is_name,
    is_number,
)

_T = TypeVar("_T")

__all__ = [
    "DEFAULT_OFFER_TIMEOUT",
    "EXIT_REASONS",
    "EXPERIMENT_FIELDS",
    "KPIS",
    "MATCHING",
    "STRATEGIES",
    "CalendarConfig",
    "ChannelConfig",
    "Experiment",
    "FairnessConfig",
    "LastAgent",
    "PerformanceConfig",
    "PerformanceRouting",
    "QueueConfig",
    "RouterConfig",
    "RuleConfig",
    "SplitConfig",
    "Step",
    "Strategy",
    "arm_b",
]

Strategy: TypeAlias = Literal[
    "longest_idle",
    "most_skilled",
    "least_occupied",
    "fewest_handled",
    "round_robin",
    "random",
    "order_by",
    "performance",
]
"""The strategy names; each is defined by its entry in ``ccrouter.engine.routing.strategies``
(the config sits below the engine, so the names are repeated here, and a test ties them)."""
STRATEGIES: tuple[str, ...] = get_args(Strategy)

MATCHING: tuple[str, ...] = ("greedy", "batch")

NonNegative = Annotated[float, msgspec.Meta(ge=0.0)]
Positive = Annotated[float, msgspec.Meta(gt=0.0)]

DEFAULT_OFFER_TIMEOUT = 30.0
"""Seconds an offer rings by default before it counts as a miss (ring-no-answer): an
application that never answers an offer does not hold the work or the agent for good. Set a
queue's ``offer_timeout`` to ``None`` (``false`` in TOML) for offers that never time out."""

EXIT_REASONS: tuple[str, ...] = (
    "max_wait", "max_wait_no_agents", "max_size", "deflected", "reclassified",
)  # fmt: skip
"""Why an interaction left its queue by an exit rule (the ``reason`` of ``InteractionExited``)."""


class Step(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One widening step of a queue: applies once an interaction has waited ``after`` seconds.

    Attributes:
        after: seconds since arrival in the queue.
        skills: skill minimums to set (a new required skill, or a relaxed/raised minimum).
        drop_skills: required skills to remove.
        priority: the new priority (``None``: unchanged).
        groups: agent groups added to those that may take the work (widening a queue that
            names ``groups``; see :attr:`QueueConfig.groups`).
        skip_if_nobody: skip the step (leave the requirement as it is) when no logged-in agent
            could take the interaction under the step's requirement (and agent selector).
        agent_selector: from this step on, the agents that may take the work: a condition over
            agent attributes replacing the queue's (docs/rules.md; ``None``: unchanged).
    """

    after: NonNegative
    skills: dict[str, int] = msgspec.field(default_factory=dict)
    drop_skills: list[str] = msgspec.field(default_factory=list)
    priority: float | None = None
    groups: list[str] = msgspec.field(default_factory=list)
    skip_if_nobody: bool = False
    agent_selector: str | None = None

    def __post_init__(self) -> None:
        _duration(self.after, "steps[].after")
        _check(
            self.agent_selector is None or isinstance(self.agent_selector, str),
            "steps[].agent_selector",
            "a condition over agent attributes (a string) or None",
        )
        _check(isinstance(self.skills, dict), "steps[].skills", "a mapping")
        for name, level in self.skills.items():
            _check(
                is_name(name) and is_int(level, 0, 32767),
                "steps[].skills",
                "a mapping of non-empty skill name to an integer from 0 to 32767",
            )
        _names(self.drop_skills, "steps[].drop_skills")
        _names(self.groups, "steps[].groups")
        _check(
            self.priority is None or is_number(self.priority, MAX_PRIORITY),
            "steps[].priority",
            f"a finite number within ±{MAX_PRIORITY:g}",
        )


class SplitConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One variant of a rule's weighted split (docs/rules.md): its share and the actions it
    sets in place of the rule's (unset fields keep the rule's).

    Attributes:
        weight: its share, relative to the other variants' (a positive number).
    """

    weight: Positive
    queue: str | None = None
    priority: float | str | None = None
    skills: dict[str, int] | None = None
    tags: list[str] | None = None
    preferred_agents: list[str] | None = None
    deflect: str | None = None
    agent_selector: str | None = None


class RuleConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A classification rule (docs/rules.md): when ``when`` holds, the rule's actions apply.

    Rules are tried in order; the first that matches wins. A rule without ``when`` always
    matches (the default, last).

    Attributes:
        name: the rule's name (unique; events, explain and statistics name it).
        when: a condition in the rule language (``None``: always).
        queue: the queue the work goes to.
        priority: a number, or a formula in the rule language.
        skills: skill minimums; ``skills_mode`` says how they combine with the submitted
            requirement: ``add`` (skills not yet required), ``raise`` (each minimum at least
            this) or ``replace`` (the requirement becomes this).
        preferred_agents: agents offered the work first (as ``submit(preferred_agents=...)``).
        tags: labels for the statistics.
        deflect: the work leaves at once with this reason (self-service; counted as an exit
            with reason ``deflected``).
        split: weighted variants (a stable hash of the interaction id picks one).
        agent_selector: a condition over agent attributes the agent who takes the work must
            also meet (with the queue's or step's selector in force: both).
    """

    name: str
    when: str | None = None
    queue: str | None = None
    priority: float | str | None = None
    skills: dict[str, int] = msgspec.field(default_factory=dict)
    skills_mode: Literal["add", "raise", "replace"] = "add"
    preferred_agents: list[str] = msgspec.field(default_factory=list)
    tags: list[str] = msgspec.field(default_factory=list)
    deflect: str | None = None
    agent_selector: str | None = None
    split: list[SplitConfig] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        _check(is_name(self.name), "rules[].name", "a non-empty name")
        _check(
            self.skills_mode in ("add", "raise", "replace"),
            f"rules.{self.name}.skills_mode",
            "add, raise or replace",
        )
        variants: list[RuleConfig | SplitConfig] = [self, *self.split]
        for variant in variants:
            if variant.skills is not None:
                for skill, level in variant.skills.items():
                    _check(
                        is_name(skill) and is_int(level, 0, 32767),
                        f"rules.{self.name}.skills",
                        "a mapping of skill name to an integer from 0 to 32767",
                    )
            for field in ("tags", "preferred_agents"):
                value = getattr(variant, field)
                if value is not None:
                    _names(value, f"rules.{self.name}.{field}")
            if variant.deflect is not None:
                _check(is_name(variant.deflect), f"rules.{self.name}.deflect", "a reason")
            priority = variant.priority
            _check(
                priority is None or isinstance(priority, str) or is_number(priority, MAX_PRIORITY),
                f"rules.{self.name}.priority",
                f"a number within ±{MAX_PRIORITY:g} or a formula",
            )


class CalendarConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The calendar rules read (``calendar.open``, ``calendar.hour``, ...; docs/rules.md).

    Attributes:
        timezone: an IANA time zone name (``Europe/Paris``); times come from the command's
            ``at`` (seconds since 1970), never from a clock.
        hours: opening hours per weekday (``mon`` ... ``sun``): ``["08:00-12:00", ...]``; a
            day not listed is closed.
        holidays: closed dates, ``YYYY-MM-DD``.
    """

    timezone: str = "UTC"
    hours: dict[str, list[str]] = msgspec.field(default_factory=dict)
    holidays: list[str] = msgspec.field(default_factory=list)


class FairnessConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The fairness ledger and its optional cap (see ``docs/routing.md``, *Fairness*).

    Attributes:
        window: seconds the ledger looks back (offers, handled, handle time, misses).
        max_above_median: when set, an agent that handled more than this many above the
            median of the logged-in agents within the window is offered new work only when
            no agent under the cap could take it (the cap yields rather than starve work).
    """

    window: Positive = 3600.0
    max_above_median: NonNegative | None = None

    def __post_init__(self) -> None:
        _duration(self.window, "fairness.window", positive=True)
        _check(
            self.max_above_median is None
            or (is_number(self.max_above_median, MAX_COUNT) and self.max_above_median >= 0),
            "fairness.max_above_median",
            f"a number from 0 to {MAX_COUNT:g} or None",
        )


KPIS: tuple[str, ...] = ("fcr", "satisfaction", "conversion", "value", "handle_time")
"""What performance routing may optimise (docs/performance.md); ``handle_time``: lower wins."""


class PerformanceConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Outcomes and the performance projection (docs/performance.md).

    Attributes:
        window: seconds of completed work the estimates look back over (a whole number of
            ``bucket``s: the window is the current bucket and the ones before it).
        bucket: the projection's time unit (seconds; contacts are filed by completion time).
        prior_weight: ``k``, how many contacts' worth of the team mean an agent's estimate
            starts from (``(n * mean_agent + k * mean_team) / (n + k)``).
        repeat_within: a customer who comes back within this many seconds of the end of their
            last served contact makes it a repeat contact (not resolved at first contact).
        satisfaction: the (lowest, highest) satisfaction score an outcome may carry.
    """

    window: Positive = 30 * 86400.0
    bucket: Positive = 86400.0
    prior_weight: NonNegative = 10.0
    repeat_within: Positive = 7 * 86400.0
    satisfaction: list[float] = msgspec.field(default_factory=lambda: [1.0, 5.0])

    def __post_init__(self) -> None:
        _duration(self.window, "performance.window", positive=True)
        _duration(self.bucket, "performance.bucket", positive=True)
        _duration(self.repeat_within, "performance.repeat_within", positive=True)
        buckets = self.window / self.bucket
        _check(
            buckets == int(buckets) and 1 <= buckets <= 10_000,
            "performance.window",
            f"a whole number (1 to 10000) of buckets of {self.bucket:g} s",
        )
        _check(
            is_number(self.prior_weight, MAX_COUNT) and self.prior_weight >= 0,
            "performance.prior_weight",
            f"a number from 0 to {MAX_COUNT:g}",
        )
        pair = self.satisfaction
        ok = isinstance(pair, list) and len(pair) == 2
        low, high = pair if ok else (0.0, 0.0)
        _check(
            ok and is_number(low, MAX_COUNT) and is_number(high, MAX_COUNT) and low < high,
            "performance.satisfaction",
            "two finite numbers, lowest first",
        )


class PerformanceRouting(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How a queue with strategy ``performance`` picks agents (docs/performance.md).

    Attributes:
        kpi: the predicted KPI it picks by (one of :data:`KPIS`).
        top_share: until the interaction reaches the queue's first widening step, only this
            share of the logged-in agents (the best estimates; logged-out agents are not
            ranked) may take it; 1: everyone at once.
        balance: weight of over-use: per unit, an agent that completed twice the team's
            average count in the window loses as much as a whole team mean of the KPI.
    """

    kpi: Literal["fcr", "satisfaction", "conversion", "value", "handle_time"] = "fcr"
    top_share: Annotated[float, msgspec.Meta(gt=0.0, le=1.0)] = 1.0
    balance: NonNegative = 0.0

    def __post_init__(self) -> None:
        _check(self.kpi in KPIS, "performance.kpi", f"one of {', '.join(KPIS)}")
        _check(
            is_number(self.top_share, 1.0) and 0 < self.top_share <= 1,
            "performance.top_share",
            "a share in (0, 1]",
        )
        _check(
            is_number(self.balance, MAX_COUNT) and self.balance >= 0,
            "performance.balance",
            f"a number from 0 to {MAX_COUNT:g}",
        )


EXPERIMENT_FIELDS: tuple[str, ...] = ("strategy", "performance", "order_by")
"""The queue settings an experiment's arm ``b`` may set (how an agent is picked)."""


class Experiment(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A queue's work split between its own routing (arm ``a``) and another (arm ``b``), to
    compare them (docs/performance.md, *Experiments*).

    Attributes:
        name: the experiment's name (recorded with each interaction's arm; it salts the hash,
            so two experiments split the same work independently).
        arm_b: the queue settings of arm ``b`` (any of :data:`EXPERIMENT_FIELDS`).
        split: ``"hash"``: by a stable hash of the interaction id (``share`` of the work
            to ``b``); ``"time"``: by time slices of arrival, ``a`` then ``b`` alternately.
        share: with ``"hash"``, the share of the work in arm ``b``.
        slice: with ``"time"``, seconds per slice (slice ``k`` is ``[k·slice, (k+1)·slice)``;
            even ``k``: ``a``).
    """

    name: str
    arm_b: dict[str, Any]
    split: Literal["hash", "time"] = "hash"
    share: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.5
    slice: Positive = 3600.0

    def __post_init__(self) -> None:
        _check(is_name(self.name), "experiment.name", "a name")
        _check(self.split in ("hash", "time"), "experiment.split", "'hash' or 'time'")
        _check(is_number(self.share, 1.0) and 0 <= self.share <= 1, "experiment.share", "in [0, 1]")
        _duration(self.slice, "experiment.slice", positive=True)
        _check(
            isinstance(self.arm_b, dict) and set(self.arm_b) <= set(EXPERIMENT_FIELDS),
            "experiment.arm_b",
            f"settings among {', '.join(EXPERIMENT_FIELDS)}",
        )


class LastAgent(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Last-agent routing: hold a returning customer's work for the agent who served them last.

    Attributes:
        wait: seconds only that agent may take the work; then anyone eligible may.
        scope: ``"queue"``: the last agent who served the customer on this queue;
            ``"any"``: on any queue.
        within: only when that contact arrived at most this many seconds ago (``None``: ever).
    """

    wait: Positive
    scope: Literal["queue", "any"] = "queue"
    within: Positive | None = None

    def __post_init__(self) -> None:
        _duration(self.wait, "last_agent.wait", positive=True)
        _check(self.scope in ("queue", "any"), "last_agent.scope", "'queue' or 'any'")
        if self.within is not None:
            _duration(self.within, "last_agent.within", positive=True)


class ChannelConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Cross-channel rules of one channel (see "Omnichannel rules" in ``docs/routing.md``).

    Attributes:
        cost: units of an agent's login ``budget`` one interaction on this channel takes.
        blocks: channels on which an agent holding work on this channel is offered nothing
            new (e.g. ``voice`` blocks ``chat``).
        interruptible_by: channels whose offers may reach an agent whose only obstacle is
            connected work on this channel (blocks or budget); that work is paused while the
            interrupting interaction is connected and resumes after.
    """

    cost: Annotated[int, msgspec.Meta(ge=0)] = 1
    blocks: list[str] = msgspec.field(default_factory=list)
    interruptible_by: list[str] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        _check(is_int(self.cost, 0, MAX_COUNT), "cost", f"an integer from 0 to {MAX_COUNT}")
        _names(self.blocks, "blocks")
        _names(self.interruptible_by, "interruptible_by")


class QueueConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How one queue routes.

    Attributes:
        strategy: how an agent is picked among the eligible ones (see ``STRATEGIES``).
        wrap_up: seconds of after-call work that hold the agent's slot after ``complete``.
        offer_timeout: seconds an offer rings before it counts as a miss (default
            :data:`DEFAULT_OFFER_TIMEOUT`, 30 s; ``None``, or ``false`` in TOML: never).
        aging_rate: priority points gained per second waited.
        groups: agent groups whose members alone take this queue's work (empty: any agent
            with the skills); widening steps may add groups.
        steps: widening steps, in order of ``after`` (see :class:`Step`).
        max_wait: seconds an interaction may wait before it exits (``None``: no limit).
        max_wait_no_agents: seconds an interaction may wait while no logged-in agent could
            take it (skills, channel capacity, groups, agent selector; ready or not), counted
            from when that last became so (at the earliest its arrival); then it exits.
        max_size: how many may wait at once; a submit beyond it exits at once.
        overflow_to: the queue an exiting interaction moves to (``None``: it ends, status
            ``exited``).
        keep_age: an overflowing interaction keeps its arrival time (its age and place).
        callback_after: seconds of wait after which a live caller is switched to a callback
            (virtual hold offered automatically; ``None``: never).
        deadline: seconds after arrival by which work is due (an SLA; ``None``: none unless
            given on submit).
        reminders: seconds before the deadline at which a reminder event is made.
        overdue_priority: priority points added when the deadline passes.
        overdue_queue: the queue overdue work moves to (it keeps its age).
        escalate_to: the queue :meth:`Router.escalate <ccrouter.router.Router.escalate>`
            sends this queue's interactions to (the next tier), when not given explicitly.
        last_agent: last-agent routing for customers who come back (``None``: off).
        agent_selector: a condition over agent attributes (``agent.level >= 3``) that an
            agent must meet to take this queue's work (docs/rules.md; ``None``: any agent).
        order_by: the key of the ``order_by`` strategy: an expression over agent attributes,
            then ``asc`` (default) or ``desc`` (``"agent.level desc"``).
        reclassify_after: an exception trigger: work that has waited this many seconds
            (since its arrival, as ``max_wait``) in this queue is classified again, once
            (docs/rules.md; ``None``: never).
        reclassify_over: an exception trigger: work that arrives at (or comes back to) this
            queue while more than this many wait (itself included) is classified again,
            once (``None``: never).
        service_level_seconds: the answer time the rules' ``queue.NAME.service_level``
            counts as within the service level (docs/rules.md).
    """

    strategy: Strategy = "longest_idle"
    wrap_up: NonNegative = 0.0
    offer_timeout: Positive | None = DEFAULT_OFFER_TIMEOUT
    aging_rate: NonNegative = 0.0
    groups: list[str] = msgspec.field(default_factory=list)
    steps: list[Step] = msgspec.field(default_factory=list)
    max_wait: Positive | None = None
    max_wait_no_agents: NonNegative | None = None
    max_size: Annotated[int, msgspec.Meta(ge=0)] | None = None
    overflow_to: str | None = None
    keep_age: bool = False
    callback_after: NonNegative | None = None
    deadline: Positive | None = None
    reminders: list[Positive] = msgspec.field(default_factory=list)
    overdue_priority: float = 0.0
    overdue_queue: str | None = None
    escalate_to: str | None = None
    last_agent: LastAgent | None = None
    rules: list[RuleConfig] = msgspec.field(default_factory=list)
    """Classification rules of work submitted to this queue (its entry point), tried before
    the router-wide ``RouterConfig.rules`` (docs/rules.md)."""
    agent_selector: str | None = None
    order_by: str | None = None
    reclassify_after: NonNegative | None = None
    reclassify_over: Annotated[int, msgspec.Meta(ge=0)] | None = None
    service_level_seconds: NonNegative = 20.0
    performance: PerformanceRouting | None = None
    """The ``performance`` strategy's settings (required by it; docs/performance.md)."""
    experiment: Experiment | None = None
    """An A/B split of this queue's work between two routings (docs/performance.md)."""

    def __post_init__(self) -> None:
        # msgspec.Meta constraints apply when decoding; direct construction is checked here.
        # Durations: 0 (where allowed) or MIN_DURATION to MAX_DURATION, so that a timer set
        # one duration after any time in range is strictly later (see ccrouter.limits).
        _check(self.strategy in STRATEGIES, "strategy", f"one of {', '.join(STRATEGIES)}")
        _duration(self.wrap_up, "wrap_up")
        _duration(self.service_level_seconds, "service_level_seconds")
        for positive in ("offer_timeout", "max_wait", "deadline"):
            value = getattr(self, positive)
            if value is not None:
                _duration(value, positive, positive=True)
        for maybe_zero in ("callback_after", "max_wait_no_agents", "reclassify_after"):
            value = getattr(self, maybe_zero)
            if value is not None:
                _duration(value, maybe_zero)
        _check(
            is_number(self.aging_rate, MAX_AGING_RATE) and self.aging_rate >= 0,
            "aging_rate",
            f"a number from 0 to {MAX_AGING_RATE:g}",
        )
        _names(self.groups, "groups")
        _check(
            isinstance(self.steps, list) and all(isinstance(s, Step) for s in self.steps),
            "steps",
            "a list of steps",
        )
        afters = [step.after for step in self.steps]
        _check(afters == sorted(afters), "steps", "in order of `after`")
        _check(
            self.max_size is None or is_int(self.max_size, 0, MAX_COUNT),
            "max_size",
            f"an integer from 0 to {MAX_COUNT} or None",
        )
        _check(
            self.reclassify_over is None or is_int(self.reclassify_over, 0, MAX_COUNT),
            "reclassify_over",
            f"an integer from 0 to {MAX_COUNT} or None",
        )
        _check(isinstance(self.reminders, list), "reminders", "a list of durations")
        for reminder in self.reminders:
            _duration(reminder, "reminders", positive=True)
        _check(
            is_number(self.overdue_priority, MAX_PRIORITY),
            "overdue_priority",
            f"a finite number within ±{MAX_PRIORITY:g}",
        )
        for field in ("overflow_to", "overdue_queue", "escalate_to"):
            value = getattr(self, field)
            _check(value is None or is_name(value), field, "a queue name or None")
        _check(
            self.last_agent is None or isinstance(self.last_agent, LastAgent),
            "last_agent",
            "a LastAgent or None",
        )
        for field in ("agent_selector", "order_by"):
            value = getattr(self, field)
            _check(value is None or isinstance(value, str), field, "an expression or None")
        _check(
            (self.strategy == "order_by") == (self.order_by is not None),
            "order_by",
            "set exactly when strategy is 'order_by'",
        )
        _check(
            (self.strategy == "performance") == (self.performance is not None),
            "performance",
            "set exactly when strategy is 'performance'",
        )
        if self.experiment is not None:
            arm_b(self)  # a valid queue config: raises naming what is wrong
        if self.performance is not None and self.performance.top_share < 1:
            _check(
                bool(self.steps),
                "performance.top_share",
                "a widening step (`steps`) to end the best agents' turn",
            )


class RouterConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Router-wide settings and the queues.

    A queue named ``"default"`` always exists (added with default settings when absent).

    Attributes:
        auto_accept: offers are accepted at once (no ringing).
        max_no_answer: consecutive missed offers after which an agent goes ``not_ready``
            with reason ``no_answer``.
        seed: seed of the ``random`` strategy (decisions are reproducible).
        customer_history: how many of a customer's earlier contacts an interaction shows
            (``Router.interaction(id).customer_history``).
        queues: queue name to its settings.
        fairness: the per-agent ledger and its cap (``None``: no ledger, no cap).
        matching: ``"greedy"`` (each decision as soon as work or an agent is free) or
            ``"batch"`` (work waits for :meth:`~ccrouter.router.Router.match`, which
            assigns all waiting work to all free agents in one optimal step).
    """

    auto_accept: bool = False
    max_no_answer: Annotated[int, msgspec.Meta(ge=1)] = 1
    seed: int = 0
    customer_history: Annotated[int, msgspec.Meta(ge=0)] = 5
    queues: dict[str, QueueConfig] = msgspec.field(default_factory=dict)
    channels: dict[str, ChannelConfig] = msgspec.field(default_factory=dict)
    """Cross-channel rules per channel (absent: cost 1, blocks nothing, never interrupted)."""
    fairness: FairnessConfig | None = None
    matching: Literal["greedy", "batch"] = "greedy"
    attributes: dict[str, str] = msgspec.field(default_factory=dict)
    """The attribute schema: ``interaction.attributes.NAME`` or ``agent.NAME`` to a type
    (``str``, ``int``, ``float``, ``bool``, ``list[str]``, ...; docs/rules.md)."""
    rules: list[RuleConfig] = msgspec.field(default_factory=list)
    """Router-wide classification rules, tried in order after the entry queue's."""
    calendar: CalendarConfig | None = None
    """Time zone, opening hours and holidays that rules read (``None``: UTC, always open)."""
    skills: list[str] = msgspec.field(default_factory=list)
    """The skills rules may name (empty: not checked)."""
    performance: PerformanceConfig | None = None
    """Outcomes' repeat contacts and the performance projection (``None``: neither is kept;
    outcomes are still recorded; docs/performance.md)."""

    def __post_init__(self) -> None:
        _check(
            is_int(self.max_no_answer, 1, MAX_COUNT),
            "max_no_answer",
            f"an integer from 1 to {MAX_COUNT}",
        )
        _check(is_int(self.seed, MIN_INT, MAX_INT), "seed", "a signed 64-bit integer")
        _check(self.matching in MATCHING, "matching", f"one of {', '.join(MATCHING)}")
        _check(
            self.fairness is None or isinstance(self.fairness, FairnessConfig),
            "fairness",
            "a FairnessConfig or None",
        )
        _check(
            self.performance is None or isinstance(self.performance, PerformanceConfig),
            "performance",
            "a PerformanceConfig or None",
        )
        _check(
            self.performance is not None
            or all(
                q.strategy != "performance"
                and (q.experiment is None or arm_b(q).strategy != "performance")
                for q in self.queues.values()
            ),
            "performance",
            "a `performance` section for queues with strategy 'performance'",
        )
        _check(
            is_int(self.customer_history, 0, MAX_COUNT),
            "customer_history",
            f"an integer from 0 to {MAX_COUNT}",
        )
        for field, kind in (("queues", QueueConfig), ("channels", ChannelConfig)):
            table = getattr(self, field)
            _check(isinstance(table, dict), field, f"a mapping of name to {kind.__name__}")
            for name, item in table.items():
                _check(
                    is_name(name),
                    field,
                    f"keyed by non-empty names of at most {MAX_NAME} characters (got {name!r:.60})",
                )
                _check(isinstance(item, kind), f"{field}.{name}", f"a {kind.__name__}")
        for name, queue in self.queues.items():
            tier = queue.escalate_to
            _check(
                tier is None or ((tier in self.queues or tier == "default") and tier != name),
                f"queues.{name}.escalate_to",
                "another configured queue",
            )
        # Frozen means no rebinding; filling in the default queue keeps configs total.
        self.queues.setdefault("default", QueueConfig())
        for name, queue in self.queues.items():
            for field in ("overflow_to", "overdue_queue"):
                target = getattr(queue, field)
                _check(
                    target is None or target in self.queues,
                    f"queues.{name}.{field}",
                    "a configured queue name",
                )
        _check_overflow_cycles(self.queues)
        if self.rules or self.attributes or any(q.rules for q in self.queues.values()):
            # Parsed, type-checked and compiled once per config (and cached): an error names
            # the rule, the column and what was expected.
            from ccrouter.rules.ruleset import ruleset

            ruleset(self)
        _check_selectors(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RouterConfig:
        """Build and validate a config from plain data.

        Raises:
            ConfigError: a field is missing, unknown or invalid; the message names its path.
        """
        if not isinstance(data, dict):
            msg = f"invalid router config: Expected `object`, got `{type(data).__name__}`"
            raise ConfigError(msg)
        # Queues are converted one by one so that an error names the queue (msgspec would
        # say `$.queues[...]` for a dict key).
        fields = dict(data)
        raw_queues = fields.pop("queues", {})
        if not isinstance(raw_queues, dict):
            msg = "invalid router config: Expected `object` - at `$.queues`"
            raise ConfigError(msg)
        queues = {
            name: _convert(_never(q), QueueConfig, f"$.queues.{name}")
            for name, q in raw_queues.items()
        }
        raw_channels = fields.pop("channels", {})
        if not isinstance(raw_channels, dict):
            msg = "invalid router config: Expected `object` - at `$.channels`"
            raise ConfigError(msg)
        channels = {
            name: _convert(c, ChannelConfig, f"$.channels.{name}")
            for name, c in raw_channels.items()
        }
        # Rules name queues: they are checked once the queues are in (the replace below).
        raw_rules = fields.pop("rules", [])
        rules = _convert(raw_rules, list[RuleConfig], "$.rules")
        base = _convert(fields, cls, "$")
        return msgspec.structs.replace(
            base, queues={**base.queues, **queues}, channels=channels, rules=rules
        )

    @classmethod
    def from_toml(cls, path: str | Path) -> RouterConfig:
        """Load a config from a TOML file (same shape as :meth:`from_dict`).

        Raises:
            ConfigError: the file is not valid TOML or the config is invalid.
        """
        try:
            data = tomllib.loads(Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            msg = f"cannot read router config {path}: {exc}"
            raise ConfigError(msg) from None
        return cls.from_dict(data)

    @classmethod
    def from_json(cls, data: str | bytes) -> RouterConfig:
        """Load a config from JSON text."""
        try:
            return msgspec.json.decode(data, type=cls)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            msg = f"invalid router config: {exc}"
            raise ConfigError(msg) from None

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :meth:`from_dict` reads back to an equal config."""
        return msgspec.to_builtins(self)  # type: ignore[no-any-return]

    def to_toml(self) -> str:
        """TOML text that :meth:`from_toml` reads back to an equal config (a ``router.toml``).

        Unset optional settings are left out; a queue without an offer timeout says
        ``offer_timeout = false`` (the default is :data:`DEFAULT_OFFER_TIMEOUT`).

        >>> config = RouterConfig.from_dict({"queues": {"sales": {"wrap_up": 10}}})
        >>> import tomllib
        >>> RouterConfig.from_dict(tomllib.loads(config.to_toml())) == config
        True
        """
        from ccrouter._toml import dumps

        return dumps(self.to_dict(), none_as={"offer_timeout": False})

    def queue(self, name: str) -> QueueConfig:
        """The settings of queue ``name`` (``KeyError`` subclass when unknown)."""
        try:
            return self.queues[name]
        except KeyError:
            from ccrouter.errors import UnknownQueue

            msg = f"unknown queue {name!r}; configured queues: {', '.join(sorted(self.queues))}"
            raise UnknownQueue(msg) from None


def _never(queue: Any) -> Any:
    """A queue's settings with ``offer_timeout = false`` (TOML has no null) read as ``None``:
    offers that never time out."""
    if isinstance(queue, dict) and queue.get("offer_timeout", True) is False:
        return {**queue, "offer_timeout": None}
    return queue


def arm_b(queue: QueueConfig) -> QueueConfig:
    """``queue`` as its experiment's arm ``b`` routes (``queue`` itself without one): its
    settings with the arm's in place of its own, and no experiment. Cached per queue config
    (the router asks once per decision).

    Raises:
        ConfigError: the arm's settings do not make a valid queue (the message says which).
    """
    experiment = queue.experiment
    if experiment is None:
        return queue
    hit = _ARMS.get(id(queue))
    if hit is not None and hit[0] is queue:
        return hit[1]
    fields = {**msgspec.to_builtins(queue), "experiment": None}
    if "strategy" in experiment.arm_b:  # a new strategy brings its own settings or none
        fields.update(order_by=None, performance=None)
    fields.update(experiment.arm_b)
    arm = _convert(fields, QueueConfig, "$.experiment.arm_b")
    if len(_ARMS) >= 256:
        _ARMS.clear()
    _ARMS[id(queue)] = (queue, arm)
    return arm


_ARMS: dict[int, tuple[QueueConfig, QueueConfig]] = {}
"""id of a queue config to (that config, its arm ``b``): the config is kept so its id stays
its own."""


def _check_overflow_cycles(queues: dict[str, QueueConfig]) -> None:
    """Refuse an ``overflow_to`` cycle in which every queue may pass work on at the very
    instant it arrives: the work would circle at one instant for ever. A queue does when its
    ``max_wait_no_agents`` is 0 (nobody able to take it is logged in), or when it has a
    ``max_wait`` and the queue before it in the cycle keeps the age (the wait has passed)."""
    for start in queues:
        seen: list[str] = []
        name: str | None = start
        while name is not None and name not in seen:
            seen.append(name)
            name = queues[name].overflow_to
        if name is None:
            continue
        cycle = seen[seen.index(name) :]
        at_once = all(
            queues[q].max_wait_no_agents == 0
            or (queues[q].max_wait is not None and queues[cycle[i - 1]].keep_age)
            for i, q in enumerate(cycle)
        )
        _check(
            not at_once,
            f"queues.{start}.overflow_to",
            "not a cycle of queues that each pass work on at once, with max_wait and the age "
            "kept, or max_wait_no_agents = 0 (" + " -> ".join([*cycle, name]) + ")",
        )


def _convert(data: Any, kind: type[_T], path: str) -> _T:
    try:
        return msgspec.convert(data, kind)
    except ConfigError:
        raise
    except msgspec.ValidationError as exc:
        text = str(exc)
        text = text.replace("`$", f"`{path}") if "`$" in text else f"{text} - at `{path}`"
        msg = f"invalid router config: {text}"
        raise ConfigError(msg) from None
    except (UnicodeError, OverflowError, TypeError, ValueError) as exc:
        # msgspec raises these for what it cannot read at all (a string with a lone
        # surrogate, an int beyond 64 bits in some positions).
        msg = f"invalid router config: {exc} - at `{path}`"
        raise ConfigError(msg) from None


def _duration(value: object, field: str, *, positive: bool = False) -> None:
    low = f"{MIN_DURATION:g}" if positive else f"0 or from {MIN_DURATION:g}"
    _check(
        is_duration(value, positive=positive),
        field,
        f"{low} to {MAX_DURATION:g} seconds (see ccrouter.limits)",
    )


def _names(value: object, field: str) -> None:
    _check(
        isinstance(value, list) and all(is_name(n) for n in value),
        field,
        f"a list of non-empty names of at most {MAX_NAME} characters",
    )


def _check(ok: bool, field: str, expected: str) -> None:
    if not ok:
        msg = f"invalid router config: `{field}` must be {expected}"
        raise ConfigError(msg)


def _check_selectors(config: RouterConfig) -> None:
    # Agent selectors and orderings (docs/rules.md), checked against the attribute schema:
    # an error (RuleError, a ConfigError) names the queue, the step and the column.
    items = []
    for name, queue in config.queues.items():
        if queue.agent_selector is not None:
            items.append((queue.agent_selector, f"queues.{name}.agent_selector", False))
        if queue.order_by is not None:
            items.append((queue.order_by, f"queues.{name}.order_by", True))
        for i, step in enumerate(queue.steps):
            if step.agent_selector is not None:
                where = f"queues.{name}.steps[{i}].agent_selector"
                items.append((step.agent_selector, where, False))
    rules = [*config.rules, *(r for q in config.queues.values() for r in q.rules)]
    for rule in rules:
        texts = [rule.agent_selector, *(v.agent_selector for v in rule.split)]
        for k, text in enumerate(texts):
            if text is not None:
                part = "" if k == 0 else f".split[{k - 1}]"
                items.append((text, f"rules.{rule.name}{part}.agent_selector", False))
    if not items:
        return
    from ccrouter.rules.selectors import check_all  # the rule language sits above config

    check_all(items, config.attributes)
