"""Bad input at the boundary: a typed error naming the argument, and nothing changes.

One regression test per finding of the hardening issue (#12, findings 1 to 5): each input
here was once accepted into the log (and then broke every read or reopen), left a half-applied
"ghost" record, hung ``advance``, or raised a plain Python exception.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ccrouter import Router, RouterConfig, core
from ccrouter.errors import (
    CCRouterError,
    ConfigError,
    InvalidArgument,
    TooManyEvents,
    UnknownInteraction,
)
from ccrouter.events import decode_json, decode_msgpack, encode_json, encode_msgpack
from ccrouter.limits import MAX_EVENTS, MAX_NAME, MAX_TIME, MIN_DURATION
from ccrouter.log import FileEventLog, SQLiteEventLog


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail (instead of hanging the suite) when the block runs longer than ``seconds``."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"still running after {seconds} s: an unbounded loop")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def staffed() -> Router:
    router = Router(RouterConfig.from_dict({"queues": {"default": {"offer_timeout": 100}}}))
    router.login("ann", skills={"x": 1}, at=0)
    router.submit("c0", channel="voice", at=1)
    return router


def refused(
    router: Router, call: Callable[[Router], Any], error: type[Exception], field: str
) -> CCRouterError:
    """``call`` raises ``error`` naming ``field``; log and state are exactly as before."""
    before = (router.events, router.state_digest())
    with pytest.raises(error) as caught:
        call(router)
    assert isinstance(caught.value, CCRouterError), type(caught.value)
    assert field in str(caught.value), str(caught.value)
    assert (router.events, router.state_digest()) == before
    router.check()
    assert Router.replay(router.events, router.base_config).state_digest() == router.state_digest()
    return caught.value


# --- finding 1: input that poisons the log ---------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"customer_id": 12345}, "customer_id"),
        ({"customer_id": 10**400}, "customer_id"),
        ({"customer_id": b"kim"}, "customer_id"),
        ({"attributes": {1: "a"}}, "attributes"),
        ({"attributes": {"o": object()}}, "attributes"),
        ({"attributes": {"n": float("nan")}}, "attributes"),
        ({"attributes": {"n": 2**64}}, "attributes"),
        ({"attributes": {"b": b"x"}}, "attributes"),
        ({"attributes": {"s": "\ud800"}}, "attributes"),
        ({"attributes": {"deep": _nested(40)}}, "attributes"),
        ({"attributes": {"big": "x" * 100_001}}, "attributes"),
        ({"customer_id": "\udcff"}, "customer_id"),
    ],
)
def test_submit_refuses_what_the_log_cannot_store(kwargs: dict[str, Any], field: str) -> None:
    router = staffed()
    refused(
        router, lambda r: r.submit("c1", channel="voice", at=2, **kwargs), InvalidArgument, field
    )


@pytest.mark.parametrize("store", ["file", "sqlite"])
def test_a_refused_crm_id_leaves_a_durable_log_that_reopens(tmp_path: Path, store: str) -> None:
    def open_log() -> Any:
        if store == "file":
            return FileEventLog(tmp_path / "events.log", durability="none")
        return SQLiteEventLog(tmp_path / "events.db", durability="none")

    log = open_log()
    router = Router(log=log)
    router.submit("c0", channel="voice", at=0, customer_id="kim")
    with pytest.raises(InvalidArgument, match="customer_id"):
        router.submit("c1", channel="voice", at=1, customer_id=12345)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="attributes"):
        router.submit("c2", channel="voice", at=1, attributes={1: "a"})
    router.submit("c3", channel="voice", at=2, attributes={"crm": {"id": 12345, "tags": ("a",)}})
    digest = router.state_digest()
    log.close()
    log = open_log()
    try:
        again = Router(log=log)
        assert again.state_digest() == digest
        kinds = [e.kind for e in again.events]
        assert kinds == ["config_changed", "interaction_queued", "interaction_queued"]
        # A tuple is stored as the list it encodes to, live and after the reopen alike.
        assert again.interaction("c3").attributes == {"crm": {"id": 12345, "tags": ["a"]}}
    finally:
        log.close()


def test_attributes_are_copied_at_the_boundary() -> None:
    """The caller's nested data mutated after submit changes neither the log nor the state."""
    router = Router()
    tags = ["vip"]
    router.submit("c1", channel="voice", at=0, attributes={"tags": tags})
    tags.append("later")
    assert router.events[0].attributes == {"tags": ["vip"]}  # type: ignore[union-attr]
    assert router.interaction("c1").attributes == {"tags": ["vip"]}


