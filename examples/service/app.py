"""An example web service around ccrouter (FastAPI): the router inside a real service.

Run it from the repository root (docs/embedding.md, *The example service*)::

    pip install -e ".[service]"
    uvicorn --factory examples.service.app:app_from_env

Every path below sits under ``/t/{tenant}``: each tenant (a contact center) has its own
:class:`~ccrouter.live.LiveRouter` and its own SQLite log (``DATA_DIR/<tenant>.db``), opened on
first use and reopened (replayed) when the service starts again.

- ``POST /agents/{agent}/login`` (``{"skills": {...}, "capacity": {...}, "groups": [...]}``),
  ``/ready``, ``/not-ready`` (``{"reason": ...}``), ``/logout``; ``GET /agents/{agent}``.
- ``POST /interactions`` (``{"interaction_id", "channel", "queue", "skills", ...}``: submit),
  ``POST /interactions/{id}/abandon``, ``GET /interactions/{id}`` (with ``offer_seq``).
- ``POST /agents/{agent}/interactions/{id}/accept``, ``/decline`` (``{"offer_seq": N}``: the
  offer answered), ``/complete``: refused (409) when the work is not that agent's.
- ``GET /stats``: queue snapshots per queue and channel, all queues together, agents.
- ``WS /agents/{agent}/desktop?since=N``: the agent's events pushed as JSON, one per message,
  each with its ``seq``; reconnect with ``since=<last seq received>`` to resume without a gap
  or a duplicate (after a restart too).

Commands answer ``{"seq", "repeat", "events"}``. A client that may retry sends an
``Idempotency-Key`` header (it becomes the command's ``command_id``): a retry returns the
original result with ``"repeat": true`` and the header ``Idempotent-Replayed: true``, and
changes nothing. Errors answer ``{"error": <ccrouter error class>, "message": ...}`` with 404
(unknown id), 409 (a conflict with the state: stale offer, not that agent's work, an
idempotency key reused for another request), 422 (invalid input) or 503 (shutting down, the
store failed: retry with the same key).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, FastAPI, Header, Request, WebSocket
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from ccrouter import Router, RouterConfig
from ccrouter.errors import (
    CCRouterError,
    ConcurrencyConflict,
    ConfigError,
    DuplicateId,
    IdempotencyConflict,
    InvalidArgument,
    InvalidTransition,
    LogError,
    RuntimeClosed,
    StaleOffer,
    TimeWentBackwards,
    UnknownId,
)
from ccrouter.events import InteractionOffered
from ccrouter.live import Clock, Subscription
from ccrouter.log.file import Durability
from ccrouter.router import CommandResult

from .tenants import TENANT_NAME, Feed, Tenant, Tenants

__all__ = ["app_from_env", "create_app", "status_of"]

HERE = Path(__file__).resolve().parent
REPLAYED = "Idempotent-Replayed"
"""The response header that marks a retried command's original result."""

_ENCODE = msgspec.json.Encoder().encode

_STATUSES: tuple[tuple[type[CCRouterError], int], ...] = (
    (UnknownId, 404),  # unknown agent, interaction or queue
    (ConcurrencyConflict, 409),  # before LogError: another writer appended first
    (RuntimeClosed, 503),  # shutting down: retry (with the same key) elsewhere or later
    (LogError, 503),  # the store failed; the command changed nothing
    (IdempotencyConflict, 409),
    (InvalidTransition, 409),  # StaleOffer included
    (DuplicateId, 409),
    (TimeWentBackwards, 409),
    (InvalidArgument, 422),
    (ConfigError, 422),
)
"""HTTP status per ccrouter error class, the first that matches in this order."""

# Desktop commands name their agent. A router whose accept/decline/complete take `agent_id=`
# checks it itself (after recalling a retried command); the service checks it too, from
# facts that never change (the offer event, the agent holding the work), so a retry passes.
_ROUTER_CHECKS_AGENT = {
    verb: "agent_id" in inspect.signature(getattr(Router, verb)).parameters
    for verb in ("accept", "decline", "complete")
}


def status_of(exc: CCRouterError) -> int:
    """The HTTP status that answers ``exc`` (500 for an error no client can fix)."""
    for cls, status in _STATUSES:
        if isinstance(exc, cls):
            return status
    return 500


