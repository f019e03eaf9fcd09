"""The Numba selection kernel returns exactly what the pure-Python reference returns.

Arrays are drawn directly (agents, skills, availability, exclusions, ties in every per-slot
fact, every strategy, any ``u``); the kernel gets the same facts in its compact form, with the
ready set in an arbitrary order. A second test drives :class:`AgentTable` through random
updates and compares both backends of :func:`select_agent` on the live arrays.
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np
from hypothesis import given

from ccrouter.engine import agent_table
from ccrouter.engine.agent_table import MISSING, AgentTable
from ccrouter.engine.performance_kernel import keys_reference, model_column, model_keys, params
from ccrouter.engine.routing import _kernels
from ccrouter.engine.routing._kernels import select_agent_kernel, select_performance_kernel
from ccrouter.engine.routing.match import select_agent, select_in_share
from ccrouter.engine.routing.reference import select_agent_reference
from ccrouter.engine.routing.strategies import CODES, KERNEL_KEYS

NO_SHARE = np.zeros(0, dtype=np.int32)
"""No bucket index (``tests/property/test_share_index.py`` holds the kernel with one)."""
STRATEGIES = sorted(CODES)
levels = st.integers(MISSING, 4)  # small range: many ties and many misses


@st.composite
def problems(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(0, 12))
    skills = draw(st.integers(1, 4))
    k = draw(st.integers(0, skills))
    prof = np.array(
        draw(st.lists(st.lists(levels, min_size=n, max_size=n), min_size=skills, max_size=skills)),
        dtype=np.int16,
    ).reshape(skills, n)
    avail = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=np.uint8)
    req_cols = draw(st.permutations(range(skills)))[:k]
    req_mins = draw(st.lists(st.integers(0, 4), min_size=k, max_size=k))
    excluded = draw(st.lists(st.integers(0, max(n - 1, 0)), unique=True, max_size=n)) if n else []
    # Targeted routing: empty (anyone), some slots, or slots that do not exist (-1: nobody).
    allowed = draw(
        st.one_of(
            st.just([]),
            st.lists(st.integers(-1, max(n - 1, 0)), unique=True, min_size=1, max_size=n + 1),
        )
    )
    small = st.sampled_from([0.0, 0.5, 1.0, 2.0])
    # Agent selector: none (empty), or a per-slot mask (all, none or some pass).
    selected = draw(st.one_of(st.just([]), st.lists(st.booleans(), min_size=n, max_size=n)))
    # order_by keys: ties, infinities (no value) and negated (desc) values.
    keys = draw(
        st.lists(st.sampled_from([-2.0, -1.0, 0.0, 1.0, 3.0, np.inf]), min_size=n, max_size=n)
    )
    return {
        "selected": np.array(selected, dtype=np.uint8),
        "keys": np.array(keys, dtype=np.float64),
        "n": n,
        "prof": prof,
        "avail": avail,
        "req_cols": np.array(req_cols, dtype=np.int64),
        "req_mins": np.array(req_mins, dtype=np.int16),
        "excluded": np.array(excluded, dtype=np.int64),
        "allowed": np.array(allowed, dtype=np.int64),
        "strategy": CODES[draw(st.sampled_from(STRATEGIES))],
        "idle_since": np.array(draw(st.lists(small, min_size=n, max_size=n)), dtype=np.float64),
        "login_order": np.array(draw(st.permutations(range(1, n + 1))), dtype=np.int64),
        "handled": np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))),
        "load": np.array(draw(st.lists(small, min_size=n, max_size=n)), dtype=np.float64),
        "round_robin_last": draw(st.integers(0, n + 1)),
        "u": draw(st.floats(0.0, 1.0, exclude_max=True)),
        "order": draw(st.permutations(range(n))),  # order of the kernel's ready set
        "row": draw(st.integers(0, 1)),
        "block": draw(st.sampled_from([1, 3, 4, 64])),
    }


def reference(p: dict[str, Any]) -> int:
    return select_agent_reference(
        p["n"],
        p["avail"],
        p["prof"],
        p["req_cols"],
        p["req_mins"],
        p["excluded"],
        p["strategy"],
        p["idle_since"],
        p["login_order"],
        p["handled"],
        p["load"],
        p["round_robin_last"],
        p["u"],
        p["allowed"],
        p["selected"],
        p["keys"],
    )


def kernel(p: dict[str, Any]) -> Any:
    """The kernel's answer; with ``p["model"]`` (model, parameters, logged in, best share)
    the performance kernel's ``(slot, inside)``."""
    n, row = p["n"], p["row"]
    ready_slots = [s for s in p["order"] if p["avail"][s]]
    count = len(ready_slots)
    skills = p["prof"].shape[0]
    ready = np.full((2, n + 3), -7, dtype=np.int64)  # junk beyond `count` must be ignored
    ready[row, :count] = ready_slots
    block = p["block"]
    blocks = -(-(n + 3) // block)
    ready_prof = np.full((2, blocks * block, skills), 99, dtype=np.int16)
    ready_prof[row, :count] = p["prof"][:, ready_slots].T
    # Positions i -> [i // block, :, i % block], as AgentTable lays them out.
    ready_prof = np.ascontiguousarray(
        ready_prof.reshape(2, blocks, block, skills).transpose(0, 1, 3, 2)
    )
    facts = np.zeros((n, 4), dtype=np.float64)
    facts[:, agent_table.IDLE_SINCE] = p["idle_since"]
    facts[:, agent_table.LOAD] = p["load"]
    facts[:, agent_table.HANDLED] = p["handled"]
    facts[:, agent_table.LOGIN_ORDER] = p["login_order"]
    ready_facts = np.full((2, n + 3, 4), -5.0)
    ready_facts[row, :count] = facts[ready_slots]
    req = np.concatenate([p["req_cols"], p["req_mins"].astype(np.int64)])
    work = np.full(2 * n + 2, 5, dtype=np.int64)
    if "model" in p:
        model, params_, present, top_share = p["model"]
        slot, inside = select_performance_kernel(
            row, count, ready, ready_prof, req, p["excluded"], p["allowed"], ready_facts,
            KERNEL_KEYS[p["strategy"]], p["round_robin_last"], p["u"], work, p["selected"],
            model, params_, present, n, top_share, NO_SHARE,
        )  # fmt: skip
        return int(slot), bool(inside)
    return int(
        select_agent_kernel(
            row,
            count,
            ready,
            ready_prof,
            req,
            p["excluded"],
            p["allowed"],
            ready_facts,
            KERNEL_KEYS[p["strategy"]],  # the kernel reads the packed key
            p["round_robin_last"],
            p["u"],
            work,
            p["selected"],
            p["keys"],
        )
    )


@given(problems())
def test_kernel_equals_reference(p: dict[str, Any]) -> None:
    assert kernel(p) == reference(p)


@st.composite
def models(draw: st.DrawFn, n: int) -> tuple[Any, Any, Any]:
    """A ``performance`` model over ``n`` slots (wider than them, as the book's arrays grow),
    its parameters and who is logged in: few values, so keys tie often."""
    k = draw(st.sampled_from([0.0, 2.0, 10.0]))
    mu = draw(st.sampled_from([0.0, 0.5, 3.2, -1.0, 300.0]))
    columns = [
        model_column(float(obs), obs * draw(st.sampled_from([0.0, 1.0, 2.5, 5.0])), float(c), k)
        for obs, c in draw(
            st.lists(st.tuples(st.integers(0, 4), st.integers(0, 5)), min_size=n, max_size=n)
        )
    ]
    model = np.full((3, n + 2), 9.0)  # junk beyond the slots must be ignored
    if n:
        model[:, :n] = np.array(columns).T
    done = model[2, :n]
    active = int(np.count_nonzero(done))
    mean = float(done.sum()) / active if active else 0.0
    p = params(mu, draw(st.sampled_from([1.0, -1.0])), draw(st.sampled_from([0.0, 0.3])), mean)
    present = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=np.uint8)
    return model, p, present


