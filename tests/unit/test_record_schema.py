"""The record schema (engine.records): every field declares how it is stored and digested, and
the snapshot rows derived from it keep the format-2 layout."""

from __future__ import annotations

import attrs
import msgspec
import pytest

from ccrouter.engine import snapshot
from ccrouter.engine.records import Agent, Interaction, wire_codec

# The snapshot rows as format 2 wrote them before the schema existed: the order is the format.
AGENT_ROW = [
    "agent_id",
    "slot",
    "skills",
    "capacity",
    "presence",
    "reason",
    "login_order",
    "logged_in_at",
    "idle_since",
    "handled",
    "misses",
    "offers",
    "connected",
    "wrapping",
    "in_use",
    "groups",
    "consults",
    "budget",
]
INTERACTION_ROW = [
    "interaction_id",
    "channel",
    "queue",
    "skills",
    "priority",
    "customer_id",
    "attributes",
    "arrived_at",
    "queued_seq",
    "status",
    "agent_id",
    "offer_expires_at",
    "declined_by",
    "ended_at",
    "preferred",
    "preferred_until",
    "deadline",
    "step",
    "reminded",
    "overdue",
    "exit_reason",
    "callback",
    "groups",
    "notes",
    "history",
    "consult",
    "paused_by",
]


@pytest.mark.parametrize("cls", [Agent, Interaction])
def test_every_field_declares_its_schema(cls: type) -> None:
    missing = [f.name for f in attrs.fields(cls) if "col" not in f.metadata]
    assert not missing, f"{cls.__name__} fields without col(...) metadata: {missing}"


@pytest.mark.parametrize(
    ("struct", "expected"),
    [(snapshot._AgentData, AGENT_ROW), (snapshot._InteractionData, INTERACTION_ROW)],
)
def test_snapshot_rows_keep_the_format_2_layout(struct: type, expected: list[str]) -> None:
    """New fields may only be appended: a field inserted or moved would misread old payloads."""
    fields = list(struct.__struct_fields__)
    assert fields[: len(expected)] == expected


def test_a_row_written_before_the_later_fields_decodes_with_their_defaults() -> None:
    """A payload from before groups/consults/budget existed (15 values) still decodes."""
    old_row = ["a", 0, {"en": 1}, {"voice": 1}, "ready", None, 1, 0.0, 0.0, 2, 0, [], [], [], []]
    row = msgspec.msgpack.decode(msgspec.msgpack.encode(old_row), type=snapshot._AgentData)
    _, agent_of = wire_codec(Agent, snapshot._AgentData)
    agent = agent_of(row)
    assert (agent.groups, agent.consults, agent.budget) == (frozenset(), {}, None)
    assert (agent.handled, agent.skills) == (2, {"en": 1})


def test_stored_and_loaded_records_are_equal_and_unshared() -> None:
    to_row, of_row = wire_codec(Interaction, snapshot._InteractionData)
    i = Interaction("i", "voice", "q", {"en": 3}, 2, None, {"k": [1]}, 1.5, 4)
    i.preferred, i.groups, i.notes = ("a",), ("g",), ("n",)
    back = of_row(msgspec.msgpack.decode(msgspec.msgpack.encode(to_row(i)), type=type(to_row(i))))
    assert attrs.asdict(back, recurse=False) == attrs.asdict(i, recurse=False)
    assert type(back.priority) is int  # kept as given: the digest tells 2 from 2.0
    back.skills["fr"] = 1
    assert "fr" not in i.skills
