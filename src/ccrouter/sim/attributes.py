"""Attributes in a scenario: what call types send at submit and agent groups at login.

So that routing rules and agent selectors run in simulation as they do live, a call type may
carry interaction attributes and an agent group agent attributes (docs/rules.md). Each
attribute is one of:

- a constant: a string, number, boolean or list (``language = "fr"``);
- a mix of strings with weights (``tier = {gold = 0.1, silver = 0.3, bronze = 0.6}``);
- a mix of any values with weights (``level = {values = [1, 3, 5], weights = [2, 5, 3]}``);
- a number from a distribution (``value = {kind = "lognormal", mean = 120, sd = 40}``), with
  ``round = true`` beside ``kind`` for whole numbers.

Every drawn attribute has its own named random stream (``attributes/<call type>/<name>``,
``agent_attributes/<group>/<name>``), so adding or changing an attribute changes no other
draw: arrivals, handle times and patience stay the same, as do the other attributes.

>>> spec = parse_spec({"gold": 0.5, "bronze": 0.5}, "$.tier")
>>> rng = np.random.default_rng(1)
>>> sorted(set(draw(spec, rng, 50)))
['bronze', 'gold']
>>> draw(parse_spec(3, "$.level"), rng, 2)
[3, 3]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
import numpy as np

from ccrouter.errors import ConfigError
from ccrouter.sim.distributions import Distribution, sample

__all__ = ["AttributeSpec", "draw", "draw_all", "parse_spec", "parse_specs"]


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """One attribute's source: a constant, a weighted mix, or a distribution.

    Attributes:
        constant: the value when neither ``values`` nor ``distribution`` is set.
        values, weights: the mix (weights normalised to probabilities).
        distribution: numbers drawn from it (``integer``: rounded to whole numbers).
    """

    constant: Any = None
    values: tuple[Any, ...] = ()
    weights: tuple[float, ...] = ()
    distribution: Distribution | None = None
    integer: bool = False

    @property
    def random(self) -> bool:
        """Whether it draws (a constant needs no stream)."""
        return bool(self.values) or self.distribution is not None


def _fail(where: str, message: str) -> None:
    # ScenarioError lives in scenario.py, which imports this module: raise its base here and
    # let the scenario's loader re-raise it as a ScenarioError naming the field.
    raise ConfigError(f"invalid scenario: {message} - at `{where}`")


def _scalar(value: object) -> bool:
    return isinstance(value, str | bool | int | float) and (
        not isinstance(value, float) or math.isfinite(value)
    )


def _mix(values: list[Any], weights: list[Any], where: str) -> AttributeSpec:
    if not values or len(values) != len(weights):
        _fail(where, f"expected as many weights as values (at least one), got {len(weights)}")
    for w in weights:
        if type(w) not in (int, float) or not math.isfinite(w) or w < 0:
            _fail(where, f"expected weights >= 0, got {w!r}")
    total = float(sum(weights))
    if total <= 0:
        _fail(where, "expected weights with a positive sum")
    for v in values:
        if not (_scalar(v) or (isinstance(v, list) and all(_scalar(x) for x in v))):
            _fail(where, f"expected values that are strings, numbers, booleans or lists, got {v!r}")
    return AttributeSpec(values=tuple(values), weights=tuple(float(w) / total for w in weights))


def parse_spec(raw: object, where: str) -> AttributeSpec:
    """Read one attribute's source from scenario data.

    Args:
        raw: the value in the scenario (see the module docstring for the forms).
        where: the field, for messages (``$.call_types[0].attributes.tier``).

    Returns:
        The spec.

    Raises:
        ConfigError: not one of the forms; the message names ``where``.
    """
    if isinstance(raw, Mapping):
        data = dict(raw)
        if "kind" in data:
            integer = data.pop("round", False)
            if type(integer) is not bool:
                _fail(f"{where}.round", f"expected true or false, got {integer!r}")
            try:
                dist: Distribution = msgspec.convert(data, Distribution)
            except msgspec.ValidationError as exc:
                _fail(where, f"expected a distribution: {exc}")
            return AttributeSpec(distribution=dist, integer=integer)
        if set(data) == {"values", "weights"}:
            if not isinstance(data["values"], list) or not isinstance(data["weights"], list):
                _fail(where, "expected `values` and `weights` as lists")
            return _mix(data["values"], data["weights"], where)
        return _mix(list(data), list(data.values()), where)
    if _scalar(raw) or (isinstance(raw, list) and all(_scalar(x) for x in raw)):
        return AttributeSpec(constant=raw)
    raise ConfigError(
        f"invalid scenario: expected a value, a mix of weights or a distribution, got "
        f"{raw!r} - at `{where}`"
    )


def parse_specs(raw: Mapping[str, Any], where: str) -> dict[str, AttributeSpec]:
    """:func:`parse_spec` for each attribute of a call type or agent group.

    Raises:
        ConfigError: an attribute is not one of the forms (the message names it).
    """
    return {name: parse_spec(value, f"{where}.{name}") for name, value in raw.items()}


def draw(spec: AttributeSpec, rng: np.random.Generator, n: int) -> list[Any]:
    """``n`` values of one attribute (a constant draws nothing from ``rng``).

    Args:
        spec: the source.
        rng: its own stream.
        n: how many.

    Returns:
        Plain Python values (``str``, ``int``, ``float``, ``bool``, lists).
    """
    if spec.distribution is not None:
        numbers = sample(spec.distribution, rng, n)
        if spec.integer:
            return [round(float(x)) for x in numbers]
        return [float(x) for x in numbers]
    if spec.values:
        picks = rng.choice(len(spec.values), size=n, p=np.array(spec.weights))
        return [spec.values[int(i)] for i in picks]
    return [spec.constant] * n


def draw_all(
    specs: Mapping[str, AttributeSpec],
    stream: Any,
    n: int,
) -> list[dict[str, Any]]:
    """``n`` attribute mappings, each attribute from its own stream.

    Args:
        specs: the attributes.
        stream: ``stream(name) -> numpy.random.Generator``, the named stream of an attribute.
        n: how many (customers or agents).

    Returns:
        One mapping per customer or agent, in order.
    """
    out: list[dict[str, Any]] = [{} for _ in range(n)]
    for name, spec in specs.items():
        values = draw(spec, stream(name), n) if spec.random else [spec.constant] * n
        for row, value in zip(out, values, strict=True):
            row[name] = list(value) if isinstance(value, list) else value
    return out
