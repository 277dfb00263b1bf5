"""Environment types: templates for the environment-scoped objects of a new environment.

Stored as ConfigMaps labelled with the type's name in the system namespace (core/schema.py),
with data keys `templates` (multi-document YAML with ${app}, ${env}, ${namespace},
${random:N} placeholders), `ttl`, `exclude` (more to leave out of clones, one pattern a
line: `Kind`, `Kind.group`, `Kind/name`, `Kind.group/name`; blank lines and `#` comments
ignored) and `serviceTypes` (`keep`: clones keep LoadBalancer/NodePort Services;
`clusterip`, the default: they become ClusterIP). Gates: `checks` (multi-document YAML,
one Job template per check, same placeholders; a template annotated
schema.ANNOTATION_CHECK_READ_ONLY "true" may also run in production), `checkTimeout` (default
5m), `requireVerification` (`true`: a promote into this type needs a current, passed
verification of its source) and `approvals` (how many people other than the requester must
approve a promote into it). A built-in `temporary` type (TTL 24h, no templates, no gates)
applies when none is defined.

Per application: a type ConfigMap also carrying an environment's app label
(schema.LABEL_APP) with value APP applies to APP only, and wins over a global type (one
without that label) of the same name. By convention it is named
`environment-type-APP-NAME` (the label, not the name, decides). So the types that apply
to an app are its own, then the global ones it does not override, then the built-in
`temporary` if neither defines one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from hotclone.core import display, durations, kinds, templates
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.errors import InvalidInput, NotFound
from hotclone.core.models import TEMPORARY, CheckDefinition, EnvironmentType
from hotclone.core.schema import (
    ANNOTATION_CHECK_READ_ONLY,
    LABEL_APP,
    LABEL_ENVIRONMENT_TYPE,
    LABEL_SCOPE,
    SCOPE_ENVIRONMENT,
    SERVICE_TYPES_CLUSTERIP,
    SERVICE_TYPES_KEEP,
    SYSTEM_NAMESPACE,
    TYPE_APPROVALS_KEY,
    TYPE_CHECK_TIMEOUT_KEY,
    TYPE_CHECKS_KEY,
    TYPE_CLUSTER_KEY,
    TYPE_EXCLUDE_KEY,
    TYPE_REQUIRE_VERIFICATION_KEY,
    TYPE_SERVICE_TYPES_KEY,
    TYPE_TEMPLATES_KEY,
    TYPE_TTL_KEY,
    environment_type_configmap_name,
)
from hotclone.core.schema import (
    ENVIRONMENT_TYPE_CONFIGMAP_PREFIX as ENVIRONMENT_TYPE_CONFIGMAP_PREFIX,  # re-exported for tests
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
    checks: tuple[CheckDefinition, ...] = ()  # Job templates `hotclone verify` runs in the environment
    require_verification: bool = False  # a promote into this type needs a current, passed verification
    approvals: int = 0  # people other than the requester who must approve a promote into this type
    # The kubeconfig context its new environments go to (a context name in the user's own
    # kubeconfig, never credentials stored in the cluster); "" = the source's own cluster.
    cluster: str = ""

    @property
    def scope(self) -> str:
        """The application it is limited to, or "global"."""
        return self.app or "global"

    @property
    def where(self) -> str:
        """How errors name it: "environment type 'temporary'" (of topicshare)."""
        return _where(self.name, self.app)

    def summary(self, overrides: bool = False) -> EnvironmentType:
        names = tuple(_document_ref(doc) for doc in self.documents)
        return EnvironmentType(
            self.name,
            self.ttl,
            names,
            self.builtin,
            app=self.app,
            overrides=overrides,
            checks=tuple(c.name for c in self.checks),
            require_verification=self.require_verification,
            approvals=self.approvals,
            cluster=self.cluster,
        )

    def render_check(self, check: CheckDefinition, app: str, env: str, namespace: str) -> Obj:
        """A check's Job, placeholders expanded; raises InvalidInput naming the type and check."""
        where = f"{self.where}, check {check.name!r}"
        obj = _check_object(
            templates.render(check.document, {"app": app, "env": env, "namespace": namespace}, where), where
        )
        if obj.get("kind") != "Job":
            raise InvalidInput(f"{where}: a check is a Job, not a {obj.get('kind')}")
        obj["metadata"]["namespace"] = namespace
        return obj

    def render(self, app: str, env: str, namespace: str) -> list[Obj]:
        """Expand placeholders and parse; raises InvalidInput naming the type and document."""
        values = {"app": app, "env": env, "namespace": namespace}  # the documented ones, and only these
        rendered: list[Obj] = []
        for number, document in enumerate(self.documents, start=1):
            where = f"{self.where}, template document {number}"
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


