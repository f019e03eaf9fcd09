"""Batch matching over the router's state: build the arrays, solve, name the pairs.

:func:`batch_offers` lays out every waiting interaction (rows) against every unit of free
capacity of every ready agent (columns), then calls :func:`ccrouter.engine.routing.batch.assign`:

* **allowed**: the channel matches, the agent may take work on it now (free capacity and
  the omnichannel rules, ``RouterState.can_take``), meets every required skill minimum and
  the agent selector in force (docs/rules.md), and the interaction is not targeted at other
  agents (channel rules that couple an agent's
  channels are checked again as the offers are made: see :func:`ccrouter.engine.core.match`);
* **level**: the rank of the interaction's effective priority (``priority + aging_rate *
  waited``) among the waiting ones: a more urgent item is never left waiting while an agent
  able to take it serves less urgent work;
* **score**: first, not being a *soft-excluded* pair (an agent that declined or missed the
  interaction, or is over the fairness cap) outweighs any preference, as in greedy routing
  where such an agent is chosen only when nobody else is eligible; then the queue's strategy:
  the agent the strategy ranks first among the interaction's allowed agents scores most
  (``order_by`` ranks by the queue's ordering of agent attributes).
  ``random`` queues draw: row ``r`` of the step takes the counter-based uniform
  ``uniform(seed, first + r)`` (``first``: the ``seq`` the step's first offer gets, so the
  draw is reproducible and independent of earlier draws, as in greedy routing), picks one
  agent of the row's pool (the agents with a free unit on its channel that it fits, not
  soft-excluded if any is not; in slot order) and ranks the pool from that agent on, round
  the slot order.

Rows are in routing order (effective priority, arrival, submission) and columns in slot
order, so the same state always yields the same offers.
"""

from __future__ import annotations

import msgspec
import numpy as np
import numpy.typing as npt

from ccrouter.engine.performance_routing import performance_keys
from ccrouter.engine.records import effective_priority, meets_skills
from ccrouter.engine.routing.batch import assign
from ccrouter.engine.routing.selectors import selector_for
from ccrouter.engine.routing.strategies import by_name, selection_key, uniform
from ccrouter.engine.state import Agent, Interaction, RouterState

__all__ = ["BatchStep", "batch_offers", "solve_batch"]


class BatchStep(msgspec.Struct, frozen=True, kw_only=True):
    """One solved batch step: the arrays the solver saw and what it chose.

    Attributes:
        first_seq: the ``seq`` the step's first offer gets (``state.last_seq + 1``): the
            ``batch_seq`` of its offers and the counter of its ``random`` draws.
        work: the waiting interactions, in routing order (the rows).
        columns: one ``(agent id, channel)`` per unit of free capacity (the columns).
        level: per row, the rank of its effective priority (higher: more urgent).
        preference: per row, each fitting agent's strategy preference (its count of agents
            for the first choice down to 1).
        soft: per row, the fitting agents that are soft-excluded (declined, missed, over cap).
        draws: per row of a ``random`` queue, its uniform draw (absent for other queues).
        chosen: per row, the column it got (``-1``: it keeps waiting).
    """

    first_seq: int
    work: list[str]
    columns: list[tuple[str, str]]
    level: list[int]
    preference: list[dict[str, int]]
    soft: list[list[str]]
    draws: dict[int, float]
    chosen: list[int]

    def offers(self) -> list[tuple[str, str]]:
        """The (interaction id, agent id) pairs chosen, in row order."""
        return [
            (self.work[row], self.columns[col][0])
            for row, col in enumerate(self.chosen)
            if col >= 0
        ]


def batch_offers(state: RouterState, at: float, capped: set[str]) -> list[tuple[str, str]]:
    """The (interaction id, agent id) offers of one optimal batch step at ``at``, in routing
    order of the interactions. ``capped``: agents over the fairness cap (soft-excluded)."""
    step = solve_batch(state, at, capped)
    return [] if step is None else step.offers()


