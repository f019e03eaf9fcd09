"""Classification: run a configuration's rules on new (or updated) work (docs/rules.md).

Pure: the rules read the command, the customer history, the calendar at the command's ``at``
and the queues' state at decision time — nothing else. The outcome is an
:class:`~ccrouter.events.InteractionClassified` event (the rule, every value the rules read,
what it set); replay applies that event and never evaluates a rule again.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import msgspec

from ccrouter.commands import Submit
from ccrouter.engine.customers import served_by
from ccrouter.engine.records import Interaction
from ccrouter.engine.state import RouterState
from ccrouter.errors import UnknownQueue
from ccrouter.events import InteractionClassified
from ccrouter.limits import MAX_PRIORITY
from ccrouter.rules.evaluator import read
from ccrouter.rules.ruleset import Action, CompiledRule, RuleSet, ruleset, split_point

__all__ = [
    "Classification",
    "classify",
    "classify_submit",
    "environment",
    "has_rules",
    "reclassify",
]

_DAY = 86_400.0


def has_rules(state: RouterState) -> bool:
    """Whether the state's configuration has any classification rule (cheap)."""
    return _rules(state) is not None


def _rules(state: RouterState) -> RuleSet | None:
    # ruleset() is cached per config object: one dict lookup per submit, rules or not.
    rules = ruleset(state.config)
    return None if rules.empty else rules


class _Lazy(Mapping[str, Any]):
    """A mapping computed on first read (the facts that cost something)."""

    __slots__ = ("_data", "_make")

    def __init__(self, make: Any) -> None:
        self._make = make
        self._data: dict[str, Any] | None = None

    def _get(self) -> dict[str, Any]:
        if self._data is None:
            self._data = self._make()
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


def _customer(state: RouterState, customer_id: str | None, at: float) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "contacts": 0, "contacts_1d": 0, "contacts_7d": 0, "contacts_30d": 0,
    }  # fmt: skip
    if customer_id is None:
        return facts
    ids = state.customers.get(customer_id, ())
    facts["contacts"] = len(ids)
    for iid in reversed(ids):
        age = at - state.interactions[iid].arrived_at
        if age > 30 * _DAY:
            break
        facts["contacts_30d"] += 1
        facts["contacts_7d"] += age <= 7 * _DAY
        facts["contacts_1d"] += age <= _DAY
    if ids:
        last = state.interactions[ids[-1]]
        facts["last_outcome"] = last.status
        facts["last_queue"] = last.queue
        for iid in reversed(ids):
            agent = served_by(state.interactions[iid])
            if agent is not None:
                facts["last_agent"] = agent
                break
    return facts


def _queue(state: RouterState, name: str, at: float) -> dict[str, Any]:
    groups = frozenset(state.config.queue(name).groups)
    ready = logged_in = 0
    for agent in state.agents.values():
        if agent.presence == "logged_out" or (groups and not agent.groups & groups):
            continue
        logged_in += 1
        ready += agent.status == "ready"
    queue = state.queues.get(name)
    oldest = 0.0
    if queue is not None and queue.waiting:
        arrivals = [state.interactions[k[3]].arrived_at for k in queue.iter_keys()]
        if arrivals:
            oldest = max(0.0, at - min(arrivals))
    waiting = queue.waiting if queue is not None else 0
    return {"ready_agents": ready, "logged_in": logged_in, "waiting": waiting,
            "oldest_wait": oldest}  # fmt: skip


_HISTORY_FACTS = ("estimated_wait", "service_level")


def _queue_history(state: RouterState, name: str, base: Mapping[str, Any]) -> dict[str, Any]:
    """The facts that read the queue's past work (one pass over the router's interactions,
    made only when a rule reads one of them; docs/rules.md)."""
    seconds = state.config.queue(name).service_level_seconds
    decided = within = completed = 0
    handled = 0.0
    for interaction in state.interactions.values():
        if interaction.queue != name or interaction.history:
            continue  # another queue's, or transferred (counted nowhere)
        answered = interaction.answered_at
        if answered is not None:
            decided += 1
            within += answered - interaction.arrived_at <= seconds
            if interaction.status == "completed" and interaction.ended_at is not None:
                completed += 1
                handled += interaction.ended_at - answered
        elif interaction.status in ("abandoned", "exited"):
            decided += 1
    service_level = within / decided if decided else None
    estimated: float | None = None
    if base["ready_agents"] > 0 and base["waiting"] == 0:
        estimated = 0.0
    elif completed and base["logged_in"]:
        estimated = (base["waiting"] + 1) * (handled / completed) / base["logged_in"]
    return {"estimated_wait": estimated, "service_level": service_level}


