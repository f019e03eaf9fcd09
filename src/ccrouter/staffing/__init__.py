"""Staffing maths: Erlang B, C and A (``ccrouter.staffing.erlang``, also importable as
``ccrouter.erlang``) and staffing tables from an interval forecast (``tables``). Imports nothing
of the router.
"""

from ccrouter.staffing.tables import *  # noqa: F403 - the public face of the package
from ccrouter.staffing.tables import __all__ as _tables

__all__ = list(_tables)
