"""Keep Numba's disk cache of the compiled engine consistent with its sources.

Numba keys a cached function on its own source file only: a kernel that calls (and inlines)
functions of another module keeps its old machine code when only that other module changes.
The kernels here span several modules, so the cache files of the package are dropped
whenever any of their sources changed (a stamp of all of them is kept beside the cache).
Best effort: a cache directory that cannot be written is left alone (Numba then compiles in
memory or uses its own cache location).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["KERNEL_MODULES", "ensure_fresh_cache"]

KERNEL_MODULES = (
    "_layout.py",
    "_heaps.py",
    "_ids.py",
    "_router.py",
    "_timers.py",
    "_dialer.py",
    "_engine.py",
    "_fold.py",
)


def ensure_fresh_cache() -> None:
    """Drop this package's Numba cache files if a kernel source changed since they were made."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in KERNEL_MODULES:
        try:
            digest.update((here / name).read_bytes())
        except OSError:
            return
    stamp = digest.hexdigest()
    cache = here / "__pycache__"
    marker = cache / "kernels.stamp"
    try:
        if marker.read_text() == stamp:
            return
    except OSError:
        pass
    try:
        cache.mkdir(exist_ok=True)
        for path in cache.iterdir():
            if path.suffix in (".nbi", ".nbc"):
                path.unlink(missing_ok=True)
        marker.write_text(stamp)
    except OSError:
        return
