"""Statistics by classification rule and by tag (docs/rules.md).

A projection of the event log alone: each interaction counts under the rule of its last
classification (``InteractionClassified``) and under each of its tags; outcomes come from the
same events the other reports read.

>>> from ccrouter import Router, RouterConfig
>>> cfg = RouterConfig.from_dict({"queues": {"vip": {}}, "rules": [
...     {"name": "vip", "when": "interaction.priority > 5", "queue": "vip", "tags": ["gold"]},
...     {"name": "rest"}]})
>>> r = Router(cfg)
>>> _ = r.submit("c1", channel="voice", priority=9, at=0)
>>> _ = r.submit("c2", channel="voice", at=0)
>>> [(row.key, row.classified) for row in rule_report(r.events, by="rule")]
[('rest', 1), ('vip', 1)]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import msgspec

from ccrouter.events import (
    Event,
    InteractionAbandoned,
    InteractionClassified,
    InteractionCompleted,
    InteractionExited,
    OfferAccepted,
)

__all__ = ["RuleRow", "rule_report"]


class RuleRow(msgspec.Struct, kw_only=True):
    """Counts of one rule (or tag): interactions classified under it and what became of
    them (``answered``: an offer accepted; ``deflected``: sent to self-service; ``exited``:
    other exits)."""

    key: str
    classified: int = 0
    answered: int = 0
    completed: int = 0
    abandoned: int = 0
    deflected: int = 0
    exited: int = 0


def rule_report(events: Iterable[Event], *, by: Literal["rule", "tag"] = "rule") -> list[RuleRow]:
    """Counts per classification rule or per tag, sorted by key.

    Args:
        events: an event log (any iterable of events, in order).
        by: ``"rule"`` (the rule that matched; ``""`` when none did) or ``"tag"``.

    Returns:
        One row per rule or tag.
    """
    keys: dict[str, tuple[str, ...]] = {}
    rows: dict[str, RuleRow] = {}
    answered: set[str] = set()

    def bump(iid: str, field: str) -> None:
        for key in keys.get(iid, ()):
            row = rows[key]
            setattr(row, field, getattr(row, field) + 1)

    for e in events:
        if isinstance(e, InteractionClassified):
            new = (e.rule,) if by == "rule" else tuple(dict.fromkeys(e.tags))
            old = keys.get(e.interaction_id, ())
            for key in new:
                if key not in old:
                    rows.setdefault(key, RuleRow(key=key)).classified += 1
            keys[e.interaction_id] = new
        elif isinstance(e, OfferAccepted) and e.interaction_id not in answered:
            answered.add(e.interaction_id)
            bump(e.interaction_id, "answered")
        elif isinstance(e, InteractionCompleted):
            bump(e.interaction_id, "completed")
        elif isinstance(e, InteractionAbandoned):
            bump(e.interaction_id, "abandoned")
        elif isinstance(e, InteractionExited) and e.overflow_to is None:
            bump(e.interaction_id, "deflected" if e.reason == "deflected" else "exited")
    return [rows[k] for k in sorted(rows)]
