"""The matching arrays: what the routing kernels scan, kept up to date as events apply.

Agents occupy slots (their first-login order); skills and channels get columns as they are
first seen. Proficiency is stored agent-major (``agent_prof[slot, skill]``: one agent's skills
are contiguous, so writing them is cheap); :attr:`AgentTable.prof` is its skill-major view.

Besides the plain per-slot arrays (what the pure-Python reference scans), each channel keeps
a compact *ready set*: the slots available on it (ready, free capacity) in no particular
order, with a copy of their proficiencies laid out by position ``i`` in that set, in blocks of
:data:`BLOCK` positions: ``ready_prof[channel, i // BLOCK, skill, i % BLOCK]``. Within a block
one skill's levels are contiguous (the kernel's eligibility loop vectorises) and one agent's
skills lie in a few KiB (adding it is one short strided copy, not one page per skill). The
per-slot facts are copied there too (``ready_facts[channel, i]``), so the strategy reads them
in order instead of gathering them from all over :attr:`AgentTable.facts`. The Numba kernel
scans only the ready set instead of every slot; adding or removing a slot is O(skills) (the
last one moves into the hole). Write facts through :meth:`AgentTable.set_facts` and
:meth:`AgentTable.set_fact` so the copies follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["HANDLED", "IDLE_SINCE", "LOAD", "LOGIN_ORDER", "MISSING", "AgentTable"]

MISSING = -1
"""Proficiency stored for a skill the agent does not have (any minimum, even 0, excludes it)."""

IDLE_SINCE, LOAD, HANDLED, LOGIN_ORDER = 0, 1, 2, 3
"""Columns of :attr:`AgentTable.facts`: the per-slot facts the strategies order by."""

BLOCK = 64
"""Ready-set positions per block of :attr:`AgentTable.ready_prof`."""

_REQUIREMENT_CACHE_SIZE = 4096


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
    >>> row = t.ensure_channel("voice")
    >>> t.set_available(row, s, True)
    >>> t.ready_count[row], int(t.ready[row, 0])
    (1, 0)
    """

    def __init__(self, agents: int = 16, skills: int = 8, channels: int = 2) -> None:
        self.n = 0
        self.skill_cols: dict[str, int] = {}
        self.channel_cols: dict[str, int] = {}
        self.agent_prof = np.full((agents, skills), MISSING, dtype=np.int16)
        self.avail = np.zeros((channels, agents), dtype=np.uint8)
        self.facts = np.zeros((agents, 4), dtype=np.float64)
        """Per slot (a row): idle since, load (share of capacity in use), accepted since login,
        login order (columns ``IDLE_SINCE``, ``LOAD``, ``HANDLED``, ``LOGIN_ORDER``; counts
        are exact in float64)."""
        self.ready = np.zeros((channels, agents), dtype=np.int64)
        """``ready[channel, :ready_count[channel]]``: the slots available on the channel."""
        self.ready_prof = np.full(
            (channels, -(-agents // BLOCK), skills, BLOCK), MISSING, dtype=np.int16
        )
        """``ready_prof[channel, i // BLOCK, skill, i % BLOCK]`` is the proficiency in
        ``skill`` of ``ready[channel, i]``."""
        self.ready_facts = np.zeros((channels, agents, 4), dtype=np.float64)
        """``ready_facts[channel, i]`` = ``facts[ready[channel, i]]``."""
        self.ready_count: list[int] = [0] * channels
        self.work = np.zeros(2 * agents, dtype=np.int64)
        """Scratch space for the kernel (one decision at a time; >= 1.125 x agents)."""
        self._where: list[dict[int, int]] = [{} for _ in range(channels)]
        self._requirements: dict[tuple[tuple[str, int], ...], npt.NDArray[np.int64]] = {}

    # --- per-slot views (what the reference reads) ---------------------------------------------

    @property
    def prof(self) -> npt.NDArray[np.int16]:
        """Proficiency, skill-major: ``prof[skill, slot]`` (a view, -1 when missing)."""
        return self.agent_prof.T

    @property
    def idle_since(self) -> npt.NDArray[np.float64]:
        view: npt.NDArray[np.float64] = self.facts[:, IDLE_SINCE]
        return view

    @property
    def load(self) -> npt.NDArray[np.float64]:
        view: npt.NDArray[np.float64] = self.facts[:, LOAD]
        return view

    @property
    def handled(self) -> npt.NDArray[np.float64]:
        view: npt.NDArray[np.float64] = self.facts[:, HANDLED]
        return view

    @property
    def login_order(self) -> npt.NDArray[np.float64]:
        view: npt.NDArray[np.float64] = self.facts[:, LOGIN_ORDER]
        return view

    # --- growth --------------------------------------------------------------------------------

    def add_agent(self) -> int:
        """Allocate the next slot and return it."""
        slot = self.n
        capacity = self.facts.shape[0]
        if slot == capacity:
            size = 2 * capacity
            self.agent_prof = _grow(self.agent_prof, size, 0, MISSING)
            self.avail = _grow(self.avail, size, 1, 0)
            self.facts = _grow(self.facts, size, 0, 0.0)
            self.ready_facts = _grow(self.ready_facts, size, 1, 0.0)
            self.ready = _grow(self.ready, size, 1, 0)
            self.ready_prof = _grow(self.ready_prof, -(-size // BLOCK), 1, MISSING)
            self.work = np.zeros(2 * size, dtype=np.int64)
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
                self.ready = _grow(self.ready, 2 * col, 0, 0)
                self.ready_prof = _grow(self.ready_prof, 2 * col, 0, MISSING)
                self.ready_facts = _grow(self.ready_facts, 2 * col, 0, 0.0)
                self.ready_count += [0] * col
                self._where += [{} for _ in range(col)]
            self.channel_cols[channel] = col
        return col

    def _ensure_skill(self, skill: str) -> int:
        col = self.skill_cols.get(skill)
        if col is None:
            col = len(self.skill_cols)
            if col == self.agent_prof.shape[1]:
                self.agent_prof = _grow(self.agent_prof, 2 * col, 1, MISSING)
                self.ready_prof = _grow(self.ready_prof, 2 * col, 2, MISSING)
            self.skill_cols[skill] = col
        return col

    # --- updates -------------------------------------------------------------------------------

    def set_skills(self, slot: int, skills: Mapping[str, int]) -> None:
        """Replace the agent's proficiencies; O(skills known)."""
        self.agent_prof[slot] = MISSING
        for skill, level in skills.items():
            col = self._ensure_skill(skill)  # may grow (replace) the arrays: index after it
            self.agent_prof[slot, col] = level
        for row, where in enumerate(self._where):
            i = where.get(slot)
            if i is not None:
                self.ready_prof[row, i // BLOCK, :, i % BLOCK] = self.agent_prof[slot]

    def set_facts(self, slot: int, idle_since: float, load: float) -> None:
        """Set the slot's idle-since time and load; O(channels)."""
        facts = self.facts
        facts[slot, IDLE_SINCE] = idle_since
        facts[slot, LOAD] = load
        for row, where in enumerate(self._where):
            i = where.get(slot)
            if i is not None:
                self.ready_facts[row, i, IDLE_SINCE] = idle_since
                self.ready_facts[row, i, LOAD] = load

    def set_fact(self, slot: int, column: int, value: float) -> None:
        """Set one fact (``HANDLED``, ``LOGIN_ORDER``, ...) of the slot; O(channels)."""
        self.facts[slot, column] = value
        for row, where in enumerate(self._where):
            i = where.get(slot)
            if i is not None:
                self.ready_facts[row, i, column] = value

    def set_available(self, row: int, slot: int, available: bool) -> None:
        """Mark ``slot`` available (ready with free capacity) on channel ``row`` or not; O(skills)
        when it changes, O(1) otherwise."""
        where = self._where[row]
        if available:
            if slot in where:
                return
            i = len(where)
            where[slot] = i
            self.ready[row, i] = slot
            self.ready_prof[row, i // BLOCK, :, i % BLOCK] = self.agent_prof[slot]
            self.ready_facts[row, i] = self.facts[slot]
            self.avail[row, slot] = 1
            self.ready_count[row] = i + 1
        else:
            hole = where.pop(slot, None)
            if hole is None:
                return
            last = len(where)
            if hole != last:  # the last one moves into the hole
                moved = int(self.ready[row, last])
                self.ready[row, hole] = moved
                self.ready_prof[row, hole // BLOCK, :, hole % BLOCK] = self.agent_prof[moved]
                self.ready_facts[row, hole] = self.facts[moved]
                where[moved] = hole
            self.avail[row, slot] = 0
            self.ready_count[row] = last

    # --- queries -------------------------------------------------------------------------------

    def requirement(self, skills: Mapping[str, int]) -> npt.NDArray[np.int64] | None:
        """The kernel's form of a skill requirement: required columns, then their minimums.

        ``None`` when some required skill was never seen (so nobody has it). Cached per
        requirement (columns never move once given).

        >>> t = AgentTable()
        >>> t.set_skills(t.add_agent(), {"a": 1, "b": 2})
        >>> t.requirement({"b": 3}).tolist(), t.requirement({"zz": 1})
        ([1, 3], None)
        """
        key = tuple(skills.items())
        req = self._requirements.get(key)
        if req is not None:
            return req
        cols = [self.skill_cols.get(skill) for skill in skills]
        if None in cols:
            return None  # not cached: the skill may appear later
        req = np.array([*cols, *skills.values()], dtype=np.int64)
        if len(self._requirements) >= _REQUIREMENT_CACHE_SIZE:
            self._requirements.clear()
        self._requirements[key] = req
        return req

    def _check(self) -> None:
        """Verify the ready sets mirror ``avail`` and ``prof``; raise ``AssertionError``."""
        for row, where in enumerate(self._where):
            count = self.ready_count[row]
            assert count == len(where)
            slots = self.ready[row, :count]
            assert sorted(slots.tolist()) == np.flatnonzero(self.avail[row, : self.n]).tolist()
            for i, slot in enumerate(slots.tolist()):
                assert where[slot] == i
                copy = self.ready_prof[row, i // BLOCK, :, i % BLOCK]
                assert (copy == self.agent_prof[slot]).all()
                assert (self.ready_facts[row, i] == self.facts[slot]).all()