# --- request bodies --------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, not ignored


class LoginBody(_Body):
    """An agent logs in: proficiency per skill, capacity per channel, groups."""

    skills: dict[str, int] = {}
    capacity: dict[str, int] | None = None
    groups: list[str] = []
    budget: int | None = None


class NotReadyBody(_Body):
    """An agent goes not-ready, with a reason code."""

    reason: str = "break"


class SubmitBody(_Body):
    """A new interaction (call, chat, email ...)."""

    interaction_id: str
    channel: str = "voice"
    queue: str = "default"
    skills: dict[str, int] = {}
    priority: float = 0.0
    customer_id: str | None = None
    attributes: dict[str, Any] = {}


class AnswerBody(_Body):
    """An agent's answer to an offer: ``offer_seq`` names the offer (its event's ``seq``, as
    pushed to the desktop); without it, the offer ringing at the agent now."""

    offer_seq: Annotated[int | None, Field(ge=1)] = None


# --- plumbing --------------------------------------------------------------------------------


def _tenant(request: Request, tenant: str) -> Tenant:
    tenants: Tenants = request.app.state.tenants
    return tenants.get(tenant)


def _known_tenant(request: Request, tenant: str) -> Tenant:
    tenants: Tenants = request.app.state.tenants
    return tenants.get(tenant, create=False)


TenantDep = Annotated[Tenant, Depends(_tenant)]
"""A tenant for a command: the first command of a new tenant starts its log."""
KnownTenant = Annotated[Tenant, Depends(_known_tenant)]
"""A tenant for a query: an unknown tenant is a 404 (a query creates nothing)."""
Key = Annotated[str | None, Header(alias="Idempotency-Key")]


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        _ENCODE(body), status_code=status, media_type="application/json", headers=headers
    )


def _result(result: CommandResult) -> Response:
    body = {"seq": result.seq, "repeat": result.repeat, "events": list(result)}
    return _json(body, headers={REPLAYED: "true"} if result.repeat else None)


async def _error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, CCRouterError):  # registered for CCRouterError only
        raise exc
    status = status_of(exc)
    body: dict[str, Any] = {"error": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, StaleOffer):
        body["offer_seq"], body["current"] = exc.offer_seq, exc.current
    return _json(body, status, {"Retry-After": "1"} if status == 503 else None)


api = APIRouter(prefix="/t/{tenant}")


# --- agents ----------------------------------------------------------------------------------


@api.post("/agents/{agent_id}/login")
def login(t: TenantDep, agent_id: str, body: LoginBody, key: Key = None) -> Response:
    """Log an agent in (not ready until ``/ready``)."""
    result = t.live.login(
        agent_id,
        skills=body.skills,
        capacity=body.capacity,
        groups=body.groups,
        budget=body.budget,
        command_id=key,
    )
    return _result(result)


@api.post("/agents/{agent_id}/ready")
def ready(t: TenantDep, agent_id: str, key: Key = None) -> Response:
    """Make an agent available: waiting work is offered to it at once."""
    return _result(t.live.ready(agent_id, command_id=key))


@api.post("/agents/{agent_id}/not-ready")
def not_ready(
    t: TenantDep, agent_id: str, body: NotReadyBody | None = None, key: Key = None
) -> Response:
    """Stop new offers to an agent (work in hand continues)."""
    reason = (body or NotReadyBody()).reason
    return _result(t.live.not_ready(agent_id, reason=reason, command_id=key))


@api.post("/agents/{agent_id}/logout")
def logout(t: TenantDep, agent_id: str, key: Key = None) -> Response:
    """Log an agent out (refused while it is connected to work)."""
    return _result(t.live.logout(agent_id, command_id=key))


@api.get("/agents/{agent_id}")
def agent(t: KnownTenant, agent_id: str) -> Response:
    """An agent now: status, offers ringing, work connected and in wrap-up."""
    return _json(t.live.agent(agent_id))


@api.post("/agents/{agent_id}/interactions/{interaction_id}/{verb}")
def answer(
    t: TenantDep,
    agent_id: str,
    interaction_id: str,
    verb: str,
    body: AnswerBody | None = None,
    key: Key = None,
) -> Response:
    """The agent accepts or declines an offer, or completes its work (``verb``)."""
    if verb not in _ROUTER_CHECKS_AGENT:
        msg = f"verb must be one of accept, decline, complete, got {verb!r}"
        raise InvalidArgument(msg)
    offer_seq = None if body is None else body.offer_seq
    return _result(_answer(t, verb, agent_id, interaction_id, offer_seq, key))


