"""Export report rows: plain records, CSV, and a pandas DataFrame (optional extra ``pandas``).

Rows are any msgspec Structs (:class:`~ccrouter.stats.IntervalRow`,
:class:`~ccrouter.stats.AgentRow`, :class:`~ccrouter.stats.QueueSnapshot`). A field holding a
dict (``not_ready_by_reason``) becomes one column per key, named ``field.key``.

>>> import io
>>> from ccrouter.stats import agent_report
>>> from ccrouter.events import AgentLoggedIn, AgentNotReady
>>> rows = agent_report([
...     AgentLoggedIn(seq=1, at=0.0, agent_id="ann", skills={}, capacity={"voice": 1}),
...     AgentNotReady(seq=2, at=30.0, agent_id="ann", reason="lunch"),
... ], end=90.0)
>>> to_records(rows)[0]["not_ready_by_reason.lunch"]
60.0
>>> buf = io.StringIO()
>>> to_csv(rows, buf)
>>> buf.getvalue().splitlines()[0].split(",")[:3]
['agent_id', 'logged_in_time', 'ready_time']
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import msgspec

from ccrouter.errors import InvalidArgument

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["columns", "to_csv", "to_csv_text", "to_dataframe", "to_records"]


def _check(rows: Sequence[Any]) -> type[msgspec.Struct] | None:
    kinds = {type(r) for r in rows}
    if len(kinds) > 1:
        msg = f"rows must all have one type; got {sorted(k.__name__ for k in kinds)}"
        raise InvalidArgument(msg)
    kind = next(iter(kinds), None)
    if kind is not None and not issubclass(kind, msgspec.Struct):
        msg = f"rows must be msgspec Structs (report rows); got {kind.__name__}"
        raise InvalidArgument(msg)
    return kind


def columns(rows: Sequence[Any]) -> list[str]:
    """Column names for ``rows``: the fields in order, dict fields expanded to ``field.key``
    (keys sorted, the union over all rows)."""
    kind = _check(rows)
    if kind is None:
        return []
    names: list[str] = []
    for name in kind.__struct_fields__:
        value = getattr(rows[0], name)
        if isinstance(value, dict):
            keys = sorted({k for r in rows for k in getattr(r, name)})
            names.extend(f"{name}.{k}" for k in keys)
        else:
            names.append(name)
    return names


def to_records(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """One dict per row, keyed by :func:`columns` (a missing dict key is 0.0)."""
    kind = _check(rows)
    if kind is None:
        return []
    dict_fields = [n for n in kind.__struct_fields__ if isinstance(getattr(rows[0], n), dict)]
    names = columns(rows)
    records = []
    for r in rows:
        record: dict[str, Any] = {}
        for name in kind.__struct_fields__:
            value = getattr(r, name)
            if name in dict_fields:
                for col in names:
                    if col.startswith(name + "."):
                        record[col] = value.get(col[len(name) + 1 :], 0.0)
            else:
                record[name] = value
        records.append(record)
    return records


def to_csv(rows: Sequence[Any], out: str | Path | IO[str]) -> None:
    """Write ``rows`` as CSV with a header line to a path or an open text file.

    ``None`` is written as an empty cell, floats with ``repr`` (round-trip exact).
    """
    names = columns(rows)
    if isinstance(out, str | Path):
        with Path(out).open("w", newline="") as f:
            _write(rows, names, f)
    else:
        _write(rows, names, out)


def _write(rows: Sequence[Any], names: list[str], f: IO[str]) -> None:
    writer = csv.writer(f, lineterminator="\n")
    writer.writerow(names)
    for record in to_records(rows):
        writer.writerow(["" if record[n] is None else record[n] for n in names])


def to_dataframe(rows: Sequence[Any]) -> pd.DataFrame:
    """``rows`` as a pandas DataFrame, one column per :func:`columns` (``None`` → NaN).

    Raises:
        ImportError: pandas is not installed (``pip install 'ccrouter[pandas]'``).
    """
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - pandas is in the dev group
        msg = "to_dataframe needs pandas: pip install 'ccrouter[pandas]'"
        raise ImportError(msg) from exc
    return pd.DataFrame.from_records(to_records(rows), columns=columns(rows))


def to_csv_text(rows: Sequence[Any]) -> str:
    """``rows`` as CSV text."""
    buf = io.StringIO()
    _write(rows, columns(rows), buf)
    return buf.getvalue()
