"""Performance estimates from outcome counters: the formulas, one home (docs/performance.md).

A *contact* is one completed interaction, filed under the agent who completed it, the queue it
belonged to and the time it ended. Per (agent, queue) the performance projection keeps integer
counters (:data:`FIELDS`); real numbers (handle time, satisfaction, value) are summed in
fixed point (:data:`SCALE` units per 1), so sums are exact: adding and removing contacts in any
order gives the same counters, and a replay or a plain recomputation gives equal estimates.

Per KPI an agent has ``n`` observations with mean ``x̄`` (``None`` when ``n`` is 0) and the team
(every agent of the queue in the window) has ``N`` with mean ``μ``. The estimate is shrunk
towards the team's mean by the evidence::

    estimate = (n · x̄ + k · μ) / (n + k)          (k = RouterConfig.performance.prior_weight)

For a rate (FCR, conversion) this is the mean of a beta posterior whose prior is worth ``k``
contacts at the team's rate. Its standard error is ``sqrt(v / (n + k))`` where ``v`` is
``estimate · (1 − estimate)`` for a rate and the team's variance for a mean; the interval is
``estimate ± 1.96 · stderr``. With no team data at all ``μ`` is :data:`NO_DATA_MEAN` (every
agent then has the same estimate, and the strategy's ties fall to the longest idle).

>>> c = [0] * len(FIELDS)
>>> c[DONE], c[FAIL] = 4, 1  # 4 contacts, 1 not resolved at first contact
>>> e = estimate(kpi_sums(c, "fcr"), (100, 50, 50), prior_weight=10.0, kpi="fcr")
>>> e.n, e.observed, e.team, round(e.estimate, 4)
(4, 0.75, 0.5, 0.5714)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import msgspec

__all__ = [
    "CONV",
    "DONE",
    "FAIL",
    "FIELDS",
    "HT",
    "HT2",
    "NO_DATA_MEAN",
    "NSAT",
    "NVAL",
    "SAT",
    "SAT2",
    "SCALE",
    "VAL",
    "VAL2",
    "Estimate",
    "PerformanceRow",
    "add_into",
    "estimate",
    "fixed",
    "kpi_sums",
    "rows",
]

SCALE = 1_000_000
"""Fixed-point units per 1 of handle time (s), satisfaction and value."""

FIELDS = ("done", "fail", "ht", "ht2", "nsat", "sat", "sat2", "nval", "val", "val2", "conv")
"""The counters of one (agent, queue): contacts completed; of them not resolved at first
contact (an outcome ``resolved=False`` or a repeat contact, once per contact); handle time sum
and sum of squares; satisfaction count, sum, sum of squares; value count, sum, sum of squares;
values above 0 (conversions)."""
DONE, FAIL, HT, HT2, NSAT, SAT, SAT2, NVAL, VAL, VAL2, CONV = range(len(FIELDS))

NO_DATA_MEAN = {
    "fcr": 1.0,
    "satisfaction": 0.0,
    "conversion": 0.0,
    "value": 0.0,
    "handle_time": 0.0,
}
"""The team mean used when nobody of the queue has data for the KPI yet."""

_RATES = ("fcr", "conversion")
Sums = tuple[int, float, float]
"""(n, sum, sum of squares) of one KPI, in natural units."""


def fixed(x: float) -> int:
    """``x`` in fixed point (:data:`SCALE` units per 1), rounded to the nearest unit.

    >>> fixed(4.5), fixed(0.0000004)
    (4500000, 0)
    """
    return round(x * SCALE)


def add_into(target: list[int], source: Iterable[int], sign: int = 1) -> None:
    """Add (``sign`` -1: subtract) counters ``source`` into ``target``, field by field."""
    for i, v in enumerate(source):
        target[i] += sign * v


def kpi_sums(c: list[int] | tuple[int, ...], kpi: str) -> Sums:
    """(n, sum, sum of squares) of ``kpi`` from counters ``c`` (rates: successes count).

    >>> kpi_sums([3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], "fcr")
    (3, 2.0, 2.0)
    """
    if kpi == "fcr":
        ok = c[DONE] - c[FAIL]
        return c[DONE], float(ok), float(ok)
    if kpi == "conversion":
        return c[NVAL], float(c[CONV]), float(c[CONV])
    if kpi == "satisfaction":
        return c[NSAT], c[SAT] / SCALE, c[SAT2] / SCALE**2
    if kpi == "value":
        return c[NVAL], c[VAL] / SCALE, c[VAL2] / SCALE**2
    return c[DONE], c[HT] / SCALE, c[HT2] / SCALE**2  # handle_time


class Estimate(msgspec.Struct, frozen=True, kw_only=True):
    """One KPI of one agent on one queue over a window.

    Attributes:
        n: observations (contacts; for satisfaction, value and conversion: those that
            recorded it).
        observed: the agent's plain mean (``None`` without observations).
        team: the team's mean the estimate is shrunk towards.
        estimate: ``(n · observed + k · team) / (n + k)``.
        stderr: its standard error; ``low``/``high``: ``estimate ∓ 1.96 · stderr``.
    """

    n: int
    observed: float | None
    team: float
    estimate: float
    stderr: float
    low: float
    high: float


def estimate(agent: Sums, team: Sums, *, prior_weight: float, kpi: str) -> Estimate:
    """The shrunk estimate of ``kpi`` for ``agent``'s sums against the ``team``'s."""
    n, s, _ = agent
    big_n, big_s, big_sq = team
    mu = big_s / big_n if big_n else NO_DATA_MEAN[kpi]
    k = prior_weight
    est = (s + k * mu) / (n + k) if n + k > 0 else mu
    if kpi in _RATES:
        var = min(max(est * (1.0 - est), 0.0), 0.25)
        se = math.sqrt(var / (n + k + 1.0))
    else:
        var = max(big_sq / big_n - mu * mu, 0.0) if big_n else 0.0
        se = math.sqrt(var / (n + k)) if n + k > 0 else 0.0
    return Estimate(
        n=n,
        observed=s / n if n else None,
        team=mu,
        estimate=est,
        stderr=se,
        low=est - 1.96 * se,
        high=est + 1.96 * se,
    )


class PerformanceRow(msgspec.Struct, frozen=True, kw_only=True):
    """One agent on one queue over a window: its contacts and an :class:`Estimate` per KPI
    (``handle_time`` in seconds: lower is better)."""

    agent_id: str
    queue: str
    contacts: int
    fcr: Estimate
    satisfaction: Estimate
    conversion: Estimate
    value: Estimate
    handle_time: Estimate


def rows(
    totals: Mapping[tuple[str, str], list[int]], *, prior_weight: float
) -> list[PerformanceRow]:
    """One row per (agent, queue) of ``totals`` (counters keyed by (queue, agent)), sorted by
    queue then agent; each KPI shrunk towards that queue's team."""
    team: dict[str, list[int]] = {}
    for (queue, _), counters in totals.items():
        add_into(team.setdefault(queue, [0] * len(FIELDS)), counters)
    out = []
    for (queue, agent), c in sorted(totals.items()):
        kpis = {
            kpi: estimate(
                kpi_sums(c, kpi), kpi_sums(team[queue], kpi), prior_weight=prior_weight, kpi=kpi
            )
            for kpi in NO_DATA_MEAN
        }
        out.append(PerformanceRow(agent_id=agent, queue=queue, contacts=c[DONE], **kpis))
    return out
