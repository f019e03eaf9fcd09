"""What-if replay's model: what each event is to it, and what a recorded log says.

:data:`EVENT_ROLES` classifies every event type. :class:`Recording` reads a log: the inputs
(with their recorded times, order and command ids), how agents answered each offer and each
consult, and each conversation as a sequence of legs (who was connected when, and how long
until they completed or transferred it). :class:`ccrouter.whatif.run.Run` re-plays it;
:func:`ccrouter.whatif.compare.whatif` is the entry point; the rules are in ``docs/routing.md``
("What-if replay").
"""

from __future__ import annotations

import math
from typing import Any, Literal, TypeAlias

import msgspec

from ccrouter.commands import (
    Abandon,
    AddNote,
    Command,
    ExtendWrapUp,
    Login,
    Logout,
    NotReady,
    Ready,
    Reconfigure,
    RequestCallback,
    Submit,
    Transfer,
    Update,
    UpdateAgent,
)
from ccrouter.errors import UnsupportedInput
from ccrouter.events import (
    AgentAttributesUpdated,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    AgentUpdated,
    CallbackRequested,
    CommandRecorded,
    ConfigChanged,
    Event,
    ExperimentAssigned,
    InteractionAbandoned,
    InteractionClassified,
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
    OutcomeRecorded,
    RepeatContact,
    TransferAccepted,
    TransferDeclined,
    TransferOffered,
    WrapUpEnded,
    WrapUpExtended,
)

__all__ = [
    "EVENT_ROLES",
    "Act",
    "ConfigChanges",
    "Leg",
    "RecordedInput",
    "Recording",
    "Response",
    "Role",
    "SkippedInput",
]

Role: TypeAlias = Literal["input", "reaction", "decision", "consequence", "config", "bookkeeping"]
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
    # `explicit`: part of the submit it follows; else the queue's deadline: a consequence.
    InteractionDeadlineSet: "input",
    InteractionUpdated: "input",
    InteractionAbandoned: "input",  # patience: applied only if still waiting
    # The customer's, applied only if still queued; `automatic` (callback_after): a consequence.
    CallbackRequested: "input",
    InteractionNoteAdded: "input",
    OfferAccepted: "reaction",
    OfferDeclined: "reaction",
    # What the connected agent did with its leg of the conversation, after the recorded time.
    InteractionCompleted: "reaction",
    InteractionTransferred: "reaction",
    TransferOffered: "reaction",
    # The consulted agent's answer; a `timed_out` or `revoked` decline: a consequence.
    TransferAccepted: "reaction",
    TransferDeclined: "reaction",
    InteractionOffered: "decision",
    OfferTimedOut: "consequence",
    OfferRevoked: "consequence",
    WrapUpEnded: "consequence",
    InteractionTargetExpired: "consequence",
    InteractionPaused: "consequence",  # channel rules: interrupting work connected
    InteractionResumed: "consequence",
    # Queue policies: made again by the router's timers (and max_size on submit).
    InteractionStepped: "consequence",
    InteractionExited: "consequence",
    InteractionReminded: "consequence",
    InteractionOverdue: "consequence",
    ConfigChanged: "config",  # dropped or replayed: see `config_changes`
    CommandRecorded: "bookkeeping",
    AgentAttributesUpdated: "input",
    # On submit: restores what was submitted, so the rules run again under the new config;
    # on update: made again by the router when it replays the update (a consequence).
    InteractionClassified: "input",
    AgentUpdated: "input",  # an agent's new skills, capacity or groups, at its time
    # The agent's extra after-call work, re-run as the same extension of its wrap-up (refused
    # and listed in `skipped` when that wrap-up is not running then). An early end of
    # wrap-up (a WrapUpEnded before its time) is not told apart from the timer's.
    WrapUpExtended: "input",
    # The recorded agents' outcomes: a what-if run, with other agents, records none.
    OutcomeRecorded: "consequence",
    RepeatContact: "consequence",  # made again on the submit (RouterConfig.performance)
    ExperimentAssigned: "consequence",  # made again on the submit (QueueConfig.experiment)
}
"""What each event type is to what-if replay.

``input``: came from outside, re-run at its recorded time (submissions with their targeting
and explicit deadline, agent presence, updates, notes, abandons, customers' callback
requests); ``reaction``: an agent's answer to a decision, re-timed relative to the new
decision (accepting or declining an offer or a consult) or to the start of its leg of the
conversation (completing or transferring it); ``decision``: an offer, made again by the
router; ``consequence``: made by the router's timers, queue rules or a logout, made again
(under the what-if config: a queue's deadline or ``callback_after`` is its own);
``config``: a recorded config change, dropped (the what-if config stays in force) or
re-applied, as ``config_changes`` says; ``bookkeeping``: command ids (kept so sequence
numbers line up). An event type missing here makes :func:`whatif` raise
:class:`~ccrouter.errors.UnsupportedInput`: a new event type must be classified here first.
"""