def test_every_event_of_valid_attributes_round_trips_both_codecs() -> None:
    router = Router()
    data = {
        "i": -(2**63),
        "u": 2**63 - 1,
        "f": -0.0,
        "b": True,
        "n": None,
        "l": [1, "x", {"k": 1.5}],
    }
    router.submit("c1", channel="voice", at=0, attributes=data, customer_id="ä-ö")
    router.update("c1", at=1, attributes={"more": ["é"]})
    for event in router.events:
        assert decode_json(encode_json(event)) == event
        assert decode_msgpack(encode_msgpack(event)) == event


# --- finding 2: a half-applied ghost ----------------------------------------------------------


def test_unhashable_customer_id_leaves_no_ghost() -> None:
    router = staffed()
    refused(
        router,
        lambda r: r.submit("c1", channel="voice", at=2, customer_id=["kim"]),
        InvalidArgument,
        "customer_id",
    )
    assert "c1" not in router.state.interactions
    with pytest.raises(UnknownInteraction):
        router.request_callback("c1", at=3)
    assert Router.replay(router.events, router.base_config).state_digest() == router.state_digest()


# --- finding 3: no unbounded loop -------------------------------------------------------------

SELF_OVERFLOW = {"queues": {"q": {"max_wait": 30, "overflow_to": "q"}}}


def test_self_overflow_at_a_huge_time_is_refused_not_a_hang() -> None:
    router = Router(RouterConfig.from_dict(SELF_OVERFLOW))
    router.submit("c1", channel="voice", queue="q", at=0)
    with deadline(20):
        refused(router, lambda r: r.advance(at=1e18), InvalidArgument, "at")
        refused(router, lambda r: r.submit("c2", channel="voice", at=1e18), InvalidArgument, "at")


def _overflowing(limit: int, monkeypatch: pytest.MonkeyPatch) -> Router:
    monkeypatch.setattr(core, "MAX_EVENTS", limit)
    router = Router(RouterConfig.from_dict(SELF_OVERFLOW))
    router.submit("c1", channel="voice", queue="q", at=0)
    return router


def test_self_overflow_over_a_long_span_stops_at_the_event_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    router = _overflowing(1000, monkeypatch)
    with deadline(20):
        error = refused(router, lambda r: r.advance(at=1e9), TooManyEvents, "at")
    assert isinstance(error, InvalidArgument)
    # Smaller steps get there: each exit re-arrives 30 s later.
    router.advance(at=300)
    assert sum(e.kind == "interaction_exited" for e in router.events) == 10
    assert Router.replay(router.events, router.base_config).state_digest() == router.state_digest()


def test_the_event_limit_counts_per_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """Up to the limit is fine: a long gap is not refused for being long."""
    router = _overflowing(1000, monkeypatch)
    with deadline(20):
        assert len(router.advance(at=30 * 1000)) == 1000
        refused(router, lambda r: r.advance(at=30 * 2001), TooManyEvents, "at")
        assert len(router.advance(at=30 * 2000)) == 1000


