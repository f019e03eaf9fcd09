"""The import rules of docs/architecture.md hold: imports flow one way and the core stays pure.

Every import in ``src/ccrouter`` is read from the source (module level and inside functions),
so a lazy import cannot slip past. When a rule changes, change it here and in the doc together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "ccrouter"

# Module (or package prefix ending in ".") -> the ccrouter modules it may import (prefixes
# ending in "." allow a whole package). The first matching key applies.
ALLOWED: dict[str, tuple[str, ...]] = {
    "errors": (),
    "commands": (),
    "agent_table": (),
    "routing.strategies": (),
    "events": ("errors",),
    "limits": ("errors",),
    "config": ("errors", "limits"),
    "backend": ("errors",),
    "_erlang_common": ("errors",),
    "erlang_a": ("_erlang_common",),
    "erlang": ("_erlang_common", "erlang_a", "errors"),
    "staffing": ("erlang", "errors"),
    "routing.reference": ("routing.strategies",),
    "routing.batch": (),
    "routing.batch_match": ("routing.", "state"),
    "routing._kernels": ("routing.strategies",),
    "routing.match": ("agent_table", "routing."),
    "fairness": ("events",),
    "records": (),
    "invariants": ("channels", "records", "state"),
    "state": (
        "agent_table",
        "channels",
        "config",
        "errors",
        "events",
        "fairness",
        "invariants",
        "records",
    ),
    "routing.explain_batch": ("routing.", "state"),
    "routing.explain": ("fairness", "routing.", "state"),
    "policies": ("config", "events", "state"),
    "transfers": ("commands", "config", "errors", "events", "limits", "policies", "state"),
    "channels": ("config",),
    "customers": ("state",),
    "validation": ("commands", "config", "errors", "limits", "state", "transfers"),
    "decisions": ("commands", "config", "customers", "events", "policies", "state", "transfers"),
    "core": (
        "channels",
        "commands",
        "decisions",
        "errors",
        "events",
        "fairness",
        "limits",
        "policies",
        "routing.",
        "state",
        "validation",
    ),
    "views": ("customers", "errors", "state"),
    "digest": ("commands", "state"),
    "snapshot": ("agent_table", "config", "errors", "events", "fairness", "log.", "state"),
    "log": ("errors", "events", "log."),
    "log.": ("errors", "events", "log."),
    "stats": ("errors", "events", "stats."),
    "stats.": ("errors", "events", "stats."),
    "router": (
        "agent_table",
        "backend",
        "commands",
        "config",
        "core",
        "customers",
        "digest",
        "errors",
        "events",
        "fairness",
        "limits",
        "log",
        "log.",
        "routing.",
        "snapshot",
        "state",
        "stats",
        "stats.",
        "views",
    ),
    "whatif_model": ("commands", "errors", "events"),
    "whatif_run": ("commands", "config", "errors", "events", "router", "whatif_model"),
    "whatif": ("config", "errors", "events", "stats", "whatif_model", "whatif_run"),
    "": (
        "config",
        "errors",
        "events",
        "fairness",
        "log",
        "router",
        "routing.",
        "stats",
        "erlang",
        "log.",
    ),
    "cli": ("*",),
    "cli.": ("*",),
    "demo": ("*",),
    "sim": ("sim.",),
    "sim.pacing": (),
    "sim.": ("config", "erlang", "errors", "events", "router", "routing.match", "stats", "sim."),
}

PURE = (
    "errors",
    "limits",
    "commands",
    "agent_table",
    "events",
    "fairness",
    "state",
    "records",
    "invariants",
    "views",
    "digest",
    "policies",
    "core",
    "validation",
    "decisions",
    "routing.",
    "sim.pacing",
    "transfers",
    "channels",
    "whatif",
    "whatif_model",
    "whatif_run",
)
"""Modules of the functional core: no clock, randomness, environment or file system."""
IMPURE_STDLIB = {
    "os", "sys", "time", "datetime", "random", "pathlib", "io", "socket", "threading",
    "subprocess", "tomllib", "logging", "secrets", "uuid",
}  # fmt: skip


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(ccrouter modules imported, relative to the package; other top-level modules)."""
    ours: set[str] = set()
    others: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "ccrouter":
                ours.update(alias.name for alias in node.names)
            elif node.module.startswith("ccrouter."):
                ours.add(node.module.removeprefix("ccrouter."))
            else:
                others.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("ccrouter."):
                    ours.add(alias.name.removeprefix("ccrouter."))
                else:
                    others.add(alias.name.split(".")[0])
    return ours, others


def _matches(name: str, pattern: str) -> bool:
    return name.startswith(pattern) if pattern.endswith(".") else name == pattern


def _rule(module: str) -> tuple[str, ...]:
    for key, allowed in ALLOWED.items():
        if _matches(module, key):
            return allowed
    pytest.fail(f"ccrouter.{module} has no import rule: add it to ALLOWED and to the doc")


MODULES = _modules()


@pytest.mark.parametrize("module", sorted(MODULES), ids=lambda m: m or "ccrouter")
def test_imports_flow_one_way(module: str) -> None:
    allowed = _rule(module)
    ours, _ = _imports(MODULES[module])
    own_package = module.split(".")[0] + "." if "." in module else module + "."
    bad = sorted(
        name
        for name in ours
        if name not in ("__version__",)
        and not name.startswith(own_package)
        and "*" not in allowed
        and not any(_matches(name, a) for a in allowed)
    )
    assert not bad, f"ccrouter.{module} may not import {bad} (allowed: {allowed})"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith(PURE)))
def test_core_is_pure(module: str) -> None:
    _, others = _imports(MODULES[module])
    assert not others & IMPURE_STDLIB, f"ccrouter.{module} imports {others & IMPURE_STDLIB}"


def test_nothing_below_the_shell_imports_it() -> None:
    for module, path in MODULES.items():
        if module.startswith(("cli", "demo")):
            continue
        ours, _ = _imports(path)
        assert not {n for n in ours if n.startswith(("cli", "demo"))}, module
