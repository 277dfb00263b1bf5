"""The small filter of the usual hand-made clone: `kubectl get ... -o json | python strip_server_fields.py`.

Reads a kubectl List on stdin, drops what the server owns and objects the cluster
makes by itself, writes a List for `kubectl apply -n NEW -f -`. Standard library only.
"""

import json
import sys

META_DROP = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "namespace", "selfLink")
ANNOTATIONS_DROP = ("kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision")


def keep(obj: dict) -> bool:
    meta = obj.get("metadata", {})
    if meta.get("ownerReferences"):
        return False
    if obj["kind"] == "ConfigMap" and meta.get("name") == "kube-root-ca.crt":
        return False
    if obj["kind"] == "ServiceAccount" and meta.get("name") == "default":
        return False
    return not (obj["kind"] == "Secret" and obj.get("type") == "kubernetes.io/service-account-token")


def strip(obj: dict) -> dict:
    obj.pop("status", None)
    meta = obj["metadata"]
    for key in META_DROP:
        meta.pop(key, None)
    annotations = meta.get("annotations") or {}
    for key in ANNOTATIONS_DROP:
        annotations.pop(key, None)
    if not annotations:
        meta.pop("annotations", None)
    spec = obj.get("spec") or {}
    if obj["kind"] == "Service":
        for key in ("clusterIP", "clusterIPs"):
            if spec.get(key) != "None":
                spec.pop(key, None)
        for port in spec.get("ports", []):
            port.pop("nodePort", None)
    if obj["kind"] == "PersistentVolumeClaim":
        spec.pop("volumeName", None)
    return obj


items = json.load(sys.stdin)["items"]
json.dump({"apiVersion": "v1", "kind": "List", "items": [strip(o) for o in items if keep(o)]}, sys.stdout)
