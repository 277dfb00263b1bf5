"""Promote: three-way merge, dry run, confirmation, preconditions, prune."""

from __future__ import annotations

import pytest

from hotclone.core import history, kinds
from hotclone.core.clone import clone
from hotclone.core.cluster import Obj
from hotclone.core.errors import Conflict, Forbidden, Refused
from hotclone.core.images import parse_spec
from hotclone.core.session import Session
from tests.conftest import Seeded
from tests.helpers import namespace_objects
from tests.helpers import set_image_as_previewed as set_image


def _hotfix(seeded: Seeded) -> None:
    """The TopicShare story: clone production, fix the image and the charset."""
    cluster = seeded.cluster
    clone(cluster, seeded.env("production"), "hotfix", user="alice")
    set_image(cluster, seeded.env("hotfix"), [parse_spec(f"web={seeded.app}/web:1.9.4")], user="alice")
    _set(seeded, "hotfix", "CHARSET", "UTF-8")


def _set(seeded: Seeded, env: str, key: str, value: str) -> None:
    cluster = seeded.cluster
    settings = cluster.get(kinds.CONFIGMAP, seeded.namespace(env), "app-settings")
    settings["data"][key] = value
    cluster.replace(kinds.CONFIGMAP, seeded.namespace(env), settings)


def _image(seeded: Seeded, env: str, name: str = "web") -> str:
    obj = seeded.cluster.get(kinds.DEPLOYMENT, seeded.namespace(env), name)
    return str(obj["spec"]["template"]["spec"]["containers"][0]["image"])


def _setting(seeded: Seeded, env: str, key: str) -> str:
    return str(seeded.cluster.get(kinds.CONFIGMAP, seeded.namespace(env), "app-settings")["data"][key])


def _scoped(seeded: Seeded, env: str) -> dict[str, Obj]:
    return {
        ref: obj
        for ref, obj in namespace_objects(seeded.cluster, seeded.namespace(env)).items()
        if (obj["metadata"].get("labels") or {}).get("hotclone.io/scope") == "environment"
    }


def test_promote_changes_images_and_config_and_leaves_env_scoped_objects_identical(seeded: Seeded) -> None:
    _hotfix(seeded)
    scoped_before = _scoped(seeded, "production")
    plan = seeded.session.plan_promote(seeded.env("hotfix"))
    assert plan.target.name == "production" and not plan.conflicts
    assert plan.restarts == ("Deployment/web",)
    assert {o.ref for o in plan.diff.changed} == {"Deployment/web", "ConfigMap/app-settings"}
    seeded.session.apply(plan, confirm="production", reason="INC-1 mojibake")
    assert _image(seeded, "production") == f"{seeded.app}/web:1.9.4"
    assert _setting(seeded, "production", "CHARSET") == "UTF-8"
    # Namespace references stay production's own.
    assert _setting(seeded, "production", "API_URL") == f"http://api.{seeded.namespace('production')}.svc:8080"
    assert _scoped(seeded, "production") == scoped_before  # byte-identical, same resourceVersions
    assert seeded.session.diff(seeded.env("production"), seeded.env("hotfix")).same


def test_change_made_to_production_after_the_clone_survives(seeded: Seeded) -> None:
    _hotfix(seeded)
    _set(seeded, "production", "LOG_LEVEL", "debug")  # someone debugging production meanwhile
    plan = seeded.session.plan_promote(seeded.env("hotfix"))
    seeded.session.apply(plan, confirm="production", reason="INC-1")
    assert _setting(seeded, "production", "LOG_LEVEL") == "debug"
    assert _setting(seeded, "production", "CHARSET") == "UTF-8"


def test_same_field_changed_on_both_sides_is_a_conflict_and_nothing_is_applied(seeded: Seeded) -> None:
    _hotfix(seeded)
    _set(seeded, "production", "CHARSET", "EUC-KR")
    plan = seeded.session.plan_promote(seeded.env("hotfix"))
    assert [(c.object, c.path, c.ours, c.theirs) for c in plan.conflicts] == [
        ("ConfigMap/app-settings", "data.CHARSET", "UTF-8", "EUC-KR")
    ]
    with pytest.raises(Conflict, match="data.CHARSET"):
        seeded.session.apply(plan, confirm="production", reason="INC-1")
    assert _image(seeded, "production") == f"{seeded.app}/web:1.9.3"
    assert _setting(seeded, "production", "CHARSET") == "EUC-KR"


