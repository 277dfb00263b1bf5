"""Promote and rollback into production objects other tools manage, on the real local control plane.

Per-object warnings in the plan (PromotePlan and the CLI's text), the history's "carry back"
lines, `hotclone history APP ENV REV --patch` (exactly the promoted fields, Secret values
hidden), Jobs never written, kinds the user may not read listed as skipped, custom
resources promoted and rolled back like built-ins, and a rollback refused in one line when
its snapshot holds a kind the server no longer serves.
"""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from hotclone.core import api_discovery, kinds
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.demo.controlplane import ADMIN_CONTEXT, find_binaries
from hotclone.core.errors import HotcloneError, NotFound
from hotclone.core.kinds import Kind, is_kubernetes_group
from hotclone.core.models import ImageSpec
from hotclone.core.promoted_patch import SECRET_PLACEHOLDER
from hotclone.core.session import Session
from tests.conftest import Seeded
from tests.helpers import (
    Result,
    install_crd,
    kubeconfig_variant,
    run_cli,
    set_config_as_previewed,
    set_image_as_previewed,
)

ARGO = {"argocd.argoproj.io/tracking-id": "shop-prod:/Secret:shop/mail-relay"}
FLUX = {"kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}
ROTATED = "rotated-relay-key-6f1c"  # the clone's new Secret value: never printed
JOB_SKIPPED = (
    "Job/backfill: Jobs are not promoted: a Job runs once and its pod template cannot change; "
    "run it in production yourself"
)
OWNED = [
    "ConfigMap/app-settings: applied with `kubectl apply`: the next `kubectl apply` of its manifest will revert it",
    "CronJob/digest-mailer: managed by Flux Kustomization flux-system/apps: the next Flux reconciliation of "
    "Kustomization flux-system/apps will revert it",
    "Deployment/web: managed by Helm release shop: the next `helm upgrade` will revert this change",
    "Secret/mail-relay: managed by Argo CD application shop-prod: the next Argo CD sync of application shop-prod "
    "will revert it",
]
CARRY_BACK = [
    "carry back: ConfigMap/app-settings is managed by kubectl apply",
    "carry back: CronJob/digest-mailer is managed by Flux Kustomization flux-system/apps",
    "carry back: Deployment/web is managed by Helm release shop",
    "carry back: Secret/mail-relay is managed by Argo CD application shop-prod",
]
PROMOTE = ("--yes", "--confirm", "production", "--reason", "INC-7 digest charset", "--no-wait")
CRD = kinds.CRD


def _cli(seeded: Seeded, *argv: str, kubeconfig: str | None = None) -> Result:
    return run_cli(*argv, kubeconfig=kubeconfig or seeded.kubeconfig)


def _kubectl_apply(seeded: Seeded, namespace: str, body: Obj) -> None:
    command = [str(find_binaries() / "kubectl"), "--kubeconfig", seeded.kubeconfig, "--context", ADMIN_CONTEXT]
    command += ["apply", "-n", namespace, "-f", "-"]
    done = subprocess.run(command, input=json.dumps(body), capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr


def _mark(cluster: Cluster, kind: Kind, namespace: str, name: str, labels: Obj, annotations: Obj) -> None:
    cluster.patch(kind, namespace, name, {"metadata": {"labels": labels, "annotations": annotations}})


def _job(name: str) -> Obj:
    # No node matches: its pod stays pending, so the Job stays unfinished (material).
    pod: Obj = {"restartPolicy": "Never", "nodeSelector": {"hotclone.example.com/none": "x"}}
    pod["containers"] = [{"name": "run", "image": "example/backfill:1"}]
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": {"template": {"spec": pod}}}


def _owned_production_and_changed_clone(seeded: Seeded) -> None:
    """Production's objects as Helm, Argo CD, Flux and kubectl apply leave them; a clone that changes each."""
    cluster, production = seeded.cluster, seeded.namespace("production")
    _mark(cluster, kinds.DEPLOYMENT, production, "web", {"app.kubernetes.io/managed-by": "Helm"},
          {"meta.helm.sh/release-name": "shop", "meta.helm.sh/release-namespace": production})  # fmt: skip
    _mark(cluster, kinds.SECRET, production, "mail-relay", {}, ARGO)
    _mark(cluster, kinds.CRONJOB, production, "digest-mailer", FLUX, {})
    settings = cluster.get(kinds.CONFIGMAP, production, "app-settings")
    _kubectl_apply(seeded, production, {"apiVersion": "v1", "kind": "ConfigMap",
                                        "metadata": {"name": "app-settings"}, "data": settings["data"]})  # fmt: skip
    seeded.session.clone(seeded.env("production"), "hotfix")
    hotfix, clone_ns = seeded.env("hotfix"), seeded.namespace("hotfix")
    set_image_as_previewed(cluster, hotfix, [ImageSpec("web", None, f"{seeded.app}/web:1.9.4")], reason="KO-118")
    set_config_as_previewed(cluster, hotfix, "app-settings", {"CHARSET": "UTF-8"})
    cluster.patch(kinds.SECRET, clone_ns, "mail-relay", {"stringData": {"api-key": ROTATED}})
    cluster.patch(kinds.CRONJOB, clone_ns, "digest-mailer", {"spec": {"schedule": "0 7 * * *"}})
    flags: Obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "feature-flags"}}
    flags["data"] = {"HANGUL_FONTS": "on"}
    cluster.create(kinds.CONFIGMAP, clone_ns, flags)
    cluster.create(kinds.JOB, clone_ns, _job("backfill"))


