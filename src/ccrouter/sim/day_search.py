"""Daily targets for the per-interval staffing search (``targets_over="day"``): agents per
group per interval at the least cost such that each queue's targets hold over the whole day's
calls (intervals may fall below them), by simulation with common random numbers.

Planners often contract a daily service level (80 % of the day's calls answered within 20 s):
a quiet interval may then run below target if the day still makes it, and the agents it no
longer needs cost more than the few calls they would have answered sooner. As in
simulation-based staffing with aggregate service-level constraints (Atlason, Epelman and
Henderson 2004; Cezik and L'Ecuyer 2008), every candidate is the whole day simulated on the
same customers, and the search moves one agent-interval at a time by its marginal effect:

1. **Start** from each interval's Erlang estimate (the per-interval mode's start).
2. **Marginal effects.** The effect of one agent more or fewer in group ``g`` and interval
   ``k`` on each queue's daily service level and abandonment is estimated from a short window
   around ``k`` (intervals ``k - 1`` to ``k + 1``, common random numbers between the window
   with and without the move): the change in each interval's value, weighted by the interval's
   share of the queue's daily calls (:func:`~ccrouter.sim.demand.agent_demand`). Windows are
   kept, so an effect is simulated again only where the plan around it changed.
3. **Add** while a daily target is missed: the moves that gain most on the missed targets per
   unit cost, one per interval, until their estimated gains cover the shortfall; the whole day
   is simulated again.
4. **Remove** while the daily targets hold: the moves that consume the least of the tightest
   target's slack per unit cost, one per interval, while their estimated losses stay under
   half of each target's slack; the whole day with the batch removed is simulated and judged
   (sequential replications: more while a verdict is close). A batch that misses is halved; a
   single move that misses is blocked.
5. **Polish** (``polish=True``): every move blocked on an earlier plan is tried alone on the
   final one, until none can go: removing any one more agent-interval then misses a daily
   target on the search's own replications (a local minimum, not a proven global one).
6. **Whole-day check** with the scenario's own replications at full count (``simulate`` with
   the same seed reproduces it); a daily target missed there gets agents added (step 3).

With ``min_agents`` (N > 0), every interval where a call type has calls reaching the agents
keeps at least N agents of the searched groups able to serve it, together: the start is
raised to it (the cheapest able group first) and no removal goes below it, so a quiet
interval is never left without anyone to answer. Intervals without calls may still drop to 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from ccrouter.sim.clock import clock_label
from ccrouter.sim.day_runs import DayRuns, Plan, plan_key
from ccrouter.sim.demand import agent_demand
from ccrouter.sim.interval_runs import DAY, IntervalCheck, Spec, WindowRuns
from ccrouter.sim.interval_steps import IntervalStep
from ccrouter.sim.scenario import Scenario
from ccrouter.sim.staffing_bound import eligible

__all__ = ["DaySearch", "day_weights", "floor_sets"]

Move = tuple[int, str, int]
"""(interval, group, +1 or -1)."""
Key = tuple[str, str]
"""A daily check: (queue, metric)."""
_Judged = tuple[list[IntervalCheck], int]

SHARE = 0.5
"""A removal batch's estimated losses stay under this share of each target's slack."""


def day_weights(scenario: Scenario, queues: Sequence[str]) -> dict[str, list[float]]:
    """Each queue's expected share of its daily calls per interval (the calls reaching the
    agents, :func:`~ccrouter.sim.demand.agent_demand`; zeros for a queue without calls)."""
    s = scenario
    demand = agent_demand(s)
    spans = [min(s.interval, s.horizon - k * s.interval) for k in range(s.n_intervals)]
    calls = {q: [0.0] * s.n_intervals for q in queues}
    for ct in s.call_types:
        if ct.queue in calls:
            for k, (rate, span) in enumerate(
                zip(demand[ct.name].calls_per_hour, spans, strict=True)
            ):
                calls[ct.queue][k] += rate * span / 3600.0
    out = {}
    for q, per in calls.items():
        total = math.fsum(per)
        out[q] = [c / total if total > 0 else 0.0 for c in per]
    return out


def _met(checks: Sequence[IntervalCheck]) -> bool:
    return all(c.met for c in checks)


def _key(c: IntervalCheck) -> Key:
    return (c.queue, c.metric)


def _mean_diff(base: Sequence[float], cand: Sequence[float]) -> float:
    """Mean paired difference ``cand - base`` over replications defined in both (0: none)."""
    pairs = [c - b for b, c in zip(base, cand, strict=True) if not (math.isnan(b) or math.isnan(c))]
    return math.fsum(pairs) / len(pairs) if pairs else 0.0


class DaySearch:
    """The daily-target search's state: the plan, the day's checks and the path (see the
    module docstring)."""

    def __init__(
        self,
        scenario: Scenario,
        groups: Sequence[str],
        plan: dict[str, list[int]],
        runs: WindowRuns,
        cost: Mapping[str, float],
        max_agents: int,
        progress: Callable[[str, int, int], None] | None = None,
        min_agents: int = 0,
    ) -> None:
        self.scenario = scenario
        self.n = scenario.n_intervals
        self.groups = list(groups)
        self.plan = plan
        self.runs = runs
        self.day = DayRuns(runs)
        self.cost = dict(cost)
        self.max_agents = max_agents
        self.progress = progress
        self.weights = day_weights(scenario, list(runs.targets))
        self.scale = 1.0
        """Whole-day effects over window estimates, as learnt (:meth:`_learn`)."""
        self.path: list[IntervalStep] = []
        by_name = {g.name: g for g in scenario.agent_groups}
        self.serves = {
            q: {
                g
                for g in self.groups
                if any(eligible(ct, by_name[g]) for ct in scenario.call_types if ct.queue == q)
            }
            for q in runs.targets
        }
        # Windows cannot cut the shifts of groups not searched: simulate from interval 0.
        self.prefix = any(g.shifts and g.name not in self.groups for g in scenario.agent_groups)
        self.min_agents = min_agents
        self.floors = floor_sets(scenario, self.groups) if min_agents > 0 else [[]] * self.n
        self.raised = self._raise_to_floors()

    # --- helpers --------------------------------------------------------------------------

    def _raise_to_floors(self) -> int:
        """Agents added to the start so that every interval keeps ``min_agents`` for each
        call type it has (the cheapest group able to serve it first); return how many."""
        added = 0
        for k, sets in enumerate(self.floors):
            for able in sets:
                while sum(self.plan[g][k] for g in able) < self.min_agents:
                    room = [
                        g for g in self.groups if g in able and self.plan[g][k] < self.max_agents
                    ]
                    g = min(room, key=lambda g: (self.cost[g], self.groups.index(g)))
                    self.plan[g][k] += 1
                    added += 1
        return added

    def _keeps_floor(self, k: int, g: str) -> bool:
        """Whether one agent of ``g`` fewer in interval ``k`` keeps ``min_agents``."""
        return all(
            sum(self.plan[h][k] for h in able) > self.min_agents
            for able in self.floors[k]
            if g in able
        )

    def _key(self) -> Plan:
        return plan_key(self.plan)

    def _moved(self, moves: Sequence[Move]) -> Plan:
        plan = {g: list(c) for g, c in self.plan.items()}
        for k, g, d in moves:
            plan[g][k] += d
        return plan_key(plan)

    def _spec(self, lo: int, hi: int, move: Move | None) -> Spec:
        counts = []
        for g in self.groups:
            row = list(self.plan[g][lo : hi + 1])
            if move is not None and move[1] == g:
                row[move[0] - lo] += move[2]
            counts.append((g, tuple(row)))
        return (lo, hi, tuple(counts))

    def _effects(self, moves: Sequence[Move]) -> list[dict[Key, float]]:
        """Each move's estimated effect on each daily check's margin (positive: better), from
        windows around its interval (the module docstring's step 2)."""
        first = self.runs.most  # windows are short: every replication, for steadier ranks
        pairs = []
        for k, _, _ in moves:
            lo, hi = (0 if self.prefix else max(0, k - 1)), min(self.n - 1, k + 1)
            pairs.append((k, self._spec(lo, hi, None)))
        specs = [self._spec(spec[0], spec[1], m) for m, (_, spec) in zip(moves, pairs, strict=True)]
        self.runs.ensure([s for _, s in pairs] + specs, first)
        out = []
        for (k, base), cand in zip(pairs, specs, strict=True):
            lo, hi = base[0], base[1]
            b, c = self.runs.kept[base][:first], self.runs.kept[cand][:first]
            effect: dict[Key, float] = {}
            for q, w in self.weights.items():
                sl = ab = 0.0
                for j in range(k, hi + 1):
                    sl += w[j] * _mean_diff(
                        [r[q][0][j - lo] for r in b], [r[q][0][j - lo] for r in c]
                    )
                    ab += w[j] * _mean_diff(
                        [r[q][1][j - lo] for r in b], [r[q][1][j - lo] for r in c]
                    )
                effect[(q, "service_level")] = sl
                effect[(q, "abandonment_rate")] = -ab
            out.append(effect)
        return out

    def _label(self, k: int) -> str:
        return clock_label(self.scenario.origin + k * self.scenario.interval)

    def _describe(self, moves: Sequence[Move]) -> str:
        return ", ".join(f"{d:+d} {g} {self._label(k)}" for k, g, d in moves)

    def _record(
        self,
        phase: str,
        moves: Sequence[Move],
        plan: Plan,
        judged: _Judged,
        decision: str,
        why: str,
    ) -> None:
        counts = dict(plan)
        k = moves[0][0] if moves else DAY
        staffing = {g: (counts[g][k] if k != DAY else sum(counts[g])) for g in self.groups}
        verdict = "meets every daily target" if _met(judged[0]) else f"misses {_missed(judged[0])}"
        self.path.append(
            IntervalStep(
                index=len(self.path),
                interval=k,
                phase=phase,
                staffing=staffing,
                window=(0, self.n - 1),
                replications=judged[1],
                checks=judged[0],
                decision=decision,
                reason=f"{why}; {verdict}" if why else verdict,
            )
        )

    def _accept(self, moves: Sequence[Move]) -> None:
        for k, g, d in moves:
            self.plan[g][k] += d

    def _tell(self, label: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(label, done, total)

    # --- the phases -----------------------------------------------------------------------

    def search(self, polish: bool) -> tuple[list[IntervalCheck], list[IntervalCheck]]:
        """Run the steps of the module docstring; return the day's checks and every
        interval's, both on the whole-day check."""
        self._tell("daily search", 0, 3)
        judged = self.day.assess([self._key()])[0]
        why = "Erlang estimates"
        if self.raised:
            why += f", {self.raised} agent-intervals added to keep min_agents={self.min_agents}"
        self._record("start", [], self._key(), judged, "accepted", why)
        judged = self._add(judged)
        self._tell("daily search", 1, 3)
        if _met(judged[0]):
            blocked: dict[tuple[int, str], Plan] = {}
            judged = self._remove(judged, blocked, "remove", None)
            judged = self._exchange(judged)
            self._tell("daily search", 2, 3)
            if polish:
                judged = self._polish(judged, blocked)
        self._tell("daily search", 3, 3)
        for _ in range(self.n + 1):
            self._tell("whole-day check", 0, 1)
            final = self.day.assess([self._key()])[0]
            self._tell("whole-day check", 1, 1)
            self._record("check", [], self._key(), final, "accepted", "every replication")
            if _met(final[0]):
                break
            before = self._key()
            self._add(final)
            if self._key() == before:
                break  # nothing could be added: infeasible within max_agents
        return final[0], self.day.interval_checks(self._key(), self.runs.most)

    def _add(self, judged: _Judged) -> _Judged:
        """Step 3: batches of additions while a daily target is missed."""
        while not _met(judged[0]):
            missed = [c for c in judged[0] if not c.met]
            queues = {c.queue for c in missed}
            moves = [
                (k, g, 1)
                for k in range(self.n)
                for g in self.groups
                if self.plan[g][k] < self.max_agents and any(g in self.serves[q] for q in queues)
            ]
            if not moves:
                return judged
            effects = self._effects(moves)
            score = [
                math.fsum(max(0.0, e[_key(c)]) for c in missed) / self.cost[m[1]]
                for m, e in zip(moves, effects, strict=True)
            ]
            order = sorted(range(len(moves)), key=lambda i: (-score[i], self.cost[moves[i][1]], i))
            batch: list[Move] = []
            gained = dict.fromkeys(map(_key, missed), 0.0)
            for i in order:
                if batch and (score[i] <= 0 or len(batch) >= max(1, self.n // 4)):
                    break
                if any(m[0] == moves[i][0] for m in batch):
                    continue
                batch.append(moves[i])
                for c in missed:
                    gained[_key(c)] += max(0.0, effects[i][_key(c)]) / self.scale
                if all(gained[_key(c)] >= c.shortfall for c in missed):
                    break
            plan = self._moved(batch)
            judged = self.day.assess([plan], base=self._key())[0]
            self._accept(batch)
            why = (
                f"{self._describe(batch)}: most estimated gain on the missed targets per unit cost"
            )
            self._record("add", batch, plan, judged, "accepted", why)
        return judged

    def _order(
        self, moves: Sequence[Move], judged: _Judged
    ) -> tuple[list[int], list[dict[Key, float]]]:
        """Removals by the share of the tightest target's slack they use per unit cost."""
        effects = self._effects(moves)
        slack = {_key(c): c.margin for c in judged[0]}

        def used(i: int) -> float:
            shares = [
                -e / max(slack[key], 1e-9)
                for key, e in effects[i].items()
                if key in slack and math.isfinite(slack[key])
            ]
            return max(shares, default=0.0) / self.cost[moves[i][1]]

        order = sorted(range(len(moves)), key=lambda i: (used(i), -self.cost[moves[i][1]], i))
        return order, effects

    def _remove(
        self,
        judged: _Judged,
        blocked: dict[tuple[int, str], Plan],
        phase: str,
        budget: int | None,
    ) -> _Judged:
        """Step 4: batches of removals while the daily targets hold, until every move is
        blocked (or ``budget`` whole days were simulated); ``blocked`` gets each move that
        missed alone, with the plan it missed on."""
        tried = 0
        while budget is None or tried < budget:
            moves = [
                (k, g, -1)
                for k in range(self.n)
                for g in self.groups
                if self.plan[g][k] > 0 and (k, g) not in blocked and self._keeps_floor(k, g)
            ]
            if not moves:
                break
            order, effects = self._order(moves, judged)
            slack = {_key(c): c.margin for c in judged[0] if math.isfinite(c.margin)}
            batch: list[Move] = []
            lost = dict.fromkeys(slack, 0.0)
            for i in order:
                if any(m[0] == moves[i][0] for m in batch):
                    continue
                trial = {
                    key: lost[key] + max(0.0, -effects[i].get(key, 0.0)) * self.scale
                    for key in lost
                }
                if batch and any(trial[key] > SHARE * slack[key] for key in trial):
                    continue
                batch.append(moves[i])
                lost = trial
            while batch and (budget is None or tried < budget):
                plan = self._moved(batch)
                result = self.day.assess([plan], base=self._key())[0]
                tried += 1
                self._learn(judged, result, lost)
                if _met(result[0]):
                    self._accept(batch)
                    judged = result
                    why = f"{self._describe(batch)}: least estimated loss per unit cost"
                    self._record(phase, batch, plan, result, "accepted", why)
                    break
                self._record(phase, batch, plan, result, "rejected", self._describe(batch))
                if len(batch) == 1:
                    blocked[batch[0][0], batch[0][1]] = self._key()
                    break
                batch = batch[: len(batch) // 2]
                lost = {key: v / 2 for key, v in lost.items()}
        return judged

    def _learn(self, before: _Judged, after: _Judged, estimated: Mapping[Key, float]) -> None:
        """Scale the window estimates to what the whole day showed: the ratio of the tightest
        target's simulated loss to its estimate, smoothed (window effects miss the calls a
        change carries further into the day)."""
        margins = {_key(c): c.margin for c in before[0] if math.isfinite(c.margin)}
        if not margins:
            return
        tight = min(margins, key=lambda key: margins[key])
        est = estimated.get(tight, 0.0) / self.scale
        after_margin = next(c.margin for c in after[0] if _key(c) == tight)
        if est <= 1e-9 or not math.isfinite(after_margin):
            return
        ratio = min(16.0, max(0.25, (margins[tight] - after_margin) / est))
        self.scale = min(16.0, max(0.25, math.sqrt(self.scale * ratio)))

    def _exchange(self, judged: _Judged) -> _Judged:
        """Swap rounds: add the agent-interval gaining most on the tightest target per unit
        cost, then remove what the room it made allows; kept while a round saves cost."""
        for _ in range(self.n):
            saved = {g: list(c) for g, c in self.plan.items()}
            cost_before = self._cost()
            moves = [
                (k, g, 1)
                for k in range(self.n)
                for g in self.groups
                if self.plan[g][k] < self.max_agents
            ]
            margins = {_key(c): c.margin for c in judged[0] if math.isfinite(c.margin)}
            if not moves or not margins:
                return judged
            tight = min(margins, key=lambda key: margins[key])
            effects = self._effects(moves)
            best = max(
                range(len(moves)), key=lambda i: (effects[i][tight] / self.cost[moves[i][1]], -i)
            )
            plan = self._moved([moves[best]])
            added = self.day.assess([plan], base=self._key())[0]
            self._accept([moves[best]])
            why = f"{self._describe([moves[best]])}: most estimated gain on the tightest target"
            self._record("exchange", [moves[best]], plan, added, "accepted", why)
            # Not the agent just added: taking it back saves nothing.
            after = self._remove(added, {moves[best][:2]: ()}, "exchange", budget=6)
            if self._cost() < cost_before - 1e-9 and _met(after[0]):
                judged = after
                continue
            self.plan.update(saved)
            self._record("exchange", [], self._key(), judged, "rejected",
                         "the round saved nothing: back to the plan before it")  # fmt: skip
            return judged
        return judged

    def _cost(self) -> float:
        return math.fsum(self.cost[g] * sum(c) for g, c in self.plan.items())

    def _polish(self, judged: _Judged, blocked: dict[tuple[int, str], Plan]) -> _Judged:
        """Step 5: moves blocked on an earlier plan, each tried alone on the current one."""
        while True:
            now = self._key()
            stale = [
                (k, g, -1)
                for k in range(self.n)
                for g in self.groups
                if self.plan[g][k] > 0 and blocked.get((k, g)) != now and self._keeps_floor(k, g)
            ]
            if not stale:
                return judged
            order, _ = self._order(stale, judged)
            for i in order:
                move = stale[i]
                plan = self._moved([move])
                result = self.day.assess([plan], base=self._key())[0]
                if _met(result[0]):
                    self._accept([move])
                    judged = result
                    self._record("polish", [move], plan, result, "accepted", self._describe([move]))
                    blocked.pop((move[0], move[1]), None)  # one more may go: try it next pass
                else:
                    self._record("polish", [move], plan, result, "rejected", self._describe([move]))
                    blocked[move[0], move[1]] = self._key()


def floor_sets(scenario: Scenario, groups: Sequence[str]) -> list[list[frozenset[str]]]:
    """Per interval, for each call type with calls reaching the agents in it
    (:func:`~ccrouter.sim.demand.agent_demand`), the searched groups able to serve it (call
    types no searched group serves are left out: their staff is not searched)."""
    demand = agent_demand(scenario)
    by_name = {g.name: g for g in scenario.agent_groups}
    out: list[list[frozenset[str]]] = [[] for _ in range(scenario.n_intervals)]
    for ct in scenario.call_types:
        able = frozenset(g for g in groups if eligible(ct, by_name[g]))
        if not able:
            continue
        for k, rate in enumerate(demand[ct.name].calls_per_hour):
            if rate > 0 and able not in out[k]:
                out[k].append(able)
    return out


def _missed(checks: Sequence[IntervalCheck]) -> str:
    worst = max(checks, key=lambda c: c.shortfall)
    name = "SL" if worst.metric == "service_level" else "abandon"
    return f"day {worst.queue} {name} {worst.judged:.3f} vs {worst.goal:g}"
