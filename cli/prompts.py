"""Asking before a change: a terminal prompt, or --yes [--confirm NAME] from a script."""

from __future__ import annotations

import argparse
import sys

from hotclone.core import display
from hotclone.core.errors import Refused


def confirm(args: argparse.Namespace, question: str, production_name: str | None = None) -> None:
    """Raise unless the user (or --yes [--confirm NAME]) agreed. Nothing has changed yet."""
    given = getattr(args, "confirm", None)
    if getattr(args, "yes", False):
        if production_name and given != production_name:
            raise Refused(f"the target is production: pass --confirm {production_name} together with --yes")
        return
    if not sys.stdin.isatty():
        raise Refused("not a terminal and no --yes given: nothing was changed")
    question = display.safe(question)
    if production_name:
        answer = input(f"{question}\nThis is PRODUCTION. Type {production_name!r} to confirm: ").strip()
        if answer != production_name:
            raise Refused(f"confirmation {answer!r} does not match {production_name!r}: nothing was changed")
        return
    if input(f"{question} [y/N] ").strip().lower() not in ("y", "yes"):
        raise Refused("not confirmed: nothing was changed")
