"""Outcomes: complete(outcome=), record_outcome, repeat contacts; typed errors, nothing changed."""

from __future__ import annotations

from typing import Any

import pytest

from ccrouter import Router, RouterConfig
from ccrouter.commands import Outcome
from ccrouter.errors import (
    InvalidArgument,
    InvalidTransition,
    OutcomeConflict,
    UnknownInteraction,
)
from ccrouter.events import OutcomeRecorded, RepeatContact

DAY = 86400.0


def served(config: dict[str, Any] | None = None) -> Router:
    """ann served kim's c1 (completed at 60)."""
    r = Router(RouterConfig.from_dict(config or {}), backend="python")
    r.login("ann", skills={}, at=0)
    r.ready("ann", at=0)
    r.submit("c1", channel="voice", customer_id="kim", at=1)
    r.accept("c1", at=2)
    r.complete("c1", at=60)
    return r


def test_complete_with_an_outcome_records_it_with_its_attribution() -> None:
    r = Router(backend="python")
    r.login("ann", skills={}, at=0)
    r.ready("ann", at=0)
    r.submit("c1", channel="voice", queue="default", at=1)
    r.accept("c1", at=2)
    events = r.complete("c1", at=60, outcome=Outcome(resolved=True, satisfaction=4.5, tags=["x"]))
    assert [e.kind for e in events] == ["interaction_completed", "outcome_recorded"]
    e = events[1]
    assert isinstance(e, OutcomeRecorded)
    assert (e.agent_id, e.queue, e.completed_at, e.resolved, e.satisfaction, e.late) == (
        "ann", "default", 60.0, True, 4.5, False,
    )  # fmt: skip
    assert e.value is None and e.disposition is None and e.tags == ["x"]


def test_a_late_outcome_days_after_knows_whose_work_it_was() -> None:
    r = served()
    r.logout("ann", at=100)  # gone since: the attribution comes from the interaction
    [e] = r.record_outcome("c1", {"satisfaction": 2, "value": 30.0}, at=3 * DAY)
    assert isinstance(e, OutcomeRecorded)
    assert (e.agent_id, e.queue, e.completed_at, e.late, e.value) == (
        "ann", "default", 60.0, True, 30.0,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("outcome", "error", "match"),
    [
        ({}, InvalidArgument, "gives nothing"),
        ({"satisfaction": 7}, InvalidArgument, "satisfaction must be a number from 1 to 5"),
        ({"satisfaction": float("nan")}, InvalidArgument, "satisfaction"),
        ({"value": -1}, InvalidArgument, "value must be a number from 0"),
        ({"disposition": ""}, InvalidArgument, "disposition"),
        ({"tags": [""]}, InvalidArgument, r"tags\[\]"),
        ({"resolved": "yes"}, InvalidArgument, "invalid outcome"),
        ({"mood": 1}, InvalidArgument, "invalid outcome"),
        ("good", InvalidArgument, "outcome must be an Outcome"),
    ],
)
def test_bad_outcomes_are_refused_and_change_nothing(outcome: Any, error: type, match: str) -> None:
    r = served()
    before = (r.state_digest(), len(r.events))
    with pytest.raises(error, match=match):
        r.record_outcome("c1", outcome, at=100)
    assert (r.state_digest(), len(r.events)) == before


def test_each_field_once_tags_add_up() -> None:
    r = served()
    r.record_outcome("c1", {"satisfaction": 4, "tags": ["a"]}, at=100)
    before = (r.state_digest(), len(r.events))
    with pytest.raises(OutcomeConflict, match="already has satisfaction"):
        r.record_outcome("c1", {"satisfaction": 5, "value": 3.0}, at=101)
    assert (r.state_digest(), len(r.events)) == before  # value not recorded either
    r.record_outcome("c1", {"value": 3.0, "tags": ["a"]}, at=102)
    assert isinstance(OutcomeConflict("x"), InvalidTransition)


