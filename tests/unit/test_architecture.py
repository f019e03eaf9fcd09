"""The import rules of docs/architecture.md hold: imports flow one way and the core stays pure.

Every import in ``src/ccrouter`` is read from the source (module level and inside functions),
so a lazy import cannot slip past. The rules are per package (a layer), not per module: a
module may import anything of its own package and what its layer allows. When a rule changes,
change it here and in the doc together.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "ccrouter"

# Layer -> the layers it may import. A layer is a top-level module or a subpackage of
# ccrouter; "" is the package's own face (ccrouter/__init__.py). Listed from the ground up.
LAYERS: dict[str, tuple[str, ...]] = {
    "errors": (),
    "commands": (),
    "_moved": (),  # the old-path alias table: imports by name through importlib only
    "limits": ("errors",),
    "events": ("errors",),
    "rules": ("errors", "limits"),  # the rule language: pure, knows nothing of the router
    "_toml": ("errors",),  # the TOML writer behind RouterConfig.to_toml
    "config": ("_toml", "errors", "limits", "rules"),  # rules are checked when it loads
    "backend": ("errors",),
    "staffing": ("errors",),
    "log": ("errors", "events"),
    "stats": ("errors", "events"),
    "engine": ("commands", "config", "errors", "events", "limits", "log", "rules"),
    "router": (
        "backend",
        "commands",
        "config",
        "engine",
        "errors",
        "events",
        "limits",
        "log",
        "stats",
    ),
    # The live runtime: the façade and below; nothing imports it (it is the outer shell).
    "live": ("commands", "config", "engine", "errors", "events", "limits", "log", "router"),
    "whatif": ("commands", "config", "errors", "events", "router", "stats"),
    "sim": ("config", "engine", "errors", "events", "router", "staffing", "stats"),
    # Shift scheduling: requirements (staffing tables) in, shifts out; the simulator runs them.
    "schedule": ("errors", "events", "sim", "staffing"),
    "": ("_moved", "config", "engine", "errors", "events", "log", "router"),
    "demo": ("config", "engine", "events", "log", "router", "sim", "stats"),
    "cli": ("*",),
}

# Inside a layer, a few modules must stay below the rest (exceptions to "anything of its own
# package"): the engine's routing kernels know nothing of the state, and the simulator's
# pacing maths is plain arithmetic.
INNER: dict[str, tuple[str, ...]] = {
    "engine.routing.strategies": ("errors",),
    "engine.routing.batch": ("errors",),
    "engine.routing._kernels": ("engine.routing.strategies",),
    "engine.routing.reference": ("engine.routing.strategies", "errors"),
    "engine.agent_table": (),
    "engine.records": (),
    "sim.pacing": (),
}

PURE = ("errors", "commands", "events", "limits", "engine", "staffing.erlang", "staffing._erlang",
        "whatif", "sim.pacing", "rules")  # fmt: skip
"""Layers and modules of the functional core: no clock, randomness, environment or file
system. ``staffing.tables`` reads forecast files; ``engine.snapshot`` keeps the snapshot *stores*,
which write files (IMPURE_OK)."""
IMPURE_OK = {"engine.snapshot", "rules.calendar"}
"""``rules.calendar`` imports ``datetime`` to turn the command's ``at`` into a civil time in a
named zone; it never reads the clock (test_calendar_reads_no_clock)."""
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


def _layer(module: str) -> str:
    return module.split(".")[0]


MODULES = _modules()


@pytest.mark.parametrize("module", sorted(MODULES), ids=lambda m: m or "ccrouter")
def test_imports_flow_one_way(module: str) -> None:
    layer = _layer(module)
    assert layer in LAYERS, f"ccrouter.{module}: layer {layer!r} has no rule (add it to LAYERS)"
    allowed = LAYERS[layer]
    ours, _ = _imports(MODULES[module])
    ours.discard("__version__")
    bad = sorted(n for n in ours if _layer(n) != layer and "*" not in allowed
                 and _layer(n) not in allowed)  # fmt: skip
    assert not bad, f"ccrouter.{module} may not import {bad} (layer {layer!r}: {allowed})"


@pytest.mark.parametrize("module", sorted(INNER))
def test_inner_modules_stay_below(module: str) -> None:
    ours, _ = _imports(MODULES[module])
    bad = sorted(n for n in ours if n not in INNER[module])
    assert not bad, f"ccrouter.{module} may import only {INNER[module]}, not {bad}"


def test_no_old_paths_inside() -> None:
    """In-repo code imports the new homes: the old names exist for code outside only (and
    type checkers do not see them)."""
    from ccrouter._moved import MOVED

    for module, path in MODULES.items():
        if module == "_moved":
            continue
        ours, _ = _imports(path)
        old = sorted(n for n in ours if f"ccrouter.{n}" in MOVED)
        assert not old, f"ccrouter.{module} imports old paths {old}"


def test_old_paths_are_the_new_modules() -> None:
    import importlib

    from ccrouter._moved import MOVED

    for old, new in MOVED.items():
        assert importlib.import_module(old) is importlib.import_module(new), old


@pytest.mark.parametrize(
    "module",
    sorted(m for m in MODULES if m.startswith(PURE) and m not in IMPURE_OK),
)
def test_core_is_pure(module: str) -> None:
    _, others = _imports(MODULES[module])
    assert not others & IMPURE_STDLIB, f"ccrouter.{module} imports {others & IMPURE_STDLIB}"


def test_calendar_reads_no_clock() -> None:
    text = (SRC / "rules" / "calendar.py").read_text()
    for call in ("now(", "today(", "time.time", "utcnow"):
        assert call not in text, f"rules/calendar.py calls {call}"


def test_nothing_below_the_shell_imports_it() -> None:
    for module, path in MODULES.items():
        if module.startswith(("cli", "demo")):
            continue
        ours, _ = _imports(path)
        assert not {n for n in ours if n.startswith(("cli", "demo"))}, module


def test_nothing_imports_the_live_runtime() -> None:
    """``live`` is the imperative shell of a service: threads, a clock. The library below
    it (the simulator, what-if, the CLI) must never start to depend on it."""
    for module, path in MODULES.items():
        if module == "live" or module.startswith("live."):
            continue
        ours, _ = _imports(path)
        assert not {n for n in ours if n == "live" or n.startswith("live.")}, module


def test_no_import_cycle_between_layers() -> None:
    """The layer graph drawn from the code has no cycle (a layer may only lean on layers
    listed before it in LAYERS, cli aside)."""
    order = list(LAYERS)
    for layer, allowed in LAYERS.items():
        for dep in allowed:
            if dep != "*":
                assert order.index(dep) < order.index(layer), f"{layer} -> {dep} runs upward"


def _runtime_imports(module: str) -> set[str]:
    """The modules of the package that ``module`` imports when it runs: module level or in a
    function, but not under ``if TYPE_CHECKING:`` (a type name only, never executed).
    ``from package import submodule`` is an import of the submodule alone."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                if child.module == "ccrouter" or child.module.startswith("ccrouter."):
                    base = child.module.removeprefix("ccrouter").removeprefix(".")
                    subs = {f"{base}.{a.name}".lstrip(".") for a in child.names}
                    found.update(subs & MODULES.keys())
                    if not subs <= MODULES.keys():
                        found.add(base)
            elif isinstance(child, ast.Import):
                found.update(
                    a.name.removeprefix("ccrouter.")
                    for a in child.names
                    if a.name.startswith("ccrouter.")
                )
            visit(child)

    visit(ast.parse(MODULES[module].read_text()))
    return (found & MODULES.keys()) - {module}


def test_no_import_cycle_between_modules() -> None:
    """No module imports, directly or through others, a module that imports it back (lazy
    imports in functions included: they are how a cycle hides)."""
    graph = {m: _runtime_imports(m) for m in MODULES}
    done: set[str] = set()

    def walk(module: str, path: list[str]) -> None:
        if module in path:
            cycle = [*path[path.index(module) :], module]
            pytest.fail("import cycle: " + " -> ".join(m or "ccrouter" for m in cycle))
        if module in done:
            return
        for dep in sorted(graph[module]):
            walk(dep, [*path, module])
        done.add(module)

    for module in sorted(graph):
        walk(module, [])


def test_architecture_doc_names_every_module() -> None:
    """docs/architecture.md lists every module of the package, so the map cannot drift."""
    doc = (ROOT / "docs" / "architecture.md").read_text()
    named = set(re.findall(r"`([\w/]+\.py)`", doc))
    missing = sorted(
        str(path.relative_to(SRC))
        for module, path in MODULES.items()
        if path.name != "__init__.py" and str(path.relative_to(SRC)) not in named
    )
    assert not missing, f"docs/architecture.md does not name {missing}"
