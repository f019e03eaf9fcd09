"""``ccrouter explain LOG INTERACTION_ID``: why an interaction went to its agent.

The log (any kind :func:`~ccrouter.cli.report.open_events` reads) is replayed; the decision is
explained from the state just before it (see :meth:`ccrouter.Router.explain`): every agent
with its eligibility, reason, score and rank, then the older waiting interactions the chosen
agent took this one ahead of.
"""

from __future__ import annotations

from pathlib import Path

import click

from ccrouter.cli._group import main
from ccrouter.cli.report import open_events
from ccrouter.cli.text import num, table_lines
from ccrouter.config import RouterConfig
from ccrouter.engine.checkpoints import explain_events
from ccrouter.engine.config_record import check_config, recorded_config
from ccrouter.engine.routing.explain import Explanation
from ccrouter.errors import CCRouterError
from ccrouter.events import ConfigChanged, Event, InteractionClassified
from ccrouter.router import Router

__all__ = ["explain", "format_explanation"]


def format_explanation(ex: Explanation) -> str:
    """A readable text rendering of an explanation."""
    skills = ", ".join(f"{s}>={level}" for s, level in sorted(ex.skills.items())) or "none"
    lines = [
        f"Interaction {ex.interaction_id} (queue {ex.queue}, channel {ex.channel}, "
        f"skills {skills})",
        f"Decision at {ex.at:g}"
        + (f" (event #{ex.decision_seq})" if ex.decision_seq else "")
        + f", strategy {ex.strategy}",
        f"Chosen agent: {ex.chosen if ex.chosen is not None else '(none: it waits)'}",
        f"Tie-break: {ex.tie_break}",
    ]
    if ex.batch is not None:
        b = ex.batch
        lines += [
            f"Batch step from event #{b.first_seq}: {b.waiting} waiting, {b.free_units} free "
            f"unit(s), {b.matched} matched; this one at priority level {b.level}",
            f"Objective: {b.objective}",
        ]
    lines.append("")
    rows = [
        [
            c.agent_id,
            "yes" if c.eligible else "no",
            c.reason or "-",
            num(c.score),
            num(c.rank),
            *([", ".join(c.assigned) or "-"] if ex.batch is not None else []),
        ]
        for c in sorted(ex.candidates, key=lambda c: (c.rank is None, c.rank or 0, c.agent_id))
    ]
    if rows:
        header = ["Agent", "Eligible", "Reason", "Score", "Rank"]
        columns = [*header, "Step gave it"] if ex.batch is not None else header
        lines += table_lines(columns, rows, rule=False)
    else:
        lines.append("No agents logged in.")
    if ex.chosen is not None:
        lines.append("")
        if ex.ahead_of:
            lines.append(f"Taken ahead of {len(ex.ahead_of)} older waiting interaction(s):")
            lines += table_lines(
                ["Interaction", "Queue", "Arrived", "Eff. priority", "This one", "Reason"],
                [
                    [
                        p.interaction_id,
                        p.queue,
                        num(p.arrived_at),
                        f"{p.effective_priority:.3g}",
                        f"{p.versus:.3g}",
                        p.reason,
                    ]
                    for p in ex.ahead_of
                ],
                rule=False,
            )
        else:
            lines.append("No older waiting interaction was passed over.")
    return "\n".join(lines)


@main.command()
@click.argument("log", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("interaction_id")
@click.option(
    "--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None, help="The router.toml the log was written with (default: the config the log "
    "records, else built-in defaults).",
)  # fmt: skip
@click.option("--stream", default="default", show_default=True, help="Stream of a SQLite log.")
def explain(log: Path, interaction_id: str, config_path: Path | None, stream: str) -> None:
    """Explain why INTERACTION_ID in LOG went to its agent, and ahead of which older work."""
    try:
        config = RouterConfig.from_toml(config_path) if config_path is not None else None
        with open_events(log, stream=stream) as events:
            logged = list(events)
        _check_config(logged, config)
        # Folds the log only up to the decision. Never offered (the state at the log's end)
        # or classified by rules (the trace comes with it): the router's explain.
        explanation = explain_events(logged, interaction_id, config)
        classified = any(
            isinstance(e, InteractionClassified) and e.interaction_id == interaction_id
            for e in logged
        )
        if explanation is None or classified:
            explanation = Router.replay(logged, config, backend="python").explain(interaction_id)
    except CCRouterError as exc:
        raise click.ClickException(str(exc).splitlines()[0] if str(exc) else repr(exc)) from exc
    click.echo(format_explanation(explanation))


def _check_config(logged: list[Event], config: RouterConfig | None) -> None:
    """A ``--config`` other than the one the log records is refused, as a router opening
    the log refuses it (the fast path folds the log by itself)."""
    recorded = recorded_config(logged)
    if config is None or recorded is None:
        return
    in_force = next(
        (RouterConfig.from_dict(e.config) for e in reversed(logged) if type(e) is ConfigChanged),
        recorded,
    )
    check_config(recorded, in_force, config)
