"""The demo's data files render to the objects the story needs (no cluster needed)."""

from __future__ import annotations

import base64

from hotclone.core import demo, envtypes, material_policy, ownership
from hotclone.core.schema import LABEL_SCOPE, SCOPE_ENVIRONMENT


def test_every_environment_type_file_renders_with_the_documented_placeholders_only() -> None:
    configmaps = demo.type_configmaps("shop")
    assert [c["metadata"]["labels"] for c in configmaps] == [
        {"hotclone.io/environment-type": name} for name in ("production", "qa", "development")
    ] + [{"hotclone.io/environment-type": "temporary", "hotclone.io/app": "shop"}]
    assert configmaps[-1]["metadata"]["name"] == "environment-type-shop-temporary"
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


def test_temporary_with_its_database_is_the_demo_apps_own() -> None:
    configmaps = demo.type_configmaps("shop")
    mine = envtypes.named(configmaps, "temporary", "shop")
    assert mine.app == "shop" and "StatefulSet/postgres" in mine.summary().template_names
    assert envtypes.named(configmaps, "temporary", "ledger") is envtypes.BUILTIN_TEMPORARY  # no postgres for others
    assert envtypes.named(configmaps, "qa", "ledger").app is None  # the other demo types stay global


def test_production_holds_a_custom_resource_and_a_helm_release() -> None:
    objects = {material_policy.object_ref(o): o for o in demo.production_objects("shop")}
    assert sorted(objects) == [
        "Certificate.cert-manager.io/web",
        "ConfigMap/edge-proxy",
        "Secret/sh.helm.release.v1.topicshare-edge.v1",
    ]
    certificate = objects["Certificate.cert-manager.io/web"]
    assert certificate["apiVersion"] == "cert-manager.io/v1"
    assert certificate["spec"]["dnsNames"] == ["web.shop-production.svc", "web.shop-production.svc.cluster.local"]
    assert ownership.other_tools(objects["ConfigMap/edge-proxy"]) == ("Helm release topicshare-edge",)
    assert objects["ConfigMap/edge-proxy"]["metadata"]["annotations"]["meta.helm.sh/release-namespace"] == (
        "shop-production"
    )
    record = objects["Secret/sh.helm.release.v1.topicshare-edge.v1"]
    assert record["type"] == "helm.sh/release.v1" and "stringData" not in record
    reasons = material_policy.object_skip_reasons(list(objects.values()))
    assert list(reasons) == ["Secret/sh.helm.release.v1.topicshare-edge.v1"]  # a clone skips the record only


def test_the_crd_serves_the_certificate_kind() -> None:
    (crd,) = demo.crds()
    assert crd["metadata"]["name"] == "certificates.cert-manager.io"
    spec = crd["spec"]
    assert (spec["group"], spec["scope"], spec["names"]["kind"]) == ("cert-manager.io", "Namespaced", "Certificate")
    (version,) = spec["versions"]
    assert version["name"] == "v1" and version["served"] and version["storage"]
    assert version["schema"]["openAPIV3Schema"]["x-kubernetes-preserve-unknown-fields"] is True
