"""Load an environment's objects: one LIST per material kind, run concurrently.

The kinds come from the server's discovery (core/api_discovery.py) and the rule of what
is material from core/material_policy.py; `read` also says what it left out and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from hotclone.core import api_discovery, kinds, material_policy
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.errors import Forbidden, NotFound
from hotclone.core.kinds import Kind
from hotclone.core.material_policy import Exclusions
from hotclone.core.models import Container, Skipped, Workload
from hotclone.core.readiness import readiness
from hotclone.core.schema import LABEL_SCOPE, SCOPE_ENVIRONMENT


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
    """ "Kind/name"; a custom resource's kind carries its group ("Certificate.cert-manager.io/web")."""
    return material_policy.object_ref(obj)


def kind_of_ref(reference: str) -> str:
    return reference.split("/", 1)[0]


def in_creation_order(objects: Iterable[Obj]) -> list[Obj]:
    """Kinds in core.kinds.CREATION_ORDER (custom resources last), by name within a kind."""
    return sorted(objects, key=lambda o: (kinds.creation_rank(kind_of_ref(ref(o))), o["metadata"]["name"]))


@dataclass
class Inventory:
    """An environment's objects as read, and everything left out with its reason."""

    objects: list[Obj] = field(default_factory=list)  # material and environment-scoped, in creation order
    skipped: list[Skipped] = field(default_factory=list)  # objects read and left out
    excluded_kinds: list[Skipped] = field(default_factory=list)  # kinds never read, by policy
    unreadable: list[Skipped] = field(default_factory=list)  # kinds the user may not list here

    @property
    def material(self) -> list[Obj]:
        return [o for o in self.objects if not is_environment_scoped(o)]


def list_kinds(cluster: Cluster, namespace: str, wanted: tuple[Kind, ...]) -> dict[str, list[Obj]]:
    with ThreadPoolExecutor(max_workers=min(8, len(wanted))) as pool:
        results = pool.map(lambda kind: cluster.list(kind, namespace), wanted)
        return {kind.kind: items for kind, items in zip(wanted, results, strict=True)}


def read(cluster: Cluster, namespace: str, exclusions: Exclusions | None = None) -> Inventory:
    """Every object of the environment, what was left out and why, and the kinds that could not be read."""
    wanted, excluded = material_policy.material_kinds(api_discovery.catalog(cluster).namespaced())

    def one(kind: Kind) -> tuple[Kind, list[Obj] | str]:
        try:
            return kind, cluster.list(kind, namespace)
        except Forbidden as error:
            return kind, f"not allowed to list: {error}"
        except NotFound:
            return kind, _GONE

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, wanted))
    if any(items == _GONE for _, items in results):
        # The cached discovery still named a kind whose CRD was deleted since: ask again. A kind
        # the server no longer serves has no objects left to read; one it still serves is reported.
        served = {(k.group, k.kind) for k in api_discovery.catalog(cluster, refresh=True).kinds}
        results = [(k, items) for k, items in results if items != _GONE or (k.group, k.kind) in served]
    found = [obj for _, items in results if isinstance(items, list) for obj in items]
    unreadable = [Skipped(kind.qualified, items) for kind, items in results if isinstance(items, str)]
    reasons = material_policy.object_skip_reasons(found, exclusions)
    inventory = Inventory(excluded_kinds=excluded, unreadable=unreadable)
    for obj in in_creation_order(found):
        reason = reasons.get(ref(obj))
        if reason:
            inventory.skipped.append(Skipped(ref(obj), reason))
        else:
            inventory.objects.append(obj)
    return inventory


_GONE = "listed by discovery, but not found when listed"


def load(cluster: Cluster, namespace: str) -> list[Obj]:
    """Every object of the environment that hotclone manages, in creation order."""
    return read(cluster, namespace).objects


def material(cluster: Cluster, namespace: str) -> list[Obj]:
    """The objects that move between environments (everything not environment-scoped)."""
    return read(cluster, namespace).material


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


def to_workloads(lists: Iterable[list[Obj]]) -> list[Workload]:
    """Workload rows from LISTs in kind order, by name; controller-owned ones are not ours."""
    return [
        to_workload(obj)
        for items in lists
        for obj in sorted(items, key=lambda o: o["metadata"]["name"])
        if not obj["metadata"].get("ownerReferences")
    ]


def workloads(cluster: Cluster, namespace: str) -> list[Workload]:
    by_kind = list_kinds(cluster, namespace, kinds.WORKLOAD_KINDS)
    return to_workloads(by_kind[kind.kind] for kind in kinds.WORKLOAD_KINDS)


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
    return {ns: to_workloads(by_kind) for ns, by_kind in grouped.items()}
