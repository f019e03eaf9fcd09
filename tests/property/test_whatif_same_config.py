"""What-if replay under the recorded config reproduces the recorded log.

Hypothesis makes small histories on a live router (offer timeouts, declines, misses and the
``no_answer`` not-ready, abandons while queued and while ringing, wrap-up, logouts that
revoke offers and end wrap-up, targeted submissions, last-agent routing, updates, idle
``advance``s, commands with ``command_id``s, every strategy, config changes while running,
customers' callback requests and automatic callbacks (``callback_after``), explicit and
queue deadlines with reminders and overdue escalation, blind and consult transfers and
escalations, consults accepted, declined and timed out).
Re-running the log's inputs and recorded behaviour under the same config must make every
decision again: the same agent at the same time for every offer, and in fact the very same
event log, with nothing skipped (config changes are replayed: ``config_changes="replay"``).
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
from hypothesis import given, note, settings

from ccrouter import Router, RouterConfig
from ccrouter.config import STRATEGIES as ALL_STRATEGIES
from ccrouter.errors import CCRouterError
from ccrouter.events import (
    CallbackRequested,
    CommandRecorded,
    Event,
    InteractionDeadlineSet,
    InteractionOffered,
    TransferDeclined,
)
from ccrouter.whatif.compare import decisions, whatif

# order_by reads agent attributes through a declared schema: its replay is held to live in
# tests/property/test_selectors_replay.py.
STRATEGIES = [s for s in ALL_STRATEGIES if s != "order_by"]
PERFORMANCE = {"performance": {"kpi": "handle_time", "balance": 0.5}}
"""The ``performance`` strategy's settings (its estimates come from the recorded handle times,
which a what-if run makes again)."""
AGENTS = ["a0", "a1", "a2"]
QUEUES = ["default", "tier2"]

KINDS = (
    ["submit"] * 3 + ["accept"] * 3 + ["ready"] * 4 + ["complete"] * 2 + ["login"] * 2
    + ["decline"] * 2 + ["transfer"] * 3 + ["escalate"] * 2 + ["accept_transfer"] * 3
    + ["decline_transfer"] * 2
    + ["advance", "not_ready", "logout", "abandon", "update", "reconfigure", "note",
       "request_callback"]
)  # fmt: skip


def draw_transfer(data: st.DataObject, router: Router, kind: str) -> tuple[Any, ...] | None:
    """A transfer or escalation of connected work (no consult pending), or a consult's answer."""
    state = router.state
    connected = [i for i in state.interactions.values() if i.status == "connected"]
    if kind in ("accept_transfer", "decline_transfer"):
        ids = sorted(i.interaction_id for i in connected if i.consult is not None)
        return (kind, data.draw(st.sampled_from(ids))) if ids else None
    ids = sorted(i.interaction_id for i in connected if i.consult is None)
    if not ids:
        return None
    iid = data.draw(st.sampled_from(ids))
    holder = state.interactions[iid].agent_id
    mode = data.draw(st.sampled_from(["blind", "consult"]))
    free = sorted(a for a, agent in state.agents.items()
                  if agent.presence == "ready" and agent.free("voice") > 0)  # fmt: skip
    others = [a for a in (free if mode == "consult" else AGENTS) if a != holder]
    if not others:
        mode = "blind"
    agents = others if mode == "consult" else [None, *others]
    to_agent = data.draw(st.sampled_from(agents)) if agents else None
    to_queue = data.draw(st.sampled_from([None, *QUEUES]))
    if kind == "transfer" and to_queue is None and to_agent is None:
        to_queue = "tier2"
    timeout = data.draw(st.sampled_from([None, 3.0])) if mode == "consult" else None
    note = data.draw(st.sampled_from([None, "vip"]))
    return (kind, iid, mode, to_queue, to_agent, timeout, note)


