"""Event-log stores: one interface (:class:`EventLog`), several backends.

- :class:`MemoryEventLog`: a list in memory (tests, simulations).
- :class:`FileEventLog`: one append-only, checksummed file (``ccrouter.log.file``).
- :class:`SQLiteEventLog`: a SQLite database in WAL mode (``ccrouter.log.sqlite``).
- :class:`PostgresEventLog`: PostgreSQL via psycopg 3, imported on first use so that psycopg
  stays optional (``pip install 'ccrouter[postgres]'``).

See ``docs/durability.md`` for what each one guarantees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ccrouter.log.base import EventLog, check_batch
from ccrouter.log.file import FileEventLog
from ccrouter.log.memory import MemoryEventLog
from ccrouter.log.sqlite import SQLiteEventLog

if TYPE_CHECKING:
    from ccrouter.log.postgres import PostgresEventLog

__all__ = [
    "EventLog",
    "FileEventLog",
    "MemoryEventLog",
    "PostgresEventLog",
    "SQLiteEventLog",
    "check_batch",
]


def __getattr__(name: str) -> Any:
    if name == "PostgresEventLog":
        from ccrouter.log.postgres import PostgresEventLog

        return PostgresEventLog
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
