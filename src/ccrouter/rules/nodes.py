"""The syntax tree of the rule language, and how it prints.

Every node is a frozen dataclass. ``str(node)`` prints source text that parses back to an
equal node (``parse(str(node)) == node``): the printer adds parentheses only where the
precedence needs them. Columns (``col``, 1-based, where the node starts in its source) are
kept for messages and do not take part in equality.

Precedence, loosest first: ``or``, ``and``, ``not``, comparisons (non-associative), ``+ -``,
``* /``, unary ``-``, atoms.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Union

__all__ = [
    "ARITH_OPS",
    "COMPARE_OPS",
    "KEYWORDS",
    "And",
    "Arith",
    "Compare",
    "Expr",
    "ListLit",
    "Literal",
    "Name",
    "Neg",
    "Not",
    "Or",
    "Scalar",
    "names",
]

Scalar = str | int | float | bool | None
"""A literal's value (``null`` is ``None``)."""

COMPARE_OPS = (
    "==", "!=", "<", "<=", ">", ">=", "in", "not in", "has", "startswith", "endswith", "matches",
)  # fmt: skip
ARITH_OPS = ("+", "-", "*", "/")
KEYWORDS = frozenset(
    {"and", "or", "not", "in", "has", "startswith", "endswith", "matches", "true", "false", "null"}
)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# Precedence levels (higher binds tighter).
_OR, _AND, _NOT, _CMP, _ADD, _MUL, _NEG, _ATOM = range(1, 9)


def _text(value: str) -> str:
    # JSON string syntax is the language's string syntax, so json.dumps prints and
    # json.loads reads every string (control characters, quotes, surrogates) exactly.
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True, slots=True, eq=False)
class Literal:
    """A constant: a string, an integer, a float, ``true``/``false`` or ``null``."""

    value: Scalar
    col: int = field(default=0, compare=False, repr=False)

    def __eq__(self, other: object) -> bool:
        # 1 == 1.0 == True in Python; in the language they are three different literals.
        return (
            isinstance(other, Literal)
            and type(self.value) is type(other.value)
            and self.value == other.value
        )

    def __hash__(self) -> int:
        return hash((type(self.value), self.value))

    def __str__(self) -> str:
        v = self.value
        if v is None:
            return "null"
        if v is True:
            return "true"
        if v is False:
            return "false"
        if isinstance(v, str):
            return _text(v)
        return repr(v)


@dataclass(frozen=True, slots=True)
class ListLit:
    """A list of literals, ``["fr", "de"]`` (the right side of ``in``)."""

    items: tuple[Literal, ...]
    col: int = field(default=0, compare=False, repr=False)

    def __str__(self) -> str:
        return "[" + ", ".join(str(i) for i in self.items) + "]"


@dataclass(frozen=True, slots=True)
class Name:
    """A (nested) key: ``interaction.attributes.tier`` is ``("interaction", "attributes",
    "tier")``. A segment that is not an identifier (or is a keyword) prints as ``["..."]``."""

    path: tuple[str, ...]
    col: int = field(default=0, compare=False, repr=False)

    @property
    def dotted(self) -> str:
        """The path joined by dots (how the schema names it)."""
        return ".".join(self.path)

    def __str__(self) -> str:
        out = self.path[0]
        for seg in self.path[1:]:
            if _IDENT.match(seg) and seg not in KEYWORDS:
                out += "." + seg
            else:
                out += "[" + _text(seg) + "]"
        return out


@dataclass(frozen=True, slots=True)
class Neg:
    """Unary minus."""

    operand: Expr
    col: int = field(default=0, compare=False, repr=False)

    def __str__(self) -> str:
        inner = _wrap(self.operand, _NEG)
        # "-3" parses as the literal -3, so a negated number literal keeps its parentheses.
        if isinstance(self.operand, Literal) and isinstance(self.operand.value, int | float):
            inner = f"({self.operand})"
        return "-" + inner


@dataclass(frozen=True, slots=True)
class Arith:
    """``left op right`` with ``op`` one of ``+ - * /`` (left-associative)."""

    op: str
    left: Expr
    right: Expr
    col: int = field(default=0, compare=False, repr=False)

    def __str__(self) -> str:
        level = _ADD if self.op in "+-" else _MUL
        return f"{_wrap(self.left, level)} {self.op} {_wrap(self.right, level + 1)}"


@dataclass(frozen=True, slots=True)
class Compare:
    """``left op right`` with ``op`` one of :data:`COMPARE_OPS` (no chaining)."""

    op: str
    left: Expr
    right: Expr
    col: int = field(default=0, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{_wrap(self.left, _ADD)} {self.op} {_wrap(self.right, _ADD)}"


@dataclass(frozen=True, slots=True)
class Not:
    """``not operand``."""

    operand: Expr
    col: int = field(default=0, compare=False, repr=False)

    def __str__(self) -> str:
        return "not " + _wrap(self.operand, _NOT)


@dataclass(frozen=True, slots=True)
class And:
    """``a and b and ...`` (two or more operands; a parenthesised ``and`` stays one operand)."""

    operands: tuple[Expr, ...]
    col: int = field(default=0, compare=False, repr=False)

    def __str__(self) -> str:
        return " and ".join(_wrap(o, _NOT) for o in self.operands)


@dataclass(frozen=True, slots=True)
class Or:
    """``a or b or ...`` (two or more operands)."""

    operands: tuple[Expr, ...]
    col: int = field(default=0, compare=False, repr=False)

    def __str__(self) -> str:
        return " or ".join(_wrap(o, _AND) for o in self.operands)


Expr = Union[Literal, ListLit, Name, Neg, Arith, Compare, Not, And, Or]  # noqa: UP007
"""Any expression node."""


def _level(node: Expr) -> int:
    if isinstance(node, Or):
        return _OR
    if isinstance(node, And):
        return _AND
    if isinstance(node, Not):
        return _NOT
    if isinstance(node, Compare):
        return _CMP
    if isinstance(node, Arith):
        return _ADD if node.op in "+-" else _MUL
    if isinstance(node, Neg):
        return _NEG
    if isinstance(node, Literal) and isinstance(node.value, int | float) and node.value < 0:
        return _NEG  # prints with a leading minus, like a negation
    return _ATOM


def _wrap(node: Expr, least: int) -> str:
    """``node`` printed, in parentheses unless it binds at least as tight as ``least``."""
    return str(node) if _level(node) >= least else f"({node})"


def names(node: Expr) -> list[Name]:
    """Every :class:`Name` the expression reads, in source order (duplicates kept).

    Args:
        node: an expression.

    Returns:
        The names, left to right.
    """
    out: list[Name] = []
    stack: list[Expr] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Name):
            out.append(n)
        elif isinstance(n, Neg | Not):
            stack.append(n.operand)
        elif isinstance(n, Arith | Compare):
            stack += (n.right, n.left)
        elif isinstance(n, And | Or):
            stack.extend(reversed(n.operands))
    return out
