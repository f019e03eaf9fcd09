"""``RouterConfig.to_dict()`` and ``to_toml()`` round-trip, over generated configs.

Names are drawn from any text TOML can hold (quotes, backslashes, control characters,
non-ASCII, dots and spaces in queue names), numbers from the whole valid range, and every
optional setting set or unset (``offer_timeout = false`` for none, its default being 30 s).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import given

from ccrouter import RouterConfig
from ccrouter._toml import dumps
from ccrouter.config import DEFAULT_OFFER_TIMEOUT, KPIS, STRATEGIES
from ccrouter.errors import ConfigError

names = st.text(
    st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12
)  # (no lone surrogates: UTF-8 text cannot hold them)
durations = st.one_of(st.just(0.001), st.floats(0.001, 1e9), st.integers(1, 10**6))
positive = st.one_of(st.none(), durations)
levels = st.dictionaries(names, st.integers(0, 32767), max_size=3)


@st.composite
def queue(draw: st.DrawFn, others: list[str]) -> dict[str, Any]:
    q: dict[str, Any] = {
        # order_by needs an agent attribute schema and its key: drawn in test_selectors.
        "strategy": draw(st.sampled_from([s for s in STRATEGIES if s != "order_by"])),
        "wrap_up": draw(st.one_of(st.just(0.0), durations)),
        "offer_timeout": draw(positive),
        "aging_rate": draw(st.sampled_from([0.0, 0.25, 3.0])),
        "groups": draw(st.lists(names, max_size=2)),
        "max_wait": draw(positive),
        "max_size": draw(st.one_of(st.none(), st.integers(0, 1000))),
        "keep_age": False,
        "deadline": draw(positive),
        "reminders": draw(st.lists(durations, max_size=2)),
        "overdue_priority": draw(st.floats(-1e6, 1e6)),
        "last_agent": draw(
            st.one_of(
                st.none(),
                st.fixed_dictionaries(
                    {
                        "wait": durations,
                        "scope": st.sampled_from(["queue", "any"]),
                        "within": positive,
                    }
                ),
            )
        ),
        "steps": sorted(
            draw(
                st.lists(
                    st.fixed_dictionaries(
                        {
                            "after": st.sampled_from([0.0, 5.0, 60.0]),
                            "skills": levels,
                            "drop_skills": st.lists(names, max_size=1),
                            "priority": st.one_of(st.none(), st.floats(-100, 100)),
                            "groups": st.lists(names, max_size=1),
                            "skip_if_nobody": st.booleans(),
                        }
                    ),
                    max_size=2,
                )
            ),
            key=lambda s: s["after"],
        ),
    }
    if others and draw(st.booleans()):
        q["escalate_to"] = draw(st.sampled_from(others))
    if draw(st.booleans()):  # leave some settings out: the defaults apply
        for key in draw(st.lists(st.sampled_from(sorted(q)), max_size=4)):
            q.pop(key, None)
    if q.get("strategy") == "performance":  # its settings (a best share needs a step)
        q["performance"] = {
            "kpi": draw(st.sampled_from(KPIS)),
            "top_share": draw(st.sampled_from([1.0, 0.25])) if q.get("steps") else 1.0,
            "balance": draw(st.sampled_from([0.0, 0.5])),
        }  # fmt: skip
    return q


@st.composite
def configs(draw: st.DrawFn) -> RouterConfig:
    queue_names = draw(st.lists(names, min_size=0, max_size=3, unique=True))
    queues = {name: draw(queue([n for n in queue_names if n != name])) for name in queue_names}
    channels = draw(
        st.dictionaries(
            names,
            st.fixed_dictionaries(
                {
                    "cost": st.integers(0, 5),
                    "blocks": st.lists(names, max_size=2),
                    "interruptible_by": st.lists(names, max_size=1),
                }
            ),
            max_size=2,
        )
    )
    fairness = draw(
        st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {
                    "window": durations,
                    "max_above_median": st.one_of(st.none(), st.integers(0, 9)),
                }
            ),
        )
    )
    uses = any(q.get("strategy") == "performance" for q in queues.values())
    performance = (
        {
            "bucket": 3600.0,
            "window": draw(st.sampled_from([3600.0, 86400.0])),
            "prior_weight": draw(st.sampled_from([0.0, 10.0])),
            "satisfaction": draw(st.sampled_from([[1.0, 5.0], [0.0, 10.0]])),
        }
        if uses or draw(st.booleans())
        else None
    )
    return RouterConfig.from_dict(
        {
            "performance": performance,
            "auto_accept": draw(st.booleans()),
            "max_no_answer": draw(st.integers(1, 10)),
            "seed": draw(st.integers(-(2**63), 2**63 - 1)),
            "customer_history": draw(st.integers(0, 100)),
            "queues": queues,
            "channels": channels,
            "fairness": fairness,
            "matching": draw(st.sampled_from(["greedy", "batch"])),
        }
    )


@given(configs())
def test_to_dict_round_trips(config: RouterConfig) -> None:
    assert RouterConfig.from_dict(config.to_dict()) == config


@given(configs())
def test_to_toml_round_trips(config: RouterConfig) -> None:
    text = config.to_toml()
    assert RouterConfig.from_dict(tomllib.loads(text)) == config


@given(configs())
def test_to_toml_file_reads_back_with_from_toml(config: RouterConfig) -> None:
    # (no tmp_path fixture under @given: one file per example in the system temp dir)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "router.toml"
        path.write_text(config.to_toml(), encoding="utf-8")
        assert RouterConfig.from_toml(path) == config


def test_no_offer_timeout_is_written_as_false_and_read_back_as_none() -> None:
    config = RouterConfig.from_dict({"queues": {"chat": {"offer_timeout": None}}})
    text = config.to_toml()
    assert "offer_timeout = false" in text
    back = RouterConfig.from_dict(tomllib.loads(text))
    assert back.queue("chat").offer_timeout is None
    assert back.queue("default").offer_timeout == DEFAULT_OFFER_TIMEOUT
    # A wrong implementation that leaves the None out would read back the 30 s default.
    assert back == config


def test_writer_refuses_what_toml_cannot_hold() -> None:
    with pytest.raises(ConfigError, match=r"a\.b"):
        dumps({"a": {"b": float("nan")}})
    with pytest.raises(ConfigError, match="surrogate"):
        dumps({"name": "\ud800"})
    with pytest.raises(ConfigError, match="a TOML value"):
        dumps({"x": object()})
    with pytest.raises(ConfigError, match="without None"):
        dumps({"x": [1, None]})


def test_writer_quotes_keys_and_escapes_strings() -> None:
    data = {"queues": {'we "say" \\ hi.\n': {"groups": ["\x7f", "é", "tab\t"]}}, "e": {}}
    assert tomllib.loads(dumps(data)) == data
