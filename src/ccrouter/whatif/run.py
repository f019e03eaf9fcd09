"""What-if replay's run: a recorded log's inputs and modelled reactions fed to a fresh router.

:class:`Run` re-plays a :class:`~ccrouter.whatif.model.Recording` under another config in
time order: the inputs at their recorded times, the agents' reactions re-timed relative to
the new decisions (an offer's answer from the offer, a leg's completion or transfer from the
leg's start, a consult's answer from the consult). :func:`ccrouter.whatif.compare.whatif` is the
entry point; the rules are in ``docs/routing.md`` ("What-if replay").
"""

from __future__ import annotations

import heapq
import math
from typing import Literal, NamedTuple

from ccrouter.commands import (
    Abandon,
    AcceptTransfer,
    DeclineTransfer,
    Login,
    Logout,
    Reconfigure,
    RequestCallback,
    Update,
)
from ccrouter.config import RouterConfig
from ccrouter.errors import CCRouterError
from ccrouter.events import (
    Event,
    InteractionCompleted,
    InteractionOffered,
    InteractionTransferred,
    OfferAccepted,
    TransferAccepted,
    TransferOffered,
)
from ccrouter.router import Router
from ccrouter.whatif.model import Act, ConfigChanges, RecordedInput, Recording, SkippedInput

__all__ = ["LOGOUT_PENDING", "Run"]

LOGOUT_PENDING = "logout_pending"
"""The not-ready reason of an agent whose recorded logout came while it was still connected
under the new config: it logs out when its last connected interaction completes."""

_INF = math.inf


class _Reaction(NamedTuple):
    """A modelled reaction the run makes at its time."""

    kind: Literal["accept", "decline", "act", "answer", "end"]
    """``accept``/``decline``: an offer (``ref``: its seq in the run); ``act``: the action
    ``act`` of leg ``leg`` (``None``: complete after the mean talk time); ``answer``: the
    consulted agent's answer to the consult ``act`` (``ref``: its seq in the run); ``end``:
    the fallback completion of leg ``leg``."""
    iid: str
    leg: int = 0
    ref: int = 0
    act: Act | None = None
    cid: str | None = None


