"""Environment types from ConfigMaps in hotclone-system, with a built-in `temporary`; per application."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from hotclone.core import demo, envtypes, kinds
from hotclone.core.clone import clone
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.discovery import environment
from hotclone.core.errors import HotcloneError, InvalidInput, NotFound
from hotclone.core.models import EnvironmentType
from hotclone.core.schema import SYSTEM_NAMESPACE
from hotclone.core.session import Session
from tests.conftest import Seeded, fresh_app
from tests.helpers import namespace_objects, run_cli


def _define(seeded: Seeded, name: str, templates: str, ttl: str | None = "1h") -> str:
    configmap = envtypes.type_configmap(name, templates, ttl, app=seeded.app)  # no other app sees it
    seeded.cluster.create(kinds.CONFIGMAP, SYSTEM_NAMESPACE, configmap)
    return name


def test_types_from_the_cluster(seeded: Seeded) -> None:
    types = {t.name: t for t in seeded.session.environment_types(seeded.app)}
    assert types["temporary"].ttl == timedelta(hours=24)
    assert "StatefulSet/postgres" in types["temporary"].template_names
    assert types["temporary"].app == seeded.app  # the demo's database template is the demo app's own
    assert types["production"].ttl is None and types["production"].app is None


def test_builtin_temporary_when_none_is_defined() -> None:
    assert envtypes.BUILTIN_TEMPORARY.ttl == timedelta(hours=24)
    assert envtypes.BUILTIN_TEMPORARY.render("a", "b", "a-b") == []


def test_placeholders_are_expanded(seeded: Seeded) -> None:
    definition = envtypes.load(seeded.cluster, "temporary", seeded.app)
    objects = {f"{o['kind']}/{o['metadata']['name']}": o for o in definition.render("shop", "fix", "shop-fix")}
    ingress = objects["Ingress/web"]
    assert ingress["spec"]["rules"][0]["host"] == "fix.shop.preview.example.com"
    password = objects["Secret/db-credentials"]["stringData"]["password"]
    assert len(password) == 24 and password.isalnum()
    assert all(o["metadata"]["labels"]["hotclone.io/scope"] == "environment" for o in objects.values())


def test_unknown_type_is_an_error(seeded: Seeded) -> None:
    known = r"\(known: development, production, qa, temporary\)"
    with pytest.raises(NotFound, match=rf"unknown environment type 'staging' for '{seeded.app}' {known}"):
        clone(seeded.cluster, seeded.env("production"), "x", env_type="staging")


def test_unknown_placeholder_names_type_and_document(seeded: Seeded) -> None:
    name = _define(
        seeded,
        "badplaceholder",
        "kind: ConfigMap\nmetadata:\n  name: a\n---\nkind: ConfigMap\nmetadata:\n  name: ${nope}\n",
    )
    with pytest.raises(
        InvalidInput,
        match=rf"environment type '{name}' of '{seeded.app}', template document 2: unknown placeholder \$\{{nope\}}",
    ):
        clone(seeded.cluster, seeded.env("production"), "x", env_type=name)
    assert "x" not in {e.name for e in seeded.session.environments(seeded.app)}


def test_invalid_yaml_names_type_and_document(seeded: Seeded) -> None:
    name = _define(seeded, "badyaml", "kind: ConfigMap\nmetadata:\n  name: [unclosed\n")
    with pytest.raises(
        InvalidInput, match=rf"environment type '{name}' of '{seeded.app}', template document 1: invalid YAML"
    ):
        clone(seeded.cluster, seeded.env("production"), "x", env_type=name)


# -- per application ---------------------------------------------------------------------------------
def _marker(name: str) -> str:
    """A template that makes one ConfigMap, so a clone shows which type it got."""
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  APP: ${{app}}\n"


def _small_app(cluster: Cluster, app: str) -> None:
    """An application that is not TopicShare: a production with one ConfigMap and a LoadBalancer Service."""
    cluster.create(kinds.NAMESPACE, None, demo.namespace_object(app, "production", "production"))
    settings: Obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ledger"}, "data": {"A": "1"}}
    cluster.create(kinds.CONFIGMAP, f"{app}-production", settings)
    service: Obj = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "edge"}}
    service["spec"] = {"type": "LoadBalancer", "selector": {"app": "edge"}, "ports": [{"port": 443}]}
    cluster.create(kinds.SERVICE, f"{app}-production", service)


def _define_type(cluster: Cluster, configmap: Obj) -> None:
    cluster.create(kinds.CONFIGMAP, SYSTEM_NAMESPACE, configmap)


@dataclass
class Apps:
    cluster: Cluster
    kubeconfig: str
    demo_app: str  # seeded: its own `temporary` templates TopicShare's database
    own_app: str  # its own `temporary` (a marker ConfigMap), excluding its Service, keeping Service types
    plain_app: str  # no type of its own: the global `temporary`


@pytest.fixture
def apps(admin: Cluster, kubeconfig: str) -> Iterator[Apps]:
    demo_app, own_app, plain_app = fresh_app(), fresh_app(), fresh_app()
    demo.seed(admin, demo_app)
    _small_app(admin, own_app)
    _small_app(admin, plain_app)
    defined = [
        envtypes.type_configmap("temporary", _marker("global-marker"), "2h"),
        envtypes.type_configmap("temporary", _marker("own-marker"), "3h", app=own_app, service_types="keep"),
        envtypes.type_configmap("hardened", "", None, app=own_app, exclude=("ConfigMap/ledger",)),
    ]
    for configmap in defined:
        _define_type(admin, configmap)
    try:
        yield Apps(admin, kubeconfig, demo_app, own_app, plain_app)
    finally:
        for configmap in defined:
            with contextlib.suppress(HotcloneError):
                admin.delete(kinds.CONFIGMAP, SYSTEM_NAMESPACE, configmap["metadata"]["name"])
        for app in (demo_app, own_app, plain_app):
            for namespace in admin.list(kinds.NAMESPACE, label_selector=f"hotclone.io/app={app}"):
                with contextlib.suppress(HotcloneError):
                    admin.delete(kinds.NAMESPACE, None, namespace["metadata"]["name"])


def _clone(apps: Apps, app: str, env_type: str = "temporary") -> dict[str, Obj]:
    clone(apps.cluster, environment(apps.cluster, app, "production"), "copy", env_type=env_type)
    return namespace_objects(apps.cluster, f"{app}-copy")


def test_each_application_gets_its_own_temporary(apps: Apps) -> None:
    demo_copy = _clone(apps, apps.demo_app)
    assert {"StatefulSet/postgres", "Secret/db-credentials", "Ingress/web"} <= set(demo_copy)
    assert not {"ConfigMap/global-marker", "ConfigMap/own-marker"} & set(demo_copy)

    own_copy = _clone(apps, apps.own_app)
    assert own_copy["ConfigMap/own-marker"]["data"] == {"APP": apps.own_app}
    assert not {"ConfigMap/global-marker", "StatefulSet/postgres", "Secret/db-credentials"} & set(own_copy)
    assert own_copy["Service/edge"]["spec"]["type"] == "LoadBalancer"  # its type keeps Service types

    plain_copy = _clone(apps, apps.plain_app)
    assert plain_copy["ConfigMap/global-marker"]["data"] == {"APP": apps.plain_app}
    assert not {"ConfigMap/own-marker", "StatefulSet/postgres", "Secret/db-credentials"} & set(plain_copy)
    assert plain_copy["Service/edge"]["spec"]["type"] == "ClusterIP"  # the global type does not

    for app, hours in ((apps.own_app, 3), (apps.plain_app, 2)):  # each type's own TTL
        copy = environment(apps.cluster, app, "copy")
        assert copy.expires_at and copy.created
        assert (copy.expires_at - copy.created).total_seconds() == pytest.approx(hours * 3600, abs=5)


def test_an_applications_exclusions_apply_to_its_clones(apps: Apps) -> None:
    copy = _clone(apps, apps.own_app, "hardened")
    assert "ConfigMap/ledger" not in copy and "Service/edge" in copy
    with pytest.raises(NotFound, match=rf"unknown environment type 'hardened' for '{apps.plain_app}'"):
        _clone(apps, apps.plain_app, "hardened")  # another application's type does not apply


def test_load_finds_the_apps_type_then_the_global_one(apps: Apps) -> None:
    own = envtypes.load(apps.cluster, "temporary", apps.own_app)
    assert (own.app, own.ttl, own.keep_service_types) == (apps.own_app, timedelta(hours=3), True)
    plain = envtypes.load(apps.cluster, "temporary", apps.plain_app)
    assert (plain.app, plain.ttl, plain.keep_service_types) == (None, timedelta(hours=2), False)
    assert envtypes.load(apps.cluster, "temporary") == plain  # no application: global types only
    hardened = envtypes.load(apps.cluster, "hardened", apps.own_app)
    assert hardened.exclude == ("ConfigMap/ledger",)
    known = "development, hardened, production, qa, temporary"
    with pytest.raises(NotFound, match=rf"^unknown environment type 'x' for '{apps.own_app}' \(known: {known}\)$"):
        envtypes.load(apps.cluster, "x", apps.own_app)


def _summaries(session: Session, app: str | None) -> list[EnvironmentType]:
    mine = (None, app) if app else (None,)
    return [t for t in session.environment_types(app) if t.app in mine or t.builtin]


def test_types_lists_what_applies_to_an_application(apps: Apps) -> None:
    session = Session(apps.cluster)
    listed = {(t.name, t.app, t.overrides) for t in _summaries(session, apps.own_app)}
    assert listed == {
        ("development", None, False),
        ("hardened", apps.own_app, False),
        ("production", None, False),
        ("qa", None, False),
        ("temporary", apps.own_app, True),
    }
    result = run_cli("types", apps.own_app, kubeconfig=apps.kubeconfig)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split() == ["TYPE", "SCOPE", "TTL", "TEMPLATES", "GATES"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"development", "hardened", "production", "qa", "temporary"}
    assert f"{apps.own_app} (overrides global)" in rows["temporary"] and "ConfigMap/own-marker" in rows["temporary"]
    assert rows["hardened"].split()[1] == apps.own_app and "(overrides" not in rows["hardened"]
    assert rows["qa"].split()[1] == "global"

    as_json = run_cli("types", apps.own_app, "--json", kubeconfig=apps.kubeconfig)
    assert as_json.code == 0, as_json.err
    found = {t["name"]: t for t in json.loads(as_json.out)}
    assert found["temporary"]["scope"] == apps.own_app and found["temporary"]["app"] == apps.own_app
    assert found["temporary"]["overrides"] is True and found["temporary"]["ttl"] == 3 * 3600
    assert found["qa"]["scope"] == "global" and found["qa"]["app"] is None


def test_types_without_an_application_lists_every_scope(apps: Apps) -> None:
    result = run_cli("types", "--json", kubeconfig=apps.kubeconfig)
    assert result.code == 0, result.err
    temporaries = {t["scope"]: t for t in json.loads(result.out) if t["name"] == "temporary"}
    assert temporaries["global"]["template_names"] == ["ConfigMap/global-marker"]
    assert temporaries[apps.own_app]["template_names"] == ["ConfigMap/own-marker"]
    assert "StatefulSet/postgres" in temporaries[apps.demo_app]["template_names"]
    text = run_cli("types", kubeconfig=apps.kubeconfig)
    own = [line for line in text.out.splitlines() if apps.own_app in line]
    assert sorted(line.split()[0] for line in own) == ["hardened", "temporary"]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("exclude", "Deployment\nnot a pattern!\n", r"exclude line 2: 'not a pattern!' is not Kind, Kind.group"),
        ("exclude", "deployment/web\n", r"exclude line 1: 'deployment/web' is not Kind"),
        ("serviceTypes", "LoadBalancer", r"serviceTypes is 'LoadBalancer'; use 'keep' or 'clusterip' \(the default\)"),
    ],
)
def test_bad_type_keys_are_one_line_naming_the_type(seeded: Seeded, key: str, value: str, message: str) -> None:
    name = f"bad-{key.lower()}"
    configmap = envtypes.type_configmap(name, "", None, app=seeded.app)
    configmap["data"][key] = value
    _define_type(seeded.cluster, configmap)
    other = fresh_app()
    try:
        where = rf"^environment type '{name}' of '{seeded.app}': "
        with pytest.raises(InvalidInput, match=where + message) as raised:
            clone(seeded.cluster, seeded.env("production"), "x", env_type=name)
        assert "\n" not in str(raised.value)
        assert "x" not in {e.name for e in seeded.session.environments(seeded.app)}  # nothing created
        # Only this application's type is broken: its other types and other applications still clone.
        assert envtypes.load(seeded.cluster, "temporary", seeded.app).app == seeded.app
        assert envtypes.load_all(seeded.cluster, other)
        listed = run_cli("types", "--json", kubeconfig=seeded.kubeconfig)  # every type: this one is parsed too
        assert listed.code == 2 and listed.err.count("\n") == 1 and f"environment type '{name}'" in listed.err
    finally:
        seeded.cluster.delete(kinds.CONFIGMAP, SYSTEM_NAMESPACE, configmap["metadata"]["name"])


def test_exclude_patterns_are_canonical_and_comments_ignored() -> None:
    text = "# the demo's\n\nDeployment.apps/worker  # a comment\nCertificate.cert-manager.io\nJob\nJob\n"
    assert envtypes.parse_exclude(text, "t") == ("Deployment/worker", "Certificate.cert-manager.io", "Job")
    assert envtypes.parse_service_types(" Keep \n", "t") is True
    assert envtypes.parse_service_types("clusterip", "t") is False
    assert envtypes.parse_service_types("", "t") is False


SMOKE_CHECK = """apiVersion: batch/v1
kind: Job
metadata:
  name: smoke
  annotations:
    hotclone.io/check-read-only: "true"
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: smoke
        image: curlimages/curl:8.10.1
        args: ["-fsS", "http://web.${namespace}.svc"]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: writes
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: writes
        image: busybox:1.36
