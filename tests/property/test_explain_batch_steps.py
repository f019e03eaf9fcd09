"""Explaining a batch decision looks the step up instead of solving it again, and says the same.

``Router.explain`` of a batch step's decision takes the step's pairs from the log (or, where the
omnichannel rules or a budget may leave a chosen pair unoffered, from the router's bounded
record of its steps; failing both, from one solve) and sets up only the interaction's row. The
reference solves the whole step again from the state folded from the log's start. Here: batch
steps over many waiting interactions and agents with several free units, with and without
channel rules, budgets, ``auto_accept``, fairness caps and declines; every batch decision
explained by the live router, by one opened again on the log (no record: the log, or one solve
per coupled step), and with a memory bound that drops the record; and the solver counted.
"""

from __future__ import annotations

import contextlib
from typing import Any
from unittest import mock

import hypothesis.strategies as st
import pytest
from hypothesis import event, given, settings
from test_explain_checkpoints import reference
from test_replay_arrays import AGENTS, CHANNEL_RULES, CHANNELS, SKILLS

from ccrouter import Router, RouterConfig
from ccrouter.engine import batch_steps, checkpoints
from ccrouter.engine.batch_steps import coupled
from ccrouter.engine.routing import batch_match, explain_batch
from ccrouter.errors import CCRouterError
from ccrouter.events import InteractionOffered
from ccrouter.log import MemoryEventLog

STRATEGIES = ["longest_idle", "most_skilled", "round_robin", "random", "fewest_handled"]

skills = st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 1), max_size=1)
agent_skills = st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 3), max_size=3)
capacity = st.dictionaries(st.sampled_from(CHANNELS), st.integers(1, 3), min_size=1, max_size=2)
burst = st.lists(
    st.tuples(st.sampled_from(CHANNELS), skills, st.integers(0, 2)), min_size=1, max_size=8
)
# Between steps: answer the k-th ringing offer, end the k-th connected interaction.
answer = st.tuples(
    st.sampled_from(["accept", "decline", "complete", "complete"]), st.integers(0, 9)
)
rounds = st.lists(st.tuples(burst, st.lists(answer, max_size=6)), min_size=1, max_size=6)


def config_of(strategy: str, auto_accept: bool, base: dict[str, Any]) -> RouterConfig:
    queue = {"strategy": strategy, "offer_timeout": 4.0}
    return RouterConfig.from_dict(
        {
            **base,
            "matching": "batch",
            "auto_accept": auto_accept,
            "queues": {"default": queue, "vip": {**queue, "aging_rate": 1.0}},
        }
    )


def build(
    config: RouterConfig,
    team: list[tuple[dict[str, int], dict[str, int], int | None]],
    history: list[tuple[list[tuple[str, dict[str, int], int]], list[tuple[str, int]]]],
) -> Router:
    router = Router(config, log=MemoryEventLog(), backend="python")
    for aid, (levels, caps, budget) in zip(AGENTS, team, strict=False):
        router.login(aid, skills=levels, capacity=caps, budget=budget, at=0)
        router.ready(aid, at=0)
    at, k = 0.0, 0
    for work, answers in history:
        at += 1.0
        for channel, need, priority in work:
            k += 1
            queue = "vip" if priority == 2 else "default"
            router.submit(
                f"w{k}", channel=channel, skills=need, priority=priority, queue=queue, at=at
            )
        router.match(at=at)
        for name, n in answers:
            status = "connected" if name == "complete" else "offered"
            held = [i for i, x in router.state.interactions.items() if x.status == status]
            if held:
                with contextlib.suppress(CCRouterError):
                    getattr(router, name)(held[n % len(held)], at=at)
    return router


def batch_decisions(router: Router) -> list[str]:
    """The interactions whose last offer a batch step made."""
    last: dict[str, InteractionOffered] = {}
    for e in router.log.read():
        if isinstance(e, InteractionOffered):
            last[e.interaction_id] = e
    return [iid for iid, e in last.items() if isinstance(e.batch_seq, int)]


