"""Experiments: a queue's work split between two routings, and which arm each piece is in.

A queue with ``experiment`` routes its work in arm ``a`` by its own settings and in arm ``b``
by :func:`ccrouter.config.arm_b` (the experiment's strategy settings in place of its own). The
arm is a function of the interaction and the config (a stable hash of the experiment's name
and the interaction id, or the parity of the arrival's time slice), so every decision, a
replay and ``explain`` agree on it without state; each arrival also records it as an
:class:`~ccrouter.events.ExperimentAssigned` event, which is what the reports read
(:mod:`ccrouter.stats.experiments`).
"""

from __future__ import annotations

import math

from ccrouter.config import QueueConfig, arm_b
from ccrouter.engine.state import Interaction, RouterState
from ccrouter.events import Event, ExperimentAssigned, InteractionQueued
from ccrouter.rules.ruleset import split_point

__all__ = ["arm_of", "assignment", "settings_for"]


def arm_of(queue: QueueConfig, interaction_id: str, arrived_at: float) -> str:
    """``"a"`` or ``"b"``: the arm of ``queue``'s experiment the work belongs to (``"a"``
    without an experiment).

    >>> from ccrouter.config import Experiment
    >>> q = QueueConfig(experiment=Experiment(name="e", arm_b={}, split="time", slice=60))
    >>> arm_of(q, "c1", 30.0), arm_of(q, "c1", 90.0)
    ('a', 'b')
    """
    experiment = queue.experiment
    if experiment is None:
        return "a"
    if experiment.split == "time":
        return "b" if math.floor(arrived_at / experiment.slice) % 2 else "a"
    return "b" if split_point(f"{experiment.name}:{interaction_id}") < experiment.share else "a"


def settings_for(state: RouterState, queue: str, interaction: Interaction) -> QueueConfig:
    """The settings ``queue`` routes ``interaction`` by: its own, or its experiment's arm
    ``b``'s."""
    settings = state.config.queue(queue)
    if settings.experiment is None:
        return settings
    if arm_of(settings, interaction.interaction_id, interaction.arrived_at) == "a":
        return settings
    return arm_b(settings)


def assignment(state: RouterState, events: list[Event], seq: int) -> ExperimentAssigned | None:
    """The arm record of an arrival (``events``: the submit's own events), when the queue it
    is queued in runs an experiment."""
    queued = events[0]  # (a submit's first event; the queue the rules chose, if any)
    if type(queued) is not InteractionQueued:
        return None
    queue = queued.queue
    experiment = state.config.queue(queue).experiment
    if experiment is None or any(e.kind == "interaction_exited" for e in events):
        return None  # (a deflection or a full queue: never routed in the queue)
    return ExperimentAssigned(
        seq=seq,
        at=queued.at,
        interaction_id=queued.interaction_id,
        queue=queue,
        experiment=experiment.name,
        arm=arm_of(state.config.queue(queue), queued.interaction_id, queued.at),
    )
