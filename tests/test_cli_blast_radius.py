"""The blast radius in `promote`'s plan text and --json, and the reason a production change needs, on the
real local control plane."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys

import pytest

from hotclone.cli.main import main
from hotclone.core import kinds
from hotclone.core.cluster import Obj
from hotclone.core.demo.controlplane import ADMIN_CONTEXT, find_binaries
from tests.conftest import Seeded
from tests.helpers import Result, run_cli

NONE = [
    "    deletions: none",
    "    services: none",
    "    PVCs: none",
    "    RBAC: none",
    "    owned by other tools: none",
]


def _cli(seeded: Seeded, *argv: str) -> Result:
    return run_cli(*argv, kubeconfig=seeded.kubeconfig)


def _hotfix(seeded: Seeded) -> None:
    """The story: production cloned to hotfix-ko, web 1.9.4 and the UTF-8 charset put into the clone."""
    app = seeded.app
    assert _cli(seeded, "clone", app, "production", "hotfix-ko", "--yes").code == 0
    assert _cli(seeded, "set-image", app, "hotfix-ko", f"web={app}/web:1.9.4", "--yes").code == 0
    assert _cli(seeded, "set-config", app, "hotfix-ko", "app-settings", "CHARSET=UTF-8", "--yes").code == 0


def _radius(out: str) -> list[str]:
    lines = out.splitlines()
    start = lines.index("  blast radius:")
    return lines[start + 1 : start + 7]


def _kubectl(seeded: Seeded, *args: str, stdin: str) -> None:
    command = [str(find_binaries() / "kubectl"), "--kubeconfig", seeded.kubeconfig, "--context", ADMIN_CONTEXT, *args]
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr


def _web_image(seeded: Seeded) -> str:
    web = seeded.cluster.get(kinds.DEPLOYMENT, seeded.namespace("production"), "web")
    image: str = web["spec"]["template"]["spec"]["containers"][0]["image"]
    return image


def test_the_hotfix_promote_shows_its_blast_radius(seeded: Seeded) -> None:
    _hotfix(seeded)
    dry = _cli(seeded, "promote", seeded.app, "hotfix-ko", "--dry-run")
    assert dry.code == 0, dry.text
    assert _radius(dry.out) == ["    restarts: Deployment/web (2 pods)", *NONE]
    as_json = json.loads(_cli(seeded, "promote", seeded.app, "hotfix-ko", "--dry-run", "--json").out)
    assert as_json["blast_radius"] == {
        "restarts": [{"workload": "Deployment/web", "pods": 2}],
        "deletions": [],
        "services": [],
        "pvcs": [],
        "rbac": [],
        "other_owners": [],
    }


def test_a_wide_blast_radius_names_every_class_and_the_tools_that_may_revert(seeded: Seeded) -> None:
    app, cluster = seeded.app, seeded.cluster
    _hotfix(seeded)
    clone_ns, production = seeded.namespace("hotfix-ko"), seeded.namespace("production")
    # In the clone: another Service port, a new PVC, a new Role, and the worker gone (deleted with --prune).
    service = cluster.get(kinds.SERVICE, clone_ns, "web")
    service["spec"]["ports"][0]["port"] = 8081
    cluster.replace(kinds.SERVICE, clone_ns, service)
    claim: Obj = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "uploads"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    cluster.create(kinds.PVC, clone_ns, claim)
    role: Obj = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "deployer"}}
    role["rules"] = [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["update"]}]
    cluster.create(kinds.ROLE, clone_ns, role)
    cluster.delete(kinds.DEPLOYMENT, clone_ns, "worker")
    # In production, other tools' marks: Helm's on web, kubectl apply's on the settings, Argo CD's
    # server-side apply on the web Service (same values: only who manages them changes).
    cluster.patch(
        kinds.DEPLOYMENT,
        production,
        "web",
        {
            "metadata": {
                "labels": {"app.kubernetes.io/managed-by": "Helm"},
                "annotations": {"meta.helm.sh/release-name": "topicshare"},
            }
        },
    )
    settings = cluster.get(kinds.CONFIGMAP, production, "app-settings")
    applied = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app-settings"}, "data": settings["data"]}
    _kubectl(seeded, "apply", "-n", production, "-f", "-", stdin=json.dumps(applied))
    live = cluster.get(kinds.SERVICE, production, "web")
    owned = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"ports": live["spec"]["ports"]},
    }
    _kubectl(
        seeded, "apply", "--server-side", "--field-manager=argocd-controller", "-n", production, "-f", "-",
        stdin=json.dumps(owned),
    )  # fmt: skip

    dry = _cli(seeded, "promote", app, "hotfix-ko", "--prune", "--dry-run")
    assert dry.code == 0, dry.text
    lines = dry.out.splitlines()
    start = lines.index("  blast radius:")
    # Objects other tools manage: one a line, each saying what that tool will do.
    assert lines[start + 1 : start + 10] == [
        "    restarts: Deployment/web (2 pods)",
        "    deletions: Deployment/worker",
        "    services: Service/web (changed)",
        "    PVCs: PersistentVolumeClaim/uploads (added)",
        "    RBAC: Role/deployer (skipped: --include-rbac)",
        "    owned by other tools:",
        "      ConfigMap/app-settings: applied with `kubectl apply`: the next `kubectl apply` of its manifest will "
        "revert it",
        "      Deployment/web: managed by Helm release topicshare: the next `helm upgrade` will revert this change",
        "      Service/web: managed by Argo CD: its next sync will revert it",
    ]
    radius = json.loads(_cli(seeded, "promote", app, "hotfix-ko", "--prune", "--dry-run", "--json").out)["blast_radius"]
    assert radius["deletions"] == ["Deployment/worker"]
    assert radius["pvcs"] == [{"object": "PersistentVolumeClaim/uploads", "change": "added"}]
    assert radius["rbac"] == [{"object": "Role/deployer", "change": "skipped"}]
    assert radius["other_owners"][1] == {
        "object": "Deployment/web",
        "tools": ["Helm release topicshare"],
        "warnings": ["managed by Helm release topicshare: the next `helm upgrade` will revert this change"],
    }


@pytest.mark.parametrize("reason", [None, "   "])
def test_a_production_promote_without_a_reason_changes_nothing(seeded: Seeded, reason: str | None) -> None:
    _hotfix(seeded)
    given = [] if reason is None else ["--reason", reason]
    refused = _cli(seeded, "promote", seeded.app, "hotfix-ko", "--yes", "--confirm", "production", "--no-wait", *given)
    assert refused.code == 2
    assert refused.err.splitlines() == [
        f"hotclone: error: a reason is required for a production promote: nothing applied to {seeded.app}/production"
        " (--reason)"
    ]
    assert _web_image(seeded) == f"{seeded.app}/web:1.9.3"
    assert seeded.session.history(seeded.env("production")) == []


def test_a_production_rollback_without_a_reason_changes_nothing(seeded: Seeded) -> None:
    app = seeded.app
    _hotfix(seeded)
    promoted = _cli(seeded, "promote", app, "hotfix-ko", "--yes", "--confirm", "production", "--reason", "KO-118",
                    "--no-wait")  # fmt: skip
    assert promoted.code == 0, promoted.text
    refused = _cli(seeded, "rollback", app, "production", "1", "--yes", "--confirm", "production", "--no-wait")
    assert refused.code == 2
    assert refused.err.splitlines() == [
        f"hotclone: error: a reason is required for a production rollback: nothing applied to {app}/production"
        " (--reason)"
    ]
    assert _web_image(seeded) == f"{app}/web:1.9.4"
    assert [(e.action, e.reason) for e in seeded.session.history(seeded.env("production"))] == [("promote", "KO-118")]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _on_a_terminal(seeded: Seeded, typed: str, *argv: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin
    sys.stdin = _Terminal(typed)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*argv, "--kubeconfig", seeded.kubeconfig, "--context", ADMIN_CONTEXT])
    finally:
        sys.stdin = old
    return Result(code, out.getvalue(), err.getvalue())


def test_on_a_terminal_the_reason_is_asked_for(seeded: Seeded) -> None:
    app = seeded.app
    _hotfix(seeded)
    empty = _on_a_terminal(seeded, "\n", "promote", app, "hotfix-ko", "--no-wait")
    assert empty.code == 2 and "a reason is required for a production promote" in empty.err
    assert _web_image(seeded) == f"{app}/web:1.9.3"
    done = _on_a_terminal(seeded, "KO-118 Hangul\nproduction\n", "promote", app, "hotfix-ko", "--no-wait")
    assert done.code == 0, done.text
    assert "Reason (recorded in history; required for production)" in done.out
    assert [(e.action, e.reason) for e in seeded.session.history(seeded.env("production"))] == [
        ("promote", "KO-118 Hangul")
    ]
    assert _web_image(seeded) == f"{app}/web:1.9.4"
