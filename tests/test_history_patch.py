"""A change as a kustomize-style patch (core/promoted_patch.py), from literal objects: no cluster."""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime
from typing import Any

import yaml

from hotclone.core import promoted_patch
from hotclone.core.models import HistoryEntry, RevisionPatch
from hotclone.core.promoted_patch import SECRET_PLACEHOLDER

Obj = dict[str, Any]


def _deployment() -> Obj:
    container = {
        "name": "web",
        "image": "shop/web:1",
        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
        "ports": [{"name": "http", "containerPort": 8080}],
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
    }
    sidecar = {"name": "proxy", "image": "proxy:1", "args": ["--a", "--b"]}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop-production", "resourceVersion": "7", "labels": {"app": "web"}},
        "spec": {"replicas": 2, "template": {"spec": {"containers": [container, sidecar]}}},
        "status": {"replicas": 2},
    }


def _secret(**data: str) -> Obj:
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "type": "Opaque", "data": encoded}


def test_a_changed_object_gives_only_its_changed_fields_named_lists_by_name() -> None:
    before = _deployment()
    after = copy.deepcopy(before)
    web = after["spec"]["template"]["spec"]["containers"][0]
    web["image"] = "shop/web:2"
    web["env"] = [{"name": "A", "value": "1"}, {"name": "C", "value": "3"}]  # B removed, C added
    web["volumeMounts"][0]["readOnly"] = True
    after["spec"]["template"]["spec"]["containers"][1]["args"] = ["--a"]
    del after["metadata"]["labels"]
    after["metadata"]["resourceVersion"], after["status"] = "9", {"replicas": 1}  # the server's: not a change
    (document,) = promoted_patch.documents({"Deployment/web": before}, {"Deployment/web": after}, ["Deployment/web"])
    assert document == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": None},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "shop/web:2",
                            "env": [{"name": "C", "value": "3"}, {"name": "B", "$patch": "delete"}],
                            "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True}],
                        },
                        {"name": "proxy", "args": ["--a"]},  # a list of strings: given whole
                    ]
                }
            }
        },
    }


def test_a_list_item_whose_merge_key_moved_is_deleted_and_added() -> None:
    before: Obj = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}
    before["spec"] = {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]}
    after = copy.deepcopy(before)
    after["spec"]["ports"][0]["port"] = 8081
    (document,) = promoted_patch.documents({"Service/web": before}, {"Service/web": after}, ["Service/web"])
    assert document["spec"] == {
        "ports": [
            {"name": "http", "port": 80, "$patch": "delete"},
            {"name": "http", "port": 8081, "targetPort": 8080},
        ]
    }


def test_created_whole_deleted_as_a_directive_unchanged_left_out() -> None:
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "new", "namespace": "x"},
        "data": {"K": "v"},
    }
    old = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "old"}, "data": {"K": "v"}}
    same = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "same"}, "data": {"K": "v"}}
    touched = ["ConfigMap/new", "ConfigMap/old", "ConfigMap/same"]
    found = promoted_patch.documents(
        {"ConfigMap/old": old, "ConfigMap/same": same},
        {"ConfigMap/new": config, "ConfigMap/old": None, "ConfigMap/same": copy.deepcopy(same)},
        touched,
    )
    assert found == [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "new"}, "data": {"K": "v"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "old"}, "$patch": "delete"},
    ]


def test_custom_resources_lists_are_given_whole() -> None:
    before: Obj = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "a"}}
    before["spec"] = {"size": 1, "parts": [{"name": "x", "n": 1}, {"name": "y", "n": 2}]}
    after = copy.deepcopy(before)
    after["spec"]["parts"][1]["n"] = 3
    ref = "Widget.example.com/a"
    (document,) = promoted_patch.documents({ref: before}, {ref: after}, [ref])
    assert document["spec"] == {"parts": [{"name": "x", "n": 1}, {"name": "y", "n": 3}]}


def test_secret_values_never_appear_only_the_keys_that_changed() -> None:
    before = _secret(PASSWORD="hunter2", USER="shop", OLD="gone")
    after = _secret(PASSWORD="correct-horse", USER="shop", NEW="added-value")
    (changed,) = promoted_patch.documents({"Secret/db": before}, {"Secret/db": after}, ["Secret/db"])
    assert changed == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db"},
        "data": {"OLD": None},
        "stringData": {"PASSWORD": SECRET_PLACEHOLDER, "NEW": SECRET_PLACEHOLDER},
    }
    (created,) = promoted_patch.documents({}, {"Secret/db": after}, ["Secret/db"])
    assert list(created) == ["apiVersion", "kind", "metadata", "type", "stringData"]
    placeholders = {"PASSWORD": SECRET_PLACEHOLDER, "USER": SECRET_PLACEHOLDER, "NEW": SECRET_PLACEHOLDER}
    assert created["stringData"] == placeholders
    entry = HistoryEntry(3, "promote", "alice", datetime(2024, 5, 1, tzinfo=UTC), ("from hotfix",))
    text = promoted_patch.to_yaml(RevisionPatch(entry, (changed, created), recorded=True), "revision 3")
    for value in ("hunter2", "correct-horse", "added-value", "gone"):
        assert value not in text and base64.b64encode(value.encode()).decode() not in text
    assert text.startswith("# revision 3\n# Secret/db: values are not printed")
    assert list(yaml.safe_load_all(text)) == [changed, created]


def test_why_a_revision_has_no_patch_in_one_line() -> None:
    def entry(action: str, state: str = "complete") -> HistoryEntry:
        return HistoryEntry(4, action, "alice", datetime(2024, 5, 1, tzinfo=UTC), (), state=state)

    ref = "shop/qa"
    assert promoted_patch.missing(RevisionPatch(entry("clone")), ref) == (
        "revision 4 of shop/qa (clone) created the environment: there is no patch, every object was copied"
    )
    assert promoted_patch.missing(RevisionPatch(entry("promote", "undone")), ref) == (
        "revision 4 of shop/qa (promote) was stopped and undone: it changed nothing, so there is no patch"
    )
    assert promoted_patch.missing(RevisionPatch(entry("promote", "interrupted")), ref) == (
        "revision 4 of shop/qa (promote) did not complete (interrupted): no patch was recorded"
    )
    assert promoted_patch.missing(RevisionPatch(entry("set-image")), ref) == (
        "revision 4 of shop/qa (set-image) has no recorded patch: it was made before hotclone recorded them"
    )
    assert "larger than a revision keeps" in str(
        promoted_patch.missing(RevisionPatch(entry("rollback"), recorded=True, too_large=True), ref)
    )
    assert promoted_patch.missing(RevisionPatch(entry("promote"), (), recorded=True), ref) is None