@pytest.mark.slow
def test_the_real_event_limit_stops_a_self_overflow_advanced_to_the_largest_time() -> None:
    router = Router(RouterConfig.from_dict(SELF_OVERFLOW))
    router.submit("c1", channel="voice", queue="q", at=0)
    with deadline(300):
        refused(router, lambda r: r.advance(at=MAX_TIME), TooManyEvents, "at")
        assert len(router.advance(at=30.0 * MAX_EVENTS)) == MAX_EVENTS


def _times(router: Router, kind: str) -> list[float]:
    return [e.at for e in router.events if e.kind == kind]


def test_timer_chains_at_the_largest_time_move_time_on() -> None:
    """At the edge of the range, with the shortest durations, the chains that once circled
    at one instant each move time on by a duration: an overflow back to the same queue (by
    ``max_wait`` and by ``max_wait_no_agents``) and an offer that times out and is offered
    again."""
    t0 = MAX_TIME - 1.0
    config = {
        "max_no_answer": 10**6,
        "queues": {
            "wait": {"max_wait": MIN_DURATION, "overflow_to": "wait"},
            "nobody": {"max_wait_no_agents": MIN_DURATION, "overflow_to": "nobody"},
            "ring": {"offer_timeout": MIN_DURATION},
        },
    }
    router = Router(RouterConfig.from_dict(config))
    for agent in ("ann", "bob"):
        router.login(agent, skills={}, capacity={"phone": 1}, at=t0)
        router.ready(agent, at=t0)
    router.submit("w", channel="voice", queue="wait", at=t0)
    router.submit("n", channel="voice", queue="nobody", at=t0)
    router.submit("r", channel="phone", queue="ring", at=t0)
    with deadline(60):
        router.advance(at=t0 + 0.1)
    for kind, least in (("interaction_exited", 180), ("offer_timed_out", 90)):
        times = _times(router, kind)
        assert len(times) >= least, kind  # two chains of ~100 exits; ~100 missed offers
        assert all(b >= a for a, b in itertools.pairwise(times)), kind
    exits = [e for e in router.events if e.kind == "interaction_exited"]
    for iid in ("w", "n"):
        times = [e.at for e in exits if e.interaction_id == iid]  # type: ignore[attr-defined]
        assert all(b > a for a, b in itertools.pairwise(times)), iid
        assert all(
            abs((b - a) - MIN_DURATION) < MIN_DURATION / 4 for a, b in itertools.pairwise(times)
        )
    assert Router.replay(router.events, router.base_config).state_digest() == router.state_digest()


@pytest.mark.parametrize(
    "queue",
    [
        {"max_wait": 1e-9, "overflow_to": "q"},
        {"max_wait_no_agents": 1e-9, "overflow_to": "q"},
        {"offer_timeout": 1e-9},
        {"wrap_up": 1e-9},
        {"deadline": 1e-12},
    ],
)
def test_durations_too_short_to_move_a_large_time_are_refused(queue: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=r"0\.001"):
        RouterConfig.from_dict({"queues": {"q": queue}})


def test_min_duration_moves_every_time_in_range() -> None:
    """The bound's justification: any time within ``MAX_TIME`` (and a duration on top of it)
    plus ``MIN_DURATION`` is a later time, within a few percent of the duration."""
    for t in (MAX_TIME, -MAX_TIME, 2 * MAX_TIME, math.nextafter(MAX_TIME, 0), 1.7e9):
        later = t + MIN_DURATION
        assert later > t
        assert abs((later - t) - MIN_DURATION) <= 0.25 * MIN_DURATION


