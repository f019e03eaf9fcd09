"""The demo (`make demo`): it runs, its log is real, replay reproduces it, its table is true."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from ccrouter import Router
from ccrouter.demo import QUEUES, build_config, main, run
from ccrouter.events import (
    InteractionAbandoned,
    InteractionQueued,
    OfferAccepted,
    OfferDeclined,
    OfferTimedOut,
)
from ccrouter.log import FileEventLog


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
    assert set(queued) == set(QUEUES)
    for queue, spec in QUEUES.items():
        row = rf"^  {queue}\s+{spec.strategy}\s+{queued[queue]}\s+{answered[queue]}\s+"
        assert re.search(row + rf"{abandoned[queue]}\s", text, re.MULTILINE), queue
        assert answered[queue] + abandoned[queue] == queued[queue]  # everything ended

    # Replay of the stored log: the demo says identical, and it is.
    digests = re.findall(r"state digest\s+([0-9a-f]{16})", text)
    assert len(digests) == 2 and digests[0] == digests[1]
    assert "-> identical" in text
    assert Router.replay(events, build_config(3)).state_digest().startswith(digests[0])

    # One explanation: the chosen agent is ranked first and eligible.
    m = re.search(r"^explain\('([\w-]+)'\).*?^  chosen: (a\d\d)$", text, re.MULTILINE | re.DOTALL)
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
    # The scenario exercises the unhappy paths too.
    kinds = Counter(type(e) for e in router.events)
    assert kinds[OfferDeclined] > 0 and kinds[OfferTimedOut] > 0
    assert kinds[InteractionAbandoned] > 0
    assert any(getattr(e, "reason", None) == "no_answer" for e in router.events)
    # The file on disk holds exactly the router's events.
    with FileEventLog(result.log_path, readonly=True) as log:
        stored = list(log.read())
    assert stored == router.events
    assert Router.replay(stored, result.config).state_digest() == router.state_digest()
    # Status at the end of the hour was taken while work was still going on.
    assert set(result.status_at_end_of_hour) == set(router.state.agents)


def test_same_seed_same_log_on_both_backends(tmp_path: Path) -> None:
    a = run(tmp_path / "a", seed=5, backend="python")
    b = run(tmp_path / "b", seed=5, backend="numba")
    assert a.router.events == b.router.events
    c = run(tmp_path / "c", seed=6, backend="python")
    assert c.router.events != a.router.events
