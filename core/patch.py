"""Minimal JSON patches: change only the fields a plan changes, keep everyone else's.

Promote, rollback and the journal's restore know an object's desired *copy form*
(core/normalize.py: no status, no server fields, no annotations that tools such as
kubectl keep for themselves). Writing that whole form back would drop every field it
leaves out, so instead the live object is compared with it, field by field, and only
the differences become patch operations. What the copy form leaves out is never
touched: kubectl's last-applied configuration, Helm's and Argo CD's annotations,
controllers' fields. Lists of named items (containers, env, ports, volumes) are
matched by name, as the diff does, so an env var added to one container does not
rewrite the others. The first operation tests the resourceVersion that was read,
so the patch cannot land on an object that moved in between.
"""

from __future__ import annotations

from typing import Any

from hotclone.core import normalize
from hotclone.core.cluster import Obj

Operation = dict[str, Any]


def pointer(path: list[str | int]) -> str:
    """RFC 6901 JSON pointer."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def minimal_patch(live: Obj, desired: Obj, *, guarded: bool = True) -> list[Operation]:
    """Operations that make `live` match `desired` (a copy-form object) where its copy form differs.

    Empty when nothing differs. `guarded`: starts with a `test` of live's resourceVersion
    (a dry run goes without: controllers bump it all the time, and it writes nothing).
    """
    operations: list[Operation] = []
    _walk([], live, normalize.for_copy(live), desired, operations)
    if not operations:
        return []
    version = live.get("metadata", {}).get("resourceVersion")
    guard = [{"op": "test", "path": "/metadata/resourceVersion", "value": version}] if version and guarded else []
    return guard + operations


def _named(items: Any) -> dict[str, int] | None:
    """name -> index when every item is a mapping with a distinct string name."""
    if not isinstance(items, list) or not items:
        return None
    names = [i.get("name") if isinstance(i, dict) else None for i in items]
    if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        return None
    return {str(n): k for k, n in enumerate(names)}


def _walk(path: list[str | int], raw: Any, seen: Any, wanted: Any, out: list[Operation]) -> None:
    """`raw` is the live value at `path`, `seen` its copy form (server fields gone), `wanted` the target."""
    if isinstance(wanted, dict) and isinstance(raw, dict):
        seen = seen if isinstance(seen, dict) else {}
        for key, value in wanted.items():
            if key in raw:
                # Present in the live object even if the copy form hid it (annotations holding
                # only kubectl's): descend, so the hidden members survive.
                _walk([*path, key], raw[key], seen.get(key), value, out)
            else:
                out.append({"op": "add", "path": pointer([*path, key]), "value": value})
        for key in seen:
            if key not in wanted:
                out.append({"op": "remove", "path": pointer([*path, key])})
        return
    if isinstance(wanted, list) and isinstance(raw, list) and isinstance(seen, list) and len(seen) == len(raw):
        have, want = _named(seen), _named(wanted)
        if have is not None and want is not None:
            removals: list[int] = []
            for name, index in have.items():
                if name in want:
                    _walk([*path, index], raw[index], seen[index], wanted[want[name]], out)
                else:
                    removals.append(index)
            # Indices stay valid: modifications first, then removals from the end, then appends.
            out += [{"op": "remove", "path": pointer([*path, i])} for i in sorted(removals, reverse=True)]
            new = [item for item in wanted if item["name"] not in have]
            out += [{"op": "add", "path": pointer([*path, "-"]), "value": item} for item in new]
            return
    if raw != wanted:  # only ever reached for a member the live object has
        out.append({"op": "replace", "path": pointer(path), "value": wanted})
