"""The HTML report of a simulation: a summary table and PNG plots embedded as base64, so the
file opens in a browser with no server. Needs matplotlib (``pip install 'ccrouter[plot]'``)."""

from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path
from typing import Any

from ccrouter.sim.confidence import Estimate
from ccrouter.sim.metrics import WAIT_EDGES
from ccrouter.sim.replications import SimulationResult

__all__ = [
    "CAMPAIGN_COLUMNS",
    "SELF_SERVICE_COLUMNS",
    "SUMMARY_METRICS",
    "campaign_rows",
    "format_estimate",
    "self_service_rows",
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


def format_estimate(est: Estimate, kind: str) -> str:
    """``mean ± half-width`` in the metric's unit."""
    if math.isnan(est.mean):
        return "-"
    scale, fmt, unit = {"pct": (100, ".1f", " %"), "sec": (1, ".1f", ""),
                        "count": (1, ".0f", ""), "num": (1, ".2f", "")}[kind]  # fmt: skip
    text = f"{est.mean * scale:{fmt}}"
    if not math.isnan(est.half_width):
        text += f" ± {est.half_width * scale:{fmt}}"
    return text + unit


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


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _band(ax: Any, hours: list[float], series: list[Estimate], label: str, scale: float) -> None:
    means = [e.mean * scale for e in series]
    lows = [(e.lower if not math.isnan(e.half_width) else e.mean) * scale for e in series]
    highs = [(e.upper if not math.isnan(e.half_width) else e.mean) * scale for e in series]
    (line,) = ax.step(hours, means, where="post", label=label)
    ax.fill_between(hours, lows, highs, step="post", alpha=0.25, color=line.get_color())


def _plots(result: SimulationResult) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hours = [t / 3600.0 for t in result.interval_starts]
    figures: list[tuple[str, str]] = []
    panels = (
        ("Service level by interval (95 % CI bands)", "service_level", 100.0, "%"),
        ("ASA by interval (95 % CI bands)", "asa", 1.0, "seconds"),
        ("Average queue length by interval", "queue_length", 1.0, "interactions waiting"),
    )
    for title, metric, scale, unit in panels:
        fig, ax = plt.subplots(figsize=(8, 3.2))
        for scope, metrics in result.per_interval.items():
            _band(ax, hours, metrics[metric], scope, scale)
        ax.set(title=title, xlabel="hour", ylabel=unit)
        ax.legend(fontsize="small")
        figures.append((title, _png(fig)))
        plt.close(fig)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    for group, series in result.group_occupancy.items():
        _band(ax, hours, series, group, 100.0)
    ax.set(title="Occupancy by agent group (95 % CI bands)", xlabel="hour", ylabel="%")
    ax.legend(fontsize="small")
    figures.append(("Occupancy by group", _png(fig)))
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    total = sum(result.wait_histogram)
    if total:
        edges = list(WAIT_EDGES[1:-1])
        above = [sum(result.wait_histogram[k + 1 :]) / total for k in range(len(edges))]
        ax.step(edges, above, where="post")
    ax.set(title="Waits of answered interactions: share waiting longer than t", xlabel="t (s)")
    figures.append(("Wait distribution", _png(fig)))
    plt.close(fig)
    return figures


def _engine(result: SimulationResult) -> str:
    """Which engine ran, and why not the compiled one when ``auto`` fell back."""
    if result.engine == "compiled":
        return "run on the compiled engine"
    why = result.not_compiled
    return "run on the router-driven engine" + (
        f" (not compiled: {html.escape(', '.join(why))})" if why else ""
    )


def write_report(result: SimulationResult, path: str | Path) -> Path:
    """Write the report to ``path`` (HTML with embedded plots) and return the path."""
    s = result.scenario
    header = "".join(
        f"<th>{html.escape(h)}</th>" for h in ["scope", *(t for _, t, _ in SUMMARY_METRICS)]
    )
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
        for row in summary_rows(result)
    )
    extra = ""
    if result.campaigns:
        extra += "<h2>Outbound campaigns</h2>" + _html_table(
            ["campaign", *(t for _, t, _ in CAMPAIGN_COLUMNS), "target abandon"],
            campaign_rows(result),
        )
    if result.self_service_overall:
        extra += "<h2>Self-service</h2>" + _html_table(
            ["call type", *(t for _, t, _ in SELF_SERVICE_COLUMNS)], self_service_rows(result)
        )
    if result.group_utilisation:
        extra += "<h2>Agent utilisation by group</h2>" + _html_table(
            ["group", "utilisation"], utilisation_rows(result)
        )
    images = "".join(
        f'<h2>{html.escape(title)}</h2><img alt="{html.escape(title)}" '
        f'src="data:image/png;base64,{data}">'
        for title, data in _plots(result)
    )
    text = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>ccrouter simulation: {html.escape(s.name)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2em .6em;text-align:right}}
</style></head><body>
<h1>Simulation: {html.escape(s.name or "scenario")}</h1>
<p>{result.replications} replications (seed {result.seed}), {result.customers:,} customers,
horizon {s.horizon / 3600:g} h in {s.n_intervals} intervals of {s.interval / 60:g} min,
warm-up {s.warmup:g} s, service-level threshold {s.threshold:g} s; {_engine(result)}.
Figures are means over replications ± the half-width of a 95 % Student-t confidence
interval.</p>
<table><tr>{header}</tr>{body}</table>
{extra}
{images}
</body></html>
"""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return out
