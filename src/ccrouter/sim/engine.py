"""One simulation run: a virtual-time calendar driving the real :class:`~ccrouter.Router`.

The engine owns the calendar and the random streams, nothing else: every routing decision,
timer and status is the router's, reached only through its public commands (``login``,
``ready``, ``not_ready`` for breaks and shift ends, ``logout`` once an agent's work is done,
``submit``, ``accept`` after the ring delay, ``complete``, ``abandon`` when patience runs out,
``advance`` to fire the router's own timers). What happened is the router's event log.

Random numbers come from one :class:`numpy.random.Generator` per *source* (arrivals, handle
times, patience of each call type; retrials; ring delays), each derived from the replication's
:class:`numpy.random.SeedSequence` with a spawn key named after the source. The customers of a
call type (arrival times, handle time, patience) are therefore the same in two scenario
variants that differ only in staffing or routing: common random numbers.
"""

from __future__ import annotations

import zlib

import numpy as np

from ccrouter.errors import ConfigError
from ccrouter.events import (
    AgentNotReady,
    Event,
    InteractionAbandoned,
    InteractionCompleted,
    InteractionOffered,
    OfferAccepted,
    WrapUpEnded,
)
from ccrouter.router import Router
from ccrouter.sim.calendar import Calendar
from ccrouter.sim.distributions import sample
from ccrouter.sim.scenario import AgentGroup, PoissonArrivals, Scenario

__all__ = ["Engine", "RunOutput", "source_rng"]

# Calendar action kinds.
(_ARRIVE, _RETRY, _PATIENCE, _ACCEPT, _COMPLETE, _STAFF, _LOGIN, _BREAK, _BREAK_END, _LEAVE,
 _RECOVER) = range(11)  # fmt: skip
RONA_RECOVERY = 60.0
"""Seconds after a ring-no-answer ``not_ready`` until the agent is made ready again."""


def source_rng(seed: np.random.SeedSequence, source: str) -> np.random.Generator:
    """The generator of one named source within a replication.

    It is ``seed``'s child with spawn key ``crc32(source)``: the same mechanism as
    ``SeedSequence.spawn``, but keyed by name, so adding a call type or an agent group leaves
    every other source's numbers unchanged.
    """
    key = zlib.crc32(source.encode())
    child = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, key))
    return np.random.default_rng(child)


def arrival_times(scenario: Scenario, index: int, rng: np.random.Generator) -> np.ndarray:
    """Arrival times of call type ``index`` over the horizon (sorted)."""
    arrivals = scenario.call_types[index].arrivals
    if not isinstance(arrivals, PoissonArrivals):
        times = np.asarray(arrivals.times, dtype=np.float64)
        return times[times < scenario.horizon]
    rates = arrivals.rates_per_hour
    chunks = []
    for k in range(scenario.n_intervals):
        lo = k * scenario.interval
        hi = min(scenario.horizon, lo + scenario.interval)
        rate = rates[k] if len(rates) > 1 else rates[0]
        n = int(rng.poisson(rate / 3600.0 * (hi - lo)))
        chunks.append(np.sort(rng.uniform(lo, hi, n)))
    return np.concatenate(chunks) if chunks else np.empty(0)


class RunOutput:
    """What one run produced: the router's events and which group each agent belonged to."""

    __slots__ = ("agent_group", "customers", "events")

    def __init__(self, events: list[Event], agent_group: dict[str, str], customers: int) -> None:
        self.events = events
        self.agent_group = agent_group
        self.customers = customers


