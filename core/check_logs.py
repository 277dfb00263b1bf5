"""The last lines a failed check printed, with every Secret value of its namespace masked.

A check's log is stored in the verification record (a ConfigMap anyone with read access
sees) and printed, so no Secret value may survive in it: every value of every Secret in
the namespace (decoded; each line of a multi-line value too) becomes SECRET_MASK. When the
Secrets cannot be read, nothing can be masked, so the lines are withheld instead.

Where the lines come from: the pod's log (the kubelet, through the API server, asked with a
short timeout since a node may not answer), else the container's termination message,
which Kubernetes fills with the log's tail under terminationMessagePolicy
FallbackToLogsOnError (hotclone sets that on every check container that says nothing else).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable

from hotclone.core import display, kinds
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.errors import HotcloneError

POD = kinds.Kind("Pod", "", "v1", "pods")
TAIL_LINES = 20
SECRET_MASK = "<secret>"
MAX_LINE = 400
_MIN_SECRET = 4  # shorter values ("1", "yes") would mask half the log and protect nothing
_LOG_TIMEOUT = (2.0, 3.0)  # (connect, read) seconds: the log must never hold the run up for long


def secret_values(cluster: Cluster, namespace: str) -> list[str] | None:
    """Every decoded Secret value in the namespace worth masking, longest first; None: unreadable."""
    try:
        secrets = cluster.list(kinds.SECRET, namespace)
    except HotcloneError:
        return None
    found: set[str] = set()
    for secret in secrets:
        for encoded in (secret.get("data") or {}).values():
            try:
                text = base64.b64decode(str(encoded), validate=True).decode("utf-8", errors="replace")
            except (binascii.Error, ValueError):
                continue
            found.update(v for v in (text, *text.splitlines(), text.strip()) if len(v.strip()) >= _MIN_SECRET)
    return sorted(found, key=len, reverse=True)


def mask(text: str, values: Iterable[str]) -> str:
    for value in values:
        text = text.replace(value, SECRET_MASK)
    return text


def tail(cluster: Cluster, namespace: str, job_name: str) -> tuple[str, ...]:
    """The last lines (<= TAIL_LINES) of the Job's newest pod, masked and made safe to show."""
    text = _raw_tail(cluster, namespace, job_name)
    if not text:
        return ()
    values = secret_values(cluster, namespace)
    if values is None:
        return (f"(log withheld: the Secrets of {namespace} cannot be read to mask their values)",)
    lines = mask(text, values).splitlines()[-TAIL_LINES:]
    return tuple(display.safe(_capped(line)) for line in lines)


def _capped(line: str) -> str:
    """A line of at most MAX_LINE characters: the record is a ConfigMap (1 MiB for everything)."""
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"


def masked(text: str, cluster: Cluster, namespace: str) -> str:
    """One line of cluster text (a condition's message) with the namespace's Secret values masked."""
    values = secret_values(cluster, namespace)
    return display.safe(mask(text, values) if values is not None else text)


def exit_code(cluster: Cluster, namespace: str, job_name: str) -> int | None:
    """The exit code of the failed container of the Job's newest pod (None: no pod or none ended)."""
    pod = _newest_pod(cluster, namespace, job_name)
    container = _failed_container(pod) if pod else None
    for status in _statuses(pod) if pod else []:
        code = _terminated(status).get("exitCode")
        if status.get("name") == container and isinstance(code, int):
            return code
    return None


def _newest_pod(cluster: Cluster, namespace: str, job_name: str) -> Obj | None:
    try:
        pods = cluster.list(POD, namespace, label_selector=f"job-name={job_name}")
    except HotcloneError:
        return None
    return max(pods, key=lambda p: str(p["metadata"].get("creationTimestamp", ""))) if pods else None


def _raw_tail(cluster: Cluster, namespace: str, job_name: str) -> str:
    pod = _newest_pod(cluster, namespace, job_name)
    if pod is None:
        return ""
    name = pod["metadata"]["name"]
    container = _failed_container(pod)
    log = _pod_log(cluster, namespace, name, container)
    if log and log.strip():
        return log
    return _termination_message(pod, container)


def _statuses(pod: Obj) -> list[Obj]:
    status = pod.get("status") or {}
    return list(status.get("containerStatuses") or []) + list(status.get("initContainerStatuses") or [])


def _terminated(status: Obj) -> Obj:
    return ((status.get("state") or {}).get("terminated")) or ((status.get("lastState") or {}).get("terminated")) or {}


def _failed_container(pod: Obj) -> str | None:
    """The first container that ended with a non-zero exit code (else the first container)."""
    statuses = _statuses(pod)
    for status in statuses:
        if _terminated(status).get("exitCode") not in (None, 0):
            return str(status.get("name"))
    return str(statuses[0].get("name")) if statuses else None


def _termination_message(pod: Obj, container: str | None) -> str:
    for status in _statuses(pod):
        if container is None or status.get("name") == container:
            message = _terminated(status).get("message")
            if message:
                return str(message)
    return ""


def _pod_log(cluster: Cluster, namespace: str, pod: str, container: str | None) -> str | None:
    """GET pods/NAME/log (plain text); any failure (a node that is gone, a kubelet that never
    answers, RBAC) means "no log", and the termination message is used instead."""
    query = {"tailLines": str(TAIL_LINES)} | ({"container": container} if container else {})
    try:
        return cluster.text(f"/api/v1/namespaces/{namespace}/pods/{pod}/log", query=query, timeout=_LOG_TIMEOUT)
    except HotcloneError:
        return None
