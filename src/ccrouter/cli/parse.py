"""The one parser each for what ``ccrouter`` options take: durations, fractions and
service-level targets, as plain functions and as click parameter types.

Every command uses these, so one spelling works everywhere and a refusal is a usage error
that names the option and the accepted forms (exit status 2, no traceback):

- a duration: seconds, plain or with a unit: ``90``, ``90s``, ``15m``/``15min``, ``1.5h``, ``1d``;
- a fraction: ``0.8``, ``80%`` or ``80`` (a bare number above 1 is a percentage);
- a service-level target LEVEL/SECONDS: ``0.8/20``, ``80/20``, ``80%/20s`` (the level is a
  fraction or a percentage as above, the time a duration).

>>> parse_duration("15m"), parse_fraction("80"), parse_service_level("80%/20s")
(900.0, 0.8, (0.8, 20.0))
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import click

from ccrouter.errors import InvalidArgument

__all__ = [
    "DURATION",
    "DURATION_FORMS",
    "FRACTION",
    "FRACTION_FORMS",
    "SERVICE_LEVEL",
    "SERVICE_LEVEL_FORMS",
    "parse_duration",
    "parse_fraction",
    "parse_service_level",
]

DURATION_FORMS = "seconds, or with a unit: 90, 90s, 15m, 1h, 1d"
"""The accepted forms of a duration, as the ``--help`` texts say them."""
FRACTION_FORMS = "0.8, 80% or 80"
"""The accepted forms of a fraction, as the ``--help`` texts say them."""
SERVICE_LEVEL_FORMS = "LEVEL/SECONDS: 0.8/20, 80/20 or 80%/20s"
"""The accepted forms of a service-level target, as the ``--help`` texts say them."""

_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(s|min|m|h|d|)\s*$")
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(%?)\s*$")


def parse_duration(text: str) -> float:
    """Seconds in ``text``: ``900``, ``900s``, ``15m``/``15min``, ``1.5h``, ``1d``.

    >>> parse_duration("15m"), parse_duration("20"), parse_duration("1.5h")
    (900.0, 20.0, 5400.0)

    Raises:
        InvalidArgument: not a non-negative number with one of those units.
    """
    m = _DURATION.match(text)
    if m is None:
        msg = f"expected a duration like 900, 900s, 15m, 1h or 1d; got {text!r}"
        raise InvalidArgument(msg)
    return float(m.group(1)) * _UNITS[m.group(2)]


def _level(text: str) -> float | None:
    """A fraction or percentage to a fraction; ``None`` when it is not a number."""
    m = _NUMBER.match(text)
    if m is None:
        return None
    value = float(m.group(1))
    return value / 100.0 if m.group(2) or value > 1.0 else value


def parse_fraction(text: str) -> float:
    """A fraction in [0, 1]: ``"0.85"``, ``"85%"`` or ``"85"`` (above 1: a percentage).

    >>> parse_fraction("30%"), parse_fraction("0.3"), parse_fraction("30"), parse_fraction("1")
    (0.3, 0.3, 0.3, 1.0)

    Raises:
        InvalidArgument: not a number, or above 100 %.
    """
    value = _level(text)
    if value is None or not 0.0 <= value <= 1.0:
        msg = f"expected a fraction like 0.3 or a percentage like 30% (or 30), got {text!r}"
        raise InvalidArgument(msg)
    return value


def parse_service_level(text: str) -> tuple[float, float]:
    """A service-level target, LEVEL/SECONDS, to ``(level, seconds)``: ``"0.8/20"``,
    ``"80/20"``, ``"80%/20s"`` (80 % answered within 20 s); the time may take any unit of
    :func:`parse_duration`.

    >>> parse_service_level("0.8/20"), parse_service_level("80/20"), parse_service_level("90%/1m")
    ((0.8, 20.0), (0.8, 20.0), (0.9, 60.0))

    Raises:
        InvalidArgument: not LEVEL/SECONDS, or the level not strictly between 0 and 100 %.
    """
    level_text, slash, time_text = text.partition("/")
    level = _level(level_text) if slash else None
    try:
        seconds = parse_duration(time_text) if slash else None
    except InvalidArgument:
        seconds = None
    if level is None or seconds is None:
        msg = f"expected LEVEL/SECONDS like 0.8/20, 80/20 or 80%/20s, got {text!r}"
        raise InvalidArgument(msg)
    if not 0.0 < level < 1.0:
        msg = (
            "the level must be a fraction in (0, 1) or a percentage in (0, 100), like 80/20 "
            f"for 80 % in 20 s; got {text!r}"
        )
        raise InvalidArgument(msg)
    return level, seconds


if TYPE_CHECKING:  # generic for the type checker (click >= 8.2); plain at run time on 8.1
    _ParamType = click.ParamType[Any]
else:
    _ParamType = click.ParamType


class _Parsed(_ParamType):
    """A click parameter type backed by one of the parsers above."""

    def __init__(self, name: str, parse: Any) -> None:
        self.name = name
        self._parse = parse

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):  # a default given as a number, or already converted
            return value
        try:
            return self._parse(value)
        except InvalidArgument as exc:
            self.fail(str(exc), param, ctx)


DURATION: _ParamType = _Parsed("duration", parse_duration)
"""Click type of a duration option (converts to seconds)."""
FRACTION: _ParamType = _Parsed("fraction", parse_fraction)
"""Click type of a fraction option (converts to a float in [0, 1])."""
SERVICE_LEVEL: _ParamType = _Parsed("service level", parse_service_level)
"""Click type of a service-level option (converts to ``(level, seconds)``)."""
