"""Every figure of a simulation as rows, written as JSON or CSV: each metric, per scope and per
interval (and over the horizon), with its mean and its confidence interval.

One row per estimate: ``section`` (``per_interval``, ``overall``, ``group_occupancy``,
``campaign``, ``utilisation``, ``self_service``), ``scope`` (queue, ``"all"``, agent group,
campaign, or the call type of a self-service stage),
``metric``, ``interval`` (its index; empty over the horizon) with ``start`` and ``end`` in
seconds, then ``mean``, ``lower``, ``upper`` (the interval, clipped to the metric's possible
range), ``half_width``, ``sd``, ``n``, ``level`` and ``clipped``. Undefined values (nothing
offered...) are ``null`` in JSON and empty in CSV. The JSON file also carries the run's
description (scenario, seed, replications, threshold, service-level definition, engine).

:func:`read_export` reads either file back into the same rows, so a round trip is exact (the
floats are written with all their digits).

>>> from ccrouter.sim import Scenario, simulate
>>> s = Scenario.from_dict({"horizon": 1800, "interval": 900, "call_types": [{"name": "c",
...     "arrivals": {"kind": "poisson", "rates_per_hour": [60]},
...     "handle": {"kind": "exponential", "mean": 120}}],
...     "agent_groups": [{"name": "g", "headcount": [3]}]})
>>> rows = export_rows(simulate(s, replications=3, seed=1, engine="router"))
>>> row = next(r for r in rows if r["metric"] == "service_level" and r["interval"] == 1)
>>> row["scope"], row["start"], row["end"], 0.0 <= row["lower"] <= row["upper"] <= 1.0
('default', 900.0, 1800.0, True)
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ccrouter.errors import InvalidArgument
from ccrouter.sim.confidence import Estimate
from ccrouter.sim.replications import SimulationResult
from ccrouter.stats.definitions import describe_service_level

__all__ = ["COLUMNS", "FORMATS", "export_rows", "read_export", "write_export"]

COLUMNS: tuple[str, ...] = (
    "section",
    "scope",
    "metric",
    "interval",
    "start",
    "end",
    "mean",
    "lower",
    "upper",
    "half_width",
    "sd",
    "n",
    "level",
    "clipped",
)
"""The columns of every row, in file order."""

FORMATS: tuple[str, ...] = ("json", "csv")
"""The file formats, named by the file's suffix."""

_FLOATS = ("start", "end", "mean", "lower", "upper", "half_width", "sd", "level")


def _clean(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def _row(
    section: str,
    scope: str,
    metric: str,
    est: Estimate,
    interval: int | None = None,
    span: tuple[float, float] | None = None,
) -> dict[str, Any]:
    return {
        "section": section,
        "scope": scope,
        "metric": metric,
        "interval": interval,
        "start": span[0] if span else None,
        "end": span[1] if span else None,
        "mean": _clean(est.mean),
        "lower": _clean(est.lower),
        "upper": _clean(est.upper),
        "half_width": _clean(est.half_width),
        "sd": _clean(est.sd),
        "n": est.n,
        "level": est.level,
        "clipped": est.clipped,
    }


Row = tuple[str, str, str, int | None, Estimate]


def _totals(section: str, by_scope: Mapping[str, Mapping[str, Estimate]]) -> Iterator[Row]:
    for scope, metrics in by_scope.items():
        for m, est in metrics.items():
            yield section, scope, m, None, est


def _series(section: str, by_scope: Mapping[str, Mapping[str, list[Estimate]]]) -> Iterator[Row]:
    for scope, series_by_metric in by_scope.items():
        for m, series in series_by_metric.items():
            for k, est in enumerate(series):
                yield section, scope, m, k, est


def _estimates(result: SimulationResult) -> Iterator[Row]:
    yield from _totals("overall", result.overall)
    yield from _series("per_interval", result.per_interval)
    occupancy = {g: {"occupancy": s} for g, s in result.group_occupancy.items()}
    yield from _series("group_occupancy", occupancy)
    utilisation = {g: {"utilisation": e} for g, e in result.group_utilisation.items()}
    yield from _totals("utilisation", utilisation)
    yield from _totals("campaign", result.campaigns)
    yield from _totals("self_service", result.self_service_overall)
    yield from _series("self_service", result.self_service)


def export_rows(result: SimulationResult) -> list[dict[str, Any]]:
    """Every estimate of ``result`` as a row (a dict keyed by :data:`COLUMNS`)."""
    s = result.scenario
    horizon = s.horizon
    rows = []
    for section, scope, metric, k, est in _estimates(result):
        span = None
        if k is not None:
            start = result.interval_starts[k]
            span = (max(start, s.warmup), min(start + s.interval, horizon))
        elif section != "campaign":
            span = (s.warmup, horizon)
        rows.append(_row(section, scope, metric, est, k, span))
    return rows


def _format(path: Path, fmt: str | None) -> str:
    chosen = fmt or path.suffix.lower().lstrip(".")
    if chosen not in FORMATS:
        msg = f"export format must be one of {', '.join(FORMATS)} (or a .json/.csv path); got "
        raise InvalidArgument(msg + repr(fmt or path.name))
    return chosen


def write_export(result: SimulationResult, path: str | Path, fmt: str | None = None) -> Path:
    """Write every estimate of ``result`` to ``path`` as JSON or CSV (by ``fmt``, else by the
    path's suffix) and return the path.

    Raises:
        InvalidArgument: the format is neither ``json`` nor ``csv``.
    """
    out = Path(path)
    chosen = _format(out, fmt)
    rows = export_rows(result)
    out.parent.mkdir(parents=True, exist_ok=True)
    if chosen == "json":
        s = result.scenario
        about = {
            "scenario": s.name,
            "seed": result.seed,
            "replications": result.replications,
            "customers": result.customers,
            "engine": result.engine,
            "interval": s.interval,
            "warmup": s.warmup,
            "horizon": s.horizon,
            "threshold": s.threshold,
            "sl_definition": s.sl_definition,
            "service_level": describe_service_level(s.sl_definition, s.threshold),
            "confidence": "Student-t interval of the replication means, clipped to the "
            "metric's possible range",
        }
        out.write_text(json.dumps({"run": about, "columns": COLUMNS, "rows": rows}, indent=1))
    else:
        with out.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: "" if v is None else repr(v) if isinstance(v, float) else v
                                 for k, v in row.items()})  # fmt: skip
    return out


def _parse_csv(row: dict[str, str]) -> dict[str, Any]:
    parsed: dict[str, Any] = dict(row)
    for key in _FLOATS:
        parsed[key] = float(row[key]) if row[key] != "" else None
    parsed["interval"] = int(row["interval"]) if row["interval"] != "" else None
    parsed["n"] = int(row["n"])
    parsed["clipped"] = row["clipped"] == "True"
    return parsed


def read_export(path: str | Path, fmt: str | None = None) -> list[dict[str, Any]]:
    """The rows of a file written by :func:`write_export` (the same dicts as
    :func:`export_rows`).

    Raises:
        InvalidArgument: the format is neither ``json`` nor ``csv``.
    """
    src = Path(path)
    if _format(src, fmt) == "json":
        rows: list[dict[str, Any]] = json.loads(src.read_text())["rows"]
        return rows
    with src.open(newline="") as f:
        return [_parse_csv(row) for row in csv.DictReader(f)]
