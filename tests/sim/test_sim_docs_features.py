"""The table of compiled features in ``docs/simulation.md`` matches the compiled engine's own list.

The table lists every feature name the compiled engine can name (``NotCompiled.features``,
``unsupported_features``) and whether it runs compiled: it must equal the engine's own list
(``ccrouter.sim.compiled.FEATURES``: name -> runs compiled), in the same order, and every name
``unsupported_features`` gives for the example scenarios must be a row marked "no".
"""

from __future__ import annotations

import re
from pathlib import Path

import ccrouter.sim.compiled as compiled
from ccrouter.sim import load_scenario
from ccrouter.sim.compiled import unsupported_features

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- compiled-features: begin -->", "<!-- compiled-features: end -->"


def documented() -> dict[str, bool]:
    """The docs table: feature name -> runs compiled."""
    text = (ROOT / "docs" / "simulation.md").read_text()
    table = text[text.index(BEGIN) + len(BEGIN) : text.index(END)]
    rows = [line for line in table.strip().splitlines() if line.startswith("|")][2:]
    found: dict[str, bool] = {}
    for row in rows:
        name, verdict = (cell.strip() for cell in row.strip("|").split("|"))
        name = re.sub(r"^`(.*)`$", r"\1", name)
        assert verdict in ("yes", "no"), row
        assert name not in found, f"{name!r} twice in the table"
        found[name] = verdict == "yes"
    return found


def test_the_table_parses_and_is_not_empty() -> None:
    assert documented()


def test_every_feature_named_for_the_examples_is_documented_as_not_compiled() -> None:
    table = documented()
    for path in sorted((ROOT / "simulations").glob("*.toml")):
        for name in unsupported_features(load_scenario(path)):
            assert name in table, f"{path.name}: {name!r} is not in the docs table"
            assert table[name] is False, f"{name!r} is not compiled, the table says it is"


def test_the_table_equals_the_engines_list() -> None:
    features = compiled.FEATURES
    assert documented() == dict(features)
    assert list(documented()) == list(features)  # the same order too


def test_the_examples_said_to_fall_back_are_those_that_do() -> None:
    text = (ROOT / "docs" / "simulation.md").read_text()
    after = text[text.index(END) + len(END) :].strip().split("\n\n")[0]
    said = set(re.findall(r"`([\w-]+\.toml)`", after))
    falls_back = {
        path.name
        for path in (ROOT / "simulations").glob("*.toml")
        if unsupported_features(load_scenario(path))
    }
    assert said == falls_back
