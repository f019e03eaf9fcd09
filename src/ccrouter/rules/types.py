"""Types of the rule language and the checker that holds an expression to a schema.

A schema maps dotted names to type names: ``{"interaction.attributes.tier": "str",
"agent.languages": "list[str]", "queue.*.ready_agents": "int"}``. A ``*`` segment stands for
any one key (a queue's name). Types: ``str``, ``int``, ``float``, ``bool``, ``list[str]``,
``list[int]``, ``list[float]``. ``int`` and ``float`` mix freely (both are numbers); ``null``
compares equal only to a missing value.

What each operator accepts (anything else is a :class:`~ccrouter.errors.RuleError` naming the
column):

==================================  ============================================
``== !=``                           two values of one type (numbers mix), or ``null``
``< <= > >=``                       two numbers, or two strings
``x in y``, ``x not in y``          ``y`` a list of ``x``'s type, or two strings (substring)
``y has x``                         ``y`` a list of ``x``'s type
``startswith endswith matches``     two strings (``matches``: a literal, safe pattern)
``+ - * /``, unary ``-``            numbers
``and or not``                      booleans
==================================  ============================================
"""

from __future__ import annotations

from collections.abc import Mapping

from ccrouter.errors import RuleError
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
)

__all__ = ["TYPES", "Schema", "check", "lookup", "type_of_value"]

TYPES = frozenset({"str", "int", "float", "bool", "list[str]", "list[int]", "list[float]"})
"""The type names a schema may use."""

Schema = Mapping[str, str]
"""Dotted name (``*`` for any one key) -> type name."""

_NUM = {"int", "float"}
_NULL = "null"
_EMPTY = "list[]"  # the type of [] (fits every list type)


def type_of_value(value: object) -> str | None:
    """The language type of a Python value, or ``None`` if it has none.

    Args:
        value: a JSON-like value.

    Returns:
        ``"str"``, ``"int"``, ``"float"``, ``"bool"``, ``"list[...]"`` or ``None``.
    """
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list | tuple):
        kinds = {type_of_value(v) for v in value}
        if len(kinds) == 1:
            (k,) = kinds
            return f"list[{k}]" if k in ("str", "int", "float") else None
        if kinds == {"int", "float"}:
            return "list[float]"
    return None


def lookup(schema: Schema, path: tuple[str, ...]) -> str | None:
    """The declared type of a dotted name, or ``None`` if the schema does not declare it.

    Args:
        schema: the schema.
        path: the name's segments.

    Returns:
        A type name, or ``None``.
    """
    exact = schema.get(".".join(path))
    if exact is not None:
        return exact
    for key, kind in schema.items():
        parts = key.split(".")
        if len(parts) == len(path) and all(p in ("*", s) for p, s in zip(parts, path, strict=True)):
            return kind
    return None


def _same(a: str, b: str) -> bool:
    if a == b or _NULL in (a, b):
        return True
    if a in _NUM and b in _NUM:
        return True
    if _EMPTY in (a, b):
        return a.startswith("list[") and b.startswith("list[")
    return {a, b} == {"list[int]", "list[float]"}


def _element(list_type: str) -> str | None:
    if list_type == _EMPTY:
        return _NULL  # anything may be "in []"
    if list_type.startswith("list["):
        return list_type[5:-1]
    return None