def _patch_documents(result: Result) -> dict[str, Obj]:
    assert result.code == 0, result.text
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in yaml.safe_load_all(result.out)}


def test_a_promote_into_other_tools_objects_warns_per_object_records_them_and_gives_its_patch(seeded: Seeded) -> None:
    app, cluster, production = seeded.app, seeded.cluster, seeded.namespace("production")
    _owned_production_and_changed_clone(seeded)
    plan = seeded.session.plan_promote(seeded.env("hotfix"))
    assert [o.describe() for o in plan.blast_radius.other_owners] == OWNED
    assert JOB_SKIPPED in plan.skipped
    assert "Job/backfill" not in {f"{w['kind']}/{w['metadata']['name']}" for w in plan.writes}

    dry = _cli(seeded, "promote", app, "hotfix", "--dry-run")
    assert dry.code == 0, dry.text
    lines = dry.out.splitlines()
    start = lines.index("    owned by other tools:")
    assert lines[start + 1 : start + 5] == [f"      {line}" for line in OWNED]
    assert f"  skipped: {JOB_SKIPPED}" in lines
    as_json = json.loads(_cli(seeded, "promote", app, "hotfix", "--dry-run", "--json").out)
    assert as_json["blast_radius"]["other_owners"][2] == {
        "object": "Deployment/web",
        "tools": ["Helm release shop"],
        "warnings": [OWNED[2].split(": ", 1)[1]],
    }

    promoted = _cli(seeded, "promote", app, "hotfix", *PROMOTE)
    assert promoted.code == 0, promoted.text
    with pytest.raises(NotFound):  # the Job stayed in the clone
        cluster.get(kinds.JOB, production, "backfill")

    # The history records what must be carried back, first after where the change came from.
    (entry,) = seeded.session.history(seeded.env("production"))
    assert list(entry.summary[:5]) == ["from hotfix", *CARRY_BACK]
    shown = _cli(seeded, "history", app, "production", "1").out.splitlines()
    assert shown[0].startswith("revision 1: promote by ") and shown[1] == "  reason: INC-7 digest charset"
    assert [f"  {line}" for line in CARRY_BACK] == shown[3:7]
    timeline = _cli(seeded, "history", app, "production", "--markdown").out
    assert all(f"  - {line}" in timeline for line in CARRY_BACK)

    # The patch: exactly the promoted fields, the created object whole, the Secret's key without its value.
    result = _cli(seeded, "history", app, "production", "1", "--patch")
    assert ROTATED not in result.out and base64.b64encode(ROTATED.encode()).decode() not in result.out
    assert "# Secret/mail-relay: values are not printed" in result.out
    assert _patch_documents(result) == {
        "ConfigMap/app-settings": {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "app-settings"},
            "data": {"CHARSET": "UTF-8"},
        },
        "ConfigMap/feature-flags": {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "feature-flags"},
            "data": {"HANGUL_FONTS": "on"},
        },
        "CronJob/digest-mailer": {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "digest-mailer"},
            "spec": {"schedule": "0 7 * * *"},
        },
        "Deployment/web": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {"template": {"spec": {"containers": [{"name": "web", "image": f"{app}/web:1.9.4"}]}}},
        },
        "Secret/mail-relay": {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "mail-relay"},
            "stringData": {"api-key": SECRET_PLACEHOLDER},
        },
    }
    as_json = json.loads(_cli(seeded, "history", app, "production", "1", "--patch", "--json").out)
    assert len(as_json) == 5 and ROTATED not in json.dumps(as_json)

    # set-image revisions record theirs too (read back like every journaled change); a clone has none.
    image_patch = _patch_documents(_cli(seeded, "history", app, "hotfix", "2", "--patch"))
    assert image_patch == {"Deployment/web": _patch_documents(result)["Deployment/web"]}
    clone_rev = _cli(seeded, "history", app, "hotfix", "1", "--patch")
    assert clone_rev.code == 2
    assert clone_rev.err.splitlines() == [
        f"hotclone: error: revision 1 of {app}/hotfix (clone) created the environment: there is no patch, "
        "every object was copied"
    ]
    assert _cli(seeded, "history", app, "production", "--patch").code == 2

    # Rollback: the same warnings, its own carry-back lines, the inverse patch; a Job made since is left alone.
    cluster.create(kinds.JOB, production, _job("reindex"))
    rollback = seeded.session.plan_rollback(seeded.env("production"), 1)
    assert [o.describe() for o in rollback.blast_radius.other_owners] == OWNED
    assert rollback.skipped == (
        "Job/reindex: Jobs are not rolled back: a Job runs once and its pod template cannot change; "
        "run or delete it yourself",
    )
    done = _cli(seeded, "rollback", app, "production", "1", *PROMOTE)
    assert done.code == 0, done.text
    assert cluster.get(kinds.JOB, production, "reindex")["metadata"]["name"] == "reindex"
    second = seeded.session.history(seeded.env("production"))[-1]
    assert list(second.summary[:5]) == ["from revision 1", *CARRY_BACK]
    undone = _patch_documents(_cli(seeded, "history", app, "production", "2", "--patch"))
    assert undone["ConfigMap/feature-flags"] == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "feature-flags"},
        "$patch": "delete",
    }
    assert undone["CronJob/digest-mailer"]["spec"] == {"schedule": "0 6 * * *"}
    assert undone["Secret/mail-relay"]["stringData"] == {"api-key": SECRET_PLACEHOLDER}
    assert cluster.get(kinds.DEPLOYMENT, production, "web")["spec"]["template"]["spec"]["containers"][0]["image"] == (
        f"{app}/web:1.9.3"
    )


