"""``make demo``: an hour of a small contact center, driven through the real :class:`Router`.

Twenty agents with proficiencies in three skills (billing, tech, spanish) take an hour of
Poisson arrivals in three queues, each queue with its own strategy, wrap-up and offer timeout.
Agents answer after a ring delay, sometimes decline or miss the offer, take breaks; customers
abandon when their patience runs out. Then the demo

1. prints a summary table per queue (from :func:`ccrouter.stats.interval_report`) and per agent,
2. writes the event log to ``OUT/events.log`` (a :class:`~ccrouter.log.FileEventLog`),
3. reads it back and shows that :meth:`Router.replay` rebuilds the same state (digests equal),
4. prints one :meth:`Router.explain`: the chosen agent and every candidate's reason and score.

Run it with ``python -m ccrouter.demo --out out/demo [--seed N]``.

All randomness is here, in the driver (one ``numpy.random.default_rng(seed)``); the router
only sees the resulting commands and their times, so the same seed gives the same log.
"""

from __future__ import annotations

import argparse
import heapq
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import attrs
import numpy as np

from ccrouter.config import RouterConfig
from ccrouter.engine.routing.explain import Explanation
from ccrouter.events import (
    AgentLoggedIn,
    AgentNotReady,
    Event,
    InteractionOffered,
    InteractionQueued,
    OfferAccepted,
)
from ccrouter.log import FileEventLog
from ccrouter.router import Router
from ccrouter.stats import agent_report, interval_report

__all__ = ["QUEUES", "DemoResult", "build_config", "format_explanation", "main", "run"]

THRESHOLD = 20.0
"""Service-level threshold in seconds: answered within 20 s."""


@attrs.frozen
class QueueSpec:
    """One queue of the scenario: its traffic and its routing settings."""

    rate_per_hour: float
    skills: dict[str, int]
    mean_handle: float
    strategy: str
    wrap_up: float
    offer_timeout: float
    aging_rate: float = 0.0
    vip_share: float = 0.0


QUEUES: dict[str, QueueSpec] = {
    "billing": QueueSpec(
        rate_per_hour=100,
        skills={"billing": 3},
        mean_handle=240,
        strategy="longest_idle",
        wrap_up=30,
        offer_timeout=15,
        aging_rate=0.01,
        vip_share=0.1,
    ),
    "tech": QueueSpec(
        rate_per_hour=60,
        skills={"tech": 4},
        mean_handle=360,
        strategy="most_skilled",
        wrap_up=45,
        offer_timeout=15,
    ),
    "spanish": QueueSpec(
        rate_per_hour=24,
        skills={"spanish": 5, "billing": 2},
        mean_handle=300,
        strategy="round_robin",
        wrap_up=20,
        offer_timeout=20,
    ),
}
TEAMS: tuple[tuple[str, int], ...] = (("billing", 8), ("tech", 7), ("spanish", 5))
"""Primary skill and head count of each team (20 agents)."""
SKILLS = ("billing", "tech", "spanish")

RING_DELAY = (2.0, 10.0)
"""An answering agent picks up after a uniform delay in this range (seconds)."""
P_NO_ANSWER = 0.03
"""Chance that an offer rings out unanswered (a miss)..."""
P_NO_ANSWER_BY_AGENT = {"a05": 0.5}
"""...except for one agent who often misses: two misses in a row send it to ``no_answer``."""
P_DECLINE = 0.03
MEAN_PATIENCE = 150.0
RONA_RECOVERY = 60.0
"""Seconds after a ``no_answer`` not-ready until the supervisor makes the agent ready again."""
BREAK_LENGTH = (300.0, 600.0)


def build_config(seed: int = 0) -> RouterConfig:
    """The router configuration of the scenario: one queue per skill, a mix of strategies."""
    queues = {
        name: {
            "strategy": q.strategy,
            "wrap_up": q.wrap_up,
            "offer_timeout": q.offer_timeout,
            "aging_rate": q.aging_rate,
        }
        for name, q in QUEUES.items()
    }
    return RouterConfig.from_dict({"max_no_answer": 2, "seed": seed, "queues": queues})


def _agents(rng: np.random.Generator) -> list[tuple[str, dict[str, int]]]:
    """Twenty agents: a strong primary skill per team, sometimes a weaker second one."""
    agents: list[tuple[str, dict[str, int]]] = []
    for primary, count in TEAMS:
        for _ in range(count):
            skills = {primary: int(rng.integers(5, 11))}
            if primary == "spanish":
                skills["billing"] = int(rng.integers(2, 9))
            others = [s for s in SKILLS if s not in skills]
            if rng.random() < 0.5:
                other = others[int(rng.integers(len(others)))]
                skills[other] = int(rng.integers(1, 7))
            agents.append((f"a{len(agents) + 1:02d}", skills))
    return agents


