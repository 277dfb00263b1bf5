"""Three-way merge of one object in merge form (core.normalize.for_merge).

Leaves are scalars, lists without names and empty mappings; named lists are
mappings keyed by `[name]`, so a container added in the clone and an env var added
in the target merge cleanly. A field changed on both sides to different values is
a conflict, and nothing of that object is merged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hotclone.core.cluster import Obj

Path = tuple[str, ...]
_MISSING: Any = object()


@dataclass(frozen=True)
class FieldConflict:
    path: Path
    ours: Any
    theirs: Any


def flatten(node: Any, prefix: Path = ()) -> dict[Path, Any]:
    if isinstance(node, dict) and node:
        flat: dict[Path, Any] = {}
        for key, value in node.items():
            flat.update(flatten(value, (*prefix, key)))
        return flat
    return {prefix: node}


def unflatten(flat: dict[Path, Any]) -> Obj:
    root: Obj = {}
    for path, value in flat.items():
        node = root
        for key in path[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node[path[-1]] = value
    return root


def merge(base: Obj, ours: Obj, theirs: Obj) -> tuple[Obj, list[FieldConflict]]:
    """Apply ours' changes since base onto theirs."""
    b, o, t = flatten(base), flatten(ours), flatten(theirs)
    result: dict[Path, Any] = {}
    conflicts: list[FieldConflict] = []
    # Theirs' order first, then what only ours has: the target's layout is kept.
    for path in [*t, *(p for p in o if p not in t), *(p for p in b if p not in t and p not in o)]:
        if path in result:
            continue
        bv, ov, tv = b.get(path, _MISSING), o.get(path, _MISSING), t.get(path, _MISSING)
        if ov == bv:
            chosen = tv
        elif tv in (bv, ov):
            chosen = ov
        else:
            conflicts.append(FieldConflict(path, None if ov is _MISSING else ov, None if tv is _MISSING else tv))
            chosen = tv
        if chosen is not _MISSING:
            result[path] = chosen
    return _drop_shadowed(result), conflicts


def _drop_shadowed(flat: dict[Path, Any]) -> Obj:
    # A leaf that became a mapping on one side (e.g. {} -> {a: 1}) leaves both the
    # empty leaf and the children; the children win.
    parents = {p[:i] for p in flat for i in range(1, len(p))}
    return unflatten({p: v for p, v in flat.items() if not (p in parents and v == {})})
