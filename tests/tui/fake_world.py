"""The fake's data: the demo's own objects and environment types, and a small second application."""

from __future__ import annotations

import dataclasses
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


# A second cluster (FakeSession(clusters=2)): staging and throwaway environments live there, and it
# does not serve the demo's custom resource (cert-manager is installed in production's cluster only).
SECOND_ENVIRONMENTS = {"staging": ("qa", "2.0.0"), "development": ("development", "2.1.0-dev")}  # same name as home's
SECOND_UNSERVED = frozenset({"Certificate"})
REMOTE_TYPE = "remote-temp"  # clones into the second cluster: refused from production (its Certificate)
REMOTE_LEAN = "remote-lean"  # the same, leaving Certificates out: what the story's hotfix-eu was made with


def remote_types(temporary: envtypes.TypeDefinition, context: str) -> dict[str, envtypes.TypeDefinition]:
    """The temporary type's templates, placed in `context`; one of them leaves Certificates out."""
    return {
        REMOTE_TYPE: dataclasses.replace(temporary, name=REMOTE_TYPE, builtin=False, cluster=context),
        REMOTE_LEAN: dataclasses.replace(
            temporary, name=REMOTE_LEAN, builtin=False, cluster=context, exclude=("Certificate.cert-manager.io",)
        ),
    }


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
