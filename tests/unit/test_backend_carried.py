"""The selection backend is carried once, on the state: the core's entry points take it, no
routing function passes it on, and every decision (arrival, agent freed, timer, consult)
uses the backend the router was built with."""

from __future__ import annotations

import inspect

import pytest

from ccrouter import Router, RouterConfig
from ccrouter.engine import core
from ccrouter.engine.routing import match

ENTRY_POINTS = {"execute", "match", "advance", "fire_due_timers"}


def test_only_entry_points_take_a_backend() -> None:
    takers = {
        name
        for name, fn in vars(core).items()
        if inspect.isfunction(fn)
        and fn.__module__ == core.__name__
        and "backend" in inspect.signature(fn).parameters
    }
    assert takers == ENTRY_POINTS


@pytest.mark.parametrize("backend", ["python", "numba"])
def test_every_decision_uses_the_routers_backend(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real = match.select_agent

    def spy(*args: object, **kwargs: object) -> int:
        seen.append(str(kwargs["backend"]))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(core, "select_agent", spy)
    config = RouterConfig.from_dict({"queues": {"q": {"steps": [{"after": 5, "priority": 1}]}}})
    r = Router(config, backend=backend)
    r.login("a", skills={"x": 1}, capacity={"chat": 1}, at=0)
    r.submit("c1", channel="chat", queue="q", skills={"x": 1}, at=1)  # nobody ready: waits
    r.advance(at=10)  # the step's timer routes it (still nobody)
    r.ready("a", at=11)
    r.submit("c2", channel="chat", queue="q", skills={"x": 1}, at=12)
    assert seen and set(seen) == {backend}
    assert r.interaction("c1").agent_id == "a"
