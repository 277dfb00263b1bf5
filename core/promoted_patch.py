"""A change as a kustomize-style patch of exactly the fields it changed, to commit to a chart or Git.

When hotclone promotes or rolls back into objects that Helm, Argo CD, Flux or a manifest
applied with kubectl manage, those tools put their own state back on their next run: the
change must be carried back to where they read it from. `documents` turns the objects as
they were before the change and as they were read back after it into one patch document
per object, strategic-merge style (what `kustomize` `patches:` take):

- a changed object: apiVersion, kind, metadata.name and only the fields that changed;
  a removed field is `null`; lists of named items (containers, env, volumes, ports) are
  lists of the changed items only, each with its name (and its merge key where Kubernetes
  merges that list by another field), an item removed is `$patch: delete`; other lists
  are given whole. Custom resources have no merge keys (kustomize replaces their lists),
  so their changed lists are given whole;
- a created object: whole (copy form, no namespace);
- a deleted object: `$patch: delete`.

A Secret's values never appear: each changed key holds SECRET_PLACEHOLDER under
stringData (where the engineer writes the value as plain text), a removed key is null
under data, and the YAML says so in a comment (`to_yaml`). The journal records the documents in the revision
Secret when a change completes (core/history.py); `hotclone history APP ENV REV --patch`
prints them. Pure: no cluster.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from hotclone.core import inventory, normalize
from hotclone.core.cluster import Obj
from hotclone.core.models import RevisionPatch
from hotclone.core.schema import REVISION_COMPLETE, REVISION_UNDONE

SECRET_PLACEHOLDER = "<not printed>"
_SECRET_COMMENT = f"values are not printed: write each where it says {SECRET_PLACEHOLDER} (stringData: plain text)"
_DELETE = {"$patch": "delete"}

# Lists of built-in kinds that Kubernetes merges by another field than `name` (their patchMergeKey).
_MERGE_KEYS = {"volumeMounts": "mountPath", "volumeDevices": "devicePath"}
_PORT_KEYS = ("containerPort", "port")  # a container's ports merge by containerPort, a Service's by port


class _Same:
    """No difference (None is a value in a patch: the field's removal)."""


_SAME = _Same()


def documents(before: dict[str, Obj], after: dict[str, Obj | None], touched: list[str]) -> list[Obj]:
    """One patch document per touched object that differs, in the order of `touched`.

    `before`: ref -> copy form before the change (absent: the change created it); `after`:
    ref -> the object read back after it (None: deleted).
    """
    out: list[Obj] = []
    for ref in touched:
        old = before.get(ref)
        new = after.get(ref)
        old = normalize.for_copy(old) if old is not None else None
        new = normalize.for_copy(new) if new is not None else None
        document = _document(ref, old, new)
        if document is not None:
            out.append(document)
    return out


def _header(obj: Obj) -> Obj:
    return {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "metadata": {"name": obj["metadata"]["name"]}}


def _document(ref: str, old: Obj | None, new: Obj | None) -> Obj | None:
    if old is None and new is None:
        return None
    if new is None:
        assert old is not None
        return {**_header(old), **_DELETE}
    if old is None:
        created = _redacted_whole(copy.deepcopy(new))
        created["metadata"].pop("namespace", None)
        header = _header(created)
        header["metadata"] = created.pop("metadata")
        return header | created
    builtin = "." not in inventory.kind_of_ref(ref)
    changed = _changed(_without_secret_values(old), _without_secret_values(new), builtin, "")
    fields: Obj = {} if isinstance(changed, _Same) else changed
    if new.get("kind") == "Secret":
        fields.update(_changed_keys(old, new))
    if not fields:
        return None
    document = _header(new)
    document["metadata"].update(fields.pop("metadata", None) or {})
    document.update(fields)
    return document


def _changed(old: Any, new: Any, builtin: bool, field: str) -> Any:
    """What of `new` differs from `old`, as a strategic-merge patch value; _SAME when nothing does."""
    if old == new:
        return _SAME
    if isinstance(old, dict) and isinstance(new, dict):
        out: dict[str, Any] = {}
        for key, value in new.items():
            if key not in old:
                out[key] = value
                continue
            sub = _changed(old[key], value, builtin, key)
            if not isinstance(sub, _Same):
                out[key] = sub
        out.update({key: None for key in old if key not in new})
        return out or _SAME
    if builtin and isinstance(old, list) and isinstance(new, list):
        merged = _named_list(old, new, field)
        if merged is not None:
            return merged
    return new


def _names(items: list[Any]) -> dict[str, Obj] | None:
    if not items or not all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items):
        return None
    named = {i["name"]: i for i in items}
    return named if len(named) == len(items) else None


