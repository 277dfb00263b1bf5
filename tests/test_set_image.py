"""Set image changes only the named container, and never production."""

from __future__ import annotations

import pytest

from hotclone.core import kinds
from hotclone.core.clone import clone
from hotclone.core.errors import Conflict, InvalidInput, NotFound, Refused
from hotclone.core.images import parse_spec
from hotclone.core.models import ImageSpec
from tests.conftest import Seeded
from tests.helpers import set_image_as_previewed as apply


def _containers(seeded: Seeded, env: str, kind: kinds.Kind, name: str) -> dict[str, str]:
    obj = seeded.cluster.get(kind, seeded.namespace(env), name)
    spec = obj["spec"]
    if kind is kinds.CRONJOB:
        spec = spec["jobTemplate"]["spec"]
    pod = spec["template"]["spec"]
    return {c["name"]: c["image"] for c in pod["containers"] + pod.get("initContainers", [])}


def test_set_image_changes_only_the_named_container(seeded: Seeded) -> None:
    cluster = seeded.cluster
    before_api = _containers(seeded, "qa", kinds.DEPLOYMENT, "api")
    before_worker = _containers(seeded, "qa", kinds.DEPLOYMENT, "worker")
    changes = apply(
        cluster, seeded.env("qa"), [parse_spec("api/migrations=registry.local:5000/topicshare/api:2.0.1")], user="u"
    )
    assert [(c.workload, c.container, c.init) for c in changes] == [("Deployment/api", "migrations", True)]
    after_api = _containers(seeded, "qa", kinds.DEPLOYMENT, "api")
    assert after_api == {**before_api, "migrations": "registry.local:5000/topicshare/api:2.0.1"}
    assert _containers(seeded, "qa", kinds.DEPLOYMENT, "worker") == before_worker


def test_set_image_on_cronjob_and_single_container_default(seeded: Seeded) -> None:
    cluster = seeded.cluster
    apply(
        cluster,
        seeded.env("development"),
        [parse_spec("digest-mailer=topicshare/mailer:2.1.1"), parse_spec("web=topicshare/web@sha256:" + "a" * 64)],
        user="u",
    )
    assert _containers(seeded, "development", kinds.CRONJOB, "digest-mailer") == {"mailer": "topicshare/mailer:2.1.1"}
    assert _containers(seeded, "development", kinds.DEPLOYMENT, "web") == {"web": "topicshare/web@sha256:" + "a" * 64}


def test_production_is_refused(seeded: Seeded) -> None:
    before = _containers(seeded, "production", kinds.DEPLOYMENT, "web")
    with pytest.raises(Refused, match="promote or rollback"):
        apply(seeded.cluster, seeded.env("production"), [ImageSpec("web", None, "topicshare/web:1.9.4")], user="u")
    assert _containers(seeded, "production", kinds.DEPLOYMENT, "web") == before


def test_unknown_workload_or_container_and_ambiguity(seeded: Seeded) -> None:
    cluster = seeded.cluster
    clone(cluster, seeded.env("production"), "fix")
    with pytest.raises(NotFound, match="no workload 'nope'"):
        apply(cluster, seeded.env("fix"), [ImageSpec("nope", None, "a:1")], user="u")
    with pytest.raises(NotFound, match="no container 'sidecar'"):
        apply(cluster, seeded.env("fix"), [ImageSpec("web", "sidecar", "a:1")], user="u")
    # An init container does not count: `api` names its one main container.
    worker = cluster.get(kinds.DEPLOYMENT, seeded.namespace("fix"), "worker")
    worker["spec"]["template"]["spec"]["containers"].append({"name": "log-shipper", "image": "fluent-bit:3.1"})
    cluster.replace(kinds.DEPLOYMENT, seeded.namespace("fix"), worker)
    with pytest.raises(InvalidInput, match="several containers"):
        apply(cluster, seeded.env("fix"), [ImageSpec("worker", None, "a:1")], user="u")
    # One bad spec among good ones: nothing is applied.
    before = _containers(seeded, "fix", kinds.DEPLOYMENT, "web")
    with pytest.raises(NotFound):
        apply(cluster, seeded.env("fix"), [ImageSpec("web", None, "a:2"), ImageSpec("nope", None, "a:1")], user="u")
    assert _containers(seeded, "fix", kinds.DEPLOYMENT, "web") == before


@pytest.mark.parametrize(
    "reference",
    [
        "nginx",
        "nginx:1.27",
        "library/nginx:1.27-alpine",
        "registry.example.com:5000/team/app:v1.2.3",
        "localhost:5000/app@sha256:" + "0" * 64,
        "ghcr.io/org/app:1.0@sha256:" + "f" * 64,
        "[::1]:5000/app:1",
    ],
)
def test_valid_image_references(reference: str) -> None:
    assert parse_spec(f"web={reference}").image == reference


@pytest.mark.parametrize(
    "reference",
    ["UPPER/case:1", "nginx:", "nginx:bad tag", "nginx@sha256:123", ":1.0", "a//b:1", "nginx:1.0 ", "-nginx:1"],
)
def test_invalid_image_references(reference: str) -> None:
    with pytest.raises(InvalidInput, match="invalid image reference"):
        parse_spec(f"web={reference}")


def test_racing_image_change_is_refused_and_earlier_patches_undone(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster = seeded.cluster
    namespace = seeded.namespace("qa")
    original = cluster.json_patch
    calls: list[str] = []

    def racing(kind: kinds.Kind, ns: str, name: str, operations: list[dict[str, object]]) -> object:
        calls.append(name)
        if name == "worker" and len(calls) == 2:  # someone sets worker's image just before us
            live = cluster.get(kinds.DEPLOYMENT, namespace, "worker")
            live["spec"]["template"]["spec"]["containers"][0]["image"] = "someone/else:1"
            cluster.replace(kinds.DEPLOYMENT, namespace, live)
        return original(kind, ns, name, operations)

    monkeypatch.setattr(cluster, "json_patch", racing)
    before_web = _containers(seeded, "qa", kinds.DEPLOYMENT, "web")
    with pytest.raises(Conflict, match="Deployment/worker changed"):
        apply(cluster, seeded.env("qa"), [parse_spec("web=a/web:9"), parse_spec("worker=a/worker:9")], user="u")
    assert _containers(seeded, "qa", kinds.DEPLOYMENT, "web") == before_web  # undone
    assert _containers(seeded, "qa", kinds.DEPLOYMENT, "worker") == {"worker": "someone/else:1"}
