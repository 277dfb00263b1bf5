"""Environment types: templates for the environment-scoped objects of a new environment.

Stored as ConfigMaps labelled with the type's name in the system namespace (core/schema.py),
with data keys `templates` (multi-document YAML with ${app}, ${env}, ${namespace},
${random:N} placeholders) and `ttl`. A built-in `temporary` type (TTL 24h, no
templates) applies when none is defined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from hotclone.core import durations, kinds, templates
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.errors import InvalidInput, NotFound
from hotclone.core.models import TEMPORARY, EnvironmentType
from hotclone.core.schema import (
    ENVIRONMENT_TYPE_CONFIGMAP_PREFIX,
    LABEL_ENVIRONMENT_TYPE,
    LABEL_SCOPE,
    SCOPE_ENVIRONMENT,
    SYSTEM_NAMESPACE,
    TYPE_TEMPLATES_KEY,
    TYPE_TTL_KEY,
)


@dataclass(frozen=True)
class TypeDefinition:
    name: str
    ttl: timedelta | None
    documents: tuple[str, ...]  # raw YAML documents, placeholders unexpanded
    builtin: bool = False
    app: str | None = None  # limited to this application; None: a global type
    exclude: tuple[str, ...] = ()  # more to leave out of clones: "Kind", "Kind.group", "Kind/name"
    keep_service_types: bool = False  # clones keep LoadBalancer/NodePort Services (default: ClusterIP)

    def summary(self) -> EnvironmentType:
        names = tuple(_document_ref(doc) for doc in self.documents)
        return EnvironmentType(self.name, self.ttl, names, self.builtin)

    def render(self, app: str, env: str, namespace: str) -> list[Obj]:
        """Expand placeholders and parse; raises InvalidInput naming the type and document."""
        values = {"app": app, "env": env, "namespace": namespace}  # the documented ones, and only these
        rendered: list[Obj] = []
        for number, document in enumerate(self.documents, start=1):
            where = f"environment type {self.name!r}, template document {number}"
            parsed = templates.render(document, values, where)
            if parsed is None:
                continue
            obj = _check_object(parsed, where)
            meta = obj.setdefault("metadata", {})
            meta["namespace"] = namespace
            meta.setdefault("labels", {})[LABEL_SCOPE] = SCOPE_ENVIRONMENT
            rendered.append(obj)
        return rendered


def _check_object(obj: object, where: str) -> Obj:
    if not isinstance(obj, dict) or not obj.get("kind") or not isinstance(obj.get("metadata"), dict):
        raise InvalidInput(f"{where}: not a Kubernetes object (needs kind and metadata.name)")
    if obj["kind"] == "Namespace":
        # Any namespaced kind the server serves may be templated (checked when a clone plans it).
        raise InvalidInput(f"{where}: a template cannot make a Namespace (the clone makes its own)")
    if not obj["metadata"].get("name"):
        raise InvalidInput(f"{where}: {obj['kind']} has no metadata.name")
    return obj


def _document_ref(document: str) -> str:
    kind = re.search(r"^kind:\s*(\S+)", document, re.M)
    name = re.search(r"^\s+name:\s*(\S+)", document, re.M)
    return f"{kind.group(1) if kind else '?'}/{name.group(1) if name else '?'}"


BUILTIN_TEMPORARY = TypeDefinition(TEMPORARY, timedelta(hours=24), (), builtin=True)


def from_configmap(configmap: Obj) -> TypeDefinition:
    name = configmap["metadata"]["labels"][LABEL_ENVIRONMENT_TYPE]
    data = configmap.get("data") or {}
    ttl_text = (data.get(TYPE_TTL_KEY) or "").strip()
    try:
        ttl = durations.parse(ttl_text) if ttl_text else None
    except InvalidInput as error:
        raise InvalidInput(f"environment type {name!r}: ttl: {error}") from None
    return TypeDefinition(name, ttl, templates.split_documents(data.get(TYPE_TEMPLATES_KEY) or ""))


def load_all(cluster: Cluster) -> list[TypeDefinition]:
    """One LIST of ConfigMaps; the built-in `temporary` unless a ConfigMap overrides it."""
    try:
        maps = cluster.list(kinds.CONFIGMAP, SYSTEM_NAMESPACE, label_selector=LABEL_ENVIRONMENT_TYPE)
    except NotFound:
        maps = []
    found = {d.name: d for d in map(from_configmap, maps)}
    found.setdefault(TEMPORARY, BUILTIN_TEMPORARY)
    return sorted(found.values(), key=lambda d: d.name)


def load(cluster: Cluster, name: str) -> TypeDefinition:
    every = load_all(cluster)
    for definition in every:
        if definition.name == name:
            return definition
    known = ", ".join(d.name for d in every)
    raise NotFound(f"unknown environment type {name!r} (known: {known})")


def type_configmap(name: str, templates: str, ttl: str | None) -> Obj:
    """The ConfigMap that defines a type (used by the demo seed and tests)."""
    data = {TYPE_TEMPLATES_KEY: templates}
    if ttl:
        data[TYPE_TTL_KEY] = ttl
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"{ENVIRONMENT_TYPE_CONFIGMAP_PREFIX}{name}",
            "namespace": SYSTEM_NAMESPACE,
            "labels": {LABEL_ENVIRONMENT_TYPE: name},
        },
        "data": data,
    }
