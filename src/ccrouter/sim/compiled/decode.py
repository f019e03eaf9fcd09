"""Turn the compiled run's event records into the router's events (``ccrouter.events``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ccrouter.errors import SimulationError
from ccrouter.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    CallbackRequested,
    Event,
    InteractionAbandoned,
    InteractionCompleted,
    InteractionDeadlineSet,
    InteractionExited,
    InteractionOffered,
    InteractionOverdue,
    InteractionQueued,
    InteractionReminded,
    InteractionStepped,
    OfferAccepted,
    OfferTimedOut,
    WrapUpEnded,
)
from ccrouter.sim.compiled import _layout as lay
from ccrouter.sim.compiled.waiting import waiting_groups
from ccrouter.sim.engine import names_agent_groups
from ccrouter.sim.scenario import Scenario

__all__ = ["agent_ids", "decode", "interaction_ids"]


def agent_ids(scenario: Scenario, groups: np.ndarray) -> list[str]:
    """Agent ids as the engine names them: group name and creation number (``team-0001``)."""
    names = [g.name for g in scenario.agent_groups]
    return [f"{names[g]}-{a + 1:04d}" for a, g in enumerate(groups.tolist())]


def interaction_ids(scenario: Scenario, table: np.ndarray) -> list[str]:
    """Interaction ids as the engine names them: ``type-k`` and ``type-k.attempt`` for calls,
    ``out:campaign-k`` for a campaign's connects."""
    names = [ct.name for ct in scenario.call_types]
    n = len(names)
    outbound = [f"out:{c.name}" for c in scenario.campaigns]
    out = []
    for c, k, attempt in table.tolist():
        if c >= n:
            out.append(f"{outbound[c - n]}-{k}")
        else:
            out.append(f"{names[c]}-{k}" if attempt == 0 else f"{names[c]}-{k}.{attempt}")
    return out


def decode(scenario: Scenario, run: Any, n_events: int) -> list[Event]:
    """The router events of a finished run (``run``: the kernel's state)."""
    s = scenario
    n_agents = int(run.cnt[lay.N_AGENTS])
    n_int = int(run.cnt[lay.N_INT])
    agents = agent_ids(s, run.A[:n_agents, lay.A_GROUP])
    iids = interaction_ids(s, run.I[:n_int, [lay.I_TYPE, lay.I_K, lay.I_ATTEMPT]])
    groups = s.agent_groups
    group_of = run.A[:n_agents, lay.A_GROUP].tolist()
    types = run.I[:n_int, lay.I_TYPE].tolist()
    deadlines = run.F[:n_int, lay.F_DEADLINE].tolist()
    kinds = run.rk[:n_events].tolist()
    ats = run.rt[:n_events].tolist()
    ii = run.ri[:n_events].tolist()
    aa = run.ra[:n_events].tolist()
    xx = run.rx[:n_events].tolist()
    call_types = s.call_types
    campaigns = s.campaigns
    queues = list(s.router_config().queues)  # as packed
    rows: list[Any] | None = None  # the waiting groups (requirements), as packed
    width = 1
    member = names_agent_groups(s.router_config())  # agents log in as members of their group
    out: list[Event] = []
    append = out.append
    for e in range(n_events):
        kind, at, i, a, x = kinds[e], ats[e], ii[e], aa[e], xx[e]
        seq = e + 1
        if kind == lay.K_QUEUED:
            c = types[i]
            ct = call_types[c] if c < len(call_types) else campaigns[c - len(call_types)]
            append(
                InteractionQueued(
                    seq=seq,
                    at=at,
                    interaction_id=iids[i],
                    channel=ct.channel,
                    queue=ct.queue,
                    skills=dict(ct.skills),
                    priority=float(ct.priority),
                    customer_id=None,
                    attributes={},
                )
            )
        elif kind == lay.K_OFFERED:
            append(
                InteractionOffered(
                    seq=seq,
                    at=at,
                    interaction_id=iids[i],
                    agent_id=agents[a],
                    expires_at=None if math.isnan(x) else x,
                    config_version=0,
                )
            )
        elif kind == lay.K_ACCEPTED:
            append(OfferAccepted(seq=seq, at=at, interaction_id=iids[i], agent_id=agents[a]))
        elif kind == lay.K_COMPLETED:
            append(
                InteractionCompleted(
                    seq=seq, at=at, interaction_id=iids[i], agent_id=agents[a], wrap_up_until=x
                )
            )
        elif kind == lay.K_WRAP_ENDED:
            append(WrapUpEnded(seq=seq, at=at, interaction_id=iids[i], agent_id=agents[a]))
        elif kind == lay.K_ABANDONED:
            append(
                InteractionAbandoned(
                    seq=seq, at=at, interaction_id=iids[i], agent_id=agents[a] if a >= 0 else None
                )
            )
        elif kind == lay.K_TIMED_OUT:
            append(OfferTimedOut(seq=seq, at=at, interaction_id=iids[i], agent_id=agents[a]))
        elif kind == lay.K_LOGIN:
            group = groups[group_of[a]]
            append(
                AgentLoggedIn(
                    seq=seq,
                    at=at,
                    agent_id=agents[a],
                    skills=dict(group.skills),
                    capacity=dict(group.capacity),
                    groups=[group.name] if member else [],
                    budget=None,
                )
            )
        elif kind == lay.K_READY:
            append(AgentReady(seq=seq, at=at, agent_id=agents[a]))
        elif kind == lay.K_NOT_READY:
            append(AgentNotReady(seq=seq, at=at, agent_id=agents[a], reason=lay.REASONS[int(x)]))
        elif kind == lay.K_LOGOUT:
            append(AgentLoggedOut(seq=seq, at=at, agent_id=agents[a]))
        elif kind == lay.K_CALLBACK:
            append(CallbackRequested(seq=seq, at=at, interaction_id=iids[i], automatic=x == 1.0))
        elif kind == lay.K_DEADLINE:
            append(
                InteractionDeadlineSet(
                    seq=seq, at=at, interaction_id=iids[i], deadline=x, explicit=False
                )
            )
        elif kind == lay.K_REMINDED:
            append(
                InteractionReminded(
                    seq=seq, at=at, interaction_id=iids[i], deadline=deadlines[i], before=x
                )
            )
        elif kind == lay.K_OVERDUE:
            append(
                InteractionOverdue(
                    seq=seq,
                    at=at,
                    interaction_id=iids[i],
                    deadline=deadlines[i],
                    priority=x,
                    queue=queues[a] if a >= 0 else None,
                )
            )
        elif kind == lay.K_EXITED:
            code = int(x)
            append(
                InteractionExited(
                    seq=seq,
                    at=at,
                    interaction_id=iids[i],
                    reason=lay.EXIT_REASONS[code // 2],
                    overflow_to=queues[a] if a >= 0 else None,
                    keep_age=bool(code % 2),
                )
            )
        elif kind == lay.K_STEPPED:
            if rows is None:
                waiting, _, step_table, _ = waiting_groups(s)
                rows, width = waiting.rows, step_table.shape[1]
            g, j = divmod(a // 2, width)
            _, _, skills, members = rows[g]
            append(
                InteractionStepped(
                    seq=seq,
                    at=at,
                    interaction_id=iids[i],
                    step=j,
                    skills=dict(skills),
                    priority=x,
                    skipped=bool(a % 2),
                    groups=list(members),
                )
            )
        else:  # pragma: no cover - the kernel writes only the kinds above
            msg = f"unknown record kind {kind} at record {e}"
            raise SimulationError(msg)
    return out
