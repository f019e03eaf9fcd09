"""Imports every sub-command module so that each registers itself on ``main``.

One line per module: add yours here.
"""

from __future__ import annotations

from ccrouter.cli import (
    explain,  # noqa: F401  (registers `ccrouter explain`)
    performance,  # noqa: F401  (registers `ccrouter performance`)
    report,  # noqa: F401  (registers `ccrouter report`)
    scenario,  # noqa: F401  (registers `ccrouter scenario`)
    schedule,  # noqa: F401  (registers `ccrouter schedule`)
    search,  # noqa: F401  (registers `ccrouter staff-search`)
    simulate,  # noqa: F401  (registers `ccrouter simulate`)
    staffing,  # noqa: F401  (registers `ccrouter erlang` and `ccrouter staff`)
    whatif,  # noqa: F401  (registers `ccrouter whatif`)
)
