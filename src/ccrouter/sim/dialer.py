"""The dialer of one campaign inside a run: its records, random streams, lines in flight and
pacing estimators. The engine asks it how many lines to dial and tells it what happened; the
router never sees an attempt, only the right-party connects the engine submits.

Every record draws, in dial order, one value from each of four named streams (right-party
connect, answer time, no-answer time, handle time), whether it needs them or not, so record
``k`` of a campaign is the same person in every scenario variant (common random numbers).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ccrouter.sim.campaign import Campaign, Predictive
from ccrouter.sim.distributions import Distribution, Uniform, mean_of, sample
from ccrouter.sim.pacing import (
    AbandonController,
    HitRate,
    lines_to_dial,
    predictive_lines,
    progressive_lines,
)

__all__ = ["CampaignRun", "Draws", "Record"]

Record = tuple[int, bool, float, float]
"""A dialed record: (index, right-party connect, seconds until the attempt ends, handle)."""


class Draws:
    """Values of one distribution from one generator, drawn in blocks but handed out one at a
    time in the generator's order (a block of ``n`` equals ``n`` single draws).

    >>> d = Draws(Uniform(low=0.0, high=1.0), np.random.default_rng(3), block=4)
    >>> first = [d.next() for _ in range(6)]
    >>> first == sample(Uniform(low=0.0, high=1.0), np.random.default_rng(3), 8)[:6].tolist()
    True
    """

    __slots__ = ("_block", "_buffer", "_dist", "_pos", "_rng")

    def __init__(self, dist: Distribution, rng: np.random.Generator, block: int = 256) -> None:
        self._dist = dist
        self._rng = rng
        self._block = block
        self._buffer: list[float] = []
        self._pos = 0

    def next(self) -> float:
        if self._pos == len(self._buffer):
            self._buffer = sample(self._dist, self._rng, self._block).tolist()
            self._pos = 0
        value = self._buffer[self._pos]
        self._pos += 1
        return value


class CampaignRun:
    """A campaign during one run (created by the engine with its streams)."""

    def __init__(
        self,
        campaign: Campaign,
        *,
        horizon: float,
        wrap_up: float,
        streams: Mapping[str, np.random.Generator],
    ) -> None:
        c = campaign
        self.campaign = c
        self.start = c.start
        self.end = horizon if c.end is None else c.end
        self._rpc = Draws(Uniform(low=0.0, high=1.0), streams["rpc"])
        self._answer = Draws(c.answer_time, streams["answer"])
        self._no_answer = Draws(c.no_answer_time, streams["no_answer"])
        self._handle = Draws(c.handle, streams["handle"])
        self.connect_delay = mean_of(c.answer_time)
        self.handle_time = mean_of(c.handle) + wrap_up
        self.next_record = 0
        self.in_flight = 0
        self.dials: list[tuple[float, bool]] = []
        """(dial time, right-party connect) of every attempt."""
        pacing = c.pacing
        self.predictive = pacing if isinstance(pacing, Predictive) else None
        weight = pacing.prior_attempts if isinstance(pacing, Predictive) else 0.0
        self.hit_rate = HitRate(prior=c.rpc_probability, weight=weight)
        self.controller = (
            AbandonController(
                target=c.target_abandon_rate,
                step=pacing.gain_step,
                initial=pacing.initial_gain,
                low=pacing.min_gain,
                high=pacing.max_gain,
            )
            if isinstance(pacing, Predictive)
            else None
        )

    def dialing(self, at: float) -> bool:
        """Inside the window with records left."""
        size = self.campaign.list_size
        return self.start <= at < self.end and (size is None or self.next_record < size)

    def wanted(self, *, free: int, busy: int, waiting: int) -> int:
        """New dials to place now, given the campaign's agents and the work already waiting."""
        p = self.predictive
        if p is None or self.controller is None:
            lines = progressive_lines(free=free, waiting=waiting, reserve=self.campaign.reserve)
        else:
            lines = predictive_lines(
                free=free,
                busy=busy,
                waiting=waiting,
                connect_delay=self.connect_delay,
                handle_time=self.handle_time,
                hit_rate=self.hit_rate.value,
                gain=self.controller.gain,
                cap=math.ceil(p.max_lines_per_agent * (free + busy)),
                reserve=self.campaign.reserve,
            )
        n = lines_to_dial(lines, self.in_flight)
        size = self.campaign.list_size
        return n if size is None else min(n, size - self.next_record)

    def dial(self, at: float) -> Record:
        """Place the next record's call at ``at``."""
        k = self.next_record
        self.next_record += 1
        self.in_flight += 1
        connected = self._rpc.next() < self.campaign.rpc_probability
        answer, no_answer, handle = self._answer.next(), self._no_answer.next(), self._handle.next()
        self.dials.append((at, connected))
        return k, connected, answer if connected else no_answer, handle

    def attempt_ended(self, connected: bool) -> None:
        """An attempt is over: the person answered, or the dialer gave up."""
        self.in_flight -= 1
        self.hit_rate.observe(connected)

    def connect_ended(self, abandoned: bool) -> None:
        """A connect reached an agent in time, or was dropped."""
        if self.controller is not None:
            self.controller.observe(abandoned)
