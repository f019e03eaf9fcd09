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
