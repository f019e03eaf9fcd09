"""The A/B benchmark's mechanism: an earlier revision exported, renamed and imported beside
the working tree, deciding alike for the same commands (here HEAD against itself)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from benchmarks.ab_routing import ROOT, export_base

from ccrouter import Router


@pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout"
)
def test_an_exported_revision_runs_beside_this_one(tmp_path: Path) -> None:
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    base = export_base(head, tmp_path)
    assert base.__name__ == "ccrouter_base" and Path(base.__file__).is_relative_to(tmp_path)
    runs = []
    for router in (base.Router(backend="python"), Router(backend="python")):
        router.login("ann", skills={"x": 2}, at=0)
        router.ready("ann", at=0)
        events = router.submit("c1", channel="voice", skills={"x": 1}, at=1)
        runs.append([(e.kind, e.seq, e.at) for e in events])
        assert type(router).__module__.split(".")[0] in ("ccrouter", "ccrouter_base")
    assert runs[0] == runs[1] == [("interaction_queued", 3, 1.0), ("interaction_offered", 4, 1.0)]
