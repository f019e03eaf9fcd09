"""Import paths of modules that moved into subpackages, kept working.

Code outside the project imports ``ccrouter.erlang``, ``ccrouter.state``, ``ccrouter.routing.match``
and the like (the docs of earlier releases named them). Each old name resolves to the very
module object of its new home (not a copy), so ``isinstance`` checks, monkeypatching and module
attributes behave exactly as before. New code imports the new paths.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

_ENGINE = ("agent_table", "channels", "core", "customers", "decisions", "digest", "fairness",
           "invariants", "policies", "records", "snapshot", "state", "transfers", "validation",
           "views")  # fmt: skip
_ROUTING = ("_kernels", "batch", "batch_match", "explain", "explain_batch", "match", "reference",
            "strategies")  # fmt: skip

MOVED: dict[str, str] = {
    **{f"ccrouter.{m}": f"ccrouter.engine.{m}" for m in _ENGINE},
    "ccrouter.routing": "ccrouter.engine.routing",
    **{f"ccrouter.routing.{m}": f"ccrouter.engine.routing.{m}" for m in _ROUTING},
    "ccrouter.erlang": "ccrouter.staffing.erlang",
    "ccrouter.erlang_a": "ccrouter.staffing.erlang_a",
    "ccrouter.whatif_model": "ccrouter.whatif.model",
    "ccrouter.whatif_run": "ccrouter.whatif.run",
}
"""Old module name → its new home."""


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old name and hands back the module of its new home."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(
            fullname, self, is_package=fullname == "ccrouter.routing"
        )

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module: ModuleType) -> None:
        """The new home already ran."""


def install() -> None:
    """Put the alias finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        sys.meta_path.insert(0, _Alias())
