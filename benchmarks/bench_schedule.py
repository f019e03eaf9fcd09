"""Shift scheduling of a realistic week, side by side with pyworkforce's MinRequiredResources.

The week: 7 days of 15-minute intervals (672), a weekly volume curve (Monday busiest, a quiet
Sunday; a morning and an afternoon peak, the center open 06:00-23:00), handle time 300 s,
requirements from Erlang C for 80 % answered within 20 s (``ccrouter.staffing``). The
templates: 21 of them, full-time 8/9/10 h and part-time 4/5/6 h, each with a start window of
up to three hours (15-minute steps) early, mid-day, late or (part-time) evening, a cost per
shift that grows with the length and a premium for late starts; every shift ends by midnight
(pyworkforce's shifts live within one day).

Both tools get the same requirements and the same candidate shifts (a template at one start is
one pyworkforce "shift", its coverage row the intervals it spans), the same costs, the same
number of solver threads and time limit; pyworkforce has no breaks, so the comparison is
without breaks. ccrouter is then run again with breaks (full-time: a 15-minute break, a
30-minute unpaid lunch and another 15-minute break; part-time: one 15-minute break, each in
its window) — a harder model pyworkforce cannot express. Times are medians over a few runs,
with every run's time kept.

pyworkforce is a benchmark-only dependency (the ``bench`` group): the full run requires it; the
smoke run (one day, 12 templates) skips only the comparison when it is missing and says so.

    python -m benchmarks.run --only schedule [--smoke]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.bench_erlang import median_time
from ccrouter.schedule import BreakRule, Limits, Requirements, Schedule, ShiftTemplate, solve
from ccrouter.staffing import erlang

INTERVAL = 900.0
DAY = 86400.0
AHT = 300.0
H = 3600.0
DAILY_CALLS = (9000, 8200, 7800, 7600, 7400, 4200, 2600)  # Monday .. Sunday


def week_requirements(days: int = 7) -> Requirements:
    """Erlang C agents (80/20, AHT 300 s) per 15-minute interval over ``days`` days."""
    slots = np.arange(96) * INTERVAL / H + 0.125  # interval midpoints, hours
    shape = np.exp(-(((slots - 10.5) / 2.2) ** 2)) + 0.75 * np.exp(-(((slots - 15.5) / 2.5) ** 2))
    shape += 0.12 * np.exp(-(((slots - 20.0) / 1.8) ** 2))
    shape[(slots < 6) | (slots >= 23)] = 0.0
    shape /= shape.sum()
    calls = np.concatenate([DAILY_CALLS[d % 7] * shape for d in range(days)])
    traffic = erlang.traffic_from_calls(calls, INTERVAL, AHT)
    agents = np.where(
        calls > 0, erlang.agents_for_service_level(traffic, AHT, 20.0, 0.8), 0
    ).astype(int)
    return Requirements.from_values(agents.tolist(), interval=INTERVAL)


def week_templates(*, breaks: bool, smoke: bool = False) -> list[ShiftTemplate]:
    """21 templates: (kind, hours, cost per hour) × start windows (early, mid, late; part-time
    also evening). Smoke: 12, the early and late windows only."""
    kinds = [
        ("FT", 8, 20),
        ("FT", 9, 20),
        ("FT", 10, 21),
        ("PT", 4, 23),
        ("PT", 5, 22),
        ("PT", 6, 22),
    ]
    windows = [("early", 6.0), ("mid", 9.0), ("late", 12.0), ("evening", 17.0)]
    out = []
    for kind, hours, rate in kinds:
        for label, first in windows:
            last = min(first + 3.0, 24.0 - hours)
            if last < first or (kind == "FT" and label == "evening"):
                continue
            if smoke and label not in ("early", "late"):
                continue
            premium = 2 if first >= 12 else 0
            rules: tuple[BreakRule, ...] = ()
            if breaks and kind == "FT":
                rules = (
                    BreakRule(name="break 1", earliest=1.5 * H, latest=2.5 * H, length=900),
                    BreakRule(
                        name="lunch", earliest=3.5 * H, latest=5 * H, length=1800, paid=False
                    ),
                    BreakRule(
                        name="break 2",
                        earliest=(hours - 2.5) * H,
                        latest=(hours - 1.5) * H,
                        length=900,
                    ),
                )
            elif breaks:
                rules = (BreakRule(name="break", earliest=1.5 * H, latest=2.5 * H, length=900),)
            out.append(
                ShiftTemplate(
                    name=f"{kind}{hours} {label}",
                    kind="full_time" if kind == "FT" else "part_time",
                    earliest_start=first * H,
                    latest_start=last * H,
                    step=INTERVAL,
                    length=hours * H,
                    cost_per_shift=float(hours * (rate + premium)),  # integers: pyworkforce's
                    breaks=rules,
                )
            )
    return out


def pyworkforce_inputs(
    req: Requirements, templates: list[ShiftTemplate]
) -> tuple[int, int, dict[str, list[int]], list[list[int]], dict[str, int]]:
    """The same problem for MinRequiredResources: (days, periods, coverage rows,
    requirements per day, cost per shift). Templates must have no breaks."""
    periods = round(DAY / req.interval)
    days = len(req.values) // periods
    coverage: dict[str, list[int]] = {}
    costs: dict[str, int] = {}
    for t in templates:
        assert not t.breaks, "pyworkforce has no breaks"
        for start in t.starts(req.interval):
            a = round(start / req.interval)
            b = a + round(t.length / req.interval)
            assert b <= periods, "pyworkforce shifts end within the day"
            name = f"{t.name}@{a}"
            coverage[name] = [1 if a <= p < b else 0 for p in range(periods)]
            costs[name] = round(t.cost)
    per_day = [list(req.values[d * periods : (d + 1) * periods]) for d in range(days)]
    return days, periods, coverage, per_day, costs


def solve_pyworkforce(
    req: Requirements, templates: list[ShiftTemplate], *, time_limit: float, workers: int
) -> dict[str, Any]:
    """pyworkforce's answer: its status, cost and the coverage its shifts give."""
    from pyworkforce.scheduling import MinRequiredResources

    days, periods, coverage, per_day, costs = pyworkforce_inputs(req, templates)
    model = MinRequiredResources(
        num_days=days,
        periods=periods,
        shifts_coverage=coverage,
        required_resources=per_day,
        max_period_concurrency=int(max(req.values)) * 4 + 1,
        max_shift_concurrency=int(max(req.values)) + 1,
        cost_dict=costs,
        max_search_time=float(time_limit),  # pyworkforce insists on a float
        num_search_workers=workers,
    )
    answer = model.solve()
    cover = [0] * len(req.values)
    for row in answer["resources_shifts"]:
        if row["resources"] > 0:
            d = row["day"]
            for p, on in enumerate(coverage[row["shift"]]):
                cover[d * periods + p] += on * row["resources"]
    return {"status": answer["status"], "cost": float(answer["cost"]), "coverage": cover}


