"""hotclone verify on the local control plane: check Jobs the fake node (kwok) really completes,
fails or leaves hanging, the record bound to the state it verified, and what makes it stale."""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from hotclone.core import envtypes, kinds
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.demo import seeding
from hotclone.core.demo.controlplane import RESTRICTED_CONTEXT
from hotclone.core.errors import InvalidInput, Refused
from hotclone.core.models import Environment, ImageSpec, ProgressStep
from hotclone.core.schema import (
    ANNOTATION_CLONED_FROM,
    HISTORY_CHECK,
    KWOK_MESSAGE_ANNOTATION,
    KWOK_OUTCOME_LABEL,
    LABEL_CHECK,
    LABEL_HISTORY,
    SYSTEM_NAMESPACE,
    VERIFICATION_CONFIGMAP,
)
from hotclone.core.session import Session
from tests.conftest import Seeded, fresh_app
from tests.helpers import run_cli, set_image_as_previewed

PLANTED = "hunter2-planted-password"


def check(name: str, *, outcome: str = "", message: str = "", read_only: bool = False, image: str = "") -> str:
    """One check's Job template; `outcome` tells the fake node how to play its pod."""
    labels = f"\n        labels: {{{KWOK_OUTCOME_LABEL}: {outcome}}}" if outcome else ""
    notes = f"\n        annotations: {{{KWOK_MESSAGE_ANNOTATION}: {json.dumps(message)}}}" if message else ""
    marks = '\n  annotations: {"hotclone.io/check-read-only": "true"}' if read_only else ""
    return f"""apiVersion: batch/v1
kind: Job
metadata:
  name: {name}{marks}
spec:
  template:
    metadata:{labels or " {}"}{notes}
    spec:
      containers:
      - name: {name}
        image: {image or "busybox:1.36"}
        command: [sh, -c, "wget -qO- http://web.${{namespace}}"]
"""


@dataclass
class World:
    session: Session
    cluster: Cluster
    app: str
    production: Environment
    clone: Environment

    def env(self, name: str) -> Environment:
        return self.session.environment(self.app, name)


Make = Callable[..., World]


def _type(cluster: Cluster, app: str, name: str, checks: list[str], timeout: str | None = None) -> None:
    configmap = envtypes.type_configmap(name, "", "24h", app=app, checks="---\n".join(checks), check_timeout=timeout)
    cluster.create(kinds.CONFIGMAP, SYSTEM_NAMESPACE, configmap)


def _environment(cluster: Cluster, app: str, env: str, env_type: str, cloned_from: str | None = None) -> None:
    namespace = seeding.namespace_object(app, env, env_type)
    if cloned_from:
        namespace["metadata"]["annotations"] = {ANNOTATION_CLONED_FROM: cloned_from}
    cluster.create(kinds.NAMESPACE, None, namespace)
    ns = namespace["metadata"]["name"]
    cluster.create(kinds.DEPLOYMENT, ns, _deployment("web", "shop/web:1.0"))
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "type": "Opaque"}
    secret["data"] = {"password": base64.b64encode(PLANTED.encode()).decode(), "short": "eWVz"}
    cluster.create(kinds.SECRET, ns, secret)


def _deployment(name: str, image: str) -> Obj:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": name, "image": image}]}},
        },
    }


@pytest.fixture
def world(admin: Cluster) -> Iterator[Make]:
    """An app with production and a clone `c1` (type `checked`); the test names the checks."""
    app = fresh_app()
    made: list[str] = []

    def make(checks: list[str], *, timeout: str | None = None, production_checks: list[str] | None = None) -> World:
        _type(admin, app, "checked", checks, timeout)
        if production_checks is not None:
            _type(admin, app, "production", production_checks)
        _environment(admin, app, "production", "production")
        _environment(admin, app, "c1", "checked", cloned_from="production")
        made.extend([f"{app}-production", f"{app}-c1"])
        session = Session(admin)
        return World(session, admin, app, session.environment(app, "production"), session.environment(app, "c1"))

    yield make
    for namespace in made:
        with contextlib.suppress(Exception):
            admin.delete(kinds.NAMESPACE, None, namespace)
    for configmap in admin.list(kinds.CONFIGMAP, SYSTEM_NAMESPACE, label_selector=f"hotclone.io/app={app}"):
        with contextlib.suppress(Exception):
            admin.delete(kinds.CONFIGMAP, SYSTEM_NAMESPACE, configmap["metadata"]["name"])


