"""Environments in more than one cluster (issue 14), on two real local control planes.

Plane A is the test session's; plane B is this module's own (it is killed once). One
kubeconfig holds both (tests/multicluster.py). A fresh TopicShare app is seeded into A, with
two environment types of its own there that place new environments in B: `remote-temp`
(B's admin) and `remote-restricted` (B's view-only user). Every test reads both clusters back
with its own connections, never trusting what hotclone returned.
"""

from __future__ import annotations

import base64
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from hotclone.core import demo, history, kinds
from hotclone.core.clone import refusal
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.demo.controlplane import ControlPlane
from hotclone.core.demo.seeding import seed_crds
from hotclone.core.envtypes import type_configmap
from hotclone.core.errors import Forbidden, HotcloneError, Interrupted, InvalidInput, NotFound, Refused
from hotclone.core.images import parse_spec
from hotclone.core.models import Action, ProgressStep
from hotclone.core.schema import SYSTEM_NAMESPACE
from hotclone.core.session import Session
from tests.conftest import fresh_app
from tests.helpers import install_crd, namespace_objects, run_cli
from tests.multicluster import (
    A_AGAIN,
    B_RESTRICTED,
    DEAD,
    DEAD_2,
    A,
    B,
    gone_or_terminating,
    labelled_namespace,
    namespace_or_none,
    wait_gone,
    write_kubeconfig,
)

# The demo's own `temporary` templates (a db Secret naming the clone's own postgres, its
# environment ConfigMap, a postgres StatefulSet and Service, an Ingress): a real type's templates.
TEMPLATES = (Path(demo.__file__).resolve().parent / "types" / "temporary.yaml").read_text()
REMOTE = "remote-temp"
REMOTE_RESTRICTED = "remote-restricted"


@dataclass
class Two:
    path: str  # the kubeconfig holding both planes
    plane_b: ControlPlane
    a: Cluster  # plane A's admin (the test session's connection)
    b: Cluster  # plane B's admin
    app: str
    a_server: str

    def ns(self, env: str) -> str:
        return f"{self.app}-{env}"

    @contextlib.contextmanager
    def session(self, *contexts: str) -> Iterator[Session]:
        session = Session.connect(self.path, contexts=list(contexts))
        try:
            yield session
        finally:
            session.close()

    def cli(self, *argv: str, contexts: tuple[str, ...] = (A, B)) -> tuple[int, str, str]:
        flags = [item for context in contexts for item in ("--context", context)]
        result = run_cli("--kubeconfig", self.path, *flags, *argv)
        return result.code, result.out, result.err

    def image(self, cluster: Cluster, env: str, name: str = "web") -> str:
        obj = cluster.get(kinds.DEPLOYMENT, self.ns(env), name)
        return str(obj["spec"]["template"]["spec"]["containers"][0]["image"])

    def setting(self, cluster: Cluster, env: str, key: str) -> str | None:
        data = cluster.get(kinds.CONFIGMAP, self.ns(env), "app-settings").get("data") or {}
        return data.get(key)

    def app_namespaces(self, cluster: Cluster) -> set[str]:
        found = cluster.list(kinds.NAMESPACE, label_selector=f"hotclone.io/app={self.app}")
        return {n["metadata"]["name"] for n in found if not n["metadata"].get("deletionTimestamp")}

    def versions(self, env: str) -> dict[str, Obj]:
        """Every object of `env` in A without its status: equal before and after = untouched
        (controllers write workloads' and autoscalers' status all the time)."""
        return {ref: _content(o) for ref, o in namespace_objects(self.a, self.ns(env)).items()}


