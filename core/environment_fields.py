"""Fields that belong to an environment, not to the application in it: a promote never carries them.

A clone changes them in its copies (core/clone.adjust: other tools' ownership marks go,
a LoadBalancer or NodePort Service becomes ClusterIP, a claim gets its own volume), so a
promote must not write the clone's values into its target, whatever the merge says: the
target keeps its own. Without this, a two-way promote (into an environment the clone was
not made from) would turn qa's LoadBalancer into a ClusterIP and strip its Helm
release's marks, after which `helm upgrade` refuses the objects as not its own.
"""

from __future__ import annotations

import copy

from hotclone.core import ownership
from hotclone.core.cluster import Obj

# Fields of a Service that only mean something for a LoadBalancer or NodePort Service.
EXTERNAL_SERVICE_FIELDS = (
    "loadBalancerIP",
    "loadBalancerClass",
    "loadBalancerSourceRanges",
    "externalTrafficPolicy",
    "healthCheckNodePort",
    "allocateLoadBalancerNodePorts",
)
SERVICE_FIELDS = ("type", *EXTERNAL_SERVICE_FIELDS, "externalIPs")
CLAIM_FIELDS = ("volumeName", "dataSource", "dataSourceRef")
_SPEC_FIELDS = {"Service": SERVICE_FIELDS, "PersistentVolumeClaim": CLAIM_FIELDS}


def keep_target(desired: Obj, target: Obj | None) -> Obj:
    """`desired` with the target's own ownership marks and environment fields (a new object: as it is)."""
    if target is None:
        return desired
    out = copy.deepcopy(desired)
    meta, target_meta = out.setdefault("metadata", {}), target.get("metadata") or {}
    detached_out = ownership.detach(out)[0].get("metadata") or {}
    detached_target = ownership.detach(target)[0].get("metadata") or {}
    for section in ("labels", "annotations"):
        mine: dict[str, str] = dict(meta.get(section) or {})
        kept = detached_out.get(section) or {}
        marks = {
            k: v for k, v in (target_meta.get(section) or {}).items() if k not in (detached_target.get(section) or {})
        }
        merged = {k: v for k, v in mine.items() if k in kept} | marks
        if merged:
            meta[section] = merged
        else:
            meta.pop(section, None)
    fields = _SPEC_FIELDS.get(str(out.get("kind")), ())
    spec, target_spec = out.get("spec"), target.get("spec") or {}
    if fields and isinstance(spec, dict):
        for key in fields:
            if key in target_spec:
                spec[key] = copy.deepcopy(target_spec[key])
            else:
                spec.pop(key, None)
    return out
