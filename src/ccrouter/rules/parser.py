"""The rule language's parser: a hand-written tokenizer and recursive-descent parser.

Why hand-written: the grammar is a dozen lines (below), the project adds no dependency, and
a recursive-descent parser gives each error its exact column and a precise "expected ..."
for free. Nothing is ever evaluated as Python: the parser only builds
:mod:`ccrouter.rules.nodes` objects.

Grammar (keywords are lower case; strings use JSON syntax, in double or single quotes)::

    expr       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum (cmp_op sum)?
    cmp_op     := "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in" | "has"
                | "startswith" | "endswith" | "matches"
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | atom          (a "-" before a number is the negative literal)
    atom       := NUMBER | STRING | "true" | "false" | "null" | list | name | "(" expr ")"
    list       := "[" (literal ("," literal)* ","?)? "]"
    name       := IDENT ("." IDENT | "[" STRING "]")*

Size limits: a rule is at most :data:`MAX_RULE_CHARS` characters and nests at most
:data:`MAX_NESTING` levels, so parsing is linear and never exhausts the stack.
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple

from ccrouter.errors import RuleError
from ccrouter.rules import regex
from ccrouter.rules.nodes import (
    KEYWORDS,
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

__all__ = ["MAX_NESTING", "MAX_RULE_CHARS", "MAX_TREE_DEPTH", "Token", "parse", "tokenize"]

MAX_RULE_CHARS = 10_000
"""Longest rule text, in characters."""
MAX_NESTING = 32
"""Deepest nesting (parentheses, ``not``, unary minus) of one rule."""
MAX_TREE_DEPTH = 64
"""Deepest syntax tree of one rule (a chain ``1 + 1 + ...`` counts one level per operator),
so printing and evaluating never exhaust the stack."""

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\)|\[|\]|\.|,)
    """,
    re.VERBOSE,
)


class Token(NamedTuple):
    """One token: its kind (``num``, ``str``, ``ident``, ``kw``, ``op``, ``end``), its text or
    value, and its 1-based column."""

    kind: str
    value: object
    col: int


def _describe(tok: Token) -> str:
    if tok.kind == "end":
        return "the end of the rule"
    if tok.kind == "str":
        return f"the string {json.dumps(tok.value, ensure_ascii=False)}"
    return repr(str(tok.value))


def _string(text: str, col: int, rule: str | None) -> str:
    body = text[1:-1]
    if text[0] == "'":
        # A single-quoted string: the same escapes; a bare " inside is literal.
        body = body.replace('\\"', '"').replace('"', '\\"').replace("\\'", "'")
    try:
        value = json.loads('"' + body + '"')
    except ValueError:
        raise _error(rule, col, "a valid string escape", text) from None
    assert isinstance(value, str)
    return value


def _error(rule: str | None, col: int, expected: str, got: str) -> RuleError:
    where = f"rule {rule!r}" if rule is not None else "rule"
    return RuleError(
        f"{where}: column {col}: expected {expected}, got {got}",
        rule=rule,
        column=col,
        expected=expected,
        got=got,
    )


def tokenize(text: str, rule: str | None = None) -> list[Token]:
    """Split rule text into tokens (an ``end`` token last).

    Args:
        text: the rule's source.
        rule: the rule's name, for messages.

    Returns:
        The tokens.

    Raises:
        RuleError: a character that starts no token, or a malformed string.
    """
    out: list[Token] = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:
            raise _error(rule, pos + 1, "a token", repr(text[pos]))
        kind = m.lastgroup
        s = m.group()
        col = pos + 1
        pos = m.end()
        if kind == "ws":
            continue
        if kind == "num":
            value: object = float(s) if any(c in s for c in ".eE") else int(s)
            if isinstance(value, float) and value == float("inf"):
                raise _error(rule, col, "a finite number", s)
            out.append(Token("num", value, col))
        elif kind == "str":
            out.append(Token("str", _string(s, col, rule), col))
        elif kind == "ident":
            out.append(Token("kw" if s in KEYWORDS else "ident", s, col))
        else:
            out.append(Token("op", s, col))
    out.append(Token("end", "", n + 1))
    return out


