"""Applications and environments: one LIST of namespaces by label, never one call per namespace."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from hotclone.core import kinds
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.errors import InvalidInput, NotFound
from hotclone.core.models import Application, Environment
from hotclone.core.schema import (
    ANNOTATION_CLONED_FROM,
    ANNOTATION_CLONED_FROM_CONTEXT,
    ANNOTATION_CLONED_FROM_SERVER,
    ANNOTATION_CREATED_BY,
    ANNOTATION_EXPIRES_AT,
    ANNOTATION_STATE,
    LABEL_APP,
    LABEL_ENV,
    LABEL_ENV_TYPE,
    STATE_CREATING,
)
from hotclone.core.validation import validate_label

_TYPE_ORDER = {"production": 0, "qa": 1, "staging": 2, "development": 3}


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def from_namespace(namespace: Obj, context: str = "", server: str = "") -> Environment:
    """The environment a labelled namespace is; `context`: the kubeconfig context it was read
    through, `server` that context's API server."""
    meta = namespace.get("metadata", {})
    labels = meta.get("labels") or {}
    annotations = meta.get("annotations") or {}
    return Environment(
        app=labels.get(LABEL_APP, ""),
        name=labels.get(LABEL_ENV, meta.get("name", "")),
        namespace=meta.get("name", ""),
        type=labels.get(LABEL_ENV_TYPE, "unknown"),
        created=parse_time(meta.get("creationTimestamp")),
        expires_at=parse_time(annotations.get(ANNOTATION_EXPIRES_AT)),
        cloned_from=annotations.get(ANNOTATION_CLONED_FROM) or None,
        created_by=annotations.get(ANNOTATION_CREATED_BY) or None,
        incomplete=annotations.get(ANNOTATION_STATE) == STATE_CREATING or bool(meta.get("deletionTimestamp")),
        cluster=context,
        server=server,
        cloned_from_context=annotations.get(ANNOTATION_CLONED_FROM_CONTEXT) or None,
        cloned_from_server=annotations.get(ANNOTATION_CLONED_FROM_SERVER) or None,
    )


def sort_key(environment: Environment) -> tuple[int, str]:
    return (_TYPE_ORDER.get(environment.type, 9), environment.name)


def applications(cluster: Cluster) -> list[Application]:
    return applications_of(cluster.list(kinds.NAMESPACE, label_selector=LABEL_APP), cluster.context, cluster.server)


def applications_of(namespaces: Iterable[Obj], context: str = "", server: str = "") -> list[Application]:
    """Pure: the applications the labelled namespaces make up, each with its environments in order."""
    by_app: dict[str, list[Environment]] = defaultdict(list)
    for namespace in namespaces:
        environment = from_namespace(namespace, context, server)
        if environment.app:
            by_app[environment.app].append(environment)
    return [Application(app, tuple(sorted(envs, key=sort_key))) for app, envs in sorted(by_app.items())]


def environments(cluster: Cluster, app: str) -> list[Environment]:
    validate_label(app, "application name")
    selector = f"{LABEL_APP}={app}"
    listed = cluster.list(kinds.NAMESPACE, label_selector=selector)
    found = [from_namespace(ns, cluster.context, cluster.server) for ns in listed]
    return sorted(found, key=sort_key)


def current(cluster: Cluster, environment: Environment) -> Environment:
    """The environment as the cluster labels it now (one GET): writes check safety rules on fresh labels."""
    try:
        namespace: Obj | None = cluster.get(kinds.NAMESPACE, None, environment.namespace)
    except NotFound:
        namespace = None
    return still(environment, namespace, cluster)


def still(environment: Environment, namespace: Obj | None, cluster: Cluster | None = None) -> Environment:
    """Pure: `environment` as `namespace` (read just now through `cluster`, None if gone) labels
    it, or NotFound."""
    if namespace is None:
        raise NotFound(f"{environment.ref} no longer exists (namespace {environment.namespace})")
    if cluster is None:
        fresh = from_namespace(namespace, environment.cluster, environment.server)
    else:
        fresh = from_namespace(namespace, cluster.context, cluster.server)
    if (fresh.app, fresh.name) != (environment.app, environment.name):
        raise NotFound(f"namespace {environment.namespace} is no longer {environment.ref} (now {fresh.ref})")
    return fresh


def environment(cluster: Cluster, app: str, env: str) -> Environment:
    validate_label(env.partition("@")[0], "environment name")
    return pick(app, env, environments(cluster, app))


def pick(app: str, env: str, known: list[Environment]) -> Environment:
    """Pure: environment `env` among the app's `known` environments, or NotFound naming them.

    With several clusters `env` may name the context too, `production@eu-1` (an `@` is never in
    a label value); a bare name found in more than one cluster is refused as ambiguous."""
    if not known:
        raise NotFound(f"unknown application {app!r}: no namespace is labelled {LABEL_APP}={app}")
    name, _, context = env.partition("@")
    found = [c for c in known if c.name == name and (not context or c.cluster == context)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        places = ", ".join(e.address for e in found)
        raise InvalidInput(f"environment {name!r} of {app!r} is in more than one cluster: name one ({places})")
    several = len({e.cluster for e in known}) > 1
    names = ", ".join(e.address if several else e.name for e in known)
    raise NotFound(f"unknown environment {env!r} of application {app!r} (known: {names})")