def _check_jobs(cluster: Cluster, namespace: str) -> list[Obj]:
    return cluster.list(kinds.JOB, namespace, label_selector=f"{LABEL_HISTORY}={HISTORY_CHECK}")


def test_a_passing_check_is_recorded_and_current(world: Make) -> None:
    w = world([check("smoke")])
    steps: list[ProgressStep] = []
    result = w.session.verify(w.clone, progress=steps.append)
    assert result.passed and [r.outcome for r in result.results] == ["passed"]
    assert result.user == "admin" and result.fingerprint.startswith("sha256:")
    assert steps[-1].name == "check" and steps[-1].done == steps[-1].total == 1
    job = w.cluster.get(kinds.JOB, w.clone.namespace, result.results[0].job)
    assert job["metadata"]["labels"][LABEL_CHECK] == "smoke"
    assert job["spec"]["template"]["metadata"]["labels"][LABEL_HISTORY] == HISTORY_CHECK
    assert any(c["type"] == "Complete" and c["status"] == "True" for c in job["status"]["conditions"])
    state = w.session.verification(w.env("c1"))
    assert state.current and state.holds and state.checks == ("smoke",), state.why_not
    # The check Job and the record are hotclone's history: never part of the environment.
    assert w.session.diff(w.env("c1"), w.env("production")).same


def test_a_failing_check_shows_its_message_with_secret_values_masked(world: Make) -> None:
    message = f"smoke: GET / answered 500; connecting with password {PLANTED} failed; yes"
    w = world([check("smoke", outcome="fail", message=message)])
    result = w.session.verify(w.clone)
    (failed,) = result.results
    assert not result.passed and failed.outcome == "failed"
    assert failed.detail == "exit code 1"  # the pod's, not the Job controller's "backoff limit"
    assert failed.log_tail == ("smoke: GET / answered 500; connecting with password <secret> failed; yes",)
    record = w.cluster.get(kinds.CONFIGMAP, w.clone.namespace, VERIFICATION_CONFIGMAP)
    assert PLANTED not in json.dumps(record) and "<secret>" in json.dumps(record)
    state = w.session.verification(w.env("c1"))
    assert state.current and not state.holds  # a failed verification of exactly this state


def test_a_hanging_check_times_out_and_its_job_is_deleted(world: Make) -> None:
    w = world([check("slow", outcome="hang"), check("quick")], timeout="3s")
    result = w.session.verify(w.clone)
    outcomes = {r.name: r.outcome for r in result.results}
    assert outcomes == {"slow": "timed out", "quick": "passed"}
    slow = next(r for r in result.results if r.name == "slow")
    assert 3 <= slow.seconds < 8
    quick = next(r.job for r in result.results if r.name == "quick")
    left = [j["metadata"]["name"] for j in _check_jobs(w.cluster, w.clone.namespace) if not _deleting(j)]
    # Two clocks of one length race: the Job's own deadline (the controller stops its pods and marks
    # it Failed, kept for its record) or hotclone's timeout (which deletes the Job). Either is true.
    if slow.detail.startswith("DeadlineExceeded"):
        assert sorted(left) == sorted([quick, slow.job])
    else:
        assert "no result within 3s" in slow.detail and left == [quick]


def _deleting(job: Obj) -> bool:
    return bool(job["metadata"].get("deletionTimestamp"))


def test_a_later_set_image_makes_the_verification_stale(world: Make) -> None:
    w = world([check("smoke")])
    w.session.verify(w.clone)
    assert w.session.verification(w.env("c1")).holds
    set_image_as_previewed(w.cluster, w.env("c1"), [ImageSpec("web", None, "shop/web:1.1")])
    state = w.session.verification(w.env("c1"))
    assert not state.current and not state.holds
    assert state.why_not == "Deployment/web changed since the verification"


def test_a_passed_record_whose_job_was_deleted_is_not_current(world: Make) -> None:
    w = world([check("smoke")])
    result = w.session.verify(w.clone)
    w.cluster.delete(kinds.JOB, w.clone.namespace, result.results[0].job)
    state = w.session.verification(w.env("c1"))
    assert not state.current and state.why_not == f"check Job {result.results[0].job} is gone"


