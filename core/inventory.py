"""Load an environment's objects: one LIST per kind, run concurrently."""

from __future__ import annotations

import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from hotclone.core import kinds
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.errors import Forbidden
from hotclone.core.kinds import Kind
from hotclone.core.models import Container, Workload
from hotclone.core.readiness import readiness
from hotclone.core.schema import LABEL_HISTORY, LABEL_SCOPE, SCOPE_ENVIRONMENT

_STATEFULSET_PVC = re.compile(r"^(?P<template>.+)-(?P<set>.+)-\d+$")


def is_environment_scoped(obj: Obj) -> bool:
    return ((obj.get("metadata") or {}).get("labels") or {}).get(LABEL_SCOPE) == SCOPE_ENVIRONMENT


# RBAC is environment-scoped for promote, by policy. The rule, exactly:
# - ServiceAccounts, Roles and RoleBindings are copied by clone (a clone's workloads need
#   their service accounts and permissions to run), and shown by diff like any object;
# - a promote never creates, replaces or deletes them in its target (prune included);
#   each one it would have touched is listed in the plan as skipped, with the flag;
# - `--include-rbac` (`include_rbac=True`) lets a promote write them, and the plan then
#   names each RBAC object it writes or deletes, as a warning.
# Why: whoever administers a throwaway clone must not gain rights in production because
# one line of a long dry run went unread. Rollback restores an environment's own
# before-state (RBAC included): that hands no rights from one environment to another.
RBAC_KINDS = frozenset({"ServiceAccount", "Role", "RoleBinding"})


def is_rbac(obj_or_ref: Obj | str) -> bool:
    """An RBAC object, by object or by "Kind/name"."""
    kind = obj_or_ref.split("/", 1)[0] if isinstance(obj_or_ref, str) else obj_or_ref.get("kind")
    return kind in RBAC_KINDS


def ref(obj: Obj) -> str:
    return f"{obj.get('kind')}/{obj['metadata']['name']}"


def _server_made(obj: Obj, statefulset_claims: set[str]) -> bool:
    """Objects the cluster creates by itself; copying them would fight the controllers."""
    meta = obj.get("metadata") or {}
    name, kind = meta.get("name", ""), obj.get("kind")
    if meta.get("ownerReferences"):
        return True
    if (meta.get("labels") or {}).get(LABEL_HISTORY):
        return True  # hotclone's own history, not part of the environment
    if kind == "ConfigMap" and name in ("kube-root-ca.crt", "istio-ca-root-cert"):
        return True
    if kind == "ServiceAccount" and name == "default":
        return True
    if kind == "Secret" and obj.get("type") == "kubernetes.io/service-account-token":
        return True
    return kind == "PersistentVolumeClaim" and name in statefulset_claims


def _statefulset_claim_names(statefulsets: list[Obj], claims: list[Obj]) -> set[str]:
    templates = {
        (tpl["metadata"]["name"], sts["metadata"]["name"])
        for sts in statefulsets
        for tpl in (sts.get("spec") or {}).get("volumeClaimTemplates") or []
    }
    made = set()
    for claim in claims:
        match = _STATEFULSET_PVC.match(claim["metadata"]["name"])
        if match and (match["template"], match["set"]) in templates:
            made.add(claim["metadata"]["name"])
    return made


def list_kinds(cluster: Cluster, namespace: str, wanted: tuple[Kind, ...]) -> dict[str, list[Obj]]:
    with ThreadPoolExecutor(max_workers=min(8, len(wanted))) as pool:
        results = pool.map(lambda kind: cluster.list(kind, namespace), wanted)
        return {kind.kind: items for kind, items in zip(wanted, results, strict=True)}


def load(cluster: Cluster, namespace: str) -> list[Obj]:
    """Every object of the environment that hotclone manages, in creation order."""
    by_kind = list_kinds(cluster, namespace, kinds.ENVIRONMENT_KINDS)
    claims = _statefulset_claim_names(by_kind.get("StatefulSet", []), by_kind.get("PersistentVolumeClaim", []))
    return [
        obj
        for kind in kinds.ENVIRONMENT_KINDS
        for obj in sorted(by_kind[kind.kind], key=lambda o: o["metadata"]["name"])
        if not _server_made(obj, claims)
    ]


def material(cluster: Cluster, namespace: str) -> list[Obj]:
    """The objects that move between environments (everything not environment-scoped)."""
    return [o for o in load(cluster, namespace) if not is_environment_scoped(o)]


def pod_spec(obj: Obj) -> Obj | None:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    template = spec.get("template") or {}
    result: Obj | None = template.get("spec")
    return result


def containers(obj: Obj) -> tuple[Container, ...]:
    spec = pod_spec(obj) or {}
    init = [Container(c["name"], c.get("image", ""), init=True) for c in spec.get("initContainers") or []]
    main = [Container(c["name"], c.get("image", "")) for c in spec.get("containers") or []]
    return tuple(main + init)


def to_workload(obj: Obj) -> Workload:
    counts = readiness(obj)
    ready, desired = (counts.ready, counts.desired) if counts else (0, 0)  # 0 desired: shown as "-"
    return Workload(obj["kind"], obj["metadata"]["name"], containers(obj), ready=ready, desired=desired)


def _to_workloads(lists: Iterable[list[Obj]]) -> list[Workload]:
    """Workload rows from LISTs in kind order, by name; controller-owned ones are not ours."""
    return [
        to_workload(obj)
        for items in lists
        for obj in sorted(items, key=lambda o: o["metadata"]["name"])
        if not obj["metadata"].get("ownerReferences")
    ]


def workloads(cluster: Cluster, namespace: str) -> list[Workload]:
    by_kind = list_kinds(cluster, namespace, kinds.WORKLOAD_KINDS)
    return _to_workloads(by_kind[kind.kind] for kind in kinds.WORKLOAD_KINDS)


def workloads_by_namespace(cluster: Cluster, namespaces: list[str]) -> dict[str, list[Workload]]:
    """Workloads of many environments: one cluster-wide LIST per kind, not one per namespace.

    Users allowed to list only in their namespaces get the per-namespace fallback.
    """
    wanted = set(namespaces)
    try:
        with ThreadPoolExecutor(max_workers=len(kinds.WORKLOAD_KINDS)) as pool:
            lists = list(pool.map(cluster.list, kinds.WORKLOAD_KINDS))
    except Forbidden:
        with ThreadPoolExecutor(max_workers=8) as pool:
            return dict(zip(namespaces, pool.map(lambda ns: workloads(cluster, ns), namespaces), strict=True))
    # namespace -> one list per kind, in kind order
    grouped: dict[str, list[list[Obj]]] = {ns: [[] for _ in lists] for ns in namespaces}
    for index, items in enumerate(lists):
        for obj in items:
            namespace = obj["metadata"].get("namespace")
            if namespace in wanted:
                grouped[namespace][index].append(obj)
    return {ns: _to_workloads(by_kind) for ns, by_kind in grouped.items()}
