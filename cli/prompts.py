"""Asking before a change: a terminal prompt, or --yes [--confirm NAME] from a script."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from hotclone.core import display
from hotclone.core.errors import Refused


def confirm(args: argparse.Namespace, question: str, production_name: str | None = None) -> None:
    """Raise unless the user (or --yes [--confirm NAME]) agreed. Nothing has changed yet.

    One typed name per change: the production target's (`production_name`), else, in a
    context the config file marks production (`args.production_context`, set by cli.main),
    the context's.
    """
    given = getattr(args, "confirm", None)
    context = None if production_name else getattr(args, "production_context", None)
    what = "the target is production" if production_name else f"context {context} is marked production"
    production_name = production_name or context
    if getattr(args, "yes", False):
        if production_name and given != production_name:
            raise Refused(display.safe(f"{what}: pass --confirm {production_name} together with --yes"))
        return
    if not sys.stdin.isatty():
        raise Refused("not a terminal and no --yes given: nothing was changed")
    question = display.safe(question)
    if production_name:
        where = "This is PRODUCTION" if context is None else display.safe(f"Context {context} is PRODUCTION")
        answer = input(f"{question}\n{where}. Type {display.safe(production_name)!r} to confirm: ").strip()
        if answer != production_name:
            raise Refused(f"confirmation {answer!r} does not match {production_name!r}: nothing was changed")
        return
    if input(f"{question} [y/N] ").strip().lower() not in ("y", "yes"):
        raise Refused("not confirmed: nothing was changed")


def required_reason(args: argparse.Namespace, refuse: Callable[[str], None]) -> str:
    """--reason, or asked for on a terminal; `refuse` raises core's one-line error when it is empty.

    Without a terminal and without --yes, the reason is not asked for: confirm() refuses next.
    """
    given: str = getattr(args, "reason", "") or ""
    if given.strip():
        return given
    if not getattr(args, "yes", False):
        if not sys.stdin.isatty():
            return given
        given = input("Reason (recorded in history; required for production): ").strip()
    refuse(given)
    return given
