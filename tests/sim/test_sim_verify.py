"""``ccrouter.sim.verify``: the first difference between two event lists, and one replication
compared on both engines."""

from __future__ import annotations

import math

import msgspec
import pytest
from engine_fakes import fake_compiled, not_compiled
from hypothesis import given
from hypothesis import strategies as st
from models import mmc

from ccrouter.events import (
    AgentLoggedIn,
    AgentReady,
    Event,
    InteractionCompleted,
    InteractionOffered,
    InteractionQueued,
)
from ccrouter.sim import NotCompiled
from ccrouter.sim.verify import first_difference, same_event, verify_replication


def _log() -> list[Event]:
    return [
        AgentLoggedIn(seq=1, at=0.0, agent_id="a", skills={"x": 2, "y": 1}, capacity={"voice": 1}),
        AgentReady(seq=2, at=0.0, agent_id="a"),
        InteractionQueued(seq=3, at=1.25, interaction_id="c-0", channel="voice", queue="q"),
        InteractionOffered(seq=4, at=1.25, interaction_id="c-0", agent_id="a"),
        InteractionCompleted(seq=5, at=9.5, interaction_id="c-0", agent_id="a", wrap_up_until=9.5),
    ]


def test_identical_lists_have_no_difference() -> None:
    assert first_difference(_log(), _log()) is None
    assert first_difference([], []) is None


@pytest.mark.parametrize(
    ("index", "changes", "field"),
    [
        (0, {"skills": {"x": 2, "y": 2}}, "skills"),  # a nested value
        (0, {"skills": {"y": 1, "x": 2}}, "skills"),  # same dict, another order: not identical
        (1, {"seq": 3}, "seq"),
        (2, {"at": math.nextafter(1.25, 2.0)}, "at"),  # one ulp
        (3, {"expires_at": 16.25}, "expires_at"),
        (4, {"agent_id": "b"}, "agent_id"),
        (4, {"at": 9.5, "wrap_up_until": 9.500000000000002}, "wrap_up_until"),
    ],
)
def test_the_first_changed_field_is_named(
    index: int, changes: dict[str, object], field: str
) -> None:
    other = _log()
    other[index] = msgspec.structs.replace(other[index], **changes)
    diff = first_difference(_log(), other)
    assert diff is not None
    assert (diff.index, diff.field) == (index, field)
    assert diff.reference == _log()[index] and diff.candidate == other[index]


def test_a_different_kind_is_a_type_difference() -> None:
    other = _log()
    other[1] = InteractionQueued(seq=2, at=0.0, interaction_id="a", channel="voice", queue="q")
    diff = first_difference(_log(), other)
    assert diff is not None and (diff.index, diff.field) == (1, "type")


def test_times_compare_bit_for_bit() -> None:
    zero, minus_zero = (AgentReady(seq=1, at=t, agent_id="a") for t in (0.0, -0.0))
    assert zero == minus_zero  # msgspec's == is numeric...
    assert not same_event(zero, minus_zero)  # ...the contract is bit for bit
    nan = AgentReady(seq=1, at=math.nan, agent_id="a")
    assert same_event(nan, AgentReady(seq=1, at=math.nan, agent_id="a"))
    # An int where a float belongs is not the same value either.
    whole = InteractionCompleted(seq=1, at=2.0, interaction_id="i", agent_id="a", wrap_up_until=2)
    same = InteractionCompleted(seq=1, at=2.0, interaction_id="i", agent_id="a", wrap_up_until=2.0)
    assert whole == same and not same_event(whole, same)


def test_a_prefix_differs_in_length_at_its_end() -> None:
    short = _log()[:3]
    diff = first_difference(_log(), short)
    assert diff is not None and (diff.index, diff.field) == (3, "length")
    assert diff.reference == _log()[3] and diff.candidate is None
    back = first_difference(short, _log())
    assert back is not None and back.reference is None and back.candidate == _log()[3]


def test_describe_shows_the_index_and_both_events() -> None:
    other = _log()
    other[2] = msgspec.structs.replace(other[2], at=1.5)
    diff = first_difference(_log(), other)
    assert diff is not None
    text = diff.describe()
    lines = text.splitlines()
    assert len(lines) == 3 and "event index 2" in lines[0] and "'at'" in lines[0]
    assert lines[1].lstrip().startswith("router") and '"at":1.25' in lines[1]
    assert lines[2].lstrip().startswith("compiled") and '"at":1.5' in lines[2]


@given(
    n=st.integers(1, 30),
    data=st.data(),
)
def test_the_first_of_several_changes_is_found(n: int, data: st.DataObject) -> None:
    """Perturb the times at some indices: the smallest one is reported, with its events."""
    reference: list[Event] = [
        AgentReady(seq=k + 1, at=float(k), agent_id=f"a{k % 3}") for k in range(n)
    ]
    changed = data.draw(st.sets(st.integers(0, n - 1), min_size=0, max_size=n))
    candidate = [
        msgspec.structs.replace(e, at=math.nextafter(e.at, math.inf)) if k in changed else e
        for k, e in enumerate(reference)
    ]
    cut = data.draw(st.integers(0, n))
    diff = first_difference(reference, candidate[:cut])
    expected = min([k for k in changed if k < cut] + [cut])
    if expected == n:
        assert diff is None
    else:
        assert diff is not None and diff.index == expected
        assert diff.field == ("at" if expected < cut else "length")


# --- one replication on both engines ------------------------------------------------------------


def test_verify_replication_agrees_with_a_faithful_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_compiled(monkeypatch)
    check = verify_replication(mmc(3, 0.8, horizon=1800.0, warmup=0.0), seed=4)
    assert check.identical and check.difference is None
    assert check.router_events == check.compiled_events > 100
    assert calls.runs == [True]  # the compiled run kept its events
    assert f"{check.router_events:,} events identical" in check.describe()


def test_verify_replication_reports_the_first_departure(monkeypatch: pytest.MonkeyPatch) -> None:
    def nudge(events: list[Event]) -> list[Event]:
        events[40] = msgspec.structs.replace(events[40], at=math.nextafter(events[40].at, 1e9))
        events[60] = msgspec.structs.replace(events[60], seq=0)
        return events

    fake_compiled(monkeypatch, mutate=nudge)
    check = verify_replication(mmc(3, 0.8, horizon=1800.0, warmup=0.0), seed=4)
    assert not check.identical and check.difference is not None
    assert (check.difference.index, check.difference.field) == (40, "at")
    assert "differ" in check.describe() and "event index 40" in check.describe()


def test_verify_replication_names_what_is_not_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    not_compiled(monkeypatch, ["outbound campaigns"])
    with pytest.raises(NotCompiled, match="outbound campaigns"):
        verify_replication(mmc(3, 0.8, horizon=600.0, warmup=0.0))
