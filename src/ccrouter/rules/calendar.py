"""The calendar rules read: civil time in a named zone, opening hours, holidays.

Everything derives from the command's ``at`` (seconds since 1970) — never from a clock:
``datetime`` and ``zoneinfo`` only convert that number to a civil time in the configured zone
(a test checks this module calls no ``now``/``today``/``time``). Zone data is read once, when
the configuration loads.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ccrouter.errors import ConfigError

__all__ = ["CALENDAR_SCHEMA", "DAYS", "Calendar"]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

CALENDAR_SCHEMA = {
    "calendar.weekday": "str",
    "calendar.hour": "int",
    "calendar.minute": "int",
    "calendar.time": "str",
    "calendar.date": "str",
    "calendar.holiday": "bool",
    "calendar.open": "bool",
}
"""What rules may read of the calendar: ``weekday`` (``mon`` ... ``sun``), ``hour``,
``minute``, ``time`` (``"HH:MM"``, so ``calendar.time >= "18:30"`` compares as text),
``date`` (``"YYYY-MM-DD"``), ``holiday`` and ``open`` (within opening hours and no holiday)."""

_SPAN = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)\Z")
_DATE = re.compile(r"\d{4}-\d\d-\d\d\Z")


class Calendar:
    """A zone, opening hours per weekday and holidays (from ``RouterConfig.calendar``)."""

    def __init__(
        self, timezone: str = "UTC", hours: dict[str, list[str]] | None = None,
        holidays: list[str] | None = None,
    ) -> None:  # fmt: skip
        """Check and prepare a calendar.

        Args:
            timezone: an IANA zone name.
            hours: weekday (``mon`` ... ``sun``) to ``"HH:MM-HH:MM"`` spans; ``None``: always
                open.
            holidays: closed dates, ``YYYY-MM-DD``.

        Raises:
            ConfigError: an unknown zone, weekday, malformed span or date.
        """
        try:
            self.zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            msg = (
                "invalid router config: `calendar.timezone` must be an IANA zone name, "
                f"got {timezone!r}"
            )
            raise ConfigError(msg) from None
        self.always_open = hours is None
        self.spans: dict[str, list[tuple[int, int]]] = {}
        for day, spans in (hours or {}).items():
            if day not in DAYS:
                msg = (
                    "invalid router config: `calendar.hours` keys must be one of "
                    f"{', '.join(DAYS)}, got {day!r}"
                )
                raise ConfigError(msg)
            for span in spans:
                m = _SPAN.match(span) if isinstance(span, str) else None
                start = end = 0
                if m is not None:
                    h1, m1, h2, m2 = (int(g) for g in m.groups())
                    start, end = h1 * 60 + m1, h2 * 60 + m2
                if m is None or not (0 <= start < end <= 24 * 60) or m1 >= 60 or m2 >= 60:
                    msg = (
                        f"invalid router config: `calendar.hours.{day}` spans must be "
                        f"'HH:MM-HH:MM' within a day, got {span!r}"
                    )
                    raise ConfigError(msg)
                self.spans.setdefault(day, []).append((start, end))
        self.holidays = frozenset(holidays or ())
        for date in self.holidays:
            if not (isinstance(date, str) and _DATE.match(date)):
                msg = (
                    "invalid router config: `calendar.holidays` must be dates 'YYYY-MM-DD', "
                    f"got {date!r}"
                )
                raise ConfigError(msg)

    def facts(self, at: float) -> dict[str, Any]:
        """The calendar at time ``at``: ``weekday``, ``hour``, ``minute``, ``time``, ``date``,
        ``holiday``, ``open``.

        Args:
            at: seconds since 1970 (the command's time).

        Returns:
            The facts, keyed as in :data:`CALENDAR_SCHEMA`.

        >>> monday_10h_paris = 1_796_634_000.0  # 2026-12-07 09:00 UTC
        >>> Calendar("Europe/Paris", {"mon": ["08:00-18:00"]}).facts(monday_10h_paris)["open"]
        True
        """
        try:
            local = datetime.fromtimestamp(at, tz=UTC).astimezone(self.zone)
        except (OverflowError, OSError, ValueError):
            # Virtual times far from any civil date (a simulation at t = 0 is 1970, fine;
            # ±1e12 s is beyond year 9999): no calendar.
            return {"holiday": False, "open": self.always_open}
        day = DAYS[local.weekday()]
        minute = local.hour * 60 + local.minute
        date = local.strftime("%Y-%m-%d")
        holiday = date in self.holidays
        open_ = not holiday and (
            self.always_open or any(s <= minute < e for s, e in self.spans.get(day, ()))
        )
        return {
            "weekday": day,
            "hour": local.hour,
            "minute": local.minute,
            "time": f"{local.hour:02d}:{local.minute:02d}",
            "date": date,
            "holiday": holiday,
            "open": open_,
        }
