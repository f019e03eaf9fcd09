"""``ccrouter report LOG``: interval (or agent) report of a stored event log, as a table or CSV.

LOG may be a file written by :class:`~ccrouter.log.FileEventLog`, a SQLite database written by
:class:`~ccrouter.log.SQLiteEventLog` (both recognised by their first bytes), a JSON-lines file
(``.jsonl``/``.ndjson``: one ``encode_json`` event per line) or a JSON array (``.json``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from ccrouter.cli._group import main
from ccrouter.cli.parse import DURATION, DURATION_FORMS, parse_duration
from ccrouter.cli.text import hms, pct, table
from ccrouter.errors import CCRouterError, DecodeError
from ccrouter.events import Event, decode_json, decode_json_many
from ccrouter.stats import (
    SL_DEFINITIONS,
    AgentRow,
    IntervalRow,
    agent_report,
    interval_report,
    to_csv,
)

__all__ = ["format_agent_table", "format_interval_table", "open_events", "parse_duration", "report"]

_FILE_MAGIC = b"CCRLOG\r\n"
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _json_lines(path: Path) -> Iterator[Event]:
    with path.open("rb") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield decode_json(line)
                except DecodeError as exc:
                    msg = f"{path}:{number}: {exc}"
                    raise DecodeError(msg) from exc


@contextmanager
def open_events(path: Path, *, stream: str = "default") -> Iterator[Iterator[Event]]:
    """Open a stored log read-only and yield an iterator over its events (closed on exit).

    Raises:
        CCRouterError: the file is not a log of a known kind, or is corrupt.
    """
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        yield _json_lines(path)
        return
    if suffix == ".json":
        yield iter(decode_json_many(path.read_bytes()))
        return
    with path.open("rb") as f:
        head = f.read(16)
    if head.startswith(_FILE_MAGIC):
        from ccrouter.log import FileEventLog

        log: Any = FileEventLog(path, readonly=True)
    elif head.startswith(_SQLITE_MAGIC):
        from ccrouter.log import SQLiteEventLog

        log = SQLiteEventLog(path, stream=stream, readonly=True)
    else:
        msg = (
            f"{path} is not an event log: expected a FileEventLog file, a SQLite log, "
            "or JSON lines (.jsonl)"
        )
        raise DecodeError(msg)
    try:
        yield log.read()
    finally:
        log.close()


# --- formatting ---------------------------------------------------------------------------


def _clock(t: float) -> str:
    """An interval start: a UTC date-time for Unix times, else days + HH:MM from 0."""
    if t >= 1e9:
        return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%d %H:%M")
    days, rest = divmod(int(t), 86400)
    hours, rest = divmod(rest, 3600)
    text = f"{hours:02d}:{rest // 60:02d}"
    return f"{days}d {text}" if days else text


def _span(seconds: float) -> str:
    """An interval length: ``15 min``, ``1 h``, ``90 s``."""
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def format_interval_table(rows: Sequence[IntervalRow]) -> str:
    """Interval rows as a readable text table."""
    if not rows:
        return "(no events in the window)"
    agent = rows[0].agent_id is not None
    group: list[str] = ["Agent"] if agent else []
    if not agent and any(r.queue is not None for r in rows):
        group.append("Queue")
    if not agent and any(r.channel is not None for r in rows):
        group.append("Channel")
    counts = ["Offers", "Answered", "Declined", "Missed"] if agent else [
        "Offered", "Answered", "Abandoned", "Waiting", "SL",
    ]  # fmt: skip
    header = ["Interval", *group, *counts, "ASA", "AHT", "Handled", "Occupancy"]
    body = []
    for r in rows:
        cells = [_clock(r.start)]
        if agent:
            cells.append(r.agent_id or "")
            cells += [str(r.offered), str(r.answered), str(r.declined), str(r.timed_out)]
        else:
            cells += [v or "" for v, name in ((r.queue, "Queue"), (r.channel, "Channel"))
                      if name in group]  # fmt: skip
            cells += [str(r.offered), str(r.answered), str(r.abandoned), str(r.waiting)]
            cells.append(pct(r.service_level))
        cells += [hms(r.asa), hms(r.aht), str(r.handled), pct(r.occupancy)]
        body.append(cells)
    return table(header, body, right=range(1 + len(group), len(header)))


def format_agent_table(rows: Sequence[AgentRow]) -> str:
    """Agent rows as a readable text table."""
    if not rows:
        return "(no agent activity in the window)"
    header = ["Agent", "Logged in", "Ready", "Not ready", "Reserved", "Busy", "Wrap-up"]
    header += ["Offers", "Handled", "AHT", "Declined", "Missed", "Occupancy"]
    body = [
        [
            r.agent_id,
            hms(r.logged_in_time),
            hms(r.ready_time),
            hms(r.not_ready_time),
            hms(r.reserved_time),
            hms(r.busy_time),
            hms(r.wrap_up_time),
            str(r.offers),
            str(r.handled),
            hms(r.aht),
            str(r.declined),
            str(r.misses),
            pct(r.occupancy),
        ]
        for r in rows
    ]
    return table(header, body, right=range(1, len(header)))


_BY = {
    "queue,channel": ("queue", "channel"),
    "queue": ("queue",),
    "channel": ("channel",),
    "agent": ("agent",),
    "total": (),
}


@main.command()
@click.argument("log", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--interval", "-i", metavar="DURATION", type=DURATION, default="15m", show_default=True,
    help=f"Interval length ({DURATION_FORMS}).",
)  # fmt: skip
@click.option(
    "--threshold", "-t", metavar="DURATION", type=DURATION, default="20s", show_default=True,
    help=f"Service-level threshold: answered within this wait ({DURATION_FORMS}).",
)  # fmt: skip
@click.option(
    "--sl-definition", type=click.Choice(SL_DEFINITIONS), default="offered", show_default=True,
    help="Service level denominator: offered, offered minus short abandons, or answered.",
)  # fmt: skip
@click.option(
    "--by", "by", type=click.Choice(list(_BY)), default="queue,channel", show_default=True,
    help="Rows per interval and queue/channel, per agent, or one total.",
)  # fmt: skip
@click.option("--agents", is_flag=True, help="Print the agent report (one row per agent).")
@click.option(
    "--start", type=float, default=None, help="Window start (seconds; default: first event)."
)
@click.option("--end", type=float, default=None, help="Window end (seconds; default: last event).")
@click.option("--stream", default="default", show_default=True, help="Stream of a SQLite log.")
@click.option(
    "--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Also write every row, with every metric, to this CSV file.",
)  # fmt: skip
def report(
    log: Path,
    interval: float,
    threshold: float,
    sl_definition: str,
    by: str,
    agents: bool,
    start: float | None,
    end: float | None,
    stream: str,
    csv_path: Path | None,
) -> None:
    """Interval report of the event log LOG (offered, answered, SL, ASA, AHT, occupancy...).

    Each interaction is counted in the interval it arrived in. See docs/statistics.md for every
    metric's definition.
    """
    try:
        with open_events(log, stream=stream) as events:
            rows: list[Any]
            if agents:
                rows = agent_report(events, start=start, end=end)
                title = f"Agent report of {log.name}"
                text = format_agent_table(rows)
            else:
                rows = interval_report(
                    events,
                    interval,
                    threshold=threshold,
                    sl_definition=sl_definition,  # type: ignore[arg-type]
                    start=start,
                    end=end,
                    by=_BY[by],
                )
                title = (
                    f"Interval report of {log.name}: {_span(interval)} intervals, "
                    f"SL = answered within {threshold:g} s / {sl_definition.replace('_', ' ')}"
                )
                text = format_interval_table(rows)
    except CCRouterError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(title)
    click.echo(text)
    if csv_path is not None:
        to_csv(rows, csv_path)
        click.echo(f"wrote {len(rows)} rows to {csv_path}")
