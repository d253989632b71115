"""What every command shares: the settings the root command loaded for `--env`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from lakehouse.settings import Settings


def settings_of(context: typer.Context) -> Settings:
    """The settings the root command's callback loaded, seen from any command or sub-command."""
    # Imported here: the settings models take a third of a second to build, which
    # `lakehouse --help` does not need.
    from lakehouse.settings import Settings  # noqa: PLC0415

    settings = context.find_root().obj
    assert isinstance(settings, Settings)
    return settings
