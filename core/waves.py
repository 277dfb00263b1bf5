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

from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

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


def write_in_waves(
    waves: Sequence[Sequence[T]],
    write: Callable[[T], None],
    *,
    done: Callable[[T], None] | None = None,
    workers: int = WORKERS,
) -> None:
    """Run `write` for every item, a wave at a time, `workers` at once; `done` runs on the calling
    thread as each item completes (progress). The first failure (or KeyboardInterrupt) is raised
    once every write already under way has ended."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="write") as pool:
        for wave in waves:
            futures: dict[Future[None], T] = {pool.submit(write, item): item for item in wave}
            try:
                pending = set(futures)
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        future.result()  # the first failure raises here
                        if done is not None:
                            done(futures[future])
            except BaseException:
                for future in futures:
                    future.cancel()  # not started: never written
                wait(futures)  # under way: let them end, so the journal knows what may be written
                raise
