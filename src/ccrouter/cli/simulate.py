"""``ccrouter simulate SCENARIO``: replications of a scenario file, a summary table, a report
(HTML), an export of every figure (JSON/CSV); ``--engine`` picks the engine, ``--verify``
checks replication 0 on both engines first."""

from __future__ import annotations

import sys
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import click

from ccrouter.cli._engine import engine_option, fallback_notes, timing_line
from ccrouter.cli._group import main
from ccrouter.cli.parse import DURATION, DURATION_FORMS
from ccrouter.cli.progress import ProgressReporter
from ccrouter.cli.text import table
from ccrouter.errors import CCRouterError
from ccrouter.sim import load_scenario, simulate
from ccrouter.sim.engines import EngineChoice, resolve_engine, warm_engine
from ccrouter.sim.export import FORMATS, write_export
from ccrouter.sim.report import (
    CAMPAIGN_COLUMNS,
    SELF_SERVICE_COLUMNS,
    SUMMARY_METRICS,
    campaign_rows,
    interval_notes,
    self_service_rows,
    service_level_text,
    summary_rows,
    utilisation_rows,
    write_report,
)
from ccrouter.sim.report_plots import plotting_available
from ccrouter.sim.verify import verify_replication
from ccrouter.stats.definitions import SL_DEFINITIONS

__all__ = ["simulate_command"]


@main.command("simulate")
@click.argument("scenario", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--replications", "-n", default=30, show_default=True, help="Independent runs.")
@click.option("--seed", default=0, show_default=True, help="Root seed of the random streams.")
@click.option("--jobs", "-j", default=1, show_default=True, help="Worker processes.")
@click.option(
    "--warmup",
    type=DURATION,
    metavar="DURATION",
    help=f"Time left out of the statistics ({DURATION_FORMS}).",
)
@click.option(
    "--sl-definition",
    type=click.Choice(SL_DEFINITIONS),
    help="Service level's denominator: offered (all arrivals), answered, or "
    "offered_minus_short_abandons (arrivals less those abandoned within the threshold); "
    "default: the scenario's sl_definition (offered).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path),
    help="Write an HTML report (needs matplotlib: pip install 'ccrouter[plot]').",
)
@click.option(
    "--export",
    "export_path",
    type=click.Path(path_type=Path),
    help="Write every metric, per scope and interval, with its 95 % confidence interval "
    "(OUT.json or OUT.csv).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@engine_option
@click.option(
    "--verify",
    is_flag=True,
    help="First run replication 0 on both engines and compare their events: print how many "
    "matched, or the first differing event (index, both events) and exit with status 1.",
)
def simulate_command(
    scenario: Path,
    replications: int,
    seed: int,
    jobs: int,
    warmup: float | None,
    sl_definition: str | None,
    report_path: Path | None,
    export_path: Path | None,
    quiet: bool,
    engine: EngineChoice,
    verify: bool,
) -> None:
    """Simulate SCENARIO (a TOML file); print means ± 95 % CI.

    Two engines give the same events, event for event: the router-driven one (every customer
    through the real Router) and the compiled one (fast). Results depend only on the seed and
    the replication count, not on --jobs or --engine.

    \b
    ccrouter simulate bank.toml -n 30 --warmup 15m --report bank.html --export bank.csv
    ccrouter simulate bank.toml --sl-definition answered
    """
    # Refuse what cannot be written before the replications run, not after.
    if report_path is not None and not plotting_available():
        raise click.UsageError(
            "--report draws plots with matplotlib, which is not installed: "
            "pip install 'ccrouter[plot]' (or leave out --report)"
        )
    if export_path is not None and export_path.suffix.lower().lstrip(".") not in FORMATS:
        raise click.BadParameter(
            f"expected a path ending in .json or .csv, got {str(export_path)!r}",
            param_hint="'--export'",
        )
    try:
        model = load_scenario(scenario)
        if warmup is not None:
            model = model.replace(warmup=warmup)
        if sl_definition is not None:
            model = model.replace(sl_definition=sl_definition)
        compiled_before = 0.0  # compile time paid by --verify, reported with the run's
        if verify:
            resolve_engine(model, "compiled")  # NotCompiled names the features, before any run
            compiled_before = warm_engine("compiled")
            check = verify_replication(model, seed)
            click.echo(check.describe())
            if not check.identical:
                sys.exit(1)
    except CCRouterError as exc:
        raise click.ClickException(str(exc)) from None
    executor: Executor | None = ProcessPoolExecutor(jobs) if jobs > 1 else None
    try:
        with fallback_notes(), ProgressReporter(quiet=quiet) as progress:
            result = simulate(
                model,
                replications,
                seed=seed,
                executor=executor,
                progress=progress.counter("replications", replications),
                engine=engine,
            )
    except CCRouterError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if executor is not None:
            executor.shutdown()
    name = model.name or scenario.stem
    click.echo(
        f"{name}: {result.replications} replications, {result.customers:,} customers "
        f"(seed {seed}); means ± 95 % CI half-width, or (low–high) where the interval was "
        "clipped to what is possible"
    )
    click.echo(service_level_text(result))
    click.echo(
        timing_line(
            result.engine,
            compiled_before + result.compile_seconds,
            result.run_seconds,
            result.customers,
        )
    )
    header = ["scope", *(t for _, t, _ in SUMMARY_METRICS)]
    click.echo(table(header, summary_rows(result), right=range(1, len(header))))
    if result.campaigns:
        header = ["campaign", *(t for _, t, _ in CAMPAIGN_COLUMNS), "target abandon"]
        click.echo("\n" + table(header, campaign_rows(result), right=range(1, len(header))))
    if result.self_service_overall:
        header = ["self-service", *(t for _, t, _ in SELF_SERVICE_COLUMNS)]
        click.echo("\n" + table(header, self_service_rows(result), right=range(1, len(header))))
    if result.group_utilisation:
        click.echo("\n" + table(["group", "utilisation"], utilisation_rows(result), right={1}))
    for note in interval_notes(result):
        click.echo(f"note: {note}")
    try:
        if export_path is not None:
            click.echo(f"wrote {write_export(result, export_path)}")
        if report_path is not None:
            click.echo(f"wrote {write_report(result, report_path)}")
    except CCRouterError as exc:
        raise click.ClickException(str(exc)) from None
