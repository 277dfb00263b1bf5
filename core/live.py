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
from hotclone.core.models import (
    Application,
    ClusterStatus,
    Environment,
    LiveChange,
    LiveState,
    RolloutStatus,
    VersionMatrix,
    Workload,
)
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
        self._context, self._server = cluster.context, cluster.server
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
        return discovery.applications_of(self._namespaces.items(), self._context, self._server)

    def environments(self, app: str) -> list[Environment]:
        found = next((a for a in self.applications() if a.name == app), None)
        return list(found.environments) if found else []

    def workloads(self, environment: Environment) -> list[Workload]:
        namespace = environment.namespace
        return inventory.to_workloads(
            self._workloads[kind.kind].in_namespace(namespace) for kind in kinds.WORKLOAD_KINDS
        )

    def version_matrices(self, apps: list[Application]) -> dict[str, VersionMatrix]:
        return matrices(apps, self.workloads)

    @property
    def clusters(self) -> list[ClusterStatus]:
        return [cluster_status(self._context, self._server, self)]

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


def matrices(apps: list[Application], workloads: Callable[[Environment], list[Workload]]) -> dict[str, VersionMatrix]:
    """One version matrix per application, from `workloads` of each environment (memory)."""
    return {app.name: matrix.build(list(app.environments), [workloads(e) for e in app.environments]) for app in apps}


def merged_applications(per_cluster: list[list[Application]]) -> list[Application]:
    """Pure: one application per name, its environments from every cluster (in the order given)."""
    by_app: dict[str, list[Environment]] = {}
    for apps in per_cluster:
        for app in apps:
            by_app.setdefault(app.name, []).extend(app.environments)
    return [Application(name, tuple(sorted(envs, key=discovery.sort_key))) for name, envs in sorted(by_app.items())]


def cluster_status(context: str, server: str, live: Live) -> ClusterStatus:
    """A cluster as its watches see it: live, starting, unreachable (reconnecting) or forbidden."""
    state = live.state
    if state == "live":
        return ClusterStatus(context, server, state="ok")
    if state == "reconnecting":
        return ClusterStatus(context, server, state="unreachable", error=live.error)
    if state == "fallback":
        return ClusterStatus(context, server, state="forbidden", error=live.error)
    return ClusterStatus(context, server, state="unknown", error=live.error)


class LiveAcross:
    """One Live per kubeconfig context, read as one: an application's environments from every
    cluster, each marked with its context. A cluster that is down keeps its last known state (none,
    if it never answered) and says so in `clusters`; it never holds the others back."""

    def __init__(self, lives: dict[str, tuple[str, Live]]) -> None:
        self._lives = lives  # context -> (server, its Live)

    def start(self) -> LiveAcross:
        for _server, live in self._lives.values():
            live.start()
        return self

    def stop(self) -> None:
        for _server, live in self._lives.values():
            live.stop()

    def wait_ready(self, timeout: float) -> bool:
        return all(live.wait_ready(timeout) for _server, live in self._lives.values())

    @property
    def clusters(self) -> list[ClusterStatus]:
        return [cluster_status(context, server, live) for context, (server, live) in self._lives.items()]

    @property
    def state(self) -> LiveState:
        states = {live.state for _server, live in self._lives.values()}
        # Live as soon as one cluster is: a cluster still starting (a slow or paused API server)
        # must not hold the others' screen back; its environments arrive with its first LIST.
        order: tuple[LiveState, ...] = ("fallback", "live", "starting", "reconnecting")
        return next((state for state in order if state in states), "stopped")

    @property
    def error(self) -> str:
        return next((f"context {c}: {live.error}" for c, (_s, live) in self._lives.items() if live.error), "")

    def applications(self) -> list[Application]:
        return merged_applications([live.applications() for _server, live in self._lives.values()])

    def _live(self, environment: Environment) -> Live | None:
        found = self._lives.get(environment.cluster)
        return found[1] if found else None

    def workloads(self, environment: Environment) -> list[Workload]:
        live = self._live(environment)
        return live.workloads(environment) if live else []

    def version_matrices(self, apps: list[Application]) -> dict[str, VersionMatrix]:
        return matrices(apps, self.workloads)

    def rollout_status(self, environment: Environment, workloads: list[str]) -> list[RolloutStatus]:
        live = self._live(environment)
        if live is None:
            unwatched = f"context {environment.cluster} not watched"
            return [RolloutStatus(ref, 0, 0, 0, False, unwatched, True) for ref in workloads]
        return live.rollout_status(environment, workloads)
