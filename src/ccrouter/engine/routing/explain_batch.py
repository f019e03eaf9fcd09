"""Explanations of batch decisions: what the step optimised, and each agent's part in it.

A batch step (``Router.match``) assigns all waiting work to all free agents at once, so an
offer it made is not the greedy rules' first choice for that interaction alone: the agent the
strategy ranks first may have been given more urgent work, or the step may have spread work
to match more of it. :func:`explain_batch` solves the step again from the state just before
its first offer (the solver is deterministic, its ``random`` draws counter-based) and
describes the decision as the step made it: the chosen agent first, then the other agents in
the step's order of preference for this interaction, and for each agent the step gave other
work, that work.
"""

from __future__ import annotations

from collections.abc import Sequence

from ccrouter.engine.routing.batch_match import BatchRow, BatchStep, batch_row, solve_batch
from ccrouter.engine.routing.explain import (
    BatchSummary,
    Candidate,
    Explanation,
    Reason,
    _ahead_of,
    _capped,
    _reason,
    _score,
)
from ccrouter.engine.state import Interaction, RouterState

__all__ = ["OBJECTIVE", "explain_batch"]

OBJECTIVE = (
    "as many matches as possible at each priority level, most urgent level first; then "
    "pairs with an agent who declined or missed the work, or is over the fairness cap, only "
    "where that matches more; then the highest total strategy preference"
)
"""What a batch step maximises, in order (see docs/routing.md, *Batch matching*)."""


def explain_batch(
    state: RouterState,
    interaction: Interaction,
    at: float,
    decision_seq: int,
    *,
    chosen: str,
    batch_seq: int,
    offers: Sequence[tuple[str, str]] | None = None,
) -> Explanation:
    """Explain the offer of ``interaction`` to ``chosen`` (event ``decision_seq``) made by the
    batch step whose first offer is ``batch_seq``; ``state`` is the state just before
    ``batch_seq`` (the one the step solved).

    ``offers``: the step's (interaction id, agent id) pairs in row order, as it chose them
    (:class:`ccrouter.engine.batch_steps.BatchSteps` finds them in the log or its record);
    then the step is laid out and only this interaction's row set up, not solved. ``None``:
    the step is solved again (the reference the tests hold the other way to)."""
    iid = interaction.interaction_id
    capped = _capped(state, at)
    view: BatchRow | None
    channel = interaction.channel
    if offers is None:
        step = solve_batch(state, at, capped)
        view, offers = (None, []) if step is None else (step.row(iid), step.offers())
        left = _left_by_columns(step, channel)
    else:
        view = batch_row(state, at, capped, iid)
        left = _left_by_offers(state, view, offers, channel)
    return _explain(state, interaction, at, decision_seq, chosen, batch_seq, view, offers, left)


def _explain(
    state: RouterState,
    interaction: Interaction,
    at: float,
    decision_seq: int,
    chosen: str,
    batch_seq: int,
    view: BatchRow | None,
    offers: Sequence[tuple[str, str]],
    left: dict[str, int],
) -> Explanation:
    iid = interaction.interaction_id
    queue = state.config.queue(interaction.queue)
    rr_last = state.round_robin_last.get(interaction.queue, 0)
    agents = [state.agents[agent_id] for agent_id in state.slots]
    reasons: dict[str, Reason | None] = {a.agent_id: _reason(state, a, interaction) for a in agents}
    assigned = _assigned(offers)
    preference = view.preference if view is not None else {}
    soft = set(view.soft) if view is not None else set()
    for a in agents:
        aid = a.agent_id
        if aid == chosen or reasons[aid] is not None:
            continue
        if left.get(aid, 0) <= 0 and assigned.get(aid):
            reasons[aid] = "matched_elsewhere"
        elif aid in soft:
            reasons[aid] = "declined" if aid in interaction.declined_by else "over_cap"
    reasons[chosen] = None

    def weight(aid: str) -> tuple[int, int, int]:
        # The step's own order for this row: non-soft pairs first, then preference.
        return (aid != chosen, aid in soft, -preference.get(aid, 0))

    ranked = sorted((a.agent_id for a in agents if reasons[a.agent_id] is None), key=weight)
    rank = {aid: r + 1 for r, aid in enumerate(ranked)}

    def skill_sum(aid: str) -> int | None:
        levels = [state.agents[aid].skills.get(s) for s in interaction.skills]
        return None if any(v is None for v in levels) else sum(v for v in levels if v is not None)

    candidates = [
        Candidate(
            agent_id=a.agent_id,
            eligible=reasons[a.agent_id] is None,
            reason=reasons[a.agent_id],
            score=_score(queue.strategy, a, skill_sum(a.agent_id), at, rr_last, state.logins)
            if a.agent_id in rank
            else None,
            rank=rank.get(a.agent_id),
            skill_sum=skill_sum(a.agent_id),
            assigned=assigned.get(a.agent_id, []),
        )
        for a in agents
    ]
    if view is not None and view.draw is not None:
        pool = len([aid for aid in preference if aid not in soft] or preference)
        tie_break = (
            f"batch step: uniform draw u={view.draw:.6f} over {pool} agents with a free "
            "unit, in slot order; the drawn agent is preferred most, then the others round "
            "the slot order"
        )
    else:
        order = (
            "longest idle, then login order"
            if queue.strategy == "longest_idle"
            else f"{queue.strategy}, then longest idle, then login order"
        )
        tie_break = f"batch step: preference ranked by {order}, all ranked before the step"
    summary = BatchSummary(
        first_seq=batch_seq,
        waiting=view.waiting if view is not None else 0,
        free_units=len(view.columns) if view is not None else 0,
        matched=len(offers),
        level=view.level if view is not None else 0,
        objective=OBJECTIVE,
    )
    return Explanation(
        interaction_id=iid,
        queue=interaction.queue,
        channel=interaction.channel,
        skills=dict(interaction.skills),
        strategy=queue.strategy,
        at=at,
        decision_seq=decision_seq,
        chosen=chosen,
        candidates=candidates,
        tie_break=tie_break,
        ahead_of=_ahead_of(state, interaction, state.agents[chosen], at),
        batch=summary,
    )


def _assigned(offers: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Per agent, the interactions the step offered it, in row order."""
    out: dict[str, list[str]] = {}
    for iid, aid in offers:
        out.setdefault(aid, []).append(iid)
    return out


def _left_by_columns(step: BatchStep | None, channel: str) -> dict[str, int]:
    """Per agent, its free units on ``channel`` the solved step left unused."""
    left: dict[str, int] = {}
    if step is None:
        return left
    used = {col for col in step.chosen if col >= 0}
    for col, (aid, ch) in enumerate(step.columns):
        if ch == channel:
            left[aid] = left.get(aid, 0) + (col not in used)
    return left


def _left_by_offers(
    state: RouterState, view: BatchRow | None, offers: Sequence[tuple[str, str]], channel: str
) -> dict[str, int]:
    """As :func:`_left_by_columns`, from the step's pairs (the step not solved): an agent's
    columns on ``channel`` less its pairs of work on ``channel`` (a row only ever takes a
    column of its own channel, and an agent's columns on a channel are alike)."""
    left: dict[str, int] = {}
    if view is None:
        return left
    for aid, ch in view.columns:
        if ch == channel:
            left[aid] = left.get(aid, 0) + 1
    for iid, aid in offers:
        if state.interactions[iid].channel == channel:
            left[aid] -= 1
    return left
