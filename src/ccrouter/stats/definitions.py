"""The queue metrics, defined once: each counter, the events that move it, and the ratios
that derive from counters.

The interval report (:mod:`ccrouter.stats._interval_fold`), the real-time projection
(:mod:`ccrouter.stats._live_fold`) and the simulator's run metrics (:mod:`ccrouter.sim.metrics`)
all read these tables: the counters' slots, their zero values, the public field each fills,
the events that do nothing but count, and the ratios. Adding a counting metric is one
:class:`Counter` row (with its :data:`EVENT_COUNTERS` entry when one event type moves it) plus
its documented field on the public rows in :mod:`ccrouter.stats.rows`
(:class:`~ccrouter.stats.IntervalRow`, :class:`~ccrouter.stats.QueueSnapshot`): two files. A
property test holds the interval and live views of
every counter they share equal on generated logs.

>>> PUBLIC["within"], derive("aht", {"talk": 300.0, "wrap": 60.0, "handled": 3}.__getitem__)
('answered_within_threshold', 120.0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, NamedTuple, TypeAlias

from ccrouter.events import (
    CallbackRequested,
    InteractionOverdue,
    OfferDeclined,
    OfferRevoked,
    OfferTimedOut,
)

__all__ = [
    "COUNTERS",
    "EVENT_COUNTERS",
    "INTERVAL",
    "LIVE",
    "PUBLIC",
    "RATIOS",
    "SIM_COUNTS",
    "SL_DEFINITIONS",
    "SL_DENOMINATORS",
    "Counter",
    "Ratio",
    "SlDefinition",
    "counter_names",
    "derive",
    "describe_service_level",
    "field_reader",
    "ratio_reader",
    "service_level",
    "zero_setter",
    "zeros",
]

INTERVAL = "interval"
"""View: the interval report's counters (per interval and group)."""
LIVE = "live"
"""View: the real-time projection's counters (per queue and channel, since it started)."""


class Counter(NamedTuple):
    """One counter of a queue (or agent) group."""

    name: str
    """Its attribute on the folds' counter records."""
    public: str
    """The field it fills on the public rows (``IntervalRow``, ``QueueSnapshot``)."""
    zero: int | float
    """Its starting value (``0`` for counts, ``0.0`` for summed seconds)."""
    views: frozenset[str]
    """Which statistics keep it: :data:`INTERVAL`, :data:`LIVE` or both."""
    sim: bool = False
    """Also one of the simulator's per-scope metrics (a count in ``ReplicationMetrics``)."""


_BOTH = frozenset({INTERVAL, LIVE})

COUNTERS: tuple[Counter, ...] = (
    Counter("offered", "offered", 0, _BOTH),
    Counter("answered", "answered", 0, _BOTH),
    Counter("within", "answered_within_threshold", 0, _BOTH),
    Counter("abandoned", "abandoned", 0, _BOTH),
    Counter("ab_within", "abandoned_within_threshold", 0, _BOTH),
    # Interval: still unanswered (waiting or ringing); live: waiting, not ringing.
    Counter("waiting", "waiting", 0, _BOTH),
    Counter("offering", "offering", 0, frozenset({LIVE})),
    Counter("handled", "handled", 0, _BOTH),
    Counter("declined", "declined", 0, _BOTH),
    Counter("timed_out", "timed_out", 0, _BOTH),
    Counter("revoked", "revoked", 0, _BOTH),
    Counter("callbacks", "callbacks", 0, _BOTH, sim=True),
    Counter("exited", "exited", 0, _BOTH, sim=True),
    Counter("overdue", "overdue", 0, frozenset({INTERVAL}), sim=True),
    Counter("overflowed", "overflowed", 0, _BOTH),
    Counter("transfers", "transfers", 0, frozenset({INTERVAL})),
    Counter("transfers_out", "transfers_out", 0, frozenset({LIVE})),
    Counter("transfers_in", "transfers_in", 0, _BOTH),
    Counter("escalations", "escalations", 0, _BOTH),
    Counter("wait", "total_wait_time", 0.0, _BOTH),
    Counter("talk", "total_talk_time", 0.0, _BOTH),
    Counter("wrap", "total_wrap_up_time", 0.0, _BOTH),
)
"""Every counter, in the order the public rows list them."""

PUBLIC: dict[str, str] = {c.name: c.public for c in COUNTERS}
"""Counter name → public field name."""

SIM_COUNTS: tuple[str, ...] = tuple(c.public for c in COUNTERS if c.sim)
"""The counters the simulator reports per scope as they are (``callbacks``, ``exited``,
``overdue``)."""

EVENT_COUNTERS: dict[type[Any], str] = {
    OfferDeclined: "declined",
    OfferTimedOut: "timed_out",
    OfferRevoked: "revoked",
    CallbackRequested: "callbacks",
    InteractionOverdue: "overdue",
}
"""Event type → the counter it adds one to, in the group of the interaction it names (in each
view that keeps the counter; the folds may do more for the same event, e.g. free the agent)."""


class Ratio(NamedTuple):
    """A metric that is a ratio of sums of counters (``None`` / ``nan`` when the denominator
    is 0)."""

    numerator: tuple[str, ...]
    denominator: tuple[str, ...]


