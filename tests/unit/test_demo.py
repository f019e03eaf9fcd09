"""The demo (`make demo`): it runs, its log is real, replay reproduces it, its table is true.

The demo is ``examples/demo.py`` running ``simulations/demo.toml`` through the simulator;
``python -m ccrouter.demo`` runs the same script.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from examples.demo import SCENARIO, main, run

import ccrouter.demo
from ccrouter import Router
from ccrouter.engine.config_record import recorded_config, with_config
from ccrouter.events import (
    InteractionAbandoned,
    InteractionQueued,
    OfferAccepted,
    OfferTimedOut,
)
from ccrouter.log import FileEventLog
from ccrouter.sim import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def test_main_prints_summary_replay_and_explain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    assert main(["--out", str(out), "--seed", "3"]) == 0
    text = capsys.readouterr().out

    log_path = out / "events.log"
    assert log_path.is_file() and log_path.stat().st_size > 0
    with FileEventLog(log_path, readonly=True) as log:
        events = list(log.read())
    assert [e.seq for e in events] == list(range(1, len(events) + 1))

    # The queue table says what the log says.
    queued = Counter(e.queue for e in events if isinstance(e, InteractionQueued))
    queue_of = {e.interaction_id: e.queue for e in events if isinstance(e, InteractionQueued)}
    answered = Counter(queue_of[e.interaction_id] for e in events if isinstance(e, OfferAccepted))
    abandoned = Counter(
        queue_of[e.interaction_id] for e in events if isinstance(e, InteractionAbandoned)
    )
    config = load_scenario(SCENARIO).router_config()
    queues = ("billing", "tech", "spanish")
    assert set(queued) == set(queues)
    for queue in queues:
        strategy = config.queue(queue).strategy
        row = rf"^  {queue}\s+{strategy}\s+{queued[queue]}\s+{answered[queue]}\s+"
        assert re.search(row + rf"{abandoned[queue]}\s", text, re.MULTILINE), queue
        assert answered[queue] + abandoned[queue] == queued[queue]  # everything ended

    # Replay of the stored log: the demo says identical, and it is.
    digests = re.findall(r"state digest\s+([0-9a-f]{16})", text)
    assert len(digests) == 2 and digests[0] == digests[1]
    assert "-> identical" in text
    assert Router.replay(events, config).state_digest().startswith(digests[0])

    # One explanation: the chosen agent is ranked first and eligible.
    m = re.search(r"^explain\('([\w-]+)'\).*?^  chosen: ([\w-]+)$", text, re.MULTILINE | re.DOTALL)
    assert m is not None, text
    assert re.search(rf"^\s+1\s+{m.group(2)}\s+yes\s", text, re.MULTILINE)
    assert "missing_skill" in text and "busy" in text
    assert (out / "summary.txt").read_text().startswith("ccrouter demo (seed 3)")


def test_run_ends_every_interaction_and_replays(tmp_path: Path) -> None:
    result = run(tmp_path, seed=11, backend="python")
    router = result.router
    router.check()
    statuses = Counter(i.status for i in router.state.interactions.values())
    assert set(statuses) <= {"completed", "abandoned"} and statuses["completed"] > 100
    assert {router.agent(a).status for a in router.state.agents} == {"logged_out"}
    assert len(router.state.agents) == 20
    # The scenario exercises the unhappy paths too: offers ring out, agents go no_answer.
    kinds = Counter(type(e) for e in router.events)
    assert kinds[OfferTimedOut] > 0 and kinds[InteractionAbandoned] > 0
    assert any(getattr(e, "reason", None) == "no_answer" for e in router.events)
    assert any(getattr(e, "reason", None) == "break" for e in router.events)
    # The file on disk holds exactly the router's events, after the config they ran under
    # (its first event), so it replays with no config given.
    with FileEventLog(result.log_path, readonly=True) as log:
        stored = list(log.read())
    assert stored == with_config(router.events, result.config)
    assert recorded_config(stored) == result.config
    replayed = Router.replay(stored)
    assert replayed.config == result.config
    statuses_of = {i: v.status for i, v in router.state.interactions.items()}
    assert {i: v.status for i, v in replayed.state.interactions.items()} == statuses_of
    assert replayed.state.last_seq == router.state.last_seq + 1  # (the record)
    assert Router.replay(router.events, result.config).state_digest() == router.state_digest()


def test_same_seed_same_log_on_both_backends(tmp_path: Path) -> None:
    a = run(tmp_path / "a", seed=5, backend="python")
    b = run(tmp_path / "b", seed=5, backend="numba")
    assert a.router.events == b.router.events
    c = run(tmp_path / "c", seed=6, backend="python")
    assert c.router.events != a.router.events


def test_python_m_ccrouter_demo_runs_the_script(tmp_path: Path) -> None:
    """The documented command still works: the shim runs examples/demo.py with its arguments."""
    assert ccrouter.demo.SCRIPT == ROOT / "examples" / "demo.py"
    out = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "ccrouter.demo", "--out", str(out), "--seed", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "-> identical" in done.stdout
    assert (out / "summary.txt").read_text().startswith("ccrouter demo (seed 2)")


def test_the_shim_says_where_the_script_is_when_it_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(ccrouter.demo, "SCRIPT", tmp_path / "nowhere.py")
    assert ccrouter.demo.main([]) == 2
    assert "nowhere.py" in capsys.readouterr().err
