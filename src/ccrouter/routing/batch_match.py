"""Batch matching over the router's state: build the arrays, solve, name the pairs.

:func:`batch_offers` lays out every waiting interaction (rows) against every unit of free
capacity of every ready agent (columns), then calls :func:`ccrouter.routing.batch.assign`:

* **allowed**: the channel matches, the agent may take work on it now (free capacity and
  the omnichannel rules, ``RouterState.can_take``), meets every required skill minimum, and
  the interaction is not targeted at other agents (channel rules that couple an agent's
  channels are checked again as the offers are made: see :func:`ccrouter.core.match`);
* **level**: the rank of the interaction's effective priority (``priority + aging_rate *
  waited``) among the waiting ones: a more urgent item is never left waiting while an agent
  able to take it serves less urgent work;
* **score**: first, not being a *soft-excluded* pair (an agent that declined or missed the
  interaction, or is over the fairness cap) outweighs any preference, as in greedy routing
  where such an agent is chosen only when nobody else is eligible; then the queue's strategy:
  the agent the strategy ranks first among the interaction's allowed agents scores most
  (``random`` queues score every agent alike: the solver's fixed tie-break decides).

Rows are in routing order (effective priority, arrival, submission) and columns in slot
order, so the same state always yields the same offers.
"""

from __future__ import annotations

import numpy as np

from ccrouter.routing.batch import assign
from ccrouter.routing.reference import selection_key
from ccrouter.routing.strategies import CODES, RANDOM
from ccrouter.state import Agent, Interaction, RouterState

__all__ = ["batch_offers"]


def batch_offers(state: RouterState, at: float, capped: set[str]) -> list[tuple[str, str]]:
    """The (interaction id, agent id) offers of one optimal batch step at ``at``, in routing
    order of the interactions. ``capped``: agents over the fairness cap (soft-excluded)."""
    work = sorted(
        state.waiting(),
        key=lambda i: (-_effective(state, i, at), i.arrived_at, i.queued_seq),
    )
    if not work:
        return []
    agents = [state.agents[a] for a in state.slots if state.agents[a].presence == "ready"]
    columns: list[tuple[Agent, str]] = []
    for agent in agents:
        for channel in sorted(agent.capacity):
            if not state.can_take(agent, channel):  # capacity and omnichannel rules
                continue
            # More units than items could never all be used (capacity may be large).
            columns += [(agent, channel)] * min(agent.free(channel), len(work))
    if not columns:
        return []
    n_work, n_cols = len(work), len(columns)
    allowed = np.zeros((n_work, n_cols), dtype=np.bool_)
    score = np.zeros((n_work, n_cols), dtype=np.int64)
    effective = [_effective(state, i, at) for i in work]
    ranks = {p: r for r, p in enumerate(sorted(set(effective)))}
    level = np.array([ranks[p] for p in effective], dtype=np.int64)
    # A soft-excluded pair loses to any other, whatever the preferences add up to.
    bonus = n_work * (len(agents) + 1) + 1
    for row, interaction in enumerate(work):
        fits = {a.agent_id: _fits(a, interaction) for a in agents}
        preference = _preference(state, interaction, [a for a in agents if fits[a.agent_id]])
        for col, (agent, channel) in enumerate(columns):
            if channel != interaction.channel or not fits[agent.agent_id]:
                continue
            allowed[row, col] = True
            soft = agent.agent_id in interaction.declined_by or agent.agent_id in capped
            score[row, col] = preference[agent.agent_id] + (0 if soft else bonus)
    chosen = assign(allowed, score, level)
    return [
        (work[row].interaction_id, columns[col][0].agent_id)
        for row, col in enumerate(chosen.tolist())
        if col >= 0
    ]


def _effective(state: RouterState, interaction: Interaction, at: float) -> float:
    rate = state.config.queue(interaction.queue).aging_rate
    return interaction.priority + rate * (at - interaction.arrived_at)


def _fits(agent: Agent, interaction: Interaction) -> bool:
    if interaction.preferred and agent.agent_id not in interaction.preferred:
        return False
    if interaction.groups and agent.groups.isdisjoint(interaction.groups):
        return False
    return all(agent.skills.get(s, -1) >= level for s, level in interaction.skills.items())


def _preference(
    state: RouterState, interaction: Interaction, agents: list[Agent]
) -> dict[str, int]:
    """Per agent, how much the queue's strategy prefers it: ``len(agents)`` for its first
    choice down to 1 for its last (all 0 for ``random``)."""
    queue = interaction.queue
    code = CODES[state.config.queue(queue).strategy]
    if code == RANDOM:
        return {a.agent_id: 0 for a in agents}
    rr_last = state.round_robin_last.get(queue, 0)

    def key(agent: Agent) -> tuple[float, float, int]:
        return selection_key(
            code,
            skill_sum=sum(agent.skills.get(s, 0) for s in interaction.skills),
            idle_since=agent.idle_since,
            login_order=agent.login_order,
            load=agent.load,
            handled=agent.handled,
            round_robin_last=rr_last,
        )

    ranked = sorted(agents, key=key)
    return {a.agent_id: len(ranked) - r for r, a in enumerate(ranked)}