_INF = math.inf


class SkippedInput(msgspec.Struct, frozen=True, kw_only=True):
    """A recorded input or agent action the new run could not apply as recorded (and what
    was done instead)."""

    seq: int
    """Its event in the recorded log (0: a completion the log does not hold, after the mean
    talk time)."""
    at: float
    """When the run tried it (an input's recorded time; an agent action's re-timed one)."""
    kind: str
    """The input (``submit``, ``logout``, ``callback``, ...) or the agent's action
    (``blind_transfer``, ``consult_transfer``, ``accept_transfer``, ``complete``)."""
    reason: str


# --- reading the recorded log ------------------------------------------------------------------


class Response:
    """How the agent answered one recorded offer or consult: ``none`` until an answer is
    seen (it rang out, was revoked or abandoned, or was still ringing at the log's end)."""

    __slots__ = ("at", "kind", "offer_at", "seq")

    def __init__(self, offer_at: float) -> None:
        self.offer_at = offer_at
        self.kind: Literal["accept", "decline", "none"] = "none"
        self.at = 0.0
        self.seq = 0


class Act:
    """What the connected agent did in its leg: complete (``command`` ``None``) or transfer;
    a consult's ``answer`` is the consulted agent's."""

    __slots__ = ("answer", "at", "command", "seq")

    def __init__(self, e: Event, command: Transfer | None) -> None:
        self.at, self.seq, self.command = e.at, e.seq, command
        consult = command is not None and command.mode == "consult"
        self.answer = Response(e.at) if consult else None

    @property
    def kind(self) -> str:
        return "complete" if self.command is None else self.command.mode + "_transfer"


class Leg:
    """One agent's part of a recorded conversation: connected at ``start`` by accepting an
    offer made at ``offer_at`` (``None``: by taking a consult over), then its ``acts``."""

    __slots__ = ("acts", "offer_at", "start")

    def __init__(self, start: float, offer_at: float | None) -> None:
        self.start, self.offer_at = start, offer_at
        self.acts: list[Act] = []


class RecordedInput:
    __slots__ = ("at", "command", "command_id", "kind", "seq")

    def __init__(self, seq: int, at: float, kind: str, command: Command | None) -> None:
        self.seq, self.at, self.kind, self.command = seq, at, kind, command
        self.command_id: str | None = None


_AGENT_ACTIONS = (InteractionCompleted, InteractionTransferred, TransferOffered, TransferAccepted)
_TIMER_EVENTS = (
    OfferTimedOut,
    InteractionTargetExpired,
    WrapUpEnded,
    InteractionStepped,
    InteractionExited,
    InteractionReminded,
    InteractionOverdue,
    CallbackRequested,
    TransferDeclined,
)


