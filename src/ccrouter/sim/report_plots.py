"""The plots of the simulation report, as PNG images (base64) for embedding in its HTML.

Every per-interval metric marked ``plot`` in :data:`ccrouter.sim.metric_info.METRIC_INFO` gets
a panel, drawn from that list (a metric added there appears without code here). Each series is
a step over the interval *edges*, closed at the end of the last interval (``where="post"`` over
``starts + [end]``), so the last interval is as wide as the others; its 95 % band is the
clipped confidence interval (:mod:`ccrouter.sim.confidence`), so a service level never passes
100 % nor a wait 0. Queues are told apart by colour *and* line style and marker; with one queue
the queue's line is the centre's ("all") line, so only that one is drawn. Legends sit outside
the axes at the normal font size. With a self-service stage, two more figures: its
containment rate and its outcomes (entered, contained, ...) per interval. Needs matplotlib
(``pip install 'ccrouter[plot]'``).
"""

from __future__ import annotations

import base64
import io
import itertools
import math
from typing import Any, NamedTuple

from ccrouter.errors import MissingDependency
from ccrouter.sim.confidence import Estimate
from ccrouter.sim.metric_info import info
from ccrouter.sim.metrics import WAIT_EDGES
from ccrouter.sim.replications import SimulationResult
from ccrouter.stats.definitions import describe_service_level

__all__ = ["SELF_SERVICE_COUNTS", "Plot", "draw_containment", "draw_outcomes", "plots",
           "plotting_available", "require_plotting", "self_service_plots"]  # fmt: skip

_MISSING = "the simulation report draws plots with matplotlib: pip install 'ccrouter[plot]'"
_STYLES = ("-", "--", "-.", ":")
_MARKERS = ("s", "^", "D", "v", "P", "X", "*", "h")
_FIGSIZE = (10.0, 3.6)
_DPI = 100


class Plot(NamedTuple):
    """One figure of the report."""

    title: str
    png: str
    """The PNG, base64-encoded."""
    caption: str = ""


