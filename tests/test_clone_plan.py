"""The clone plan on the real API server: a production namespace the way real ones look.

Custom resources, Jobs finished and not, quotas, LoadBalancer and NodePort Services, a
claim restored from another, Helm-, Argo CD- and Flux-managed objects, objects another
object owns or an annotation excludes. The dry run creates nothing and accounts for every
object; the clone creates exactly the plan; a promote afterwards carries only the change
made in the clone back, never the clone's own adjustments.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from hotclone.core import api_discovery, clone, demo, envtypes, history, images, inventory, kinds
from hotclone.core import normalize as norm
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.envtypes import TypeDefinition
from hotclone.core.errors import AlreadyExists, HotcloneError, InvalidInput, NotFound
from hotclone.core.inventory import Inventory
from hotclone.core.kinds import Kind
from hotclone.core.models import ClonePlan, Environment, Skipped
from hotclone.core.schema import (
    ANNOTATION_EXCLUDE,
    ENVIRONMENT_TYPE_CONFIGMAP_PREFIX,
    LABEL_SCOPE,
    SCOPE_ENVIRONMENT,
    SYSTEM_NAMESPACE,
)
from hotclone.core.session import Session
from tests.conftest import fresh_app
from tests.helpers import install_crd, run_cli

CRD = Kind("CustomResourceDefinition", "apiextensions.k8s.io", "v1", "customresourcedefinitions", namespaced=False)
GROUP = "planning.example.com"
WIDGET = Kind("Widget", GROUP, "v1", "widgets")
HELM_LABELS = {"app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/instance": "shop"}
HELM_ANNOTATIONS = {"meta.helm.sh/release-name": "shop", "meta.helm.sh/release-namespace": "shop"}
ARGO_ANNOTATIONS = {"argocd.argoproj.io/tracking-id": "shop:/ConfigMap:shop/argo-settings"}
FLUX_LABELS = {"kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}
SCOPED = {LABEL_SCOPE: SCOPE_ENVIRONMENT}
TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: environment
data:
  ENVIRONMENT: ${env}
"""


@dataclass
class World:
    cluster: Cluster
    session: Session
    app: str
    type_name: str
    kubeconfig: str
    node_ports: dict[str, list[int]]  # Service -> its nodePorts in production

    @property
    def production(self) -> Environment:
        return self.session.environment(self.app, "production")

    def namespace(self, env: str) -> str:
        return f"{self.app}-{env}"

    def cli(self, *argv: str) -> tuple[int, str, str]:
        result = run_cli(*argv, kubeconfig=self.kubeconfig)
        return result.code, result.out, result.err


def _kind(cluster: Cluster, name: str) -> Kind:
    return api_discovery.kind_named(cluster, name)

    raise AssertionError("the CRD never became Established")


def _job(name: str) -> Obj:
    # No node matches: the Job's pod stays pending, so the Job stays unfinished.
    pod: Obj = {"restartPolicy": "Never", "nodeSelector": {"planning.example.com/none": "x"}}
    pod["containers"] = [{"name": "run", "image": "example/migrate:1"}]
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": {"template": {"spec": pod}}}


def _finish(cluster: Cluster, namespace: str, name: str) -> None:
    job = cluster.get(_kind(cluster, "Job"), namespace, name)
    stamp = job["metadata"]["creationTimestamp"]
    job["status"] = {
        "startTime": stamp,
        "completionTime": stamp,
        "succeeded": 1,
        "conditions": [
            {"type": t, "status": "True", "lastProbeTime": stamp, "lastTransitionTime": stamp}
            for t in ("SuccessCriteriaMet", "Complete")
        ],
    }
    cluster.request("PUT", f"/apis/batch/v1/namespaces/{namespace}/jobs/{name}/status", body=job)


