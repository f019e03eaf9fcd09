"""Whether one condition implies another: the load-time shadowing check's logic.

:func:`implies` answers "whenever ``later`` is true, is ``earlier`` true too?" with a *sound*
test: ``True`` is always right (a property test evaluates both on generated inputs); ``False``
may mean "could not prove it". It knows

- the structure: ``and`` (every conjunct of ``earlier`` implied), ``or`` (some disjunct of
  ``earlier`` implied; or every disjunct of ``later`` implies ``earlier``), a sub-expression
  of ``later`` equal to ``earlier``;
- the atoms ``name OP literal`` (either side) and ``name in [...]`` / ``name not in [...]``:
  the conjuncts of ``later`` about one name are combined into the values they leave possible
  (a set of literals, a numeric interval, excluded literals), and an atom of ``earlier`` is
  implied when every such value satisfies it. ``tier >= 5`` implies ``tier > 3``;
  ``digits in ["1", "2"]`` is implied by ``digits == "2"``; ``lang != "fr"`` by
  ``lang == "de"``.

It follows the evaluator's semantics (:mod:`ccrouter.rules.evaluator`): a positive atom
(``==``, ``<``, ``in``...) is false on a missing value or one of another type, a negative one
(``!=``, ``not in``) is then true; numbers mix (``1 == 1.0``), booleans are not numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ccrouter.rules.nodes import And, Compare, Expr, ListLit, Literal, Name, Or

__all__ = ["implies"]

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_ORDER = frozenset({"<", "<=", ">", ">="})

Key = tuple[str, object]
"""A literal as the evaluator compares it: numbers by value (``1`` is ``1.0``), others by type."""


def _key(value: object) -> Key | None:
    if type(value) is bool:
        return ("bool", value)
    if type(value) is int or type(value) is float:
        return ("num", float(value)) if math.isfinite(value) else None
    if type(value) is str:
        return ("str", value)
    return None  # null (tests a missing value): not reasoned about here


@dataclass(frozen=True, slots=True)
class _Atom:
    """``name op values``: op in ``== != < <= > >= in not-in``; ``values`` one key (a list for
    the set operators)."""

    path: tuple[str, ...]
    op: str
    values: frozenset[Key]


def _atom(node: Expr) -> _Atom | None:
    if not isinstance(node, Compare):
        return None
    op, left, right = node.op, node.left, node.right
    if isinstance(right, Name) and isinstance(left, Literal) and op in _FLIP:
        left, right, op = right, left, _FLIP[op]
    if not isinstance(left, Name):
        return None
    if op in ("in", "not in") and isinstance(right, ListLit):
        keys = [_key(i.value) for i in right.items]
        if any(k is None for k in keys):
            return None
        return _Atom(left.path, op, frozenset(k for k in keys if k is not None))
    if op in _FLIP and isinstance(right, Literal):
        k = _key(right.value)
        if k is None or (op in _ORDER and k[0] != "num"):
            return None  # string ordering and null are left to the structural test
        return _Atom(left.path, op, frozenset((k,)))
    return None


@dataclass
class _Possible:
    """The values one name may have when every constraint of a conjunction holds."""

    present: bool = False  # some positive atom: the value exists (and has its type)
    allowed: frozenset[Key] | None = None  # None: not narrowed to a finite set
    numeric: bool = False  # an order atom: the value is a number
    lo: float = -math.inf
    lo_open: bool = False
    hi: float = math.inf
    hi_open: bool = False
    excluded: set[Key] = field(default_factory=set)

    def add(self, atom: _Atom) -> None:
        op = atom.op
        if op == "!=" or op == "not in":
            self.excluded |= atom.values
            return
        self.present = True
        if op == "==" or op == "in":
            self.allowed = atom.values if self.allowed is None else self.allowed & atom.values
            return
        self.numeric = True
        ((_, v),) = atom.values
        assert isinstance(v, float)
        if op in (">", ">="):
            if v > self.lo or (v == self.lo and op == ">"):
                self.lo, self.lo_open = v, op == ">"
        elif v < self.hi or (v == self.hi and op == "<"):
            self.hi, self.hi_open = v, op == "<"

    def _inside(self, key: Key) -> bool:
        """Whether ``key`` may be the value (within the interval, when there is one)."""
        if not self.numeric:
            return True
        if key[0] != "num":
            return False
        v = key[1]
        assert isinstance(v, float)
        above = v > self.lo or (v == self.lo and not self.lo_open)
        below = v < self.hi or (v == self.hi and not self.hi_open)
        return above and below

    def candidates(self) -> frozenset[Key] | None:
        """The finite set of values still possible, if the constraints name one."""
        if self.allowed is None:
            return None
        return frozenset(k for k in self.allowed if k not in self.excluded and self._inside(k))

    def satisfies(self, atom: _Atom) -> bool:
        """Whether every possible value makes ``atom`` true."""
        values, op = atom.values, atom.op
        finite = self.candidates()
        if op == "!=" or op == "not in":
            if values <= self.excluded:
                return True
            if finite is not None:
                return self.present and not (finite & values)
            return self.present and self.numeric and not any(self._inside(k) for k in values)
        if not self.present:
            return False  # a missing value makes every positive atom false
        if op == "==" or op == "in":
            if finite is not None:
                return finite <= values
            return False
        ((_, v),) = values
        assert isinstance(v, float)
        if finite is not None:
            nums = [k[1] for k in finite]
            if all(k[0] == "num" for k in finite):
                return all(_holds(op, n, v) for n in nums)  # type: ignore[arg-type]
            return False
        if not self.numeric:
            return False
        if op in (">", ">="):
            return self.lo > v or (self.lo == v and (op == ">=" or self.lo_open))
        return self.hi < v or (self.hi == v and (op == "<=" or self.hi_open))


def _holds(op: str, a: float, b: float) -> bool:
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def _conjuncts(node: Expr) -> tuple[Expr, ...]:
    return node.operands if isinstance(node, And) else (node,)


def implies(later: Expr | None, earlier: Expr | None) -> bool:
    """Whether ``earlier`` is true whenever ``later`` is (``None``: no condition, always true).

    A sound test: ``True`` is always right; ``False`` may mean "not proven".

    >>> from ccrouter.rules.parser import parse
    >>> implies(parse('x.tier >= 5 and x.lang == "fr"'), parse("x.tier > 3"))
    True
    >>> implies(parse('x.digits == "2"'), parse('x.digits in ["1", "2"]'))
    True
    >>> implies(parse("x.tier > 3"), parse("x.tier >= 5"))
    False
    """
    if earlier is None or (isinstance(earlier, Literal) and earlier.value is True):
        return True
    if later is None:
        return False
    if later == earlier:
        return True
    if isinstance(later, Or):
        return all(implies(d, earlier) for d in later.operands)
    if isinstance(earlier, And):
        return all(implies(later, c) for c in earlier.operands)
    if isinstance(earlier, Or) and any(implies(later, d) for d in earlier.operands):
        return True
    have = _conjuncts(later)
    if earlier in have:
        return True
    if any(isinstance(c, Or) and implies(c, earlier) for c in have):
        return True
    target = _atom(earlier)
    if target is None:
        return False
    possible = _Possible()
    for c in have:
        a = _atom(c)
        if a is not None and a.path == target.path:
            possible.add(a)
    return possible.satisfies(target)
