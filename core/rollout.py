"""Rollout of the workloads a change restarted: status now, and waiting until done or failed."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from hotclone.core import api_discovery
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.models import Environment, RolloutStatus
from hotclone.core.readiness import readiness


def rollout_status(cluster: Cluster, environment: Environment, workloads: list[str]) -> list[RolloutStatus]:
    def status(ref: str) -> RolloutStatus:
        kind_name, name = ref.split("/", 1)
        obj = cluster.get(api_discovery.kind_named(cluster, kind_name), environment.namespace, name)
        return status_of(ref, obj)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(status, workloads))


def status_of(ref: str, obj: Obj) -> RolloutStatus:
    """Pure: the rollout status of one workload object as read from the server."""
    counts = readiness(obj)
    if counts is None:
        return RolloutStatus(ref, 1, 1, 1, True, "scheduled")
    st, meta = obj.get("status") or {}, obj["metadata"]
    ready, desired, updated = counts.ready, counts.desired, counts.updated
    observed = st.get("observedGeneration", 0) >= meta.get("generation", 0)
    done = observed and updated >= desired and ready >= desired and st.get("replicas", desired) <= desired
    message = "complete" if done else f"{updated}/{desired} updated, {ready}/{desired} ready"
    stalled = next(
        (c for c in st.get("conditions") or [] if c.get("type") == "Progressing" and c.get("status") == "False"),
        None,
    )
    if stalled and not done:
        reason = stalled.get("reason") or "not progressing"
        return RolloutStatus(ref, ready, desired, updated, False, f"{reason}: {stalled.get('message', '')}", True)
    return RolloutStatus(ref, ready, desired, updated, done, message)


def wait_for_rollout(
    cluster: Cluster, environment: Environment, workloads: list[str], *, timeout: float = 180.0
) -> list[RolloutStatus]:
    deadline = time.monotonic() + timeout
    while True:
        statuses = rollout_status(cluster, environment, workloads)
        if all(s.done or s.failed for s in statuses) or time.monotonic() > deadline:
            return statuses
        time.sleep(0.5)
