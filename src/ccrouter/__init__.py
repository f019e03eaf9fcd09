"""ccrouter: the event-sourced routing brain of a contact center.

>>> from ccrouter import Router, RouterConfig
>>> router = Router(RouterConfig.from_dict({"auto_accept": True}))
>>> _ = router.login("ann", skills={"spanish": 3}, at=0.0)
>>> _ = router.ready("ann", at=0.0)
>>> _ = router.submit("call-1", channel="voice", skills={"spanish": 2}, at=5.0)
>>> router.interaction("call-1").status
'connected'
"""

from ccrouter import _moved, errors, events
from ccrouter.config import FairnessConfig, QueueConfig, RouterConfig
from ccrouter.engine.fairness import LedgerView
from ccrouter.engine.routing.explain import Candidate, Explanation
from ccrouter.errors import CCRouterError
from ccrouter.log import EventLog, MemoryEventLog
from ccrouter.router import AgentView, InteractionView, Router

__version__ = "0.1.0"

_moved.install()  # old import paths (ccrouter.erlang, ccrouter.state, ...) keep working

__all__ = [
    "AgentView",
    "CCRouterError",
    "Candidate",
    "EventLog",
    "Explanation",
    "FairnessConfig",
    "InteractionView",
    "LedgerView",
    "MemoryEventLog",
    "QueueConfig",
    "Router",
    "RouterConfig",
    "__version__",
    "errors",
    "events",
]
