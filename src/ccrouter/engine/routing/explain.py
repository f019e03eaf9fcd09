"""Explanations: why an agent was chosen, and why each other agent was not.

The explanation is computed by the pure-Python rules from the state as it was just before the
decision, so it is independent of the kernel that made the decision.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

import msgspec

from ccrouter.engine.estimates import Estimate
from ccrouter.engine.experiments import settings_for
from ccrouter.engine.fairness import over_cap
from ccrouter.engine.performance_routing import performance_keys, top_mask
from ccrouter.engine.records import effective_priority, meets_skills
from ccrouter.engine.routing.selectors import selector_for
from ccrouter.engine.routing.strategies import AgentFacts, by_name, selection_key, uniform
from ccrouter.engine.rule_trace import ConditionCheck, RuleTrace
from ccrouter.engine.state import Agent, Interaction, RouterState
from ccrouter.rules.selectors import selector

__all__ = ["BatchSummary", "Candidate", "Explanation", "Passed", "Reason", "explain_decision"]

Reason: TypeAlias = Literal[
    "logged_out",
    "not_preferred",
    "not_in_group",
    "missing_skill",
    "no_capacity",
    "not_ready",
    "busy",
    "declined",
    "over_cap",
    "channel_rules",
    "matched_elsewhere",
    "not_selected",
    "not_top_share",
]


class Candidate(msgspec.Struct, frozen=True, kw_only=True):
    """One agent's standing in a decision.

    Attributes:
        agent_id: the agent.
        eligible: could take the interaction (``reason`` is ``None`` then).
        reason: why not, the first that applies in the order ``logged_out``,
            ``not_preferred`` (the interaction is targeted at other agents), ``not_in_group``
            (the agent is in none of the agent groups the work is limited to), ``missing_skill``,
            ``no_capacity`` (no capacity on the channel at all),
            ``not_ready``, ``busy`` (capacity all in use), ``declined`` (declined or missed
            this interaction while another agent was eligible), ``over_cap`` (over the
            fairness cap while an agent under it was eligible), ``matched_elsewhere`` (a
            batch decision: the same step gave all the agent's free units on the channel to
            other work, listed in ``assigned``); ``not_selected`` (the agent selector in force
            excluded the agent: ``selector`` says which condition and with which values), tested
            after ``not_in_group``; ``not_top_share`` (strategy ``performance``: outside the
            best ``top_share`` of the logged-in agents while the work has reached no widening
            step).
        score: the strategy's measure, higher is better (seconds idle for ``longest_idle``,
            proficiency sum for ``most_skilled``, minus the share in use for
            ``least_occupied``, minus the handled count for ``fewest_handled``, minus the
            distance after the last agent used for ``round_robin``); ``None`` when not
            eligible or for ``random``.
        rank: 1 for the agent chosen, 2 for the runner-up, ...; ``None`` when not eligible.
        skill_sum: proficiency summed over the required skills (``None`` if one is missing).
    """

    agent_id: str
    eligible: bool
    reason: Reason | None
    score: float | None = None
    rank: int | None = None
    skill_sum: int | None = None
    assigned: list[str] = msgspec.field(default_factory=list)
    """A batch decision: the interactions the same step offered this agent (empty for greedy
    decisions)."""
    selector: list[ConditionCheck] = msgspec.field(default_factory=list)
    """When the agent selector excluded the agent (``not_selected``): its conditions, each with
    its result and the agent's values it read (docs/rules.md)."""
    estimate: Estimate | None = None
    """Strategy ``performance``: the agent's shrunk estimate of the queue's KPI (with its
    evidence, the team's mean and the interval) that its key (``−score``) was made from."""


class BatchSummary(msgspec.Struct, frozen=True, kw_only=True):
    """The batch step (``Router.match``) a decision was part of, and what it optimised.

    Attributes:
        first_seq: the ``seq`` of the step's first offer (the state just before it is the one
            the step solved).
        waiting: interactions waiting at the step.
        free_units: units of free capacity of ready agents at the step (one per agent,
            channel and free unit).
        matched: interactions the step offered.
        level: this interaction's priority level among the waiting ones (0: least urgent).
        objective: what the step maximised, in order.
    """

    first_seq: int
    waiting: int
    free_units: int
    matched: int
    level: int
    objective: str


class Passed(msgspec.Struct, frozen=True, kw_only=True):
    """An older interaction the chosen agent could also have taken, but that was passed over.

    Attributes:
        interaction_id: the older interaction (still waiting at the decision).
        queue: its queue.
        arrived_at: its arrival time (earlier than the explained interaction's).
        effective_priority: its ``priority + aging_rate * waited`` at the decision time.
        versus: the explained interaction's effective priority at the decision time.
        reason: why it was passed over: ``"higher effective priority"`` (``versus`` is
            higher), ``"declined"`` (the chosen agent declined or missed it before), or
            ``"equal effective priority"`` / ``"lower effective priority"`` when neither
            explains it (e.g. the agent was offered work by the interaction's arrival).
    """

    interaction_id: str
    queue: str
    arrived_at: float
    effective_priority: float
    versus: float
    reason: str


