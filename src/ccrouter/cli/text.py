"""Text helpers shared by every ``ccrouter`` command: aligned tables, percentages, numbers.

One definition each, so that every command prints a value the same way:

>>> rows = [["sales", "12", pct(0.8)], ["support", "3", pct(None)]]
>>> print(table(["Queue", "Offered", "SL"], rows, right={1, 2}))
Queue    Offered     SL
-------  -------  -----
sales         12  80.0%
support        3      -
"""

from __future__ import annotations

from collections.abc import Container, Sequence

__all__ = ["hms", "num", "pct", "secs", "table", "table_lines"]


def pct(x: float | None) -> str:
    """A fraction as a percentage with one decimal (``-`` for no value).

    >>> pct(0.8125), pct(None)
    ('81.2%', '-')
    """
    return "-" if x is None else f"{100 * x:.1f}%"


def num(x: float | None) -> str:
    """A number in its shortest form (``-`` for no value).

    >>> num(20.0), num(0.125), num(None)
    ('20', '0.125', '-')
    """
    return "-" if x is None else f"{x:g}"


def secs(x: float | None) -> str:
    """Seconds with one decimal and the unit (``-`` for no value).

    >>> secs(12.34), secs(None)
    ('12.3 s', '-')
    """
    return "-" if x is None else f"{x:.1f} s"


def hms(x: float | None) -> str:
    """Seconds as ``m:ss`` or ``h:mm:ss``, rounded to the second (``-`` for no value).

    >>> hms(75), hms(3725.4), hms(None)
    ('1:15', '1:02:05', '-')
    """
    if x is None:
        return "-"
    s = round(x)
    hours, rest = divmod(s, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def table_lines(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Container[int] = (),
    rule: bool = True,
) -> list[str]:
    """The lines of a text table: each column padded to its widest cell, two spaces apart.

    Args:
        header: Column titles.
        rows: Cells (strings), as many per row as ``header`` has.
        right: Indexes of the columns aligned right (numbers); the others align left.
        rule: Draw a line of dashes under the header.

    Returns:
        The lines, trailing spaces removed.

    Raises:
        ValueError: a row has more or fewer cells than the header.
    """
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    ruler = ["  ".join("-" * w for w in widths)] if rule else []
    return [line(header), *ruler, *(line(r) for r in rows)]


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Container[int] = (),
    rule: bool = True,
) -> str:
    """:func:`table_lines` joined into one string."""
    return "\n".join(table_lines(header, rows, right=right, rule=rule))