# -- custom resources ---------------------------------------------------------------------------------------


def _delete_crd(cluster: Cluster, name: str) -> None:
    with contextlib.suppress(NotFound):
        cluster.delete(CRD, None, name)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            cluster.get(CRD, None, name)
        except NotFound:
            return
        time.sleep(0.2)
    raise AssertionError(f"{name} was never deleted")


def _widget(name: str, group: str, size: int) -> Obj:
    return {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": name}, "spec": {"size": size}}


@pytest.fixture
def widgets(seeded: Seeded) -> Iterator[tuple[str, Kind]]:
    """A CRD of this test's own (Widget.<app>.example.com) with production's Widget/a, removed afterwards."""
    group = f"{seeded.app}.example.com"
    kind = install_crd(seeded.cluster, group, "Widget")
    seeded.cluster.create(kind, seeded.namespace("production"), _widget("a", group, 1))
    try:
        yield group, kind
    finally:
        _delete_crd(seeded.cluster, f"widgets.{group}")


def _size(cluster: Cluster, kind: Kind, namespace: str) -> Any:
    return cluster.get(kind, namespace, "a")["spec"]["size"]


def test_a_custom_resource_is_promoted_and_rolled_back_like_a_built_in(
    seeded: Seeded, widgets: tuple[str, Kind]
) -> None:
    group, kind = widgets
    app, cluster, production = seeded.app, seeded.cluster, seeded.namespace("production")
    ref = f"Widget.{group}/a"
    seeded.session.clone(seeded.env("production"), "hotfix")
    cluster.patch(kind, seeded.namespace("hotfix"), "a", {"spec": {"size": 3}})
    plan = seeded.session.plan_promote(seeded.env("hotfix"))
    assert [f"Widget.{group}/{w['metadata']['name']}" for w in plan.writes] == [ref]
    assert list(plan.preconditions) == [ref]
    assert _cli(seeded, "promote", app, "hotfix", *PROMOTE).code == 0
    assert _size(cluster, kind, production) == 3
    assert _patch_documents(_cli(seeded, "history", app, "production", "1", "--patch")) == {
        "Widget/a": {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": "a"}, "spec": {"size": 3}}
    }
    rolled = _cli(seeded, "rollback", app, "production", "1", *PROMOTE)
    assert rolled.code == 0, rolled.text
    assert _size(cluster, kind, production) == 1
    assert [e.action for e in seeded.session.history(seeded.env("production"))] == ["promote", "rollback"]


def test_a_rollback_whose_snapshot_holds_a_kind_no_longer_served_is_refused_before_writing(
    seeded: Seeded, widgets: tuple[str, Kind]
) -> None:
    group, _ = widgets
    app, cluster, production = seeded.app, seeded.cluster, seeded.namespace("production")
    seeded.session.clone(seeded.env("production"), "hotfix")
    set_config_as_previewed(cluster, seeded.env("hotfix"), "app-settings", {"CHARSET": "UTF-8"})
    assert _cli(seeded, "promote", app, "hotfix", *PROMOTE).code == 0
    # Revision 1's snapshot holds Widget/a; then the CRD goes, and its objects with it.
    _delete_crd(cluster, f"widgets.{group}")
    refused = _cli(seeded, "rollback", app, "production", "1", *PROMOTE)
    assert refused.code == 2
    (line,) = refused.err.splitlines()
    assert line.startswith(
        f"hotclone: error: rollback of {app}/production refused, nothing written: Widget.{group}/a: kind {group}/v1 "
        f"Widget.{group} is not served by the API server at "
    )
    assert line.endswith("(is its CustomResourceDefinition installed there?)")
    assert cluster.get(kinds.CONFIGMAP, production, "app-settings")["data"]["CHARSET"] == "UTF-8"
    assert [e.action for e in seeded.session.history(seeded.env("production"))] == ["promote"]


# -- kinds the user may not read -------------------------------------------------------------------------------


def _token_for(cluster: Cluster, namespace: str, account: str) -> str:
    cluster.create(
        kinds.SERVICEACCOUNT, namespace, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": account}}
    )
    request = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 3600}}
    path = f"/api/v1/namespaces/{namespace}/serviceaccounts/{account}/token"
    token: str = cluster.request("POST", path, body=request)["status"]["token"]
    return token


