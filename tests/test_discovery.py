"""Discovery: one LIST of namespaces; one LIST per kind for an environment."""

from __future__ import annotations

import time

import pytest

from hotclone.core import api_discovery, inventory, kinds, material_policy
from hotclone.core.cluster import Cluster
from hotclone.core.errors import NotFound
from hotclone.core.kinds import Kind
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


def test_environment_loads_with_one_list_per_material_kind_and_skips_server_made_objects(seeded: Seeded) -> None:
    cluster = seeded.cluster
    namespace = seeded.namespace("production")
    served = api_discovery.catalog(cluster, refresh=True)
    wanted, excluded = material_policy.material_kinds(served.namespaced())
    assert served.requests == 2  # aggregated discovery: /api and /apis
    assert {"Deployment", "LimitRange", "ResourceQuota", "Job", "Endpoints"} <= {k.qualified for k in wanted}
    assert {"Pod", "Event", "EndpointSlice", "Lease", "ControllerRevision"} <= {s.object for s in excluded}
    deadline = time.monotonic() + 30  # the controller manager publishes these a moment after seeding
    while not _exist(cluster, namespace, (kinds.CONFIGMAP, "kube-root-ca.crt"), (kinds.ENDPOINTS, "web")):
        assert time.monotonic() < deadline, "the controller manager did not publish the CA bundle and Endpoints"
        time.sleep(0.2)
    before = cluster.request_count
    found = inventory.read(cluster, namespace)
    assert cluster.request_count - before == len(wanted)  # discovery came from the cache
    refs = {inventory.ref(o) for o in found.objects}
    skipped = {s.object: s.reason for s in found.skipped}
    assert "ConfigMap/kube-root-ca.crt" not in refs and "ConfigMap/kube-root-ca.crt" in skipped
    assert "ServiceAccount/default" not in refs
    assert skipped["Endpoints/web"] == "kept by the endpoints controller for Service/web"
    assert found.excluded_kinds == excluded and found.unreadable == []
    assert {"Deployment/web", "CronJob/digest-mailer", "StatefulSet/search", "Secret/db-credentials"} <= refs


def _exist(cluster: Cluster, namespace: str, *wanted: tuple[Kind, str]) -> bool:
    try:
        for kind, name in wanted:
            cluster.get(kind, namespace, name)
    except NotFound:
        return False
    return True


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
