"""Where the .tcss files live: the `styles` package, so they ship as package data."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path, PurePath

STYLESHEETS = ("app.tcss", "main.tcss", "modals.tcss", "diff.tcss", "screens.tcss", "gates.tcss")


def stylesheets() -> list[str | PurePath]:
    root = files("hotclone.styles")
    return [Path(str(root / name)) for name in STYLESHEETS]
