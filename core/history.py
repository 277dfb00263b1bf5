"""History of every change hotclone makes to an environment, stored in its namespace.

Each revision is a Secret (snapshots contain Secret data, so they get Secret RBAC)
labelled hotclone.io/history, holding who/when/what/reason in annotations and a
gzip-compressed JSON snapshot of the material objects *before* the change. The
newest MAX_REVISIONS are kept. A clone also stores its source's material objects at
clone time (`hotclone-base`): the base of promote's three-way merge.
"""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime

from hotclone.core import inventory, kinds, normalize
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.discovery import parse_time
from hotclone.core.errors import NotFound
from hotclone.core.inventory import HISTORY_LABEL
from hotclone.core.models import Environment, HistoryEntry

MAX_REVISIONS = 20
BASE_SECRET = "hotclone-base"
_REVISION = "hotclone.io/revision"
_ACTION = "hotclone.io/action"
_USER = "hotclone.io/user"
_TIME = "hotclone.io/time"
_REASON = "hotclone.io/reason"
_SUMMARY = "hotclone.io/summary"
_SOURCE_NS = "hotclone.io/source-namespace"


def pack(objects: list[Obj]) -> str:
    """Secret data value: base64 (the wire format of Secret data) of gzipped JSON."""
    return base64.b64encode(gzip.compress(json.dumps(objects, separators=(",", ":")).encode(), 6)).decode()


def unpack(data: str) -> list[Obj]:
    loaded: list[Obj] = json.loads(gzip.decompress(base64.b64decode(data)))
    return loaded


def _secret(name: str, labels: dict[str, str], annotations: dict[str, str], snapshot: list[Obj]) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "hotclone.io/history",
        "metadata": {"name": name, "labels": labels, "annotations": annotations},
        "data": {"snapshot": pack(snapshot)},
    }


def material_snapshot(cluster: Cluster, namespace: str) -> list[Obj]:
    """What a revision keeps: the environment's material objects, server fields stripped."""
    return [normalize.for_copy(o) for o in inventory.material(cluster, namespace)]


def save_base(cluster: Cluster, namespace: str, source_namespace: str, objects: list[Obj]) -> None:
    body = _secret(BASE_SECRET, {HISTORY_LABEL: "base"}, {_SOURCE_NS: source_namespace}, objects)
    cluster.create(kinds.SECRET, namespace, body)


def load_base(cluster: Cluster, namespace: str) -> tuple[str, list[Obj]]:
    """(source namespace, source material objects at clone time)."""
    try:
        secret = cluster.get(kinds.SECRET, namespace, BASE_SECRET)
    except NotFound:
        raise NotFound(f"no clone snapshot in {namespace}: it was not made by hotclone clone") from None
    return secret["metadata"]["annotations"][_SOURCE_NS], unpack(secret["data"]["snapshot"])


def _list(cluster: Cluster, namespace: str) -> list[Obj]:
    return cluster.list(kinds.SECRET, namespace, label_selector=f"{HISTORY_LABEL}=revision")


def _entry(secret: Obj) -> HistoryEntry:
    annotations = secret["metadata"].get("annotations") or {}
    return HistoryEntry(
        revision=int(secret["metadata"]["labels"][_REVISION]),
        action=annotations.get(_ACTION, "?"),
        user=annotations.get(_USER, "?"),
        timestamp=parse_time(annotations.get(_TIME)) or datetime.fromtimestamp(0, UTC),
        summary=tuple(json.loads(annotations.get(_SUMMARY) or "[]")),
        reason=annotations.get(_REASON, ""),
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
    numbers = sorted(int(s["metadata"]["labels"][_REVISION]) for s in existing)
    revision = (numbers[-1] + 1) if numbers else 1
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    annotations = {
        _ACTION: action,
        _USER: user,
        _TIME: stamp,
        _REASON: reason,
        _SUMMARY: json.dumps(summary[:200]),
    }
    labels = {HISTORY_LABEL: "revision", _REVISION: str(revision)}
    cluster.create(kinds.SECRET, namespace, _secret(f"hotclone-history-{revision:05d}", labels, annotations, before))
    for old in numbers[: max(0, len(numbers) + 1 - MAX_REVISIONS)]:
        cluster.delete(kinds.SECRET, namespace, f"hotclone-history-{old:05d}")
    return revision


def snapshot(cluster: Cluster, environment: Environment, revision: int) -> tuple[HistoryEntry, list[Obj]]:
    name = f"hotclone-history-{revision:05d}"
    try:
        secret = cluster.get(kinds.SECRET, environment.namespace, name)
    except NotFound:
        known = ", ".join(str(e.revision) for e in entries(cluster, environment)) or "none"
        raise NotFound(f"unknown revision {revision} of {environment.ref} (known: {known})") from None
    return _entry(secret), unpack(secret["data"]["snapshot"])
