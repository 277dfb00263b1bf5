"""Environment types: templates for the environment-scoped objects of a new environment.

Stored as ConfigMaps labelled hotclone.io/environment-type=<name> in hotclone-system,
with data keys `templates` (multi-document YAML with ${app}, ${env}, ${namespace},
${random:N} placeholders) and `ttl`. A built-in `temporary` type (TTL 24h, no
templates) applies when none is defined.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta

import yaml

from hotclone.core import kinds
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.errors import InvalidInput, NotFound
from hotclone.core.models import LABEL_ENVIRONMENT_TYPE, LABEL_SCOPE, SYSTEM_NAMESPACE, TEMPORARY, EnvironmentType

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_RANDOM = re.compile(r"^random:(\d{1,3})$")
_DURATION = re.compile(r"(\d+)([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_ALPHABET = string.ascii_lowercase + string.digits


def parse_duration(text: str) -> timedelta:
    """`24h`, `90m`, `1h30m`, `7d`; like Go's durations plus days and weeks."""
    compact = text.strip().lower()
    if not compact or _DURATION.sub("", compact) or not _DURATION.search(compact):
        raise InvalidInput(f"invalid duration {text!r}: use e.g. 30m, 24h, 1h30m or 7d")
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _DURATION.findall(compact))
    if seconds <= 0:
        raise InvalidInput(f"invalid duration {text!r}: must be longer than zero")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    return "".join(parts) or f"{seconds}s"


@dataclass(frozen=True)
class TypeDefinition:
    name: str
    ttl: timedelta | None
    documents: tuple[str, ...]  # raw YAML documents, placeholders unexpanded
    builtin: bool = False

    def summary(self) -> EnvironmentType:
        names = tuple(_document_ref(doc) for doc in self.documents)
        return EnvironmentType(self.name, self.ttl, names, self.builtin)

    def render(self, app: str, env: str, namespace: str) -> list[Obj]:
        """Expand placeholders and parse; raises InvalidInput naming the type and document."""
        values = {"app": app, "env": env, "namespace": namespace}
        rendered: list[Obj] = []
        for number, document in enumerate(self.documents, start=1):
            where = f"environment type {self.name!r}, template document {number}"

            def expand(match: re.Match[str], where: str = where) -> str:
                key = match.group(1)
                if key in values:
                    return values[key]
                random = _RANDOM.match(key)
                if random and 1 <= int(random.group(1)) <= 256:
                    return "".join(secrets.choice(_ALPHABET) for _ in range(int(random.group(1))))
                known = "${app}, ${env}, ${namespace}, ${random:N}"
                raise InvalidInput(f"{where}: unknown placeholder ${{{key}}} (known: {known})")

            text = _PLACEHOLDER.sub(expand, document)
            try:
                obj = yaml.safe_load(text)
            except yaml.YAMLError as error:
                mark = getattr(error, "problem_mark", None)
                line = f" at line {mark.line + 1}" if mark else ""
                raise InvalidInput(f"{where}: invalid YAML{line}: {getattr(error, 'problem', error)}") from None
            if obj is None:
                continue
            _check_object(obj, where)
            meta = obj.setdefault("metadata", {})
            meta["namespace"] = namespace
            meta.setdefault("labels", {})[LABEL_SCOPE] = "environment"
            rendered.append(obj)
        return rendered


def _check_object(obj: object, where: str) -> None:
    if not isinstance(obj, dict) or not obj.get("kind") or not isinstance(obj.get("metadata"), dict):
        raise InvalidInput(f"{where}: not a Kubernetes object (needs kind and metadata.name)")
    if obj["kind"] not in kinds.BY_NAME or obj["kind"] == "Namespace":
        allowed = ", ".join(k.kind for k in kinds.ENVIRONMENT_KINDS)
        raise InvalidInput(f"{where}: kind {obj['kind']} is not supported in templates (supported: {allowed})")
    if not obj["metadata"].get("name"):
        raise InvalidInput(f"{where}: {obj['kind']} has no metadata.name")


def _document_ref(document: str) -> str:
    kind = re.search(r"^kind:\s*(\S+)", document, re.M)
    name = re.search(r"^\s+name:\s*(\S+)", document, re.M)
    return f"{kind.group(1) if kind else '?'}/{name.group(1) if name else '?'}"


def _split_documents(text: str) -> tuple[str, ...]:
    parts = re.split(r"^---\s*$", text, flags=re.M)
    return tuple(p.strip("\n") for p in parts if p.strip())


BUILTIN_TEMPORARY = TypeDefinition(TEMPORARY, timedelta(hours=24), (), builtin=True)


def from_configmap(configmap: Obj) -> TypeDefinition:
    name = configmap["metadata"]["labels"][LABEL_ENVIRONMENT_TYPE]
    data = configmap.get("data") or {}
    ttl_text = (data.get("ttl") or "").strip()
    try:
        ttl = parse_duration(ttl_text) if ttl_text else None
    except InvalidInput as error:
        raise InvalidInput(f"environment type {name!r}: ttl: {error}") from None
    return TypeDefinition(name, ttl, _split_documents(data.get("templates") or ""))


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
    data = {"templates": templates}
    if ttl:
        data["ttl"] = ttl
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"environment-type-{name}",
            "namespace": SYSTEM_NAMESPACE,
            "labels": {LABEL_ENVIRONMENT_TYPE: name},
        },
        "data": data,
    }
