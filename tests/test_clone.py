"""Clone on the real API server: what is copied, what is generated, what is stripped."""

from __future__ import annotations

import base64
import re
import time

import pytest

from hotclone.core import demo, inventory, kinds
from hotclone.core.clone import clone
from hotclone.core.envtypes import type_configmap
from hotclone.core.errors import AlreadyExists, InvalidInput, NotFound
from hotclone.core.schema import ANNOTATION_CLONED_FROM, ANNOTATION_EXPIRES_AT, LABEL_ENV_TYPE
from tests.conftest import Seeded
from tests.helpers import namespace_objects

SERVER_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation")


def _wait_gone(cluster: object, namespace: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            cluster.get(kinds.NAMESPACE, None, namespace)  # type: ignore[attr-defined]
        except NotFound:
            return
        time.sleep(0.2)
    raise AssertionError(f"{namespace} still exists")


def test_clone_copies_exactly_the_material_objects(seeded: Seeded) -> None:
    cluster = seeded.cluster
    result = clone(cluster, seeded.env("production"), "hotfix", user="alice")
    source = namespace_objects(cluster, seeded.namespace("production"))
    cloned = namespace_objects(cluster, seeded.namespace("hotfix"))
    material = {ref for ref, o in source.items() if not inventory.is_environment_scoped(o)}
    assert set(result.copied) == material
    assert material <= set(cloned)
    # Environment-scoped objects come from the temporary type's templates only.
    scoped_in_clone = {ref for ref, o in cloned.items() if inventory.is_environment_scoped(o)}
    assert scoped_in_clone == {
        "Secret/db-credentials",
        "ConfigMap/environment",
        "Service/postgres",
        "StatefulSet/postgres",
        "Ingress/web",
    }
    # Same spec apart from the rewritten namespace references.
    web_src = source["Deployment/web"]["spec"]["template"]["spec"]
    web_new = cloned["Deployment/web"]["spec"]["template"]["spec"]
    assert web_src["containers"] == web_new["containers"]
    settings = cloned["ConfigMap/app-settings"]["data"]
    assert settings["SEARCH_URL"] == f"http://search.{seeded.namespace('hotfix')}.svc.cluster.local:9200"
    assert settings["CHARSET"] == "ISO-8859-1"


def test_clone_records_labels_annotations_and_ttl(seeded: Seeded) -> None:
    cluster = seeded.cluster
    clone(cluster, seeded.env("production"), "hotfix", user="alice", ttl="2h")
    namespace = cluster.get(kinds.NAMESPACE, None, seeded.namespace("hotfix"))
    meta = namespace["metadata"]
    assert meta["labels"][LABEL_ENV_TYPE] == "temporary"
    assert meta["annotations"][ANNOTATION_CLONED_FROM] == "production"
    assert meta["annotations"]["hotclone.io/created-by"] == "alice"
    assert ANNOTATION_EXPIRES_AT in meta["annotations"]
    assert "hotclone.io/state" not in meta["annotations"]
    environment = seeded.session.environment(seeded.app, "hotfix")
    left = environment.ttl_left(seeded.session.now())
    assert left is not None and 7000 < left.total_seconds() <= 7200


def test_clone_strips_server_fields(seeded: Seeded) -> None:
    cluster = seeded.cluster
    source_ns = seeded.namespace("production")
    cluster.create(
        kinds.PVC,
        source_ns,
        {
            "metadata": {"name": "uploads", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        },
    )
    source_web = cluster.get(kinds.SERVICE, source_ns, "web")
    clone(cluster, seeded.env("production"), "hotfix")
    new_ns = seeded.namespace("hotfix")
    copied = cluster.get(kinds.SERVICE, new_ns, "web")
    # The server gave the copy its own identity and its own cluster IP.
    assert copied["metadata"]["uid"] != source_web["metadata"]["uid"]
    assert copied["spec"]["clusterIP"] != source_web["spec"]["clusterIP"]
    pvc = cluster.get(kinds.PVC, new_ns, "uploads")
    assert "kubectl.kubernetes.io/last-applied-configuration" not in (pvc["metadata"].get("annotations") or {})
    from hotclone.core.normalize import for_copy

    for obj in namespace_objects(cluster, source_ns).values():
        stripped = for_copy(obj)
        assert not any(field in stripped["metadata"] for field in SERVER_FIELDS)
        assert "status" not in stripped


def test_no_source_secret_value_in_the_clone(seeded: Seeded) -> None:
    cluster = seeded.cluster
    clone(cluster, seeded.env("production"), "hotfix")
    prod_password = demo.secret_value(seeded.app, "production", "db-password")
    for obj in namespace_objects(cluster, seeded.namespace("hotfix")).values():
        if obj["kind"] == "Secret":
            for value in (obj.get("data") or {}).values():
                assert prod_password not in base64.b64decode(value).decode()
    secret = cluster.get(kinds.SECRET, seeded.namespace("hotfix"), "db-credentials")
    host = base64.b64decode(secret["data"]["host"]).decode()
    assert host == f"postgres.{seeded.namespace('hotfix')}.svc.cluster.local"


def test_scoped_object_without_template_is_reported(seeded: Seeded) -> None:
    cluster = seeded.cluster
    cluster.create(
        kinds.CONFIGMAP,
        seeded.namespace("production"),
        {
            "metadata": {"name": "cdn", "labels": {"hotclone.io/scope": "environment"}},
            "data": {"origin": "cdn.example.com"},
        },
    )
    result = clone(cluster, seeded.env("production"), "hotfix", allow_prod_references=True)
    assert any("ConfigMap/cdn" in warning for warning in result.warnings)
    with pytest.raises(NotFound):
        cluster.get(kinds.CONFIGMAP, seeded.namespace("hotfix"), "cdn")


BROKEN_TEMPLATES = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: environment
data:
  ENVIRONMENT: ${env}
---
apiVersion: v1
kind: Service
metadata:
  name: postgres
spec:
  selector: {app: postgres}
  ports:
  - port: 99999
"""


def test_failed_clone_leaves_nothing_behind(seeded: Seeded) -> None:
    """The server refuses one object half-way (invalid port): everything made so far goes."""
    cluster = seeded.cluster
    type_name = f"broken-{seeded.app}"
    configmap = type_configmap(type_name, BROKEN_TEMPLATES, "1h", app=seeded.app)  # its own: other tests never see it
    configmap["metadata"]["name"] = type_name
    cluster.create(kinds.CONFIGMAP, "hotclone-system", configmap)
    with pytest.raises(InvalidInput, match="Service/postgres") as error:
        clone(cluster, seeded.env("production"), "broken", env_type=type_name)
    message = str(error.value)
    assert re.search(r"(was removed again|is being removed) \(read back", message) and "\n" not in message
    _wait_gone(cluster, seeded.namespace("broken"))
    assert "broken" not in {e.name for e in seeded.session.environments(seeded.app)}


def test_existing_name_and_invalid_name_are_refused_before_any_change(seeded: Seeded) -> None:
    cluster = seeded.cluster
    production = seeded.env("production")
    before = cluster.request_count
    with pytest.raises(InvalidInput, match="RFC 1123"):
        clone(cluster, production, "Hotfix_KO")
    with pytest.raises(InvalidInput, match="too long"):
        clone(cluster, production, "x" * 60)
    assert cluster.request_count == before  # validated before any call
    with pytest.raises(AlreadyExists):
        clone(cluster, seeded.env("production"), "qa")


def test_headless_services_stay_headless(seeded: Seeded) -> None:
    cluster = seeded.cluster
    clone(cluster, seeded.env("production"), "hotfix")
    search = cluster.get(kinds.SERVICE, seeded.namespace("hotfix"), "search")
    assert search["spec"]["clusterIP"] == "None"  # StatefulSet pod DNS keeps working
    web = cluster.get(kinds.SERVICE, seeded.namespace("hotfix"), "web")
    assert web["spec"]["clusterIP"] not in ("None", "")
