"""The example service (examples/service) through a real server and real clients: desktops
get their offers pushed and answer them, retries return the first result flagged as a
repeat, errors map to their HTTP statuses, many clients at once leave a log that replays to
the same state, and a restart in the middle loses no acknowledged command and delivers each
desktop event once.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from servicetools import (
    DEADLINE,
    Desktop,
    FakeClock,
    Server,
    call,
    log_events,
    names_agent,
    replayed_digest,
    settle,
    wait_for,
)
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from ccrouter.events import InteractionQueued, OfferAccepted, encode_json


def _login(client: httpx.Client, tenant: str, agent: str, **body: Any) -> None:
    for step, payload in (("login", {"skills": {}, **body}), ("ready", None)):
        r = client.post(f"/t/{tenant}/agents/{agent}/{step}", json=payload)
        assert r.status_code == 200, r.text


def _submit(client: httpx.Client, tenant: str, iid: str, key: str | None = None) -> httpx.Response:
    headers = {} if key is None else {"Idempotency-Key": key}
    body = {"interaction_id": iid, "channel": "voice", "queue": "support"}
    return client.post(f"/t/{tenant}/interactions", json=body, headers=headers)


def test_an_offer_is_pushed_to_the_desktop_then_accepted(tmp_path: Path) -> None:
    with Server(tmp_path) as server, httpx.Client(base_url=server.url, timeout=DEADLINE) as c:
        _login(c, "acme", "ann")
        _login(c, "acme", "bob")  # bob's events must not reach ann's desktop
        url = f"{server.ws_url}/t/acme/agents/ann/desktop"
        with connect(url, open_timeout=DEADLINE) as ws:
            hello = json.loads(ws.recv(timeout=DEADLINE))
            version = c.get("/t/acme").json()["version"]  # nothing ran since it connected
            assert hello == {"type": "subscribed", "agent_id": "ann", "since": version}
            assert _submit(c, "acme", "c1").status_code == 200  # longest idle: ann
            assert _submit(c, "acme", "c2").status_code == 200  # bob
            offer = json.loads(ws.recv(timeout=DEADLINE))
            assert offer["type"] == "interaction_offered"
            assert (offer["interaction_id"], offer["agent_id"]) == ("c1", "ann")
            assert c.get("/t/acme/interactions/c1").json()["offer_seq"] == offer["seq"]

            # Not ann's offer: refused, whoever names it.
            bob_takes = c.post("/t/acme/agents/bob/interactions/c1/accept")
            assert bob_takes.status_code == 409, bob_takes.text
            assert bob_takes.json()["error"] == "InvalidTransition"
            wrong_seq = {"offer_seq": offer["seq"] + 2}  # c2's offer, to bob
            r = c.post("/t/acme/agents/ann/interactions/c1/accept", json=wrong_seq)
            assert r.status_code == 409, r.text

            r = c.post(
                "/t/acme/agents/ann/interactions/c1/accept", json={"offer_seq": offer["seq"]}
            )
            assert r.status_code == 200, r.text
            assert [e["type"] for e in r.json()["events"]] == ["offer_accepted"]
            pushed = json.loads(ws.recv(timeout=DEADLINE))
            assert (pushed["type"], pushed["seq"]) == ("offer_accepted", r.json()["seq"])
            assert c.get("/t/acme/agents/ann").json()["connected"] == ["c1"]

            assert c.post("/t/acme/agents/bob/interactions/c1/complete").status_code == 409
            r = c.post("/t/acme/agents/ann/interactions/c1/complete")
            assert r.status_code == 200, r.text
            assert json.loads(ws.recv(timeout=DEADLINE))["type"] == "interaction_completed"


def test_errors_map_to_http_statuses_with_the_error_message(tmp_path: Path) -> None:
    with Server(tmp_path) as server, httpx.Client(base_url=server.url, timeout=DEADLINE) as c:
        fresh = c.get("/t/acme/stats")  # a query creates no tenant
        assert (fresh.status_code, fresh.json()["error"]) == (404, "UnknownId")
        assert "tenant 'acme'" in fresh.json()["message"]
        assert not (tmp_path / "acme.db").exists()
        _login(c, "acme", "ann")  # a command does
        unknown = c.get("/t/acme/agents/nobody")
        assert unknown.status_code == 404
        assert unknown.json()["error"] == "UnknownAgent"
        assert "nobody" in unknown.json()["message"]
        assert c.post("/t/acme/agents/nobody/ready").status_code == 404
        assert c.get("/t/acme/interactions/nothing").status_code == 404
        r = c.post("/t/acme/interactions", json={"interaction_id": "x", "queue": "nowhere"})
        assert (r.status_code, r.json()["error"]) == (404, "UnknownQueue")

        assert _submit(c, "acme", "c1").status_code == 200
        again = _submit(c, "acme", "c1")  # the same id without a key: a second interaction
        assert (again.status_code, again.json()["error"]) == (409, "DuplicateId")
        offer_seq = c.get("/t/acme/interactions/c1").json()["offer_seq"]
        r = c.post("/t/acme/agents/ann/logout")  # c1 rings at ann: logout revokes it ...
        assert r.status_code == 200, r.text
        answer = {"offer_seq": offer_seq}
        stale = c.post("/t/acme/agents/ann/interactions/c1/accept", json=answer)
        assert stale.status_code == 409  # ... so its offer is gone
        assert stale.json()["error"] == "StaleOffer"
        assert (stale.json()["offer_seq"], stale.json()["current"]) == (offer_seq, None)

        bad = c.post("/t/acme/agents/ann/login", json={"skills": {"en": "lots"}})
        assert bad.status_code == 422  # the framework's own validation
        bad = c.post("/t/acme/agents/ann/login", json={"skills": {}, "capacity": {"voice": -1}})
        assert (bad.status_code, bad.json()["error"]) == (422, "InvalidArgument")
        assert "capacity" in bad.json()["message"]
        assert c.post("/t/acme/agents/ann/interactions/c1/shout").status_code == 422

        # A desktop asking to resume from a seq the log has not reached: told why, then closed.
        url = f"{server.ws_url}/t/acme/agents/ann/desktop?since=1000"
        with connect(url, open_timeout=DEADLINE) as ws:
            refused = json.loads(ws.recv(timeout=DEADLINE))
            assert (refused["type"], refused["error"]) == ("error", "InvalidArgument")
            assert "since=1000" in refused["message"]
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=DEADLINE)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4422
        assert c.get("/t/Not..A..Tenant/agents/ann").status_code == 422


def test_a_retry_returns_the_first_result_flagged_as_a_repeat(tmp_path: Path) -> None:
    clock = FakeClock(1_000.0)
    with (
        Server(tmp_path, clock=clock) as server,
        httpx.Client(base_url=server.url, timeout=DEADLINE) as c,
    ):
        _login(c, "acme", "ann")
        _login(c, "acme", "bob")
        first = _submit(c, "acme", "c1", key="req-1")
        assert first.status_code == 200
        assert first.json()["repeat"] is False
        assert "Idempotent-Replayed" not in first.headers
        version = c.get("/t/acme").json()["version"]

        clock.now = 1_060.0  # the retry arrives a minute later: the server's `at` differs
        retry = _submit(c, "acme", "c1", key="req-1")
        assert retry.status_code == 200
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert retry.json()["repeat"] is True
        assert retry.json()["events"] == first.json()["events"]  # the first result, at 1000
        assert retry.json()["seq"] == first.json()["seq"]
        assert c.get("/t/acme").json()["version"] == version  # nothing appended

        other = _submit(c, "acme", "c2", key="req-1")  # the key reused for another request
        assert (other.status_code, other.json()["error"]) == (409, "IdempotencyConflict")

        # A desktop's answers too: a declined offer goes to bob, and ann's retried decline
        # (its response lost) is still recognised, not refused as no longer hers.
        offer_seq = c.get("/t/acme/interactions/c1").json()["offer_seq"]
        decline = {"offer_seq": offer_seq}
        path = "/t/acme/agents/ann/interactions/c1/decline"
        d1 = c.post(path, json=decline, headers={"Idempotency-Key": "dec-1"})
        assert d1.status_code == 200, d1.text
        assert c.get("/t/acme/interactions/c1").json()["agent_id"] == "bob"
        clock.now = 1_070.0
        d2 = c.post(path, json=decline, headers={"Idempotency-Key": "dec-1"})
        assert (d2.status_code, d2.json()["repeat"]) == (200, True), d2.text
        assert d2.json()["events"] == d1.json()["events"]
        no_key = c.post(path, json=decline)  # without the key it is a new, stale answer
        assert no_key.status_code == 409
        for verb in ("accept", "complete"):  # bob's, each retried later
            bob = f"/t/acme/agents/bob/interactions/c1/{verb}"
            done = c.post(bob, headers={"Idempotency-Key": f"bob-{verb}"})
            assert (done.status_code, done.json()["repeat"]) == (200, False), done.text
            clock.now += 5
            again = c.post(bob, headers={"Idempotency-Key": f"bob-{verb}"})
            assert (again.status_code, again.json()["repeat"]) == (200, True), again.text
            assert again.json()["events"] == done.json()["events"]

    # After a restart, the retry is still recognised (the log remembers the key).
    clock.now = 1_080.0
    with Server(tmp_path, clock=clock) as server:
        r = httpx.post(
            f"{server.url}/t/acme/interactions",
            json={"interaction_id": "c1", "channel": "voice", "queue": "support"},
            headers={"Idempotency-Key": "req-1"},
            timeout=DEADLINE,
        )
        assert (r.status_code, r.json()["repeat"]) == (200, True)
        assert r.json()["events"] == first.json()["events"]


def test_many_clients_at_once_leave_a_log_that_replays_to_the_same_state(
    tmp_path: Path,
) -> None:
    tenants, agents, per_tenant, submitters = ("acme", "globex"), 5, 24, 3
    with Server(tmp_path) as server:
        desktops = []
        with httpx.Client(base_url=server.url, timeout=DEADLINE) as c:
            for tenant in tenants:
                for n in range(agents):
                    _login(c, tenant, f"agent-{n}")
                    desk = Desktop(server, tenant, f"agent-{n}")
                    desk.start()
                    desktops.append(desk)
        for desk in desktops:
            assert desk.subscribed.wait(DEADLINE)

        failures: list[str] = []

        def submit_all(tenant: str, part: int) -> None:
            with httpx.Client(timeout=DEADLINE) as client:
                for n in range(part, per_tenant, submitters):
                    body = {"interaction_id": f"i{n}", "channel": "voice", "queue": "support"}
                    r = client.post(f"{server.url}/t/{tenant}/interactions", json=body)
                    if r.status_code != 200:  # no retry here: any error is a failure
                        failures.append(f"{tenant} i{n}: {r.status_code} {r.text}")

        threads = [
            threading.Thread(target=submit_all, args=(t, p))
            for t in tenants
            for p in range(submitters)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(DEADLINE)
        wait_for(
            lambda: sum(len(d.handled) for d in desktops) >= len(tenants) * per_tenant,
            "every interaction to be handled",
        )
        settle(server, desktops)
        assert failures == []
        assert [p for d in desktops for p in d.problems] == []
        digests = {}
        for tenant in tenants:
            with server.live(tenant).locked() as router:
                digests[tenant] = router.state_digest()
                stats = router.stats.queue("support", at=router.now)
            assert (stats.offered, stats.answered, stats.handled) == (per_tenant,) * 3
            served = c_get(server, f"/t/{tenant}/stats")
            assert served["total"]["handled"] == per_tenant
            assert served["agents"]["by_status"]["ready"] == agents
    for tenant in tenants:
        events = log_events(tmp_path / f"{tenant}.db")
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        accepted = Counter(e.interaction_id for e in events if isinstance(e, OfferAccepted))
        assert accepted == {f"i{n}": 1 for n in range(per_tenant)}
        assert replayed_digest(tmp_path / f"{tenant}.db") == digests[tenant]
    for desk in desktops:  # each desktop saw each of its agent's events once, in order
        mine = [
            e.seq for e in log_events(tmp_path / f"{desk.tenant}.db") if names_agent(e, desk.agent)
        ]
        assert desk.seqs == [s for s in mine if s > desk.hellos[0]]


def c_get(server: Server, path: str) -> Any:
    r = httpx.get(server.url + path, timeout=DEADLINE)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_restart_in_the_middle_loses_nothing_acknowledged(tmp_path: Path) -> None:
    total, half = 30, 10
    server = Server(tmp_path).start()
    with httpx.Client(base_url=server.url, timeout=DEADLINE) as c:
        _login(c, "acme", "ann")
        _login(c, "acme", "bob")
        desktops = [Desktop(server, "acme", agent) for agent in ("ann", "bob")]
        for desk in desktops:
            desk.start()
            assert desk.subscribed.wait(DEADLINE)
        # A request whose answer the client never read: its retry after the restart must be
        # recognised (lost responses are what keys are for).
        lost = _submit(c, "acme", "lost-1", key="submit-lost-1")
        assert lost.status_code == 200

    acked: dict[str, dict[str, Any]] = {}
    halfway, stopping = threading.Event(), threading.Event()

    def submitter() -> None:
        with httpx.Client(timeout=DEADLINE) as client:
            for n in range(total):
                if n == half:
                    halfway.set()
                    stopping.wait(DEADLINE)  # the rest go while the server stops and restarts
                body = {"interaction_id": f"i{n}", "channel": "voice", "queue": "support"}
                path = "/t/acme/interactions"
                r = call(client, server, "POST", path, json_body=body, key=f"submit-{n}")
                assert r.status_code == 200, r.text
                acked[f"i{n}"] = r.json()

    thread = threading.Thread(target=submitter)
    thread.start()
    assert halfway.wait(DEADLINE)
    stopping.set()
    server.stop()
    server.start()  # the same data directory, a new app: the log is replayed
    thread.join(DEADLINE)
    assert len(acked) == total

    with httpx.Client(base_url=server.url, timeout=DEADLINE) as c:
        retry = _submit(c, "acme", "lost-1", key="submit-lost-1")
        assert (retry.status_code, retry.json()["repeat"]) == (200, True)
        assert retry.json()["events"] == lost.json()["events"]
        wait_for(
            lambda: sum(len(d.handled) for d in desktops) >= total + 1,
            "every interaction to be handled",
        )
        settle(server, desktops)
        assert [p for d in desktops for p in d.problems] == []
        for n in range(total):
            assert c.get(f"/t/acme/interactions/i{n}").json()["status"] == "completed"
        with server.live("acme").locked() as router:
            digest = router.state_digest()
    server.stop()

    events = log_events(tmp_path / "acme.db")
    stored = {e.seq: json.loads(encode_json(e)) for e in events}
    for answer in acked.values():  # every acknowledged command is in the log as answered
        for event in answer["events"]:
            assert stored[event["seq"]] == event
    queued = Counter(e.interaction_id for e in events if isinstance(e, InteractionQueued))
    assert set(queued.values()) == {1}  # retried submits were not queued twice
    assert len(queued) == total + 1
    for desk in desktops:
        assert len(desk.hellos) >= 2, "the desktop did not reconnect after the restart"
        mine = [e.seq for e in events if names_agent(e, desk.agent)]
        assert desk.seqs == [s for s in mine if s > desk.hellos[0]]  # once each, in order
    assert replayed_digest(tmp_path / "acme.db") == digest


def test_a_timeout_reaches_the_desktop_with_no_request(tmp_path: Path) -> None:
    clock = FakeClock(5_000.0)
    with (
        Server(tmp_path, clock=clock) as server,
        httpx.Client(base_url=server.url, timeout=DEADLINE) as c,
    ):
        _login(c, "acme", "ann")
        with connect(f"{server.ws_url}/t/acme/agents/ann/desktop", open_timeout=DEADLINE) as ws:
            assert json.loads(ws.recv(timeout=DEADLINE))["type"] == "subscribed"
            assert _submit(c, "acme", "c1").status_code == 200
            offer = json.loads(ws.recv(timeout=DEADLINE))
            assert offer["expires_at"] == 5_600.0
            clock.now = 5_700.0  # nobody calls anything: the service's timers fire by themselves
            missed = json.loads(ws.recv(timeout=DEADLINE))
            assert (missed["type"], missed["at"]) == ("offer_timed_out", 5_600.0)
        assert c.get("/t/acme/interactions/c1").json()["declined_by"] == ["ann"]
