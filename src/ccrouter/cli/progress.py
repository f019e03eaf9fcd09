"""Progress of long commands (``simulate``, ``staff-search``...), drawn by rich.

The library reports progress as ``progress(label, done, total)`` (``ccrouter.sim.search``'s
``Progress``; ``simulate``'s ``progress(done)`` is adapted by :meth:`ProgressReporter.counter`).
:class:`ProgressReporter` is such a callable:

- on a terminal, a live bar per label (elapsed and remaining time), left on screen when done;
- into a file or a pipe (CI logs, ``2> log``), no bar and no carriage returns: one line when a
  label finishes, and in between at most one line every ``every`` seconds, so a log shows
  progress without being flooded;
- with ``quiet``, nothing.

It writes to standard error, so standard output keeps only the results.

>>> import io
>>> log = io.StringIO()
>>> show = ProgressReporter(file=log, live=False)
>>> for done in range(11):
...     show("candidate 1", done, 10)
>>> print(log.getvalue(), end="")
candidate 1: 10/10 done
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["ProgressCallback", "ProgressReporter", "progress_reporter"]

ProgressCallback = Callable[[str, int, int], None]
"""The library's progress shape: ``progress(label, done, total)``."""


class ProgressReporter:
    """A ``progress(label, done, total)`` callable that shows a bar on a terminal and
    occasional lines elsewhere (see the module's description).

    Args:
        quiet: show nothing.
        file: where to write (default: standard error at each call, so a test runner's
            captured stream is used).
        live: draw a live bar (default: when ``file`` is a terminal).
        every: in line mode, the fewest seconds between two lines of one unfinished label.
    """

    def __init__(
        self,
        *,
        quiet: bool = False,
        file: TextIO | None = None,
        live: bool | None = None,
        every: float = 10.0,
    ) -> None:
        self._quiet = quiet
        self._file = file
        self._live = live
        self._every = every
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._label: str | None = None
        self._last_line = 0.0

    def _out(self) -> TextIO:
        return self._file if self._file is not None else sys.stderr

    def _is_live(self) -> bool:
        if self._live is None:
            try:
                self._live = self._out().isatty()
            except (AttributeError, ValueError):
                self._live = False
        return self._live

    def __call__(self, label: str, done: int, total: int) -> None:
        """Report that ``done`` of the ``total`` steps of ``label`` are finished."""
        if self._quiet:
            return
        if self._is_live():
            self._bar_update(label, done, total)
        else:
            self._line_update(label, done, total)

    def counter(self, label: str, total: int) -> Callable[[int], None]:
        """A ``progress(done)`` callable for ``total`` steps of ``label`` (``simulate``'s
        shape)."""

        def advance(done: int) -> None:
            self(label, done, total)

        return advance

    def _line_update(self, label: str, done: int, total: int) -> None:
        now = time.monotonic()
        if label != self._label:
            self._label, self._last_line = label, now
        finished = done >= total
        if finished or now - self._last_line >= self._every:
            state = "done" if finished else f"{100 * done // max(total, 1)} %"
            print(f"{label}: {done}/{total} {state}", file=self._out(), flush=True)
            self._last_line = now
            if finished:
                self._label = None

    def _bar_update(self, label: str, done: int, total: int) -> None:
        if self._bar is None or label != self._label:
            self.close()
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(file=self._out(), stderr=self._file is None),
            )
            self._bar.start()
            self._task = self._bar.add_task(label, total=total)
            self._label = label
        assert self._task is not None
        self._bar.update(self._task, completed=done, total=total)
        if done >= total:
            self.close()

    def close(self) -> None:
        """Stop a live bar left unfinished (an error stopped the run)."""
        if self._bar is not None:
            self._bar.stop()
        self._bar, self._task, self._label = None, None, None

    def __enter__(self) -> ProgressReporter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def progress_reporter(quiet: bool) -> ProgressReporter | None:
    """The progress callback of a command's ``--quiet`` flag: ``None`` when quiet (the library
    then reports nothing), else a :class:`ProgressReporter` on standard error."""
    return None if quiet else ProgressReporter()