def solve_batch(state: RouterState, at: float, capped: set[str]) -> BatchStep | None:
    """Solve one batch step at ``at`` over ``state`` (``None``: no waiting work or no free
    unit). Pure: the same state gives the same step (``explain`` solves it again)."""
    work = sorted(
        state.waiting(),
        key=lambda i: (-_effective(state, i, at), i.arrived_at, i.queued_seq),
    )
    if not work:
        return None
    agents = [state.agents[a] for a in state.slots if state.agents[a].presence == "ready"]
    columns: list[tuple[Agent, str]] = []
    for agent in agents:
        for channel in sorted(agent.capacity):
            if not state.can_take(agent, channel):  # capacity and omnichannel rules
                continue
            # More units than items could never all be used (capacity may be large).
            columns += [(agent, channel)] * min(agent.free(channel), len(work))
    if not columns:
        return None
    first = state.last_seq + 1
    n_work, n_cols = len(work), len(columns)
    open_channels = {(agent.agent_id, channel) for agent, channel in columns}
    allowed = np.zeros((n_work, n_cols), dtype=np.bool_)
    score = np.zeros((n_work, n_cols), dtype=np.int64)
    effective = [_effective(state, i, at) for i in work]
    ranks = {p: r for r, p in enumerate(sorted(set(effective)))}
    level = np.array([ranks[p] for p in effective], dtype=np.int64)
    # A soft-excluded pair loses to any other, whatever the preferences add up to.
    bonus = n_work * (len(agents) + 1) + 1
    preferences: list[dict[str, int]] = []
    softs: list[list[str]] = []
    draws: dict[int, float] = {}
    for row, interaction in enumerate(work):
        settings = state.config.queue(interaction.queue)
        text = selector_for(settings, interaction.step, interaction.agent_selector)
        mask = None if text is None else state.selectors.mask(text)
        fitting = [a for a in agents if _fits(a, interaction, mask)]
        soft = [
            a.agent_id
            for a in fitting
            if a.agent_id in interaction.declined_by or a.agent_id in capped
        ]
        if by_name(settings.strategy).random:
            # The draw is over the agents with a free unit on the row's channel, so that
            # each of them is equally likely to come first.
            draws[row] = u = uniform(state.config.seed, first + row)
            pool = [a for a in fitting if (a.agent_id, interaction.channel) in open_channels]
            preference = _drawn(pool, set(soft), u)
        else:
            preference = _preference(state, interaction, fitting)
        preferences.append(preference)
        softs.append(soft)
        for col, (agent, channel) in enumerate(columns):
            points = preference.get(agent.agent_id)
            if channel != interaction.channel or points is None:
                continue
            allowed[row, col] = True
            score[row, col] = points + (0 if agent.agent_id in soft else bonus)
    chosen = assign(allowed, score, level)
    return BatchStep(
        first_seq=first,
        work=[i.interaction_id for i in work],
        columns=[(agent.agent_id, channel) for agent, channel in columns],
        level=level.tolist(),
        preference=preferences,
        soft=softs,
        draws=draws,
        chosen=chosen.tolist(),
    )


def _effective(state: RouterState, interaction: Interaction, at: float) -> float:
    rate = state.config.queue(interaction.queue).aging_rate
    return effective_priority(interaction.priority, rate, interaction.arrived_at, at)


def _fits(agent: Agent, interaction: Interaction, mask: npt.NDArray[np.uint8] | None) -> bool:
    if interaction.preferred and agent.agent_id not in interaction.preferred:
        return False
    if mask is not None and not mask[agent.slot]:  # the agent selector in force
        return False
    if interaction.groups and agent.groups.isdisjoint(interaction.groups):
        return False
    return meets_skills(agent.skills, interaction.skills.items())


def _drawn(agents: list[Agent], soft: set[str], u: float) -> dict[str, int]:
    """A ``random`` row's preference: the draw ``u`` picks one agent of the pool (those not
    soft-excluded, or all if every one is; in slot order, as greedy ``random`` draws), and
    the pool is ranked from it on, round the slot order (the soft-excluded ones after)."""
    pool = [a for a in agents if a.agent_id not in soft] or agents
    if not pool:
        return {}
    start = int(u * len(pool))
    ranked = pool[start:] + pool[:start] + [a for a in agents if a not in pool]
    return {a.agent_id: len(ranked) - r for r, a in enumerate(ranked)}


def _preference(
    state: RouterState, interaction: Interaction, agents: list[Agent]
) -> dict[str, int]:
    """Per agent, how much the queue's strategy prefers it: ``len(agents)`` for its first
    choice down to 1 for its last."""
    queue = interaction.queue
    settings = state.config.queue(queue)
    code = by_name(settings.strategy).code
    rr_last = state.round_robin_last.get(queue, 0)
    # The ordering key the strategy reads, as greedy routing reads it: the performance
    # strategy's estimates (its best-share mask is not applied by a batch step) or order_by's.
    keys = None
    if settings.performance:
        found = performance_keys(state, queue, settings)
        keys = None if found is None else found[0]
    elif settings.order_by is not None:
        keys = state.selectors.order(settings.order_by)

    def key(agent: Agent) -> tuple[float, float, int]:
        return selection_key(
            code,
            skill_sum=sum(agent.skills.get(s, 0) for s in interaction.skills),
            idle_since=agent.idle_since,
            login_order=agent.login_order,
            load=agent.load,
            handled=agent.handled,
            round_robin_last=rr_last,
            order=0.0 if keys is None else float(keys[agent.slot]),
        )

    ranked = sorted(agents, key=key)
    return {a.agent_id: len(ranked) - r for r, a in enumerate(ranked)}
