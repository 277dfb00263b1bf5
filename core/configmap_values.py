"""Set ConfigMap values in a non-production environment (the charset fix of the story).

Like images, a production ConfigMap changes only through promote or rollback. Each
write is a JSON patch guarded by a `test` of the value the user saw, so a concurrent
edit of the same key fails instead of being overwritten. Secrets are not editable
here: hotclone never shows their values, so it cannot show what would change.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from hotclone.core import discovery, history, kinds
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.diff import compare
from hotclone.core.errors import InvalidInput, NotFound, Refused
from hotclone.core.models import EnvDiff, Environment

_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")


@dataclass(frozen=True)
class ConfigChange:
    configmap: str
    key: str
    old: str | None  # None: the key is new
    new: str

    def describe(self) -> str:
        old = "(new)" if self.old is None else self.old
        return f"ConfigMap/{self.configmap} data.{self.key}: {old} -> {self.new}"


def parse_assignment(text: str) -> tuple[str, str]:
    """`KEY=VALUE` (the value may contain '=')."""
    key, sep, value = text.partition("=")
    if not sep:
        raise InvalidInput(f"invalid setting {text!r}: expected KEY=VALUE")
    if not _KEY.match(key):
        raise InvalidInput(f"invalid ConfigMap key {key!r}: use letters, digits, '-', '_' and '.'")
    return key, value


def configmaps(cluster: Cluster, environment: Environment) -> dict[str, dict[str, str]]:
    """The environment's ConfigMaps (name -> data), one LIST."""
    return {
        o["metadata"]["name"]: dict(o.get("data") or {})
        for o in cluster.list(kinds.CONFIGMAP, environment.namespace)
        if o["metadata"]["name"] != "kube-root-ca.crt"
    }


def _prepare(
    cluster: Cluster, environment: Environment, name: str, values: dict[str, str]
) -> tuple[Environment, Obj, Obj, list[ConfigChange]]:
    if not values:
        raise InvalidInput("no setting given: expected KEY=VALUE")
    for key in values:
        if not _KEY.match(key):
            raise InvalidInput(f"invalid ConfigMap key {key!r}: use letters, digits, '-', '_' and '.'")
    environment = discovery.current(cluster, environment)
    if environment.is_production:
        raise Refused(f"{environment.ref} is production: its configuration changes only through promote or rollback")
    try:
        before = cluster.get(kinds.CONFIGMAP, environment.namespace, name)
    except NotFound:
        known = ", ".join(sorted(configmaps(cluster, environment))) or "none"
        raise NotFound(f"no ConfigMap {name!r} in {environment.ref} (ConfigMaps: {known})") from None
    if before.get("immutable"):
        raise Refused(f"ConfigMap/{name} in {environment.ref} is immutable")
    after = copy.deepcopy(before)
    data = after.setdefault("data", {})
    changes = [
        ConfigChange(name, key, (before.get("data") or {}).get(key), value)
        for key, value in values.items()
        if (before.get("data") or {}).get(key) != value
    ]
    data.update(values)
    return environment, before, after, changes


def plan(
    cluster: Cluster, environment: Environment, name: str, values: dict[str, str]
) -> tuple[list[ConfigChange], EnvDiff]:
    environment, before, after, changes = _prepare(cluster, environment, name, values)
    diff = compare(
        [before],
        [after],
        left_namespace=environment.namespace,
        right_namespace=environment.namespace,
        left_name=f"{environment.ref} (now)",
        right_name=f"{environment.ref} (after set-config)",
        include_env_scoped=True,
    )
    return changes, diff


def apply(
    cluster: Cluster, environment: Environment, name: str, values: dict[str, str], *, user: str, reason: str = ""
) -> list[ConfigChange]:
    environment, before, _after, changes = _prepare(cluster, environment, name, values)
    if not changes:
        return []
    snapshot = history.material_snapshot(cluster, environment.namespace)
    operations: list[Obj] = [] if before.get("data") else [{"op": "add", "path": "/data", "value": {}}]
    for change in changes:
        path = "/data/" + change.key.replace("~", "~0").replace("/", "~1")
        if change.old is None:
            operations.append({"op": "add", "path": path, "value": change.new})
        else:
            operations += [{"op": "test", "path": path, "value": change.old}]
            operations += [{"op": "replace", "path": path, "value": change.new}]
    cluster.patch_unchanged(
        kinds.CONFIGMAP,
        environment.namespace,
        name,
        operations,
        lambda live: all((live.get("data") or {}).get(c.key) == c.old for c in changes),
    )
    history.record(
        cluster,
        environment.namespace,
        action="set-config",
        user=user,
        summary=[c.describe() for c in changes],
        before=snapshot,
        reason=reason,
    )
    return changes
