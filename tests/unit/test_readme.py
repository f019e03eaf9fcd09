"""README.md keeps the two set-up commands, and its usage example is the tested one."""

from __future__ import annotations

import re
from pathlib import Path

from ccrouter import Router

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks(path: Path, lang: str) -> list[str]:
    return [m.group(2) for m in FENCE.finditer(path.read_text()) if m.group(1) == lang]


def test_setup_commands_are_exactly_make_demo_and_make_test() -> None:
    (setup, *_) = _blocks(ROOT / "README.md", "sh")
    commands = [line.split("#")[0].strip() for line in setup.splitlines()]
    assert commands == ["make demo", "make test"]


def test_usage_example_is_the_quickstart_one_and_runs() -> None:
    (example,) = _blocks(ROOT / "README.md", "python")
    # tests/test_docs.py runs docs/quickstart.md; the README example must be one of its blocks.
    assert example in _blocks(ROOT / "docs" / "quickstart.md", "python")
    namespace: dict[str, object] = {"__name__": "readme"}
    exec(compile(example, "README.md", "exec"), namespace)
    router = namespace["router"]
    assert isinstance(router, Router)
    assert router.agent("bob").status == "wrap_up"


def test_no_agent_is_left_stuck_with_the_defaults() -> None:
    """The README's promise holds with a default config: an offer nobody answers times out
    (30 s), the agent who missed it goes not-ready (ring-no-answer), the work goes to the
    next agent, and wrap-up ends on its timer."""
    from ccrouter import RouterConfig
    from ccrouter.config import DEFAULT_OFFER_TIMEOUT

    assert RouterConfig().queue("default").offer_timeout == DEFAULT_OFFER_TIMEOUT == 30.0
    r = Router()
    r.login("ann", skills={}, at=0)
    r.login("bob", skills={}, at=0)
    r.ready("ann", at=0)
    r.ready("bob", at=1)
    r.submit("c1", channel="voice", at=10)
    assert r.interaction("c1").agent_id == "ann"
    events = r.advance(at=60)
    assert [(e.kind, e.at) for e in events] == [
        ("offer_timed_out", 40.0),
        ("agent_not_ready", 40.0),
        ("interaction_offered", 40.0),
    ]
    assert r.agent("ann").status == "not_ready" and r.interaction("c1").agent_id == "bob"
    r.advance(at=100)  # bob misses it too: the work waits, nobody is held by it
    assert r.agent("bob").status == "not_ready" and r.interaction("c1").status == "queued"
    r.ready("bob", at=101)
    r.accept("c1", at=102)
    r.complete("c1", at=150)
    assert r.agent("bob").status == "ready"  # (no wrap-up by default)
