"""Evaluating expressions: a plain reference interpreter, compiled closures, and a trace.

An environment maps root names (``interaction``, ``agent``, ``customer``, ``queue``,
``calendar``) to nested mappings; a lazy mapping (anything with ``__getitem__``) works too,
so values that cost something (queue state) are computed only when a rule reads them.

Evaluation never raises. A missing key reads as ``null``. Values the schema did not promise
(an attribute sent as ``"3"`` where an ``int`` is declared) make the operator false rather
than fail:

- ``==``/``!=`` compare values of one type (``1 == 1.0``, but ``true != 1``); ``x == null``
  tests that ``x`` is missing;
- ``< <= > >=``, ``startswith``, ``endswith``, ``matches``, ``in``, ``has`` are false unless
  both sides have the types the operator needs; ``not in`` is ``not (x in y)``;
- arithmetic on anything but numbers, division by zero, or a result that is not finite gives
  ``null`` (a priority formula that gives ``null`` leaves the priority as it was);
- ``and``/``or``/``not`` treat anything but ``true`` as false.

:func:`compile_expr` turns a tree into nested closures (resolved once, at config load) and
must agree with :func:`evaluate` on every input; a property test holds them equal.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from ccrouter.rules import regex
from ccrouter.rules.nodes import (
    And,
    Arith,
    Compare,
    Expr,
    ListLit,
    Literal,
    Name,
    Neg,
    Not,
    Or,
    names,
)

__all__ = ["Env", "Step", "compile_expr", "evaluate", "read", "trace"]

Env = Mapping[str, Any]
"""Root name -> value (usually a mapping)."""

Compiled = Callable[[Env], Any]

_PATTERNS: dict[str, re.Pattern[str]] = {}


def _pattern(text: str) -> re.Pattern[str]:
    p = _PATTERNS.get(text)
    if p is None:
        p = _PATTERNS[text] = regex.compile_pattern(text)
    return p


def read(env: Env, path: tuple[str, ...]) -> Any:
    """The value at a dotted path, ``None`` if any step is missing.

    Args:
        env: the environment.
        path: the segments.

    Returns:
        The value, or ``None``.
    """
    v: Any = env
    for seg in path:
        try:
            v = v[seg]
        except (KeyError, TypeError, IndexError):
            return None
    return v


def _is_num(v: object) -> bool:
    t = type(v)
    return t is int or t is float


def _eq(a: object, b: object) -> bool:
    # One type, numbers mixing: bool is not a number here, a list equals a list.
    if (type(a) is bool) != (type(b) is bool):
        return False
    try:
        return bool(a == b)
    except Exception:  # a value without a sane __eq__ is simply unequal
        return False


def _contains(seq: object, item: object) -> bool:
    if isinstance(seq, str):
        return isinstance(item, str) and item in seq
    if isinstance(seq, list | tuple | frozenset):
        return any(_eq(item, x) for x in seq)
    return False


def _order(op: str, a: Any, b: Any) -> bool:
    if not ((_is_num(a) and _is_num(b)) or (type(a) is str and type(b) is str)):
        return False
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


def _compare(op: str, a: object, b: object) -> bool:
    if op == "==":
        return _eq(a, b)
    if op == "!=":
        return not _eq(a, b)
    if op in ("<", "<=", ">", ">="):
        return _order(op, a, b)
    if op == "in":
        return _contains(b, a)
    if op == "not in":
        return not _contains(b, a)
    if op == "has":
        return not isinstance(a, str) and _contains(a, b)
    if type(a) is not str or type(b) is not str:
        return False
    if op == "startswith":
        return a.startswith(b)
    if op == "endswith":
        return a.endswith(b)
    assert op == "matches"
    return len(a) <= regex.MAX_INPUT and _pattern(b).search(a) is not None


def _arith(op: str, a: object, b: object) -> int | float | None:
    if not (_is_num(a) and _is_num(b)):
        return None
    x: float = a  # type: ignore[assignment]
    y: float = b  # type: ignore[assignment]
    if op == "+":
        r = x + y
    elif op == "-":
        r = x - y
    elif op == "*":
        r = x * y
    else:
        if y == 0:
            return None
        r = x / y
    if type(r) is float and not math.isfinite(r):
        return None
    return r


def evaluate(node: Expr, env: Env) -> Any:
    """Evaluate an expression by walking the tree (the reference for :func:`compile_expr`).

    Args:
        node: the expression.
        env: the environment.

    Returns:
        The value (``True``/``False`` for a condition, a number or ``None`` for a formula).

    >>> from ccrouter.rules.parser import parse
    >>> evaluate(parse('"fr" in agent.languages and agent.level >= 3'),
    ...          {"agent": {"languages": ["fr", "en"], "level": 4}})
    True
    """
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Name):
        return read(env, node.path)
    if isinstance(node, ListLit):
        return [i.value for i in node.items]
    if isinstance(node, Neg):
        return _arith("-", 0, evaluate(node.operand, env))
    if isinstance(node, Arith):
        return _arith(node.op, evaluate(node.left, env), evaluate(node.right, env))
    if isinstance(node, Not):
        return evaluate(node.operand, env) is not True
    if isinstance(node, And):
        return all(evaluate(o, env) is True for o in node.operands)
    if isinstance(node, Or):
        return any(evaluate(o, env) is True for o in node.operands)
    assert isinstance(node, Compare)
    return _compare(node.op, evaluate(node.left, env), evaluate(node.right, env))


# --- compiled closures ---------------------------------------------------------------------------


def _compile_name(path: tuple[str, ...]) -> Compiled:
    if len(path) == 1:
        (a,) = path

        def get1(env: Env) -> Any:
            try:
                return env[a]
            except (KeyError, TypeError, IndexError):
                return None

        return get1
    if len(path) == 2:
        a, b = path

        def get2(env: Env) -> Any:
            try:
                return env[a][b]
            except (KeyError, TypeError, IndexError):
                return None

        return get2
    if len(path) == 3:
        a, b, c = path

        def get3(env: Env) -> Any:
            try:
                return env[a][b][c]
            except (KeyError, TypeError, IndexError):
                return None

        return get3
    return lambda env: read(env, path)


def _fused(path: tuple[str, ...], op: str, lit: Any) -> Compiled | None:
    """``name == "text"`` and ``name >= number`` as one closure each (the lookup inlined):
    the shapes most rules are made of, at one Python call per comparison."""
    a, b, c = (*path, "", "")[:3]
    depth = len(path)
    if op == "==" and type(lit) is str:
        if depth == 3:

            def eq3(env: Env) -> bool:
                try:
                    return bool(env[a][b][c] == lit)
                except (KeyError, TypeError, IndexError):
                    return False

            return eq3
        if depth == 2:

            def eq2(env: Env) -> bool:
                try:
                    return bool(env[a][b] == lit)
                except (KeyError, TypeError, IndexError):
                    return False

            return eq2
    if op in (">=", ">", "<=", "<") and _is_num(lit) and depth == 3:
        num3: float = lit

        def order3(env: Env) -> bool:
            try:
                v = env[a][b][c]
            except (KeyError, TypeError, IndexError):
                return False
            t = type(v)
            if t is not int and t is not float:
                return False
            if op == ">=":
                return bool(v >= num3)
            if op == ">":
                return bool(v > num3)
            if op == "<=":
                return bool(v <= num3)
            return bool(v < num3)

        return order3
    if op in (">=", ">", "<=", "<") and _is_num(lit) and depth >= 2:
        get = _compile_name(path)
        num: float = lit

        if op == ">=":

            def ge(env: Env) -> bool:
                v = get(env)
                t = type(v)
                return (t is int or t is float) and v >= num

            return ge
        if op == ">":

            def gt(env: Env) -> bool:
                v = get(env)
                t = type(v)
                return (t is int or t is float) and v > num

            return gt
        if op == "<=":

            def le(env: Env) -> bool:
                v = get(env)
                t = type(v)
                return (t is int or t is float) and v <= num

            return le

        def lt(env: Env) -> bool:
            v = get(env)
            t = type(v)
            return (t is int or t is float) and v < num

        return lt
    if op == "==" and _is_num(lit) and depth == 3:

        def eqn(env: Env) -> bool:
            try:
                v = env[a][b][c]
            except (KeyError, TypeError, IndexError):
                return False
            t = type(v)
            return (t is int or t is float) and v == lit

        return eqn
    return None


def _compile_compare(node: Compare) -> Compiled:
    op = node.op
    left = compile_expr(node.left)
    right = node.right
    # Fast paths for the common shape "name OP literal": no type dispatch left at run time.
    if isinstance(right, Literal) and isinstance(node.left, Name) and len(node.left.path) <= 3:
        fused = _fused(node.left.path, op, right.value)
        if fused is not None:
            return fused
    if isinstance(right, Literal) and not isinstance(node.left, Literal):
        lit = right.value
        if op in ("==", "!=") and type(lit) is str:
            if op == "==":
                return lambda env: left(env) == lit
            return lambda env: left(env) != lit
        if op in ("<", "<=", ">", ">=") and _is_num(lit):
            num: float = lit  # type: ignore[assignment]

            def order(env: Env, _op: str = op) -> bool:
                v = left(env)
                t = type(v)
                if t is not int and t is not float:
                    return False
                if _op == ">=":
                    return bool(v >= num)
                if _op == ">":
                    return bool(v > num)
                if _op == "<=":
                    return bool(v <= num)
                return bool(v < num)

            return order
        if op == "matches" and type(lit) is str:
            search = _pattern(lit).search
            cap = regex.MAX_INPUT

            def matches(env: Env) -> bool:
                v = left(env)
                return type(v) is str and len(v) <= cap and search(v) is not None

            return matches
    if isinstance(right, ListLit) and op in ("in", "not in"):
        values = [i.value for i in right.items]
        if all(type(v) is str for v in values):
            strings = frozenset(values)
            if op == "in":
                return lambda env: (type(v := left(env)) is str) and v in strings
            return lambda env: not ((type(v := left(env)) is str) and v in strings)
    rhs = compile_expr(right)
    return lambda env: _compare(op, left(env), rhs(env))


def compile_expr(node: Expr) -> Compiled:
    """Compile an expression into a closure ``f(env) -> value`` equal to :func:`evaluate`.

    Args:
        node: the expression (already type-checked, or not: the closure never raises).

    Returns:
        The closure.

    >>> from ccrouter.rules.parser import parse
    >>> f = compile_expr(parse('interaction.attributes.tier == "gold"'))
    >>> f({"interaction": {"attributes": {"tier": "gold"}}})
    True
    """
    if isinstance(node, Literal):
        value = node.value
        return lambda env: value
    if isinstance(node, Name):
        return _compile_name(node.path)
    if isinstance(node, ListLit):
        items = [i.value for i in node.items]
        return lambda env: list(items)
    if isinstance(node, Neg):
        inner = compile_expr(node.operand)
        return lambda env: _arith("-", 0, inner(env))
    if isinstance(node, Arith):
        a, b, op = compile_expr(node.left), compile_expr(node.right), node.op
        return lambda env: _arith(op, a(env), b(env))
    if isinstance(node, Not):
        inner = compile_expr(node.operand)
        return lambda env: inner(env) is not True
    if isinstance(node, And):
        parts = tuple(compile_expr(o) for o in node.operands)
        if len(parts) == 2:
            p, q = parts
            return lambda env: p(env) is True and q(env) is True
        return lambda env: all(p(env) is True for p in parts)
    if isinstance(node, Or):
        parts = tuple(compile_expr(o) for o in node.operands)
        if len(parts) == 2:
            p, q = parts
            return lambda env: p(env) is True or q(env) is True
        return lambda env: any(p(env) is True for p in parts)
    assert isinstance(node, Compare)
    return _compile_compare(node)


# --- trace -------------------------------------------------------------------------------------


class Step(tuple[str, bool, tuple[tuple[str, Any], ...]]):
    """One condition of a trace: its text, whether it held, and the names it read with their
    values (``(text, result, ((name, value), ...))``)."""

    __slots__ = ()

    @property
    def text(self) -> str:
        """The condition as source text."""
        return self[0]

    @property
    def result(self) -> bool:
        """Whether it held."""
        return self[1]

    @property
    def values(self) -> tuple[tuple[str, Any], ...]:
        """The names it read and their values."""
        return self[2]


def trace(node: Expr, env: Env) -> list[Step]:
    """The conditions of a boolean expression, each with its result and the values it read.

    ``and``/``or``/``not`` are opened up to their comparisons (every one is evaluated, so the
    trace shows all of them, short-circuit or not); anything else is one step.

    Args:
        node: a condition.
        env: the environment.

    Returns:
        The steps, in source order.
    """
    out: list[Step] = []
    stack: list[Expr] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, And | Or):
            stack.extend(reversed(n.operands))
        elif isinstance(n, Not):
            stack.append(n.operand)
        else:
            values = tuple(_named(n, env))
            out.append(Step((str(n), evaluate(n, env) is True, values)))
    return out


def _named(node: Expr, env: Env) -> list[tuple[str, Any]]:
    seen: dict[str, Any] = {}
    for name in names(node):
        seen.setdefault(str(name), read(env, name.path))
    return list(seen.items())
