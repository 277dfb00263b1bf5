"""Preflight: nothing in a clone may still point at the source environment."""

from __future__ import annotations

import base64

import pytest

from hotclone.core import demo, kinds
from hotclone.core.clone import clone
from hotclone.core.errors import Refused
from tests.conftest import Seeded


def _add_setting(seeded: Seeded, key: str, value: str) -> None:
    cluster = seeded.cluster
    settings = cluster.get(kinds.CONFIGMAP, seeded.namespace("production"), "app-settings")
    settings["data"][key] = value
    cluster.replace(kinds.CONFIGMAP, seeded.namespace("production"), settings)


def test_material_object_naming_production_database_blocks_the_clone(seeded: Seeded) -> None:
    db_host = demo.database_host(seeded.app, "production")
    _add_setting(seeded, "REPORTING_DB", f"postgres://reporting@{db_host}:5432/reports")
    before = {e.name for e in seeded.session.environments(seeded.app)}
    with pytest.raises(Refused) as error:
        clone(seeded.cluster, seeded.env("production"), "hotfix")
    message = str(error.value)
    assert "ConfigMap/app-settings data.REPORTING_DB" in message
    assert "Secret/db-credentials key host" in message
    assert db_host not in message  # found through a Secret: the value is never printed
    assert {e.name for e in seeded.session.environments(seeded.app)} == before


def test_ingress_host_reference_is_listed(seeded: Seeded) -> None:
    host = demo.public_host(seeded.app, "production")
    _add_setting(seeded, "CALLBACK_URL", f"https://{host}/oauth/callback")
    with pytest.raises(Refused, match="CALLBACK_URL"):
        clone(seeded.cluster, seeded.env("production"), "hotfix")


def test_allow_prod_references_clones_and_reports_them(seeded: Seeded) -> None:
    host = demo.public_host(seeded.app, "production")
    _add_setting(seeded, "CALLBACK_URL", f"https://{host}/oauth/callback")
    result = clone(seeded.cluster, seeded.env("production"), "hotfix", allow_prod_references=True)
    remaining = [f for f in result.findings if not f.rewritten]
    assert [(f.object, f.path) for f in remaining] == [("ConfigMap/app-settings", "data.CALLBACK_URL")]
    shown = seeded.session.preflight(result.environment)
    assert any("CALLBACK_URL" in line and "still points" in line for line in shown)


def test_namespace_references_are_rewritten_everywhere(seeded: Seeded) -> None:
    cluster = seeded.cluster
    prod_ns = seeded.namespace("production")
    cluster.create(
        kinds.SECRET,
        prod_ns,
        {
            "metadata": {"name": "internal-urls"},
            "data": {"cache": base64.b64encode(f"redis://cache.{prod_ns}.svc:6379".encode()).decode()},
        },
    )
    result = clone(cluster, seeded.env("production"), "hotfix")
    new_ns = seeded.namespace("hotfix")
    rewritten = {(f.object, f.path) for f in result.findings if f.rewritten}
    assert ("ConfigMap/app-settings", "data.API_URL") in rewritten
    assert ("Secret/internal-urls", "data.cache") in rewritten
    secret = cluster.get(kinds.SECRET, new_ns, "internal-urls")
    assert base64.b64decode(secret["data"]["cache"]).decode() == f"redis://cache.{new_ns}.svc:6379"
    settings = cluster.get(kinds.CONFIGMAP, new_ns, "app-settings")["data"]
    assert prod_ns not in "".join(settings.values())
