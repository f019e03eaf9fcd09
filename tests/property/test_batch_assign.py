"""Batch matching: the Hungarian solver reaches the brute-force optimum on small instances.

Instances are drawn directly (up to 5 items x 5 columns, sparse or dense eligibility, few
priority levels so that levels and scores interact, many score ties). The answer must be a
valid assignment (allowed pairs, no column twice) whose lexicographic objective equals the
best over every assignment; the exact (Python integer) path is held to the same.
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

from ccrouter.engine.routing import batch
from ccrouter.engine.routing.batch import assign, assign_brute_force, objective


@st.composite
def instances(draw: st.DrawFn) -> tuple[Any, Any, Any]:
    w = draw(st.integers(0, 5))
    a = draw(st.integers(0, 5))
    allowed = np.array(
        draw(st.lists(st.lists(st.booleans(), min_size=a, max_size=a), min_size=w, max_size=w)),
        dtype=np.bool_,
    ).reshape(w, a)
    score = np.array(
        draw(st.lists(st.lists(st.integers(0, 6), min_size=a, max_size=a), min_size=w, max_size=w)),
        dtype=np.int64,
    ).reshape(w, a)
    level = np.array(draw(st.lists(st.integers(-2, 2), min_size=w, max_size=w)), dtype=np.int64)
    return allowed, score, level


def valid(result: Any, allowed: Any) -> bool:
    taken = [int(c) for c in result if c >= 0]
    return len(taken) == len(set(taken)) and all(
        c < 0 or bool(allowed[i, c]) for i, c in enumerate(result)
    )


@given(instances())
@settings(max_examples=300, deadline=None)
def test_the_solver_matches_brute_force(instance: tuple[Any, Any, Any]) -> None:
    allowed, score, level = instance
    result = assign(allowed, score, level)
    assert result.shape == (allowed.shape[0],)
    assert valid(result, allowed)
    assert objective(result, score, level) == assign_brute_force(allowed, score, level)


@given(instances())
@settings(max_examples=100, deadline=None)
def test_the_exact_integer_path_matches_brute_force(instance: tuple[Any, Any, Any]) -> None:
    allowed, score, level = instance
    saved = batch._EXACT_FLOAT
    batch._EXACT_FLOAT = 0  # every instance through the object-dtype path
    try:
        result = assign(allowed, score, level)
    finally:
        batch._EXACT_FLOAT = saved
    assert valid(result, allowed)
    assert objective(result, score, level) == assign_brute_force(allowed, score, level)


@given(instances())
@settings(max_examples=100, deadline=None)
def test_no_item_waits_for_lower_priority_work_its_agent_took(
    instance: tuple[Any, Any, Any],
) -> None:
    allowed, score, level = instance
    result = assign(allowed, score, level)
    for i, col in enumerate(result):
        if col >= 0:
            continue
        for j, other in enumerate(result):
            if other >= 0 and allowed[i, other]:
                assert level[j] >= level[i], (i, j, result.tolist())


def test_hand_worked_head_of_line_blocking() -> None:
    # Column 0 can take both items, column 1 only item 0: the only way to match both is
    # item 0 -> column 1, item 1 -> column 0 (a greedy pass giving column 0 to item 0 first
    # would leave item 1 waiting).
    allowed = np.array([[True, True], [True, False]])
    score = np.array([[0, 0], [9, 0]])
    assert assign(allowed, score, [0, 0]).tolist() == [1, 0]
    # Levels first: item 0 (level 1) must be matched even if item 1 scores more with column 0.
    allowed = np.array([[True], [True]])
    score = np.array([[0], [9]])
    assert assign(allowed, score, [1, 0]).tolist() == [0, -1]
    assert assign(allowed, score, [0, 0]).tolist() == [-1, 0]


def test_bad_shapes_and_negative_scores_are_refused() -> None:
    with pytest.raises(ValueError, match="allowed"):
        assign(np.ones((2, 2), dtype=bool), np.ones((2, 3), dtype=np.int64), [0, 0])
    with pytest.raises(ValueError, match=">= 0"):
        assign(np.ones((1, 1), dtype=bool), -np.ones((1, 1), dtype=np.int64), [0])
