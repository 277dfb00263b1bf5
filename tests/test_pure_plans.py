"""core's pure plan functions on literal objects: no cluster, no network."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hotclone.core import configmap_values, images, plan_apply, promote, rollback
from hotclone.core.errors import InvalidInput, NotFound, Refused
from hotclone.core.models import Conflict3, Environment, HistoryEntry, ImageChange, ImageSpec

Obj = dict[str, Any]

PROD = Environment("shop", "production", "shop-production", "production")
QA = Environment("shop", "qa", "shop-qa", "qa")
HOTFIX = Environment("shop", "hotfix", "shop-hotfix", "temporary", cloned_from="production")


def deployment(name: str, namespace: str, *containers: tuple[str, str], init: tuple[str, str] | None = None) -> Obj:
    pod: Obj = {"containers": [{"name": c, "image": i} for c, i in containers]}
    if init:
        pod["initContainers"] = [{"name": init[0], "image": init[1]}]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"replicas": 1, "template": {"spec": pod}},
    }


def configmap(name: str, namespace: str, **data: str) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace}, "data": data}


# -- images.edit -----------------------------------------------------------------------


def test_set_image_edits_only_the_touched_workload() -> None:
    web = deployment("web", "shop-qa", ("web", "shop/web:1.9.3"))
    api = deployment("api", "shop-qa", ("api", "shop/api:2.0"))
    before, after, changes = images.edit(QA, [web, api], [ImageSpec("web", None, "shop/web:1.9.4")])
    assert changes == [ImageChange("Deployment/web", "web", "shop/web:1.9.3", "shop/web:1.9.4")]
    assert before == [web] and web["spec"]["template"]["spec"]["containers"][0]["image"] == "shop/web:1.9.3"
    assert after[0]["spec"]["template"]["spec"]["containers"][0]["image"] == "shop/web:1.9.4"


def test_set_image_of_an_init_container() -> None:
    web = deployment("web", "shop-qa", ("web", "shop/web:1"), init=("migrate", "shop/migrate:1"))
    _, _, changes = images.edit(QA, [web], [ImageSpec("web", "migrate", "shop/migrate:2")])
    assert changes == [ImageChange("Deployment/web", "migrate", "shop/migrate:1", "shop/migrate:2", init=True)]


def test_set_image_in_production_is_refused() -> None:
    web = deployment("web", "shop-production", ("web", "shop/web:1.9.3"))
    with pytest.raises(Refused, match="production: images there change only through promote or rollback"):
        images.edit(PROD, [web], [ImageSpec("web", None, "shop/web:1.9.4")])


def test_set_image_in_an_incomplete_environment_is_refused() -> None:
    broken = Environment("shop", "half", "shop-half", "temporary", incomplete=True)
    with pytest.raises(Refused, match="incomplete"):
        images.edit(broken, [], [ImageSpec("web", None, "shop/web:1.9.4")])


def test_set_image_needs_a_valid_spec() -> None:
    with pytest.raises(InvalidInput, match="no image change given"):
        images.edit(QA, [], [])
    with pytest.raises(InvalidInput):
        images.edit(QA, [], [ImageSpec("web", None, "not a valid image")])


def test_set_image_of_an_unknown_workload_lists_the_workloads() -> None:
    web = deployment("web", "shop-qa", ("web", "shop/web:1"))
    with pytest.raises(NotFound, match=r"no workload 'wbe' in shop/qa \(workloads: web\)"):
        images.edit(QA, [web], [ImageSpec("wbe", None, "shop/web:2")])


def test_set_image_of_an_unknown_container_lists_the_containers() -> None:
    web = deployment("web", "shop-qa", ("web", "shop/web:1"), ("proxy", "envoy:1"))
    with pytest.raises(NotFound, match=r"Deployment/web has no container 'sidecar' \(containers: web, proxy\)"):
        images.edit(QA, [web], [ImageSpec("web", "sidecar", "shop/web:2")])
    with pytest.raises(InvalidInput, match=r"several containers \(web, proxy\)"):
        images.edit(QA, [web], [ImageSpec("web", None, "shop/web:2")])


# -- configmap_values.edit -------------------------------------------------------------


def test_set_config_reports_old_and_new_values() -> None:
    settings = configmap("app-settings", "shop-qa", CHARSET="ISO-8859-1")
    before, after, changes = configmap_values.edit(QA, settings, "app-settings", {"CHARSET": "UTF-8", "NEW": "1"}, [])
    assert [c.describe() for c in changes] == [
        "ConfigMap/app-settings data.CHARSET: ISO-8859-1 -> UTF-8",
        "ConfigMap/app-settings data.NEW: (new) -> 1",
    ]
    assert before["data"] == {"CHARSET": "ISO-8859-1"} and after["data"] == {"CHARSET": "UTF-8", "NEW": "1"}


def test_set_config_errors() -> None:
    settings = configmap("app-settings", "shop-production", CHARSET="ISO-8859-1")
    with pytest.raises(Refused, match="its configuration changes only through promote or rollback"):
        configmap_values.edit(PROD, settings, "app-settings", {"CHARSET": "UTF-8"}, [])
    with pytest.raises(NotFound, match=r"no ConfigMap 'nope' in shop/qa \(ConfigMaps: a, b\)"):
        configmap_values.edit(QA, None, "nope", {"K": "v"}, ["b", "a"])
    with pytest.raises(NotFound, match=r"\(ConfigMaps: none\)"):
        configmap_values.edit(QA, None, "nope", {"K": "v"}, [])
    with pytest.raises(InvalidInput, match="no setting given"):
        configmap_values.edit(QA, settings, "app-settings", {}, [])
    with pytest.raises(InvalidInput, match="invalid ConfigMap key"):
        configmap_values.edit(QA, settings, "app-settings", {"a b": "v"}, [])
    with pytest.raises(Refused, match="immutable"):
        configmap_values.edit(QA, {**settings, "immutable": True}, "app-settings", {"CHARSET": "UTF-8"}, [])


# -- promote.merge_plan ----------------------------------------------------------------


def _three_way(ours_image: str, theirs_image: str) -> tuple[dict[str, Obj], list[str], tuple[Conflict3, ...]]:
    base = {"Deployment/web": deployment("web", "shop-production", ("web", "shop/web:1.9.3"))}
    ours = {"Deployment/web": deployment("web", "shop-hotfix", ("web", ours_image))}
    theirs = {"Deployment/web": deployment("web", "shop-production", ("web", theirs_image))}
    return promote.merge_plan(HOTFIX, PROD, ours, theirs, base, "shop-production", prune=False)


def test_merge_plan_takes_the_clones_change_into_the_target_namespace() -> None:
    desired, deletions, conflicts = _three_way("shop/web:1.9.4", "shop/web:1.9.3")
    assert not conflicts and not deletions
    web = desired["Deployment/web"]
    assert web["metadata"]["namespace"] == "shop-production"
    assert web["spec"]["template"]["spec"]["containers"][0]["image"] == "shop/web:1.9.4"


def test_merge_plan_reports_a_three_way_conflict() -> None:
    desired, _, conflicts = _three_way("shop/web:1.9.4", "shop/web:1.9.5")
    assert conflicts == (Conflict3("Deployment/web", "containers[web].image", "shop/web:1.9.4", "shop/web:1.9.5"),)
    assert desired == {}


def test_merge_plan_keeps_a_change_made_only_in_the_target() -> None:
    desired, _, conflicts = _three_way("shop/web:1.9.3", "shop/web:1.9.5")
    assert desired == {} and not conflicts


def test_merge_plan_prunes_only_when_asked() -> None:
    ours = {"ConfigMap/a": configmap("a", "shop-qa", K="1")}
    theirs = {"ConfigMap/a": configmap("a", "shop-production", K="1"), "ConfigMap/old": configmap("old", "x")}
    kept = promote.merge_plan(QA, PROD, ours, theirs, None, "shop-production", prune=False)
    assert kept == ({}, [], ())
    pruned = promote.merge_plan(QA, PROD, ours, theirs, None, "shop-production", prune=True)
    assert pruned == ({}, ["ConfigMap/old"], ())


def test_merge_plan_respects_a_deletion_in_the_target() -> None:
    base = {"ConfigMap/gone": configmap("gone", "shop-production", K="1")}
    ours = {"ConfigMap/gone": configmap("gone", "shop-hotfix", K="1"), "ConfigMap/new": configmap("new", "shop-hotfix")}
    desired, _, _ = promote.merge_plan(HOTFIX, PROD, ours, {}, base, "shop-production", prune=False)
    assert list(desired) == ["ConfigMap/new"]


def test_merge_plan_hides_secret_values_in_conflicts() -> None:
    def secret(namespace: str, value: str) -> Obj:
        return {"kind": "Secret", "metadata": {"name": "s", "namespace": namespace}, "stringData": {"k": value}}

    base = {"Secret/s": secret("shop-production", "a")}
    _, _, conflicts = promote.merge_plan(
        HOTFIX, PROD, {"Secret/s": secret("shop-hotfix", "b")}, {"Secret/s": secret("shop-production", "c")}, base,
        "shop-production", prune=False,
    )  # fmt: skip
    assert conflicts and all(c.ours == "<hidden>" and c.theirs == "<hidden>" for c in conflicts)


# -- rollback.restore_plan -------------------------------------------------------------


def _entry(revision: int, action: str) -> HistoryEntry:
    return HistoryEntry(revision, action, "alice", datetime(2024, 1, 1, tzinfo=UTC), ())


def test_restore_plan_restores_changed_and_deletes_added_objects() -> None:
    old = deployment("web", "shop-production", ("web", "shop/web:1.9.3"))
    current = {
        "Deployment/web": deployment("web", "shop-production", ("web", "shop/web:1.9.4")),
        "ConfigMap/added": configmap("added", "shop-production"),
    }
    scoped = configmap("db", "shop-production")
    scoped["metadata"]["labels"] = {"hotclone.io/scope": "environment"}
    desired, deletions = rollback.restore_plan(PROD, _entry(3, "promote"), [old, scoped], current)
    assert list(desired) == ["Deployment/web"] and deletions == ["ConfigMap/added"]
    assert desired["Deployment/web"]["spec"]["template"]["spec"]["containers"][0]["image"] == "shop/web:1.9.3"


def test_restore_plan_of_a_revision_from_before_discovery_deletes_only_kinds_it_recorded() -> None:
    """An old revision's snapshot never saw custom resources or quotas: their absence there means nothing."""
    web = deployment("web", "shop-production", ("web", "shop/web:1.9.3"))
    current = {
        "Deployment/web": web,
        "ConfigMap/added": configmap("added", "shop-production"),
        "LimitRange/defaults": {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "defaults"}},
        "Certificate.cert-manager.io/web": {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": "web"},
        },
    }
    old = HistoryEntry(2, "promote", "alice", datetime(2024, 1, 1, tzinfo=UTC), (), legacy_snapshot=True)
    assert rollback.restore_plan(PROD, old, [web], current) == ({}, ["ConfigMap/added"])
    new = _entry(2, "promote")
    assert rollback.restore_plan(PROD, new, [web], current)[1] == [
        "Certificate.cert-manager.io/web",
        "ConfigMap/added",
        "LimitRange/defaults",
    ]


