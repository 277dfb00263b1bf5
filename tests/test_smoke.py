"""The local control plane is a real Kubernetes API server with working controllers."""

from __future__ import annotations

import time

import pytest

from hotclone.core import kinds
from hotclone.core.cluster import Cluster
from hotclone.core.errors import Forbidden, NotFound


def _deployment(name: str) -> dict[str, object]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": name, "image": "nginx:1.27"}]},
            },
        },
    }


def test_create_read_delete_namespace_and_deployment(admin: Cluster) -> None:
    admin.create(kinds.NAMESPACE, None, {"metadata": {"name": "smoke"}})
    admin.create(kinds.DEPLOYMENT, "smoke", _deployment("hello"))
    assert (
        admin.get(kinds.DEPLOYMENT, "smoke", "hello")["spec"]["template"]["spec"]["containers"][0]["image"]
        == "nginx:1.27"
    )
    # The controller-manager turns the Deployment into a ReplicaSet.
    deadline = time.monotonic() + 20
    while not admin.request("GET", "/apis/apps/v1/namespaces/smoke/replicasets").get("items"):
        assert time.monotonic() < deadline, "no ReplicaSet: is kube-controller-manager running?"
        time.sleep(0.2)
    admin.delete(kinds.NAMESPACE, None, "smoke")
    deadline = time.monotonic() + 60
    while True:
        try:
            admin.get(kinds.NAMESPACE, None, "smoke")
        except NotFound:
            break
        assert time.monotonic() < deadline, "namespace never went away: namespace controller not running"
        time.sleep(0.2)


def test_restricted_user_gets_403_on_create(restricted: Cluster, admin: Cluster) -> None:
    with pytest.raises(Forbidden, match="cannot create"):
        restricted.create(kinds.NAMESPACE, None, {"metadata": {"name": "not-allowed"}})
    with pytest.raises(NotFound):
        admin.get(kinds.NAMESPACE, None, "not-allowed")
    assert restricted.whoami().username == "restricted"


def test_kwok_makes_pods_ready(admin: Cluster, plane: object) -> None:
    if not getattr(plane, "has_kwok", False):
        pytest.skip("kwok and kube-scheduler not built")
    admin.create(kinds.NAMESPACE, None, {"metadata": {"name": "kwok-smoke"}})
    admin.create(kinds.DEPLOYMENT, "kwok-smoke", _deployment("ready"))
    deadline = time.monotonic() + 60
    while admin.get(kinds.DEPLOYMENT, "kwok-smoke", "ready").get("status", {}).get("readyReplicas") != 1:
        assert time.monotonic() < deadline, "pod never became ready on the kwok node"
        time.sleep(0.2)


def test_dry_run_changes_nothing(admin: Cluster) -> None:
    admin.create(kinds.NAMESPACE, None, {"metadata": {"name": "dry"}})
    admin.create(kinds.CONFIGMAP, "dry", {"metadata": {"name": "keep"}, "data": {"a": "1"}})
    live = admin.get(kinds.CONFIGMAP, "dry", "keep")
    admin.delete(kinds.CONFIGMAP, "dry", "keep", dry_run=True)
    changed = {**live, "data": {"a": "2"}}
    admin.replace(kinds.CONFIGMAP, "dry", changed, dry_run=True)
    admin.create(kinds.CONFIGMAP, "dry", {"metadata": {"name": "new"}}, dry_run=True)
    assert admin.get(kinds.CONFIGMAP, "dry", "keep") == live
    with pytest.raises(NotFound):
        admin.get(kinds.CONFIGMAP, "dry", "new")
