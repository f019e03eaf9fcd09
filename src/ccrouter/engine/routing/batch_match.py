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

from typing import NamedTuple

import msgspec
import numpy as np
import numpy.typing as npt

from ccrouter.engine.performance_routing import performance_keys
from ccrouter.engine.records import effective_priority, meets_skills
from ccrouter.engine.routing.batch import assign
from ccrouter.engine.routing.selectors import selector_for
from ccrouter.engine.routing.strategies import by_name, selection_key, uniform
from ccrouter.engine.state import Agent, Interaction, RouterState

__all__ = ["BatchRow", "BatchStep", "batch_offers", "batch_row", "solve_batch"]


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

    def row(self, interaction_id: str) -> BatchRow:
        """What the step set up for ``interaction_id``'s row (see :class:`BatchRow`)."""
        columns = list(self.columns)
        if interaction_id not in self.work:
            return BatchRow(first_seq=self.first_seq, waiting=len(self.work), columns=columns)
        r = self.work.index(interaction_id)
        return BatchRow(
            first_seq=self.first_seq,
            waiting=len(self.work),
            columns=columns,
            row=r,
            level=self.level[r],
            preference=self.preference[r],
            soft=self.soft[r],
            draw=self.draws.get(r),
        )


class BatchRow(msgspec.Struct, frozen=True, kw_only=True):
    """One row of a batch step and the step's shape, as it was set up (before the solve).

    Attributes:
        first_seq: as :attr:`BatchStep.first_seq`.
        waiting: the step's rows (waiting interactions).
        columns: the step's columns (one ``(agent id, channel)`` per free unit).
        row: the row's index in routing order (``None``: the interaction was not waiting;
            the fields below then keep their defaults).
        level: the row's priority level.
        preference: each fitting agent's strategy preference for the row.
        soft: the row's soft-excluded agents.
        draw: the row's uniform draw (``None``: not a ``random`` queue).
    """

    first_seq: int
    waiting: int
    columns: list[tuple[str, str]]
    row: int | None = None
    level: int = 0
    preference: dict[str, int] = msgspec.field(default_factory=dict)
    soft: list[str] = msgspec.field(default_factory=list)
    draw: float | None = None


def batch_offers(state: RouterState, at: float, capped: set[str]) -> list[tuple[str, str]]:
    """The (interaction id, agent id) offers of one optimal batch step at ``at``, in routing
    order of the interactions. ``capped``: agents over the fairness cap (soft-excluded)."""
    step = solve_batch(state, at, capped)
    return [] if step is None else step.offers()


def solve_batch(state: RouterState, at: float, capped: set[str]) -> BatchStep | None:
    """Solve one batch step at ``at`` over ``state`` (``None``: no waiting work or no free
    unit). Pure: the same state gives the same step (``explain`` solves it again)."""
    layout = _layout(state, at)
    if layout is None:
        return None
    work, columns = layout.work, layout.columns
    n_work, n_cols = len(work), len(columns)
    allowed = np.zeros((n_work, n_cols), dtype=np.bool_)
    score = np.zeros((n_work, n_cols), dtype=np.int64)
    # A soft-excluded pair loses to any other, whatever the preferences add up to.
    bonus = n_work * (len(layout.agents) + 1) + 1
    preferences: list[dict[str, int]] = []
    softs: list[list[str]] = []
    draws: dict[int, float] = {}
    for row, interaction in enumerate(work):
        preference, soft, draw = _row(state, layout, row, capped)
        if draw is not None:
            draws[row] = draw
        preferences.append(preference)
        softs.append(soft)
        for col, (agent, channel) in enumerate(columns):
            points = preference.get(agent.agent_id)
            if channel != interaction.channel or points is None:
                continue
            allowed[row, col] = True
            score[row, col] = points + (0 if agent.agent_id in soft else bonus)
    chosen = assign(allowed, score, np.array(layout.level, dtype=np.int64))
    return BatchStep(
        first_seq=layout.first,
        work=[i.interaction_id for i in work],
        columns=[(agent.agent_id, channel) for agent, channel in columns],
        level=list(layout.level),
        preference=preferences,
        soft=softs,
        draws=draws,
        chosen=chosen.tolist(),
    )


def batch_row(
    state: RouterState, at: float, capped: set[str], interaction_id: str
) -> BatchRow | None:
    """What a batch step at ``at`` over ``state`` sets up for ``interaction_id``'s row,
    without solving the step (``None``: no step, as :func:`solve_batch`): the same values
    :meth:`BatchStep.row` reads from the solved step, for the cost of laying out the step
    and one row (``explain`` of a batch decision takes the step's offers from the log)."""
    layout = _layout(state, at)
    if layout is None:
        return None
    columns = [(agent.agent_id, channel) for agent, channel in layout.columns]
    row = next((r for r, i in enumerate(layout.work) if i.interaction_id == interaction_id), None)
    if row is None:
        return BatchRow(first_seq=layout.first, waiting=len(layout.work), columns=columns)
    preference, soft, draw = _row(state, layout, row, capped)
    return BatchRow(
        first_seq=layout.first,
        waiting=len(layout.work),
        columns=columns,
        row=row,
        level=layout.level[row],
        preference=preference,
        soft=soft,
        draw=draw,
    )


class _Layout(NamedTuple):
    """A step's rows and columns, before any row's preferences."""

    first: int
    work: list[Interaction]
    agents: list[Agent]
    """The ready agents, in slot order."""
    columns: list[tuple[Agent, str]]
    open_channels: set[tuple[str, str]]
    level: list[int]


def _layout(state: RouterState, at: float) -> _Layout | None:
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
    effective = [_effective(state, i, at) for i in work]
    ranks = {p: r for r, p in enumerate(sorted(set(effective)))}
    return _Layout(
        first=state.last_seq + 1,
        work=work,
        agents=agents,
        columns=columns,
        open_channels={(agent.agent_id, channel) for agent, channel in columns},
        level=[ranks[p] for p in effective],
    )


def _row(
    state: RouterState, layout: _Layout, row: int, capped: set[str]
) -> tuple[dict[str, int], list[str], float | None]:
    """Row ``row``'s preference per fitting agent, its soft-excluded agents and its
    ``random`` draw (``None``: not a ``random`` queue)."""
    interaction = layout.work[row]
    settings = state.config.queue(interaction.queue)
    text = selector_for(settings, interaction.step, interaction.agent_selector)
    mask = None if text is None else state.selectors.mask(text)
    fitting = [a for a in layout.agents if _fits(a, interaction, mask)]
    soft = [
        a.agent_id for a in fitting if a.agent_id in interaction.declined_by or a.agent_id in capped
    ]
    if by_name(settings.strategy).random:
        # The draw is over the agents with a free unit on the row's channel, so that
        # each of them is equally likely to come first.
        u = uniform(state.config.seed, layout.first + row)
        pool = [a for a in fitting if (a.agent_id, interaction.channel) in layout.open_channels]
        return _drawn(pool, set(soft), u), soft, u
    return _preference(state, interaction, fitting), soft, None


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
