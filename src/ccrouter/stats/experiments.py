"""Experiment reports: the arms of a queue's experiment compared, with confidence intervals.

A queue with ``experiment`` (``QueueConfig.experiment``, docs/performance.md) records each
arrival's arm in an :class:`~ccrouter.events.ExperimentAssigned` event. This folds a log (any
store, no router) into, per arm: the work assigned, answered and lost, the average speed of
answer (from arrival to the first acceptance), the service level (answered within ``T``
seconds, over the work that was answered or lost), and the KPI over the arm's completed
contacts; then arm ``b`` minus arm ``a`` for each, so a manager sees the lift and its cost in
waiting.

Intervals are normal approximations at 95 %: ``mean ± 1.96 · s / √n`` for means and
``p ± 1.96 · √(p (1 − p) / n)`` for shares; a difference's standard error is
``√(se_a² + se_b²)`` (independent arms). With few contacts they are rough: read ``n``.

>>> from ccrouter import Router, RouterConfig
>>> r = Router(RouterConfig.from_dict({"queues": {"default": {"experiment": {
...     "name": "e", "split": "time", "slice": 100, "arm_b": {"strategy": "most_skilled"}}}}}))
>>> _ = r.login("ann", skills={}, at=0); _ = r.ready("ann", at=0)
>>> _ = r.submit("c1", channel="voice", at=10); _ = r.accept("c1", at=14)
>>> _ = r.complete("c1", at=60, outcome={"satisfaction": 4})
>>> _ = r.submit("c2", channel="voice", at=150); _ = r.accept("c2", at=151)
>>> report = experiment_report(r.events, "e", kpi="satisfaction")
>>> report.arms["a"].asa.mean, report.arms["b"].asa.mean, report.arms["a"].kpi.mean
(4.0, 1.0, 4.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import msgspec

from ccrouter.errors import InvalidArgument
from ccrouter.events import (
    Event,
    ExperimentAssigned,
    InteractionAbandoned,
    InteractionCompleted,
    InteractionExited,
    InteractionQueued,
    InteractionTransferred,
    OfferAccepted,
    OutcomeRecorded,
    RepeatContact,
    TransferAccepted,
)

__all__ = ["ArmReport", "Difference", "ExperimentReport", "Interval", "experiment_report"]

KPIS = ("fcr", "satisfaction", "conversion", "value", "handle_time")
_Z = 1.96


class Interval(msgspec.Struct, frozen=True, kw_only=True):
    """A mean (or share) over ``n`` observations with its 95 % interval (``None``s: no data)."""

    n: int
    mean: float | None
    low: float | None
    high: float | None
    stderr: float | None


class Difference(msgspec.Struct, frozen=True, kw_only=True):
    """Arm ``b`` minus arm ``a``, with its 95 % interval (``None``s: an arm has no data)."""

    diff: float | None
    low: float | None
    high: float | None


class ArmReport(msgspec.Struct, frozen=True, kw_only=True):
    """One arm: ``assigned`` arrivals, ``answered`` (accepted), ``lost`` (abandoned or exited
    unanswered), ``asa`` (seconds to answer), ``service_level`` (answered within ``T`` over
    answered + lost) and ``kpi`` over its completed contacts."""

    arm: str
    assigned: int
    answered: int
    lost: int
    asa: Interval
    service_level: Interval
    kpi: Interval


class ExperimentReport(msgspec.Struct, frozen=True, kw_only=True):
    """An experiment's arms and ``b − a`` for the KPI, the ASA and the service level."""

    experiment: str
    kpi: str
    service_level_seconds: float
    arms: dict[str, ArmReport]
    kpi_lift: Difference
    asa_cost: Difference
    service_level_change: Difference


def _mean(values: list[float], *, share: bool = False) -> Interval:
    n = len(values)
    if n == 0:
        return Interval(n=0, mean=None, low=None, high=None, stderr=None)
    mean = math.fsum(values) / n
    if share:
        var = mean * (1.0 - mean)
    else:
        var = math.fsum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
    se = math.sqrt(var / n)
    return Interval(n=n, mean=mean, low=mean - _Z * se, high=mean + _Z * se, stderr=se)


