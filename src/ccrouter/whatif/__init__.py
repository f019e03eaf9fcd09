"""What-if replay: a recorded log's inputs re-run under another config (``model``: the roles of
the events; ``run``: the re-run; ``compare``: the comparison and its summary)."""

from ccrouter.whatif.compare import *  # noqa: F403 - the public face of the package
from ccrouter.whatif.compare import __all__ as _compare

__all__ = list(_compare)
