"""Text helpers shared by every ``ccrouter`` command: aligned tables, percentages, numbers.

One definition each, so that every command prints a value the same way. Tables are drawn by
`rich <https://rich.readthedocs.io>`_: on a terminal they fit its width (cells wrap rather
than the table running off the screen); into a file or a pipe they keep their natural width,
one line per row:

>>> rows = [["sales", "12", pct(0.8)], ["support", "3", pct(None)]]
>>> print(table(["Queue", "Offered", "SL"], rows, right={1, 2}))
Queue    Offered     SL
-------- -------- -----
sales         12  80.0%
support        3      -
>>> print(table(["Queue", "Offered calls"], [["[b]sales[/b]", "12"]], right={1}, width=26))
                   Offered
Queue                calls
------------- ------------
[b]sales[/b]            12
"""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Container, Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ccrouter.errors import InvalidArgument

__all__ = ["hms", "num", "pct", "secs", "table", "table_lines", "terminal_width"]


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


_RULED = box.Box("    \n    \n -  \n    \n    \n    \n    \n    \n")
"""Columns two spaces apart, a line of dashes under the header, nothing else."""
_UNLIMITED = 100_000


def terminal_width() -> int | None:
    """The width of the terminal standard output writes to; ``None`` when it is a file or a
    pipe (then tables keep their natural width)."""
    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError):
        return None
    return shutil.get_terminal_size().columns if tty else None


def table_lines(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Container[int] = (),
    rule: bool = True,
    width: int | None = None,
) -> list[str]:
    """The lines of a text table: each column as wide as its widest cell, two spaces apart.

    Args:
        header: Column titles.
        rows: Cells (strings, printed as they are: no markup), as many per row as ``header``.
        right: Indexes of the columns aligned right (numbers); the others align left.
        rule: Draw a line of dashes under the header.
        width: The most characters a line may take (cells wrap to fit); default: the
            terminal's width on a terminal, unlimited otherwise.

    Returns:
        The lines, trailing spaces removed.

    Raises:
        InvalidArgument: a row has more or fewer cells than the header (a ``ValueError``).
    """
    # Two spaces between columns: the ruled box's divider is one, plus one of padding.
    grid = Table(box=_RULED if rule else None, show_edge=False, pad_edge=False, header_style="",
                 padding=(0, 1 if rule else 2, 0, 0), show_header=True)  # fmt: skip
    for row in rows:
        if len(row) != len(header):
            msg = f"a table row must have {len(header)} cells (one per column), got {len(row)}"
            raise InvalidArgument(msg)
    least = 0  # the narrowest the table can be with no word or number broken
    for i, title in enumerate(header):
        # On a narrow terminal cells wrap at spaces, never inside a word or a number.
        words = [w for text in (title, *(row[i] for row in rows)) for w in text.split()]
        narrowest = max(map(len, words), default=1)
        least += narrowest + 3  # with the padding and the divider
        grid.add_column(Text(title), justify="right" if i in right else "left",
                        overflow="fold", min_width=narrowest)  # fmt: skip
    for row in rows:
        grid.add_row(*(Text(cell) for cell in row))
    limit = width or terminal_width() or _UNLIMITED
    if least > limit:  # it cannot fit: whole lines (the terminal wraps them), no cell cut off
        limit = _UNLIMITED
    console = Console(file=io.StringIO(), width=limit, color_system=None, highlight=False,
                      emoji=False, markup=False, force_terminal=False, soft_wrap=False)  # fmt: skip
    with console.capture() as capture:
        console.print(grid)
    return [line.rstrip() for line in capture.get().splitlines()]


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Container[int] = (),
    rule: bool = True,
    width: int | None = None,
) -> str:
    """:func:`table_lines` joined into one string."""
    return "\n".join(table_lines(header, rows, right=right, rule=rule, width=width))
