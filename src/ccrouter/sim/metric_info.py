"""What each simulator metric is, for showing it: its title, its unit, the range it cannot
leave, whether the report plots it per interval.

One list, read by the confidence intervals (their clipping bounds), the text and HTML reports
(titles, units, which plots) and the JSON/CSV export. A metric that is not listed still works
everywhere: :func:`info` gives it a title from its name, plain numbers and the range
``[0, inf)`` (every figure the simulator reports is a count, a time, a length or a share), so
a metric added to :data:`ccrouter.sim.metrics.METRICS` appears in the per-interval table and
the export without rendering code; listing it here only names it better.

>>> info("service_level").bounds, info("asa").unit, info("new_metric").title
((0.0, 1.0), 's', 'new metric')
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple, TypeAlias

__all__ = ["METRIC_INFO", "Kind", "MetricInfo", "info"]

Kind: TypeAlias = Literal["pct", "sec", "count", "num"]
"""How a value is shown: a share as a percentage, seconds, a whole count, a plain number."""


class MetricInfo(NamedTuple):
    """How one metric is named, shown and bounded."""

    name: str
    title: str
    kind: Kind
    high: float = math.inf
    """Its largest possible value (1 for a share); the smallest is 0 for every metric."""
    plot: bool = False
    """Drawn per interval with its confidence band in the HTML report."""
    description: str = ""

    @property
    def bounds(self) -> tuple[float, float]:
        """``(lowest, highest)`` possible value: the confidence interval is clipped to it."""
        return 0.0, self.high

    @property
    def unit(self) -> str:
        """The unit shown after a value (``%``, ``s`` or nothing)."""
        return {"pct": "%", "sec": "s"}.get(self.kind, "")

    @property
    def scale(self) -> float:
        """The factor from the stored value to the shown one (100 for a share)."""
        return 100.0 if self.kind == "pct" else 1.0


METRIC_INFO: tuple[MetricInfo, ...] = (
    MetricInfo("offered", "offered", "count", description="arrivals in the interval"),
    MetricInfo("answered", "answered", "count"),
    MetricInfo("abandoned", "abandoned", "count"),
    MetricInfo("service_level", "service level", "pct", 1.0, plot=True,
               description="answered within the threshold over the definition's denominator"),
    MetricInfo("asa", "ASA", "sec", plot=True, description="mean wait of answered interactions"),
    MetricInfo("mean_wait", "mean wait", "sec", description="mean wait of all arrivals"),
    MetricInfo("abandonment_rate", "abandon rate", "pct", 1.0, plot=True),
    MetricInfo("p_wait", "P(wait)", "pct", 1.0, description="share of arrivals that queued"),
    MetricInfo("aht", "AHT", "sec", description="talk + wrap-up per handled interaction"),
    MetricInfo("occupancy", "occupancy", "pct", 1.0),
    MetricInfo("queue_length", "avg queue", "num", plot=True,
               description="time-average number waiting"),
    MetricInfo("staffed_agents", "staffed agents", "num"),
    MetricInfo("callbacks", "callbacks", "count"),
    MetricInfo("exited", "exited", "count"),
    MetricInfo("overdue", "overdue", "count"),
    # Outbound campaigns (ccrouter.sim.metrics.CAMPAIGN_METRICS).
    MetricInfo("dialed", "dialed", "count"),
    MetricInfo("no_answers", "no answers", "count"),
    MetricInfo("connects", "connects", "count"),
    MetricInfo("connect_rate", "connect rate", "pct", 1.0),
    MetricInfo("abandon_rate", "abandon rate", "pct", 1.0),
    # Agent groups.
    MetricInfo("utilisation", "utilisation", "pct", 1.0),
)  # fmt: skip
"""Every metric the simulator reports that has a better name than its own."""

_BY_NAME = {m.name: m for m in METRIC_INFO}


def info(name: str) -> MetricInfo:
    """The :class:`MetricInfo` of ``name`` (a default one, titled from the name, when it is not
    listed in :data:`METRIC_INFO`)."""
    return _BY_NAME.get(name) or MetricInfo(name, name.replace("_", " "), "num")
