"""The kubectl side of the comparison: listing environments and the usual hand-made clone."""

from __future__ import annotations

import shlex
from pathlib import Path

from hotclone.core import kinds
from hotclone.core.schema import LABEL_APP

FILTER = Path(__file__).with_name("strip_server_fields.py")


# The kinds the benchmark's environments hold, as a hand-made clone would name them (no
# Endpoints, ReplicaSets or Jobs: `kubectl get` of those would copy what controllers made).
_COPIED = (
    kinds.SERVICEACCOUNT,
    kinds.ROLE,
    kinds.ROLEBINDING,
    kinds.CONFIGMAP,
    kinds.SECRET,
    kinds.PVC,
    kinds.SERVICE,
    kinds.DEPLOYMENT,
    kinds.STATEFULSET,
    kinds.DAEMONSET,
    kinds.CRONJOB,
    kinds.HPA,
    kinds.PDB,
    kinds.NETWORKPOLICY,
    kinds.INGRESS,
)


def resource_list() -> str:
    """Those kinds as kubectl resource names (plural.group)."""
    return ",".join(f"{k.plural}.{k.group}" if k.group else k.plural for k in _COPIED)


def list_envs_argv(kubectl: Path, kubeconfig: Path, context: str, app: str) -> list[str]:
    return [
        str(kubectl), "--kubeconfig", str(kubeconfig), "--context", context,
        "get", "namespaces", "-l", f"{LABEL_APP}={app}", "-o", "json",
    ]  # fmt: skip


def clone_argv(kubectl: Path, python: Path, kubeconfig: Path, context: str, source_ns: str, new_ns: str) -> list[str]:
    """One shell pipeline: create the namespace, get everything, strip, apply."""
    k = f"{shlex.quote(str(kubectl))} --kubeconfig {shlex.quote(str(kubeconfig))} --context {context}"
    script = (
        f"set -eo pipefail; {k} create namespace {new_ns} >/dev/null && "
        f"{k} get {resource_list()} -n {source_ns} -o json "
        f"| {shlex.quote(str(python))} {shlex.quote(str(FILTER))} "
        f"| {k} apply -n {new_ns} -f - >/dev/null"
    )
    return ["bash", "-c", script]