@given(data=st.data(), p=problems())
def test_performance_kernel_equals_reference(data: st.DataObject, p: dict[str, Any]) -> None:
    # The performance kernel computes the ORDER key of each eligible slot from the model; the
    # reference reads every key (model_keys): the same pick. With a best share, whether the
    # pick is in it is the mask's answer (keys_reference's mask over the same keys).
    model, params_, present = data.draw(models(p["n"]))
    top_share = data.draw(st.sampled_from([1.0, 0.25, 0.5, 0.01, 0.99]))
    keys = model_keys(model, p["n"], params_)
    want = reference({**p, "keys": keys})
    slot, inside = kernel({**p, "model": (model, params_, present, top_share)})
    assert slot == want
    if want < 0 or top_share >= 1.0:
        assert inside
        return
    z = np.zeros(p["n"])
    _, mask = keys_reference(z, z, z, present, mu=0.0, k=0.0, sign=1.0, balance=0.0,
                             top_share=top_share, keys=keys)  # fmt: skip
    assert mask is not None and inside == bool(mask[want])


def test_fact_rows_agree() -> None:
    # The kernel repeats the facts layout (it imports no ccrouter module but strategies).
    assert (_kernels._IDLE_SINCE, _kernels._LOAD, _kernels._HANDLED, _kernels._LOGIN_ORDER) == (
        agent_table.IDLE_SINCE,
        agent_table.LOAD,
        agent_table.HANDLED,
        agent_table.LOGIN_ORDER,
    )


