"""Model-based test of the router: any interleaving of commands keeps every invariant.

Two routers run side by side on the same commands, one on the Numba kernel and one on the
pure-Python reference; they must emit identical events.

Configs are drawn with and without a fairness ledger and cap, and in greedy or batch
matching. In batch mode work waits for ``match()`` by design, so "no eligible ready agent
idles while work waits" is checked right after a ``match`` (an optimal batch step is
maximal: an idle eligible pair left over would be a better assignment). Explanations are
compared with decisions in both modes: a batch step's offer is explained as the step made it.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import (
    INVARIANT_MARKER,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from ccrouter import Router, RouterConfig
from ccrouter.errors import CCRouterError
from ccrouter.events import (
    CallbackRequested,
    ConfigChanged,
    InteractionAbandoned,
    InteractionCompleted,
    InteractionExited,
    InteractionOffered,
    InteractionQueued,
    OfferAccepted,
    OfferTimedOut,
)

AGENTS = [f"a{i}" for i in range(5)]
CHANNELS = ["voice", "chat"]
SKILLS = ["x", "y"]
QUEUES = ["default", "vip"]
STRATEGIES = [
    "longest_idle",
    "most_skilled",
    "least_occupied",
    "fewest_handled",
    "round_robin",
    "random",
    "performance",  # (its best-share restriction holds work by design: not drawn here)
]

levels = st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 5), max_size=2)
requirements = st.one_of(
    st.just({}), st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 3), max_size=2)
)
capacities = st.dictionaries(st.sampled_from(CHANNELS), st.integers(0, 3), min_size=1, max_size=2)
dt = st.sampled_from([0.0, 0.0, 0.5, 1.0, 3.0, 7.0])
budgets = st.sampled_from([None, None, 1, 2, 3])
CHANNEL_RULES: list[dict[str, Any]] = [
    {},  # independent per-channel capacity
    {"voice": {"blocks": ["chat"]}},  # a call blocks new chats
    {"voice": {"cost": 2}, "chat": {"interruptible_by": ["voice"]}},  # budget, chats pausable
    {"voice": {"blocks": ["chat"]}, "chat": {"blocks": ["voice"], "interruptible_by": ["voice"]}},
]


@st.composite
def configs(draw: st.DrawFn) -> RouterConfig:
    def queue(other: str) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "strategy": draw(st.sampled_from(STRATEGIES)),
            "wrap_up": draw(st.sampled_from([0.0, 2.0])),
            "offer_timeout": draw(st.sampled_from([None, 4.0])),
            "aging_rate": draw(st.sampled_from([0.0, 0.5])),
            "last_agent": draw(
                st.sampled_from(
                    [None, {"wait": 3.0}, {"wait": 5.0, "scope": "any", "within": 20.0}]
                )
            ),
        }
        if settings["strategy"] == "performance":
            settings["performance"] = {
                "kpi": draw(st.sampled_from(["fcr", "satisfaction", "handle_time"])),
                "balance": draw(st.sampled_from([0.0, 0.5])),
            }
        if draw(st.booleans()):  # queue policies (steps, exits, deadlines)
            settings |= {
                "groups": draw(st.sampled_from([[], [], ["g1"], ["g1", "g2"]])),
                "steps": draw(st.lists(steps(), max_size=3)),
                "max_wait": draw(st.sampled_from([None, 5.0, 12.0])),
                "callback_after": draw(st.sampled_from([None, None, 3.0])),
                "max_size": draw(st.sampled_from([None, 1, 3])),
                "overflow_to": draw(st.sampled_from([None, other])),
                # keep_age only towards vip: a keep-age cycle is refused by the config.
                "keep_age": other == "vip" and draw(st.booleans()),
                "deadline": draw(st.sampled_from([None, 8.0, 20.0])),
                "reminders": draw(st.sampled_from([[], [3.0], [2.0, 6.0]])),
                "overdue_priority": draw(st.sampled_from([0.0, 4.0])),
                "overdue_queue": draw(st.sampled_from([None, other])),
            }
            settings["steps"].sort(key=lambda step: step["after"])
            # A zero no-agent wait only in default without keep_age (vip never has one): a
            # cycle of queues that each pass work on at once is refused by the config.
            zero = other == "vip" and not settings["keep_age"]
            settings["max_wait_no_agents"] = draw(
                st.sampled_from([None, 0.0, 6.0] if zero else [None, 6.0])
            )
        return settings

    fairness = draw(
        st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {
                    "window": st.sampled_from([5.0, 30.0]),
                    "max_above_median": st.sampled_from([None, 0, 1]),
                }
            ),
        )
    )
    data: dict[str, Any] = {
        "auto_accept": draw(st.booleans()),
        "max_no_answer": draw(st.integers(1, 2)),
        "seed": draw(st.integers(0, 3)),
        "customer_history": draw(st.integers(0, 3)),
        "queues": {"default": {**queue("vip"), "escalate_to": "vip"}, "vip": queue("default")},
        "channels": draw(st.sampled_from(CHANNEL_RULES)),
        "fairness": fairness,
        "matching": draw(st.sampled_from(["greedy", "greedy", "batch"])),
        # Outcomes' repeat contacts and the performance projection, in short buckets.
        "performance": draw(
            st.sampled_from([None, {"bucket": 10.0, "window": 30.0, "repeat_within": 20.0}])
        ),
    }
    if data["performance"] is None and any(
        q["strategy"] == "performance" for q in data["queues"].values()
    ):
        data["performance"] = {"bucket": 10.0, "window": 30.0}
    return RouterConfig.from_dict(data)


@st.composite
def steps(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "after": draw(st.sampled_from([0.0, 1.0, 4.0, 9.0])),
        "skills": draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 4), max_size=1)),
        "drop_skills": draw(st.lists(st.sampled_from(SKILLS), max_size=1)),
        "priority": draw(st.sampled_from([None, 3.0])),
        "groups": draw(st.sampled_from([[], ["g2"], ["g3"]])),
        "skip_if_nobody": draw(st.booleans()),
    }


class RouterMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.next_id = 0
        self.routers: list[Router] = []
        self.last_command = ""

    @initialize(config=configs(), staffed=st.integers(0, 4))
    def start(self, config: RouterConfig, staffed: int) -> None:
        self.routers = [Router(config, backend="numba"), Router(config, backend="python")]
        # Start with some agents ready so that runs reach contention (ties, declines) early.
        for i in range(staffed):
            agent = AGENTS[i]
            self.do(
                "login",
                agent,
                skills={"x": i + 1, "y": 3},
                capacity={"voice": 1, "chat": 2},
                groups=["g1"] if i % 2 else ["g2"],
                at=0.0,
            )
            self.do("ready", agent, at=0.0)

    @property
    def router(self) -> Router:
        return self.routers[0]

    def do(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Run a command on both routers; both must agree on events or on the error type."""
        self.last_command = name
        outcomes = []
        for router in self.routers:
            before = (router.log.version, router.state_digest())
            try:
                outcomes.append(("ok", getattr(router, name)(*args, **kwargs)))
            except CCRouterError as exc:
                # Bad input changes nothing.
                assert (router.log.version, router.state_digest()) == before, name
                outcomes.append(("error", type(exc)))
        assert outcomes[0] == outcomes[1], (name, args, kwargs)

    def tick(self, step: float) -> float:
        self.now += step
        return self.now

    # --- agents --------------------------------------------------------------------------

    @rule(
        agent=st.sampled_from(AGENTS),
        skills=levels,
        capacity=capacities,
        groups=st.lists(st.sampled_from(["g1", "g2", "g3"]), max_size=2),
        budget=budgets,
        step=dt,
    )
    def login(
        self,
        agent: str,
        skills: dict[str, int],
        capacity: dict[str, int],
        groups: list[str],
        budget: int | None,
        step: float,
    ) -> None:
        self.do(
            "login",
            agent,
            skills=skills,
            capacity=capacity,
            groups=groups,
            budget=budget,
            at=self.tick(step),
        )

    @rule(agent=st.sampled_from(AGENTS), step=dt)
    def ready(self, agent: str, step: float) -> None:
        self.do("ready", agent, at=self.tick(step))

    @rule(agent=st.sampled_from(AGENTS), reason=st.sampled_from(["break", "lunch"]), step=dt)
    def not_ready(self, agent: str, reason: str, step: float) -> None:
        self.do("not_ready", agent, reason=reason, at=self.tick(step))

    @rule(agent=st.sampled_from(AGENTS), step=dt)
    def logout(self, agent: str, step: float) -> None:
        self.do("logout", agent, at=self.tick(step))

    # --- interactions --------------------------------------------------------------------

    @rule(
        channel=st.sampled_from(CHANNELS),
        queue=st.sampled_from(QUEUES),
        skills=requirements,
        priority=st.sampled_from([0, 0, 1, 5]),
        targeting=st.one_of(
            st.just({}),
            st.just({}),
            st.fixed_dictionaries(
                {
                    "preferred_agents": st.lists(
                        st.sampled_from([*AGENTS, "ghost"]), min_size=1, max_size=3
                    ),
                    "preferred_wait": st.sampled_from([None, 0.0, 2.0, 5.0]),
                }
            ),
            st.fixed_dictionaries({"direct_to": st.sampled_from([*AGENTS, "ghost"])}),
        ),
        deadline=st.sampled_from([None, None, 0.0, 6.0]),
        customer=st.sampled_from([None, "kim", "lee"]),
        step=dt,
    )
    def submit(
        self,
        channel: str,
        queue: str,
        skills: dict[str, int],
        priority: int,
        targeting: dict[str, Any],
        deadline: float | None,
        customer: str | None,
        step: float,
    ) -> None:
        self.next_id += 1
        iid = f"i{self.next_id}"
        self.do(
            "submit",
            iid,
            channel=channel,
            queue=queue,
            skills=skills,
            priority=priority,
            customer_id=customer,
            at=self.tick(step),
            # A deadline relative to now (0: due at once).
            deadline=None if deadline is None else self.now + deadline,
            **targeting,
        )

    @precondition(lambda self: self.next_id > 0)
    @rule(
        data=st.data(),
        action=st.sampled_from(["accept", "decline", "complete", "abandon"]),
        step=dt,
    )
    def act(self, data: st.DataObject, action: str, step: float) -> None:
        iid = f"i{data.draw(st.integers(1, self.next_id))}"
        self.do(action, iid, at=self.tick(step))

    @precondition(lambda self: self.next_id > 0)
    @rule(data=st.data(), late=st.booleans(), step=dt)
    def outcome(self, data: st.DataObject, late: bool, step: float) -> None:
        """An outcome with the completion, or later (both routers record or refuse alike)."""
        iid = f"i{data.draw(st.integers(1, self.next_id))}"
        outcome = data.draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "resolved": st.booleans(),
                    "satisfaction": st.sampled_from([1.0, 4.5, 9.0]),  # 9: out of range
                    "value": st.sampled_from([0.0, 25.0]),
                },
            )
        )
        if late:
            self.do("record_outcome", iid, outcome, at=self.tick(step))
        else:
            self.do("complete", iid, outcome=outcome, at=self.tick(step))

    @precondition(lambda self: self.next_id > 0)
    @rule(data=st.data(), step=dt)
    def act_sensibly(self, data: st.DataObject, step: float) -> None:
        """Pick an action that fits the interaction's status, so runs go deep."""
        iid = f"i{data.draw(st.integers(1, self.next_id))}"
        status = self.router.interaction(iid).status
        options = {
            "offered": ["accept", "accept", "decline", "abandon"],
            "connected": ["complete", "decline_transfer", "accept_transfer"],
            "queued": ["abandon"],
        }.get(status, ["complete"])
        self.do(data.draw(st.sampled_from(options)), iid, at=self.tick(step))

    @precondition(lambda self: self.next_id > 0)
    @rule(
        data=st.data(),
        priority=st.sampled_from([None, 0, 2, 9]),
        skills=st.one_of(st.none(), requirements),
        mood=st.sampled_from([None, "calm", "angry"]),
        step=dt,
    )
    def update(
        self,
        data: st.DataObject,
        priority: int | None,
        skills: dict[str, int] | None,
        mood: str | None,
        step: float,
    ) -> None:
        """Change priority, requirement or attributes mid-flight (any status: ended ones
        must be refused alike by both routers)."""
        iid = f"i{data.draw(st.integers(1, self.next_id))}"
        attributes = None if mood is None else {"mood": mood}
        self.do(
            "update",
            iid,
            priority=priority,
            skills=skills,
            attributes=attributes,
            at=self.tick(step),
        )

    @precondition(lambda self: self.next_id > 0)
    @rule(data=st.data(), step=dt)
    def request_callback(self, data: st.DataObject, step: float) -> None:
        """A customer leaves the line for a callback (any status: refused alike unless
        queued and not yet a callback)."""
        iid = f"i{data.draw(st.integers(1, self.next_id))}"
        self.do("request_callback", iid, at=self.tick(step))

    @precondition(lambda self: self.next_id > 0)
    @rule(
        data=st.data(),
        mode=st.sampled_from(["blind", "blind", "consult"]),
        to_queue=st.sampled_from([None, *QUEUES]),
        to_agent=st.sampled_from([None, None, *AGENTS, "ghost"]),
        reason=st.sampled_from(["transfer", "escalation"]),
        note=st.sampled_from([None, "vip customer"]),
        timeout=st.sampled_from([None, None, 2.0]),
        step=dt,
    )
    def transfer(
        self,
        data: st.DataObject,
        mode: str,
        to_queue: str | None,
        to_agent: str | None,
        reason: str,
        note: str | None,
        timeout: float | None,
        step: float,
    ) -> None:
        """Blind or consult transfers to a queue and/or an agent; connected ones are picked
        more often so that runs reach transfers, any status must be refused alike."""
        connected = [
            i.interaction_id
            for i in self.router.state.interactions.values()
            if i.status == "connected"
        ]
        if connected and data.draw(st.booleans()):
            iid = data.draw(st.sampled_from(connected))
        else:
            iid = f"i{data.draw(st.integers(1, self.next_id))}"
        if mode == "consult" and to_queue is not None and data.draw(st.booleans()):
            to_agent = None  # a consult to the queue: the router picks whom to ring
            if connected:  # mostly of a connected one, so that some are made
                iid = data.draw(st.sampled_from(connected))
        elif mode == "consult" and (to_agent is None or data.draw(st.booleans())):
            # Mostly an agent who can take it now, so that consults get answered.
            state = self.router.state
            channel = state.interactions[iid].channel if iid in state.interactions else "voice"
            able = [a.agent_id for a in state.agents.values() if state.can_take(a, channel)]
            to_agent = data.draw(st.sampled_from(able or AGENTS))
        self.do(
            "transfer",
            iid,
            mode=mode,
            to_queue=to_queue,
            to_agent=to_agent,
            reason=reason,
            note=note,
            timeout=timeout if mode == "consult" else None,
            at=self.tick(step),
        )

    @precondition(lambda self: self.next_id > 0)
    @rule(data=st.data(), answer=st.sampled_from(["accept_transfer", "decline_transfer"]), step=dt)
    def answer_consult(self, data: st.DataObject, answer: str, step: float) -> None:
        pending = [
            i.interaction_id
            for i in self.router.state.interactions.values()
            if i.consult is not None
        ]
        iid = (
            data.draw(st.sampled_from(pending))
            if pending
            else f"i{data.draw(st.integers(1, self.next_id))}"
        )
        self.do(answer, iid, at=self.tick(step))

    @precondition(lambda self: self.next_id > 0)
    @rule(data=st.data(), step=dt)
    def note(self, data: st.DataObject, step: float) -> None:
        iid = f"i{data.draw(st.integers(1, self.next_id))}"
        self.do("add_note", iid, "called back", at=self.tick(step))

    @precondition(lambda self: self.next_id > 0)
    @rule(data=st.data(), step=dt)
    def escalate(self, data: st.DataObject, step: float) -> None:
        """To the queue's ``escalate_to`` tier (``default`` has one, ``vip`` none)."""
        iid = f"i{data.draw(st.integers(1, self.next_id))}"
        self.do("escalate", iid, at=self.tick(step))

    # --- agent desktop ---------------------------------------------------------------------

    @precondition(lambda self: self.next_id > 0)
    @rule(
        data=st.data(),
        action=st.sampled_from(["accept", "decline", "complete"]),
        who=st.sampled_from(["holder", "holder", "other", "ghost"]),
        step=dt,
    )
    def act_as_agent(self, data: st.DataObject, action: str, who: str, step: float) -> None:
        """A desktop names its agent: the holder's command runs, anyone else's is refused
        (NotYourWork) and changes nothing (checked by ``do``)."""
        iid = f"i{data.draw(st.integers(1, self.next_id))}"
        holder = self.router.interaction(iid).agent_id
        if who == "holder" and holder is not None:
            agent_id = holder
        elif who == "ghost":
            agent_id = "ghost"
        else:
            agent_id = data.draw(st.sampled_from([a for a in AGENTS if a != holder]))
        self.do(action, iid, agent_id=agent_id, at=self.tick(step))

    @rule(agent=st.sampled_from(AGENTS), which=st.sampled_from([None, "own", "i1"]), step=dt)
    def end_wrap_up(self, agent: str, which: str | None, step: float) -> None:
        state = self.router.state
        own = list(state.agents[agent].wrapping) if agent in state.agents else []
        iid = (own[0] if own else None) if which == "own" else which
        self.do("end_wrap_up", agent, interaction_id=iid, at=self.tick(step))

    @rule(
        agent=st.sampled_from(AGENTS),
        seconds=st.sampled_from([1.0, 3.0, 0.0, -1.0]),
        which=st.sampled_from([None, None, "i1"]),
        step=dt,
    )
    def extend_wrap_up(self, agent: str, seconds: float, which: str | None, step: float) -> None:
        self.do("extend_wrap_up", agent, seconds, interaction_id=which, at=self.tick(step))

    @rule(
        agent=st.sampled_from(AGENTS),
        skills=st.one_of(st.none(), levels),
        capacity=st.one_of(st.none(), capacities),
        groups=st.one_of(st.none(), st.lists(st.sampled_from(["g1", "g2", "g3"]), max_size=2)),
        step=dt,
    )
    def update_agent(
        self,
        agent: str,
        skills: dict[str, int] | None,
        capacity: dict[str, int] | None,
        groups: list[str] | None,
        step: float,
    ) -> None:
        """Skills, capacity, groups while logged in; the invariants then check that nobody
        eligible idles while work waits (the agent was routed again at once)."""
        self.do(
            "update_agent",
            agent,
            skills=skills,
            capacity=capacity,
            groups=groups,
            at=self.tick(step),
        )

    @rule(config=configs(), step=dt)
    def reconfigure(self, config: RouterConfig, step: float) -> None:
        """Change the whole config while running (refused alike if it drops a busy queue)."""
        self.do("reconfigure", config, at=self.tick(step))

    @rule(step=dt)
    def advance(self, step: float) -> None:
        self.do("advance", at=self.tick(step))

    @rule(step=dt)
    def match(self, step: float) -> None:
        self.do("match", at=self.tick(step))

    # --- bad input -----------------------------------------------------------------------

    @rule(
        bad=st.sampled_from(
            [
                ("accept", ("nobody",), {}),
                ("accept", ("i1",), {"agent_id": ""}),
                ("complete", ("i1",), {"agent_id": 5}),
                ("end_wrap_up", ("ghost",), {}),
                ("extend_wrap_up", ("a0", float("nan")), {}),
                ("update_agent", ("a0",), {}),
                ("update_agent", ("a0",), {"skills": {"x": -1}}),
                ("update_agent", ("a0",), {"capacity": {"voice": -1}}),
                ("update_agent", ("a0",), {"groups": "g1"}),
                ("ready", ("ghost",), {}),
                ("login", ("a0",), {"skills": {"x": -1}}),
                ("login", ("zz",), {"skills": {}, "budget": -1}),
                ("login", ("zz",), {"skills": {"x": 1}, "capacity": {"voice": -2}}),
                ("submit", ("i1",), {"channel": "voice"}),
                ("submit", ("new",), {"channel": "voice", "queue": "nope"}),
                ("submit", ("new2",), {"channel": ""}),
                ("update", ("i1",), {"priority": float("nan")}),
                ("transfer", ("i1",), {}),
                ("transfer", ("i1",), {"to_queue": "nope"}),
                ("transfer", ("i1",), {"to_queue": "vip", "mode": "warm"}),
                ("transfer", ("i1",), {"to_queue": "vip", "timeout": 3.0}),
                ("transfer", ("i1",), {"to_queue": "vip", "mode": "consult"}),
                ("add_note", ("i1", ""), {}),
                ("accept_transfer", ("ghost",), {}),
                ("update", ("i1",), {"skills": {"x": -3}}),
                ("update", ("ghost",), {"priority": 1}),
                ("request_callback", ("ghost",), {}),
                ("login", ("zz",), {"skills": {}, "groups": [""]}),
                ("submit", ("new6",), {"channel": "voice", "deadline": float("inf")}),
                ("submit", ("new3",), {"channel": "voice", "preferred_wait": 3.0}),
                ("submit", ("new4",), {"channel": "voice", "direct_to": ""}),
                (
                    "submit",
                    ("new5",),
                    {"channel": "voice", "preferred_agents": ["a1"], "preferred_wait": -1.0},
                ),
            ]
        )
    )
    def bad_input(self, bad: tuple[str, tuple[str, ...], dict[str, Any]]) -> None:
        name, args, kwargs = bad
        self.do(name, *args, at=self.now, **kwargs)

    @precondition(lambda self: self.now > 0)
    @rule()
    def time_backwards(self) -> None:
        self.do("advance", at=self.now - 0.25)

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def state_checks(self) -> None:
        for router in self.routers:
            router.check()

    @invariant()
    def backends_agree(self) -> None:
        assert self.routers[0].state_digest() == self.routers[1].state_digest()

    @invariant()
    def every_interaction_ends_at_most_once(self) -> None:
        ended: set[str] = set()
        for event in self.router.events:
            if isinstance(event, InteractionExited) and event.overflow_to is not None:
                continue  # moved to another queue, not ended
            if isinstance(event, InteractionCompleted | InteractionAbandoned | InteractionExited):
                assert event.interaction_id not in ended, event
                ended.add(event.interaction_id)

    @invariant()
    def no_eligible_agent_idles_while_work_waits(self) -> None:
        state = self.router.state
        if state.config.matching == "batch" and self.last_command != "match":
            return  # work waits for the next match() by design
        for interaction in state.waiting():
            for agent in state.agents.values():
                eligible = (
                    (not interaction.preferred or agent.agent_id in interaction.preferred)
                    and (not interaction.groups or not agent.groups.isdisjoint(interaction.groups))
                    and agent.presence == "ready"
                    and agent.free(interaction.channel) > 0
                    and state.can_take(agent, interaction.channel)  # omnichannel rules
                    and all(agent.skills.get(s, -1) >= m for s, m in interaction.skills.items())
                )
                assert not eligible, (agent.agent_id, interaction.interaction_id)

    @invariant()
    def callbacks_are_never_abandoned_nor_exit_by_patience(self) -> None:
        callbacks: set[str] = set()
        for event in self.router.events:
            if isinstance(event, CallbackRequested):
                callbacks.add(event.interaction_id)
            elif isinstance(event, InteractionAbandoned) or (
                isinstance(event, InteractionExited) and event.reason == "max_wait"
            ):
                assert event.interaction_id not in callbacks, event

    @invariant()
    def ledger_matches_a_recount(self) -> None:
        """The ledger equals a count over the log: since fairness was last turned on (a
        config change starts an empty ledger), skipped after a window change (entries pruned
        under the old window are gone by design)."""
        router = self.router
        if router.config.fairness is None:
            return
        fairness = router.base_config.fairness
        start = 0
        for e in router.events:
            if isinstance(e, ConfigChanged):
                new = RouterConfig.from_dict(e.config).fairness
                if new is not None and fairness is None:
                    start = e.seq
                elif new is not None and fairness is not None and new.window != fairness.window:
                    return
                fairness = new
        events = [e for e in router.events if e.seq > start]
        window = router.config.fairness.window
        at = router.now
        ledger = router.state.ledger
        assert ledger is not None
        for agent_id, view in router.fairness().items():
            offers = handled = misses = completed = 0
            handle_time = 0.0
            accepted: dict[str, float] = {}
            for e in events:
                if isinstance(e, OfferAccepted):
                    accepted[e.interaction_id] = e.at
                if getattr(e, "agent_id", None) != agent_id or e.at <= at - window:
                    continue
                if isinstance(e, InteractionOffered):
                    offers += 1
                elif isinstance(e, OfferAccepted):
                    handled += 1
                elif isinstance(e, OfferTimedOut):
                    misses += 1
                elif isinstance(e, InteractionCompleted):
                    completed += 1
                    handle_time += e.at - accepted.get(e.interaction_id, e.at)
            assert (view.offers, view.handled, view.misses, view.completed) == (
                offers,
                handled,
                misses,
                completed,
            ), agent_id
            assert abs(view.handle_time - handle_time) < 1e-9, agent_id
            assert ledger.handled(agent_id, at) == handled, agent_id

    @invariant()
    def paused_work_waits_for_its_interrupter(self) -> None:
        """Paused work is connected, and what paused it is connected to the same agent."""
        state = self.router.state
        for interaction in state.interactions.values():
            if interaction.paused_by is not None:
                by = state.interactions[interaction.paused_by]
                assert interaction.status == by.status == "connected"
                assert by.agent_id == interaction.agent_id

    @invariant()
    def replay_equals_live(self) -> None:
        router = self.router
        replayed = Router.replay(router.events, router.base_config)
        assert replayed.state_digest() == router.state_digest()
        assert replayed.config == router.config
        replayed.check()  # the derived matching arrays too, not only the digested facts

    @invariant()
    def customer_context_matches_the_log(self) -> None:
        for customer in ("kim", "lee"):
            contacts = self.router.customer(customer).contacts
            ids = [c.interaction_id for c in contacts]
            expected = [
                e.interaction_id
                for e in self.router.events
                if isinstance(e, InteractionQueued) and e.customer_id == customer
            ]
            assert ids == expected
            for contact in contacts:
                view = self.router.interaction(contact.interaction_id)
                assert contact.outcome == view.status
                served = view.status in ("connected", "completed")
                assert contact.agent_id == (view.agent_id if served else None)

    @invariant()
    def explanations_agree_with_decisions(self) -> None:
        """The explanation of the last offer of recent work names the agent offered, ranks it
        first, and says it was a batch decision exactly when a batch step made it (greedy or
        batch matching, whatever the config was when the offer was made)."""
        router = self.router
        last: dict[str, InteractionOffered] = {}
        for event in router.events:
            if isinstance(event, InteractionOffered):
                last[event.interaction_id] = event
        for interaction in list(router.state.interactions.values())[-3:]:
            if interaction.status != "offered":
                continue
            offer = last[interaction.interaction_id]
            explanation = router.explain(interaction.interaction_id)
            assert explanation.chosen == offer.agent_id, explanation
            top = [c.agent_id for c in explanation.candidates if c.rank == 1]
            assert top == [explanation.chosen], (offer, explanation)
            assert (explanation.batch is not None) == offer.batch, (offer, explanation)


def test_every_invariant_of_the_machine_is_registered() -> None:
    """A check named like an invariant that lost its ``@invariant()`` (as one did in a merge)
    never runs: every public method below the invariants marker must be registered."""
    source = inspect.getsource(RouterMachine)
    below = source[source.index("# --- invariants") :]
    names = re.findall(r"^    def (\w+)\(", below, flags=re.MULTILINE)
    # The marker hypothesis.stateful.invariant() sets on the methods it registers.
    unregistered = [
        n for n in names if getattr(getattr(RouterMachine, n), INVARIANT_MARKER, None) is None
    ]
    assert len(names) >= 10 and unregistered == []


RouterMachine.TestCase.settings = settings(max_examples=80, stateful_step_count=60, deadline=None)
TestRouterMachine = RouterMachine.TestCase
