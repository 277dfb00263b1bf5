"""A SIGALRM that raises KeyboardInterrupt (as cli.signals does) only while armed, for the tests
that fire real interrupts at random moments: disarmed as the code under test returns, it never
lands in the test's own bookkeeping. The `alarm` fixture (tests/conftest.py) installs one."""

from __future__ import annotations

import signal


class Alarm:
    def __init__(self) -> None:
        self.armed = False

    def handler(self, _signum: int, _frame: object) -> None:
        if self.armed:
            self.armed = False
            raise KeyboardInterrupt

    def set(self, seconds: float) -> None:
        self.armed = True
        signal.setitimer(signal.ITIMER_REAL, seconds)
