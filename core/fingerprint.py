"""Fingerprints that gates are bound to: an environment's state, and a promote plan.

A verification holds for exactly the state it verified, and an approval for exactly the
plan it approved: both store one of these and compare it again before a promote.

Both are stored in the cluster, so no Secret value goes into them, not even digested (a
hash of a short password can be guessed offline): a Secret counts by its uid and
resourceVersion, which change whenever it is written. Everything else counts by its
normalised content (core/normalize.py: server fields, status and other tools' marks left
out, the namespace neutral), so a controller updating a status changes nothing here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from hotclone.core import inventory, normalize
from hotclone.core.cluster import Obj

_PREFIX = "sha256:"


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return _PREFIX + hashlib.sha256(text.encode()).hexdigest()


def _counted(obj: Obj, namespace: str) -> Any:
    if obj.get("kind") == "Secret":
        meta = obj.get("metadata") or {}
        return {"secret": f"{meta.get('uid', '')}:{meta.get('resourceVersion', '')}"}
    return normalize.for_compare(obj, namespace)


def environment(objects: Iterable[Obj], namespace: str) -> str:
    """The fingerprint of an environment's material objects (as inventory.read's `material` gives them)."""
    return _digest(sorted((inventory.ref(o), _counted(o, namespace)) for o in objects))


def plan(
    action: str,
    source_namespace: str,
    source_state: str,
    target_namespace: str,
    writes: Iterable[Obj],
    deletions: Iterable[str],
    target: dict[str, Obj],
) -> str:
    """The fingerprint of a promote plan: where from and to, the source's state, and exactly what it
    writes and deletes. A Secret it writes counts by the source's state (which `source_state` covers)
    and by the target's Secret as it is now (`target`: the target's material objects by ref)."""

    def counted(write: Obj) -> Any:
        ref = inventory.ref(write)
        if write.get("kind") != "Secret":
            return normalize.for_compare(write, target_namespace)
        return _counted(target[ref], target_namespace) if ref in target else {"secret": "new"}

    written = sorted((inventory.ref(w), counted(w)) for w in writes)
    return _digest(
        {
            "action": action,
            "source": source_namespace,
            "source_state": source_state,
            "target": target_namespace,
            "writes": written,
            "deletions": sorted(deletions),
        }
    )
