"""The error hierarchy.

Every error ccrouter raises on purpose is a :class:`CCRouterError`. Each subclass also
subclasses the matching builtin, so callers may catch either ``ccrouter.errors.UnknownAgent``
or plain ``KeyError``:

>>> issubclass(UnknownAgent, KeyError) and issubclass(UnknownAgent, CCRouterError)
True
"""

from __future__ import annotations

__all__ = [
    "CCRouterError",
    "ConcurrencyConflict",
    "ConfigError",
    "ConfigMismatch",
    "CorruptLog",
    "DecodeError",
    "DuplicateId",
    "IdempotencyConflict",
    "InvalidArgument",
    "InvalidTransition",
    "LeaseLost",
    "LogError",
    "MissingDependency",
    "NotYourWork",
    "OutcomeConflict",
    "RuleError",
    "RuntimeClosed",
    "SimulationError",
    "StaleOffer",
    "StorageFull",
    "TimeWentBackwards",
    "TooManyEvents",
    "UnknownAgent",
    "UnknownId",
    "UnknownInteraction",
    "UnknownQueue",
    "UnsupportedInput",
    "WriterLocked",
    "WriterPoisoned",
]


class CCRouterError(Exception):
    """Root of every error ccrouter raises on purpose."""


class UnknownId(CCRouterError, KeyError):
    """An id that the router has never seen."""

    def __str__(self) -> str:
        # KeyError quotes its argument; a message reads better unquoted.
        return str(self.args[0]) if self.args else ""


class UnknownAgent(UnknownId):
    """No agent with this id has ever logged in."""


class UnknownInteraction(UnknownId):
    """No interaction with this id was ever submitted."""


class UnknownQueue(UnknownId):
    """The configuration defines no queue with this name."""


class InvalidArgument(CCRouterError, ValueError):
    """An argument has the wrong type or value (the message names it)."""


class TooManyEvents(InvalidArgument):
    """One command would append more events than :data:`ccrouter.limits.MAX_EVENTS` (an
    ``advance`` over a span in which timers keep firing, e.g. an overflow back to the same
    queue): nothing is appended and the state is as before; advance in smaller steps."""


class InvalidTransition(CCRouterError, ValueError):
    """A command does not fit the current state (e.g. accept when nothing is offered)."""


class DuplicateId(CCRouterError, ValueError):
    """An id that must be new is already in use."""


class IdempotencyConflict(CCRouterError, ValueError):
    """A ``command_id`` already used by a different command (other kind or arguments; the
    time ``at`` does not count, a retry's time is its own).

    The same id with the same content is not an error: it returns the first result again.
    """


class TimeWentBackwards(CCRouterError, ValueError):
    """A command's time ``at`` is earlier than the router's current time."""


class ConfigError(CCRouterError, ValueError):
    """A configuration is invalid; the message names the field (``$.queues.sales.wrap_up``)."""


class DecodeError(CCRouterError, ValueError):
    """Bytes that do not decode to a valid event (or to an intact state snapshot)."""


class LogError(CCRouterError):
    """Base of event-log storage errors."""


class CorruptLog(LogError, ValueError):
    """Stored bytes fail their checksum or framing before the tail; the message names the offset."""

    def __init__(self, message: str, *, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset


class ConcurrencyConflict(LogError, ValueError):
    """An append's ``expected_version`` does not match the log's current version."""

    def __init__(self, message: str, *, expected: int, actual: int) -> None:
        super().__init__(message)
        self.expected = expected
        self.actual = actual


class WriterLocked(LogError, RuntimeError):
    """Another writer already holds the log: a file lock, or a partition lease in PostgreSQL."""


class WriterPoisoned(LogError, RuntimeError):
    """An earlier write or fsync on this handle failed, so it refuses to append again.

    After a failed write or fsync the state of the file (and of the OS page cache) is unknown;
    retrying blindly could acknowledge data that never reaches the disk. Close the log and open
    it again: opening re-reads what is really stored and drops a torn tail.
    """


class StorageFull(LogError, OSError):
    """The disk, quota or file-size limit is exhausted (ENOSPC, EDQUOT, EFBIG).

    The failing append was not acknowledged; everything acknowledged before it is kept.
    ``errno`` holds the operating system's error number.
    """


class LeaseLost(LogError, RuntimeError):
    """This writer no longer holds its partition lease (its session ended), so it may not append."""


class UnsupportedInput(CCRouterError, ValueError):
    """A recorded event that what-if replay cannot re-run (an event type it does not know, or
    an input in a shape it cannot rebuild); the message names the event and its ``seq``."""


class SimulationError(CCRouterError, RuntimeError):
    """A simulation run could not finish for a reason inside the simulator (an internal limit
    such as the compiled engine's record buffers), not because of its input."""


class StaleOffer(InvalidTransition):
    """An ``accept`` or ``decline`` named an offer (``offer_seq``) that is no longer the one
    ringing: it timed out, was revoked or declined, or the work was offered again since.
    ``offer_seq`` is the offer named, ``current`` the one ringing now (``None``: none)."""

    def __init__(self, message: str, *, offer_seq: int, current: int | None) -> None:
        super().__init__(message)
        self.offer_seq, self.current = offer_seq, current


class RuntimeClosed(CCRouterError, RuntimeError):
    """A command or subscription reached a live runtime (``ccrouter.live``) after its
    ``close()``."""


class RuleError(ConfigError):
    """A routing rule that does not parse or type-check; the message names the rule, the
    column (1-based) and what was expected.

    Attributes: ``rule`` (the rule's name, or ``None``), ``column`` (1-based, or ``None`` when
    the error is about the rule as a whole), ``expected`` and ``got`` (short descriptions).
    """

    def __init__(
        self,
        message: str,
        *,
        rule: str | None = None,
        column: int | None = None,
        expected: str = "",
        got: str = "",
    ) -> None:
        super().__init__(message)
        self.rule = rule
        self.column = column
        self.expected = expected
        self.got = got


class ConfigMismatch(ConfigError):
    """A log was opened with a config other than the one it records (the one it starts from
    or the one in force at its end); the message names the settings that differ. Open it
    without a config, or ask for a recorded change
    (``Router(config, log=..., reconfigure=True)``)."""


class NotYourWork(InvalidTransition):
    """An agent-side command named an agent (``agent_id=``) that does not hold the work: the
    offer, the connection or the wrap-up belongs to another agent (or to none)."""


class OutcomeConflict(InvalidTransition):
    """An outcome field (``resolved``, ``satisfaction``, ...) of an interaction was recorded
    already: each is recorded once (docs/performance.md)."""


class MissingDependency(CCRouterError, ImportError):
    """An optional dependency a feature needs is not installed (matplotlib for plots and the
    simulation report); the message says which and how to install it."""
