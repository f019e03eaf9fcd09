"""Dialer pacing: how many outbound lines to have in flight (pure arithmetic, no state but
two small estimators that are fed outcomes explicitly).

The predictive rule (``docs/simulation.md``, "Outbound and blending")::

    expected_free = busy · min(1, d / h)                 # busy agents likely free within d
    available     = max(0, free + expected_free − waiting − reserve)
    lines         = min(cap, max(floor(g · available / p̂), free − waiting − reserve))
    dial now      = max(0, lines − in_flight)

with ``free`` the campaign's ready agents with spare capacity on its channel, ``busy`` its
ready agents at full capacity, ``waiting`` the interactions already queued that those agents
would take first (inbound of priority ≥ the campaign's, and the campaign's own connects),
``reserve`` the free agents the campaign leaves to inbound work, ``d`` the mean time from
dial to answer, ``h`` the mean handle time (talk + wrap-up), ``p̂``
the observed right-party-connect rate (:class:`HitRate`) and ``g`` the gain of the abandon
controller (:class:`AbandonController`). The progressive rule dials one line per available
agent: ``lines = max(0, free − waiting − reserve)``.

>>> predictive_lines(free=2, busy=6, waiting=0, connect_delay=15, handle_time=180,
...                  hit_rate=0.25, gain=1.0, cap=100)
10
>>> progressive_lines(free=3, waiting=1)
2
"""

from __future__ import annotations

import math

__all__ = [
    "AbandonController",
    "HitRate",
    "expected_free",
    "lines_to_dial",
    "predictive_lines",
    "progressive_lines",
]

MIN_HIT_RATE = 0.01
"""Floor of the hit-rate estimate, so that a campaign with no connects yet dials a bounded
number of lines (the cap still applies)."""


def expected_free(busy: int, connect_delay: float, handle_time: float) -> float:
    """Busy agents expected to become free within ``connect_delay`` seconds.

    First-order rule: a busy agent finishes within ``d`` with probability ``d / h`` (the chance
    that a handle time of mean ``h`` ends in a window of ``d`` seen at a random moment),
    capped at 1.

    >>> expected_free(6, 15.0, 180.0)
    0.5
    >>> expected_free(4, 30.0, 20.0)
    4.0
    """
    if busy <= 0:
        return 0.0
    if handle_time <= 0:
        return float(busy)
    return busy * min(1.0, connect_delay / handle_time)


def predictive_lines(
    *,
    free: int,
    busy: int,
    waiting: int,
    connect_delay: float,
    handle_time: float,
    hit_rate: float,
    gain: float,
    cap: int,
    reserve: int = 0,
) -> int:
    """Lines the predictive dialer wants in flight (see the module docstring).

    >>> predictive_lines(free=0, busy=10, waiting=0, connect_delay=20, handle_time=200,
    ...                  hit_rate=0.4, gain=2.0, cap=100)   # 2 · (0 + 1) / 0.4
    5
    >>> predictive_lines(free=1, busy=10, waiting=3, connect_delay=20, handle_time=200,
    ...                  hit_rate=0.4, gain=1.0, cap=100)   # inbound waiting comes first
    0
    """
    soon_free = expected_free(busy, connect_delay, handle_time)
    available = max(0.0, free + soon_free - waiting - reserve)
    p = max(MIN_HIT_RATE, hit_rate)
    # The small epsilon keeps a hand-exact product such as 2.0 · 1.0 / 0.4 from flooring to 4.
    lines = math.floor(gain * available / p + 1e-9)
    # Never fewer than progressive: a low gain trims the overdial, it does not leave agents idle.
    return max(
        0, min(cap, max(lines, progressive_lines(free=free, waiting=waiting, reserve=reserve)))
    )


def progressive_lines(*, free: int, waiting: int, reserve: int = 0) -> int:
    """One line per free agent not already claimed by waiting work or kept in reserve.

    >>> progressive_lines(free=3, waiting=0, reserve=2), progressive_lines(free=1, waiting=0)
    (1, 1)
    """
    return max(0, free - waiting - reserve)


def lines_to_dial(lines: int, in_flight: int) -> int:
    """New dials to place now so that ``lines`` are in flight (never negative: a dialer does
    not hang up on lines it has already placed).

    >>> lines_to_dial(5, 3), lines_to_dial(2, 3)
    (2, 0)
    """
    return max(0, lines - in_flight)


class HitRate:
    """Right-party-connect rate observed so far, shrunk towards a prior while attempts are few:
    ``p̂ = (connects + w·prior) / (attempts + w)``.

    >>> h = HitRate(prior=0.3, weight=10)
    >>> h.value
    0.3
    >>> for connected in (True, False, False, False, False):
    ...     h.observe(connected)
    >>> round(h.value, 6)   # (1 + 3) / (5 + 10)
    0.266667
    """

    __slots__ = ("attempts", "connects", "prior", "weight")

    def __init__(self, prior: float, weight: float) -> None:
        self.prior = prior
        self.weight = weight
        self.attempts = 0
        self.connects = 0

    def observe(self, connected: bool) -> None:
        """Record one finished attempt."""
        self.attempts += 1
        self.connects += int(connected)

    @property
    def value(self) -> float:
        total = self.attempts + self.weight
        if total <= 0:
            return self.prior
        return (self.connects + self.weight * self.prior) / total


class AbandonController:
    """Integral control of the abandon rate through the dialer's gain ``g``.

    Each connect moves ``log g`` by ``step · (target − abandoned)``: up by ``step·target``
    when the person reached an agent, down by ``step·(1 − target)`` when it was abandoned.
    Over ``N`` connects with ``A`` abandons, ``log g_N − log g_0 = step · (N·target − A)``, so
    as long as ``g`` stays inside ``[low, high]`` the abandon rate is

        A / N = target − (log g_N − log g_0) / (step · N),

    within ``log(high / low) / (step · N)`` of the target: the error shrinks like ``1/N``
    whatever the traffic. At a bound the gain stays clamped (the campaign cannot reach the
    target: a gain of ``high`` still abandons less, or ``low`` still abandons more).

    >>> c = AbandonController(target=0.05, step=0.1, initial=1.0, low=0.1, high=4.0)
    >>> c.observe(False); round(c.gain, 6)   # exp(0.1 · 0.05)
    1.005013
    >>> c.observe(True); round(c.gain, 6)    # exp(0.1 · (0.05 + 0.05 - 1))
    0.913931
    """

    __slots__ = ("high", "log_gain", "low", "step", "target")

    def __init__(
        self, *, target: float, step: float, initial: float, low: float, high: float
    ) -> None:
        self.target = target
        self.step = step
        self.low = math.log(low)
        self.high = math.log(high)
        self.log_gain = min(self.high, max(self.low, math.log(initial)))

    def observe(self, abandoned: bool) -> None:
        """Record the fate of one connect (abandoned or reached an agent in time)."""
        error = self.target - (1.0 if abandoned else 0.0)
        self.log_gain = min(self.high, max(self.low, self.log_gain + self.step * error))

    @property
    def gain(self) -> float:
        return math.exp(self.log_gain)
