"""Queue policies driven by time: widening steps, exit rules and deadlines (decisions only).

Each time-driven policy is one module of this package holding one
:class:`~ccrouter.engine.policies._base.TimePolicy` named ``POLICY``: how it arms its timer on
a waiting interaction, what it decides when the timer falls due (the event that records the
decision; :mod:`ccrouter.engine.core` applies it and routes) and what the invariants expect of
its timer. The registry :data:`POLICIES` collects every module's ``POLICY`` (modules whose
name starts with ``_`` hold shared helpers); :class:`~ccrouter.engine.state.RouterState`,
the core and :mod:`ccrouter.engine.invariants` iterate over it. A new policy is a new module
here plus its setting in :class:`~ccrouter.config.QueueConfig`. The timers run only while an
interaction waits in its queue.

>>> from ccrouter.config import QueueConfig, RouterConfig, Step
>>> from ccrouter.engine.state import RouterState
>>> from ccrouter.events import InteractionQueued
>>> cfg = RouterConfig(queues={"q": QueueConfig(steps=[Step(after=30, skills={"en": 1})])})
>>> state = RouterState(cfg)
>>> state.apply(InteractionQueued(seq=1, at=0.0, interaction_id="i", channel="voice",
...                               queue="q", skills={"en": 5}))
>>> state.next_timer()
(30.0, 1, 'step', 'i')
>>> e = step_event(state, state.interactions["i"], 30.0)
>>> (e.seq, e.at, e.step, e.skills, e.skipped)
(2, 30.0, 0, {'en': 1}, False)
>>> sorted(POLICY_TIMERS)
['callback', 'empty', 'exit', 'overdue', 'queue_length', 'remind', 'step', 'wait_time']
"""

from __future__ import annotations

import importlib
import pkgutil

from ccrouter.engine.policies._base import TimePolicy
from ccrouter.engine.policies._exits import is_full, size_exit
from ccrouter.engine.policies.callback import callback_event
from ccrouter.engine.policies.max_wait import exit_event
from ccrouter.engine.policies.no_agents import empty_exit
from ccrouter.engine.policies.overdue import overdue_event
from ccrouter.engine.policies.reminders import remind_event
from ccrouter.engine.policies.steps import anyone_could_take, step_event

__all__ = [
    "POLICIES",
    "POLICY_TIMERS",
    "TimePolicy",
    "anyone_could_take",
    "callback_event",
    "empty_exit",
    "exit_event",
    "is_full",
    "overdue_event",
    "remind_event",
    "size_exit",
    "step_event",
]


def _discover() -> tuple[TimePolicy, ...]:
    """Every module's ``POLICY``, in module-name order (the order never matters: timers sort
    by due time, seq and kind)."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        policy = module.POLICY
        assert isinstance(policy, TimePolicy), info.name
        found.append(policy)
    kinds = [p.kind for p in found]
    assert len(set(kinds)) == len(kinds), f"two policies share a timer kind: {kinds}"
    return tuple(found)


POLICIES: tuple[TimePolicy, ...] = _discover()
"""Every time-driven queue policy (one per module of this package)."""
POLICY_TIMERS: tuple[str, ...] = tuple(sorted(p.kind for p in POLICIES))
"""Timer kinds that run only while an interaction waits in its queue."""