@pytest.fixture(scope="module")
def two(plane: ControlPlane, admin: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Two]:
    plane_b = ControlPlane.start()
    b: Cluster | None = None
    app = fresh_app()
    try:
        path = write_kubeconfig(plane, plane_b, tmp_path_factory.mktemp("multicluster") / "kubeconfig")
        b = Cluster.connect(str(path), B)
        seed_crds(b)  # production's Certificate is served in B too (a missing kind is test 3's own)
        demo.seed(admin, app)
        for name, context in ((REMOTE, B), (REMOTE_RESTRICTED, B_RESTRICTED)):
            admin.create(
                kinds.CONFIGMAP, SYSTEM_NAMESPACE, type_configmap(name, TEMPLATES, "24h", app=app, cluster=context)
            )
        yield Two(str(path), plane_b, admin, b, app, plane.server)
    finally:
        for namespace in admin.list(kinds.NAMESPACE, label_selector=f"hotclone.io/app={app}"):
            with contextlib.suppress(HotcloneError):
                admin.delete(kinds.NAMESPACE, None, namespace["metadata"]["name"])
        for configmap in admin.list(kinds.CONFIGMAP, SYSTEM_NAMESPACE, label_selector=f"hotclone.io/app={app}"):
            with contextlib.suppress(HotcloneError):
                admin.delete(kinds.CONFIGMAP, SYSTEM_NAMESPACE, configmap["metadata"]["name"])
        if b is not None:
            b.close()
        plane_b.stop()


def _content(obj: Obj) -> Obj:
    meta = obj["metadata"]
    kept = {key: meta.get(key) for key in ("name", "labels")}
    # The deployment controller writes its revision annotation on its own, maybe only after `before`.
    annotations = meta.get("annotations") or {}
    written = {k: v for k, v in annotations.items() if not k.startswith("deployment.kubernetes.io/")}
    kept["annotations"] = written or None
    return {key: value for key, value in obj.items() if key not in ("status", "metadata")} | {"metadata": kept}


def _secret(obj: Obj, key: str) -> str:
    return base64.b64decode(obj["data"][key]).decode()


# -- 1. clone production in A into B -------------------------------------------------------------


def test_clone_into_another_cluster_creates_everything_there_and_nothing_here(two: Two) -> None:
    upstreams = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mc-upstreams"}}
    upstreams["data"] = {"KAFKA": "kafka.shared.svc:9092"}  # another namespace's Service: B's DNS has its own
    two.a.create(kinds.CONFIGMAP, two.ns("production"), upstreams)
    before = two.versions("production")
    with two.session(A, B) as session:
        production = session.environment(two.app, "production")
        assert production.cluster == A
        plan = session.plan_clone(production, "hotfix", env_type=REMOTE)
        assert any("ConfigMap/mc-upstreams" in w and "kafka in namespace shared" in w for w in plan.warnings), plan
        assert (plan.cluster, plan.source_cluster, plan.cross_cluster) == (B, A, True)
        assert not plan.missing_kinds and not plan.refused, plan
        result = session.clone(production, "hotfix", env_type=REMOTE)
        assert result.environment.cluster == B

        namespace = two.b.get(kinds.NAMESPACE, None, two.ns("hotfix"))
        labels, annotations = namespace["metadata"]["labels"], namespace["metadata"]["annotations"]
        assert labels == {
            "hotclone.io/app": two.app,
            "hotclone.io/env": "hotfix",
            "hotclone.io/env-type": REMOTE,
        } | {k: v for k, v in labels.items() if k.startswith("kubernetes.io/")}
        assert annotations["hotclone.io/cloned-from"] == "production"
        assert annotations["hotclone.io/cloned-from-context"] == A
        assert annotations["hotclone.io/cloned-from-server"] == two.a_server
        assert "hotclone.io/state" not in annotations  # complete
        assert namespace_or_none(two.a, two.ns("hotfix")) is None  # nothing in the source's cluster
        assert two.versions("production") == before

        in_b = namespace_objects(two.b, two.ns("hotfix"))
        assert set(plan.copies) <= set(in_b) and set(plan.generated) <= set(in_b)
        assert "Certificate.cert-manager.io/web" in plan.copies  # a custom resource B serves too
        # Material copies, their namespace references rewritten to the clone's.
        assert two.setting(two.b, "hotfix", "API_URL") == f"http://api.{two.ns('hotfix')}.svc:8080"
        assert two.image(two.b, "hotfix") == two.image(two.a, "production")
        # Environment-scoped objects made there from the type's templates, not copied from production.
        db = in_b["Secret/db-credentials"]
        assert _secret(db, "host") == f"postgres.{two.ns('hotfix')}.svc.cluster.local"
        production_db = two.a.get(kinds.SECRET, two.ns("production"), "db-credentials")
        assert _secret(db, "password") != _secret(production_db, "password")
        assert {"StatefulSet/postgres", "Service/postgres", "ConfigMap/environment"} <= set(in_b)
        assert in_b["ConfigMap/environment"]["data"]["ENVIRONMENT"] == "hotfix"

        hotfix = session.environment(two.app, "hotfix")
        entries = history.entries(two.b, hotfix)
        assert [(e.action, e.state, e.user) for e in entries] == [("clone", "complete", "admin")]
        assert f"in context {A}" in entries[0].summary[0]
        assert [e.action for e in session.history(hotfix)] == ["clone"]
        listed = {e.address for e in session.environments(two.app)}
        assert {"production@plane-a", "qa@plane-a", "development@plane-a", "hotfix@plane-b"} <= listed


