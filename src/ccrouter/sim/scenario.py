"""The scenario file: what to simulate (TOML, validated; errors name the field).

A scenario has a horizon cut into intervals, call types (who calls, when, for how long, how
patient), agent groups (skills, capacity, who is logged in when) and the router configuration
itself (the same ``RouterConfig`` the application runs). See ``docs/simulation.md`` and the
examples in ``simulations/``.

>>> s = Scenario.from_dict({
...     "horizon": 3600, "interval": 1800,
...     "call_types": [{"name": "bank", "arrivals": {"kind": "poisson", "rates_per_hour": [120]},
...                     "handle": {"kind": "exponential", "mean": 180}}],
...     "agent_groups": [{"name": "team", "headcount": [8, 9]}],
... })
>>> s.n_intervals, s.call_types[0].arrivals.rates_per_hour, s.router_config().auto_accept
(2, [120.0], True)
>>> Scenario.from_dict({"horizon": 3600, "call_types": [], "agent_groups": [
...     {"name": "team", "headcount": [-1]}]})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ccrouter.sim.scenario.ScenarioError: invalid scenario: Expected `int` >= 0 - at `$.agent_g...`
"""

from __future__ import annotations

import csv
import math
import tomllib
from pathlib import Path
from typing import Annotated, Any, TypeAlias

import msgspec

from ccrouter.config import RouterConfig
from ccrouter.errors import ConfigError
from ccrouter.sim.attributes import parse_specs
from ccrouter.sim.campaign import Campaign, validate_campaigns
from ccrouter.sim.distributions import Distribution, Exponential, Uniform, mean_of
from ccrouter.sim.self_service import SelfService, check_self_service
from ccrouter.stats.definitions import SlDefinition

__all__ = [
    "AgentGroup",
    "Arrivals",
    "Break",
    "CallType",
    "GroupPerformance",
    "PoissonArrivals",
    "QueueTarget",
    "Scenario",
    "ScenarioError",
    "Shift",
    "TraceArrivals",
    "load_scenario",
]

Positive = Annotated[float, msgspec.Meta(gt=0.0)]
NonNegative = Annotated[float, msgspec.Meta(ge=0.0)]
Probability = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
Name = Annotated[str, msgspec.Meta(min_length=1)]


class ScenarioError(ConfigError):
    """An invalid scenario; the message names the field (``$.call_types[0].handle.mean``)."""


class PoissonArrivals(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                      tag_field="kind", tag="poisson"):  # fmt: skip
    """A Poisson process with a constant rate per interval: one value for the whole horizon,
    or one per interval (calls per hour)."""

    rates_per_hour: Annotated[list[NonNegative], msgspec.Meta(min_length=1)]


class TraceArrivals(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                    tag_field="kind", tag="trace"):  # fmt: skip
    """Arrival times (seconds from the start) read from a CSV file: the first column of each
    row; a header row is skipped. ``path`` is relative to the scenario file; ``times`` is filled
    in when the scenario is loaded (or given inline)."""

    path: str = ""
    times: list[NonNegative] = []


Arrivals: TypeAlias = PoissonArrivals | TraceArrivals


