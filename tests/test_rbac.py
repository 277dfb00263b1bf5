"""RBAC stays in its environment: a clone copies it, a promote leaves it out unless --include-rbac."""

from __future__ import annotations

import json

from hotclone.core import kinds, promote
from hotclone.core.clone import clone
from hotclone.core.cluster import Obj
from hotclone.core.errors import NotFound
from hotclone.core.models import Environment
from tests.conftest import Seeded
from tests.helpers import namespace_objects, run_cli

SKIPPED = "RoleBinding/deployer (RBAC: pass --include-rbac)"


def _role(name: str) -> Obj:
    rules = [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "update"]}]
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": name}, "rules": rules}


def _binding(name: str, role: str, account: str, namespace: str) -> Obj:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
        "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": namespace}],
    }


def _clone_with_new_rights(seeded: Seeded) -> str:
    """A clone whose administrator gave the app's service account update rights, and changed a value."""
    cluster = seeded.cluster
    clone(cluster, seeded.env("production"), "hotfix", user="alice")
    namespace = seeded.namespace("hotfix")
    cluster.create(kinds.ROLE, namespace, _role("deployer"))
    cluster.create(kinds.ROLEBINDING, namespace, _binding("deployer", "deployer", "topicshare", namespace))
    cluster.create(
        kinds.SERVICEACCOUNT, namespace, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "ci"}}
    )
    settings = cluster.get(kinds.CONFIGMAP, namespace, "app-settings")
    settings["data"]["CHARSET"] = "UTF-8"
    cluster.replace(kinds.CONFIGMAP, namespace, settings)
    return namespace


def _promote(seeded: Seeded, *flags: str) -> str:
    result = run_cli(
        "promote", seeded.app, "hotfix", "--yes", "--confirm", "production", "--reason", "INC-3", "--no-wait", *flags,
        kubeconfig=seeded.kubeconfig,
    )  # fmt: skip
    assert result.code == 0, result.text
    return result.out


def test_a_clone_copies_the_service_accounts_it_needs_to_run(seeded: Seeded) -> None:
    clone(seeded.cluster, seeded.env("production"), "hotfix", user="alice")
    assert "ServiceAccount/topicshare" in namespace_objects(seeded.cluster, seeded.namespace("hotfix"))


def test_promote_leaves_rbac_out_and_lists_each_object_it_skipped(seeded: Seeded) -> None:
    _clone_with_new_rights(seeded)
    plan = seeded.session.plan_promote(seeded.env("hotfix"))
    assert set(plan.skipped) == {
        "Role/deployer (RBAC: pass --include-rbac)",
        SKIPPED,
        "ServiceAccount/ci (RBAC: pass --include-rbac)",
    }
    assert plan.rbac == ()
    assert not any(w["kind"] in ("Role", "RoleBinding", "ServiceAccount") for w in plan.writes)
    assert [o.ref for o in plan.diff.changed] == ["ConfigMap/app-settings"]

    dry = run_cli("promote", seeded.app, "hotfix", "--dry-run", kubeconfig=seeded.kubeconfig)
    assert dry.code == 0, dry.text
    assert f"  skipped: {SKIPPED}" in dry.out.splitlines()
    as_json = run_cli("promote", seeded.app, "hotfix", "--dry-run", "--json", kubeconfig=seeded.kubeconfig)
    assert SKIPPED in json.loads(as_json.out)["skipped"]

    out = _promote(seeded)
    assert f"  skipped: {SKIPPED}" in out.splitlines()
    production = seeded.namespace("production")
    for kind, name in ((kinds.ROLE, "deployer"), (kinds.ROLEBINDING, "deployer"), (kinds.SERVICEACCOUNT, "ci")):
        try:
            seeded.cluster.get(kind, production, name)
            raise AssertionError(f"{kind.kind}/{name} reached production")
        except NotFound:
            pass
    assert seeded.cluster.get(kinds.CONFIGMAP, production, "app-settings")["data"]["CHARSET"] == "UTF-8"


def test_include_rbac_writes_it_with_a_warning_line_per_object(seeded: Seeded) -> None:
    _clone_with_new_rights(seeded)
    plan = seeded.session.plan_promote(seeded.env("hotfix"), include_rbac=True)
    assert plan.rbac == ("Role/deployer", "RoleBinding/deployer", "ServiceAccount/ci")
    assert plan.skipped == ()
    out = _promote(seeded, "--include-rbac")
    target = f"{seeded.app}/production"
    for ref in plan.rbac:
        assert f"  WARNING: RBAC {ref} changes in {target} (--include-rbac)" in out.splitlines()
    binding = seeded.cluster.get(kinds.ROLEBINDING, seeded.namespace("production"), "deployer")
    # Re-targeted like every promoted object: the subject is production's own service account.
    assert binding["subjects"][0]["namespace"] == seeded.namespace("production")


def test_prune_never_deletes_rbac_of_the_target_without_the_flag(seeded: Seeded) -> None:
    clone(seeded.cluster, seeded.env("production"), "hotfix", user="alice")
    production = seeded.namespace("production")
    seeded.cluster.create(kinds.ROLE, production, _role("prod-only"))
    plan = seeded.session.plan_promote(seeded.env("hotfix"), prune=True)
    assert "Role/prod-only" not in plan.deletions
    assert "Role/prod-only (RBAC: pass --include-rbac)" in plan.skipped
    pruning = seeded.session.plan_promote(seeded.env("hotfix"), prune=True, include_rbac=True)
    assert "Role/prod-only" in pruning.deletions and "Role/prod-only" in pruning.rbac


def test_merge_plan_keeps_its_old_parameters() -> None:
    """The fake session calls merge_plan positionally with prune only: RBAC is then left out."""
    origin = Environment("ts", "hotfix", "ts-hotfix", "temporary", cloned_from="production")
    target = Environment("ts", "production", "ts-production", "production")
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "ci"}}
    ours = {"ServiceAccount/ci": account}
    desired, deletions, conflicts = promote.merge_plan(origin, target, ours, {}, None, "ts-production", prune=True)
    assert (desired, deletions, conflicts) == ({}, [], ())
    touched = promote.rbac_touched(origin, target, ours, {}, None, "ts-production", prune=True)
    assert touched == ["ServiceAccount/ci"]
    desired, _, _ = promote.merge_plan(origin, target, ours, {}, None, "ts-production", prune=True, include_rbac=True)
    assert list(desired) == ["ServiceAccount/ci"]
