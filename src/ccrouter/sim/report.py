"""The HTML report of a simulation: the summary tables, the plots (PNG embedded as base64, so
the file opens in a browser with no server), the per-interval figures, the service-level
definition beside them and notes when the intervals are not to be trusted. Rendered from the
Jinja2 template ``templates/report.html.j2`` (autoescaped). Needs matplotlib
(``pip install 'ccrouter[plot]'``): :func:`write_report` says so before drawing anything.

The text and HTML tables share the row functions here; per-interval tables are built from
whatever metrics the result holds (:mod:`ccrouter.sim.metric_info` names them), so a new
metric appears without code here.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ccrouter.sim.clock import clock_label
from ccrouter.sim.confidence import Estimate
from ccrouter.sim.metric_info import info
from ccrouter.sim.replications import SimulationResult
from ccrouter.sim.report_plots import plots, require_plotting
from ccrouter.stats.definitions import describe_service_level

__all__ = [
    "CAMPAIGN_COLUMNS",
    "FEW_REPLICATIONS",
    "SELF_SERVICE_COLUMNS",
    "SUMMARY_METRICS",
    "campaign_rows",
    "format_estimate",
    "interval_notes",
    "interval_rows",
    "render_report",
    "self_service_rows",
    "service_level_text",
    "summary_rows",
    "utilisation_rows",
    "write_report",
]

SUMMARY_METRICS: tuple[tuple[str, str, str], ...] = (
    ("offered", "offered", "count"),
    ("service_level", "service level", "pct"),
    ("asa", "ASA s", "sec"),
    ("abandonment_rate", "abandoned", "pct"),
    ("p_wait", "P(wait)", "pct"),
    ("aht", "AHT s", "sec"),
    ("occupancy", "occupancy", "pct"),
    ("queue_length", "avg queue", "num"),
    ("callbacks", "callbacks", "count"),
    ("overdue", "overdue", "count"),
)


CAMPAIGN_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("dialed", "dialed", "count"),
    ("connects", "connects", "count"),
    ("connect_rate", "connect rate", "pct"),
    ("answered", "answered", "count"),
    ("abandoned", "abandoned", "count"),
    ("abandon_rate", "abandon rate", "pct"),
    ("aht", "AHT s", "sec"),
)
"""The campaign table's columns (then the target abandon rate)."""


SELF_SERVICE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("entered", "entered", "count"),
    ("contained", "contained", "count"),
    ("containment_rate", "containment", "pct"),
    ("opted_out", "opted out", "count"),
    ("escalated", "escalated", "count"),
    ("repeats", "repeats", "count"),
)
"""The self-service table's columns (``ccrouter.sim.self_service``)."""


FEW_REPLICATIONS = 5
"""Below this many replications the report warns that its intervals are wide (Student t
with 1 degree of freedom is 12.7 standard errors wide each side, with 4 it is 2.8)."""

_FORMATS = {"pct": (100, ".1f", " %"), "sec": (1, ".1f", ""), "count": (1, ".0f", ""),
            "num": (1, ".2f", "")}  # fmt: skip


def format_estimate(est: Estimate, kind: str, *, interval: bool = True) -> str:
    """``mean ± half-width`` in the metric's unit, or ``mean (low–high)`` when the interval
    was clipped to the metric's possible range (it is then no longer symmetric); ``mean``
    alone with ``interval=False`` or without an interval.

    >>> from ccrouter.sim.confidence import estimate
    >>> format_estimate(estimate([0.7, 0.8]), "pct")
    '75.0 ± 63.5 %'
    >>> format_estimate(estimate([0.7, 0.8], bounds=(0.0, 1.0)), "pct")
    '75.0 (11.5–100.0) %'
    """
    if math.isnan(est.mean):
        return "-"
    scale, fmt, unit = _FORMATS[kind]
    text = f"{est.mean * scale:{fmt}}"
    if interval and not math.isnan(est.half_width):
        if est.clipped:
            text += f" ({est.lower * scale:{fmt}}–{est.upper * scale:{fmt}})"
        else:
            text += f" ± {est.half_width * scale:{fmt}}"
    return text + unit


def service_level_text(result: SimulationResult) -> str:
    """The service-level formula the figures use, in words (printed beside them)."""
    s = result.scenario
    return describe_service_level(s.sl_definition, s.threshold)


def _all_estimates(result: SimulationResult) -> list[Estimate]:
    found = [e for metrics in result.overall.values() for e in metrics.values()]
    found += [e for ms in result.per_interval.values() for series in ms.values() for e in series]
    found += [e for series in result.group_occupancy.values() for e in series]
    found += list(result.group_utilisation.values())
    found += [e for metrics in result.campaigns.values() for e in metrics.values()]
    return found


def interval_notes(result: SimulationResult) -> list[str]:
    """What a reader must know before trusting the intervals: none with one replication, wide
    ones with few, and how many reached past what is possible and were clipped."""
    n = result.replications
    notes = []
    if n == 1:
        notes.append("one replication: no confidence interval; run 10 or more (-n 10) to get one")
    elif n < FEW_REPLICATIONS:
        notes.append(
            f"only {n} replications: the 95 % intervals are wide (Student t with {n - 1} "
            f"degree{'s' if n > 2 else ''} of freedom) and unreliable; run 10 or more "
            "(-n 10) for figures to plan with"
        )
    estimates = [e for e in _all_estimates(result) if not math.isnan(e.half_width)]
    clipped = sum(e.clipped for e in estimates)
    if clipped:
        notes.append(
            f"{clipped} of {len(estimates)} intervals reached past what is possible and were "
            "clipped to it (shares to 0–100 %, times and counts to 0 and above): shown as "
            "mean (low–high); more replications narrow them"
        )
    return notes


