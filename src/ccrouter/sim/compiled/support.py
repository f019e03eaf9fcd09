"""Which features of a scenario the compiled engine runs, and the error naming the rest."""

from __future__ import annotations

from collections.abc import Sequence

from ccrouter.errors import ConfigError
from ccrouter.sim.scenario import Scenario

__all__ = ["NotCompiled", "unsupported_features"]


class NotCompiled(ConfigError):
    """The scenario uses features the compiled engine does not run (``features`` names them)."""

    features: list[str]

    def __init__(self, features: Sequence[str]) -> None:
        self.features = list(features)
        super().__init__(
            "the compiled engine does not run this scenario; not compiled: "
            + ", ".join(self.features)
            + " (use engine='router' or engine='auto')"
        )


def unsupported_features(scenario: Scenario) -> list[str]:
    """Names of the features of ``scenario`` the compiled engine cannot run (empty: it can).

    Args:
        scenario: the scenario to check.

    Returns:
        Short stable names (``"outbound campaigns"``, ``"strategy 'random'"``...), in a fixed
        order; empty when the whole scenario runs compiled.
    """
    del scenario
    return ["compiled engine not built"]
