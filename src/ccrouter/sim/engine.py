"""One simulation run: a virtual-time calendar driving the real :class:`~ccrouter.Router`.

The engine owns the calendar and the random streams, nothing else: every routing decision,
timer and status is the router's, reached only through its public commands (``login``,
``ready``, ``not_ready`` for breaks and shift ends, ``logout`` once an agent's work is done,
``submit``, ``accept`` after the ring delay, ``complete``, ``abandon`` when patience runs out,
``advance`` to fire the router's own timers). What happened is the router's event log.

Outbound campaigns (``ccrouter.sim.dialer``) dial from the engine: attempts that do not reach
the right party never reach the router; a right-party connect is ``submit``-ted to the
campaign's queue, taken by an agent at once when offered (the dialer connects it, no ringing),
and ``abandon``-ed if still queued after the campaign's grace time. The dialer is paced after
every step, from the router's live state (which agents are ready and free, what is waiting).

Random numbers come from one :class:`numpy.random.Generator` per *source* (arrivals, handle
times, patience of each call type; retrials; ring delays), each derived from the replication's
:class:`numpy.random.SeedSequence` with a spawn key named after the source. The customers come
from :func:`ccrouter.sim.customers.draw_customers`, which the compiled engine uses too (with
per-interval handle means and the self-service stage applied there). The customers of a
call type (arrival times, handle time, patience) are therefore the same in two scenario
variants that differ only in staffing or routing: common random numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ccrouter.config import RouterConfig
from ccrouter.engine.records import serves
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
from ccrouter.sim.attributes import draw_all, parse_specs
from ccrouter.sim.calendar import Calendar
from ccrouter.sim.campaign import Campaign
from ccrouter.sim.customers import Customers, arrival_times, draw_customers, source_rng
from ccrouter.sim.dialer import CampaignRun
from ccrouter.sim.distributions import sample
from ccrouter.sim.scenario import AgentGroup, CallType, Scenario

__all__ = ["Engine", "RunOutput", "arrival_times", "names_agent_groups", "source_rng"]

# Calendar action kinds.
(_ARRIVE, _RETRY, _PATIENCE, _ACCEPT, _COMPLETE, _STAFF, _LOGIN, _BREAK, _BREAK_END, _LEAVE,
 _RECOVER, _CAMPAIGN, _DIAL_END, _GRACE, _CALLBACK) = range(15)  # fmt: skip
_DIALER = (_CAMPAIGN, _DIAL_END, _GRACE)
RONA_RECOVERY = 60.0
"""Seconds after a ring-no-answer ``not_ready`` until the agent is made ready again."""


def performance_table(scenario: Scenario) -> dict[tuple[str, int], Any]:
    """(agent group, call type index) to its ``GroupPerformance`` (a call type's own entry,
    else the group's ``"*"``); pairs with neither are left out."""
    out: dict[tuple[str, int], Any] = {}
    for g in scenario.agent_groups:
        for c, ct in enumerate(scenario.call_types):
            perf = g.performance.get(ct.name, g.performance.get("*"))
            if perf is not None:
                out[(g.name, c)] = perf
    return out


class RunOutput:
    """What one run produced: the router's events, which group each agent belonged to, the
    dialer's attempts per campaign (``(dial time, right-party connect)``), and the customers
    drawn (``drawn``: per call type, with the self-service stage's counts)."""

    __slots__ = ("agent_group", "customers", "dials", "drawn", "events")

    def __init__(
        self,
        events: list[Event],
        agent_group: dict[str, str],
        customers: int,
        dials: dict[str, list[tuple[float, bool]]] | None = None,
        drawn: list[Customers] | None = None,
    ) -> None:
        self.events = events
        self.agent_group = agent_group
        self.customers = customers
        self.dials = dials if dials is not None else {}
        self.drawn = drawn if drawn is not None else []


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
        self.config = config
        # Agents log in as members of their scenario group when the routing names agent
        # groups (a queue's ``groups``, a widening step's); otherwise in no group, as before.
        self.member_groups = names_agent_groups(config)
        self.router = Router(config, backend=backend)
        self.calendar = Calendar()
        self.agent_group: dict[str, str] = {}
        self._active: dict[str, list[str]] = {g.name: [] for g in scenario.agent_groups}
        self._leaving: dict[str, str] = {}  # agent -> group, finishing work before logout
        self._offer_seq: dict[str, int] = {}
        self._customer: dict[str, tuple[int, int, int]] = {}  # iid -> (type, index, attempt)
        self._drawn: list[Customers] = []
        self._times: list[np.ndarray] = []
        self._handle: list[np.ndarray] = []
        self._patience: list[np.ndarray | None] = []
        self._attributes: list[list[dict[str, Any]]] = []  # per call type, per customer
        self._agent_attributes: dict[str, dict[str, Any]] = {}  # agent id -> its attributes
        self._agent_specs = {
            g.name: parse_specs(g.attributes, g.name) for g in scenario.agent_groups
        }
        # One stream per group attribute, drawn one agent at a time as agents are created.
        self._agent_streams = {
            (g.name, name): source_rng(seed, f"agent_attributes/{g.name}/{name}")
            for g in scenario.agent_groups
            for name, spec in self._agent_specs[g.name].items()
            if spec.random
        }
        self._retrial = source_rng(seed, "retrials")
        self._callbacks = [source_rng(seed, f"callbacks/{ct.name}") for ct in scenario.call_types]
        self._ring = source_rng(seed, "ring_delay")
        self._customers = 0
        self._campaigns: list[CampaignRun] = []
        self._eligible: list[list[str]] = []  # per campaign: agent groups that can take it
        self._competing: list[list[str]] = []  # per campaign: queues served before a connect
        self._outbound: dict[str, tuple[int, float]] = {}  # iid -> (campaign, handle time)
        # Agent groups' performance per call type (handle factor, outcome draws), each
        # (group, call type) with its own outcome stream; iid -> who served it, for the outcome.
        self._performance = performance_table(scenario)
        self._outcome_rng: dict[tuple[str, int], np.random.Generator] = {}
        self._served: dict[str, tuple[str, int]] = {}
        low_high = config.performance.satisfaction if config.performance else (1.0, 5.0)
        self._satisfaction_range = (float(low_high[0]), float(low_high[1]))

    # --- set-up ----------------------------------------------------------------------------

    def _setup(self) -> None:
        s = self.scenario
        # The customers come from the draw both engines share (``customers.py``).
        self._drawn = draw_customers(s, self.seed)
        for c, drawn in enumerate(self._drawn):
            self._times.append(drawn.times)
            self._handle.append(drawn.handle)
            self._patience.append(drawn.patience)
            self._attributes.append(drawn.attributes)
            if len(drawn.times):
                self.calendar.schedule(float(drawn.times[0]), _ARRIVE, c, 0)
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
        for i, camp in enumerate(s.campaigns):
            streams = {
                part: source_rng(self.seed, f"campaign/{camp.name}/{part}")
                for part in ("rpc", "answer", "no_answer", "handle")
            }
            wrap_up = self.config.queue(camp.queue).wrap_up
            self._campaigns.append(
                CampaignRun(camp, horizon=s.horizon, wrap_up=wrap_up, streams=streams)
            )
            self._eligible.append([g.name for g in s.agent_groups if _serves(g, camp)])
            groups = [g for g in s.agent_groups if g.name in self._eligible[i]]
            work: list[CallType | Campaign] = [*s.call_types, *s.campaigns]
            competing = {
                w.queue
                for w in work
                if w is not camp
                and w.priority >= camp.priority
                and any(_serves(g, w) for g in groups)
            }
            self._competing.append(sorted(competing | {camp.queue}))
            self.calendar.schedule(self._campaigns[i].start, _CAMPAIGN, i)

    def _new_agent(self, group: AgentGroup) -> str:
        agent_id = f"{group.name}-{len(self.agent_group) + 1:04d}"
        self.agent_group[agent_id] = group.name
        specs = self._agent_specs[group.name]
        if specs:
            streams = self._agent_streams
            self._agent_attributes[agent_id] = draw_all(
                specs, lambda name: streams[group.name, name], 1
            )[0]
        return agent_id

    def _login(self, agent_id: str, group: AgentGroup, at: float) -> list[Event]:
        return self.router.login(
            agent_id,
            skills=group.skills,
            capacity=group.capacity,
            at=at,
            groups=(group.name,) if self.member_groups else (),
            attributes=self._agent_attributes.get(agent_id),
        )

    # --- the loop --------------------------------------------------------------------------

    def run(self) -> RunOutput:
        """Run until no customer is left and no action is pending; return the output."""
        self._setup()
        router, calendar = self.router, self.calendar
        handle, react = self._handle_action, self._react
        dialer = bool(self._campaigns)
        while True:
            timer = router.state.next_timer()
            due = calendar.peek_time()
            if due is not None and (timer is None or due < timer[0]):
                at, _, kind, a, b = calendar.pop()
                events = handle(at, kind, a, b)
            elif timer is not None:
                at, kind = timer[0], -1
                events = router.advance(at=at)
            else:
                break
            if events:
                react(events)
            if dialer and (events or kind in _DIALER):
                self._pace(at)
        dials = {run.campaign.name: run.dials for run in self._campaigns}
        return RunOutput(router.events, dict(self.agent_group), self._customers, dials, self._drawn)

    def _handle_action(self, at: float, kind: int, a: object, b: object) -> list[Event]:
        r = self.router
        if kind == _ARRIVE:
            return self._arrive(at, int(a), int(b))  # type: ignore[call-overload]
        if kind == _COMPLETE:
            served = self._served.pop(str(a), None)
            outcome = None if served is None else self._outcome(*served)
            return r.complete(str(a), at=at, outcome=outcome)
        if kind == _ACCEPT:
            iid = str(a)
            inter = r.state.interactions[iid]
            if inter.status == "offered" and self._offer_seq.get(iid) == b:
                return r.accept(iid, at=at)
            return []
        if kind == _PATIENCE:
            iid = str(a)
            inter = r.state.interactions[iid]
            if inter.status in ("queued", "offered") and not inter.callback:
                return r.abandon(iid, at=at)
            return []
        if kind == _CALLBACK:
            iid = str(a)
            inter = r.state.interactions[iid]
            if inter.status == "queued" and not inter.callback and bool(b):
                return r.request_callback(iid, at=at)
            return []
        if kind == _RETRY:
            assert isinstance(a, int) and isinstance(b, tuple)
            return self._arrive(at, a, int(b[0]), int(b[1]))
        if kind == _STAFF:
            return self._staff(at, str(a), int(b))  # type: ignore[call-overload]
        if kind == _DIAL_END:
            assert isinstance(a, int) and isinstance(b, tuple)
            return self._attempt_ended(at, a, *b)
        if kind == _GRACE:
            iid = str(a)
            inter = r.state.interactions[iid]
            # A connect turned into a callback (callback_after) already left the line: it
            # waits for its call back, nobody hangs up at the grace time.
            if inter.status == "queued" and not inter.callback:
                self._campaigns[self._outbound[iid][0]].connect_ended(abandoned=True)
                return r.abandon(iid, at=at)
            return []
        if kind == _CAMPAIGN:
            return []  # the window opens: the pacing after this step places the first dials
        agent_id = str(a)
        if kind == _LOGIN:
            group = next(g for g in self.scenario.agent_groups if g.name == b)
            self._active[group.name].append(agent_id)
            events = self._login(agent_id, group, at)
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
        if ct.callback is not None:
            # Drawn for every caller, taken or not, so the stream stays aligned across variants.
            takes = float(self._callbacks[c].random()) < ct.callback.acceptance
            self.calendar.schedule(at + ct.callback.after, _CALLBACK, iid, takes)
        attributes = self._attributes[c][k] if self._attributes[c] else None
        return self.router.submit(
            iid,
            channel=ct.channel,
            queue=ct.queue,
            skills=ct.skills,
            priority=ct.priority,
            at=at,
            attributes=dict(attributes) if attributes else None,
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
            events += self._login(agent_id, group, at)
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

    # --- outbound ----------------------------------------------------------------------------

    def _pace(self, at: float) -> None:
        """Place the dials each campaign's pacing asks for, from the router's live state."""
        state = self.router.state
        for i, run in enumerate(self._campaigns):
            if not run.dialing(at):
                continue
            channel = run.campaign.channel
            free = busy = 0
            for group in self._eligible[i]:
                for agent_id in self._active[group]:
                    agent = state.agents[agent_id]
                    if agent.presence == "ready":
                        if agent.free(channel) > 0:
                            free += 1
                        else:
                            busy += 1
            waiting = 0
            for name in self._competing[i]:
                queue = state.queues.get(name)  # not state.queue(): a query must not create
                waiting += queue.waiting if queue is not None else 0
            for _ in range(run.wanted(free=free, busy=busy, waiting=waiting)):
                k, connected, delay, handle = run.dial(at)
                self.calendar.schedule(at + delay, _DIAL_END, i, (k, connected, handle))

    def _attempt_ended(
        self, at: float, i: int, k: int, connected: bool, handle: float
    ) -> list[Event]:
        run = self._campaigns[i]
        run.attempt_ended(connected)
        if not connected:
            return []
        c = run.campaign
        iid = f"out:{c.name}-{k}"
        self._outbound[iid] = (i, handle)
        self.calendar.schedule(at + c.grace, _GRACE, iid)
        return self.router.submit(
            iid, channel=c.channel, queue=c.queue, skills=c.skills, priority=c.priority, at=at
        )

    def _outcome(self, group: str, c: int) -> dict[str, Any] | None:
        """The outcome drawn for a contact of call type ``c`` served by ``group``: from that
        pair's own stream, the same draws in the same order whoever else is served."""
        perf = self._performance[(group, c)]
        rng = self._outcome_rng.get((group, c))
        if rng is None:
            name = self.scenario.call_types[c].name
            rng = self._outcome_rng[(group, c)] = source_rng(self.seed, f"outcome/{group}/{name}")
        out: dict[str, Any] = {}
        if perf.resolved is not None:
            out["resolved"] = bool(rng.random() < perf.resolved)
        if perf.satisfaction is not None:
            low, high = self._satisfaction_range
            out["satisfaction"] = min(max(float(sample(perf.satisfaction, rng, 1)[0]), low), high)
        if perf.sale is not None:
            sold = rng.random() < perf.sale
            value = 1.0 if perf.sale_value is None else float(sample(perf.sale_value, rng, 1)[0])
            out["value"] = max(value, 0.0) if sold else 0.0
        return out or None

    def _react(self, events: list[Event]) -> None:
        """Schedule what customers and agents do about the router's new events."""
        calendar = self.calendar
        outbound = self._outbound
        for e in events:
            t = type(e)
            if t is OfferAccepted and e.interaction_id in outbound:  # type: ignore[union-attr]
                i, talk = outbound[e.interaction_id]  # type: ignore[union-attr]
                self._campaigns[i].connect_ended(abandoned=False)
                calendar.schedule(e.at + talk, _COMPLETE, e.interaction_id)  # type: ignore[union-attr]
            elif t is OfferAccepted:
                c, k, _ = self._customer[e.interaction_id]  # type: ignore[union-attr]
                at = e.at + float(self._handle[c][k])
                if self._performance:  # the serving group's factor and outcome
                    assert isinstance(e, OfferAccepted)
                    group = self.agent_group[e.agent_id]
                    perf = self._performance.get((group, c))
                    if perf is not None:
                        at = e.at + float(self._handle[c][k]) * perf.handle_factor
                        self._served[e.interaction_id] = (group, c)
                calendar.schedule(at, _COMPLETE, e.interaction_id)  # type: ignore[union-attr]
            elif t is InteractionOffered:
                if not self.auto_accept:
                    assert isinstance(e, InteractionOffered)
                    self._offer_seq[e.interaction_id] = e.seq
                    delay = self.scenario.ring_delay
                    # A connect is put through to the agent by the dialer: no ringing.
                    wait = (
                        0.0
                        if delay is None or e.interaction_id in outbound
                        else float(sample(delay, self._ring, 1)[0])
                    )
                    calendar.schedule(e.at + wait, _ACCEPT, e.interaction_id, e.seq)
            elif t is InteractionCompleted or t is WrapUpEnded:
                assert isinstance(e, InteractionCompleted | WrapUpEnded)
                if e.agent_id in self._leaving and (
                    t is WrapUpEnded or e.wrap_up_until <= e.at  # type: ignore[union-attr]
                ):
                    self._try_logout(e.agent_id, e.at)
            elif t is InteractionAbandoned:
                assert isinstance(e, InteractionAbandoned)
                if e.interaction_id not in outbound:
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


def names_agent_groups(config: RouterConfig) -> bool:
    """Whether ``config`` limits some work to agent groups (a queue's ``groups`` or a
    widening step's): then the simulator's agents log in as members of their group."""
    return any(q.groups or any(st.groups for st in q.steps) for q in config.queues.values())


def _serves(group: AgentGroup, work: CallType | Campaign) -> bool:
    """Whether the group's agents can take ``work`` (channel capacity and every skill)."""
    return serves(group.capacity, group.skills, work.channel, work.skills.items())