def _objects(app: str) -> list[Obj]:
    selector = {"app": "web"}
    port = {"name": "http", "port": 80, "targetPort": 8080}
    web = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {**HELM_LABELS}, "annotations": {**HELM_ANNOTATIONS}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": selector},
                "spec": {"containers": [{"name": "web", "image": f"{app}/web:1.0"}]},
            },
        },
    }
    base = random.randint(30000, 32700)
    lb = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "public", "labels": {**HELM_LABELS}, "annotations": {**HELM_ANNOTATIONS}},
        "spec": {
            "type": "LoadBalancer",
            "selector": selector,
            "externalTrafficPolicy": "Local",
            "loadBalancerSourceRanges": ["10.0.0.0/8"],
            "ports": [{**port, "nodePort": base}],
        },
    }
    node_port = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "admin"},
        "spec": {"type": "NodePort", "selector": selector, "ports": [{**port, "nodePort": base + 1}]},
    }
    claim = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    restored = {**claim, "dataSource": {"kind": "PersistentVolumeClaim", "name": "seed"}}
    return [
        web,
        lb,
        node_port,
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "seed"}, "spec": claim},
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"}, "spec": restored},
        _job("migrate-41"),
        _job("migrate-42"),
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "limits"},
            "spec": {"limits": [{"type": "Container", "max": {"memory": "2Gi"}}]},
        },
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "quota"},
            "spec": {"hard": {"configmaps": "100"}},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "scratch", "annotations": {ANNOTATION_EXCLUDE: "true"}},
            "data": {"a": "b"},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "helm.sh/release.v1",
            "metadata": {"name": "sh.helm.release.v1.shop.v1", "labels": {"owner": "helm", "name": "shop"}},
            "stringData": {"release": "H4sI"},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argo-settings", "annotations": {**ARGO_ANNOTATIONS}},
            "data": {"MODE": "argo"},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "flux-settings", "labels": {**FLUX_LABELS}},
            "data": {"MODE": "flux"},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "environment", "labels": {**SCOPED}},
            "data": {"ENVIRONMENT": "production"},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cdn", "labels": {**SCOPED}},
            "data": {"ORIGIN": "plain"},
        },
        {"apiVersion": f"{GROUP}/v1", "kind": "Widget", "metadata": {"name": "blue"}, "spec": {"size": 1}},
        {"apiVersion": f"{GROUP}/v1", "kind": "Widget", "metadata": {"name": "green"}, "spec": {"size": 2}},
    ]


@pytest.fixture(scope="module")
def world(admin: Cluster, kubeconfig: str) -> Iterator[World]:
    install_crd(admin, GROUP, "Widget")
    app = fresh_app()
    namespace = f"{app}-production"
    admin.create(kinds.NAMESPACE, None, demo.namespace_object(app, "production", "production"))
    with contextlib.suppress(AlreadyExists):
        admin.create(kinds.NAMESPACE, None, {"metadata": {"name": SYSTEM_NAMESPACE}})
    type_name = f"plan-{app}"
    admin.create(kinds.CONFIGMAP, SYSTEM_NAMESPACE, envtypes.type_configmap(type_name, TEMPLATE, "2h"))
    for obj in _objects(app):
        admin.create(api_discovery.kind_of(admin, obj), namespace, obj)
    _finish(admin, namespace, "migrate-41")
    owner = admin.get(kinds.CONFIGMAP, namespace, "argo-settings")
    reference = {"apiVersion": "v1", "kind": "ConfigMap", "name": "argo-settings", "uid": owner["metadata"]["uid"]}
    owned = {"name": "owned", "ownerReferences": [reference]}
    admin.create(kinds.CONFIGMAP, namespace, {"metadata": owned, "data": {"x": "y"}})
    _settle(admin, namespace)
    services = {name: admin.get(kinds.SERVICE, namespace, name) for name in ("public", "admin")}
    ports = {name: [p["nodePort"] for p in s["spec"]["ports"]] for name, s in services.items()}
    yield World(admin, Session(admin), app, type_name, kubeconfig, ports)
    for name in (namespace, f"{app}-fix", f"{app}-cli"):
        with contextlib.suppress(HotcloneError):
            admin.delete(kinds.NAMESPACE, None, name)
    with contextlib.suppress(HotcloneError):
        admin.delete(kinds.CONFIGMAP, SYSTEM_NAMESPACE, f"{ENVIRONMENT_TYPE_CONFIGMAP_PREFIX}{type_name}")