# -- 2. the whole story across clusters ----------------------------------------------------------


def test_set_image_in_b_diff_across_promote_into_a_three_way_rollback_destroy(two: Two) -> None:
    old = two.image(two.a, "production")
    fixed = f"{two.app}/web:1.9.4"
    with two.session(A, B) as session:
        production = session.environment(two.app, "production")
        session.clone(production, "story", env_type=REMOTE)
        story = session.environment(two.app, "story")
        assert story.cluster == B

        specs = [parse_spec(f"web={fixed}")]
        shown, _ = session.plan_set_image(story, specs)
        session.set_image(story, specs, seen=shown, reason="INC-14 Hangul")
        assert two.image(two.b, "story") == fixed
        assert two.image(two.a, "production") == old

        diff = session.diff(production, story)
        assert [(o.ref, o.status) for o in diff.changed] == [("Deployment/web", "changed")], diff.changed
        assert [c.describe() for c in diff.changed[0].changes] == [f"containers[web].image: {old} -> {fixed}"]

        # Someone changes production after the clone: a three-way promote keeps it.
        settings = two.a.get(kinds.CONFIGMAP, two.ns("production"), "app-settings")
        settings["data"]["LOG_LEVEL"] = "debug"
        two.a.replace(kinds.CONFIGMAP, two.ns("production"), settings)

        gone = rf"cloned from production in cluster .*: add --context {A}$"
        with two.session(B) as only_b, pytest.raises(NotFound, match=gone):  # A is never connected behind one's back
            only_b.plan_promote(only_b.environment(two.app, "story"))
        plan = session.plan_promote(story)  # no target: the source it was cloned from, in A
        assert (plan.target.name, plan.target.cluster, plan.source_cluster) == ("production", A, B)
        assert not plan.conflicts
        assert {o.ref for o in plan.diff.changed} == {"Deployment/web"}  # LOG_LEVEL is not taken back
        session.apply(plan, confirm="production", reason="INC-14 cross-cluster")
        assert two.image(two.a, "production") == fixed
        assert two.setting(two.a, "production", "LOG_LEVEL") == "debug"
        assert namespace_or_none(two.a, two.ns("story")) is None

        entries = history.entries(two.a, session.environment(two.app, "production"))
        promoted = entries[-1]
        assert (promoted.action, promoted.user, promoted.reason, promoted.state) == (
            "promote",
            "admin",
            "INC-14 cross-cluster",
            "complete",
        )

        rollback = session.plan_rollback(session.environment(two.app, "production"), promoted.revision)
        session.apply(rollback, confirm="production", reason="undo INC-14")
        assert two.image(two.a, "production") == old
        assert two.setting(two.a, "production", "LOG_LEVEL") == "debug"  # it was so before the promote
        assert [e.action for e in session.history(session.environment(two.app, "production"))][-2:] == [
            "promote",
            "rollback",
        ]

        session.destroy(session.environment(two.app, "story"))
        assert gone_or_terminating(two.b, two.ns("story"))
        assert two.ns("production") in two.app_namespaces(two.a)


# -- 3. a kind the target does not serve ----------------------------------------------------------


