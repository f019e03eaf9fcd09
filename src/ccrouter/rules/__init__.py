"""The routing-rule language: parse, type-check, evaluate (pure: no I/O, no ``eval``).

A rule is a small expression over attributes, e.g.
``interaction.attributes.tier == "gold" and customer.contacts_7d >= 3``. The pieces:

- :mod:`ccrouter.rules.nodes` — the syntax tree; ``str(tree)`` prints text that parses back
  to an equal tree;
- :mod:`ccrouter.rules.parser` — :func:`parse` (recursive descent; errors name the rule, the
  column and what was expected, as :class:`~ccrouter.errors.RuleError`);
- :mod:`ccrouter.rules.types` — :func:`check` against a declared attribute schema;
- :mod:`ccrouter.rules.evaluator` — :func:`evaluate` (reference), :func:`compile_expr`
  (closures), :func:`trace` (each condition with its values, for ``explain``);
- :mod:`ccrouter.rules.regex` — the safe subset of regular expressions ``matches`` accepts.

>>> cond = parse('agent.level >= 3 and "fr" in agent.languages', rule="senior-fr")
>>> check(cond, {"agent.level": "int", "agent.languages": "list[str]"})
'bool'
>>> compile_expr(cond)({"agent": {"level": 4, "languages": ["fr"]}})
True
"""

from __future__ import annotations

from ccrouter.errors import RuleError
from ccrouter.rules.evaluator import Env, Step, compile_expr, evaluate, read, trace
from ccrouter.rules.nodes import Expr, names
from ccrouter.rules.parser import parse
from ccrouter.rules.types import TYPES, Schema, check, lookup, type_of_value

__all__ = [
    "TYPES",
    "Env",
    "Expr",
    "RuleError",
    "Schema",
    "Step",
    "check",
    "compile_expr",
    "evaluate",
    "lookup",
    "names",
    "parse",
    "read",
    "trace",
    "type_of_value",
]