@attrs.define
class DemoResult:
    """What a run produced."""

    router: Router
    config: RouterConfig
    log_path: Path
    duration: float
    status_at_end_of_hour: dict[str, str]
    seconds: float


@attrs.define
class _Driver:
    """A virtual-time loop: a calendar of customer and agent actions around the router."""

    router: Router
    rng: np.random.Generator
    calendar: list[tuple[float, int, str, str, int]] = attrs.Factory(list)
    offer_seq: dict[str, int] = attrs.Factory(dict)
    """Interaction id to the ``seq`` of its current offer: stale agent actions are dropped."""
    counter: int = 0
    snapshot: dict[str, str] = attrs.Factory(dict)

    def schedule(self, at: float, action: str, target: str, tag: int = 0) -> None:
        self.counter += 1
        heapq.heappush(self.calendar, (at, self.counter, action, target, tag))

    def run(self) -> None:
        """Process the calendar in time order, firing the router's timers in between."""
        router = self.router
        while True:
            timer = router.state.next_timer()
            if self.calendar and (timer is None or self.calendar[0][0] < timer[0]):
                at, _, action, target, tag = heapq.heappop(self.calendar)
                self.react(self.act(at, action, target, tag))
            elif timer is not None:
                self.react(router.advance(at=timer[0]))
            else:
                return

    def act(self, at: float, action: str, target: str, tag: int) -> list[Event]:
        r = self.router
        if action == "arrive":
            queue, _, priority = target.partition("/")
            iid = f"{queue}-{tag:04d}"
            spec = QUEUES[queue]
            self.schedule(at + float(self.rng.exponential(MEAN_PATIENCE)), "patience", iid)
            return r.submit(
                iid,
                channel="voice",
                queue=queue,
                skills=spec.skills,
                priority=float(priority),
                customer_id=f"cust-{int(self.rng.integers(1, 10_000)):04d}",
                at=at,
            )
        if action == "ready":
            return r.ready(target, at=at)
        if action == "recover":  # the supervisor clears a ring-no-answer not-ready
            agent = r.agent(target)
            return r.ready(target, at=at) if agent.reason == "no_answer" else r.advance(at=at)
        if action == "break":
            return r.not_ready(target, reason="break", at=at)
        if action == "snapshot":
            events = r.advance(at=at)
            self.snapshot = {aid: r.agent(aid).status for aid in sorted(r.state.agents)}
            return events
        interaction = r.interaction(target)
        if action == "patience":
            if interaction.status in ("queued", "offered"):
                return r.abandon(target, at=at)
            return r.advance(at=at)
        if action in ("accept", "decline"):
            if interaction.status != "offered" or self.offer_seq.get(target) != tag:
                return r.advance(at=at)  # the offer is gone (abandoned, timed out)
            return r.accept(target, at=at) if action == "accept" else r.decline(target, at=at)
        assert action == "complete"
        return r.complete(target, at=at)

    def react(self, events: list[Event]) -> None:
        """Schedule what agents and customers do about the router's new events."""
        rng = self.rng
        for e in events:
            if isinstance(e, InteractionOffered):
                self.offer_seq[e.interaction_id] = e.seq
                u = rng.random()
                p_miss = P_NO_ANSWER_BY_AGENT.get(e.agent_id, P_NO_ANSWER)
                if u < p_miss:
                    continue  # the phone rings out: the router's offer timer fires
                if u < p_miss + P_DECLINE:
                    self.schedule(e.at + rng.uniform(2, 5), "decline", e.interaction_id, e.seq)
                else:
                    delay = rng.uniform(*RING_DELAY)
                    self.schedule(e.at + delay, "accept", e.interaction_id, e.seq)
            elif isinstance(e, OfferAccepted):
                queue = self.router.interaction(e.interaction_id).queue
                talk = max(20.0, float(rng.exponential(QUEUES[queue].mean_handle)))
                self.schedule(e.at + talk, "complete", e.interaction_id)
            elif isinstance(e, AgentNotReady) and e.reason == "no_answer":
                self.schedule(e.at + RONA_RECOVERY, "recover", e.agent_id)


