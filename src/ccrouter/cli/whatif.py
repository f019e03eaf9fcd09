"""``ccrouter whatif LOG --config other.toml``: the log's inputs re-run under another config.

The log (any kind :func:`~ccrouter.cli.report.open_events` reads) is read once; its inputs and
recorded behaviour are re-run under ``--config`` by :func:`ccrouter.whatif.compare.whatif`, and the
interactions whose outcome, answering agent or offer time changed are printed beside a
before/after summary (answered, abandoned, ASA, service level). ``--csv`` prints every
interaction as CSV instead.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click

from ccrouter.cli._group import main
from ccrouter.cli.parse import DURATION, DURATION_FORMS
from ccrouter.cli.report import open_events
from ccrouter.cli.text import num, pct, secs, table_lines
from ccrouter.config import RouterConfig
from ccrouter.engine.config_record import recorded_config
from ccrouter.errors import CCRouterError
from ccrouter.events import Event
from ccrouter.whatif.compare import InteractionDiff, Outcome, WhatIfResult, whatif

__all__ = ["format_whatif", "whatif_command", "whatif_csv"]

CSV_FIELDS = (
    "interaction_id", "queue", "channel", "arrived_at", "changed",
    "before_outcome", "before_agent", "before_offered_at", "before_answered_at", "before_wait",
    "before_offers",
    "after_outcome", "after_agent", "after_offered_at", "after_answered_at", "after_wait",
    "after_offers",
)  # fmt: skip
"""Columns of ``--csv``: one row per interaction, in arrival order."""


def _side(o: Outcome) -> list[str]:
    return [o.agent_id or "-", num(o.offered_at), num(o.wait), o.outcome]


def format_whatif(result: WhatIfResult, *, show_all: bool = False) -> str:
    """A readable text rendering: the summary, then the changed interactions (all of them
    with ``show_all``)."""
    s = result.summary
    lines = [
        f"{s.interactions} interactions up to {result.until:g}: {s.changed} changed "
        f"(outcome, agent or offer time), {s.another_agent} answered by another agent",
        "decisions: " + ("identical to the recorded ones" if result.same_decisions else "differ"),
        "",
    ]

    def row(name: str, pick: object) -> list[str]:
        assert callable(pick)
        return [name, pick(s.before), pick(s.after)]

    rows = [
        row("Offered", lambda t: str(t.offered)),
        row("Answered", lambda t: str(t.answered)),
        row("Abandoned", lambda t: str(t.abandoned)),
        row("Waiting at end", lambda t: str(t.waiting)),
        row("ASA", lambda t: secs(t.asa)),
        row(f"SL ({s.threshold:g} s)", lambda t: pct(t.service_level)),
        row("Declined", lambda t: str(t.declined)),
        row("Missed", lambda t: str(t.timed_out)),
    ]
    lines += table_lines(["", "Before", "After"], rows, rule=False)
    shown = [d for d in result.interactions if show_all or d.changed]
    lines.append("")
    if shown:
        header = ["Interaction", "Queue", "Arrived", "Agent", "Offered", "Wait", "Outcome"]
        header += ["->", "Agent", "Offered", "Wait", "Outcome"]
        body = [
            [d.interaction_id, d.queue, num(d.arrived_at), *_side(d.before), "->",
             *_side(d.after)]
            for d in shown
        ]  # fmt: skip
        lines += table_lines(header, body, rule=False)
    else:
        lines.append("No interaction changed.")
    if result.skipped:
        lines.append("")
        lines.append(
            f"{len(result.skipped)} recorded input(s) or agent action(s) could not apply as "
            "recorded:"
        )
        lines += [f"  #{k.seq} {k.kind} at {k.at:g}: {k.reason}" for k in result.skipped]
    return "\n".join(lines)


def _csv_row(d: InteractionDiff) -> list[object]:
    b, a = d.before, d.after
    return [
        d.interaction_id, d.queue, d.channel, d.arrived_at, int(d.changed),
        b.outcome, b.agent_id or "", _blank(b.offered_at), _blank(b.answered_at), _blank(b.wait),
        b.offers,
        a.outcome, a.agent_id or "", _blank(a.offered_at), _blank(a.answered_at), _blank(a.wait),
        a.offers,
    ]  # fmt: skip


def _blank(x: float | None) -> object:
    return "" if x is None else x


def whatif_csv(result: WhatIfResult) -> str:
    """Every interaction as CSV (header :data:`CSV_FIELDS`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    writer.writerows(_csv_row(d) for d in result.interactions)
    return out.getvalue()


def _check_line(recorded: list[Event], base: RouterConfig, until: float | None) -> str:
    check = whatif(recorded, base, until=until, backend="python", config_changes="replay")
    if check.same_decisions:
        return "Model check: under the base config the re-run makes every recorded decision."
    return (
        f"Model check: under the base config {check.summary.changed} interaction(s) already "
        "differ from the log: part of the differences below come from the behaviour model, "
        "not from the config."
    )


@main.command("whatif")
@click.argument("log", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--config", "config_path", required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The router.toml to try.",
)  # fmt: skip
@click.option(
    "--base-config", "base_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The router.toml the log was written with (its start): the re-run under it, with "
    "the log's config changes, is checked to reproduce the log (a model check line). Default: "
    "the config the log records at its head, if it does.",
)  # fmt: skip
@click.option(
    "--threshold", "-t", metavar="DURATION", type=DURATION, default="20s",
    show_default=True,
    help=f"Service-level threshold: answered within this wait ({DURATION_FORMS}).",
)  # fmt: skip
@click.option(
    "--until", type=float, default=None, metavar="SECONDS",
    help="Stop both logs here (seconds; default: the log's last event).",
)  # fmt: skip
@click.option(
    "--config-changes", type=click.Choice(["drop", "replay"]), default="drop",
    show_default=True,
    help="The log's config changes: drop them (--config is in force throughout) or make them "
    "again at their time (--config replaces the starting config only).",
)  # fmt: skip
@click.option("--all", "show_all", is_flag=True, help="List unchanged interactions too.")
@click.option(
    "--csv", "as_csv", is_flag=True,
    help="Print one CSV row per interaction (before and after) instead of the tables.",
)  # fmt: skip
@click.option("--stream", default="default", show_default=True, help="Stream of a SQLite log.")
def whatif_command(
    log: Path,
    config_path: Path,
    base_path: Path | None,
    threshold: float,
    until: float | None,
    config_changes: str,
    show_all: bool,
    as_csv: bool,
    stream: str,
) -> None:
    """Re-run the inputs of LOG under another config and show how the decisions differ.

    Inputs are what came from outside the router: logins, ready / not ready / logout,
    submissions (with their targeting), updates and abandons. Offers are decided again;
    agents answer each offer as they did in the log (same ring delay, declines and misses
    when the same agent gets the same interaction) and talk for the recorded talk time.
    See "What-if replay" in docs/routing.md for every rule.
    """
    try:
        config = RouterConfig.from_toml(config_path)
        base = RouterConfig.from_toml(base_path) if base_path is not None else None
        with open_events(log, stream=stream) as events:
            recorded = list(events)
        if base is None:  # the config the log records at its head, if it does
            base = recorded_config(recorded)
        result = whatif(
            recorded,
            config,
            until=until,
            threshold=threshold,
            backend="python",
            config_changes=config_changes,  # type: ignore[arg-type]
        )
        check = _check_line(recorded, base, until) if base is not None else None
    except CCRouterError as exc:
        raise click.ClickException(str(exc).splitlines()[0] if str(exc) else repr(exc)) from exc
    if as_csv:
        click.echo(whatif_csv(result), nl=False)
        return
    click.echo(f"What-if of {log.name} under {config_path.name}")
    if check is not None:
        click.echo(check)
    click.echo(format_whatif(result, show_all=show_all))
