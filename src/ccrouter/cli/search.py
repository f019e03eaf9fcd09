"""``ccrouter staff-search SCENARIO``: the fewest agents per group meeting the queues' targets."""

from __future__ import annotations

import csv
import math
import sys
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Any, Literal, TextIO, TypeVar

import click

from ccrouter.cli._engine import engine_option, fallback_notes
from ccrouter.cli._group import main
from ccrouter.cli.interval_search import show_per_interval
from ccrouter.cli.parse import (
    FRACTION,
    FRACTION_FORMS,
    SERVICE_LEVEL,
    SERVICE_LEVEL_FORMS,
    parse_service_level,
)
from ccrouter.cli.progress import ProgressCallback, ProgressReporter, progress_reporter
from ccrouter.cli.text import table
from ccrouter.errors import CCRouterError
from ccrouter.sim import QueueTarget, Scenario, load_scenario
from ccrouter.sim.engines import EngineChoice
from ccrouter.sim.interval_search import staff_search_per_interval
from ccrouter.sim.search import Candidate, SearchResult, staff_search

__all__ = ["merge_targets", "parse_target_sl", "staff_search_command", "write_path_csv"]

parse_target_sl = parse_service_level
"""The service-level parser of every command (:func:`ccrouter.cli.parse.parse_service_level`),
under its earlier name."""


def merge_targets(
    scenario: Scenario, sl: tuple[float, float] | None, max_abandon: float | None
) -> dict[str, QueueTarget]:
    """The scenario's ``[targets]``, with ``--sl`` / ``--max-abandon`` set on every queue that
    has calls (the options win over the file).

    >>> from ccrouter.sim import Scenario
    >>> s = Scenario.from_dict({"horizon": 60, "call_types": [{"name": "c",
    ...     "arrivals": {"kind": "poisson", "rates_per_hour": [1]},
    ...     "handle": {"kind": "exponential", "mean": 1}}], "agent_groups": [],
    ...     "targets": {"default": {"max_abandon": 0.1}}})
    >>> merge_targets(s, (0.8, 30.0), None)
    {'default': QueueTarget(service_level=0.8, threshold=30.0, max_abandon=0.1)}
    """
    targets = dict(scenario.targets)
    if sl is None and max_abandon is None:
        return targets
    for queue in dict.fromkeys(ct.queue for ct in scenario.call_types):
        old = targets.get(queue, QueueTarget())
        targets[queue] = QueueTarget(
            service_level=sl[0] if sl else old.service_level,
            threshold=sl[1] if sl else old.threshold,
            max_abandon=max_abandon if max_abandon is not None else old.max_abandon,
        )
    return targets


def _definition_note(model: Scenario) -> None:
    """Say so when the scenario's service level is defined otherwise than the search judges
    it (on all arrivals), rather than let a planner compare two different figures."""
    if model.sl_definition != "offered":
        click.echo(
            f"note: the scenario's sl_definition is {model.sl_definition!r}; the staffing "
            "search judges service-level targets on all arrivals ('offered')",
            err=True,
        )


def _judged(c: Candidate) -> str:
    parts = []
    for check in c.checks:
        est = check.estimate
        name = "SL" if check.metric == "service_level" else "abandon"
        value = "-" if math.isnan(est.mean) else f"{est.mean * 100:.1f}"
        if not math.isnan(est.half_width):
            value += f"±{est.half_width * 100:.1f}"
        parts.append(f"{check.queue} {name} {value}%{'' if check.met else ' ✗'}")
    return ", ".join(parts)


def _staffing(staffing: dict[str, int]) -> str:
    return " ".join(f"{g}={n}" for g, n in staffing.items())


def write_path_csv(result: SearchResult, out: TextIO) -> None:
    """One row per candidate and target: staffing, estimate with its CI, verdict."""
    writer = csv.writer(out)
    groups = list(result.staffing)
    writer.writerow(
        [
            "candidate",
            "phase",
            *groups,
            "agents",
            "queue",
            "metric",
            "goal",
            "threshold",
            "mean",
            "half_width",
            "judged",
            "met",
            "decision",
            "reason",
        ]
    )
    for c in result.path:
        for check in c.checks:
            est = check.estimate
            writer.writerow(
                [
                    c.index,
                    c.phase,
                    *(c.staffing[g] for g in groups),
                    c.agents,
                    check.queue,
                    check.metric,
                    check.goal,
                    check.threshold or "",
                    est.mean,
                    est.half_width,
                    check.judged,
                    check.met,
                    c.decision,
                    c.reason,
                ]
            )


