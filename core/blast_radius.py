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
        tools = (*ownership.other_tools(current), *_autoscalers(obj, hpas))
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