class Solves:
    """Counts the batch steps solved (the solver patched where explain could call it)."""

    def __init__(self) -> None:
        self.count = 0
        real = batch_match.solve_batch

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real(*args, **kwargs)

        self.patches = [
            mock.patch.object(explain_batch, "solve_batch", counting),
            mock.patch.object(batch_steps, "solve_batch", counting),
        ]

    def __enter__(self) -> Solves:
        for p in self.patches:
            p.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for p in self.patches:
            p.stop()


def assert_batch_equal(router: Router, config: RouterConfig, iids: list[str]) -> int:
    """Each batch decision's explanation equals the full-replay one that solves the step
    again; returns how many steps the router's own explanations solved."""
    with Solves() as solves:
        fast = {iid: router.explain(iid) for iid in iids}
    for iid in iids:
        assert fast[iid].batch is not None, iid
        assert fast[iid] == reference(router, config, iid), iid
    return solves.count


@settings(max_examples=150, deadline=None)
@given(
    strategy=st.sampled_from(STRATEGIES),
    auto_accept=st.booleans(),
    channels=st.sampled_from([{}, *CHANNEL_RULES]),
    budgets=st.booleans(),
    fairness=st.sampled_from([None, {"window": 3.0, "max_above_median": 0}]),
    team=st.lists(
        st.tuples(agent_skills, capacity, st.sampled_from([None, None, 1, 2])),
        min_size=1,
        max_size=len(AGENTS),
    ),
    history=rounds,
    small=st.booleans(),
)
def test_batch_explain_is_a_lookup_equal_to_a_full_replay(
    strategy: str,
    auto_accept: bool,
    channels: dict[str, Any],
    budgets: bool,
    fairness: dict[str, float] | None,
    team: list[tuple[dict[str, int], dict[str, int], int | None]],
    history: list[tuple[list[tuple[str, dict[str, int], int]], list[tuple[str, int]]]],
    small: bool,
) -> None:
    if not budgets:
        team = [(levels, caps, None) for levels, caps, _ in team]
    config = config_of(strategy, auto_accept, {"channels": channels, "fairness": fairness})
    # small: a memory bound that keeps few copies and drops the record of steps.
    with mock.patch.object(checkpoints, "MAX_BYTES", 2000 if small else 1 << 30):
        live = build(config, team, history)
        iids = batch_decisions(live)
        couples = coupled(live.state)
        event(f"batch decisions: {'none' if not iids else '1-4' if len(iids) < 5 else '5+'}")
        event(f"coupled: {couples}")
        solved = assert_batch_equal(live, config, iids)
        steps = {live.log.read(s, s + 1).__next__().batch_seq for s in _offer_seqs(live, iids)}
        if not couples:
            assert solved == 0  # the step's offers are read from the log
        elif not small:
            assert solved == 0  # the steps the router made are recorded
        reopened = Router(config, log=live.log, backend="python")
        solved = assert_batch_equal(reopened, config, iids)
        if not couples:
            assert solved == 0
        else:  # no record after a reopen: each step solved once (or per explanation if
            # the bound drops it at once)
            assert solved <= (len(iids) if small else len(steps))
        if couples and not small:
            assert assert_batch_equal(reopened, config, iids) == 0  # solved once, then kept


def _offer_seqs(router: Router, iids: list[str]) -> list[int]:
    seqs = [router.state.interactions[iid].offer_seq for iid in iids]
    return [s for s in seqs if s is not None]


def test_a_pair_the_channel_rules_refuse_is_still_in_the_step() -> None:
    """Voice blocks chat: the step gives ann a voice call and a chat, the chat's offer is
    refused once the call is offered, so the log has one offer of the step's two pairs. The
    explanation says what the step chose (two matched, both assigned to ann), live (from the
    record), after a reopen (one solve) and with the record dropped (one solve each time)."""
    config = config_of("longest_idle", False, {"channels": {"voice": {"blocks": ["chat"]}}})
    router = Router(config, backend="python")
    router.login("ann", skills={}, capacity={"voice": 1, "chat": 1}, at=0)
    router.ready("ann", at=0)
    router.submit("call", channel="voice", priority=1, at=0)
    router.submit("chat", channel="chat", at=0)
    made = router.match(at=1)
    assert [(e.interaction_id, e.agent_id) for e in made if isinstance(e, InteractionOffered)] == [
        ("call", "ann")
    ]
    expected = reference(router, config, "call")
    assert expected.batch is not None and expected.batch.matched == 2
    ann = next(c for c in expected.candidates if c.agent_id == "ann")
    assert ann.assigned == ["call", "chat"]
    with Solves() as solves:
        assert router.explain("call") == expected
    assert solves.count == 0
    reopened = Router(config, log=router.log, backend="python")
    with Solves() as solves:
        assert reopened.explain("call") == expected
        assert reopened.explain("call") == expected
    assert solves.count == 1
    reopened._checkpoints.steps = batch_steps.BatchSteps(1)  # keeps nothing
    with Solves() as solves:
        assert reopened.explain("call") == expected
        assert reopened.explain("call") == expected
    assert solves.count == 2


