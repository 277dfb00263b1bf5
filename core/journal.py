"""The protocol every change to an existing environment follows: record, write, verify, mark.

1. A *pending* revision is recorded first (core/history.py): who, why, the plan, the
   objects it will write and the before-state of the environment.
2. The writes go out.
3. Success: the touched objects are read back and the revision is marked complete, with
   the change as a patch of exactly the fields it changed (core/promoted_patch.py).
   Any interruption (an API error, a timeout, Ctrl-C, SIGHUP/SIGTERM turned into
   KeyboardInterrupt by the CLI): every object the plan touches is restored to its
   before-state, including the one whose write was in flight (a request that timed out
   on the client may still be carried out by the server), then read back. If all of
   them match the before-state the revision is marked *undone* and the message says
   nothing changed; otherwise it is marked *interrupted* with the objects still changed.
   If the process dies, or the server is gone, the revision simply stays pending.
4. A pending or interrupted revision blocks every later change of the environment
   until `recover` restores its before-state (and reads it back).

Messages are built from what was read back, never from what was intended.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from hotclone.core import api_discovery, history, inventory, normalize, promoted_patch
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.errors import (
    AlreadyExists,
    Conflict,
    Forbidden,
    HotcloneError,
    Interrupted,
    InvalidInput,
    NotFound,
    Refused,
    Stopped,
    Unreachable,
)
from hotclone.core.models import Environment, HistoryEntry
from hotclone.core.patch import minimal_patch
from hotclone.core.schema import (
    REVISION_COMPLETE,
    REVISION_INTERRUPTED,
    REVISION_RECOVERED,
    REVISION_UNDONE,
)

_RESTORE_ATTEMPTS = 5


# The server answered "no": such a write certainly did not happen. Anything else (no answer,
# a timeout, a 5xx, Ctrl-C mid-request) may have happened, and is restored like a done one.
_REFUSALS = (Conflict, InvalidInput, NotFound, AlreadyExists, Refused, Forbidden)


class Writes:
    """What a change's writes did, as far as the client can know: restore only those."""

    def __init__(self) -> None:
        self.possibly_done: list[str] = []

    @contextlib.contextmanager
    def writing(self, ref: str) -> Iterator[None]:
        try:
            yield
        except _REFUSALS:
            raise
        except BaseException:
            self.possibly_done.append(ref)
            raise
        self.possibly_done.append(ref)


@dataclass(frozen=True)
class Outcome:
    revision: int
    still_changed: tuple[str, ...]  # objects that differ from the before-state after the restore


def refuse_unfinished(environment: Environment, entries: list[HistoryEntry]) -> None:
    """Pure: a half-applied change blocks every other; Refused naming the first unfinished revision."""
    for entry in entries:
        if not entry.finished:
            raise Refused(unfinished_message(environment, entry))


def unfinished_message(environment: Environment, entry: HistoryEntry) -> str:
    when = entry.timestamp.strftime("%Y-%m-%d %H:%M:%SZ")
    what = f"{len(entry.changed)} object(s) still changed" if entry.changed else "it may be half-applied"
    return (
        f"{environment.ref} has an unfinished revision {entry.revision} ({entry.action} by {entry.user} at {when}, "
        f"{entry.state}: {what}); if that run is over, restore it with: hotclone recover {environment.app} "
        f"{environment.name}"
    )


def including(snapshot: list[Obj], objects: list[Obj]) -> list[Obj]:
    """`snapshot` plus the copy form of those `objects` it lacks (environment-scoped ones)."""
    have = {inventory.ref(o) for o in snapshot}
    return snapshot + [normalize.for_copy(o) for o in objects if inventory.ref(o) not in have]


def run(
    cluster: Cluster,
    environment: Environment,
    *,
    action: str,
    user: str,
    reason: str,
    summary: list[str],
    before: list[Obj],
    touched: list[str],
    write: Callable[[Writes], None],
) -> int:
    """Record a pending revision, run `write`, mark the outcome; returns the revision number.

    `before` is the environment's material snapshot (copy form) read before planning;
    `touched` every "Kind/name" `write` may create, change or delete; `write` wraps each
    write in `writes.writing(ref)`, so that a stop restores what was (or may have been)
    written, and never an object it did not write (a colleague's change that made ours
    fail stays). If the process dies instead, `recover` restores every touched object.
    """
    known = history.entries(cluster, environment)  # one LIST: the unfinished check and the next number
    refuse_unfinished(environment, known)
    revision = history.begin(
        cluster,
        environment.namespace,
        action=action,
        user=user,
        summary=summary,
        before=before,
        touched=touched,
        reason=reason,
        known=known,
    )
    writes = Writes()
    try:
        write(writes)
    except BaseException as error:
        outcome = _stop(cluster, environment, revision, before, writes.possibly_done)
        if isinstance(error, HotcloneError):  # the same kind of error (a Conflict stays a Conflict), told truly
            raise type(error)(_stopped_message(environment, action, outcome, str(error))) from None
        if isinstance(error, KeyboardInterrupt):  # Ctrl-C, or SIGHUP/SIGTERM as the CLI delivers them
            raise Interrupted(_stopped_message(environment, action, outcome, "interrupted")) from error
        raise
    try:
        patch = read_back_patch(cluster, environment, before, touched)
        history.mark(cluster, environment.namespace, revision, REVISION_COMPLETE, patch=patch)
    except (HotcloneError, KeyboardInterrupt) as error:
        stop = Interrupted if isinstance(error, KeyboardInterrupt) else Stopped
        raise stop(
            f"{action} of {environment.ref} was applied, but revision {revision} could not be marked complete "
            f"({error or 'interrupted'}); it shows as unfinished, and hotclone recover {environment.app} "
            f"{environment.name} would restore the state from before it"
        ) from None
    return revision


