"""Codec round-trips: every event survives JSON and MessagePack, alone and in lists."""

from __future__ import annotations

import contextlib

import hypothesis.strategies as st
import msgspec
import pytest
from hypothesis import given

from ccrouter import events as ev
from ccrouter.errors import DecodeError

EVENT_TYPES = list(ev.Event.__args__)  # type: ignore[attr-defined]

names = st.text(min_size=1, max_size=8)
floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | floats | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


def event_strategy(kind: type[ev.EventBase]) -> st.SearchStrategy[ev.EventBase]:
    overrides = {
        "seq": st.integers(1, 2**62),
        "at": floats,
        "skills": st.dictionaries(names, st.integers(0, 32767), max_size=3),
        "capacity": st.dictionaries(names, st.integers(0, 9), max_size=3),
        "attributes": st.dictionaries(names, json_values, max_size=3),
        "config": st.dictionaries(names, json_values, max_size=3),
        "reads": st.dictionaries(names, json_values, max_size=3),
        "submitted": st.dictionaries(names, json_values, max_size=3),
        "version": st.integers(0, 2**62),
        "expires_at": st.none() | floats,
        "wrap_up_until": floats,
        "priority": floats,
        "deadline": floats,
        "before": floats,
        "step": st.integers(0, 2**31),
        "completed_at": floats,
        "satisfaction": st.none() | floats,
        "value": st.none() | floats,
    }
    fields = {f: overrides[f] for f in kind.__struct_fields__ if f in overrides}
    if kind is ev.WrapUpExtended:  # a finite time (JSON has no infinities)
        fields["until"] = floats
    if kind is ev.AgentUpdated:  # each part unset or a new value
        fields["skills"] = st.none() | overrides["skills"]
        fields["capacity"] = st.none() | overrides["capacity"]
    return st.builds(kind, **fields)


any_event = st.one_of([event_strategy(t) for t in EVENT_TYPES])


@given(any_event)
def test_json_round_trip(event: ev.Event) -> None:
    assert ev.decode_json(ev.encode_json(event)) == event


@given(any_event)
def test_msgpack_round_trip(event: ev.Event) -> None:
    assert ev.decode_msgpack(ev.encode_msgpack(event)) == event


@given(st.lists(any_event, max_size=5))
def test_lists_round_trip(events: list[ev.Event]) -> None:
    assert ev.decode_json_many(ev.encode_json_many(events)) == events
    assert ev.decode_msgpack_many(ev.encode_msgpack_many(events)) == events


@given(st.binary(max_size=64))
def test_garbage_only_raises_decode_error(data: bytes) -> None:
    for decode in (ev.decode_json, ev.decode_msgpack):
        with contextlib.suppress(DecodeError):
            decode(data)


def test_decode_error_says_what_and_where() -> None:
    bad = msgspec.json.encode({"type": "agent_ready", "seq": "one", "at": 0.0, "agent_id": "a"})
    with pytest.raises(DecodeError, match=r"Expected `int`, got `str` - at `\$.seq`"):
        ev.decode_json(bad)
    with pytest.raises(ValueError, match="Invalid value 'agent_danced'"):
        ev.decode_json(b'{"type":"agent_danced","seq":1,"at":0}')


def test_every_event_type_has_a_distinct_tag() -> None:
    tags = [t.__struct_config__.tag for t in EVENT_TYPES]
    assert len(set(tags)) == len(tags) == 38
