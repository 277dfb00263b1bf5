"""The demo's data files render to the objects the story needs (no cluster needed)."""

from __future__ import annotations

import base64

from hotclone.core import demo, envtypes
from hotclone.core.demo import seeding
from hotclone.core.schema import LABEL_SCOPE, SCOPE_ENVIRONMENT


def test_every_environment_type_file_renders_with_the_documented_placeholders_only() -> None:
    configmaps = seeding._type_configmaps()
    assert [c["metadata"]["labels"] for c in configmaps] == [
        {"hotclone.io/environment-type": name} for name in ("production", "qa", "development", "temporary")
    ]
    for configmap in configmaps:
        definition = envtypes.from_configmap(configmap)
        objects = definition.render("shop", "hotfix", "shop-hotfix")
        assert objects and all(o["metadata"]["namespace"] == "shop-hotfix" for o in objects)
        assert "${" not in str(objects)


def test_material_objects_carry_the_charset_bug_only_in_production() -> None:
    def settings(env: str) -> dict[str, str]:
        objects = demo.material_objects("shop", env, "1.0.0")
        data: dict[str, str] = next(o for o in objects if o["metadata"]["name"] == "app-settings")["data"]
        return data

    assert settings("production")["CHARSET"] == "ISO-8859-1"
    assert settings("qa")["CHARSET"] == "UTF-8"
    assert settings("qa")["app.properties"].endswith("cache.ttl=300\n")
    assert settings("qa")["SEARCH_URL"] == "http://search.shop-qa.svc.cluster.local:9200"


def test_extra_workloads_come_from_the_workload_template() -> None:
    base = demo.material_objects("shop", "qa", "1.0.0")
    bigger = demo.material_objects("shop", "qa", "1.0.0", extra_workloads=2)
    assert bigger[: len(base)] == base
    extra = bigger[len(base) :]
    assert [o["metadata"]["name"] for o in extra] == ["svc-000", "svc-001"]
    container = extra[1]["spec"]["template"]["spec"]["containers"][0]
    assert container["name"] == "svc-001" and container["image"] == "shop/svc-001:1.0.0"


def test_secrets_are_stored_base64_and_environment_objects_are_labelled() -> None:
    objects = demo.material_objects("shop", "qa", "1.0.0") + demo.environment_objects("shop", "qa")
    secrets = [o for o in objects if o["kind"] == "Secret"]
    assert secrets and all("stringData" not in s for s in secrets)
    credentials = next(s for s in secrets if s["metadata"]["name"] == "db-credentials")
    password = base64.b64decode(credentials["data"]["password"]).decode()
    assert password == demo.secret_value("shop", "qa", "db-password")
    assert password not in str(objects)  # only ever base64 in the objects
    for obj in demo.environment_objects("shop", "qa"):
        assert obj["metadata"]["labels"] == {LABEL_SCOPE: SCOPE_ENVIRONMENT}
