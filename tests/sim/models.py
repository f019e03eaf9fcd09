"""Scenario builders shared by the simulator tests."""

from __future__ import annotations

from typing import Any

from ccrouter.sim import Scenario


def mmc(
    agents: int,
    load: float,
    *,
    aht: float = 180.0,
    horizon: float = 4 * 3600.0,
    warmup: float = 1800.0,
    patience: float | None = None,
    threshold: float = 20.0,
) -> Scenario:
    """Single skill M/M/c (+M with ``patience``): Poisson arrivals at ``load`` × agents / aht."""
    call: dict[str, Any] = {
        "name": "calls",
        "arrivals": {"kind": "poisson", "rates_per_hour": [load * agents * 3600.0 / aht]},
        "handle": {"kind": "exponential", "mean": aht},
    }
    if patience is not None:
        call["patience"] = {"kind": "exponential", "mean": patience}
    return Scenario.from_dict(
        {
            "name": f"M/M/{agents}" + ("+M" if patience else ""),
            "horizon": horizon,
            "interval": horizon,
            "warmup": warmup,
            "threshold": threshold,
            "call_types": [call],
            "agent_groups": [{"name": "agents", "headcount": [agents]}],
        }
    )
