"""A minimal TOML writer for plain configuration data (what ``RouterConfig.to_dict`` gives).

The standard library reads TOML (``tomllib``) but does not write it, and the data to write is
small and regular: strings, booleans, integers, finite floats, lists and nested tables. So
this writer covers exactly that and no more, instead of a dependency:

- top-level tables and the tables inside them become ``[section]`` / ``[section.name]``
  headers (``[queues.billing]``), deeper tables are inline (``skills = { billing = 5 }``) and
  lists of tables are arrays of inline tables;
- ``None`` has no TOML spelling: such a key is left out (the reader's default applies),
  unless ``none_as`` gives a stand-in for that key.

``tomllib.loads(dumps(data))`` equals ``data`` without its ``None`` keys (property-tested
through ``RouterConfig.to_toml``).

>>> print(dumps({"seed": 3, "queues": {"billing": {"wrap_up": 30.0, "skills": {"x": 1}}}}))
seed = 3
<BLANKLINE>
[queues.billing]
wrap_up = 30.0
skills = { x = 1 }
<BLANKLINE>
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ccrouter.errors import ConfigError

__all__ = ["dumps"]

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def dumps(data: Mapping[str, Any], *, none_as: Mapping[str, Any] | None = None) -> str:
    """``data`` as TOML text.

    Args:
        data: a mapping of string keys to strings, booleans, integers, finite floats, lists
            and mappings (nested to any depth), or ``None``.
        none_as: per key name, the value written for ``None`` (default: the key is omitted).

    Returns:
        TOML text ending with a newline.

    Raises:
        ConfigError: a value TOML cannot hold (a non-finite float, a lone surrogate in a
            string, a non-string key, another type); the message names its path.
    """
    lines: list[str] = []
    _table(data, (), lines, dict(none_as or {}))
    return "\n".join(lines) + "\n" if lines else ""


def _table(
    data: Mapping[str, Any], path: tuple[str, ...], lines: list[str], none_as: dict[str, Any]
) -> None:
    sections: list[tuple[str, Mapping[str, Any]]] = []
    for key, value in data.items():
        if not isinstance(key, str):
            raise _error(path, key, "a string key")
        if value is None:
            if key not in none_as:
                continue
            value = none_as[key]
        if isinstance(value, Mapping) and len(path) < 2:
            sections.append((key, value))  # written after this table's own keys
            continue
        lines.append(f"{_key(key)} = {_value(value, (*path, key), none_as)}")
    for key, value in sections:
        # A table holding only tables needs no header of its own (`[queues]` before
        # `[queues.billing]`); an empty one does, or its key would be lost.
        if value and all(isinstance(v, Mapping) for v in value.values()) and len(path) < 1:
            _table(value, (*path, key), lines, none_as)
            continue
        if lines:
            lines.append("")
        lines.append("[" + ".".join(_key(k) for k in (*path, key)) + "]")
        _table(value, (*path, key), lines, none_as)


def _value(value: Any, path: tuple[str, ...], none_as: dict[str, Any]) -> str:
    if isinstance(value, bool):  # before int: a bool is an int
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _error(path[:-1], path[-1], "a finite number")
        return repr(value)  # always has a '.' or an exponent: read back as a float
    if isinstance(value, str):
        return _string(value, path)
    if isinstance(value, Mapping):
        items = []
        for k, v in value.items():
            if not isinstance(k, str):
                raise _error(path, k, "a string key")
            if v is None:
                if k not in none_as:
                    continue
                v = none_as[k]
            items.append(f"{_key(k)} = {_value(v, (*path, k), none_as)}")
        return "{ " + ", ".join(items) + " }" if items else "{}"
    if isinstance(value, list | tuple):
        if any(v is None for v in value):
            raise _error(path[:-1], path[-1], "a list without None")
        return "[" + ", ".join(_value(v, path, none_as) for v in value) + "]"
    raise _error(path[:-1], path[-1], f"a TOML value, not {type(value).__name__}")


def _key(key: str) -> str:
    return key if _BARE.fullmatch(key) else _string(key, ())


def _string(text: str, path: tuple[str, ...]) -> str:
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            where = ".".join(path) or "a key"
            msg = f"cannot write TOML: {where} holds a lone surrogate (U+{code:04X})"
            raise ConfigError(msg)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _error(path: tuple[str, ...], key: object, expected: str) -> ConfigError:
    where = ".".join([*path, str(key)])
    return ConfigError(f"cannot write TOML: expected {expected} at {where}")
