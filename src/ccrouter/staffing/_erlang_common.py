"""Internal pieces shared by the Erlang solvers (:mod:`ccrouter.staffing.erlang`,
:mod:`ccrouter.staffing.erlang_a`).

The Numba decorator every kernel uses, the Erlang B recurrence kernel both solvers build on, and
the validation and broadcasting of arguments that every public function shares: arguments are
checked and turned into flat float64 or int64 arrays of one broadcast shape, and results are
shaped back (a Python scalar for scalar arguments). Nothing here is public; import the solvers
from :mod:`ccrouter.staffing.erlang`.

Numba's on-disk cache checks only the source file a kernel is defined in, and a kernel that
calls :func:`_erlang_b1` keeps its own compiled copy of it: an edit of :func:`_erlang_b1` here
does not invalidate the cached kernels of ``erlang.py`` and ``erlang_a.py`` (numba issue 1833).
After changing it, delete the ``__pycache__`` beside those modules.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ccrouter.errors import InvalidArgument

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
_F = TypeVar("_F", bound=Callable[..., Any])
T = TypeVar("T", float, FloatArray)


def _jit(func: _F) -> _F:
    # cache=True keeps the CLI quick after the first run; no fastmath, exactness comes first.
    return cast(_F, numba.njit(cache=True, nogil=True)(func))


# ---------------------------------------------------------------------------------------------
# The Erlang B recurrence, a kernel for the kernels of both solvers (no validation).


@_jit
def _erlang_b1(a: float, n: int) -> float:
    if a == 0.0:
        return 0.0
    b = 1.0
    for k in range(1, n + 1):
        ab = a * b
        b = ab / (k + ab)
    return b


# ---------------------------------------------------------------------------------------------
# Validation and broadcasting.


def _where(name: str, arr: NDArray[Any], bad: NDArray[np.bool_]) -> str:
    if arr.ndim == 0:
        return f"{name} got {arr.item()!r}"
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    at = idx[0] if len(idx) == 1 else idx
    return f"{name}[{at}] got {arr[idx].item()!r}"


def _floats(
    name: str,
    value: ArrayLike,
    *,
    low: float = 0.0,
    low_open: bool = False,
    high: float = math.inf,
    high_open: bool = True,
) -> FloatArray:
    raw = np.asarray(value)
    if raw.dtype.kind not in "iuf":
        msg = f"{name} must be a real number (or an array of them), got {value!r}"
        raise InvalidArgument(msg)
    arr = raw.astype(np.float64)
    ok = np.isfinite(arr)
    ok &= (arr > low) if low_open else (arr >= low)
    if high < math.inf:
        ok &= (arr < high) if high_open else (arr <= high)
    if not ok.all():
        span = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        msg = f"{name} must be a finite number in {span}: {_where(name, arr, ~ok)}"
        raise InvalidArgument(msg)
    return arr


def _agents(value: ArrayLike) -> IntArray:
    raw = np.asarray(value)
    if raw.dtype.kind in "iu":
        arr = raw.astype(np.int64)
        bad = arr < 0
        if bad.any():
            raise InvalidArgument(f"agents must be >= 0: {_where('agents', arr, bad)}")
        return arr
    if raw.dtype.kind != "f":
        msg = f"agents must be a whole number (or an array of them), got {value!r}"
        raise InvalidArgument(msg)
    bad = ~np.isfinite(raw) | (raw < 0) | (raw != np.floor(raw))
    if bad.any():
        msg = f"agents must be a whole number >= 0: {_where('agents', raw, bad)}"
        raise InvalidArgument(msg)
    return raw.astype(np.int64)


def _broadcast(*arrays: NDArray[Any]) -> tuple[tuple[int, ...], list[NDArray[Any]]]:
    try:
        shaped = np.broadcast_arrays(*arrays)
    except ValueError:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise InvalidArgument(f"arguments do not broadcast together: shapes {shapes}") from None
    return shaped[0].shape, [np.ascontiguousarray(x).ravel() for x in shaped]


def _scratch(size: int, count: int) -> list[FloatArray]:
    return [np.empty(size) for _ in range(count)]


def _shape(out: NDArray[Any], shape: tuple[int, ...]) -> Any:
    # Scalars in, Python scalar out; arrays in, an array of the broadcast shape out.
    return out.reshape(shape) if shape else out[0].item()


def _goals(
    traffic: ArrayLike, aht: ArrayLike, max_occupancy: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    return (
        _floats("traffic", traffic),
        _floats("aht", aht, low_open=True),
        _floats("max_occupancy", max_occupancy, low_open=True, high=1.0, high_open=False),
    )
