"""Means with Student-t confidence intervals over independent replications.

A metric that cannot leave a range (a share in [0, 1], a time or a count >= 0) gets its
interval clipped to that range: ``estimate(values, bounds=(0.0, 1.0))``. The Student-t
interval is symmetric and, with few replications or a mean near a bound, reaches past what is
possible (a service level of 106 %, an ASA of -10 s); the clipped interval keeps the same
coverage (the true value lies inside the range anyway) and ``clipped`` says it was cut.
Clipping was chosen over a Wilson or logit interval because each replication's figure is
itself an average (not one Bernoulli draw), so the proportion formulas do not apply.

>>> round(t_quantile(0.975, 9), 6), round(t_quantile(0.975, 29), 6)
(2.262157, 2.04523)
>>> e = estimate([1.0, 2.0, 3.0, 4.0])
>>> e.mean, round(e.half_width, 4), e.n
(2.5, 2.0543, 4)
>>> s = estimate([0.9, 1.0], bounds=(0.0, 1.0))
>>> round(s.lower, 3), s.upper, s.clipped
(0.315, 1.0, True)
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import msgspec

from ccrouter.errors import InvalidArgument

__all__ = ["Estimate", "estimate", "t_quantile"]


class Estimate(msgspec.Struct, frozen=True, kw_only=True):
    """A mean over ``n`` replications and the half-width of its confidence interval
    (``nan`` with fewer than two defined values); ``floor`` and ``ceiling`` are the metric's
    possible range, to which ``lower`` and ``upper`` are clipped."""

    mean: float
    half_width: float
    sd: float
    n: int
    level: float = 0.95
    floor: float = -math.inf
    ceiling: float = math.inf

    @property
    def lower(self) -> float:
        """The interval's lower end, never below ``floor``."""
        return max(self.mean - self.half_width, self.floor)

    @property
    def upper(self) -> float:
        """The interval's upper end, never above ``ceiling``."""
        return min(self.mean + self.half_width, self.ceiling)

    @property
    def clipped(self) -> bool:
        """Whether the symmetric interval reached past the possible range (and was cut)."""
        return (
            self.mean - self.half_width < self.floor or self.mean + self.half_width > self.ceiling
        )

    def covers(self, value: float) -> bool:
        """Whether ``value`` lies inside the interval."""
        return self.lower <= value <= self.upper


def estimate(
    values: Iterable[float],
    level: float = 0.95,
    *,
    bounds: tuple[float, float] = (-math.inf, math.inf),
) -> Estimate:
    """Mean and Student-t interval of the defined (non-``nan``) values.

    Args:
        values: one figure per replication (``nan``: undefined in that run, left out).
        level: the confidence level.
        bounds: the metric's possible range; the interval's ends are clipped to it.
    """
    xs = [x for x in values if not math.isnan(x)]
    n = len(xs)
    lo, hi = bounds
    if n == 0:
        return Estimate(mean=math.nan, half_width=math.nan, sd=math.nan, n=0, level=level,
                        floor=lo, ceiling=hi)  # fmt: skip
    mean = math.fsum(xs) / n
    if n == 1:
        return Estimate(mean=mean, half_width=math.nan, sd=math.nan, n=1, level=level,
                        floor=lo, ceiling=hi)  # fmt: skip
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))
    half = t_quantile(0.5 + level / 2.0, n - 1) * sd / math.sqrt(n)
    return Estimate(mean=mean, half_width=half, sd=sd, n=n, level=level, floor=lo, ceiling=hi)


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        for num in (
            m * (b - m) * x / ((a + m2 - 1) * (a + m2)),
            -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1)),
        ):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    ln = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(ln + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def _t_cdf(t: float, df: float) -> float:
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (bisection to 1e-12)."""
    if not 0.0 < p < 1.0 or df <= 0:
        raise InvalidArgument(f"expected 0 < p < 1 and df > 0, got p={p}, df={df}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while _t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if _t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return (lo + hi) / 2.0
