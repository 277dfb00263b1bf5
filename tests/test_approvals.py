"""Four-eyes approval on the real API server: the policy refuses forgeries whoever sends them.

The forgery tests bypass hotclone's client: they send raw requests (cluster.request, plain HTTP
with a token) so that only the API server's ValidatingAdmissionPolicy stands in the way.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from hotclone.core import approval_policy, envtypes, history, kinds, requests
from hotclone.core.clone import clone
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.demo.controlplane import ADMIN_TOKEN
from hotclone.core.errors import Conflict, Forbidden, HotcloneError, Refused
from hotclone.core.images import parse_spec
from hotclone.core.models import PromotionRequest
from hotclone.core.schema import APPROVAL_POLICY, SYSTEM_NAMESPACE, TIME_FORMAT
from hotclone.core.session import Session
from tests.conftest import Seeded
from tests.helpers import set_config_as_previewed as set_config
from tests.helpers import set_image_as_previewed as set_image


@pytest.fixture(scope="module")
def policy(admin: Cluster) -> Iterator[None]:
    approval_policy.install(admin)
    _wait_enforced(admin)
    yield


def _wait_enforced(cluster: Cluster, namespace: str = SYSTEM_NAMESPACE) -> None:
    """A new binding takes a moment to reach the API server's admission chain."""
    deadline = time.monotonic() + 20
    while not approval_policy.status(cluster, namespace, "admin").enforced:
        assert time.monotonic() < deadline, "the policy never became enforced"
        time.sleep(0.2)


def _gated_type(seeded: Seeded, approvals: int = 1) -> None:
    """The app's own production type asks for approvals (other tests' apps keep the global one)."""
    body = envtypes.type_configmap("production", "", None, app=seeded.app, approvals=approvals)
    seeded.cluster.create(kinds.CONFIGMAP, SYSTEM_NAMESPACE, body)


def _hotfix(seeded: Seeded, image: str = "1.9.4") -> None:
    clone(seeded.cluster, seeded.env("production"), "hotfix", user="admin")
    set_image(seeded.cluster, seeded.env("hotfix"), [parse_spec(f"web={seeded.app}/web:{image}")], user="admin")


def _request(seeded: Seeded, session: Session | None = None) -> PromotionRequest:
    session = session or seeded.session
    plan = session.plan_promote(seeded.env("hotfix"))
    return session.request_promotion(plan, reason="INC-7 mojibake")


def _image(seeded: Seeded, env: str) -> str:
    obj = seeded.cluster.get(kinds.DEPLOYMENT, seeded.namespace(env), "web")
    return str(obj["spec"]["template"]["spec"]["containers"][0]["image"])


def _path(seeded: Seeded, request: PromotionRequest) -> str:
    return kinds.CONFIGMAP.object_path(seeded.namespace("production"), requests.configmap_name(request.id))


def _raw_patch(cluster: Cluster, path: str, operations: list[Obj]) -> Obj:
    return cluster.request("PATCH", path, body=operations, content_type="application/json-patch+json")


def _stamp() -> str:
    return datetime.now(UTC).strftime(TIME_FORMAT)


@pytest.fixture
def gated(seeded: Seeded, policy: None) -> Seeded:
    _gated_type(seeded)
    _hotfix(seeded)
    return seeded


def test_install_policy_is_idempotent_and_reads_back(admin: Cluster, policy: None) -> None:
    again = approval_policy.install(admin)
    assert again == [f"{line} unchanged" for line in approval_policy.describe()]
    live = admin.get(approval_policy.BINDING, None, APPROVAL_POLICY)
    assert live["spec"]["validationActions"] == ["Deny"]


def test_install_policy_needs_cluster_admin(restricted: Cluster) -> None:
    with pytest.raises(Forbidden, match="^install-policy needs cluster-admin: "):
        approval_policy.install(restricted)


