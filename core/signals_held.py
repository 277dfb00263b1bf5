"""Holding the stop signals while threads start, so an interrupt never lands inside threading.

`Thread.start()` waits on a Condition written in Python. A KeyboardInterrupt raised there
(Ctrl-C, or cli.signals turning SIGHUP and SIGTERM into one) leaves the Condition half done:
it surfaces as "RuntimeError: release unlocked lock" instead of the interrupt, or the thread
is running but `join()` says "cannot join thread before it is started" (both seen in CI, a few
in a thousand interrupts). Held, a signal waits in the kernel and is delivered the moment the
block ends, as the same KeyboardInterrupt, once every thread is started and in the caller's
hands. Threads started meanwhile inherit the mask, so the main thread is the one that hears it.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator, Sequence

# The signals that stop a command (cli.signals) and the timer tests use to stand in for them.
# Never the synchronous ones (SIGSEGV and the like): those cannot wait.
_STOPS = frozenset({signal.SIGINT, signal.SIGHUP, signal.SIGTERM, signal.SIGQUIT, signal.SIGALRM})


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Signals held for the block; one that came meanwhile is raised as the block ends."""
    if not hasattr(signal, "pthread_sigmask"):  # not POSIX: nothing to hold
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, ())  # only reads the mask
    try:
        # Inside the try: a signal pending as the mask changes is raised by this very call (it
        # checks for signals), and the mask must not stay changed behind it: Ctrl-C would be
        # held for good.
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
        yield
    finally:
        # Unblocking delivers what is pending and runs its handler here (pthread_sigmask checks).
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def start_all(threads: Sequence[threading.Thread]) -> None:
    """Start every thread of the caller's list; an interrupt arrives only once all have started
    (or none, if it came before), so the caller always knows which to join."""
    with held():
        for thread in threads:
            thread.start()
