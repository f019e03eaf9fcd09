"""Statistics as projections of the event log.

- :class:`RealtimeStats`: live counters, fed one event at a time (O(1) per event).
- :func:`interval_report`: per interval × queue / channel / agent, for any window of any log.
- :func:`agent_report`: per agent status times, counts and handle times.
- :func:`experiment_report`: a queue experiment's arms compared (docs/performance.md).
- :func:`to_csv`, :func:`to_records`, :func:`to_dataframe`: export of report rows.

Every metric is defined in ``docs/statistics.md``.
"""

from ccrouter.stats._common import SL_DEFINITIONS, STATUS_NAMES, SlDefinition
from ccrouter.stats.agents import AgentRow, agent_report
from ccrouter.stats.experiments import ExperimentReport, experiment_report
from ccrouter.stats.export import to_csv, to_dataframe, to_records
from ccrouter.stats.interval import GROUPINGS, IntervalRow, interval_report
from ccrouter.stats.realtime import AgentSnapshot, QueueSnapshot, RealtimeStats

__all__ = [
    "GROUPINGS",
    "SL_DEFINITIONS",
    "STATUS_NAMES",
    "AgentRow",
    "AgentSnapshot",
    "ExperimentReport",
    "IntervalRow",
    "QueueSnapshot",
    "RealtimeStats",
    "SlDefinition",
    "agent_report",
    "experiment_report",
    "interval_report",
    "to_csv",
    "to_dataframe",
    "to_records",
]