def test_self_approval_is_refused_by_the_api_server_with_a_raw_call(gated: Seeded) -> None:
    request = _request(gated)
    assert request.requester == "admin" and request.state(datetime.now(UTC)) == "pending"
    forged = [{"op": "add", "path": "/data/decision.1", "value": f"approved {_stamp()} admin"}]
    with pytest.raises(Forbidden, match="nobody may approve \\(or reject\\) their own promotion request"):
        _raw_patch(gated.cluster, _path(gated, request), forged)
    # Plain HTTP with the admin's token, no hotclone code at all on the way.
    with open(gated.kubeconfig) as stream:
        config = yaml.safe_load(stream)
    server, ca = config["clusters"][0]["cluster"]["server"], config["clusters"][0]["cluster"]["certificate-authority"]
    http = urllib.request.Request(
        server + _path(gated, request),
        data=json.dumps(forged).encode(),
        method="PATCH",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json-patch+json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(http, context=ssl.create_default_context(cafile=ca), timeout=10)
    assert refused.value.code == 403
    assert "their own promotion request" in json.loads(refused.value.read())["message"]
    # And through hotclone: refused before it asks, one line.
    with pytest.raises(Refused, match="nobody may approve or reject their own promotion request"):
        gated.session.decide(gated.env("production"), request.id, approve=True)
    assert requests.from_configmap(requests.load(gated.cluster, gated.env("production"), request.id)).decisions == ()


def test_an_approval_forged_in_another_users_name_is_refused(gated: Seeded, approver: Cluster) -> None:
    request = _request(gated)
    for name in ("admin", "carol"):
        forged = [{"op": "add", "path": "/data/decision.1", "value": f"approved {_stamp()} {name}"}]
        with pytest.raises(Forbidden, match="nobody may write a decision in another user's name"):
            _raw_patch(approver, _path(gated, request), forged)
    # The admin, who may write anything in the namespace, cannot approve as the approver either.
    forged = [{"op": "add", "path": "/data/decision.1", "value": f"approved {_stamp()} approver"}]
    with pytest.raises(Forbidden, match="nobody may write a decision in another user's name"):
        _raw_patch(gated.cluster, _path(gated, request), forged)


def test_creating_a_request_in_someone_elses_name_is_refused(gated: Seeded) -> None:
    plan = gated.session.plan_promote(gated.env("hotfix"))
    body = requests.body(
        plan,
        request_id=requests.new_id(),
        requester="approver",
        source_namespace=gated.namespace("hotfix"),
        reason="",
        summary=[],
        skip_verification="",
        now=datetime.now(UTC),
        lifetime=timedelta(hours=1),
    )
    with pytest.raises(Forbidden, match="nobody may create a promotion request in another user's name"):
        gated.cluster.create(kinds.CONFIGMAP, gated.namespace("production"), body)
    body["data"]["requester"] = "admin"
    body["data"]["decision.1"] = f"approved {_stamp()} approver"
    with pytest.raises(Forbidden, match="carries no decision"):
        gated.cluster.create(kinds.CONFIGMAP, gated.namespace("production"), body)


def test_a_request_never_changes_and_a_decision_is_never_removed(gated: Seeded, approver: Cluster) -> None:
    request = _request(gated)
    path = _path(gated, request)
    for key, value in (("fingerprint", "sha256:other"), ("reason", "something else"), ("requester", "approver")):
        with pytest.raises(Forbidden, match="never changed after it was created"):
            _raw_patch(gated.cluster, path, [{"op": "replace", "path": f"/data/{key}", "value": value}])
    Session(approver).decide(gated.env("production"), request.id, approve=True, comment="looks right")
    with pytest.raises(Forbidden, match="never changed after it was created"):
        _raw_patch(gated.cluster, path, [{"op": "remove", "path": "/data/decision.1"}])
    with pytest.raises(Forbidden, match="never changed after it was created"):
        _raw_patch(approver, path, [{"op": "replace", "path": "/data/decision.1", "value": f"rejected {_stamp()} x"}])
    with pytest.raises(Forbidden, match="labels and annotations never change"):
        _raw_patch(gated.cluster, path, [{"op": "remove", "path": "/metadata/labels/hotclone.io~1promotion-request"}])
    # Not even a new key of another name: only the next decision, or the applied mark.
    with pytest.raises(Forbidden, match="only gains one decision"):
        _raw_patch(gated.cluster, path, [{"op": "add", "path": "/data/decision.7", "value": f"approved {_stamp()} x"}])
    with pytest.raises(Forbidden, match="only gains one decision"):  # a comment comes with its decision only
        _raw_patch(approver, path, [{"op": "add", "path": "/data/comment.2", "value": "by the way"}])
    read = requests.from_configmap(requests.load(gated.cluster, gated.env("production"), request.id))
    assert read.approvers == ("approver",) and read.fingerprint == request.fingerprint
    assert requests.comments(requests.load(gated.cluster, gated.env("production"), request.id)) == {
        "approver": "looks right"
    }


def test_a_configmap_cannot_become_a_request(gated: Seeded) -> None:
    path = kinds.CONFIGMAP.object_path(gated.namespace("production"), "app-settings")
    label = {"metadata": {"labels": {"hotclone.io/promotion-request": "r-abc123"}}}
    with pytest.raises(Forbidden, match="cannot become a promotion request"):
        gated.cluster.request("PATCH", path, body=label, content_type="application/merge-patch+json")


def test_an_approved_request_is_applied_once(gated: Seeded, approver: Cluster) -> None:
    production = gated.env("production")
    with pytest.raises(Refused, match="requires 1 approval\\(s\\): nothing applied"):
        gated.session.apply(gated.session.plan_promote(gated.env("hotfix")), confirm="production", reason="r")
    request = _request(gated)
    plan = gated.session.plan_promote(gated.env("hotfix"))
    with pytest.raises(Refused, match="has 0 of 1 approval\\(s\\) needed: nothing applied"):
        gated.session.apply(plan, confirm="production", reason="r", request=request.id)
    assert gated.session.waiting_for_me() == [] or all(r.id != request.id for r in gated.session.waiting_for_me())
    assert request.id in [r.id for r in Session(approver).waiting_for_me()]
    decided = Session(approver).decide(production, request.id, approve=True)
    assert decided.state(datetime.now(UTC)) == "approved"
    assert request.id not in [r.id for r in Session(approver).waiting_for_me()]
    revisions = len(history.entries(gated.cluster, production))
    gated.session.apply(plan, confirm="production", reason="INC-7", request=request.id)
    assert _image(gated, "production") == f"{gated.app}/web:1.9.4"
    entries = history.entries(gated.cluster, production)
    assert len(entries) == revisions + 1
    assert f"approved by approver (request {request.id})" in entries[-1].summary
    used = requests.from_configmap(requests.load(gated.cluster, production, request.id))
    assert used.applied_by == "admin" and used.state(datetime.now(UTC)) == "applied"
    # Used once: the same request again is refused, and nothing is written.
    set_config(gated.cluster, gated.env("hotfix"), "app-settings", {"CHARSET": "UTF-8"}, user="admin")
    again = gated.session.plan_promote(gated.env("hotfix"))
    assert not again.empty
    with pytest.raises(Refused, match="was already used by admin"):
        gated.session.apply(again, confirm="production", reason="again", request=request.id)
    assert _image(gated, "production") == f"{gated.app}/web:1.9.4"
    assert len(history.entries(gated.cluster, production)) == revisions + 1


def test_racing_applies_of_one_request_write_once(gated: Seeded, approver: Cluster, kubeconfig: str) -> None:
    production = gated.env("production")
    request = _request(gated)
    Session(approver).decide(production, request.id, approve=True)
    sessions = [Session(Cluster.connect(kubeconfig, "hotclone-local")) for _ in range(2)]
    plans = [s.plan_promote(s.environment(gated.app, "hotfix")) for s in sessions]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def run(index: int) -> None:
        start.wait()
        try:
            sessions[index].apply(plans[index], confirm="production", reason="race", request=request.id)
            outcomes.append("applied")
        except HotcloneError as error:
            outcomes.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("applied") == 1, outcomes
    completed = [e for e in history.entries(gated.cluster, production) if e.action == "promote" and e.finished]
    assert [e.state for e in completed].count("complete") == 1
    assert _image(gated, "production") == f"{gated.app}/web:1.9.4"


def test_a_request_whose_plan_changed_is_refused(gated: Seeded, approver: Cluster) -> None:
    production = gated.env("production")
    request = _request(gated)
    Session(approver).decide(production, request.id, approve=True)
    set_image(gated.cluster, gated.env("hotfix"), [parse_spec(f"web={gated.app}/web:6.6.6")], user="admin")
    plan = gated.session.plan_promote(gated.env("hotfix"))
    with pytest.raises(Refused, match="the plan changed since .* was approved: nothing applied; request again"):
        gated.session.apply(plan, confirm="production", reason="r", request=request.id)
    assert _image(gated, "production") == f"{gated.app}/web:1.9.3"
    assert requests.from_configmap(requests.load(gated.cluster, production, request.id)).applied_by is None


def test_a_rejected_request_is_refused(gated: Seeded, approver: Cluster) -> None:
    production = gated.env("production")
    request = _request(gated)
    Session(approver).decide(production, request.id, approve=False)
    plan = gated.session.plan_promote(gated.env("hotfix"))
    with pytest.raises(Refused, match="was rejected by approver"):
        gated.session.apply(plan, confirm="production", reason="r", request=request.id)
    with pytest.raises(Refused, match="is rejected: nothing to decide"):
        Session(approver).decide(production, request.id, approve=True)


def test_an_expired_request_is_refused(gated: Seeded, approver: Cluster) -> None:
    production = gated.env("production")
    gated.session.request_lifetime = timedelta(seconds=3)
    request = _request(gated)
    Session(approver).decide(production, request.id, approve=True)
    time.sleep(4)
    plan = gated.session.plan_promote(gated.env("hotfix"))
    with pytest.raises(Refused, match="expired at"):
        gated.session.apply(plan, confirm="production", reason="r", request=request.id)
    assert _image(gated, "production") == f"{gated.app}/web:1.9.3"


def test_without_the_policy_a_type_with_approvals_is_refused(gated: Seeded, approver: Cluster) -> None:
    request = _request(gated)  # made while the policy is there
    gated.cluster.delete(approval_policy.BINDING, None, APPROVAL_POLICY)
    try:
        deadline = time.monotonic() + 20
        while approval_policy.status(gated.cluster, gated.namespace("production"), "admin").enforced:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        session = Session(gated.cluster)
        line = (
            "environment type 'production' requires approvals, but the API server does not enforce hotclone's "
            "approval policy"
        )
        plan = session.plan_promote(gated.env("hotfix"))
        with pytest.raises(Refused, match=line):
            session.request_promotion(plan, reason="r")
        with pytest.raises(Refused, match=line):
            Session(approver).decide(gated.env("production"), request.id, approve=True)
        with pytest.raises(Refused, match=line):
            session.apply(plan, confirm="production", reason="r", request=request.id)
        assert _image(gated, "production") == f"{gated.app}/web:1.9.3"
    finally:
        approval_policy.install(gated.cluster)
        _wait_enforced(gated.cluster)


def _deny_web_updates(cluster: Cluster, namespace: str) -> str:
    """Another ValidatingAdmissionPolicy, refusing every update of Deployment/web in `namespace`."""
    name = f"test-deny-web-{namespace}"
    cluster.create(
        approval_policy.POLICY,
        None,
        {
            "metadata": {"name": name},
            "spec": {
                "failurePolicy": "Fail",
                "matchConstraints": {
                    "resourceRules": [
                        {
                            "apiGroups": ["apps"],
                            "apiVersions": ["v1"],
                            "operations": ["UPDATE"],
                            "resources": ["deployments"],
                        }
                    ]
                },
                "validations": [{"expression": f"object.metadata.name != 'web' || request.namespace != '{namespace}'"}],
            },
        },
    )
    cluster.create(
        approval_policy.BINDING,
        None,
        {"metadata": {"name": name}, "spec": {"policyName": name, "validationActions": ["Deny"]}},
    )
    return name


def test_a_request_stays_used_when_the_writes_then_fail(gated: Seeded, approver: Cluster) -> None:
    production = gated.env("production")
    request = _request(gated)
    Session(approver).decide(production, request.id, approve=True)
    plan = gated.session.plan_promote(gated.env("hotfix"))
    denied = _deny_web_updates(gated.cluster, gated.namespace("production"))
    try:
        path = kinds.DEPLOYMENT.object_path(gated.namespace("production"), "web")
        deadline = time.monotonic() + 20
        while True:  # until the new policy refuses a dry run of the same change
            try:
                gated.cluster.request(
                    "PATCH",
                    path,
                    body={"metadata": {"labels": {"x": "y"}}},
                    content_type="application/merge-patch+json",
                    query={"dryRun": "All"},
                )
            except HotcloneError:
                break
            assert time.monotonic() < deadline
            time.sleep(0.2)
        with pytest.raises(HotcloneError, match=f"undone.*\\(request {request.id} is used up: request again\\)"):
            gated.session.apply(plan, confirm="production", reason="INC-7", request=request.id)
    finally:
        gated.cluster.delete(approval_policy.BINDING, None, denied)
        gated.cluster.delete(approval_policy.POLICY, None, denied)
    assert _image(gated, "production") == f"{gated.app}/web:1.9.3"
    used = requests.from_configmap(requests.load(gated.cluster, production, request.id))
    assert used.applied_by == "admin"
    assert history.entries(gated.cluster, production)[-1].state == "undone"


def test_using_a_request_is_guarded_by_the_version_read(
    gated: Seeded, approver: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two applies that both read the request before either marked it: the second mark is a Conflict."""
    production = gated.env("production")
    request = _request(gated)
    Session(approver).decide(production, request.id, approve=True)
    stale = requests.load(gated.cluster, production, request.id)
    fingerprint = request.fingerprint
    requests.use(gated.cluster, production, request.id, user="admin", fingerprint=fingerprint, required=1)
    monkeypatch.setattr(requests, "load", lambda *_: stale)  # what the racing apply read, before the first mark
    with pytest.raises(Conflict, match="changed while it was being used"):
        requests.use(gated.cluster, production, request.id, user="admin", fingerprint=fingerprint, required=1)
    monkeypatch.undo()
    marked = requests.load(gated.cluster, production, request.id)["data"]
    assert [k for k in marked if k == "applied"] == ["applied"]


def test_policy_status_asks_the_api_server(admin: Cluster, restricted: Cluster, policy: None) -> None:
    assert Session(admin).policy_status().enforced
    unknown = Session(restricted).policy_status()  # may not create ConfigMaps: the question cannot be asked
    assert not unknown.enforced and approval_policy.unknown(unknown)
    # A binding that only warns enforces nothing, and hotclone says so.
    binding = admin.get(approval_policy.BINDING, None, APPROVAL_POLICY)
    binding["spec"]["validationActions"] = ["Warn"]
    admin.replace(approval_policy.BINDING, None, binding)
    try:
        deadline = time.monotonic() + 20
        while (status := approval_policy.status(admin, SYSTEM_NAMESPACE, "admin")).enforced:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert "is not enforced" in status.detail and not approval_policy.unknown(status)
        assert f"ValidatingAdmissionPolicyBinding/{APPROVAL_POLICY} updated" in approval_policy.install(admin)
    finally:
        approval_policy.install(admin)  # puts Deny back
        _wait_enforced(admin)