class Engine:
    """Runs ``scenario`` once with the random streams of ``seed``.

    >>> from ccrouter.sim.scenario import Scenario
    >>> s = Scenario.from_dict({"horizon": 3600, "call_types": [{"name": "c",
    ...     "arrivals": {"kind": "poisson", "rates_per_hour": [60]},
    ...     "handle": {"kind": "exponential", "mean": 120}}],
    ...     "agent_groups": [{"name": "g", "headcount": [3]}]})
    >>> a = Engine(s, np.random.SeedSequence(1)).run()
    >>> b = Engine(s, np.random.SeedSequence(1)).run()
    >>> a.events == b.events and a.customers > 30
    True
    """

    def __init__(
        self, scenario: Scenario, seed: np.random.SeedSequence, *, backend: str | None = None
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        config = scenario.router_config()
        if config.matching != "greedy":
            # Nothing would route: batch mode waits for match() ticks, which the engine has
            # no schedule for yet. Refuse rather than report a run where nobody is served.
            msg = "the simulator drives greedy matching only; set router.matching = 'greedy'"
            raise ConfigError(msg)
        self.auto_accept = config.auto_accept
        self.router = Router(config, backend=backend)
        self.calendar = Calendar()
        self.agent_group: dict[str, str] = {}
        self._active: dict[str, list[str]] = {g.name: [] for g in scenario.agent_groups}
        self._leaving: dict[str, str] = {}  # agent -> group, finishing work before logout
        self._offer_seq: dict[str, int] = {}
        self._customer: dict[str, tuple[int, int, int]] = {}  # iid -> (type, index, attempt)
        self._times: list[np.ndarray] = []
        self._handle: list[np.ndarray] = []
        self._patience: list[np.ndarray | None] = []
        self._retrial = source_rng(seed, "retrials")
        self._ring = source_rng(seed, "ring_delay")
        self._customers = 0

    # --- set-up ----------------------------------------------------------------------------

    def _setup(self) -> None:
        s = self.scenario
        for c, ct in enumerate(s.call_types):
            times = arrival_times(s, c, source_rng(self.seed, f"arrivals/{ct.name}"))
            n = len(times)
            self._times.append(times)
            self._handle.append(sample(ct.handle, source_rng(self.seed, f"handle/{ct.name}"), n))
            patience = None
            if ct.patience is not None:
                patience = sample(ct.patience, source_rng(self.seed, f"patience/{ct.name}"), n)
            self._patience.append(patience)
            if n:
                self.calendar.schedule(float(times[0]), _ARRIVE, c, 0)
        for g in s.agent_groups:
            if g.headcount is not None:
                for k in range(s.n_intervals if len(g.headcount) > 1 else 1):
                    self.calendar.schedule(k * s.interval, _STAFF, g.name, g.headcount[k])
            for shift in g.shifts or []:
                for _ in range(shift.count):
                    agent_id = self._new_agent(g)
                    self.calendar.schedule(shift.start, _LOGIN, agent_id, g.name)
                    for brk in shift.breaks:
                        start = shift.start + brk.start
                        self.calendar.schedule(start, _BREAK, agent_id)
                        self.calendar.schedule(start + brk.length, _BREAK_END, agent_id)
                    self.calendar.schedule(shift.end, _LEAVE, agent_id)

    def _new_agent(self, group: AgentGroup) -> str:
        agent_id = f"{group.name}-{len(self.agent_group) + 1:04d}"
        self.agent_group[agent_id] = group.name
        return agent_id

    # --- the loop --------------------------------------------------------------------------

    def run(self) -> RunOutput:
        """Run until no customer is left and no action is pending; return the output."""
        self._setup()
        router, calendar = self.router, self.calendar
        handle, react = self._handle_action, self._react
        while True:
            timer = router.state.next_timer()
            due = calendar.peek_time()
            if due is not None and (timer is None or due < timer[0]):
                at, _, kind, a, b = calendar.pop()
                events = handle(at, kind, a, b)
            elif timer is not None:
                events = router.advance(at=timer[0])
            else:
                break
            if events:
                react(events)
        return RunOutput(router.events, dict(self.agent_group), self._customers)

    def _handle_action(self, at: float, kind: int, a: object, b: object) -> list[Event]:
        r = self.router
        if kind == _ARRIVE:
            return self._arrive(at, int(a), int(b))  # type: ignore[call-overload]
        if kind == _COMPLETE:
            return r.complete(str(a), at=at)
        if kind == _ACCEPT:
            iid = str(a)
            inter = r.state.interactions[iid]
            if inter.status == "offered" and self._offer_seq.get(iid) == b:
                return r.accept(iid, at=at)
            return []
        if kind == _PATIENCE:
            iid = str(a)
            if r.state.interactions[iid].status in ("queued", "offered"):
                return r.abandon(iid, at=at)
            return []
        if kind == _RETRY:
            assert isinstance(a, int) and isinstance(b, tuple)
            return self._arrive(at, a, int(b[0]), int(b[1]))
        if kind == _STAFF:
            return self._staff(at, str(a), int(b))  # type: ignore[call-overload]
        agent_id = str(a)
        if kind == _LOGIN:
            group = next(g for g in self.scenario.agent_groups if g.name == b)
            self._active[group.name].append(agent_id)
            events = r.login(agent_id, skills=group.skills, capacity=group.capacity, at=at)
            return events + r.ready(agent_id, at=at)
        agent = r.state.agents.get(agent_id)
        if agent is None or agent.presence == "logged_out" or agent_id in self._leaving:
            return []
        if kind == _BREAK:
            return r.not_ready(agent_id, reason="break", at=at)
        if kind in (_BREAK_END, _RECOVER):
            if kind == _RECOVER and agent.reason != "no_answer":
                return []
            return r.ready(agent_id, at=at)
        assert kind == _LEAVE
        self._active[self.agent_group[agent_id]].remove(agent_id)
        return self._leave(agent_id, at)

    def _arrive(self, at: float, c: int, k: int, attempt: int = 0) -> list[Event]:
        ct = self.scenario.call_types[c]
        if attempt == 0:
            self._customers += 1
            times = self._times[c]
            if k + 1 < len(times):
                self.calendar.schedule(float(times[k + 1]), _ARRIVE, c, k + 1)
            iid = f"{ct.name}-{k}"
            patience = self._patience[c]
            wait = None if patience is None else float(patience[k])
        else:
            iid = f"{ct.name}-{k}.{attempt}"
            assert ct.patience is not None
            wait = float(sample(ct.patience, self._retrial, 1)[0])
        self._customer[iid] = (c, k, attempt)
        if wait is not None:
            self.calendar.schedule(at + wait, _PATIENCE, iid)
        return self.router.submit(
            iid, channel=ct.channel, queue=ct.queue, skills=ct.skills, priority=ct.priority, at=at
        )

    def _staff(self, at: float, group_name: str, target: int) -> list[Event]:
        """Bring the group's logged-in (not leaving) agents to ``target``."""
        r = self.router
        active = self._active[group_name]
        events: list[Event] = []
        # Agents still finishing their work before a logout come back first.
        for agent_id in [a for a, g in self._leaving.items() if g == group_name]:
            if len(active) >= target:
                break
            del self._leaving[agent_id]
            active.append(agent_id)
            events += r.ready(agent_id, at=at)
        group = next(g for g in self.scenario.agent_groups if g.name == group_name)
        while len(active) < target:
            agent_id = self._new_agent(group)
            active.append(agent_id)
            events += r.login(agent_id, skills=group.skills, capacity=group.capacity, at=at)
            events += r.ready(agent_id, at=at)
        while len(active) > target:
            events += self._leave(active.pop(), at)
        return events

    def _leave(self, agent_id: str, at: float) -> list[Event]:
        """End an agent's shift: no new work; log out now or once the work in hand is done."""
        r = self.router
        events = r.not_ready(agent_id, reason="shift_end", at=at)
        if r.state.agents[agent_id].work_in_hand:
            self._leaving[agent_id] = self.agent_group[agent_id]
        else:
            events += r.logout(agent_id, at=at)
        return events

    def _react(self, events: list[Event]) -> None:
        """Schedule what customers and agents do about the router's new events."""
        calendar = self.calendar
        for e in events:
            t = type(e)
            if t is OfferAccepted:
                c, k, _ = self._customer[e.interaction_id]  # type: ignore[union-attr]
                at = e.at + float(self._handle[c][k])
                calendar.schedule(at, _COMPLETE, e.interaction_id)  # type: ignore[union-attr]
            elif t is InteractionOffered:
                if not self.auto_accept:
                    assert isinstance(e, InteractionOffered)
                    self._offer_seq[e.interaction_id] = e.seq
                    delay = self.scenario.ring_delay
                    wait = 0.0 if delay is None else float(sample(delay, self._ring, 1)[0])
                    calendar.schedule(e.at + wait, _ACCEPT, e.interaction_id, e.seq)
            elif t is InteractionCompleted or t is WrapUpEnded:
                assert isinstance(e, InteractionCompleted | WrapUpEnded)
                if e.agent_id in self._leaving and (
                    t is WrapUpEnded or e.wrap_up_until <= e.at  # type: ignore[union-attr]
                ):
                    self._try_logout(e.agent_id, e.at)
            elif t is InteractionAbandoned:
                assert isinstance(e, InteractionAbandoned)
                self._maybe_retry(e.interaction_id, e.at)
            elif t is AgentNotReady:
                assert isinstance(e, AgentNotReady)
                if e.reason == "no_answer":
                    calendar.schedule(e.at + RONA_RECOVERY, _RECOVER, e.agent_id)

    def _try_logout(self, agent_id: str, at: float) -> None:
        r = self.router
        if not r.state.agents[agent_id].work_in_hand:
            del self._leaving[agent_id]
            self._react(r.logout(agent_id, at=at))

    def _maybe_retry(self, iid: str, at: float) -> None:
        c, k, attempt = self._customer[iid]
        ct = self.scenario.call_types[c]
        if ct.retrial_probability <= 0.0 or ct.patience is None:
            return
        if float(self._retrial.random()) < ct.retrial_probability:
            delay = float(sample(ct.retrial_delay, self._retrial, 1)[0])
            self.calendar.schedule(at + delay, _RETRY, c, (k, attempt + 1))