def read_back_patch(
    cluster: Cluster, environment: Environment, before: list[Obj], touched: list[str]
) -> list[Obj] | None:
    """The completed change as patch documents, from the touched objects read back; None if one cannot be read
    (the revision is then complete without a patch: the change itself is done)."""
    namespace = environment.namespace
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            after = dict(zip(touched, pool.map(lambda ref: _live(cluster, namespace, ref), touched), strict=True))
    except HotcloneError:
        return None
    try:
        return promoted_patch.documents({inventory.ref(o): o for o in before}, after, touched)
    except Exception:  # the patch is a convenience: the done change is marked complete regardless
        return None


def _stop(cluster: Cluster, environment: Environment, revision: int, before: list[Obj], touched: list[str]) -> Outcome:
    still = restore(cluster, environment, {inventory.ref(o): o for o in before}, touched)
    state = REVISION_INTERRUPTED if still else REVISION_UNDONE
    with contextlib.suppress(HotcloneError):  # else it stays pending, which later commands treat alike
        history.mark(cluster, environment.namespace, revision, state, changed=still)
    return Outcome(revision, tuple(still))


def _stopped_message(environment: Environment, action: str, outcome: Outcome, cause: str) -> str:
    if not outcome.still_changed:
        return f"{action} of {environment.ref} stopped and was undone; read back, nothing changed: {cause}"
    listed = ", ".join(outcome.still_changed[:10]) + (" …" if len(outcome.still_changed) > 10 else "")
    return (
        f"{action} of {environment.ref} stopped: {cause}; {len(outcome.still_changed)} object(s) could not be "
        f"restored yet ({listed}); revision {outcome.revision} records them: run hotclone recover "
        f"{environment.app} {environment.name} once the API server answers"
    )


def restore(cluster: Cluster, environment: Environment, before: dict[str, Obj], touched: list[str]) -> list[str]:
    """Put every touched object back to its before-state; returns those that still differ (read back)."""
    namespace = environment.namespace
    for ref in reversed(touched):
        try:
            _restore_one(cluster, namespace, ref, before.get(ref))
        except Unreachable:
            return list(touched)  # the server is gone: nothing can be restored or read back now
        except HotcloneError:
            continue  # verified below: it is reported as still changed
    still: list[str] = []
    for index, ref in enumerate(touched):
        try:
            if not _matches(cluster, namespace, ref, before.get(ref)):
                still.append(ref)
        except Unreachable:
            return still + touched[index:]  # not read back: cannot say it is restored
        except HotcloneError:
            still.append(ref)
    return still


def _live(cluster: Cluster, namespace: str, ref: str) -> Obj | None:
    kind_name, name = ref.split("/", 1)
    try:
        return cluster.get(api_discovery.kind_named(cluster, kind_name), namespace, name)
    except NotFound:
        return None


def _matches(cluster: Cluster, namespace: str, ref: str, wanted: Obj | None) -> bool:
    live = _live(cluster, namespace, ref)
    if live is None or wanted is None:
        return live is None and wanted is None
    return bool(normalize.for_compare(live, namespace) == normalize.for_compare(wanted, namespace))


def _restore_one(cluster: Cluster, namespace: str, ref: str, wanted: Obj | None) -> None:
    kind_name, name = ref.split("/", 1)
    kind = api_discovery.kind_named(cluster, kind_name)
    for _ in range(_RESTORE_ATTEMPTS):
        live = _live(cluster, namespace, ref)
        if wanted is None:
            if live is not None:
                cluster.delete(kind, namespace, name, resource_version=live["metadata"]["resourceVersion"])
            return
        body = normalize.for_copy(wanted)
        body["metadata"]["namespace"] = namespace
        if live is None:
            cluster.create(kind, namespace, body)
            return
        operations = minimal_patch(live, body)
        if not operations:
            return
        try:
            cluster.json_patch(kind, namespace, name, operations)
            return
        except (Conflict, InvalidInput):
            continue  # its resourceVersion moved (a controller): read it again and retry


def recover(cluster: Cluster, environment: Environment, *, user: str) -> list[HistoryEntry]:
    """Restore the before-state of every unfinished revision, newest first; returns what was recovered.

    Raises Stopped naming the objects that still differ when one cannot be restored.
    """
    recovered: list[HistoryEntry] = []
    for entry in sorted(history.entries(cluster, environment), key=lambda e: -e.revision):
        if entry.finished:
            continue
        _, snapshot = history.snapshot(cluster, environment, entry.revision)
        # Interrupted: the run itself recorded exactly what it could not restore. Pending: the
        # writer died without saying, so every object it meant to write is restored.
        exact = entry.state == REVISION_INTERRUPTED and entry.changed
        touched = list(entry.changed) if exact else history.touched(cluster, environment, entry.revision)
        still = restore(cluster, environment, {inventory.ref(o): o for o in snapshot}, touched)
        if still:
            history.mark(cluster, environment.namespace, entry.revision, REVISION_INTERRUPTED, changed=still)
            raise Stopped(
                f"revision {entry.revision} of {environment.ref} could not be fully restored: "
                f"{len(still)} object(s) still differ ({', '.join(still[:10])})"
            )
        history.mark(
            cluster,
            environment.namespace,
            entry.revision,
            REVISION_RECOVERED,
            summary=[*entry.summary, f"recovered by {user}: {len(touched)} object(s) restored and read back"],
        )
        recovered.append(entry)
    return recovered