class Explanation(msgspec.Struct, frozen=True, kw_only=True):
    """A routing decision and every agent's part in it.

    ``chosen`` is ``None`` when nobody could take the interaction (it waits).
    ``batch`` is set when a batch step made the decision (then ``rank`` follows the step's
    preference for this interaction: 1 for the chosen agent, and ``tie_break`` says how the
    step ranked the agents). ``ahead_of`` lists, oldest first, the waiting interactions that
    arrived before this one and that the chosen agent could also have taken (empty when
    ``chosen`` is ``None``).
    """

    interaction_id: str
    queue: str
    channel: str
    skills: dict[str, int]
    strategy: str
    at: float
    decision_seq: int | None
    chosen: str | None
    candidates: list[Candidate]
    tie_break: str
    ahead_of: list[Passed] = msgspec.field(default_factory=list)
    batch: BatchSummary | None = None
    rules: RuleTrace | None = None
    """How routing rules classified the interaction (docs/rules.md; ``None``: no rule ran)."""
    agent_selector: str | None = None
    """The agent selector in force for the decision (the queue's or a reached step's;
    ``None``: none)."""


def _reason(state: RouterState, agent: Agent, interaction: Interaction) -> Reason | None:
    if agent.presence == "logged_out":
        return "logged_out"
    if interaction.preferred and agent.agent_id not in interaction.preferred:
        return "not_preferred"
    if interaction.groups and agent.groups.isdisjoint(interaction.groups):
        return "not_in_group"
    text = selector_for(
        state.config.queue(interaction.queue), interaction.step, interaction.agent_selector
    )
    if text is not None and not state.selectors.mask(text)[agent.slot]:
        return "not_selected"
    queue = settings_for(state, interaction.queue, interaction)
    top = top_mask(
        state, interaction.queue, queue, interaction.step, targeted=bool(interaction.preferred)
    )
    if top is not None and not (agent.slot < top.shape[0] and top[agent.slot]):
        return "not_top_share"
    if not meets_skills(agent.skills, interaction.skills.items()):
        return "missing_skill"
    if agent.capacity.get(interaction.channel, 0) <= 0:
        return "no_capacity"
    if agent.presence != "ready":
        return "not_ready"
    if agent.free(interaction.channel) <= 0:
        return "busy"
    if not state.can_take(agent, interaction.channel):
        return "channel_rules"  # a held channel blocks this one, or the budget is spent
    return None


def _capped(state: RouterState, at: float) -> set[str]:
    """Agents over the fairness cap at ``at`` (as the core computes them)."""
    fairness, ledger = state.config.fairness, state.ledger
    if fairness is None or fairness.max_above_median is None or ledger is None:
        return set()
    team = [a for a in state.slots if state.agents[a].presence != "logged_out"]
    return over_cap(ledger, team, at, fairness.max_above_median)


def _effective(state: RouterState, interaction: Interaction, at: float) -> float:
    rate = state.config.queue(interaction.queue).aging_rate
    return effective_priority(interaction.priority, rate, interaction.arrived_at, at)


def _ahead_of(
    state: RouterState, interaction: Interaction, agent: Agent, at: float
) -> list[Passed]:
    """The older waiting interactions ``agent`` could also have taken: one pass, O(waiting)."""
    ours = _effective(state, interaction, at)
    mine = (interaction.arrived_at, interaction.queued_seq)
    passed: list[Passed] = []
    for queue in state.queues.values():
        for key in queue.iter_keys():
            other = state.interactions[key[3]]
            if other is interaction or other.status != "queued":
                continue
            if (other.arrived_at, other.queued_seq) >= mine or _reason(
                state, agent, other
            ) is not None:
                continue
            theirs = _effective(state, other, at)
            if agent.agent_id in other.declined_by:
                why = "declined"
            elif ours > theirs:
                why = "higher effective priority"
            elif ours == theirs:
                why = "equal effective priority"
            else:
                why = "lower effective priority"
            passed.append(
                Passed(
                    interaction_id=other.interaction_id,
                    queue=other.queue,
                    arrived_at=other.arrived_at,
                    effective_priority=theirs,
                    versus=ours,
                    reason=why,
                )
            )
    passed.sort(key=lambda p: (p.arrived_at, state.interactions[p.interaction_id].queued_seq))
    return passed


