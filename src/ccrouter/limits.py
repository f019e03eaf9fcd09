"""Input bounds: the range of every value the router accepts, and the checks that hold it.

Everything a command, a query or a configuration accepts is checked here (or by a caller
using these checks) before anything changes, so that every event the router appends encodes
to JSON and MessagePack and decodes back equal, and arithmetic on times stays exact enough.

Times and durations
    Every time (``at``, a ``deadline``) lies within ``±MAX_TIME`` seconds (10¹², about 31,700
    years: any seconds clock since 1970, or a simulation's virtual time). Every duration (a
    wait, a timeout, a wrap-up, a window) is 0 or from ``MIN_DURATION`` (1 ms) to
    ``MAX_DURATION`` (10¹² s). Why: below 2⁴¹ ≈ 2.2·10¹² — which bounds every time plus every
    duration — one unit in the last place of a float is at most 2⁻¹² s ≈ 0.24 ms, so
    ``t + d > t`` holds for every accepted time ``t`` and duration ``d > 0``, and ``t + d``
    is off by at most 0.12 ms. A timer set ``d`` after ``t`` is thus strictly later: a chain of
    timers (an overflow back to the same queue, an offer that times out and is offered again)
    always moves time on. (With ``at = 1e18`` and ``max_wait = 30``, ``at + 30 == at``: the
    overflow circled at one instant for ever.)

Numbers
    Priorities (``priority``, a step's ``priority``, ``overdue_priority``) lie within
    ``±MAX_PRIORITY`` (10¹²), aging rates within 0 to ``MAX_AGING_RATE`` (10⁶ points a second),
    so a queue key ``priority + aging_rate · wait`` stays finite. Integers stored in events are
    within signed 64 bits (what both codecs carry exactly); counts in a config within
    ``MAX_COUNT`` (10⁹).

Names and text
    Ids and names (agents, interactions, customers, queues, channels, groups, skills, reasons,
    command ids) are non-empty strings of at most ``MAX_NAME`` (1,000) characters, and every
    string is valid Unicode for UTF-8 (no lone surrogates such as ``"\\ud800"``, which no
    codec can write).

Attributes
    JSON data: string keys; values ``None``, ``bool``, 64-bit ``int``, finite ``float``,
    ``str``, lists (tuples are stored as lists) and string-keyed mappings, at most
    ``MAX_DEPTH`` (32) levels deep, ``MAX_VALUES`` (10,000) values and ``MAX_CHARS``
    (100,000) characters of strings (keys included) in all. They are copied at the boundary,
    so the caller's objects changed later change neither the log nor the state.

One command may append at most ``MAX_EVENTS`` (1,000,000) events: an ``advance`` over a span
in which more timers would fire raises :class:`~ccrouter.errors.TooManyEvents` and changes
nothing (advance in smaller steps).

>>> check_time(1.7e9, "at")
>>> check_time(1e18, "at")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ccrouter.errors.InvalidArgument: `at` must be a finite number of seconds within ±1e+12, got 1e+18
>>> json_copy({"tags": ("vip",), "n": 1}, "attributes")
{'tags': ['vip'], 'n': 1}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ccrouter.errors import InvalidArgument

__all__ = [
    "MAX_AGING_RATE",
    "MAX_CHARS",
    "MAX_COUNT",
    "MAX_DEPTH",
    "MAX_DURATION",
    "MAX_EVENTS",
    "MAX_INT",
    "MAX_NAME",
    "MAX_PRIORITY",
    "MAX_TIME",
    "MAX_VALUES",
    "MIN_DURATION",
    "MIN_INT",
    "check_duration",
    "check_json",
    "check_name",
    "check_number",
    "check_time",
    "is_duration",
    "is_int",
    "is_name",
    "is_number",
    "is_text",
    "is_time",
    "json_copy",
]

MAX_TIME = 1e12
"""Largest ``|t|`` of a time, in seconds."""
MIN_DURATION = 1e-3
"""Shortest positive duration, in seconds (0 is allowed where a duration may be 0)."""
MAX_DURATION = 1e12
"""Longest duration, in seconds."""
MAX_PRIORITY = 1e12
"""Largest ``|priority|``."""
MAX_AGING_RATE = 1e6
"""Largest aging rate, in priority points per second waited."""
MIN_INT = -(2**63)
MAX_INT = 2**63 - 1
"""Integers in events are signed 64-bit (what JSON and MessagePack both carry exactly)."""
MAX_COUNT = 10**9
"""Largest count in a config (``max_no_answer``, ``max_size``, ``customer_history``, ...)."""
MAX_NAME = 1000
"""Longest id or name, in characters."""
MAX_DEPTH = 32
"""Deepest nesting of attributes (a value in the top mapping is at depth 1)."""
MAX_VALUES = 10_000
"""Most values (scalars and containers) in one command's attributes."""
MAX_CHARS = 100_000
"""Most characters of strings (keys included) in one command's attributes."""
MAX_EVENTS = 1_000_000
"""Most events one command may append (timers fired by a long ``advance`` included)."""


