"""Every code block in docs/*.md and README.md runs.

- ```python blocks of one file run in order in one shared namespace (in a temporary directory).
- ```sh / ```console blocks: each line starting with `$ ccrouter ` runs through the CLI and must
  exit 0.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from ccrouter.cli import main

ROOT = Path(__file__).resolve().parents[1]
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks(path: Path) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(path.read_text())]


@pytest.mark.parametrize("path", DOCS, ids=[p.name for p in DOCS])
def test_doc_code_blocks_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # Doc examples may refer to files shipped in the repository (sample forecasts, scenarios).
    (tmp_path / "simulations").symlink_to(ROOT / "simulations")
    namespace: dict[str, object] = {"__name__": f"doc_{path.stem}"}
    ran = 0
    for lang, code in _blocks(path):
        if lang == "python":
            exec(compile(code, f"{path.name}", "exec"), namespace)
            ran += 1
        elif lang in {"sh", "console"}:
            for line in code.splitlines():
                if line.startswith("$ ccrouter "):
                    args = shlex.split(line[len("$ ccrouter ") :])
                    result = CliRunner().invoke(main, args, catch_exceptions=False)
                    assert result.exit_code == 0, f"{line}\n{result.output}"
                    ran += 1
    if ran == 0:
        pytest.skip(f"{path.name} has no runnable blocks")
