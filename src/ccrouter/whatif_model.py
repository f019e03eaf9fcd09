"""What-if replay's model: what a recorded log says, and a run that re-plays it.

:class:`Recording` reads a log: the inputs (with their recorded times, order and command
ids), how agents answered each offer and how long each interaction talked.
:class:`Run` feeds those inputs and the modelled reactions to a fresh
:class:`~ccrouter.Router` in time order. :func:`ccrouter.whatif.whatif` is the entry point;
the rules are in ``docs/routing.md`` ("What-if replay").
"""

from __future__ import annotations

import heapq
import math
from typing import Literal, TypeAlias

import msgspec

from ccrouter.commands import (
    Abandon,
    AddNote,
    Command,
    Login,
    Logout,
    NotReady,
    Ready,
    Reconfigure,
    Submit,
    Update,
)
from ccrouter.config import RouterConfig
from ccrouter.errors import CCRouterError, UnsupportedInput
from ccrouter.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    CallbackRequested,
    CommandRecorded,
    ConfigChanged,
    Event,
    InteractionAbandoned,
    InteractionCompleted,
    InteractionDeadlineSet,
    InteractionExited,
    InteractionNoteAdded,
    InteractionOffered,
    InteractionOverdue,
    InteractionPaused,
    InteractionQueued,
    InteractionReminded,
    InteractionResumed,
    InteractionStepped,
    InteractionTargeted,
    InteractionTargetExpired,
    InteractionTransferred,
    InteractionUpdated,
    OfferAccepted,
    OfferDeclined,
    OfferRevoked,
    OfferTimedOut,
    TransferAccepted,
    TransferDeclined,
    TransferOffered,
    WrapUpEnded,
)
from ccrouter.router import Router

__all__ = [
    "EVENT_ROLES",
    "LOGOUT_PENDING",
    "ConfigChanges",
    "Recording",
    "Role",
    "Run",
    "SkippedInput",
]

Role: TypeAlias = Literal[
    "input", "reaction", "decision", "consequence", "config", "bookkeeping", "unsupported"
]
ConfigChanges: TypeAlias = Literal["drop", "replay"]

EVENT_ROLES: dict[type, Role] = {
    AgentLoggedIn: "input",
    AgentReady: "input",
    # Except the `no_answer` one right after an offer timed out: a consequence.
    AgentNotReady: "input",
    AgentLoggedOut: "input",
    InteractionQueued: "input",
    # Part of the submit it follows; reason `last_agent` (a queue rule): a consequence.
    InteractionTargeted: "input",
    InteractionUpdated: "input",
    InteractionAbandoned: "input",  # patience: applied only if still waiting
    InteractionNoteAdded: "input",
    OfferAccepted: "reaction",
    OfferDeclined: "reaction",
    InteractionCompleted: "reaction",
    InteractionOffered: "decision",
    OfferTimedOut: "consequence",
    OfferRevoked: "consequence",
    WrapUpEnded: "consequence",
    InteractionTargetExpired: "consequence",
    InteractionPaused: "consequence",  # channel rules: interrupting work connected
    InteractionResumed: "consequence",
    # An agent's transfer depends on who holds the interaction when: not modelled yet.
    InteractionTransferred: "unsupported",
    TransferOffered: "unsupported",
    TransferAccepted: "unsupported",
    TransferDeclined: "unsupported",
    # Queue policies: made again by the router's timers (and max_size on submit).
    InteractionStepped: "consequence",
    InteractionExited: "consequence",
    InteractionReminded: "consequence",
    InteractionOverdue: "consequence",
    # A submit's explicit deadline and a customer's callback request are inputs the re-run
    # does not carry yet: such logs are refused rather than replayed wrongly.
    InteractionDeadlineSet: "unsupported",
    CallbackRequested: "unsupported",
    ConfigChanged: "config",  # dropped or replayed: see `config_changes`
    CommandRecorded: "bookkeeping",
}
"""What each event type is to what-if replay.

``input``: came from outside, re-run at its recorded time; ``reaction``: an agent's answer to
a decision (accept, decline, complete), re-timed relative to the new decision; ``decision``:
an offer, made again by the router; ``consequence``: made by the router's timers or by a
logout, made again; ``config``: a recorded config change, dropped (the what-if config stays
in force) or re-applied, as ``config_changes`` says; ``bookkeeping``: command ids (kept so
sequence numbers line up); ``unsupported``: not modelled (transfers), the log is refused.
An event type missing here makes :func:`whatif` raise
:class:`~ccrouter.errors.UnsupportedInput`: a new event type must be classified here first.
"""