def test_a_forged_record_is_not_current(world: Make) -> None:
    """A failed run, then the record rewritten by hand to say passed: the Job says otherwise."""
    w = world([check("smoke", outcome="fail")])
    w.session.verify(w.clone)
    record = w.cluster.get(kinds.CONFIGMAP, w.clone.namespace, VERIFICATION_CONFIGMAP)
    data = json.loads(record["data"]["verification"])
    data["results"][0].update(outcome="passed", detail="", logTail=[])
    record["data"]["verification"] = json.dumps(data)
    w.cluster.replace(kinds.CONFIGMAP, w.clone.namespace, record)
    state = w.session.verification(w.env("c1"))
    assert state.latest is not None and state.latest.passed  # what the forged record claims
    assert not state.current and not state.holds
    assert state.why_not == f"check Job {data['results'][0]['job']} does not say Complete"
    # A Job of one's own with the recorded name and a made-up uid is not the one that ran.
    data["results"][0]["jobUid"] = "00000000-0000-0000-0000-000000000000"
    record = w.cluster.get(kinds.CONFIGMAP, w.clone.namespace, VERIFICATION_CONFIGMAP)
    record["data"]["verification"] = json.dumps(data)
    w.cluster.replace(kinds.CONFIGMAP, w.clone.namespace, record)
    assert "was replaced" in w.session.verification(w.env("c1")).why_not


def test_a_record_pointing_at_a_job_of_ones_own_is_not_current(world: Make) -> None:
    """A Job labelled as the check that simply exits 0 completes for real, but is no run of the check."""
    w = world([check("smoke", outcome="fail")])
    w.session.verify(w.clone)
    own = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "smoke-forged", "labels": {LABEL_CHECK: "smoke", LABEL_HISTORY: HISTORY_CHECK}},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "smoke", "image": "busybox:1.36", "command": ["true"]}],
                }
            },
        },
    }
    job = w.cluster.create(kinds.JOB, w.clone.namespace, own)
    deadline = time.monotonic() + 20
    while not any(c["type"] == "Complete" for c in (job.get("status") or {}).get("conditions") or []):
        assert time.monotonic() < deadline, job.get("status")
        time.sleep(0.2)
        job = w.cluster.get(kinds.JOB, w.clone.namespace, "smoke-forged")
    record = w.cluster.get(kinds.CONFIGMAP, w.clone.namespace, VERIFICATION_CONFIGMAP)
    data = json.loads(record["data"]["verification"])
    data["results"][0].update(outcome="passed", job="smoke-forged", jobUid=job["metadata"]["uid"])
    record["data"]["verification"] = json.dumps(data)
    w.cluster.replace(kinds.CONFIGMAP, w.clone.namespace, record)
    state = w.session.verification(w.env("c1"))
    assert not state.current
    assert state.why_not == "check Job smoke-forged does not run check smoke as its type defines it"


