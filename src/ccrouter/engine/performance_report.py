"""Performance over any past window, recomputed from the log (docs/performance.md).

The state's :class:`~ccrouter.engine.performance.PerformanceBook` serves routing and the
current window; this folds a log from its start into a :class:`ContactLog` (every contact with
its counters, no window) and aggregates the contacts that ended in the window asked. The same
formulas (:mod:`ccrouter.engine.estimates`) make the rows, so a window the book covers reads
the same either way.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from ccrouter.commands import Outcome
from ccrouter.config import PerformanceConfig, RouterConfig
from ccrouter.engine.estimates import PerformanceRow
from ccrouter.engine.performance import ContactLog, window_rows
from ccrouter.engine.state import RouterState
from ccrouter.errors import InvalidArgument
from ccrouter.events import Event
from ccrouter.limits import check_name, check_time

__all__ = ["as_outcome", "contacts_of", "performance_between"]

_DEFAULT = PerformanceConfig()


def contacts_of(events: Iterable[Event], config: RouterConfig) -> ContactLog:
    """Every contact of ``events`` (a log from its start, under ``config`` until it records a
    change) with its counters."""
    state = RouterState(config, backend="python")
    contacts = ContactLog()
    for event in events:
        state.apply(event)
        contacts.observe(event, state)
    return contacts


def performance_between(
    events: Iterable[Event], config: RouterConfig, start: float, end: float
) -> list[PerformanceRow]:
    """Rows for the contacts that ended in ``[start, end)``, with every outcome and repeat
    contact of ``events`` (shrunk with ``config.performance.prior_weight``).

    Raises:
        InvalidArgument: ``start`` or ``end`` is not a time, or ``end`` is not after ``start``.
    """
    check_time(start, "start")
    check_time(end, "end")
    if not end > start:
        msg = f"`end` must be after `start` ({start!r}), got {end!r}"
        raise InvalidArgument(msg)
    log = contacts_of(events, config)
    prior = (config.performance or _DEFAULT).prior_weight
    return window_rows(log.contacts, float(start), float(end), prior_weight=prior)


def as_outcome(outcome: object) -> Outcome:
    """``outcome`` as an :class:`Outcome` (given one, or a mapping of its fields).

    Raises:
        InvalidArgument: neither, an unknown field or a field of the wrong type (named).
    """
    if isinstance(outcome, dict):
        try:
            outcome = msgspec.convert(outcome, Outcome)
        except (msgspec.ValidationError, UnicodeError) as exc:
            msg = f"invalid outcome: {exc!r:.300}"
            raise InvalidArgument(msg) from None
    if not isinstance(outcome, Outcome):
        msg = f"outcome must be an Outcome or a mapping of its fields, got {type(outcome).__name__}"
        raise InvalidArgument(msg)
    # Its texts are checked now: a command id's fingerprint encodes the command first.
    if outcome.disposition is not None:
        check_name(outcome.disposition, "outcome.disposition")
    if not isinstance(outcome.tags, list):
        msg = f"outcome.tags must be a list of names, got {type(outcome.tags).__name__}"
        raise InvalidArgument(msg)
    for tag in outcome.tags:
        check_name(tag, "outcome.tags[]")
    return outcome
