"""``ccrouter performance LOG``: per agent and queue, the outcome KPIs of a stored log.

The log is folded from its start (any kind :func:`~ccrouter.cli.report.open_events` reads);
the contacts that ended in the window (``--start``/``--end``, default: the whole log) give,
per agent and queue, first-contact resolution, satisfaction, conversion, value and handle
time, each shrunk towards the queue's team mean with its 95 % interval
(:meth:`ccrouter.Router.performance`, docs/performance.md).
"""

from __future__ import annotations

import math
from pathlib import Path

import click

from ccrouter.cli._group import main
from ccrouter.cli.report import open_events
from ccrouter.cli.text import table_lines
from ccrouter.config import RouterConfig
from ccrouter.engine.config_record import recorded_config
from ccrouter.engine.estimates import Estimate, PerformanceRow
from ccrouter.engine.performance_report import performance_between
from ccrouter.errors import CCRouterError

__all__ = ["format_rows", "performance"]

_KPIS = ("fcr", "satisfaction", "conversion", "value", "handle_time")
_TITLES = ("FCR", "Satisfaction", "Conversion", "Value", "Handle s")


def _cell(e: Estimate) -> str:
    if e.n == 0:
        return f"({e.estimate:.3g})"  # the team's mean: no evidence of its own
    return f"{e.estimate:.3g} ±{1.96 * e.stderr:.2g} n={e.n}"


def format_rows(rows: list[PerformanceRow]) -> str:
    """A table: one line per agent and queue; each KPI as ``estimate ±half-width n=count``
    (in parentheses: no observation, the team's mean).

    >>> from ccrouter.engine.estimates import rows as make
    >>> print(format_rows(make({("q", "ann"): [2, 0, 120_000_000, 0, 0, 0, 0, 0, 0, 0, 0]},
    ...                        prior_weight=0)).splitlines()[0].split())
    ['Queue', 'Agent', 'Contacts', 'FCR', 'Satisfaction', 'Conversion', 'Value', 'Handle', 's']
    """
    if not rows:
        return "No completed contacts in the window."
    body = [
        [r.queue, r.agent_id, str(r.contacts), *(_cell(getattr(r, k)) for k in _KPIS)] for r in rows
    ]
    return "\n".join(table_lines(["Queue", "Agent", "Contacts", *_TITLES], body, rule=False))


@main.command()
@click.argument("log", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--start",
    type=float,
    default=None,
    help="Window start, seconds (default: the log's first event).",
)
@click.option(
    "--end",
    type=float,
    default=None,
    help="Window end, seconds, excluded (default: after the log's last event).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The router.toml the log was written with (default: the config the log "
    "records; its performance.prior_weight shrinks the estimates).",
)
@click.option("--stream", default="default", show_default=True, help="Stream of a SQLite log.")
def performance(
    log: Path, start: float | None, end: float | None, config_path: Path | None, stream: str
) -> None:
    """Per agent and queue, FCR, satisfaction, conversion, value and handle time in LOG."""
    try:
        given = RouterConfig.from_toml(config_path) if config_path is not None else None
        with open_events(log, stream=stream) as events:
            logged = list(events)
        config = given or recorded_config(logged) or RouterConfig()
        first = logged[0].at if logged else 0.0
        last = logged[-1].at if logged else 0.0
        lo = first if start is None else start
        hi = math.nextafter(last, math.inf) if end is None else end
        rows = performance_between(logged, config, lo, hi)
    except CCRouterError as exc:
        raise click.ClickException(str(exc).splitlines()[0] if str(exc) else repr(exc)) from exc
    click.echo(f"Contacts that ended in [{lo:g}, {hi:g}):")
    click.echo(format_rows(rows))