# --- finding 4: typed errors only ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda r: r.ready(["ann"], at=3), "agent_id"),
        (lambda r: r.not_ready("ann", reason=["x"], at=3), "reason"),
        (lambda r: r.accept({"c0"}, at=3), "interaction_id"),
        (lambda r: r.complete(["c0"], at=3), "interaction_id"),
        (lambda r: r.abandon(["c0"], at=3), "interaction_id"),
        (lambda r: r.update(["c0"], at=3, priority=1), "interaction_id"),
        (lambda r: r.add_note(["c0"], "x", at=3), "interaction_id"),
        (lambda r: r.transfer(["c0"], to_queue="default", at=3), "interaction_id"),
        (lambda r: r.login("bob", skills={}, groups=None, at=3), "groups"),
        (lambda r: r.login("bob", skills={}, groups=5, at=3), "groups"),
        (lambda r: r.login("bob", skills=5, at=3), "skills"),
        (lambda r: r.login("bob", skills={}, capacity=[1], at=3), "capacity"),
        (lambda r: r.submit("c1", channel="voice", preferred_agents=5, at=3), "preferred_agents"),
        (lambda r: r.submit("c1", channel="voice", attributes=5, at=3), "attributes"),
        (lambda r: r.submit("c1", channel="voice", attributes="ab", at=3), "attributes"),
        (lambda r: r.submit("c1", channel="voice", queue=["q"], at=3), "queue"),
        (lambda r: r.submit("c1", channel="voice", skills=[("x", 1)], at=3), "skills"),
        (lambda r: r.update("c0", attributes="ab", at=3), "attributes"),
        (lambda r: r.update("c0", attributes={2: 3}, at=3), "attributes"),
        (lambda r: r.advance(at=10**400), "at"),
        (lambda r: r.advance(at="5"), "at"),
        (lambda r: r.submit("c1", channel="voice", at=10**400), "at"),
        (lambda r: r.submit("c1", channel="voice", priority=10**400, at=3), "priority"),
        (lambda r: r.submit("c1", channel="voice", priority=1e300, at=3), "priority"),
        (lambda r: r.submit("c1", channel="voice", deadline=10**400, at=3), "deadline"),
        (lambda r: r.submit("c1", channel="voice", deadline=1e200, at=3), "deadline"),
        (
            lambda r: r.submit(
                "c1", channel="voice", preferred_agents=["a"], preferred_wait=10**400, at=3
            ),
            "preferred_wait",
        ),
        (lambda r: r.update("c0", priority=10**400, at=3), "priority"),
        (
            lambda r: r.transfer("c0", to_agent="x", mode="consult", timeout=10**400, at=3),
            "timeout",
        ),
        (lambda r: r.transfer("c0", to_queue=["q"], at=3), "to_queue"),
        (lambda r: r.transfer("c0", to_queue="default", mode=["blind"], at=3), "mode"),
        (lambda r: r.advance(at=3, command_id=["k"]), "command_id"),
        (lambda r: r.advance(at=3, command_id="\ud800"), "command_id"),
        (lambda r: r.reconfigure(5, at=3), "config"),
        (lambda r: r.submit("x" * (MAX_NAME + 1), channel="voice", at=3), "interaction_id"),
    ],
)
def test_bad_arguments_raise_typed_errors_naming_them(call: Any, field: str) -> None:
    router = staffed()
    refused(router, call, CCRouterError, field)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (lambda r: r.agent(["ann"]), "agent_id"),
        (lambda r: r.interaction({"c0": 1}), "interaction_id"),
        (lambda r: r.customer(["kim"]), "customer_id"),
        (lambda r: r.explain(["c0"]), "interaction_id"),
        (lambda r: r.ledger(["ann"]), "agent_id"),
        (lambda r: r.fairness(at=10**400), "at"),
        (lambda r: r.ledger("ann", at=float("inf")), "at"),
    ],
)
def test_queries_raise_typed_errors_for_bad_ids(query: Any, field: str) -> None:
    router = Router(RouterConfig.from_dict({"fairness": {"window": 60}}))
    router.login("ann", skills={}, at=0)
    with pytest.raises(CCRouterError, match=field):
        query(router)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"queues": {1: {}}}, "queues"),
        ({"queues": {"": {}}}, "queues"),
        ({"channels": {"": {}}}, "channels"),
        ({"channels": {2: {}}}, "channels"),
        ({"queues": {"q": {"groups": [""]}}}, "groups"),
        ({"queues": {"q": {"groups": "ab"}}}, "groups"),
        ({"queues": {"q": {"steps": [{"after": 1, "groups": [""]}]}}}, "groups"),
        ({"queues": {"q": {"steps": [{"after": 1, "drop_skills": [""]}]}}}, "drop_skills"),
        ({"seed": 2**70}, "seed"),
        ({"seed": -(2**70)}, "seed"),
        ({"max_no_answer": 10**400}, "max_no_answer"),
        ({"customer_history": 10**400}, "customer_history"),
        ({"queues": {"q": {"max_size": 10**400}}}, "max_size"),
        ({"channels": {"chat": {"cost": 10**400}}}, "cost"),
        ({"queues": {"q": {"wrap_up": 1e300}}}, "wrap_up"),
        ({"queues": {"q": {"aging_rate": 1e300}}}, "aging_rate"),
        ({"queues": {"q": {"overdue_priority": 1e300}}}, "overdue_priority"),
        ({"queues": {"q": {"steps": [{"after": 1, "priority": 1e300}]}}}, "priority"),
        ({"queues": {"q": {"reminders": [1e300]}}}, "reminders"),
        ({"fairness": {"window": 1e300}}, "window"),
        ({"queues": {"q\ud800": {}}}, "queues"),
    ],
)
def test_config_refuses_bad_names_and_out_of_range_numbers(
    data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ConfigError, match=field):
        RouterConfig.from_dict(data)


