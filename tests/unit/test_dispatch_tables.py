"""Every table keyed by event type decides about every event type.

The convention: a module that treats events by type declares a dict keyed by event type with
an entry for *every* type of the :data:`~ccrouter.events.Event` union: handlers on hot paths
(the state's apply, the statistics folds), a role or step tag elsewhere (what-if roles, the
wait passes, which ``match`` on the tag). Types a table does not care about are listed
explicitly (as ignored, ``None`` or a bookkeeping role), so a new event type fails here until
each table has decided what it is.
"""

from __future__ import annotations

import importlib
import typing

import pytest

from ccrouter.events import Event

EVENT_TYPES = frozenset(typing.get_args(Event))

TABLES = [
    ("ccrouter.engine.state", "_APPLY"),
    ("ccrouter.stats._live_fold", "DISPATCH"),
    ("ccrouter.stats._interval_fold", "DISPATCH"),
    ("ccrouter.whatif.model", "EVENT_ROLES"),
    ("ccrouter.stats._wait_events", "WAIT_EVENTS"),
]

SUBSETS = [
    # Not a dispatch table but a metric definition: the events that only add one to a counter.
    # The folds' DISPATCH tables (checked above) decide about every other event type.
    ("ccrouter.stats.definitions", "EVENT_COUNTERS"),
]


@pytest.mark.parametrize(("module", "name"), TABLES, ids=[f"{m}.{n}" for m, n in TABLES])
def test_table_covers_every_event_type(module: str, name: str) -> None:
    table = getattr(importlib.import_module(module), name)
    missing = sorted(t.__name__ for t in EVENT_TYPES - set(table))
    extra = sorted(getattr(t, "__name__", repr(t)) for t in set(table) - EVENT_TYPES)
    assert not missing, f"{module}.{name} does not decide about {missing}"
    assert not extra, f"{module}.{name} has entries for non-events {extra}"


def test_a_new_event_type_would_fail() -> None:
    """The check above can fail: a table missing one type is caught."""
    table = dict(importlib.import_module("ccrouter.stats._wait_events").WAIT_EVENTS)
    table.popitem()
    assert EVENT_TYPES - set(table)


def test_every_table_in_the_package_is_listed() -> None:
    """A new module-level table keyed by event types is added to TABLES (found by scanning the
    package's modules for dicts whose keys are all event types, a handful at least)."""
    import pkgutil

    import ccrouter

    listed = set(TABLES) | set(SUBSETS)
    found = set()
    for info in pkgutil.walk_packages(ccrouter.__path__, "ccrouter."):
        if ".compiled" in info.name or info.name.endswith(("__main__", "demo")):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, dict) and len(value) >= 5 and all(k in EVENT_TYPES for k in value):
                found.add((info.name, name))
    # A table imported into another module is the same object: keep its home only.
    homes = {
        (m, n)
        for m, n in found
        if not any(
            getattr(importlib.import_module(m), n) is getattr(importlib.import_module(m2), n2)
            and (m2, n2) in listed
            and (m2, n2) != (m, n)
            for m2, n2 in found
        )
    }
    assert homes <= listed, f"tables keyed by event type not checked here: {homes - listed}"
