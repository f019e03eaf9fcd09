"""Clock labels of scenario times: a scenario's time 0 is its ``origin`` (seconds after
midnight), so interval ``k`` is labelled ``clock_label(origin + k * interval)`` in every table,
CSV and plot that a planner reads (the one home of that format)."""

from __future__ import annotations

__all__ = ["clock_label"]


def clock_label(seconds: float) -> str:
    """``"HH:MM"`` within the day, prefixed by ``"dN "`` after the first day.

    >>> clock_label(900), clock_label(86400 + 3600)
    ('00:15', 'd2 01:00')
    """
    day, rest = divmod(round(seconds), 86400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return f"d{day + 1} {text}" if day else text
