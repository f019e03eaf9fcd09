"""The compiled simulation engine: one replication of a scenario entirely in Numba-compiled code.

It reproduces the router-driven engine (:class:`ccrouter.sim.Engine`) event for event: for
every scenario it supports and every seed, the decoded events equal
``Engine(scenario, seed).run().events``. :func:`unsupported_features` names what a scenario
uses that is not compiled (empty: it runs compiled); :func:`run_compiled` raises
:class:`NotCompiled` naming those features.
"""

from __future__ import annotations

from ccrouter.sim.compiled._fresh import ensure_fresh_cache

ensure_fresh_cache()  # before the kernels are imported (and their cache indexes read)

from ccrouter.sim.compiled.run import CompiledRun, run_compiled, warmup  # noqa: E402
from ccrouter.sim.compiled.support import (  # noqa: E402
    FEATURES,
    NotCompiled,
    unsupported_features,
)

__all__ = [
    "FEATURES",
    "CompiledRun",
    "NotCompiled",
    "run_compiled",
    "unsupported_features",
    "warmup",
]
