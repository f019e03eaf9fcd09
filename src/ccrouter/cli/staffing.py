"""``ccrouter erlang`` (one interval) and ``ccrouter staff FORECAST`` (an intraday table)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import numpy as np

from ccrouter.cli._group import main
from ccrouter.cli.parse import (
    DURATION,
    DURATION_FORMS,
    FRACTION,
    FRACTION_FORMS,
    SERVICE_LEVEL,
    SERVICE_LEVEL_FORMS,
    parse_fraction,
    parse_service_level,
)
from ccrouter.errors import CCRouterError
from ccrouter.staffing import erlang
from ccrouter.staffing.tables import scheduled_agents, staffing_table

__all__ = ["erlang_command", "parse_fraction", "parse_sl", "staff_command"]

parse_sl = parse_service_level
"""The service-level parser of every command (:func:`ccrouter.cli.parse.parse_service_level`),
under its earlier name."""


def _goal_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--sl",
            "sl",
            metavar="PCT/SEC",
            type=SERVICE_LEVEL,
            help="Service-level goal: 80/20 = 80 % of calls answered within 20 s "
            f"({SERVICE_LEVEL_FORMS}).",
        ),
        click.option(
            "--asa",
            metavar="SEC",
            type=DURATION,
            help=f"Average-speed-of-answer goal instead of --sl (Erlang C; {DURATION_FORMS}).",
        ),
        click.option(
            "--max-occupancy",
            metavar="FRACTION",
            default="1",
            type=FRACTION,
            show_default=True,
            help=f"Occupancy cap ({FRACTION_FORMS}).",
        ),
        click.option(
            "--shrinkage",
            metavar="FRACTION",
            default="0",
            type=FRACTION,
            show_default=True,
            help=f"Share of paid time not on calls (breaks, training, absence; {FRACTION_FORMS}).",
        ),
        click.option(
            "--erlang-a",
            is_flag=True,
            help="Model abandonment (Erlang A, M/M/N+M); needs --patience.",
        ),
        click.option(
            "--patience",
            metavar="SEC",
            type=DURATION,
            help=f"Mean caller patience before hanging up (with --erlang-a; {DURATION_FORMS}).",
        ),
        click.option(
            "--max-abandon",
            metavar="FRACTION",
            type=FRACTION,
            help=f"Abandonment cap with --erlang-a ({FRACTION_FORMS}).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _check_goals(
    sl: tuple[float, float] | None,
    asa: float | None,
    erlang_a: bool,
    patience: float | None,
    max_abandon: float | None,
) -> None:
    if erlang_a:
        if patience is None:
            raise click.UsageError("--erlang-a needs --patience SECONDS")
        if asa is not None:
            raise click.UsageError(
                "--asa is an Erlang C goal; with --erlang-a use --sl/--max-abandon"
            )
        if sl is None and max_abandon is None:
            raise click.UsageError("give --sl and/or --max-abandon")
    else:
        if patience is not None or max_abandon is not None:
            raise click.UsageError("--patience and --max-abandon need --erlang-a")
        if (sl is None) == (asa is None):
            raise click.UsageError("give exactly one goal: --sl PCT/SEC or --asa SEC")


def _goal_text(sl: tuple[float, float] | None, asa: float | None, max_abandon: float | None) -> str:
    parts = []
    if sl is not None:
        parts.append(f"{sl[0]:.0%} answered within {sl[1]:g} s")
    if asa is not None:
        parts.append(f"ASA <= {asa:g} s")
    if max_abandon is not None:
        parts.append(f"abandonment <= {max_abandon:.1%}")
    return " and ".join(parts)


@main.command("erlang")
@click.option("--calls", type=float, help="Calls offered per interval.")
@click.option("--traffic", type=float, help="Offered traffic in erlangs, instead of --calls.")
@click.option(
    "--interval",
    default="1800",
    metavar="DURATION",
    type=DURATION,
    show_default=True,
    help=f"Interval length ({DURATION_FORMS}).",
)
@click.option(
    "--aht",
    required=True,
    metavar="DURATION",
    type=DURATION,
    help=f"Average handle time ({DURATION_FORMS}).",
)
@_goal_options
@click.option(
    "--around", default=4, show_default=True, help="Rows shown either side of the answer."
)
def erlang_command(
    calls: float | None,
    traffic: float | None,
    interval: float,
    aht: float,
    sl: tuple[float, float] | None,
    asa: float | None,
    max_occupancy: float,
    shrinkage: float,
    erlang_a: bool,
    patience: float | None,
    max_abandon: float | None,
    around: int,
) -> None:
    """Agents needed for one interval, with a table of agents vs service level, ASA, occupancy.

    \b
    ccrouter erlang --calls 300 --interval 1800 --aht 240 --sl 80/20
    ccrouter erlang --traffic 40 --aht 240 --sl 80/20 --erlang-a --patience 90
    """
    _check_goals(sl, asa, erlang_a, patience, max_abandon)
    if (calls is None) == (traffic is None):
        raise click.UsageError("give exactly one of --calls and --traffic")
    level, target = sl if sl is not None else (0.0, 20.0)
    try:
        if calls is not None:
            load = float(erlang.traffic_from_calls(calls, interval, aht))
        else:
            assert traffic is not None  # checked above
            load = traffic
        if erlang_a:
            assert patience is not None  # checked by _check_goals
            need = erlang.agents_for_erlang_a(
                load,
                aht,
                patience,
                target,
                level,
                max_abandon=max_abandon,
                max_occupancy=max_occupancy,
            )
            low = max(0, need - around)
        else:
            req = erlang.erlang_c_requirement(
                load,
                aht,
                target,
                level=None if asa is not None else level,
                asa=asa,
                max_occupancy=max_occupancy,
            )
            need = req.agents
            low = max(need - around, math.floor(load) + 1 if load > 0 else 0)
        rows = list(range(low, need + around + 1))
        if erlang_a:
            assert patience is not None
            res = erlang.erlang_a(load, rows, aht, patience, target)
            sls, asas, occs, extra = res.service_level, res.asa, res.occupancy, res.p_abandon
        else:
            sls = erlang.service_level(load, rows, aht, target)
            asas = erlang.average_speed_of_answer(load, rows, aht)
            occs = erlang.occupancy(load, rows)
            extra = erlang.erlang_c(load, rows)
        scheduled = int(scheduled_agents(np.asarray(need), shrinkage))
    except CCRouterError as exc:
        raise click.ClickException(str(exc)) from None
    source = f"{calls:g} calls × {aht:g} s / {interval:g} s = " if calls is not None else ""
    model = f"Erlang A, patience {patience:g} s" if erlang_a else "Erlang C"
    click.echo(f"traffic: {source}{load:.2f} erlangs; {model}")
    click.echo(f"goal: {_goal_text(sl, asa, max_abandon)}, occupancy <= {max_occupancy:.0%}")
    last = "abandon" if erlang_a else "P(wait)"
    click.echo(f"{'agents':>6}  {f'SL@{target:g}s':>8}  {'ASA s':>8}  {'occ':>6}  {last:>7}")
    for i, n in enumerate(rows):
        mark = "  <- required" if n == need else ""
        click.echo(
            f"{n:>6}  {sls[i]:>8.1%}  {asas[i]:>8.1f}  {occs[i]:>6.1%}  {extra[i]:>7.1%}{mark}"
        )
    click.echo(f"required: {need} agents; scheduled with {shrinkage:.0%} shrinkage: {scheduled}")


@main.command("staff")
@click.argument("forecast", type=click.Path(path_type=Path))
@_goal_options
@click.option(
    "--interval",
    metavar="DURATION",
    type=DURATION,
    help=f"Interval length ({DURATION_FORMS}); default: the step between interval starts.",
)
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), help="Write the table as CSV.")
@click.option("--plot", "plot_path", type=click.Path(path_type=Path), help="Write a PNG plot.")
def staff_command(
    forecast: Path,
    sl: tuple[float, float] | None,
    asa: float | None,
    max_occupancy: float,
    shrinkage: float,
    erlang_a: bool,
    patience: float | None,
    max_abandon: float | None,
    interval: float | None,
    csv_path: Path | None,
    plot_path: Path | None,
) -> None:
    """Intraday staffing table from FORECAST (CSV: interval_start, calls, aht in seconds).

    \b
    ccrouter staff forecast.csv --sl 80/20 --shrinkage 0.3 --csv staff.csv --plot staff.png
    ccrouter staff forecast.csv --sl 80/20 --erlang-a --patience 90 --max-abandon 5%
    """
    _check_goals(sl, asa, erlang_a, patience, max_abandon)
    try:
        table = staffing_table(
            forecast,
            level=sl[0] if sl else None,
            target=sl[1] if sl else 20.0,
            asa=asa,
            patience=patience if erlang_a else None,
            max_abandon=max_abandon,
            max_occupancy=max_occupancy,
            shrinkage=shrinkage,
            interval=interval,
        )
        click.echo(table.format())
        if csv_path is not None:
            table.to_csv(csv_path)
            click.echo(f"wrote {csv_path}")
        if plot_path is not None:
            table.plot(plot_path)
            click.echo(f"wrote {plot_path}")
    except (CCRouterError, ImportError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
