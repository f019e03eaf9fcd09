"""Router configuration: validated msgspec Structs, loadable from a dict, TOML or JSON.

>>> cfg = RouterConfig.from_dict({"queues": {"sales": {"strategy": "most_skilled"}}})
>>> sorted(cfg.queues)
['default', 'sales']
>>> cfg.queues["sales"].strategy
'most_skilled'
>>> RouterConfig.from_dict({"queues": {"sales": {"wrap_up": -1}}})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ccrouter.errors.ConfigError: invalid router config: Expected `float` >= 0.0 - at `$.queues.sales...`
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, TypeAlias, TypeVar

import msgspec

from ccrouter.errors import ConfigError

_T = TypeVar("_T")

__all__ = ["STRATEGIES", "ChannelConfig", "LastAgent", "QueueConfig", "RouterConfig", "Strategy"]

Strategy: TypeAlias = Literal[
    "longest_idle", "most_skilled", "least_occupied", "fewest_handled", "round_robin", "random"
]
STRATEGIES: tuple[str, ...] = (
    "longest_idle",
    "most_skilled",
    "least_occupied",
    "fewest_handled",
    "round_robin",
    "random",
)

NonNegative = Annotated[float, msgspec.Meta(ge=0.0)]
Positive = Annotated[float, msgspec.Meta(gt=0.0)]


class LastAgent(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Last-agent routing: hold a returning customer's work for the agent who served them last.

    Attributes:
        wait: seconds only that agent may take the work; then anyone eligible may.
        scope: ``"queue"``: the last agent who served the customer on this queue;
            ``"any"``: on any queue.
        within: only when that contact arrived at most this many seconds ago (``None``: ever).
    """

    wait: Positive
    scope: Literal["queue", "any"] = "queue"
    within: Positive | None = None

    def __post_init__(self) -> None:
        _check(_finite(self.wait) and self.wait > 0, "last_agent.wait", "a number > 0")
        _check(self.scope in ("queue", "any"), "last_agent.scope", "'queue' or 'any'")
        _check(
            self.within is None or (_finite(self.within) and self.within > 0),
            "last_agent.within",
            "a number > 0 or None",
        )


class ChannelConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Cross-channel rules of one channel (see "Omnichannel rules" in ``docs/routing.md``).

    Attributes:
        cost: units of an agent's login ``budget`` one interaction on this channel takes.
        blocks: channels on which an agent holding work on this channel is offered nothing
            new (e.g. ``voice`` blocks ``chat``).
        interruptible_by: channels whose offers may reach an agent whose only obstacle is
            connected work on this channel (blocks or budget); that work is paused while the
            interrupting interaction is connected and resumes after.
    """

    cost: Annotated[int, msgspec.Meta(ge=0)] = 1
    blocks: list[str] = msgspec.field(default_factory=list)
    interruptible_by: list[str] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        _check(
            isinstance(self.cost, int) and not isinstance(self.cost, bool) and self.cost >= 0,
            "cost",
            "an integer >= 0",
        )
        for field in ("blocks", "interruptible_by"):
            names = getattr(self, field)
            _check(
                isinstance(names, list) and all(isinstance(n, str) and n for n in names),
                field,
                "a list of channel names",
            )


class QueueConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How one queue routes.

    Attributes:
        strategy: how an agent is picked among the eligible ones (see ``STRATEGIES``).
        wrap_up: seconds of after-call work that hold the agent's slot after ``complete``.
        offer_timeout: seconds an offer rings before it counts as a miss (``None``: never).
        aging_rate: priority points gained per second waited.
        escalate_to: the queue :meth:`Router.escalate <ccrouter.router.Router.escalate>`
            sends this queue's interactions to (the next tier), when not given explicitly.
        last_agent: last-agent routing for customers who come back (``None``: off).
    """

    strategy: Strategy = "longest_idle"
    wrap_up: NonNegative = 0.0
    offer_timeout: Positive | None = None
    aging_rate: NonNegative = 0.0
    escalate_to: str | None = None
    last_agent: LastAgent | None = None

    def __post_init__(self) -> None:
        # msgspec.Meta constraints apply when decoding; direct construction is checked here.
        _check(self.strategy in STRATEGIES, "strategy", f"one of {', '.join(STRATEGIES)}")
        _check(_finite(self.wrap_up) and self.wrap_up >= 0, "wrap_up", "a number >= 0")
        _check(
            self.offer_timeout is None or (_finite(self.offer_timeout) and self.offer_timeout > 0),
            "offer_timeout",
            "a number > 0 or None",
        )
        _check(_finite(self.aging_rate) and self.aging_rate >= 0, "aging_rate", "a number >= 0")


class RouterConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Router-wide settings and the queues.

    A queue named ``"default"`` always exists (added with default settings when absent).

    Attributes:
        auto_accept: offers are accepted at once (no ringing).
        max_no_answer: consecutive missed offers after which an agent goes ``not_ready``
            with reason ``no_answer``.
        seed: seed of the ``random`` strategy (decisions are reproducible).
        customer_history: how many of a customer's earlier contacts an interaction shows
            (``Router.interaction(id).customer_history``).
        queues: queue name to its settings.
    """

    auto_accept: bool = False
    max_no_answer: Annotated[int, msgspec.Meta(ge=1)] = 1
    seed: int = 0
    customer_history: Annotated[int, msgspec.Meta(ge=0)] = 5
    queues: dict[str, QueueConfig] = msgspec.field(default_factory=dict)
    channels: dict[str, ChannelConfig] = msgspec.field(default_factory=dict)
    """Cross-channel rules per channel (absent: cost 1, blocks nothing, never interrupted)."""

    def __post_init__(self) -> None:
        _check(
            isinstance(self.max_no_answer, int) and self.max_no_answer >= 1,
            "max_no_answer",
            "an integer >= 1",
        )
        _check(
            isinstance(self.customer_history, int) and self.customer_history >= 0,
            "customer_history",
            "an integer >= 0",
        )
        for name, queue in self.queues.items():
            _check(isinstance(queue, QueueConfig), f"queues.{name}", "a QueueConfig")
        for name, channel in self.channels.items():
            _check(isinstance(channel, ChannelConfig), f"channels.{name}", "a ChannelConfig")
        for name, queue in self.queues.items():
            tier = queue.escalate_to
            _check(
                tier is None or ((tier in self.queues or tier == "default") and tier != name),
                f"queues.{name}.escalate_to",
                "another configured queue",
            )
        # Frozen means no rebinding; filling in the default queue keeps configs total.
        self.queues.setdefault("default", QueueConfig())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RouterConfig:
        """Build and validate a config from plain data.

        Raises:
            ConfigError: a field is missing, unknown or invalid; the message names its path.
        """
        if not isinstance(data, dict):
            msg = f"invalid router config: Expected `object`, got `{type(data).__name__}`"
            raise ConfigError(msg)
        # Queues are converted one by one so that an error names the queue (msgspec would
        # say `$.queues[...]` for a dict key).
        fields = dict(data)
        raw_queues = fields.pop("queues", {})
        if not isinstance(raw_queues, dict):
            msg = "invalid router config: Expected `object` - at `$.queues`"
            raise ConfigError(msg)
        queues = {
            name: _convert(q, QueueConfig, f"$.queues.{name}") for name, q in raw_queues.items()
        }
        raw_channels = fields.pop("channels", {})
        if not isinstance(raw_channels, dict):
            msg = "invalid router config: Expected `object` - at `$.channels`"
            raise ConfigError(msg)
        channels = {
            name: _convert(c, ChannelConfig, f"$.channels.{name}")
            for name, c in raw_channels.items()
        }
        base = _convert(fields, cls, "$")
        return msgspec.structs.replace(base, queues={**base.queues, **queues}, channels=channels)

    @classmethod
    def from_toml(cls, path: str | Path) -> RouterConfig:
        """Load a config from a TOML file (same shape as :meth:`from_dict`).

        Raises:
            ConfigError: the file is not valid TOML or the config is invalid.
        """
        try:
            data = tomllib.loads(Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            msg = f"cannot read router config {path}: {exc}"
            raise ConfigError(msg) from None
        return cls.from_dict(data)

    @classmethod
    def from_json(cls, data: str | bytes) -> RouterConfig:
        """Load a config from JSON text."""
        try:
            return msgspec.json.decode(data, type=cls)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            msg = f"invalid router config: {exc}"
            raise ConfigError(msg) from None

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :meth:`from_dict` reads back to an equal config."""
        return msgspec.to_builtins(self)  # type: ignore[no-any-return]

    def queue(self, name: str) -> QueueConfig:
        """The settings of queue ``name`` (``KeyError`` subclass when unknown)."""
        try:
            return self.queues[name]
        except KeyError:
            from ccrouter.errors import UnknownQueue

            msg = f"unknown queue {name!r}; configured queues: {', '.join(sorted(self.queues))}"
            raise UnknownQueue(msg) from None


def _convert(data: Any, kind: type[_T], path: str) -> _T:
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        text = str(exc)
        text = text.replace("`$", f"`{path}") if "`$" in text else f"{text} - at `{path}`"
        msg = f"invalid router config: {text}"
        raise ConfigError(msg) from None


def _finite(x: float) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _check(ok: bool, field: str, expected: str) -> None:
    if not ok:
        msg = f"invalid router config: `{field}` must be {expected}"
        raise ConfigError(msg)