def test_outcomes_belong_to_completed_work() -> None:
    r = served()
    r.submit("c2", channel="voice", at=100)  # offered to ann, not completed
    with pytest.raises(InvalidTransition, match="outcomes belong to completed work"):
        r.record_outcome("c2", {"resolved": True}, at=101)
    with pytest.raises(UnknownInteraction):
        r.record_outcome("nope", {"resolved": True}, at=101)


def test_complete_refuses_a_bad_outcome_before_completing() -> None:
    r = Router(backend="python")
    r.login("ann", skills={}, at=0)
    r.ready("ann", at=0)
    r.submit("c1", channel="voice", at=1)
    r.accept("c1", at=2)
    before = r.state_digest()
    with pytest.raises(InvalidArgument):
        r.complete("c1", at=60, outcome={"value": -5})
    assert r.state_digest() == before and r.interaction("c1").status == "connected"


def test_a_customer_back_within_the_window_is_a_repeat_contact_on_any_channel() -> None:
    r = served({"performance": {"repeat_within": 2 * DAY}})
    events = r.submit("c2", channel="chat", customer_id="kim", at=DAY)
    [repeat] = [e for e in events if isinstance(e, RepeatContact)]
    assert (repeat.previous_id, repeat.agent_id, repeat.queue, repeat.completed_at) == (
        "c1", "ann", "default", 60.0,
    )  # fmt: skip
    # After the window, or another customer: none.
    assert not [e for e in r.submit("c3", channel="voice", customer_id="lee", at=DAY + 1)
                if isinstance(e, RepeatContact)]  # fmt: skip
    later = r.submit("c4", channel="voice", customer_id="kim", at=10 * DAY)
    assert not [e for e in later if isinstance(e, RepeatContact)]


def test_no_repeat_contacts_without_the_performance_config() -> None:
    r = served()
    events = r.submit("c2", channel="voice", customer_id="kim", at=100)
    assert not [e for e in events if isinstance(e, RepeatContact)]


def test_unserved_contacts_are_not_repeated_and_the_last_served_one_is() -> None:
    r = served({"performance": {}})
    r.submit("c2", channel="voice", customer_id="kim", at=100)  # offered to ann
    r.abandon("c2", at=110)  # not served: a later contact repeats c1, not c2
    events = r.submit("c3", channel="voice", customer_id="kim", at=200)
    [repeat] = [e for e in events if isinstance(e, RepeatContact)]
    assert repeat.previous_id == "c1"


def test_the_outcome_is_part_of_the_command_fingerprint() -> None:
    r = Router(backend="python")
    r.login("ann", skills={}, at=0)
    r.ready("ann", at=0)
    r.submit("c1", channel="voice", at=1)
    r.accept("c1", at=2)
    r.complete("c1", at=60, outcome={"resolved": True}, command_id="done-1")
    again = r.complete("c1", at=61, outcome={"resolved": True}, command_id="done-1")
    assert again.repeat  # the same command: its recorded result
    with pytest.raises(Exception, match="done-1"):
        r.complete("c1", at=62, outcome={"resolved": False}, command_id="done-1")


@pytest.mark.filterwarnings("ignore:no snapshot")
def test_replay_and_snapshot_keep_the_recorded_fields() -> None:
    from ccrouter.engine.snapshot import MemorySnapshotStore

    cfg = RouterConfig.from_dict({"performance": {}})
    r = served({"performance": {}})
    r.record_outcome("c1", {"satisfaction": 5}, at=100)
    assert Router.replay(r.events, cfg).state_digest() == r.state_digest()
    store = MemorySnapshotStore()
    r2 = Router(cfg, log=r.log, snapshots=store)
    r2.snapshot()
    r3 = Router(cfg, log=r.log, snapshots=store)
    assert r3.state_digest() == r.state_digest()
    with pytest.raises(OutcomeConflict):
        r3.record_outcome("c1", {"satisfaction": 1}, at=101)
