"""Fixtures for the event-log contract suite: a PostgreSQL server when one can be had."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import pgserver


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """A DSN of a live PostgreSQL (``CCROUTER_PG_DSN``, else a throwaway cluster), or skip.

    With ``CCROUTER_REQUIRE_PG=1`` (set in CI) a missing server fails instead of skipping.
    """
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
