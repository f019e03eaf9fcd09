"""The offers of a batch step, for explaining its decisions without solving it again.

An explanation of a batch decision (:func:`ccrouter.engine.routing.explain_batch.explain_batch`)
needs what the step chose: every (interaction, agent) pair it assigned. Solving the step again
from the state before it costs as much as the step did (an assignment over all waiting work
and all free units); :meth:`BatchSteps.offers` finds the pairs instead:

* in the log, when the step's offers are exactly its pairs: ``Router.match`` logs one
  ``InteractionOffered`` per pair, in row order, each with the step's ``batch_seq``, unless
  the omnichannel rules refuse a pair once earlier offers of the step are made (channel rules
  couple an agent's channels, a budget is shared; see ``ccrouter.engine.core.match``). Without
  channel rules and budgets nothing is refused (a column is a free unit of the agent on that
  channel), so the logged offers are the pairs. They follow the step's first offer, each
  maybe followed by its ``OfferAccepted`` (``auto_accept``), within ``2 x`` the most pairs a
  step can make;
* otherwise in a record :meth:`BatchSteps.record` keeps of the steps the router made
  (bounded: oldest first out past ``max_bytes``);
* otherwise (a router opened again on the log, a record dropped) by solving the step again,
  once: the pairs are recorded for the next time.

``tests/property/test_explain_checkpoints.py`` holds the explanations from these pairs equal to
the ones of a full replay that solves every step again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ccrouter.engine.routing.batch_match import BatchStep, solve_batch
from ccrouter.engine.routing.explain import _capped
from ccrouter.engine.state import RouterState
from ccrouter.errors import InvalidArgument
from ccrouter.events import Event, InteractionOffered

__all__ = ["PAIR_BYTES", "BatchSteps", "coupled"]

PAIR_BYTES = 72
"""What a recorded pair is counted as (a tuple of two ids held elsewhere, a list slot)."""
STEP_BYTES = 120
"""What a recorded step is counted as, besides its pairs (its key and list)."""

Pairs = list[tuple[str, str]]


def coupled(state: RouterState) -> bool:
    """Whether a batch step over ``state`` may leave a pair it chose unoffered: channel
    rules are configured, or an agent has a budget (``RouterState.can_take`` then reads
    more than the free units)."""
    return bool(state.config.channels) or any(
        agent.budget is not None for agent in state.agents.values()
    )


class BatchSteps:
    """The pairs of batch steps whose offers in the log may not tell them (see the module).

    Args:
        max_bytes: the memory the record may hold (counted per step and pair); past it the
            oldest steps are dropped (their decisions are explained by solving them again).

    Raises:
        InvalidArgument: ``max_bytes`` is not a positive integer.
    """

    def __init__(self, max_bytes: int) -> None:
        if type(max_bytes) is not int or max_bytes < 1:
            msg = f"max_bytes must be an integer >= 1, got {max_bytes!r}"
            raise InvalidArgument(msg)
        self.max_bytes = max_bytes
        self._steps: dict[int, Pairs] = {}
        self._bytes = 0

    def record(self, step: BatchStep, state: RouterState) -> None:
        """Keep ``step``'s pairs when its offers in the log may not tell them (``state``:
        the router's, whose config and agents' budgets the step ran under)."""
        if coupled(state):
            self._keep(step.first_seq, step.offers())

    def _keep(self, first_seq: int, pairs: Pairs) -> None:
        old = self._steps.pop(first_seq, None)
        if old is not None:
            self._bytes -= STEP_BYTES + PAIR_BYTES * len(old)
        self._steps[first_seq] = pairs
        self._bytes += STEP_BYTES + PAIR_BYTES * len(pairs)
        while self._bytes > self.max_bytes and self._steps:
            oldest = min(self._steps)
            self._bytes -= STEP_BYTES + PAIR_BYTES * len(self._steps.pop(oldest))

    def offers(
        self,
        state: RouterState,
        at: float,
        batch_seq: int,
        read: Callable[[int, int], Iterable[Event]],
    ) -> Pairs:
        """The pairs, in row order, of the batch step at ``at`` whose first offer is event
        ``batch_seq``; ``state``: the state just before it; ``read``: the log's reader
        (``read(start, stop)``, events with ``start <= seq < stop``)."""
        if not coupled(state):
            return _logged(state, batch_seq, read)
        pairs = self._steps.get(batch_seq)
        if pairs is None:
            step = solve_batch(state, at, _capped(state, at))
            pairs = [] if step is None else step.offers()
            self._keep(batch_seq, pairs)
        return pairs

    def describe(self) -> dict[str, int]:
        """What the record holds: ``steps`` and their counted ``bytes``."""
        return {"steps": len(self._steps), "bytes": self._bytes}


def _logged(
    state: RouterState, batch_seq: int, read: Callable[[int, int], Iterable[Event]]
) -> Pairs:
    """The offers the log holds of the step whose first offer is ``batch_seq``: at most one
    per waiting interaction, each maybe followed by its acceptance."""
    most = 2 * len(state._keys)  # (the waiting interactions: the step's rows)
    # (a greedy offer's batch_seq is msgspec.UNSET, never equal to a seq)
    return [
        (e.interaction_id, e.agent_id)
        for e in read(batch_seq, batch_seq + most)
        if type(e) is InteractionOffered and e.batch_seq == batch_seq
    ]
