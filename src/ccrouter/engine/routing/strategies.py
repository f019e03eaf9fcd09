"""Strategy codes shared by the reference and the kernel.

Every strategy orders eligible agents by a key and picks the smallest:

============== =============================================== ==================
strategy       key (smallest wins)                              score (explain)
============== =============================================== ==================
longest_idle   (idle_since, login_order)                        seconds idle
most_skilled   (-sum of proficiency over required skills, ...)  proficiency sum
least_occupied (share of capacity in use, idle_since, ...)      -share in use
fewest_handled (accepted since login, idle_since, ...)          -handled
round_robin    (login_order <= last used, login_order)          -(position after last)
random         uniform among eligible, seeded by (seed, seq)    —
============== =============================================== ==================
"""

from __future__ import annotations

__all__ = [
    "CODES",
    "FEWEST_HANDLED",
    "LEAST_OCCUPIED",
    "LONGEST_IDLE",
    "MOST_SKILLED",
    "RANDOM",
    "ROUND_ROBIN",
    "uniform",
]

LONGEST_IDLE = 0
MOST_SKILLED = 1
LEAST_OCCUPIED = 2
FEWEST_HANDLED = 3
ROUND_ROBIN = 4
RANDOM = 5

CODES: dict[str, int] = {
    "longest_idle": LONGEST_IDLE,
    "most_skilled": MOST_SKILLED,
    "least_occupied": LEAST_OCCUPIED,
    "fewest_handled": FEWEST_HANDLED,
    "round_robin": ROUND_ROBIN,
    "random": RANDOM,
}


def uniform(seed: int, seq: int) -> float:
    """A reproducible uniform number in [0, 1) for the decision made at event ``seq``.

    Counter-based (SplitMix64 of seed and seq): a replay needs no generator state, and a
    decision's randomness does not depend on how many random decisions came before.

    >>> uniform(0, 1) == uniform(0, 1) and 0.0 <= uniform(0, 1) < 1.0
    True
    """
    mask = (1 << 64) - 1
    z = (seed * 0x9E3779B97F4A7C15 + seq * 0xBF58476D1CE4E5B9 + 0x94D049BB133111EB) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    z ^= z >> 31
    return (z >> 11) / float(1 << 53)