class Recording:
    """What what-if replay reads from a log."""

    def __init__(self, events: list[Event]) -> None:
        self.events = events
        self.end = events[-1].at if events else 0.0
        self.inputs: list[RecordedInput] = []
        self.queued: dict[str, InteractionQueued] = {}
        self.queues: set[str] = set()
        """The queues the inputs name: arrivals' and transfers' (the what-if config needs
        them)."""
        self.responses: dict[tuple[str, str], list[Response]] = {}
        self.legs: dict[str, list[Leg]] = {}
        self.reaction_ids: dict[int, str] = {}  # seq of a reaction -> its command id
        self.own_timers: dict[float, float] = {}
        """Seq of an input or reaction whose command (with an id) fired due timers in its own
        batch -> the due time of the first: the run lets it fire those again (the earlier
        ones were fired before it), so that the batches match."""
        self._submits: dict[str, RecordedInput] = {}
        self._ringing: dict[str, Response] = {}
        self._offer_seq: dict[str, int] = {}
        self._answers: dict[int, int] = {}  # seq of an accept/decline -> seq of its offer
        self._consults: dict[str, Response] = {}  # the answer of a pending consult
        self._wrap_end: dict[str, float] = {}  # interaction -> its wrap-up's recorded end
        self.timed_at_end = {i for e in events if e.at == self.end and (i := _timed(e))}
        """The interactions a router timer acted on at the log's last instant."""
        self._read()

    def _read(self) -> None:
        by_seq: dict[int, RecordedInput] = {}
        prev: Event | None = None
        for e in self.events:
            if type(e) not in EVENT_ROLES:
                msg = (
                    f"what-if replay does not know event type {e.kind!r} (seq {e.seq}): "
                    "classify it in ccrouter.whatif.compare.EVENT_ROLES"
                )
                raise UnsupportedInput(msg)
            if type(e) is InteractionCompleted:  # what a wrap-up extension adds to
                self._wrap_end[e.interaction_id] = e.wrap_up_until
            if isinstance(e, CommandRecorded):
                self._command_id(e, by_seq)
            elif not self._conversation(e):
                inp = self._input(e, prev)
                if inp is not None:
                    self.inputs.append(inp)
                    by_seq[inp.seq] = inp
            prev = e

    def _input(self, e: Event, prev: Event | None) -> RecordedInput | None:
        """The input ``e`` records, if it is one (a submission's parts amend the submit)."""
        cmd: Command
        match e:
            case InteractionQueued():
                self.queued[e.interaction_id] = e
                self.queues.add(e.queue)
                inp = RecordedInput(e.seq, e.at, "submit", _submit(e))
                self._submits[e.interaction_id] = inp
                return inp
            case InteractionTargeted() if e.reason != "last_agent":  # last_agent: re-derived
                self._amend(e, prev, _targeting(e))
            case InteractionDeadlineSet() if e.explicit:  # else the queue's: re-derived
                self._amend(e, prev, {"deadline": e.deadline})
            case InteractionClassified() if e.trigger == "submit" and e.submitted:
                self._amend(e, prev, dict(e.submitted))
            case AgentLoggedIn():
                skills, capacity = dict(e.skills), dict(e.capacity)
                cmd = Login(
                    agent_id=e.agent_id, skills=skills, capacity=capacity, budget=e.budget,
                    attributes=dict(e.attributes),
                )  # fmt: skip
                return RecordedInput(e.seq, e.at, "login", cmd)
            case AgentAttributesUpdated():
                cmd = UpdateAgent(
                    agent_id=e.agent_id, attributes=dict(e.attributes), replace=e.replace
                )
                return RecordedInput(e.seq, e.at, "update_agent", cmd)
            case AgentReady():
                return RecordedInput(e.seq, e.at, "ready", Ready(agent_id=e.agent_id))
            case AgentNotReady() if not _no_answer(e, prev):
                cmd = NotReady(agent_id=e.agent_id, reason=e.reason)
                return RecordedInput(e.seq, e.at, "not_ready", cmd)
            case AgentLoggedOut():
                return RecordedInput(e.seq, e.at, "logout", Logout(agent_id=e.agent_id))
            case InteractionUpdated():
                cmd = Update(
                    interaction_id=e.interaction_id,
                    priority=e.priority,
                    skills=e.skills,
                    attributes=e.attributes,
                )
                return RecordedInput(e.seq, e.at, "update", cmd)
            case InteractionAbandoned():
                self._ringing.pop(e.interaction_id, None)
                return RecordedInput(
                    e.seq, e.at, "abandon", Abandon(interaction_id=e.interaction_id)
                )
            case CallbackRequested() if not e.automatic:  # automatic: callback_after's
                cmd = RequestCallback(interaction_id=e.interaction_id)
                return RecordedInput(e.seq, e.at, "callback", cmd)
            case InteractionNoteAdded():
                cmd = AddNote(interaction_id=e.interaction_id, text=e.text)
                return RecordedInput(e.seq, e.at, "add_note", cmd)
            case AgentUpdated():
                cmd = UpdateAgent(
                    agent_id=e.agent_id, skills=e.skills, capacity=e.capacity, groups=e.groups
                )
                return RecordedInput(e.seq, e.at, "update_agent", cmd)
            case WrapUpExtended():
                seconds = e.until - self._wrap_end.get(e.interaction_id, e.at)
                self._wrap_end[e.interaction_id] = e.until
                cmd = ExtendWrapUp(
                    agent_id=e.agent_id, seconds=seconds, interaction_id=e.interaction_id
                )
                return RecordedInput(e.seq, e.at, "extend_wrap_up", cmd)
            case ConfigChanged() if e.version > 0:  # version 0: the log's starting config
                return RecordedInput(e.seq, e.at, "reconfigure", Reconfigure(config=e.config))
        return None

    def _amend(
        self,
        e: InteractionTargeted | InteractionDeadlineSet | InteractionClassified,
        prev: Event | None,
        changes: dict[str, Any],
    ) -> None:
        """Add a part of a submission (targeting, explicit deadline) to its submit: it must
        follow the submission directly, in its batch (at its time)."""
        sub = self._submits.get(e.interaction_id)
        before: tuple[type, ...] = (InteractionQueued, InteractionClassified)
        if isinstance(e, InteractionDeadlineSet):
            before = (InteractionQueued, InteractionClassified, InteractionTargeted)
        if isinstance(e, InteractionClassified):
            before = (InteractionQueued,)
        if (
            sub is None
            or prev is None
            or not isinstance(prev, before)
            or getattr(prev, "interaction_id", None) != e.interaction_id
            or prev.seq < sub.seq
            or e.at != sub.at
        ):
            msg = (
                f"{e.kind} (seq {e.seq}) of {e.interaction_id!r} does not follow its "
                "submission: what-if replay cannot rebuild it"
            )
            raise UnsupportedInput(msg)
        assert isinstance(sub.command, Submit)
        sub.command = msgspec.structs.replace(sub.command, **changes)

    def _conversation(self, e: Event) -> bool:
        """Read ``e`` if it is part of a conversation: offers and their answers, and each
        leg's start, actions and consult answers. ``False``: it is not."""
        match e:
            case InteractionOffered():
                response = Response(e.at)
                self.responses.setdefault((e.interaction_id, e.agent_id), []).append(response)
                self._ringing[e.interaction_id] = response
                self._offer_seq[e.interaction_id] = e.seq
            case OfferAccepted() | OfferDeclined():
                self._answered(e)
            case OfferTimedOut() | OfferRevoked():
                self._ringing.pop(e.interaction_id, None)
            case InteractionCompleted():
                self._act(e.interaction_id, e, None)
            case InteractionTransferred():
                self.queues.add(e.queue)
                self._act(e.interaction_id, e, _blind(e))
            case TransferOffered():
                self.queues.add(e.queue)
                answer = self._act(e.interaction_id, e, _consult(e)).answer
                assert answer is not None
                self._consults[e.interaction_id] = answer
            case TransferAccepted() | TransferDeclined():
                self._consult_answered(e)
            case _:
                return False
        return True

    def _answered(self, e: OfferAccepted | OfferDeclined) -> None:
        iid = e.interaction_id
        self._answers[e.seq] = self._offer_seq.get(iid, 0)
        answered = self._ringing.pop(iid, None)
        accepted = isinstance(e, OfferAccepted)
        if answered is not None:
            answered.kind = "accept" if accepted else "decline"
            answered.at, answered.seq = e.at, e.seq
        if accepted:
            offer_at = None if answered is None else answered.offer_at
            self.legs.setdefault(iid, []).append(Leg(e.at, offer_at))

    def _act(self, iid: str, e: Event, command: Transfer | None) -> Act:
        act = Act(e, command)
        legs = self.legs.get(iid)
        if legs:
            legs[-1].acts.append(act)
        return act

    def _consult_answered(self, e: TransferAccepted | TransferDeclined) -> None:
        answer = self._consults.pop(e.interaction_id, None)
        accepted = isinstance(e, TransferAccepted)
        declined = isinstance(e, TransferDeclined) and e.outcome == "declined"
        if answer is not None and (accepted or declined):
            answer.kind = "accept" if accepted else "decline"
            answer.at, answer.seq = e.at, e.seq
        if accepted:
            self.legs.setdefault(e.interaction_id, []).append(Leg(e.at, None))

    def _command_id(self, marker: CommandRecorded, by_seq: dict[int, RecordedInput]) -> None:
        """Give the command of ``marker``'s batch its id again, so that the what-if log's
        sequence numbers line up with the recorded ones (the ``random`` strategy reads them)."""
        first = marker.seq - marker.events
        batch = range(first, marker.seq)
        inputs = [by_seq[s] for s in batch if s in by_seq]
        if inputs:
            inputs[0].command_id = marker.command_id
            self._own_timers(first, inputs[0].seq)
            return
        base = self.events[0].seq
        for e in self.events[first - base : marker.seq - base]:
            if self._own_reaction(e, first):
                self.reaction_ids[e.seq] = marker.command_id
                self._own_timers(first, e.seq)
                return
        # An advance (or a command that changed nothing) carried the id.
        adv = RecordedInput(first, marker.at, "advance", None)
        adv.command_id = marker.command_id
        if marker.events:
            self.own_timers[first] = self._at(first)
        self.inputs.append(adv)

    def _own_timers(self, first: int, seq: int) -> None:
        # Only a batch that begins with a timer's event fired timers: a logout's own
        # revocations, say, come before its AgentLoggedOut too.
        if first < seq and _timed(self.events[first - self.events[0].seq]) is not None:
            self.own_timers[seq] = self._at(first)

    def _own_reaction(self, e: Event, first: int) -> bool:
        """Whether ``e`` is a reaction made by a command of its own, in the batch from seq
        ``first``: not an auto-accept (in its offer's batch), nor a consult's timeout or
        revocation (a timer's or a logout's)."""
        if isinstance(e, _AGENT_ACTIONS):
            return True
        if isinstance(e, TransferDeclined):
            return e.outcome == "declined"
        return isinstance(e, OfferAccepted | OfferDeclined) and self._answers.get(e.seq, 0) < first

    def _at(self, seq: int) -> float:
        return self.events[seq - self.events[0].seq].at

    # --- behaviour --------------------------------------------------------------------------

    def ring_delay(self, iid: str, agent_id: str, leg: int) -> float:
        """The delay before accepting an offer (of ``iid``'s leg ``leg``) with no recorded
        counterpart: that of the recorded accept that began the leg, else the agent's mean,
        else the log's, else none."""
        legs = self.legs.get(iid, [])
        if leg < len(legs):
            offer_at = legs[leg].offer_at
            if offer_at is not None:
                return legs[leg].start - offer_at
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
        """Mean recorded talk time of the legs that ended in a completion (connection to
        completion), of interactions that arrived in ``queue``, else of the whole log."""
        talks: dict[str, list[float]] = {}
        for iid, legs in self.legs.items():
            for leg in legs:
                if leg.acts and leg.acts[-1].command is None:
                    talk = leg.acts[-1].at - leg.start
                    talks.setdefault(self.queued[iid].queue, []).append(talk)
        chosen = talks.get(queue) or [t for ts in talks.values() for t in ts]
        return sum(chosen) / len(chosen) if chosen else None


