"""``python -m ccrouter.demo``: runs the demo script, ``examples/demo.py``, of a source checkout.

The demo is not part of the library: it is a scenario (``simulations/demo.toml``) run through
the simulator (:class:`ccrouter.sim.engine.Engine`) by a script beside the package. This module
only keeps the documented command working; it finds the script relative to the checkout (an
editable install, as ``make demo`` makes) and passes the arguments on, e.g.
``python -m ccrouter.demo --out out/demo --seed 3``.
"""

from __future__ import annotations

import runpy
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["SCRIPT", "main"]

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "demo.py"
"""Where the demo script sits in a source checkout (``src/ccrouter/demo.py`` -> ``examples/``)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``examples/demo.py`` with ``argv``; return its exit code (2 when there is none).

    Args:
        argv: the script's arguments (default: this process's).

    Returns:
        The script's exit code, or 2 when ``examples/demo.py`` is not beside the package (an
        installed wheel ships the library only).
    """
    if not SCRIPT.is_file():
        print(
            f"ccrouter.demo: the demo script is not here ({SCRIPT}); it ships with the source "
            "checkout: run `make demo` there",
            file=sys.stderr,
        )
        return 2
    namespace = runpy.run_path(str(SCRIPT), run_name="ccrouter_demo_script")
    code: int = namespace["main"](list(sys.argv[1:] if argv is None else argv))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
