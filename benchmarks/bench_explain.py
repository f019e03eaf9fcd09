"""Explaining a decision on a long log: ``Router.explain`` at the start, middle and end.

Workload: a live router (100 agents, 6 skills, offers time out after 20 s, 5 % of offers
declined) takes a seeded stream of submit / accept / complete commands until the log holds
``EVENTS`` events. After every ``SEGMENT`` events of greedy routing the router is reconfigured
to batch matching (``matching = "batch"``, a ``match()`` every fifth arrival) for ``BATCH_SPAN``
events, then back, so the log has config changes and both kinds of decision (greedy offers and
batch offers) everywhere.

Measured, for the last decision of an interaction offered near 1 %, 10 %, 50 % and 99 % of
the log, greedy and batch:

- *live*: ``explain`` on the router that wrote the log (median and range of several calls);
- *reopened*: ``explain`` on a router opened again on the same log (no snapshot store): the
  first call in a stretch of the log (it folds the stretch once, filling in the copies the
  opening left sparse), then the later ones;
- *full replay*: the explanation rebuilt from the log's start (what ``explain`` did before
  checkpoints; one call each: it costs seconds at this size);
- the cost of opening the log, and the memory the explain checkpoints hold;
- *wide step*: one batch step over ``WIDE_WAITING`` waiting interactions and ``AGENTS`` free
  agents on a short log, where solving the step is most of the cost: ``explain`` of one of its
  decisions (the step's pairs looked up: live, and reopened after its first call) against the
  same explanation with the step solved again (what ``explain`` did before the lookup).

The fast explanations are checked equal to the full-replay ones.

    python -m benchmarks.run --only explain [--smoke]
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

import msgspec
import numpy as np

from ccrouter import Router, RouterConfig
from ccrouter.engine.checkpoints import explain_interaction, replay_before
from ccrouter.engine.routing.explain import Explanation
from ccrouter.events import InteractionOffered
from ccrouter.log import MemoryEventLog

EVENTS = 1_000_000
SEGMENT = 20_000
BATCH_SPAN = 1_000
"""Events per stretch of batch matching (a ``match()`` costs ~10 ms with 100 agents)."""
AGENTS = 100
SKILLS = ["billing", "sales", "support", "fr", "de", "vip"]
WIDE_WAITING = 200
"""Waiting interactions of the wide step (each may go to any of the ``AGENTS``)."""
POSITIONS = (0.01, 0.1, 0.5, 0.99)
GOALS = {"explain_ms_1m_events": 5.0}
"""Any decision explained in at most a few milliseconds on a log of 1,000,000 events."""


def config(matching: str) -> RouterConfig:
    """The workload's configuration in one of the two routing modes."""
    return RouterConfig.from_dict(
        {"matching": matching, "queues": {"default": {"offer_timeout": 20.0}}}
    )


def build_log(
    events: int, *, seed: int = 7, segment: int = SEGMENT, batch_span: int = BATCH_SPAN
) -> Router:
    """A live router whose in-memory log holds at least ``events`` events (see the module)."""
    rng = np.random.default_rng(seed)
    router = Router(config("greedy"), log=MemoryEventLog(), backend="numba")
    for i in range(AGENTS):
        picked = rng.choice(len(SKILLS), size=3, replace=False)
        levels = {SKILLS[int(p)]: int(rng.integers(1, 6)) for p in picked}
        router.login(f"a{i}", skills=levels, at=0.0)
        router.ready(f"a{i}", at=0.0)
    t, k, batch = 0.0, 0, False
    switch = segment
    connected: list[str] = []
    ringing: list[str] = []

    def note(made: list[Any]) -> None:
        ringing.extend(e.interaction_id for e in made if isinstance(e, InteractionOffered))

    while router.state.last_seq < events:
        if router.state.last_seq >= switch:
            batch = not batch
            switch += batch_span if batch else segment
            note(router.reconfigure(config("batch" if batch else "greedy"), at=t))
        t += float(rng.exponential(0.05))
        k += 1
        need = {SKILLS[int(rng.integers(len(SKILLS)))]: int(rng.integers(1, 4))}
        note(router.submit(f"c{k}", channel="voice", skills=need, at=t))
        if batch and k % 5 == 0:
            note(router.match(at=t))
        while ringing:
            iid = ringing.pop()
            if router.state.interactions[iid].status != "offered":
                continue  # timed out meanwhile
            if rng.random() < 0.05:
                note(router.decline(iid, at=t))
            else:
                router.accept(iid, at=t)
                connected.append(iid)
        if k % 500 == 0:  # agents who missed an offer (no_answer) come back
            for aid, agent in router.state.agents.items():
                if agent.presence == "not_ready":
                    note(router.ready(aid, at=t))
        while len(connected) > AGENTS * 0.8 or (connected and rng.random() < 0.5):
            iid = connected.pop(int(rng.integers(len(connected))))
            note(router.complete(iid, at=t))
    return router


def last_offers(router: Router) -> dict[str, InteractionOffered]:
    """Each offered interaction's last offer."""
    return {e.interaction_id: e for e in router.log.read() if isinstance(e, InteractionOffered)}


