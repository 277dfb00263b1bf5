"""Which kinds the API server serves: aggregated discovery, cached per connection.

Aggregated discovery (GA since Kubernetes 1.30) answers for every group in two requests
(`/api` and `/apis`); older servers get the legacy walk (one request per group). The
answer is cached per Cluster for CACHE_SECONDS, as kubectl caches it per server, and
asked again at once when an object names a kind the cached answer does not know (a
CRD installed a second ago). Kubernetes' own kinds resolve from core/kinds.py without
any request, so what needs only them (namespaces, workloads, history) never waits here.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from hotclone.core.cluster import Cluster, Obj
from hotclone.core.errors import NotFound
from hotclone.core.kinds import BUILTIN, Kind, group_of, qualified_name

CACHE_SECONDS = 300.0
_AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"


@dataclass(frozen=True)
class Catalog:
    """Every resource the server serves, in each group's preferred version (subresources left out)."""

    kinds: tuple[Kind, ...]
    requests: int = 0  # what building it cost (benchmarks and the note report it)
    seconds: float = 0.0

    def find(self, group: str, kind: str) -> Kind | None:
        return next((k for k in self.kinds if k.group == group and k.kind == kind), None)

    def named(self, qualified: str) -> Kind | None:
        """A kind as refs name it ("Deployment", "Certificate.cert-manager.io")."""
        return next((k for k in self.kinds if k.qualified == qualified), None)

    def namespaced(self) -> tuple[Kind, ...]:
        return tuple(k for k in self.kinds if k.namespaced)


_cache: weakref.WeakKeyDictionary[Cluster, tuple[float, Catalog]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def catalog(cluster: Cluster, *, refresh: bool = False) -> Catalog:
    """The server's kinds, from the cache unless it is older than CACHE_SECONDS (or `refresh`)."""
    with _lock:
        cached = _cache.get(cluster)
    if cached and not refresh and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    fresh = _discover(cluster)
    with _lock:
        _cache[cluster] = (time.monotonic(), fresh)
    return fresh


def kind_of(cluster: Cluster, obj: Obj) -> Kind:
    """The kind to read or write `obj` with, in the apiVersion the object is written in."""
    api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
    group = group_of(api_version) if api_version else _group_by_name(cluster, kind)
    version = api_version.rsplit("/", 1)[-1] if api_version else ""
    builtin = BUILTIN.get((group, kind))
    if builtin and version in ("", builtin.version):
        return builtin
    found = _lookup(cluster, lambda c: c.find(group, kind))
    if found is None:
        raise NotFound(_not_served(cluster, qualified_name(kind, group), api_version))
    if version and version != found.version:
        # The object was stored (a snapshot, a base) in a version the group still serves, or not.
        served = _served_version(cluster, found, version)
        if served is None:
            raise NotFound(f"{api_version} {kind} is no longer served by {cluster.server} (it serves {found.version})")
        return served
    return found


def kind_named(cluster: Cluster, qualified: str) -> Kind:
    """The kind a ref names ("Deployment/web" -> Deployment, "Certificate.cert-manager.io/tls" -> ...)."""
    builtin = next((k for k in BUILTIN.values() if k.qualified == qualified), None)
    if builtin:
        return builtin
    found = _lookup(cluster, lambda c: c.named(qualified))
    if found is None:
        raise NotFound(_not_served(cluster, qualified, ""))
    return found


def _lookup(cluster: Cluster, find: Callable[[Catalog], Kind | None]) -> Kind | None:
    """Find in the cached catalog; on a miss, once more in a fresh one."""
    found = find(catalog(cluster))
    return found if found is not None else find(catalog(cluster, refresh=True))


def _group_by_name(cluster: Cluster, kind: str) -> str:
    """An object without apiVersion (a template written carelessly): the one group serving `kind`."""
    for (group, name), _ in BUILTIN.items():
        if name == kind:
            return group
    groups = {k.group for k in catalog(cluster).kinds if k.kind == kind}
    if len(groups) == 1:
        return groups.pop()
    if not groups:
        raise NotFound(_not_served(cluster, kind, ""))
    raise NotFound(f"kind {kind} is served by several groups ({', '.join(sorted(groups))}): give its apiVersion")


def _not_served(cluster: Cluster, qualified: str, api_version: str) -> str:
    named = f"{api_version} {qualified}" if api_version else qualified
    return (
        f"kind {named} is not served by the API server at {cluster.server} "
        "(is its CustomResourceDefinition installed there?)"
    )


def _served_version(cluster: Cluster, kind: Kind, version: str) -> Kind | None:
    """`kind` in another version of its group, if the server serves it (one discovery request)."""
    path = f"/apis/{kind.group}/{version}" if kind.group else f"/api/{version}"
    try:
        listing = cluster.request("GET", path)
    except NotFound:
        return None
    for resource in listing.get("resources") or []:
        if resource.get("kind") == kind.kind and "/" not in resource.get("name", ""):
            return Kind(kind.kind, kind.group, version, resource["name"], kind.namespaced, kind.verbs)
    return None


# -- talking to the server -------------------------------------------------------


def _discover(cluster: Cluster) -> Catalog:
    started, before = time.monotonic(), cluster.request_count
    core = cluster.request("GET", "/api", accept=_AGGREGATED)
    if core.get("kind") == "APIGroupDiscoveryList":
        groups = cluster.request("GET", "/apis", accept=_AGGREGATED)
        found = _from_aggregated(core) + _from_aggregated(groups)
    else:
        found = _legacy(cluster)
    return Catalog(tuple(found), cluster.request_count - before, time.monotonic() - started)


def _from_aggregated(listing: Obj) -> list[Kind]:
    found: list[Kind] = []
    for item in listing.get("items") or []:
        group = (item.get("metadata") or {}).get("name") or ""
        versions = item.get("versions") or []
        if not versions:
            continue
        preferred = versions[0]  # the server lists a group's versions in preference order
        for resource in preferred.get("resources") or []:
            response = resource.get("responseKind") or {}
            kind = response.get("kind")
            if not kind or not resource.get("resource"):
                continue
            found.append(
                Kind(
                    kind,
                    group,
                    preferred["version"],
                    resource["resource"],
                    namespaced=resource.get("scope") == "Namespaced",
                    verbs=frozenset(resource.get("verbs") or ()),
                )
            )
    return found


def _legacy(cluster: Cluster) -> list[Kind]:
    """Servers before aggregated discovery: /api/v1, /apis, then each group's preferred version."""
    found = _from_resource_list(cluster.request("GET", "/api/v1"), "", "v1")
    groups = cluster.request("GET", "/apis").get("groups") or []
    preferred = [(g["name"], (g.get("preferredVersion") or g["versions"][0])["version"]) for g in groups]

    def one(group_version: tuple[str, str]) -> list[Kind]:
        group, version = group_version
        try:
            return _from_resource_list(cluster.request("GET", f"/apis/{group}/{version}"), group, version)
        except NotFound:
            return []  # an aggregated API that went away between the two requests

    with ThreadPoolExecutor(max_workers=8) as pool:
        for kinds in pool.map(one, preferred):
            found += kinds
    return found


def _from_resource_list(listing: Obj, group: str, version: str) -> list[Kind]:
    return [
        Kind(
            r["kind"],
            group,
            version,
            r["name"],
            namespaced=bool(r.get("namespaced")),
            verbs=frozenset(r.get("verbs") or ()),
        )
        for r in listing.get("resources") or []
        if "/" not in r.get("name", "")  # subresources (pods/log, deployments/scale)
    ]
