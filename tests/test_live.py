"""The live view against the real API server: the same rows as the reads it replaces, changes
made outside hotclone reported within a second, and reads that make no request."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from hotclone.core import kinds
from hotclone.core.live import Live
from hotclone.core.models import Environment, LiveChange
from hotclone.core.schema import LABEL_APP, LABEL_ENV, LABEL_ENV_TYPE
from tests.conftest import Seeded


class Changes:
    """Every LiveChange, with a way to wait for one that matches."""

    def __init__(self) -> None:
        self.seen: list[LiveChange] = []
        self._new = threading.Condition()

    def __call__(self, change: LiveChange) -> None:
        with self._new:
            self.seen.append(change)
            self._new.notify_all()

    def wait_for(self, matches: Callable[[LiveChange], bool], timeout: float = 5.0) -> float:
        start = time.monotonic()
        with self._new:
            while not any(matches(c) for c in self.seen):
                left = timeout - (time.monotonic() - start)
                if left <= 0:
                    raise AssertionError(f"no matching change within {timeout}s: {self.seen[-5:]}")
                self._new.wait(left)
        return time.monotonic() - start


@pytest.fixture
def live(seeded: Seeded) -> Iterator[tuple[Live, Changes]]:
    changes = Changes()
    view = Live(seeded.cluster, changes).start()
    assert view.wait_ready(15) and view.state == "live"
    yield view, changes
    view.stop()


def test_reads_match_the_requests_they_replace_and_make_none(seeded: Seeded, live: tuple[Live, Changes]) -> None:
    view, _ = live
    production = seeded.env("production")
    expected = seeded.session.workloads(production)
    expected_envs = [e.name for e in seeded.session.environments(seeded.app)]
    expected_matrix = seeded.session.version_matrix(seeded.app)
    before = seeded.cluster.request_count
    found = next(a for a in view.applications() if a.name == seeded.app)
    assert [e.name for e in found.environments] == expected_envs
    assert view.workloads(production) == expected
    assert view.version_matrices([found])[seeded.app] == expected_matrix
    statuses = view.rollout_status(production, [w.ref for w in expected])
    assert [s.workload for s in statuses] == [w.ref for w in expected]
    assert seeded.cluster.request_count == before  # memory only


def test_an_image_changed_outside_hotclone_is_reported_within_a_second(
    seeded: Seeded, live: tuple[Live, Changes]
) -> None:
    view, changes = live
    namespace = seeded.namespace("qa")
    qa = seeded.session.environment(seeded.app, "qa")
    workload = next(w for w in view.workloads(qa) if w.kind == "Deployment")
    container = workload.containers[0].name
    patch = {"spec": {"template": {"spec": {"containers": [{"name": container, "image": "example/web:9.9.9"}]}}}}
    seeded.cluster.patch(kinds.DEPLOYMENT, namespace, workload.name, patch)  # as `kubectl set image` would
    written = time.monotonic()
    changes.wait_for(lambda c: namespace in c.namespaces)
    shown = next(w for w in view.workloads(qa) if w.name == workload.name)
    assert shown.containers[0].image == "example/web:9.9.9"
    assert time.monotonic() - written < 1.0


def test_a_new_and_a_deleted_environment_are_reported(seeded: Seeded, live: tuple[Live, Changes]) -> None:
    view, changes = live
    namespace = f"{seeded.app}-elsewhere"
    labels = {LABEL_APP: seeded.app, LABEL_ENV: "elsewhere", LABEL_ENV_TYPE: "development"}
    seeded.cluster.create(kinds.NAMESPACE, None, {"metadata": {"name": namespace, "labels": labels}})
    changes.wait_for(lambda c: c.environments)

    def names() -> list[str]:
        return [e.name for e in next(a for a in view.applications() if a.name == seeded.app).environments]

    assert "elsewhere" in names()
    changes.seen.clear()
    seeded.cluster.delete(kinds.NAMESPACE, None, namespace)
    changes.wait_for(lambda c: c.environments)  # terminating first: shown as incomplete, then gone
    gone_or_going = [
        e for e in next(a for a in view.applications() if a.name == seeded.app).environments if e.name == "elsewhere"
    ]
    assert all(isinstance(e, Environment) and e.incomplete for e in gone_or_going)


def test_what_the_view_keeps_is_slim(seeded: Seeded, live: tuple[Live, Changes]) -> None:
    view, _ = live
    cache = next(c for c in view.caches if c.kind == kinds.DEPLOYMENT)
    kept = cache.in_namespace(seeded.namespace("production"))
    assert kept and all("managedFields" not in o["metadata"] for o in kept)
    assert all(set(o) == {"apiVersion", "kind", "metadata", "spec", "status"} for o in kept)