def plotting_available() -> bool:
    """Whether matplotlib can be imported (checked before a long run, not after it)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def require_plotting() -> None:
    """Raise :class:`~ccrouter.errors.MissingDependency` when matplotlib is missing.

    Raises:
        MissingDependency: matplotlib is not installed.
    """
    if not plotting_available():
        raise MissingDependency(_MISSING)


def _figure() -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    # A bare Figure (no pyplot): no global state, no GUI backend, safe in threads and workers.
    fig = Figure(figsize=_FIGSIZE, dpi=_DPI, layout="constrained")
    return fig, fig.add_subplot()


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI)
    return base64.b64encode(buffer.getvalue()).decode()


def _edges(result: SimulationResult) -> list[float]:
    """Interval edges in hours of the clock (from the scenario's ``origin``): every start,
    then the end of the last interval."""
    s = result.scenario
    starts = [(s.origin + t) / 3600.0 for t in result.interval_starts]
    end = min(s.horizon, result.interval_starts[-1] + s.interval)
    return [*starts, (s.origin + end) / 3600.0]


def _series(
    ax: Any, edges: list[float], series: list[Estimate], label: str, scale: float, k: int
) -> None:
    """One step line with its band; ``k`` picks the colour, line style and marker."""

    def closed(values: list[float]) -> list[float]:
        return [*values, values[-1]] if values else values

    means = [e.mean * scale for e in series]
    lows = [(e.lower if not math.isnan(e.half_width) else e.mean) * scale for e in series]
    highs = [(e.upper if not math.isnan(e.half_width) else e.mean) * scale for e in series]
    centre = label == "all"
    (line,) = ax.step(
        edges,
        closed(means),
        where="post",
        label=label,
        color="black" if centre else f"C{k % 10}",
        linestyle="-" if centre else _STYLES[k % len(_STYLES)],
        linewidth=2.0 if centre else 1.5,
    )
    # Markers at interval mid-points: the step itself has none, so they tell lines apart.
    mids = [(a + b) / 2.0 for a, b in itertools.pairwise(edges)]
    ax.plot(mids, means, linestyle="none", marker="o" if centre else _MARKERS[k % len(_MARKERS)],
            markersize=4, color=line.get_color())  # fmt: skip
    ax.fill_between(edges, closed(lows), closed(highs), step="post", alpha=0.18,
                    color=line.get_color(), linewidth=0)  # fmt: skip


def _scopes(result: SimulationResult) -> list[str]:
    """The scopes drawn: every queue and "all", or only "all" when there is one queue (its
    line would be the same and hide the other)."""
    scopes = list(result.per_interval)
    return ["all"] if len(scopes) <= 2 and "all" in scopes else scopes


def _finish(ax: Any, edges: list[float], ylabel: str, top: float) -> None:
    # No title in the image: the report heads each figure with it (no twice-told titles).
    ax.set_xlabel("hour")
    ax.set_ylabel(ylabel)
    ax.set_xlim(edges[0], edges[-1])
    if top < math.inf:  # a share: the whole 0-100 % range, so levels compare across plots
        ax.set_ylim(0, top * 1.02)
    else:
        ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="medium", frameon=False)


SELF_SERVICE_COUNTS: tuple[tuple[str, str], ...] = (
    ("entered", "entered"),
    ("contained", "contained"),
    ("opted_out", "opted out"),
    ("escalated", "escalated"),
    ("automated", "automated"),
    ("repeats", "repeat contacts"),
)
"""The self-service counts drawn per interval (metric, legend label)."""


def draw_containment(ax: Any, result: SimulationResult, edges: list[float]) -> None:
    """The containment rate per call type with a stage (with one, only "all", named after
    it, as the other plots name a single queue) on ``ax``."""
    scopes = list(result.self_service)
    only = [q for q in scopes if q != "all"]
    one = len(only) == 1 and "all" in scopes
    for k, scope in enumerate(["all"] if one else scopes):
        _series(ax, edges, result.self_service[scope]["containment_rate"], scope, 100.0, k)
    if one:
        ax.get_lines()[0].set_label(f"{only[0]} (all)")
    _finish(ax, edges, "%", 100.0)


def draw_outcomes(ax: Any, result: SimulationResult, edges: list[float]) -> None:
    """The stage's counts (:data:`SELF_SERVICE_COUNTS`) over every call type with a stage,
    one line each, on ``ax``."""
    both = result.self_service.get("all", {})
    for k, (metric, label) in enumerate(SELF_SERVICE_COUNTS):
        if metric in both:
            _series(ax, edges, both[metric], label, 1.0, k)
    _finish(ax, edges, "customers per interval", math.inf)


def self_service_plots(result: SimulationResult, edges: list[float] | None = None) -> list[Plot]:
    """The self-service stage per interval of entry into it, when a call type has one (else
    no figure): the containment rate (:func:`draw_containment`) and the counts of every
    stage together (:func:`draw_outcomes`), means with their 95 % bands.

    Raises:
        MissingDependency: matplotlib is not installed.
    """
    if not result.self_service:
        return []
    require_plotting()
    edges = _edges(result) if edges is None else edges
    names = ", ".join(q for q in result.self_service if q != "all")
    fig, ax = _figure()
    draw_containment(ax, result, edges)
    rate = Plot(
        "Self-service containment rate by interval (mean, 95 % CI band)",
        _png(fig),
        "contained / entered, by the interval customers entered the stage",
    )
    fig, ax = _figure()
    draw_outcomes(ax, result, edges)
    counts = Plot(
        "Self-service outcomes by interval (mean, 95 % CI band)",
        _png(fig),
        f"customers entering the stage ({names}) and what became of them, by the interval "
        "they entered; automated: escalated customers the bot partly served; repeats: the "
        "contained customers' later contacts",
    )
    return [rate, counts]


def plots(result: SimulationResult) -> list[Plot]:
    """Every figure of the report: one per plotted per-interval metric, occupancy by agent
    group, the self-service stage (:func:`self_service_plots`, when there is one), the
    distribution of answered waits.

    Raises:
        MissingDependency: matplotlib is not installed.
    """
    require_plotting()
    edges = _edges(result)
    s = result.scenario
    scopes = _scopes(result)
    metrics = [m for m in next(iter(result.per_interval.values()), {}) if info(m).plot]
    figures: list[Plot] = []
    for m in metrics:
        meta = info(m)
        fig, ax = _figure()
        for k, scope in enumerate(scopes):
            _series(ax, edges, result.per_interval[scope][m], scope, meta.scale, k)
        if scopes == ["all"] and len(result.per_interval) == 2:  # name the only queue
            only = next(q for q in result.per_interval if q != "all")
            ax.get_lines()[0].set_label(f"{only} (all)")
        title = f"{meta.title[0].upper()}{meta.title[1:]} by interval (mean, 95 % CI band)"
        ylabel = {"pct": "%", "sec": "seconds"}.get(meta.kind, meta.title)
        _finish(ax, edges, ylabel, meta.high * meta.scale)
        caption = (
            describe_service_level(s.sl_definition, s.threshold) if m == "service_level" else ""
        )
        figures.append(Plot(title, _png(fig), caption or meta.description))
    if result.group_occupancy:
        fig, ax = _figure()
        for k, (group, series) in enumerate(result.group_occupancy.items()):
            _series(ax, edges, series, group, 100.0, k)
        title = "Occupancy by agent group (mean, 95 % CI band)"
        _finish(ax, edges, "%", 100.0)
        figures.append(Plot(title, _png(fig), "handling time over staffed time"))
    figures += self_service_plots(result, edges)
    fig, ax = _figure()
    total = sum(result.wait_histogram)
    if total:
        limits = list(WAIT_EDGES[1:-1])
        above = [100.0 * sum(result.wait_histogram[k + 1 :]) / total for k in range(len(limits))]
        ax.step(limits, above, where="post", color="C0", linewidth=1.5)
        ax.axvline(s.threshold, color="grey", linestyle="--", linewidth=1)
        ax.annotate(f"threshold {s.threshold:g} s", (s.threshold, 0.95), xycoords=("data",
                    "axes fraction"), xytext=(4, 0), textcoords="offset points", va="top",
                    color="grey")  # fmt: skip
    title = "Waits of answered interactions: share waiting longer than t"
    ax.set(xlabel="t (s)", ylabel="% of answered")
    ax.set_ylim(0, 102)
    if total:  # up to where 99.9 % of the waits are (a long empty tail hides the shape)
        tail = next((t for t, a in zip(limits, above, strict=True) if a < 0.1), limits[-1])
        ax.set_xlim(0, min(limits[-1], max(2.0 * s.threshold, 1.2 * tail, 10.0)))
    ax.grid(alpha=0.3)
    figures.append(Plot(title, _png(fig), "all replications pooled"))
    return figures