SKILLS = [f"s{i}" for i in range(11)]  # more than the table's initial 8 columns: it must grow
CHANNELS = ["voice", "chat", "email"]  # more than the initial 2 rows

updates = st.one_of(
    st.tuples(
        st.just("login"),
        st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 5), min_size=1),
        st.sampled_from(CHANNELS),
    ),
    st.tuples(
        st.just("avail"),
        st.integers(0, 40),
        st.sampled_from(CHANNELS),
        st.booleans(),
    ),
    st.tuples(
        st.just("reskill"),
        st.integers(0, 40),
        st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 5)),
    ),
    st.tuples(
        st.just("facts"), st.integers(0, 40), st.sampled_from([0.0, 1.0, 2.0]), st.integers(0, 3)
    ),
)


@given(
    steps=st.lists(updates, max_size=60),
    queries=st.lists(
        st.tuples(
            st.sampled_from(CHANNELS),
            st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 5), max_size=3),
            st.sampled_from(STRATEGIES),
            st.lists(st.integers(0, 40), max_size=3, unique=True),
            st.floats(0.0, 1.0, exclude_max=True),
            st.lists(st.integers(-1, 40), max_size=3, unique=True),
            st.lists(st.sampled_from([0.0, 1.5, 4.0]), min_size=41, max_size=41),
        ),
        min_size=1,
        max_size=5,
    ),
)
def test_backends_agree_on_a_live_table(
    steps: list[tuple[Any, ...]], queries: list[tuple[Any, ...]]
) -> None:
    table = AgentTable(agents=2, skills=2, channels=1)  # small: exercise growth
    for step in steps:
        if step[0] == "login":
            slot = table.add_agent()
            table.set_skills(slot, step[1])
            table.set_fact(slot, agent_table.LOGIN_ORDER, slot + 1)
            table.set_available(table.ensure_channel(step[2]), slot, True)
        elif step[0] == "avail" and table.n:
            _, slot, channel, on = step
            table.set_available(table.ensure_channel(channel), slot % table.n, on)
        elif step[0] == "reskill" and table.n:
            table.set_skills(step[1] % table.n, step[2])
        elif step[0] == "facts" and table.n:
            _, slot, idle, handled = step
            table.set_facts(slot % table.n, idle, idle / 2)
            table.set_fact(slot % table.n, agent_table.HANDLED, handled)
        table._check()
    for channel, skills, strategy, excluded, u, allowed, scores in queries:
        excl = [s % table.n for s in excluded] if table.n else []
        excl = list(dict.fromkeys(excl))
        allow = list(dict.fromkeys(s % table.n if s >= 0 and table.n else -1 for s in allowed))
        answers = {
            backend: select_agent(
                table,
                channel,
                skills,
                strategy=strategy,
                excluded=excl,
                allowed=allow,
                u=u,
                backend=backend,
                order=np.zeros(table.n),  # order_by: every key ties (idle, then login order)
            )
            for backend in ("numba", "python")
        }
        assert answers["numba"] == answers["python"], answers
        # By a performance model (per-slot sums), with the best-share count: both backends.
        n = table.n
        cols = [
            model_column(float(i % 3), scores[i] * (i % 3), float(i % 4), 2.0) for i in range(n)
        ]
        model = (np.array(cols).T.copy() if n else np.zeros((3, 0)), params(2.5, 1.0, 0.3, 1.5))
        present = np.array([i % 5 != 0 for i in range(n)], dtype=np.uint8)
        shares = {
            backend: select_in_share(
                table, channel, skills, strategy=strategy, model=model, present=present,
                top_share=0.3, excluded=excl, allowed=allow, u=u, backend=backend,
            )
            for backend in ("numba", "python")
        }  # fmt: skip
        assert shares["numba"] == shares["python"], shares
        plain = select_agent(
            table, channel, skills, strategy=strategy, excluded=excl, allowed=allow, u=u,
            backend="numba", model=model,
        )  # fmt: skip
        assert plain == shares["numba"][0]