class CallbackOffer(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Virtual hold: a caller still waiting after ``after`` seconds is offered a callback and
    takes it with probability ``acceptance`` (``Router.request_callback``: the call keeps its
    place in line and the caller's patience no longer applies)."""

    after: NonNegative
    acceptance: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]


class CallType(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One kind of contact: where it goes, when it arrives, how long it takes, how patient.

    Attributes:
        patience: time a caller waits before hanging up (none: waits forever).
        retrial_probability: chance that a caller who abandoned calls again, after
            ``retrial_delay``, with fresh patience and the same handle time.
        callback: a callback offered to callers who wait long (none: never offered).
        attributes: interaction attributes sent at submit, each a constant, a weighted mix
            or a distribution (``ccrouter.sim.attributes``), so rules run as they do live.
        handle_means: mean handle time per interval (one value, or one per interval): each
            ``handle`` draw is scaled so the mean is that of the customer's arrival interval.
        self_service: an IVR/bot stage in front of the agents (``ccrouter.sim.self_service``).
    """

    name: Name
    arrivals: Arrivals
    handle: Distribution
    channel: Name = "voice"
    queue: Name = "default"
    skills: dict[str, Annotated[int, msgspec.Meta(ge=0)]] = {}
    priority: float = 0.0
    patience: Distribution | None = None
    retrial_probability: Probability = 0.0
    retrial_delay: Distribution = Exponential(mean=300.0)
    callback: CallbackOffer | None = None
    attributes: dict[str, Any] = {}
    handle_means: list[Positive] | None = None
    self_service: SelfService | None = None


class Break(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A break ``start`` seconds into the shift, ``length`` seconds long (not ready)."""

    start: NonNegative
    length: Positive


class Shift(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``count`` agents log in at ``start`` and log out at ``end`` (after finishing their work
    in hand), taking each break."""

    start: NonNegative
    end: Positive
    count: Annotated[int, msgspec.Meta(ge=0)] = 1
    breaks: list[Break] = []


class GroupPerformance(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How well a group's agents serve one call type (docs/performance.md, *Simulation*).

    Attributes:
        handle_factor: the call type's drawn handle time is multiplied by it (the draw is
            the same whoever serves: common random numbers across routings).
        resolved: the chance the outcome says ``resolved`` (``None``: not recorded).
        satisfaction: the satisfaction score drawn (clipped to the router's
            ``performance.satisfaction`` range; ``None``: not recorded).
        sale: the chance of a sale (``None``: no value recorded); a sale's value is
            ``sale_value`` drawn (1 without), no sale records 0.
    """

    handle_factor: Positive = 1.0
    resolved: Probability | None = None
    satisfaction: Distribution | None = None
    sale: Probability | None = None
    sale_value: Distribution | None = None


class AgentGroup(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Agents alike: skills (proficiency per skill), capacity per channel, and who works when:
    either ``headcount`` (one value, or one per interval) or ``shifts``; ``attributes``: the
    agent attributes each agent logs in with (constants or draws per agent, as for call
    types: ``ccrouter.sim.attributes``)."""

    name: Name
    skills: dict[str, Annotated[int, msgspec.Meta(ge=0)]] = {}
    capacity: dict[str, Annotated[int, msgspec.Meta(ge=1)]] = msgspec.field(
        default_factory=lambda: {"voice": 1}
    )
    headcount: list[Annotated[int, msgspec.Meta(ge=0)]] | None = None
    shifts: list[Shift] | None = None
    attributes: dict[str, Any] = {}
    performance: dict[str, GroupPerformance] = {}
    """Per call type name (``"*"``: any other), handle-time factor and outcome draws: the
    outcomes are recorded at completion (``complete(outcome=...)``)."""


class QueueTarget(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A queue's goals for the staffing search (``[targets.QUEUE]``), over the whole horizon.

    Attributes:
        service_level: fraction of arrivals to answer within ``threshold``, in (0, 1).
        threshold: seconds (default: the scenario's ``threshold``).
        max_abandon: highest acceptable share of arrivals that abandon, in (0, 1].
    """

    service_level: Annotated[float, msgspec.Meta(gt=0.0, lt=1.0)] | None = None
    threshold: NonNegative | None = None
    max_abandon: Annotated[float, msgspec.Meta(gt=0.0, le=1.0)] | None = None


class Scenario(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A whole simulation model.

    Attributes:
        horizon: seconds during which customers arrive; the run goes on until every
            interaction has ended.
        interval: reporting interval (and the unit of per-interval rates and headcounts).
        threshold: service-level threshold in seconds.
        sl_definition: the service level's denominator: ``"offered"`` (all arrivals),
            ``"answered"`` or ``"offered_minus_short_abandons"``
            (:data:`ccrouter.stats.definitions.SlDefinition`).
        warmup: seconds left out of the statistics (steady-state runs).
        router: the router configuration (``RouterConfig.from_dict``); ``auto_accept`` defaults
            to true here unless a ``ring_delay`` is given.
        ring_delay: seconds between an offer and the agent's accept (none: accepted at once).
        targets: per queue, the goals of the staffing search (``ccrouter.sim.search``).
        campaigns: outbound campaigns dialed on the same agents (``ccrouter.sim.campaign``).
        origin: the clock time of time 0, in seconds after midnight (``ccrouter scenario`` sets
            it from the forecast's first interval): only labels depend on it — interval starts
            in tables, CSVs and plots read ``07:30`` instead of ``00:30``.
    """

    horizon: Positive
    call_types: list[CallType]
    agent_groups: list[AgentGroup]
    name: str = ""
    interval: Positive = 1800.0
    threshold: NonNegative = 20.0
    sl_definition: SlDefinition = "offered"
    warmup: NonNegative = 0.0
    router: dict[str, Any] = {}
    ring_delay: Distribution | None = None
    targets: dict[str, QueueTarget] = {}
    campaigns: list[Campaign] = []
    origin: Annotated[float, msgspec.Meta(ge=0.0, lt=86400.0)] = 0.0

    @property
    def n_intervals(self) -> int:
        return max(1, math.ceil(self.horizon / self.interval - 1e-9))

    def router_config(self) -> RouterConfig:
        """The router configuration (validated when the scenario was built)."""
        data = dict(self.router)
        data.setdefault("auto_accept", self.ring_delay is None)
        return RouterConfig.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, base_dir: str | Path | None = None) -> Scenario:
        """Build and validate a scenario; trace files are read relative to ``base_dir``.

        Raises:
            ScenarioError: a field is missing, unknown or invalid; the message names it.
        """
        try:
            scenario = msgspec.convert(data, cls)
        except msgspec.ValidationError as exc:
            raise ScenarioError(f"invalid scenario: {exc}") from None
        scenario = _load_traces(scenario, Path(base_dir) if base_dir is not None else Path())
        _validate(scenario)
        return scenario

    def replace(self, **changes: Any) -> Scenario:
        """A copy with some fields changed (validated again)."""
        changed = msgspec.structs.replace(self, **changes)
        _validate(changed)
        return changed

    def with_headcounts(self, headcounts: dict[str, list[int]]) -> Scenario:
        """A copy with the given groups staffed by ``headcount`` (for staffing searches)."""
        groups = [
            msgspec.structs.replace(g, headcount=list(headcounts[g.name]), shifts=None)
            if g.name in headcounts
            else g
            for g in self.agent_groups
        ]
        return self.replace(agent_groups=groups)


def load_scenario(path: str | Path) -> Scenario:
    """Read a TOML scenario file.

    Raises:
        ScenarioError: unreadable, not TOML, or invalid (the message names the field).
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc}") from None
    return Scenario.from_dict(data, base_dir=path.parent)


def _fail(where: str, message: str) -> None:
    raise ScenarioError(f"invalid scenario: {message} - at `{where}`")


def _load_traces(scenario: Scenario, base: Path) -> Scenario:
    call_types = []
    for n, ct in enumerate(scenario.call_types):
        arrivals = ct.arrivals
        if isinstance(arrivals, TraceArrivals) and arrivals.path and not arrivals.times:
            where = f"$.call_types[{n}].arrivals.path"
            file = base / arrivals.path
            try:
                with file.open(newline="") as handle:
                    rows = [row for row in csv.reader(handle) if row and row[0].strip()]
            except OSError as exc:
                _fail(where, f"cannot read trace {file}: {exc}")
            times = []
            for k, row in enumerate(rows):
                try:
                    times.append(float(row[0]))
                except ValueError:
                    if k == 0:
                        continue  # a header
                    _fail(where, f"row {k + 1} of {file}: expected seconds, got {row[0]!r}")
            arrivals = msgspec.structs.replace(arrivals, times=sorted(times))
            ct = msgspec.structs.replace(ct, arrivals=arrivals)
        call_types.append(ct)
    return msgspec.structs.replace(scenario, call_types=call_types)


def _validate(s: Scenario) -> None:
    n = s.n_intervals
    if s.warmup >= s.horizon:
        _fail("$.warmup", f"expected less than the horizon ({s.horizon:g} s), got {s.warmup:g}")
    try:
        config = s.router_config()
    except ConfigError as exc:
        raise ScenarioError(f"{exc} (in `$.router`)") from None
    names: set[str] = set()
    for k, ct in enumerate(s.call_types):
        at = f"$.call_types[{k}]"
        if ct.name in names:
            _fail(f"{at}.name", f"duplicate call type name {ct.name!r}")
        names.add(ct.name)
        if ct.queue not in config.queues:
            known = ", ".join(sorted(config.queues))
            _fail(f"{at}.queue", f"queue {ct.queue!r} is not in the router config ({known})")
        if isinstance(ct.arrivals, PoissonArrivals) and len(ct.arrivals.rates_per_hour) not in (
            1,
            n,
        ):
            got = len(ct.arrivals.rates_per_hour)
            _fail(f"{at}.arrivals.rates_per_hour", f"expected 1 or {n} values, got {got}")
        if isinstance(ct.arrivals, TraceArrivals) and not ct.arrivals.times:
            _fail(f"{at}.arrivals", "a trace needs `path` (a CSV file) or `times`")
        for field in ("handle", "patience", "retrial_delay"):
            _check_distribution(getattr(ct, field), f"{at}.{field}")
        _check_demand(s, ct, at)
        _check_attributes(ct.attributes, f"{at}.attributes")
    _check_distribution(s.ring_delay, "$.ring_delay")
    for queue, target in s.targets.items():
        if queue not in config.queues:
            known = ", ".join(sorted(config.queues))
            _fail(f"$.targets.{queue}", f"queue {queue!r} is not in the router config ({known})")
        if target.service_level is None and target.max_abandon is None:
            _fail(f"$.targets.{queue}", "expected `service_level` and/or `max_abandon`")
    validate_campaigns(
        s.campaigns,
        horizon=s.horizon,
        queues=config.queues,
        inbound_queues={ct.queue for ct in s.call_types},
        taken_names=names,
        fail=_fail,
    )
    names = set()
    for k, group in enumerate(s.agent_groups):
        at = f"$.agent_groups[{k}]"
        if group.name in names:
            _fail(f"{at}.name", f"duplicate agent group name {group.name!r}")
        names.add(group.name)
        _check_attributes(group.attributes, f"{at}.attributes")
        for key, perf in group.performance.items():
            if key != "*" and key not in {ct.name for ct in s.call_types}:
                _fail(f"{at}.performance.{key}", "expected a call type name or '*'")
            _check_distribution(perf.satisfaction, f"{at}.performance.{key}.satisfaction")
            _check_distribution(perf.sale_value, f"{at}.performance.{key}.sale_value")
        if (group.headcount is None) == (group.shifts is None):
            _fail(at, "expected exactly one of `headcount` and `shifts`")
        if group.headcount is not None and len(group.headcount) not in (1, n):
            _fail(f"{at}.headcount", f"expected 1 or {n} values, got {len(group.headcount)}")
        for j, shift in enumerate(group.shifts or []):
            if shift.end <= shift.start:
                _fail(f"{at}.shifts[{j}].end", f"expected after start ({shift.start:g})")
            for b, brk in enumerate(shift.breaks):
                if shift.start + brk.start + brk.length > shift.end:
                    _fail(f"{at}.shifts[{j}].breaks[{b}]", "expected to end before the shift")


def _check_demand(s: Scenario, ct: CallType, at: str) -> None:
    """Per-interval handle means and the self-service stage."""
    if ct.handle_means is not None:
        if len(ct.handle_means) not in (1, s.n_intervals):
            got = len(ct.handle_means)
            _fail(f"{at}.handle_means", f"expected 1 or {s.n_intervals} values, got {got}")
        if not mean_of(ct.handle) > 0:
            _fail(f"{at}.handle", "expected a mean > 0 to scale to `handle_means`")
    if ct.self_service is not None:
        try:
            check_self_service(
                ct.self_service, f"{at}.self_service", [c.name for c in s.call_types]
            )
        except ConfigError as exc:
            raise ScenarioError(str(exc)) from None


def _check_distribution(dist: Distribution | None, where: str) -> None:
    if isinstance(dist, Uniform) and dist.high < dist.low:
        _fail(f"{where}.high", f"expected >= low ({dist.low:g}), got {dist.high:g}")


def _check_attributes(raw: dict[str, Any], where: str) -> None:
    try:
        specs = parse_specs(raw, where)
    except ConfigError as exc:
        raise ScenarioError(str(exc)) from None
    for name, spec in specs.items():
        if spec.distribution is not None:
            _check_distribution(spec.distribution, f"{where}.{name}")
