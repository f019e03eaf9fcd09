"""The decision core: commands in, events out. No clock, no randomness source, no I/O.

:func:`execute` runs one command at time ``at``:

1. :func:`validate` checks the command against the state as it will be at ``at`` (after due
   timers) and raises before anything changes;
2. timers due at or before ``at`` fire, in time order, each at its own due time;
3. :func:`decide` turns the command into its events;
4. routing proposes offers until no eligible agent idles while work it could take waits.

Every event is applied to the state as soon as it is made (``state.apply`` is the only
mutation), so each decision sees the facts before it. Routing decisions are events
(``InteractionOffered``), so a replay applies them and never decides again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from ccrouter.commands import (
    Abandon,
    Accept,
    AcceptTransfer,
    Command,
    Complete,
    Decline,
    DeclineTransfer,
    EndWrapUp,
    Logout,
    Ready,
    Reconfigure,
    Submit,
    Transfer,
    Update,
    UpdateAgent,
)
from ccrouter.config import QueueConfig
from ccrouter.engine.channels import blocked, interruptible
from ccrouter.engine.decisions import decide
from ccrouter.engine.experiments import settings_for
from ccrouter.engine.performance_routing import (
    in_best_share,
    performance_model,
    pick_in_share,
    top_mask,
)
from ccrouter.engine.policies import POLICIES, POLICY_TIMERS
from ccrouter.engine.records import meets_skills, urgency
from ccrouter.engine.routing.batch_match import BatchStep, solve_batch
from ccrouter.engine.routing.match import Model, select_agent
from ccrouter.engine.routing.selectors import NO_MASK, NO_ORDER, selector_for
from ccrouter.engine.routing.strategies import uniform
from ccrouter.engine.state import Agent, Interaction, RouterState
from ccrouter.engine.validation import MAX_PROFICIENCY, check_time, validate
from ccrouter.errors import InvalidTransition, TooManyEvents
from ccrouter.events import (
    AgentNotReady,
    Event,
    InteractionAbandoned,
    InteractionCompleted,
    InteractionOffered,
    InteractionPaused,
    InteractionResumed,
    InteractionTargetExpired,
    InteractionTransferred,
    OfferAccepted,
    OfferDeclined,
    OfferRevoked,
    OfferTimedOut,
    TransferAccepted,
    TransferDeclined,
    WrapUpEnded,
)
from ccrouter.limits import MAX_EVENTS

__all__ = [
    "MAX_PROFICIENCY",
    "NO_ANSWER",
    "advance",
    "best_interaction_for",
    "capped_agents",
    "consult_target",
    "decide",
    "execute",
    "fire_due_timers",
    "match",
    "validate",
]

NO_ANSWER = "no_answer"
"""The not-ready reason given after ``max_no_answer`` consecutive missed offers."""


def execute(
    state: RouterState, command: Command, at: float, *, backend: str | None = None
) -> list[Event]:
    """Run ``command`` at time ``at``; return the events made (already applied to ``state``).

    ``backend`` (``"numba"`` or ``"python"``: how agents are selected) is carried on the
    state (``state.backend``) for every decision this and later calls make; ``None`` keeps
    the state's (``"numba"`` unless set).

    Raises:
        CCRouterError: a subclass naming what is wrong; ``state`` is then unchanged, except
            in the rare case where the timers due by ``at`` made the command invalid (the
            timers' events are then applied to ``state`` but not returned: the caller,
            like :class:`~ccrouter.router.Router`, rebuilds the state from its log).
    """
    validate(state, command, at)
    if backend is not None:
        state.backend = backend
    at = float(at)
    out: list[Event] = []
    fire_due_timers(state, at, out)
    if out:
        # A timer's routing (a target expiry offering work, auto-accepted) may have made the
        # command invalid (a logout now connected): check again. This raises after the
        # timers changed the state; the router then rebuilds its state from the log.
        validate(state, command, at)
    if type(command) is Transfer and command.mode == "consult" and command.to_agent is None:
        command = _consult_in_queue(state, command, at)
    if isinstance(command, Submit):
        # Between queuing the new interaction and routing it nothing reads the queue groups:
        # it is filed in its group only if it still waits.
        state.defer_filing()
        try:
            for event in decide(state, command, at):
                _emit(state, event, out)
            _route_after(state, command, at, out)
        finally:
            state.file_deferred()
    else:
        for event in decide(state, command, at):
            _emit(state, event, out)
        # The command may have set timers already due: a blind transfer into a queue whose
        # max_wait (counted from the arrival, which travels with the work) has passed, a
        # reconfigure whose new limits or steps are behind the waiting work, work back from
        # a declined or revoked offer. They fire now, before routing, so that work that
        # has to exit does, instead of being offered first (docs/routing.md).
        fire_due_timers(state, at, out)
        _route_after(state, command, at, out)
    # Whatever is due now fires with the command that made it due (a widening step at 0 s
    # of a new arrival, an empty queue's exit after the last able agent logs out), not at
    # the next command: queries in between see the state the rules say.
    fire_due_timers(state, at, out)
    state.now = max(state.now, at)
    return out


def match(
    state: RouterState,
    at: float,
    *,
    backend: str | None = None,
    on_step: Callable[[BatchStep], object] | None = None,
) -> list[Event]:
    """Fire the timers due by ``at``, then assign all waiting work to all free agents in one
    optimal step (:func:`~ccrouter.engine.routing.batch_match.solve_batch`); return the events made.
    The step's offers record it (``InteractionOffered.batch_seq``); those of the greedy pass
    after it (see below) do not.

    Meant for ``matching = "batch"`` (where nothing else routes), harmless in greedy mode
    (where no free agent idles while work it could take waits, so it usually offers nothing).
    ``on_step``: called with the solved step (explain keeps what the log may not tell of it).
    """
    check_time(state, at)
    if backend is not None:
        state.backend = backend
    at = float(at)
    out: list[Event] = []
    fire_due_timers(state, at, out)
    capped = set(capped_agents(state, at))
    step = solve_batch(state, at, capped)
    if step is not None and on_step is not None:
        on_step(step)
    first = state.last_seq + 1  # the step's first offer: its batch_seq
    for iid, aid in step.offers() if step is not None else []:
        interaction = state.interactions[iid]
        # Omnichannel rules couple an agent's channels (a voice call may block chats, a
        # budget is shared), which the assignment does not model: a pair the rules refuse
        # once earlier offers are made is skipped, and the agents left free get a greedy
        # pass below. Without channel rules every pair holds and the pass finds nothing.
        if state.can_take(state.agents[aid], interaction.channel):
            # batch_seq: explain solves the step again from the state before its first offer.
            _offer(state, interaction, aid, at, out, batch_seq=first)
    for aid in state.slots:
        _take_work(state, aid, at, out)
    state.now = max(state.now, at)
    return out


def advance(state: RouterState, at: float, *, backend: str | None = None) -> list[Event]:
    """Fire every timer due at or before ``at``; return the events made (``backend`` as for
    :func:`execute`)."""
    check_time(state, at)
    if backend is not None:
        state.backend = backend
    at = float(at)
    out: list[Event] = []
    fire_due_timers(state, at, out)
    state.now = max(state.now, at)
    return out


def _emit(state: RouterState, event: Event, out: list[Event]) -> None:
    state.apply(event)
    out.append(event)
    if type(event) in _INTERRUPTS:
        _interruptions(state, event, out)


_INTERRUPTS = (OfferAccepted, TransferAccepted, InteractionCompleted, InteractionTransferred)


def _interruptions(state: RouterState, event: Event, out: list[Event]) -> None:
    """Omnichannel rules: work that ends for an agent resumes what it had paused; work
    connected on a channel that the rules would block unless interruptible work is paused
    pauses that work (every connected, unpaused interaction of the agent on a channel
    ``interruptible_by`` the new one's)."""
    assert isinstance(
        event, OfferAccepted | TransferAccepted | InteractionCompleted | InteractionTransferred
    )
    iid, at = event.interaction_id, event.at
    if not isinstance(event, OfferAccepted):  # the agent who had it is done with it
        # (whatever the rules are now: work paused under earlier rules resumes too)
        agent = state.agents[event.agent_id]
        for other in list(agent.connected):
            if state.interactions[other].paused_by == iid:
                resumed = InteractionResumed(
                    seq=state.last_seq + 1, at=at, interaction_id=other, agent_id=agent.agent_id
                )
                _emit(state, resumed, out)
    if isinstance(event, InteractionCompleted | InteractionTransferred):
        return
    if not state.config.channels:
        return
    aid = event.agent_id if isinstance(event, OfferAccepted) else event.to_agent
    agent = state.agents[aid]
    channel = state.interactions[iid].channel
    before = dict(agent.in_use)
    before[channel] -= 1
    config = state.config
    if not blocked(config, before, channel, agent.budget):
        return
    for other, held in list(agent.connected.items()):
        if (
            other != iid
            and state.interactions[other].paused_by is None
            and interruptible(config, held, channel)
        ):
            paused = InteractionPaused(
                seq=state.last_seq + 1, at=at, interaction_id=other, agent_id=aid, by=iid
            )
            _emit(state, paused, out)


def fire_due_timers(
    state: RouterState, at: float, out: list[Event], *, backend: str | None = None
) -> None:
    """Fire every timer due at or before ``at``, in due order, each at its due time.

    ``backend`` (as for :func:`execute`) is carried on the state.

    Raises:
        TooManyEvents: more than ``limits.MAX_EVENTS`` events would be made (the timers
            already fired have changed ``state``: the caller rebuilds it, as the router does).
    """
    if backend is not None:
        state.backend = backend
    # Bound: every handler removes its timer and appends at least one event to `out`, so
    # the loop runs at most MAX_EVENTS times before it raises. Progress is also guaranteed
    # without the limit: a timer re-armed by a handler is due at its nominal time (arrival +
    # a configured duration) or later, and every duration is 0 or at least MIN_DURATION while
    # every time is within ±MAX_TIME (ccrouter.limits), so `t + d > t`. Chains at one
    # instant are finite: 0-duration steps are finitely many per queue, and an overflow
    # cycle that passes work on at once is refused by the config. The limit makes a long
    # span (an overflow back to the same queue every 30 s, advanced by years) fail fast and
    # typed instead of filling memory.
    while state.timers and state.timers[0][0] <= at:
        if len(out) >= MAX_EVENTS:
            msg = (
                f"advancing to `at`={at:g} fires timers without end in sight (more than "
                f"{MAX_EVENTS} events, next due at {state.timers[0][0]:g}); nothing was changed: "
                "advance in smaller steps"
            )
            raise TooManyEvents(msg)
        due, _, kind, iid = state.timers[0]
        _TIMERS[kind](state, state.interactions[iid], due, out)


def _offer_expired(
    state: RouterState, interaction: Interaction, due: float, out: list[Event]
) -> None:
    iid, aid = interaction.interaction_id, interaction.agent_id
    assert aid is not None
    _emit(
        state, OfferTimedOut(seq=state.last_seq + 1, at=due, interaction_id=iid, agent_id=aid), out
    )
    agent = state.agents[aid]
    if agent.misses >= state.config.max_no_answer and agent.presence == "ready":
        event = AgentNotReady(seq=state.last_seq + 1, at=due, agent_id=aid, reason=NO_ANSWER)
        _emit(state, event, out)
    # Back in its queue: a step or limit whose time passed while it rang is due now and
    # fires before anyone is offered it (a max_wait passed exits, docs/routing.md).
    _fire_own_policy_timers(state, iid, due, out)
    _route_interaction(state, iid, due, out)
    _route_agent(state, aid, due, out)


_POLICY_KINDS = POLICY_TIMERS


def _fire_own_policy_timers(state: RouterState, iid: str, at: float, out: list[Event]) -> None:
    """Fire the policy timers of interaction ``iid`` due by ``at``, earliest first.

    Bounded: each handler's event cancels its timer; new ones due by ``at`` come only from
    the next widening step (finitely many) or an overflow into a queue whose limit has
    passed, and a cycle of such queues is refused by config validation."""
    timer_of = state.timer_of
    while True:
        due = [
            timer_of[(kind, iid)]
            for kind in _POLICY_KINDS
            if (kind, iid) in timer_of and timer_of[(kind, iid)][0] <= at
        ]
        if not due:
            return
        when, _, kind, _ = min(due)
        _TIMERS[kind](state, state.interactions[iid], when, out)


def _target_expired(
    state: RouterState, interaction: Interaction, due: float, out: list[Event]
) -> None:
    iid = interaction.interaction_id
    _emit(state, InteractionTargetExpired(seq=state.last_seq + 1, at=due, interaction_id=iid), out)
    _route_interaction(state, iid, due, out)


def _wrap_up_over(
    state: RouterState, interaction: Interaction, due: float, out: list[Event]
) -> None:
    iid = interaction.interaction_id
    agent_id = interaction.agent_id  # kept after completion: who is wrapping it up
    assert agent_id is not None
    _emit(
        state,
        WrapUpEnded(seq=state.last_seq + 1, at=due, interaction_id=iid, agent_id=agent_id),
        out,
    )
    _route_agent(state, agent_id, due, out)


def _policy_timer(
    decide_event: Callable[[RouterState, Interaction, float], Event | list[Event]],
) -> Callable[[RouterState, Interaction, float, list[Event]], None]:
    """A timer handler that records a queue policy's decision (one event, or several in
    order), then routes the interaction (a wider requirement, a new queue or a higher
    priority may let an agent take it now)."""

    def fire(state: RouterState, interaction: Interaction, due: float, out: list[Event]) -> None:
        made = decide_event(state, interaction, due)
        for event in made if isinstance(made, list) else (made,):
            _emit(state, event, out)
        _route_interaction(state, interaction.interaction_id, due, out)

    return fire


def _consult_expired(
    state: RouterState, interaction: Interaction, due: float, out: list[Event]
) -> None:
    assert interaction.consult is not None and interaction.agent_id is not None
    target = interaction.consult[0]
    event = TransferDeclined(
        seq=state.last_seq + 1,
        at=due,
        interaction_id=interaction.interaction_id,
        agent_id=interaction.agent_id,
        to_agent=target,
        outcome="timed_out",
    )
    _emit(state, event, out)
    _route_agent(state, target, due, out)


_TIMERS: dict[str, Callable[[RouterState, Interaction, float, list[Event]], None]] = {
    "offer": _offer_expired,
    "target": _target_expired,
    "wrap": _wrap_up_over,
    "consult": _consult_expired,
    **{policy.kind: _policy_timer(policy.decide) for policy in POLICIES},
}
"""Timer kind (see :data:`~ccrouter.engine.state.Timer`) to what firing it does. A handler must
remove its timer (by applying an event whose ``apply`` cancels it)."""


# --- routing -------------------------------------------------------------------------------


def _route_after(state: RouterState, command: Command, at: float, out: list[Event]) -> None:
    """Offer what became routable through ``command`` (nothing, for the commands without an
    entry in :data:`_AFTER`: a login, not-ready, callback request or note frees no work)."""
    route = _AFTER.get(type(command))
    if route is not None:
        route(state, command, at, out)


def _after_arrival(
    state: RouterState, command: Submit | Update, at: float, out: list[Event]
) -> None:
    # An update can only make the updated interaction routable (a new requirement); no
    # other: agents idle only when no waiting work fits them, and that is unchanged.
    _route_interaction(state, command.interaction_id, at, out)


def _after_ready(
    state: RouterState, command: Ready | EndWrapUp, at: float, out: list[Event]
) -> None:
    # (Also after an agent's wrap-up ended early: only what that agent may take changed.)
    _route_agent(state, command.agent_id, at, out)


def _after_reconfigure(
    state: RouterState, command: Reconfigure, at: float, out: list[Event]
) -> None:
    # New rules may make waiting work routable (new channel rules free several agents at
    # once): waiting work first, most urgent first, each to the best agent for it, as an
    # arrival would be; then every ready agent a look, in slot order.
    def key(i: Interaction) -> tuple[float, float, int]:
        return urgency(i, state.config.queue(i.queue).aging_rate, at)

    for interaction in sorted(state.waiting(), key=key):
        _route_interaction(state, interaction.interaction_id, at, out)
    for aid in state.slots:
        _route_agent(state, aid, at, out)


def _after_accept(state: RouterState, command: Accept, at: float, out: list[Event]) -> None:
    # Ringing work cannot be paused, connected work can: accepting interruptible work may
    # let its agent take an interrupting channel now.
    interaction = state.interactions[command.interaction_id]
    rule = state.config.channels.get(interaction.channel)
    if rule is not None and rule.interruptible_by and interaction.agent_id is not None:
        _route_agent(state, interaction.agent_id, at, out)


def _after_logout(state: RouterState, command: Logout, at: float, out: list[Event]) -> None:
    for event in out:
        if isinstance(event, OfferRevoked):
            _route_interaction(state, event.interaction_id, at, out)


def _after_decline(state: RouterState, command: Decline, at: float, out: list[Event]) -> None:
    aid = next(e.agent_id for e in out if isinstance(e, OfferDeclined))
    _route_interaction(state, command.interaction_id, at, out)
    _route_agent(state, aid, at, out)


def _after_transfer(
    state: RouterState,
    command: Transfer | AcceptTransfer | DeclineTransfer,
    at: float,
    out: list[Event],
) -> None:
    for event in list(out):
        if isinstance(event, InteractionTransferred):
            _route_interaction(state, event.interaction_id, at, out)
            _route_agent(state, event.agent_id, at, out)
        elif isinstance(event, TransferAccepted):
            _route_agent(state, event.agent_id, at, out)
        elif isinstance(event, TransferDeclined):
            _route_agent(state, event.to_agent, at, out)


def _after_end(
    state: RouterState, command: Complete | Abandon, at: float, out: list[Event]
) -> None:
    event = next(e for e in out if isinstance(e, InteractionCompleted | InteractionAbandoned))
    if event.agent_id is not None:
        _route_agent(state, event.agent_id, at, out)


def _after_agent_update(
    state: RouterState, command: UpdateAgent, at: float, out: list[Event]
) -> None:
    # New attributes (the agent selectors waiting work has), skills, capacity or groups
    # change only what this agent may take; nothing changed, nothing to route.
    if out:
        _route_agent(state, command.agent_id, at, out)


_AFTER: dict[type[Any], Callable[[RouterState, Any, float, list[Event]], None]] = {
    Submit: _after_arrival,
    Update: _after_arrival,
    Ready: _after_ready,
    Reconfigure: _after_reconfigure,
    Accept: _after_accept,
    Logout: _after_logout,
    Decline: _after_decline,
    Transfer: _after_transfer,
    AcceptTransfer: _after_transfer,
    DeclineTransfer: _after_transfer,
    Complete: _after_end,
    Abandon: _after_end,
    UpdateAgent: _after_agent_update,
    EndWrapUp: _after_ready,
}


def _route_interaction(state: RouterState, iid: str, at: float, out: list[Event]) -> None:
    """Offer a queued interaction to the best eligible agent, if there is one."""
    interaction = state.interactions[iid]
    if interaction.status != "queued" or state.config.matching == "batch":
        return
    declined = interaction.declined_by
    excluded: list[int] | tuple[()] = [state.agents[a].slot for a in declined] if declined else ()
    fairness = state.config.fairness
    if fairness is not None and fairness.max_above_median is not None:
        # Over-cap agents join the decliners: chosen only when no one else is eligible, so
        # the cap yields instead of leaving work waiting (see docs/routing.md, Fairness).
        excluded = [*excluded, *(state.agents[a].slot for a in capped_agents(state, at))]
    allowed = (
        _allowed_slots(state, interaction) if interaction.preferred or interaction.groups else ()
    )
    slot = _select(state, interaction, interaction.queue, excluded, allowed)
    if slot >= 0:
        _offer(state, interaction, state.slots[slot], at, out)


def _select(
    state: RouterState,
    interaction: Interaction,
    queue: str,
    excluded: list[int] | tuple[()],
    allowed: list[int] | tuple[()],
) -> int:
    """The slot ``queue``'s strategy picks for ``interaction`` (-1: nobody eligible)."""
    settings = state.config.queue(queue)
    if settings.experiment is not None:  # (an experiment's arm b routes by its own settings)
        settings = settings_for(state, queue, interaction)
    # Agent selectors and order_by reach the kernel as per-slot arrays (kept up to date).
    own = queue == interaction.queue
    text = selector_for(
        settings, interaction.step if own else 0, interaction.agent_selector if own else None
    )
    selected = NO_MASK if text is None else state.selectors.mask(text)
    order = NO_ORDER if settings.order_by is None else state.selectors.order(settings.order_by)
    routing = settings.performance
    if routing is not None:  # the book's keys; its best agents first (top_share)
        # (targeted work, a consult to another queue: no best-share restriction)
        step = interaction.step if own and not interaction.preferred else 1
        if routing.top_share < 1.0 and step <= 0 and state.book is not None:
            # The pick over all eligible agents, then is it in the best share? (One kernel
            # call: the pick, then a pass counting the logged-in keys below the pick's.)
            slot, inside = _pick_in_share(
                state, interaction, queue, settings, excluded, allowed, selected
            )
            if slot < 0 or inside:
                return slot  # (the share's pick too: it holds the smallest keys)
            if not excluded:
                return -1  # no eligible agent is in the share
            # Excluded agents are a fallback: one of them may be in the share though the
            # pick (not excluded) is not. Rare (declines, the fairness cap): narrow by the mask.
            top = top_mask(state, queue, settings, 0)
            if top is not None:
                n = min(selected.shape[0], top.shape[0]) if selected.shape[0] else top.shape[0]
                selected = selected[:n] & top[:n] if selected.shape[0] else top
        # The kernel computes the eligible agents' keys from the book's model.
        model = performance_model(state, queue, settings)
        return _pick(state, interaction, queue, settings, excluded, allowed, selected, order, model)
    return _pick(state, interaction, queue, settings, excluded, allowed, selected, order)


def _pick(
    state: RouterState,
    interaction: Interaction,
    queue: str,
    settings: QueueConfig,
    excluded: list[int] | tuple[()],
    allowed: list[int] | tuple[()],
    selected: npt.NDArray[np.uint8],
    order: npt.NDArray[np.float64],
    model: Model | None = None,
) -> int:
    strategy = settings.strategy
    return select_agent(
        state.table,
        interaction.channel,
        interaction.skills,
        strategy=strategy,
        excluded=excluded,
        allowed=allowed,
        round_robin_last=state.round_robin_last.get(queue, 0),
        # Only `random` reads u; the others skip the (pure-Python) hash.
        u=uniform(state.config.seed, state.last_seq + 1) if strategy == "random" else 0.0,
        backend=state.backend,
        selected=selected,
        order=order,
        model=model,
    )


def _pick_in_share(
    state: RouterState,
    interaction: Interaction,
    queue: str,
    settings: QueueConfig,
    excluded: list[int] | tuple[()],
    allowed: list[int] | tuple[()],
    selected: npt.NDArray[np.uint8],
) -> tuple[int, bool]:
    """:func:`_pick` by the ``performance`` model, and whether the pick is in the queue's best
    share (:func:`~ccrouter.engine.performance_routing.pick_in_share`)."""
    strategy = settings.strategy
    return pick_in_share(
        state,
        queue,
        settings,
        interaction.channel,
        interaction.skills,
        excluded=excluded,
        allowed=allowed,
        round_robin_last=state.round_robin_last.get(queue, 0),
        u=uniform(state.config.seed, state.last_seq + 1) if strategy == "random" else 0.0,
        selected=selected,
    )


def consult_target(
    state: RouterState, interaction: Interaction, queue: str, at: float
) -> str | None:
    """The agent a consult of ``interaction`` to ``queue`` rings: the one ``queue``'s strategy
    would offer it now (ready with room on its channel, its requirement met, in the queue's
    agent groups if it has any, the fairness cap respected as in routing), never the agent
    who holds it; ``None`` when nobody can take it now."""
    groups = state.config.queue(queue).groups
    holder = interaction.agent_id
    allowed = [
        a.slot
        for a in state.agents.values()
        if a.agent_id != holder and (not groups or not a.groups.isdisjoint(groups))
    ]
    capped = [state.agents[a].slot for a in capped_agents(state, at)]
    slot = _select(state, interaction, queue, capped, allowed or [-1])
    return None if slot < 0 else state.slots[slot]


def _consult_in_queue(state: RouterState, command: Transfer, at: float) -> Transfer:
    """``command`` (a consult naming a queue, no agent) with the agent it rings filled in."""
    interaction = state.interactions[command.interaction_id]
    queue = command.to_queue
    assert queue is not None  # validated: a transfer names a queue or an agent
    agent = consult_target(state, interaction, queue, at)
    if agent is None:
        msg = (
            f"cannot consult queue {queue!r} about {interaction.interaction_id!r}: nobody "
            f"there is ready with free capacity on {interaction.channel!r} and the skills"
        )
        raise InvalidTransition(msg)
    return msgspec.structs.replace(command, to_agent=agent)


def capped_agents(state: RouterState, at: float) -> list[str]:
    """The logged-in agents over the fairness cap at ``at``, in slot order (none when no cap
    is configured)."""
    fairness, ledger = state.config.fairness, state.ledger
    if fairness is None or fairness.max_above_median is None or ledger is None:
        return []
    agents = state.agents

    def team() -> list[str]:
        return [a for a in state.slots if agents[a].presence != "logged_out"]

    capped = ledger.over_cap(team, at, fairness.max_above_median)
    return sorted(capped, key=lambda a: agents[a].slot)


def _allowed_slots(state: RouterState, interaction: Interaction) -> list[int]:
    """Slots of the agents an interaction is targeted at, or of the members of its agent
    groups, or both (``[-1]``, nobody, if no such agent ever logged in: an empty list would
    mean anyone). Groups thus reach the kernel as its ``allowed`` array: agent selection
    stays in one place."""
    agents = state.agents
    if interaction.preferred:
        candidates = [agents[a] for a in interaction.preferred if a in agents]
    else:
        candidates = list(agents.values())
    groups = interaction.groups
    if groups:
        candidates = [a for a in candidates if not a.groups.isdisjoint(groups)]
    return [a.slot for a in candidates] or [-1]


def _route_agent(state: RouterState, aid: str, at: float, out: list[Event]) -> None:
    """Let an agent take the best waiting work it is eligible for, while it has room."""
    if state.config.matching == "batch":  # work waits for the next match()
        return
    _take_work(state, aid, at, out)


def _take_work(state: RouterState, aid: str, at: float, out: list[Event]) -> None:
    agent = state.agents[aid]
    # Bound: each pass offers one interaction, which holds a unit of the agent's capacity
    # until it is declined, ends or times out (none of which happens in this loop), so it
    # runs at most the agent's free capacity (<= 10**6 per channel) times.
    while agent.presence == "ready":
        best = best_interaction_for(state, agent, at)
        if best is None:
            return
        _offer(state, best, aid, at, out)


def best_interaction_for(state: RouterState, agent: Agent, at: float) -> Interaction | None:
    """The waiting interaction ``agent`` should take next, across all queues.

    Highest ``priority + aging_rate * waited`` first, then earliest arrival, then submission
    order; work targeted at other agents is skipped. Cost: one check per (queue, requirement
    group) and per targeted group, not per interaction.
    """
    best: Interaction | None = None
    best_key: tuple[float, float, int] | None = None
    ruled = bool(state.config.channels) or agent.budget is not None
    for queue in state.queues.values():
        if not queue.waiting:
            continue
        settings = state.config.queue(queue.name)
        rate = settings.aging_rate
        for (channel, skills), group in queue.groups.items():
            if agent.free(channel) <= 0 or (ruled and not state.can_take(agent, channel)):
                continue
            if not meets_skills(agent.skills, skills):
                continue
            head = state.interactions[group[0][3]]
            if not _selected(state, settings, head, agent):
                continue
            key = urgency(head, rate, at)
            if best_key is None or key < best_key:
                best, best_key = head, key
        if not queue.targeted:
            continue
        aid = agent.agent_id
        for target, group in queue.targeted.items():
            (channel, skills), agents = target[0], target[1]
            if (agents and aid not in agents) or agent.free(channel) <= 0:
                continue
            if len(target) == 3 and agent.groups.isdisjoint(target[2]):
                continue
            if ruled and not state.can_take(agent, channel):
                continue
            if not meets_skills(agent.skills, skills):
                continue
            head = state.interactions[group[0][3]]
            if not _selected(state, settings, head, agent):
                continue
            key = urgency(head, rate, at)
            if best_key is None or key < best_key:
                best, best_key = head, key
    return best


def _selected(state: RouterState, settings: QueueConfig, head: Interaction, agent: Agent) -> bool:
    """Whether ``agent`` passes the agent selector in force for ``head`` (a group's head: an
    agent the head's selector excludes waits for the work behind it as for the head's skills)."""
    if settings.agent_selector is None and not settings.steps and head.agent_selector is None:
        return True
    text = selector_for(settings, head.step, head.agent_selector)
    if text is not None and not state.selectors.mask(text)[agent.slot]:
        return False
    if settings.experiment is not None:
        settings = settings_for(state, head.queue, head)
    routing = settings.performance
    if routing is None or routing.top_share >= 1.0 or head.step > 0 or head.preferred:
        return True  # (top_mask's None: no best-share restriction)
    # Whether the agent is in top_mask's share, without building the mask after each change
    # (read from it when the book has it cached, else one counting pass).
    return in_best_share(state, head.queue, settings, agent.slot)


def _offer(
    state: RouterState,
    interaction: Interaction,
    aid: str,
    at: float,
    out: list[Event],
    *,
    batch_seq: int | msgspec.UnsetType = msgspec.UNSET,
) -> None:
    config = state.config
    timeout = config.queue(interaction.queue).offer_timeout
    expires = at + timeout if timeout is not None and not config.auto_accept else None
    iid = interaction.interaction_id
    _emit(
        state,
        InteractionOffered(
            seq=state.last_seq + 1,
            at=at,
            interaction_id=iid,
            agent_id=aid,
            expires_at=expires,
            config_version=state.config_version,
            batch_seq=batch_seq,
        ),
        out,
    )
    if config.auto_accept:
        _emit(
            state,
            OfferAccepted(seq=state.last_seq + 1, at=at, interaction_id=iid, agent_id=aid),
            out,
        )
