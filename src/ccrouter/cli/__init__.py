"""The ``ccrouter`` command line.

Each sub-command lives in its own module of this package and registers itself on :data:`main`
(the group, defined in :mod:`ccrouter.cli._group`); :mod:`ccrouter.cli._commands` imports them
all.
"""

from __future__ import annotations

from ccrouter.cli import _commands  # noqa: F401  (imported for its registrations)
from ccrouter.cli._group import main

__all__ = ["main"]
