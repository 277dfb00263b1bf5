"""History of every change hotclone makes to an environment, stored in its namespace.

Each revision is a Secret (snapshots contain Secret data, so they get Secret RBAC)
labelled as history, holding who/when/what/reason and its state in annotations, the
list of objects the change writes, and a gzip-compressed JSON snapshot of the
material objects *before* the change; a snapshot too big for one Secret is split
across several. A revision is created *pending*, before its change writes anything
(core/journal.py), and marked when the change ends. The newest MAX_REVISIONS are kept.
A clone also stores its source's material objects at clone time (the base Secret):
the base of promote's three-way merge. The Secrets' format is in core/schema.py.
"""

from __future__ import annotations

import base64
import contextlib
import json
from datetime import UTC, datetime

from hotclone.core import inventory, kinds, normalize
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.discovery import parse_time
from hotclone.core.errors import AlreadyExists, HotcloneError, InvalidInput, NotFound
from hotclone.core.models import Environment, HistoryEntry, RevisionPatch
from hotclone.core.schema import (
    ANNOTATION_ACTION,
    ANNOTATION_CHANGED,
    ANNOTATION_PARTS,
    ANNOTATION_REASON,
    ANNOTATION_REVISION_STATE,
    ANNOTATION_SNAPSHOT_KINDS,
    ANNOTATION_SOURCE_NAMESPACE,
    ANNOTATION_SUMMARY,
    ANNOTATION_TIME,
    ANNOTATION_USER,
    BASE_SECRET,
    HISTORY_BASE,
    HISTORY_PART,
    HISTORY_REVISION,
    LABEL_HISTORY,
    LABEL_REVISION,
    MAX_REASON,
    MAX_SUMMARY_LINE,
    MAX_SUMMARY_LINES,
    PATCH_KEY,
    PATCH_MAX_BYTES,
    PATCH_TOO_LARGE,
    REVISION_COMPLETE,
    REVISION_PENDING,
    SNAPSHOT_KEY,
    SNAPSHOT_KINDS_DISCOVERED,
    TIME_FORMAT,
    TOUCHED_KEY,
    history_secret_name,
    history_secret_with,
    pack,
    pack_parts,
    part_name,
    unpack,
    unpack_parts,
)

MAX_REVISIONS = 20
_CREATE_ATTEMPTS = 20  # revision numbers taken by racing writers are skipped, never overwritten


def material_snapshot(cluster: Cluster, namespace: str) -> list[Obj]:
    """What a revision keeps: the environment's material objects, server fields stripped."""
    return [normalize.for_copy(o) for o in inventory.material(cluster, namespace)]


def save_base(cluster: Cluster, namespace: str, source_namespace: str, objects: list[Obj]) -> None:
    """The source's material objects at clone time, split across Secrets when large."""
    values = pack_parts(objects)
    annotations = {ANNOTATION_SOURCE_NAMESPACE: source_namespace}
    if len(values) > 1:
        annotations[ANNOTATION_PARTS] = str(len(values))
    _write_parts(cluster, namespace, BASE_SECRET, values, {LABEL_HISTORY: HISTORY_PART})
    body = history_secret_with(BASE_SECRET, {LABEL_HISTORY: HISTORY_BASE}, annotations, {SNAPSHOT_KEY: values[0]})
    cluster.create(kinds.SECRET, namespace, body)


def load_base(cluster: Cluster, namespace: str) -> tuple[str, list[Obj]]:
    """(source namespace, source material objects at clone time)."""
    try:
        secret = cluster.get(kinds.SECRET, namespace, BASE_SECRET)
    except NotFound:
        raise NotFound(f"no clone snapshot in {namespace}: it was not made by hotclone clone") from None
    return secret["metadata"]["annotations"][ANNOTATION_SOURCE_NAMESPACE], _read_parts(cluster, namespace, secret)


def _write_parts(cluster: Cluster, namespace: str, name: str, values: list[str], labels: dict[str, str]) -> None:
    """The 2nd, 3rd, ... values of a large snapshot, each in its own Secret, before the first."""
    for part, value in enumerate(values[1:], start=2):
        body = history_secret_with(part_name(name, part), labels, {}, {SNAPSHOT_KEY: value})
        with contextlib.suppress(AlreadyExists):  # left by an earlier attempt at the same name: ours now
            cluster.create(kinds.SECRET, namespace, body)