DEFAULT_CHECK_TIMEOUT = timedelta(minutes=5)
BUILTIN_TEMPORARY = TypeDefinition(TEMPORARY, timedelta(hours=24), (), builtin=True)

_KIND = r"[A-Z][A-Za-z0-9]*"
_GROUP = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.:]*[A-Za-z0-9])?"  # object names; Roles may hold ':'
_PATTERN = re.compile(rf"(?P<kind>{_KIND})(\.(?P<group>{_GROUP}))?(/(?P<name>{_NAME}))?")


def _where(name: str, app: str | None) -> str:
    return f"environment type {name!r}" + (f" of {app!r}" if app else "")


def _app_of(configmap: Obj) -> str | None:
    return ((configmap.get("metadata") or {}).get("labels") or {}).get(LABEL_APP) or None


def _name_of(configmap: Obj) -> str:
    return str(configmap["metadata"]["labels"][LABEL_ENVIRONMENT_TYPE])


def parse_exclude(text: str, where: str) -> tuple[str, ...]:
    """The `exclude` key's patterns, canonical as refs spell them ("Deployment.apps" -> "Deployment")."""
    patterns: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _PATTERN.fullmatch(line)
        if not match:
            raise InvalidInput(
                f"{where}: {TYPE_EXCLUDE_KEY} line {number}: {line!r} is not Kind, Kind.group, Kind/name"
                " or Kind.group/name"
            )
        kind = kinds.qualified_name(match["kind"], match["group"] or "")
        pattern = f"{kind}/{match['name']}" if match["name"] else kind
        if pattern not in patterns:
            patterns.append(pattern)
    return tuple(patterns)


def parse_service_types(text: str, where: str) -> bool:
    """True when clones keep LoadBalancer/NodePort Services."""
    value = text.strip().lower()
    if value in ("", SERVICE_TYPES_CLUSTERIP):
        return False
    if value == SERVICE_TYPES_KEEP:
        return True
    raise InvalidInput(
        f"{where}: {TYPE_SERVICE_TYPES_KEY} is {text.strip()!r}; use {SERVICE_TYPES_KEEP!r} or"
        f" {SERVICE_TYPES_CLUSTERIP!r} (the default)"
    )


_MAX_APPROVALS = 10


def parse_checks(text: str, timeout: timedelta, where: str) -> tuple[CheckDefinition, ...]:
    """The `checks` key: one Job template per document, named by its metadata.name (unique)."""
    checks: list[CheckDefinition] = []
    for number, document in enumerate(templates.split_documents(text), start=1):
        at = f"{where}, {TYPE_CHECKS_KEY} document {number}"
        # Parse with placeholders standing in, only to read the kind, name and annotation now.
        parsed = templates.parse(re.sub(r"\$\{[^}]*\}", "x", document), at)
        if parsed is None:
            continue
        obj = _check_object(parsed, at)
        if obj.get("kind") != "Job":
            raise InvalidInput(f"{at}: a check is a Job, not a {obj.get('kind')}")
        name = str(obj["metadata"]["name"])
        if any(c.name == name for c in checks):
            raise InvalidInput(f"{at}: two checks are named {name!r}")
        annotations = obj["metadata"].get("annotations") or {}
        read_only = str(annotations.get(ANNOTATION_CHECK_READ_ONLY, "")).lower() == "true"
        checks.append(CheckDefinition(name, document, read_only=read_only, timeout=timeout))
    return tuple(checks)


