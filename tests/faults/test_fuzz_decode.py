"""Decoding fuzzed bytes only ever raises typed errors (DecodeError / CorruptLog)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import msgspec
import pytest
from faultkit import SCALE
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ccrouter.errors import CorruptLog, DecodeError
from ccrouter.events import decode_json, decode_msgpack, decode_msgpack_many
from ccrouter.log import FileEventLog
from ccrouter.log.file import _batch_header, _file_header
from ccrouter.log.schema import SCHEMA_VERSION, decode_payload, upcast

FUZZ = settings(
    max_examples=300 * SCALE, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

_plain = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats()
    | st.text(max_size=10)
    | st.binary(max_size=10)
    | st.sampled_from(["agent_ready", "interaction_queued", "seq", "at", "agent_id", "type"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["type", "seq", "at", "agent_id", "skills", "x"]) | st.text(max_size=4),
            inner,
            max_size=5,
        )
    ),
    max_leaves=12,
)


@FUZZ
@given(data=st.binary(max_size=300))
@example(data=b"")
@example(data=b"\xc1")  # never used in MessagePack
@example(data=b"\x81\xa4type\xabagent_ready")  # a tag and nothing else
def test_fuzzed_msgpack_bytes_raise_only_decode_error(data: bytes) -> None:
    for decode in (decode_msgpack, decode_msgpack_many, decode_json):
        with contextlib.suppress(DecodeError):
            decode(data)
    for count in (0, 1, 3):
        with contextlib.suppress(DecodeError):
            decode_payload(data, count, SCHEMA_VERSION)


@FUZZ
@given(obj=_plain)
def test_well_formed_but_wrong_objects_raise_only_decode_error(obj: object) -> None:
    data = msgspec.msgpack.encode(obj)
    try:
        event = decode_msgpack(data)
    except DecodeError:
        return
    # If it decoded, it is a real event that round-trips (compared as bytes: NaN != NaN).
    again = msgspec.msgpack.encode(event)
    assert msgspec.msgpack.encode(decode_msgpack(again)) == again


@FUZZ
@given(data=st.binary(max_size=200), version=st.integers(-3, 5))
def test_unknown_schema_versions_are_typed_errors(data: bytes, version: int) -> None:
    with contextlib.suppress(DecodeError):
        decode_payload(data, 1, version)


def test_upcaster_chain_and_missing_steps() -> None:
    steps = {1: lambda d: {**d, "a": 1}, 2: lambda d: {**d, "b": 2}}
    assert upcast({}, 1, upcasters=steps, current=3) == {"a": 1, "b": 2}
    with pytest.raises(DecodeError, match="no upcaster from event schema version 2"):
        upcast({}, 1, upcasters={1: steps[1]}, current=3)
    with pytest.raises(DecodeError, match="newer"):
        upcast({}, 4, upcasters=steps, current=3)


@FUZZ
@given(payload=st.binary(min_size=1, max_size=300), count=st.integers(1, 5))
def test_checksummed_garbage_in_a_file_is_corrupt_log_not_a_crash(
    tmp_path: Path, payload: bytes, count: int
) -> None:
    """Bytes that pass the checksum (written by a buggy or hostile writer) but do not decode."""
    path = tmp_path / "forged.ccr"
    path.write_bytes(_file_header() + _batch_header(payload, 1, count, SCHEMA_VERSION) + payload)
    with FileEventLog(path, readonly=True) as log:
        try:
            got = list(log.read())
        except CorruptLog as exc:
            offset = exc.offset
            assert offset == 16
        else:
            # Only possible if the random payload is, by chance, ``count`` valid events
            # numbered from 1; then they must be exactly those.
            assert [e.seq for e in got] == list(range(1, count + 1))