def draw_command(data: st.DataObject, router: Router) -> tuple[Any, ...]:
    """A command that mostly fits the router's state (so that histories get somewhere)."""
    state = router.state
    consulting = any(i.consult is not None for i in state.interactions.values())
    answers = ["accept_transfer"] * 6 + ["decline_transfer"] * 3 if consulting else []
    kind = data.draw(st.sampled_from(KINDS + answers))
    live = [a for a in AGENTS if a in state.agents and state.agents[a].presence != "logged_out"]
    by_status: dict[str, list[str]] = {}
    for i in state.interactions.values():
        by_status.setdefault(i.status, []).append(i.interaction_id)
    if kind == "login":
        free = [a for a in AGENTS if a not in live]
        if free:
            aid = data.draw(st.sampled_from(free))
            return ("login", aid, data.draw(st.integers(0, 3)), data.draw(st.integers(1, 2)),
                    data.draw(st.sampled_from([None, None, 1])))  # fmt: skip
    elif kind in ("ready", "not_ready", "logout") and live:
        aid = data.draw(st.sampled_from(live))
        return (
            ("not_ready", aid, data.draw(st.sampled_from(["break", "lunch"])))
            if (kind == "not_ready")
            else (kind, aid)
        )
    elif kind == "submit":
        target = data.draw(st.sampled_from([None] * 6 + ["pref", "direct"]))
        iid = f"c{len(state.interactions)}"
        return ("submit", iid, data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2)),
                target, data.draw(st.sampled_from(AGENTS)),
                data.draw(st.sampled_from([None, "u0", "u1"])),
                data.draw(st.sampled_from(QUEUES[:1] * 3 + QUEUES[1:])),
                data.draw(st.sampled_from([None, None, 4.0])))  # fmt: skip
    elif kind in ("transfer", "escalate", "accept_transfer", "decline_transfer"):
        drawn = draw_transfer(data, router, kind)
        if drawn is not None:
            return drawn
    elif kind in ("accept", "decline", "complete", "abandon", "update", "note",
                  "request_callback"):  # fmt: skip
        wanted = {"accept": ["offered"], "decline": ["offered"], "complete": ["connected"],
                  "abandon": ["queued", "offered"], "request_callback": ["queued"],
                  "update": ["queued", "offered", "connected"],
                  "note": ["queued", "offered", "connected"]}[kind]  # fmt: skip
        ids = [iid for status in wanted for iid in by_status.get(status, [])]
        if ids:
            iid = data.draw(st.sampled_from(sorted(ids)))
            if kind == "update":
                return ("update", iid, data.draw(st.integers(0, 3)))
            return (kind, iid)
    elif kind == "reconfigure":
        return ("reconfigure", data.draw(st.sampled_from(STRATEGIES)),
                data.draw(st.sampled_from([0.0, 1.0])))  # fmt: skip
    return ("advance",)


def run(router: Router, cmd: tuple[Any, ...], at: float, cid: str | None) -> None:
    name, *args = cmd
    try:
        if name == "reconfigure":
            data = router.config.to_dict()
            data["queues"]["default"].update(
                strategy=args[0], wrap_up=args[1], performance=PERFORMANCE.get(args[0])
            )
            router.reconfigure(data, at=at, command_id=cid)
            return
        if name == "login":
            aid, level, cap, budget = args
            router.login(aid, skills={"en": level}, capacity={"voice": cap}, budget=budget,
                         at=at, command_id=cid)  # fmt: skip
        elif name in ("ready", "logout"):
            getattr(router, name)(args[0], at=at, command_id=cid)
        elif name == "not_ready":
            router.not_ready(args[0], reason=args[1], at=at, command_id=cid)
        elif name == "submit":
            iid, level, priority, target, aid, customer, queue, due_in = args
            extra: dict[str, Any] = {"customer_id": customer}
            if target == "pref":
                extra = {"preferred_agents": [aid], "preferred_wait": 2.5}
            elif target == "direct":
                extra = {"direct_to": aid}
            deadline = None if due_in is None else at + due_in
            router.submit(
                iid, channel="voice", skills={"en": level}, priority=priority, at=at,
                queue=queue, deadline=deadline, command_id=cid, **extra,
            )  # fmt: skip
        elif name in ("transfer", "escalate"):
            iid, mode, to_queue, to_agent, timeout, note = args
            getattr(router, name)(
                iid, to_queue=to_queue, to_agent=to_agent, mode=mode, timeout=timeout,
                note=note, at=at, command_id=cid,
            )  # fmt: skip
        elif name == "update":
            router.update(args[0], priority=args[1], at=at, command_id=cid)
        elif name == "note":
            router.add_note(args[0], "called back", at=at, command_id=cid)
        elif name == "advance":
            router.advance(at=at, command_id=cid)
        else:
            getattr(router, name)(args[0], at=at, command_id=cid)
    except CCRouterError:
        pass  # an invalid command leaves no trace


