"""PostgreSQL store: deleted tail rows are a CorruptLog on open, never a silently shorter log.

The store keeps each stream's version in ``ccrouter_stream_heads``, written in the appending
transaction. Rows deleted from the end of a stream (by hand, a bad migration, a restore that
missed rows) leave the head above the last row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from faultkit import figures

import pgserver
from ccrouter.errors import CorruptLog
from logtools import events

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_dsn() -> Iterator[str]:
    dsn, cluster, why = pgserver.obtain()
    if dsn is None:
        if pgserver.required():
            pytest.fail(f"{pgserver.REQUIRE_ENV} is set, but no PostgreSQL is available: {why}")
        pytest.skip(f"PostgreSQL tests skipped: {why}")
    try:
        yield dsn
    finally:
        if cluster is not None:
            cluster.stop()


@pytest.fixture
def table(pg_dsn: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    _admin(pg_dsn, f"DROP TABLE IF EXISTS {name}")


def _admin(dsn: str, query: str, *params: object) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(query, params)  # type: ignore[arg-type]


def _log(dsn: str, table: str, **kw: Any) -> Any:
    from ccrouter.log import PostgresEventLog

    return PostgresEventLog(dsn, table=table, **kw)


@pytest.mark.parametrize("deleted", [1, 3, 9])
def test_deleted_tail_rows_are_refused_on_open(pg_dsn: str, table: str, deleted: int) -> None:
    with _log(pg_dsn, table) as log:
        for first in (1, 4, 7):
            log.append(events(first, 3))
    _admin(pg_dsn, f"DELETE FROM {table} WHERE version > %s", 9 - deleted)
    tried = 0
    for kw in ({}, {"readonly": True}, {"lease": True}):
        with pytest.raises(CorruptLog, match=f"rows {10 - deleted} to 9 are missing") as info:
            _log(pg_dsn, table, **kw)
        assert info.value.offset == 10 - deleted
        tried += 1
    figures("pg-tail-delete", deleted_rows=deleted, opens=tried, corrupt_log=tried)


def test_an_open_handle_sees_the_loss_and_never_appends_over_it(pg_dsn: str, table: str) -> None:
    with _log(pg_dsn, table) as log:
        log.append(events(1, 5))
        _admin(pg_dsn, f"DELETE FROM {table} WHERE version = 5")
        with pytest.raises(CorruptLog):
            _ = log.version
        with pytest.raises(CorruptLog):
            list(log.read())
        with pytest.raises(CorruptLog):  # appending seq 5 again would hide the loss
            log.append(events(5, 1))
    _admin(pg_dsn, f"DELETE FROM {table}")
    with pytest.raises(CorruptLog, match="rows 1 to 5 are missing"):
        _log(pg_dsn, table)


def test_a_damaged_head_is_refused(pg_dsn: str, table: str) -> None:
    with _log(pg_dsn, table) as log:
        log.append(events(1, 2))
    _admin(
        pg_dsn,
        "UPDATE ccrouter_stream_heads SET version = 1 WHERE relid = to_regclass(%s)::oid",
        table,
    )
    with pytest.raises(CorruptLog, match="head record"):
        _log(pg_dsn, table, readonly=True)


def test_a_recreated_table_does_not_inherit_old_heads(pg_dsn: str, table: str) -> None:
    with _log(pg_dsn, table) as log:
        log.append(events(1, 4))
    _admin(pg_dsn, f"DROP TABLE {table}")
    with _log(pg_dsn, table) as log:
        assert log.version == 0
        assert log.append(events(1, 1)) == 1


def test_streams_without_a_head_are_adopted(pg_dsn: str, table: str) -> None:
    """A stream written before heads existed opens as its rows say; the next append adds
    its head, from then on tail deletion is caught."""
    with _log(pg_dsn, table) as log:
        log.append(events(1, 3))
    _admin(pg_dsn, "DELETE FROM ccrouter_stream_heads WHERE relid = to_regclass(%s)::oid", table)
    with _log(pg_dsn, table) as log:
        assert log.version == 3
        log.append(events(4, 1))
    _admin(pg_dsn, f"DELETE FROM {table} WHERE version = 4")
    with pytest.raises(CorruptLog):
        _log(pg_dsn, table)
