"""``ccrouter scenario FORECAST``: a scenario file from a forecast CSV and a template."""

from __future__ import annotations

import re
from pathlib import Path

import click

from ccrouter.cli._group import main
from ccrouter.cli.parse import DURATION, DURATION_FORMS
from ccrouter.errors import CCRouterError
from ccrouter.sim import read_forecast, scenario_from_forecast
from ccrouter.sim.forecast import load_template
from ccrouter.sim.scenario_toml import scenario_to_toml, write_scenario

__all__ = ["parse_agents", "scenario_command"]

_AGENTS = re.compile(r"^\s*(?:([^=]+?)\s*=)?\s*(\d+(?:\s*,\s*\d+)*)\s*$")


def parse_agents(values: tuple[str, ...], default_group: str | None) -> dict[str, list[int]]:
    """``GROUP=N`` or ``GROUP=N1,N2,...`` (one per interval) options as headcounts; a bare
    ``N`` names ``default_group`` (the template's only group).

    Raises:
        click.BadParameter: a value of another form, or a bare count with several groups.
    """
    out: dict[str, list[int]] = {}
    for value in values:
        match = _AGENTS.match(value)
        if match is None:
            msg = f"expected GROUP=N, GROUP=N1,N2,... or N, got {value!r}"
            raise click.BadParameter(msg, param_hint="--agents")
        group = match.group(1) or default_group
        if group is None:
            msg = f"{value!r} names no group and the template has several: use GROUP=N"
            raise click.BadParameter(msg, param_hint="--agents")
        out[group] = [int(n) for n in match.group(2).split(",")]
    return out


@main.command("scenario")
@click.argument("forecast", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--template",
    "-t",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Scenario TOML giving agent groups, router settings, targets and each call type's "
    "queue, skills, handle-time shape, patience and self-service (matched by name; "
    "horizon, interval and arrivals may be left out). "
    "Without it: one group 'agents' (give --agents), exponential handle times.",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the scenario here (default: print it).",
)
@click.option(
    "--call-type",
    metavar="NAME",
    help="Call type of every row, for a forecast without a call_type column "
    "(default: the template's only call type).",
)
@click.option(
    "--agents",
    "-a",
    multiple=True,
    metavar="GROUP=N",
    help="Headcount of an agent group: GROUP=N, or GROUP=N1,N2,... one per interval; a bare N "
    "when there is one group. Replaces the template's headcount or shifts. Repeatable.",
)
@click.option(
    "--interval",
    type=DURATION,
    metavar="DURATION",
    help=f"Interval length ({DURATION_FORMS}; default: the step between the forecast's starts).",
)
@click.option("--name", help="The scenario's name (default: the template's).")
def scenario_command(
    forecast: Path,
    template: Path | None,
    out: Path | None,
    call_type: str | None,
    agents: tuple[str, ...],
    interval: float | None,
    name: str | None,
) -> None:
    """Build a simulation scenario from FORECAST, a CSV of calls and AHT per interval.

    \b
    FORECAST columns (header names; case ignored, other columns ignored):
      interval_start  07:30, 07:30:00 or seconds (alias start, time)
      call_type       optional; without it, see --call-type (alias type, queue)
      calls           calls offered in the interval (alias volume, offered)
      aht             average handle time in seconds (alias handle_time)

    Scenario time 0 is the first interval's start. Each call type's arrivals become Poisson
    at the forecast's rate per interval, and its handle time follows the template's
    distribution scaled to each interval's AHT (handle_means). Then simulate it:
    `ccrouter simulate S.toml`.

    \b
    Example:
      ccrouter scenario forecast.csv --template bank_line.toml --out day.toml
    """
    try:
        model = load_template(template) if template is not None else None
        groups = (
            [str(g.get("name")) for g in model.get("agent_groups", [])]
            if model is not None
            else ["agents"]
        )
        headcounts = parse_agents(agents, groups[0] if len(groups) == 1 else None)
        data = read_forecast(forecast, call_type=call_type, interval=interval)
        built = scenario_from_forecast(
            data, template if template is not None else None, agents=headcounts, name=name
        )
    except CCRouterError as exc:
        raise click.ClickException(str(exc)) from None
    if out is None:
        click.echo(scenario_to_toml(built), nl=False)
        return
    write_scenario(built, out)
    calls = sum(sum(v) for v in data.calls.values())
    origin = int(data.origin)
    click.echo(
        f"wrote {out}: {built.n_intervals} intervals of {built.interval / 60:g} min from "
        f"{origin // 3600:02d}:{origin % 3600 // 60:02d} (time 0), "
        f"{len(built.call_types)} call type(s), {calls:,.0f} calls forecast, "
        f"{len(built.agent_groups)} agent group(s)"
    )
