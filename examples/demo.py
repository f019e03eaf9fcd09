"""``make demo``: an hour of a small contact center, simulated through the real ``Router``.

The scenario is a file (``simulations/demo.toml``: twenty agents, three skills, an hour of
Poisson arrivals in three queues with their own strategies); the simulator's engine
(:class:`ccrouter.sim.engine.Engine`) runs it once, so there is one simulation driver in the
project, not two. Then the demo

1. prints a summary table per queue (from :func:`ccrouter.stats.interval_report`) and per agent
   (from :func:`ccrouter.stats.agent_report`),
2. writes the event log to ``OUT/events.log`` (a :class:`~ccrouter.log.FileEventLog`),
3. reads it back and shows that :meth:`Router.replay` rebuilds the same state (digests equal),
4. prints one :meth:`Router.explain`: the chosen agent and every candidate's reason and score.

Run it with ``python examples/demo.py --out out/demo [--seed N] [--scenario FILE]`` (or
``python -m ccrouter.demo``, which runs this file). The seed feeds the scenario's random
streams; the same seed gives the same log.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import attrs
import numpy as np

from ccrouter import Explanation, Router
from ccrouter.config import RouterConfig
from ccrouter.engine.config_record import with_config
from ccrouter.events import AgentLoggedIn, AgentNotReady, Event, InteractionOffered
from ccrouter.log import FileEventLog
from ccrouter.sim import load_scenario
from ccrouter.sim.engine import Engine
from ccrouter.sim.scenario import Scenario
from ccrouter.stats import agent_report, interval_report

SCENARIO = Path(__file__).resolve().parents[1] / "simulations" / "demo.toml"
"""The demo's scenario file."""
BATCH = 10_000
"""Events per append when the run's events are written to the file store."""


@attrs.define
class DemoResult:
    """What a run produced: the simulator's router (its events kept) and where they went."""

    router: Router
    scenario: Scenario
    config: RouterConfig
    log_path: Path
    seconds: float


def run(
    out: Path, *, seed: int = 0, scenario: Path = SCENARIO, backend: str | None = None
) -> DemoResult:
    """Run the scenario once and write its events to ``out/events.log``.

    Args:
        out: output directory (created; an older ``events.log`` in it is replaced).
        seed: seeds the scenario's random streams (arrivals, handle times, patience, rings).
        scenario: the scenario file.
        backend: ``"numba"`` or ``"python"`` (default: ``CCROUTER_BACKEND``, else numba).
    """
    started = time.perf_counter()
    loaded = load_scenario(scenario)
    engine = Engine(loaded, np.random.SeedSequence(seed), backend=backend)
    engine.run()
    router = engine.router
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "events.log"
    log_path.unlink(missing_ok=True)
    with FileEventLog(log_path, durability="none") as log:
        # The log carries its config (first event), so `ccrouter explain` and `whatif` read
        # the demo's queues from it.
        events = with_config(router.events, engine.config)
        for start in range(0, len(events), BATCH):
            log.append(events[start : start + BATCH])
    return DemoResult(
        router=router,
        scenario=loaded,
        config=engine.config,
        log_path=log_path,
        seconds=time.perf_counter() - started,
    )


def statuses_at(events: Sequence[Event], config: RouterConfig, at: float) -> dict[str, str]:
    """Every agent's status at time ``at``: the log's prefix up to ``at``, replayed."""
    router = Router.replay([e for e in events if e.at <= at], config)
    return {aid: router.agent(aid).status for aid in sorted(router.state.agents)}


# --- reporting ---------------------------------------------------------------------------------


_NUMBER = re.compile(r"^(-?[0-9][0-9.,]*( %)?|-|)$")


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


def _num(x: float | None, fmt: str = ".1f") -> str:
    return "-" if x is None else format(x, fmt)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f} %"


def queue_summary(events: Sequence[Event], config: RouterConfig, threshold: float) -> str:
    """Per queue: offered, answered, abandoned, average wait, service level, AHT."""
    span = max(e.at for e in events) + 1.0  # one interval holding the whole run
    rows = interval_report(events, interval=span, threshold=threshold, by=("queue",))
    (total,) = interval_report(events, interval=span, threshold=threshold, by=())
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
    header = ("queue", "strategy", "offered", "answered", "abandoned", "avg wait s")
    return (
        _table(body, (*header, f"SL {threshold:g} s", "AHT s"))
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
            " ".join(f"{s}:{level}" for s, level in sorted(skills[a.agent_id].items())),
            status_at.get(a.agent_id, "-"),
            a.offers,
            a.accepted,
            a.misses,
            _pct(a.occupancy),
            _num(a.aht, ".0f"),
            _num(a.not_ready_by_reason.get("break", 0.0) / 60, ".0f"),
        )
        for a in agent_report(events)
    ]
    header = ("agent", "skills", f"at {when:g} s", "offers", "answered", "missed")
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
    many kinds of refusal as possible (busy, not ready, missing skill)."""
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
    parser = argparse.ArgumentParser(prog="examples/demo.py", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("out/demo"), help="output directory")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the run")
    parser.add_argument("--scenario", type=Path, default=SCENARIO, help="scenario file (TOML)")
    parser.add_argument("--backend", choices=("numba", "python"), default=None)
    args = parser.parse_args(argv)
    out = stdout if stdout is not None else sys.stdout
    lines: list[str] = []

    def say(text: str = "") -> None:
        lines.append(text)
        print(text, file=out, flush=True)

    result = run(args.out, seed=args.seed, scenario=args.scenario, backend=args.backend)
    router, scenario = result.router, result.scenario
    events = router.events
    kinds = Counter(e.kind for e in events)
    say(
        f"ccrouter demo (seed {args.seed}): {len(router.state.agents)} agents, "
        f"{kinds['interaction_queued']} calls in {scenario.horizon:g} s, {len(events)} events, "
        f"{result.seconds:.2f} s wall ({router.backend} backend)"
    )
    say(f"Scenario: {args.scenario}")
    say()
    threshold = scenario.threshold
    say(f"Queues (SL = answered within {threshold:g} s / offered; avg wait = of the answered):")
    say(queue_summary(events, result.config, threshold))
    rona = sum(isinstance(e, AgentNotReady) and e.reason == "no_answer" for e in events)
    say(
        f"  offers: {kinds['interaction_offered']} made, "
        f"{kinds['offer_timed_out']} rang out unanswered (offer timeout)"
    )
    say(
        f"  ring-no-answer: {rona}x an agent went not_ready 'no_answer' after "
        f"{result.config.max_no_answer} misses in a row"
    )
    say()
    say("Agents (status at the end of the arrivals; the others over the whole run):")
    status = statuses_at(events, result.config, scenario.horizon)
    say(agent_summary(events, status, scenario.horizon))

    # The log on disk, read back by a separate read-only handle, replays to the same state
    # with no config given: it comes from the log. (The file starts with that record, one
    # event before the simulator's own, so the live state is compared once shifted alike.)
    with FileEventLog(result.log_path, readonly=True) as stored:
        loaded = list(stored.read())
    replayed = Router.replay(loaded, backend=router.backend)
    written = with_config(events, result.config)
    live = Router.replay(written, backend=router.backend).state_digest()
    again = replayed.state_digest()
    same = live == again and loaded == written and replayed.config == result.config
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
