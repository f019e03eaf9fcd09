"""The bounded regular expressions of ``matches``: a safe subset of Python's ``re``.

What is guaranteed: a pattern accepted here runs in time polynomial in the input, with a
small degree, and the input is capped, so one ``matches`` costs at most about
``(MAX_INPUT + 1) ** (MAX_VARIABLE + 1)`` backtracking steps (≈ 1.7·10⁷ with the values
below, in practice far fewer) — no pattern can hang the router. How:

- a pattern is at most :data:`MAX_PATTERN` characters;
- quantifiers (``* + ? {m,n}``) apply to a single character, a character class, an escape
  or ``.`` — never to a group, so nothing is nested (``(a+)+``, ``(a|a)*`` are refused);
- at most :data:`MAX_VARIABLE` quantifiers of variable length (``* + ? {m,n}`` with
  ``m != n``), the source of polynomial backtracking (``a*a*a*...b``);
- fixed repeats ``{n}`` repeat at most :data:`MAX_REPEAT` times;
- no backreferences and no look-around or other ``(?...)`` forms but ``(?:...)``;
- the subject is at most :data:`MAX_INPUT` characters: a longer value does not match.

Matching is ``re.search`` (anchor with ``^`` and ``$``).
"""

from __future__ import annotations

import re

__all__ = ["MAX_INPUT", "MAX_PATTERN", "MAX_REPEAT", "MAX_VARIABLE", "compile_pattern", "problem"]

MAX_PATTERN = 200
"""Longest pattern, in characters."""
MAX_VARIABLE = 2
"""Most quantifiers of variable length in one pattern."""
MAX_REPEAT = 100
"""Largest bound of a ``{m,n}`` repeat."""
MAX_INPUT = 256
"""Longest subject ``matches`` looks at; a longer string does not match."""

_BRACE = re.compile(r"\{(\d*)(,?)(\d*)\}")


def problem(pattern: str) -> str | None:
    """Why ``pattern`` is outside the safe subset, or ``None`` if it is inside.

    Args:
        pattern: a regular expression in Python syntax.

    Returns:
        A short reason, or ``None``.

    >>> problem(r"^\\+33\\d{9}$") is None
    True
    >>> problem(r"(a+)+b")
    'a quantifier may follow a character, a class or an escape, not a group'
    """
    if len(pattern) > MAX_PATTERN:
        return f"at most {MAX_PATTERN} characters"
    variable = 0
    i = 0
    n = len(pattern)
    quantifiable = False  # may the next character be a quantifier?
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                return "an escape must escape something"
            e = pattern[i + 1]
            if e.isdigit() or e in "gk":
                return "no backreferences"
            i += 2
            quantifiable = e not in "bBAZ"
            continue
        if c == "[":
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            if j >= n:
                return "an unterminated character class"
            i = j + 1
            quantifiable = True
            continue
        if c == "(":
            if pattern.startswith("(?", i) and not pattern.startswith("(?:", i):
                return "no (?...) forms but (?:...)"
            i += 3 if pattern.startswith("(?:", i) else 1
            quantifiable = False
            continue
        if c in "*+?{":
            if c == "{":
                m = _BRACE.match(pattern, i)
                if m is None:
                    # A literal brace, as Python's re reads it.
                    i += 1
                    quantifiable = True
                    continue
                low, comma, high = m.groups()
                lo = int(low or 0)
                hi = int(high) if high else (None if comma else lo)
                if (hi is not None and hi > MAX_REPEAT) or lo > MAX_REPEAT:
                    return f"repeats of at most {MAX_REPEAT}"
                fixed = hi == lo
                end = m.end()
            else:
                fixed = False
                end = i + 1
            if not quantifiable:
                if i > 0 and pattern[i - 1] == ")":
                    return "a quantifier may follow a character, a class or an escape, not a group"
                return "a quantifier must follow something it repeats"
            if not fixed:
                variable += 1
                if variable > MAX_VARIABLE:
                    return f"at most {MAX_VARIABLE} quantifiers of variable length"
            i = end
            if i < n and pattern[i] == "?":
                i += 1  # lazy: the same bound
            if i < n and pattern[i] in "*+{":
                return "one quantifier per item"
            quantifiable = False
            continue
        quantifiable = c not in "|)^$"
        i += 1
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"a valid regular expression ({exc.msg})"
    return None


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a pattern already accepted by :func:`problem`.

    Args:
        pattern: the pattern.

    Returns:
        The compiled pattern.
    """
    return re.compile(pattern)
