"""Random-variable specifications of a scenario and their vectorised samplers.

Each distribution is a msgspec Struct tagged by ``kind`` (TOML: ``{kind = "exponential",
mean = 240}``), parameterised by its mean (and standard deviation where it has one), so that
planners write the figures they know. ``sample(dist, rng, n)`` draws ``n`` values from an
explicit :class:`numpy.random.Generator`; nothing here holds a random state.

>>> import numpy as np
>>> d = Lognormal(mean=300.0, sd=150.0)
>>> x = sample(d, np.random.default_rng(1), 200_000)
>>> bool(abs(x.mean() / 300.0 - 1) < 0.01 and abs(x.std() / 150.0 - 1) < 0.03)
True
>>> sample(Deterministic(value=5.0), np.random.default_rng(1), 3).tolist()
[5.0, 5.0, 5.0]
"""

from __future__ import annotations

import math
from typing import Annotated, TypeAlias

import msgspec
import numpy as np

__all__ = [
    "Deterministic",
    "Distribution",
    "Empirical",
    "Exponential",
    "Gamma",
    "Lognormal",
    "Uniform",
    "mean_of",
    "sample",
]

Positive = Annotated[float, msgspec.Meta(gt=0.0)]
NonNegative = Annotated[float, msgspec.Meta(ge=0.0)]


class Exponential(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                  tag_field="kind", tag="exponential"):  # fmt: skip
    """Exponential with the given mean (memoryless: the Erlang C/A assumption)."""

    mean: Positive


class Lognormal(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                tag_field="kind", tag="lognormal"):  # fmt: skip
    """Lognormal with the given mean and standard deviation (of the value, not of its log)."""

    mean: Positive
    sd: Positive


class Gamma(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
            tag_field="kind", tag="gamma"):  # fmt: skip
    """Gamma with the given mean and standard deviation (shape = (mean/sd)²)."""

    mean: Positive
    sd: Positive


class Deterministic(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                    tag_field="kind", tag="deterministic"):  # fmt: skip
    """Always ``value``."""

    value: NonNegative


class Uniform(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
              tag_field="kind", tag="uniform"):  # fmt: skip
    """Uniform on ``[low, high]``."""

    low: NonNegative
    high: NonNegative


class Empirical(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                tag_field="kind", tag="empirical"):  # fmt: skip
    """Resampled uniformly from observed ``values`` (e.g. last month's handle times)."""

    values: Annotated[list[NonNegative], msgspec.Meta(min_length=1)]


Distribution: TypeAlias = Exponential | Lognormal | Gamma | Deterministic | Uniform | Empirical


def sample(dist: Distribution, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` independent draws of ``dist`` from ``rng`` (a float64 array)."""
    if isinstance(dist, Exponential):
        return rng.exponential(dist.mean, n)
    if isinstance(dist, Lognormal):
        sigma2 = math.log1p((dist.sd / dist.mean) ** 2)
        mu = math.log(dist.mean) - sigma2 / 2.0
        return rng.lognormal(mu, math.sqrt(sigma2), n)
    if isinstance(dist, Gamma):
        shape = (dist.mean / dist.sd) ** 2
        return rng.gamma(shape, dist.mean / shape, n)
    if isinstance(dist, Deterministic):
        return np.full(n, dist.value, dtype=np.float64)
    if isinstance(dist, Uniform):
        return rng.uniform(dist.low, dist.high, n)
    values = np.asarray(dist.values, dtype=np.float64)
    return values[rng.integers(0, len(values), n)]


def mean_of(dist: Distribution) -> float:
    """The distribution's mean."""
    if isinstance(dist, Exponential | Lognormal | Gamma):
        return dist.mean
    if isinstance(dist, Deterministic):
        return dist.value
    if isinstance(dist, Uniform):
        return (dist.low + dist.high) / 2.0
    return float(np.mean(dist.values))
