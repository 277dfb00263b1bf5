"""The promote gates through the command line, on the local control plane: two people, and a
verification that must hold (or be skipped with a reason that history keeps)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from hotclone.core import approval_policy, envtypes, gates, history, kinds
from hotclone.core.clone import clone
from hotclone.core.cluster import Cluster
from hotclone.core.demo.controlplane import APPROVER_CONTEXT, RESTRICTED_CONTEXT
from hotclone.core.images import parse_spec
from hotclone.core.models import (
    CheckResult,
    EnvDiff,
    Environment,
    Gates,
    ObjectDiff,
    PromotePlan,
    Verification,
    VerificationState,
)
from hotclone.core.schema import SYSTEM_NAMESPACE
from tests.conftest import Seeded
from tests.helpers import run_cli
from tests.helpers import set_image_as_previewed as set_image

SMOKE = """apiVersion: batch/v1
kind: Job
metadata:
  name: smoke
spec:
  template:
    spec:
      containers:
      - name: smoke
        image: busybox:1.36
        command: [sh, -c, "wget -qO- http://web.${namespace}"]
"""


@pytest.fixture(scope="module")
def policy(admin: Cluster) -> Iterator[None]:
    approval_policy.install(admin)
    deadline = time.monotonic() + 20
    while not approval_policy.status(admin, SYSTEM_NAMESPACE, "admin").enforced:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    yield


def _production_type(seeded: Seeded, *, approvals: int = 0, require_verification: bool = False) -> None:
    body = envtypes.type_configmap(
        "production", "", None, app=seeded.app, approvals=approvals, require_verification=require_verification
    )
    seeded.cluster.create(kinds.CONFIGMAP, SYSTEM_NAMESPACE, body)


def _hotfix(seeded: Seeded, env_type: str = "temporary") -> None:
    clone(seeded.cluster, seeded.env("production"), "hotfix", env_type=env_type, user="admin")
    set_image(seeded.cluster, seeded.env("hotfix"), [parse_spec(f"web={seeded.app}/web:1.9.4")], user="admin")


def _image(seeded: Seeded, env: str) -> str:
    obj = seeded.cluster.get(kinds.DEPLOYMENT, seeded.namespace(env), "web")
    return str(obj["spec"]["template"]["spec"]["containers"][0]["image"])


def test_install_policy_command_is_idempotent_and_needs_cluster_admin(seeded: Seeded, policy: None) -> None:
    first = run_cli("install-policy", "--yes", kubeconfig=seeded.kubeconfig)
    assert first.code == 0, first.text
    assert "ValidatingAdmissionPolicy/hotclone-promotion-requests unchanged" in first.out
    as_json = run_cli("install-policy", "--yes", "--json", kubeconfig=seeded.kubeconfig)
    assert json.loads(as_json.out) == [f"{line} unchanged" for line in approval_policy.describe()]
    refused = run_cli("install-policy", "--yes", kubeconfig=seeded.kubeconfig, context=RESTRICTED_CONTEXT)
    assert refused.code == 2 and refused.err.startswith("hotclone: error: install-policy needs cluster-admin: ")
    assert len(refused.err.strip().splitlines()) == 1
    unasked = run_cli("install-policy", kubeconfig=seeded.kubeconfig)
    assert unasked.code == 2 and "nothing was changed" in unasked.err


def test_two_people_promote_through_a_request(seeded: Seeded, policy: None) -> None:
    _production_type(seeded, approvals=1)
    _hotfix(seeded)
    app, kubeconfig = seeded.app, seeded.kubeconfig
    asked = run_cli("promote", app, "hotfix", "production", "--yes", "--reason", "INC-7", kubeconfig=kubeconfig)
    assert asked.code == 0, asked.text
    assert "gate: approval required: 1 person(s) other than the requester" in asked.out
    request_id = next(word for word in asked.out.split() if word.startswith("r-")).rstrip(":")
    assert f"hotclone approve {app} production {request_id}" in asked.out
    assert f"hotclone promote {app} hotfix production --request {request_id}" in asked.out
    assert _image(seeded, "production") == f"{app}/web:1.9.3"  # nothing in the target changed
    listed = run_cli("requests", app, "--json", kubeconfig=kubeconfig)
    (shown,) = json.loads(listed.out)
    assert shown["id"] == request_id and shown["requester"] == "admin" and shown["reason"] == "INC-7"
    assert shown["state"] == "pending" and shown["approvers"] == [] and shown["required"] == 1
    unknown = run_cli("requests", "no-such-app", kubeconfig=kubeconfig)
    assert unknown.code == 2 and unknown.err.strip() == "hotclone: error: unknown application 'no-such-app'"
    assert any("web" in line for line in shown["summary"])
    table = run_cli("requests", app, "production", kubeconfig=kubeconfig)
    assert request_id in table.out and "pending" in table.out and "0/1" in table.out
    # Without an approval, the request is refused, one line, nothing applied.
    early = run_cli(
        "promote", app, "hotfix", "production", "--request", request_id, "--yes", "--confirm", "production",
        "--reason", "INC-7", kubeconfig=kubeconfig,
    )  # fmt: skip
    assert early.code == 2 and "has 0 of 1 approval(s) needed" in early.err, early.text
    own = run_cli("approve", app, "production", request_id, "--yes", kubeconfig=kubeconfig)
    assert own.code == 2 and "their own promotion request" in own.err
    approved = run_cli(
        "approve", app, "production", request_id, "--yes", "--comment", "ok", kubeconfig=kubeconfig,
        context=APPROVER_CONTEXT,
    )  # fmt: skip
    assert approved.code == 0, approved.text
    assert f"approved {request_id}: approved, 1 of 1 approval(s)" in approved.out
    applied = run_cli(
        "promote", app, "hotfix", "production", "--request", request_id, "--yes", "--confirm", "production",
        "--reason", "INC-7", "--no-wait", kubeconfig=kubeconfig,
    )  # fmt: skip
    assert applied.code == 0, applied.text
    assert _image(seeded, "production") == f"{app}/web:1.9.4"
    timeline = run_cli("history", app, "production", "--markdown", kubeconfig=kubeconfig)
    assert f"approved by approver (request {request_id})" in timeline.out
    again = run_cli(
        "promote", app, "hotfix", "production", "--request", request_id, "--yes", "--confirm", "production",
        "--reason", "again", kubeconfig=kubeconfig,
    )  # fmt: skip
    assert again.code == 0 and "already matches" in again.out  # nothing left to promote
    state = json.loads(run_cli("requests", app, "--json", kubeconfig=kubeconfig).out)[0]
    assert state["applied_by"] == "admin"


def test_reject_command(seeded: Seeded, policy: None) -> None:
    _production_type(seeded, approvals=1)
    _hotfix(seeded)
    app, kubeconfig = seeded.app, seeded.kubeconfig
    asked = run_cli("promote", app, "hotfix", "production", "--yes", "--reason", "r", "--json", kubeconfig=kubeconfig)
    request_id = json.loads(asked.out)["id"]
    rejected = run_cli(
        "reject", app, "production", request_id, "--yes", kubeconfig=kubeconfig, context=APPROVER_CONTEXT
    )
    assert rejected.code == 0 and f"rejected {request_id}: rejected" in rejected.out, rejected.text
    used = run_cli(
        "promote", app, "hotfix", "production", "--request", request_id, "--yes", "--confirm", "production",
        "--reason", "r", kubeconfig=kubeconfig,
    )  # fmt: skip
    assert used.code == 2 and "was rejected by approver" in used.err


def test_promote_is_refused_until_the_source_is_verified_or_the_check_skipped(seeded: Seeded) -> None:
    _production_type(seeded, require_verification=True)
    checked = envtypes.type_configmap("checked", "", "24h", app=seeded.app, checks=SMOKE)
    seeded.cluster.create(kinds.CONFIGMAP, SYSTEM_NAMESPACE, checked)
    _hotfix(seeded, env_type="checked")
    app, kubeconfig = seeded.app, seeded.kubeconfig
    args = ("promote", app, "hotfix", "production", "--yes", "--confirm", "production", "--reason", "INC-9")
    refused = run_cli(*args, "--no-wait", kubeconfig=kubeconfig)
    assert refused.code == 2 and "requires a passed verification of hotfix" in refused.err, refused.text
    assert "gate: verification required: NOT MET" in refused.out
    assert _image(seeded, "production") == f"{app}/web:1.9.3"
    # The session refuses too, whatever front end asks (not only the CLI's check before asking).
    plan = seeded.session.plan_promote(seeded.env("hotfix"))
    with pytest.raises(Exception, match="requires a passed verification"):
        seeded.session.apply(plan, confirm="production", reason="INC-9")
    verification = seeded.session.verify(seeded.env("hotfix"))
    assert verification.passed, verification
    passed = run_cli(*args, "--no-wait", kubeconfig=kubeconfig)
    assert passed.code == 0, passed.text
    assert "gate: verification required: ok" in passed.out
    assert _image(seeded, "production") == f"{app}/web:1.9.4"


def test_skip_verification_is_recorded_in_history_and_the_timeline(seeded: Seeded) -> None:
    _production_type(seeded, require_verification=True)
    _hotfix(seeded)
    app, kubeconfig = seeded.app, seeded.kubeconfig
    args = ("promote", app, "hotfix", "production", "--yes", "--confirm", "production", "--reason", "INC-9")
    skipped = run_cli(
        *args, "--skip-verification", "checks down, customers waiting", "--no-wait", kubeconfig=kubeconfig
    )
    assert skipped.code == 0, skipped.text
    assert _image(seeded, "production") == f"{app}/web:1.9.4"
    line = "verification skipped by admin: checks down, customers waiting"
    entry = history.entries(seeded.cluster, seeded.env("production"))[-1]
    assert entry.action == "promote" and line in entry.summary
    assert line in run_cli("history", app, "production", "--markdown", kubeconfig=kubeconfig).out
    assert line in run_cli("history", app, "production", str(entry.revision), kubeconfig=kubeconfig).out


def test_rollback_is_never_gated(seeded: Seeded, policy: None) -> None:
    _production_type(seeded, require_verification=True)
    _hotfix(seeded)
    production = seeded.env("production")
    plan = seeded.session.plan_promote(seeded.env("hotfix"))
    seeded.session.apply(plan, confirm="production", reason="INC-9", skip_verification="no time")
    # Now production needs approvals too: undoing the promote during the incident still works.
    name = envtypes.type_configmap("production", "", None, app=seeded.app)["metadata"]["name"]
    gated = seeded.cluster.get(kinds.CONFIGMAP, SYSTEM_NAMESPACE, name)
    gated["data"]["approvals"] = "1"
    seeded.cluster.replace(kinds.CONFIGMAP, SYSTEM_NAMESPACE, gated)
    assert seeded.session.plan_promote(seeded.env("hotfix")).gates.approvals == 1
    rollback = seeded.session.plan_rollback(production)
    assert rollback.gates == Gates()
    seeded.session.apply(rollback, confirm="production", reason="undo INC-9")
    assert _image(seeded, "production") == f"{seeded.app}/web:1.9.3"


# -- pure: what the plan's gates refuse before anyone is asked ------------------------------------


def _plan(gate: Gates) -> PromotePlan:
    target = Environment("shop", "production", "shop-production", "production")
    diff = EnvDiff("shop/hotfix", "shop/production", (ObjectDiff("Deployment", "web", "changed"),))
    return PromotePlan(app="shop", source="hotfix", target=target, diff=diff, gates=gate)


def _state(*, passed: bool, current: bool) -> VerificationState:
    env = Environment("shop", "hotfix", "shop-hotfix", "temporary")
    now = datetime.now(UTC)
    result = CheckResult("smoke", "hotfix", "passed" if passed else "failed", 1.0)
    latest = Verification(env, "sha256:x", "alice", now, now, (result,))
    return VerificationState(env, latest, current=current, why_not="" if current else "web changed", checks=("smoke",))


def test_gates_refuse_before_asking() -> None:
    held = Gates(require_verification=True, verification=_state(passed=True, current=True))
    stale = Gates(require_verification=True, verification=_state(passed=True, current=False))
    failed = Gates(require_verification=True, verification=_state(passed=False, current=True))
    assert gates.refusal_before_asking(_plan(held), request=None, skip_verification="") is None
    for gate in (stale, failed, Gates(require_verification=True)):
        refusal = gates.refusal_before_asking(_plan(gate), request=None, skip_verification="")
        assert refusal and refusal.startswith("shop/production (type production) requires a passed verification")
        assert gates.refusal_before_asking(_plan(gate), request=None, skip_verification="INC-1") is None
        assert gates.refusal_before_asking(_plan(gate), request=None, skip_verification="   ") is not None
    approvals = Gates(approvals=1, fingerprint="sha256:p")
    refusal = gates.refusal_before_asking(_plan(approvals), request=None, skip_verification="")
    assert refusal and "requires 1 approval(s)" in refusal
    assert gates.refusal_before_asking(_plan(approvals), request="r-abc123", skip_verification="") is None


def test_a_request_carries_the_verification_override_the_approvers_saw(seeded: Seeded, policy: None) -> None:
    _production_type(seeded, approvals=1, require_verification=True)
    _hotfix(seeded)
    app, kubeconfig = seeded.app, seeded.kubeconfig
    unverified = run_cli("promote", app, "hotfix", "production", "--yes", "--reason", "r", kubeconfig=kubeconfig)
    assert unverified.code == 2 and "requires a passed verification of hotfix" in unverified.err
    asked = run_cli(
        "promote", app, "hotfix", "production", "--yes", "--reason", "INC-8", "--skip-verification", "smoke is down",
        "--json", kubeconfig=kubeconfig,
    )  # fmt: skip
    assert asked.code == 0, asked.text
    request_id = json.loads(asked.out)["id"]
    shown = run_cli("approve", app, "production", request_id, "--yes", kubeconfig=kubeconfig, context=APPROVER_CONTEXT)
    assert "verification skipped: smoke is down" in shown.out, shown.text
    applied = run_cli(
        "promote", app, "hotfix", "production", "--request", request_id, "--yes", "--confirm", "production",
        "--reason", "INC-8", "--no-wait", kubeconfig=kubeconfig,
    )  # fmt: skip
    assert applied.code == 0, applied.text
    summary = history.entries(seeded.cluster, seeded.env("production"))[-1].summary
    assert "verification skipped by admin: smoke is down" in summary
    assert f"approved by approver (request {request_id})" in summary
