"""Which kinds and objects are part of an environment ("material"), and why the others are not.

Every namespaced kind the server serves that can be listed and created is material by
default, custom resources included. Left out, each with the reason the clone plan shows:
- kinds the cluster makes by itself (EXCLUDED_KINDS): never read;
- objects of a material kind that the cluster or a controller made (an owner reference,
  the namespace's default ServiceAccount and CA bundle, service-account tokens, the
  Endpoints of a Service with a selector, a StatefulSet's claims), Helm's release
  records, hotclone's own history, finished Jobs (a record of a past run, not desired
  state), objects carrying the exclude annotation (core/schema.py ANNOTATION_EXCLUDE);
- what an environment type excludes (its `exclude` key: `Kind`, `Kind.group` or
  `Kind/name` per line), for the environments made with it.
docs/ARCHITECTURE.md documents the same list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hotclone.core.cluster import Obj
from hotclone.core.kinds import Kind, group_of, qualified_name
from hotclone.core.models import Skipped
from hotclone.core.schema import ANNOTATION_EXCLUDE, LABEL_HISTORY

# (group, kind) -> why it is never copied, diffed or promoted.
EXCLUDED_KINDS: dict[tuple[str, str], str] = {
    ("", "Pod"): "made by the workloads that own them",
    ("", "Event"): "the cluster's log, not desired state",
    ("events.k8s.io", "Event"): "the cluster's log, not desired state",
    ("discovery.k8s.io", "EndpointSlice"): "kept by the endpoint controllers for each Service",
    ("coordination.k8s.io", "Lease"): "held by running processes (leader election, heartbeats)",
    ("apps", "ControllerRevision"): "a workload's rollout history, kept by its controller",
    ("storage.k8s.io", "CSIStorageCapacity"): "published by storage drivers",
    ("metrics.k8s.io", "PodMetrics"): "measured, not declared",
}
_NEEDED_VERBS = frozenset({"list", "create"})

_CLUSTER_CONFIGMAPS = frozenset({"kube-root-ca.crt", "istio-ca-root-cert", "openshift-service-ca.crt"})
_HELM_RELEASE_SECRET = "helm.sh/release.v1"


def excluded_kind_reason(kind: Kind) -> str | None:
    return EXCLUDED_KINDS.get((kind.group, kind.kind))


def material_kinds(served: Iterable[Kind]) -> tuple[list[Kind], list[Skipped]]:
    """The namespaced kinds to read, and the ones excluded by policy (with their reasons)."""
    wanted: list[Kind] = []
    excluded: list[Skipped] = []
    for kind in served:
        if not kind.namespaced:
            continue
        if kind.verbs and not kind.verbs >= _NEEDED_VERBS:
            continue  # reviews, bindings, metrics: not objects one can copy
        reason = excluded_kind_reason(kind)
        if reason:
            excluded.append(Skipped(kind.qualified, reason))
        else:
            wanted.append(kind)
    return wanted, excluded


@dataclass(frozen=True)
class Exclusions:
    """Extra exclusions: `Kind`, `Kind.group`, `Kind/name` or `Kind.group/name`, and who asked."""

    patterns: tuple[str, ...] = ()
    by: str = ""  # "environment type 'temporary'"

    def reason(self, ref: str) -> str | None:
        kind = ref.split("/", 1)[0]
        if ref in self.patterns or kind in self.patterns:
            return f"excluded by {self.by}" if self.by else "excluded"
        return None


def object_skip_reasons(objects: list[Obj], exclusions: Exclusions | None = None) -> dict[str, str]:
    """ref -> why it is left out, for the objects of one namespace read together."""
    by_kind: dict[str, list[Obj]] = {}
    for obj in objects:
        by_kind.setdefault(str(obj.get("kind")), []).append(obj)
    claims = _statefulset_claims(by_kind.get("StatefulSet", []), by_kind.get("PersistentVolumeClaim", []))
    selecting = {s["metadata"]["name"] for s in by_kind.get("Service", []) if (s.get("spec") or {}).get("selector")}
    reasons: dict[str, str] = {}
    for obj in objects:
        ref = object_ref(obj)
        reason = skip_reason(obj, claims, selecting) or (exclusions.reason(ref) if exclusions else None)
        if reason:
            reasons[ref] = reason
    return reasons


def skip_reason(obj: Obj, statefulset_claims: dict[str, str], selector_services: set[str]) -> str | None:
    """Why this object is not material, or None. `statefulset_claims` maps claim -> StatefulSet."""
    meta = obj.get("metadata") or {}
    name, kind = meta.get("name", ""), obj.get("kind")
    labels = meta.get("labels") or {}
    if labels.get(LABEL_HISTORY):
        return "hotclone's own records (history, verification, promotion requests)"
    if str((meta.get("annotations") or {}).get(ANNOTATION_EXCLUDE, "")).lower() == "true":
        return f"annotated {ANNOTATION_EXCLUDE}"
    owners = meta.get("ownerReferences") or []
    if owners:
        owner = next((o for o in owners if o.get("controller")), None)
        if owner:
            return f"made by its controller {owner.get('kind')}/{owner.get('name')}"
        first = owners[0]
        # A copy would name an owner uid the clone does not have: the garbage collector deletes it.
        return f"owned by {first.get('kind')}/{first.get('name')} (a copy would be garbage-collected)"
    if kind == "ConfigMap" and name in _CLUSTER_CONFIGMAPS:
        return "published into every namespace by the cluster"
    if kind == "ServiceAccount" and name == "default":
        return "made in every namespace by the cluster"
    if kind == "Secret" and obj.get("type") == "kubernetes.io/service-account-token":
        return "a service-account token (the cluster issues the clone its own)"
    if kind == "Secret" and obj.get("type") == _HELM_RELEASE_SECRET:
        return "Helm's record of its release (the clone is not that release)"
    if kind == "Endpoints" and name in selector_services:
        return f"kept by the endpoints controller for Service/{name}"
    if kind == "PersistentVolumeClaim" and name in statefulset_claims:
        return f"made by StatefulSet/{statefulset_claims[name]} from its volumeClaimTemplates"
    if kind == "Job" and _finished(obj):
        return "a finished Job: the record of a past run, not desired state"
    return None


def object_ref(obj: Obj) -> str:
    """ "Kind/name", the kind qualified by its group for custom resources (core/kinds.py)."""
    kind = qualified_name(str(obj.get("kind")), group_of(str(obj.get("apiVersion") or "")))
    return f"{kind}/{obj['metadata']['name']}"


def _finished(job: Obj) -> bool:
    conditions = (job.get("status") or {}).get("conditions") or []
    return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True" for c in conditions)


def _statefulset_claims(statefulsets: list[Obj], claims: list[Obj]) -> dict[str, str]:
    """Claims named `<template>-<statefulset>-<ordinal>`, as the StatefulSet controller names them."""
    prefixes = [
        (f"{tpl['metadata']['name']}-{sts['metadata']['name']}-", sts["metadata"]["name"])
        for sts in statefulsets
        for tpl in (sts.get("spec") or {}).get("volumeClaimTemplates") or []
    ]
    made: dict[str, str] = {}
    for claim in claims:
        name = claim["metadata"]["name"]
        for prefix, owner in prefixes:
            if name.startswith(prefix) and name[len(prefix) :].isdigit():
                made[name] = owner
    return made
