"""A promote never carries a clone's own adjustments into its target (core/environment_fields.py).

Pure: the clone's copies are made by core.clone.adjust, exactly as a clone makes them.
"""

from __future__ import annotations

from hotclone.core import clone, envtypes, promote
from hotclone.core.cluster import Obj
from hotclone.core.models import Environment

QA = Environment("shop", "qa", "shop-qa", "qa")
HOTFIX = Environment("shop", "hotfix", "shop-hotfix", "temporary", cloned_from="production")
HELM = {"labels": {"app.kubernetes.io/managed-by": "Helm"}, "annotations": {"meta.helm.sh/release-name": "shop-qa"}}


def _service(namespace: str, **spec: object) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": namespace, **HELM},
        "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": 80}], **spec},
    }


def _deployment(namespace: str, image: str) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace, **HELM},
        "spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}},
    }


def _cloned(obj: Obj) -> Obj:
    copy, _ = clone.adjust(obj, envtypes.BUILTIN_TEMPORARY)
    copy["metadata"]["namespace"] = "shop-hotfix"
    return copy


def test_a_two_way_promote_keeps_the_targets_service_type_and_ownership_marks() -> None:
    target = {"Service/web": _service("shop-qa", loadBalancerIP="10.0.0.7", externalTrafficPolicy="Local")}
    ours = {"Service/web": _cloned(_service("shop-production"))}
    assert ours["Service/web"]["spec"]["type"] == "ClusterIP"  # what the clone made of it
    desired, deletions, conflicts = promote.merge_plan(HOTFIX, QA, ours, target, None, "shop-production", prune=False)
    assert desired == {} and deletions == [] and conflicts == ()  # nothing of the application differs


def test_a_two_way_promote_carries_the_change_and_nothing_of_the_clones_adjustments() -> None:
    target = {"Deployment/web": _deployment("shop-qa", "shop/web:1.0.0")}
    ours = {"Deployment/web": _cloned(_deployment("shop-production", "shop/web:1.0.1"))}
    assert "annotations" not in ours["Deployment/web"]["metadata"]  # the clone lost Helm's marks
    desired, _, _ = promote.merge_plan(HOTFIX, QA, ours, target, None, "shop-production", prune=False)
    web = desired["Deployment/web"]
    assert web["spec"]["template"]["spec"]["containers"][0]["image"] == "shop/web:1.0.1"
    assert web["metadata"]["annotations"] == {"meta.helm.sh/release-name": "shop-qa"}  # qa's release, kept
    assert web["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "Helm"}


def test_a_new_object_goes_in_as_the_clone_has_it() -> None:
    ours = {"Service/web": _cloned(_service("shop-production"))}
    desired, _, _ = promote.merge_plan(HOTFIX, QA, ours, {}, None, "shop-production", prune=False)
    assert desired["Service/web"]["spec"]["type"] == "ClusterIP"
