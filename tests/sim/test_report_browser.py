"""The simulation report in a real browser: headless Chromium renders it, a screenshot is
taken and checked (plausible size, not blank), and the laid-out page is asked whether any
table runs wider than the page or its box.

Without Chromium the test skips with a visible reason, unless ``CCROUTER_REQUIRE_BROWSER=1``
(set by ``.ci/run``, which installs Chromium), in which case it fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from ccrouter.sim import load_scenario, simulate
from ccrouter.sim.report import write_report

ROOT = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 1280, 2000

# Appended to a copy of the report: measures the laid-out page and writes the result into the
# DOM, which ``--dump-dom`` prints.
_PROBE = """<script>
const tables = [...document.querySelectorAll("table")].map(t => ({
  width: t.scrollWidth, box: t.parentElement.clientWidth,
  wrapped: [...t.querySelectorAll("td, th")].some(c => {
    const r = document.createRange(); r.selectNodeContents(c);
    return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size > 1; })
}));
const images = [...document.images].map(i => [i.naturalWidth, i.naturalHeight]);
document.body.setAttribute("data-probe", JSON.stringify({
  page: document.documentElement.scrollWidth, view: window.innerWidth,
  height: document.documentElement.scrollHeight, tables, images}));
</script>"""


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _browser() -> str:
    found = _chromium()
    if found is None:
        reason = "Chromium not installed (apt-get install chromium): report screenshot not checked"
        if os.environ.get("CCROUTER_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " but CCROUTER_REQUIRE_BROWSER=1")
        pytest.skip(reason)
    return found


def _run(browser: str, *args: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}",
             *args],
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("matplotlib")
    scenario = load_scenario(ROOT / "simulations" / "omnichannel_shop.toml")
    result = simulate(scenario, 3, seed=0)
    return write_report(result, tmp_path_factory.mktemp("report") / "report.html")


def test_the_report_renders_in_chromium(report: Path, tmp_path: Path) -> None:
    from PIL import Image

    browser = _browser()
    shot = tmp_path / "report.png"
    _run(browser, f"--screenshot={shot}", report.as_uri())
    image = Image.open(shot).convert("L")
    assert image.size == (WIDTH, HEIGHT)
    counts = image.histogram()  # pixels per grey level 0..255
    inked = sum(counts[:235]) / (WIDTH * HEIGHT)
    assert 0.03 < inked < 0.6, f"{inked:.1%} of the screenshot is not white: blank or smeared"
    # The top of the page holds text (the title and the run's description), not nothing.
    top = image.crop((0, 0, WIDTH, 200))
    assert sum(top.histogram()[:128]) > 500


def _laid_out(report: Path, tmp_path: Path) -> dict[str, Any]:
    """The report as Chromium lays it out (the probe's measures), after checking that the
    page does not scroll sideways."""
    browser = _browser()
    probe = tmp_path / "probe.html"
    probe.write_text(report.read_text().replace("</body>", _PROBE + "</body>"))
    dom = _run(browser, "--dump-dom", probe.as_uri())
    found = re.search(r'data-probe="([^"]*)"', dom)
    assert found, "the probe did not run"
    data: dict[str, Any] = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert data["page"] <= data["view"], "the page scrolls sideways"
    return data


def test_no_table_runs_off_the_page(report: Path, tmp_path: Path) -> None:
    data = _laid_out(report, tmp_path)
    assert data["height"] > 3000  # tables and six plots
    assert len(data["tables"]) >= 6  # summary, utilisation, one per queue and interval
    for t in data["tables"]:
        assert t["width"] <= t["box"], f"a table is wider than its box: {t}"
        assert not t["wrapped"], "a table cell wraps its text"
    assert len(data["images"]) == 6 and all(w >= 600 and h >= 200 for w, h in data["images"])


def test_a_self_service_report_shows_the_stages_plots(tmp_path: Path) -> None:
    """A scenario with a self-service stage: its two plots (containment rate, outcomes per
    interval) laid out with the others, none off the page."""
    pytest.importorskip("matplotlib")
    result = simulate(load_scenario(ROOT / "simulations" / "self_service.toml"), 3, seed=0)
    report = write_report(result, tmp_path / "report.html")
    data = _laid_out(report, tmp_path)
    # SL, ASA, abandon, queue, occupancy, the stage's containment and outcomes, waits
    assert len(data["images"]) == 8 and all(w >= 600 and h >= 200 for w, h in data["images"])
    for t in data["tables"]:
        assert t["width"] <= t["box"], f"a table is wider than its box: {t}"
    shot = tmp_path / "report.png"
    _run(_browser(), f"--screenshot={shot}", report.as_uri())
    assert shot.stat().st_size > 10_000
