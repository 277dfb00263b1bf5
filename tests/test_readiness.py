"""Ready/desired per workload kind, one rule shared by the dashboard and the rollout watch."""

from __future__ import annotations

from typing import Any

import pytest

from hotclone.core import inventory, rollout
from hotclone.core.readiness import Readiness, readiness

Obj = dict[str, Any]


def workload(kind: str, spec: Obj, status: Obj, generation: int = 1) -> Obj:
    return {"kind": kind, "metadata": {"name": "w", "generation": generation}, "spec": spec, "status": status}


CASES = [
    # A Deployment's pods count once available (ready for minReadySeconds), not merely ready.
    (
        workload("Deployment", {"replicas": 3}, {"readyReplicas": 3, "availableReplicas": 2, "updatedReplicas": 3}),
        Readiness(2, 3, 3),
    ),
    (workload("Deployment", {}, {}), Readiness(0, 1, 0)),  # spec.replicas defaults to 1
    (workload("Deployment", {"replicas": 0}, {}), Readiness(0, 0, 0)),
    (
        workload("StatefulSet", {"replicas": 2}, {"readyReplicas": 1, "availableReplicas": 0, "updatedReplicas": 2}),
        Readiness(1, 2, 2),
    ),
    (workload("StatefulSet", {}, {}), Readiness(0, 1, 0)),
    # A DaemonSet has no replicas: it wants one pod per scheduled node.
    (
        workload(
            "DaemonSet",
            {},
            {"desiredNumberScheduled": 4, "numberReady": 4, "numberAvailable": 3, "updatedNumberScheduled": 2},
        ),
        Readiness(3, 4, 2),
    ),
    (workload("DaemonSet", {}, {}), Readiness(0, 0, 0)),
]


@pytest.mark.parametrize(("obj", "expected"), CASES)
def test_readiness_per_kind(obj: Obj, expected: Readiness) -> None:
    assert readiness(obj) == expected


def test_a_cronjob_has_no_pods_to_count() -> None:
    cron = workload("CronJob", {"schedule": "* * * * *"}, {"active": [{"name": "j1"}]})
    assert readiness(cron) is None
    row = inventory.to_workload(cron)
    assert (row.ready, row.desired) == (0, 0)  # the dashboard shows "-"
    assert rollout.status_of("CronJob/w", cron).done


@pytest.mark.parametrize(("obj", "expected"), CASES)
def test_dashboard_and_rollout_agree(obj: Obj, expected: Readiness) -> None:
    row = inventory.to_workload(obj)
    status = rollout.status_of(f"{obj['kind']}/w", obj)
    assert (row.ready, row.desired) == (status.ready, status.desired) == (expected.ready, expected.desired)
    assert status.updated == expected.updated


def test_rollout_is_done_only_when_observed_updated_and_available() -> None:
    done = workload(
        "DaemonSet",
        {},
        {"observedGeneration": 2, "desiredNumberScheduled": 2, "numberAvailable": 2, "updatedNumberScheduled": 2},
        generation=2,
    )
    assert rollout.status_of("DaemonSet/w", done).message == "complete"
    stale = {**done, "metadata": {**done["metadata"], "generation": 3}}
    assert not rollout.status_of("DaemonSet/w", stale).done
    waiting = workload(
        "Deployment", {"replicas": 2}, {"observedGeneration": 1, "updatedReplicas": 2, "readyReplicas": 2}
    )
    assert rollout.status_of("Deployment/w", waiting).message == "2/2 updated, 0/2 ready"


def test_a_stalled_rollout_has_failed() -> None:
    stalled = workload(
        "Deployment",
        {"replicas": 1},
        {
            "observedGeneration": 1,
            "conditions": [
                {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "too slow"}
            ],
        },
    )
    status = rollout.status_of("Deployment/web", stalled)
    assert status.failed and not status.done and status.message == "ProgressDeadlineExceeded: too slow"
