"""The metric definitions table (``ccrouter.stats.definitions``) is what every view uses.

A counter listed for a view must be a slot of that view's records and a field of its public
row; an event that only counts must be dispatched by both folds; the simulator's metrics must
carry the counts the table gives it. Together with the property test that holds the interval
and live views of every shared counter equal, adding a metric cannot leave a view behind.
"""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from ccrouter.events import InteractionOverdue, OfferDeclined
from ccrouter.sim.metrics import METRICS
from ccrouter.stats import IntervalRow, QueueSnapshot, interval_report
from ccrouter.stats._common import NO_STATISTIC
from ccrouter.stats._interval_fold import DISPATCH as INTERVAL_DISPATCH
from ccrouter.stats._interval_fold import IntervalFold
from ccrouter.stats._interval_records import Counts
from ccrouter.stats._live_fold import DISPATCH as LIVE_DISPATCH
from ccrouter.stats._live_fold import LiveFold
from ccrouter.stats._live_queues import QueueCounters
from ccrouter.stats.definitions import (
    COUNTERS,
    EVENT_COUNTERS,
    INTERVAL,
    LIVE,
    RATIOS,
    SIM_COUNTS,
    counter_names,
    derive,
)


def _fields(struct: type[msgspec.Struct]) -> set[str]:
    return set(struct.__struct_fields__)


def test_each_view_keeps_exactly_its_counters_and_publishes_them() -> None:
    assert set(Counts.__slots__) == set(counter_names(INTERVAL))
    assert set(counter_names(LIVE)) <= set(QueueCounters.__slots__)
    for c in COUNTERS:
        assert c.views and c.views <= {INTERVAL, LIVE}, c
        if INTERVAL in c.views:
            assert c.public in _fields(IntervalRow), c
            assert getattr(Counts(), c.name) == c.zero
        if LIVE in c.views:
            assert c.public in _fields(QueueSnapshot), c
            assert getattr(QueueCounters(5), c.name) == c.zero


def test_names_are_unique() -> None:
    assert len({c.name for c in COUNTERS}) == len(COUNTERS)
    assert len({c.public for c in COUNTERS}) == len(COUNTERS)


def test_event_counters_are_dispatched_by_both_folds() -> None:
    names = {c.name for c in COUNTERS}
    for event_type, counter in EVENT_COUNTERS.items():
        assert counter in names
        assert event_type not in NO_STATISTIC
        assert event_type in INTERVAL_DISPATCH and event_type in LIVE_DISPATCH
    # The pure counts go through the shared entry; the others do more and count themselves.
    assert INTERVAL_DISPATCH[OfferDeclined] is not IntervalFold.counted
    assert LIVE_DISPATCH[InteractionOverdue] is not LiveFold._counted


def test_the_simulator_reports_the_counts_the_table_gives_it() -> None:
    assert SIM_COUNTS[:3] == ("callbacks", "exited", "overdue")
    assert set(SIM_COUNTS) <= set(METRICS)
    assert METRICS[-len(SIM_COUNTS) :] == SIM_COUNTS


def test_ratios_are_over_counters_and_none_on_zero() -> None:
    names = {c.name for c in COUNTERS}
    for ratio in RATIOS.values():
        assert set(ratio.numerator) | set(ratio.denominator) <= names
    zero = dict.fromkeys(names, 0)
    assert all(derive(name, zero.__getitem__) is None for name in RATIOS)
    counts = {**zero, "talk": 100.0, "wrap": 20.0, "handled": 4, "wait": 30.0, "answered": 3}
    assert derive("aht", counts.__getitem__) == 30.0
    assert derive("asa", counts.__getitem__) == 10.0


def test_a_row_carries_its_ratios() -> None:
    from ccrouter.events import InteractionOffered, InteractionQueued, OfferAccepted

    events = [
        InteractionQueued(seq=1, at=0.0, interaction_id="c", channel="voice", queue="q"),
        InteractionOffered(seq=2, at=4.0, interaction_id="c", agent_id="a"),
        OfferAccepted(seq=3, at=6.0, interaction_id="c", agent_id="a"),
    ]
    (row,) = interval_report(events, 900.0)
    assert row.asa == pytest.approx(6.0) and row.aht is None


@pytest.mark.parametrize("row", [IntervalRow, QueueSnapshot])
def test_every_public_field_is_defined_in_the_statistics_docs(row: type) -> None:
    # A metric added to the rows without its definition for users fails here.
    doc = (Path(__file__).parents[2] / "docs" / "statistics.md").read_text()
    missing = [f for f in row.__struct_fields__ if f"`{f}`" not in doc]
    assert not missing, f"{row.__name__} fields not defined in docs/statistics.md: {missing}"