def interval_rows(result: SimulationResult, scope: str) -> tuple[list[str], list[list[str]]]:
    """The per-interval table of ``scope``: a header (interval, then every metric the result
    has for it that is not 0 in every interval) and one row of means per interval."""
    s = result.scenario
    series_by_metric = result.per_interval[scope]
    shown = [
        m
        for m, series in series_by_metric.items()
        if any(not math.isnan(e.mean) and e.mean != 0 for e in series)
    ]
    header = ["interval", *(_title(m) for m in shown)]
    rows = []
    for k, start in enumerate(result.interval_starts):
        end = min(start + s.interval, s.horizon)
        label = f"{clock_label(s.origin + start)}–{clock_label(s.origin + end)}"
        rows.append([label, *(format_estimate(series_by_metric[m][k], info(m).kind,
                                              interval=False) for m in shown)])  # fmt: skip
    return header, rows


def _title(metric: str) -> str:
    meta = info(metric)
    return f"{meta.title} {meta.unit}" if meta.kind == "sec" else meta.title


def summary_rows(result: SimulationResult) -> list[list[str]]:
    """One row per scope (queue, then "all"): the summary metrics as ``mean ± half-width``."""
    return [
        [scope, *(format_estimate(metrics[m], kind) for m, _, kind in SUMMARY_METRICS)]
        for scope, metrics in result.overall.items()
    ]


def campaign_rows(result: SimulationResult) -> list[list[str]]:
    """One row per outbound campaign: ``CAMPAIGN_COLUMNS`` as ``mean ± half-width``, then
    the target abandon rate."""
    targets = {c.name: c.target_abandon_rate for c in result.scenario.campaigns}
    return [
        [
            name,
            *(format_estimate(metrics[m], kind) for m, _, kind in CAMPAIGN_COLUMNS),
            f"{targets[name] * 100:.1f} %",
        ]
        for name, metrics in result.campaigns.items()
    ]


def utilisation_rows(result: SimulationResult) -> list[list[str]]:
    """One row per agent group: its utilisation (handling over staffed time) over the
    horizon."""
    return [[g, format_estimate(est, "pct")] for g, est in result.group_utilisation.items()]


def self_service_rows(result: SimulationResult) -> list[list[str]]:
    """One row per call type with a self-service stage (then "all"): ``SELF_SERVICE_COLUMNS``
    over the horizon as ``mean ± half-width``."""
    return [
        [scope, *(format_estimate(metrics[m], kind) for m, _, kind in SELF_SERVICE_COLUMNS)]
        for scope, metrics in result.self_service_overall.items()
    ]


def _engine(result: SimulationResult) -> str:
    """Which engine ran, and why not the compiled one when ``auto`` fell back."""
    if result.engine == "compiled":
        return "run on the compiled engine"
    why = result.not_compiled
    return "run on the router-driven engine" + (f" (not compiled: {', '.join(why)})" if why else "")


def _duration(seconds: float) -> str:
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min" if seconds % 60 == 0 else f"{seconds:g} s"


def _section(title: str, header: list[str], rows: list[list[str]], caption: str = "") -> Any:
    return {"title": title, "header": header, "rows": rows, "caption": caption}


def render_report(result: SimulationResult) -> str:
    """The report's HTML (with its plots).

    Raises:
        MissingDependency: matplotlib is not installed.
    """
    import jinja2

    require_plotting()
    s = result.scenario
    sl_text = service_level_text(result)
    tables = [
        _section(
            "Summary over the horizon",
            ["scope", *(t for _, t, _ in SUMMARY_METRICS)],
            summary_rows(result),
            sl_text,
        )
    ]
    if result.campaigns:
        tables.append(_section(
            "Outbound campaigns",
            ["campaign", *(t for _, t, _ in CAMPAIGN_COLUMNS), "target abandon"],
            campaign_rows(result),
        ))  # fmt: skip
    if result.self_service_overall:
        tables.append(_section(
            "Self-service",
            ["call type", *(t for _, t, _ in SELF_SERVICE_COLUMNS)],
            self_service_rows(result),
        ))  # fmt: skip
    if result.group_utilisation:
        tables.append(
            _section(
                "Agent utilisation by group", ["group", "utilisation"], utilisation_rows(result)
            )
        )
    scopes = list(result.per_interval)
    if len(scopes) == 2 and "all" in scopes:  # one queue: its table is the centre's
        scopes = ["all"]
    interval_tables = [
        _section(
            f"By interval: {'all queues' if scope == 'all' else scope}",
            *interval_rows(result, scope),
            "Means over the replications (their intervals: in the plots and in "
            "`--export`); columns that are 0 in every interval are left out.",
        )
        for scope in scopes
    ]
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ccrouter.sim", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    return env.get_template("report.html.j2").render(
        name=s.name or "scenario",
        replications=result.replications,
        seed=result.seed,
        customers=f"{result.customers:,}",
        horizon=_duration(s.horizon),
        n_intervals=s.n_intervals,
        interval=_duration(s.interval),
        warmup=_duration(s.warmup) if s.warmup else "none",
        engine=_engine(result),
        sl_text=f"{sl_text[0].upper()}{sl_text[1:]} (threshold {s.threshold:g} s).",
        notes=interval_notes(result),
        tables=tables,
        plots=plots(result),
        interval_tables=interval_tables,
    )


def write_report(result: SimulationResult, path: str | Path) -> Path:
    """Write the report to ``path`` (HTML with embedded plots) and return the path.

    Raises:
        MissingDependency: matplotlib is not installed (checked before anything is drawn).
    """
    text = render_report(result)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
