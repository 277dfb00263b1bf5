"""Start-up: each command imports what it needs and no more (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

from hotclone.cli import commands
from hotclone.cli.registry import COMMANDS
from tests.conftest import Seeded

PROBE = """
import sys
from hotclone.cli.main import main
try:
    code = main(sys.argv[1:])
finally:
    heavy = ("kubernetes", "deepdiff", "textual")
    print("IMPORTED", " ".join(m for m in heavy if m in sys.modules), file=sys.stderr)
"""


def imported(*argv: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=60)
    line = next(line for line in done.stderr.splitlines() if line.startswith("IMPORTED"))
    return set(line.split()[1:])


def test_every_command_in_the_registry_has_its_function() -> None:
    for name, command in COMMANDS.items():
        assert callable(getattr(commands, command.function, None)), name


def test_a_bad_argument_imports_no_client() -> None:
    assert imported("envs") == set()  # argparse's error: nothing connected, nothing heavy loaded


def test_a_listing_command_imports_the_client_but_no_diff_engine_or_dashboard(seeded: Seeded) -> None:
    assert imported("envs", seeded.app, "--json", "--kubeconfig", seeded.kubeconfig) == {"kubernetes"}
    assert imported("apps", "--kubeconfig", seeded.kubeconfig) == {"kubernetes"}


def test_the_dashboard_imports_neither_the_client_nor_the_diff_engine() -> None:
    # Its first frame is painted before a session connects: the client comes with the session.
    probe = "import sys, hotclone.tui.app; print(' '.join(m for m in ('kubernetes', 'deepdiff') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == ""
