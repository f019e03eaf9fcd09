"""The compiled engine's waiting groups: every requirement a waiting interaction can have.

The router files waiting work per queue under its requirement: the channel, the skill
minimums and, when the queue names agent groups, those groups (``records.restriction``).
A requirement changes while work waits: a widening step sets or drops skills and adds agent
groups, an overflow moves the work to another queue (the new queue's groups, the same
skills). The kernel cannot build requirements as it runs, so they are all listed here
before the run: from each call type's and campaign's arrival requirement, closed under the
steps of its queue, the overflows and the moves of overdue work, with the group each
transition leads to.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ccrouter.config import RouterConfig, Step
from ccrouter.sim.scenario import Scenario

__all__ = ["Requirement", "WaitingGroups", "waiting_groups"]

Requirement = tuple[str, str, tuple[tuple[str, int], ...], tuple[str, ...]]
"""(queue, channel, skill minimums sorted by skill, agent groups sorted; empty: anyone)."""


def _groups_of(config: RouterConfig, queue: str) -> tuple[str, ...]:
    """The agent groups work arriving in ``queue`` is limited to (``RouterState._queued``)."""
    return tuple(sorted(set(config.queue(queue).groups)))


def _stepped(req: Requirement, step: Step) -> Requirement:
    """The requirement after ``step`` (``policies.steps.step_event``, not skipped)."""
    queue, channel, skills, groups = req
    widened = {k: v for k, v in skills if k not in step.drop_skills}
    widened.update(step.skills)
    new_groups = tuple(sorted({*groups, *step.groups})) if groups else ()
    return (queue, channel, tuple(sorted(widened.items())), new_groups)


class WaitingGroups:
    """Requirements numbered in the order they are met (arrivals first, then the closure).

    Attributes:
        rows: the requirements; a requirement's index is its waiting group.
    """

    def __init__(self, config: RouterConfig) -> None:
        self.config = config
        self.rows: list[Requirement] = []
        self._index: dict[Requirement, int] = {}

    def _add(self, req: Requirement) -> int:
        g = self._index.get(req)
        if g is None:
            g = self._index[req] = len(self.rows)
            self.rows.append(req)
        return g

    def arrival(self, queue: str, channel: str, skills: Mapping[str, int]) -> int:
        """The waiting group of work submitted to ``queue`` with ``skills``."""
        req = (queue, channel, tuple(sorted(skills.items())), _groups_of(self.config, queue))
        return self._add(req)

    def close(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Add every requirement reachable by steps, overflows and overdue moves; return
        ``over[g]`` (the group after an overflow, -1: the queue has none), ``step[g, j]``
        (the group after step ``j`` of ``g``'s queue applies; -1 past its steps) and
        ``overdue[g]`` (the group after a move to the queue's ``overdue_queue``, -1: none)."""
        config = self.config
        width = max([len(q.steps) for q in config.queues.values()] or [0])
        over: list[int] = []
        overdue: list[int] = []
        steps: list[list[int]] = []
        j = 0
        while j < len(self.rows):
            queue, channel, skills, _ = self.rows[j]
            settings = config.queue(queue)
            target = settings.overflow_to
            if target is None:
                over.append(-1)
            else:
                over.append(self._add((target, channel, skills, _groups_of(config, target))))
            late = settings.overdue_queue
            if late is None:
                overdue.append(-1)
            else:
                overdue.append(self._add((late, channel, skills, _groups_of(config, late))))
            row = [self._add(_stepped(self.rows[j], st)) for st in settings.steps]
            steps.append(row + [-1] * (width - len(row)))
            j += 1
        n = max(1, len(self.rows))
        over_a = np.full(n, -1, dtype=np.int64)
        over_a[: len(over)] = over
        overdue_a = np.full(n, -1, dtype=np.int64)
        overdue_a[: len(overdue)] = overdue
        step_a = np.full((n, max(1, width)), -1, dtype=np.int64)
        for g, row in enumerate(steps):
            step_a[g, : len(row)] = row
        return over_a, step_a, overdue_a


def waiting_groups(scenario: Scenario) -> tuple[WaitingGroups, np.ndarray, np.ndarray, np.ndarray]:
    """The scenario's waiting groups, numbered the same way for the packer and the decoder:
    call types' arrivals, campaigns' connects, then the closure; with ``close``'s arrays."""
    groups = WaitingGroups(scenario.router_config())
    for ct in scenario.call_types:
        groups.arrival(ct.queue, ct.channel, ct.skills)
    for camp in scenario.campaigns:
        groups.arrival(camp.queue, camp.channel, camp.skills)
    over, step, late = groups.close()
    return groups, over, step, late