# --- predicates (cheap; the common case answered first) ----------------------------------------


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def is_text(value: object, limit: int) -> bool:
    """A non-empty string of at most ``limit`` characters that UTF-8 can encode."""
    if isinstance(value, str):
        return 0 < len(value) <= limit and (value.isascii() or _utf8(value))
    return False


def is_name(value: object) -> bool:
    """An id or name: a non-empty string of at most ``MAX_NAME`` characters, UTF-8 safe."""
    if type(value) is str:  # the common case, answered first
        return 0 < len(value) <= MAX_NAME and (value.isascii() or _utf8(value))
    return is_text(value, MAX_NAME)


def is_number(value: object, limit: float) -> bool:
    """A finite ``int`` or ``float`` (not ``bool``) with ``|value| <= limit``."""
    if type(value) is float:  # the common case, answered first
        return -limit <= value <= limit  # (False for NaN)
    if type(value) is int:
        return -limit <= value <= limit  # exact for any size: no float conversion
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return -limit <= value <= limit


def is_time(value: object) -> bool:
    """A finite time within ``±MAX_TIME``."""
    return is_number(value, MAX_TIME)


def is_duration(value: object, *, positive: bool = False) -> bool:
    """0 (unless ``positive``) or a number of seconds from ``MIN_DURATION`` to ``MAX_DURATION``."""
    if not is_number(value, MAX_DURATION):
        return False
    assert isinstance(value, int | float)
    return value >= MIN_DURATION or (value == 0 and not positive)


def is_int(value: object, low: int, high: int) -> bool:
    """An ``int`` (not ``bool``) from ``low`` to ``high``."""
    return (type(value) is int or (isinstance(value, int) and not isinstance(value, bool))) and (
        low <= value <= high
    )


# --- checks that raise InvalidArgument naming the argument -----------------------------------


def _got(value: object) -> str:
    """``value`` for a message: its repr, shortened (a huge int's repr may itself raise)."""
    if isinstance(value, int) and not -(10**30) < value < 10**30:
        return f"an int of {value.bit_length()} bits"
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"a {type(value).__name__}"
    return text if len(text) <= 80 else f"{text[:77]}..."


def check_name(value: object, field: str) -> None:
    """Raise unless ``value`` is an id or name (see :func:`is_name`)."""
    if not is_name(value):
        msg = (
            f"{field} must be a non-empty string of at most {MAX_NAME} characters (valid "
            f"Unicode), got {_got(value)}"
        )
        raise InvalidArgument(msg)


def check_time(value: object, field: str) -> None:
    """Raise unless ``value`` is a finite time within ``±MAX_TIME``."""
    if not is_number(value, MAX_TIME):
        name = "`at`" if field == "at" else field  # (a bare "at" reads badly in a sentence)
        msg = f"{name} must be a finite number of seconds within ±{MAX_TIME:g}, got {_got(value)}"
        raise InvalidArgument(msg)


def check_number(value: object, field: str, limit: float) -> None:
    """Raise unless ``value`` is a finite number within ``±limit``."""
    if not is_number(value, limit):
        msg = f"{field} must be a finite number within ±{limit:g}, got {_got(value)}"
        raise InvalidArgument(msg)


