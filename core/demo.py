"""The TopicShare demo: three environments of a realistic web app, and four environment types.

production runs 1.9.3 with the charset bug (ISO-8859-1 renders Hangul as mojibake),
qa is busy with 2.0.0-rc.2, development runs 2.1.0-dev. Used by `hotclone demo`,
the tests (with a fresh app name each) and the benchmarks (with more workloads).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib

import yaml

from hotclone.core import kinds
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.envtypes import type_configmap
from hotclone.core.errors import AlreadyExists
from hotclone.core.models import LABEL_APP, LABEL_ENV, LABEL_ENV_TYPE, LABEL_SCOPE, SYSTEM_NAMESPACE

DEMO_APP = "topicshare"
VERSIONS = {"development": "2.1.0-dev", "qa": "2.0.0-rc.2", "production": "1.9.3"}
ENV_SCOPED = {LABEL_SCOPE: "environment"}


def secret_value(app: str, env: str, key: str) -> str:
    """Deterministic but unguessable-looking seeded secrets (tests scan outputs for them)."""
    return "s3cr3t-" + hashlib.sha256(f"{app}/{env}/{key}".encode()).hexdigest()[:20]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


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


def _container(app: str, name: str, version: str, port: int | None, args: list[str] | None = None) -> Obj:
    container: Obj = {
        "name": name,
        "image": f"{app}/{name}:{version}",
        "imagePullPolicy": "IfNotPresent",
        "envFrom": [{"configMapRef": {"name": "app-settings"}}, {"configMapRef": {"name": "environment"}}],
        "env": [
            {"name": "DB_HOST", "valueFrom": {"secretKeyRef": {"name": "db-credentials", "key": "host"}}},
            {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db-credentials", "key": "password"}}},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        ],
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/topicshare", "readOnly": True}],
    }
    if args:
        container["args"] = args
    if port:
        container["ports"] = [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        container["readinessProbe"] = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5}
        container["livenessProbe"] = {
            "httpGet": {"path": "/healthz", "port": "http"},
            "initialDelaySeconds": 10,
            "periodSeconds": 10,
        }
    return container


def _pod_spec(containers: list[Obj], init: list[Obj] | None = None) -> Obj:
    spec: Obj = {
        "serviceAccountName": "topicshare",
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
        "containers": containers,
        "volumes": [{"name": "config", "configMap": {"name": "app-settings"}}],
    }
    if init:
        spec["initContainers"] = init
    return spec


def _deployment(
    app: str, name: str, version: str, replicas: int, port: int | None, init: list[Obj] | None = None
) -> Obj:
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": app}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": labels},
                "spec": _pod_spec([_container(app, name, version, port)], init),
            },
        },
    }


def _service(name: str, port: int, headless: bool = False) -> Obj:
    spec: Obj = {
        "selector": {"app.kubernetes.io/name": name},
        "ports": [{"name": "http", "port": port, "targetPort": port, "protocol": "TCP"}],
    }
    if headless:
        spec["clusterIP"] = "None"
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def material_objects(app: str, env: str, version: str, *, extra_workloads: int = 0) -> list[Obj]:
    """Objects that are the same in every environment (apart from versions and the bug)."""
    namespace = f"{app}-{env}"
    charset = "ISO-8859-1" if env == "production" else "UTF-8"
    settings = {
        "CHARSET": charset,
        "LOG_LEVEL": "info",
        "SEARCH_URL": f"http://search.{namespace}.svc.cluster.local:9200",
        "API_URL": f"http://api.{namespace}.svc:8080",
        "SESSION_TTL": "3600",
        "app.properties": f"render.charset={charset}\nrender.fallback-font=NotoSansKR\ncache.ttl=300\n",
    }
    migrate = {**_container(app, "api", version, None, ["migrate", "--wait"]), "name": "migrations"}
    objects: list[Obj] = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "topicshare"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app-settings"}, "data": settings},
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": "mail-relay"},
            "data": {"api-key": _b64(secret_value(app, "shared", "mail-relay"))},
        },
        _deployment(app, "web", version, 2, 8080),
        _deployment(app, "api", version, 2, 8080, init=[migrate]),
        _deployment(app, "worker", version, 1, None),
        _service("web", 8080),
        _service("api", 8080),
        _service("search", 9200, headless=True),
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "search"},
            "spec": {
                "serviceName": "search",
                "replicas": 1,
                "selector": {"matchLabels": {"app.kubernetes.io/name": "search"}},
                "template": {
                    "metadata": {"labels": {"app.kubernetes.io/name": "search"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "search",
                                "image": "opensearchproject/opensearch:2.11.1",
                                "ports": [{"name": "http", "containerPort": 9200}],
                                "env": [{"name": "discovery.type", "value": "single-node"}],
                                "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}},
                                "volumeMounts": [{"name": "data", "mountPath": "/usr/share/opensearch/data"}],
                            }
                        ],
                        # The index is rebuilt from the database on start; the local
                        # control plane has no volume provisioner for a claim template.
                        "volumes": [{"name": "data", "emptyDir": {"sizeLimit": "10Gi"}}],
                    },
                },
            },
        },
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "digest-mailer"},
            "spec": {
                "schedule": "0 6 * * *",
                "concurrencyPolicy": "Forbid",
                "jobTemplate": {
                    "spec": {
                        "backoffLimit": 2,
                        "template": {
                            "spec": {
                                **_pod_spec([_container(app, "mailer", version, None, ["send-digest"])]),
                                "restartPolicy": "OnFailure",
                            }
                        },
                    }
                },
            },
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": 2,
                "maxReplicas": 6,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                    }
                ],
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "web"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "web"}}},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "api-from-web"},
            "spec": {
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "api"}},
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "web"}}}]}],
                "policyTypes": ["Ingress"],
            },
        },
    ]
    for n in range(extra_workloads):
        objects.append(_deployment(app, f"svc-{n:03d}", version, 1, 8080))
    return objects


def environment_objects(app: str, env: str) -> list[Obj]:
    """The environment-scoped objects of a seeded environment (database, DNS, settings)."""
    host = public_host(app, env)
    db_host = database_host(app, env)
    password = secret_value(app, env, "db-password")
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "environment", "labels": ENV_SCOPED},
            "data": {"ENVIRONMENT": env, "PUBLIC_URL": f"https://{host}", "DB_NAME": f"{app}_{env}"},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": "db-credentials", "labels": ENV_SCOPED},
            "data": {
                "host": _b64(db_host),
                "username": _b64(app),
                "password": _b64(password),
                "url": _b64(f"postgres://{app}:{password}@{db_host}:5432/{app}_{env}"),
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "web", "labels": ENV_SCOPED},
            "spec": {
                "ingressClassName": "nginx",
                "tls": [{"hosts": [host], "secretName": "web-tls"}],
                "rules": [
                    {
                        "host": host,
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "web", "port": {"name": "http"}}},
                                }
                            ]
                        },
                    }
                ],
            },
        },
    ]


TEMPORARY_TEMPLATES = """\
apiVersion: v1
kind: Secret
metadata:
  name: db-credentials
