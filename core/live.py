"""The dashboard's live view of the cluster: environments and workloads kept current by watches.

One watch-fed cache (core/watch_cache.py) for the labelled namespaces and one per workload
kind, cluster-wide: a focus change, the version matrix and the rollout screen read memory,
never the network, and a change made elsewhere (a `kubectl set image`, an Argo CD sync, a
crashing rollout, a new or deleted environment) reaches `on_change` within a second,
coalesced so that a burst repaints once. Objects are slimmed as they arrive (names, images,
replica counts and rollout status; no managedFields), so memory follows what is shown.

A user who may not list or watch cluster-wide gets state "fallback": the front end then
reads per namespace, as it did before.
"""

from __future__ import annotations

from collections.abc import Callable

from hotclone.core import discovery, inventory, kinds, matrix, rollout
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.models import Application, Environment, LiveChange, LiveState, RolloutStatus, VersionMatrix, Workload
from hotclone.core.schema import LABEL_APP
from hotclone.core.watch_cache import Coalescer, WatchCache, WatchEvent


def slim_workload(obj: Obj) -> Obj:
    """What a workload row and a rollout status read: names, images, counts, status."""
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    pod = inventory.pod_spec(obj) or {}

    def images(key: str) -> list[Obj]:
        return [{"name": c.get("name", ""), "image": c.get("image", "")} for c in pod.get(key) or []]

    template = {"spec": {"containers": images("containers"), "initContainers": images("initContainers")}}
    slim_spec: Obj = {"replicas": spec["replicas"]} if "replicas" in spec else {}
    if obj.get("kind") == "CronJob":
        slim_spec["jobTemplate"] = {"spec": {"template": template}}
    else:
        slim_spec["template"] = template
    return {
        "apiVersion": obj.get("apiVersion"),
        "kind": obj.get("kind"),
        "metadata": {
            "name": meta.get("name"),
            "namespace": meta.get("namespace"),
            "generation": meta.get("generation", 0),
            "ownerReferences": [
                {"kind": o.get("kind"), "name": o.get("name")} for o in meta.get("ownerReferences") or []
            ],
        },
        "spec": slim_spec,
        "status": obj.get("status") or {},
    }


def slim_namespace(obj: Obj) -> Obj:
    meta = obj.get("metadata") or {}
    keep = ("name", "labels", "annotations", "creationTimestamp", "deletionTimestamp")
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {k: meta[k] for k in keep if k in meta}}


class Live:
    """Namespaces and workloads, cluster-wide, from watches. Reads are memory only."""

    def __init__(self, cluster: Cluster, on_change: Callable[[LiveChange], None]) -> None:
        self._on_change = on_change
        self._coalescer = Coalescer(self._deliver)
        self._namespaces = WatchCache(
            cluster, kinds.NAMESPACE, label_selector=LABEL_APP, on_change=self._coalescer, transform=slim_namespace
        )
        self._workloads = {
            kind.kind: WatchCache(cluster, kind, on_change=self._coalescer, transform=slim_workload)
            for kind in kinds.WORKLOAD_KINDS
        }

    @property
    def caches(self) -> list[WatchCache]:
        return [self._namespaces, *self._workloads.values()]

    def start(self) -> Live:
        for cache in self.caches:
            cache.start()
        return self

    def stop(self) -> None:
        for cache in self.caches:
            cache.stop(timeout=1.0)
        self._coalescer.close()

    def wait_ready(self, timeout: float) -> bool:
        return all(cache.wait_synced(timeout) for cache in self.caches)

    @property
    def state(self) -> LiveState:
        states = {cache.state for cache in self.caches}
        if "forbidden" in states:
            return "fallback"
        if "starting" in states:
            return "starting"
        if "reconnecting" in states:
            return "reconnecting"
        if states == {"stopped"}:
            return "stopped"
        return "live"

    @property
    def error(self) -> str:
        return next((cache.error for cache in self.caches if cache.error), "")

    # -- reads: memory only --------------------------------------------------------------

    def applications(self) -> list[Application]:
        return discovery.applications_of(self._namespaces.items())

    def environments(self, app: str) -> list[Environment]:
        found = next((a for a in self.applications() if a.name == app), None)
        return list(found.environments) if found else []

    def workloads(self, namespace: str) -> list[Workload]:
        return inventory.to_workloads(
            self._workloads[kind.kind].in_namespace(namespace) for kind in kinds.WORKLOAD_KINDS
        )

    def version_matrices(self, apps: list[Application]) -> dict[str, VersionMatrix]:
        return {
            app.name: matrix.build(list(app.environments), [self.workloads(e.namespace) for e in app.environments])
            for app in apps
        }

    def rollout_status(self, environment: Environment, workloads: list[str]) -> list[RolloutStatus]:
        """Like core.rollout.rollout_status, from the caches: the rollout screen follows the watch."""
        statuses = []
        for ref in workloads:
            kind, name = ref.split("/", 1)
            cache = self._workloads.get(kind)
            obj = cache.get(environment.namespace, name) if cache else None
            if obj is None:
                statuses.append(RolloutStatus(ref, 0, 0, 0, False, "not found", True))
            else:
                statuses.append(rollout.status_of(ref, obj))
        return statuses

    # -- events ----------------------------------------------------------------------------

    def _deliver(self, events: list[WatchEvent]) -> None:
        environments = everything = False
        namespaces: set[str] = set()
        for event in events:
            if event.type == "RELISTED":
                everything = True
            elif event.obj is not None and event.obj.get("kind") == "Namespace":
                environments = True
            else:
                namespaces.add(event.key[0])
        self._on_change(LiveChange(environments, frozenset(namespaces), everything))
