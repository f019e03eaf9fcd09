"""``ccrouter staff-search SCENARIO --per-interval``: the output of the per-interval search.

The table of requirements (one row per interval: the agents of each searched group, the Erlang
start, and each queue's service level and abandonment on the whole-day check), the search path
(``--path``), the requirements CSV (``--out``) and the path CSV (``--csv``).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import TextIO

import click

from ccrouter.cli.text import table
from ccrouter.sim.clock import clock_label
from ccrouter.sim.interval_runs import DAY, IntervalCheck
from ccrouter.sim.interval_search import IntervalSearchResult

__all__ = ["show_per_interval", "write_interval_path_csv"]


def _value(check: IntervalCheck) -> str:
    est = check.estimate
    if math.isnan(est.mean):
        return "-"
    text = f"{est.mean * 100:.1f}"
    if not math.isnan(est.half_width):
        text += f"±{est.half_width * 100:.1f}"
    return text + ("%" if check.met else "% ✗")


def _checks(checks: list[IntervalCheck]) -> str:
    parts = []
    for c in checks:
        name = "SL" if c.metric == "service_level" else "abandon"
        where = "day" if c.interval == DAY else f"#{c.interval}"
        parts.append(f"{where} {c.queue} {name} {_value(c)}")
    return ", ".join(parts)


def write_interval_path_csv(result: IntervalSearchResult, out: TextIO) -> None:
    """One row per candidate and judged target: interval, phase, staffing, window,
    replications, estimate with its CI half-width, verdict and reason."""
    writer = csv.writer(out)
    groups = list(result.requirements)
    writer.writerow(["candidate", "interval", "phase", *groups, "window_first", "window_last",
                     "replications", "judged_interval", "queue", "metric", "goal", "mean",
                     "half_width", "met", "decision", "reason"])  # fmt: skip
    for step in result.path:
        for c in step.checks:
            writer.writerow([step.index, step.interval, step.phase,
                             *(step.staffing[g] for g in groups), step.window[0], step.window[1],
                             step.replications, c.interval, c.queue, c.metric, c.goal,
                             c.estimate.mean, c.estimate.half_width, c.met, step.decision,
                             step.reason])  # fmt: skip


def show_per_interval(
    result: IntervalSearchResult,
    name: str,
    *,
    show_path: bool,
    out_path: Path | None,
    csv_path: Path | None,
) -> None:
    """Print the per-interval answer (and the path with ``show_path``); write the files."""
    mode = "from interval 0" if result.lookback is None else f"lookback {result.lookback}"
    if result.targets_over == "day":
        mode = "whole days"
    reps = f"{result.replications}"
    if result.min_replications < result.replications:
        reps = f"{result.min_replications}-{reps}"
    over = "targets over the day" if result.targets_over == "day" else "targets in every interval"
    click.echo(
        f"{name}: per interval, {over}, {len(result.path)} candidates, {reps} replications "
        f"each (seed {result.seed}), windows {mode}, "
        f"judged on the {'mean' if result.judge == 'mean' else '95 % CI bound'}"
    )
    engine = "router-driven" if result.engine == "router" else result.engine
    click.echo(
        f"engine: {engine}; compile {result.compile_seconds:.2f} s; {result.runs} window runs, "
        f"{result.simulated_intervals} intervals simulated"
    )
    for note in result.notes:
        click.echo(f"note: {note}")
    if show_path:
        rows = [
            [str(s.index), str(s.interval), s.phase,
             " ".join(f"{g}={n}" for g, n in s.staffing.items()),
             f"{s.window[0]}-{s.window[1]}", str(s.replications), _checks(s.checks),
             s.decision, s.reason]
            for s in result.path
        ]  # fmt: skip
        header = ["#", "interval", "phase", "staffing", "window", "reps",
                  "targets (mean ± 95 % CI)", "decision", "why"]  # fmt: skip
        click.echo(table(header, rows, right={0, 1, 5}))
    groups = list(result.requirements)
    by_interval: dict[int, list[IntervalCheck]] = {}
    for c in result.checks:
        by_interval.setdefault(c.interval, []).append(c)
    labels = [
        f"{c.queue} {'SL' if c.metric == 'service_level' else 'abandon'}"
        for c in by_interval.get(0, [])
    ]
    rows = []
    for k, start in enumerate(result.interval_starts):
        row = [
            str(k),
            clock_label(result.origin + start),
            *(str(result.requirements[g][k]) for g in groups),
        ]
        row.append(str(sum(result.requirements[g][k] for g in groups)))
        row.append(str(sum(result.erlang[g][k] for g in groups)))
        row.extend(_value(c) for c in by_interval.get(k, []))
        rows.append(row)
    header = ["#", "start", *groups, "total", "Erlang", *labels]
    right = set(range(len(header)))
    click.echo(table(header, rows, right=right))
    total = sum(sum(v) for v in result.requirements.values())
    erlang = sum(sum(v) for v in result.erlang.values())
    if result.targets_over == "day":
        click.echo(f"over the day (mean ± 95 % CI): {_checks(result.day_checks)}")
        below = len({c.interval for c in result.unmet})
        verdict = "the day meets every target" if result.feasible else "the day does NOT meet"
        verdict += " every target" if not result.feasible else ""
        verdict += f"; {below} of {len(result.interval_starts)} intervals below a target (✗)"
    elif result.feasible:
        verdict = "every interval meets its targets on the whole-day check"
    else:
        verdict = "some intervals do NOT meet their targets (✗)"
    click.echo(f"answer: {total} agent-intervals (Erlang start {erlang}); {verdict}")
    if out_path is not None:
        with out_path.open("w", newline="") as out:
            result.write_csv(out)
        click.echo(f"wrote {out_path}")
    if csv_path is not None:
        with csv_path.open("w", newline="") as out:
            write_interval_path_csv(result, out)
        click.echo(f"wrote {csv_path}")