class _QueueFacts(Mapping[str, Any]):
    """One queue's facts: the present state on first read, the history on first read of
    a fact that needs it."""

    __slots__ = ("_base", "_history", "_name", "_state")

    def __init__(self, state: RouterState, name: str, at: float) -> None:
        self._state, self._name = state, name
        self._base = _Lazy(lambda: _queue(state, name, at))
        self._history: dict[str, Any] | None = None

    def __getitem__(self, key: str) -> Any:
        if key in _HISTORY_FACTS:
            if self._history is None:
                self._history = _queue_history(self._state, self._name, self._base)
            return self._history[key]
        return self._base[key]

    def __iter__(self) -> Iterator[str]:
        yield from self._base
        yield from _HISTORY_FACTS

    def __len__(self) -> int:
        return len(self._base) + len(_HISTORY_FACTS)


class _Queues(Mapping[str, Any]):
    __slots__ = ("_at", "_seen", "_state")

    def __init__(self, state: RouterState, at: float) -> None:
        self._state, self._at = state, at
        self._seen: dict[str, _QueueFacts] = {}

    def __getitem__(self, name: str) -> Any:
        facts = self._seen.get(name)
        if facts is None:
            if name not in self._state.config.queues:
                # (UnknownQueue is a KeyError: a read of an unknown queue reads null.)
                raise UnknownQueue(f"unknown queue {name!r}")
            state, at = self._state, self._at
            facts = self._seen[name] = _QueueFacts(state, name, at)
        return facts

    def __iter__(self) -> Iterator[str]:
        return iter(self._state.config.queues)

    def __len__(self) -> int:
        return len(self._state.config.queues)


def environment(
    state: RouterState,
    rules: RuleSet,
    *,
    interaction_id: str,
    channel: str,
    queue: str,
    priority: float,
    skills: Mapping[str, int],
    customer_id: str | None,
    attributes: Mapping[str, Any],
    at: float,
    roots: frozenset[str] | None = None,
    exception: str | None = None,
    waiting_in: str | None = None,
) -> dict[str, Any]:
    """What rules read about one interaction at time ``at``.

    Args:
        roots: only these roots are prepared (``None``: all).
        exception, waiting_in: when an exception trigger re-classifies waiting work, which
            one fired and the queue the work waits in (``None`` otherwise: read as null).

    Returns:
        Root name to facts: ``interaction``, ``customer``, ``queue``, ``calendar`` (the last
        three computed only when a rule reads them).
    """
    env: dict[str, Any] = {
        "interaction": {
            "id": interaction_id,
            "channel": channel,
            "queue": queue,
            "priority": priority,
            "skills": skills,
            "customer_id": customer_id,
            "attributes": attributes,
            "exception": exception,
            "waiting_in": waiting_in,
        }
    }
    if roots is None or "customer" in roots:
        env["customer"] = _Lazy(lambda: _customer(state, customer_id, at))
    if roots is None or "queue" in roots:
        env["queue"] = _Queues(state, at)
    if roots is None or "calendar" in roots:
        env["calendar"] = _Lazy(lambda: rules.calendar.facts(at))
    return env


class Classification(msgspec.Struct, frozen=True, kw_only=True):
    """What classification decided: the event fields, and the values to route with."""

    rule: str
    reads: dict[str, Any]
    queue: str
    priority: float
    skills: dict[str, int]
    tags: list[str]
    preferred_agents: list[str]
    deflect: str | None
    split: int | None
    set_queue: str | None
    set_priority: float | None
    set_skills: dict[str, int] | None

    def event(
        self,
        seq: int,
        at: float,
        interaction_id: str,
        trigger: str,
        submitted: dict[str, Any],
        exception: str | None = None,
    ) -> InteractionClassified:
        """The event recording this outcome (``exception``: the trigger that fired, if one
        re-classified the work)."""
        return InteractionClassified(
            seq=seq,
            at=at,
            interaction_id=interaction_id,
            rule=self.rule,
            reads=self.reads,
            queue=self.set_queue,
            priority=self.set_priority,
            skills=self.set_skills,
            tags=self.tags,
            preferred_agents=self.preferred_agents,
            deflect=self.deflect,
            split=self.split,
            trigger=trigger,
            submitted=submitted,
            exception=exception,
        )


def _skills(mode: str, base: Mapping[str, int], new: Mapping[str, int]) -> dict[str, int]:
    if mode == "replace":
        return dict(new)
    if mode == "raise":
        out = dict(base)
        for k, v in new.items():
            out[k] = max(out.get(k, v), v)
        return out
    return {**new, **base}  # add: what is already required keeps its minimum


