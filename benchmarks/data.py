"""The benchmark's data sets (S, M, L, XL and the clone-scaling set) and fast, concurrent seeding.

An environment of W workloads is the TopicShare demo environment (core.demo: 14
material + 3 environment-scoped objects, 5 workloads) plus W-5 extra "units" of four
objects each (Deployment, Service, ConfigMap, ServiceAccount), so 10 workloads make
37 objects and 40 workloads make 157.

The extra Deployments are seeded with `spec.paused: true`: the controller manager
then does not create thousands of ReplicaSets and Pods in the background (hotclone
never reads either), which would otherwise keep the 2-core machine busy for minutes
at its 20 requests/s client limit and add noise to every figure. Their Services are
headless: no cluster IP to allocate, and none of the service controllers' work.

XL (1,000 environments, about 100,000 objects) goes further for every application but
the one the figures use: its Deployments are paused at 0 replicas (so the HPAs find
scaling disabled instead of fetching metrics every 15 s), its StatefulSets at 0
replicas and its CronJobs suspended. The objects, and so what hotclone lists and
decodes, are the same shapes; only the controllers stay quiet. (benchmarks/run.py also
runs XL without the controller manager: even paused, each Deployment would get one
status write, and 26,000 of them at the controllers' 20 requests/s take 20 minutes.)
"""

from __future__ import annotations

import contextlib
import copy
import functools
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from benchmarks.rawclient import RawClient, Write, create, failures
from hotclone.core import api_discovery, demo
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.errors import AlreadyExists

BASE_WORKLOADS = 5  # web, api, worker, search, digest-mailer in core.demo
SEED_THREADS = 8  # the client's connection pool holds 10
RAW_SEED_THREADS = 16  # the raw client's own pool: enough to keep the API server's two cores busy


@dataclass(frozen=True)
class EnvSpec:
    app: str
    name: str
    version: str
    workloads: int = 0  # demo-shaped environment with this many workloads
    exact_objects: int = 0  # or: exactly this many material objects (clone scaling)
    quiet: bool = False  # controllers idle: Deployments and StatefulSets at 0 replicas, CronJobs suspended

    @property
    def namespace(self) -> str:
        return f"{self.app}-{self.name}"

    @property
    def env_type(self) -> str:
        return self.name if self.name in ("production", "qa", "development") else "development"


@dataclass
class DataSet:
    name: str
    description: str
    envs: list[EnvSpec] = field(default_factory=list)
    main_app: str = ""  # the app the list, dashboard, clone, diff and promote figures use

    def objects_in(self, app: str) -> int:
        return sum(count_objects(e) for e in self.envs if e.app == app)

    def total_objects(self) -> int:
        return sum(count_objects(e) for e in self.envs)


def env_names(count: int) -> list[str]:
    fixed = ["production", "qa", "development"]
    return fixed[:count] + [f"env-{n:02d}" for n in range(3, count)]


def version_of(env: str) -> str:
    """A distinct version per environment, so the dashboard figure can tell them apart."""
    known = {"production": "1.9.3", "qa": "2.0.0-rc.2", "development": "2.1.0-dev"}
    return known.get(env) or f"2.2.{env.rsplit('-', 1)[-1]}"


def app_envs(app: str, count: int, workloads: int, *, quiet: bool = False) -> list[EnvSpec]:
    return [EnvSpec(app, name, version_of(name), workloads=workloads, quiet=quiet) for name in env_names(count)]


def dataset(size: str) -> DataSet:
    if size == "S":
        return DataSet("S", "1 app x 3 environments x 10 workloads", app_envs("shop", 3, 10), "shop")
    if size == "M":
        envs = [e for n in range(5) for e in app_envs(f"m{n:02d}", 10, 40)]
        return DataSet("M", "5 apps x 10 environments x 40 workloads", envs, "m00")
    if size == "L":
        envs = app_envs("bigapp", 50, 40)
        for n in range(1, 20):
            envs += app_envs(f"l{n:02d}", 2, 10)
        return DataSet(
            "L",
            "20 apps: bigapp with 50 environments x 40 workloads; the other 19 apps with 2 environments x 10 "
            "workloads each (a reduced fill, as allowed)",
            envs,
            "bigapp",
        )
    if size == "XL":
        # 26 workloads: 14 + 3 + 4 x 21 = 101 objects per environment, 101,000 in all.
        envs = [e for n in range(50) for e in app_envs(f"x{n:02d}", 20, 26, quiet=n > 0)]
        return DataSet(
            "XL",
            "50 apps x 20 environments x 26 workloads (101 objects each; the workloads of every app but x00 "
            "at 0 replicas, and no controller manager: see benchmarks/data.py)",
            envs,
            "x00",
        )
    raise ValueError(f"unknown size {size!r} (S, M, L or XL)")


def scaling_set(sizes: Iterable[int]) -> DataSet:
    envs = [EnvSpec("scale", f"n{n}", "1.0.0", exact_objects=n) for n in sizes]
    return DataSet("scaling", "one environment per size, exactly N material objects", envs, "scale")


