"""What the kubeconfig says, read without the Kubernetes client: the dashboard's first frame.

The header (context, cluster, user) is on screen before the client is even imported (a
few hundred milliseconds on a bastion host), so it comes from the kubeconfig file itself,
merged the way kubectl merges $KUBECONFIG's files: the first file that sets
current-context wins, and the first definition of each context, cluster and user wins.
The user the API server sees replaces the kubeconfig's user name once connected.
Nothing here validates credentials: core/cluster.py does, when it connects.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import yaml

from hotclone.core.errors import Unreachable


@dataclass(frozen=True)
class KubeconfigView:
    context: str
    server: str  # "" when the context names no known cluster
    user: str  # the kubeconfig's user entry (not yet the identity the API server reports)


def paths(kubeconfig: str | None = None) -> list[str]:
    """--kubeconfig, else $KUBECONFIG's files, else ~/.kube/config (as kubectl reads them)."""
    if kubeconfig:
        return [os.path.expanduser(kubeconfig)]
    listed = [p for p in (os.environ.get("KUBECONFIG") or "").split(os.pathsep) if p]
    return [os.path.expanduser(p) for p in listed] or [os.path.expanduser("~/.kube/config")]


def _load(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as stream:
            loaded = yaml.safe_load(stream)
    except FileNotFoundError:
        return {}
    except (OSError, yaml.YAMLError) as error:
        raise Unreachable(f"kubeconfig {path} is unusable: {' '.join(str(error).split())}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise Unreachable(f"kubeconfig {path} is unusable: its top level is a {type(loaded).__name__}, not a mapping")
    return loaded


def _named(files: list[dict[str, Any]], section: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for config in files:
        for entry in config.get(section) or []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                found.setdefault(entry["name"], entry.get(section[:-1]) or {})
    return found


def view(kubeconfig: str | None = None, context: str | None = None) -> KubeconfigView:
    """The context (given, else current) with its cluster's server and its user; Unreachable when
    the files name no usable context (the same cases Cluster.connect refuses, said early)."""
    files = [_load(path) for path in paths(kubeconfig)]
    if not any(files):
        raise Unreachable(f"kubeconfig not found: {paths(kubeconfig)[0]} (use --kubeconfig or set KUBECONFIG)")
    current = next((c.get("current-context") for c in files if c.get("current-context")), None)
    chosen = context or current
    if not chosen:
        raise Unreachable(f"kubeconfig {paths(kubeconfig)[0]} has no current context; pass --context")
    contexts = _named(files, "contexts")
    if chosen not in contexts:
        raise Unreachable(f"context {chosen!r} not found in kubeconfig {paths(kubeconfig)[0]}")
    entry = contexts[chosen]
    clusters = _named(files, "clusters")
    server = str((clusters.get(str(entry.get("cluster") or "")) or {}).get("server") or "")
    return KubeconfigView(chosen, server, str(entry.get("user") or ""))
