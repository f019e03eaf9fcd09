"""Codes and column numbers shared by the packer, the kernel and the decoder.

Plain module-level integers: Numba reads them as compile-time constants (and ``kernel``, the
kernels' decorator).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar, cast

import numba

_F = TypeVar("_F", bound=Callable[..., Any])


def kernel(inline: Literal["never", "always"] = "never") -> Callable[[_F], _F]:
    """How every run-loop kernel is compiled: ``numba.njit`` without reference counting
    (``_nrt=False``: the kernels only read and write arrays made in Python and never allocate;
    counting the references of the state's arrays on every call was most of the run time),
    kept in Numba's disk cache across processes (see ``_fresh.py``)."""
    options: Any = {"cache": True, "_nrt": False, "inline": inline}  # _nrt: not in the stubs
    return cast("Callable[[_F], _F]", numba.njit(**options))


# --- strategies (ccrouter.engine.routing.strategies codes; repeated here because the simulator may
# not import the routing internals: a test ties them) ---------------------------------------
LONGEST_IDLE = 0
MOST_SKILLED = 1
LEAST_OCCUPIED = 2
FEWEST_HANDLED = 3
ROUND_ROBIN = 4
RANDOM = 5
STRATEGY_CODES = {
    "longest_idle": LONGEST_IDLE,
    "most_skilled": MOST_SKILLED,
    "least_occupied": LEAST_OCCUPIED,
    "fewest_handled": FEWEST_HANDLED,
    "round_robin": ROUND_ROBIN,
    "random": RANDOM,
}

# --- record kinds (one per router event type the compiled engine emits) -------------------
K_LOGIN = 0
K_LOGOUT = 1
K_READY = 2
K_NOT_READY = 3  # x: reason code (R_*)
K_QUEUED = 4
K_OFFERED = 5  # x: expires_at (nan: None)
K_ACCEPTED = 6
K_TIMED_OUT = 7
K_COMPLETED = 8  # x: wrap_up_until
K_WRAP_ENDED = 9
K_ABANDONED = 10  # agent: -1 for None
K_CALLBACK = 11  # x: 1.0 automatic (callback_after), else manual
K_DEADLINE = 12  # x: deadline
K_REMINDED = 13  # x: before (the deadline is the interaction's)
K_OVERDUE = 14  # x: new priority; agent column: the overdue queue (-1: none)
K_EXITED = 15  # x: 2 * reason code (EXIT_*) + keep_age; agent column: overflow queue (-1: none)
K_STEPPED = 16  # x: priority; agent column: (waiting group * steps width + step) * 2 + skipped
EXIT_MAX_WAIT = 0
EXIT_MAX_SIZE = 1
EXIT_NO_AGENTS = 2
EXIT_REASONS = ("max_wait", "max_size", "max_wait_no_agents")

# --- not-ready reasons ---------------------------------------------------------------------
R_BREAK = 0
R_SHIFT_END = 1
R_NO_ANSWER = 2
REASONS = ("break", "shift_end", "no_answer")

# --- calendar action kinds (as ccrouter.sim.engine) ----------------------------------------
C_ARRIVE = 0
C_RETRY = 1
C_PATIENCE = 2
C_ACCEPT = 3
C_COMPLETE = 4
C_STAFF = 5
C_LOGIN = 6
C_BREAK = 7
C_BREAK_END = 8
C_LEAVE = 9
C_RECOVER = 10
C_CALLBACK = 14

# --- router timers: slot per interaction, and the rank of the kind's name (the router's
# timers sort by (due, seq, kind name, interaction id)) ------------------------------------
T_OFFER = 0
T_OVERDUE = 1
T_REMIND = 2
T_WRAP = 3
T_EXIT = 4
T_STEP = 5
T_EMPTY = 6  # max_wait_no_agents
T_CALLBACK = 7  # callback_after
N_TIMERS = 8
# Each slot's rank among every timer kind's name, sorted (callback, consult, empty, exit,
# offer, overdue, queue_length, remind, step, target, wait_time, wrap; a test ties them).
TIMER_RANK = (4, 5, 7, 11, 3, 8, 2, 0)
RANK_SHIFT = 4294967296  # heap key: rank * RANK_SHIFT + tie-break among one event's timers

# --- distribution kinds ----------------------------------------------------------------------
D_EXPONENTIAL = 0
D_LOGNORMAL = 1
D_GAMMA = 2
D_DETERMINISTIC = 3
D_UNIFORM = 4
D_EMPIRICAL = 5

# --- agent columns (int64) -------------------------------------------------------------------
A_GROUP = 0
A_ORDER = 1  # login order (1, 2, ...); the slot is order - 1 (agents log in once)
A_PRES = 2  # 0 never / logged out, 1 not ready, 2 ready
A_REASON = 3  # R_* or -1
A_HANDLED = 4
A_MISSES = 5
A_WORK = 6  # offers + connected + wrapping
A_INUSE = 7  # capacity units in use, all channels
A_LEAVE = 8  # insertion order in the engine's `_leaving` (-1: not leaving)
A_COLS = 9

P_OUT = 0
P_NOT_READY = 1
P_READY = 2

# --- interaction columns (int64) --------------------------------------------------------------
I_TYPE = 0
I_K = 1
I_ATTEMPT = 2
I_STATUS = 3
I_AGENT = 4
I_QSEQ = 5
I_VER = 6
I_CB = 7
I_OFFSEQ = 8
I_DECL = 9  # head of the declined list in the pool (-1: none)
I_REMINDED = 10
I_OVERDUE = 11
I_GROUP = 12
I_QUEUE = 13
I_PINS = 14  # calendar actions that name it (a slot is reused only when none is left)
I_BUCKET = 15  # metrics fold: arrival interval (-1: before the window)
I_INWIN = 16  # metrics fold: arrived in the window, not ended yet
I_FIRST = 17  # metrics fold: -1 not offered yet; 1 offered after waiting; 0 at once
I_FQ = 18  # metrics fold: the queue it arrived in (its counts stay there after an overflow)
I_STEP = 19  # the next widening step of its queue
I_COLS = 20

S_QUEUED = 0
S_OFFERED = 1
S_CONNECTED = 2
S_COMPLETED = 3
S_ABANDONED = 4
S_FREE = 5  # the slot is on the free list (runs that keep no events reuse slots)
S_EXITED = 6

# interaction floats
F_ARRIVED = 0
F_PRIORITY = 1
F_DEADLINE = 2
F_QAT = 3  # metrics fold: queued at
F_ACC_AT = 4  # metrics fold: accepted at
F_COMP_AT = 5  # metrics fold: completed at
F_COLS = 6

# metrics fold parameters (floats) and run floats
FF_WIDTH = 0
FF_LO = 1
FF_HORIZON = 2
FF_THRESHOLD = 3
FF_COLS = 4
SF_LAST = 0  # time of the last event
SF_COLS = 1

# --- call type columns ------------------------------------------------------------------------
CT_QUEUE = 0
CT_GROUP = 1
CT_CHANNEL = 2
CT_PATIENCE = 3  # distribution index (-1: none)
CT_RETRIAL_DELAY = 4
CT_CALLBACK = 5  # 1: offered a callback
CT_N = 6  # arrivals
CT_OFFSET = 7  # into the flat arrival/handle/patience arrays
CT_ICOLS = 8

CTF_PRIORITY = 0
CTF_RETRIAL_P = 1
CTF_CB_AFTER = 2
CTF_CB_ACCEPT = 3
CT_FCOLS = 4

# --- queue columns ----------------------------------------------------------------------------
Q_STRATEGY = 0
Q_HAS_TIMEOUT = 1
Q_HAS_DEADLINE = 2
Q_N_REMINDERS = 3
Q_MAX_SIZE = 4  # -1: no limit
Q_OVERFLOW = 5  # queue index of overflow_to (-1: none)
Q_KEEP_AGE = 6
Q_HAS_MAX_WAIT = 7
Q_N_STEPS = 8
Q_HAS_NO_AGENTS = 9
Q_HAS_CB_AFTER = 10
Q_OVERDUE_Q = 11  # queue index of overdue_queue (-1: none)
Q_ICOLS = 12

QF_WRAP = 0
QF_TIMEOUT = 1
QF_AGING = 2
QF_DEADLINE = 3
QF_OVERDUE_PRIORITY = 4
QF_MAX_WAIT = 5
QF_NO_AGENTS = 6
QF_CB_AFTER = 7
Q_FCOLS = 8

# --- counters ---------------------------------------------------------------------------------
N_EV = 0
N_CAL = 1
N_CAL_CTR = 2
N_TIM = 3
N_INT = 4
N_AGENTS = 5
N_LOGINS = 6
N_CUSTOMERS = 7
N_DECL = 8
N_FLAG = 9  # overflow: which capacity ran out (0: none)
N_LEAVE_CTR = 10
N_BASE = 11  # seq - 1 of the record buffer's first entry (0 when events are kept)
N_KEEP = 12  # 1: keep every record (and never reuse an interaction slot)
N_NFREE = 13  # free interaction slots
N_COUNTERS = 14

# overflow flags (the run is repeated with that capacity grown)
OV_RECORDS = 1
OV_CALENDAR = 2
OV_TIMERS = 3
OV_INTERACTIONS = 4
OV_QUEUE = 5
OV_DECLINED = 6
OV_AGENTS = 7
OV_CALLBACKS = 8
OV_DIALS = 9
OV_BUCKETS = 10

# --- outbound campaigns -----------------------------------------------------------------------
C_CAMPAIGN = 11
C_DIAL_END = 12
C_GRACE = 13

CP_QUEUE = 0
CP_GROUP = 1
CP_CHANNEL = 2
CP_LIST_SIZE = 3  # -1: no limit
CP_PREDICTIVE = 4
CP_RESERVE = 5
CP_ICOLS = 6

CPF_START = 0
CPF_END = 1
CPF_GRACE = 2
CPF_PRIORITY = 3
CPF_RPC = 4
CPF_CONNECT_DELAY = 5
CPF_HANDLE_TIME = 6
CPF_PRIOR = 7
CPF_WEIGHT = 8
CPF_TARGET = 9
CPF_STEP = 10
CPF_LOW = 11
CPF_HIGH = 12
CPF_LOG_GAIN = 13
CPF_MAX_LINES = 14
CP_FCOLS = 15

# campaign run state (int64)
CS_NEXT = 0
CS_IN_FLIGHT = 1
CS_ATTEMPTS = 2
CS_CONNECTS = 3
CS_COLS = 4