class _Checker:
    def __init__(self, schema: Schema, rule: str | None) -> None:
        self.schema = schema
        self.rule = rule

    def fail(self, node: Expr, expected: str, got: str) -> RuleError:
        where = f"rule {self.rule!r}" if self.rule is not None else "rule"
        return RuleError(
            f"{where}: column {node.col}: expected {expected}, got {got}",
            rule=self.rule,
            column=node.col,
            expected=expected,
            got=got,
        )

    def want(self, node: Expr, allowed: set[str], what: str) -> str:
        t = self.type(node)
        if t not in allowed:
            raise self.fail(node, what, f"{t} ({node})")
        return t

    def type(self, node: Expr) -> str:
        if isinstance(node, Literal):
            if node.value is None:
                return _NULL
            t = type_of_value(node.value)
            assert t is not None
            return t
        if isinstance(node, ListLit):
            kinds = {self.type(i) for i in node.items}
            if not kinds:
                return _EMPTY
            if kinds <= _NUM:
                return "list[float]" if "float" in kinds else "list[int]"
            if len(kinds) == 1 and next(iter(kinds)) in ("str", "int", "float"):
                return f"list[{next(iter(kinds))}]"
            raise self.fail(node, "a list of strings or of numbers", f"{sorted(kinds)}")
        if isinstance(node, Name):
            t = lookup(self.schema, node.path)
            if t is None:
                raise self.fail(node, "a declared attribute", f"unknown name {node.dotted!r}")
            return t
        if isinstance(node, Neg):
            return self.want(node.operand, _NUM, "a number after '-'")
        if isinstance(node, Arith):
            a = self.want(node.left, _NUM, f"a number left of {node.op!r}")
            b = self.want(node.right, _NUM, f"a number right of {node.op!r}")
            return "int" if a == b == "int" and node.op != "/" else "float"
        if isinstance(node, Not):
            self.want(node.operand, {"bool"}, "a condition after 'not'")
            return "bool"
        if isinstance(node, And | Or):
            word = "and" if isinstance(node, And) else "or"
            for o in node.operands:
                self.want(o, {"bool"}, f"a condition around {word!r}")
            return "bool"
        assert isinstance(node, Compare)
        self.compare(node)
        return "bool"

    def compare(self, node: Compare) -> None:
        op = node.op
        a = self.type(node.left)
        b = self.type(node.right)
        if op in ("==", "!="):
            if not _same(a, b):
                raise self.fail(node, f"two values of one type around {op!r}", f"{a} and {b}")
        elif op in ("<", "<=", ">", ">="):
            if not ((a in _NUM and b in _NUM) or a == b == "str"):
                raise self.fail(node, f"two numbers or two strings around {op!r}", f"{a} and {b}")
        elif op in ("in", "not in", "has"):
            item, seq = (a, b) if op != "has" else (b, a)
            elem = _element(seq)
            ok = (elem is not None and _same(item, elem) and item != _NULL) or (
                item == seq == "str" and op != "has"
            )
            if elem == _NULL and item.startswith("list["):
                ok = False
            if not ok:
                side = "right" if op != "has" else "left"
                raise self.fail(node, f"a list of {item} {side} of {op!r}", seq)
        else:  # startswith, endswith, matches
            if not a == b == "str":
                raise self.fail(node, f"two strings around {op!r}", f"{a} and {b}")


def check(node: Expr, schema: Schema, *, want: str = "bool", rule: str | None = None) -> str:
    """Check an expression against a schema and return its type.

    Args:
        node: the expression.
        schema: declared names and types.
        want: ``"bool"`` (a condition), ``"number"`` (a priority) or ``"any"``.
        rule: the rule's name, for messages.

    Returns:
        The expression's type.

    Raises:
        RuleError: an unknown name, or an operator applied to the wrong types; the message
            names the rule and the column.

    >>> from ccrouter.rules.parser import parse
    >>> check(parse('a.tier == "gold"'), {"a.tier": "str"})
    'bool'
    >>> check(parse('a.tier > 3'), {"a.tier": "str"}, rule="vip")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ccrouter.errors.RuleError: rule 'vip': column 8: expected two numbers or two strings ...
    """
    c = _Checker(schema, rule)
    t = c.type(node)
    if want == "bool" and t != "bool":
        raise c.fail(node, "a condition (true or false)", f"{t} ({node})")
    if want == "number" and t not in _NUM:
        raise c.fail(node, "a number", f"{t} ({node})")
    return t