def _read_parts(cluster: Cluster, namespace: str, secret: Obj) -> list[Obj]:
    parts = int((secret["metadata"].get("annotations") or {}).get(ANNOTATION_PARTS, "1"))
    name = secret["metadata"]["name"]
    values = [secret["data"][SNAPSHOT_KEY]]
    values += [
        cluster.get(kinds.SECRET, namespace, part_name(name, p))["data"][SNAPSHOT_KEY] for p in range(2, parts + 1)
    ]
    return unpack_parts(values)


def _list(cluster: Cluster, namespace: str) -> list[Obj]:
    return cluster.list(kinds.SECRET, namespace, label_selector=f"{LABEL_HISTORY}={HISTORY_REVISION}")


def _entry(secret: Obj) -> HistoryEntry:
    annotations = secret["metadata"].get("annotations") or {}
    return HistoryEntry(
        revision=int(secret["metadata"]["labels"][LABEL_REVISION]),
        action=annotations.get(ANNOTATION_ACTION, "?"),
        user=annotations.get(ANNOTATION_USER, "?"),
        timestamp=parse_time(annotations.get(ANNOTATION_TIME)) or datetime.fromtimestamp(0, UTC),
        summary=tuple(json.loads(annotations.get(ANNOTATION_SUMMARY) or "[]")),
        reason=annotations.get(ANNOTATION_REASON, ""),
        state=annotations.get(ANNOTATION_REVISION_STATE, REVISION_COMPLETE),
        changed=tuple(json.loads(annotations.get(ANNOTATION_CHANGED) or "[]")),
        legacy_snapshot=annotations.get(ANNOTATION_SNAPSHOT_KINDS) != SNAPSHOT_KINDS_DISCOVERED,
    )


def entries(cluster: Cluster, environment: Environment) -> list[HistoryEntry]:
    """Every revision, oldest first, with its state (pending ones included)."""
    return sorted((_entry(s) for s in _list(cluster, environment.namespace)), key=lambda e: e.revision)


def bounded_summary(lines: list[str]) -> list[str]:
    """Annotations are limited to 256 KiB in all: cap the number and the length of the lines."""
    capped = [line if len(line) <= MAX_SUMMARY_LINE else line[: MAX_SUMMARY_LINE - 1] + "…" for line in lines]
    if len(capped) > MAX_SUMMARY_LINES:
        capped = [*capped[: MAX_SUMMARY_LINES - 1], f"… and {len(capped) - MAX_SUMMARY_LINES + 1} more"]
    return capped


def check_reason(reason: str) -> None:
    """Refused before anything is written: the reason is stored in an annotation."""
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"--reason is {len(reason)} characters long; at most {MAX_REASON} are kept")


def begin(
    cluster: Cluster,
    namespace: str,
    *,
    action: str,
    user: str,
    summary: list[str],
    before: list[Obj],
    touched: list[str],
    reason: str = "",
    now: datetime | None = None,
    known: list[HistoryEntry] | None = None,
) -> int:
    """Record a pending revision, before the change writes anything; returns its number.

    `known`: the namespace's revisions if the caller has just read them (saves a LIST).

    The number is the next free one: a writer racing us for it gets AlreadyExists from
    the server and we take the next, so two revisions never collide. The parts of a
    large snapshot are written first, so a revision that exists is always readable.
    """
    check_reason(reason)
    stamp = (now or datetime.now(UTC)).strftime(TIME_FORMAT)
    values = pack_parts(before)
    annotations = {
        ANNOTATION_ACTION: action,
        ANNOTATION_USER: user,
        ANNOTATION_TIME: stamp,
        ANNOTATION_REASON: reason,
        ANNOTATION_SUMMARY: json.dumps(bounded_summary(summary)),
        ANNOTATION_REVISION_STATE: REVISION_PENDING,
        ANNOTATION_SNAPSHOT_KINDS: SNAPSHOT_KINDS_DISCOVERED,
    }
    if len(values) > 1:
        annotations[ANNOTATION_PARTS] = str(len(values))
    if known is None:
        numbers = sorted(int(s["metadata"]["labels"][LABEL_REVISION]) for s in _list(cluster, namespace))
    else:
        numbers = sorted(e.revision for e in known)
    revision = (numbers[-1] + 1) if numbers else 1
    for _ in range(_CREATE_ATTEMPTS):
        try:
            _create_revision(cluster, namespace, revision, annotations, values, touched)
            break
        except AlreadyExists:
            revision += 1
    else:
        raise AlreadyExists(f"could not record a revision in {namespace}: {_CREATE_ATTEMPTS} numbers taken")
    _prune(cluster, namespace, [n for n in numbers if n < revision])
    return revision


