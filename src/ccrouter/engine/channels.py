"""Omnichannel rules: may an agent be offered new work on a channel, given what it holds?

The rules come from :attr:`RouterConfig.channels <ccrouter.config.RouterConfig.channels>` and
the agent's login ``budget``; without either, each channel's capacity is independent (free
capacity on the channel is all that counts), exactly as before the rules existed.

An agent may be offered work on ``channel`` when it is ready, has free capacity on it, and

- no channel whose work it holds (offered, connected, in wrap-up, consulted) *blocks* it, and
- with a budget, ``sum(cost of held work) + cost(channel) <= budget``;

where held work that is *connected* on a channel ``interruptible_by`` ``channel`` (and not
already paused) is left out of both checks: it would be paused for the new interaction.

:func:`available` is what :meth:`RouterState._sync <ccrouter.engine.state.RouterState._sync>` writes
into the matching arrays, so the kernels keep reading a plain availability mask.

>>> from ccrouter.config import RouterConfig
>>> cfg = RouterConfig.from_dict({"channels": {"voice": {"blocks": ["chat"]}}})
>>> blocked(cfg, {"voice": 1}, "chat"), blocked(cfg, {"chat": 1}, "voice")
(True, False)
"""

from __future__ import annotations

from collections.abc import Mapping

from ccrouter.config import ChannelConfig, RouterConfig

__all__ = ["DEFAULT", "available", "blocked", "interruptible", "rules", "used_budget"]

DEFAULT = ChannelConfig()
"""The rules of a channel absent from the config: cost 1, blocks nothing, never interrupted."""


def rules(config: RouterConfig, channel: str) -> ChannelConfig:
    """The rules of ``channel`` (:data:`DEFAULT` when the config does not name it)."""
    return config.channels.get(channel, DEFAULT)


def interruptible(config: RouterConfig, held: str, by: str) -> bool:
    """Connected work on ``held`` may be paused for an interaction on ``by``."""
    return by in rules(config, held).interruptible_by


def used_budget(config: RouterConfig, in_use: Mapping[str, int]) -> int:
    """Budget units held: the cost of every unit of capacity in use."""
    return sum(n * rules(config, ch).cost for ch, n in in_use.items() if n)


def blocked(
    config: RouterConfig,
    in_use: Mapping[str, int],
    channel: str,
    budget: int | None = None,
    pausable: Mapping[str, int] | None = None,
) -> bool:
    """Whether the cross-channel rules forbid new work on ``channel``.

    Args:
        in_use: units held per channel (offers, connected, wrap-up, consults).
        budget: the agent's budget (``None``: unlimited).
        pausable: of ``in_use``, units of connected, unpaused work per channel (what an
            interruption could pause).
    """
    if not config.channels and budget is None:
        return False
    left_out = pausable or {}
    for held, n in in_use.items():
        if (
            n
            and channel in rules(config, held).blocks
            and (n > left_out.get(held, 0) or not interruptible(config, held, channel))
        ):
            return True
    if budget is None:
        return False
    used = 0
    for held, n in in_use.items():
        if n:
            if interruptible(config, held, channel):
                n -= left_out.get(held, 0)
            used += n * rules(config, held).cost
    return used + rules(config, channel).cost > budget


def available(
    config: RouterConfig,
    ready: bool,
    capacity: Mapping[str, int],
    in_use: Mapping[str, int],
    channel: str,
    budget: int | None = None,
    pausable: Mapping[str, int] | None = None,
) -> bool:
    """Whether an agent may be offered new work on ``channel`` (the availability mask)."""
    if not ready or capacity.get(channel, 0) - in_use.get(channel, 0) <= 0:
        return False
    return not blocked(config, in_use, channel, budget, pausable)
