"""The journal on the real API server: records before writes, cannot collide, any size, other tools' fields kept."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import threading

import pytest

from hotclone.core import history, kinds
from hotclone.core.clone import clone
from hotclone.core.cluster import Obj
from hotclone.core.demo.controlplane import ADMIN_CONTEXT, find_binaries
from hotclone.core.errors import InvalidInput, Refused
from hotclone.core.images import parse_spec
from hotclone.core.schema import ANNOTATION_SNAPSHOT_KINDS, LABEL_HISTORY, MAX_REASON, history_secret_name
from tests.conftest import Seeded
from tests.helpers import set_config_as_previewed, set_image_as_previewed


def test_racing_writers_never_share_a_revision(seeded: Seeded) -> None:
    """Before the journal, two set-image runs raced to `hotclone-history-00007 already exists` (1 in 6)."""
    namespace = seeded.namespace("qa")
    numbers: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        start.wait()
        try:
            revision = history.begin(
                seeded.cluster, namespace, action="set-image", user=f"u{n}", summary=[], before=[], touched=[]
            )
            numbers.append(revision)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(numbers)) == 8


def test_a_revision_says_its_snapshot_covers_every_discovered_kind(seeded: Seeded) -> None:
    """Revisions written before discovery lack the mark: rollback then deletes only the 15 kinds they knew."""
    namespace = seeded.namespace("qa")
    revision = history.begin(seeded.cluster, namespace, action="set-image", user="u", summary=[], before=[], touched=[])
    entry = next(e for e in history.entries(seeded.cluster, seeded.env("qa")) if e.revision == revision)
    assert not entry.legacy_snapshot
    unmarked = {"metadata": {"annotations": {ANNOTATION_SNAPSHOT_KINDS: None}}}
    seeded.cluster.patch(kinds.SECRET, namespace, history_secret_name(revision), unmarked)
    entry = next(e for e in history.entries(seeded.cluster, seeded.env("qa")) if e.revision == revision)
    assert entry.legacy_snapshot


def test_a_large_binary_configmap_is_snapshotted_and_rolled_back(seeded: Seeded) -> None:
    """A 1 MiB incompressible ConfigMap made set-config apply and then fail, and clone never succeed."""
    cluster, namespace = seeded.cluster, seeded.namespace("qa")
    blob = base64.b64encode(os.urandom(700 * 1024)).decode()  # ~930 KiB of incompressible data
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "blob"}, "binaryData": {"b": blob}}
    cluster.create(kinds.CONFIGMAP, namespace, configmap)
    original = cluster.get(kinds.CONFIGMAP, namespace, "app-settings")["data"]["CHARSET"]
    set_config_as_previewed(cluster, seeded.env("qa"), "app-settings", {"CHARSET": "EUC-KR"}, reason="big env")
    (entry,) = [e for e in seeded.session.history(seeded.env("qa")) if e.action == "set-config"]
    assert entry.state == "complete"
    parts = cluster.list(kinds.SECRET, namespace, label_selector=f"{LABEL_HISTORY}=part")
    assert parts, "the snapshot is split across Secrets"
    _, snapshot = history.snapshot(cluster, seeded.env("qa"), entry.revision)
    assert next(o for o in snapshot if o["metadata"]["name"] == "blob")["binaryData"]["b"] == blob
    plan = seeded.session.plan_rollback(seeded.env("qa"), entry.revision)
    seeded.session.apply(plan, reason="undo")
    assert cluster.get(kinds.CONFIGMAP, namespace, "app-settings")["data"]["CHARSET"] == original
    # And a clone of an environment holding it succeeds (its base snapshot is split too).
    result = clone(cluster, seeded.env("qa"), "bigclone")
    assert cluster.get(kinds.CONFIGMAP, result.environment.namespace, "blob")["binaryData"]["b"] == blob


def test_an_oversized_reason_is_refused_before_anything_is_written(seeded: Seeded) -> None:
    cluster, namespace = seeded.cluster, seeded.namespace("qa")
    before = [s["metadata"]["name"] for s in cluster.list(kinds.SECRET, namespace)]
    with pytest.raises(InvalidInput, match=f"at most {MAX_REASON}"):
        set_image_as_previewed(cluster, seeded.env("qa"), [parse_spec("web=a/web:2")], reason="x" * 300_000)
    assert [s["metadata"]["name"] for s in cluster.list(kinds.SECRET, namespace)] == before
    assert cluster.get(kinds.DEPLOYMENT, namespace, "web")["spec"]["template"]["spec"]["containers"][0]["image"] != (
        "a/web:2"
    )


def test_an_unfinished_revision_blocks_other_changes(seeded: Seeded) -> None:
    cluster = seeded.cluster
    history.begin(
        cluster, seeded.namespace("qa"), action="promote", user="alice", summary=[], before=[], touched=["ConfigMap/x"]
    )
    with pytest.raises(Refused, match="unfinished revision .* hotclone recover"):
        set_image_as_previewed(cluster, seeded.env("qa"), [parse_spec("web=a/web:2")])
    recovered = seeded.session.recover(seeded.env("qa"))
    assert [e.action for e in recovered] == ["promote"]
    set_image_as_previewed(cluster, seeded.env("qa"), [parse_spec("web=a/web:2")])  # unblocked


def _kubectl(seeded: Seeded, *args: str, stdin: str | None = None) -> str:
    command = [str(find_binaries() / "kubectl"), "--kubeconfig", seeded.kubeconfig, "--context", ADMIN_CONTEXT, *args]
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _manifest(seeded: Seeded, env: list[dict[str, str]]) -> str:
    labels = {"app": "tool"}
    container = {"name": "tool", "image": "tool:1", "env": env}
    deployment: Obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "tool", "namespace": seeded.namespace("production"), "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }
    return json.dumps(deployment)


def _tool(seeded: Seeded) -> Obj:
    return seeded.cluster.get(kinds.DEPLOYMENT, seeded.namespace("production"), "tool")


def test_kubectl_apply_keeps_working_through_promote_and_rollback(seeded: Seeded) -> None:
    """Promote used to PUT hotclone's copy, dropping kubectl's last-applied configuration."""
    last_applied = "kubectl.kubernetes.io/last-applied-configuration"
    both = [{"name": "KEEP", "value": "1"}, {"name": "DROP", "value": "2"}]
    _kubectl(seeded, "apply", "-f", "-", stdin=_manifest(seeded, both))
    assert last_applied in _tool(seeded)["metadata"]["annotations"]
    clone(seeded.cluster, seeded.env("production"), "fix")
    set_image_as_previewed(seeded.cluster, seeded.env("fix"), [parse_spec("tool=tool:2")])
    plan = seeded.session.plan_promote(seeded.env("fix"))
    seeded.session.apply(plan, confirm="production", reason="tool:2")
    promoted = _tool(seeded)
    assert promoted["spec"]["template"]["spec"]["containers"][0]["image"] == "tool:2"
    assert last_applied in promoted["metadata"]["annotations"], "kubectl's base survives the promote"
    # kubectl's three-way apply still works: removing DROP from the manifest removes it live.
    _kubectl(seeded, "apply", "-f", "-", stdin=_manifest(seeded, [{"name": "KEEP", "value": "1"}]))
    names = [e["name"] for e in _tool(seeded)["spec"]["template"]["spec"]["containers"][0]["env"]]
    assert names == ["KEEP"]
    promote_revision = max(e.revision for e in seeded.session.history(seeded.env("production")))
    rollback = seeded.session.plan_rollback(seeded.env("production"), promote_revision)
    seeded.session.apply(rollback, confirm="production", reason="back")
    assert last_applied in _tool(seeded)["metadata"]["annotations"], "and the rollback"
