"""core/schema.py is the only place that spells hotclone's cluster format (no cluster needed)."""

from __future__ import annotations

import ast
from pathlib import Path

from hotclone.core import models, schema

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "core" / "schema.py"

# What clusters already carry: changing any of these strands every environment made before.
PINNED = {
    "LABEL_APP": "hotclone.io/app",
    "LABEL_ENV": "hotclone.io/env",
    "LABEL_ENV_TYPE": "hotclone.io/env-type",
    "LABEL_SCOPE": "hotclone.io/scope",
    "SCOPE_ENVIRONMENT": "environment",
    "LABEL_ENVIRONMENT_TYPE": "hotclone.io/environment-type",
    "SYSTEM_NAMESPACE": "hotclone-system",
    "TYPE_TEMPLATES_KEY": "templates",
    "TYPE_TTL_KEY": "ttl",
    "TYPE_EXCLUDE_KEY": "exclude",
    "TYPE_SERVICE_TYPES_KEY": "serviceTypes",
    "SERVICE_TYPES_KEEP": "keep",
    "SERVICE_TYPES_CLUSTERIP": "clusterip",
    "ENVIRONMENT_TYPE_CONFIGMAP_PREFIX": "environment-type-",
    "ANNOTATION_CLONED_FROM": "hotclone.io/cloned-from",
    "ANNOTATION_CREATED_BY": "hotclone.io/created-by",
    "ANNOTATION_EXPIRES_AT": "hotclone.io/expires-at",
    "ANNOTATION_PREFLIGHT": "hotclone.io/preflight",
    "ANNOTATION_STATE": "hotclone.io/state",
    "STATE_CREATING": "creating",
    "TIME_FORMAT": "%Y-%m-%dT%H:%M:%SZ",
    "LABEL_HISTORY": "hotclone.io/history",
    "HISTORY_REVISION": "revision",
    "HISTORY_BASE": "base",
    "HISTORY_SECRET_TYPE": "hotclone.io/history",
    "LABEL_REVISION": "hotclone.io/revision",
    "ANNOTATION_ACTION": "hotclone.io/action",
    "ANNOTATION_USER": "hotclone.io/user",
    "ANNOTATION_TIME": "hotclone.io/time",
    "ANNOTATION_REASON": "hotclone.io/reason",
    "ANNOTATION_SUMMARY": "hotclone.io/summary",
    "ANNOTATION_SOURCE_NAMESPACE": "hotclone.io/source-namespace",
    "BASE_SECRET": "hotclone-base",
    "SNAPSHOT_KEY": "snapshot",
    "ANNOTATION_SNAPSHOT_KINDS": "hotclone.io/snapshot-kinds",
    "SNAPSHOT_KINDS_DISCOVERED": "discovered",
}


def _sources() -> list[Path]:
    return sorted(p for layer in ("core", "cli", "tui") for p in (ROOT / layer).rglob("*.py"))


def test_no_hotclone_io_string_outside_schema() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _sources()
        if path != SCHEMA
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "hotclone.io/" in line
    ]
    assert not offenders, "spell these through hotclone.core.schema:\n" + "\n".join(offenders)


def test_every_constant_is_assigned_once() -> None:
    names = [
        target.id
        for node in ast.parse(SCHEMA.read_text()).body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    ]
    assert sorted(names) == sorted(set(names))


def test_label_and_annotation_keys_are_unique() -> None:
    keys = {name: value for name, value in vars(schema).items() if name.startswith(("LABEL_", "ANNOTATION_"))}
    assert len(set(keys.values())) == len(keys), keys
    assert all(value.startswith("hotclone.io/") for value in keys.values())


def test_values_are_pinned() -> None:
    assert {name: getattr(schema, name) for name in PINNED} == PINNED


def test_models_holds_no_cluster_format() -> None:
    leaked = [name for name in vars(models) if name.startswith(("LABEL_", "ANNOTATION_")) or name == "SYSTEM_NAMESPACE"]
    assert not leaked


def test_names_of_what_hotclone_creates() -> None:
    assert schema.history_secret_name(1) == "hotclone-history-00001"
    assert schema.history_secret_name(12345) == "hotclone-history-12345"
    assert sorted(schema.history_secret_name(n) for n in (10, 9, 100)) == [
        schema.history_secret_name(n) for n in (9, 10, 100)
    ]
    assert schema.environment_namespace("topicshare", "hotfix-ko") == "topicshare-hotfix-ko"
    assert schema.environment_type_configmap_name("temporary") == "environment-type-temporary"
    assert schema.environment_type_configmap_name("temporary", "topicshare") == "environment-type-topicshare-temporary"


def test_history_secret_round_trip() -> None:
    objects = [{"kind": "ConfigMap", "metadata": {"name": "app-settings"}, "data": {"CHARSET": "UTF-8 한국어"}}]
    secret = schema.history_secret("hotclone-history-00001", {"a": "b"}, {"c": "d"}, objects)
    assert secret["type"] == "hotclone.io/history"
    assert secret["metadata"] == {"name": "hotclone-history-00001", "labels": {"a": "b"}, "annotations": {"c": "d"}}
    assert list(secret["data"]) == ["snapshot"]
    assert schema.unpack(secret["data"]["snapshot"]) == objects


def test_unpacks_what_earlier_versions_wrote() -> None:
    # base64 of gzip of compact JSON, as written by every hotclone so far.
    written = "H4sIAAAAAAAAA4uuVsrOzEtRslJyzs9Ly0z3TSxQqo0FAB2JIEsWAAAA"
    assert schema.unpack(written) == [{"kind": "ConfigMap"}]
