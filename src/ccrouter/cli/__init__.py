"""The ``ccrouter`` command line.

Each sub-command lives in its own module of this package and registers itself on :data:`main`.
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


def _register() -> None:
    # Sub-command modules import `main` from here, so they are imported after it exists.
    from ccrouter.cli import (  # noqa: F401  (imported for their registration side effect)
        _commands,
    )


_register()
