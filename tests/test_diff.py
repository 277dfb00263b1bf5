"""Diff reports exactly the changed paths, and nothing for identical environments."""

from __future__ import annotations

from hotclone.core import kinds
from hotclone.core.clone import clone
from hotclone.core.diff import diff_environments, summary_lines
from hotclone.core.difflines import side_by_side
from hotclone.core.images import parse_spec
from tests.conftest import Seeded
from tests.helpers import set_image_as_previewed as apply


def test_identical_environments_have_no_diff(seeded: Seeded) -> None:
    cluster = seeded.cluster
    clone(cluster, seeded.env("production"), "copy")
    diff = diff_environments(cluster, seeded.env("production"), seeded.env("copy"))
    assert diff.same, summary_lines(diff)


def test_diff_reports_exactly_the_changed_paths(seeded: Seeded) -> None:
    cluster = seeded.cluster
    clone(cluster, seeded.env("production"), "hotfix")
    apply(cluster, seeded.env("hotfix"), [parse_spec(f"web={seeded.app}/web:1.9.4")], user="u")
    settings = cluster.get(kinds.CONFIGMAP, seeded.namespace("hotfix"), "app-settings")
    settings["data"]["CHARSET"] = "UTF-8"
    cluster.replace(kinds.CONFIGMAP, seeded.namespace("hotfix"), settings)
    diff = diff_environments(cluster, seeded.env("production"), seeded.env("hotfix"))
    assert summary_lines(diff) == [
        "ConfigMap/app-settings data.CHARSET: ISO-8859-1 -> UTF-8",
        f"Deployment/web containers[web].image: {seeded.app}/web:1.9.3 -> {seeded.app}/web:1.9.4",
    ]
    assert diff.counts() == {"added": 0, "removed": 0, "changed": 2}


def test_added_removed_and_reordered(seeded: Seeded) -> None:
    cluster = seeded.cluster
    clone(cluster, seeded.env("production"), "hotfix")
    ns = seeded.namespace("hotfix")
    cluster.delete(kinds.NETWORKPOLICY, ns, "api-from-web")
    cluster.create(kinds.CONFIGMAP, ns, {"metadata": {"name": "feature-flags"}, "data": {"new-editor": "on"}})
    web = cluster.get(kinds.DEPLOYMENT, ns, "web")
    web["spec"]["template"]["spec"]["containers"][0]["env"].reverse()  # order does not matter
    cluster.replace(kinds.DEPLOYMENT, ns, web)
    diff = diff_environments(cluster, seeded.env("production"), seeded.env("hotfix"))
    assert {(o.ref, o.status) for o in diff.changed} == {
        ("ConfigMap/feature-flags", "added"),
        ("NetworkPolicy/api-from-web", "removed"),
    }


def test_env_scoped_objects_only_on_request_and_secrets_masked(seeded: Seeded) -> None:
    cluster = seeded.cluster
    plain = diff_environments(cluster, seeded.env("production"), seeded.env("qa"))
    assert not any(o.env_scoped for o in plain.objects)
    full = diff_environments(cluster, seeded.env("production"), seeded.env("qa"), include_env_scoped=True)
    secret = next(o for o in full.changed if o.ref == "Secret/db-credentials")
    assert {c.path for c in secret.changes} == {"data.host", "data.password", "data.url"}
    assert all(c.old == "<hidden>" for c in secret.changes)
    rendered = side_by_side(full, 100)
    assert "<hidden, differs>" in rendered
    for line in rendered.splitlines():
        assert len(line) <= 100


def test_pruning_equal_branches_reports_the_same_paths() -> None:
    """field_changes walks only differing branches; the result must equal a full deepdiff."""
    from deepdiff import DeepDiff

    from hotclone.core.diff import field_changes

    left = {
        "spec": {
            "replicas": 2,
            "template": {"spec": {"containers": {"[web]": {"image": "a:1", "env": {"[A]": {"value": "1"}}}}}},
        },
        "data": {"same": "x", "gone": "y", "list": [1, 2]},
    }
    right = {
        "spec": {
            "replicas": 2,
            "template": {
                "spec": {
                    "containers": {"[web]": {"image": "a:2", "env": {"[A]": {"value": "1"}, "[B]": {"value": "2"}}}}
                }
            },
        },
        "data": {"same": "x", "new": "z", "list": [1, 3]},
    }
    full = DeepDiff(left, right, view="tree", verbose_level=2)
    expected = sorted(level.path(output_format="list") for levels in full.values() for level in levels)
    got = field_changes(left, right)
    assert len(got) == len(expected) == 5
    assert {c.path for c in got} == {
        "containers[web].image",
        "containers[web].env[B]",
        "data.gone",
        "data.new",
        "data.list[1]",
    }