def _answer(
    t: Tenant, verb: str, agent_id: str, iid: str, offer_seq: int | None, key: str | None
) -> CommandResult:
    """Run ``verb`` for ``agent_id`` after checking that the work is that agent's.

    The check reads only what a retry cannot change (the offer event named by ``offer_seq``;
    the agent an interaction went to), so a retried command reaches the router, which
    recognises its key and returns the first result.
    """
    live = t.live
    kwargs: dict[str, Any] = {"command_id": key}
    if verb == "complete":
        holder = live.interaction(iid).agent_id
        if holder != agent_id:
            whose = "no agent's" if holder is None else f"agent {holder!r}'s"
            msg = f"agent {agent_id!r} cannot complete {iid!r}: it is {whose} work"
            raise InvalidTransition(msg)
    else:
        if offer_seq is None:
            view = live.interaction(iid)
            if view.agent_id != agent_id or view.offer_seq is None:
                msg = f"agent {agent_id!r} cannot {verb} {iid!r}: it is not offered to that agent"
                raise InvalidTransition(msg)
            offer_seq = view.offer_seq
        else:
            with live.locked() as router:
                found = (
                    list(router.log.read(offer_seq, offer_seq + 1))
                    if offer_seq <= router.state.last_seq
                    else []
                )
            offer = found[0] if found else None
            if not (
                isinstance(offer, InteractionOffered)
                and offer.interaction_id == iid
                and offer.agent_id == agent_id
            ):
                msg = f"offer_seq {offer_seq} is not an offer of {iid!r} to agent {agent_id!r}"
                raise InvalidTransition(msg)
        kwargs["offer_seq"] = offer_seq
    if _ROUTER_CHECKS_AGENT[verb]:
        kwargs["agent_id"] = agent_id
    return live.run(verb, iid, **kwargs)


# --- interactions ----------------------------------------------------------------------------


@api.post("/interactions")
def submit(t: TenantDep, body: SubmitBody, key: Key = None) -> Response:
    """Queue a new interaction; it is offered to an eligible ready agent at once if any."""
    result = t.live.submit(
        body.interaction_id,
        channel=body.channel,
        queue=body.queue,
        skills=body.skills,
        priority=body.priority,
        customer_id=body.customer_id,
        attributes=body.attributes,
        command_id=key,
    )
    return _result(result)


@api.post("/interactions/{interaction_id}/abandon")
def abandon(t: TenantDep, interaction_id: str, key: Key = None) -> Response:
    """The customer left (hung up, closed the chat) while waiting or ringing."""
    return _result(t.live.abandon(interaction_id, command_id=key))


@api.get("/interactions/{interaction_id}")
def interaction(t: KnownTenant, interaction_id: str) -> Response:
    """An interaction now (``offer_seq``: the offer to answer)."""
    return _json(t.live.interaction(interaction_id))


# --- statistics and state --------------------------------------------------------------------


@api.get("/stats")
def stats(t: KnownTenant) -> Response:
    """Real-time statistics now: each queue and channel, all of them together, the agents."""
    with t.live.locked() as router:
        rt = router.stats
        at = max(t.live.clock(), router.now)  # a clock behind the router: the router's time
        body = {
            "at": at,
            "version": router.state.last_seq,
            "total": rt.queue(at=at),
            "queues": [rt.queue(q, ch, at=at) for q, ch in rt.queue_keys()],
            "agents": rt.agents(at=at),
        }
    return _json(body)


@api.get("")
def tenant_state(t: KnownTenant) -> Response:
    """The tenant's log version, time and next timer."""
    live = t.live
    return _json(
        {"tenant": t.name, "version": live.version, "now": live.now, "next_due": live.next_due()}
    )


# --- the agent desktop -----------------------------------------------------------------------