def _without_fingerprints(events: list[Event]) -> list[Any]:
    # An id that closed an advance or a no-op command is replayed on an advance, and a
    # transfer is rebuilt with its resolved target queue and timeout: same position, other
    # fingerprint.
    return [
        (e.seq, e.at, e.command_id, e.events) if isinstance(e, CommandRecorded) else e
        for e in events
    ]


@settings(max_examples=200)
@given(
    strategy=st.sampled_from(STRATEGIES),
    offer_timeout=st.sampled_from([None, 2.0, 3.5]),
    wrap_up=st.sampled_from([0.0, 1.5]),
    auto_accept=st.booleans(),
    max_no_answer=st.integers(1, 2),
    aging=st.sampled_from([0.0, 0.5]),
    last_agent=st.sampled_from([None, {"wait": 2.0}, {"wait": 1.5, "scope": "any"}]),
    callback_after=st.sampled_from([None, 3.0]),
    deadline=st.sampled_from([None, 5.0]),
    staffed=st.booleans(),
    n_steps=st.integers(5, 40),
    data=st.data(),
)
def test_same_config_reproduces_the_log(
    strategy: str,
    offer_timeout: float | None,
    wrap_up: float,
    auto_accept: bool,
    max_no_answer: int,
    aging: float,
    last_agent: dict[str, Any] | None,
    callback_after: float | None,
    deadline: float | None,
    staffed: bool,
    n_steps: int,
    data: st.DataObject,
) -> None:
    # Queue deadlines (5 s after arrival, reminded 1.5 s before) beside explicit ones.
    due = {"deadline": deadline, "reminders": [1.5], "overdue_priority": 2.0}
    queue: dict[str, Any] = {
        "strategy": strategy, "wrap_up": wrap_up, "aging_rate": aging, "escalate_to": "tier2",
        "callback_after": callback_after, "performance": PERFORMANCE.get(strategy), **due,
    }  # fmt: skip
    if last_agent is not None:
        queue["last_agent"] = last_agent
    if offer_timeout is not None:
        queue["offer_timeout"] = offer_timeout
    tier2 = {"strategy": strategy, "offer_timeout": offer_timeout,
             "performance": PERFORMANCE.get(strategy), **due}  # fmt: skip
    config = RouterConfig.from_dict(
        {"auto_accept": auto_accept, "max_no_answer": max_no_answer, "seed": 7,
         "queues": {"default": queue, "tier2": tier2},
         "performance": {"bucket": 5.0, "window": 20.0, "repeat_within": 10.0}}
    )  # fmt: skip
    router = Router(config, backend="python")
    note(f"config={config.to_dict()}")
    at = 0.0
    if staffed:  # everyone ready from the start: histories get to transfers sooner
        for aid in AGENTS:
            router.login(aid, skills={"en": 2}, capacity={"voice": 1}, at=at)
            router.ready(aid, at=at)
    for n in range(n_steps):
        cmd = draw_command(data, router)
        at += data.draw(st.sampled_from([0.0, 0.5, 1.0, 2.0]))
        with_id = data.draw(st.sampled_from([False, False, False, True]))
        note(f"{cmd} at={at} id={with_id}")
        run(router, cmd, at, f"cmd-{n}" if with_id else None)
    recorded = router.events

    result = whatif(recorded, config, backend="python", config_changes="replay")

    assert decisions(result.events) == decisions(recorded)
    assert result.same_decisions
    assert result.skipped == []
    assert _without_fingerprints(result.events) == _without_fingerprints(recorded)
    assert result.changed == 0 and result.summary.another_agent == 0
    assert result.summary.before == result.summary.after
    assert all(d.before == d.after for d in result.interactions)