def _progress(quiet: bool) -> Callable[[str, int, int], None] | None:
    """The progress callback of ``--quiet`` (``None`` when quiet): a rich bar on a terminal,
    occasional lines in a log (:mod:`ccrouter.cli.progress`)."""
    return progress_reporter(quiet)


R = TypeVar("R")


def _judge(judge: str) -> Literal["mean", "ci"]:
    return "ci" if judge == "ci" else "mean"


def _run_search(
    scenario: Path,
    goal: tuple[float, float] | None,
    cap: float | None,
    jobs: int,
    quiet: bool,
    search: Callable[
        [Scenario, dict[str, QueueTarget], Executor | None, ProgressCallback | None], R
    ],
) -> tuple[Scenario, R]:
    """What both searches share: load SCENARIO, merge the command-line targets, run
    ``search(model, targets, executor, progress)`` with a process pool for ``jobs`` > 1 and the
    progress display, and turn a bad scenario or argument into a one-line error."""
    executor: Executor | None = None
    progress = None
    try:
        model = load_scenario(scenario)
        _definition_note(model)
        targets = merge_targets(model, goal, cap)
        executor = ProcessPoolExecutor(jobs) if jobs > 1 else None
        progress = _progress(quiet)
        with fallback_notes():
            return model, search(model, targets, executor, progress)
    except (CCRouterError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if isinstance(progress, ProgressReporter):
            progress.close()  # a live bar an error interrupted
        if executor is not None:
            executor.shutdown()


@main.command("staff-search")
@click.argument("scenario", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--replications",
    "-n",
    default=10,
    show_default=True,
    help="Runs per candidate (with --per-interval: at most; fewer once the verdict is clear).",
)
@click.option(
    "--seed", default=0, show_default=True, help="Root seed (the same for every candidate)."
)
@click.option("--jobs", "-j", default=1, show_default=True, help="Worker processes.")
@click.option(
    "--sl",
    "goal",
    metavar="LEVEL/SEC",
    type=SERVICE_LEVEL,
    help=f"Service-level target for every queue ({SERVICE_LEVEL_FORMS}).",
)
@click.option(
    "--max-abandon",
    "cap",
    metavar="FRACTION",
    type=FRACTION,
    help=f"Abandonment cap for every queue ({FRACTION_FORMS}).",
)
@click.option("--group", "groups", multiple=True, help="Search only this group (repeatable).")
@click.option("--max-agents", default=500, show_default=True, help="Most agents in one group.")
@click.option(
    "--judge",
    type=click.Choice(["mean", "ci"]),
    default="mean",
    show_default=True,
    help="Meet targets with the replication mean, or with the pessimistic 95 % CI end.",
)
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), help="Write the search path.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--per-interval",
    is_flag=True,
    help="Staff every interval on its own: agents per group per interval, each interval "
    "judged on its own targets (see docs/staffing.md).",
)
@click.option(
    "--lookback",
    type=click.IntRange(min=0),
    metavar="N",
    help="With --per-interval: simulate each candidate from N intervals before the one "
    "searched (faster, its own random streams) instead of from interval 0.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="With --per-interval: write the requirements as CSV "
    "(interval_start,<group>,...; one row per interval).",
)
@click.option(
    "--path", "show_path", is_flag=True, help="With --per-interval: print every candidate tried."
)
@click.option(
    "--daily",
    is_flag=True,
    help="With --per-interval: meet each target over the whole day's calls instead of in "
    "every interval (cheaper; quiet intervals may fall below it).",
)
@click.option(
    "--min-agents",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    metavar="N",
    help="With --daily: keep at least N agents able to serve each call type in every "
    "interval with its calls (quiet intervals never left unanswered; 0: no minimum).",
)
@engine_option
def staff_search_command(
    scenario: Path,
    replications: int,
    seed: int,
    jobs: int,
    goal: tuple[float, float] | None,
    cap: float | None,
    groups: tuple[str, ...],
    max_agents: int,
    judge: str,
    csv_path: Path | None,
    quiet: bool,
    per_interval: bool,
    lookback: int | None,
    out_path: Path | None,
    show_path: bool,
    daily: bool,
    min_agents: int,
    engine: EngineChoice,
) -> None:
    """Find the fewest agents per group of SCENARIO meeting each queue's targets (its
    [targets] table, or --sl / --max-abandon), by simulation with common random numbers.

    \b
    Each searched group gets a constant headcount over the horizon, or with
    --per-interval one per interval: each interval judged on its own service
    level and abandonment, starting from its Erlang estimate, with the calls
    still waiting at its end carried over to the next interval; with --daily,
    each target is met over the whole day's calls instead, at the least cost.

    The search path depends only on the seed and the replication count, not on --jobs.
    """
    if not per_interval and (lookback is not None or out_path is not None or show_path or daily):
        raise click.UsageError("--lookback, --out, --path and --daily go with --per-interval")
    if daily and lookback is not None:
        raise click.UsageError("--lookback does not go with --daily (whole days are simulated)")
    if min_agents and not daily:
        raise click.UsageError("--min-agents goes with --per-interval --daily")
    if per_interval:
        _per_interval(scenario, replications, seed, jobs, goal, cap, groups, max_agents,
                      judge, csv_path, quiet, lookback, out_path, show_path, daily,
                      engine, min_agents)  # fmt: skip
        return
    options: dict[str, Any] = {"groups": list(groups)} if groups else {}
    model, result = _run_search(
        scenario, goal, cap, jobs, quiet,
        lambda model, targets, executor, progress: staff_search(
            model, targets, replications=replications, seed=seed, executor=executor,
            max_agents=max_agents, judge=_judge(judge), progress=progress, engine=engine,
            **options,
        ),
    )  # fmt: skip
    name = model.name or scenario.stem
    click.echo(
        f"{name}: {len(result.path)} candidates, {replications} replications each "
        f"(seed {seed}), judged on the {'mean' if judge == 'mean' else '95 % CI bound'}"
    )
    name_of = "router-driven" if result.engine == "router" else result.engine
    click.echo(f"engine: {name_of}; compile {result.compile_seconds:.2f} s")
    for note in result.notes:
        click.echo(f"note: {note}")
    rows = [
        [
            str(c.index),
            c.phase,
            _staffing(c.staffing),
            str(c.agents),
            _judged(c),
            c.decision,
            c.reason,
        ]
        for c in result.path
    ]
    header = ["#", "phase", "staffing", "agents", "targets (mean ± 95 % CI)", "decision", "why"]
    click.echo(table(header, rows, right={0, 3}))
    final = result.final
    verdict = "meets every target" if result.feasible else "does NOT meet every target"
    click.echo(
        f"answer: {_staffing(result.staffing)} ({final.agents} agents), {verdict}; "
        f"Erlang start {_staffing(result.lower_bound)}"
    )
    if csv_path is not None:
        with csv_path.open("w", newline="") as out:
            write_path_csv(result, out)
        click.echo(f"wrote {csv_path}")
    if not result.feasible:
        sys.exit(1)


def _per_interval(
    scenario: Path,
    replications: int,
    seed: int,
    jobs: int,
    goal: tuple[float, float] | None,
    cap: float | None,
    groups: tuple[str, ...],
    max_agents: int,
    judge: str,
    csv_path: Path | None,
    quiet: bool,
    lookback: int | None,
    out_path: Path | None,
    show_path: bool,
    daily: bool,
    engine: EngineChoice,
    min_agents: int = 0,
) -> None:
    """``staff-search --per-interval``: run the search, print and write its answer."""
    model, result = _run_search(
        scenario, goal, cap, jobs, quiet,
        lambda model, targets, executor, progress: staff_search_per_interval(
            model, targets, replications=replications, seed=seed, executor=executor,
            groups=list(groups) or None, max_agents=max_agents, judge=_judge(judge),
            lookback=lookback, progress=progress, engine=engine,
            targets_over="day" if daily else "interval", min_agents=min_agents,
        ),
    )  # fmt: skip
    show_per_interval(
        result,
        model.name or scenario.stem,
        show_path=show_path,
        out_path=out_path,
        csv_path=csv_path,
    )
    if not result.feasible:
        sys.exit(1)
