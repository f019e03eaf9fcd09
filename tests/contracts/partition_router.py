"""A router process for the one-router-per-partition tests (run by test_partition_routers.py).

    python partition_router.py DSN STREAM NAME COUNT [RETRY_ID@AT]

Takes the partition's lease (waiting up to 60 s), opens a ``Router`` on it (resuming from the
log), optionally re-sends an earlier submit (``RETRY_ID@AT``, as a client retrying against
the new router would), then runs ``COUNT`` commands with ids ``NAME-<i>``. Prints one JSON
line per step: ``leased`` (version, digest, backend pid), ``ack`` (version after each
acknowledged command), ``done`` or ``error`` (the exception's type, then exit code 3).
"""

from __future__ import annotations

import json
import sys
import time

from ccrouter import Router
from ccrouter.log import PostgresEventLog


def say(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def main(dsn: str, stream: str, name: str, count: int, retry: str | None) -> int:
    log = PostgresEventLog(dsn, stream=stream, lease=True, lease_timeout=60)
    router = Router(log=log, backend="python")
    say(
        step="leased",
        version=log.version,
        digest=router.state_digest(),
        pid=log._conn.info.backend_pid,
        retried=None,
    )
    try:
        if retry is not None:
            before = log.version
            cid, at = retry.split("@")
            again = router.submit(cid, channel="voice", at=float(at), command_id=cid)
            say(step="retried", appended=log.version - before, events=len(again))
        agent = f"{name}-agent"
        if agent not in router.state.agents:
            router.login(agent, skills={}, at=max(router.now, 0.0), command_id=f"{agent}-login")
            router.ready(agent, at=router.now, command_id=f"{agent}-ready")
        for i in range(count):
            at = router.now + 1.0
            cid = f"{name}-{i}"
            if i % 3 == 2:
                router.advance(at=at, command_id=cid)
            else:
                router.submit(cid, channel="voice", at=at, command_id=cid)
            say(step="ack", version=router.state.last_seq, command_id=cid, at=at)
            time.sleep(0.01)
    except Exception as exc:
        say(step="error", error=type(exc).__name__, message=str(exc))
        return 3
    say(step="done", version=log.version, digest=router.state_digest())
    log.close()
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(main(args[0], args[1], args[2], int(args[3]), args[4] if len(args) > 4 else None))
