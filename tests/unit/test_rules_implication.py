"""The shadowing check's implication test: sound on generated conditions, and strong enough
to find the shadowed rules a reviewer would spot."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccrouter.rules import nodes as n
from ccrouter.rules.evaluator import evaluate
from ccrouter.rules.implication import implies
from ccrouter.rules.parser import parse

# A small world: two names, values that collide across types (1, 1.0, true, "1").
POOL: list[Any] = [0, 1, 1.0, 2, 2.5, 3, -1, True, False, "1", "a", "b"]
MISSING = object()
NAMES = (("x", "a"), ("x", "b"))

literals = st.sampled_from(POOL).map(n.Literal)
name_nodes = st.sampled_from(NAMES).map(n.Name)


@st.composite
def atoms(draw: st.DrawFn) -> n.Expr:
    name = draw(name_nodes)
    if draw(st.booleans()):
        op = draw(st.sampled_from(["in", "not in"]))
        items = tuple(draw(st.lists(literals, min_size=1, max_size=4)))
        return n.Compare(op, name, n.ListLit(items))
    op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
    lit = draw(literals)
    if draw(st.booleans()):
        return n.Compare(op, lit, name)  # the literal on the left
    return n.Compare(op, name, lit)


def _combine(children: st.SearchStrategy[n.Expr]) -> st.SearchStrategy[n.Expr]:
    many = st.lists(children, min_size=2, max_size=3).map(tuple)
    return st.one_of(many.map(n.And), many.map(n.Or))


conditions = st.recursive(atoms(), _combine, max_leaves=5)


def _envs() -> list[dict[str, Any]]:
    out = []
    for a, b in itertools.product([*POOL, MISSING], repeat=2):
        x = {k: v for k, v in (("a", a), ("b", b)) if v is not MISSING}
        out.append({"x": x})
    return out


ENVS = _envs()


@settings(max_examples=400, deadline=None)
@given(conditions, conditions)
def test_implies_is_sound(later: n.Expr, earlier: n.Expr) -> None:
    """Whenever it says "implied", no input makes ``later`` true and ``earlier`` false."""
    if implies(later, earlier):
        for env in ENVS:
            if evaluate(later, env) is True:
                assert evaluate(earlier, env) is True, (str(later), str(earlier), env)


@settings(max_examples=300, deadline=None)
@given(atoms(), atoms())
def test_implies_is_sound_on_atom_pairs(later: n.Expr, earlier: n.Expr) -> None:
    # Atom pairs are where the value reasoning lives: many more of them are implications.
    if implies(later, earlier):
        for env in ENVS:
            if evaluate(later, env) is True:
                assert evaluate(earlier, env) is True, (str(later), str(earlier), env)


@pytest.mark.parametrize(
    ("later", "earlier"),
    [
        ("x.a >= 5", "x.a > 3"),
        ("x.a > 3", "x.a >= 3"),
        ("x.a == 5", "x.a >= 5"),
        ("5 <= x.a", "x.a > 4.5"),
        ("x.a > 3 and x.a < 4", "x.a != 7"),
        ('x.a == "de"', 'x.a != "fr"'),
        ('x.a == "2"', 'x.a in ["1", "2"]'),
        ('x.a in ["1"]', 'x.a in ["1", "2"]'),
        ('x.a in ["1", "2"] and x.a != "2"', 'x.a == "1"'),
        ('x.a not in ["1", "2"]', 'x.a != "1"'),
        ("x.a == 1", "x.a == 1.0"),
        ('x.a == "vip" and x.b >= 3', 'x.a == "vip"'),
        ('x.a == "vip" and x.b >= 3', 'x.b > 2 or x.a == "gold"'),
        ('(x.a == "1" or x.a == "2") and x.b == 1', 'x.a in ["1", "2"]'),
        ("x.a < 3", 'x.a != "z"'),  # a number is never the string "z"
        ('x.a == "1" or x.a == "2"', 'x.a in ["1", "2", "3"]'),
    ],
)
def test_implications_found(later: str, earlier: str) -> None:
    assert implies(parse(later), parse(earlier))


@pytest.mark.parametrize(
    ("later", "earlier"),
    [
        ("x.a > 3", "x.a >= 5"),
        ("x.a >= 3", "x.a > 3"),
        ('x.a != "fr"', 'x.a == "de"'),
        ('x.a in ["1", "2"]', 'x.a == "1"'),
        ("x.a == true", "x.a == 1"),  # booleans are not numbers
        ('x.a != "1"', 'x.a not in ["1", "2"]'),
        ("x.b >= 3", "x.a >= 3"),
    ],
)
def test_non_implications_refused(later: str, earlier: str) -> None:
    assert not implies(parse(later), parse(earlier))
