"""The steps of the per-interval staffing search (:mod:`ccrouter.sim.interval_search`): the
sweep over intervals, the polish, and the whole-day check with its repairs; each candidate
simulated is recorded as an :class:`IntervalStep`."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import msgspec

from ccrouter.sim.interval_runs import IntervalCheck, Spec, WindowRuns
from ccrouter.sim.scenario import Scenario
from ccrouter.sim.staffing_bound import eligible

__all__ = ["IntervalStep", "Sweep"]


class IntervalStep(msgspec.Struct, frozen=True, kw_only=True):
    """A staffing of one interval the search simulated, and what it made of it."""

    index: int
    interval: int
    """The interval decided (with daily targets: the first interval a move changed; -1 for
    the start and the whole-day checks)."""
    phase: str
    """``start``, ``add``, ``remove``, ``polish`` or ``repair``; with daily targets
    (:mod:`ccrouter.sim.day_search`) also ``exchange`` and ``check``."""
    staffing: dict[str, int]
    """Searched group → agents in ``interval`` (the other intervals as planned then; for
    interval -1, the group's agent-intervals over the day)."""
    window: tuple[int, int]
    """The intervals simulated (first, last)."""
    replications: int
    checks: list[IntervalCheck]
    """The targets judged: ``interval``'s, and those of neighbours it can affect."""
    decision: str
    """``accepted`` (the search moved here) or ``rejected``."""
    reason: str

    @property
    def met(self) -> bool:
        return all(c.met for c in self.checks)

    @property
    def agents(self) -> int:
        return sum(self.staffing.values())


_Judged = tuple[list[IntervalCheck], int]


def _worst(checks: Sequence[IntervalCheck]) -> float:
    return max((c.shortfall for c in checks), default=0.0)


def _slack(checks: Sequence[IntervalCheck]) -> float:
    return min((c.margin for c in checks), default=math.inf)


def _missed(checks: Sequence[IntervalCheck]) -> str:
    worst = max(checks, key=lambda c: c.shortfall)
    name = "SL" if worst.metric == "service_level" else "abandon"
    return f"interval {worst.interval} {worst.queue} {name} {worst.judged:.3f} vs {worst.goal:g}"


class Sweep:
    """The search's state: the plan (group → agents per interval), the intervals whose
    targets held when decided, and the path."""

    def __init__(
        self,
        scenario: Scenario,
        groups: Sequence[str],
        plan: dict[str, list[int]],
        runs: WindowRuns,
        cost: Mapping[str, float],
        max_agents: int,
        lookback: int | None,
    ) -> None:
        self.n = scenario.n_intervals
        self.groups = list(groups)
        self.plan = plan
        self.runs = runs
        self.cost = dict(cost)
        self.max_agents = max_agents
        self.lookback = lookback
        self.met: set[int] = set()
        self.assumed: dict[int, dict[str, int]] = {}
        """Interval ``k`` → the next interval's staffing when ``k`` was decided."""
        self.given_up: set[int] = set()
        self.path: list[IntervalStep] = []
        by_name = {g.name: g for g in scenario.agent_groups}
        self.serves = {
            q: [
                g
                for g in self.groups
                if any(eligible(ct, by_name[g]) for ct in scenario.call_types if ct.queue == q)
            ]
            for q in runs.targets
        }

    # --- helpers --------------------------------------------------------------------------

    def _spec(self, k: int, counts: Mapping[str, int], lo: int, hi: int) -> Spec:
        return (
            lo,
            hi,
            tuple(
                (g, tuple(counts[g] if j == k else self.plan[g][j] for j in range(lo, hi + 1)))
                for g in self.groups
            ),
        )

    def _lo(self, k: int) -> int:
        return 0 if self.lookback is None else max(0, k - self.lookback)

    @property
    def _ahead(self) -> int:
        """Intervals simulated after the one decided: exact windows simulate the next one
        (its staff serve the calls still waiting); cheap windows end with the interval, its
        staff finishing its calls."""
        return 1 if self.lookback is None else 0

    def _record(
        self,
        k: int,
        staffing: Mapping[str, int],
        phase: str,
        spec: Spec,
        judged: _Judged,
        decision: str,
        reason: str,
    ) -> None:
        self.path.append(
            IntervalStep(
                index=len(self.path),
                interval=k,
                phase=phase,
                staffing=dict(staffing),
                window=(spec[0], spec[1]),
                replications=judged[1],
                checks=judged[0],
                decision=decision,
                reason=reason,
            )
        )

    def _current(self, k: int) -> dict[str, int]:
        return {g: self.plan[g][k] for g in self.groups}

    # --- the phases -----------------------------------------------------------------------

    def sweep(self, k: int) -> None:
        """Decide interval ``k`` (earlier ones fixed, the next at its Erlang estimate)."""
        lo, hi = self._lo(k), min(self.n - 1, k + self._ahead)
        # Exact windows also judge the previous interval: its last calls meet k's staff.
        before = [k - 1] if self.lookback is None and k - 1 in self.met else []
        intervals = [*before, k]
        current = self._current(k)
        if k + 1 < self.n:
            self.assumed[k] = self._current(k + 1)
        spec = self._spec(k, current, lo, hi)
        judged = self.runs.assess([spec], intervals)[0]
        verdict = (
            "meets every target"
            if all(c.met for c in judged[0])
            else (f"misses {_missed(judged[0])}")
        )
        self._record(k, current, "start", spec, judged, "accepted", f"Erlang estimate; {verdict}")
        current, feasible = self._add(k, current, judged, lo, hi, intervals, "add")
        if feasible:
            current = self._remove(k, current, lo, hi, intervals, "remove")
            self.met.add(k)

    def _add(
        self,
        k: int,
        current: dict[str, int],
        judged: _Judged,
        lo: int,
        hi: int,
        intervals: Sequence[int],
        phase: str,
    ) -> tuple[dict[str, int], bool]:
        while not all(c.met for c in judged[0]):
            unmet = {c.queue for c in judged[0] if not c.met}
            able = [
                g
                for g in self.groups
                if current[g] < self.max_agents and any(g in self.serves[q] for q in unmet)
            ]
            if not able:
                return current, False
            options = [{**current, g: current[g] + 1} for g in able]
            specs = [self._spec(k, o, lo, hi) for o in options]
            results = self.runs.assess(specs, intervals)
            keys = [
                (_worst(r[0]), sum(c.shortfall for c in r[0]), self.cost[g], -_slack(r[0]), i)
                for i, (g, r) in enumerate(zip(able, results, strict=True))
            ]
            best = min(range(len(options)), key=lambda i: keys[i])
            for i, option in enumerate(options):
                if i != best:
                    why = f"worst shortfall {keys[i][0]:.4f}, not better than +1 {able[best]}"
                    self._record(k, option, phase, specs[i], results[i], "rejected", why)
            judged = results[best]
            verdict = "meets every target" if keys[best][0] <= 0 else f"misses {_missed(judged[0])}"
            why = f"+1 {able[best]}: smallest worst shortfall {keys[best][0]:.4f}; {verdict}"
            self._record(k, options[best], phase, specs[best], judged, "accepted", why)
            current = options[best]
            for g in self.groups:
                self.plan[g][k] = current[g]
        return current, True

    def _remove(
        self,
        k: int,
        current: dict[str, int],
        lo: int,
        hi: int,
        intervals: Sequence[int],
        phase: str,
    ) -> dict[str, int]:
        while True:
            able = [g for g in self.groups if current[g] > 0]
            options = [{**current, g: current[g] - 1} for g in able]
            specs = [self._spec(k, o, lo, hi) for o in options]
            results = self.runs.assess(specs, intervals)
            ok = [i for i, r in enumerate(results) if all(c.met for c in r[0])]
            chosen = (
                min(ok, key=lambda i: (-self.cost[able[i]], -_slack(results[i][0]), i))
                if ok
                else None
            )
            for i, option in enumerate(options):
                if i == chosen:
                    continue
                if i in ok:
                    why = f"meets every target, but -1 {able[chosen or 0]} is preferred"
                else:
                    why = f"-1 {able[i]} misses {_missed(results[i][0])}"
                self._record(k, option, phase, specs[i], results[i], "rejected", why)
            if chosen is None:
                return current
            current = options[chosen]
            for g in self.groups:
                self.plan[g][k] = current[g]
            why = f"-1 {able[chosen]}: meets every target (slack {_slack(results[chosen][0]):.4f})"
            self._record(k, current, phase, specs[chosen], results[chosen], "accepted", why)

    def polish(self, k: int) -> None:
        """Try to remove agents from interval ``k`` with its neighbours as finally planned.

        Only when the next interval ended up with more agents in some group than ``k``'s
        decision assumed: with as many or fewer, removing from ``k`` can only be harder."""
        if k not in self.met or k + 1 >= self.n:
            return
        assumed, final = self.assumed[k], self._current(k + 1)
        if all(final[g] <= assumed[g] for g in self.groups):
            return
        lo, hi = self._lo(k), min(self.n - 1, k + 1 + self._ahead)
        near = [k - 1, k, k + 1] if self.lookback is None else [k, k + 1]
        intervals = [j for j in near if lo <= j < self.n and j in self.met]
        self._remove(k, self._current(k), lo, hi, intervals, "polish")

    def verify(self, progress: Callable[[str, int, int], None] | None) -> list[IntervalCheck]:
        """The whole day's checks with the plan, repairing intervals that miss (module
        docstring of ``interval_search``, step 4): one agent more in each missing interval per
        round, then the whole day again."""
        whole = list(range(self.n))
        for done in range(4 * self.n + 1):
            if progress is not None:
                progress("whole-day check" if done == 0 else f"whole-day check {done + 1}", 0, 1)
            spec = self._spec(-1, {}, 0, self.n - 1)
            checks = self.runs.assess([spec], whole, fixed=True)[0][0]
            # Every miss, clear or within noise: the answer meets each target on the whole day,
            # whichever windows found it (own-stream windows cannot tell a near miss there).
            bad = [c for c in checks if not c.met and c.interval not in self.given_up]
            if progress is not None:
                progress("whole-day check" if done == 0 else f"whole-day check {done + 1}", 1, 1)
            if not bad:
                break
            # Exact windows: the earliest miss first (it may be what makes later ones miss);
            # own-stream windows cannot see the whole day's misses: every miss at once.
            missed = sorted({c.interval for c in bad})
            for j in missed[:1] if self.lookback is None else missed:
                if not self._repair(j, {c.queue for c in bad if c.interval == j}):
                    self.given_up.add(j)
        return checks

    def _repair(self, j: int, queues: set[str]) -> bool:
        current = self._current(j)
        able = [
            g
            for g in self.groups
            if current[g] < self.max_agents and any(g in self.serves[q] for q in queues)
        ]
        if not able:
            return False
        lo, hi = self._lo(j), min(self.n - 1, j + self._ahead)
        options = [{**current, g: current[g] + 1} for g in able]
        specs = [self._spec(j, o, lo, hi) for o in options]
        results = self.runs.assess(specs, [j], fixed=self.lookback is None)
        keys = [(_worst(r[0]), self.cost[g], -_slack(r[0]), i)
                for i, (g, r) in enumerate(zip(able, results, strict=True))]  # fmt: skip
        best = min(range(len(options)), key=lambda i: keys[i])
        for i, option in enumerate(options):
            decision = "accepted" if i == best else "rejected"
            why = f"whole day missed interval {j}; +1 {able[i]}: worst shortfall {keys[i][0]:.4f}"
            self._record(j, option, "repair", specs[i], results[i], decision, why)
        for g in self.groups:
            self.plan[g][j] = options[best][g]
        return True

    def feasible(self, checks: Sequence[IntervalCheck]) -> bool:
        """Every check met."""
        return all(c.met for c in checks)
