"""Seeding the TopicShare demo from its data files (topicshare/*.yaml, types/*.yaml).

production runs 1.9.3 with the charset bug (ISO-8859-1 renders Hangul as mojibake),
qa is busy with 2.0.0-rc.2, development runs 2.1.0-dev. production also holds what
real namespaces hold beside an application (topicshare/production.yaml): a custom
resource (a cert-manager Certificate; its CRD, topicshare/crds.yaml, is installed
first) and a Helm release's ConfigMap with Helm's release record. Used by
`hotclone demo`, the tests (with a fresh app name each) and the benchmarks (with more
workloads). The files are rendered by the placeholder engine that environment types
use; the types' own files are stored verbatim, to be rendered when an environment is
made. The `temporary` type templates TopicShare's own database, so it is TopicShare's
(limited to the seeded app); the other demo types are global.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import time
from pathlib import Path

from hotclone.core import api_discovery, approval_policy, kinds, templates
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.envtypes import type_configmap
from hotclone.core.errors import AlreadyExists, Forbidden, NotFound
from hotclone.core.schema import (
    LABEL_APP,
    LABEL_ENV,
    LABEL_ENV_TYPE,
    LABEL_SCOPE,
    SCOPE_ENVIRONMENT,
    SYSTEM_NAMESPACE,
    TYPE_TEMPLATES_KEY,
    environment_type_configmap_name,
)

DEMO_APP = "topicshare"
VERSIONS = {"development": "2.1.0-dev", "qa": "2.0.0-rc.2", "production": "1.9.3"}
TYPE_TTLS = {"production": None, "qa": None, "development": "168h", "temporary": "24h"}
TYPE_CHECKS = frozenset({"temporary"})  # types/<name>-checks.yaml: the checks `hotclone verify` runs
APP_TYPES = frozenset({"temporary"})  # the seeded app's own types (they template its database)
ESTABLISH_SECONDS = 30.0  # how long a new CRD may take to be served

_DATA = Path(__file__).resolve().parent


def _read(name: str) -> str:
    return (_DATA / name).read_text()


def secret_value(app: str, env: str, key: str) -> str:
    """Deterministic but unguessable-looking seeded secrets (tests scan outputs for them)."""
    return "s3cr3t-" + hashlib.sha256(f"{app}/{env}/{key}".encode()).hexdigest()[:20]


def public_host(app: str, env: str) -> str:
    return f"www.{app}.example.com" if env == "production" else f"{env}.{app}.example.com"


def database_host(app: str, env: str) -> str:
    return f"{env}-db.{app}.internal"


def namespace_object(app: str, env: str, env_type: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": f"{app}-{env}",
            "labels": {LABEL_APP: app, LABEL_ENV: env, LABEL_ENV_TYPE: env_type},
        },
    }


def _render(name: str, values: dict[str, str]) -> list[Obj]:
    return [_encode_secret(obj) for obj in templates.render_objects(_read(name), values, f"demo file {name}")]


def _encode_secret(obj: Obj) -> Obj:
    """The files write a Secret's stringData for readability; keep it as base64 data, as the API server does."""
    if obj["kind"] != "Secret" or "stringData" not in obj:
        return obj
    data = {key: base64.b64encode(str(value).encode()).decode() for key, value in obj["stringData"].items()}
    return {key: value for key, value in obj.items() if key != "stringData"} | {"data": data}


def material_objects(app: str, env: str, version: str, *, extra_workloads: int = 0) -> list[Obj]:
    """Objects that are the same in every environment (apart from versions and the bug)."""
    values = {
        "app": app,
        "env": env,
        "namespace": f"{app}-{env}",
        "version": version,
        "charset": "ISO-8859-1" if env == "production" else "UTF-8",
        "mail_relay_key": secret_value(app, "shared", "mail-relay"),
    }
    objects = _render("topicshare/material.yaml", values)
    for n in range(extra_workloads):
        objects += _render("topicshare/workload.yaml", {**values, "name": f"svc-{n:03d}"})
    return objects


def production_objects(app: str) -> list[Obj]:
    """What only production holds: a custom resource (its CRD from seed_crds) and a Helm release's
    ConfigMap with Helm's release record (material objects; benchmarks seed without them)."""
    env = "production"
    return _render("topicshare/production.yaml", {"app": app, "env": env, "namespace": f"{app}-{env}"})


def environment_objects(app: str, env: str) -> list[Obj]:
    """The environment-scoped objects of a seeded environment (database, DNS, settings)."""
    values = {
        "app": app,
        "env": env,
        "public_host": public_host(app, env),
        "database_host": database_host(app, env),
        "db_password": secret_value(app, env, "db-password"),
    }
    objects = _render("topicshare/environment.yaml", values)
    for obj in objects:
        obj["metadata"].setdefault("labels", {})[LABEL_SCOPE] = SCOPE_ENVIRONMENT
    return objects


def type_configmaps(app: str = DEMO_APP) -> list[Obj]:
    """The type ConfigMaps seed_types installs: the global types, and `app`'s own (APP_TYPES)."""
    return [
        type_configmap(
            name,
            _read(f"types/{name}.yaml"),
            ttl,
            app=app if name in APP_TYPES else None,
            checks=_read(f"types/{name}-checks.yaml") if name in TYPE_CHECKS else "",
        )
        for name, ttl in TYPE_TTLS.items()
    ]


