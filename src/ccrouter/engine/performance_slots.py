"""The per-slot models a queue's ``performance`` keys are read from, and the team's mean.

Derived data of :class:`~ccrouter.engine.performance.PerformanceBook` (rebuilt from its
totals when missing): per KPI, the ``(3, slots)`` model of
:mod:`ccrouter.engine.performance_kernel`, one column per agent slot, refreshed when that
agent's counters change; and the team mean μ a decision's parameters start from.
"""

from __future__ import annotations

import numpy as np

from ccrouter.engine.estimates import (
    CONV,
    DONE,
    FAIL,
    FIELDS,
    HT,
    NO_DATA_MEAN,
    NSAT,
    NVAL,
    SAT,
    SCALE,
    VAL,
    kpi_sums,
)
from ccrouter.engine.performance_kernel import DONE as DONE_ROW
from ccrouter.engine.performance_kernel import model_column

__all__ = ["KPIS", "ZERO", "SlotModels", "team_mean"]

KPIS = tuple(NO_DATA_MEAN)
"""The KPIs a queue can route by."""

ZERO = [0] * len(FIELDS)
"""Counters of nobody."""


_MEAN_OF = {
    "fcr": (DONE, FAIL, 0),
    "conversion": (NVAL, CONV, 1),
    "satisfaction": (NSAT, SAT, SCALE),
    "value": (NVAL, VAL, SCALE),
    "handle_time": (DONE, HT, SCALE),
}
"""Per KPI: the counters of its ``n`` and sum, and how the sum is read (0: ``n`` less the
failures; 1: as is; else fixed point over this scale), as :func:`kpi_sums` reads them."""


def team_mean(team: list[int], kpi: str) -> float:
    """μ: the team's mean of ``kpi`` from its counters (:data:`NO_DATA_MEAN` without data):
    ``sum / n`` of :func:`kpi_sums`, the same operations without the squares (hot path)."""
    n_at, s_at, scale = _MEAN_OF[kpi]
    n = team[n_at]
    if not n:
        return NO_DATA_MEAN[kpi]
    if scale == 0:
        return float(n - team[s_at]) / n
    return (float(team[s_at]) if scale == 1 else team[s_at] / scale) / n


class SlotModels:
    """Per KPI, the ``(3, slots)`` model of :mod:`~ccrouter.engine.performance_kernel` on one
    queue (derived: each column a function of one agent's counters and the prior weight)."""

    __slots__ = ("active", "done", "k", "models")

    def __init__(self, size: int, k: float) -> None:
        self.k = k
        self.models = {kpi: np.zeros((3, size)) for kpi in KPIS}
        self.done = 0.0
        """The contacts over the slots (a sum of whole numbers: exact)."""
        self.active = 0
        """The slots with contacts."""

    def mean(self) -> float:
        """n̄ (:func:`~ccrouter.engine.performance_kernel.done_mean` of the contacts)."""
        return self.done / self.active if self.active else 0.0

    def size(self) -> int:
        """The slots the models cover (at least the state's: grown as agents arrive)."""
        return self.models[KPIS[0]].shape[1]

    def grow(self, size: int) -> None:
        """Cover at least ``size`` slots (doubling: amortised O(1) per slot)."""
        for kpi, model in self.models.items():
            if model.shape[1] < size:
                grown = np.zeros((3, max(size, 2 * model.shape[1])))
                grown[:, : model.shape[1]] = model
                self.models[kpi] = grown

    def set(self, slot: int, counters: list[int] | None) -> None:
        """Refresh ``slot``'s column of every KPI's model from the agent's counters on the
        queue (``None``: it has none left), and the contacts' total and count (for n̄)."""
        if self.size() <= slot:
            self.grow(slot + 1)
        old = self.models[KPIS[0]][DONE_ROW, slot]
        new = float(counters[DONE]) if counters is not None else 0.0
        self.done += new - old
        self.active += int(new != 0) - int(old != 0)
        for kpi in KPIS:
            n, s, _ = kpi_sums(counters, kpi) if counters is not None else (0, 0.0, 0.0)
            a, b, done = model_column(float(n), s, new, self.k)
            model = self.models[kpi]  # (three scalar stores: cheaper than a column's)
            model[0, slot] = a
            model[1, slot] = b
            model[2, slot] = done