def test_concurrent_change_between_diff_and_apply_aborts(seeded: Seeded) -> None:
    _hotfix(seeded)
    plan = seeded.session.plan_promote(seeded.env("hotfix"))
    _set(seeded, "production", "SESSION_TTL", "60")  # after the diff was shown
    with pytest.raises(Conflict, match="ConfigMap/app-settings .* changed since the diff"):
        seeded.session.apply(plan, confirm="production", reason="INC-1")
    assert _image(seeded, "production") == f"{seeded.app}/web:1.9.3"
    assert _setting(seeded, "production", "CHARSET") == "ISO-8859-1"


def test_production_needs_its_name_typed(seeded: Seeded) -> None:
    _hotfix(seeded)
    plan = seeded.session.plan_promote(seeded.env("hotfix"))
    for wrong in (None, "prod", "Production"):
        with pytest.raises(Refused, match="confirm by typing its name"):
            seeded.session.apply(plan, confirm=wrong)
    assert _image(seeded, "production") == f"{seeded.app}/web:1.9.3"


def test_prune_deletes_only_with_prune(seeded: Seeded) -> None:
    _hotfix(seeded)
    cluster = seeded.cluster
    cluster.delete(kinds.NETWORKPOLICY, seeded.namespace("hotfix"), "api-from-web")
    plan = seeded.session.plan_promote(seeded.env("hotfix"))
    assert plan.deletions == ()
    seeded.session.apply(plan, confirm="production", reason="INC-1")
    assert cluster.get(kinds.NETWORKPOLICY, seeded.namespace("production"), "api-from-web")
    pruning = seeded.session.plan_promote(seeded.env("hotfix"), prune=True)
    assert pruning.deletions == ("NetworkPolicy/api-from-web",)
    seeded.session.apply(pruning, confirm="production", reason="INC-1 prune")
    assert "NetworkPolicy/api-from-web" not in namespace_objects(cluster, seeded.namespace("production"))
    # Environment-scoped objects of the target are never pruned.
    assert "Secret/db-credentials" in namespace_objects(cluster, seeded.namespace("production"))


def test_history_records_who_when_what_reason_and_rollback_restores(seeded: Seeded) -> None:
    _hotfix(seeded)
    session = seeded.session
    session.apply(session.plan_promote(seeded.env("hotfix")), confirm="production", reason="INC-7 Hangul")
    entries = session.history(seeded.env("production"))
    assert [(e.revision, e.action, e.user, e.reason) for e in entries] == [(1, "promote", "admin", "INC-7 Hangul")]
    assert any("CHARSET: ISO-8859-1 -> UTF-8" in line for line in entries[0].summary)
    clone_history = session.history(seeded.env("hotfix"))
    assert [e.action for e in clone_history] == ["clone", "set-image"]
    rollback = session.plan_rollback(seeded.env("production"), 1)
    assert {o.ref for o in rollback.diff.changed} == {"Deployment/web", "ConfigMap/app-settings"}
    session.apply(rollback, confirm="production", reason="undo")
    assert _image(seeded, "production") == f"{seeded.app}/web:1.9.3"
    assert _setting(seeded, "production", "CHARSET") == "ISO-8859-1"
    assert [e.action for e in session.history(seeded.env("production"))] == ["promote", "rollback"]


def test_history_is_capped(seeded: Seeded) -> None:
    cluster = seeded.cluster
    namespace = seeded.namespace("qa")
    for n in range(history.MAX_REVISIONS + 3):
        revision = history.begin(
            cluster, namespace, action="set-image", user="u", summary=[str(n)], before=[], touched=[]
        )
        history.mark(cluster, namespace, revision, "complete")
    environment = seeded.session.environment(seeded.app, "qa")
    revisions = [e.revision for e in history.entries(cluster, environment)]
    assert revisions == list(range(4, history.MAX_REVISIONS + 4))


def test_restricted_user_gets_a_clear_error_and_nothing_changes(seeded: Seeded, kubeconfig: str) -> None:
    _hotfix(seeded)
    restricted = Session.connect(kubeconfig, "hotclone-local-restricted")
    try:
        with pytest.raises(Forbidden, match="restricted"):
            plan = restricted.plan_promote(seeded.env("hotfix"))
            restricted.apply(plan, confirm="production", reason="INC-1")
    finally:
        restricted.close()
    assert _image(seeded, "production") == f"{seeded.app}/web:1.9.3"


def test_rollout_is_waited_for(seeded: Seeded, plane: object) -> None:
    if not getattr(plane, "has_kwok", False):
        pytest.skip("no kwok: pods never run")
    _hotfix(seeded)
    session = seeded.session
    plan = session.plan_promote(seeded.env("hotfix"))
    session.apply(plan, confirm="production", reason="INC-1")
    statuses = session.wait_for_rollout(plan.target, list(plan.restarts), timeout=60)
    assert [(s.workload, s.done) for s in statuses] == [("Deployment/web", True)]