def _create_revision(
    cluster: Cluster, namespace: str, revision: int, annotations: dict[str, str], values: list[str], touched: list[str]
) -> None:
    name = history_secret_name(revision)
    _write_parts(cluster, namespace, name, values, {LABEL_HISTORY: HISTORY_PART, LABEL_REVISION: str(revision)})
    labels = {LABEL_HISTORY: HISTORY_REVISION, LABEL_REVISION: str(revision)}
    data = {SNAPSHOT_KEY: values[0], TOUCHED_KEY: base64.b64encode(json.dumps(sorted(touched)).encode()).decode()}
    cluster.create(
        kinds.SECRET, namespace, history_secret_with(history_secret_name(revision), labels, annotations, data)
    )


def mark(
    cluster: Cluster,
    namespace: str,
    revision: int,
    state: str,
    *,
    summary: list[str] | None = None,
    changed: list[str] | None = None,
    patch: list[Obj] | None = None,
) -> None:
    """Move a revision to `state` (complete, undone, interrupted, recovered); `patch`: the change's
    patch documents (core/promoted_patch.py), recorded in the same write."""
    annotations: dict[str, str | None] = {ANNOTATION_REVISION_STATE: state}
    if summary is not None:
        annotations[ANNOTATION_SUMMARY] = json.dumps(bounded_summary(summary))
    annotations[ANNOTATION_CHANGED] = json.dumps(sorted(changed)) if changed else None
    body: Obj = {"metadata": {"annotations": annotations}}
    if patch is not None:
        body["data"] = {PATCH_KEY: packed_patch(patch)}
    cluster.patch(kinds.SECRET, namespace, history_secret_name(revision), body)


def packed_patch(documents: list[Obj]) -> str:
    """PATCH_KEY's value; PATCH_TOO_LARGE beyond PATCH_MAX_BYTES compressed (the Secret holds a snapshot too)."""
    value = pack(documents)
    return value if len(value) * 3 // 4 <= PATCH_MAX_BYTES else PATCH_TOO_LARGE


def _prune(cluster: Cluster, namespace: str, older: list[int]) -> None:
    """Delete the oldest revisions beyond the cap; an unfinished one is kept: recover needs it."""
    excess = len(older) + 1 - MAX_REVISIONS
    if excess <= 0:
        return
    secrets = {int(s["metadata"]["labels"][LABEL_REVISION]): s for s in _list(cluster, namespace)}
    for number in older[:excess]:
        secret = secrets.get(number)
        if secret is None or not _entry(secret).finished:
            continue
        parts = int((secret["metadata"].get("annotations") or {}).get(ANNOTATION_PARTS, "1"))
        with contextlib.suppress(NotFound):
            cluster.delete(kinds.SECRET, namespace, history_secret_name(number))
        for part in range(2, parts + 1):
            with contextlib.suppress(HotcloneError):
                cluster.delete(kinds.SECRET, namespace, part_name(history_secret_name(number), part))


def _read(cluster: Cluster, environment: Environment, revision: int) -> Obj:
    try:
        return cluster.get(kinds.SECRET, environment.namespace, history_secret_name(revision))
    except NotFound:
        known = ", ".join(str(e.revision) for e in entries(cluster, environment)) or "none"
        raise NotFound(f"unknown revision {revision} of {environment.ref} (known: {known})") from None


def snapshot(cluster: Cluster, environment: Environment, revision: int) -> tuple[HistoryEntry, list[Obj]]:
    """A revision and the material objects from just before its change."""
    secret = _read(cluster, environment, revision)
    return _entry(secret), _read_parts(cluster, environment.namespace, secret)


def touched(cluster: Cluster, environment: Environment, revision: int) -> list[str]:
    """The "Kind/name" a revision's change writes (empty for revisions older than the journal)."""
    raw = (_read(cluster, environment, revision).get("data") or {}).get(TOUCHED_KEY)
    loaded: list[str] = json.loads(base64.b64decode(raw)) if raw else []
    return loaded


def recorded_patch(cluster: Cluster, environment: Environment, revision: int) -> RevisionPatch:
    """A revision's recorded patch (core/promoted_patch.py); not `recorded` when it has none."""
    secret = _read(cluster, environment, revision)
    entry = _entry(secret)
    raw = (secret.get("data") or {}).get(PATCH_KEY)
    if raw is None:
        return RevisionPatch(entry)
    if raw == PATCH_TOO_LARGE:
        return RevisionPatch(entry, recorded=True, too_large=True)
    return RevisionPatch(entry, tuple(unpack(raw)), recorded=True)