def test_reconfigure_with_a_bad_queue_name_changes_nothing() -> None:
    router = staffed()
    refused(router, lambda r: r.reconfigure({"queues": {1: {}}}, at=3), ConfigError, "queues")
    router.state_digest()


def test_direct_config_construction_is_checked_too() -> None:
    from ccrouter.config import QueueConfig

    with pytest.raises(ConfigError, match="queues"):
        RouterConfig(queues={1: QueueConfig()})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="seed"):
        RouterConfig(seed=2**70)


# --- finding 5 and smaller: no silent reinterpretation ----------------------------------------


def test_preferred_agents_as_a_bare_string_is_refused_not_split() -> None:
    router = staffed()
    refused(
        router,
        lambda r: r.submit("c1", channel="voice", preferred_agents="bob", at=2),
        InvalidArgument,
        "preferred_agents",
    )
    refused(
        router, lambda r: r.login("bob", skills={}, groups="x", at=2), InvalidArgument, "groups"
    )


@pytest.mark.parametrize("skills", [0, False, "", []])
def test_falsy_non_mapping_skills_are_refused_not_read_as_none(skills: Any) -> None:
    router = staffed()
    refused(
        router,
        lambda r: r.submit("c1", channel="voice", skills=skills, at=2),
        InvalidArgument,
        "skills",
    )
    refused(router, lambda r: r.update("c0", skills=skills, at=2), InvalidArgument, "skills")


def test_empty_customer_id_is_refused_by_submit_as_by_customer() -> None:
    router = staffed()
    refused(
        router,
        lambda r: r.submit("c1", channel="voice", customer_id="", at=2),
        InvalidArgument,
        "customer_id",
    )
    with pytest.raises(InvalidArgument, match="customer_id"):
        router.customer("")


def test_a_legitimate_router_still_works_after_every_refusal() -> None:
    router = staffed()
    for bad in (12345, ["kim"], "", 10**400):
        with pytest.raises(InvalidArgument):
            router.submit("c1", channel="voice", customer_id=bad, at=2)
    router.ready("ann", at=3)
    events = router.submit("c1", channel="voice", customer_id="kim", at=4)
    assert [e.kind for e in events] == ["interaction_queued"]  # c0 took ann at once
    assert router.interaction("c0").agent_id == "ann"
    assert [c.interaction_id for c in router.customer("kim").contacts] == ["c1"]
