"""The commands by name, and which of them change something: read by the parser and cli.main.

Only names here: each command's function (cli/commands.py, with everything it needs) is
imported when it runs, so `hotclone --help` and the dashboard's first frame never pay for
the commands they do not run.
"""

from __future__ import annotations

import argparse
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotclone.core.contract import SessionContract


@dataclass(frozen=True)
class Command:
    function: str  # the function's name in hotclone.cli.commands
    changes: bool = False  # refused in read-only mode; gets --yes
    dry_run: bool = False  # has --dry-run, which makes it change nothing

    def changes_with(self, args: argparse.Namespace) -> bool:
        return self.changes and not (self.dry_run and getattr(args, "dry_run", False))

    def run(self, session: SessionContract, args: argparse.Namespace) -> int:
        commands = importlib.import_module("hotclone.cli.commands")
        result: int = getattr(commands, self.function)(session, args)
        return result


COMMANDS: dict[str, Command] = {
    "whoami": Command("cmd_whoami"),
    "apps": Command("cmd_apps"),
    "envs": Command("cmd_envs"),
    "types": Command("cmd_types"),
    "clone": Command("cmd_clone", changes=True, dry_run=True),
    "set-image": Command("cmd_set_image", changes=True),
    "set-config": Command("cmd_set_config", changes=True),
    "diff": Command("cmd_diff"),
    "promote": Command("cmd_promote", changes=True, dry_run=True),
    "rollback": Command("cmd_rollback", changes=True),
    "history": Command("cmd_history"),
    "recover": Command("cmd_recover", changes=True),
    "destroy": Command("cmd_destroy", changes=True),
    "gc": Command("cmd_gc", changes=True, dry_run=True),
    "requests": Command("cmd_requests"),
    "approve": Command("cmd_approve", changes=True),
    "reject": Command("cmd_reject", changes=True),
    "install-policy": Command("cmd_install_policy", changes=True),
    # Creates check Jobs (refused in read-only mode) but changes no object of the environment,
    # so it asks nothing: CI runs it as it is.
    "verify": Command("cmd_verify", changes=True),
}
