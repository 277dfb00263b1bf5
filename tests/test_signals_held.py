"""Signals held while threads start: a real interrupt is never lost, never cuts threading in half,
and never leaves Ctrl-C blocked afterwards."""

from __future__ import annotations

import random
import signal
import threading
import time

import pytest

from hotclone.core import signals_held
from tests.alarm import Alarm


def _blocked() -> set[int]:
    return set(signal.pthread_sigmask(signal.SIG_BLOCK, ()))


def test_a_signal_during_the_block_is_raised_as_it_ends(alarm: Alarm) -> None:
    finished = False
    with pytest.raises(KeyboardInterrupt), signals_held.held():
        alarm.set(0.01)
        time.sleep(0.1)  # the alarm comes now, and waits
        finished = True
    assert finished
    assert signal.SIGALRM not in _blocked() and signal.SIGINT not in _blocked()


def test_the_mask_is_restored_whatever_the_block_raises() -> None:
    before = _blocked()
    with pytest.raises(ValueError), signals_held.held():
        assert signal.SIGINT in _blocked() and signal.SIGHUP in _blocked()
        raise ValueError("boom")
    assert _blocked() == before


def test_an_interrupt_at_any_moment_leaves_all_threads_started_or_none(alarm: Alarm) -> None:
    """Without the hold, a few interrupts in a thousand land inside Thread.start() and surface as
    "release unlocked lock" or a thread that join() says never started (seen in CI)."""
    rng = random.Random(12)
    interrupted = 0
    for _ in range(1000):
        threads = [threading.Thread(target=time.sleep, args=(0.0001,), daemon=True) for _ in range(4)]
        finished = False
        try:
            alarm.set(rng.uniform(0.00001, 0.0004))
            signals_held.start_all(threads)
            finished = True
            alarm.armed = False
        except KeyboardInterrupt:
            interrupted += not finished
        signal.setitimer(signal.ITIMER_REAL, 0)
        started = [t.ident is not None for t in threads]
        assert all(started) or not any(started)
        for thread in threads:
            if thread.ident is not None:
                thread.join()  # never "cannot join thread before it is started"
        assert signal.SIGALRM not in _blocked()  # never left held
    assert interrupted > 100  # the signals did land mid-run
