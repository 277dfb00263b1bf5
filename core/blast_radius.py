"""The blast radius of a promote or rollback: what it touches, per class of object.

Computed when the plan is built (plan_apply.preview), from the plan's diff and
deletions and the live target objects: which workloads restart and with how many pods,
what is deleted, which Services, PVCs and RBAC objects change, and which of the objects
it changes or deletes another tool also manages (Helm, Argo CD, Flux, kubectl apply,
server-side appliers, an HPA on the replicas), with what that tool will do (`warning`:
"the next `helm upgrade` will revert this change") and, for the history, what must be
carried back into its chart or Git (`carry_back`). Pure: no cluster, no printing.
"""

from __future__ import annotations

from typing import Literal

from hotclone.core import inventory, ownership
from hotclone.core.cluster import Obj
from hotclone.core.models import BlastRadius, ObjectDiff, OtherOwner, PromotePlan, Restart, Touched

_CHANGE: dict[str, Literal["changed", "added", "deleted"]] = {
    "changed": "changed",
    "added": "added",
    "removed": "deleted",
}
_PVC = "PersistentVolumeClaim"
_HPA = "HorizontalPodAutoscaler"
# How ownership.other_tools and _autoscalers name some tools: `warning` reads them back.
_ARGO_APP = "Argo CD application "
_KUBECTL_OR_ARGO = "kubectl apply or Argo CD application "
_SERVER_SIDE = "server-side apply by "
_ON_REPLICAS = " on spec.replicas"


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
        ref = obj.ref  # the diff names objects by ref (a custom resource's kind qualified by its group)
        if ref not in live:
            continue  # added: nobody else manages it yet
        tools = (*ownership.other_tools(live[ref]), *_autoscalers(obj, hpas))
        if tools:
            owners.append(OtherOwner(ref, tools, tuple(warning(t) for t in tools)))
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


def _autoscalers(change: ObjectDiff, hpas: list[Obj]) -> tuple[str, ...]:
    """An HPA that scales the workload sets its replicas back, when the plan changes them."""
    if not any(c.path == "spec.replicas" for c in change.changes):
        return ()
    return tuple(
        f"{_HPA}/{h['metadata']['name']}{_ON_REPLICAS}"
        for h in hpas
        if ((h.get("spec") or {}).get("scaleTargetRef") or {}).get("kind") == change.kind
        and (h["spec"]["scaleTargetRef"]).get("name") == change.name
    )


def warning(tool: str) -> str:
    """What `tool` (as ownership.other_tools or _autoscalers name it) will do to a change hotclone makes."""
    if tool.startswith("Helm"):
        return f"managed by {tool}: the next `helm upgrade` will revert this change"
    if tool.startswith(_ARGO_APP):
        return f"managed by {tool}: the next Argo CD sync of application {tool.removeprefix(_ARGO_APP)} will revert it"
    if tool == "Argo CD":
        return "managed by Argo CD: its next sync will revert it"
    if tool.startswith("Flux "):
        what = tool.removeprefix("Flux ")  # "Kustomization ns/name", "HelmRelease ns/name"
        return f"managed by {tool}: the next Flux reconciliation of {what} will revert it"
    if tool == "Flux":
        return "managed by Flux: its next reconciliation will revert it"
    if tool == "kubectl apply":
        return "applied with `kubectl apply`: the next `kubectl apply` of its manifest will revert it"
    if tool.startswith(_KUBECTL_OR_ARGO):
        app = tool.removeprefix(_KUBECTL_OR_ARGO)
        return (
            f"applied with `kubectl apply` (or by Argo CD application {app}): the next `kubectl apply` of its "
            f"manifest or Argo CD sync of application {app} will revert it"
        )
    if tool.startswith(_SERVER_SIDE):
        manager = tool.removeprefix(_SERVER_SIDE)
        return f"applied server-side by {manager}: the next apply by {manager} may revert it"
    if tool.startswith(_HPA + "/"):
        hpa = tool.removesuffix(_ON_REPLICAS)
        return f"its replicas are set by {hpa}: it will scale them back to its own count"
    return f"{tool}: its next run may revert it"  # "managed by Terraform"


def carry_back(blast: BlastRadius) -> list[str]:
    """One history line per object another tool manages: the change must be carried back into its chart,
    Git or manifest (an HPA's replicas are not: they are the HPA's to set)."""
    lines = []
    for owner in blast.other_owners:
        tools = [t.removeprefix("managed by ") for t in owner.tools if not t.startswith(_HPA + "/")]
        if tools:
            lines.append(f"carry back: {owner.object} is managed by {', '.join(tools)}")
    return lines


def classes(blast: BlastRadius) -> list[tuple[str, list[str]]]:
    """Each class with the text of its objects ([] for none), in the order a confirmation shows them."""
    return blast.classes()