def test_a_kind_missing_in_the_target_cluster_refuses_the_clone(two: Two) -> None:
    group = f"{two.app}.hotclone.test"
    widgets = install_crd(two.a, group, "Widget")  # in A only
    body = {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": {"size": 3}}
    two.a.create(widgets, two.ns("production"), body)
    try:
        with two.session(A, B) as session:
            production = session.environment(two.app, "production")
            plan = session.plan_clone(production, "widgets", env_type=REMOTE)
            assert plan.refused
            assert [k.object for k in plan.missing_kinds] == [f"{group}/v1 Widget"]
            assert "Widget/w1" in plan.missing_kinds[0].reason or "w1" in plan.missing_kinds[0].reason
            message = refusal(plan)
            assert "Widget" in message and B in message and "\n" not in message
            with pytest.raises(Refused, match="Widget"):
                session.clone(production, "widgets", env_type=REMOTE)
        code, _out, err = two.cli("clone", two.app, "production", "widgets", "--type", REMOTE, "--dry-run")
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        assert f"context {B} does not serve" in err and "Widget" in err, err
        assert namespace_or_none(two.b, two.ns("widgets")) is None
        assert namespace_or_none(two.a, two.ns("widgets")) is None
    finally:
        two.a.delete(widgets, two.ns("production"), "w1")
        two.a.delete(kinds.CRD, None, f"widgets.{group}")


# -- 4. an interrupted cross-cluster clone --------------------------------------------------------


def test_an_interrupted_clone_into_b_leaves_nothing_in_either_cluster(two: Two) -> None:
    before, namespaces = two.versions("production"), two.app_namespaces(two.a)
    seen: list[int] = []

    def stop(step: ProgressStep) -> None:
        if step.name == "objects" and step.done >= 5:
            seen.append(len(namespace_objects(two.b, two.ns("cut"))))
            raise KeyboardInterrupt

    with two.session(A, B) as session, pytest.raises(Interrupted) as stopped:
        session.clone(session.environment(two.app, "production"), "cut", env_type=REMOTE, progress=stop)
    message = str(stopped.value)
    assert "clone stopped (interrupted)" in message and "read back" in message and "\n" not in message
    assert seen and seen[0] >= 5, "the interruption came before anything was created in B"
    assert gone_or_terminating(two.b, two.ns("cut"))
    assert namespace_or_none(two.a, two.ns("cut")) is None
    assert two.versions("production") == before and two.app_namespaces(two.a) == namespaces
    wait_gone(two.b, two.ns("cut"))


def test_b_killed_mid_clone_ends_in_one_line_and_gc_removes_what_is_left(
    two: Two, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = two.versions("production")
    killed: list[int] = []

    def kill(step: ProgressStep) -> None:
        if step.name == "objects" and not killed:
            killed.append(step.done)
            two.plane_b.kill("kube-apiserver")

    try:
        with two.session(A, B) as session, pytest.raises(HotcloneError) as failed:
            session.clone(session.environment(two.app, "production"), "crash", env_type=REMOTE, progress=kill)
    finally:
        if killed:
            two.plane_b.restart("kube-apiserver")
    assert killed, "the clone never reached its objects"
    message = str(failed.value)
    assert "clone stopped" in message and "\n" not in message, message
    assert "incomplete" in message and "gc" in message, message  # B could not be asked to delete it
    assert namespace_or_none(two.a, two.ns("crash")) is None
    assert two.versions("production") == before

    # B was down when the clone tried to remove its namespace: it is there, marked incomplete.
    left = namespace_or_none(two.b, two.ns("crash"))
    assert left is not None and left["metadata"]["annotations"]["hotclone.io/state"] == "creating"
    with two.session(B) as session:
        crash = session.environment(two.app, "crash")
        assert crash.incomplete and crash.cluster == B
        assert session.gc() == []  # within the grace an interrupted clone gets (it may still be running)
        later = session.now() + timedelta(minutes=16)
        monkeypatch.setattr(session, "now", lambda: later)
        assert [e.name for e in session.gc()] == ["crash"]
    assert gone_or_terminating(two.b, two.ns("crash"))


# -- 5. a cluster that cannot be reached -----------------------------------------------------------


def test_one_cluster_down_lists_the_others_and_says_which(two: Two) -> None:
    with two.session(A, DEAD) as session:
        apps = {a.name: a for a in session.applications()}
        assert {e.address for e in apps[two.app].environments} >= {"production@plane-a", "qa@plane-a"}
        statuses = {s.context: s for s in session.clusters()}
        assert [s.context for s in session.clusters()] == [A, DEAD]
        assert statuses[A].state == "ok" and statuses[A].ok
        dead = statuses[DEAD]
        assert dead.state == "unreachable" and not dead.ok
        assert dead.error.startswith(f"context {DEAD}: ") and "\n" not in dead.error

    with two.session(A, DEAD) as session:  # the dashboard's view: watches in every cluster
        live = session.live(lambda change: None)
        try:
            deadline = time.monotonic() + 30
            watched = {c.context: c for c in live.clusters}
            while time.monotonic() < deadline and not (watched[A].ok and watched[DEAD].state == "unreachable"):
                time.sleep(0.1)
                watched = {c.context: c for c in live.clusters}
            assert watched[A].ok, watched
            assert watched[DEAD].state == "unreachable"
            assert watched[DEAD].error and "\n" not in watched[DEAD].error, watched
            assert live.state == "live"  # one cluster down does not hold the other back
            listed = next(a for a in live.applications() if a.name == two.app)
            assert {e.cluster for e in listed.environments} == {A}
        finally:
            live.stop()

    code, out, err = two.cli("apps", contexts=(A, DEAD))
    assert code == 0, err
    assert two.app in out and "production@plane-a" in out
    warnings = [line for line in err.splitlines() if line.startswith("hotclone: warning:")]
    assert len(warnings) == 1 and f"context {DEAD}" in warnings[0], err

    code, out, err = two.cli("envs", two.app, contexts=(A, DEAD))
    assert code == 0, err
    header = out.splitlines()[0].split()
    assert header[:3] == ["ENV", "CONTEXT", "TYPE"], out
    assert any(line.split()[:2] == ["production", A] for line in out.splitlines()), out
    assert f"context {DEAD}" in err

    code, out, err = two.cli("apps", contexts=(DEAD, DEAD_2))
    assert code == 2 and not out
    assert len(err.strip().splitlines()) == 1 and err.startswith("hotclone: error:"), err


# -- 6. the same name in two clusters --------------------------------------------------------------


def test_the_same_environment_name_in_two_clusters_is_named_with_its_context(two: Two) -> None:
    two.b.create(kinds.NAMESPACE, None, labelled_namespace(two.app, "qa", "qa"))
    try:
        with two.session(A, B) as session:
            with pytest.raises(InvalidInput) as ambiguous:
                session.environment(two.app, "qa")
            message = str(ambiguous.value)
            assert "qa@plane-a, qa@plane-b" in message and "\n" not in message
            in_b = session.environment(two.app, "qa@plane-b")
            assert (in_b.cluster, in_b.namespace) == (B, two.ns("qa"))
            assert session.environment(two.app, "qa@plane-a").cluster == A

        code, out, err = two.cli("history", two.app, "qa")
        assert code == 2 and len(err.strip().splitlines()) == 1 and "qa@plane-a, qa@plane-b" in err, err
        code, out, err = two.cli("envs", two.app)
        assert code == 0, err
        assert {tuple(line.split()[:2]) for line in out.splitlines()} >= {("qa", A), ("qa", B)}
    finally:
        two.b.delete(kinds.NAMESPACE, None, two.ns("qa"))
        wait_gone(two.b, two.ns("qa"))

    with pytest.raises(InvalidInput, match="both reach") as twice:
        Session.connect(two.path, contexts=[A, A_AGAIN])
    assert "\n" not in str(twice.value)
    code, out, err = two.cli("apps", contexts=(A, A_AGAIN))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "both reach" in err, err


def test_the_version_matrix_tells_the_same_name_in_two_clusters_apart(two: Two) -> None:
    two.b.create(kinds.NAMESPACE, None, labelled_namespace(two.app, "qa", "qa"))
    try:
        with two.session(A, B) as session:
            columns = [c for c in session.version_matrix(two.app).environments if c.startswith("qa")]
            assert columns == [f"qa@{A}", f"qa@{B}"], columns
    finally:
        two.b.delete(kinds.NAMESPACE, None, two.ns("qa"))
        wait_gone(two.b, two.ns("qa"))


# -- 7. each cluster's own identity and RBAC -------------------------------------------------------


def test_permissions_are_asked_of_each_cluster_as_its_own_user(two: Two) -> None:
    two.b.create(kinds.NAMESPACE, None, labelled_namespace(two.app, "perm", "development"))
    try:
        with two.session(A, B_RESTRICTED) as session:
            in_b = session.environment(two.app, "perm")
            assert in_b.cluster == B_RESTRICTED
            allowed_b, reason = session.allowed(Action.SET_IMAGE, in_b)
            assert not allowed_b and reason
            allowed_a, _ = session.allowed(Action.SET_IMAGE, session.environment(two.app, "development"))
            assert allowed_a
            statuses = {s.context: s for s in session.clusters()}
            assert set(statuses) == {A, B_RESTRICTED}

            production = session.environment(two.app, "production")
            plan = session.plan_clone(production, "denied", env_type=REMOTE_RESTRICTED)  # reading is allowed
            assert (plan.cluster, plan.cross_cluster, plan.refused) == (B_RESTRICTED, True, False)
            before = two.versions("production")
            with pytest.raises(Forbidden) as refused:
                session.clone(production, "denied", env_type=REMOTE_RESTRICTED)
            assert "\n" not in str(refused.value)
        assert namespace_or_none(two.b, two.ns("denied")) is None
        assert namespace_or_none(two.a, two.ns("denied")) is None
        assert two.versions("production") == before
    finally:
        two.b.delete(kinds.NAMESPACE, None, two.ns("perm"))


# -- 8. the story from the command line ------------------------------------------------------------


def test_the_cross_cluster_story_from_the_command_line(two: Two) -> None:
    app = two.app
    old = two.image(two.a, "production")
    fixed = f"{app}/web:1.9.5"

    code, out, err = two.cli("clone", app, "production", "clifix", "--type", REMOTE, "--dry-run")
    assert code == 0, err
    assert f"  into context {B} (the source is in context {A})" in out.splitlines(), out
    assert namespace_or_none(two.b, two.ns("clifix")) is None

    code, out, err = two.cli("clone", app, "production", "clifix", "--type", REMOTE, "--yes")
    assert code == 0, err
    assert f"cloned {app}/production -> {app}/clifix" in out, out
    assert namespace_or_none(two.b, two.ns("clifix")) is not None
    assert namespace_or_none(two.a, two.ns("clifix")) is None

    code, out, err = two.cli("clone", app, "production", "clifix", "--type", REMOTE, "--yes")
    assert code == 2 and f"already exists in context {B}" in err, err

    code, out, err = two.cli("apps")
    assert code == 0 and "clifix@plane-b" in out and "production@plane-a" in out, out + err
    code, out, err = two.cli("envs", app)
    assert code == 0 and any(line.split()[:2] == ["clifix", B] for line in out.splitlines()), out
    assert "production@plane-a" in out  # cloned-from names its context

    code, out, err = two.cli("set-image", app, "clifix", f"web={fixed}", "--yes")
    assert code == 0, err
    assert "updated 1 container(s)" in out
    assert two.image(two.b, "clifix") == fixed and two.image(two.a, "production") == old

    code, out, err = two.cli("diff", app, "production", "clifix")
    assert code == 1, err
    assert f"Deployment/web containers[web].image: {old} -> {fixed}" in out, out

    code, out, err = two.cli("promote", app, "clifix", "production@plane-a", "--dry-run")
    assert code == 0 and f"-> {app}/production@{A} (PRODUCTION)" in out, out + err
    assert two.image(two.a, "production") == old

    code, out, err = two.cli(
        "promote", app, "clifix", "--yes", "--confirm", "production", "--reason", "INC-CLI", "--no-wait"
    )
    assert code == 0, err
    assert f"promote {app}/clifix@{B} -> {app}/production@{A} (PRODUCTION)" in out, out
    assert f"promote applied to {app}/production" in out, out
    assert two.image(two.a, "production") == fixed

    code, out, err = two.cli("history", app, "production")
    assert code == 0, err
    last = out.strip().splitlines()[-1]
    assert "promote" in last and "admin" in last and "INC-CLI" in last, out

    code, out, err = two.cli("diff", app, "production", "clifix")
    assert code == 0, out + err

    code, out, err = two.cli("whoami")
    assert code == 0 and out.startswith(f"context {A}\n") and B in out, out

    code, out, err = two.cli("destroy", app, "clifix", "--yes")
    assert code == 0, err
    assert gone_or_terminating(two.b, two.ns("clifix"))
    assert two.ns("production") in two.app_namespaces(two.a)


# -- 9. the dashboard on both planes, then with B down ---------------------------------------------


async def test_the_dashboard_clones_into_b_and_keeps_a_usable_while_b_is_down(two: Two) -> None:
    """The real app over the real Session: a clone into B from the clone dialog, each row marked with
    its context; B's API server killed: a marked line says so, A's environments stay listed and
    their workloads load; B back: the line goes."""
    from textual.widgets import Input, Select, Static

    from hotclone.tui.app import HotcloneApp
    from tests.tui.conftest import focus_env, settle, until

    session = Session.connect(two.path, contexts=[A, B])
    app = HotcloneApp(lambda: session, refresh_interval=3600, poll_interval=0.5, cursor_blink=False)

    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await focus_env(pilot, f"{two.app}/production")
            await pilot.press("c")
            await settle(pilot)
            app.screen.query_one("#clone-name", Input).value = "dash"
            await until(
                pilot, lambda: app.screen.query_one("#clone-type", Select).value is not Select.NULL, "types", rounds=300
            )
            app.screen.query_one("#clone-type", Select).value = REMOTE
            await until(
                pilot,
                lambda: "into context plane-b" in str(app.screen.query_one("#clone-plan-lines").render()),
                "plan",
                rounds=300,
            )
            await pilot.press("ctrl+s")
            await until(
                pilot,
                lambda: app.focused_env is not None and app.focused_env.name == "dash",
                "the clone focused",
                rounds=300,
            )
            assert app.focused_env is not None and app.focused_env.cluster == B
            assert namespace_or_none(two.b, two.ns("dash")) is not None  # read back: in B
            assert namespace_or_none(two.a, two.ns("dash")) is None  # and not in A
            main = app.main_screen
            assert f"context {B}" in str(main.query_one("#env-title", Static).render())

            two.plane_b.kill()
            try:
                warning = main.query_one("#cluster-warnings", Static)
                await until(
                    pilot,
                    lambda: bool(warning.display) and "plane-b" in str(warning.render()),
                    "B said down",
                    rounds=300,
                )
                await focus_env(pilot, f"{two.app}/production")
                await until(pilot, lambda: bool(main.workloads), "A's workloads", rounds=300)
                assert app.focused_env is not None and app.focused_env.cluster == A
            finally:
                two.plane_b.restart()
            await until(pilot, lambda: not main.query_one("#cluster-warnings", Static).display, "B back", rounds=600)
    finally:
        session.close()
        with contextlib.suppress(HotcloneError):
            two.b.delete(kinds.NAMESPACE, None, two.ns("dash"))


def test_a_context_whose_credential_plugin_fails_is_shown_unreachable_and_the_others_listed(
    two: Two, tmp_path: Path
) -> None:
    config = yaml.safe_load(Path(two.path).read_text())
    plugin = {"apiVersion": "client.authentication.k8s.io/v1", "command": "false", "interactiveMode": "Never"}
    config["users"].append({"name": "broken", "user": {"exec": plugin}})
    config["contexts"].append({"name": "broken", "context": {"cluster": "cluster-b", "user": "broken"}})
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    session = Session.connect(str(path), contexts=[A, "broken"])
    try:
        assert two.app in {a.name for a in session.applications()}
        statuses = {s.context: s for s in session.clusters()}
        assert statuses[A].ok and statuses["broken"].state == "unreachable"
        assert "credential plugin" in statuses["broken"].error and "\n" not in statuses["broken"].error
    finally:
        session.close()
    result = run_cli("--kubeconfig", str(path), "--context", A, "--context", "broken", "apps")
    assert result.code == 0 and two.app in result.out
    assert "warning: context broken" in result.err and len(result.err.strip().splitlines()) == 1, result.err
    typo = run_cli("--kubeconfig", str(path), "--context", A, "--context", "brokn", "apps")
    assert typo.code == 2 and "context 'brokn' not found" in typo.err  # a misspelt context is still an error