def classify(
    state: RouterState,
    *,
    interaction_id: str,
    channel: str,
    queue: str,
    priority: float,
    skills: Mapping[str, int],
    customer_id: str | None,
    attributes: Mapping[str, Any],
    at: float,
    rules: RuleSet | None = None,
    exception: str | None = None,
    waiting_in: str | None = None,
) -> Classification | None:
    """Run the rules of ``queue``'s chain on one interaction (the first match wins).

    Args:
        state: the router's state at decision time.
        interaction_id, channel, queue, priority, skills, customer_id, attributes: the
            interaction as submitted (or as it stands, when re-classifying).
        at: the command's time.
        rules: the state's compiled rules (looked up when not given).
        exception, waiting_in: the exception trigger that fired and the queue the work
            waits in, when one re-classifies it.

    Returns:
        The outcome, or ``None`` when the configuration has no rule for this queue.
    """
    if rules is None:
        rules = ruleset(state.config)
    chain = rules.chain(queue)
    if not chain:
        return None
    env = environment(
        state, rules, interaction_id=interaction_id, channel=channel, queue=queue,
        priority=priority, skills=skills, customer_id=customer_id, attributes=attributes, at=at,
        roots=rules.roots(queue), exception=exception, waiting_in=waiting_in,
    )  # fmt: skip
    matched: CompiledRule | None = None
    plan = rules.plan(queue)
    tried = plan.others
    if plan.path is not None:
        value = read(env, plan.path)
        kind = type(value)
        # A bool is not a number here (true != 1), though Python hashes them alike.
        if kind is str or kind is int or kind is float:
            tried = plan.by_value.get(value, tried)
    for rule in tried:
        # CompiledRule.matches, inlined: a rule failing its first test costs one call.
        first = rule.first
        if first is None or (first(env) is True and (rule.rest is None or rule.rest(env) is True)):
            matched = rule
            break
    last = matched if matched is not None else chain[-1]
    reads = {dotted: _plain(read(env, path)) for dotted, path in last.reads}
    if matched is None:
        return Classification(
            rule="", reads=reads, queue=queue, priority=priority, skills=dict(skills), tags=[],
            preferred_agents=[], deflect=None, split=None, set_queue=None, set_priority=None,
            set_skills=None,
        )  # fmt: skip
    action: Action = matched.action
    split = None
    if matched.splits:
        u = split_point(interaction_id)
        for i, (share, variant) in enumerate(matched.splits):
            if u < share:
                action, split = variant, i
                break
    set_priority = action.priority
    if action.formula is not None:
        value = action.formula(env)
        ok = type(value) in (int, float) and math.isfinite(value) and abs(value) <= MAX_PRIORITY
        set_priority = float(value) if ok else None
    set_skills = None
    if action.skills is not None:
        set_skills = _skills(action.skills_mode, skills, action.skills)
    return Classification(
        rule=matched.name,
        reads=reads,
        queue=action.queue if action.queue is not None else queue,
        priority=set_priority if set_priority is not None else priority,
        skills=set_skills if set_skills is not None else dict(skills),
        tags=list(action.tags),
        preferred_agents=list(action.preferred_agents),
        deflect=action.deflect,
        split=split,
        set_queue=action.queue,
        set_priority=set_priority,
        set_skills=set_skills,
    )


_SCALARS = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    # Reads go into an event: plain JSON data (a lazy mapping read whole becomes a dict).
    if type(value) in _SCALARS:
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def classify_submit(state: RouterState, command: Submit, at: float) -> Classification | None:
    """:func:`classify` for a new submit (``None``: no rules)."""
    rules = _rules(state)
    if rules is None:
        return None
    return classify(
        state, interaction_id=command.interaction_id, channel=command.channel,
        queue=command.queue, priority=float(command.priority), skills=command.skills,
        customer_id=command.customer_id, attributes=command.attributes, at=at, rules=rules,
    )  # fmt: skip


def reclassify(
    state: RouterState,
    interaction: Interaction,
    attributes: Mapping[str, Any],
    at: float,
    exception: str | None = None,
) -> Classification | None:
    """:func:`classify` for waiting work whose attributes changed, or whose exception
    trigger ``exception`` fired, from what was submitted (so a formula such as
    ``interaction.priority + 10`` never compounds)."""
    rules = _rules(state)
    if rules is None:
        return None
    base = interaction.submitted
    queue = base.get("queue", interaction.queue)
    return classify(
        state, interaction_id=interaction.interaction_id, channel=interaction.channel,
        queue=queue, priority=float(base.get("priority", interaction.priority)),
        skills=base.get("skills", interaction.skills), customer_id=interaction.customer_id,
        attributes=attributes, at=at, rules=rules, exception=exception,
        waiting_in=None if exception is None else interaction.queue,
    )  # fmt: skip
