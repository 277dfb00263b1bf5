"""Environment types from ConfigMaps in hotclone-system, with a built-in `temporary`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotclone.core import envtypes, kinds
from hotclone.core.clone import clone
from hotclone.core.errors import InvalidInput, NotFound
from hotclone.core.schema import SYSTEM_NAMESPACE
from tests.conftest import Seeded


def _define(seeded: Seeded, name: str, templates: str, ttl: str | None = "1h") -> str:
    type_name = f"{name}-{seeded.app}"
    configmap = envtypes.type_configmap(type_name, templates, ttl)
    configmap["metadata"]["name"] = type_name
    seeded.cluster.create(kinds.CONFIGMAP, SYSTEM_NAMESPACE, configmap)
    return type_name


def test_types_from_the_cluster(seeded: Seeded) -> None:
    types = {t.name: t for t in seeded.session.environment_types()}
    assert types["temporary"].ttl == timedelta(hours=24)
    assert "StatefulSet/postgres" in types["temporary"].template_names
    assert types["production"].ttl is None


def test_builtin_temporary_when_none_is_defined() -> None:
    assert envtypes.BUILTIN_TEMPORARY.ttl == timedelta(hours=24)
    assert envtypes.BUILTIN_TEMPORARY.render("a", "b", "a-b") == []


def test_placeholders_are_expanded(seeded: Seeded) -> None:
    definition = envtypes.load(seeded.cluster, "temporary")
    objects = {f"{o['kind']}/{o['metadata']['name']}": o for o in definition.render("shop", "fix", "shop-fix")}
    ingress = objects["Ingress/web"]
    assert ingress["spec"]["rules"][0]["host"] == "fix.shop.preview.example.com"
    password = objects["Secret/db-credentials"]["stringData"]["password"]
    assert len(password) == 24 and password.isalnum()
    assert all(o["metadata"]["labels"]["hotclone.io/scope"] == "environment" for o in objects.values())


def test_unknown_type_is_an_error(seeded: Seeded) -> None:
    with pytest.raises(NotFound, match=r"unknown environment type 'staging' \(known: .*temporary"):
        clone(seeded.cluster, seeded.env("production"), "x", env_type="staging")


def test_unknown_placeholder_names_type_and_document(seeded: Seeded) -> None:
    name = _define(
        seeded,
        "badplaceholder",
        "kind: ConfigMap\nmetadata:\n  name: a\n---\nkind: ConfigMap\nmetadata:\n  name: ${nope}\n",
    )
    with pytest.raises(
        InvalidInput, match=rf"environment type '{name}', template document 2: unknown placeholder \$\{{nope\}}"
    ):
        clone(seeded.cluster, seeded.env("production"), "x", env_type=name)
    assert "x" not in {e.name for e in seeded.session.environments(seeded.app)}


def test_invalid_yaml_names_type_and_document(seeded: Seeded) -> None:
    name = _define(seeded, "badyaml", "kind: ConfigMap\nmetadata:\n  name: [unclosed\n")
    with pytest.raises(InvalidInput, match=rf"environment type '{name}', template document 1: invalid YAML"):
        clone(seeded.cluster, seeded.env("production"), "x", env_type=name)
