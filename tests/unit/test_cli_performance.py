"""``ccrouter performance LOG``: the outcome KPIs of a stored log, any window."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ccrouter import Router, RouterConfig
from ccrouter.cli import main
from ccrouter.events import encode_json


def _log(tmp_path: Path) -> Path:
    r = Router(RouterConfig.from_dict({"performance": {"prior_weight": 0}}), backend="python")
    r.login("ann", skills={}, at=0)
    r.ready("ann", at=0)
    for i, (t, sat) in enumerate([(10.0, 4), (1000.0, 2)]):
        r.submit(f"c{i}", channel="voice", at=t)
        r.accept(f"c{i}", at=t)
        r.complete(f"c{i}", at=t + 60, outcome={"satisfaction": sat})
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"".join(encode_json(e) + b"\n" for e in r.events))
    return path


def test_the_whole_log_and_a_window(tmp_path: Path) -> None:
    path = _log(tmp_path)
    whole = CliRunner().invoke(main, ["performance", str(path)])
    assert whole.exit_code == 0, whole.output
    assert "ann" in whole.output and "3 ±" in whole.output and "n=2" in whole.output
    first = CliRunner().invoke(main, ["performance", str(path), "--start", "0", "--end", "500"])
    assert first.exit_code == 0 and "4 ±0 n=1" in first.output  # only c0 ended then
    empty = CliRunner().invoke(main, ["performance", str(path), "--start", "5000", "--end", "6000"])
    assert "No completed contacts" in empty.output


def test_a_bad_window_is_an_error_naming_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["performance", str(_log(tmp_path)), "--start", "9",
                                       "--end", "1"])  # fmt: skip
    assert result.exit_code != 0 and "`end` must be after `start`" in result.output
