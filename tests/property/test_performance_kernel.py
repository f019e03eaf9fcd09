"""The fused ``performance`` keys kernel equals its numpy reference bit for bit.

Random slot arrays (observations, sums, contacts, who is logged in, including none and all),
team means of either sign and zero, with and without the balance term and the best-share mask:
:func:`~ccrouter.engine.performance_kernel.keys_kernel` must give exactly the keys and the
mask of :func:`~ccrouter.engine.performance_kernel.keys_reference`, and the mask must be the
best ``⌈top_share · P⌉`` of the ``P`` logged-in slots (ties included), never a logged-out one;
and the one-pass membership test a decision uses (``in_share``) must agree with the mask.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ccrouter.engine.estimates import FIELDS, NO_DATA_MEAN, kpi_sums
from ccrouter.engine.performance_kernel import (
    compute_keys,
    compute_mask,
    count_below,
    done_mean,
    in_share,
    keys_kernel,
    keys_reference,
    model_column,
    model_keys,
    model_reference,
    params,
)
from ccrouter.engine.performance_slots import team_mean

slot = st.tuples(
    st.integers(0, 6),  # observations
    st.sampled_from([0.0, 1.0, 2.5, 3.0, 4.25, 5.0, 120.0]),  # mean observed
    st.integers(0, 8),  # contacts
    st.booleans(),  # logged in
)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(slot, max_size=40),
    mu=st.sampled_from([0.0, 0.5, 3.2, -1.0, 300.0]),
    k=st.sampled_from([0.0, 2.0, 10.0]),
    sign=st.sampled_from([1.0, -1.0]),
    balance=st.sampled_from([0.0, 0.3, 1.0]),
    top_share=st.sampled_from([1.0, 0.25, 0.5, 0.01, 0.99]),
)
def test_kernel_equals_reference(
    rows: list[tuple[int, float, int, bool]],
    mu: float,
    k: float,
    sign: float,
    balance: float,
    top_share: float,
) -> None:
    n = np.array([float(r[0]) for r in rows])
    s = np.array([r[0] * r[1] for r in rows])
    done = np.array([float(r[2]) for r in rows])
    present = np.array([int(r[3]) for r in rows], dtype=np.uint8)
    args = {"mu": mu, "k": k, "sign": sign, "balance": balance, "top_share": top_share}
    want_keys, want_mask = keys_reference(n, s, done, present, **args)
    keys, mask = compute_keys(n, s, done, present, backend="numba", **args)
    assert keys.tobytes() == want_keys.tobytes()
    # The book keeps the model a column at a time (plain floats): the same bits as numpy's.
    model = model_reference(n, s, done, k)
    for i in range(len(rows)):
        column = model_column(float(n[i]), float(s[i]), float(done[i]), k)
        assert np.array(column).tobytes() == model[:, i].tobytes()
    # The keys from the model, every way they are computed, equal the reference's: numpy,
    # the keys kernel over a model wider than the slots (as the book's arrays grow).
    p = params(mu, sign, balance, done_mean(done))
    assert model_keys(model, len(rows), p).tobytes() == want_keys.tobytes()
    wide = np.full((3, len(rows) + 5), 7.0)
    wide[:, : len(rows)] = model
    assert keys_kernel(wide, len(rows), p).tobytes() == want_keys.tobytes()
    if want_mask is None:
        assert mask is None
        return
    assert mask is not None and mask.tolist() == want_mask.tolist()
    model = model_reference(n, s, done, k)
    p = params(mu, sign, balance, done_mean(done))
    for backend in ("numba", "python"):
        assert compute_mask(keys, present, top_share, backend).tolist() == mask.tolist()
        # A decision's one-pass membership test (each key computed from the model, none
        # stored) says what the mask says, slot by slot.
        inside = []
        for i in range(len(rows)):
            below, count = count_below(model, present, len(rows), p, i, backend=backend)
            inside.append(in_share(below, count, bool(present[i]), top_share))
        assert inside == [bool(m) for m in mask.tolist()]
    # What the mask means, stated plainly: the best share of the logged-in slots.
    on = [i for i in range(len(rows)) if rows[i][3]]
    if not on:
        assert not mask.any()
        return
    ranked = sorted(float(keys[i]) for i in on)
    threshold = ranked[max(1, math.ceil(top_share * len(on))) - 1]
    assert [i for i in range(len(rows)) if mask[i]] == [i for i in on if keys[i] <= threshold]


@given(
    counters=st.lists(st.integers(0, 10**12), min_size=len(FIELDS), max_size=len(FIELDS)),
    kpi=st.sampled_from(sorted(NO_DATA_MEAN)),
)
def test_the_team_mean_is_kpi_sums_mean(counters: list[int], kpi: str) -> None:
    # The decision's lean team mean is the mean kpi_sums gives, to the bit.
    n, s, _ = kpi_sums(counters, kpi)
    want = s / n if n else NO_DATA_MEAN[kpi]
    assert team_mean(counters, kpi).hex() == want.hex()
