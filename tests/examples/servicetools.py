"""Drive the example service (examples/service) as its clients would: a real uvicorn server on
a free port in a thread, httpx for HTTP, the websockets client for agent desktops.

Waiting is always polling against a deadline; the short sleeps below are back-off between
attempts, never the thing a test asserts.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

uvicorn = pytest.importorskip("uvicorn")
websockets = pytest.importorskip("websockets")
pytest.importorskip("fastapi")

from examples.service.app import create_app  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidHandshake  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

from ccrouter import Router, RouterConfig  # noqa: E402
from ccrouter.events import Event  # noqa: E402
from ccrouter.log import SQLiteEventLog  # noqa: E402

DEADLINE = 20.0
"""Seconds any single wait may take before the test fails (the machine may be loaded)."""

CONFIG = RouterConfig.from_dict(
    # Offers ring long enough that no test depends on how fast a desktop answers.
    {"queues": {"support": {"offer_timeout": 600, "wrap_up": 0}}}
)


class FakeClock:
    """A settable clock (seconds)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def wait_for(predicate: Callable[[], bool], what: str, deadline: float = DEADLINE) -> None:
    """Poll ``predicate`` until it holds; fail naming ``what`` after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while not predicate():
        if time.monotonic() > end:
            pytest.fail(f"timed out after {deadline} s waiting for {what}")
        time.sleep(0.01)


class Server:
    """The example service in a real uvicorn server on a free local port, in a thread.

    ``start()`` and ``stop()`` may alternate: a restart is a new app over the same data
    directory (a new process would see exactly the same files). ``url`` follows the port.
    """

    def __init__(self, data_dir: Path, **app_kwargs: Any) -> None:
        self.data_dir = data_dir
        self.app_kwargs: dict[str, Any] = {"config": CONFIG, **app_kwargs}
        self.port = 0
        self.app: Any = None
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> Server:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.app = create_app(self.data_dir, **self.app_kwargs)
        config = uvicorn.Config(self.app, log_level="warning", timeout_graceful_shutdown=10)
        server = self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="service", daemon=True
        )
        self._thread.start()
        thread = self._thread
        wait_for(lambda: server.started or not thread.is_alive(), "the server to start")
        assert server.started, "the server failed to start (see the log above)"
        self.port = sock.getsockname()[1]
        return self

    def stop(self) -> None:
        """A graceful stop: in-flight requests finish, desktops are closed, logs closed."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(DEADLINE)
        assert not self._thread.is_alive(), "the server did not stop"
        self._server = self._thread = None

    def live(self, tenant: str) -> Any:
        """The tenant's LiveRouter inside the running app (this process)."""
        return self.app.state.tenants.get(tenant).live

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def call(
    client: httpx.Client,
    server: Server,
    method: str,
    path: str,
    *,
    json_body: Any = None,
    key: str | None = None,
    deadline: float = DEADLINE,
) -> httpx.Response:
    """Send a request as a retrying client does: on a connection failure or a 503, send it
    again (same ``Idempotency-Key``) to wherever the server is now, until an answer comes."""
    headers = {} if key is None else {"Idempotency-Key": key}
    end = time.monotonic() + deadline
    while True:
        try:
            response = client.request(method, server.url + path, json=json_body, headers=headers)
            if response.status_code != 503:
                return response
        except httpx.TransportError:
            pass
        if time.monotonic() > end:
            pytest.fail(f"{method} {path}: no answer within {deadline} s")
        time.sleep(0.02)


def names_agent(event: Event, agent: str) -> bool:
    """Whether a desktop subscribed for ``agent`` receives ``event`` (the runtime's filter)."""
    named = (getattr(event, "agent_id", None), getattr(event, "to_agent", None))
    return agent in named or agent in getattr(event, "agent_ids", ())


def log_events(path: Path) -> list[Event]:
    """Every event of a tenant's SQLite log, read from the file."""
    with SQLiteEventLog(path, readonly=True) as log:
        return list(log.read())


def replayed_digest(path: Path, config: RouterConfig = CONFIG) -> str:
    """The state digest of a tenant's log replayed from the file by a fresh router."""
    router = Router.replay(log_events(path), config)
    router.check()
    return router.state_digest()


def settle(server: Server, desktops: list[Desktop]) -> None:
    """Wait until each desktop received the last event of the log naming its agent, then stop
    them (call once the load is over: nothing appends meanwhile)."""
    for desk in desktops:
        with server.live(desk.tenant).locked() as router:
            mine = [e.seq for e in router.log.read() if names_agent(e, desk.agent)]
        target = mine[-1] if mine else 0
        wait_for(lambda d=desk, t=target: (d.last or 0) >= t, f"{desk.agent}'s desktop")
    for desk in desktops:
        desk.done.set()
    for desk in desktops:
        desk.join(DEADLINE)
        assert not desk.is_alive()


class Desktop(threading.Thread):
    """An agent's desktop: a WebSocket receiving the agent's events that answers each offer
    (accept with its ``offer_seq``, then complete, each with an ``Idempotency-Key``, retried
    through failures) and reconnects with ``since=<last seq>`` whenever the connection drops.

    Attributes:
        seqs: the seq of every event received, in order of arrival, over all connections.
        hellos: the ``since`` of each connection's ``subscribed`` message.
        problems: anything unexpected (a non-200 answer, a malformed message).
    """

    def __init__(self, server: Server, tenant: str, agent: str, *, answer: bool = True) -> None:
        super().__init__(name=f"desktop-{agent}", daemon=True)
        self.server, self.tenant, self.agent, self.answer = server, tenant, agent, answer
        self.seqs: list[int] = []
        self.events: list[dict[str, Any]] = []
        self.hellos: list[int] = []
        self.problems: list[str] = []
        self.handled: list[str] = []
        self.last: int | None = None
        self.done = threading.Event()
        self.subscribed = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=DEADLINE) as client:
            while not self.done.is_set():
                since = "" if self.last is None else f"?since={self.last}"
                url = f"{self.server.ws_url}/t/{self.tenant}/agents/{self.agent}/desktop{since}"
                try:
                    with connect(url, open_timeout=5, close_timeout=1) as ws:
                        self._session(ws, client)
                except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError):
                    self.done.wait(0.02)  # the server is restarting: try again

    def _session(self, ws: Any, client: httpx.Client) -> None:
        hello = json.loads(ws.recv(timeout=DEADLINE))
        if hello.get("type") != "subscribed":
            self.problems.append(f"first message {hello!r}")
            return
        self.hellos.append(hello["since"])
        if self.last is None:
            self.last = hello["since"]
        self.subscribed.set()
        while not self.done.is_set():
            try:
                event = json.loads(ws.recv(timeout=0.1))
            except TimeoutError:
                continue
            self.seqs.append(event["seq"])
            self.events.append(event)
            self.last = event["seq"]
            if self.answer and event["type"] == "interaction_offered":
                self._take(client, event)

    def _take(self, client: httpx.Client, offer: dict[str, Any]) -> None:
        iid, seq = offer["interaction_id"], offer["seq"]
        base = f"/t/{self.tenant}/agents/{self.agent}/interactions/{iid}"
        for verb, body in (("accept", {"offer_seq": seq}), ("complete", None)):
            r = call(
                client, self.server, "POST", f"{base}/{verb}", json_body=body, key=f"{verb}-{seq}"
            )
            if r.status_code != 200:
                self.problems.append(f"{verb} {iid}: {r.status_code} {r.text}")
                return
        self.handled.append(iid)
