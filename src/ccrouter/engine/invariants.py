"""The state's internal invariants, recomputed from scratch (tests and ``Router.check``).

Every derived structure (matching arrays, queue groups, timers, holders, customer index) is
compared with what the plain records say it should be; the first mismatch raises
``AssertionError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccrouter.engine.channels import available
from ccrouter.engine.policies import POLICIES, POLICY_TIMERS
from ccrouter.engine.records import Interaction, restriction

if TYPE_CHECKING:
    from ccrouter.engine.state import RouterState

__all__ = ["check_state"]


def check_state(state: RouterState) -> None:
    """Verify the state's internal invariants; raise ``AssertionError`` on the first broken."""
    holders: dict[str, str] = {}
    for agent in state.agents.values():
        assert state.slots[agent.slot] == agent.agent_id
        for channel, cap in agent.capacity.items():
            held = sum(
                1
                for work in (agent.offers, agent.connected, agent.wrapping, agent.consults)
                for ch in work.values()
                if ch == channel
            )
            assert agent.in_use.get(channel, 0) == held, (agent.agent_id, channel)
            assert 0 <= held <= cap, f"{agent.agent_id} holds {held} > capacity {cap} on {channel}"
        for channel, col in state.table.channel_cols.items():
            # The mask equals the rules, recomputed here from scratch.
            in_use = {
                ch: sum(
                    1
                    for work in (agent.offers, agent.connected, agent.wrapping, agent.consults)
                    for c in work.values()
                    if c == ch
                )
                for ch in agent.capacity
            }
            pausable: dict[str, int] = {}
            for iid, ch in agent.connected.items():
                if state.interactions[iid].paused_by is None:
                    pausable[ch] = pausable.get(ch, 0) + 1
            expect = available(
                state.config,
                agent.presence == "ready",
                agent.capacity,
                in_use,
                channel,
                agent.budget,
                pausable,
            )
            assert bool(state.table.avail[col, agent.slot]) == expect, (agent.agent_id, channel)
        for iid in agent.connected:
            by = state.interactions[iid].paused_by
            if by is not None:  # paused for work this agent is connected to
                assert by in agent.connected and state.interactions[by].paused_by is None, iid
        for work in (agent.offers, agent.connected, agent.wrapping):
            for interaction_id in work:
                assert interaction_id not in holders, f"{interaction_id} held by two agents"
                holders[interaction_id] = agent.agent_id
        for interaction_id in agent.wrapping:  # a wrap-up always ends: on its timer
            assert ("wrap", interaction_id) in state.timer_of, interaction_id
        for interaction_id in agent.consults:
            consult = state.interactions[interaction_id].consult
            assert consult is not None and consult[0] == agent.agent_id, interaction_id
        if agent.presence == "logged_out":
            assert agent.work_in_hand == 0, f"{agent.agent_id} logged out with work in hand"
        assert state.table.idle_since[agent.slot] == agent.idle_since
        assert state.table.login_order[agent.slot] == agent.login_order
    state.table._check()
    queued = set()
    for queue in state.queues.values():
        count = 0
        for signature, group in queue.groups.items():
            assert group, "empty groups are removed"
            for key in group:
                interaction = state.interactions[key[3]]
                assert interaction.signature == signature and interaction.queue == queue.name
                assert state._keys[key[3]] == key
                assert not interaction.preferred and not interaction.groups
                queued.add(key[3])
                count += 1
        for target, group in queue.targeted.items():
            assert group, "empty targeted groups are removed"
            for key in group:
                interaction = state.interactions[key[3]]
                assert restriction(interaction) == target and interaction.queue == queue.name
                assert interaction.preferred or interaction.groups
                assert state._keys[key[3]] == key
                queued.add(key[3])
                count += 1
        assert queue.waiting == count, queue.name
    for interaction in state.interactions.values():
        iid = interaction.interaction_id
        assert (interaction.status == "queued") == (iid in queued), iid
        if interaction.status in ("offered", "connected"):
            assert holders.get(iid) == interaction.agent_id, iid
        elif interaction.status == "queued":
            assert interaction.agent_id is None and iid not in holders, iid
        has_offer_timer = ("offer", iid) in state.timer_of
        assert has_offer_timer == (
            interaction.status == "offered" and interaction.offer_expires_at is not None
        ), iid
        assert (("target", iid) in state.timer_of) == (
            interaction.status in ("queued", "offered") and interaction.preferred_until is not None
        ), iid
        _check_policy_timers(state, interaction)
        if interaction.paused_by is not None:
            assert interaction.status == "connected", iid
        consult = interaction.consult
        if consult is not None:
            assert interaction.status == "connected", iid
            assert iid in state.agents[consult[0]].consults, iid
        assert (("consult", iid) in state.timer_of) == (
            consult is not None and consult[3] is not None
        ), iid
        # An overflow without keep_age is a new arrival: the first leg may start earlier.
        history = interaction.history
        start = history[0].started_at if history else interaction.arrived_at
        assert start <= interaction.arrived_at or not history, iid
        for leg in history:
            assert leg.ended_at is not None and leg.started_at == start <= leg.ended_at, iid
            start = leg.ended_at
    by_customer: dict[str, list[str]] = {}
    for interaction in state.interactions.values():  # in submission order
        if interaction.customer_id is not None:
            by_customer.setdefault(interaction.customer_id, []).append(interaction.interaction_id)
    assert state.customers == by_customer
    for kind, iid in state.timer_of:
        assert kind not in POLICY_TIMERS or iid in state.armed, (kind, iid)
    assert len(state.timers) == len(state.timer_of)
    for timer in state.timers:
        assert state.timer_of[(timer[2], timer[3])] == timer


def _check_policy_timers(state: RouterState, interaction: Interaction) -> None:
    iid, status = interaction.interaction_id, interaction.status
    assert (status == "exited") == (interaction.exit_reason is not None), iid
    if status != "queued":  # (its queue may even be gone from the config by now)
        assert all((kind, iid) not in state.timer_of for kind in POLICY_TIMERS), iid
        assert iid not in state.watched, iid
        return
    queue = state.config.queue(interaction.queue)
    for policy in POLICIES:  # each re-derives whether its timer is set, and when it is due
        armed, nominal = policy.expected(state, interaction, queue)
        timer = state.timer_of.get((policy.kind, iid))
        assert (timer is not None) == armed, (iid, policy.kind, status)
        # Due at its nominal time, or later when that passed while the work was offered.
        assert timer is None or timer[0] >= nominal, (iid, policy.kind, timer, nominal)