type: Opaque
stringData:
  host: postgres.${namespace}.svc.cluster.local
  username: ${app}
  password: ${random:24}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: environment
data:
  ENVIRONMENT: ${env}
  PUBLIC_URL: https://${env}.${app}.preview.example.com
  DB_NAME: ${app}
---
apiVersion: v1
kind: Service
metadata:
  name: postgres
spec:
  clusterIP: None
  selector:
    app.kubernetes.io/name: postgres
  ports:
  - name: postgres
    port: 5432
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: postgres
spec:
  serviceName: postgres
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: postgres
  template:
    metadata:
      labels:
        app.kubernetes.io/name: postgres
    spec:
      containers:
      - name: postgres
        image: postgres:16.4
        ports:
        - name: postgres
          containerPort: 5432
        env:
        - name: POSTGRES_USER
          valueFrom: {secretKeyRef: {name: db-credentials, key: username}}
        - name: POSTGRES_PASSWORD
          valueFrom: {secretKeyRef: {name: db-credentials, key: password}}
        readinessProbe:
          exec: {command: [pg_isready, -U, "${app}"]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  ingressClassName: nginx
  rules:
  - host: ${env}.${app}.preview.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port: {name: http}
"""


def _long_lived_templates(kind_of_db: str) -> str:
    return f"""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: environment
data:
  ENVIRONMENT: ${{env}}
  PUBLIC_URL: https://${{env}}.${{app}}.example.com
  DB_NAME: ${{app}}_${{env}}
---
apiVersion: v1
kind: Secret
metadata:
  name: db-credentials
type: Opaque
stringData:
  host: ${{env}}-db.${{app}}.internal
  username: ${{app}}
  password: ${{random:32}}
  note: {kind_of_db}
"""


def type_definitions() -> list[Obj]:
    return [
        type_configmap("production", _long_lived_templates("managed database, provisioned by the DBA team"), None),
        type_configmap("qa", _long_lived_templates("shared QA database"), None),
        type_configmap("development", _long_lived_templates("shared development database"), "168h"),
        type_configmap("temporary", TEMPORARY_TEMPLATES, "24h"),
    ]


def _create(cluster: Cluster, obj: Obj, namespace: str | None) -> None:
    with contextlib.suppress(AlreadyExists):  # seeding is idempotent: an existing demo is left as it is
        cluster.create(kinds.kind_named(obj["kind"]), namespace, obj)


def seed_types(cluster: Cluster) -> None:
    _create(cluster, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": SYSTEM_NAMESPACE}}, None)
    for configmap in type_definitions():
        _create(cluster, configmap, SYSTEM_NAMESPACE)


def seed(
    cluster: Cluster, app: str = DEMO_APP, *, extra_workloads: int = 0, environments: dict[str, str] | None = None
) -> list[str]:
    """Create the demo app's environments; returns their namespaces."""
    seed_types(cluster)
    created = []
    for env, version in (environments or VERSIONS).items():
        env_type = env if env in ("production", "qa", "development") else "development"
        namespace = f"{app}-{env}"
        _create(cluster, namespace_object(app, env, env_type), None)
        for obj in material_objects(app, env, version, extra_workloads=extra_workloads) + environment_objects(app, env):
            _create(cluster, obj, namespace)
        created.append(namespace)
    return created


def manifests_yaml(app: str = DEMO_APP) -> str:
    """All demo objects as one multi-document YAML (README and debugging)."""
    docs = [o for env, v in VERSIONS.items() for o in material_objects(app, env, v) + environment_objects(app, env)]
    return yaml.safe_dump_all(docs, sort_keys=False)
