"""Batch matching: all waiting work to all free agents in one optimal step.

A pure function over plain arrays (no router types): :func:`assign` takes, for ``W`` work items
and ``A`` agent units (one column per unit of free capacity), which pairs are allowed, each
pair's integer score, and each item's priority level; it returns the column each item gets
(``-1``: it keeps waiting). The assignment is optimal lexicographically:

1. at the highest priority level, as many items as possible are matched; then, with that
   fixed, as many as possible at the next level; and so on down (so no item is left waiting
   while an agent able to take it serves lower-priority work instead);
2. then the total score of the matched pairs is as high as possible;
3. ties are broken by the solver deterministically (the same arrays give the same answer).

The objective folds into one exact integer weight per pair (a level's weight exceeds
everything all lower levels and all scores together could add), and the assignment is a
min-cost rectangular assignment (the Hungarian method with potentials, O(W² (A + W)))
solved over those weights: ``float64`` when they stay below 2**52 (exact), otherwise Python
integers (exact, slower). :func:`assign_brute_force` is the obviously-correct reference that
property tests hold the solver to on small instances.

>>> import numpy as np
>>> allowed = np.array([[True, True], [True, False]])  # item 1 can only go to column 0
>>> score = np.array([[5, 1], [1, 0]])
>>> assign(allowed, score, np.array([0, 0])).tolist()  # both matched beats 5 + nothing
[1, 0]
>>> assign(allowed, score, np.array([0, 1])).tolist()  # item 1 outranks item 0
[1, 0]
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["assign", "assign_brute_force", "objective"]

_EXACT_FLOAT = 2**52


def _check(allowed: npt.NDArray[Any], score: npt.NDArray[Any], level: npt.NDArray[Any]) -> None:
    if allowed.ndim != 2 or score.shape != allowed.shape or level.shape != allowed.shape[:1]:
        msg = (
            f"assign needs allowed (W, A), score (W, A) and level (W,); got {allowed.shape}, "
            f"{score.shape}, {level.shape}"
        )
        raise ValueError(msg)
    if score.size and int(score.min()) < 0:
        raise ValueError("scores must be integers >= 0")


def _weights(
    allowed: npt.NDArray[np.bool_], score: npt.NDArray[np.int64], level: npt.NDArray[np.int64]
) -> list[list[int]]:
    """Per pair, an exact integer weight whose sum orders assignments as the objective does."""
    w, a = allowed.shape
    best = [int(score[i][allowed[i]].max()) if allowed[i].any() else 0 for i in range(w)]
    bound = sum(best) + 1  # > any total score
    level_weight: dict[int, int] = {}
    below = 0  # the most that matches at lower levels (and all scores) can add
    for lv in sorted({int(x) for x in level}):
        weight = below + bound
        level_weight[lv] = weight
        below += weight * sum(1 for x in level if int(x) == lv)
    return [
        [level_weight[int(level[i])] + int(score[i, j]) if allowed[i, j] else 0 for j in range(a)]
        for i in range(w)
    ]


def assign(
    allowed: npt.ArrayLike, score: npt.ArrayLike, level: npt.ArrayLike
) -> npt.NDArray[np.int64]:
    """The column each work item is assigned to (``-1``: unassigned), optimal as the module
    says.

    Args:
        allowed: ``(W, A)`` booleans, item ``i`` may go to column ``j``.
        score: ``(W, A)`` integers >= 0, the value of pair ``(i, j)`` (read where allowed).
        level: ``(W,)`` integers, the priority level of each item (higher is more urgent).

    Raises:
        ValueError: shapes disagree or a score is negative.
    """
    allowed_a = np.asarray(allowed, dtype=np.bool_)
    score_a = np.asarray(score, dtype=np.int64)
    level_a = np.asarray(level, dtype=np.int64)
    _check(allowed_a, score_a, level_a)
    w, a = allowed_a.shape
    out = np.full(w, -1, dtype=np.int64)
    if w == 0 or a == 0 or not allowed_a.any():
        return out
    weights = _weights(allowed_a, score_a, level_a)
    top = max(max(row) for row in weights)
    # Min-cost over W rows and A + W columns: a pair costs minus its weight, a disallowed
    # pair 1 and an "unassigned" column 0 (so a disallowed pair never beats waiting).
    m = a + w
    if top * (w + 1) < _EXACT_FLOAT:
        cost: npt.NDArray[Any] = np.zeros((w, m), dtype=np.float64)
    else:
        cost = np.zeros((w, m), dtype=object)
        cost[:, :] = 0
    for i in range(w):
        for j in range(a):
            cost[i, j] = -weights[i][j] if allowed_a[i, j] else 1
    cols = _hungarian(cost)
    for i, j in enumerate(cols):
        if j < a and allowed_a[i, j]:
            out[i] = j
    return out


def _hungarian(cost: npt.NDArray[Any]) -> list[int]:
    """Min-cost assignment of every row to a distinct column (rows <= columns).

    The shortest-augmenting-path Hungarian method with potentials: one row added per round,
    each round O(rows * columns) with the inner scan vectorised. Ties go to the lowest column.
    """
    n, m = cost.shape
    exact = cost.dtype == object
    inf: Any = (sum(abs(x) for x in cost.flat) + 1) * 4 if exact else np.inf
    u: npt.NDArray[Any] = np.zeros(n + 1, dtype=cost.dtype)
    v: npt.NDArray[Any] = np.zeros(m + 1, dtype=cost.dtype)
    if exact:
        u[:] = 0
        v[:] = 0
    p = np.zeros(m + 1, dtype=np.int64)  # p[j]: row (1-based) holding column j; 0: free
    way = np.zeros(m + 1, dtype=np.int64)
    padded: npt.NDArray[Any] = np.zeros((n + 1, m + 1), dtype=cost.dtype)
    if exact:
        padded[:, :] = 0
    padded[1:, 1:] = cost
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv: npt.NDArray[Any] = np.full(m + 1, inf, dtype=cost.dtype)
        used = np.zeros(m + 1, dtype=np.bool_)
        while True:
            used[j0] = True
            i0 = int(p[j0])
            cur = padded[i0] - u[i0] - v
            better = ~used & (cur < minv)
            minv[better] = cur[better]
            way[better] = j0
            free = np.flatnonzero(~used)
            j1 = int(free[int(np.argmin(minv[free]))])
            delta = minv[j1]
            rows = p[used]
            u[rows] += delta
            v[used] -= delta
            minv[~used] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = int(way[j0])
            p[j0] = p[j1]
            j0 = j1
    cols = [0] * n
    for j in range(1, m + 1):
        if p[j]:
            cols[int(p[j]) - 1] = j - 1
    return cols


def objective(
    assignment: npt.ArrayLike, score: npt.ArrayLike, level: npt.ArrayLike
) -> tuple[int, ...]:
    """What :func:`assign` maximises, as a tuple compared lexicographically: matched items
    per level from the highest level down, then the total score.

    >>> objective([0, -1], [[3, 0], [2, 2]], [1, 0])
    (1, 0, 3)
    """
    assigned = np.asarray(assignment, dtype=np.int64)
    score_a = np.asarray(score, dtype=np.int64)
    level_a = np.asarray(level, dtype=np.int64)
    levels = sorted({int(x) for x in level_a}, reverse=True)
    counts = tuple(
        sum(1 for i in range(len(assigned)) if assigned[i] >= 0 and int(level_a[i]) == lv)
        for lv in levels
    )
    total = sum(int(score_a[i, assigned[i]]) for i in range(len(assigned)) if assigned[i] >= 0)
    return (*counts, total)


def assign_brute_force(
    allowed: npt.ArrayLike, score: npt.ArrayLike, level: npt.ArrayLike
) -> tuple[int, ...]:
    """The best :func:`objective` over every valid assignment (plain enumeration: each item
    to one allowed, unused column or to none). For tests on small instances only."""
    allowed_a = np.asarray(allowed, dtype=np.bool_)
    w, a = allowed_a.shape if allowed_a.ndim == 2 else (0, 0)
    best: tuple[int, ...] | None = None
    for choice in itertools.product(range(-1, a), repeat=w):
        taken = [c for c in choice if c >= 0]
        if len(taken) != len(set(taken)):
            continue
        if any(c >= 0 and not allowed_a[i, c] for i, c in enumerate(choice)):
            continue
        value = objective(list(choice), score, level)
        if best is None or value > best:
            best = value
    assert best is not None  # the empty assignment is always valid
    return best