_RBAC = "rbac.authorization.k8s.io"
_CLUSTER_ROLE = Kind("ClusterRole", _RBAC, "v1", "clusterroles", namespaced=False)
_CLUSTER_BINDING = Kind("ClusterRoleBinding", _RBAC, "v1", "clusterrolebindings", namespaced=False)


def _rbac(kind: str, name: str, **fields: Any) -> Obj:
    return {"apiVersion": f"{_RBAC}/v1", "kind": kind, "metadata": {"name": name}, **fields}


def _grant_builtin_kinds(cluster: Cluster, namespaces: list[str], account: str, account_ns: str) -> str:
    """Everything on Kubernetes' own kinds in `namespaces`, listing namespaces; nothing on custom resources."""
    groups = sorted({k.group for k in api_discovery.catalog(cluster).kinds if is_kubernetes_group(k.group)})
    subjects = [{"kind": "ServiceAccount", "name": account, "namespace": account_ns}]
    name = f"hotclone-test-{account_ns}"
    everything = [{"apiGroups": groups, "resources": ["*"], "verbs": ["*"]}]
    cluster.create(_CLUSTER_ROLE, None, _rbac("ClusterRole", name, rules=everything))
    listing = [{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list"]}]
    cluster.create(_CLUSTER_ROLE, None, _rbac("ClusterRole", f"{name}-ns", rules=listing))
    role_ref = {"apiGroup": _RBAC, "kind": "ClusterRole", "name": f"{name}-ns"}
    cluster.create(
        _CLUSTER_BINDING, None, _rbac("ClusterRoleBinding", f"{name}-ns", subjects=subjects, roleRef=role_ref)
    )
    for namespace in namespaces:
        role_ref = {"apiGroup": _RBAC, "kind": "ClusterRole", "name": name}
        binding = _rbac("RoleBinding", "hotclone-test-builtin", subjects=subjects, roleRef=role_ref)
        cluster.create(kinds.ROLEBINDING, namespace, binding)
    return name


def _remove_grants(cluster: Cluster, name: str) -> None:
    victims = ((_CLUSTER_BINDING, f"{name}-ns"), (_CLUSTER_ROLE, f"{name}-ns"), (_CLUSTER_ROLE, name))
    for kind, victim in victims:
        with contextlib.suppress(HotcloneError):
            cluster.delete(kind, None, victim)


def test_kinds_the_user_may_not_read_are_listed_and_left_as_they_are(
    seeded: Seeded, widgets: tuple[str, Kind], tmp_path: Path
) -> None:
    group, kind = widgets
    cluster, production, clone_ns = seeded.cluster, seeded.namespace("production"), seeded.namespace("hotfix")
    seeded.session.clone(seeded.env("production"), "hotfix")
    cluster.patch(kind, clone_ns, "a", {"spec": {"size": 5}})  # a change this user cannot see
    set_config_as_previewed(cluster, seeded.env("hotfix"), "app-settings", {"CHARSET": "UTF-8"})
    grants = _grant_builtin_kinds(cluster, [production, clone_ns], "promoter", production)
    try:
        token = _token_for(cluster, production, "promoter")
        limited = Session.connect(kubeconfig_variant(seeded.kubeconfig, tmp_path, token=token), ADMIN_CONTEXT)
        try:
            plan = limited.plan_promote(limited.environment(seeded.app, "hotfix"))
            for namespace in (clone_ns, production):
                line = f"Widget.{group}: could not be read in {namespace} (not allowed to list): left as it is"
                assert line in plan.skipped
            assert [f"{w['kind']}/{w['metadata']['name']}" for w in plan.writes] == ["ConfigMap/app-settings"]
            limited.apply(plan, confirm="production", reason="INC-8")
            rollback = limited.plan_rollback(limited.environment(seeded.app, "production"), 1)
            line = f"Widget.{group}: could not be read in {production} (not allowed to list): left as it is"
            assert line in rollback.skipped
        finally:
            limited.close()
    finally:
        _remove_grants(cluster, grants)
    assert cluster.get(kinds.CONFIGMAP, production, "app-settings")["data"]["CHARSET"] == "UTF-8"
    assert _size(cluster, kind, production) == 1  # left as it is
