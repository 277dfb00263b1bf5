"""The fake's data: the demo's own objects and environment types, and a small second application."""

from __future__ import annotations

import functools

from hotclone.core import demo, envtypes, kinds
from hotclone.core.cluster import Obj
from hotclone.core.models import TEMPORARY

OTHER_APP = "billing"
OTHER_ENVIRONMENTS = {"production": "production", "staging": "qa"}  # name -> type


@functools.cache
def demo_objects(app: str, env: str, version: str) -> tuple[Obj, ...]:
    """What demo.seed creates in one environment; parsed once per test run (the Store copies them)."""
    extra = demo.production_objects(app) if env == "production" else []
    return (*demo.material_objects(app, env, version), *extra, *demo.environment_objects(app, env))


_VERBS = frozenset({"create", "delete", "get", "list", "patch", "update", "watch"})
# What a local kube-apiserver serves besides the built-in kinds hotclone names (core/kinds.py):
# the kinds the cluster makes by itself, and the demo's custom resource (core/demo/topicshare/crds.yaml).
_OTHER_SERVED = (
    kinds.Kind("Pod", "", "v1", "pods"),
    kinds.Kind("Event", "", "v1", "events"),
    kinds.Kind("Event", "events.k8s.io", "v1", "events"),
    kinds.Kind("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices"),
    kinds.Kind("Lease", "coordination.k8s.io", "v1", "leases"),
    kinds.Kind("ControllerRevision", "apps", "v1", "controllerrevisions"),
    kinds.Kind("CSIStorageCapacity", "storage.k8s.io", "v1", "csistoragecapacities"),
    kinds.Kind("Certificate", "cert-manager.io", "v1", "certificates"),
)


@functools.cache
def served_kinds() -> tuple[kinds.Kind, ...]:
    """The namespaced kinds the fake's API server serves, as discovery reports them (verbs included)."""
    builtin = [k for k in kinds.BUILTIN.values() if k.namespaced]
    return tuple(kinds.Kind(k.kind, k.group, k.version, k.plural, verbs=_VERBS) for k in (*builtin, *_OTHER_SERVED))


def demo_types(app: str = demo.DEMO_APP) -> dict[str, envtypes.TypeDefinition]:
    """The environment types demo.seed_types installs (their checks and gates too), parsed as clone reads them."""
    found = {d.name: d for d in map(envtypes.from_configmap, demo.type_configmaps(app))}
    found.setdefault(TEMPORARY, envtypes.BUILTIN_TEMPORARY)
    return found


def ledger_objects(image: str = "ghcr.io/acme/ledger:4.2.0") -> list[Obj]:
    """The second application: one Deployment and its settings."""
    labels = {"app.kubernetes.io/name": "ledger"}
    container = {"name": "ledger", "image": image, "ports": [{"name": "http", "containerPort": 8080}]}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "ledger", "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }
    settings = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ledger"}, "data": {"CURRENCY": "EUR"}}
    return [settings, deployment]


LONG_APP = "fulfilment"  # an application with long workload and container names (FakeSession(long_names=True))
LONG_ENVIRONMENTS = {"production": "production", "performance-regression-march": "qa"}


def long_named_objects() -> list[Obj]:
    """Two Deployments whose names and containers are longer than any column at 80 columns."""

    def deployment(name: str, containers: dict[str, str]) -> Obj:
        labels = {"app.kubernetes.io/name": name}
        spec = {"containers": [{"name": c, "image": image} for c, image in containers.items()]}
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": spec},
            },
        }

    registry = "registry.example.com/fulfilment"
    return [
        deployment(
            "order-fulfilment-reconciliation-worker",
            {
                "reconciliation-worker": f"{registry}/reconciliation:3.14.2",
                "prometheus-metrics-exporter-sidecar": "quay.io/prometheus/statsd-exporter:v0.26.1",
            },
        ),
        deployment("warehouse-inventory-synchronisation-api", {"api": f"{registry}/inventory-sync:2.7.0"}),
    ]
