"""Apply is atomic: when applying an event fails for any reason, the state is exactly as
before the command (no ghost record), the log is unchanged and the router goes on working.

Failures are injected: one event handler of ``RouterState`` raises once, before or after it
changed the state, at the first event of its type in a scenario that makes every event type;
the store's append fails; routing fails between two applied events.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

import ccrouter.engine.state as state_module
from ccrouter import Router, RouterConfig, core
from ccrouter.errors import CCRouterError, InvalidArgument, UnknownQueue
from ccrouter.events import Event, InteractionQueued
from ccrouter.log import MemoryEventLog

_spec = importlib.util.spec_from_file_location(
    "make_golden", Path(__file__).resolve().parents[1] / "golden" / "make_golden.py"
)
assert _spec is not None and _spec.loader is not None
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

COMMANDS = {
    "login", "ready", "not_ready", "logout", "submit", "accept", "decline", "complete",
    "abandon", "request_callback", "update", "transfer", "escalate", "accept_transfer",
    "decline_transfer", "add_note", "advance", "match", "reconfigure", "update_agent",
    "extend_wrap_up", "end_wrap_up", "record_outcome",
}  # fmt: skip

Call = tuple[str, tuple[Any, ...], dict[str, Any]]


class _Recorder:
    """Forwards to a router and records every command that succeeded."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.calls: list[Call] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.router, name)
        if name not in COMMANDS:
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            self.calls.append((name, args, kwargs))
            return result

        return call


def _recorded() -> tuple[list[Call], list[Event], str]:
    recorder = _Recorder(Router(RouterConfig.from_dict(golden.CONFIG)))
    golden.scenario(recorder)
    return recorder.calls, recorder.router.events, recorder.router.state_digest()


CALLS, EVENTS, DIGEST = _recorded()
KINDS = sorted({type(e) for e in EVENTS}, key=lambda t: t.__name__)


class _Injected(RuntimeError):
    """The failure injected (a bug, as far as the router can tell)."""


def _one_shot(
    kind: type[Any], when: str, error: Callable[[], BaseException]
) -> tuple[Callable[..., None], list[bool]]:
    original = state_module._APPLY[kind]
    fired: list[bool] = []

    def handler(state: Any, event: Any) -> None:
        if fired:
            original(state, event)
            return
        fired.append(True)
        if when == "after":
            original(state, event)
        elif when == "half":  # some of the change made, not all of it
            state.logins += 1000
            state.customers.setdefault("ghost", []).append("ghost")
        raise error()

    return handler, fired


def _replay_with_one_failure(
    kind: type[Any], when: str, error: Callable[[], BaseException], monkeypatch: Any
) -> Router:
    handler, fired = _one_shot(kind, when, error)
    monkeypatch.setitem(state_module._APPLY, kind, handler)
    router = Router(RouterConfig.from_dict(golden.CONFIG))
    failures = 0
    for name, args, kwargs in CALLS:
        before = (router.events, router.state_digest(), router.now)
        try:
            getattr(router, name)(*args, **kwargs)
        except (_Injected, InvalidArgument, UnknownQueue):
            failures += 1
            assert (router.events, router.state_digest(), router.now) == before, (name, args)
            router.check()
            assert "ghost" not in router.state.customers
            getattr(router, name)(*args, **kwargs)  # the same command now succeeds
    assert fired and failures == 1
    return router