def test_restore_plan_of_an_unchanged_state_is_empty() -> None:
    web = deployment("web", "shop-production", ("web", "shop/web:1.9.3"))
    assert rollback.restore_plan(PROD, _entry(2, "set-image"), [web], {"Deployment/web": web}) == ({}, [])


def test_rollback_of_a_clone_revision_is_refused() -> None:
    with pytest.raises(Refused, match=r"revision 1 of shop/hotfix created it: nothing to roll back to"):
        rollback.restore_plan(HOTFIX, _entry(1, "clone"), [], {})


# -- plan_apply.preview ----------------------------------------------------------------


def test_preview_with_the_desired_objects_as_dry_run_results() -> None:
    live = {
        "Deployment/web": deployment("web", "shop-production", ("web", "shop/web:1.9.3")),
        "ConfigMap/old": configmap("old", "shop-production", K="1"),
    }
    desired = {"Deployment/web": deployment("web", "shop-production", ("web", "shop/web:1.9.4"))}
    plan = plan_apply.preview("promote", "hotfix", PROD, live, desired, desired, ["ConfigMap/old"], ())
    assert (plan.app, plan.source, plan.action) == ("shop", "hotfix", "promote")
    assert plan.restarts == ("Deployment/web",) and plan.deletions == ("ConfigMap/old",)
    assert [(o.ref, o.status) for o in plan.diff.changed] == [
        ("ConfigMap/old", "removed"),
        ("Deployment/web", "changed"),
    ]
    assert plan.writes == [desired["Deployment/web"]]
    assert plan.preconditions == {
        ref: plan_apply.fingerprint(live[ref], "shop-production") for ref in ("Deployment/web", "ConfigMap/old")
    }
    assert not plan.empty


def test_preview_of_a_replica_change_restarts_nothing() -> None:
    web = deployment("web", "shop-production", ("web", "shop/web:1"))
    scaled = {**web, "spec": {**web["spec"], "replicas": 3}}
    plan = plan_apply.preview("rollback", "revision 2", PROD, {"Deployment/web": web}, {"Deployment/web": scaled},
                              {"Deployment/web": scaled}, [], ())  # fmt: skip
    assert plan.restarts == () and [o.ref for o in plan.diff.changed] == ["Deployment/web"]
