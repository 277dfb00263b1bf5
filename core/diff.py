"""Semantic diffs between environments (or any two sets of objects); line views are core.difflines.

Objects are matched by kind and name and compared in normalised form (see
core.normalize); deepdiff finds the changed paths. Secret values are compared by
digest and always shown as <hidden>.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import yaml

from hotclone.core import display, inventory
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.models import EnvDiff, Environment, FieldChange, ObjectDiff, ObjectStatus
from hotclone.core.normalize import for_compare, is_keyed, unkey_named_lists

# libyaml's emitter is several times faster than PyYAML's pure-Python one.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_DUMPER):  # type: ignore[misc,valid-type]
    """For text the emitter leaves raw (bidi controls, tabs): a string holding control
    characters is written double-quoted, where YAML has escapes; display.safe then writes
    the rest as JSON-style escapes, which YAML reads back the same, so the text stays exact."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = '"' if display.safe(data, multiline=True) != data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)
HIDDEN = "<hidden>"
HIDDEN_CHANGED = "<hidden, differs>"
_POD_SPEC_PREFIXES = ("spec.jobTemplate.spec.template.spec.", "spec.template.spec.")


def diff_environments(
    cluster: Cluster,
    a: Environment,
    b: Environment,
    *,
    include_env_scoped: bool = False,
    right: Cluster | None = None,
) -> EnvDiff:
    """`a` as `cluster` holds it against `b` as `right` (another cluster's environment) or `cluster` holds it."""
    return compare(
        inventory.load(cluster, a.namespace),
        inventory.load(right or cluster, b.namespace),
        left_namespace=a.namespace,
        right_namespace=b.namespace,
        left_name=a.ref if a.cluster == b.cluster else f"{a.ref}@{a.cluster}",
        right_name=b.ref if a.cluster == b.cluster else f"{b.ref}@{b.cluster}",
        include_env_scoped=include_env_scoped,
    )


def compare(
    left: Iterable[Obj],
    right: Iterable[Obj],
    *,
    left_namespace: str,
    right_namespace: str,
    left_name: str,
    right_name: str,
    include_env_scoped: bool = False,
) -> EnvDiff:
    def index(objects: Iterable[Obj]) -> dict[tuple[str, str], Obj]:
        # By ref: a custom resource's kind carries its group, so two CRDs sharing a kind name stay apart.
        return {
            (inventory.kind_of_ref(inventory.ref(o)), o["metadata"]["name"]): o
            for o in objects
            if include_env_scoped or not inventory.is_environment_scoped(o)
        }

    lefts, rights = index(left), index(right)
    results = []
    for key in sorted(set(lefts) | set(rights)):
        l_obj, r_obj = lefts.get(key), rights.get(key)
        scoped = any(inventory.is_environment_scoped(o) for o in (l_obj, r_obj) if o is not None)
        l_norm = for_compare(l_obj, left_namespace) if l_obj is not None else None
        r_norm = for_compare(r_obj, right_namespace) if r_obj is not None else None
        results.append(object_diff(key[0], key[1], l_norm, r_norm, env_scoped=scoped))
    return EnvDiff(left_name, right_name, tuple(results))


def object_diff(kind: str, name: str, left: Obj | None, right: Obj | None, *, env_scoped: bool = False) -> ObjectDiff:
    """Diff two objects already in compare form (either may be absent)."""
    if left is not None and left == right:
        # Most objects of two environments are equal: no deepdiff, no YAML for them.
        return ObjectDiff(kind, name, "same", env_scoped=env_scoped)
    left_yaml, right_yaml = display_yaml(left), display_yaml(right, compared_with=left)
    if left is None or right is None:
        status: ObjectStatus = "added" if left is None else "removed"
        return ObjectDiff(kind, name, status, (), left_yaml, right_yaml, env_scoped)
    changes = field_changes(left, right, secret=kind == "Secret")
    return ObjectDiff(kind, name, "changed" if changes else "same", changes, left_yaml, right_yaml, env_scoped)


