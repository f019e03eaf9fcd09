"""The customers of one replication, drawn once for both engines.

Both the router-driven engine (``engine.py``) and the compiled engine's packing
(``compiled/pack.py``) get their customers here, so they see the same ones: per call type,
the times they reach the router, their handle times, patience and attributes. The draw:

1. arrival times, handle times and patience from the call type's named streams
   (``arrivals/<name>``, ``handle/<name>``, ``patience/<name>``), exactly as before the
   features below existed: a scenario that uses none of them draws the same numbers;
2. with ``handle_means`` (one value, or one per interval), each handle draw is scaled so the
   distribution's mean becomes the value of the customer's arrival interval (scaling keeps
   common random numbers: the same draw, longer or shorter);
3. with a ``self_service`` stage (``ccrouter.sim.self_service``), customers pass through it:
   contained ones leave, the others reach the router later, some with a handle-time factor;
   repeats of contained customers join their target call type after the delay;
4. each call type's remaining customers are ordered by the time they reach the router.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from ccrouter.sim.attributes import draw_all, parse_specs
from ccrouter.sim.distributions import mean_of, sample
from ccrouter.sim.scenario import CallType, PoissonArrivals, Scenario
from ccrouter.sim.self_service import SELF_SERVICE_METRICS, StageDraw, draw_stage

__all__ = ["Customers", "arrival_times", "draw_customers", "self_service_counts", "source_rng"]


def source_rng(seed: np.random.SeedSequence, source: str) -> np.random.Generator:
    """The generator of one named source within a replication.

    It is ``seed``'s child with spawn key ``crc32(source)``: the same mechanism as
    ``SeedSequence.spawn``, but keyed by name, so adding a call type or an agent group leaves
    every other source's numbers unchanged.
    """
    key = zlib.crc32(source.encode())
    child = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, key))
    return np.random.default_rng(child)


def arrival_times(scenario: Scenario, index: int, rng: np.random.Generator) -> np.ndarray:
    """Arrival times of call type ``index`` over the horizon (sorted)."""
    arrivals = scenario.call_types[index].arrivals
    if not isinstance(arrivals, PoissonArrivals):
        times = np.asarray(arrivals.times, dtype=np.float64)
        return times[times < scenario.horizon]
    rates = arrivals.rates_per_hour
    chunks = []
    for k in range(scenario.n_intervals):
        lo = k * scenario.interval
        hi = min(scenario.horizon, lo + scenario.interval)
        rate = rates[k] if len(rates) > 1 else rates[0]
        n = int(rng.poisson(rate / 3600.0 * (hi - lo)))
        chunks.append(np.sort(rng.uniform(lo, hi, n)))
    return np.concatenate(chunks) if chunks else np.empty(0)


class Customers:
    """One call type's customers who reach the router, in the order they reach it.

    Attributes:
        times: when each reaches the router (sorted).
        handle: handle times (before an agent group's ``handle_factor``).
        patience: patience, or ``None`` when the call type has none.
        attributes: interaction attributes of each (an empty list when the call type has
            none: no mapping per customer to build).
        stage: the self-service counts per interval of entry, by
            :data:`~ccrouter.sim.self_service.SELF_SERVICE_METRICS` name (empty without a
            stage; ``containment_rate`` is derived later).
    """

    __slots__ = ("attributes", "handle", "patience", "stage", "times")

    def __init__(
        self,
        times: np.ndarray,
        handle: np.ndarray,
        patience: np.ndarray | None,
        attributes: list[dict[str, Any]],
        stage: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.times = times
        self.handle = handle
        self.patience = patience
        self.attributes = attributes
        self.stage = stage if stage is not None else {}


def _named(seed: np.random.SeedSequence, prefix: str) -> Callable[[str], np.random.Generator]:
    """``name -> source_rng(seed, prefix + name)``."""

    def stream(name: str) -> np.random.Generator:
        return source_rng(seed, prefix + name)

    return stream


def _interval_of(s: Scenario, times: np.ndarray) -> np.ndarray:
    """Each time's interval index (times past the horizon in the last interval)."""
    k: np.ndarray = np.clip(
        np.floor_divide(times, s.interval).astype(np.int64), 0, s.n_intervals - 1
    )
    return k


def _scale(s: Scenario, ct: CallType, times: np.ndarray, handle: np.ndarray) -> np.ndarray:
    """Handle draws scaled to the call type's ``handle_means`` of each arrival's interval."""
    if ct.handle_means is None:
        return handle
    means = np.asarray(ct.handle_means, dtype=np.float64)
    per = means[_interval_of(s, times)] if len(means) > 1 else np.full(len(times), means[0])
    scaled: np.ndarray = handle * (per / mean_of(ct.handle))
    return scaled


def _attributes(
    ct: CallType, seed: np.random.SeedSequence, prefix: str, n: int
) -> list[dict[str, Any]]:
    """``n`` customers' attributes from the streams ``prefix`` + name (none: an empty list)."""
    if not ct.attributes:
        return []
    return draw_all(parse_specs(ct.attributes, ct.name), _named(seed, prefix), n)


def _draw_more(
    s: Scenario, ct: CallType, times: np.ndarray, prefix: str, seed: np.random.SeedSequence
) -> tuple[np.ndarray, np.ndarray | None, list[dict[str, Any]]]:
    """Handle, patience and attributes of ``ct`` for customers at ``times``, from the streams
    named ``prefix`` + part."""
    n = len(times)
    handle = _scale(s, ct, times, sample(ct.handle, source_rng(seed, f"{prefix}handle"), n))
    patience = None
    if ct.patience is not None:
        patience = sample(ct.patience, source_rng(seed, f"{prefix}patience"), n)
    return handle, patience, _attributes(ct, seed, f"{prefix}attributes/", n)


def draw_customers(scenario: Scenario, seed: np.random.SeedSequence) -> list[Customers]:
    """Every call type's customers reaching the router in one replication (see the module
    docstring): the single definition both engines use.

    Args:
        scenario: the model.
        seed: the replication's seed sequence.

    Returns:
        One :class:`Customers` per call type, in the scenario's order.
    """
    s = scenario
    names = [ct.name for ct in s.call_types]
    parts: list[list[tuple[np.ndarray, np.ndarray, np.ndarray | None, list[dict[str, Any]]]]]
    parts = [[] for _ in s.call_types]
    stages: list[dict[str, np.ndarray] | None] = []
    for c, ct in enumerate(s.call_types):
        times = arrival_times(s, c, source_rng(seed, f"arrivals/{ct.name}"))
        n = len(times)
        handle = _scale(s, ct, times, sample(ct.handle, source_rng(seed, f"handle/{ct.name}"), n))
        patience = None
        if ct.patience is not None:
            patience = sample(ct.patience, source_rng(seed, f"patience/{ct.name}"), n)
        attributes = _attributes(ct, seed, f"attributes/{ct.name}/", n)
        ss = ct.self_service
        if ss is None:
            parts[c].append((times, handle, patience, attributes))
            stages.append(None)
            continue
        stage = draw_stage(ss, times, _named(seed, f"selfservice/{ct.name}/"))
        keep = stage.reaches
        parts[c].append(
            (
                stage.queue_at[keep],
                (handle * stage.factor)[keep],
                None if patience is None else patience[keep],
                [a for a, kept in zip(attributes, keep.tolist(), strict=False) if kept],
            )
        )
        stages.append(_stage_counts(s, times, stage))
        # Repeats join their target call type (straight to its queue); those arriving at or
        # after the horizon are dropped (and counted in the stage's counts).
        at = np.sort(stage.repeat_at[~np.isnan(stage.repeat_at)])
        at = at[at < s.horizon]
        target = names.index(ss.repeat_to) if ss.repeat_to is not None else c
        if len(at):
            more = _draw_more(s, s.call_types[target], at, f"selfservice/{ct.name}/repeat_", seed)
            parts[target].append((at, *more))
    out = []
    for c, ct in enumerate(s.call_types):
        chunks = parts[c]
        if len(chunks) == 1 and s.call_types[c].self_service is None:
            times, handle, patience, attributes = chunks[0]
        else:
            times = np.concatenate([p[0] for p in chunks])
            order = np.argsort(times, kind="stable")
            times = times[order]
            handle = np.concatenate([p[1] for p in chunks])[order]
            patience = (
                None
                if ct.patience is None
                else np.concatenate([p[2] for p in chunks if p[2] is not None])[order]
            )
            flat = [a for p in chunks for a in p[3]]
            attributes = [flat[i] for i in order.tolist()] if flat else []
        out.append(Customers(times, handle, patience, attributes, stages[c]))
    return out


def _stage_counts(s: Scenario, times: np.ndarray, stage: StageDraw) -> dict[str, np.ndarray]:
    """The stage's counts per interval of entry (entries before the warm-up left out);
    ``repeats_dropped``: repeats arriving at or after the horizon."""
    n = s.n_intervals
    after = times >= s.warmup
    k = _interval_of(s, times)
    escalated = stage.reaches & ~stage.opted
    repeats = ~np.isnan(stage.repeat_at)
    dropped = repeats & (np.nan_to_num(stage.repeat_at, nan=-1.0) >= s.horizon)

    def per(mask: np.ndarray) -> np.ndarray:
        return np.bincount(k[mask & after], minlength=n).astype(np.float64)

    return {
        "entered": per(np.ones(len(times), dtype=bool)),
        "contained": per(stage.contained),
        "opted_out": per(stage.opted),
        "escalated": per(escalated),
        "automated": per(stage.automated),
        "repeats": per(repeats),
        "repeats_dropped": per(dropped),
    }


def self_service_counts(
    scenario: Scenario, customers: list[Customers]
) -> tuple[dict[str, dict[str, list[float]]], dict[str, dict[str, float]]]:
    """The self-service metrics of a replication from its draw: per scope (each call type
    with a stage, and ``"all"`` when there is one), per interval and over the horizon
    (``nan`` for intervals wholly in the warm-up).

    Returns:
        ``(per_interval, overall)``: scope → metric → values, and scope → metric → value.
    """
    s = scenario
    n = s.n_intervals
    lengths = [
        min((k + 1) * s.interval, s.horizon) - max(k * s.interval, s.warmup) for k in range(n)
    ]
    scopes = {
        ct.name: cust.stage for ct, cust in zip(s.call_types, customers, strict=True) if cust.stage
    }
    if not scopes:
        return {}, {}
    counts = [m for m in SELF_SERVICE_METRICS if m != "containment_rate"]
    scopes["all"] = {m: np.sum([st[m] for st in scopes.values()], axis=0) for m in counts}
    per_interval: dict[str, dict[str, list[float]]] = {}
    overall: dict[str, dict[str, float]] = {}
    for scope, stage in scopes.items():
        rows = {m: stage[m].tolist() for m in counts}
        rows["containment_rate"] = [
            c / e if e > 0 else math.nan
            for c, e in zip(rows["contained"], rows["entered"], strict=True)
        ]
        per_interval[scope] = {
            m: [v if lengths[k] > 0 else math.nan for k, v in enumerate(rows[m])]
            for m in SELF_SERVICE_METRICS
        }
        total = {m: float(np.sum(stage[m])) for m in counts}
        entered = total["entered"]
        total["containment_rate"] = total["contained"] / entered if entered > 0 else math.nan
        overall[scope] = {m: total[m] for m in SELF_SERVICE_METRICS}
    return per_interval, overall
