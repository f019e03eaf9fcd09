"""Every error ccrouter raises on purpose is typed (issue 14, point 3).

A bare ``raise ValueError(...)`` (or another builtin) outside ``ccrouter.errors`` gives callers
nothing to catch but the builtin; the hierarchy's classes subclass the builtin too, so using them
costs nobody an ``except ValueError``. This walks the source tree's AST so a bare raise cannot
come back unnoticed.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import ccrouter

SRC = Path(ccrouter.__file__).parent

# Builtins that are protocol, not a ccrouter error: a module's ``__getattr__`` must raise
# AttributeError, a script ends with SystemExit, a missing optional extra is an ImportError,
# and the file stores raise OSError(errno...) on short writes so that the one OSError handler
# maps it (ENOSPC -> StorageFull, anything else -> WriterPoisoned).
# An async iterator (ccrouter.live's subscriptions) ends with StopAsyncIteration: the protocol.
ALLOWED = {
    "AttributeError", "SystemExit", "ImportError", "OSError", "NotImplementedError",
    "StopAsyncIteration",
}  # fmt: skip


# The event-store contract's checks fail the way tests fail: with AssertionError.
ALLOWED_IN = {"log/contract.py": {"AssertionError"}}


def _bare_raises(tree: ast.AST, also: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Raise) or node.exc is None:
            continue
        target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if not isinstance(target, ast.Name):
            continue
        obj = getattr(builtins, target.id, None)
        is_exception = isinstance(obj, type) and issubclass(obj, BaseException)
        if is_exception and target.id not in ALLOWED and target.id not in also:
            found.append((node.lineno, target.id))
    return found


def test_no_bare_builtin_raises_outside_the_error_hierarchy() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "errors.py" and path.parent == SRC:
            continue
        also = frozenset(ALLOWED_IN.get(str(path.relative_to(SRC)), ()))
        for line, name in _bare_raises(ast.parse(path.read_text(), str(path)), also):
            offenders.append(f"{path.relative_to(SRC)}:{line}: raise {name}")
    assert not offenders, "use a ccrouter.errors class instead:\n" + "\n".join(offenders)


def test_the_check_can_fail() -> None:
    # The walker must see both the call form and the bare-name form.
    source = "def f():\n    raise ValueError('x')\n\ndef g():\n    raise TypeError\n"
    assert _bare_raises(ast.parse(source)) == [(2, "ValueError"), (5, "TypeError")]
    assert _bare_raises(ast.parse("raise InvalidArgument('x')\nraise OSError(28, 'x')")) == []


def test_the_typed_errors_still_catch_as_the_builtin() -> None:
    import numpy as np
    import pytest

    from ccrouter.engine.routing.batch import assign
    from ccrouter.errors import CCRouterError
    from ccrouter.sim.confidence import t_quantile

    for call in (
        lambda: t_quantile(1.5, 3),
        lambda: assign(np.zeros((2, 2), bool), np.zeros((2, 2), np.int64), np.zeros(3)),
    ):
        with pytest.raises(ValueError, match=r"expected|assign needs") as info:
            call()
        assert isinstance(info.value, CCRouterError)