_SIMPLE_CMP = {"==", "!=", "<", "<=", ">", ">="}
_WORD_CMP = {"in", "has", "startswith", "endswith", "matches"}


class _Parser:
    def __init__(self, tokens: list[Token], rule: str | None) -> None:
        self.toks = tokens
        self.i = 0
        self.rule = rule
        self.depth = 0

    # --- helpers ---------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def _is(self, kind: str, value: object) -> bool:
        t = self.toks[self.i]
        return t.kind == kind and t.value == value

    def _expect(self, kind: str, value: str, what: str) -> Token:
        t = self.tok
        if t.kind != kind or t.value != value:
            raise _error(self.rule, t.col, what, _describe(t))
        self.i += 1
        return t

    def _nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _error(self.rule, self.tok.col, f"at most {MAX_NESTING} levels of nesting",
                         "deeper nesting")  # fmt: skip

    # --- grammar ---------------------------------------------------------------------------
    def expr(self) -> Expr:
        return self.or_()

    def or_(self) -> Expr:
        first = self.and_()
        if not self._is("kw", "or"):
            return first
        items = [first]
        while self._is("kw", "or"):
            self.i += 1
            items.append(self.and_())
        return Or(tuple(items), col=_col(first))

    def and_(self) -> Expr:
        first = self.not_()
        if not self._is("kw", "and"):
            return first
        items = [first]
        while self._is("kw", "and"):
            self.i += 1
            items.append(self.not_())
        return And(tuple(items), col=_col(first))

    def not_(self) -> Expr:
        if self._is("kw", "not"):
            col = self.tok.col
            self.i += 1
            self._nest()
            operand = self.not_()
            self.depth -= 1
            return Not(operand, col=col)
        return self.comparison()

    def comparison(self) -> Expr:
        left = self.sum()
        t = self.tok
        op: str | None = None
        if (t.kind == "op" and t.value in _SIMPLE_CMP) or (t.kind == "kw" and t.value in _WORD_CMP):
            op = str(t.value)
            self.i += 1
        elif t.kind == "kw" and t.value == "not":
            self.i += 1
            self._expect("kw", "in", "'in' after 'not' (the operator 'not in')")
            op = "not in"
        if op is None:
            return left
        right = self.sum()
        if op == "matches":
            self._pattern(right)
        return Compare(op, left, right, col=t.col)

    def _pattern(self, right: Expr) -> None:
        if not (isinstance(right, Literal) and isinstance(right.value, str)):
            raise _error(self.rule, _col(right), "a string literal (the pattern) after 'matches'",
                         "an expression")  # fmt: skip
        why = regex.problem(right.value)
        if why is not None:
            raise _error(self.rule, right.col, f"a safe pattern ({why})",
                         json.dumps(right.value, ensure_ascii=False))  # fmt: skip

    def sum(self) -> Expr:
        left = self.product()
        while self.tok.kind == "op" and self.tok.value in ("+", "-"):
            op = str(self.tok.value)
            self.i += 1
            left = Arith(op, left, self.product(), col=_col(left))
        return left

    def product(self) -> Expr:
        left = self.unary()
        while self.tok.kind == "op" and self.tok.value in ("*", "/"):
            op = str(self.tok.value)
            self.i += 1
            left = Arith(op, left, self.unary(), col=_col(left))
        return left

    def unary(self) -> Expr:
        if self._is("op", "-"):
            col = self.tok.col
            self.i += 1
            nxt = self.tok
            if nxt.kind == "num":
                self.i += 1
                assert isinstance(nxt.value, int | float)
                return Literal(-nxt.value, col=col)
            self._nest()
            operand = self.unary()
            self.depth -= 1
            return Neg(operand, col=col)
        return self.atom()

    def atom(self) -> Expr:
        t = self.tok
        if t.kind == "num" or t.kind == "str":
            self.i += 1
            assert isinstance(t.value, int | float | str)
            return Literal(t.value, col=t.col)
        if t.kind == "kw" and t.value in ("true", "false", "null"):
            self.i += 1
            return Literal({"true": True, "false": False, "null": None}[str(t.value)], col=t.col)
        if t.kind == "ident":
            return self.name()
        if self._is("op", "("):
            self.i += 1
            self._nest()
            inner = self.expr()
            self.depth -= 1
            self._expect("op", ")", "')'")
            return inner
        if self._is("op", "["):
            return self.list_()
        raise _error(self.rule, t.col, "a value, a name or '('", _describe(t))

    def list_(self) -> ListLit:
        col = self._expect("op", "[", "'['").col
        items: list[Literal] = []
        while not self._is("op", "]"):
            item = self.unary()
            if not isinstance(item, Literal):
                raise _error(self.rule, _col(item), "a literal in a list", "an expression")
            items.append(item)
            if not self._is("op", ","):
                break
            self.i += 1
        self._expect("op", "]", "',' or ']'")
        return ListLit(tuple(items), col=col)

    def name(self) -> Name:
        t = self.tok
        self.i += 1
        path = [str(t.value)]
        while True:
            if self._is("op", "."):
                self.i += 1
                seg = self.tok
                if seg.kind not in ("ident", "kw"):
                    raise _error(self.rule, seg.col, "a key after '.'", _describe(seg))
                path.append(str(seg.value))
                self.i += 1
            elif self._is("op", "["):
                self.i += 1
                seg = self.tok
                if seg.kind != "str":
                    raise _error(self.rule, seg.col, 'a quoted key after "["', _describe(seg))
                path.append(str(seg.value))
                self.i += 1
                self._expect("op", "]", "']'")
            else:
                return Name(tuple(path), col=t.col)