@api.websocket("/agents/{agent_id}/desktop")
async def desktop(
    websocket: WebSocket, tenant: str, agent_id: str, since: int | None = None
) -> None:
    """Push the agent's events (offers, accepts, wrap-ups, status changes) as they are
    acknowledged, in log order.

    The first message is ``{"type": "subscribed", "since": N}``: events after seq ``N`` follow.
    A desktop keeps the ``seq`` of the last event it handled and reconnects with
    ``?since=<seq>``. The server closes with 1012 when it shuts down and 1013 when the
    desktop fell too far behind; an invalid request gets an error message and a close code
    4000 + the HTTP status (4404, 4422 ...).
    """
    await websocket.accept()
    tenants: Tenants = websocket.app.state.tenants
    feed = Feed(asyncio.get_running_loop())
    try:
        t = await run_in_threadpool(functools.partial(tenants.get, tenant, create=False))
        sub, since = await run_in_threadpool(_subscribe, t, feed, agent_id, since)
    except CCRouterError as exc:
        status = status_of(exc)
        await websocket.send_text(
            _ENCODE({"type": "error", "error": type(exc).__name__, "message": str(exc)}).decode()
        )
        await websocket.close(code=4000 + status, reason=str(exc)[:120])
        return
    t.attach(feed)
    try:
        hello = {"type": "subscribed", "agent_id": agent_id, "since": since}
        await websocket.send_text(_ENCODE(hello).decode())
        await _pump(websocket, feed)
    finally:
        sub.close()
        t.detach(feed)


def _subscribe(t: Tenant, feed: Feed, agent_id: str, since: int | None) -> tuple[Subscription, int]:
    """Subscribe ``feed`` to the agent's events after ``since``; return the subscription and
    where its stream starts. "From now on" (``since=None``) is made explicit (the log's
    version), so that the first message can say where the stream starts: the subscription's
    own position moves as soon as events arrive."""
    if since is None:
        since = t.live.version
    return t.live.subscribe(feed.push, agent=agent_id, since=since), since


async def _pump(websocket: WebSocket, feed: Feed) -> None:
    """Send the feed's events until it ends or the client goes; read (and ignore) what the
    client sends, so that its disconnect is noticed at once."""

    async def send() -> None:
        while (event := await feed.queue.get()) is not None:
            await websocket.send_text(_ENCODE(event).decode())
        await websocket.close(code=1013 if feed.overflowed else 1012)

    async def receive() -> None:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    tasks = [asyncio.create_task(send()), asyncio.create_task(receive())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            # The client went while a message was on its way: nothing to tell anyone.
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await task


# --- the application -------------------------------------------------------------------------


def create_app(
    data_dir: str | os.PathLike[str],
    *,
    config: RouterConfig | None = None,
    clock: Clock = time.time,
    durability: Durability = "fsync",
    backend: str | None = None,
) -> FastAPI:
    """The service as an ASGI application.

    Args:
        data_dir: the directory of the tenants' SQLite logs; the tenants found there are
            opened (replayed) at start-up, so their timers run and desktops can resume.
        config: every tenant's routing configuration (default: ``RouterConfig()``).
        clock: the time source (``time.time``; inject a fake one in tests).
        durability: the logs' durability (``"fsync"``: an acknowledged command survives a
            power cut).
        backend: the routers' selection backend (``None``: the default).
    """
    tenants = Tenants(
        Path(data_dir),
        config=config if config is not None else RouterConfig(),
        clock=clock,
        durability=durability,
        backend=backend,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for path in sorted(tenants.data_dir.glob("*.db")):
            if TENANT_NAME.fullmatch(path.stem):
                await run_in_threadpool(tenants.get, path.stem)
        try:
            yield
        finally:
            await run_in_threadpool(tenants.close)

    app = FastAPI(title="ccrouter example service", lifespan=lifespan)
    app.state.tenants = tenants
    app.include_router(api)
    app.add_exception_handler(CCRouterError, _error)
    return app


def app_from_env() -> FastAPI:
    """The service for ``uvicorn --factory examples.service.app:app_from_env``.

    Environment: ``CCROUTER_SERVICE_DATA`` (the data directory, default ``service-data``),
    ``CCROUTER_SERVICE_CONFIG`` (a router config in TOML, default this example's
    ``config.toml``).
    """
    config = RouterConfig.from_toml(os.environ.get("CCROUTER_SERVICE_CONFIG", HERE / "config.toml"))
    return create_app(os.environ.get("CCROUTER_SERVICE_DATA", "service-data"), config=config)