LOGOUT_PENDING = "logout_pending"
"""The not-ready reason of an agent whose recorded logout came while it was still connected
under the new config: it logs out when its last connected interaction completes."""

_INF = math.inf


class SkippedInput(msgspec.Struct, frozen=True, kw_only=True):
    """A recorded input the new run could not apply as recorded (and what was done instead)."""

    seq: int
    """The input's event in the recorded log."""
    at: float
    kind: str
    reason: str


# --- reading the recorded log ------------------------------------------------------------------


class _Response:
    """How the agent answered one recorded offer: ``none`` until an accept/decline is seen."""

    __slots__ = ("at", "kind", "offer_at", "seq")

    def __init__(self, offer_at: float) -> None:
        self.offer_at = offer_at
        self.kind: Literal["accept", "decline", "none"] = "none"
        self.at = 0.0
        self.seq = 0


class _Input:
    __slots__ = ("at", "command", "command_id", "kind", "seq")

    def __init__(self, seq: int, at: float, kind: str, command: Command | None) -> None:
        self.seq, self.at, self.kind, self.command = seq, at, kind, command
        self.command_id: str | None = None


class Recording:
    """What what-if replay reads from a log."""

    def __init__(self, events: list[Event]) -> None:
        self.events = events
        self.end = events[-1].at if events else 0.0
        self.inputs: list[_Input] = []
        self.queued: dict[str, InteractionQueued] = {}
        self.responses: dict[tuple[str, str], list[_Response]] = {}
        self.accepted: dict[str, tuple[float, float, int]] = {}  # iid -> (offer at, at, seq)
        self.completed: dict[str, tuple[float, int]] = {}
        self.reaction_ids: dict[int, str] = {}  # seq of a reaction -> its command id
        self.own_timers: dict[float, float] = {}
        """Seq of an input or reaction whose command (with an id) fired due timers in its own
        batch -> the due time of the first: the run lets it fire those again (the earlier
        ones were fired before it), so that the batches match."""
        self._read()

    def _read(self) -> None:
        by_seq: dict[int, _Input] = {}
        submits: dict[str, _Input] = {}
        ringing: dict[str, _Response] = {}
        offer_seq: dict[str, int] = {}
        answers: dict[int, int] = {}  # seq of an accept/decline -> seq of its offer
        prev: Event | None = None
        for e in self.events:
            t = type(e)
            role = EVENT_ROLES.get(t)
            if role is None:
                msg = (
                    f"what-if replay does not know event type {e.kind!r} (seq {e.seq}): "
                    "classify it in ccrouter.whatif.EVENT_ROLES"
                )
                raise UnsupportedInput(msg)
            if role == "unsupported":
                msg = (
                    f"what-if replay does not model {e.kind!r} events yet (seq {e.seq}): "
                    "a transfer depends on who holds the interaction, which the new config "
                    "changes; the log cannot be re-run"
                )
                raise UnsupportedInput(msg)
            inp: _Input | None = None
            if t is InteractionQueued:
                assert isinstance(e, InteractionQueued)
                self.queued[e.interaction_id] = e
                inp = _Input(e.seq, e.at, "submit", _submit(e, None))
                submits[e.interaction_id] = inp
            elif t is InteractionTargeted and e.reason == "last_agent":  # type: ignore[union-attr]
                pass  # the queue's last-agent rule: re-derived under the new config
            elif t is InteractionTargeted:
                assert isinstance(e, InteractionTargeted)
                if e.reason not in ("preferred", "direct"):
                    msg = (
                        f"interaction_targeted (seq {e.seq}) with reason {e.reason!r}: what-if "
                        "replay knows 'preferred' and 'direct' (inputs) and 'last_agent' "
                        "(re-derived)"
                    )
                    raise UnsupportedInput(msg)
                sub = submits.get(e.interaction_id)
                if sub is None or prev is None or prev.seq != sub.seq:
                    msg = (
                        f"interaction_targeted (seq {e.seq}) of {e.interaction_id!r} does not "
                        "follow its submission: what-if replay cannot rebuild it"
                    )
                    raise UnsupportedInput(msg)
                sub.command = _submit(self.queued[e.interaction_id], e)
            elif t is AgentLoggedIn:
                assert isinstance(e, AgentLoggedIn)
                login = Login(
                    agent_id=e.agent_id,
                    skills=dict(e.skills),
                    capacity=dict(e.capacity),
                    budget=e.budget,
                )
                inp = _Input(e.seq, e.at, "login", login)
            elif t is AgentReady:
                assert isinstance(e, AgentReady)
                inp = _Input(e.seq, e.at, "ready", Ready(agent_id=e.agent_id))
            elif t is AgentNotReady:
                assert isinstance(e, AgentNotReady)
                if not (
                    type(prev) is OfferTimedOut
                    and prev.agent_id == e.agent_id
                    and prev.at == e.at
                    and e.reason == "no_answer"
                ):
                    cmd: Command = NotReady(agent_id=e.agent_id, reason=e.reason)
                    inp = _Input(e.seq, e.at, "not_ready", cmd)
            elif t is AgentLoggedOut:
                assert isinstance(e, AgentLoggedOut)
                inp = _Input(e.seq, e.at, "logout", Logout(agent_id=e.agent_id))
            elif t is InteractionUpdated:
                assert isinstance(e, InteractionUpdated)
                cmd = Update(
                    interaction_id=e.interaction_id,
                    priority=e.priority,
                    skills=e.skills,
                    attributes=e.attributes,
                )
                inp = _Input(e.seq, e.at, "update", cmd)
            elif t is InteractionAbandoned:
                assert isinstance(e, InteractionAbandoned)
                inp = _Input(e.seq, e.at, "abandon", Abandon(interaction_id=e.interaction_id))
            elif t is InteractionOffered:
                assert isinstance(e, InteractionOffered)
                response = _Response(e.at)
                self.responses.setdefault((e.interaction_id, e.agent_id), []).append(response)
                ringing[e.interaction_id] = response
                offer_seq[e.interaction_id] = e.seq
            elif t is OfferAccepted or t is OfferDeclined:
                assert isinstance(e, OfferAccepted | OfferDeclined)
                answers[e.seq] = offer_seq.get(e.interaction_id, 0)
                answered = ringing.pop(e.interaction_id, None)
                if answered is not None:
                    answered.kind = "accept" if t is OfferAccepted else "decline"
                    answered.at, answered.seq = e.at, e.seq
                    if t is OfferAccepted:
                        self.accepted[e.interaction_id] = (answered.offer_at, e.at, e.seq)
            elif t is InteractionCompleted:
                assert isinstance(e, InteractionCompleted)
                self.completed[e.interaction_id] = (e.at, e.seq)
            elif t is InteractionNoteAdded:
                assert isinstance(e, InteractionNoteAdded)
                note = AddNote(interaction_id=e.interaction_id, text=e.text)
                inp = _Input(e.seq, e.at, "add_note", note)
            elif t is ConfigChanged:
                assert isinstance(e, ConfigChanged)
                inp = _Input(e.seq, e.at, "reconfigure", Reconfigure(config=e.config))
            elif t is CommandRecorded:
                assert isinstance(e, CommandRecorded)
                self._command_id(e, by_seq, answers)
            if inp is not None:
                self.inputs.append(inp)
                by_seq[inp.seq] = inp
            if t is OfferTimedOut or t is OfferRevoked or t is InteractionAbandoned:
                ringing.pop(e.interaction_id, None)  # type: ignore[union-attr]
            prev = e

    def _command_id(
        self, marker: CommandRecorded, by_seq: dict[int, _Input], answers: dict[int, int]
    ) -> None:
        """Give the command of ``marker``'s batch its id again, so that the what-if log's
        sequence numbers line up with the recorded ones (the ``random`` strategy reads them)."""
        first = marker.seq - marker.events
        batch = range(first, marker.seq)
        inputs = [by_seq[s] for s in batch if s in by_seq]
        if inputs:
            inputs[0].command_id = marker.command_id
            if first < inputs[0].seq:
                self.own_timers[inputs[0].seq] = self._at(first)
            return
        base = self.events[0].seq
        for e in self.events[first - base : marker.seq - base]:
            # An accept made by the router itself (auto-accept) shares its offer's batch.
            if type(e) is InteractionCompleted or (
                type(e) in (OfferAccepted, OfferDeclined) and answers.get(e.seq, 0) < first
            ):
                self.reaction_ids[e.seq] = marker.command_id
                if first < e.seq:
                    self.own_timers[e.seq] = self._at(first)
                return
        # An advance (or a command that changed nothing) carried the id.
        adv = _Input(first, marker.at, "advance", None)
        adv.command_id = marker.command_id
        if marker.events:
            self.own_timers[first] = self._at(first)
        self.inputs.append(adv)

    def _at(self, seq: int) -> float:
        return self.events[seq - self.events[0].seq].at

    # --- behaviour --------------------------------------------------------------------------

    def ring_delay(self, iid: str, agent_id: str) -> float:
        """The delay before accepting an offer with no recorded counterpart."""
        accepted = self.accepted.get(iid)
        if accepted is not None:
            return accepted[1] - accepted[0]
        delays = [
            r.at - r.offer_at
            for (_, aid), rs in self.responses.items()
            if aid == agent_id
            for r in rs
            if r.kind == "accept"
        ]
        if not delays:
            delays = [r.at - r.offer_at for rs in self.responses.values() for r in rs
                      if r.kind == "accept"]  # fmt: skip
        return sum(delays) / len(delays) if delays else 0.0

    def mean_talk(self, queue: str) -> float | None:
        """Mean recorded talk time (accept to complete) of ``queue``, else of the whole log."""
        talks: dict[str, list[float]] = {}
        for iid, (done, _) in self.completed.items():
            talks.setdefault(self.queued[iid].queue, []).append(done - self.accepted[iid][1])
        chosen = talks.get(queue) or [t for ts in talks.values() for t in ts]
        return sum(chosen) / len(chosen) if chosen else None


