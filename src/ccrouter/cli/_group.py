"""The ``ccrouter`` command group, on which every sub-command module registers itself.

It lives apart from the package's ``__init__`` so that the sub-command modules import it
without importing the package that imports them (no import cycle).
"""

from __future__ import annotations

import click

from ccrouter import __version__

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ccrouter")
def main() -> None:
    """ccrouter: contact-center routing, staffing maths and simulation.

    Run `ccrouter COMMAND --help` for the options of one command.
    """