class Run:
    """Feeds the inputs and the modelled reactions to a fresh router, in time order.

    Scheduled actions are ordered by (time, recorded seq): actions with a recorded
    counterpart at the same time keep the recorded order; new ones come after. Router timers
    due by an action's time fire first, as they do in the live router.
    """

    def __init__(
        self,
        rec: Recording,
        config: RouterConfig,
        until: float,
        backend: str | None,
        config_changes: ConfigChanges,
    ) -> None:
        self.rec, self.until, self.config_changes = rec, until, config_changes
        self.router = Router(config, backend=backend)
        self.heap: list[tuple[float, float, int, RecordedInput | _Reaction]] = []
        self.counter = 0
        self.offers_made: dict[tuple[str, str], int] = {}
        self.current_offer: dict[str, int] = {}
        self.leg_of: dict[str, int] = {}
        """Interaction -> its current leg in the run (its connections so far, minus one)."""
        self.consult_of: dict[str, int] = {}  # interaction -> seq of its last consult offer
        self.leaving: dict[str, str | None] = {}  # agent -> command id of its logout
        self.skipped: list[SkippedInput] = []
        for inp in rec.inputs:
            self.push(inp.at, inp.seq, inp)

    def push(self, at: float, order: float, action: RecordedInput | _Reaction) -> None:
        # A reaction to what a command's own due timers did cannot come before the command.
        at = max(at, self.router.state.now)
        self.counter += 1
        heapq.heappush(self.heap, (at, order, self.counter, action))

    def go(self) -> list[Event]:
        router, heap, until = self.router, self.heap, self.until
        while True:
            t_action = heap[0][0] if heap and heap[0][0] <= until else _INF
            t_timer = self.next_timer(t_action)
            if t_timer == t_action == _INF:
                break
            # A command that carried an id and fired due timers when recorded fires them
            # itself again: they belong to its batch (CommandRecorded counts them).
            own = self.rec.own_timers.get(heap[0][1]) if t_action < _INF else None
            if t_timer <= t_action and (own is None or t_timer < own):
                self.react(router.advance(at=t_timer))
            else:
                at, _, _, action = heapq.heappop(heap)
                self.react(self.do(at, action))
        return router.events

    def next_timer(self, t_action: float) -> float:
        """When the router's next timer fires in the run (``inf``: not before it stops).

        One due at the very end fires if an action comes then too, if the log went on past
        it, or if the log shows a timer acting on its interaction then: the log's last
        command may have set a timer due at once, which nothing came to fire."""
        timer = self.router.state.next_timer()
        if timer is None:
            return _INF
        due, until, rec = timer[0], self.until, self.rec
        if due < until or (
            due == until and (t_action == until or until < rec.end or timer[3] in rec.timed_at_end)
        ):
            return due
        return _INF

    # --- actions ------------------------------------------------------------------------------

    def do(self, at: float, action: RecordedInput | _Reaction) -> list[Event]:
        if isinstance(action, RecordedInput):
            return self.do_input(action)
        if action.kind == "act":
            return self.do_act(at, action)
        if action.kind == "answer":
            return self.answer_consult(at, action)
        if action.kind == "end":
            return self.end_leg(action.iid, action.leg, at)
        return self.answer_offer(at, action)

    def do_input(self, inp: RecordedInput) -> list[Event]:
        r, cmd, at = self.router, inp.command, inp.at
        if cmd is None:
            return r.advance(at=at, command_id=inp.command_id)
        state = r.state
        if isinstance(cmd, Reconfigure) and self.config_changes == "drop":
            self.skip(inp, "config change dropped: the what-if config stays in force")
            return []
        if isinstance(cmd, Abandon):
            waiting = state.interactions.get(cmd.interaction_id)
            if waiting is None or waiting.status not in ("queued", "offered"):
                return []  # answered earlier under the new config: the customer stays
        elif isinstance(cmd, Update | RequestCallback) and cmd.interaction_id in state.interactions:
            status = state.interactions[cmd.interaction_id].status
            live = (
                ("queued",)
                if isinstance(cmd, RequestCallback)
                else ("queued", "offered", "connected")
            )
            if status not in live:
                self.skip(inp, f"{cmd.interaction_id} already {status}: {inp.kind} dropped")
                return []
        elif isinstance(cmd, Logout):
            agent = state.agents[cmd.agent_id]
            if agent.connected:
                self.leaving[cmd.agent_id] = inp.command_id
                busy = ", ".join(sorted(agent.connected))
                self.skip(inp, f"connected to {busy}: not ready, logout when it completes")
                return r.not_ready(cmd.agent_id, reason=LOGOUT_PENDING, at=at)
        elif isinstance(cmd, Login) and cmd.agent_id in self.leaving:
            del self.leaving[cmd.agent_id]
            self.skip(inp, "still logged in (its logout was pending): login dropped")
            return []
        try:
            return r.execute(cmd, at=at, command_id=inp.command_id)
        except CCRouterError as exc:
            self.skip(inp, str(exc))
            return []

    def answer_offer(self, at: float, a: _Reaction) -> list[Event]:
        # Only the very offer it answers, if it still rings (the loop fired due timers
        # first: an offer expiring now has timed out).
        interaction = self.router.state.interactions[a.iid]
        if interaction.status != "offered" or self.current_offer.get(a.iid) != a.ref:
            return []
        try:
            if a.kind == "accept":
                return self.router.accept(a.iid, at=at, command_id=a.cid)
            return self.router.decline(a.iid, at=at, command_id=a.cid)
        except CCRouterError:  # its offer expires right now: the timer fires first
            return []

    def do_act(self, at: float, a: _Reaction) -> list[Event]:
        """Leg ``a.leg``'s agent completes or transfers, if the leg still lasts."""
        iid, act = a.iid, a.act
        if not self.in_leg(iid, a.leg):
            if act is not None and act.command is not None:
                self.skip_act(act.seq, at, act.kind, f"{iid} is no longer connected in that leg")
            return []
        if act is None or act.command is None:
            return self.complete(iid, at, a.cid, act)
        try:
            events = self.router.execute(act.command, at=at, command_id=a.cid)
        except CCRouterError as exc:
            return self.transfer_failed(at, a, act, str(exc))
        for e in events:
            if isinstance(e, TransferOffered):
                self.consulted(e, a.leg, act)
        return events

    def transfer_failed(self, at: float, a: _Reaction, act: Act, why: str) -> list[Event]:
        """A recorded transfer that cannot be made: the leg ends in a completion by the agent
        holding it, at the time the leg ended in the log (re-timed); a consult that was not
        accepted in the log moved nothing there either."""
        answer = act.answer
        if answer is None:  # blind: the leg ended with it
            self.skip_act(act.seq, at, act.kind, f"{why}: the agent completes it instead")
            return self.end_leg(a.iid, a.leg, at)
        if answer.kind == "accept":
            self.skip_act(act.seq, at, act.kind, f"{why}: the agent completes it when the "
                          "consulted agent took over in the log")  # fmt: skip
            self.push(at + (answer.at - act.at), _INF, _Reaction("end", a.iid, a.leg))
        else:
            self.skip_act(act.seq, at, act.kind, f"{why}: it moved nothing in the log either")
        return []

    def answer_consult(self, at: float, a: _Reaction) -> list[Event]:
        """The consulted agent's recorded answer, if its consult is still pending."""
        iid, act = a.iid, a.act
        assert act is not None and act.answer is not None
        accept = act.answer.kind == "accept"
        pending = self.router.state.interactions[iid].consult is not None
        why = f"the consult of {iid} already ended"
        if pending and self.consult_of.get(iid) == a.ref:
            cmd = (AcceptTransfer if accept else DeclineTransfer)(interaction_id=iid)
            try:
                return self.router.execute(cmd, at=at, command_id=a.cid)
            except CCRouterError as exc:
                why = str(exc)
        if not accept:
            return []  # nothing moves either way
        self.skip_act(act.answer.seq, at, "accept_transfer", f"{why}: the agent completes it")
        return self.end_leg(iid, a.leg, at)

    def end_leg(self, iid: str, leg: int, at: float) -> list[Event]:
        """The fallback of a transfer that could not be made: the agent holding ``leg``
        completes the interaction now (its pending consult ended first)."""
        if not self.in_leg(iid, leg):
            return []
        out: list[Event] = []
        if self.router.state.interactions[iid].consult is not None:
            try:
                out += self.router.decline_transfer(iid, at=at)
            except CCRouterError:
                return out  # (it expires right now: its timer ends it)
        return out + self.complete(iid, at, None, None)

    def complete(self, iid: str, at: float, cid: str | None, act: Act | None) -> list[Event]:
        try:
            return self.router.complete(iid, at=at, command_id=cid)
        except CCRouterError as exc:  # paused by channel rules the log did not meet
            seq = 0 if act is None else act.seq
            self.skip_act(seq, at, "complete", str(exc))
            return []

    def in_leg(self, iid: str, leg: int) -> bool:
        connected = self.router.state.interactions[iid].status == "connected"
        return connected and self.leg_of.get(iid) == leg

    def skip(self, inp: RecordedInput, reason: str) -> None:
        self.skip_act(inp.seq, inp.at, inp.kind, reason)

    def skip_act(self, seq: int, at: float, kind: str, reason: str) -> None:
        self.skipped.append(SkippedInput(seq=seq, at=at, kind=kind, reason=reason))

    # --- reactions ----------------------------------------------------------------------------

    def react(self, events: list[Event]) -> None:
        for e in events:
            match e:
                case InteractionOffered():
                    self.offered(e)
                case OfferAccepted():
                    self.connected(e.interaction_id, e.at)
                case TransferAccepted():
                    self.connected(e.interaction_id, e.at)
                    self.released(e.agent_id, e.at)
                case InteractionCompleted() | InteractionTransferred():
                    self.released(e.agent_id, e.at)

    def offered(self, e: InteractionOffered) -> None:
        iid, aid = e.interaction_id, e.agent_id
        self.current_offer[iid] = e.seq
        key = (iid, aid)
        k = self.offers_made.get(key, 0)
        self.offers_made[key] = k + 1
        if self.router.config.auto_accept:
            return
        recorded = self.rec.responses.get(key, [])
        if k < len(recorded):
            resp = recorded[k]
            if resp.kind == "none":
                return  # it rang unanswered in the log: the agent does not answer
            at, order = self.retime(e.at, resp.offer_at, resp.at, resp.seq)
            self.push(at, order, _Reaction(resp.kind, iid, ref=e.seq, cid=self.cid(order)))
        else:
            leg = self.leg_of.get(iid, -1) + 1
            at = e.at + self.rec.ring_delay(iid, aid, leg)
            self.push(at, _INF, _Reaction("accept", iid, ref=e.seq))

    def connected(self, iid: str, at: float) -> None:
        """A new leg: its recorded actions follow after their recorded times from its start;
        a leg the log never reached completes after the queue's mean talk time."""
        leg = self.leg_of.get(iid, -1) + 1
        self.leg_of[iid] = leg
        legs = self.rec.legs.get(iid, [])
        if leg < len(legs):  # (no actions: still talking at the log's end)
            recorded = legs[leg]
            for act in recorded.acts:
                t, order = self.retime(at, recorded.start, act.at, act.seq)
                self.push(t, order, _Reaction("act", iid, leg, act=act, cid=self.cid(order)))
            return
        talk = self.rec.mean_talk(self.rec.queued[iid].queue)
        if talk is not None:
            self.push(at + talk, _INF, _Reaction("act", iid, leg))

    def consulted(self, e: TransferOffered, leg: int, act: Act) -> None:
        self.consult_of[e.interaction_id] = e.seq
        answer = act.answer
        assert answer is not None
        if answer.kind != "none":  # else it times out or is revoked, as in the log
            at, order = self.retime(e.at, act.at, answer.at, answer.seq)
            reaction = _Reaction("answer", e.interaction_id, leg, e.seq, act, self.cid(order))
            self.push(at, order, reaction)

    def released(self, aid: str, at: float) -> None:
        """An agent let go of an interaction: its pending logout happens once it holds none."""
        if aid in self.leaving and not self.router.state.agents[aid].connected:
            cid = self.leaving.pop(aid)
            self.react(self.router.logout(aid, at=at, command_id=cid))

    def cid(self, order: float) -> str | None:
        """The recorded command id of the reaction at recorded seq ``order`` (none for a
        reaction not at its recorded time: it is not the recorded command)."""
        return self.rec.reaction_ids.get(int(order)) if order != _INF else None

    @staticmethod
    def retime(now: float, then: float, recorded_at: float, seq: int) -> tuple[float, float]:
        """The time of a reaction recorded at ``recorded_at`` after a cause at ``then``, now
        that the cause happens at ``now`` (exactly the recorded time when ``now == then``),
        and its order key."""
        if now == then:
            return recorded_at, seq
        return now + (recorded_at - then), _INF