def _submit(e: InteractionQueued, target: InteractionTargeted | None) -> Submit:
    preferred: list[str] = []
    wait: float | None = None
    direct: str | None = None
    if target is not None:
        if target.reason == "direct" and target.until is None and len(target.agent_ids) == 1:
            direct = target.agent_ids[0]
        else:
            preferred = list(target.agent_ids)
            wait = None if target.until is None else _wait_to(e.at, target.until)
    return Submit(
        interaction_id=e.interaction_id,
        channel=e.channel,
        queue=e.queue,
        skills=dict(e.skills),
        priority=e.priority,
        customer_id=e.customer_id,
        attributes=dict(e.attributes),
        preferred_agents=preferred,
        preferred_wait=wait,
        direct_to=direct,
    )


def _wait_to(at: float, until: float) -> float:
    """A wait ``w`` with ``at + w == until`` exactly (the router computes ``at + w``)."""
    w = until - at
    for _ in range(8):
        got = at + w
        if got == until:
            break
        w = math.nextafter(w, _INF if got < until else -_INF)
    return w


# --- the run -------------------------------------------------------------------------------------


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
        self.heap: list[tuple[float, float, int, tuple[object, ...]]] = []
        self.counter = 0
        self.offers_made: dict[tuple[str, str], int] = {}
        self.current_offer: dict[str, int] = {}
        self.leaving: dict[str, str | None] = {}  # agent -> command id of its logout
        self.skipped: list[SkippedInput] = []
        for inp in rec.inputs:
            self.push(inp.at, inp.seq, ("input", inp))

    def push(self, at: float, order: float, action: tuple[object, ...]) -> None:
        # A reaction to what a command's own due timers did cannot come before the command.
        at = max(at, self.router.state.now)
        self.counter += 1
        heapq.heappush(self.heap, (at, order, self.counter, action))

    def go(self) -> list[Event]:
        router, heap, until = self.router, self.heap, self.until
        while True:
            timer = router.state.next_timer()
            t_timer = timer[0] if timer is not None else _INF
            t_action = heap[0][0] if heap else _INF
            if min(t_timer, t_action) > until:
                break
            # A command that carried an id and fired due timers when recorded fires them
            # itself again: they belong to its batch (CommandRecorded counts them).
            own = self.rec.own_timers.get(heap[0][1]) if t_action <= until else None
            if t_timer <= t_action and (own is None or t_timer < own):
                self.react(router.advance(at=t_timer))
            else:
                at, _, _, action = heapq.heappop(heap)
                self.react(self.do(at, action))
        return router.events

    # --- actions ------------------------------------------------------------------------------

    def do(self, at: float, action: tuple[object, ...]) -> list[Event]:
        r = self.router
        if action[0] == "input":
            inp = action[1]
            assert isinstance(inp, _Input)
            return self.do_input(inp)
        kind, iid, ref, cid = action
        assert isinstance(iid, str) and (cid is None or isinstance(cid, str))
        interaction = r.state.interactions[iid]
        if kind == "complete":
            if interaction.status == "connected" and interaction.agent_id == ref:
                return r.complete(iid, at=at, command_id=cid)
            return []
        # accept / decline: only the very offer they answer, if it still rings (the loop
        # fired due timers first: an offer expiring now has timed out).
        if interaction.status != "offered" or self.current_offer.get(iid) != ref:
            return []
        try:
            if kind == "accept":
                return r.accept(iid, at=at, command_id=cid)
            return r.decline(iid, at=at, command_id=cid)
        except CCRouterError:  # its offer expires right now: the timer fires first
            return []

    def do_input(self, inp: _Input) -> list[Event]:
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
        elif isinstance(cmd, Update) and cmd.interaction_id in state.interactions:
            status = state.interactions[cmd.interaction_id].status
            if status not in ("queued", "offered", "connected"):
                self.skip(inp, f"{cmd.interaction_id} already {status}: update dropped")
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

    def skip(self, inp: _Input, reason: str) -> None:
        self.skipped.append(SkippedInput(seq=inp.seq, at=inp.at, kind=inp.kind, reason=reason))

    # --- reactions ----------------------------------------------------------------------------

    def react(self, events: list[Event]) -> None:
        rec = self.rec
        for e in events:
            t = type(e)
            if t is InteractionOffered:
                assert isinstance(e, InteractionOffered)
                self.offered(e)
            elif t is OfferAccepted:
                assert isinstance(e, OfferAccepted)
                iid = e.interaction_id
                recorded = rec.accepted.get(iid)
                done = rec.completed.get(iid)
                if recorded is not None and done is not None:
                    at, order = self.retime(e.at, recorded[1], done[0], done[1])
                    cid = rec.reaction_ids.get(done[1]) if order == done[1] else None
                    self.push(at, order, ("complete", iid, e.agent_id, cid))
                elif recorded is None:  # never answered in the log: the queue's mean talk
                    talk = rec.mean_talk(rec.queued[iid].queue)
                    if talk is not None:
                        self.push(e.at + talk, _INF, ("complete", iid, e.agent_id, None))
                # answered but not completed in the log: still talking at its end
            elif t is InteractionCompleted:
                assert isinstance(e, InteractionCompleted)
                aid = e.agent_id
                if aid in self.leaving and not self.router.state.agents[aid].connected:
                    cid = self.leaving.pop(aid)
                    self.react(self.router.logout(aid, at=e.at, command_id=cid))

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
            cid = self.rec.reaction_ids.get(resp.seq) if order == resp.seq else None
            self.push(at, order, (resp.kind, iid, e.seq, cid))
        else:
            self.push(e.at + self.rec.ring_delay(iid, aid), _INF, ("accept", iid, e.seq, None))

    @staticmethod
    def retime(now: float, then: float, recorded_at: float, seq: int) -> tuple[float, float]:
        """The time of a reaction recorded at ``recorded_at`` after a cause at ``then``, now
        that the cause happens at ``now`` (exactly the recorded time when ``now == then``),
        and its order key."""
        if now == then:
            return recorded_at, seq
        return now + (recorded_at - then), _INF