def format_path(parts: Iterable[Any]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(part, str) and part.startswith("[") and part.endswith("]"):
            text += part
        else:
            text += f".{part}" if text else str(part)
    for prefix in _POD_SPEC_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    return display.safe(text)  # a custom resource's map keys can be any text


def show(value: Any) -> str:
    """A value as one line of display text: plain when it can be, else quoted JSON with its
    control characters escaped (display.value); cut at 120 characters."""
    if value is None:
        return "null"
    if isinstance(value, str):
        text = display.value(value) if len(value) <= 120 else display.safe(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, bool | int | float):
        return json.dumps(value)
    else:
        text = display.safe(
            json.dumps(unkey_named_lists(value), separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        )
    return text if len(text) <= 120 else text[:117] + "..."


def _differing(left: Any, right: Any) -> tuple[Any, Any]:
    """Both sides with equal branches dropped: deepdiff then walks only what changed,
    and reports the same paths (mappings keep their keys on the way down)."""
    if not (isinstance(left, dict) and isinstance(right, dict)):
        return left, right
    pruned_left: dict[str, Any] = {}
    pruned_right: dict[str, Any] = {}
    for key in left.keys() | right.keys():
        if key not in right:
            pruned_left[key] = left[key]
        elif key not in left:
            pruned_right[key] = right[key]
        elif left[key] != right[key]:
            pruned_left[key], pruned_right[key] = _differing(left[key], right[key])
    return pruned_left, pruned_right


def _per_key(parts: list[Any], value: Any) -> list[tuple[list[Any], Any]]:
    """An added or removed mapping of plain values (ConfigMap data, labels, annotations)
    as one item per key, so adding two keys reads as two changes, not one blob. An item
    of a named list (`containers[web]`) stays one change."""
    item = bool(parts) and isinstance(parts[-1], str) and parts[-1].startswith("[")
    plain = isinstance(value, dict) and bool(value) and not is_keyed(value)
    if item or not plain or any(isinstance(v, dict | list) for v in value.values()):
        return [(parts, value)]
    return [([*parts, key], v) for key, v in sorted(value.items())]


def field_changes(left: Obj, right: Obj, *, secret: bool = False) -> tuple[FieldChange, ...]:
    # Imported here: deepdiff (and what it pulls in) costs a listing command a tenth of a second.
    from deepdiff import DeepDiff

    # threshold_to_diff_deeper=0: deepdiff otherwise reports a whole mapping as changed
    # when the two sides share few keys, which they always do once equal keys are pruned.
    tree = DeepDiff(*_differing(left, right), view="tree", verbose_level=2, threshold_to_diff_deeper=0)
    changes: list[FieldChange] = []
    for report, levels in tree.items():
        for level in levels:
            parts = level.path(output_format="list")
            path = format_path(parts)
            hidden = secret and bool(parts) and parts[0] in ("data", "stringData")
            # deepdiff marks the missing side of an added/removed item with NotPresent.
            if report.endswith("_added"):
                for item, value in _per_key(parts, level.t2):
                    changes.append(FieldChange(format_path(item), "added", None, HIDDEN if hidden else show(value)))
            elif report.endswith("_removed"):
                for item, value in _per_key(parts, level.t1):
                    changes.append(FieldChange(format_path(item), "removed", HIDDEN if hidden else show(value), None))
            else:
                old, new = (HIDDEN, HIDDEN_CHANGED) if hidden else (show(level.t1), show(level.t2))
                changes.append(FieldChange(path, "changed", old, new))
    return tuple(sorted(changes, key=lambda c: c.path))


def _sorted_keyed(node: Any) -> Any:
    # Named lists sorted by name so both sides line up in the side-by-side view.
    if is_keyed(node):
        return {k: _sorted_keyed(node[k]) for k in sorted(node)}
    if isinstance(node, dict):
        return {k: _sorted_keyed(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_sorted_keyed(v) for v in node]
    return node


def display_yaml(obj: Obj | None, compared_with: Obj | None = None) -> str:
    """YAML of a compare-form object, secrets masked; a value that differs from
    `compared_with` (the left side) reads <hidden, differs> so the change still shows."""
    if obj is None:
        return ""
    shown = dict(obj)
    if obj.get("kind") == "Secret":
        theirs = (compared_with or {}).get("data") or {}
        shown["data"] = {
            k: (HIDDEN if compared_with is None or theirs.get(k) == v else HIDDEN_CHANGED)
            for k, v in (obj.get("data") or {}).items()
        }
    data = unkey_named_lists(_sorted_keyed(shown))
    text = _dump(data, _DUMPER)
    if display.safe(text, multiline=True) == text:  # the common case: one scan, no second dump
        return text
    return display.safe(_dump(data, _Dumper), multiline=True)


def _dump(data: Any, dumper: type[yaml.SafeDumper]) -> str:
    return yaml.dump(data, Dumper=dumper, sort_keys=True, default_flow_style=False, width=10_000, allow_unicode=True)


def summary_lines(diff: EnvDiff) -> list[str]:
    """`Deployment/web containers[web].image: 1.9.3 -> 1.9.4` lines, plus added/removed objects."""
    lines = []
    for obj in diff.changed:
        if obj.status == "changed":
            lines += [f"{obj.ref} {change.describe()}" for change in obj.changes]
        else:
            lines.append(f"{obj.ref} {'only in ' + diff.right if obj.status == 'added' else 'only in ' + diff.left}")
    return [display.safe(line) for line in lines]
