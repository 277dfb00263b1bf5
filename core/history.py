"""History of every change hotclone makes to an environment, stored in its namespace.

Each revision is a Secret (snapshots contain Secret data, so they get Secret RBAC)
labelled as history, holding who/when/what/reason in annotations and a
gzip-compressed JSON snapshot of the material objects *before* the change. The
newest MAX_REVISIONS are kept. A clone also stores its source's material objects at
clone time (the base Secret): the base of promote's three-way merge. The Secrets'
format (names, labels, annotations, encoding) is in core/schema.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hotclone.core import inventory, kinds, normalize
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.discovery import parse_time
from hotclone.core.errors import NotFound
from hotclone.core.models import Environment, HistoryEntry
from hotclone.core.schema import (
    ANNOTATION_ACTION,
    ANNOTATION_REASON,
    ANNOTATION_SOURCE_NAMESPACE,
    ANNOTATION_SUMMARY,
    ANNOTATION_TIME,
    ANNOTATION_USER,
    BASE_SECRET,
    HISTORY_BASE,
    HISTORY_REVISION,
    LABEL_HISTORY,
    LABEL_REVISION,
    SNAPSHOT_KEY,
    TIME_FORMAT,
    history_secret,
    history_secret_name,
    unpack,
)

MAX_REVISIONS = 20


def material_snapshot(cluster: Cluster, namespace: str) -> list[Obj]:
    """What a revision keeps: the environment's material objects, server fields stripped."""
    return [normalize.for_copy(o) for o in inventory.material(cluster, namespace)]


def save_base(cluster: Cluster, namespace: str, source_namespace: str, objects: list[Obj]) -> None:
    body = history_secret(
        BASE_SECRET, {LABEL_HISTORY: HISTORY_BASE}, {ANNOTATION_SOURCE_NAMESPACE: source_namespace}, objects
    )
    cluster.create(kinds.SECRET, namespace, body)


def load_base(cluster: Cluster, namespace: str) -> tuple[str, list[Obj]]:
    """(source namespace, source material objects at clone time)."""
    try:
        secret = cluster.get(kinds.SECRET, namespace, BASE_SECRET)
    except NotFound:
        raise NotFound(f"no clone snapshot in {namespace}: it was not made by hotclone clone") from None
    return secret["metadata"]["annotations"][ANNOTATION_SOURCE_NAMESPACE], unpack(secret["data"][SNAPSHOT_KEY])


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
    )


def entries(cluster: Cluster, environment: Environment) -> list[HistoryEntry]:
    return sorted((_entry(s) for s in _list(cluster, environment.namespace)), key=lambda e: e.revision)


def record(
    cluster: Cluster,
    namespace: str,
    *,
    action: str,
    user: str,
    summary: list[str],
    before: list[Obj],
    reason: str = "",
    now: datetime | None = None,
) -> int:
    """Store a revision; returns its number. Older revisions beyond the cap are deleted."""
    existing = _list(cluster, namespace)
    numbers = sorted(int(s["metadata"]["labels"][LABEL_REVISION]) for s in existing)
    revision = (numbers[-1] + 1) if numbers else 1
    stamp = (now or datetime.now(UTC)).strftime(TIME_FORMAT)
    annotations = {
        ANNOTATION_ACTION: action,
        ANNOTATION_USER: user,
        ANNOTATION_TIME: stamp,
        ANNOTATION_REASON: reason,
        ANNOTATION_SUMMARY: json.dumps(summary[:200]),
    }
    labels = {LABEL_HISTORY: HISTORY_REVISION, LABEL_REVISION: str(revision)}
    cluster.create(kinds.SECRET, namespace, history_secret(history_secret_name(revision), labels, annotations, before))
    for old in numbers[: max(0, len(numbers) + 1 - MAX_REVISIONS)]:
        cluster.delete(kinds.SECRET, namespace, history_secret_name(old))
    return revision


def snapshot(cluster: Cluster, environment: Environment, revision: int) -> tuple[HistoryEntry, list[Obj]]:
    name = history_secret_name(revision)
    try:
        secret = cluster.get(kinds.SECRET, environment.namespace, name)
    except NotFound:
        known = ", ".join(str(e.revision) for e in entries(cluster, environment)) or "none"
        raise NotFound(f"unknown revision {revision} of {environment.ref} (known: {known})") from None
    return _entry(secret), unpack(secret["data"][SNAPSHOT_KEY])
