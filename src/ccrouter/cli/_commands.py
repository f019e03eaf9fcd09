"""Imports every sub-command module so that each registers itself on ``main``.

One line per module: add yours here.
"""

from __future__ import annotations

from ccrouter.cli import (
    report,  # noqa: F401  (registers `ccrouter report`)
    staffing,  # noqa: F401  (registers `ccrouter erlang` and `ccrouter staff`)
)
