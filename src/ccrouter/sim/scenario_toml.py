"""Write a scenario as a TOML file that ``load_scenario`` reads back equal.

Only what differs from the defaults is written (a field equal to its default is left out), in
the layout of the hand-written examples: scalars first, then tables, then arrays of tables.
Trace arrivals are written with their times inline (a relative ``path`` would not survive a
move to another directory).

>>> from ccrouter.sim.scenario import Scenario
>>> s = Scenario.from_dict({"horizon": 3600, "call_types": [{"name": "c",
...     "arrivals": {"kind": "poisson", "rates_per_hour": [60.0]},
...     "handle": {"kind": "exponential", "mean": 120.0}}],
...     "agent_groups": [{"name": "g", "headcount": [3]}]})
>>> print(scenario_to_toml(s))
horizon = 3600.0
<BLANKLINE>
[[call_types]]
name = "c"
arrivals = {kind = "poisson", rates_per_hour = [60.0]}
handle = {kind = "exponential", mean = 120.0}
<BLANKLINE>
[[agent_groups]]
name = "g"
headcount = [3]
<BLANKLINE>
>>> import tomllib
>>> Scenario.from_dict(tomllib.loads(scenario_to_toml(s))) == s
True
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import msgspec

from ccrouter.errors import InvalidArgument
from ccrouter.sim.scenario import Scenario, TraceArrivals

__all__ = ["scenario_to_toml", "write_scenario"]

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _plain(value: Any) -> Any:
    """Builtins for ``value``, leaving out struct fields equal to their defaults."""
    if isinstance(value, TraceArrivals):
        value = msgspec.structs.replace(value, path="")
    if isinstance(value, msgspec.Struct):
        config = value.__struct_config__
        out: dict[str, Any] = {}
        if isinstance(config.tag_field, str):
            out[config.tag_field] = config.tag
        for field in msgspec.structs.fields(value):
            item = getattr(value, field.name)
            if field.default is not msgspec.NODEFAULT and item == field.default:
                continue
            if field.default_factory is not msgspec.NODEFAULT and item == field.default_factory():
                continue
            if item is None:
                continue  # TOML has no null: None is every optional field's default
            out[field.encode_name] = _plain(item)
        return out
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _key(key: str) -> str:
    return key if _BARE.match(key) else json.dumps(key, ensure_ascii=False)


def _inline(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in value.items()) + "}"
    msg = f"value: expected a TOML value (str, number, bool, list, table), got {value!r}"
    raise InvalidArgument(msg)


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _small(value: Any, path: list[str]) -> bool:
    """A table written inline (``handle = {kind = "exponential", mean = 240.0}``): below the
    top level, holding no tables, and short."""
    return (
        bool(path)
        and isinstance(value, dict)
        and not any(isinstance(v, dict) or _is_tables(v) for v in value.values())
        and len(_inline(value)) <= 80
    )


def _inline_keys(table: dict[str, Any], path: list[str]) -> list[str]:
    """The keys of ``table`` written as ``key = value`` (in order)."""
    return [
        k for k, v in table.items() if _small(v, path) or not (isinstance(v, dict) or _is_tables(v))
    ]


def _table(lines: list[str], path: list[str], table: dict[str, Any]) -> None:
    """Emit ``table``'s keys: values and small tables inline, then sub-tables, then arrays
    of tables (the order TOML needs: a key after a header belongs to that header)."""
    inline = _inline_keys(table, path)
    for key in inline:
        lines.append(f"{_key(key)} = {_inline(table[key])}")
    for key, value in table.items():
        if isinstance(value, dict) and key not in inline:
            name = ".".join(_key(p) for p in [*path, key])
            # A table holding only tables needs no header of its own (TOML implies it).
            if not value or _inline_keys(value, [*path, key]):
                lines += ["", f"[{name}]"]
            _table(lines, [*path, key], value)
    for key, value in table.items():
        if _is_tables(value):
            name = ".".join(_key(p) for p in [*path, key])
            for item in value:
                lines += ["", f"[[{name}]]"]
                _table(lines, [*path, key], item)


def scenario_to_toml(scenario: Scenario) -> str:
    """The scenario as TOML text (``load_scenario`` reads it back equal).

    Args:
        scenario: a validated scenario.

    Returns:
        The text, ending with a newline.
    """
    lines: list[str] = []
    _table(lines, [], _plain(scenario))
    return "\n".join(lines).lstrip("\n") + "\n"


def write_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write ``scenario`` as TOML to ``path`` (parent directories made); the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(scenario_to_toml(scenario))
    return out
