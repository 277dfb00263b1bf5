"""Writes that go out concurrently, in waves ordered by dependency.

A clone or a promote writes hundreds of objects; one at a time, that is hundreds of round
trips. Objects of one wave (one kind, in creation order: ServiceAccounts and config before
the workloads that use them, custom resources last) go out together, bounded; the next
wave starts when the whole wave is done.

All or nothing still holds, because a stop never leaves a write in flight unaccounted for:
on the first failure, or Ctrl-C, writes not yet started are cancelled and those under way
are waited for before the error is raised, so the journal (core/journal.py `Writes`) knows
every write that may have happened before it restores.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from hotclone.core import signals_held

T = TypeVar("T")

WORKERS = 8  # the client's connection pool holds 10: room for a read or two alongside


def grouped(items: Sequence[T], key: Callable[[T], Hashable]) -> list[list[T]]:
    """Consecutive items with the same key, in order (items already in creation order)."""
    waves: list[list[T]] = []
    last: Hashable = object()
    for item in items:
        current = key(item)
        if not waves or current != last:
            waves.append([])
            last = current
        waves[-1].append(item)
    return waves


@dataclass(frozen=True)
class _Outcome(Generic[T]):
    item: T
    error: BaseException | None = None


def write_in_waves(
    waves: Sequence[Sequence[T]],
    write: Callable[[T], None],
    *,
    done: Callable[[T], None] | None = None,
    workers: int = WORKERS,
) -> None:
    """Run `write` for every item, a wave at a time, `workers` at once; `done` runs on the calling
    thread as each item completes (progress). The first failure (or KeyboardInterrupt) is raised
    once every write already under way has ended.

    Signal-safe by construction: a Ctrl-C or SIGHUP becomes a KeyboardInterrupt wherever the main
    thread is, and raised inside a lock-taking library call (concurrent.futures' wait) it can leave
    a lock held that a worker then needs: the process hangs (seen in CI). So the main thread only
    ever blocks in SimpleQueue.get, whose lock is C code that an interrupt cannot leave taken, and
    the workers only put into queues; a stop is a flag the workers read before each write. The
    workers start, and the stop joins them, with the signals held (core/signals_held.py):
    Thread.start() and join() are Python code an interrupt could otherwise cut in half."""
    for wave in waves:
        _one_wave(list(wave), write, done, max(1, min(workers, len(wave))))


def _one_wave(wave: list[T], write: Callable[[T], None], done: Callable[[T], None] | None, workers: int) -> None:
    todo: queue.SimpleQueue[T | None] = queue.SimpleQueue()
    outcomes: queue.SimpleQueue[_Outcome[T]] = queue.SimpleQueue()
    stop = threading.Event()  # set only by this thread; workers read it without waiting on it

    def work() -> None:
        while (item := todo.get()) is not None:
            if stop.is_set():
                continue  # never started: never written
            try:
                write(item)
            except BaseException as error:  # every write is accounted for, whatever ended it
                outcomes.put(_Outcome(item, error))
            else:
                outcomes.put(_Outcome(item))

    threads = [threading.Thread(target=work, name="write", daemon=True) for _ in range(workers)]
    try:
        for item in wave:
            todo.put(item)
        for _ in range(workers):
            todo.put(None)  # one end mark per worker
        signals_held.start_all(threads)
        for _ in wave:
            outcome = outcomes.get()
            if outcome.error is not None:
                raise outcome.error
            if done is not None:
                done(outcome.item)
    except BaseException:  # the first failure, or an interrupt wherever this thread was
        with signals_held.held():  # a second signal waits: the writes under way end first
            stop.set()  # not started: never written
            for thread in threads:
                if thread.ident is not None:  # started (all were, or none: start_all holds signals)
                    thread.join()  # under way: ended before the caller's journal looks (counting
                    # outcomes instead could wait forever for one an interrupt took on its way here)
        raise
