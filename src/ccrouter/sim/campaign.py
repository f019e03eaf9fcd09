"""Outbound campaigns of a scenario (``[[campaigns]]``): whom to call, how, and how fast.

A campaign dials records of a list (``list_size``; none: as many as its dial window allows)
between ``start`` and ``end``. Each attempt reaches the right party with probability
``rpc_probability`` after ``answer_time``; otherwise it is given up after ``no_answer_time``
(no answer, busy, machine, wrong party: the dialer's own business, never the router's). A
right-party connect becomes an interaction in the campaign's queue that must reach an agent
within ``grace`` seconds, else the person is dropped: an outbound abandon (a nuisance call).

>>> c = Campaign.from_dict({"name": "renewals", "queue": "outbound", "rpc_probability": 0.3,
...     "handle": {"kind": "exponential", "mean": 200}, "pacing": {"kind": "progressive"}})
>>> c.channel, c.priority, c.grace, type(c.pacing).__name__
('voice', -1.0, 2.0, 'Progressive')
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Annotated, Any, TypeAlias

import msgspec

from ccrouter.sim.distributions import Deterministic, Distribution, Uniform

__all__ = ["Campaign", "Pacing", "Predictive", "Progressive", "validate_campaigns"]

Positive = Annotated[float, msgspec.Meta(gt=0.0)]
NonNegative = Annotated[float, msgspec.Meta(ge=0.0)]
Probability = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
Name = Annotated[str, msgspec.Meta(min_length=1)]


class Predictive(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                 tag_field="kind", tag="predictive"):  # fmt: skip
    """Predictive pacing (``ccrouter.sim.pacing``): lines from the free and soon-free agents
    over the observed hit rate, times a gain that an integral controller steers so that the
    abandon rate meets ``target_abandon_rate``.

    Attributes:
        gain_step: the controller's step on ``log gain`` per connect.
        initial_gain, min_gain, max_gain: the gain's start and bounds.
        prior_attempts: weight (in attempts) of ``rpc_probability`` as the hit rate's prior.
        max_lines_per_agent: at most this many lines in flight per staffed agent.
    """

    gain_step: Positive = 0.25
    initial_gain: Positive = 0.5
    min_gain: Positive = 0.1
    max_gain: Positive = 4.0
    prior_attempts: NonNegative = 20.0
    max_lines_per_agent: Positive = 5.0


class Progressive(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                  tag_field="kind", tag="progressive"):  # fmt: skip
    """One line per free agent (1:1): no overdial, so (almost) no abandons."""


Pacing: TypeAlias = Predictive | Progressive


class Campaign(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One outbound campaign.

    Attributes:
        queue: the router queue its connects wait in (its own: no call type or other campaign
            may use it, so its figures stay apart).
        priority: of its connects in the router; inbound call types (priority 0 by default)
            go first at the default -1.
        rpc_probability: chance that an attempt reaches the right party.
        answer_time: dial → the right party answers.
        no_answer_time: dial → an attempt without right-party connect is given up.
        grace: seconds a connect may wait for an agent before it is dropped (abandon).
        reserve: free agents the dialer leaves for inbound work (paces as if that many fewer
            were free), so that blending does not take every idle moment from inbound.
        target_abandon_rate: abandons per connect the predictive pacing aims at.
        list_size: records to dial (each dialed once); none: no limit within the window.
        start, end: the dial window (``end`` defaults to the horizon).
    """

    name: Name
    queue: Name
    handle: Distribution
    rpc_probability: Probability
    channel: Name = "voice"
    skills: dict[str, Annotated[int, msgspec.Meta(ge=0)]] = {}
    priority: float = -1.0
    answer_time: Distribution = Uniform(low=5.0, high=20.0)
    no_answer_time: Distribution = Deterministic(value=25.0)
    grace: NonNegative = 2.0
    reserve: Annotated[int, msgspec.Meta(ge=0)] = 0
    target_abandon_rate: Probability = 0.03
    pacing: Pacing = Predictive()
    list_size: Annotated[int, msgspec.Meta(ge=1)] | None = None
    start: NonNegative = 0.0
    end: Positive | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Campaign:
        """Build a campaign (``msgspec.ValidationError`` names a bad field)."""
        return msgspec.convert(data, cls)


def validate_campaigns(
    campaigns: Sequence[Campaign],
    *,
    horizon: float,
    queues: Collection[str],
    inbound_queues: Collection[str],
    taken_names: Collection[str],
    fail: Callable[[str, str], None],
) -> None:
    """Check what msgspec cannot: names, queues, the window, distribution bounds.

    ``fail(where, message)`` raises (the scenario's error, naming ``$.campaigns[k].field``).
    """
    names = set(taken_names)
    own_queues: set[str] = set()
    for k, c in enumerate(campaigns):
        at = f"$.campaigns[{k}]"
        if c.name in names:
            fail(f"{at}.name", f"duplicate name {c.name!r} (call types and campaigns share names)")
        names.add(c.name)
        if c.queue not in queues:
            fail(f"{at}.queue", f"queue {c.queue!r} is not in the router config")
        if c.queue in inbound_queues or c.queue in own_queues:
            fail(f"{at}.queue", f"queue {c.queue!r} is already used; a campaign needs its own")
        own_queues.add(c.queue)
        end = horizon if c.end is None else c.end
        if end > horizon:
            fail(f"{at}.end", f"expected at most the horizon ({horizon:g}), got {end:g}")
        if c.start >= end:
            fail(f"{at}.start", f"expected before the end of the window ({end:g}), got {c.start:g}")
        if isinstance(c.pacing, Predictive) and c.pacing.max_gain < c.pacing.min_gain:
            fail(f"{at}.pacing.max_gain", f"expected >= min_gain ({c.pacing.min_gain:g})")
        for field in ("handle", "answer_time", "no_answer_time"):
            dist = getattr(c, field)
            if isinstance(dist, Uniform) and dist.high < dist.low:
                fail(f"{at}.{field}.high", f"expected >= low ({dist.low:g}), got {dist.high:g}")
