"""The coverage-versus-requirement picture (PNG), optionally with the simulated service level.

Drawn as stairs over interval edges, so the last interval is as wide as the others; shortfall
shaded red, over-coverage light; a week gets one tick per day. Needs matplotlib (the ``plot``
extra): without it, :class:`PlotUnavailable` says how to install it.
"""

from __future__ import annotations

import itertools
import math
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from ccrouter.errors import CCRouterError

if TYPE_CHECKING:
    from ccrouter.schedule.result import Schedule
    from ccrouter.sim.replications import SimulationResult

__all__ = ["PlotUnavailable", "plot_coverage"]


class PlotUnavailable(CCRouterError, ImportError):
    """matplotlib is not installed: ``pip install 'ccrouter[plot]'``."""


def _figure_class() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        msg = "the coverage plot needs matplotlib: pip install 'ccrouter[plot]'"
        raise PlotUnavailable(msg) from None
    return Figure


def plot_coverage(
    schedule: Schedule,
    path: str | os.PathLike[str],
    *,
    simulated: SimulationResult | None = None,
    service_level_goal: float | None = None,
) -> None:
    """Save a PNG of agents working against agents required per interval.

    Args:
        schedule: the solved schedule.
        path: where to write the PNG.
        simulated: a simulation of the schedule (:func:`~ccrouter.schedule.simulate_schedule`):
            a second panel shows its service level per interval with the 95 % interval.
        service_level_goal: drawn as a dotted line on that panel.

    Raises:
        PlotUnavailable: matplotlib is not installed.
    """
    figure_class = _figure_class()
    req = schedule.requirements
    hours = req.interval / 3600.0
    edges = np.arange(len(req.values) + 1) * hours
    need = np.asarray(req.values, dtype=float)
    have = np.asarray(schedule.coverage, dtype=float)
    panels = 2 if simulated is not None else 1
    width = min(16.0, max(8.0, 0.06 * len(req.values) + 4.0))
    fig = figure_class(figsize=(width, 3.6 * panels + 0.8), layout="constrained")
    axes = fig.subplots(panels, 1, sharex=True, squeeze=False)[:, 0]
    ax = axes[0]
    ax.stairs(np.minimum(have, need), edges, baseline=need, fill=True, color="tab:red",
              alpha=0.35, label="short")  # fmt: skip
    ax.stairs(np.maximum(have, need), edges, baseline=need, fill=True, color="tab:orange",
              alpha=0.2, label="over")  # fmt: skip
    # Scheduled first and wider, the requirement thin on top: both stay visible where equal.
    # baseline=None: no vertical drop to zero at either end of the horizon.
    ax.stairs(have, edges, baseline=None, color="tab:blue", lw=2.6, label="scheduled (working)")
    ax.stairs(need, edges, baseline=None, color="black", lw=1.1, label="required")
    ax.set_ylabel("agents")
    top = max(float(need.max(initial=0.0)), float(have.max(initial=0.0)), 1.0)
    ax.set_ylim(0, top * 1.2)  # headroom for the legend
    ax.grid(alpha=0.3)
    what = "shifts" if schedule.counts_shifts else "cost"
    ax.set_title(
        f"Coverage vs requirement: {schedule.total_shifts} shifts, {what} {schedule.cost:g} "
        f"({schedule.status.lower()}), "
        + (
            f"{len(schedule.uncoverable)} interval(s) short"
            if schedule.uncoverable
            else "every interval covered"
        ),
        fontsize=11,
    )
    ax.legend(loc="upper left", fontsize=9, ncols=4)
    if simulated is not None:
        _service_level_panel(axes[1], simulated, service_level_goal)
    _time_axis(axes[-1], edges[-1], req.origin / 3600.0)
    fig.savefig(path, format="png", dpi=110)


def _service_level_panel(ax: Any, result: SimulationResult, goal: float | None) -> None:
    estimates = result.per_interval["all"]["service_level"]
    step = result.scenario.interval / 3600.0
    edges = np.arange(len(estimates) + 1) * step
    mean = np.array([e.mean for e in estimates], dtype=float)
    low = np.clip([e.lower for e in estimates], 0.0, 1.0)
    high = np.clip([e.upper for e in estimates], 0.0, 1.0)
    low = np.where(np.isnan(low), mean, low)
    high = np.where(np.isnan(high), mean, high)
    ax.stairs(high, edges, baseline=low, fill=True, color="tab:green", alpha=0.25,
              label="95 % interval")  # fmt: skip
    ax.stairs(np.clip(mean, 0.0, 1.0), edges, baseline=None, color="tab:green", lw=1.6,
              label="service level (mean)")  # fmt: skip
    if goal is not None:
        ax.axhline(goal, ls=":", color="black", label=f"goal {goal:.0%}")
    threshold = result.scenario.threshold
    floor = float(np.nanmin(low, initial=1.0))
    floor = min(floor, goal if goal is not None else 1.0)
    ax.set_ylim(max(0.0, math.floor(floor * 10) / 10 - 0.2), 1.08)  # room for the legend
    ax.set_ylabel(f"answered within {threshold:g} s")
    ax.grid(alpha=0.3)
    ax.set_title(f"Simulated service level, {result.replications} replications",
                 fontsize=11)  # fmt: skip
    ax.legend(loc="upper left", fontsize=9, ncols=3)


def _time_axis(ax: Any, end: float, origin: float) -> None:
    """Hours from the first interval on the data; ticks at clock times (``origin`` hours)."""
    if end > 36:
        midnights = np.arange(24.0 - origin % 24.0, end, 24.0)
        for d in midnights:
            ax.axvline(d, color="grey", lw=0.8, alpha=0.6)
        bounds = [0.0, *midnights.tolist(), end]
        ticks = np.array([(a + b) / 2 for a, b in itertools.pairwise(bounds)])
        labels = [f"day {int((origin + t) // 24) + 1}" for t in ticks]
    else:
        every = 1.0 if end <= 14 else 2.0
        first = math.ceil(origin / every) * every - origin
        ticks = np.arange(first, end + 1e-9, every)
        labels = [f"{int(origin + t) % 24:02d}:{round((origin + t) % 1 * 60):02d}" for t in ticks]
    ax.set_xticks(ticks, labels)
    ax.set_xlim(0, end)
    ax.set_xlabel("time")
