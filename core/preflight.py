"""Preflight: nothing in a clone may still point at the environment it was cloned from.

The source's environment-specific endpoints are: its namespace (in service DNS names
such as api.topicshare-production.svc), its Ingress hosts, and every host or URL in
its environment-scoped ConfigMaps and Secrets. Namespace references in material
objects are rewritten to the clone's namespace; any other reference is a finding
that refuses the clone unless the user allows it. Secret values are scanned but a
finding only ever names the object and key, never the value.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from hotclone.core.cluster import Obj
from hotclone.core.inventory import is_environment_scoped, ref
from hotclone.core.models import PreflightFinding
from hotclone.core.normalize import decode_secret_values, namespace_pattern

_HOST = re.compile(
    r"(?<![A-Za-z0-9.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]"
    r"|(?:\d{1,3}\.){3}\d{1,3})(?![A-Za-z0-9-])",
    re.I,
)
# Hosts that name no environment in particular.
_IGNORED_HOSTS = {"svc.cluster.local", "cluster.local", "kubernetes.default.svc", "localhost", "0.0.0.0", "127.0.0.1"}


@dataclass(frozen=True)
class Endpoint:
    host: str
    description: str  # safe to print: never contains a secret value


def endpoints(source: list[Obj]) -> list[Endpoint]:
    found: dict[str, Endpoint] = {}

    def add(host: str, description: str) -> None:
        host = host.lower().rstrip(".")
        if host not in _IGNORED_HOSTS and "." in host:
            found.setdefault(host, Endpoint(host, description))

    for obj in source:
        kind = obj.get("kind")
        if kind == "Ingress":
            for rule in (obj.get("spec") or {}).get("rules") or []:
                if rule.get("host"):
                    add(rule["host"], f"Ingress host {rule['host']} of the source")
        if not is_environment_scoped(obj):
            continue
        if kind == "ConfigMap":
            for key, value in (obj.get("data") or {}).items():
                for host in _HOST.findall(str(value)):
                    add(host, f"host {host} from {ref(obj)} key {key} of the source")
        elif kind == "Secret":
            for key, value in decode_secret_values(obj).items():
                for host in _HOST.findall(value):
                    add(host, f"a host from {ref(obj)} key {key} of the source")
    return list(found.values())


def server_endpoints(server: str) -> list[Endpoint]:
    """The source cluster's API server, when a clone goes to another cluster: a value naming it
    (a kubeconfig in a ConfigMap, a controller's --master) would drive the source from the clone."""
    host = urlsplit(server).hostname or ""
    if not host or host in _IGNORED_HOSTS:
        return []  # a loopback server (a local control plane) is named by nothing in particular
    return [Endpoint(host.lower(), f"the API server {host} of the source's cluster")]


_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_SERVICE_DNS = re.compile(rf"(?<![A-Za-z0-9-])({_LABEL})\.({_LABEL})\.svc\b")


def other_namespace_services(objects: list[Obj], namespace: str) -> list[str]:
    """Warnings for Service names of other namespaces (`kafka.shared.svc`) in a clone going to
    another cluster: its DNS reaches that cluster's namespace of the name, not the source's."""
    seen: dict[tuple[str, str], str] = {}
    for obj in objects:
        for path, text in _strings(obj):
            for service, other in _SERVICE_DNS.findall(text.lower()):
                if other != namespace:
                    seen.setdefault((service, other), f"{ref(obj)} {path}")
    return [
        f"{where} names Service {service} in namespace {other}: in the other cluster that name reaches its own "
        f"{other}, if there is one, not the source cluster's"
        for (service, other), where in sorted(seen.items())
    ]


def _walk(node: Any, path: str) -> list[tuple[str, str]]:
    if isinstance(node, str):
        return [(path, node)]
    if isinstance(node, dict):
        return [pair for key, value in node.items() for pair in _walk(value, f"{path}.{key}" if path else str(key))]
    if isinstance(node, list):
        out: list[tuple[str, str]] = []
        for index, value in enumerate(node):
            label = value.get("name") if isinstance(value, dict) and isinstance(value.get("name"), str) else index
            out.extend(_walk(value, f"{path}[{label}]"))
        return out
    return []


def _strings(obj: Obj) -> list[tuple[str, str]]:
    """(path, text) for every string value, Secret data decoded (for matching only)."""
    body = {k: v for k, v in obj.items() if k not in ("metadata", "data", "stringData")}
    pairs = _walk(body, "")
    pairs += _walk((obj.get("metadata") or {}).get("annotations") or {}, "metadata.annotations")
    if obj.get("kind") == "Secret":
        pairs += [(f"data.{k}", v) for k, v in decode_secret_values(obj).items()]
    else:
        pairs += _walk(obj.get("data") or {}, "data")
    return pairs


def rewrite_namespace(objects: list[Obj], source_ns: str, target_ns: str) -> list[PreflightFinding]:
    """Rewrite references to the source namespace in place; return one finding per value."""
    pattern = namespace_pattern(source_ns)
    findings = [
        PreflightFinding(ref(obj), path, f"namespace {source_ns}", rewritten=True)
        for obj in objects
        for path, text in _strings(obj)
        if pattern.search(text)
    ]
    for obj in objects:
        _rewrite_in_place(obj, pattern, target_ns)
    return findings


def _rewrite_in_place(obj: Obj, pattern: re.Pattern[str], target: str) -> None:
    def sub(node: Any) -> Any:
        if isinstance(node, str):
            return pattern.sub(target, node)
        if isinstance(node, dict):
            return {k: sub(v) for k, v in node.items()}
        if isinstance(node, list):
            return [sub(v) for v in node]
        return node

    for key in list(obj):
        if key == "metadata":
            annotations = obj["metadata"].get("annotations")
            if annotations:
                obj["metadata"]["annotations"] = sub(annotations)
        elif key == "data" and obj.get("kind") == "Secret":
            obj["data"] = {
                k: base64.b64encode(sub(v).encode()).decode()
                for k, v in decode_secret_values({"data": obj["data"]}).items()
            }
        else:
            obj[key] = sub(obj[key])


def remaining_references(objects: list[Obj], known: list[Endpoint]) -> list[PreflightFinding]:
    """Values in the (already rewritten) material objects that still name a source endpoint."""
    findings = []
    for obj in objects:
        for path, text in _strings(obj):
            lowered = text.lower()
            for endpoint in known:
                if re.search(rf"(?<![a-z0-9.-]){re.escape(endpoint.host)}(?![a-z0-9-])", lowered):
                    findings.append(PreflightFinding(ref(obj), path, endpoint.description, rewritten=False))
    return findings