def parse_bool(text: str, key: str, where: str) -> bool:
    value = text.strip().lower()
    if value in ("", "false"):
        return False
    if value == "true":
        return True
    raise InvalidInput(f"{where}: {key} is {text.strip()!r}; use 'true' or 'false'")


def parse_approvals(text: str, where: str) -> int:
    value = text.strip()
    if not value:
        return 0
    if not value.isdigit() or int(value) > _MAX_APPROVALS:
        raise InvalidInput(f"{where}: {TYPE_APPROVALS_KEY} is {value!r}; use a whole number from 0 to {_MAX_APPROVALS}")
    return int(value)


def parse_cluster(text: str, where: str) -> str:
    """A kubeconfig context name: printable, no spaces, at most 253 characters (kubectl's own
    names are free-form, so only what could never be one is refused)."""
    value = text.strip()
    if len(value) > 253 or any(not c.isprintable() or c.isspace() for c in value):
        raise InvalidInput(f"{where}: {TYPE_CLUSTER_KEY} {display.value(value[:80])} is not a kubeconfig context name")
    return value


def from_configmap(configmap: Obj) -> TypeDefinition:
    name, app = _name_of(configmap), _app_of(configmap)
    where = _where(name, app)
    data = configmap.get("data") or {}
    ttl_text = (data.get(TYPE_TTL_KEY) or "").strip()
    try:
        ttl = durations.parse(ttl_text) if ttl_text else None
    except InvalidInput as error:
        raise InvalidInput(f"{where}: ttl: {error}") from None
    timeout_text = (data.get(TYPE_CHECK_TIMEOUT_KEY) or "").strip()
    try:
        timeout = durations.parse(timeout_text) if timeout_text else DEFAULT_CHECK_TIMEOUT
    except InvalidInput as error:
        raise InvalidInput(f"{where}: {TYPE_CHECK_TIMEOUT_KEY}: {error}") from None
    return TypeDefinition(
        name,
        ttl,
        templates.split_documents(data.get(TYPE_TEMPLATES_KEY) or ""),
        app=app,
        exclude=parse_exclude(data.get(TYPE_EXCLUDE_KEY) or "", where),
        keep_service_types=parse_service_types(data.get(TYPE_SERVICE_TYPES_KEY) or "", where),
        checks=parse_checks(data.get(TYPE_CHECKS_KEY) or "", timeout, where),
        require_verification=parse_bool(
            data.get(TYPE_REQUIRE_VERIFICATION_KEY) or "", TYPE_REQUIRE_VERIFICATION_KEY, where
        ),
        approvals=parse_approvals(data.get(TYPE_APPROVALS_KEY) or "", where),
        cluster=parse_cluster(data.get(TYPE_CLUSTER_KEY) or "", where),
    )


def configmaps(cluster: Cluster) -> list[Obj]:
    """One LIST; sorted by ConfigMap name so that duplicates resolve the same way every time."""
    try:
        maps = cluster.list(kinds.CONFIGMAP, SYSTEM_NAMESPACE, label_selector=LABEL_ENVIRONMENT_TYPE)
    except NotFound:
        maps = []
    return sorted(maps, key=lambda m: str(m["metadata"]["name"]))


def applying(configmaps: list[Obj], app: str | None) -> dict[str, Obj | None]:
    """Type name -> the ConfigMap that defines it for `app` (None: the built-in); `app` None: global types.

    Pure, and parses nothing, so that another application's broken type cannot break this one's.
    """
    chosen: dict[str, Obj | None] = {}
    for configmap in configmaps:  # global ones first, then the app's own replace them
        if _app_of(configmap) is None:
            chosen.setdefault(_name_of(configmap), configmap)
    own: dict[str, Obj] = {}
    for configmap in configmaps:
        if app is not None and _app_of(configmap) == app:
            own.setdefault(_name_of(configmap), configmap)
    chosen.update(own)
    chosen.setdefault(TEMPORARY, None)
    return chosen