# -- objects -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _unit_deployment(app: str, version: str) -> Obj:
    """The demo's extra workload, rendered once per app and version (a render takes 30 ms: XL has 21,000 units)."""
    return demo.material_objects(app, "x", version, extra_workloads=1)[-1]


def unit_objects(app: str, version: str, index: int) -> list[Obj]:
    """One extra workload: Deployment + Service + ConfigMap + ServiceAccount."""
    name = f"svc-{index:03d}"
    deployment = copy.deepcopy(_unit_deployment(app, version))
    deployment["metadata"]["name"] = name
    deployment["spec"]["paused"] = True
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": app}
    deployment["metadata"]["labels"] = labels
    deployment["spec"]["selector"] = {"matchLabels": {"app.kubernetes.io/name": name}}
    deployment["spec"]["template"]["metadata"]["labels"] = labels
    deployment["spec"]["template"]["spec"]["containers"][0]["name"] = name
    deployment["spec"]["template"]["spec"]["containers"][0]["image"] = f"{app}/{name}:{version}"
    deployment["spec"]["template"]["spec"]["serviceAccountName"] = name
    return [
        deployment,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "clusterIP": "None",  # headless: the local control plane's service range is a /24
                "selector": {"app.kubernetes.io/name": name},
                "ports": [{"name": "http", "port": 8080, "targetPort": 8080, "protocol": "TCP"}],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{name}-config", "labels": labels},
            "data": {"LOG_LEVEL": "info", "POOL_SIZE": str(4 + index % 8), "FEATURES": "search,digest,i18n"},
        },
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "labels": labels}},
    ]


def env_objects(spec: EnvSpec) -> list[Obj]:
    """The namespaced objects of one environment (the Namespace itself not included)."""
    if spec.exact_objects:
        units = [o for i in range((spec.exact_objects + 3) // 4) for o in unit_objects(spec.app, spec.version, i)]
        return units[: spec.exact_objects]
    objects = demo.material_objects(spec.app, spec.name, spec.version)
    for index in range(max(0, spec.workloads - BASE_WORKLOADS)):
        objects += unit_objects(spec.app, spec.version, index)
    objects += demo.environment_objects(spec.app, spec.name)
    return [_quieted(o) for o in objects] if spec.quiet else objects


def _quieted(obj: Obj) -> Obj:
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Deployment":
        spec.update(paused=True, replicas=0)
    elif kind == "StatefulSet":
        spec["replicas"] = 0
    elif kind == "CronJob":
        spec["suspend"] = True
    return obj


def count_objects(spec: EnvSpec) -> int:
    if spec.exact_objects:
        return spec.exact_objects
    return 14 + 3 + 4 * max(0, spec.workloads - BASE_WORKLOADS)


# -- seeding ---------------------------------------------------------------------------------


def _create(cluster: Cluster, obj: Obj, namespace: str | None) -> None:
    with contextlib.suppress(AlreadyExists):
        cluster.create(api_discovery.kind_of(cluster, obj), namespace, obj)


def seed(cluster: Cluster, data: DataSet, threads: int = SEED_THREADS, raw: RawClient | None = None) -> int:
    """Create every namespace, then every object, concurrently; returns the number of objects.

    With `raw`, the creates go through the minimal client (`RAW_SEED_THREADS` at a time,
    retried on 429, 5xx and timeouts): XL's 100,000 objects in minutes instead of a quarter hour.
    """
    demo.seed_types(cluster, data.main_app)  # the type the clone figures use is the cloned app's own
    if raw is not None:
        return _seed_raw(cluster, data, raw)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        namespaces = [demo.namespace_object(e.app, e.name, e.env_type) for e in data.envs]
        list(pool.map(lambda ns: _create(cluster, ns, None), namespaces))
        work = [(obj, e.namespace) for e in data.envs for obj in env_objects(e)]
        list(pool.map(lambda item: _create(cluster, item[0], item[1]), work))
    return len(work)


def seed_writes(cluster: Cluster, objects: Sequence[tuple[Obj, str | None]]) -> list[Write]:
    """Creates of (object, namespace) pairs, bodies encoded now."""
    return [create(api_discovery.kind_of(cluster, obj).collection_path(ns), obj) for obj, ns in objects]


def _seed_raw(cluster: Cluster, data: DataSet, raw: RawClient, batch: int = 5000) -> int:
    namespaces = [(demo.namespace_object(e.app, e.name, e.env_type), None) for e in data.envs]
    _send_checked(raw, seed_writes(cluster, namespaces))
    work: list[tuple[Obj, str | None]] = [(obj, e.namespace) for e in data.envs for obj in env_objects(e)]
    for start in range(0, len(work), batch):  # batches bound the memory of encoded bodies
        _send_checked(raw, seed_writes(cluster, work[start : start + batch]))
    return len(work)


def _send_checked(raw: RawClient, writes: list[Write]) -> None:
    failed = failures(raw.send_all(writes, RAW_SEED_THREADS))
    if failed:
        raise RuntimeError(f"seeding: {len(failed)} creates failed (HTTP {sorted(set(failed))})")