def explain_decision(
    state: RouterState,
    interaction: Interaction,
    at: float,
    decision_seq: int | None,
    *,
    chosen: str | None = None,
) -> Explanation:
    """Explain the decision for ``interaction`` made at ``at`` against ``state`` (as it was
    just before the decision, whose event is ``decision_seq``; ``None`` for "now").

    ``chosen`` names the agent the decision actually went to (default: the rules' first);
    ``ahead_of`` is computed for that agent."""
    queue = settings_for(state, interaction.queue, interaction)  # (an experiment's arm)
    strategy = by_name(queue.strategy)
    code = strategy.code
    rr_last = state.round_robin_last.get(interaction.queue, 0)
    agents = [state.agents[agent_id] for agent_id in state.slots]
    reasons = {a.agent_id: _reason(state, a, interaction) for a in agents}
    eligible = [a for a in agents if reasons[a.agent_id] is None]
    capped = _capped(state, at)
    preferred = [
        a
        for a in eligible
        if a.agent_id not in interaction.declined_by and a.agent_id not in capped
    ]
    if preferred:
        for a in eligible:
            if a.agent_id in interaction.declined_by:
                reasons[a.agent_id] = "declined"
            elif a.agent_id in capped:
                reasons[a.agent_id] = "over_cap"
    pool = preferred or eligible

    def skill_sum(agent: Agent) -> int | None:
        levels = [agent.skills.get(s) for s in interaction.skills]
        return None if any(v is None for v in levels) else sum(v for v in levels if v is not None)

    keys = state.selectors.order(queue.order_by) if queue.order_by is not None else None
    routing = queue.performance
    if routing is not None:  # the keys the kernel read (the same function of the state)
        found = performance_keys(state, interaction.queue, queue)
        keys = None if found is None else found[0]

    def order(agent: Agent) -> float:
        return float(keys[agent.slot]) if keys is not None else 0.0

    def key(agent: Agent) -> tuple[float, float, int]:
        return selection_key(
            code,
            skill_sum=skill_sum(agent) or 0,
            idle_since=agent.idle_since,
            login_order=agent.login_order,
            load=agent.load,
            handled=agent.handled,
            round_robin_last=rr_last,
            order=order(agent),
        )

    if strategy.random:
        u = uniform(
            state.config.seed, decision_seq if decision_seq is not None else state.last_seq + 1
        )
        # Pool is in slot order, as the kernel sees it; the draw picks one position.
        ranked = [pool[int(u * len(pool))]] if pool else []
        ranked += [a for a in pool if a is not ranked[0]] if pool else []
        tie_break = f"uniform draw u={u:.6f} over {len(pool)} eligible agents in slot order"
    else:
        ranked = sorted(pool, key=key)
        tie_break = strategy.tie_break
        if routing is not None:
            tie_break = (
                f"lowest key = −(estimate − team mean) / |team mean| of {routing.kpi}"
                f"{' (lower is better)' if routing.kpi == 'handle_time' else ''}"
                f" + {routing.balance:g} · over-use; {tie_break}"
            )
    rank = {a.agent_id: i + 1 for i, a in enumerate(ranked)}
    in_force = selector_for(queue, interaction.step, interaction.agent_selector)
    candidates = [
        Candidate(
            agent_id=a.agent_id,
            eligible=reasons[a.agent_id] is None,
            reason=reasons[a.agent_id],
            score=_score(queue.strategy, a, skill_sum(a), at, rr_last, state.logins, order(a))
            if a.agent_id in rank
            else None,
            rank=rank.get(a.agent_id),
            skill_sum=skill_sum(a),
            selector=_selector_trace(in_force, a) if reasons[a.agent_id] == "not_selected" else [],
            estimate=None
            if routing is None or state.book is None
            else state.book.estimate(interaction.queue, a.agent_id, routing.kpi),
        )
        for a in agents
    ]
    winner = chosen if chosen is not None else (ranked[0].agent_id if ranked else None)
    agent = state.agents.get(winner) if winner is not None else None
    return Explanation(
        interaction_id=interaction.interaction_id,
        queue=interaction.queue,
        channel=interaction.channel,
        skills=dict(interaction.skills),
        strategy=queue.strategy,
        at=at,
        decision_seq=decision_seq,
        chosen=winner,
        candidates=candidates,
        tie_break=tie_break,
        ahead_of=_ahead_of(state, interaction, agent, at) if agent is not None else [],
        agent_selector=in_force,
    )


def _selector_trace(text: str | None, agent: Agent) -> list[ConditionCheck]:
    """The selector's conditions for one agent, with its values (why it was excluded)."""
    if text is None:
        return []
    return [
        ConditionCheck(text=step.text, result=step.result, values=dict(step.values))
        for step in selector(text).explain(agent.attributes)
    ]


def _score(
    strategy: str,
    agent: Agent,
    skill_sum: int | None,
    at: float,
    rr_last: int,
    logins: int,
    order: float = 0.0,
) -> float | None:
    """The strategy's ``explain`` score of an eligible agent (``None`` for ``random``)."""
    score = by_name(strategy).score
    if score is None:
        return None
    facts = AgentFacts(
        idle_since=agent.idle_since,
        load=agent.load,
        handled=agent.handled,
        login_order=agent.login_order,
        skill_sum=skill_sum or 0,
        order=order,
    )
    return score(facts, at, rr_last, logins)