def _timed(e: Event) -> str | None:
    """The interaction a router timer acted on, if ``e`` is a timer's event (an offer or a
    consult timing out, a target expiring, wrap-up ending, a queue policy)."""
    if not isinstance(e, _TIMER_EVENTS):
        return None
    if isinstance(e, CallbackRequested) and not e.automatic:
        return None
    if isinstance(e, TransferDeclined) and e.outcome != "timed_out":
        return None
    return e.interaction_id


def _no_answer(e: AgentNotReady, prev: Event | None) -> bool:
    """The router's not-ready after ``max_no_answer`` missed offers (a consequence)."""
    return (
        isinstance(prev, OfferTimedOut)
        and prev.agent_id == e.agent_id
        and prev.at == e.at
        and e.reason == "no_answer"
    )


def _submit(e: InteractionQueued) -> Submit:
    return Submit(
        interaction_id=e.interaction_id,
        channel=e.channel,
        queue=e.queue,
        skills=dict(e.skills),
        priority=e.priority,
        customer_id=e.customer_id,
        attributes=dict(e.attributes),
    )


def _targeting(target: InteractionTargeted) -> dict[str, Any]:
    """The submit arguments of a submission's targeting (a wait that lands exactly on the
    recorded ``until``)."""
    if target.reason not in ("preferred", "direct"):
        msg = (
            f"interaction_targeted (seq {target.seq}) with reason {target.reason!r}: what-if "
            "replay knows 'preferred' and 'direct' (inputs) and 'last_agent' (re-derived)"
        )
        raise UnsupportedInput(msg)
    if target.reason == "direct" and target.until is None and len(target.agent_ids) == 1:
        return {"direct_to": target.agent_ids[0]}
    wait = None if target.until is None else _wait_to(target.at, target.until)
    return {"preferred_agents": list(target.agent_ids), "preferred_wait": wait}


def _blind(e: InteractionTransferred) -> Transfer:
    # The queue it went to, not "the current one": under another config the interaction may
    # be elsewhere by then (an escalation's tier is recorded resolved too).
    return Transfer(
        interaction_id=e.interaction_id,
        to_queue=e.queue,
        to_agent=e.to_agent,
        reason=e.reason,
        note=e.note,
        skills=None if e.skills is None else dict(e.skills),
    )


def _consult(e: TransferOffered) -> Transfer:
    # The recorded time allowed: the consult of the same leg expires as recorded.
    timeout = None if e.expires_at is None else _wait_to(e.at, e.expires_at)
    return Transfer(
        interaction_id=e.interaction_id,
        to_queue=e.queue,
        to_agent=e.to_agent,
        mode="consult",
        reason=e.reason,
        note=e.note,
        timeout=timeout,
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
