"""Two local control planes in one kubeconfig, for the cross-cluster clone figure (issue 14).

Each plane writes its own kubeconfig with the same names (cluster `hotclone-local`, user
`admin`, context `hotclone-local`); merged as they are, the second would overwrite the first.
`merged_kubeconfig` copies each plane's admin context under a distinct name, with its own
server, CA file and token, as a user's kubeconfig holding two clusters would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hotclone.core.demo.controlplane import ADMIN_CONTEXT, ControlPlane


def _admin_entry(plane: ControlPlane) -> tuple[dict[str, Any], dict[str, Any]]:
    """The admin context's cluster and user sections of `plane`'s own kubeconfig."""
    config = yaml.safe_load(plane.kubeconfig.read_text())
    context = next(c["context"] for c in config["contexts"] if c["name"] == ADMIN_CONTEXT)
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
    return cluster, user


def merged_kubeconfig(path: Path, planes: dict[str, ControlPlane]) -> Path:
    """Write one kubeconfig with a context per plane, named by `planes`' keys (first is current)."""
    clusters, users, contexts = [], [], []
    for name, plane in planes.items():
        cluster, user = _admin_entry(plane)
        clusters.append({"name": name, "cluster": cluster})
        users.append({"name": f"{name}-admin", "user": user})
        contexts.append({"name": name, "context": {"cluster": name, "user": f"{name}-admin"}})
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": clusters,
        "users": users,
        "contexts": contexts,
        "current-context": next(iter(planes)),
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