@given(
    steps=st.lists(updates, max_size=40),
    levels=st.lists(st.integers(0, 5), max_size=45),
    queries=st.lists(
        st.tuples(
            st.sampled_from(CHANNELS),
            st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 5), max_size=2),
            st.sampled_from(STRATEGIES),
            st.sampled_from([None, "agent.level >= 3", "agent.level < 2 or agent.fr"]),
            st.lists(st.integers(0, 40), max_size=3, unique=True),
        ),
        min_size=1,
        max_size=5,
    ),
)
def test_backends_agree_with_selectors_and_order_by(
    steps: list[tuple[Any, ...]], levels: list[int], queries: list[tuple[Any, ...]]
) -> None:
    # A live table plus the selector masks and order_by keys kept from agent attributes; both
    # backends pick the same slot, and the slot picked passes the selector.
    from ccrouter.engine.routing.selectors import NO_MASK, SelectorMasks

    table = AgentTable(agents=2, skills=2, channels=1)
    attributes: list[dict[str, Any]] = []
    masks = SelectorMasks(attributes.__getitem__, attributes.__len__)
    masks.order("agent.level desc")  # in use before any agent: kept up to date from then on
    for step in steps:
        if step[0] == "login":
            slot = table.add_agent()
            table.set_skills(slot, step[1])
            table.set_fact(slot, agent_table.LOGIN_ORDER, slot + 1)
            table.set_available(table.ensure_channel(step[2]), slot, True)
            attributes.append({})
            masks.changed(slot)
        elif step[0] == "avail" and table.n:
            _, slot, channel, on = step
            table.set_available(table.ensure_channel(channel), slot % table.n, on)
    for i, level in enumerate(levels[: table.n]):  # attribute updates after login
        attributes[i] = {"level": level, "fr": level % 2 == 0}
        masks.changed(i)
    masks._check()
    for channel, skills, strategy, text, excluded in queries:
        selected = masks.mask(text) if text is not None else NO_MASK
        order = masks.order("agent.level desc")
        excl = list(dict.fromkeys(s % table.n for s in excluded)) if table.n else []
        answers = {
            backend: select_agent(
                table,
                channel,
                skills,
                strategy=strategy,
                excluded=excl,
                u=0.5,
                backend=backend,
                selected=selected,
                order=order,
            )
            for backend in ("numba", "python")
        }
        assert answers["numba"] == answers["python"], answers
        if text is not None and answers["python"] >= 0:
            assert selected[answers["python"]] == 1
    masks._check()
