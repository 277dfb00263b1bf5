"""Discovery: one LIST of namespaces; one LIST per kind for an environment."""

from __future__ import annotations

import pytest

from hotclone.core import inventory, kinds
from hotclone.core.errors import NotFound
from tests.conftest import Seeded


def test_applications_and_environments_in_one_request(seeded: Seeded) -> None:
    cluster = seeded.cluster
    before = cluster.request_count
    apps = seeded.session.applications()
    assert cluster.request_count - before == 1
    app = next(a for a in apps if a.name == seeded.app)
    assert [e.name for e in app.environments] == ["production", "qa", "development"]
    assert [e.type for e in app.environments] == ["production", "qa", "development"]
    assert app.environments[0].is_production


def test_environment_loads_with_one_list_per_kind_and_skips_server_made_objects(seeded: Seeded) -> None:
    cluster = seeded.cluster
    namespace = seeded.namespace("production")
    before = cluster.request_count
    objects = inventory.load(cluster, namespace)
    assert cluster.request_count - before == len(kinds.ENVIRONMENT_KINDS)
    refs = {inventory.ref(o) for o in objects}
    assert "ConfigMap/kube-root-ca.crt" not in refs
    assert "ServiceAccount/default" not in refs
    assert {"Deployment/web", "CronJob/digest-mailer", "StatefulSet/search", "Secret/db-credentials"} <= refs


def test_workloads_with_containers_and_counts(seeded: Seeded) -> None:
    environment = seeded.session.environment(seeded.app, "qa")
    workloads = {w.ref: w for w in seeded.session.workloads(environment)}
    assert set(workloads) == {
        "Deployment/api",
        "Deployment/web",
        "Deployment/worker",
        "StatefulSet/search",
        "CronJob/digest-mailer",
    }
    api = workloads["Deployment/api"]
    assert [(c.name, c.tag, c.init) for c in api.containers] == [
        ("api", "2.0.0-rc.2", False),
        ("migrations", "2.0.0-rc.2", True),
    ]
    assert api.desired == 2


def test_version_matrix_marks_cells_that_differ_from_production(seeded: Seeded) -> None:
    matrix = seeded.session.version_matrix(seeded.app)
    assert matrix.environments == ("production", "qa", "development")
    row = next(i for i, (ref, _) in enumerate(matrix.rows) if ref == "Deployment/web")
    assert matrix.rows[row][1] == ("1.9.3", "2.0.0-rc.2", "2.1.0-dev")
    assert [matrix.differs(row, c) for c in range(3)] == [False, True, True]


def test_unknown_app_and_environment(seeded: Seeded) -> None:
    with pytest.raises(NotFound, match="unknown application 'nope'"):
        seeded.session.environment("nope", "production")
    with pytest.raises(NotFound, match=r"unknown environment 'staging' .* \(known: production, qa, development\)"):
        seeded.session.environment(seeded.app, "staging")


def test_version_summary_is_the_most_common_tag(seeded: Seeded) -> None:
    matrix = seeded.session.version_matrix(seeded.app)
    # web, api, worker, mailer run the release; search runs its own image.
    assert matrix.summary("production") == "1.9.3 +1"
    assert matrix.summary("nope") == ""