"""


def _gated(**keys: str) -> envtypes.TypeDefinition:
    configmap = envtypes.type_configmap("gated", "", None)
    configmap["data"].update(keys)
    return envtypes.from_configmap(configmap)


def test_gate_keys_are_parsed_and_rendered() -> None:
    gated = _gated(checks=SMOKE_CHECK, checkTimeout="90s", requireVerification="true", approvals="2")
    assert [(c.name, c.read_only, c.timeout) for c in gated.checks] == [
        ("smoke", True, timedelta(seconds=90)),
        ("writes", False, timedelta(seconds=90)),
    ]
    assert gated.require_verification and gated.approvals == 2
    summary = gated.summary()
    assert summary.checks == ("smoke", "writes") and summary.require_verification and summary.approvals == 2
    job = gated.render_check(gated.checks[0], "shop", "hotfix", "shop-hotfix")
    assert job["metadata"]["namespace"] == "shop-hotfix"
    assert job["spec"]["template"]["spec"]["containers"][0]["args"][1] == "http://web.shop-hotfix.svc"
    plain = _gated()
    assert plain.checks == () and not plain.require_verification and plain.approvals == 0


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"approvals": "one"}, "approvals is 'one'; use a whole number from 0 to 10"),
        ({"approvals": "-1"}, "approvals is '-1'"),
        ({"approvals": "11"}, "approvals is '11'"),
        ({"requireVerification": "yes"}, "requireVerification is 'yes'; use 'true' or 'false'"),
        ({"checkTimeout": "soon"}, "checkTimeout:"),
        ({"checks": "kind: ConfigMap\nmetadata:\n  name: x\n"}, "a check is a Job, not a ConfigMap"),
        ({"checks": "kind: Job\nmetadata: {}\n"}, "Job has no metadata.name"),
        (
            {"checks": "kind: Job\nmetadata:\n  name: a\n---\nkind: Job\nmetadata:\n  name: a\n"},
            "two checks are named 'a'",
        ),
    ],
)
def test_bad_gate_keys_are_one_line_errors(keys: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        _gated(**keys)
    assert message in str(caught.value) and "environment type 'gated'" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_types_shows_each_types_gates(admin: Cluster, kubeconfig: str) -> None:
    app = fresh_app()
    body = envtypes.type_configmap(
        "gated", "", "2h", app=app, checks=SMOKE_CHECK, require_verification=True, approvals=1
    )
    admin.create(kinds.CONFIGMAP, SYSTEM_NAMESPACE, body)
    try:
        result = run_cli("types", app, kubeconfig=kubeconfig)
        assert result.code == 0, result.err
        row = next(line for line in result.out.splitlines() if line.startswith("gated "))
        assert row.endswith("checks: smoke, writes; promote needs: verification, 1 approval")
        found = {t["name"]: t for t in json.loads(run_cli("types", app, "--json", kubeconfig=kubeconfig).out)}
        assert found["gated"]["checks"] == ["smoke", "writes"] and found["gated"]["approvals"] == 1
        assert found["gated"]["require_verification"] is True
    finally:
        admin.delete(kinds.CONFIGMAP, SYSTEM_NAMESPACE, body["metadata"]["name"])
