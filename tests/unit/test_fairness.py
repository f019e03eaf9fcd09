"""Fairness (issue 6, point 11): the per-agent ledger over a window and the cap above the team
median. Hand-worked expectations, on both backends."""

from __future__ import annotations

import warnings
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import given

from ccrouter import Router, RouterConfig
from ccrouter.engine.fairness import FairnessLedger, over_cap
from ccrouter.engine.snapshot import MemorySnapshotStore, SnapshotWarning
from ccrouter.errors import ConfigError, InvalidArgument, UnknownAgent
from ccrouter.events import AgentLoggedIn, AgentLoggedOut, InteractionOffered, OfferAccepted


@pytest.fixture(params=["numba", "python"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make(backend: str, **config: Any) -> Router:
    return Router(RouterConfig.from_dict(config), backend=backend)


def capped_team(backend: str, cap: float | None) -> Router:
    """ann (skill 5) and bob (skill 1), most_skilled: without a cap ann takes everything."""
    fairness: dict[str, Any] = {"window": 100.0}
    if cap is not None:
        fairness["max_above_median"] = cap
    router = make(
        backend,
        auto_accept=True,
        fairness=fairness,
        queues={"default": {"strategy": "most_skilled"}},
    )
    for name, level in (("ann", 5), ("bob", 1)):
        router.login(name, skills={"x": level}, at=0)
        router.ready(name, at=0)
    return router


def serve(router: Router, n: int, start: float = 1.0, prefix: str = "c") -> list[str]:
    """Submit and complete ``n`` calls one after the other; who took each."""
    who = []
    for k in range(n):
        t = start + 10 * k
        events = router.submit(f"{prefix}{k}", channel="voice", skills={"x": 1}, at=t)
        offer = next(e for e in events if isinstance(e, InteractionOffered))
        who.append(offer.agent_id)
        router.complete(f"{prefix}{k}", at=t + 4)
    return who


def same_after_replay(router: Router) -> None:
    router.check()
    replayed = Router.replay(router.events, router.config, backend=router.backend)
    assert replayed.state_digest() == router.state_digest()
    assert replayed.fairness() == router.fairness()


def test_without_a_cap_the_strategy_alone_decides(backend: str) -> None:
    router = capped_team(backend, cap=None)
    assert serve(router, 4) == ["ann", "ann", "ann", "ann"]


def test_the_cap_turns_work_away_from_an_agent_above_the_median(backend: str) -> None:
    # c0: 0/0 -> ann. c1: ann 1, bob 0, median 0.5, ann 1 > 0.5 + 0 -> bob.
    # c2: 1/1, median 1 -> ann. c3: 2/1, median 1.5 -> bob.
    router = capped_team(backend, cap=0)
    assert serve(router, 4) == ["ann", "bob", "ann", "bob"]
    same_after_replay(router)


def test_a_cap_of_one_allows_one_more_than_the_median(backend: str) -> None:
    # c0 ann (0,0); c1 ann (1 > 0.5 + 1? no); c2: ann 2, bob 0, median 1, 2 > 2? no -> ann;
    # c3: ann 3, median 1.5, 3 > 2.5 -> bob.
    router = capped_team(backend, cap=1)
    assert serve(router, 4) == ["ann", "ann", "ann", "bob"]


def test_the_cap_yields_when_nobody_else_could_take_the_work(backend: str) -> None:
    router = capped_team(backend, cap=0)
    assert serve(router, 1) == ["ann"]
    router.not_ready("bob", reason="lunch", at=6)
    # ann is over the cap (1 > 0.5), but bob cannot take it: the work does not wait.
    assert serve(router, 1, start=7, prefix="d") == ["ann"]
    assert router.ledger("ann").over_cap and router.ledger("ann").handled == 2


def test_an_over_cap_agent_that_comes_back_takes_work_nobody_else_can(backend: str) -> None:
    router = capped_team(backend, cap=0)
    serve(router, 1)  # ann handled 1
    router.not_ready("ann", reason="break", at=6)
    router.not_ready("bob", reason="lunch", at=6)
    router.submit("w", channel="voice", skills={"x": 1}, at=7)
    events = router.ready("ann", at=8)
    assert [
        (e.interaction_id, e.agent_id) for e in events if isinstance(e, InteractionOffered)
    ] == [("w", "ann")]


def test_the_window_forgets_old_work(backend: str) -> None:
    router = capped_team(backend, cap=0)
    assert serve(router, 1, start=1.0) == ["ann"]  # accepted at 1
    # At 101 the acceptance at 1 is out of the window (1, 101]: ann is back under the cap.
    assert router.ledger("ann", at=100.5).handled == 1
    assert router.ledger("ann", at=101.0).handled == 0
    assert serve(router, 1, start=101.0, prefix="d") == ["ann"]


def test_the_ledger_counts_offers_handled_handle_time_and_misses(backend: str) -> None:
    router = make(backend, fairness={"window": 50.0}, queues={"default": {"offer_timeout": 5}})
    router.login("ann", skills={}, at=0)
    router.ready("ann", at=0)
    router.submit("a", channel="voice", at=1)  # offered at 1
    router.advance(at=6)  # rings out: a miss, ann goes not_ready (max_no_answer 1)
    router.ready("ann", at=7)  # offered again at 7
    router.accept("a", at=8)
    router.complete("a", at=20)  # handle time 12
    view = router.ledger("ann", at=20)
    assert (view.offers, view.handled, view.completed, view.handle_time, view.misses) == (
        2,
        1,
        1,
        12.0,
        1,
    )
    assert not view.over_cap
    # At 55 the window is (5, 55]: the first offer (1) is out, the miss (6) is still in.
    later = router.ledger("ann", at=55)
    assert (later.offers, later.misses, later.handled) == (1, 1, 1)
    assert list(router.fairness()) == ["ann"]
    same_after_replay(router)


def test_the_ledger_needs_the_config_and_a_known_agent() -> None:
    router = Router(backend="python")
    with pytest.raises(InvalidArgument, match="fairness"):
        router.fairness()
    with pytest.raises(InvalidArgument, match="fairness"):
        router.ledger("ann")
    router = make("python", fairness={})
    with pytest.raises(UnknownAgent):
        router.ledger("nobody")
    router.login("ann", skills={}, at=5)
    with pytest.raises(InvalidArgument, match="router's time"):
        router.fairness(at=4)
    with pytest.raises(ConfigError, match=r"fairness\.max_above_median"):
        RouterConfig.from_dict({"fairness": {"max_above_median": -1}})


def test_explain_names_the_over_cap_agent(backend: str) -> None:
    router = capped_team(backend, cap=0)
    assert serve(router, 2) == ["ann", "bob"]
    first = {c.agent_id: c.reason for c in router.explain("c0").candidates}
    assert router.explain("c0").chosen == "ann" and first == {"ann": None, "bob": None}
    second = router.explain("c1")
    assert second.chosen == "bob"
    assert {c.agent_id: c.reason for c in second.candidates} == {"ann": "over_cap", "bob": None}


def test_snapshots_carry_the_ledger(backend: str) -> None:
    store = MemorySnapshotStore()
    config = RouterConfig.from_dict(
        {
            "auto_accept": True,
            "fairness": {"window": 100.0, "max_above_median": 0},
            "queues": {"default": {"strategy": "most_skilled"}},
        }
    )
    router = Router(config, backend=backend, snapshots=store)
    for name, level in (("ann", 5), ("bob", 1)):
        router.login(name, skills={"x": level}, at=0)
        router.ready(name, at=0)
    serve(router, 1)
    router.snapshot()
    reopened = Router(config, log=router.log, backend=backend, snapshots=store)
    assert reopened.state_digest() == router.state_digest()
    # The restored ledger keeps deciding like the original: bob next (ann over the cap).
    assert serve(reopened, 1, start=20.0, prefix="d") == ["bob"]
    # A config with another window cannot use the snapshot's ledger: full replay instead.
    other = RouterConfig.from_dict({**config.to_dict(), "fairness": {"window": 10.0}})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Router(other, log=router.log, backend=backend, snapshots=store)
    assert any(issubclass(w.category, SnapshotWarning) for w in caught)


def test_the_ledger_follows_config_changes(backend: str) -> None:
    router = make(backend, auto_accept=True)
    router.login("ann", skills={}, at=0)
    router.ready("ann", at=0)
    router.submit("a", channel="voice", at=1)
    router.reconfigure({**router.config.to_dict(), "fairness": {"window": 100.0}}, at=2)
    assert router.ledger("ann").handled == 0  # turned on now: it starts empty
    router.complete("a", at=5)  # accepted before the ledger existed: no handle time known
    router.submit("b", channel="voice", at=6)
    view = router.ledger("ann")
    assert (view.offers, view.handled, view.completed, view.handle_time) == (1, 1, 1, 0.0)
    same = Router.replay(router.events, router.base_config, backend=backend)
    assert same.state_digest() == router.state_digest()
    router.reconfigure({**router.config.to_dict(), "fairness": None}, at=7)
    with pytest.raises(InvalidArgument, match="fairness"):
        router.fairness()


# --- the cap's index against the plain definition ---------------------------------------------

_AGENTS = ["a", "b", "c", "d", "e"]
_steps = st.lists(
    st.tuples(
        st.sampled_from(["login", "logout", "accept", "query", "window"]),
        st.sampled_from(_AGENTS),
        st.sampled_from([0.0, 0.5, 3.0, 10.0]),  # time step
        st.sampled_from([0, 1, 2.5]),  # cap, for queries
    ),
    max_size=80,
)


@given(steps=_steps, window=st.sampled_from([5.0, 20.0]))
def test_the_cap_index_answers_what_the_definition_says(
    steps: list[tuple[str, str, float, float]], window: float
) -> None:
    """The ledger's sorted index (followed through accepts, window expiry, logins, logouts
    and window changes) names the same agents as ``over_cap`` recomputed from scratch; a
    query may go back in time (the index is rebuilt then)."""
    ledger = FairnessLedger(window)
    team: set[str] = set()
    t = 0.0
    for seq, (action, agent, step, cap) in enumerate(steps, 1):
        t += step
        if action == "login" and agent not in team:
            team.add(agent)
            ledger.observe(AgentLoggedIn(seq=seq, at=t, agent_id=agent, skills={}, capacity={}))
        elif action == "logout" and agent in team:
            team.discard(agent)
            ledger.observe(AgentLoggedOut(seq=seq, at=t, agent_id=agent))
        elif action == "accept":
            ledger.observe(OfferAccepted(seq=seq, at=t, interaction_id=f"i{seq}", agent_id=agent))
        elif action == "window":
            ledger.set_window(window if ledger.window != window else window * 2)
        else:
            at = t - step / 2 if cap == 2.5 else t  # now and then a look back
            members = sorted(team)
            expected = over_cap(ledger, members, at, cap)
            assert ledger.over_cap(lambda m=members: m, at, cap) == expected
