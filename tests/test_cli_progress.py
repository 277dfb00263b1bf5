"""The live progress line: on a terminal for clone, promote and rollback; never without one or with --json.

The real `hotclone` runs as a process with its stderr on a pseudo-terminal, against the
local control plane, and we read what the terminal received.
"""

from __future__ import annotations

import argparse
import fcntl
import io
import json
import os
import re
import struct
import subprocess
import sys
import termios
from dataclasses import dataclass
from pathlib import Path

import pytest

from hotclone.cli.progress import live_progress
from hotclone.core.demo.controlplane import ADMIN_CONTEXT
from hotclone.core.errors import HotcloneError
from hotclone.core.models import ProgressStep
from tests.conftest import Seeded
from tests.helpers import run_cli

HOTCLONE = Path(sys.executable).parent / "hotclone"
HIDE_CURSOR, SHOW_CURSOR, ERASE_LINE = "\x1b[?25l", "\x1b[?25h", "\x1b[2K"
# rich reads these; keep the child's idea of "a terminal" to the file descriptor alone.
_TERMINAL_OVERRIDES = ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "LINES")


@dataclass
class Run:
    code: int
    out: str
    err: str  # what stderr received: the terminal's bytes, or the pipe's


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _TERMINAL_OVERRIDES}
    env["TERM"] = "xterm-256color"
    return env


def _hotclone(seeded: Seeded, *argv: str, terminal: bool) -> Run:
    """Run the console script; stderr on a fresh 100-column pseudo-terminal, or on a pipe."""
    command = [str(HOTCLONE), *argv, "--kubeconfig", seeded.kubeconfig, "--context", ADMIN_CONTEXT]
    if not terminal:
        done = subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=_environment(), timeout=240
        )
        return Run(done.returncode, done.stdout, done.stderr)
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    with subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower, env=_environment()
    ) as child:
        os.close(follower)
        received = bytearray()
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child's end of the terminal is closed
                break
            if not chunk:
                break
            received += chunk
        os.close(leader)
        assert child.stdout is not None
        out = child.stdout.read().decode()
        code = child.wait(timeout=240)
    return Run(code, out, received.decode(errors="replace"))


def _assert_one_clean_line(terminal: str, *steps: str) -> None:
    for step in steps:
        assert step in terminal, f"{step!r} never shown: {terminal[-400:]!r}"
    assert HIDE_CURSOR in terminal
    assert terminal.rfind(SHOW_CURSOR) > terminal.rfind(HIDE_CURSOR), "cursor left hidden"
    assert terminal.endswith(ERASE_LINE), f"the line was not erased at the end: {terminal[-80:]!r}"
    # One line redrawn in place: no line ends inside the drawing except rich's last one.
    assert terminal.count("\n") == 1


def test_clone_promote_rollback_show_one_live_line_on_a_terminal(seeded: Seeded) -> None:
    app = seeded.app
    cloned = _hotclone(seeded, "clone", app, "qa", "fix", "--yes", terminal=True)
    assert cloned.code == 0, cloned.err
    assert cloned.out.startswith(f"cloned {app}/qa -> {app}/fix")
    _assert_one_clean_line(cloned.err, "clone: read", "clone: objects", "clone: history")
    assert re.search(r"\d+/\d+", cloned.err)  # the objects count

    assert run_cli("set-image", app, "fix", f"web={app}/web:1.9.4", "--yes", kubeconfig=seeded.kubeconfig).code == 0
    promoted = _hotclone(seeded, "promote", app, "fix", "--yes", "--no-wait", terminal=True)
    assert promoted.code == 0, promoted.err
    assert f"promote applied to {app}/qa" in promoted.out
    _assert_one_clean_line(promoted.err, "promote: apply", "promote: history")

    history = json.loads(run_cli("history", app, "qa", "--json", kubeconfig=seeded.kubeconfig).out)
    before_promote = min(entry["revision"] for entry in history)
    rolled = _hotclone(seeded, "rollback", app, "qa", str(before_promote), "--yes", "--no-wait", terminal=True)
    assert rolled.code == 0, rolled.err
    _assert_one_clean_line(rolled.err, "rollback: apply")


def test_no_progress_without_a_terminal_or_with_json(seeded: Seeded) -> None:
    app = seeded.app
    piped = _hotclone(seeded, "clone", app, "qa", "piped", "--yes", terminal=False)
    assert piped.code == 0, piped.err
    assert piped.err == ""  # stderr is for errors only when it is not a terminal
    assert "cloned" in piped.out

    as_json = _hotclone(seeded, "clone", app, "qa", "scripted", "--yes", "--json", terminal=True)
    assert as_json.code == 0, as_json.err
    assert as_json.err == ""  # the terminal received nothing at all
    assert json.loads(as_json.out)["environment"]["name"] == "scripted"


class _FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("failure", [HotcloneError("boom"), KeyboardInterrupt()])
def test_the_line_is_erased_and_the_cursor_shown_on_error_and_ctrl_c(
    failure: BaseException, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in _TERMINAL_OVERRIDES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    terminal = _FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with pytest.raises(type(failure)), live_progress(argparse.Namespace(json=False), "clone") as report:
        assert report is not None
        report(ProgressStep("objects", 3, 12, "Deployment x2"))
        raise failure
    drawn = terminal.getvalue()
    assert "clone: objects" in drawn and "3/12" in drawn and "Deployment x2" in drawn
    assert drawn.endswith(ERASE_LINE) and drawn.rfind(SHOW_CURSOR) > drawn.rfind(HIDE_CURSOR)


def test_nothing_is_set_up_when_not_wanted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", _FakeTerminal())
    with live_progress(argparse.Namespace(json=True), "clone") as report:
        assert report is None
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with live_progress(argparse.Namespace(json=False), "clone") as report:
        assert report is None
