"""Write the golden logs of the current event schema version (run once per schema version).

    CCROUTER_BACKEND=python python tests/golden/make_golden.py            # new version only
    CCROUTER_BACKEND=python python tests/golden/make_golden.py --refresh-state-digest

Each ``tests/golden/v<N>/`` holds, for schema version N, a small seeded routing scenario:

- ``config.json``: the router configuration it ran under;
- ``events.ccr``: the file-store log; ``events.db``: the same events in the SQLite store;
- ``events.jsonl``: the same events as JSON lines (readable, for review);
- ``digests.json``: sha256 of the events (canonical JSON) and the router's ``state_digest()``
  after replaying them.

Golden logs are never rewritten: an existing version directory is left alone (the point is
that old logs stay readable forever). ``--refresh-state-digest`` only recomputes the stored
state digest, for when the router's state representation changes on purpose.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path

import msgspec

from ccrouter import Router, RouterConfig
from ccrouter.errors import CCRouterError
from ccrouter.events import Event
from ccrouter.log import FileEventLog, SQLiteEventLog
from ccrouter.log.schema import SCHEMA_VERSION

HERE = Path(__file__).resolve().parent

CONFIG = {
    "auto_accept": False,
    "max_no_answer": 2,
    "queues": {
        "default": {"strategy": "longest_idle", "wrap_up": 5.0, "offer_timeout": 15.0},
        "sales": {"strategy": "most_skilled", "wrap_up": 10.0, "aging_rate": 0.5},
    },
}


def events_digest(events: list[Event]) -> str:
    return hashlib.sha256(msgspec.json.encode(events)).hexdigest()


def scenario(router: Router) -> None:
    """A seeded hour-ish of traffic: logins, offers, declines, timeouts, wrap-up, abandons."""
    rng = random.Random(20240601)
    skills = ["sales", "billing", "fr"]
    agents = [f"agent-{i}" for i in range(5)]
    t = 0.0
    for i, agent in enumerate(agents):
        router.login(agent, skills={s: rng.randint(1, 5) for s in skills[: 1 + i % 3]}, at=t)
        router.ready(agent, at=t)
    n = 0
    while t < 600:
        t += rng.expovariate(1 / 12)
        router.advance(at=t)
        n += 1
        queue = rng.choice(["default", "sales"])
        need = {rng.choice(skills[:2]): rng.randint(1, 3)} if rng.random() < 0.6 else {}
        router.submit(
            f"int-{n}",
            channel="voice",
            queue=queue,
            skills=need,
            priority=rng.choice([0, 0, 1]),
            at=t,
        )
        # React to what the router offered.
        for k in range(1, n + 1):
            view = router.interaction(f"int-{k}")
            try:
                if view.status == "offered":
                    roll = rng.random()
                    if roll < 0.7:
                        router.accept(f"int-{k}", at=t)
                    elif roll < 0.85:
                        router.decline(f"int-{k}", at=t)
                elif view.status == "connected" and rng.random() < 0.3:
                    router.complete(f"int-{k}", at=t)
                elif view.status == "queued" and rng.random() < 0.05:
                    router.abandon(f"int-{k}", at=t)
            except CCRouterError:
                pass
        if rng.random() < 0.05:
            agent = rng.choice(agents)
            try:
                if router.agent(agent).status == "ready":
                    router.not_ready(agent, reason="break", at=t)
                elif router.agent(agent).status == "not_ready":
                    router.ready(agent, at=t)
            except CCRouterError:
                pass
    if SCHEMA_VERSION >= 2:
        # Event types added in schema 2: a recorded command id, targeted work, a mid-flight
        # update and a target expiry.
        t += 1
        router.submit("v2-direct", channel="voice", direct_to="agent-0", command_id="cmd-1", at=t)
        router.submit(
            "v2-pref", channel="voice", preferred_agents=["agent-1"], preferred_wait=5, at=t
        )
        router.update("v2-pref", priority=3, attributes={"sentiment": "negative"}, at=t + 1)
    if SCHEMA_VERSION >= 3:
        t = v3_features(router, t + 2)
    if SCHEMA_VERSION >= 4:
        # Schema 4: a deadline the submission gave (`explicit`), beside the queue's own.
        router.submit("y-due", channel="email", queue="mail", deadline=t + 30, at=t)
        router.submit("y-mail", channel="email", queue="mail", at=t)
    if SCHEMA_VERSION >= 5:
        # Schema 5: offers made by a batch step record it (`batch_seq`).
        config = router.config.to_dict()
        config["matching"] = "batch"
        router.reconfigure(config, at=t + 1)
        for agent in ("z-ann", "z-bob"):
            router.login(agent, skills={}, capacity={"chat": 2}, at=t + 1)
            router.ready(agent, at=t + 1)
        router.submit("z-1", channel="chat", at=t + 2)
        router.submit("z-2", channel="chat", at=t + 2)
        router.match(at=t + 3)
    if SCHEMA_VERSION >= 6:
        # Schema 6: agent-desktop events (the log also starts with its config, seq 1): a
        # logged-in agent's skills, capacity and groups change; a named agent answers; its
        # wrap-up is extended, then ended early.
        change = {"skills": {"vip": 2}, "capacity": {"chat": 3}, "groups": ["desk"]}
        router.update_agent("z-ann", **change, at=t + 4)  # type: ignore[arg-type]
        holder = router.interaction("z-1").agent_id
        assert holder is not None
        router.accept("z-1", agent_id=holder, at=t + 4)
        router.complete("z-1", agent_id=holder, at=t + 5)
        router.extend_wrap_up(holder, 20, at=t + 6)
        router.end_wrap_up(holder, at=t + 7)
        # Schema 6: routing rules classify work; agents carry attributes.
        config = router.config.to_dict()
        config["matching"] = "greedy"
        config["attributes"] = {"interaction.attributes.tier": "str", "agent.level": "int"}
        config["queues"]["vip"] = {"strategy": "longest_idle"}
        config["rules"] = [
            {"name": "vip", "when": 'interaction.attributes.tier == "gold"', "queue": "vip",
             "priority": "5 + customer.contacts_7d", "tags": ["vip"]},
            {"name": "faq", "when": 'interaction.attributes.tier == "faq"', "deflect": "sms"},
        ]  # fmt: skip
        router.reconfigure(config, at=t + 8)
        router.login("w-ann", skills={}, attributes={"level": 3}, at=t + 8)
        router.update_agent("w-ann", {"level": 4}, at=t + 9)
        router.ready("w-ann", at=t + 9)
        router.submit("w-1", channel="voice", customer_id="w-kim", attributes={"tier": "gold"},
                      at=t + 10)  # fmt: skip
        router.submit("w-2", channel="voice", attributes={"tier": "faq"}, at=t + 10)
        router.submit("w-3", channel="voice", attributes={"tier": "std"}, at=t + 11)
        # Schema 6: outcomes (at completion and late), a repeat contact, performance routing.
        config = router.config.to_dict()
        config["performance"] = {"bucket": 60.0, "window": 600.0, "prior_weight": 2.0}
        config["queues"]["perf"] = {
            "strategy": "performance",
            "performance": {"kpi": "satisfaction", "top_share": 0.5, "balance": 0.2},
            "steps": [{"after": 5.0}],
            "experiment": {"name": "perf-ab", "split": "time", "slice": 600.0,
                           "arm_b": {"strategy": "longest_idle"}},
        }  # fmt: skip
        router.reconfigure(config, at=t + 12)
        for agent in ("p-ann", "p-bob"):
            router.login(agent, skills={}, capacity={"video": 1}, at=t + 12)
            router.ready(agent, at=t + 12)
        router.submit("p-1", channel="video", queue="perf", customer_id="p-kim", at=t + 13)
        holder = router.interaction("p-1").agent_id
        assert holder is not None
        router.accept("p-1", at=t + 13)
        router.complete(
            "p-1",
            at=t + 20,
            outcome={
                "resolved": True,
                "disposition": "fixed",
                "satisfaction": 4.5,
                "tags": ["gold"],
            },
        )
        router.submit("p-2", channel="video", queue="perf", customer_id="p-kim", at=t + 21)
        router.record_outcome("p-1", {"value": 12.5}, at=t + 22)
    router.advance(at=t + 60)


def v3_features(router: Router, t: float) -> float:
    """Event types added in schema 3: a config change, customer context with last-agent
    routing, channel rules (pause/resume), notes, consult and blind transfers, escalation,
    widening steps, exits with overflow, deadlines with reminders and overdue, callbacks."""
    config = router.config.to_dict()
    config["channels"] = {"phone": {"cost": 2}, "email": {"cost": 1, "interruptible_by": ["phone"]}}
    config["queues"]["default"].update(last_agent={"wait": 10.0}, escalate_to="tier2")
    config["queues"]["tier2"] = {"steps": [{"after": 5.0, "priority": 2.0}]}
    config["queues"]["line"] = {"max_wait": 30.0, "overflow_to": "tier2", "keep_age": True}
    config["queues"]["mail"] = {"deadline": 60.0, "reminders": [20.0], "overdue_priority": 5.0}
    config["queues"]["hold"] = {"callback_after": 15.0}
    router.reconfigure(config, at=t)
    # The x- agents and work use their own channels, apart from the work still waiting.
    for agent in [f"agent-{i}" for i in range(5)]:
        view = router.agent(agent)
        if view.status != "logged_out" and not view.connected:
            router.logout(agent, at=t)
    router.login("x-ann", skills={}, capacity={"phone": 1, "email": 1}, budget=2, at=t)
    router.login("x-bob", skills={}, capacity={"phone": 1}, groups=["gold"], at=t)
    router.ready("x-ann", at=t)
    router.submit("x-mail", channel="email", queue="mail", customer_id="kim", at=t + 1)
    router.accept("x-mail", at=t + 1)
    router.submit("x-call", channel="phone", customer_id="kim", direct_to="x-ann", at=t + 2)
    router.accept("x-call", at=t + 2)  # the email is paused
    router.add_note("x-call", "wants a refund", at=t + 3)
    router.ready("x-bob", at=t + 3)
    router.transfer("x-call", to_agent="x-bob", mode="consult", timeout=20, at=t + 4)
    router.decline_transfer("x-call", at=t + 4)
    router.transfer("x-call", to_agent="x-bob", mode="consult", timeout=20, at=t + 4)
    router.accept_transfer("x-call", at=t + 5)  # the email resumes
    router.escalate("x-call", at=t + 6)  # blind, to tier2
    router.complete("x-mail", at=t + 7)
    # Nobody is free for these: they step, overflow, come due, go to callback.
    router.not_ready("x-ann", reason="break", at=t + 8)
    router.not_ready("x-bob", reason="break", at=t + 8)
    router.submit("x-wait", channel="phone", queue="line", at=t + 8)
    router.submit("x-due", channel="email", queue="mail", at=t + 8)
    router.submit("x-hold", channel="phone", queue="hold", at=t + 8)
    router.submit("x-back", channel="phone", queue="default", customer_id="kim", at=t + 9)
    router.advance(at=t + 120)
    router.ready("x-ann", at=t + 121)
    router.ready("x-bob", at=t + 121)
    router.logout("x-bob", at=t + 122)  # its ringing offer is revoked
    return t + 130


def write(version_dir: Path) -> None:
    version_dir.mkdir(parents=True)
    (version_dir / "config.json").write_text(json.dumps(CONFIG, indent=2) + "\n")
    config = RouterConfig.from_dict(CONFIG)
    with FileEventLog(version_dir / "events.ccr") as log:
        router = Router(config, log=log, backend="python")
        scenario(router)
        events = list(log.read())
    with SQLiteEventLog(version_dir / "events.db") as db:
        # Same batches as the file log: one per command.
        start = 0
        for first in [*log_batches(version_dir / "events.ccr"), len(events) + 1][1:]:
            db.append(events[start : first - 1])
            start = first - 1
    import sqlite3

    conn = sqlite3.connect(version_dir / "events.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    # The fsynced head file guards a live database; the committed golden copy is read-only.
    (version_dir / "events.db-head").unlink(missing_ok=True)
    with open(version_dir / "events.jsonl", "wb") as out:
        for e in events:
            out.write(msgspec.json.encode(e) + b"\n")
    digests = {
        "schema_version": SCHEMA_VERSION,
        "events": len(events),
        "events_sha256": events_digest(events),
        "state_digest": Router.replay(events, config, backend="python").state_digest(),
    }
    (version_dir / "digests.json").write_text(json.dumps(digests, indent=2) + "\n")
    print(f"wrote {version_dir}: {len(events)} events")


def log_batches(path: Path) -> list[int]:
    """First seq of every batch in a file log."""
    with FileEventLog(path, readonly=True) as log:
        log.version  # noqa: B018 - scans the file
        return list(log._firsts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refresh-state-digest", action="store_true")
    args = parser.parse_args(argv)
    version_dir = HERE / f"v{SCHEMA_VERSION}"
    if args.refresh_state_digest:
        for d in sorted(HERE.glob("v*")):
            digests = json.loads((d / "digests.json").read_text())
            config = RouterConfig.from_dict(json.loads((d / "config.json").read_text()))
            with FileEventLog(d / "events.ccr", readonly=True) as log:
                state = Router.replay(log.read(), config, backend="python").state_digest()
            digests["state_digest"] = state
            (d / "digests.json").write_text(json.dumps(digests, indent=2) + "\n")
            print(f"{d.name}: state digest {state}")
        return 0
    if version_dir.exists():
        print(f"{version_dir} exists; golden logs are never rewritten", file=sys.stderr)
        return 1
    write(version_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
