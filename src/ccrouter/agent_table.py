"""The matching arrays: what the routing kernels scan, kept up to date as events apply.

Agents occupy slots (their first-login order); skills and channels get columns as they are
first seen. Proficiency is stored skill-major (``prof[skill, slot]``) so that checking one
required skill over all agents reads contiguous memory.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["MISSING", "AgentTable"]

MISSING = -1
"""Proficiency stored for a skill the agent does not have (any minimum, even 0, excludes it)."""


def _grow(array: npt.NDArray[np.generic], size: int, axis: int, fill: float) -> npt.NDArray[Any]:
    shape = list(array.shape)
    shape[axis] = size
    grown = np.full(shape, fill, dtype=array.dtype)
    index = tuple(slice(0, n) for n in array.shape)
    grown[index] = array
    return grown


class AgentTable:
    """Arrays indexed by agent slot; amortised O(1) to add an agent, skill or channel.

    >>> t = AgentTable()
    >>> s = t.add_agent()
    >>> t.set_skills(s, {"billing": 7})
    >>> int(t.prof[t.skill_col("billing"), s])
    7
    """

    def __init__(self, agents: int = 16, skills: int = 8, channels: int = 2) -> None:
        self.n = 0
        self.skill_cols: dict[str, int] = {}
        self.channel_cols: dict[str, int] = {}
        self.prof = np.full((skills, agents), MISSING, dtype=np.int16)
        self.avail = np.zeros((channels, agents), dtype=np.uint8)
        self.idle_since = np.zeros(agents, dtype=np.float64)
        self.login_order = np.zeros(agents, dtype=np.int64)
        self.handled = np.zeros(agents, dtype=np.int64)
        self.load = np.zeros(agents, dtype=np.float64)

    def add_agent(self) -> int:
        """Allocate the next slot and return it."""
        slot = self.n
        capacity = self.idle_since.shape[0]
        if slot == capacity:
            size = 2 * capacity
            self.prof = _grow(self.prof, size, 1, MISSING)
            self.avail = _grow(self.avail, size, 1, 0)
            self.idle_since = _grow(self.idle_since, size, 0, 0.0)
            self.login_order = _grow(self.login_order, size, 0, 0)
            self.handled = _grow(self.handled, size, 0, 0)
            self.load = _grow(self.load, size, 0, 0.0)
        self.n += 1
        return slot

    def skill_col(self, skill: str) -> int | None:
        """Column of ``skill``, or ``None`` when no agent ever had it."""
        return self.skill_cols.get(skill)

    def channel_col(self, channel: str) -> int | None:
        """Row of ``channel`` in ``avail``, or ``None`` when no agent ever served it."""
        return self.channel_cols.get(channel)

    def ensure_channel(self, channel: str) -> int:
        col = self.channel_cols.get(channel)
        if col is None:
            col = len(self.channel_cols)
            if col == self.avail.shape[0]:
                self.avail = _grow(self.avail, 2 * col, 0, 0)
            self.channel_cols[channel] = col
        return col

    def _ensure_skill(self, skill: str) -> int:
        col = self.skill_cols.get(skill)
        if col is None:
            col = len(self.skill_cols)
            if col == self.prof.shape[0]:
                self.prof = _grow(self.prof, 2 * col, 0, MISSING)
            self.skill_cols[skill] = col
        return col

    def set_skills(self, slot: int, skills: dict[str, int]) -> None:
        """Replace the agent's proficiencies; O(skills known)."""
        self.prof[:, slot] = MISSING
        for skill, level in skills.items():
            col = self._ensure_skill(skill)  # may grow (replace) self.prof: index after it
            self.prof[col, slot] = level
