"""One table of behaviours, run against the dashboard tests' FakeSession and the real Session.

The real one runs on the local control plane, on a freshly seeded demo app; the fake
seeds the same app (same name, same demo objects, without its hotfix story). Each row
names what both must answer: a value, or the error class and its exact message. When
core changes a rule or a message, the row fails for whichever implementation drifted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from hotclone.core import envtypes, kinds, validation
from hotclone.core.contract import SessionContract
from hotclone.core.demo import seeding
from hotclone.core.diff import summary_lines
from hotclone.core.errors import HotcloneError
from hotclone.core.models import Action, BlastRadius, Environment, ImageChange, ImageSpec, Restart
from hotclone.core.schema import MAX_REASON, SYSTEM_NAMESPACE
from tests.conftest import fresh_app
from tests.tui.fake_session import FakeSession

Run = Callable[[SessionContract, str], object]  # (session, app) -> what it answered
Expect = Callable[[str], object]  # app -> what it must answer

KNOWN = "production, qa, development"
DEMO_TYPES = ("development", "production", "qa", "temporary")


def outcome(run: Run, session: SessionContract, app: str) -> object:
    """The answer, or the error as (class name, message): errors are part of the contract."""
    try:
        return run(session, app)
    except HotcloneError as error:
        return type(error).__name__, str(error)


# -- rows that need more than one call ---------------------------------------------------------------
def _set_image(session: SessionContract, env: Environment, image: str, reason: str = "") -> list[ImageChange]:
    """As the front ends do it: preview, then apply what the preview showed."""
    specs = [ImageSpec("web", None, image)]
    return session.set_image(env, specs, seen=session.plan_set_image(env, specs)[0], reason=reason)


def _history_after_two_changes(session: SessionContract, app: str) -> object:
    development = session.environment(app, "development")
    _set_image(session, development, f"{app}/web:2.1.1", "first")
    values = {"LOG_LEVEL": "debug"}
    seen = session.plan_set_config(development, "app-settings", values)[0]
    session.set_config(development, "app-settings", values, seen=seen, reason="second")
    return [(e.revision, e.action, e.summary, e.reason, e.state) for e in session.history(development)]


def _stale_preview(session: SessionContract, app: str) -> object:
    """A colleague changes the image between the preview and the apply: nothing is written."""
    development = session.environment(app, "development")
    specs = [ImageSpec("web", None, f"{app}/web:2.1.1")]
    shown = session.plan_set_image(development, specs)[0]
    _set_image(session, development, f"{app}/web:2.1.0-hotfix")
    refused = outcome(lambda s, _app: s.set_image(development, specs, seen=shown), session, app)
    return refused, [c.image for w in session.workloads(development) if w.name == "web" for c in w.containers]


def _reason_too_long(session: SessionContract, app: str) -> object:
    return _set_image(session, session.environment(app, "development"), f"{app}/web:2.1.1", "x" * 5000)


def _clone_is_identical(session: SessionContract, app: str) -> object:
    production = session.environment(app, "production")
    result = session.clone(production, "copy")
    diff = session.diff(production, result.environment)
    entries = [(e.revision, e.action, e.summary) for e in session.history(result.environment)]
    findings = sorted(f.describe() for f in result.findings)
    return diff.same, result.environment.cloned_from, result.generated, findings, entries


def _promote_needs_the_typed_name(session: SessionContract, app: str) -> object:
    copy = session.clone(session.environment(app, "production"), "copy").environment
    _set_image(session, copy, f"{app}/web:1.9.4")
    plan = session.plan_promote(copy)
    shown = summary_lines(plan.diff), plan.restarts, plan.conflicts, plan.diff.left, plan.diff.right
    return shown, outcome(lambda s, _app: s.apply(plan, confirm="prod"), session, app)


def _promote_needs_a_reason(session: SessionContract, app: str) -> object:
    """Both compute the same blast radius, and both refuse a production promote without a reason."""
    copy = session.clone(session.environment(app, "production"), "copy").environment
    _set_image(session, copy, f"{app}/web:1.9.4")
    plan = session.plan_promote(copy)
    refused = outcome(lambda s, _app: s.apply(plan, confirm="production", reason="  "), session, app)
    production = session.environment(app, "production")
    return plan.blast_radius, refused, [e.action for e in session.history(production)]


TEMPORARY_TEMPLATES = (
    "ConfigMap/environment",
    "Secret/db-credentials",
    "Service/postgres",
    "StatefulSet/postgres",
    "Ingress/web",
)
_MADE_BY_THE_CLUSTER = (
    "published into every namespace",
    "made in every namespace",
    "kept by the endpoints",
    "made by its controller",
)


def _clone_plan(session: SessionContract, app: str) -> object:
    """Both plan the same clone: what is copied, made, adjusted and skipped, and why (read-only mode allows it)."""
    session.read_only = True
    plan = session.plan_clone(session.environment(app, "production"), "copy")
    # What the controllers publish into a namespace appears a moment after seeding: not compared.
    skipped = [s.describe() for s in plan.skipped if not s.reason.startswith(_MADE_BY_THE_CLUSTER)]
    adjusted = [a.describe() for a in plan.adjustments]
    findings = sorted(f.describe() for f in plan.findings)
    return plan.copies_by_kind(), plan.generated, skipped, adjusted, findings, plan.refused


def _read_only_clone(session: SessionContract, app: str) -> object:
    session.read_only = True
    return session.clone(session.environment(app, "production"), "copy")


def _set_image_preview(session: SessionContract, app: str) -> object:
    changes, diff = session.plan_set_image(
        session.environment(app, "development"), [ImageSpec("web", None, f"{app}/web:2.1.1")]
    )
    return [(c.workload, c.container, c.old, c.new) for c in changes], summary_lines(diff), diff.left, diff.right


def _types(session: SessionContract, app: str) -> object:
    found = session.environment_types(app)
    return [(t.name, t.app, t.overrides, t.ttl, t.template_names) for t in found if t.name in DEMO_TYPES]


def _matrix(session: SessionContract, app: str) -> object:
    found = session.version_matrix(app)
    return found.environments, found.rows, found.baseline


BEHAVIOURS: dict[str, tuple[Run, Expect]] = {
    "unknown environment": (
        lambda s, app: s.environment(app, "nope"),
        lambda app: ("NotFound", f"unknown environment 'nope' of application {app!r} (known: {KNOWN})"),
    ),
    "unknown application": (
        lambda s, app: s.environment(app + "x", "production"),
        lambda app: ("NotFound", f"unknown application '{app}x': no namespace is labelled hotclone.io/app={app}x"),
    ),
    "environments in core's order": (
        lambda s, app: [(e.name, e.type, e.cloned_from) for e in s.environments(app)],
        lambda app: [("production", "production", None), ("qa", "qa", None), ("development", "development", None)],
    ),
    "set-image in production refused": (
        lambda s, app: s.set_image(
            s.environment(app, "production"), [ImageSpec("web", None, f"{app}/web:1.9.4")], seen=[]
        ),
        lambda app: (
            "Refused",
            f"{app}/production is production: images there change only through promote or rollback",
        ),
    ),
    "set-image in production not offered": (
        lambda s, app: s.allowed(Action.SET_IMAGE, s.environment(app, "production")),
        lambda app: (False, "images in production change only through promote or rollback"),
    ),
    "invalid image reference": (
        lambda s, app: s.plan_set_image(s.environment(app, "development"), [ImageSpec("web", None, "Web:1")]),
        lambda app: ("InvalidInput", validation.image_error("Web:1")),
    ),
    "unknown workload": (
        lambda s, app: s.plan_set_image(s.environment(app, "development"), [ImageSpec("nope", None, "x/y:1")]),
        lambda app: (
            "NotFound",
            f"no workload 'nope' in {app}/development (workloads: api, digest-mailer, search, web, worker)",
        ),
    ),
    "set-image preview": (
        _set_image_preview,
        lambda app: (
            [("Deployment/web", "web", f"{app}/web:2.1.0-dev", f"{app}/web:2.1.1")],
            [f"Deployment/web containers[web].image: {app}/web:2.1.0-dev -> {app}/web:2.1.1"],
            f"{app}/development (now)",
            f"{app}/development (after set-image)",
        ),
    ),
    "unknown ConfigMap": (
        lambda s, app: s.plan_set_config(s.environment(app, "development"), "nope", {"A": "1"}),
        lambda app: ("NotFound", f"no ConfigMap 'nope' in {app}/development (ConfigMaps: app-settings, environment)"),
    ),
    "set-config in production refused": (
        lambda s, app: s.plan_set_config(s.environment(app, "production"), "app-settings", {"CHARSET": "UTF-8"}),
        lambda app: (
            "Refused",
            f"{app}/production is production: its configuration changes only through promote or rollback",
        ),
    ),
    "history oldest first after two changes": (
        _history_after_two_changes,
        lambda app: [
            (1, "set-image", (f"Deployment/web web: {app}/web:2.1.0-dev -> {app}/web:2.1.1",), "first", "complete"),
            (2, "set-config", ("ConfigMap/app-settings data.LOG_LEVEL: info -> debug",), "second", "complete"),
        ],
    ),
    "set-image from a stale preview refused": (
        _stale_preview,
        lambda app: (
            (
                "Conflict",
                f"{app}/development changed since the preview: Deployment/web web is now {app}/web:2.1.0-hotfix "
                f"(the preview showed {app}/web:2.1.0-dev); nothing applied",
            ),
            [f"{app}/web:2.1.0-hotfix"],
        ),
    ),
    "reason too long": (
        _reason_too_long,
        lambda app: ("InvalidInput", f"--reason is 5000 characters long; at most {MAX_REASON} are kept"),
    ),
    "nothing to roll back": (
        lambda s, app: s.plan_rollback(s.environment(app, "development"), None),
        lambda app: ("NotFound", f"{app}/development has no history to roll back"),
    ),
    "identical environments": (
        lambda s, app: s.diff(s.environment(app, "qa"), s.environment(app, "qa")).same,
        lambda app: True,
    ),
    "a fresh clone is identical to its source": (
        _clone_is_identical,
        lambda app: (
            True,
            "production",
            (
                "ConfigMap/environment",
                "Ingress/web",
                "Secret/db-credentials",
                "Service/postgres",
                "StatefulSet/postgres",
            ),
            [  # production's Certificate and Helm-managed ConfigMap too (demo.production_objects)
                f"Certificate.cert-manager.io/web spec.dnsNames[0]: namespace {app}-production (rewritten)",
                f"Certificate.cert-manager.io/web spec.dnsNames[1]: namespace {app}-production (rewritten)",
                f"ConfigMap/app-settings data.API_URL: namespace {app}-production (rewritten)",
                f"ConfigMap/app-settings data.SEARCH_URL: namespace {app}-production (rewritten)",
                f"ConfigMap/edge-proxy data.UPSTREAM: namespace {app}-production (rewritten)",
            ],
            [(1, "clone", ("cloned from production (16 objects, 5 from templates)",))],
        ),
    ),
    "promote to production needs the typed name": (
        _promote_needs_the_typed_name,
        lambda app: (
            (
                [f"Deployment/web containers[web].image: {app}/web:1.9.3 -> {app}/web:1.9.4"],
                ("Deployment/web",),
                (),
                f"{app}/production (live)",
                f"{app}/production (after promote)",
            ),
            ("Refused", f"{app}/production is production: confirm by typing its name ('production')"),
        ),
    ),
    "production promote needs a reason": (
        _promote_needs_a_reason,
        lambda app: (
            BlastRadius(restarts=(Restart("Deployment/web", 2),)),
            (
                "Refused",
                f"a reason is required for a production promote: nothing applied to {app}/production (--reason)",
            ),
            [],
        ),
    ),
    "clone plan": (
        _clone_plan,
        lambda app: (
            [
                ("ServiceAccount", 1),
                ("ConfigMap", 2),
                ("Secret", 1),
                ("Service", 3),
                ("Deployment", 3),
                ("StatefulSet", 1),
                ("CronJob", 1),
                ("HorizontalPodAutoscaler", 1),
                ("PodDisruptionBudget", 1),
                ("NetworkPolicy", 1),
                ("Certificate.cert-manager.io", 1),
            ],
            (
                "ConfigMap/environment",
                "Secret/db-credentials",
                "Service/postgres",
                "StatefulSet/postgres",
                "Ingress/web",
            ),
            [
                "Secret/sh.helm.release.v1.topicshare-edge.v1: "
                "Helm's record of its release (the clone is not that release)",
                "ConfigMap/environment: environment-scoped: made from the template of type 'temporary'",
                "Secret/db-credentials: environment-scoped: made from the template of type 'temporary'",
                "Ingress/web: environment-scoped: made from the template of type 'temporary'",
            ],
            ["ConfigMap/edge-proxy: Helm release topicshare-edge's marks removed (the clone is not that release)"],
            sorted(
                f"{ref} {path}: namespace {app}-production (rewritten)"
                for ref, path in (
                    ("ConfigMap/app-settings", "data.SEARCH_URL"),
                    ("ConfigMap/app-settings", "data.API_URL"),
                    ("ConfigMap/edge-proxy", "data.UPSTREAM"),
                    ("Certificate.cert-manager.io/web", "spec.dnsNames[0]"),
                    ("Certificate.cert-manager.io/web", "spec.dnsNames[1]"),
                )
            ),
            False,
        ),
    ),
    "read-only refuses clone": (_read_only_clone, lambda app: ("Forbidden", "read-only mode: clone is disabled")),
    "production is never destroyed": (
        lambda s, app: s.destroy(s.environment(app, "production")),
        lambda app: ("Refused", f"{app}/production is of type production: hotclone never destroys it"),
    ),
    "environment types": (
        _types,
        lambda app: [
            ("development", None, False, timedelta(days=7), ("ConfigMap/environment", "Secret/db-credentials")),
            ("production", None, False, None, ("ConfigMap/environment", "Secret/db-credentials")),
            ("qa", None, False, None, ("ConfigMap/environment", "Secret/db-credentials")),
            (
                "temporary",
                app,  # the demo app's own: it overrides the built-in
                True,
                timedelta(days=1),
                (
                    "Secret/db-credentials",
                    "ConfigMap/environment",
                    "Service/postgres",
                    "StatefulSet/postgres",
                    "Ingress/web",
                ),
            ),
        ],
    ),
    "version matrix": (
        _matrix,
        lambda app: (
            ("production", "qa", "development"),
            (
                ("CronJob/digest-mailer", ("1.9.3", "2.0.0-rc.2", "2.1.0-dev")),
                ("Deployment/api", ("1.9.3", "2.0.0-rc.2", "2.1.0-dev")),
                ("Deployment/web", ("1.9.3", "2.0.0-rc.2", "2.1.0-dev")),
                ("Deployment/worker", ("1.9.3", "2.0.0-rc.2", "2.1.0-dev")),
                ("StatefulSet/search", ("2.11.1", "2.11.1", "2.11.1")),
            ),
            "production",
        ),
    ),
}


# -- the gates (issue 12): verification of a clone, four-eyes approval ---------------------------------
def _fixed_copy(session: SessionContract, app: str) -> Environment:
    """A clone of production with the fix (web 1.9.4: the demo's smoke check passes on it)."""
    copy = session.clone(session.environment(app, "production"), "copy").environment
    _set_image(session, copy, f"{app}/web:1.9.4")
    return copy


def _verification_invalidated(session: SessionContract, app: str) -> object:
    copy = _fixed_copy(session, app)
    before = session.verification(copy)
    ran = session.verify(copy)
    held = session.verification(copy)
    _set_image(session, copy, f"{app}/web:1.9.5")
    after = session.verification(copy)
    results = [(r.name, r.environment, r.outcome, bool(r.job)) for r in ran.results]
    return (before.latest, before.checks), results, ran.passed, held.holds, (after.holds, after.why_not)


def _anonymous(answer: object, request_id: str, user: str) -> object:
    """Request ids are random and the user is whoever the session is: named alike in both."""
    if isinstance(answer, tuple) and len(answer) == 2 and isinstance(answer[1], str):
        return answer[0], answer[1].replace(request_id, "<id>").replace(user, "<me>")
    return answer


def _request_changes_nothing(session: SessionContract, app: str) -> object:
    copy = _fixed_copy(session, app)
    production = session.environment(app, "production")
    before = (session.history(production), [w.containers for w in session.workloads(production)])
    plan = session.plan_promote(copy)
    gates = (plan.gates.require_verification, plan.gates.approvals, plan.gates.verified, bool(plan.gates.fingerprint))
    unrequested = outcome(lambda s, _app: s.apply(plan, confirm="production", reason="KO-118"), session, app)
    unverified = outcome(lambda s, _app: s.request_promotion(plan, reason="KO-118"), session, app)
    made = session.request_promotion(plan, reason="KO-118", skip_verification="smoke is flaky on the clone")
    listed = [(r.id, r.state(session.now())) for r in session.promotion_requests(app, "production")]
    after = (session.history(production), [w.containers for w in session.workloads(production)])
    request = (made.source, made.target, made.required, made.approvers, made.reason, made.skipped_verification)
    return gates, unrequested, unverified, request, made.summary, listed == [(made.id, "pending")], after == before


def _self_approval(session: SessionContract, app: str) -> object:
    copy = _fixed_copy(session, app)
    made = session.request_promotion(session.plan_promote(copy), reason="KO-118", skip_verification="flaky")
    production = session.environment(app, "production")
    refused = outcome(lambda s, _app: s.decide(production, made.id, approve=True), session, app)
    rejected = outcome(lambda s, _app: s.decide(production, made.id, approve=False), session, app)
    [after] = session.promotion_requests(app, "production")
    waiting = [r.id for r in session.waiting_for_me() if r.id == made.id]
    return (
        _anonymous(refused, made.id, made.requester),
        _anonymous(rejected, made.id, made.requester),
        after.decisions,
        after.state(session.now()),
        waiting,  # one's own request never waits for oneself
    )


GATED: dict[str, tuple[Run, Expect]] = {
    "promote into a type requiring approvals creates a request and changes nothing": (
        _request_changes_nothing,
        lambda app: (
            (True, 1, False, True),
            (
                "Refused",
                f"{app}/production (type production) requires 1 approval(s): nothing applied; run "
                f"hotclone promote {app} copy production without --request to request one",
            ),
            (
                "Refused",
                f"{app}/production (type production) requires a passed verification of copy: {app}/copy was "
                f"never verified; run hotclone verify {app} copy, or pass --skip-verification REASON",
            ),
            ("copy", "production", 1, (), "KO-118", "smoke is flaky on the clone"),
            ("from copy", f"Deployment/web containers[web].image: {app}/web:1.9.3 -> {app}/web:1.9.4"),
            True,
            True,
        ),
    ),
    "self-approval is refused": (
        _self_approval,
        lambda app: (
            ("Refused", "nobody may approve or reject their own promotion request (<id> is <me>'s)"),
            ("Refused", "nobody may approve or reject their own promotion request (<id> is <me>'s)"),
            (),
            "pending",
            [],
        ),
    ),
}
BEHAVIOURS["verification invalidated by set-image"] = (
    _verification_invalidated,
    lambda app: (
        (None, ("smoke",)),
        [("smoke", "copy", "passed", True)],
        True,
        True,
        (False, "Deployment/web changed since the verification"),
    ),
)


@pytest.fixture(params=["fake", pytest.param("real", marks=pytest.mark.cluster)])
def implementation(request: pytest.FixtureRequest) -> tuple[SessionContract, str]:
    """(session, app): the fake with the demo seeded under a fresh name, or the real Session on a seeded app."""
    if request.param == "fake":
        app = fresh_app()
        return FakeSession(app, story=False), app
    seeded = request.getfixturevalue("seeded")
    return seeded.session, seeded.app


@pytest.mark.parametrize("behaviour", list(BEHAVIOURS))
def test_behaviour(behaviour: str, implementation: tuple[SessionContract, str]) -> None:
    session, app = implementation
    run, expect = BEHAVIOURS[behaviour]
    assert outcome(run, session, app) == expect(app)


@pytest.fixture(params=["fake", pytest.param("real", marks=pytest.mark.cluster)])
def gated(request: pytest.FixtureRequest) -> Iterator[tuple[SessionContract, str]]:
    """As `implementation`, with the app's production gated as `hotclone demo` gates it (a current,
    passed verification and one approval; the approval policy installed)."""
    if request.param == "fake":
        app = fresh_app()
        fake = FakeSession(app, story=False)
        fake.types["production"] = envtypes.from_configmap(seeding.gated_production_type(app))
        yield fake, app
        return
    seeded = request.getfixturevalue("seeded")
    seeding.seed_gates(seeded.cluster, seeded.app)
    yield seeded.session, seeded.app
    name = seeding.gated_production_type(seeded.app)["metadata"]["name"]
    with contextlib.suppress(HotcloneError):
        seeded.cluster.delete(kinds.CONFIGMAP, SYSTEM_NAMESPACE, name)


@pytest.mark.parametrize("behaviour", list(GATED))
def test_gated_behaviour(behaviour: str, gated: tuple[SessionContract, str]) -> None:
    session, app = gated
    run, expect = GATED[behaviour]
    assert outcome(run, session, app) == expect(app)
