"""Performance routing against longest-idle at equal staffing: KPI lift and ASA cost.

A simulated center with heterogeneous agents (``docs/performance.md``, *Simulation*): one call
type, 12 agents in two groups that differ in how well they serve it:

- ``experts`` (4): handle time x0.8, resolve 90 %, satisfaction uniform 3.5-5;
- ``novices`` (8): handle time x1.2, resolve 65 %, satisfaction uniform 2-4.5.

Each policy runs the same replications (the same seeds: common random numbers, so arrivals,
patience and each call's drawn handle time are the same under every policy; the outcome
draws come from each group's own stream). Per replication: first-contact resolution (the
share of contacts resolved), mean satisfaction, ASA (seconds to answer) and service level
(answered within 20 s over offered, after warm-up, from the simulator's metrics). Reported:
each policy's mean with its 95 % t-interval over replications, and the paired difference to
``longest_idle`` (mean and interval of the per-replication differences).

    python simulations/performance_study.py [--replications 20] [--smoke]

The router-driven engine runs it (the compiled engine runs none of this: ``engine="auto"``
falls back).
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from ccrouter.events import OutcomeRecorded
from ccrouter.sim import Scenario
from ccrouter.sim.confidence import Estimate, estimate
from ccrouter.sim.engines import run_with_events

KPI = "fcr"
POLICIES: dict[str, dict[str, Any]] = {
    "longest_idle": {"strategy": "longest_idle"},
    "performance": {"strategy": "performance", "performance": {"kpi": KPI}},
    "performance_top_half_15s": {
        "strategy": "performance",
        "performance": {"kpi": KPI, "top_share": 0.5},
        "steps": [{"after": 15.0}],
    },
    "performance_balance_0.5": {
        "strategy": "performance",
        "performance": {"kpi": KPI, "balance": 0.5},
    },
}


def scenario(queue: dict[str, Any], *, hours: float = 8.0, rate: float = 150.0) -> Scenario:
    """The study's center under routing ``queue`` (a queue config)."""
    return Scenario.from_dict(
        {
            "name": "performance study",
            "horizon": hours * 3600.0,
            "interval": 3600.0,
            "warmup": 1800.0,
            "threshold": 20.0,
            "call_types": [
                {
                    "name": "support",
                    "arrivals": {"kind": "poisson", "rates_per_hour": [rate]},
                    "handle": {"kind": "exponential", "mean": 180.0},
                    "patience": {"kind": "exponential", "mean": 300.0},
                }
            ],
            "agent_groups": [
                {
                    "name": "experts",
                    "headcount": [4],
                    "performance": {
                        "*": {
                            "handle_factor": 0.8,
                            "resolved": 0.9,
                            "satisfaction": {"kind": "uniform", "low": 3.5, "high": 5.0},
                        }
                    },
                },
                {
                    "name": "novices",
                    "headcount": [8],
                    "performance": {
                        "*": {
                            "handle_factor": 1.2,
                            "resolved": 0.65,
                            "satisfaction": {"kind": "uniform", "low": 2.0, "high": 4.5},
                        }
                    },
                },
            ],
            "router": {
                "performance": {"bucket": 3600.0, "window": 8 * 3600.0, "prior_weight": 10.0},
                "queues": {"default": queue},
            },
        }
    )


def replication(s: Scenario, seed: int, index: int) -> dict[str, float]:
    """One run's KPI and service figures."""
    metrics, out = run_with_events(s, seed, index, "router")
    outcomes = [e for e in out.events if isinstance(e, OutcomeRecorded) and e.at >= s.warmup]
    resolved = [1.0 if e.resolved else 0.0 for e in outcomes if e.resolved is not None]
    sat = [e.satisfaction for e in outcomes if e.satisfaction is not None]
    overall = metrics.overall["all"]
    return {
        "fcr": math.fsum(resolved) / len(resolved) if resolved else math.nan,
        "satisfaction": math.fsum(sat) / len(sat) if sat else math.nan,
        "asa": overall["asa"],
        "service_level": overall["service_level"],
    }


def study(replications: int, *, seed: int = 17, hours: float = 8.0) -> dict[str, Any]:
    """Every policy's figures and paired differences to ``longest_idle``."""
    runs = {
        name: [replication(scenario(q, hours=hours), seed, i) for i in range(replications)]
        for name, q in POLICIES.items()
    }
    base = runs["longest_idle"]
    out: dict[str, Any] = {}
    for name, rs in runs.items():
        row: dict[str, Any] = {}
        for metric in ("fcr", "satisfaction", "asa", "service_level"):
            row[metric] = estimate(r[metric] for r in rs)
            row[f"{metric}_vs_longest_idle"] = estimate(
                r[metric] - b[metric] for r, b in zip(rs, base, strict=True)
            )
        out[name] = row
    return out


def _fmt(e: Estimate, scale: float = 1.0, digits: int = 3) -> str:
    return f"{e.mean * scale:.{digits}f} ± {e.half_width * scale:.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="2 replications of 2 hours")
    args = parser.parse_args(argv)
    reps, hours = (2, 2.0) if args.smoke else (args.replications, 8.0)
    result = study(reps, hours=hours)
    print(f"{reps} replications of {hours:g} h, 12 agents (4 experts, 8 novices), 150 calls/h")
    print(
        f"{'policy':28} {'FCR':>15} {'ΔFCR':>15} {'ΔCSAT':>15} {'ASA s':>13} "
        f"{'ΔASA s':>13} {'ΔSL':>15}"
    )
    for name, row in result.items():
        print(
            f"{name:28} {_fmt(row['fcr']):>15} {_fmt(row['fcr_vs_longest_idle']):>15} "
            f"{_fmt(row['satisfaction_vs_longest_idle']):>15} {_fmt(row['asa'], digits=1):>13} "
            f"{_fmt(row['asa_vs_longest_idle'], digits=1):>13} "
            f"{_fmt(row['service_level_vs_longest_idle']):>15}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
