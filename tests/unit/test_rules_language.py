"""The rule language: parsing round-trips, errors name rule/column/expectation, the type
checker, the evaluator (reference == compiled closures) and the safe regex subset."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccrouter.errors import ConfigError, RuleError
from ccrouter.rules import check, compile_expr, evaluate, parse, trace
from ccrouter.rules import nodes as n
from ccrouter.rules.regex import MAX_INPUT, problem

# --- strategies ------------------------------------------------------------------------------

ROOTS = ["interaction", "agent", "customer", "queue", "x"]
SEGMENTS = st.one_of(
    st.sampled_from(["tier", "level", "languages", "attributes", "sales", "a_b", "in", "not"]),
    st.text(min_size=1, max_size=6),
)
names_ = st.builds(
    lambda root, rest: n.Name((root, *rest)),
    st.sampled_from(ROOTS),
    st.lists(SEGMENTS, max_size=3),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
literals = st.builds(n.Literal, scalars)
lists = st.builds(lambda items: n.ListLit(tuple(items)), st.lists(literals, max_size=3))


def _extend(children: st.SearchStrategy[n.Expr]) -> st.SearchStrategy[n.Expr]:
    return st.one_of(
        st.builds(n.Neg, children),
        st.builds(n.Not, children),
        st.builds(n.Arith, st.sampled_from(n.ARITH_OPS), children, children),
        st.builds(
            n.Compare,
            st.sampled_from([op for op in n.COMPARE_OPS if op != "matches"]),
            children,
            children,
        ),
        st.builds(n.Compare, st.just("matches"), children, st.just(n.Literal(r"^\d+x?$"))),
        st.builds(lambda ops: n.And(tuple(ops)), st.lists(children, min_size=2, max_size=3)),
        st.builds(lambda ops: n.Or(tuple(ops)), st.lists(children, min_size=2, max_size=3)),
    )


trees = st.recursive(st.one_of(literals, names_, lists), _extend, max_leaves=12)


# --- round trip --------------------------------------------------------------------------------


@given(trees)
def test_printing_round_trips(tree: n.Expr) -> None:
    text = str(tree)
    assert parse(text) == tree, text
    assert str(parse(text)) == text


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("a + b * c", n.Arith("+", n.Name(("a",)), n.Arith("*", n.Name(("b",)), n.Name(("c",))))),
        ("a - b - c", n.Arith("-", n.Arith("-", n.Name(("a",)), n.Name(("b",))), n.Name(("c",)))),
        ("-3", n.Literal(-3)),
        ("-(3)", n.Neg(n.Literal(3))),
        ("not a or b", n.Or((n.Not(n.Name(("a",))), n.Name(("b",))))),
        ("a and b and c", n.And((n.Name(("a",)), n.Name(("b",)), n.Name(("c",))))),
        ("(a and b) and c", n.And((n.And((n.Name(("a",)), n.Name(("b",)))), n.Name(("c",))))),
        ("x not in [1]", n.Compare("not in", n.Name(("x",)), n.ListLit((n.Literal(1),)))),
        ("a['b c'].d", n.Name(("a", "b c", "d"))),
        ("1 == 1.0", n.Compare("==", n.Literal(1), n.Literal(1.0))),
    ],
)  # fmt: skip
def test_precedence_and_shapes(text: str, tree: n.Expr) -> None:
    assert parse(text) == tree


def test_literals_of_different_types_differ() -> None:
    # Python has 1 == 1.0 == True; the tree must not, or a round trip could change a type.
    assert n.Literal(1) != n.Literal(True)
    assert n.Literal(1) != n.Literal(1.0)
    assert n.Literal(0) != n.Literal(None)


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "expected"),
    [
        ("a ==", 5, "a value, a name or '('"),
        ("a == 1 b", 8, "an operator or the end of the rule"),
        ("(a == 1", 8, "')'"),
        ("a not b", 7, "'in' after 'not'"),
        ("a == 1 == 2", 8, "an operator or the end of the rule"),
        ("a $ b", 3, "a token"),
        ("a.", 3, "a key after '.'"),
        ("a matches b", 11, "a string literal (the pattern)"),
        ('a matches "(a+)+"', 11, "a safe pattern"),
        ("x in [1, y]", 10, "a literal in a list"),
        ('"\\q"', 1, "a valid string escape"),
    ],
)
def test_errors_name_rule_column_and_expectation(text: str, column: int, expected: str) -> None:
    with pytest.raises(RuleError) as info:
        parse(text, rule="r1")
    err = info.value
    assert isinstance(err, ConfigError) and isinstance(err, ValueError)
    assert err.rule == "r1" and err.column == column, str(err)
    assert err.expected.startswith(expected), str(err)
    assert str(err).startswith(f"rule 'r1': column {column}: expected {expected}")


def test_nesting_is_bounded_not_a_crash() -> None:
    with pytest.raises(RuleError, match="nesting"):
        parse("(" * 200 + "a" + ")" * 200)
    with pytest.raises(RuleError, match="levels deep"):
        parse(" + ".join(["1"] * 500))
    with pytest.raises(RuleError, match="characters"):
        parse("a" * 20_000)


# --- type checker ------------------------------------------------------------------------------

SCHEMA = {
    "interaction.attributes.tier": "str",
    "interaction.attributes.value": "float",
    "interaction.attributes.digit": "int",
    "interaction.attributes.vip": "bool",
    "agent.languages": "list[str]",
    "agent.level": "int",
    "customer.contacts_7d": "int",
    "queue.*.ready_agents": "int",
}


@pytest.mark.parametrize(
    "text",
    [
        'interaction.attributes.tier == "gold" and agent.level >= 3',
        '"fr" in agent.languages and agent.languages has "de"',
        "interaction.attributes.value * 2 > customer.contacts_7d",
        "queue.sales.ready_agents == 0 or queue.support.ready_agents < 2",
        'interaction.attributes.tier in ["gold", "silver"]',
        'interaction.attributes.tier matches "^g" and not interaction.attributes.vip',
        "interaction.attributes.tier == null",
        "interaction.attributes.digit in [1, 2.5]",
    ],
)
def test_checker_accepts(text: str) -> None:
    assert check(parse(text), SCHEMA) == "bool"


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("interaction.attributes.colour == 1", 1, "unknown name 'interaction.attributes.colour'"),
        ("interaction.attributes.tier == 1", 29, "str and int"),
        ('agent.level > "3"', 13, "two numbers or two strings"),
        ("1 in agent.languages", 3, "list[str]"),
        ("agent.level", 1, "a condition"),
        ("interaction.attributes.vip + 1 > 0", 1, "a number left of '+'"),
        ("agent.level and interaction.attributes.vip", 1, "a condition around 'and'"),
        ("queue.sales.x == 1", 1, "unknown name"),
    ],
)
def test_checker_rejects(text: str, column: int, fragment: str) -> None:
    with pytest.raises(RuleError) as info:
        check(parse(text), SCHEMA, rule="r")
    assert info.value.column == column, str(info.value)
    assert fragment in str(info.value)


def test_priority_formula_must_be_a_number() -> None:
    assert check(parse("10 + customer.contacts_7d * 2"), SCHEMA, want="number") == "int"
    with pytest.raises(RuleError, match="a number"):
        check(parse('interaction.attributes.tier == "a"'), SCHEMA, want="number")


# --- evaluation ---------------------------------------------------------------------------------

ENV = {
    "interaction": {"attributes": {"tier": "gold", "value": 250.0, "digit": 2, "vip": True}},
    "agent": {"languages": ["fr", "en"], "level": 4},
    "customer": {"contacts_7d": 3},
    "queue": {"sales": {"ready_agents": 0}},
}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('interaction.attributes.tier == "gold"', True),
        ('interaction.attributes.tier != "gold"', False),
        ("agent.level >= 4 and agent.level < 5", True),
        ('"fr" in agent.languages', True),
        ('"de" not in agent.languages', True),
        ('agent.languages has "en"', True),
        ('interaction.attributes.tier startswith "go"', True),
        ('interaction.attributes.tier endswith "x"', False),
        ('interaction.attributes.tier matches "^g.l"', True),
        ('"ol" in interaction.attributes.tier', True),
        ("interaction.attributes.missing == null", True),
        ("interaction.attributes.missing > 0", False),
        ("not interaction.attributes.missing", True),
        ("interaction.attributes.vip == 1", False),  # a boolean is not a number
        ("customer.contacts_7d * 10 + 1", 31),
        ("interaction.attributes.value / 0", None),
        ("interaction.attributes.missing + 1", None),
        ("queue.sales.ready_agents == 0", True),
        ("1e308 * 10", None),
        ("7 / 2", 3.5),
    ],
)
def test_evaluate(text: str, value: Any) -> None:
    tree = parse(text)
    got = evaluate(tree, ENV)
    assert got == value and type(got) is type(value)
    compiled = compile_expr(tree)(ENV)
    assert compiled == value and type(compiled) is type(value)


json_values = st.recursive(
    scalars,
    lambda c: st.lists(c, max_size=3)
    | st.dictionaries(st.sampled_from(["tier", "level", "a_b", "x"]), c, max_size=3),
    max_leaves=8,
)  # fmt: skip
envs = st.dictionaries(st.sampled_from(ROOTS), json_values, max_size=5)


@given(trees, envs)
def test_compiled_equals_reference(tree: n.Expr, env: dict[str, Any]) -> None:
    """The fast closures agree with the tree-walking reference, on any input (never raise)."""
    expected = evaluate(tree, env)
    got = compile_expr(tree)(env)
    assert got == expected or (got != got and expected != expected)
    assert type(got) is type(expected)


def test_trace_shows_every_condition_with_values() -> None:
    tree = parse(
        'interaction.attributes.tier == "gold" and (agent.level > 5 or "fr" in agent.languages)'
    )
    steps = trace(tree, ENV)
    assert [(s.text, s.result) for s in steps] == [
        ('interaction.attributes.tier == "gold"', True),
        ("agent.level > 5", False),
        ('"fr" in agent.languages', True),
    ]
    assert steps[1].values == (("agent.level", 4),)


# --- safe regex -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [r"^\+33\d{9}$", r"^(?:06|07)\d{8}$", r"refund", r".*refund.*", r"[a-z]+@[a-z.]+", r"x{2}y{3}"],
)
def test_safe_patterns_accepted(pattern: str) -> None:
    assert problem(pattern) is None


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (r"(a+)+$", "not a group"),
        (r"(a|a)*$", "not a group"),
        (r"(?:ab)*", "not a group"),
        (r"a*a*a*b", "at most 2 quantifiers"),
        (r"a?a?a?", "at most 2 quantifiers"),
        (r"(a)\1", "no backreferences"),
        (r"(?=a)", "no (?...) forms"),
        (r"(?P<n>a)", "no (?...) forms"),
        (r"a{1,1000}", "repeats of at most"),
        (r"a**", "one quantifier per item"),
        (r"*a", "a quantifier must follow"),
        (r"[a-", "unterminated"),
        ("a" * 300, "at most 200 characters"),
        (r"a(", "a valid regular expression"),
    ],
)
def test_unsafe_patterns_refused(pattern: str, why: str) -> None:
    reason = problem(pattern)
    assert reason is not None and why in reason, reason


def test_worst_case_match_is_fast_and_long_input_does_not_match() -> None:
    tree = parse(r'x matches ".*a.*b"')
    f = compile_expr(tree)
    start = time.perf_counter()
    assert f({"x": "a" * MAX_INPUT}) is False
    assert time.perf_counter() - start < 1.0
    assert f({"x": "a" * MAX_INPUT + "b"}) is False  # longer than the cap: no match
    assert f({"x": "ab"}) is True


@given(st.text(max_size=12))
def test_accepted_patterns_compile(pattern: str) -> None:
    if problem(pattern) is None:
        re.compile(pattern)
