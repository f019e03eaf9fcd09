"""The rule index (RuleSet.plan) finds the same first match as trying every rule in order."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ccrouter import RouterConfig
from ccrouter.rules.evaluator import read
from ccrouter.rules.ruleset import ruleset

TIER = "interaction.attributes.tier"
CONDITIONS = st.sampled_from([
    f'{TIER} == "a"', f'{TIER} == "b"', f'{TIER} == "c"',
    f'{TIER} == "a" and interaction.attributes.n > 2',
    f'{TIER} == "b" and interaction.attributes.n <= 5',
    "interaction.attributes.n == 3", f'interaction.attributes.lang == "fr" and {TIER} == "c"',
    "interaction.attributes.n == 2",
    "interaction.attributes.n == 4 and interaction.attributes.n > 1",
    'interaction.attributes.lang == "fr"', 'interaction.attributes.lang == "de"',
])  # fmt: skip


@given(
    st.lists(CONDITIONS, min_size=1, max_size=8, unique=True),
    st.booleans(),
    st.sampled_from(["a", "b", "c", "z", 3, None]),
    st.sampled_from([0, 2, 3, 4, 5, 2.0, 3.5, True]),
    st.sampled_from(["fr", "de", None]),
)
def test_plan_equals_trying_every_rule(
    conditions: list[str], default: bool, tier: Any, n: Any, lang: Any
) -> None:
    rules: list[dict[str, Any]] = [{"name": f"r{i}", "when": c} for i, c in enumerate(conditions)]
    if default:
        rules.append({"name": "default"})
    try:
        config = RouterConfig.from_dict({
            "attributes": {TIER: "str", "interaction.attributes.n": "float",
                           "interaction.attributes.lang": "str"},
            "rules": rules,
        })  # fmt: skip
    except ValueError:
        return  # a shadowed rule: refused at load, nothing to compare
    rs = ruleset(config)
    chain = rs.chain("default")
    attrs = {k: v for k, v in {"tier": tier, "n": n, "lang": lang}.items() if v is not None}
    env = {"interaction": {"attributes": attrs}}
    naive = next((r.name for r in chain if r.test is None or r.test(env) is True), None)
    plan = rs.plan("default")
    tried = plan.others
    if plan.path is not None:
        value = read(env, plan.path)
        if type(value) in (str, int, float):
            tried = plan.by_value.get(value, tried)
    fast = next((r.name for r in tried if r.test is None or r.test(env) is True), None)
    assert fast == naive
    # The first-test split (CompiledRule.matches) agrees with the whole condition.
    for r in chain:
        assert r.matches(env) == (r.test is None or r.test(env) is True)


def test_the_index_is_used_for_a_typical_list() -> None:
    config = RouterConfig.from_dict({
        "attributes": {TIER: "str"},
        "queues": {"q0": {}, "q1": {}},
        "rules": [{"name": f"r{i}", "when": f'{TIER} == "t{i}"', "queue": f"q{i}"} for i in (0, 1)]
        + [{"name": "default"}],
    })  # fmt: skip
    plan = ruleset(config).plan("default")
    assert plan.path == ("interaction", "attributes", "tier")
    assert [r.name for r in plan.by_value["t1"]] == ["r1", "default"]
    assert [r.name for r in plan.others] == ["default"]
