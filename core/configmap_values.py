"""Set ConfigMap values in a non-production environment (the charset fix of the story).

Like images, a production ConfigMap changes only through promote or rollback. Each
write is a JSON patch guarded by a `test` of the value the user saw, so a concurrent
edit of the same key fails instead of being overwritten. Secrets are not editable
here: hotclone never shows their values, so it cannot show what would change.
"""

from __future__ import annotations

import copy
import re

from hotclone.core import discovery, history, journal, kinds
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.diff import compare
from hotclone.core.errors import Conflict, InvalidInput, NotFound, Refused
from hotclone.core.models import ConfigChange, EnvDiff, Environment
from hotclone.core.validation import validate_object_name

_KEY = re.compile(r"[-._a-zA-Z0-9]{1,253}")  # fullmatch: `$` accepts a trailing newline


def parse_assignment(text: str) -> tuple[str, str]:
    """`KEY=VALUE` (the value may contain '=')."""
    key, sep, value = text.partition("=")
    if not sep:
        raise InvalidInput(f"invalid setting {text!r}: expected KEY=VALUE")
    if not _KEY.fullmatch(key):
        raise InvalidInput(f"invalid ConfigMap key {key!r}: use letters, digits, '-', '_' and '.'")
    return key, value


def configmaps(cluster: Cluster, environment: Environment) -> dict[str, dict[str, str]]:
    """The environment's ConfigMaps (name -> data), one LIST."""
    return {
        o["metadata"]["name"]: dict(o.get("data") or {})
        for o in cluster.list(kinds.CONFIGMAP, environment.namespace)
        if o["metadata"]["name"] != "kube-root-ca.crt"
    }


def _check_values(values: dict[str, str]) -> None:
    if not values:
        raise InvalidInput("no setting given: expected KEY=VALUE")
    for key in values:
        if not _KEY.fullmatch(key):
            raise InvalidInput(f"invalid ConfigMap key {key!r}: use letters, digits, '-', '_' and '.'")


def _check_environment(environment: Environment) -> None:
    if environment.is_production:
        raise Refused(f"{environment.ref} is production: its configuration changes only through promote or rollback")
    if environment.incomplete:
        raise Refused(f"{environment.ref} is incomplete (an interrupted clone)")


def edit(
    environment: Environment, configmap: Obj | None, name: str, values: dict[str, str], known: list[str]
) -> tuple[Obj, Obj, list[ConfigChange]]:
    """ConfigMap `name` before and after setting `values`, and the changes. Pure.

    `configmap` is None when the environment has no such ConfigMap; `known` then names
    the ones it has, for the error.
    """
    validate_object_name(name, "ConfigMap name")
    _check_values(values)
    _check_environment(environment)
    if configmap is None:
        listed = ", ".join(sorted(known)) or "none"
        raise NotFound(f"no ConfigMap {name!r} in {environment.ref} (ConfigMaps: {listed})")
    before = configmap
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
    return before, after, changes


def _prepare(
    cluster: Cluster, environment: Environment, name: str, values: dict[str, str]
) -> tuple[Environment, Obj, Obj, list[ConfigChange]]:
    # Bad input is reported before any network call; the name becomes a URL path
    # segment, so `../../other-namespace/configmaps/x` or `x?dryRun=All` never get there.
    validate_object_name(name, "ConfigMap name")
    _check_values(values)
    environment = discovery.current(cluster, environment)
    _check_environment(environment)
    known: list[str] = []
    configmap: Obj | None
    try:
        configmap = cluster.get(kinds.CONFIGMAP, environment.namespace, name)
    except NotFound:
        configmap, known = None, list(configmaps(cluster, environment))
    before, after, changes = edit(environment, configmap, name, values, known)
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


def check_seen(environment: Environment, name: str, seen: list[ConfigChange], changes: list[ConfigChange]) -> None:
    """Pure: nothing is written unless the changes are still those the preview showed."""
    if changes != list(seen):
        moved = next((c for c in changes if c not in seen), None) or next(c for c in seen if c not in changes)
        raise Conflict(
            f"ConfigMap/{name} in {environment.ref} changed since the preview ({moved.key}); nothing applied"
        )


def apply(
    cluster: Cluster,
    environment: Environment,
    name: str,
    values: dict[str, str],
    *,
    seen: list[ConfigChange],
    user: str,
    reason: str = "",
) -> list[ConfigChange]:
    """Patch the ConfigMap, journaled, guarded by the values the preview showed (`seen`)."""
    history.check_reason(reason)
    environment, before, _after, changes = _prepare(cluster, environment, name, values)
    check_seen(environment, name, seen, changes)
    if not changes:
        return []
    snapshot = journal.including(history.material_snapshot(cluster, environment.namespace), [before])
    operations: list[Obj] = [] if before.get("data") else [{"op": "add", "path": "/data", "value": {}}]
    for change in changes:
        path = "/data/" + change.key.replace("~", "~0").replace("/", "~1")
        if change.old is None:
            operations.append({"op": "add", "path": path, "value": change.new})
        else:
            operations += [{"op": "test", "path": path, "value": change.old}]
            operations += [{"op": "replace", "path": path, "value": change.new}]

    def write(writes: journal.Writes) -> None:
        with writes.writing(f"ConfigMap/{name}"):
            cluster.patch_unchanged(
                kinds.CONFIGMAP,
                environment.namespace,
                name,
                operations,
                lambda live: all((live.get("data") or {}).get(c.key) == c.old for c in changes),
            )

    journal.run(
        cluster,
        environment,
        action="set-config",
        user=user,
        reason=reason,
        summary=[c.describe() for c in changes],
        before=snapshot,
        touched=[f"ConfigMap/{name}"],
        write=write,
    )
    return changes
