"""Clone an environment: all material objects copied, environment-scoped ones from templates.

All or nothing: the namespace is created first, marked `creating`, and deleted again
if any later step fails (deleting a namespace removes everything in it), so a failed
or interrupted clone leaves no half-made environment behind; one that was killed
outright shows as incomplete and `hotclone gc` removes it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from hotclone.core import api_discovery, discovery, durations, envtypes, history, inventory, kinds, normalize, preflight
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.errors import AlreadyExists, HotcloneError, NotFound, Refused
from hotclone.core.journal import Interrupted
from hotclone.core.models import CloneResult, Environment, PreflightFinding, ProgressStep
from hotclone.core.schema import (
    ANNOTATION_CLONED_FROM,
    ANNOTATION_CREATED_BY,
    ANNOTATION_EXPIRES_AT,
    ANNOTATION_PREFLIGHT,
    ANNOTATION_STATE,
    LABEL_APP,
    LABEL_ENV,
    LABEL_ENV_TYPE,
    PREFLIGHT_MAX_CHARS,
    REVISION_COMPLETE,
    STATE_CREATING,
    TIME_FORMAT,
    environment_namespace,
)
from hotclone.core.validation import validate_environment_name

_PARALLEL_CREATES = 8


def clone(
    cluster: Cluster,
    origin: Environment,
    new: str,
    *,
    env_type: str = "temporary",
    ttl: str | None = None,
    allow_prod_references: bool = False,
    user: str = "unknown",
    progress: Callable[[ProgressStep], None] | None = None,
    now: datetime | None = None,
) -> CloneResult:
    started = time.monotonic()
    report = progress or (lambda step: None)
    # Everything that can be checked without changing the cluster is checked first.
    app = origin.app
    validate_environment_name(app, new)
    lifetime = durations.parse(ttl) if ttl else None
    definition = envtypes.load(cluster, env_type)
    origin = discovery.current(cluster, origin)
    source = origin.name
    if origin.incomplete:
        raise Refused(f"{origin.ref} is incomplete (an interrupted clone); destroy it or wait")
    existing = {e.name for e in discovery.environments(cluster, app)}
    if new in existing:
        raise AlreadyExists(f"environment {new!r} of {app!r} already exists")
    namespace = environment_namespace(app, new)
    try:
        cluster.get(kinds.NAMESPACE, None, namespace)
        raise AlreadyExists(f"namespace {namespace} already exists (not a hotclone environment of {app})")
    except NotFound:
        pass

    report(ProgressStep("read", 0, 1, f"reading {origin.namespace}"))
    objects = inventory.load(cluster, origin.namespace)
    material = [o for o in objects if not inventory.is_environment_scoped(o)]
    scoped = [o for o in objects if inventory.is_environment_scoped(o)]
    generated = definition.render(app, new, namespace)
    generated_refs = {inventory.ref(o) for o in generated}
    warnings = [
        f"{inventory.ref(o)} is environment-scoped in {source} and type {definition.name!r} has no template "
        "for it: the clone has none"
        for o in scoped
        if inventory.ref(o) not in generated_refs
    ]

    report(ProgressStep("preflight", 0, 1, "checking references to the source"))
    copies = [normalize.for_copy(o) for o in material]
    findings = preflight.rewrite_namespace(copies, origin.namespace, namespace)
    remaining = preflight.remaining_references(copies, preflight.endpoints(objects))
    if remaining and not allow_prod_references:
        listed = "; ".join(f.describe() for f in remaining)
        raise Refused(
            f"clone refused: {len(remaining)} value(s) in material objects still point at {source}: {listed} "
            "(make them environment-scoped, or pass --allow-prod-references)"
        )
    findings += remaining
    report(ProgressStep("preflight", 1, 1, f"{len(findings)} reference(s), {len(remaining)} left pointing at {source}"))

    expires = None
    if lifetime or definition.ttl:
        expires = (now or datetime.now(UTC)) + (lifetime or definition.ttl)  # type: ignore[operator]
    environment = _create_namespace(cluster, app, new, namespace, definition.name, origin, user, expires, findings)
    report(ProgressStep("namespace", 1, 1, namespace))
    try:
        ordered = inventory.in_creation_order(copies + generated)
        # The namespace, marked `creating`, is this change's journal: interrupted, it is removed
        # (or, if even that fails, shown incomplete until gc removes it). The revision comes first.
        revision = history.begin(
            cluster,
            namespace,
            action="clone",
            user=user,
            summary=[f"cloned from {source} ({len(copies)} objects, {len(generated)} from templates)"],
            before=[],
            touched=[inventory.ref(o) for o in ordered],
        )
        total = len(ordered)
        done = 0
        for group in _groups_by_kind(ordered):
            _create_all(cluster, namespace, group)
            done += len(group)
            report(ProgressStep("objects", done, total, f"{group[0]['kind']} x{len(group)}"))
        report(ProgressStep("templates", len(generated), len(generated), ", ".join(sorted(generated_refs))))
        history.save_base(cluster, namespace, origin.namespace, [normalize.for_copy(o) for o in material])
        history.mark(cluster, namespace, revision, REVISION_COMPLETE)
        report(ProgressStep("history", 1, 1, f"revision {revision} recorded"))
        cluster.patch(kinds.NAMESPACE, None, namespace, {"metadata": {"annotations": {ANNOTATION_STATE: None}}})
    except BaseException as error:
        removed = _remove(cluster, namespace)
        if isinstance(error, HotcloneError | KeyboardInterrupt):
            cause = str(error) if isinstance(error, HotcloneError) else "interrupted"
            stop = Interrupted if isinstance(error, KeyboardInterrupt) else type(error)
            raise stop(f"clone stopped ({cause}); {removed}") from None
        raise
    return CloneResult(
        environment=environment,
        copied=tuple(inventory.ref(o) for o in copies),
        generated=tuple(sorted(generated_refs)),
        warnings=tuple(warnings),
        findings=tuple(findings),
        seconds=time.monotonic() - started,
    )


def _create_namespace(
    cluster: Cluster,
    app: str,
    new: str,
    namespace: str,
    type_name: str,
    origin: Environment,
    user: str,
    expires: datetime | None,
    findings: list[PreflightFinding],
) -> Environment:
    annotations = {
        ANNOTATION_CLONED_FROM: origin.name,
        ANNOTATION_CREATED_BY: user,
        ANNOTATION_STATE: STATE_CREATING,
        ANNOTATION_PREFLIGHT: "\n".join(f.describe() for f in findings)[:PREFLIGHT_MAX_CHARS],
    }
    if expires:
        annotations[ANNOTATION_EXPIRES_AT] = expires.strftime(TIME_FORMAT)
    body = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": namespace,
            "labels": {LABEL_APP: app, LABEL_ENV: new, LABEL_ENV_TYPE: type_name},
            "annotations": annotations,
        },
    }
    created = discovery.from_namespace(cluster.create(kinds.NAMESPACE, None, body))
    return dataclasses.replace(created, incomplete=False)  # as it will be once complete


def _groups_by_kind(objects: list[Obj]) -> list[list[Obj]]:
    groups: list[list[Obj]] = []
    for obj in objects:
        if groups and inventory.kind_of_ref(inventory.ref(groups[-1][0])) == inventory.kind_of_ref(inventory.ref(obj)):
            groups[-1].append(obj)
        else:
            groups.append([obj])
    return groups


def _create_all(cluster: Cluster, namespace: str, group: list[Obj]) -> None:
    """Create one kind's objects concurrently; the first failure names its object."""

    def create(obj: Obj) -> None:
        body = {**obj, "metadata": {**obj["metadata"], "namespace": namespace}}
        try:
            cluster.create(api_discovery.kind_of(cluster, obj), namespace, body)
        except HotcloneError as error:
            raise type(error)(f"{inventory.ref(obj)}: {error}") from None

    with ThreadPoolExecutor(max_workers=min(_PARALLEL_CREATES, len(group))) as pool:
        for _ in pool.map(create, group):
            pass


def _remove(cluster: Cluster, namespace: str) -> str:
    """Delete the half-made namespace; says what reading it back shows."""
    with contextlib.suppress(HotcloneError):
        cluster.delete(kinds.NAMESPACE, None, namespace)
    try:
        live = cluster.get(kinds.NAMESPACE, None, namespace)
    except NotFound:
        return f"{namespace} was removed again (read back: gone)"
    except HotcloneError:
        return (
            f"{namespace} could not be read back: if it is still there it is marked incomplete, "
            "is never used, and hotclone gc removes it"
        )
    if live["metadata"].get("deletionTimestamp"):
        return f"{namespace} is being removed (read back: terminating)"
    return f"{namespace} could not be removed: it is marked incomplete, is never used, and hotclone gc removes it"


def recorded_findings(cluster: Cluster, environment: Environment) -> list[str]:
    namespace = cluster.get(kinds.NAMESPACE, None, environment.namespace)
    text = (namespace["metadata"].get("annotations") or {}).get(ANNOTATION_PREFLIGHT, "")
    return [line for line in text.splitlines() if line]
