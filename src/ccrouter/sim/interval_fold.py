"""Per-interval service levels at several thresholds from one compiled run.

The compiled engine folds its metrics at one threshold (the scenario's), so a search whose
queues have thresholds of their own would run every replication once per threshold. For the
scenarios where each interaction is queued once and ends answered or abandoned in that queue
(:func:`one_pass`: no overflows, exits, callbacks, overdue moves or ring delay), the run's
interaction table already says all that is needed: for each interaction, the queue it arrived
in, when it was queued, when it was accepted and whether it was abandoned. One run kept with
its interactions gives every queue's service level at its own threshold and abandonment rate
per interval, equal to what :func:`~ccrouter.sim.metrics.compute_metrics` reports
(``tests/sim/test_interval_search.py`` holds them equal).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from ccrouter.sim.compiled import _layout as lay
from ccrouter.sim.compiled.run import finished_state
from ccrouter.sim.scenario import Scenario

__all__ = ["day_levels", "interval_levels", "one_pass"]


def one_pass(scenario: Scenario) -> bool:
    """Whether every interaction of ``scenario`` is queued once, in the queue it arrived in,
    and ends answered or abandoned there (then :func:`interval_levels` applies)."""
    config = scenario.router_config()
    # Without a ring delay every offer is accepted at once: offer time-outs never fire.
    if scenario.ring_delay is not None or scenario.campaigns:
        return False
    if scenario.sl_definition != "offered":  # the fold divides by every arrival
        return False
    if any(ct.callback is not None for ct in scenario.call_types):
        return False
    for name in config.queues:
        q = config.queue(name)
        if (
            q.overflow_to is not None
            or q.max_wait is not None
            or q.max_size is not None
            or q.max_wait_no_agents is not None
            or q.callback_after is not None
            or q.overdue_queue is not None
            or q.steps
        ):
            return False
    return True


def interval_levels(
    scenario: Scenario,
    seed: np.random.SeedSequence,
    thresholds: Mapping[str, float],
) -> dict[str, tuple[list[float], list[float]]]:
    """One compiled replication of ``scenario`` (``one_pass`` must hold): per queue of
    ``thresholds``, the service level at its threshold and the abandonment rate, per interval
    (``nan``: no arrivals).

    Raises:
        SimulationError: the run kept running out of room.
    """
    state, packed = finished_state(scenario, seed, keep_events=True)
    queues = list(packed.queues)
    return {
        q: (sl, ab) for q, (sl, ab, _, _) in _levels(scenario, state, queues, thresholds).items()
    }


def day_levels(
    scenario: Scenario,
    seed: np.random.SeedSequence,
    thresholds: Mapping[str, float],
) -> dict[str, tuple[float, float, list[float], list[float]]]:
    """As :func:`interval_levels`, and over the whole run: per queue, the service level and
    abandonment rate of all its calls, then the per-interval lists (``nan``: no arrivals).

    Raises:
        SimulationError: the run kept running out of room.
    """
    state, packed = finished_state(scenario, seed, keep_events=True)
    queues = list(packed.queues)
    return {
        q: (day_sl, day_ab, sl, ab)
        for q, (sl, ab, day_sl, day_ab) in _levels(scenario, state, queues, thresholds).items()
    }


def _levels(
    scenario: Scenario,
    state: object,
    queues: Sequence[str],
    thresholds: Mapping[str, float],
) -> dict[str, tuple[list[float], list[float], float, float]]:
    """Per queue: service levels and abandonment rates per interval, then over all intervals."""
    n = scenario.n_intervals
    count = int(state.cnt[lay.N_INT])  # type: ignore[attr-defined]
    table = state.I[:count]  # type: ignore[attr-defined]
    times = state.F[:count]  # type: ignore[attr-defined]
    queued = times[:, lay.F_QAT]
    bucket = np.floor(queued / scenario.interval).astype(np.int64)
    inside = (bucket >= 0) & (bucket < n) & (queued < scenario.horizon)
    status = table[:, lay.I_STATUS]
    answered = (status == lay.S_COMPLETED) | (status == lay.S_CONNECTED)
    abandoned = status == lay.S_ABANDONED
    wait = times[:, lay.F_ACC_AT] - queued
    where = table[:, lay.I_FQ]
    out = {}
    for queue, threshold in thresholds.items():
        if queue not in queues:
            out[queue] = ([math.nan] * n, [math.nan] * n, math.nan, math.nan)
            continue
        mine = inside & (where == queues.index(queue))
        offered = np.bincount(bucket[mine], minlength=n)[:n]
        within = np.bincount(bucket[mine & answered & (wait <= threshold)], minlength=n)[:n]
        gone = np.bincount(bucket[mine & abandoned], minlength=n)[:n]
        with np.errstate(invalid="ignore", divide="ignore"):
            sl = np.where(offered > 0, within / np.maximum(offered, 1), np.nan)
            ab = np.where(offered > 0, gone / np.maximum(offered, 1), np.nan)
        total = int(offered.sum())
        day_sl = int(within.sum()) / total if total else math.nan
        day_ab = int(gone.sum()) / total if total else math.nan
        out[queue] = (sl.tolist(), ab.tolist(), day_sl, day_ab)
    return out