def _pyworkforce_available() -> bool:
    try:
        from pyworkforce.scheduling import MinRequiredResources  # noqa: F401
    except ImportError:
        return False
    return True


def _summary(s: Schedule, seconds: float, times: list[float]) -> dict[str, Any]:
    return {
        "status": s.status,
        "cost": s.cost,
        "bound": s.bound,
        "gap": round(s.gap, 5),
        "shifts": s.total_shifts,
        "short_intervals": len(s.uncoverable),
        "over_agent_hours": sum(s.over) * s.requirements.interval / H,
        "median_seconds": round(seconds, 3),
        "runs_seconds": [round(t, 3) for t in times],
        "model": s.stats,
    }


def run(smoke: bool) -> dict[str, Any]:
    days = 1 if smoke else 7
    runs = 1 if smoke else 3
    time_limit = 20.0 if smoke else 120.0
    breaks_limit = 5.0 if smoke else 60.0  # with breaks the proof is slow: keep the best found
    workers = 2
    req = week_requirements(days)
    plain = week_templates(breaks=False, smoke=smoke)
    with_breaks = week_templates(breaks=True, smoke=smoke)
    limits = Limits(day_length=DAY)
    result: dict[str, Any] = {
        "problem": {
            "days": days,
            "intervals": len(req.values),
            "interval_seconds": INTERVAL,
            "templates": len(plain),
            "peak_agents": max(req.values),
            "required_agent_hours": sum(req.values) * INTERVAL / H,
            "solver": {
                "workers": workers,
                "time_limit_seconds": time_limit,
                "time_limit_with_breaks_seconds": breaks_limit,
            },
        }
    }

    def ours(templates: list[ShiftTemplate], limit: float) -> Callable[[], Schedule]:
        return lambda: solve(req, templates, limits, time_limit=limit, workers=workers)

    sec, times, plain_s = median_time(ours(plain, time_limit), runs)
    result["ccrouter_no_breaks"] = _summary(plain_s, sec, times)
    sec, times, breaks_s = median_time(ours(with_breaks, breaks_limit), runs)
    result["ccrouter_with_breaks"] = _summary(breaks_s, sec, times)
    result["breaks_cost_increase"] = round(breaks_s.cost / plain_s.cost - 1.0, 4)

    if not _pyworkforce_available():
        if not smoke:
            msg = "the full scheduling benchmark needs pyworkforce: pip install --group bench -e ."
            raise RuntimeError(msg)
        result["pyworkforce"] = "not installed: comparison skipped (install the bench group)"
        return result

    sec, times, theirs = median_time(
        lambda: solve_pyworkforce(req, plain, time_limit=time_limit, workers=workers), runs
    )
    covered = all(c >= r for c, r in zip(theirs["coverage"], req.values, strict=True))
    result["pyworkforce_no_breaks"] = {
        "status": theirs["status"],
        "cost": theirs["cost"],
        "covers_every_interval": covered,
        "median_seconds": round(sec, 3),
        "runs_seconds": [round(t, 3) for t in times],
    }
    result["goals"] = {
        "cost_equal_or_lower_than_pyworkforce": {
            "ccrouter": plain_s.cost,
            "pyworkforce": theirs["cost"],
            "met": bool(plain_s.cost <= theirs["cost"] + 1e-6),
        },
        "time_ratio_pyworkforce_over_ccrouter": round(
            sec / max(result["ccrouter_no_breaks"]["median_seconds"], 1e-9), 2
        ),
    }
    return result
