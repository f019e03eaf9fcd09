"""Fuzz of the public API: random calls with random junk arguments.

Every command and query of :class:`~ccrouter.Router` is called with arguments that are
valid, nearly valid or junk (wrong types, huge ints, NaN and infinities, unhashables, empty
and unencodable strings, nested objects), on a router over a memory, file or SQLite store.
After every call:

- only :class:`~ccrouter.errors.CCRouterError` subclasses are raised;
- after an error, the log, ``state_digest()`` and the clock are exactly as before;
- every event appended encodes and decodes back equal in JSON, in MessagePack and in the
  stores' payload format;
- the state's invariants hold (``Router.check``).

At the end of each run the log replays to the live state, and the store, closed and opened
again, gives the same events and state.

The default run takes seconds; ``test_fuzz_long`` (``-m slow``) makes 100,000+ calls and
prints its figures.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from ccrouter import Router, RouterConfig
from ccrouter.commands import Accept, ExtendWrapUp, Login, Submit, Transfer, Update, UpdateAgent
from ccrouter.errors import CCRouterError
from ccrouter.events import Event, decode_json, decode_msgpack, encode_json, encode_msgpack
from ccrouter.log import FileEventLog, MemoryEventLog, SQLiteEventLog
from ccrouter.log.schema import SCHEMA_VERSION, decode_payload, encode_payload

AGENTS = ["a0", "a1", "a2"]
INTERACTIONS = [f"c{i}" for i in range(8)]
CHANNELS = ["voice", "chat"]
SKILLS = ["x", "y"]

CONFIGS: list[dict[str, Any]] = [
    {},
    {"queues": {"default": {"offer_timeout": 5, "wrap_up": 2}, "vip": {"aging_rate": 0.5}}},
    {  # an overflow back to the same queue: timers fire for ever as time goes on
        "queues": {"default": {"max_wait": 7, "overflow_to": "default"}, "vip": {}},
        "max_no_answer": 2,
    },
    {
        "queues": {
            "default": {
                "steps": [{"after": 3, "drop_skills": ["x"]}, {"after": 6, "priority": 2}],
                "deadline": 20,
                "reminders": [5],
                "overdue_queue": "vip",
                "escalate_to": "vip",
                "callback_after": 4,
            },
            "vip": {"max_wait_no_agents": 2, "max_size": 2, "groups": ["g1"]},
        },
        "channels": {"voice": {"blocks": ["chat"]}, "chat": {"interruptible_by": ["voice"]}},
        "fairness": {"window": 60, "max_above_median": 1},
    },
    {"matching": "batch", "auto_accept": True, "queues": {"vip": {"strategy": "random"}}},
    {  # outcomes, repeat contacts and performance routing with a best share
        "performance": {"bucket": 10, "window": 30, "repeat_within": 20, "prior_weight": 1},
        "queues": {
            "default": {
                "strategy": "performance",
                "performance": {"kpi": "satisfaction", "top_share": 0.5, "balance": 0.5},
                "steps": [{"after": 4}],
            },
            "vip": {"strategy": "performance", "performance": {"kpi": "fcr"}},
        },
    },
]

_unencodable = st.sampled_from(["\ud800", "a\udcff", "\udfff\ud800"])
_huge = st.sampled_from([10**400, 2**64, -(2**63) - 1, 2**70, 1e300, 1e18, -1e13])
_nonfinite = st.sampled_from([math.nan, math.inf, -math.inf])
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.integers(),
    _huge,
    _nonfinite,
    st.floats(),
    st.text(max_size=4),
    st.just(""),
    _unencodable,
    st.binary(max_size=3),
    st.just(object()),
    st.just(...),
)
junk = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner),
        st.sets(st.integers(0, 3), max_size=2),
        st.frozensets(st.text(max_size=2), max_size=2),
        st.dictionaries(st.one_of(st.text(max_size=2), st.integers(0, 2)), inner, max_size=3),
    ),
    max_leaves=6,
)
"""Anything at all."""


def maybe(valid: st.SearchStrategy[Any], bad: int = 10) -> st.SearchStrategy[Any]:
    """``valid`` but one time in ``bad`` (about) junk: a call has several arguments, so about
    half the calls carry some junk and the others get far into the router."""
    # (sampled_from, not integers: Hypothesis draws boundary integers far more often; and
    # junk last, so that a failing case shrinks towards valid arguments)
    return st.sampled_from(range(bad)).flatmap(lambda roll: junk if roll == bad - 1 else valid)


agent_ids = maybe(st.sampled_from(AGENTS))
interaction_ids = maybe(st.sampled_from(INTERACTIONS))
channels = maybe(st.sampled_from(CHANNELS))
queues = maybe(st.sampled_from(["default", "vip", "nope"]))
levels = maybe(st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 5), max_size=2))
capacities = maybe(st.dictionaries(st.sampled_from(CHANNELS), st.integers(0, 2), max_size=2))
json_data = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.text(max_size=4)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=2), st.dictionaries(st.text(max_size=3), inner, max_size=2)
    ),
    max_leaves=5,
)
attributes = maybe(st.dictionaries(st.text(max_size=3), json_data, max_size=3), bad=3)
names = maybe(st.lists(st.sampled_from([*AGENTS, "g1", "g2"]), max_size=2))
numbers = maybe(st.sampled_from([0, 1, 2.5, -3]))
command_ids = st.one_of(st.none(), st.none(), st.none(), maybe(st.sampled_from(["k1", "k2"])))


def _round_trips(event: Event) -> None:
    assert decode_json(encode_json(event)) == event, event
    assert decode_msgpack(encode_msgpack(event)) == event, event
    assert decode_payload(encode_payload([event]), 1, SCHEMA_VERSION) == [event], event


class Fuzz(RuleBasedStateMachine):
    """One router, random calls; the checks after each are in :meth:`_call`."""

    figures: ClassVar[Counter[str]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        self.router: Router | None = None
        self.directory: str | None = None
        self.store = "memory"
        self.config = RouterConfig()

    @initialize(
        config=st.sampled_from(CONFIGS), store=st.sampled_from(["memory", "file", "sqlite"])
    )
    def start(self, config: dict[str, Any], store: str) -> None:
        self.config = RouterConfig.from_dict(config)
        self.store = store
        self.directory = tempfile.mkdtemp(prefix="ccrouter-fuzz-") if store != "memory" else None
        self.router = Router(self.config, log=self._open())

    def _open(self) -> Any:
        if self.store == "file":
            assert self.directory is not None
            return FileEventLog(Path(self.directory) / "events.log", durability="none")
        if self.store == "sqlite":
            assert self.directory is not None
            return SQLiteEventLog(Path(self.directory) / "events.db", durability="none")
        return MemoryEventLog()

    # --- the call and what must hold after it -----------------------------------------------

    def _call(self, name: str, *args: Any, **kwargs: Any) -> None:
        router = self.router
        assert router is not None
        version, digest, now = router.log.version, router.state_digest(), router.now
        Fuzz.figures["calls"] += 1
        try:
            getattr(router, name)(*args, **kwargs)
        except CCRouterError as exc:
            Fuzz.figures[f"error {type(exc).__name__}"] += 1
            assert router.log.version == version, (name, args, kwargs)
            assert router.state_digest() == digest, (name, args, kwargs)
            assert router.now == now, (name, args, kwargs)
            return
        # (Anything else escapes: the test fails, naming the call.)
        Fuzz.figures["ok"] += 1
        for event in router.log.read(version + 1):
            Fuzz.figures["events"] += 1
            _round_trips(event)

    @invariant()
    def consistent(self) -> None:
        if self.router is not None:
            self.router.check()

    def teardown(self) -> None:
        router = self.router
        if router is None:
            return
        try:
            events, digest = router.events, router.state_digest()
            assert Router.replay(events, self.config).state_digest() == digest
            if self.store != "memory":
                router.log.close()
                log = self._open()
                try:
                    again = Router(self.config, log=log)
                    assert again.events == events
                    assert again.state_digest() == digest
                finally:
                    log.close()
            Fuzz.figures["runs"] += 1
        finally:
            if self.directory is not None:
                shutil.rmtree(self.directory, ignore_errors=True)

    def _at(self, data: st.DataObject) -> Any:
        assert self.router is not None
        now = self.router.now if math.isfinite(self.router.now) else 0.0
        step = st.sampled_from([0.0, 0.5, 1.0, 3.0, 8.0, 40.0])
        return data.draw(maybe(step.map(lambda d: now + d), bad=12))

    # --- commands ---------------------------------------------------------------------------

    @rule(data=st.data(), agent=agent_ids, skills=levels, capacity=capacities, groups=names)
    def login(
        self, data: st.DataObject, agent: Any, skills: Any, capacity: Any, groups: Any
    ) -> None:
        budget = data.draw(st.one_of(st.none(), st.none(), maybe(st.integers(0, 3))))
        self._call(
            "login", agent, skills=skills, capacity=capacity or None, groups=groups,
            budget=budget, at=self._at(data), command_id=data.draw(command_ids),
        )  # fmt: skip

    @rule(data=st.data(), agent=agent_ids, which=st.sampled_from(["ready", "logout", "not_ready"]))
    def presence(self, data: st.DataObject, agent: Any, which: str) -> None:
        extra = {"reason": data.draw(maybe(st.just("break")))} if which == "not_ready" else {}
        self._call(which, agent, at=self._at(data), command_id=data.draw(command_ids), **extra)

    # Valid traffic, so that calls reach deep into routing, timers and transfers:

    @rule(data=st.data(), agent=st.sampled_from(AGENTS))
    def staff(self, data: st.DataObject, agent: str) -> None:
        capacity = data.draw(st.sampled_from([{"voice": 1}, {"voice": 1, "chat": 2}]))
        self._call("login", agent, skills={"x": 2, "y": 1}, capacity=capacity, at=self._at(data))
        self._call("ready", agent, at=self._at(data))

    @rule(data=st.data(), iid=st.sampled_from(INTERACTIONS), channel=st.sampled_from(CHANNELS))
    def arrive(self, data: st.DataObject, iid: str, channel: str) -> None:
        queue = data.draw(st.sampled_from(["default", "vip"]))
        self._call("submit", iid, channel=channel, queue=queue, at=self._at(data))

    @rule(data=st.data(), iid=interaction_ids, channel=channels, queue=queues, skills=levels)
    def submit(self, data: st.DataObject, iid: Any, channel: Any, queue: Any, skills: Any) -> None:
        at = self._at(data)
        kwargs: dict[str, Any] = {
            "priority": data.draw(st.one_of(st.just(0), numbers)),
            "customer_id": data.draw(st.one_of(st.none(), maybe(st.sampled_from(["kim", "lee"])))),
            "attributes": data.draw(st.one_of(st.none(), attributes)),
        }
        if data.draw(st.booleans()):
            kwargs["preferred_agents"] = data.draw(st.one_of(st.none(), names))
            kwargs["preferred_wait"] = data.draw(st.one_of(st.none(), numbers))
        if data.draw(st.booleans()):
            kwargs["direct_to"] = data.draw(st.one_of(st.none(), agent_ids))
        if data.draw(st.booleans()):
            due = (at if isinstance(at, float) and math.isfinite(at) else 0.0) + 30
            kwargs["deadline"] = data.draw(st.one_of(st.none(), maybe(st.just(due))))
        self._call(
            "submit", iid, channel=channel, queue=queue, skills=skills or None, at=at,
            command_id=data.draw(command_ids), **kwargs,
        )  # fmt: skip

    @rule(
        data=st.data(),
        iid=interaction_ids,
        which=st.sampled_from(
            ["accept", "decline", "complete", "abandon", "request_callback", "accept_transfer",
             "decline_transfer"]
        ),
    )  # fmt: skip
    def answer(self, data: st.DataObject, iid: Any, which: str) -> None:
        kwargs: dict[str, Any] = {}
        if which in ("accept", "decline", "complete") and data.draw(st.booleans()):
            kwargs["agent_id"] = data.draw(agent_ids)  # a desktop naming its agent
        self._call(which, iid, at=self._at(data), command_id=data.draw(command_ids), **kwargs)

    @rule(data=st.data(), iid=interaction_ids, late=st.booleans())
    def outcome(self, data: st.DataObject, iid: Any, late: bool) -> None:
        outcome = data.draw(
            maybe(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "resolved": maybe(st.booleans()),
                        "satisfaction": maybe(st.sampled_from([1, 3.5, 5, 0, 6])),
                        "value": maybe(st.sampled_from([0.0, 19.9, -1.0])),
                        "disposition": maybe(st.sampled_from(["sold", ""])),
                        "tags": maybe(st.lists(st.sampled_from(["a", "b"]), max_size=2)),
                    },
                )
            )
        )
        if late:
            self._call("record_outcome", iid, outcome, at=self._at(data),
                       command_id=data.draw(command_ids))  # fmt: skip
        else:
            self._call("complete", iid, outcome=outcome, at=self._at(data),
                       command_id=data.draw(command_ids))  # fmt: skip

    @rule(data=st.data(), agent=agent_ids, which=st.sampled_from(["end", "extend"]))
    def wrap_up(self, data: st.DataObject, agent: Any, which: str) -> None:
        iid = data.draw(st.one_of(st.none(), interaction_ids))
        if which == "end":
            self._call("end_wrap_up", agent, interaction_id=iid, at=self._at(data))
        else:
            seconds = data.draw(numbers)
            self._call("extend_wrap_up", agent, seconds, interaction_id=iid, at=self._at(data))

    @rule(data=st.data(), agent=agent_ids)
    def update_agent(self, data: st.DataObject, agent: Any) -> None:
        self._call(
            "update_agent", agent, at=self._at(data),
            skills=data.draw(st.one_of(st.none(), levels)),
            capacity=data.draw(st.one_of(st.none(), capacities)),
            groups=data.draw(st.one_of(st.none(), names)),
            command_id=data.draw(command_ids),
        )  # fmt: skip

    @rule(data=st.data(), iid=interaction_ids)
    def update(self, data: st.DataObject, iid: Any) -> None:
        self._call(
            "update", iid, at=self._at(data),
            priority=data.draw(st.one_of(st.none(), numbers)),
            skills=data.draw(st.one_of(st.none(), levels)),
            attributes=data.draw(st.one_of(st.none(), attributes)),
            command_id=data.draw(command_ids),
        )  # fmt: skip

    @rule(data=st.data(), iid=interaction_ids, escalate=st.booleans())
    def transfer(self, data: st.DataObject, iid: Any, escalate: bool) -> None:
        kwargs: dict[str, Any] = {
            "to_queue": data.draw(st.one_of(st.none(), queues)),
            "to_agent": data.draw(st.one_of(st.none(), agent_ids)),
            "mode": data.draw(maybe(st.sampled_from(["blind", "consult"]))),
            "note": data.draw(st.one_of(st.none(), maybe(st.just("note")))),
            "timeout": data.draw(st.one_of(st.none(), numbers)),
            "skills": data.draw(st.one_of(st.none(), levels)),
        }
        if escalate:
            self._call("escalate", iid, at=self._at(data), **kwargs)
        else:
            reason = data.draw(maybe(st.just("transfer")))
            self._call("transfer", iid, at=self._at(data), reason=reason, **kwargs)

    @rule(data=st.data(), iid=interaction_ids)
    def add_note(self, data: st.DataObject, iid: Any) -> None:
        self._call("add_note", iid, data.draw(maybe(st.just("call back"))), at=self._at(data))

    @rule(data=st.data(), which=st.sampled_from(["advance", "match"]))
    def time_passes(self, data: st.DataObject, which: str) -> None:
        self._call(which, at=self._at(data), command_id=data.draw(command_ids))

    @rule(data=st.data(), config=st.sampled_from(CONFIGS), bad=junk)
    def reconfigure(self, data: st.DataObject, config: dict[str, Any], bad: Any) -> None:
        choice = data.draw(st.sampled_from(["good", "bad", "spliced"]))
        if choice == "bad":
            config = bad
        elif choice == "spliced":  # a valid config with one junk value somewhere
            config = {**config, data.draw(st.sampled_from(["seed", "queues", "channels"])): bad}
        self._call("reconfigure", config, at=self._at(data))

    @rule(data=st.data(), fields=st.dictionaries(st.sampled_from(["a", "b"]), junk, max_size=2))
    def execute(self, data: st.DataObject, fields: dict[str, Any]) -> None:
        """Commands built directly: msgspec does not check the types of a Struct's fields."""
        kinds = [Submit, Update, Login, Transfer, UpdateAgent, ExtendWrapUp, Accept, "junk"]
        kind = data.draw(st.sampled_from(kinds))
        if kind == "junk":
            command: Any = data.draw(junk)
        elif kind is UpdateAgent:
            command = UpdateAgent(
                agent_id=data.draw(agent_ids), skills=fields.get("a"), capacity=fields.get("b"),
                groups=data.draw(st.one_of(st.none(), junk)),
            )  # fmt: skip
        elif kind is ExtendWrapUp:
            command = ExtendWrapUp(
                agent_id=data.draw(agent_ids), seconds=fields.get("a", 1.0),
                interaction_id=fields.get("b"),
            )  # fmt: skip
        elif kind is Accept:
            command = Accept(interaction_id=data.draw(interaction_ids), agent_id=fields.get("a"))
        elif kind is Submit:
            command = Submit(
                interaction_id=data.draw(interaction_ids), channel=data.draw(channels),
                queue=data.draw(queues), skills=data.draw(levels), priority=data.draw(numbers),
                customer_id=data.draw(st.one_of(st.none(), junk)), attributes=data.draw(attributes),
                preferred_agents=data.draw(names),
                preferred_wait=data.draw(st.one_of(st.none(), numbers)),
            )  # fmt: skip
        elif kind is Update:
            command = Update(interaction_id=data.draw(interaction_ids), attributes=fields)
        elif kind is Login:
            command = Login(
                agent_id=data.draw(agent_ids), skills=data.draw(levels),
                capacity=data.draw(capacities), groups=data.draw(names),
                budget=data.draw(st.one_of(st.none(), junk)),
            )  # fmt: skip
        else:
            command = Transfer(
                interaction_id=data.draw(interaction_ids), to_queue=data.draw(queues),
                timeout=data.draw(st.one_of(st.none(), junk)), skills=data.draw(levels),
            )  # fmt: skip
        self._call("execute", command, at=self._at(data))

    # --- queries (they must not change anything either) -------------------------------------

    @rule(
        data=st.data(),
        which=st.sampled_from(["agent", "interaction", "customer", "explain", "ledger"]),
        arg=st.one_of(st.sampled_from(AGENTS + INTERACTIONS + ["kim"]), junk),
    )
    def query(self, data: st.DataObject, which: str, arg: Any) -> None:
        self._call(which, arg)

    @rule(data=st.data())
    def fairness(self, data: st.DataObject) -> None:
        self._call("fairness", at=data.draw(st.one_of(st.none(), maybe(st.just(1e6)))))


def _run(examples: int, steps: int) -> Counter[str]:
    Fuzz.figures = Counter()
    run_state_machine_as_test(
        Fuzz,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    return Fuzz.figures


def test_fuzz_short() -> None:
    figures = _run(examples=25, steps=40)
    assert figures["calls"] > 200 and figures["runs"] >= 1
    assert figures["ok"] and figures["calls"] - figures["ok"]  # both outcomes were exercised


@pytest.mark.slow
def test_fuzz_long() -> None:
    figures = _run(examples=2_500, steps=50)
    print(f"\nfuzz: {dict(sorted(figures.items()))}")
    assert figures["calls"] >= 100_000
