"""How many pods of a workload are ready, out of how many it wants: one rule per kind.

The dashboard's ready/desired column and the rollout watch both read it from here.
"Ready" means available (ready for minReadySeconds) where the kind reports it.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotclone.core.cluster import Obj


@dataclass(frozen=True)
class Readiness:
    ready: int
    desired: int
    updated: int  # pods already on the current template


def readiness(obj: Obj) -> Readiness | None:
    """None for kinds without pods of their own to count (CronJob: its Jobs come and go)."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    kind = obj.get("kind")
    if kind == "Deployment":
        desired = spec.get("replicas", 1)
        return Readiness(status.get("availableReplicas", 0), desired, status.get("updatedReplicas", 0))
    if kind == "StatefulSet":
        desired = spec.get("replicas", 1)
        return Readiness(status.get("readyReplicas", 0), desired, status.get("updatedReplicas", 0))
    if kind == "DaemonSet":
        desired = status.get("desiredNumberScheduled", 0)
        return Readiness(status.get("numberAvailable", 0), desired, status.get("updatedNumberScheduled", 0))
    return None