def _diff(a: Interval, b: Interval) -> Difference:
    if a.mean is None or b.mean is None or a.stderr is None or b.stderr is None:
        return Difference(diff=None, low=None, high=None)
    d = b.mean - a.mean
    se = math.sqrt(a.stderr**2 + b.stderr**2)
    return Difference(diff=d, low=d - _Z * se, high=d + _Z * se)


def experiment_report(
    events: Iterable[Event],
    experiment: str,
    *,
    kpi: str = "fcr",
    service_level_seconds: float = 20.0,
) -> ExperimentReport:
    """Compare the arms of ``experiment`` over ``events`` (a log, any window of it that holds
    the arrivals).

    Raises:
        InvalidArgument: ``kpi`` is not one of fcr, satisfaction, conversion, value,
            handle_time, or ``service_level_seconds`` is negative.
    """
    if kpi not in KPIS:
        msg = f"kpi must be one of {', '.join(KPIS)}, got {kpi!r}"
        raise InvalidArgument(msg)
    if not (isinstance(service_level_seconds, int | float) and service_level_seconds >= 0):
        msg = f"service_level_seconds must be a number >= 0, got {service_level_seconds!r}"
        raise InvalidArgument(msg)
    arm: dict[str, str] = {}
    arrived: dict[str, float] = {}
    waits: dict[str, float] = {}
    lost: set[str] = set()
    accepted: dict[str, float] = {}
    completed: dict[str, float] = {}  # interaction -> handle time (its last leg)
    failed: set[str] = set()
    satisfaction: dict[str, float] = {}
    value: dict[str, float] = {}
    for e in events:
        if isinstance(e, ExperimentAssigned):
            if e.experiment == experiment:
                arm[e.interaction_id] = e.arm
        elif isinstance(e, InteractionQueued):
            arrived.setdefault(e.interaction_id, e.at)
        elif isinstance(e, OfferAccepted):
            iid = e.interaction_id
            accepted[iid] = e.at
            if iid not in waits and iid in arrived:
                waits[iid] = e.at - arrived[iid]
        elif isinstance(e, TransferAccepted):
            accepted[e.interaction_id] = e.at
        elif isinstance(e, InteractionTransferred):
            accepted.pop(e.interaction_id, None)
        elif isinstance(e, InteractionCompleted):
            completed[e.interaction_id] = e.at - accepted.pop(e.interaction_id, e.at)
        elif isinstance(e, InteractionAbandoned) or (
            isinstance(e, InteractionExited) and e.overflow_to is None
        ):
            if e.interaction_id not in waits:
                lost.add(e.interaction_id)
        elif isinstance(e, OutcomeRecorded):
            if e.resolved is False:
                failed.add(e.interaction_id)
            if e.satisfaction is not None:
                satisfaction[e.interaction_id] = e.satisfaction
            if e.value is not None:
                value[e.interaction_id] = e.value
        elif isinstance(e, RepeatContact):
            failed.add(e.previous_id)
    arms: dict[str, ArmReport] = {}
    for name in ("a", "b"):
        mine = [iid for iid, a in arm.items() if a == name]
        answered = [waits[i] for i in mine if i in waits]
        gone = [i for i in mine if i in lost]
        within = [1.0 if w <= service_level_seconds else 0.0 for w in answered]
        contacts = [i for i in mine if i in completed]
        if kpi == "fcr":
            values = [0.0 if i in failed else 1.0 for i in contacts]
        elif kpi == "satisfaction":
            values = [satisfaction[i] for i in contacts if i in satisfaction]
        elif kpi == "conversion":
            values = [1.0 if value[i] > 0 else 0.0 for i in contacts if i in value]
        elif kpi == "value":
            values = [value[i] for i in contacts if i in value]
        else:
            values = [completed[i] for i in contacts]
        arms[name] = ArmReport(
            arm=name,
            assigned=len(mine),
            answered=len(answered),
            lost=len(gone),
            asa=_mean(answered),
            service_level=_mean(within + [0.0] * len(gone), share=True),
            kpi=_mean(values, share=kpi in ("fcr", "conversion")),
        )
    a, b = arms["a"], arms["b"]
    return ExperimentReport(
        experiment=experiment,
        kpi=kpi,
        service_level_seconds=float(service_level_seconds),
        arms=arms,
        kpi_lift=_diff(a.kpi, b.kpi),
        asa_cost=_diff(a.asa, b.asa),
        service_level_change=_diff(a.service_level, b.service_level),
    )