def pick(offers: dict[str, InteractionOffered], total: int) -> dict[str, str]:
    """Per position and kind, an interaction whose last offer is nearest that share of the
    log (``"greedy@50%"``, ``"batch@50%"`` ...)."""
    greedy = sorted((e.seq, iid) for iid, e in offers.items() if e.batch_seq is msgspec.UNSET)
    batch = sorted((e.seq, iid) for iid, e in offers.items() if e.batch_seq is not msgspec.UNSET)
    chosen: dict[str, str] = {}
    for share in POSITIONS:
        target = share * total
        for kind, rows in (("greedy", greedy), ("batch", batch)):
            if rows:
                _seq, iid = min(rows, key=lambda r: abs(r[0] - target))
                chosen[f"{kind}@{share:.0%}"] = iid
    return chosen


def _times(call: Callable[[], Explanation], repeat: int) -> tuple[list[float], Explanation]:
    out: list[float] = []
    result = call()  # warm-up (and the result to compare)
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        out.append((time.perf_counter() - t0) * 1e3)
    return out, result


def _summary(ms: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(ms), 3),
        "min_ms": round(min(ms), 3),
        "max_ms": round(max(ms), 3),
    }


def full_replay(router: Router) -> Callable[[str], Explanation]:
    """The explanation rebuilt by folding the log from its start (``explain`` before
    checkpoints)."""
    read = router.log.read
    before = replay_before(router.base_config, read)

    def explain(iid: str) -> Explanation:
        interaction = router.state.interactions[iid]
        seq = router._checkpoints.last_offer(interaction, read)
        return explain_interaction(router.state, interaction, seq, read, before)

    return explain


def wide_step(repeat: int, waiting: int = WIDE_WAITING) -> dict[str, Any]:
    """Time ``explain`` of a decision of one wide batch step (see the module docstring)."""
    router = Router(config("batch"), log=MemoryEventLog(), backend="numba")
    for i in range(AGENTS):
        router.login(f"a{i}", skills={}, at=0.0)
        router.ready(f"a{i}", at=0.0)
    for k in range(waiting):
        router.submit(f"w{k}", channel="voice", at=k * 0.01)
    made = router.match(at=waiting * 0.01)
    offered = [e.interaction_id for e in made if isinstance(e, InteractionOffered)]
    iid = offered[len(offered) // 2]
    reopened = Router(config("batch"), log=router.log, backend="numba")
    first = _times(lambda: reopened.explain(iid), 0)[1]
    live_ms, fast = _times(lambda: router.explain(iid), repeat)
    again_ms, again = _times(lambda: reopened.explain(iid), repeat)
    full = full_replay(router)
    solved_ms, slow = _times(lambda: full(iid), max(3, repeat // 4))
    return {
        "waiting": waiting,
        "free_agents": AGENTS,
        "offers": len(offered),
        "live": _summary(live_ms),
        "reopened": _summary(again_ms),
        "solved_again": _summary(solved_ms),
        "same_as_full_replay": fast == slow and again == slow and first == slow,
    }


def run(smoke: bool) -> dict[str, Any]:
    """Build the log, then time explain on it (see the module docstring)."""
    size = 20_000 if smoke else EVENTS
    repeat = 5 if smoke else 21
    t0 = time.perf_counter()
    # The cyclic collector would walk the growing log again and again while it is built
    # (quadratic); afterwards the built objects are frozen, so that a full collection of a
    # million events does not land inside one timed call (a service holding such a log
    # would do the same, or pay it wherever it happens).
    gc.disable()
    try:
        router = build_log(size, segment=2_000 if smoke else SEGMENT, batch_span=BATCH_SPAN)
    finally:
        gc.enable()
    built = time.perf_counter() - t0
    total = router.state.last_seq
    chosen = pick(last_offers(router), total)
    gc.collect()
    t0 = time.perf_counter()
    reopened = Router(config("greedy"), log=router.log, backend="numba")
    opened = time.perf_counter() - t0
    gc.collect()
    gc.freeze()
    first: dict[str, float] = {}
    for label, iid in chosen.items():  # the first call after the reopen fills dense copies
        t0 = time.perf_counter()
        reopened.explain(iid)
        first[label] = round((time.perf_counter() - t0) * 1e3, 3)
    full = full_replay(router)
    rows: dict[str, Any] = {}
    worst = 0.0
    for label, iid in chosen.items():
        live_ms, fast = _times(lambda iid=iid: router.explain(iid), repeat)
        again_ms, again = _times(lambda iid=iid: reopened.explain(iid), repeat)
        t0 = time.perf_counter()
        slow = full(iid)  # once: seconds per call at this size
        slow_ms = [(time.perf_counter() - t0) * 1e3]
        rows[label] = {
            "interaction": iid,
            "decision_seq": fast.decision_seq,
            "live": _summary(live_ms),
            "reopened_first_ms": first[label],
            "reopened": _summary(again_ms),
            "full_replay": _summary(slow_ms),
            "same_as_full_replay": fast == slow and again == slow,
        }
        worst = max(worst, statistics.median(live_ms), statistics.median(again_ms))
    memory = router._checkpoints
    gc.unfreeze()
    wide = wide_step(repeat, WIDE_WAITING // 4 if smoke else WIDE_WAITING)
    return {
        "events": total,
        "agents": AGENTS,
        "build_seconds": round(built, 1),
        "open_seconds": round(opened, 2),
        "checkpoints": memory.describe(),
        "checkpoints_reopened": reopened._checkpoints.describe(),
        "decisions": rows,
        "wide_step": wide,
        "goals": {
            "explain_ms_1m_events": {
                "goal": GOALS["explain_ms_1m_events"],
                "worst_median_ms": round(worst, 3),
                "met": worst <= GOALS["explain_ms_1m_events"] and not smoke,
            }
        },
    }
