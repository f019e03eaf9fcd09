"""``ccrouter schedule REQUIREMENTS --templates T.toml --out DIR``: shifts with breaks, then
optionally the schedule simulated (``--simulate SCENARIO.toml``)."""

from __future__ import annotations

import csv
import dataclasses
import math
import tomllib
from pathlib import Path

import click

from ccrouter.cli._engine import engine_option, fallback_notes
from ccrouter.cli._group import main
from ccrouter.cli.parse import DURATION, DURATION_FORMS, FRACTION, FRACTION_FORMS
from ccrouter.cli.progress import ProgressReporter
from ccrouter.errors import CCRouterError
from ccrouter.schedule import Limits, Requirements, ScheduleInputError, ShiftTemplate, solve
from ccrouter.schedule.plot import PlotUnavailable, plot_coverage
from ccrouter.schedule.requirements import clock_label
from ccrouter.schedule.simulate import scenario_with_schedule, simulate_schedule
from ccrouter.schedule.templates import templates_from_dict
from ccrouter.sim import load_scenario
from ccrouter.sim.engines import EngineChoice
from ccrouter.sim.replications import SimulationResult
from ccrouter.sim.scenario_toml import write_scenario

__all__ = ["schedule_command", "write_service_levels"]


def _status(text: str) -> None:
    click.echo(f"[schedule] {text}", err=True)


def write_service_levels(result: SimulationResult, path: Path, origin: float = 0.0) -> None:
    """One row per interval: its clock time (``origin``: the first interval's), start in
    seconds, service level, its 95 % interval (clipped to [0, 1]), ASA."""
    sl = result.per_interval["all"]["service_level"]
    asa = result.per_interval["all"].get("asa", [])
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["interval_start", "start", "service_level", "sl_low", "sl_high", "asa"])
        for k, est in enumerate(sl):
            low = "" if math.isnan(est.lower) else f"{min(max(est.lower, 0.0), 1.0):.4f}"
            high = "" if math.isnan(est.upper) else f"{min(max(est.upper, 0.0), 1.0):.4f}"
            wait = f"{asa[k].mean:.2f}" if k < len(asa) and not math.isnan(asa[k].mean) else ""
            mean = "" if math.isnan(est.mean) else f"{est.mean:.4f}"
            start = result.interval_starts[k]
            writer.writerow([clock_label(origin + start), f"{start:g}", mean, low, high, wait])


def _read_templates(path: Path) -> tuple[list[ShiftTemplate], Limits]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScheduleInputError(f"{path}: cannot read templates: {exc}") from None
    try:
        return templates_from_dict(data)
    except ScheduleInputError as exc:
        raise ScheduleInputError(f"{path}: {exc}") from None


