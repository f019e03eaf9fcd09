"""The ``performance`` decision reads a model, not every key: the same decisions every way.

A decision computes the keys of the eligible agents only, in the selection kernel, from each
agent's model column and the queue's parameters; with a best share it counts, in the same
kernel call, the logged-in agents whose key is below the pick's, or reads the share's mask
when the book has it cached. Each of these must decide what the plain statement decides
(every key by numpy, the python backend): a random day with outcomes between decisions gives
the same log under both backends, the same log with the mask cache never used, the same log
without the best share's bucket index (every count a pass over every agent), and a replay of
it reaches the live state.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ccrouter import Router, RouterConfig
from ccrouter.engine.performance import PerformanceBook
from ccrouter.engine.routing._kernels import COMPUTED, SETTLED

SKILLS = ("billing", "tech", "sales")
QUEUES: dict[str, Any] = {
    "q1": {"kpi": "satisfaction", "top_share": 0.2},
    "q2": {"kpi": "fcr", "balance": 0.5},
    "q3": {"kpi": "handle_time", "top_share": 0.5, "balance": 0.2},
    "q4": {"kpi": "value", "top_share": 0.1, "balance": 0.3},
}


def config() -> RouterConfig:
    queues = {
        name: {"strategy": "performance", "performance": routing, "steps": [{"after": 40}]}
        for name, routing in QUEUES.items()
    }
    return RouterConfig.from_dict(
        {"performance": {"prior_weight": 3, "window": 4000, "bucket": 500}, "queues": queues}
    )


def day(backend: str, seed: int) -> Router:
    """A random day: logins, readiness changes, work on four queues, outcomes at completion
    and later, logouts; every offer accepted, every connected contact completed in time."""
    rng = np.random.default_rng(seed)
    r = Router(config(), backend=backend)
    agents = [f"a{i}" for i in range(24)]
    for a in agents:
        skills = {s: int(rng.integers(1, 4)) for s in SKILLS if rng.random() < 0.7}
        r.login(a, skills=skills, at=0)
        r.ready(a, at=0)
    t, seen, n = 0.0, 0, 0
    connected: list[str] = []
    done: list[str] = []
    for _ in range(500):
        t += float(rng.exponential(8.0))
        op = rng.random()
        if op < 0.35:
            q = f"q{int(rng.integers(1, 5))}"
            skills = (
                {SKILLS[int(rng.integers(3))]: int(rng.integers(1, 3))}
                if rng.random() < 0.6
                else {}
            )
            r.submit(f"i{n}", channel="voice", queue=q, skills=skills, at=t)
            n += 1
        elif op < 0.65 and connected:
            iid = connected.pop(int(rng.integers(len(connected))))
            outcome: dict[str, Any] = {}
            if rng.random() < 0.6:
                outcome["satisfaction"] = int(rng.integers(1, 6))
            if rng.random() < 0.4:
                outcome["resolved"] = bool(rng.random() < 0.7)
            r.complete(iid, at=t, outcome=outcome or None)
            done.append(iid)
        elif op < 0.75 and done:
            iid = done.pop(int(rng.integers(len(done))))
            r.record_outcome(iid, {"value": float(rng.choice([0.0, 10.0, 25.5]))}, at=t)
        elif op < 0.9:
            a = agents[int(rng.integers(len(agents)))]
            status = r.agent(a).status
            if status == "ready":
                r.not_ready(a, reason="break", at=t)
            elif status in ("not_ready", "wrap_up"):
                r.ready(a, at=t)
            elif status == "logged_out":
                r.login(a, skills=dict.fromkeys(SKILLS[: 1 + int(rng.integers(3))], 2), at=t)
                r.ready(a, at=t)
        elif op < 0.95:
            a = agents[int(rng.integers(len(agents)))]
            if r.agent(a).status in ("ready", "not_ready"):
                r.logout(a, at=t)
        else:
            r.advance(at=t)
        while seen < len(r.events):  # accept every offer still standing (accepting may offer)
            e = r.events[seen]
            seen += 1
            iid = getattr(e, "interaction_id", None)
            if e.kind == "interaction_offered" and r.interaction(iid).status == "offered":
                r.accept(iid, at=t)
                connected.append(iid)
    return r


def _log(r: Router) -> list[Any]:
    return list(r.events)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_backends_decide_alike_with_outcomes_between_decisions(seed: int) -> None:
    numba, python = day("numba", seed), day("python", seed)
    assert _log(numba) == _log(python)
    offers = [e for e in numba.events if e.kind == "interaction_offered"]
    assert len(offers) > 50  # the day routed work (not all waits)
    assert Router.replay(numba.events, config()).state_digest() == numba.state_digest()


@pytest.mark.parametrize("seed", [1, 4])
def test_the_mask_cache_changes_no_decision(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    cached = day("numba", seed)
    monkeypatch.setattr(PerformanceBook, "cached_mask", lambda *args, **kwargs: None)
    counted = day("numba", seed)
    assert _log(counted) == _log(cached)


@pytest.mark.parametrize("seed", [1, 5])
def test_the_share_index_changes_no_decision(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    indexed = day("numba", seed)
    # The index was used: its counts settled by the buckets' sizes or computed a few keys.
    infos = [ix.info for shares in indexed.state.book._shares.values() for ix in shares.values()]
    assert len(infos) == 3  # q1, q3, q4 have a best share
    assert sum(info[SETTLED] + info[COMPUTED] for info in infos) > 0
    decision = PerformanceBook.decision
    monkeypatch.setattr(
        PerformanceBook, "decision", lambda self, *a: (*decision(self, *a)[:4], None)
    )
    counted = day("numba", seed)
    assert not counted.state.book._shares or all(
        ix.info[SETTLED] == 0 for s in counted.state.book._shares.values() for ix in s.values()
    )
    assert _log(counted) == _log(indexed)
