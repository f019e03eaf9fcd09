"""The ``--engine`` option of the simulation commands, and the one-line fallback note."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from ccrouter.sim.engines import ENGINES, EngineFallback

__all__ = ["engine_option", "fallback_notes", "timing_line"]

F = TypeVar("F", bound=Callable[..., Any])

ENGINE_HELP = (
    "compiled (fast), router (every customer through the real Router: the reference) or "
    "auto (compiled when every feature of the scenario runs compiled, else router, with a "
    "note). Both give the same events, so the same results."
)


def engine_option(f: F) -> F:
    """Add ``--engine {auto,compiled,router}`` (default ``auto``) to a command."""
    option = click.option(
        "--engine",
        type=click.Choice(ENGINES),
        default="auto",
        show_default=True,
        help=ENGINE_HELP,
    )
    return option(f)


@contextmanager
def fallback_notes() -> Iterator[None]:
    """Print each :class:`EngineFallback` raised inside as one ``note:`` line (stderr), instead
    of Python's two-line warning with a source location."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EngineFallback)
        try:
            yield
        finally:
            for w in caught:
                if issubclass(w.category, EngineFallback):
                    click.echo(f"note: {w.message}", err=True)
                else:  # not ours: let it through as it would have been
                    warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def timing_line(engine: str, compile_seconds: float, run_seconds: float, customers: int) -> str:
    """``engine: compiled; compile 0.41 s, run 2.03 s (490,000 customers/s)``."""
    name = "router-driven" if engine == "router" else engine
    rate = f" ({customers / run_seconds:,.0f} customers/s)" if run_seconds > 0 else ""
    return f"engine: {name}; compile {compile_seconds:.2f} s, run {run_seconds:.2f} s{rate}"