def _merge_key(field: str, items: list[Obj]) -> str:
    if field == "ports":
        return next((k for k in _PORT_KEYS if all(k in i for i in items)), "name")
    return _MERGE_KEYS.get(field, "name")


def _named_list(old: list[Any], new: list[Any], field: str) -> list[Obj] | None:
    """The changed items of a list of named items, by name; None when it is not such a list."""
    before, after = _names(old), _names(new)
    if before is None or after is None:
        return None
    key = _merge_key(field, [*old, *new])
    out: list[Obj] = []
    for name, item in after.items():
        was = before.get(name)
        if was is None:
            out.append(item)
            continue
        if key != "name" and was.get(key) != item.get(key):  # its merge key moved: another item to Kubernetes
            out += [{"name": name, key: was.get(key), **_DELETE}, item]
            continue
        sub = _changed(was, item, True, name)
        if not isinstance(sub, _Same):
            identity = {"name": name} | ({key: item[key]} if key != "name" else {})
            out.append(identity | sub)
    for name, was in before.items():
        if name not in after:
            identity = {"name": name} | ({key: was[key]} if key != "name" and key in was else {})
            out.append(identity | _DELETE)
    return out


# -- Secrets: the keys that changed, never their values ---------------------------------------------------


def _without_secret_values(obj: Obj) -> Obj:
    """A Secret's data and stringData out of the field diff: _redact_changed names their keys."""
    if obj.get("kind") != "Secret":
        return obj
    return {k: v for k, v in obj.items() if k not in ("data", "stringData")}


def _secret_values(obj: Obj) -> dict[str, str]:
    values = {k: str(v) for k, v in (obj.get("data") or {}).items()}
    values.update({k: "string:" + str(v) for k, v in (obj.get("stringData") or {}).items()})
    return values


def _changed_keys(old: Obj, new: Obj) -> Obj:
    """The keys whose values changed, each under stringData with the placeholder (the engineer writes the
    value there as plain text), and those removed as null under data; {} for none."""
    before, after = _secret_values(old), _secret_values(new)
    out: Obj = {}
    changed = {k: SECRET_PLACEHOLDER for k, v in after.items() if before.get(k) != v}
    removed = {k: None for k in before if k not in after}
    if removed:
        out["data"] = removed
    if changed:
        out["stringData"] = changed
    return out


def _redacted_whole(obj: Obj) -> Obj:
    if obj.get("kind") != "Secret":
        return obj
    keys = [*(obj.pop("data", None) or {}), *(obj.pop("stringData", None) or {})]
    if keys:
        obj["stringData"] = dict.fromkeys(keys, SECRET_PLACEHOLDER)
    return obj


# -- printing -----------------------------------------------------------------------------------------------


def to_yaml(patch: RevisionPatch, title: str) -> str:
    """Multi-document YAML, `title` as its first comment; a Secret's document says its values are not printed."""
    parts = [f"# {line}\n" for line in title.splitlines()]
    if not patch.documents:
        return "".join(parts) + "# no field changed\n"
    for index, document in enumerate(patch.documents):
        if index:
            parts.append("---\n")
        if document.get("kind") == "Secret" and "stringData" in document:
            parts.append(f"# {document['kind']}/{document['metadata']['name']}: {_SECRET_COMMENT}\n")
        parts.append(yaml.safe_dump(document, sort_keys=False, default_flow_style=False, allow_unicode=True))
    return "".join(parts)


def missing(patch: RevisionPatch, env_ref: str) -> str | None:
    """The one line saying why a revision has no patch to print; None when it has one."""
    entry = patch.entry
    what = f"revision {entry.revision} of {env_ref} ({entry.action})"
    if patch.too_large:
        return (
            f"{what}: its patch was larger than a revision keeps, so it was not recorded; its summary lists the objects"
        )
    if patch.recorded:
        return None
    if entry.action == "clone":
        return f"{what} created the environment: there is no patch, every object was copied"
    if entry.state == REVISION_UNDONE:
        return f"{what} was stopped and undone: it changed nothing, so there is no patch"
    if entry.state != REVISION_COMPLETE:
        return f"{what} did not complete ({entry.state}): no patch was recorded"
    return f"{what} has no recorded patch: it was made before hotclone recorded them"
