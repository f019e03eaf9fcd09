"""The best share's bucket index for one queue's ``performance`` keys (numba backend only).

Derived data of :class:`~ccrouter.engine.performance.PerformanceBook`, like its models: the
logged-in agents filed in buckets by key, from which a decision right after an outcome counts
the keys below its pick's without computing every key
(:mod:`ccrouter.engine.routing._kernels` has the bounds and why the count is exact). The book
tells the index of every slot whose model column or presence changes
(:meth:`ShareIndex.touch`: the slot is filed again at once, O(1), as its column is updated);
the index is rebuilt when the slots outgrow it, or when the selection kernel finds that its
bands have cost about a rebuild.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ccrouter.engine.performance_kernel import Params
from ccrouter.engine.routing._kernels import BUCKETS, CAP, INFO, layout, rebuild, refile

__all__ = ["ShareArrays", "ShareIndex"]

ShareArrays = npt.NDArray[np.int32]
"""What the selection kernel reads: the index's array (its scalars at the head)."""


class ShareIndex:
    """The bucket index of one (queue, KPI, balance) for the best-share count.

    Cost: :meth:`touch` O(1) (a kernel call); :meth:`arrays` O(1), or O(slots + buckets) when
    the slots have outgrown the index; the selection kernel rebuilds it when due
    (O(slots + buckets))."""

    __slots__ = ("cap", "info", "ints")

    def __init__(self) -> None:
        self.ints: ShareArrays = np.zeros(2 * INFO, dtype=np.int32)
        """The index (read directly by the book while ``cap`` covers the slots: the hot
        path)."""
        self.info = self.ints.view(np.float64)
        """Its scalars (a view of its head: ``_kernels.scalars``)."""
        self.cap = 0
        """The slots the arrays cover."""

    def touch(
        self, slot: int, model: npt.NDArray[np.float64], present: npt.NDArray[np.uint8]
    ) -> None:
        """``slot``'s model column (in ``model``) or presence (in ``present``) changed: file
        it again (or, past the index, have every slot filed again by the next rebuild)."""
        if self.cap:
            refile(model, present, slot, self.ints)

    def arrays(
        self, model: npt.NDArray[np.float64], present: npt.NDArray[np.uint8], slots: int, p: Params
    ) -> ShareArrays:
        """The arrays a decision over the first ``slots`` slots reads (made wider and rebuilt
        under the parameters ``p`` first when the slots have outgrown them)."""
        if self.cap < slots:
            self.cap = max(16, slots, 2 * self.cap)
            buckets, length = layout(self.cap)
            info = self.info.copy()  # (the counters carry over)
            self.ints = np.zeros(length, dtype=np.int32)
            self.info = self.ints[: 2 * INFO].view(np.float64)
            self.info[:] = info
            self.info[BUCKETS], self.info[CAP] = buckets, self.cap
            rebuild(model, present, slots, p, self.ints)
        return self.ints