def test_the_scenario_makes_every_event_type() -> None:
    assert {k.__name__ for k in KINDS} == {k.__name__ for k in state_module._APPLY}


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_a_failed_apply_leaves_the_state_as_before(
    kind: type[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each event type fails once after its handler changed the state (a bug, or a typed
    error raised half-way); the router rebuilds, the retry succeeds, and the end state and
    log are those of a run without the failure."""
    typed = KINDS.index(kind) % 2 == 1  # alternate: a plain bug, a CCRouterError
    error: Callable[[], BaseException] = (
        (lambda: UnknownQueue("injected")) if typed else (lambda: _Injected("injected"))
    )
    router = _replay_with_one_failure(kind, "after", error, monkeypatch)
    assert router.events == EVENTS
    assert router.state_digest() == DIGEST


@pytest.mark.slow
@pytest.mark.parametrize("when", ["before", "after", "half"])
@pytest.mark.parametrize("typed", [False, True])
def test_every_event_type_failing_every_way(
    when: str, typed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    error: Callable[[], BaseException] = (
        (lambda: InvalidArgument("injected")) if typed else (lambda: _Injected("injected"))
    )
    for kind in KINDS:
        with monkeypatch.context() as patch:
            router = _replay_with_one_failure(kind, when, error, patch)
        assert router.events == EVENTS, kind
        assert router.state_digest() == DIGEST, kind


def test_a_typed_error_half_way_through_the_first_apply_leaves_no_ghost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first event of a command fails half-way with a CCRouterError: ``last_seq`` has
    not moved, yet the interaction record is in; the router still rebuilds (finding 2)."""
    router = Router()
    router.submit("c0", channel="voice", at=0)
    handler, _ = _one_shot(InteractionQueued, "after", lambda: InvalidArgument("half-way"))
    monkeypatch.setitem(state_module._APPLY, InteractionQueued, handler)
    before = (router.events, router.state_digest())
    with pytest.raises(InvalidArgument, match="half-way"):
        router.submit("c1", channel="voice", at=1)
    assert (router.events, router.state_digest()) == before
    assert "c1" not in router.state.interactions and not router.state.torn
    router.submit("c1", channel="voice", at=1)
    assert Router.replay(router.events).state_digest() == router.state_digest()


def test_routing_failing_between_two_events_leaves_the_state_as_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    router = Router()
    router.login("ann", skills={}, at=0)
    router.ready("ann", at=0)
    real = core._offer

    def failing(*args: Any) -> None:
        monkeypatch.setattr(core, "_offer", real)
        raise _Injected("routing failed after the arrival was applied")

    monkeypatch.setattr(core, "_offer", failing)
    before = (router.events, router.state_digest())
    with pytest.raises(_Injected):
        router.submit("c1", channel="voice", at=1)
    assert (router.events, router.state_digest()) == before
    assert [e.kind for e in router.submit("c1", channel="voice", at=1)] == [
        "interaction_queued",
        "interaction_offered",
    ]


class _FailingLog(MemoryEventLog):
    def __init__(self) -> None:
        super().__init__()
        self.fail_next = False

    def append(self, events: Sequence[Event], *, expected_version: int | None = None) -> int:
        if self.fail_next:
            self.fail_next = False
            raise OSError("disk gone")
        return super().append(events, expected_version=expected_version)


def test_a_failed_append_leaves_the_state_as_before() -> None:
    log = _FailingLog()
    router = Router(log=log)
    router.login("ann", skills={}, at=0)
    router.ready("ann", at=0)
    before = (router.events, router.state_digest())
    log.fail_next = True
    with pytest.raises(OSError, match="disk gone"):
        router.submit("c1", channel="voice", at=1, command_id="k1")
    assert (router.events, router.state_digest()) == before
    assert "k1" not in router.state.commands
    router.submit("c1", channel="voice", at=1, command_id="k1")
    assert router.interaction("c1").agent_id == "ann"


def test_refused_commands_do_not_rebuild(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rebuild costs nothing on the common path: validation errors come before any
    change, so the state object is kept."""
    router = Router()
    router.submit("c1", channel="voice", at=0)
    state = router.state
    for bad in (
        lambda: router.submit("c1", channel="voice", at=1),
        lambda: router.accept("c1", at=1),
    ):
        with pytest.raises(CCRouterError):
            bad()
    assert router.state is state


def test_a_fold_marks_the_state_torn_only_when_an_apply_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A replay that meets a gap (or a read error between two events) holds every event
    before it, a valid fold; one whose event failed part-way is torn."""
    events = EVENTS[:40]
    gap = state_module.RouterState(RouterConfig.from_dict(golden.CONFIG))
    with pytest.raises(InvalidArgument, match="does not follow"):
        gap.apply_many([*events[:10], *events[11:]])
    assert gap.last_seq == 10 and not gap.torn
    handler, _ = _one_shot(type(events[20]), "half", lambda: _Injected("injected"))
    monkeypatch.setitem(state_module._APPLY, type(events[20]), handler)
    torn = state_module.RouterState(RouterConfig.from_dict(golden.CONFIG))
    with pytest.raises(_Injected):
        torn.apply_many(events)
    assert torn.torn
