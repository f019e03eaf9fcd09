"""A PostgreSQL server for the tests: ``CCROUTER_PG_DSN`` if set, else a throwaway cluster.

The throwaway cluster lives in a temporary directory, listens on 127.0.0.1 on a free port,
trusts local connections and is stopped (``-m immediate``) and deleted at the end. When run as
root it runs as the ``postgres`` user (PostgreSQL refuses to run as root).

``CCROUTER_REQUIRE_PG=1`` turns "no server available" from a skip into a failure (CI sets it).

Also usable by hand::

    python tests/pgserver.py        # starts a cluster, prints its DSN, stops on Ctrl-C
"""

from __future__ import annotations

import contextlib
import glob
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DSN_ENV = "CCROUTER_PG_DSN"
REQUIRE_ENV = "CCROUTER_REQUIRE_PG"


def required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0", "false", "no")


def find_bindir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl`` (newest version first)."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: [int(x) for x in Path(p).parts[-3].split(".") if x.isdigit()],
    )
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """A throwaway PostgreSQL cluster (``start()`` then ``stop()``)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.datadir = Path(tempfile.mkdtemp(prefix="ccrouter-pg-"))
        self.port = _free_port()
        self._prefix: list[str] = []
        self._watchdog: subprocess.Popen[bytes] | None = None
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                raise RuntimeError("running as root and `runuser` is missing")
            shutil.chown(self.datadir, user="postgres", group="postgres")
            self._prefix = [runuser, "-u", "postgres", "--"]
        os.chmod(self.datadir, 0o700)

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres connect_timeout=10"

    def _run(self, *args: str) -> None:
        subprocess.run(
            [*self._prefix, *args], check=True, capture_output=True, text=True, timeout=120
        )

    def start(self) -> str:
        data = str(self.datadir / "data")
        try:
            self._run(
                str(self.bindir / "initdb"),
                "-D",
                data,
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            )
            opts = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.datadir} "
                "-c max_connections=100 -c shared_buffers=32MB"
            )
            self._run(
                str(self.bindir / "pg_ctl"),
                "-D",
                data,
                "-l",
                str(self.datadir / "server.log"),
                "-o",
                opts,
                "-w",
                "-t",
                "60",
                "start",
            )
        except subprocess.CalledProcessError as exc:
            log = self.datadir / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            self.stop()
            raise RuntimeError(
                f"{exc.cmd[0:3]} failed: {exc.stderr or exc.stdout}\n{tail}"
            ) from exc
        self._watch(data)
        return self.dsn

    def _watch(self, data: str) -> None:
        """Stop the cluster once this process is gone, even after SIGKILL or a crashed
        pytest-xdist worker (whose fixture teardown never runs)."""
        prefix = " ".join(shlex.quote(a) for a in self._prefix)
        pg_ctl = shlex.quote(str(self.bindir / "pg_ctl"))
        script = (
            f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
            f"{prefix} {pg_ctl} -D {shlex.quote(data)} -m immediate stop >/dev/null 2>&1; "
            f"rm -rf {shlex.quote(str(self.datadir))}"
        )
        self._watchdog = subprocess.Popen(
            ["sh", "-c", script],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.terminate()
            self._watchdog.wait()
            self._watchdog = None
        data = self.datadir / "data"
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
                self._run(str(self.bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(self.datadir, ignore_errors=True)


def connectable(dsn: str) -> str | None:
    """``None`` if a connection works, else why not."""
    try:
        import psycopg
    except ImportError as exc:
        return f"psycopg is not installed ({exc}); install the `postgres` extra"
    try:
        with psycopg.connect(dsn, connect_timeout=10) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"cannot connect to {dsn!r}: {exc}"
    return None


def obtain() -> tuple[str | None, Cluster | None, str]:
    """Return ``(dsn, cluster to stop or None, reason when dsn is None)``."""
    dsn = os.environ.get(DSN_ENV)
    if dsn:
        problem = connectable(dsn)
        return (None, None, f"{DSN_ENV} is set but {problem}") if problem else (dsn, None, "")
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        return None, None, f"psycopg is not installed ({exc})"
    bindir = find_bindir()
    if bindir is None:
        return (
            None,
            None,
            f"no PostgreSQL server: set {DSN_ENV}, or install one "
            "(apt-get install postgresql) so the tests can start a throwaway cluster",
        )
    try:
        cluster = Cluster(bindir)
        dsn = cluster.start()
    except (RuntimeError, OSError, subprocess.SubprocessError, KeyError, LookupError) as exc:
        return None, None, f"could not start a throwaway PostgreSQL cluster from {bindir}: {exc}"
    for _ in range(50):
        if connectable(dsn) is None:
            return dsn, cluster, ""
        time.sleep(0.1)
    problem = connectable(dsn)
    cluster.stop()
    return None, None, f"started a cluster but {problem}"


def _stop_on_term(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGTERM, _stop_on_term)
    got, started, why = obtain()
    if got is None:
        raise SystemExit(why)
    print(got, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        if started is not None:
            started.stop()