def run(
    out: Path, *, seed: int = 0, duration: float = 3600.0, backend: str | None = None
) -> DemoResult:
    """Run the scenario; the router writes its events to ``out/events.log`` as it goes.

    Args:
        out: output directory (created; an older ``events.log`` in it is replaced).
        seed: seeds the arrivals, skills, ring delays, handle times, patience and breaks.
        duration: seconds of arrivals; the run continues until every interaction has ended.
        backend: ``"numba"`` or ``"python"`` (default: ``CCROUTER_BACKEND``, else numba).
    """
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "events.log"
    log_path.unlink(missing_ok=True)
    config = build_config(seed)
    rng = np.random.default_rng(seed)
    log = FileEventLog(log_path, durability="none")
    router = Router(config, log=log, backend=backend)
    driver = _Driver(router, rng)

    agents = _agents(rng)
    for agent_id, skills in agents:
        router.login(agent_id, skills=skills, at=0.0)
        driver.schedule(float(rng.uniform(0, 30)), "ready", agent_id)
        if rng.random() < 0.7:  # most agents take one break during the hour
            start = float(rng.uniform(duration / 6, duration * 0.75))
            driver.schedule(start, "break", agent_id)
            driver.schedule(start + float(rng.uniform(*BREAK_LENGTH)), "ready", agent_id)
    for queue, spec in QUEUES.items():
        n = int(rng.poisson(spec.rate_per_hour * duration / 3600.0))
        arrivals = np.sort(rng.uniform(0.0, duration, size=n))
        vip = rng.random(n) < spec.vip_share
        for k, (at, is_vip) in enumerate(zip(arrivals, vip, strict=True)):
            driver.schedule(float(at), "arrive", f"{queue}/{1 if is_vip else 0}", k + 1)
    driver.schedule(duration, "snapshot", "")

    driver.run()
    end = router.now
    for agent_id, _ in agents:
        router.logout(agent_id, at=end)
    log.flush()
    return DemoResult(
        router=router,
        config=config,
        log_path=log_path,
        duration=duration,
        status_at_end_of_hour=driver.snapshot,
        seconds=time.perf_counter() - started,
    )


# --- reporting ---------------------------------------------------------------------------------


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """A plain-text table: text columns left-aligned, numbers right-aligned."""
    cells = [list(header)] + [["" if c is None else str(c) for c in r] for r in rows]
    numeric = [all(_NUMBER.match(row[i]) for row in cells[1:]) for i in range(len(header))]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for n, row in enumerate(cells):
        parts = [
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(row, widths, numeric, strict=True)
        ]
        lines.append("  " + "  ".join(parts).rstrip())
        if n == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


_NUMBER = re.compile(r"^(-?[0-9][0-9.,]*( %)?|-|)$")


def _num(x: float | None, fmt: str = ".1f") -> str:
    return "-" if x is None else format(x, fmt)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f} %"


def queue_summary(events: Sequence[Event], config: RouterConfig) -> str:
    """Per queue: offered, answered, abandoned, average wait, service level (20 s), AHT."""
    span = max(e.at for e in events) + 1.0  # one interval holding the whole run
    rows = interval_report(events, interval=span, threshold=THRESHOLD, by=("queue",))
    (total,) = interval_report(events, interval=span, threshold=THRESHOLD, by=())
    body = [
        (
            r.queue if r.queue is not None else "all",
            config.queue(r.queue).strategy if r.queue is not None else "",
            r.offered,
            r.answered,
            r.abandoned,
            _num(r.asa),
            _pct(r.service_level),
            _num(r.aht, ".0f"),
        )
        for r in [*rows, total]
    ]
    header = ("queue", "strategy", "offered", "answered", "abandoned", "avg wait s", "SL 20 s")
    return (
        _table(body, (*header, "AHT s"))
        + f"\n  occupancy (ringing, busy or wrap-up / staffed time): {_pct(total.occupancy)}"
    )


def agent_summary(events: Sequence[Event], status_at: dict[str, str], when: float) -> str:
    """Per agent: skills, status at ``when``, offers and their outcomes, occupancy, breaks."""
    skills: dict[str, dict[str, int]] = {}
    for e in events:
        if isinstance(e, AgentLoggedIn):
            skills[e.agent_id] = e.skills
    rows = [
        (
            a.agent_id,
            " ".join(f"{s}:{skills[a.agent_id][s]}" for s in SKILLS if s in skills[a.agent_id]),
            status_at.get(a.agent_id, "-"),
            a.offers,
            a.accepted,
            a.declined,
            a.misses,
            _pct(a.occupancy),
            _num(a.aht, ".0f"),
            _num(a.not_ready_by_reason.get("break", 0.0) / 60, ".0f"),
        )
        for a in agent_report(events)
    ]
    header = ("agent", "skills", f"at {when:g} s", "offers", "answered", "declined", "missed")
    return _table(rows, (*header, "occupancy", "AHT s", "break min"))


