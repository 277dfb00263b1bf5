"""The blast radius of a plan, from literal objects: no cluster, no network."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hotclone.core import blast_radius, ownership, plan_apply, promote
from hotclone.core.errors import Refused
from hotclone.core.models import BlastRadius, Environment, OtherOwner, PromotePlan, Restart, Touched

Obj = dict[str, Any]
NS = "shop-production"
PROD = Environment("shop", "production", NS, "production")
QA = Environment("shop", "qa", "shop-qa", "qa")


def obj(kind: str, name: str, *, spec: Obj | None = None, labels: Obj | None = None, **meta: Any) -> Obj:
    body: Obj = {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": NS, **meta}}
    if labels:
        body["metadata"]["labels"] = labels
    if spec is not None:
        body["spec"] = spec
    return body


def workload(kind: str, name: str, image: str, replicas: int | None = None, **meta: Any) -> Obj:
    spec: Obj = {"template": {"spec": {"containers": [{"name": name, "image": image}]}}}
    if replicas is not None:
        spec["replicas"] = replicas
    return obj(kind, name, spec=spec, **meta)


def retagged(body: Obj, image: str) -> Obj:
    changed = copy.deepcopy(body)
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = image
    return changed


def plan_of(
    live: dict[str, Obj], desired: dict[str, Obj], deletions: tuple[str, ...] = (), target: Environment = PROD
) -> PromotePlan:
    return plan_apply.preview("promote", "hotfix", target, live, desired, desired, list(deletions), ())


def refs(*bodies: Obj) -> dict[str, Obj]:
    return {f"{b['kind']}/{b['metadata']['name']}": b for b in bodies}


# -- restarts, deletions, Services, PVCs ------------------------------------------------------


def test_restarts_carry_the_live_pod_counts() -> None:
    web = workload("Deployment", "web", "shop/web:1", replicas=3)
    api = workload("Deployment", "api", "shop/api:1")  # no replicas: the API server's default, 1
    search = workload("StatefulSet", "search", "shop/search:1", replicas=2)
    agent = workload("DaemonSet", "agent", "shop/agent:1")
    agent["status"] = {"desiredNumberScheduled": 5}
    live = refs(web, api, search, agent)
    desired = {ref: retagged(body, "shop/fixed:2") for ref, body in live.items()}
    radius = plan_of(live, desired).blast_radius
    assert radius.restarts == (
        Restart("DaemonSet/agent", 5),
        Restart("Deployment/api", 1),
        Restart("Deployment/web", 3),
        Restart("StatefulSet/search", 2),
    )
    assert radius.pods == 11
    assert [r.describe() for r in radius.restarts] == [
        "DaemonSet/agent (5 pods)",
        "Deployment/api (1 pod)",
        "Deployment/web (3 pods)",
        "StatefulSet/search (2 pods)",
    ]


def test_a_daemonset_its_controller_has_not_counted_says_so() -> None:
    agent = workload("DaemonSet", "agent", "shop/agent:1")
    radius = plan_of(refs(agent), refs(retagged(agent, "shop/agent:2"))).blast_radius
    assert radius.restarts == (Restart("DaemonSet/agent", None),)
    assert radius.restarts[0].describe() == "DaemonSet/agent (pods on every scheduled node)"


def test_deletions_services_and_pvcs_per_change() -> None:
    web = obj("Service", "web", spec={"ports": [{"name": "http", "port": 80}]})
    old = obj("Service", "old", spec={"ports": [{"name": "http", "port": 80}]})
    data = obj("PersistentVolumeClaim", "data", spec={"resources": {"requests": {"storage": "1Gi"}}})
    live = refs(web, old, data)
    bigger = copy.deepcopy(data)
    bigger["spec"]["resources"]["requests"]["storage"] = "5Gi"
    new = obj("Service", "api", spec={"ports": [{"name": "http", "port": 8080}]})
    retargeted = copy.deepcopy(web)
    retargeted["spec"]["ports"][0]["port"] = 8080
    radius = plan_of(live, refs(bigger, new, retargeted), ("Service/old",)).blast_radius
    assert radius.deletions == ("Service/old",)
    assert radius.services == (
        Touched("Service/api", "added"),
        Touched("Service/old", "deleted"),
        Touched("Service/web", "changed"),
    )
    assert radius.pvcs == (Touched("PersistentVolumeClaim/data", "changed"),)
    assert radius.restarts == () and radius.rbac == () and radius.other_owners == ()


def test_objects_the_plan_leaves_as_they_are_are_not_in_it() -> None:
    web = obj("Service", "web", spec={"ports": [{"name": "http", "port": 80}]})
    assert plan_of(refs(web), refs(copy.deepcopy(web))).blast_radius == BlastRadius()


# -- RBAC -----------------------------------------------------------------------------------


def test_rbac_written_by_a_rollback_and_skipped_by_a_promote() -> None:
    role = obj("Role", "reader")
    role["rules"] = [{"verbs": ["get"], "resources": ["pods"], "apiGroups": [""]}]
    wider = copy.deepcopy(role)
    wider["rules"][0]["verbs"] = ["get", "delete"]
    rollback = plan_apply.preview("rollback", "revision 2", PROD, refs(role), refs(wider), refs(wider), [], ())
    assert rollback.blast_radius.rbac == (Touched("Role/reader", "changed"),)
    # A promote leaves RBAC out unless --include-rbac, and its blast radius says so.
    skipped = promote.with_rbac(plan_of({}, {}), ["RoleBinding/admins"], include_rbac=False)
    assert skipped.blast_radius.rbac == (Touched("RoleBinding/admins", "skipped"),)
    assert skipped.blast_radius.rbac[0].describe() == "RoleBinding/admins (skipped: --include-rbac)"
    included = promote.with_rbac(plan_of({}, {}), ["RoleBinding/admins"], include_rbac=True)
    assert included.blast_radius.rbac == () and included.rbac == ("RoleBinding/admins",)


# -- objects other tools manage --------------------------------------------------------------

HELM = {"labels": {"app.kubernetes.io/managed-by": "Helm"}, "annotations": {"meta.helm.sh/release-name": "shop"}}
ARGO = {"annotations": {"argocd.argoproj.io/tracking-id": "shop-prod:apps/Deployment:shop-production/web"}}
FLUX_K = {
    "labels": {"kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}
}
FLUX_H = {"labels": {"helm.toolkit.fluxcd.io/name": "shop", "helm.toolkit.fluxcd.io/namespace": "flux-system"}}
LAST_APPLIED = {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}}


def _entry(manager: str, operation: str = "Update", subresource: str | None = None) -> Obj:
    entry: Obj = {"manager": manager, "operation": operation, "fieldsType": "FieldsV1", "fieldsV1": {}}
    if subresource:
        entry["subresource"] = subresource
    return entry


@pytest.mark.parametrize(
    ("meta", "tools"),
    [
        (HELM, ("Helm release shop",)),
        ({"labels": {"app.kubernetes.io/managed-by": "Helm"}}, ("Helm",)),
        (ARGO, ("Argo CD application shop-prod",)),
        (
            {"labels": {"app.kubernetes.io/instance": "shop"}, "annotations": {"argocd.argoproj.io/sync-wave": "1"}},
            ("Argo CD application shop",),
        ),
        (FLUX_K, ("Flux Kustomization flux-system/apps",)),
        (FLUX_H, ("Flux HelmRelease flux-system/shop",)),
        (LAST_APPLIED, ("kubectl apply",)),
        # Argo CD's label tracking: only its instance label and kubectl's annotation are left to see.
        (
            {**LAST_APPLIED, "labels": {"app.kubernetes.io/instance": "shop"}},
            ("kubectl apply or Argo CD application shop",),
        ),
        ({"labels": {"app.kubernetes.io/managed-by": "Terraform"}}, ("managed by Terraform",)),
        ({"labels": {"app.kubernetes.io/managed-by": "hotclone"}}, ()),
        # Argo CD applies with kubectl: one tool, named once.
        (
            {**ARGO, "annotations": {**ARGO["annotations"], **LAST_APPLIED["annotations"]}},
            ("Argo CD application shop-prod",),
        ),
        ({**HELM, "managedFields": [_entry("helm")]}, ("Helm release shop",)),
        ({"managedFields": [_entry("kubectl-client-side-apply")]}, ("kubectl apply",)),
        ({"managedFields": [_entry("kustomize-controller", "Apply")]}, ("Flux",)),
        ({"managedFields": [_entry("kubectl", "Apply")]}, ("server-side apply by kubectl",)),
        # Edits that do not come back, the cluster's own controllers, status writers, hotclone itself.
        ({"managedFields": [_entry("kubectl-edit"), _entry("OpenAPI-Generator"), _entry("hotclone")]}, ()),
        ({"managedFields": [_entry("kube-controller-manager"), _entry("my-operator", "Apply", "status")]}, ()),
        ({"labels": {"app": "web"}, "annotations": {"deployment.kubernetes.io/revision": "3"}}, ()),
    ],
)
def test_other_tools_are_named_from_the_live_object(meta: Obj, tools: tuple[str, ...]) -> None:
    assert ownership.other_tools(obj("Deployment", "web", **meta)) == tools


def test_owned_objects_the_plan_changes_or_deletes_say_the_tool_may_revert() -> None:
    web = workload("Deployment", "web", "shop/web:1", replicas=2, **HELM)
    config = obj("ConfigMap", "settings", **LAST_APPLIED)
    config["data"] = {"A": "1"}
    cron = obj("CronJob", "nightly", **FLUX_K)
    untouched = obj("ConfigMap", "other", **ARGO)
    live = refs(web, config, cron, untouched)
    changed = copy.deepcopy(config)
    changed["data"]["A"] = "2"
    added = obj("ConfigMap", "new", **ARGO)  # the clone's copy of a tool's mark: not managed here yet
    radius = plan_of(live, refs(retagged(web, "shop/web:2"), changed, added), ("CronJob/nightly",)).blast_radius
    assert [(o.object, o.tools) for o in radius.other_owners] == [
        ("ConfigMap/settings", ("kubectl apply",)),
        ("CronJob/nightly", ("Flux Kustomization flux-system/apps",)),
        ("Deployment/web", ("Helm release shop",)),
    ]
    assert [o.describe() for o in radius.other_owners] == [
        "ConfigMap/settings: applied with `kubectl apply`: the next `kubectl apply` of its manifest will revert it",
        "CronJob/nightly: managed by Flux Kustomization flux-system/apps: the next Flux reconciliation of "
        "Kustomization flux-system/apps will revert it",
        "Deployment/web: managed by Helm release shop: the next `helm upgrade` will revert this change",
    ]
    # The history's summary lists what must be carried back into the chart, Git or manifest.
    assert blast_radius.carry_back(radius) == [
        "carry back: ConfigMap/settings is managed by kubectl apply",
        "carry back: CronJob/nightly is managed by Flux Kustomization flux-system/apps",
        "carry back: Deployment/web is managed by Helm release shop",
    ]


@pytest.mark.parametrize(
    ("tool", "warning"),
    [
        ("Helm release shop", "managed by Helm release shop: the next `helm upgrade` will revert this change"),
        ("Helm", "managed by Helm: the next `helm upgrade` will revert this change"),
        (
            "Argo CD application shop-prod",
            "managed by Argo CD application shop-prod: the next Argo CD sync of application shop-prod will revert it",
        ),
        ("Argo CD", "managed by Argo CD: its next sync will revert it"),
        (
            "Flux HelmRelease flux-system/shop",
            "managed by Flux HelmRelease flux-system/shop: the next Flux reconciliation of HelmRelease "
            "flux-system/shop will revert it",
        ),
        ("Flux", "managed by Flux: its next reconciliation will revert it"),
        ("kubectl apply", "applied with `kubectl apply`: the next `kubectl apply` of its manifest will revert it"),
        (
            "kubectl apply or Argo CD application shop",
            "applied with `kubectl apply` (or by Argo CD application shop): the next `kubectl apply` of its "
            "manifest or Argo CD sync of application shop will revert it",
        ),
        ("server-side apply by kubectl", "applied server-side by kubectl: the next apply by kubectl may revert it"),
        ("managed by Terraform", "managed by Terraform: its next run may revert it"),
        (
            "HorizontalPodAutoscaler/web on spec.replicas",
            "its replicas are set by HorizontalPodAutoscaler/web: it will scale them back to its own count",
        ),
    ],
)
def test_each_tool_says_what_it_will_do(tool: str, warning: str) -> None:
    assert blast_radius.warning(tool) == warning


def test_an_hpa_reverts_replicas_the_plan_changes() -> None:
    web = workload("Deployment", "web", "shop/web:1", replicas=2)
    hpa = obj("HorizontalPodAutoscaler", "web", spec={"scaleTargetRef": {"kind": "Deployment", "name": "web"}})
    live = refs(web, hpa)
    scaled = copy.deepcopy(web)
    scaled["spec"]["replicas"] = 6
    radius = plan_of(live, refs(scaled)).blast_radius
    assert radius.other_owners == (
        OtherOwner(
            "Deployment/web",
            ("HorizontalPodAutoscaler/web on spec.replicas",),
            ("its replicas are set by HorizontalPodAutoscaler/web: it will scale them back to its own count",),
        ),
    )
    assert blast_radius.carry_back(radius) == []  # the HPA's to set: nothing to carry back
    # Only the replicas: an image change is the HPA's business no more than anyone else's.
    assert plan_of(live, refs(retagged(web, "shop/web:2"))).blast_radius.other_owners == ()


def test_classes_in_the_order_a_confirmation_lists_them() -> None:
    web = workload("Deployment", "web", "shop/web:1", replicas=3, **HELM)
    radius = plan_of(refs(web), refs(retagged(web, "shop/web:2"))).blast_radius
    assert blast_radius.classes(radius) == [
        ("restarts", ["Deployment/web (3 pods)"]),
        ("deletions", []),
        ("services", []),
        ("PVCs", []),
        ("RBAC", []),
        (
            "owned by other tools",
            ["Deployment/web: managed by Helm release shop: the next `helm upgrade` will revert this change"],
        ),
    ]


def test_a_custom_resource_another_tool_manages_is_named_by_its_qualified_ref() -> None:
    widget: Obj = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "a", "namespace": NS, **HELM},
        "spec": {"size": 1},
    }
    bigger = copy.deepcopy(widget)
    bigger["spec"]["size"] = 2
    live = {"Widget.example.com/a": widget}
    radius = plan_of(live, {"Widget.example.com/a": bigger}).blast_radius
    assert [o.object for o in radius.other_owners] == ["Widget.example.com/a"]


# -- Jobs are never written ------------------------------------------------------------------


def test_jobs_a_promote_would_create_change_or_delete_are_skipped_with_the_reason() -> None:
    job = obj("Job", "migrate", spec={"template": {"spec": {"containers": [{"name": "m", "image": "m:1"}]}}})
    old = obj("Job", "old", spec={"template": {"spec": {"containers": [{"name": "m", "image": "m:0"}]}}})
    new = obj("Job", "seed", spec={"template": {"spec": {"containers": [{"name": "s", "image": "s:1"}]}}})
    web = workload("Deployment", "web", "shop/web:1")
    live = refs(job, old, web)
    desired = refs(retagged(job, "m:2"), new, retagged(web, "shop/web:2"))
    plan = plan_of(live, desired, ("Job/old",))
    why = "Jobs are not promoted: a Job runs once and its pod template cannot change; run it in production yourself"
    assert plan.skipped == (f"Job/migrate: {why}", f"Job/seed: {why}", f"Job/old: {why}")
    assert [o.ref for o in plan.diff.changed] == ["Deployment/web"]
    assert [w["kind"] for w in plan.writes] == ["Deployment"] and plan.deletions == ()
    assert set(plan.preconditions) == {"Deployment/web"}
    rollback = plan_apply.preview("rollback", "revision 2", PROD, live, desired, desired, ["Job/old"], ())
    assert rollback.skipped[0] == (
        "Job/migrate: Jobs are not rolled back: a Job runs once and its pod template cannot change; "
        "run or delete it yourself"
    )
    assert len(rollback.skipped) == 3 and rollback.writes == [desired["Deployment/web"]]


# -- a production plan needs a reason --------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "\t\n"])
def test_production_refuses_an_empty_reason(reason: str) -> None:
    web = workload("Deployment", "web", "shop/web:1")
    plan = plan_of(refs(web), refs(retagged(web, "shop/web:2")))
    expected = r"^a reason is required for a production promote: nothing applied to shop/production \(--reason\)$"
    with pytest.raises(Refused, match=expected):
        plan_apply.require_reason(plan, reason)
    plan_apply.require_reason(plan, "INC-7")  # given: fine


def test_other_environments_need_no_reason() -> None:
    web = {**workload("Deployment", "web", "shop/web:1"), "metadata": {"name": "web", "namespace": "shop-qa"}}
    plan = plan_of(refs(web), refs(retagged(web, "shop/web:2")), target=QA)
    plan_apply.require_reason(plan, "")