@main.command("schedule")
@click.argument("requirements", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--templates",
    "-t",
    "templates_path",
    required=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="TOML file of [[templates]] (start window, length, breaks, cost, kind, min/max "
    "count), optional [limits] and [roster] (days worked per week, days off together) "
    "tables (docs/scheduling.md).",
)
@click.option(
    "--out",
    "-o",
    "out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory for schedule.csv, coverage.csv, coverage.png (and roster.csv with a "
    "[roster] table; with --simulate service_level.csv and scheduled.toml, the scenario "
    "working the schedule: `ccrouter simulate` it for the full report).",
)
@click.option(
    "--column",
    help="The requirements column (default: the first of required, requirement, agents; "
    "`ccrouter staff` writes agents and scheduled).",
)
@click.option(
    "--interval",
    type=DURATION,
    help=f"Interval length when the CSV has no interval_start column ({DURATION_FORMS}).",
)
@click.option(
    "--time-limit",
    type=DURATION,
    default="60",
    show_default=True,
    help="Solver time per phase; past it the best schedule found is kept (FEASIBLE, with "
    "its gap to the proven bound).",
)
@click.option(
    "--gap",
    type=FRACTION,
    default="0",
    show_default=True,
    help="Stop once the cost is within this fraction of the proven bound (0.5% or 0.005; "
    "0: prove the optimum).",
)
@click.option("--workers", default=1, show_default=True, help="Solver threads (1: deterministic).")
@click.option("--seed", default=0, show_default=True, help="Solver and simulation seed.")
@click.option(
    "--simulate",
    "scenario_path",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Simulate the schedule in this scenario (its agent group works the shifts) and "
    "report the service level per interval with 95 % intervals.",
)
@click.option("--group", help="The scenario's agent group that works the shifts.")
@click.option(
    "--replications", "-n", default=10, show_default=True, help="Simulation replications."
)
@click.option(
    "--goal",
    type=FRACTION,
    help=f"Service-level goal drawn on the plot ({FRACTION_FORMS}).",
)
@click.option(
    "--min-rest",
    "min_rest",
    type=click.FloatRange(min=0, min_open=True, max=48),
    metavar="HOURS",
    help="Roster: least rest between an agent's shift on one day and on the next (11: the "
    "EU daily rest); sets [roster] min_rest_hours (needs a [roster] table).",
)
@click.option(
    "--max-consecutive-days",
    type=click.IntRange(min=1),
    metavar="N",
    help="Roster: most days an agent works in a row; sets [roster] max_consecutive_days.",
)
@click.option("--no-plot", is_flag=True, help="Do not draw coverage.png.")
@engine_option
def schedule_command(
    requirements: Path,
    templates_path: Path,
    out: Path,
    column: str | None,
    interval: float | None,
    time_limit: float,
    gap: float,
    workers: int,
    seed: int,
    scenario_path: Path | None,
    group: str | None,
    replications: int,
    goal: float | None,
    min_rest: float | None,
    max_consecutive_days: int | None,
    no_plot: bool,
    engine: EngineChoice,
) -> None:
    """Schedule shifts covering REQUIREMENTS, a CSV of agents needed per interval (such as
    `ccrouter staff` writes), at the least cost.

    Shifts come from the templates' start windows, with each break placed inside its window.
    Intervals that no shift can cover are reported with the agents missing, never a bare
    "infeasible". With --simulate, the shifts and breaks are simulated as planned and the
    service level per interval is reported with its 95 % confidence interval.

    \b
    Example:
      ccrouter staff forecast.csv --sl 80/20 --csv req.csv
      ccrouter schedule req.csv -t shifts.toml --simulate center.toml --out plan/
    """
    try:
        _status(f"reading {requirements.name} and {templates_path.name}")
        req = Requirements.from_csv(requirements, column=column, interval=interval)
        templates, limits = _read_templates(templates_path)
        limits = _roster_options(limits, min_rest, max_consecutive_days)
        scenario = load_scenario(scenario_path) if scenario_path is not None else None
        _status(
            f"solving: {len(req.values)} intervals of {req.interval / 60:g} min, "
            f"{len(templates)} templates (time limit {time_limit:g} s per phase)"
        )
        schedule = solve(
            req,
            templates,
            limits,
            time_limit=time_limit,
            workers=workers,
            seed=seed,
            gap_limit=gap,
            progress=_status,
        )
        out.mkdir(parents=True, exist_ok=True)
        schedule.to_csv(out / "schedule.csv")
        schedule.coverage_csv(out / "coverage.csv")
        if schedule.roster:
            schedule.roster_csv(out / "roster.csv")
        result = None
        if scenario is not None:
            _status(f"simulating the schedule: {replications} replications")
            with fallback_notes(), ProgressReporter() as progress:
                result = simulate_schedule(
                    scenario,
                    schedule,
                    group=group,
                    replications=replications,
                    seed=seed,
                    engine=engine,
                    progress=progress.counter("replications", replications),
                )
            write_service_levels(result, out / "service_level.csv", req.origin)
            write_scenario(
                scenario_with_schedule(scenario, schedule, group), out / "scheduled.toml"
            )
    except (CCRouterError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(schedule.summary())
    if limits.roster is not None:
        click.echo(f"roster rules: {_rules_text(limits)}")
    if result is not None:
        _echo_simulation(result, req.origin)
    if not no_plot:
        try:
            plot_coverage(schedule, out / "coverage.png", simulated=result, service_level_goal=goal)
        except PlotUnavailable as exc:
            click.echo(f"note: no coverage.png: {exc}", err=True)
    shown = (".csv", ".png", ".toml")
    written = ", ".join(sorted(p.name for p in out.iterdir() if p.suffix in shown))
    click.echo(f"wrote {out}/: {written}")


def _roster_options(limits: Limits, rest: float | None, run: int | None) -> Limits:
    """``limits`` with ``--min-rest`` / ``--max-consecutive-days`` set on its roster."""
    if rest is None and run is None:
        return limits
    if limits.roster is None:
        raise ScheduleInputError(
            "--min-rest and --max-consecutive-days: expected a [roster] table in the templates "
            "file (the rules are about agents' weeks), got none"
        )
    roster = limits.roster
    if rest is not None:
        roster = dataclasses.replace(roster, min_rest_hours=rest)
    if run is not None:
        roster = dataclasses.replace(roster, max_consecutive_days=run)
    return dataclasses.replace(limits, roster=roster)


def _rules_text(limits: Limits) -> str:
    """The roster rules in one line, as applied."""
    r = limits.roster
    assert r is not None
    parts = [f"at most {r.max_work_days} days worked",
             "days off together" if r.consecutive_days_off else "days off anywhere"]  # fmt: skip
    if r.max_consecutive_days is not None:
        parts.append(f"at most {r.max_consecutive_days} days in a row")
    parts.append(
        "rest between days not checked"
        if r.min_rest_hours is None
        else f"rest >= {r.min_rest_hours:g} h between days"
    )
    if r.cost_per_agent:
        parts.append(f"{r.cost_per_agent:g} per agent")
    if r.max_agents is not None:
        parts.append(f"at most {r.max_agents} agents")
    return ", ".join(parts)


def _echo_simulation(result: SimulationResult, origin: float) -> None:
    overall = result.overall["all"]["service_level"]
    click.echo(
        f"simulated ({result.engine} engine, {result.replications} replications): service "
        f"level {overall.mean:.1%} {_interval(overall.lower, overall.upper)} over the horizon"
    )
    sl = result.per_interval["all"]["service_level"]
    worst = sorted((e.mean, k) for k, e in enumerate(sl) if not math.isnan(e.mean))[:3]
    if worst:
        parts = [
            f"{clock_label(origin + result.interval_starts[k])} {m:.1%} "
            f"{_interval(sl[k].lower, sl[k].upper)}"
            for m, k in worst
        ]
        click.echo("lowest intervals (mean, 95 % interval): " + "; ".join(parts))


def _interval(low: float, high: float) -> str:
    """A 95 % interval clipped to what a service level can be."""
    if math.isnan(low) or math.isnan(high):
        return "[n/a]"
    return f"[{min(max(low, 0.0), 1.0):.1%}, {min(max(high, 0.0), 1.0):.1%}]"