def format_explanation(ex: Explanation) -> str:
    """An explanation as text: the decision, then one line per agent, ranked ones first."""
    needs = ", ".join(f"{s} >= {level}" for s, level in ex.skills.items()) or "nothing"
    lines = [
        f"explain({ex.interaction_id!r}): queue {ex.queue!r} ({ex.strategy}), "
        f"decision at {ex.at:.1f} s (event #{ex.decision_seq})",
        f"  needs {needs} on {ex.channel}; ties: {ex.tie_break}",
        f"  chosen: {ex.chosen}",
    ]
    ranked = sorted(
        ex.candidates, key=lambda c: (c.rank is None, c.rank or 0, c.reason or "", c.agent_id)
    )
    rows = [
        (
            c.rank if c.rank is not None else "",
            c.agent_id,
            "yes" if c.eligible else "no",
            _num(c.score),
            c.skill_sum,
            c.reason or ("chosen" if c.agent_id == ex.chosen else ""),
        )
        for c in ranked
    ]
    lines.append(_table(rows, ("rank", "agent", "eligible", "score", "skill sum", "reason")))
    return "\n".join(lines)


def pick_interesting(router: Router, sample: int = 40) -> str | None:
    """An interaction whose routing decision shows a choice: several eligible agents and as
    many kinds of refusal as possible (busy, not ready, missing skill, declined)."""
    offered = [e.interaction_id for e in router.events if isinstance(e, InteractionOffered)]
    ids = list(dict.fromkeys(offered))
    step = max(1, len(ids) // sample)
    best: tuple[int, int, str] | None = None
    for iid in ids[::step]:
        ex = router.explain(iid)
        eligible = sum(c.eligible for c in ex.candidates)
        reasons = len({c.reason for c in ex.candidates if c.reason is not None})
        key = (reasons, min(eligible, 4), iid)
        if best is None or key[:2] > best[:2]:
            best = key
    return None if best is None else best[2]


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run the demo; return the process exit code (0 when replay reproduced the state)."""
    parser = argparse.ArgumentParser(
        prog="python -m ccrouter.demo", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", type=Path, default=Path("out/demo"), help="output directory")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the scenario")
    parser.add_argument(
        "--duration", type=float, default=3600.0, help="seconds of arrivals (default: an hour)"
    )
    parser.add_argument("--backend", choices=("numba", "python"), default=None)
    args = parser.parse_args(argv)
    out = stdout if stdout is not None else sys.stdout
    lines: list[str] = []

    def say(text: str = "") -> None:
        lines.append(text)
        print(text, file=out, flush=True)

    result = run(args.out, seed=args.seed, duration=args.duration, backend=args.backend)
    router = result.router
    events = router.events
    arrivals = sum(isinstance(e, InteractionQueued) for e in events)
    say(
        f"ccrouter demo (seed {args.seed}): {len(router.state.agents)} agents, {arrivals} calls "
        f"in {args.duration:g} s, {len(events)} events, "
        f"{result.seconds:.2f} s wall ({router.backend} backend)"
    )
    say()
    say("Queues (SL = answered within 20 s / offered; avg wait = of the answered calls):")
    say(queue_summary(events, result.config))
    kinds = Counter(e.kind for e in events)
    rona = sum(isinstance(e, AgentNotReady) and e.reason == "no_answer" for e in events)
    say(
        f"  offers: {kinds['interaction_offered']} made, {kinds['offer_declined']} declined, "
        f"{kinds['offer_timed_out']} rang out unanswered (offer timeout)"
    )
    say(
        f"  ring-no-answer: {rona}x an agent went not_ready 'no_answer' after "
        f"{result.config.max_no_answer} misses in a row"
    )
    say()
    say("Agents (status at the end of the arrivals; the others over the whole run):")
    say(agent_summary(events, result.status_at_end_of_hour, result.duration))

    # The log on disk, read back by a separate read-only handle, replays to the same state.
    router.log.close()
    with FileEventLog(result.log_path, readonly=True) as stored:
        loaded = list(stored.read())
    replayed = Router.replay(loaded, result.config, backend=router.backend)
    live, again = router.state_digest(), replayed.state_digest()
    same = live == again and loaded == events
    say()
    size = result.log_path.stat().st_size
    say(f"Event log: {result.log_path} ({size:,} bytes, {len(loaded)} events, read back)")
    say(f"Replay:    live state digest     {live[:16]}")
    verdict = "identical" if same else "DIFFERENT"
    say(f"           replayed state digest {again[:16]}  -> {verdict}")

    iid = pick_interesting(replayed)
    say()
    say(format_explanation(replayed.explain(iid)) if iid else "No interaction was offered.")
    summary = args.out / "summary.txt"
    summary.write_text("\n".join(lines) + "\n")
    say()
    say(f"Wrote {result.log_path} and {summary}.")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
