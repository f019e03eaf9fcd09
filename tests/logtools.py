"""Event builders and Hypothesis strategies for the event-log tests (contracts, faults).

The deterministic builders (``event``, ``events``, ``batches``) live in
:mod:`ccrouter.log.contract`, which appends them in its checks; they are re-exported here.
"""

from __future__ import annotations

from hypothesis import strategies as st

from ccrouter.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    Event,
    InteractionAbandoned,
    InteractionCompleted,
    InteractionOffered,
    InteractionQueued,
    OfferAccepted,
    OfferDeclined,
    OfferRevoked,
    OfferTimedOut,
    WrapUpEnded,
)
from ccrouter.log.contract import batches, event, events

__all__ = ["batches", "event", "event_batches", "events"]


# --- Hypothesis -------------------------------------------------------------------------------

_ids = st.text(min_size=1, max_size=12)
_at = st.floats(min_value=0, max_value=1e9, allow_nan=False)
_skills = st.dictionaries(st.text(min_size=1, max_size=8), st.integers(0, 10), max_size=4)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**62), 2**62) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)

_bodies = st.one_of(
    st.builds(
        AgentLoggedIn,
        seq=st.just(0),
        at=_at,
        agent_id=_ids,
        skills=_skills,
        capacity=st.dictionaries(st.sampled_from(["voice", "chat", "email"]), st.integers(1, 5)),
    ),
    st.builds(AgentLoggedOut, seq=st.just(0), at=_at, agent_id=_ids),
    st.builds(AgentReady, seq=st.just(0), at=_at, agent_id=_ids),
    st.builds(AgentNotReady, seq=st.just(0), at=_at, agent_id=_ids, reason=_ids),
    st.builds(
        InteractionQueued,
        seq=st.just(0),
        at=_at,
        interaction_id=_ids,
        channel=_ids,
        queue=_ids,
        skills=_skills,
        priority=st.floats(-1e6, 1e6, allow_nan=False),
        customer_id=st.none() | _ids,
        attributes=st.dictionaries(st.text(max_size=8), _json, max_size=4),
    ),
    st.builds(
        InteractionOffered,
        seq=st.just(0),
        at=_at,
        interaction_id=_ids,
        agent_id=_ids,
        expires_at=st.none() | _at,
        config_version=st.integers(0, 1000),
    ),
    st.builds(OfferAccepted, seq=st.just(0), at=_at, interaction_id=_ids, agent_id=_ids),
    st.builds(OfferDeclined, seq=st.just(0), at=_at, interaction_id=_ids, agent_id=_ids),
    st.builds(OfferTimedOut, seq=st.just(0), at=_at, interaction_id=_ids, agent_id=_ids),
    st.builds(
        OfferRevoked, seq=st.just(0), at=_at, interaction_id=_ids, agent_id=_ids, reason=_ids
    ),
    st.builds(
        InteractionCompleted,
        seq=st.just(0),
        at=_at,
        interaction_id=_ids,
        agent_id=_ids,
        wrap_up_until=_at,
    ),
    st.builds(WrapUpEnded, seq=st.just(0), at=_at, interaction_id=_ids, agent_id=_ids),
    st.builds(
        InteractionAbandoned,
        seq=st.just(0),
        at=_at,
        interaction_id=_ids,
        agent_id=st.none() | _ids,
    ),
)


@st.composite
def event_batches(draw: st.DrawFn, max_batches: int = 8, max_size: int = 6) -> list[list[Event]]:
    """Random events split into random batches, numbered from seq 1."""
    import msgspec

    sizes = draw(st.lists(st.integers(1, max_size), max_size=max_batches))
    out: list[list[Event]] = []
    seq = 1
    for size in sizes:
        batch = []
        for _ in range(size):
            body = draw(_bodies)
            batch.append(msgspec.structs.replace(body, seq=seq))
            seq += 1
        out.append(batch)
    return out
