"""Which implementation runs the routing hot path: ``numba`` (default) or ``python``.

This is shell code (it reads the environment); the core receives the choice as an argument.
"""

from __future__ import annotations

import os
from typing import Literal, TypeAlias

from ccrouter.errors import InvalidArgument

__all__ = ["BACKENDS", "Backend", "resolve_backend"]

Backend: TypeAlias = Literal["numba", "python"]
BACKENDS: tuple[Backend, ...] = ("numba", "python")


def resolve_backend(backend: str | None = None) -> Backend:
    """The backend to use: the argument, else ``$CCROUTER_BACKEND``, else ``numba``.

    >>> resolve_backend("python")
    'python'
    """
    chosen = backend or os.environ.get("CCROUTER_BACKEND") or "numba"
    if chosen == "numba":
        return "numba"
    if chosen == "python":
        return "python"
    msg = f"backend must be one of {', '.join(BACKENDS)}, got {chosen!r}"
    raise InvalidArgument(msg)