def test_the_logged_offers_are_read_past_auto_accepts() -> None:
    """With ``auto_accept`` each offer of a step is followed by its acceptance: the pairs are
    still all read (no solve), the explanation counts them all."""
    config = config_of("most_skilled", True, {})
    router = Router(config, backend="python")
    for aid in AGENTS[:3]:
        router.login(aid, skills={"x": 1}, capacity={"voice": 2}, at=0)
        router.ready(aid, at=0)
    for k in range(5):
        router.submit(f"w{k}", channel="voice", skills={"x": 1}, at=0)
    router.match(at=1)
    iids = batch_decisions(router)
    assert len(iids) == 5
    solved = assert_batch_equal(router, config, iids)
    assert solved == 0
    assert router.explain("w0").batch.matched == 5  # type: ignore[union-attr]


@pytest.mark.parametrize("max_bytes", [1, 200, 1 << 20])
def test_the_record_of_steps_is_bounded(max_bytes: int) -> None:
    """The record keeps the newest steps within its bound (oldest first out)."""
    steps = batch_steps.BatchSteps(max_bytes)
    for first in range(1, 50):
        steps._keep(first, [(f"i{first}", "ann")] * (first % 3))
    held = steps.describe()
    assert held["bytes"] <= max_bytes
    if max_bytes > 1:
        assert 49 in steps._steps
    assert sorted(steps._steps) == list(range(50 - held["steps"], 50))


def test_the_record_refuses_a_bad_bound() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        batch_steps.BatchSteps(0)


@pytest.mark.parametrize("strategy", ["order_by", "random"])
def test_batch_steps_with_a_selector_and_order_by_are_explained_as_a_full_replay(
    strategy: str,
) -> None:
    """An agent selector and ``order_by`` shape a step's rows (who fits, who is preferred):
    the row set up for the explanation applies them as the step did."""
    queue: dict[str, Any] = {"agent_selector": 'agent.level >= 3 and "fr" in agent.languages'}
    if strategy == "order_by":
        queue |= {"strategy": "order_by", "order_by": "agent.level desc"}
    else:
        queue |= {"strategy": "random"}
    schema = {"agent.level": "int", "agent.languages": "list[str]"}
    config = RouterConfig.from_dict(
        {"matching": "batch", "attributes": schema, "queues": {"default": queue}}
    )
    router = Router(config, backend="python")
    team = {"ann": (5, ["en"]), "bob": (2, ["fr"]), "cy": (4, ["fr"]), "dee": (3, ["fr"])}
    for aid, (level, languages) in team.items():
        attributes = {"level": level, "languages": languages}
        router.login(aid, skills={}, capacity={"chat": 2}, attributes=attributes, at=0)
    for k, aid in enumerate(team):
        router.ready(aid, at=k)
    for k in range(6):
        router.submit(f"c{k}", channel="chat", at=10 + k)
    router.match(at=20)
    router.decline("c0", at=21)
    router.match(at=22)
    iids = batch_decisions(router)
    assert len(iids) >= 4
    offered = {e.agent_id for e in router.log.read() if isinstance(e, InteractionOffered)}
    assert offered == {"cy", "dee"}  # the selector's: ann and bob fail it
    assert assert_batch_equal(router, config, iids) == 0
    reopened = Router(config, log=router.log, backend="python")
    assert assert_batch_equal(reopened, config, iids) == 0
