"""The blast radius of a promote or rollback: what it touches, per class of object.

Computed when the plan is built (plan_apply.preview), from the plan's diff and
deletions and the live target objects: which workloads restart and with how many pods,
what is deleted, which Services, PVCs and RBAC objects change, and which of the objects
it changes or deletes another tool also manages (Helm, Argo CD, Flux, kubectl apply,
server-side appliers, an HPA on the replicas), since that tool may put its own state
back. Pure: no cluster, no printing.
"""

from __future__ import annotations

from typing import Literal

from hotclone.core import inventory
from hotclone.core.cluster import Obj
from hotclone.core.models import BlastRadius, ObjectDiff, OtherOwner, PromotePlan, Restart, Touched

# Other tools' marks on the objects they manage.
MANAGED_BY = "app.kubernetes.io/managed-by"
INSTANCE = "app.kubernetes.io/instance"
HELM_RELEASE = "meta.helm.sh/release-name"
ARGO_PREFIX = "argocd.argoproj.io/"
ARGO_TRACKING = "argocd.argoproj.io/tracking-id"  # "<app>:<group>/<kind>:<namespace>/<name>"
FLUX = {"kustomize.toolkit.fluxcd.io/": "Flux Kustomization", "helm.toolkit.fluxcd.io/": "Flux HelmRelease"}
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

# Field managers of the cluster itself (status, revision annotations): they never revert a spec.
_SYSTEM_MANAGERS = frozenset(
    {"kube-controller-manager", "kube-scheduler", "kubelet", "kube-apiserver", "cloud-controller-manager"}
)
# Managers of known tools, to name them and not list one tool twice.
_KNOWN_MANAGERS = {
    "helm": "Helm",
    "argocd-controller": "Argo CD",
    "argocd-application-controller": "Argo CD",
    "kustomize-controller": "Flux",
    "helm-controller": "Flux",
    "kubectl-client-side-apply": "kubectl apply",
}
_CHANGE: dict[str, Literal["changed", "added", "deleted"]] = {
    "changed": "changed",
    "added": "added",
    "removed": "deleted",
}
_PVC = "PersistentVolumeClaim"
_HPA = "HorizontalPodAutoscaler"


def radius(plan: PromotePlan, live: dict[str, Obj]) -> BlastRadius:
    """The plan's blast radius; `live` maps "Kind/name" to the target's objects as the plan saw them.

    RBAC objects a promote leaves out are added by promote.with_rbac (they are not in the diff).
    """
    changed = plan.diff.changed  # deletions are its "removed" objects

    def touched(kinds: frozenset[str]) -> tuple[Touched, ...]:
        return tuple(Touched(o.ref, _CHANGE[o.status]) for o in changed if o.kind in kinds)

    hpas = [o for o in live.values() if o.get("kind") == _HPA]
    owners = []
    for obj in changed:
        current = live.get(obj.ref)
        if current is None:
            continue  # added: nobody else manages it yet
        tools = (*other_tools(current), *_autoscalers(obj, hpas))
        if tools:
            owners.append(OtherOwner(obj.ref, tools))
    return BlastRadius(
        restarts=tuple(Restart(ref, pods(live.get(ref))) for ref in plan.restarts),
        deletions=plan.deletions,
        services=touched(frozenset({"Service"})),
        pvcs=touched(frozenset({_PVC})),
        rbac=touched(inventory.RBAC_KINDS),
        other_owners=tuple(owners),
    )


def pods(obj: Obj | None) -> int | None:
    """How many pods a workload runs: its replicas (default 1); a DaemonSet's, once its controller has counted."""
    if obj is None:
        return None
    if obj.get("kind") == "DaemonSet":
        scheduled = (obj.get("status") or {}).get("desiredNumberScheduled")
        return scheduled if isinstance(scheduled, int) else None
    replicas = (obj.get("spec") or {}).get("replicas", 1)
    return replicas if isinstance(replicas, int) else None


def other_tools(obj: Obj) -> tuple[str, ...]:
    """The tools other than hotclone that manage `obj`, named as precisely as its marks allow."""
    meta = obj.get("metadata") or {}
    labels: dict[str, str] = meta.get("labels") or {}
    annotations: dict[str, str] = meta.get("annotations") or {}
    found: list[str] = []
    families: set[str] = set()  # tools already named, so managedFields does not name them again
    managed_by = str(labels.get(MANAGED_BY, ""))
    release = annotations.get(HELM_RELEASE)
    if release or managed_by.lower() == "helm":
        found.append(f"Helm release {release}" if release else "Helm")
        families.add("Helm")
    if any(key.startswith(ARGO_PREFIX) for key in (*annotations, *labels)):
        app = str(annotations.get(ARGO_TRACKING, "")).split(":", 1)[0] or labels.get(INSTANCE)
        found.append(f"Argo CD application {app}" if app else "Argo CD")
        families.add("Argo CD")
    for prefix, what in FLUX.items():
        if any(key.startswith(prefix) for key in labels):
            name, namespace = labels.get(prefix + "name"), labels.get(prefix + "namespace")
            found.append(f"{what} {namespace}/{name}" if name and namespace else what)
            families.add("Flux")
    if managed_by and managed_by.lower() not in ("helm", "hotclone") and not families:
        found.append(f"managed by {managed_by}")
        families.add(managed_by)
    if LAST_APPLIED in annotations and not families & {"Argo CD", "Flux"}:  # they apply with kubectl themselves
        instance = labels.get(INSTANCE)
        # Argo CD's label tracking leaves only this label and kubectl's annotation behind.
        guess = f" or Argo CD application {instance}" if instance and "Helm" not in families else ""
        found.append(f"kubectl apply{guess}")
        families.add("kubectl apply")
    for entry in meta.get("managedFields") or []:
        manager = str(entry.get("manager", ""))
        if entry.get("subresource") or manager in _SYSTEM_MANAGERS or manager.startswith("hotclone"):
            continue
        family = _KNOWN_MANAGERS.get(manager)
        if family is None and entry.get("operation") != "Apply":
            continue  # a one-off edit (kubectl edit, a script, hotclone itself) does not come back
        if (family or manager) in families:
            continue
        found.append(family or f"server-side apply by {manager}")
        families.add(family or manager)
    return tuple(found)


def _autoscalers(change: ObjectDiff, hpas: list[Obj]) -> tuple[str, ...]:
    """An HPA that scales the workload sets its replicas back, when the plan changes them."""
    if not any(c.path == "spec.replicas" for c in change.changes):
        return ()
    return tuple(
        f"{_HPA}/{h['metadata']['name']} on spec.replicas"
        for h in hpas
        if ((h.get("spec") or {}).get("scaleTargetRef") or {}).get("kind") == change.kind
        and (h["spec"]["scaleTargetRef"]).get("name") == change.name
    )


def classes(blast: BlastRadius) -> list[tuple[str, list[str]]]:
    """Each class with the text of its objects ([] for none), in the order a confirmation shows them."""
    return [
        ("restarts", [r.describe() for r in blast.restarts]),
        ("deletions", list(blast.deletions)),
        ("services", [t.describe() for t in blast.services]),
        ("PVCs", [t.describe() for t in blast.pvcs]),
        ("RBAC", [t.describe() for t in blast.rbac]),
        ("owned by other tools", [o.describe() for o in blast.other_owners]),
    ]
