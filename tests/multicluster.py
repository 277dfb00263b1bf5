"""Two local control planes in one kubeconfig, for the cross-cluster tests (issue 14).

Plane A is the test session's own; plane B is started by the module that needs it. The
kubeconfig names every cluster and user apart (two planes use the same user names and
tokens, so only their servers and CAs tell them apart), and adds contexts for the faults the
tests play: a second name for A (the same API server twice), and two clusters nothing
listens on.
"""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from hotclone.core import kinds
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.demo.controlplane import ADMIN_TOKEN, RESTRICTED_TOKEN, ControlPlane, free_port
from hotclone.core.errors import NotFound

A = "plane-a"  # plane A's admin
A_AGAIN = "plane-a-again"  # plane A's admin under another context name: the same API server
B = "plane-b"  # plane B's admin
B_RESTRICTED = "plane-b-restricted"  # plane B's restricted user (view only)
DEAD = "dead"  # nothing listens there
DEAD_2 = "dead-2"  # another such cluster (a distinct server)


def write_kubeconfig(a: ControlPlane, b: ControlPlane, path: Path) -> Path:
    """One kubeconfig holding both planes (and two dead clusters), current context A."""

    def cluster(name: str, server: str, plane: ControlPlane) -> dict[str, object]:
        ca = str(plane.workdir / "pki" / "apiserver.crt")
        return {"name": name, "cluster": {"server": server, "certificate-authority": ca}}

    def context(name: str, cluster_name: str, user: str) -> dict[str, object]:
        return {"name": name, "context": {"cluster": cluster_name, "user": user}}

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            cluster("cluster-a", a.server, a),
            cluster("cluster-b", b.server, b),
            cluster("cluster-dead", f"https://127.0.0.1:{free_port()}", a),
            cluster("cluster-dead-2", f"https://127.0.0.1:{free_port()}", a),
        ],
        "users": [
            {"name": "a-admin", "user": {"token": ADMIN_TOKEN}},
            {"name": "b-admin", "user": {"token": ADMIN_TOKEN}},
            {"name": "b-restricted", "user": {"token": RESTRICTED_TOKEN}},
        ],
        "contexts": [
            context(A, "cluster-a", "a-admin"),
            context(A_AGAIN, "cluster-a", "a-admin"),
            context(B, "cluster-b", "b-admin"),
            context(B_RESTRICTED, "cluster-b", "b-restricted"),
            context(DEAD, "cluster-dead", "a-admin"),
            context(DEAD_2, "cluster-dead-2", "a-admin"),
        ],
        "current-context": A,
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def namespace_or_none(cluster: Cluster, namespace: str) -> Obj | None:
    try:
        return cluster.get(kinds.NAMESPACE, None, namespace)
    except NotFound:
        return None


def gone_or_terminating(cluster: Cluster, namespace: str) -> bool:
    """Read back: the namespace is not there, or is being deleted."""
    found = namespace_or_none(cluster, namespace)
    return found is None or bool(found["metadata"].get("deletionTimestamp"))


def wait_gone(cluster: Cluster, namespace: str, timeout: float = 60.0) -> None:
    """Until the namespace controller has really removed it (a name reused later must be free)."""
    deadline = time.monotonic() + timeout
    while namespace_or_none(cluster, namespace) is not None:
        if time.monotonic() > deadline:
            raise AssertionError(f"namespace {namespace} is still there after {timeout:.0f}s")
        time.sleep(0.2)


def labelled_namespace(app: str, env: str, env_type: str) -> Obj:
    """A bare hotclone environment: the labels discovery reads, nothing inside."""
    labels = {"hotclone.io/app": app, "hotclone.io/env": env, "hotclone.io/env-type": env_type}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"{app}-{env}", "labels": labels}}
