"""Strip what the server owns, for copying; key named lists and hide namespaces, for comparing.

Copy form: what `kubectl get -o yaml` shows minus everything the server sets, so the
object can be created in another namespace. Compare form: the copy form with lists
of named items turned into mappings keyed by `[name]` (order stops mattering and
paths read `containers[web].image`), the environment's own namespace replaced by a
token (so `api.topicshare-qa.svc` equals `api.topicshare-production.svc`),
Secret values replaced by digests (compared, never shown) and other tools' ownership
marks left out (a clone never carries them). The copy form keeps those marks: history
snapshots are copy forms, and a rollback restores them.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
from collections.abc import Callable
from typing import Any

from hotclone.core import ownership
from hotclone.core.cluster import Obj

NAMESPACE_TOKEN = "${namespace}"

_SERVER_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "ownerReferences",
    "namespace",
    "generateName",
    "finalizers",
)
_SERVER_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "deprecated.daemonset.template.generation",
    "pv.kubernetes.io/bind-completed",
    "pv.kubernetes.io/bound-by-controller",
    "volume.beta.kubernetes.io/storage-provisioner",
    "volume.kubernetes.io/storage-provisioner",
    "volume.kubernetes.io/selected-node",
)


def for_copy(obj: Obj) -> Obj:
    """A deep copy with every server-owned field removed."""
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.setdefault("metadata", {})
    for key in _SERVER_METADATA:
        meta.pop(key, None)
    annotations = meta.get("annotations") or {}
    for key in _SERVER_ANNOTATIONS:
        annotations.pop(key, None)
    if not annotations:
        meta.pop("annotations", None)
    if not meta.get("labels"):
        meta.pop("labels", None)
    kind = out.get("kind")
    spec = out.get("spec") or {}
    if kind == "Service":
        # An allocated IP belongs to the source; "None" (headless) is part of the design.
        keys = ["healthCheckNodePort"] + ([] if spec.get("clusterIP") == "None" else ["clusterIP", "clusterIPs"])
        for key in keys:
            spec.pop(key, None)
        for port in spec.get("ports") or []:
            port.pop("nodePort", None)
    elif kind == "PersistentVolumeClaim":
        spec.pop("volumeName", None)
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "CronJob"):
        _strip_template_timestamps(spec)
    elif kind == "Job":
        _strip_template_timestamps(spec)
        if not spec.get("manualSelector"):
            _strip_generated_selector(spec)
    return out


# The labels the API server puts on a Job's pod template, naming the Job's own uid.
_JOB_SERVER_LABELS = (
    "controller-uid",
    "batch.kubernetes.io/controller-uid",
    "job-name",
    "batch.kubernetes.io/job-name",
)


def _strip_generated_selector(spec: Obj) -> None:
    # The server generated this selector from the Job's uid: it is that Job's identity, not
    # its design. A copy carrying it is refused (another Job's uid), and it differs in every
    # environment; the server makes a new one for each Job it creates.
    spec.pop("selector", None)
    meta = (spec.get("template") or {}).get("metadata")
    if isinstance(meta, dict):
        labels = meta.get("labels") or {}
        for key in _JOB_SERVER_LABELS:
            labels.pop(key, None)
        if not labels:
            meta.pop("labels", None)


def _strip_template_timestamps(node: Any) -> None:
    # Pod templates carry `creationTimestamp: null`, which is noise in diffs.
    if isinstance(node, dict):
        if "metadata" in node and isinstance(node["metadata"], dict):
            node["metadata"].pop("creationTimestamp", None)
        for value in node.values():
            _strip_template_timestamps(value)
    elif isinstance(node, list):
        for value in node:
            _strip_template_timestamps(value)


def namespace_pattern(namespace: str) -> re.Pattern[str]:
    """Matches the namespace as a whole DNS label, not inside a longer one."""
    return re.compile(rf"(?<![A-Za-z0-9-]){re.escape(namespace)}(?![A-Za-z0-9-])")


def replace_strings(node: Any, pattern: re.Pattern[str], replacement: str) -> Any:
    if isinstance(node, str):
        return pattern.sub(replacement, node)
    if isinstance(node, dict):
        return {k: replace_strings(v, pattern, replacement) for k, v in node.items()}
    if isinstance(node, list):
        return [replace_strings(v, pattern, replacement) for v in node]
    return node


def key_named_lists(node: Any) -> Any:
    """Lists whose items all have a distinct `name` become {"[name]": item} mappings."""
    if isinstance(node, dict):
        return {k: key_named_lists(v) for k, v in node.items()}
    if isinstance(node, list):
        items = [key_named_lists(v) for v in node]
        names = [i.get("name") for i in items if isinstance(i, dict)]
        if (
            items
            and len(names) == len(items)
            and all(isinstance(n, str) for n in names)
            and len(set(names)) == len(names)
        ):
            return {f"[{item['name']}]": item for item in items}
        return items
    return node


def is_keyed(node: Any) -> bool:
    return isinstance(node, dict) and bool(node) and all(isinstance(k, str) and k.startswith("[") for k in node)


def unkey_named_lists(node: Any) -> Any:
    """Inverse of key_named_lists (order: as the mapping holds it)."""
    if is_keyed(node):
        return [unkey_named_lists(v) for v in node.values()]
    if isinstance(node, dict):
        return {k: unkey_named_lists(v) for k, v in node.items()}
    if isinstance(node, list):
        return [unkey_named_lists(v) for v in node]
    return node


def secret_digest(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def for_compare(obj: Obj, namespace: str) -> Obj:
    """The copy form, keyed and namespace-neutral, secrets digested, other tools' ownership marks
    left out: a clone carries none of them (core/clone.py detaches them), so on every Helm- or
    Argo CD-managed object they would be a difference nobody made."""
    out = for_copy(obj)
    detached, _ = ownership.detach({"metadata": out["metadata"]})  # the metadata only: cheap
    out["metadata"] = detached["metadata"]
    own = namespace_pattern(namespace)
    if out.get("kind") == "Secret":
        # Digest the decoded, namespace-neutral text: equal values compare equal
        # across environments, and the value itself never leaves this function.
        plain = decode_secret_values(out)
        out.pop("stringData", None)
        out["data"] = {key: secret_digest(own.sub(NAMESPACE_TOKEN, text)) for key, text in plain.items()}
        if not out["data"]:
            out.pop("data")
    out = replace_strings(out, own, NAMESPACE_TOKEN)
    keyed: Obj = key_named_lists(out)
    return keyed


def decode_secret_values(obj: Obj) -> dict[str, str]:
    """Secret data as text (for scanning only; never printed)."""
    values: dict[str, str] = {}
    for key, value in (obj.get("data") or {}).items():
        try:
            values[key] = base64.b64decode(value).decode("utf-8", errors="replace")
        except (ValueError, TypeError):
            continue
    for key, value in (obj.get("stringData") or {}).items():
        values[key] = str(value)
    return values


_BINARY_KEYS = "__hotclone_binary_keys__"

# The merge form's namespace placeholder must survive a round trip whatever users wrote:
# `${namespace}` is ordinary text in a ConfigMap (and the templates' own syntax), so it
# cannot be the placeholder. A private-use character is escaped by doubling wherever it
# occurs already, which makes the mapping injective: the placeholder is MARK + "n", a
# literal MARK is MARK + MARK, and nothing else starts with MARK.
_MARK = "\ue000"
_MERGE_TOKEN = _MARK + "n"
_UNESCAPE = re.compile(f"{_MARK}([{_MARK}n])")


def map_strings(node: Any, change: Callable[[str], str]) -> Any:
    """`node` with `change` applied to every string value (keys stay as they are)."""
    if isinstance(node, str):
        return change(node)
    if isinstance(node, dict):
        return {k: map_strings(v, change) for k, v in node.items()}
    if isinstance(node, list):
        return [map_strings(v, change) for v in node]
    return node


def for_merge(obj: Obj, namespace: str) -> Obj:
    """Like for_compare, but Secret values stay real (decoded text), so the result can be written back."""
    out = for_copy(obj)
    own = namespace_pattern(namespace)

    def hide(text: str) -> str:
        return own.sub(_MERGE_TOKEN, text.replace(_MARK, _MARK + _MARK))

    secret: dict[str, str] = {}
    binary: list[str] = []
    if out.get("kind") == "Secret":
        for key, value in (out.pop("data", None) or {}).items():
            try:
                secret[key] = hide(base64.b64decode(value).decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                secret[key], binary = value, [*binary, key]  # kept as base64, never rewritten
        for key, value in (out.pop("stringData", None) or {}).items():
            secret[key] = hide(str(value))
    out = map_strings(out, hide)
    if secret:
        out["data"] = secret
    if binary:
        out[_BINARY_KEYS] = binary
    keyed: Obj = key_named_lists(out)
    return keyed


def from_merge(obj: Obj, namespace: str) -> Obj:
    """Inverse of for_merge for another (or the same) namespace: a writable copy-form object."""

    def show(text: str) -> str:
        return _UNESCAPE.sub(lambda m: _MARK if m.group(1) == _MARK else namespace, text)

    binary = set(obj.get(_BINARY_KEYS) or [])
    body = {k: v for k, v in obj.items() if k != _BINARY_KEYS}
    data = body.pop("data", None) if body.get("kind") == "Secret" else None
    out: Obj = map_strings(unkey_named_lists(body), show)
    out.setdefault("metadata", {})["namespace"] = namespace
    if data:
        out["data"] = {
            k: (v if k in binary else base64.b64encode(show(str(v)).encode()).decode()) for k, v in data.items()
        }
    return out