def check_duration(value: object, field: str, *, positive: bool = False) -> None:
    """Raise unless ``value`` is a duration (see :func:`is_duration`)."""
    if not is_duration(value, positive=positive):
        low = f"{MIN_DURATION:g}" if positive else f"0 or from {MIN_DURATION:g}"
        msg = f"{field} must be {low} to {MAX_DURATION:g} seconds, got {_got(value)}"
        raise InvalidArgument(msg)


# --- attributes: JSON data --------------------------------------------------------------------

_SCALARS = (str, int, float, bool, type(None))


class _Budget:
    __slots__ = ("chars", "values")

    def __init__(self) -> None:
        self.values = MAX_VALUES
        self.chars = MAX_CHARS


def _bad(field: str, why: str) -> InvalidArgument:
    return InvalidArgument(
        f"{field} must be JSON data (string keys; None, bool, 64-bit int, finite float, "
        f"str, lists and mappings; at most {MAX_DEPTH} levels, {MAX_VALUES} values and "
        f"{MAX_CHARS} characters): {why}"
    )


def _string(value: str, field: str, where: str, budget: _Budget) -> str:
    budget.chars -= len(value)
    if budget.chars < 0:
        raise _bad(field, f"more than {MAX_CHARS} characters in all")
    if not (value.isascii() or _utf8(value)):
        raise _bad(field, f"{where} is a string that is not valid Unicode")
    return value if type(value) is str else str.__str__(value)


def _copy(value: Any, field: str, where: str, depth: int, budget: _Budget) -> Any:
    budget.values -= 1
    if budget.values < 0:
        raise _bad(field, f"more than {MAX_VALUES} values")
    kind = type(value)
    if isinstance(value, str):
        return _string(value, field, where, budget)
    if kind is bool or value is None:
        return value
    if kind is int or (isinstance(value, int) and not isinstance(value, bool)):
        if not MIN_INT <= value <= MAX_INT:
            raise _bad(field, f"{where} is an integer beyond 64 bits")
        return int(value)
    if kind is float or isinstance(value, float):
        if not math.isfinite(value):
            raise _bad(field, f"{where} is {value!r}")
        return float(value)
    if depth >= MAX_DEPTH:
        raise _bad(field, f"{where} is nested more than {MAX_DEPTH} levels deep")
    if kind is list or kind is tuple:
        return [_copy(v, field, f"{where}[{i}]", depth + 1, budget) for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        return _mapping(value, field, where, depth + 1, budget)
    raise _bad(field, f"{where} is a {kind.__name__}")


def _mapping(value: Mapping[Any, Any], field: str, where: str, depth: int, budget: _Budget) -> Any:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise _bad(field, f"key {_got(key)} in {where} is not a string")
        key = _string(key, field, f"key {key[:40]!r}", budget)
        out[key] = _copy(item, field, f"{where}[{key[:40]!r}]", depth, budget)
    return out


def json_copy(value: object, field: str) -> dict[str, Any]:
    """A deep copy of a mapping of attributes as plain JSON data (tuples become lists,
    mappings dicts, ``str``/``int``/``float`` subclasses their base type).

    Raises:
        InvalidArgument: ``value`` is not a mapping, or holds anything else than JSON data
            within the bounds (the message says where).
    """
    if not isinstance(value, Mapping):
        msg = f"{field} must be a mapping of string keys to JSON data, got {type(value).__name__}"
        raise InvalidArgument(msg)
    if not value:
        return {}
    copied: dict[str, Any] = _mapping(value, field, field, 0, _Budget())
    return copied


def check_json(value: object, field: str) -> None:
    """Raise unless ``value`` is a ``dict`` of plain JSON data within the bounds, exactly as
    :func:`json_copy` returns it (what a command may carry into an event)."""
    if type(value) is dict and not value:  # the common case, answered first
        return
    json_copy(value, field)  # types and bounds
    if type(value) is not dict or not _plain(value):
        msg = (
            f"{field} must be a dict of plain JSON data (lists, not tuples; no subclasses), "
            f"got {_got(value)}"
        )
        raise InvalidArgument(msg)


def _plain(value: Any) -> bool:
    """Only ``dict``, ``list`` and exact scalar types (what both codecs give back equal)."""
    kind = type(value)
    if kind is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    if kind is list:
        return all(_plain(v) for v in value)
    return kind in _SCALARS
