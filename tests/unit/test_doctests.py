"""Every module's docstring examples run in the normal test run, so the docs cannot drift.

This is the collector ``pytest --doctest-modules src/ccrouter`` would be, written as a test so it
runs wherever the suite runs (``make unit``, ``pytest -n 2``, a bare ``pytest tests/unit``) without
a second test path in the configuration. One test per module: a failure names the module and
shows doctest's own report of the example that broke.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import types

import pytest

import ccrouter


def _module_names() -> list[str]:
    """Every module file of the package (the old-path aliases of ``_moved`` are not files)."""
    names = ["ccrouter"]
    for info in pkgutil.walk_packages(ccrouter.__path__, prefix="ccrouter."):
        names.append(info.name)
    return sorted(names)


MODULES = _module_names()


def _run(module: types.ModuleType) -> tuple[int, int, str]:
    """Run a module's examples; return (attempted, failed, doctest's report of the failures)."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    report: list[str] = []
    runner = doctest.DocTestRunner(verbose=False)
    for test in finder.find(module, module.__name__):
        runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    return result.attempted, result.failed, "".join(report)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    attempted, failed, report = _run(importlib.import_module(name))
    assert failed == 0, f"{failed} of {attempted} examples in {name} failed:\n{report}"


def test_the_collector_sees_the_package() -> None:
    """The walk finds every subpackage, and most modules carry examples (a broken walk: none)."""
    for package in ("engine", "engine.routing", "log", "stats", "staffing", "whatif", "sim", "cli"):
        assert f"ccrouter.{package}" in MODULES
    with_examples = [n for n in MODULES if _run(importlib.import_module(n))[0] > 0]
    assert len(with_examples) >= 40, with_examples


def test_a_wrong_example_fails() -> None:
    """The runner reports a wrong example (a collector that never fails would pass anything)."""
    module = types.ModuleType("ccrouter_doctest_probe", ">>> 1 + 1\n3\n")
    attempted, failed, report = _run(module)
    assert (attempted, failed) == (1, 1)
    assert "Expected:" in report and "3" in report
