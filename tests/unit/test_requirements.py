"""The queue order and the skill requirement are each written once (``engine.records``) and
every router, explain and simulator path uses that one definition."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import given

from ccrouter import Router, RouterConfig
from ccrouter.engine.records import effective_priority, meets_skills, queue_key, serves
from ccrouter.sim import engine as sim_engine
from ccrouter.sim import staffing_bound
from ccrouter.sim.distributions import Exponential
from ccrouter.sim.scenario import AgentGroup, CallType, PoissonArrivals

small = st.integers(0, 6).map(float)
waiting = st.tuples(small, st.sampled_from([0.0, 0.5, 1.0]), small, st.integers(0, 50))


@given(st.lists(waiting, min_size=2, max_size=6), st.integers(0, 100))
def test_stored_key_orders_as_effective_priority_later(work: list, later: int) -> None:
    # At any time after every arrival, a queue's stored order (one aging rate) is the order of
    # highest effective priority, then earliest arrival, then seq (values small enough that
    # the arithmetic is exact, so near-ties cannot round apart).
    rate = work[0][1]
    at = max(w[2] for w in work) + later

    def stored(i: int) -> tuple:
        return (*queue_key(work[i][0], rate, work[i][2], work[i][3], "x"), i)

    def live(i: int) -> tuple:
        return (-effective_priority(work[i][0], rate, work[i][2], at), work[i][2], work[i][3], i)

    assert sorted(range(len(work)), key=stored) == sorted(range(len(work)), key=live)


def test_meets_skills_missing_and_minimum() -> None:
    assert meets_skills({"a": 3}, [("a", 3)])
    assert not meets_skills({"a": 2}, [("a", 3)])
    assert not meets_skills({}, [("a", 0)])  # a missing skill fails even a minimum of 0
    assert meets_skills({}, [])


def test_capacity_zero_serves_nothing_everywhere() -> None:
    """Capacity 0 on a channel is no capacity: the router never offers such work to the agent
    (explain: ``no_capacity``), and the simulator and the staffing bound agree (the bound used
    to count a group with capacity 0 as able to serve)."""
    r = Router(RouterConfig())
    r.login("a", skills={"x": 1}, capacity={"chat": 0, "voice": 1}, at=0)
    r.ready("a", at=0)
    r.submit("c", channel="chat", queue="default", skills={"x": 1}, at=1)
    assert r.interaction("c").status == "queued"
    assert [c.reason for c in r.explain("c").candidates] == ["no_capacity"]
    assert not serves({"chat": 0}, {"x": 1}, "chat", [("x", 1)])
    assert serves({"chat": 1}, {"x": 1}, "chat", [("x", 1)])
    # Scenario decoding rejects capacity 0, but structs built in code are not validated.
    group = AgentGroup(name="g", skills={"x": 1}, capacity={"chat": 0})
    ct = CallType(
        name="c",
        arrivals=PoissonArrivals(rates_per_hour=[1.0]),
        handle=Exponential(mean=60.0),
        channel="chat",
        skills={"x": 1},
    )
    assert not staffing_bound.eligible(ct, group)
    assert not sim_engine._serves(group, ct)
    able = AgentGroup(name="g", skills={"x": 1}, capacity={"chat": 1})
    assert staffing_bound.eligible(ct, able) and sim_engine._serves(able, ct)