def _settle(cluster: Cluster, namespace: str) -> None:
    """Until the controllers made what they make (the ReplicaSet, the default ServiceAccount)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        made = {inventory.ref(o) for o in raw_objects(cluster, namespace)}
        if "ServiceAccount/default" in made and any(r.startswith("ReplicaSet/web-") for r in made):
            return
        time.sleep(0.2)
    raise AssertionError(f"the controllers never made their objects in {namespace}")


def raw_objects(cluster: Cluster, namespace: str) -> list[Obj]:
    """Every object of every namespaced kind that can be listed: a LIST each, no policy."""
    found: list[Obj] = []
    for kind in api_discovery.catalog(cluster).namespaced():
        if kind.verbs and "list" not in kind.verbs:
            continue
        with contextlib.suppress(NotFound):
            found += cluster.list(kind, namespace)
    return found


def _plan(world: World, new: str = "fix") -> ClonePlan:
    return world.session.plan_clone(world.production, new, env_type=world.type_name)


# -- (a) the dry run -----------------------------------------------------------------------------------
def test_the_plan_accounts_for_every_object_and_creates_nothing(world: World) -> None:
    raw = raw_objects(world.cluster, world.namespace("production"))
    plan = _plan(world)
    with pytest.raises(NotFound):
        world.cluster.get(kinds.NAMESPACE, None, world.namespace("fix"))
    skipped = {s.object: s.reason for s in plan.skipped}
    excluded = {k.object for k in plan.excluded_kinds}
    for obj in raw:
        ref = inventory.ref(obj)
        if ref.split("/", 1)[0] in excluded:
            continue
        assert (ref in plan.copies) != (ref in skipped), f"{ref}: copied or skipped, exactly one"
    assert set(plan.copies) == {
        "ResourceQuota/quota",
        "LimitRange/limits",
        "ConfigMap/argo-settings",
        "ConfigMap/flux-settings",
        "PersistentVolumeClaim/data",
        "PersistentVolumeClaim/seed",
        "Service/admin",
        "Service/public",
        "Deployment/web",
        "Job/migrate-42",
        f"Widget.{GROUP}/blue",
        f"Widget.{GROUP}/green",
    }
    assert plan.copies[-2:] == (f"Widget.{GROUP}/blue", f"Widget.{GROUP}/green")  # custom resources last
    assert plan.generated == ("ConfigMap/environment",)
    assert skipped["Job/migrate-41"].startswith("a finished Job")
    assert skipped["ConfigMap/scratch"] == f"annotated {ANNOTATION_EXCLUDE}"
    assert skipped["Secret/sh.helm.release.v1.shop.v1"].startswith("Helm's record of its release")
    assert skipped["ConfigMap/owned"].startswith("owned by ConfigMap/argo-settings")
    assert skipped["ConfigMap/environment"] == f"environment-scoped: made from the template of type {world.type_name!r}"
    assert "has no template for it" in skipped["ConfigMap/cdn"]
    assert skipped["ServiceAccount/default"] and skipped["ConfigMap/kube-root-ca.crt"]
    assert any(r.startswith("ReplicaSet/web-") and skipped[r].startswith("made by its controller") for r in skipped)
    assert {"Pod", "Event", "EndpointSlice"} <= excluded
    changes = {a.object: a.change for a in plan.adjustments}
    assert changes["Service/public"] == "type LoadBalancer becomes ClusterIP (a clone gets no load balancer of its own)"
    assert changes["Service/admin"].startswith("type NodePort becomes ClusterIP")
    assert changes["PersistentVolumeClaim/data"].startswith("dataSource PersistentVolumeClaim/seed dropped")
    assert changes["PersistentVolumeClaim/seed"] == "its own empty volume; production's data is not copied"
    assert changes["Job/migrate-42"].endswith("runs again in the clone")
    assert changes["Deployment/web"] == "Helm release shop's marks removed (the clone is not that release)"
    assert changes["ConfigMap/argo-settings"].startswith("Argo CD application shop's marks removed")
    assert changes["ConfigMap/flux-settings"].startswith("Flux Kustomization flux-system/apps's labels removed")
    assert not plan.refused


def test_clone_dry_run_prints_the_plan_in_read_only_mode(world: World) -> None:
    code, out, err = world.cli(
        "clone", world.app, "production", "cli", "--type", world.type_name, "--dry-run", "--read-only"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[-1] == "dry run: nothing created"
    copy_line = next(line for line in lines if line.startswith("  copy "))
    assert copy_line.startswith("  copy 12 object(s): LimitRange 1, ResourceQuota 1, ConfigMap 2,")
    assert copy_line.endswith(f"Widget.{GROUP} 2")
    assert "  generate 1 from the templates of type" in out and "ConfigMap/environment" in out
    assert "  adjust Service/public: type LoadBalancer becomes ClusterIP" in out
    assert "  skip Job/migrate-41: a finished Job" in out
    assert "  kinds not copied: Pod: made by the workloads that own them" in lines
    assert "  kinds not copied: Event: the cluster's log, not desired state" in lines
    assert "  preflight: 0 value(s)" in out
    with pytest.raises(NotFound):
        world.cluster.get(kinds.NAMESPACE, None, world.namespace("cli"))


def test_clone_dry_run_json_has_the_plan(world: World) -> None:
    code, out, err = world.cli(
        "clone", world.app, "production", "cli", "--type", world.type_name, "--dry-run", "--json"
    )
    assert code == 0, err
    plan = json.loads(out)
    assert list(plan) == [
        "app",
        "source",
        "new",
        "namespace",
        "env_type",
        "copies",
        "generated",
        "findings",
        "skipped",
        "excluded_kinds",
        "unreadable",
        "adjustments",
        "warnings",
        "allow_prod_references",
        "cluster",
        "source_cluster",
        "missing_kinds",
        "refused",
        "copies_by_kind",
    ]
    assert plan["refused"] is False and plan["copies_by_kind"][f"Widget.{GROUP}"] == 2
    assert all(set(s) == {"object", "reason"} for s in plan["skipped"] + plan["excluded_kinds"])
    assert any(s["object"] == "Job/migrate-41" for s in plan["skipped"])
    assert all(set(a) == {"object", "change"} for a in plan["adjustments"])


# -- (b) the clone, then (c) a promote back -----------------------------------------------------------------
def test_clone_creates_exactly_the_plan_and_promote_carries_only_the_change_back(world: World) -> None:
    cluster, production_ns, clone_ns = world.cluster, world.namespace("production"), world.namespace("fix")
    before = {inventory.ref(o): o for o in raw_objects(cluster, production_ns)}
    result = world.session.clone(world.production, "fix", env_type=world.type_name)
    plan = result.plan
    assert plan is not None and result.copied == plan.copies
    made = inventory.read(cluster, clone_ns)
    assert {inventory.ref(o) for o in made.objects} == set(plan.copies) | set(plan.generated)
    cloned = {inventory.ref(o): o for o in made.objects}
    for name in ("public", "admin"):
        spec = cloned[f"Service/{name}"]["spec"]
        assert spec["type"] == "ClusterIP" and all("nodePort" not in p for p in spec["ports"])
        assert "externalTrafficPolicy" not in spec and "loadBalancerSourceRanges" not in spec
    data = cloned["PersistentVolumeClaim/data"]["spec"]
    assert "dataSource" not in data and "dataSourceRef" not in data and "volumeName" not in data
    assert cloned[f"Widget.{GROUP}/blue"]["spec"] == {"size": 1}
    assert cloned[f"Widget.{GROUP}/green"]["spec"] == {"size": 2}
    job = cloned["Job/migrate-42"]
    assert job["metadata"]["uid"] not in str(before["Job/migrate-42"]["spec"])  # its own selector
    for obj in cloned.values():
        meta = obj["metadata"]
        assert not set(HELM_ANNOTATIONS) & set(meta.get("annotations") or {}), inventory.ref(obj)
        assert not set(ARGO_ANNOTATIONS) & set(meta.get("annotations") or {}), inventory.ref(obj)
        assert not set(FLUX_LABELS) & set(meta.get("labels") or {}), inventory.ref(obj)
        assert (meta.get("labels") or {}).get("app.kubernetes.io/managed-by") != "Helm"
    # Production untouched by the clone.
    after = {inventory.ref(o): o for o in raw_objects(cluster, production_ns)}
    for ref in plan.copies:
        assert after[ref]["metadata"]["resourceVersion"] == before[ref]["metadata"]["resourceVersion"], ref
    # The base promote merges from is adjusted like the copies, namespace not rewritten.
    base_namespace, base = history.load_base(cluster, clone_ns)
    assert base_namespace == production_ns
    assert {inventory.ref(o): o for o in base}["Service/public"]["spec"]["type"] == "ClusterIP"

    # (c) an image change in the clone, promoted with a reason
    fix = world.session.environment(world.app, "fix")
    specs = [images.parse_spec(f"web={world.app}/web:1.1")]
    shown, _ = world.session.plan_set_image(fix, specs)
    world.session.set_image(fix, specs, seen=shown)
    promote = world.session.plan_promote(fix)
    assert [inventory.ref(w) for w in promote.writes] == ["Deployment/web"]
    world.session.apply(promote, confirm="production", reason="fix the checkout")
    now = {inventory.ref(o): o for o in raw_objects(cluster, production_ns)}
    web = now["Deployment/web"]
    assert web["spec"]["template"]["spec"]["containers"][0]["image"] == f"{world.app}/web:1.1"
    for ref in ("Deployment/web", "Service/public"):
        meta, was = now[ref]["metadata"], before[ref]["metadata"]
        assert meta["labels"] == was["labels"], ref
        assert {k: meta["annotations"][k] for k in HELM_ANNOTATIONS} == HELM_ANNOTATIONS, ref
    for name, ports in world.node_ports.items():
        spec = now[f"Service/{name}"]["spec"]
        assert spec["type"] == before[f"Service/{name}"]["spec"]["type"]
        assert [p["nodePort"] for p in spec["ports"]] == ports
    assert now["Service/public"]["spec"]["externalTrafficPolicy"] == "Local"
    assert now["PersistentVolumeClaim/data"]["spec"]["dataSource"]["name"] == "seed"
    unchanged = [r for r in plan.copies if r != "Deployment/web"]
    for ref in unchanged:
        assert now[ref]["metadata"]["resourceVersion"] == before[ref]["metadata"]["resourceVersion"], ref


# -- (d) a template of a kind the server does not serve --------------------------------------------------------
@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("apiVersion: nowhere.example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n", "does not serve"),
        ("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: c\n", "cluster-scoped"),
    ],
)
def test_a_template_of_an_unserved_or_cluster_kind_is_one_line_and_creates_nothing(
    world: World, template: str, expected: str
) -> None:
    name = f"bad-{world.app}-{expected.split()[0]}"
    world.cluster.create(kinds.CONFIGMAP, SYSTEM_NAMESPACE, envtypes.type_configmap(name, template, "1h"))
    try:
        with pytest.raises(InvalidInput, match=expected) as error:
            world.session.plan_clone(world.production, "bad", env_type=name)
        assert f"environment type {name!r}" in str(error.value) and "\n" not in str(error.value)
        code, _, err = world.cli("clone", world.app, "production", "bad", "--type", name, "--yes")
        assert code == 2 and expected in err and len(err.strip().splitlines()) == 1, err
        with pytest.raises(NotFound):
            world.cluster.get(kinds.NAMESPACE, None, world.namespace("bad"))
    finally:
        world.cluster.delete(kinds.CONFIGMAP, SYSTEM_NAMESPACE, f"{ENVIRONMENT_TYPE_CONFIGMAP_PREFIX}{name}")


def test_the_real_clone_prints_the_plans_counts(world: World) -> None:
    code, out, err = world.cli("clone", world.app, "production", "cli", "--type", world.type_name, "--yes")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"cloned {world.app}/production -> {world.app}/cli")
    assert lines[1].startswith("  copied 12 object(s): LimitRange 1, ResourceQuota 1, ConfigMap 2,")
    assert lines[2] == f"  generated 1 from the templates of type {world.type_name!r}: ConfigMap/environment"
    # (how many skipped depends on the ReplicaSets the promote above left in production)
    assert any(re.fullmatch(r"  9 adjustment\(s\), \d+ object\(s\) skipped with a reason", line) for line in lines), out
    assert any(line.startswith("  warning: ConfigMap/cdn is environment-scoped") for line in lines)


def test_a_dry_run_that_would_be_refused_shows_the_plan_then_the_refusal(world: World) -> None:
    """Last of the cluster tests: production gets a value naming an endpoint of its own."""
    cluster, namespace = world.cluster, world.namespace("production")
    cdn = cluster.get(kinds.CONFIGMAP, namespace, "cdn")
    cdn["data"] = {"ORIGIN": "https://cdn.shop.example.com/assets"}
    cluster.replace(kinds.CONFIGMAP, namespace, cdn)
    settings = {"name": "front-settings"}
    cluster.create(kinds.CONFIGMAP, namespace, {"metadata": settings, "data": {"CDN": "cdn.shop.example.com"}})
    plan = _plan(world, "refused")
    assert plan.refused and [f.object for f in plan.still_pointing] == ["ConfigMap/front-settings"]
    code, out, err = world.cli("clone", world.app, "production", "refused", "--type", world.type_name, "--dry-run")
    assert code == 2
    assert "  preflight: ConfigMap/front-settings data.CDN: host cdn.shop.example.com from ConfigMap/cdn" in out
    assert "dry run: nothing created" not in out
    assert err.startswith("hotclone: error: clone refused: 1 value(s)") and len(err.splitlines()) == 1
    with pytest.raises(NotFound):
        cluster.get(kinds.NAMESPACE, None, world.namespace("refused"))


# -- the pure part, on literal objects --------------------------------------------------------------------------
ORIGIN = Environment("shop", "production", "shop-production", "production")


def _service(kind: str) -> Obj:
    spec = {"type": kind, "loadBalancerIP": "1.2.3.4", "externalIPs": ["5.6.7.8"], "ports": [{"port": 80}]}
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": spec}


def test_a_type_can_keep_service_types_but_never_production_addresses() -> None:
    keep = TypeDefinition("lb", None, (), keep_service_types=True)
    adjusted, changes = clone.adjust(_service("LoadBalancer"), keep)
    assert adjusted["spec"]["type"] == "LoadBalancer"
    assert "loadBalancerIP" not in adjusted["spec"] and "externalIPs" not in adjusted["spec"]
    assert changes[0].startswith("type LoadBalancer kept (environment type 'lb' keeps Service types)")
    converted, _ = clone.adjust(_service("LoadBalancer"), TypeDefinition("t", None, ()))
    assert converted["spec"] == {"type": "ClusterIP", "ports": [{"port": 80}]}
    same, changes = clone.adjust(_service("ClusterIP") | {"spec": {"ports": []}}, keep)
    assert same["spec"] == {"ports": []} and changes == []


def test_the_plan_from_an_inventory_without_a_cluster() -> None:
    objects = [_service("NodePort"), {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web"}}]
    read = Inventory(objects=objects, skipped=[Skipped("Pod", "never")])
    planned = clone.plan_from(ORIGIN, "fix", read, TypeDefinition("t", None, ()))
    assert planned.plan.copies == ("ConfigMap/web", "Service/web")
    assert planned.base[1]["spec"]["type"] == "ClusterIP" and planned.copies[1]["spec"]["type"] == "ClusterIP"
    assert objects[0]["spec"]["type"] == "NodePort"  # what was read is not changed
    clash = TypeDefinition("t", None, ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",))
    with pytest.raises(InvalidInput, match="has a template for ConfigMap/web"):
        clone.plan_from(ORIGIN, "fix", read, clash)


def test_a_jobs_server_made_selector_is_not_its_copy_form() -> None:
    uid = "0f0e"
    labels = {"controller-uid": uid, "batch.kubernetes.io/controller-uid": uid, "job-name": "m", "app": "m"}
    job: Obj = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "m", "uid": uid},
        "spec": {"selector": {"matchLabels": {"controller-uid": uid}}, "template": {"metadata": {"labels": labels}}},
    }
    assert norm.for_copy(job)["spec"] == {"template": {"metadata": {"labels": {"app": "m"}}}}
    manual = {**job, "spec": {**job["spec"], "manualSelector": True}}
    assert norm.for_copy(manual)["spec"]["selector"] == job["spec"]["selector"]


def test_ownership_marks_are_no_difference_but_stay_in_the_copy_form() -> None:
    marked = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "labels": {**HELM_LABELS, **FLUX_LABELS}, "annotations": {**HELM_ANNOTATIONS}},
    }
    plain = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "labels": {"app.kubernetes.io/instance": "shop"}},
    }
    assert norm.for_compare(marked, "ns") == norm.for_compare(plain, "ns")
    assert norm.for_copy(marked)["metadata"]["annotations"] == HELM_ANNOTATIONS