def every(configmaps: list[Obj]) -> list[tuple[TypeDefinition, bool]]:
    """Every type defined (global, built-in `temporary` unless overridden, each app's), with
    whether it overrides a global type of the same name; by name, global first."""
    globals_ = applying(configmaps, None)
    found = [(_definition(cm), False) for cm in globals_.values()]
    seen: set[tuple[str, str]] = set()
    for configmap in configmaps:
        app, name = _app_of(configmap), _name_of(configmap)
        if app is not None and (app, name) not in seen:
            seen.add((app, name))
            found.append((from_configmap(configmap), name in globals_))
    return sorted(found, key=lambda pair: (pair[0].name, pair[0].app is not None, pair[0].app or ""))


def _definition(configmap: Obj | None) -> TypeDefinition:
    return BUILTIN_TEMPORARY if configmap is None else from_configmap(configmap)


def summaries(configmaps: list[Obj], app: str | None = None) -> list[EnvironmentType]:
    """What `hotclone types [APP]` lists: with `app`, what applies to it; without, every type."""
    if app is None:
        return [definition.summary(overrides) for definition, overrides in every(configmaps)]
    globals_ = applying(configmaps, None)
    return [
        definition.summary(overrides=definition.app is not None and definition.name in globals_)
        for definition in load_applying(configmaps, app)
    ]


def load_applying(configmaps: list[Obj], app: str) -> list[TypeDefinition]:
    return sorted(map(_definition, applying(configmaps, app).values()), key=lambda d: d.name)


def load_all(cluster: Cluster, app: str | None = None) -> list[TypeDefinition]:
    """With `app`: the types that apply to it (its own, the global ones it does not override, the
    built-in `temporary` if none defines it), by name. Without: every type defined, each app's and
    the global ones (a name may then appear once per scope), by name, global first."""
    maps = configmaps(cluster)
    if app is None:
        return [definition for definition, _ in every(maps)]
    return load_applying(maps, app)


def load(cluster: Cluster, name: str, app: str | None = None) -> TypeDefinition:
    """The type `name` as it applies to `app`: the app's own, else the global one, else (for
    `temporary`) the built-in; `app` None: global types only. Parses that one ConfigMap only."""
    return named(configmaps(cluster), name, app)


def named(configmaps: list[Obj], name: str, app: str | None = None) -> TypeDefinition:
    chosen = applying(configmaps, app)
    if name not in chosen:
        known = ", ".join(sorted(chosen))
        scope = f" for {app!r}" if app else ""
        raise NotFound(f"unknown environment type {name!r}{scope} (known: {known})")
    return _definition(chosen[name])


def type_configmap(
    name: str,
    templates: str,
    ttl: str | None,
    *,
    app: str | None = None,
    exclude: tuple[str, ...] | list[str] = (),
    service_types: str | None = None,
    checks: str = "",
    check_timeout: str | None = None,
    require_verification: bool = False,
    approvals: int = 0,
    cluster: str = "",
) -> Obj:
    """The ConfigMap that defines a type, global or (with `app`) one application's (the demo seed, tests)."""
    data = {TYPE_TEMPLATES_KEY: templates}
    if ttl:
        data[TYPE_TTL_KEY] = ttl
    if exclude:
        data[TYPE_EXCLUDE_KEY] = "".join(f"{pattern}\n" for pattern in exclude)
    if service_types is not None:
        data[TYPE_SERVICE_TYPES_KEY] = service_types
    if checks:
        data[TYPE_CHECKS_KEY] = checks
    if check_timeout:
        data[TYPE_CHECK_TIMEOUT_KEY] = check_timeout
    if require_verification:
        data[TYPE_REQUIRE_VERIFICATION_KEY] = "true"
    if approvals:
        data[TYPE_APPROVALS_KEY] = str(approvals)
    if cluster:
        data[TYPE_CLUSTER_KEY] = cluster
    labels = {LABEL_ENVIRONMENT_TYPE: name} | ({LABEL_APP: app} if app else {})
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": environment_type_configmap_name(name, app),
            "namespace": SYSTEM_NAMESPACE,
            "labels": labels,
        },
        "data": data,
    }