def _col(node: Expr) -> int:
    return node.col


def parse(text: str, rule: str | None = None) -> Expr:
    """Parse one expression (a condition or a priority formula).

    Args:
        text: the source, e.g. ``'interaction.attributes.tier == "gold" and agent.level >= 3'``.
        rule: the rule's name, put into error messages.

    Returns:
        The syntax tree.

    Raises:
        RuleError: the text does not parse; the message names the rule, the column and what
            was expected.

    >>> str(parse('a.b == 1 and (c or not d)'))
    'a.b == 1 and (c or not d)'
    >>> parse('x ==', rule="vip")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ccrouter.errors.RuleError: rule 'vip': column 5: expected a value, a name or '(', got the end...
    """
    if not isinstance(text, str):
        raise RuleError(
            f"rule {rule!r}: expected the rule as a string, got {type(text).__name__}",
            rule=rule,
            expected="a string",
            got=type(text).__name__,
        )
    if len(text) > MAX_RULE_CHARS:
        raise _error(rule, MAX_RULE_CHARS + 1, f"at most {MAX_RULE_CHARS} characters",
                     f"{len(text)}")  # fmt: skip
    p = _Parser(tokenize(text, rule), rule)
    node = p.expr()
    if p.tok.kind != "end":
        raise _error(rule, p.tok.col, "an operator or the end of the rule", _describe(p.tok))
    if _depth(node) > MAX_TREE_DEPTH:
        raise _error(rule, 1, f"a syntax tree at most {MAX_TREE_DEPTH} levels deep",
                     "a deeper one (split the rule)")  # fmt: skip
    return node


def _depth(node: Expr) -> int:
    best = 0
    stack: list[tuple[Expr, int]] = [(node, 1)]
    while stack:
        n, d = stack.pop()
        best = max(best, d)
        if isinstance(n, Neg | Not):
            stack.append((n.operand, d + 1))
        elif isinstance(n, Arith | Compare):
            stack += [(n.left, d + 1), (n.right, d + 1)]
        elif isinstance(n, And | Or):
            stack += [(o, d + 1) for o in n.operands]
    return best
