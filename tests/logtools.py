"""Event builders and Hypothesis strategies for the event-log tests (contracts, faults)."""

from __future__ import annotations

from collections.abc import Sequence

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


def event(seq: int, tag: str = "") -> Event:
    """A deterministic event for ``seq`` (the type cycles with ``seq``; ``tag`` marks a writer)."""
    at = seq * 0.5
    agent = f"agent-{seq % 7}{tag}"
    inter = f"int-{seq}{tag}"
    k = seq % 9
    if k == 0:
        return AgentLoggedIn(
            seq=seq, at=at, agent_id=agent, skills={"sales": 3, "fr": 1}, capacity={"voice": 1}
        )
    if k == 1:
        return InteractionQueued(
            seq=seq,
            at=at,
            interaction_id=inter,
            channel="voice",
            queue="default",
            skills={"sales": 2},
            priority=float(seq % 3),
            attributes={"n": seq, "tag": tag},
        )
    if k == 2:
        return InteractionOffered(
            seq=seq, at=at, interaction_id=inter, agent_id=agent, expires_at=at + 20.0
        )
    if k == 3:
        return OfferAccepted(seq=seq, at=at, interaction_id=inter, agent_id=agent)
    if k == 4:
        return InteractionCompleted(
            seq=seq, at=at, interaction_id=inter, agent_id=agent, wrap_up_until=at + 5
        )
    if k == 5:
        return WrapUpEnded(seq=seq, at=at, interaction_id=inter, agent_id=agent)
    if k == 6:
        return AgentNotReady(seq=seq, at=at, agent_id=agent, reason="break")
    if k == 7:
        return AgentReady(seq=seq, at=at, agent_id=agent)
    return InteractionAbandoned(seq=seq, at=at, interaction_id=inter, agent_id=None)


def events(start: int, n: int, tag: str = "") -> list[Event]:
    """``n`` deterministic events with seq ``start, start+1, ...``."""
    return [event(s, tag) for s in range(start, start + n)]


def batches(sizes: Sequence[int], start: int = 1, tag: str = "") -> list[list[Event]]:
    """Consecutive batches of the given sizes."""
    out = []
    for size in sizes:
        out.append(events(start, size, tag))
        start += size
    return out


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
