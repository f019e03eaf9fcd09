"""Compare two event lists event for event: the check behind ``ccrouter simulate --verify``.

The compiled engine's contract is that its decoded events equal the router-driven engine's:
the same kinds in the same order, the same ``seq``, ids and fields, and times equal **bit for
bit** (``0.0`` and ``-0.0`` differ here, two NaNs with the same bits are equal).
:func:`first_difference` finds the first event where two lists part, and says which field.

>>> from ccrouter.events import AgentReady, AgentNotReady
>>> a = [AgentReady(seq=1, at=0.0, agent_id="ann"), AgentReady(seq=2, at=1.5, agent_id="bob")]
>>> first_difference(a, list(a)) is None
True
>>> d = first_difference(a, [a[0], AgentReady(seq=2, at=1.5000000000000002, agent_id="bob")])
>>> d.index, d.field
(1, 'at')
>>> first_difference(a, a[:1]).field
'length'
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import msgspec

from ccrouter.events import Event, encode_json
from ccrouter.sim.engines import resolve_engine, run_events
from ccrouter.sim.scenario import Scenario

__all__ = ["Difference", "Verification", "first_difference", "same_event", "verify_replication"]


class Difference(msgspec.Struct, frozen=True, kw_only=True):
    """Where two event lists first differ.

    ``reference`` and ``candidate`` are the events at ``index`` (``None`` when that list has
    already ended); ``field`` names what differs: ``"type"``, a field name such as ``"at"``
    or ``"agent_id"``, or ``"length"`` when one list is a prefix of the other.
    """

    index: int
    field: str
    reference: Event | None
    candidate: Event | None

    def describe(self, reference: str = "router", candidate: str = "compiled") -> str:
        """Three lines for a person: the index and field, then both events as JSON."""

        def show(e: Event | None) -> str:
            return "(no event: the list has ended)" if e is None else encode_json(e).decode()

        width = max(len(reference), len(candidate))
        return "\n".join(
            [
                f"first difference at event index {self.index} (field {self.field!r}):",
                f"  {reference.ljust(width)}  {show(self.reference)}",
                f"  {candidate.ljust(width)}  {show(self.candidate)}",
            ]
        )


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


def _same(a: Any, b: Any) -> bool:
    """Equal values, floats compared by their bits, containers element by element."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return _bits(a) == _bits(b)
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, msgspec.Struct):
        return _field(a, b) is None
    return bool(a == b)


def _field(a: msgspec.Struct, b: msgspec.Struct) -> str | None:
    """The first field (in declaration order) where two structs differ; ``"type"`` when their
    types differ; ``None`` when they are the same."""
    if type(a) is not type(b):
        return "type"
    for name in a.__struct_fields__:
        if not _same(getattr(a, name), getattr(b, name)):
            return name
    return None


def same_event(a: Event, b: Event) -> bool:
    """Whether two events are identical: the same type and every field equal, floats bit for
    bit (stricter than ``==``, which takes ``0.0 == -0.0``).

    >>> from ccrouter.events import AgentReady
    >>> zero, minus_zero = (AgentReady(seq=1, at=t, agent_id="a") for t in (0.0, -0.0))
    >>> zero == minus_zero, same_event(zero, minus_zero)
    (True, False)
    """
    return _field(a, b) is None


def first_difference(reference: Sequence[Event], candidate: Sequence[Event]) -> Difference | None:
    """The first index where ``candidate`` departs from ``reference``, or ``None`` if the two
    lists are identical (:func:`same_event` for each pair, and the same length).

    Args:
        reference: the events the contract is held to (the router-driven engine's).
        candidate: the events to check (the compiled engine's, decoded).

    Returns:
        A :class:`Difference` naming the index, the field and both events, or ``None``.
    """
    for index, (a, b) in enumerate(zip(reference, candidate, strict=False)):
        name = _field(a, b)
        if name is not None:
            return Difference(index=index, field=name, reference=a, candidate=b)
    if len(reference) == len(candidate):
        return None
    index = min(len(reference), len(candidate))
    return Difference(
        index=index,
        field="length",
        reference=reference[index] if index < len(reference) else None,
        candidate=candidate[index] if index < len(candidate) else None,
    )


class Verification(msgspec.Struct, frozen=True, kw_only=True):
    """One replication run on both engines: how many events each produced, and the first
    difference (``None``: identical, event for event)."""

    seed: int
    index: int
    router_events: int
    compiled_events: int
    difference: Difference | None

    @property
    def identical(self) -> bool:
        return self.difference is None

    def describe(self) -> str:
        """One line when the engines agree; the first difference otherwise."""
        if self.difference is None:
            return (
                f"verify: replication {self.index} (seed {self.seed}): {self.router_events:,} "
                "events identical on the compiled and the router-driven engine"
            )
        return (
            f"verify: replication {self.index} (seed {self.seed}): the engines differ "
            f"(router-driven {self.router_events:,} events, compiled "
            f"{self.compiled_events:,})\n{self.difference.describe()}"
        )


def verify_replication(
    scenario: Scenario, seed: int = 0, index: int = 0, backend: str | None = None
) -> Verification:
    """Run replication ``index`` of ``seed`` on both engines and compare their events.

    Args:
        scenario: the model.
        seed: root seed (the replication's streams are those ``simulate`` uses).
        index: which replication.
        backend: the router's selection backend (router-driven engine).

    Returns:
        A :class:`Verification`; ``identical`` is true when the compiled engine's decoded
        events equal the router-driven engine's, event for event.

    Raises:
        NotCompiled: the scenario uses features the compiled engine does not run.
    """
    resolve_engine(scenario, "compiled")  # NotCompiled, naming the features, before any run
    compiled = run_events(scenario, seed, index, "compiled")
    router = run_events(scenario, seed, index, "router", backend)
    return Verification(
        seed=seed,
        index=index,
        router_events=len(router.events),
        compiled_events=len(compiled.events),
        difference=first_difference(router.events, compiled.events),
    )