def crds() -> list[Obj]:
    """The CustomResourceDefinitions production's custom resources need."""
    return templates.render_objects(_read("topicshare/crds.yaml"), {}, "demo file topicshare/crds.yaml")


def _create(cluster: Cluster, obj: Obj, namespace: str | None) -> None:
    with contextlib.suppress(AlreadyExists):  # seeding is idempotent: an existing demo is left as it is
        cluster.create(api_discovery.kind_of(cluster, obj), namespace, obj)


def seed_crds(cluster: Cluster) -> None:
    """Install the CRDs (an existing one, cert-manager's own say, is kept) and wait until each is served."""
    for crd in crds():
        _create(cluster, crd, None)
    for crd in crds():
        _wait_served(cluster, crd)


def _wait_served(cluster: Cluster, crd: Obj) -> None:
    name, spec = crd["metadata"]["name"], crd["spec"]
    qualified = kinds.qualified_name(spec["names"]["kind"], spec["group"])
    deadline = time.monotonic() + ESTABLISH_SECONDS
    while True:
        conditions = (cluster.get(kinds.CRD, None, name).get("status") or {}).get("conditions") or []
        if any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions):
            try:
                api_discovery.kind_named(cluster, qualified)  # a miss asks discovery again
                return
            except NotFound:
                pass  # established, not yet in discovery's answer
        if time.monotonic() > deadline:
            waited = f"{ESTABLISH_SECONDS:.0f}s"
            raise NotFound(f"kind {qualified} is still not served {waited} after CRD {name} was created")
        time.sleep(0.1)


def seed_types(cluster: Cluster, app: str = DEMO_APP) -> None:
    _create(cluster, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": SYSTEM_NAMESPACE}}, None)
    _forget_global_temporary(cluster)
    for configmap in type_configmaps(app):
        _create(cluster, configmap, SYSTEM_NAMESPACE)


def _forget_global_temporary(cluster: Cluster) -> None:
    """Earlier demos made TopicShare's `temporary` global (every app's clones got its database):
    that ConfigMap goes, if it still holds exactly the demo's templates."""
    name = environment_type_configmap_name("temporary")
    try:
        old = cluster.get(kinds.CONFIGMAP, SYSTEM_NAMESPACE, name)
    except NotFound:
        return
    if (old.get("data") or {}).get(TYPE_TEMPLATES_KEY) == _read("types/temporary.yaml"):
        with contextlib.suppress(NotFound):
            cluster.delete(kinds.CONFIGMAP, SYSTEM_NAMESPACE, name)


def gated_production_type(app: str = DEMO_APP) -> Obj:
    """`app`'s own `production` type: the global one's templates, and both promotion gates (a
    current, passed verification of the clone, and one approval by a second person)."""
    return type_configmap(
        "production", _read("types/production.yaml"), None, app=app, require_verification=True, approvals=1
    )


def seed_gates(cluster: Cluster, app: str = DEMO_APP) -> list[str]:
    """Gate promotes into `app`'s production, and install the approval policy the API server then
    enforces (core/approval_policy.py); returns what install wrote. Forbidden (not a cluster admin):
    the gates stay, and a promote into production says the policy is missing (never weaker)."""
    _create(cluster, gated_production_type(app), SYSTEM_NAMESPACE)
    try:
        return approval_policy.install(cluster)
    except Forbidden as error:
        return [f"approval policy not installed ({error}): promotes into production are refused until it is"]


REMOTE_TYPE = "remote-temp"  # `hotclone demo --two-clusters`: TopicShare's clones in the second cluster


def remote_type(context: str, app: str = DEMO_APP) -> Obj:
    """`app`'s type whose environments go to the cluster of kubeconfig context `context`: the
    temporary type's templates (its own database there), TTL and checks."""
    return type_configmap(
        REMOTE_TYPE,
        _read("types/temporary.yaml"),
        TYPE_TTLS["temporary"],
        app=app,
        checks=_read("types/temporary-checks.yaml"),
        cluster=context,
    )


def seed_remote(home: Cluster, remote: Cluster, context: str, app: str = DEMO_APP) -> None:
    """A second cluster for `app`'s clones: the CRDs production's objects need installed there
    (a kind the target does not serve refuses the clone), and the type naming it, in `home`."""
    seed_crds(remote)
    _create(home, remote_type(context, app), SYSTEM_NAMESPACE)


def seed(
    cluster: Cluster,
    app: str = DEMO_APP,
    *,
    extra_workloads: int = 0,
    environments: dict[str, str] | None = None,
    gates: bool = False,
) -> list[str]:
    """Create the demo app's environments (CRDs first, then types); returns their namespaces.
    `gates`: production also requires verification and an approval (`hotclone demo` seeds that)."""
    seed_crds(cluster)
    seed_types(cluster, app)
    if gates:
        seed_gates(cluster, app)
    created = []
    for env, version in (environments or VERSIONS).items():
        env_type = env if env in ("production", "qa", "development") else "development"
        namespace = f"{app}-{env}"
        _create(cluster, namespace_object(app, env, env_type), None)
        objects = material_objects(app, env, version, extra_workloads=extra_workloads) + environment_objects(app, env)
        if env == "production":
            objects += production_objects(app)
        for obj in objects:
            _create(cluster, obj, namespace)
        created.append(namespace)
    return created
