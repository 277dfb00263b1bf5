"""Ctrl-C, a dropped SSH link (SIGHUP) and SIGTERM all stop a change the same way, once.

The first signal becomes a KeyboardInterrupt where the command is, so core's journal
restores what the change wrote (core/journal.py); later signals are ignored until the
command ends, so that restore cannot itself be cut short by an impatient second Ctrl-C.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from types import FrameType

_SIGNALS = (signal.SIGINT, signal.SIGHUP, signal.SIGTERM)


@contextlib.contextmanager
def stop_once() -> Iterator[None]:
    fired = False

    def handler(signum: int, _frame: FrameType | None) -> None:
        nonlocal fired
        if fired:
            say(f"hotclone: {signal.Signals(signum).name} ignored: restoring what was changed, please wait")
            return
        fired = True
        raise KeyboardInterrupt

    previous = {number: signal.signal(number, handler) for number in _SIGNALS}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def say(line: str) -> None:
    """stderr may be gone (the SSH link dropped): the change's outcome is in history anyway."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)