RATIOS: dict[str, Ratio] = {
    "asa": Ratio(("wait",), ("answered",)),
    "aht": Ratio(("talk", "wrap"), ("handled",)),
    "average_wrap_up_time": Ratio(("wrap",), ("handled",)),
    "abandonment_rate": Ratio(("abandoned",), ("offered",)),
}
"""Public ratio name → its definition over counter names (service level has its own
function, :func:`ccrouter.stats._common.service_level`, for its three definitions)."""


def counter_names(view: str) -> tuple[str, ...]:
    """The counters a view keeps, in table order."""
    return tuple(c.name for c in COUNTERS if view in c.views)


def zeros(view: str) -> tuple[tuple[str, int | float], ...]:
    """``(name, zero)`` of every counter a view keeps, for initialising its records."""
    return tuple((c.name, c.zero) for c in COUNTERS if view in c.views)


def zero_setter(view: str) -> Callable[[Any], None]:
    """A function that sets every counter of ``view`` on its argument to its zero.

    Written out as plain assignments (the way :mod:`dataclasses` writes ``__init__``): the
    interval report makes a counter record per (interval, agent), and a loop of ``setattr``
    would cost it five times as much as the assignments.
    """
    body = "".join(f"    record.{name} = {zero!r}\n" for name, zero in zeros(view)) or "    pass\n"
    namespace: dict[str, Any] = {}
    exec(f"def set_zeros(record):\n{body}", namespace)
    setter: Callable[[Any], None] = namespace["set_zeros"]
    return setter


def _compiled(source: str, name: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    return namespace[name]


def field_reader(view: str) -> Callable[[Any], dict[str, Any]]:
    """A function from a counter record of ``view`` to ``{public field: value}`` (generated,
    like :func:`zero_setter`: the interval report calls it once per row)."""
    items = ", ".join(f"{c.public!r}: record.{c.name}" for c in COUNTERS if view in c.views)
    reader: Callable[[Any], dict[str, Any]] = _compiled(
        f"def read(record):\n    return {{{items}}}\n", "read"
    )
    return reader


def ratio_reader(names: Sequence[str]) -> Callable[[Any], dict[str, float | None]]:
    """A function from a counter record to ``{ratio: value}`` for the ratios ``names`` of
    :data:`RATIOS` (``None`` when the denominator is 0); generated for speed, with the same
    arithmetic as :func:`derive`."""

    def term(counters: tuple[str, ...]) -> str:
        return " + ".join(f"record.{k}" for k in counters)

    items = ", ".join(
        f"{n!r}: ({term(RATIOS[n].numerator)}) / ({term(RATIOS[n].denominator)}) "
        f"if ({term(RATIOS[n].denominator)}) else None"
        for n in names
    )
    reader: Callable[[Any], dict[str, float | None]] = _compiled(
        f"def read(record):\n    return {{{items}}}\n", "read"
    )
    return reader


def derive(name: str, value: Callable[[str], float]) -> float | None:
    """The ratio ``name`` of :data:`RATIOS`, ``value`` giving each counter's value by name;
    ``None`` when its denominator is 0."""
    r = RATIOS[name]
    denominator = sum(value(k) for k in r.denominator)
    return sum(value(k) for k in r.numerator) / denominator if denominator else None


SlDefinition: TypeAlias = Literal["offered", "offered_minus_short_abandons", "answered"]
"""How service level is computed (``T`` is the threshold in seconds):

- ``"offered"``: answered within T / offered (every arrival counts);
- ``"offered_minus_short_abandons"``: answered within T / (offered − abandoned within T);
- ``"answered"``: answered within T / answered (ContactCenters' and many planners' choice).

The interval report, the real-time projection and the simulator all take one of these.
"""

SL_DEFINITIONS: tuple[str, ...] = ("offered", "offered_minus_short_abandons", "answered")
"""The names of :data:`SlDefinition`, in that order."""

SL_DENOMINATORS: dict[str, str] = {
    "offered": "all arrivals",
    "offered_minus_short_abandons": "arrivals minus those abandoned within {T}",
    "answered": "answered interactions",
}
"""Each service-level definition's denominator in words (``{T}``: the threshold)."""


def describe_service_level(definition: str, threshold: float) -> str:
    """The service-level formula in words, printed beside the figure.

    >>> describe_service_level("answered", 20)
    'service level = answered within 20 s / answered interactions'
    >>> describe_service_level("offered_minus_short_abandons", 20)
    'service level = answered within 20 s / arrivals minus those abandoned within 20 s'
    """
    t = f"{threshold:g} s"
    return f"service level = answered within {t} / {SL_DENOMINATORS[definition].format(T=t)}"


def service_level(
    definition: str, within: float, offered: float, answered: float, short_abandons: float
) -> float | None:
    """Service level under ``definition`` (``None`` when the denominator is 0).

    >>> service_level("offered", 8, 10, 9, 1)
    0.8
    >>> service_level("offered_minus_short_abandons", 8, 10, 9, 2)
    1.0
    >>> service_level("answered", 8, 10, 9, 1) == 8 / 9
    True
    """
    if definition == "offered":
        denominator = offered
    elif definition == "offered_minus_short_abandons":
        denominator = offered - short_abandons
    else:
        denominator = answered
    return within / denominator if denominator > 0 else None