def test_an_interrupted_run_leaves_no_job_and_no_record(world: Make) -> None:
    w = world([check("smoke", outcome="hang"), check("other", outcome="hang")])

    def interrupt(step: ProgressStep) -> None:
        if step.detail.startswith("started other"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        w.session.verify(w.clone, progress=interrupt)
    assert all(_deleting(j) for j in _check_jobs(w.cluster, w.clone.namespace))
    assert w.session.verification(w.env("c1")).latest is None


def test_production_runs_only_read_only_checks(world: Make) -> None:
    w = world([check("smoke")], production_checks=[check("writes")])
    with pytest.raises(Refused, match="only read-only checks run"):
        w.session.verify(w.production)
    assert _check_jobs(w.cluster, w.production.namespace) == []


def test_compare_runs_the_read_only_checks_in_the_source(world: Make) -> None:
    w = world([check("smoke", read_only=True), check("load-test")])
    result = w.session.verify(w.clone, compare=True)
    assert {r.name for r in result.results} == {"smoke", "load-test"}
    assert [(r.name, r.environment, r.outcome) for r in result.compared] == [("smoke", "production", "passed")]
    assert result.compared_with == "production"
    assert _check_jobs(w.cluster, w.production.namespace) == [] or all(
        _deleting(j) for j in _check_jobs(w.cluster, w.production.namespace)
    )


def test_a_type_without_checks_is_one_line(world: Make, kubeconfig: str) -> None:
    w = world([])
    with pytest.raises(InvalidInput, match="environment type 'checked' defines no checks"):
        w.session.verify(w.clone)
    result = run_cli("verify", w.app, "c1", kubeconfig=kubeconfig)
    assert result.code == 2 and result.err.strip() == "hotclone: error: environment type 'checked' defines no checks"


def test_the_demo_smoke_check_fails_on_the_incident_and_passes_on_the_fix(seeded: Seeded) -> None:
    session = seeded.session
    session.clone(seeded.env("production"), "hotfix-ko")
    clone = seeded.env("hotfix-ko")
    result = session.verify(clone, compare=True)
    assert [(r.name, r.outcome) for r in result.results] == [("smoke", "failed")]
    assert result.results[0].log_tail == ("smoke: Hangul renders as mojibake",)
    set_image_as_previewed(seeded.cluster, clone, [ImageSpec("web", None, f"{seeded.app}/web:1.9.4")])
    result = session.verify(seeded.env("hotfix-ko"), compare=True)
    assert [(r.name, r.outcome) for r in result.results] == [("smoke", "passed")]
    assert [(r.environment, r.outcome) for r in result.compared] == [("production", "failed")]
    assert session.verification(seeded.env("hotfix-ko")).holds


def test_cli_verify_prints_one_line_per_check(world: Make, kubeconfig: str) -> None:
    w = world([check("smoke"), check("broken", outcome="fail", message="it broke")])
    result = run_cli("verify", w.app, "c1", kubeconfig=kubeconfig)
    assert result.code == 1, result.text
    lines = result.out.splitlines()
    assert any(line.startswith("broken: failed in ") and line.endswith("s (exit code 1)") for line in lines)
    assert "    it broke" in lines
    assert any(line.startswith("smoke: passed in ") for line in lines)
    assert lines[-1].startswith("verification failed: 1 of 2 checks passed")
    as_json = run_cli("verify", w.app, "c1", "--json", kubeconfig=kubeconfig)
    assert as_json.code == 1
    data = json.loads(as_json.out)
    assert {r["name"]: r["outcome"] for r in data["results"]} == {"smoke": "passed", "broken": "failed"}


def test_the_jobs_own_deadline_is_timed_out(world: Make) -> None:
    hang = check("slow", outcome="hang").replace(
        "spec:\n  template:", "spec:\n  activeDeadlineSeconds: 1\n  template:", 1
    )
    w = world([hang])
    (result,) = w.session.verify(w.clone).results
    assert result.outcome == "timed out" and result.detail.startswith("DeadlineExceeded")


def test_a_check_changed_or_added_since_makes_it_stale(world: Make) -> None:
    w = world([check("smoke")])
    w.session.verify(w.clone)
    assert w.session.verification(w.env("c1")).holds
    name = f"environment-type-{w.app}-checked"
    configmap = w.cluster.get(kinds.CONFIGMAP, SYSTEM_NAMESPACE, name)
    configmap["data"]["checks"] = check("smoke", image="busybox:1.37")
    w.cluster.replace(kinds.CONFIGMAP, SYSTEM_NAMESPACE, configmap)
    assert w.session.verification(w.env("c1")).why_not == "check smoke changed since the verification"
    configmap = w.cluster.get(kinds.CONFIGMAP, SYSTEM_NAMESPACE, name)
    configmap["data"]["checks"] = check("smoke") + "---\n" + check("extra")
    w.cluster.replace(kinds.CONFIGMAP, SYSTEM_NAMESPACE, configmap)
    assert w.session.verification(w.env("c1")).why_not == "check extra did not run in this verification"


def test_a_user_who_may_not_create_jobs_is_refused_in_one_line(world: Make, kubeconfig: str) -> None:
    w = world([check("smoke")])
    result = run_cli("verify", w.app, "c1", kubeconfig=kubeconfig, context=RESTRICTED_CONTEXT)
    assert result.code == 2 and result.err.count("\n") == 1 and "forbidden" in result.err.lower(), result.err
    assert _check_jobs(w.cluster, w.clone.namespace) == []
    assert w.session.verification(w.env("c1")).latest is None


def test_production_lists_the_checks_it_skips(world: Make, kubeconfig: str) -> None:
    checks = [check("reads", read_only=True), check("writes")]
    w = world([check("smoke", read_only=True), check("load-test")], production_checks=checks)
    result = run_cli("verify", w.app, "production", kubeconfig=kubeconfig)
    assert result.code == 0, result.text
    lines = result.out.splitlines()
    assert lines[0].startswith("reads: passed in ")
    assert lines[1] == "writes: skipped (production runs only read-only checks)"
    compared = run_cli("verify", w.app, "c1", "--compare", kubeconfig=kubeconfig)
    assert compared.code == 0, compared.text
    lines = compared.out.splitlines()
    at = lines.index("compared with production:")
    assert lines[at + 1].startswith("  smoke: passed in ")
    assert lines[at + 2] == "  load-test: skipped (production runs only read-only checks)"
    assert lines[-1].startswith("verification passed: 2 of 2 checks passed")