def test_the_property_meets_declines_timeouts_abandons_and_wrap_up() -> None:
    """A fixed history with every behaviour the property is about, so it is surely covered."""
    config = RouterConfig.from_dict({"queues": {"default": {"offer_timeout": 3, "wrap_up": 2}}})
    r = Router(config, backend="python")
    r.login("a0", skills={"en": 1}, at=0)
    r.login("a1", skills={"en": 2}, at=0)
    r.ready("a0", at=0)
    r.submit("c1", channel="voice", at=1)  # -> a0
    r.decline("c1", at=2)  # nobody else is ready: back to a0
    r.ready("a1", at=2)
    r.advance(at=10)  # a0 misses at 5 (no_answer) -> a1, who misses at 8
    r.login("a2", skills={}, at=10)
    r.ready("a2", at=10)  # -> a2
    r.accept("c1", at=10.5)
    r.submit("c2", channel="voice", at=11)
    r.abandon("c2", at=12)
    r.complete("c1", at=20)  # wrap-up until 22
    r.ready("a1", at=21)
    r.submit("c3", channel="voice", at=23)  # -> a1
    recorded = r.events
    kinds = {e.kind for e in recorded}
    assert {"offer_declined", "offer_timed_out", "interaction_abandoned", "wrap_up_ended"} <= kinds
    result = whatif(recorded, config, backend="python")
    assert result.events == recorded
    assert [e.agent_id for e in recorded if isinstance(e, InteractionOffered)] == [
        "a0", "a0", "a1", "a2", "a1",
    ]  # fmt: skip


def test_the_property_meets_transfers_callbacks_and_deadlines() -> None:
    """A fixed history with every input and reaction added for transfers, callbacks and
    deadlines, so they are surely covered: consults that time out, are declined and are
    accepted, an escalation, callbacks of both kinds, explicit and queue deadlines."""
    config = RouterConfig.from_dict({"queues": {
        "default": {"offer_timeout": 10, "callback_after": 6, "deadline": 30, "reminders": [10],
                    "escalate_to": "tier2", "wrap_up": 1},
        "tier2": {},
    }})  # fmt: skip
    r = Router(config, backend="python")
    for aid in AGENTS:
        r.login(aid, skills={}, at=0)
    r.ready("a0", at=0)
    r.ready("a1", at=0)
    r.submit("c1", channel="voice", at=1)  # a0; due 30 s after arrival (the queue's)
    r.submit("c2", channel="voice", deadline=40, at=1)  # a1; due at 40 (its own)
    r.accept("c1", at=2)
    r.accept("c2", at=2, command_id="cmd-accept")
    r.ready("a2", at=3)
    r.transfer("c2", to_agent="a2", mode="consult", timeout=0.5, at=3.5)  # rings out at 4
    r.advance(at=4)
    r.transfer("c1", to_agent="a2", mode="consult", timeout=5, at=4)
    r.decline_transfer("c1", at=5)
    r.transfer("c1", to_agent="a2", mode="consult", note="refund", at=6, command_id="cmd-c")
    r.accept_transfer("c1", at=7)  # a2 takes c1 over, a0 is free
    r.submit("c3", channel="voice", at=8)  # a0
    r.submit("c4", channel="voice", at=8)  # waits: a callback after 6 s
    r.submit("c5", channel="voice", at=8)
    r.request_callback("c5", at=9)  # the customer asks
    r.accept("c3", at=9)
    r.add_note("c3", "asked twice", at=10)
    r.escalate("c2", note="angry", at=11, command_id="cmd-esc")  # blind, to tier2
    r.advance(at=20)
    r.complete("c1", at=21)
    r.advance(at=60)
    recorded = r.events
    kinds = {e.kind for e in recorded}
    assert {"transfer_offered", "transfer_accepted", "interaction_transferred"} <= kinds
    assert {(e.outcome) for e in recorded if isinstance(e, TransferDeclined)} == {
        "declined", "timed_out",
    }  # fmt: skip
    assert {e.automatic for e in recorded if isinstance(e, CallbackRequested)} == {True, False}
    assert {e.explicit for e in recorded if isinstance(e, InteractionDeadlineSet)} == {
        True, False,
    }  # fmt: skip
    assert "interaction_reminded" in kinds and "interaction_overdue" in kinds
    result = whatif(recorded, config, backend="python")
    assert result.skipped == []
    assert _without_fingerprints(result.events) == _without_fingerprints(recorded)
