"""Clone an environment: all material objects copied, environment-scoped ones from templates.

First the plan (`plan`, `clone --dry-run`, the dashboard's clone dialog): every check that
needs no change, the objects to copy, the adjustments that keep a clone from sharing
with its source, the objects generated from the environment type's templates, the
preflight findings, and everything left out with its reason. `plan_from` computes it
from what was read, without a cluster, so the dashboard's fake session runs the same
code; `clone` carries out exactly that plan.

All or nothing: the namespace is created first, marked `creating`, and deleted again
if any later step fails (deleting a namespace removes everything in it), so a failed
or interrupted clone leaves no half-made environment behind; one that was killed
outright shows as incomplete and `hotclone gc` removes it.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from hotclone.core import (
    api_discovery,
    discovery,
    durations,
    environment_fields,
    envtypes,
    history,
    inventory,
    kinds,
    normalize,
    ownership,
    preflight,
    waves,
)
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.envtypes import TypeDefinition
from hotclone.core.errors import AlreadyExists, HotcloneError, Interrupted, InvalidInput, NotFound, Refused
from hotclone.core.inventory import Inventory
from hotclone.core.material_policy import Exclusions
from hotclone.core.models import (
    Adjustment,
    ClonePlan,
    CloneResult,
    Environment,
    PreflightFinding,
    ProgressStep,
    Skipped,
)
from hotclone.core.schema import (
    ANNOTATION_CLONED_FROM,
    ANNOTATION_CLONED_FROM_CONTEXT,
    ANNOTATION_CLONED_FROM_SERVER,
    ANNOTATION_CREATED_BY,
    ANNOTATION_EXPIRES_AT,
    ANNOTATION_PREFLIGHT,
    ANNOTATION_STATE,
    LABEL_APP,
    LABEL_ENV,
    LABEL_ENV_TYPE,
    LABEL_SCOPE,
    PREFLIGHT_MAX_CHARS,
    REVISION_COMPLETE,
    SCOPE_ENVIRONMENT,
    STATE_CREATING,
    TIME_FORMAT,
    environment_namespace,
)
from hotclone.core.validation import validate_environment_name

Report = Callable[[ProgressStep], None]


# -- the plan, from what was read (pure) ------------------------------------------------------------
@dataclass(frozen=True)
class PlannedClone:
    """A clone plan and the objects behind it (`plan_from` makes it; `clone` creates it)."""

    plan: ClonePlan
    copies: list[Obj]  # the material objects as the clone gets them: adjusted, namespace rewritten
    generated: list[Obj]  # made from the environment type's templates, in the clone's namespace
    # The source's material objects with the same adjustments, namespace not rewritten: the base
    # of promote's three-way merge. Adjusted like the copies, so the clone's own adjustments
    # (ClusterIP, no Helm marks, own volumes) read as unchanged and never travel back to the source.
    base: list[Obj]


def plan_from(
    origin: Environment,
    new: str,
    read: Inventory,
    definition: TypeDefinition,
    *,
    allow_prod_references: bool = False,
    source_server: str = "",
) -> PlannedClone:
    """The plan of cloning `origin` into `new`, from the source's inventory as read. Pure.

    `source_server`: the source cluster's API server when the clone goes to another cluster; a
    value naming it still points at the source, and Services of the source's other namespaces
    (which the other cluster's DNS does not reach) are warned about.

    `read` is `inventory.read(cluster, origin.namespace, exclusions(definition))` (or an
    Inventory built the same way in memory); `definition` is the environment type. The
    objects come back in creation order. Raises InvalidInput for an invalid name, a
    template that does not render, or a template that makes an object the source copies.
    A plan whose values still point at the source is returned with `plan.refused` set
    (unless `allow_prod_references`): `refusal(plan)` is the one-line reason.
    """
    app = origin.app
    validate_environment_name(app, new)
    namespace = environment_namespace(app, new)
    generated = inventory.in_creation_order(definition.render(app, new, namespace))
    generated_refs = {inventory.ref(o) for o in generated}
    material = [o for o in read.objects if not inventory.is_environment_scoped(o)]
    scoped = [o for o in read.objects if inventory.is_environment_scoped(o)]

    base: list[Obj] = []
    adjustments: list[Adjustment] = []
    for obj in inventory.in_creation_order(material):
        adjusted, changes = adjust(normalize.for_copy(obj), definition)
        base.append(adjusted)
        adjustments += [Adjustment(inventory.ref(obj), change) for change in changes]
    clashing = sorted(generated_refs & {inventory.ref(o) for o in base})
    if clashing:
        raise InvalidInput(
            f"environment type {definition.name!r} has a template for {clashing[0]}, which {origin.ref} has as a "
            f"material object: label it {LABEL_SCOPE}={SCOPE_ENVIRONMENT} in {origin.name}, or remove the template"
        )
    copies = copy.deepcopy(base)
    findings = preflight.rewrite_namespace(copies, origin.namespace, namespace)
    known = preflight.endpoints(read.objects)
    if source_server:
        known += preflight.server_endpoints(source_server)
    findings += preflight.remaining_references(copies, known)

    skipped = list(read.skipped)
    warnings: list[str] = []
    for obj in scoped:
        ref = inventory.ref(obj)
        if ref in generated_refs:
            skipped.append(Skipped(ref, f"environment-scoped: made from the template of type {definition.name!r}"))
        else:
            missing = f"type {definition.name!r} has no template for it: the clone has none"
            skipped.append(Skipped(ref, f"environment-scoped in {origin.name}, and {missing}"))
            warnings.append(f"{ref} is environment-scoped in {origin.name} and {missing}")
    warnings += [f"{k.object} could not be read, so it is not copied: {k.reason}" for k in read.unreadable]
    if source_server:
        warnings += preflight.other_namespace_services(copies, namespace)

    plan = ClonePlan(
        app=app,
        source=origin.name,
        new=new,
        namespace=namespace,
        env_type=definition.name,
        copies=tuple(inventory.ref(o) for o in copies),
        generated=tuple(inventory.ref(o) for o in generated),
        findings=tuple(findings),
        skipped=tuple(skipped),
        excluded_kinds=tuple(read.excluded_kinds),
        unreadable=tuple(read.unreadable),
        adjustments=tuple(adjustments),
        warnings=tuple(warnings),
        allow_prod_references=allow_prod_references,
    )
    return PlannedClone(plan, copies, generated, base)


def exclusions(definition: TypeDefinition) -> Exclusions:
    """What the environment type leaves out of its clones, as inventory.read takes it."""
    return Exclusions(definition.exclude, by=f"environment type {definition.name!r}")


def refusal(plan: ClonePlan) -> str:
    """The one-line reason a refused plan is not carried out."""
    if plan.missing_kinds:
        listed = ", ".join(k.object for k in plan.missing_kinds)
        return (
            f"clone refused: context {plan.cluster} does not serve {len(plan.missing_kinds)} kind(s) that "
            f"{plan.source} has: {listed} (install them there, or leave them out with the type's exclude key)"
        )
    remaining = plan.still_pointing
    listed = "; ".join(f.describe() for f in remaining)
    return (
        f"clone refused: {len(remaining)} value(s) in material objects still point at {plan.source}: {listed} "
        "(make them environment-scoped, or pass --allow-prod-references)"
    )


# -- what a clone must not share with its source ----------------------------------------------------
_CONVERTED = {
    "LoadBalancer": "a clone gets no load balancer of its own",
    "NodePort": "a clone opens no port on every node",
}


def adjust(obj: Obj, definition: TypeDefinition) -> tuple[Obj, list[str]]:
    """A copy-form object as a clone gets it, and each change made, said in a few true words.

    Other tools' ownership marks go (the clone is not their release or application); a
    LoadBalancer or NodePort Service becomes ClusterIP unless the type keeps Service types;
    no Service keeps production's external IPs; every claim gets its own empty volume; an
    unfinished Job runs again. Pure; `obj` is not changed.
    """
    out, tools = ownership.detach(obj)
    changes = [_detached(tool) for tool in tools if not tool.startswith("managed by ")]
    kind, spec = out.get("kind"), out.get("spec")
    if not isinstance(spec, dict):
        return out, changes
    if kind == "Service":
        changes += _adjust_service(spec, definition)
    elif kind == "PersistentVolumeClaim":
        sources = [spec.pop(key) for key in ("dataSource", "dataSourceRef") if key in spec]
        named = ", ".join(sorted({f"{s.get('kind')}/{s.get('name')}" for s in sources if isinstance(s, dict)}))
        dropped = f"dataSource {named} dropped: " if sources else ""
        changes.append(f"{dropped}its own empty volume; production's data is not copied")
    elif kind == "Job":
        # normalize.for_copy already left out the selector the server made from the source Job's uid.
        changes.append("an unfinished Job: runs again in the clone")
    return out, changes


def _detached(tool: str) -> str:
    if tool.startswith("Helm release "):
        return f"{tool}'s marks removed (the clone is not that release)"
    if tool.startswith("Argo CD"):
        return f"{tool}'s marks removed (the clone is not part of it)"
    if tool.startswith("Flux"):
        return f"{tool}'s labels removed (the clone is not part of it)"
    return f"{tool}'s marks removed (the clone is not managed by it)"


def _adjust_service(spec: Obj, definition: TypeDefinition) -> list[str]:
    changes: list[str] = []
    kind = spec.get("type")
    if kind in _CONVERTED and not definition.keep_service_types:
        spec["type"] = "ClusterIP"
        for key in environment_fields.EXTERNAL_SERVICE_FIELDS:
            spec.pop(key, None)
        changes.append(f"type {kind} becomes ClusterIP ({_CONVERTED[kind]})")
    elif kind in _CONVERTED:
        # Kept, as the type asks; node ports are the cluster's (normalize.for_copy left them out).
        address = spec.pop("loadBalancerIP", None)
        kept = f"type {kind} kept (environment type {definition.name!r} keeps Service types); new node ports"
        changes.append(kept + (f", no loadBalancerIP {address} (production's address)" if address else ""))
    external = spec.pop("externalIPs", None)
    if external:
        changes.append(f"externalIPs {', '.join(map(str, external))} dropped (production's addresses)")
    return changes


# -- on a cluster ----------------------------------------------------------------------------------
Connect = Callable[[str], Cluster]  # a kubeconfig context name -> a connection to it (the session's)


def plan(
    cluster: Cluster,
    origin: Environment,
    new: str,
    *,
    env_type: str = "temporary",
    allow_prod_references: bool = False,
    into: Connect | None = None,
) -> ClonePlan:
    """What `clone` would do, after every check it makes before creating anything. Changes nothing.

    `into` connects to the context an environment type names (a clone into another cluster)."""
    return _prepare(cluster, origin, new, env_type, allow_prod_references, lambda step: None, into)[3].plan


def target_cluster(cluster: Cluster, definition: TypeDefinition, into: Connect | None) -> Cluster:
    """Where a clone of type `definition` goes: the context it names (one line if that cannot be
    reached through the user's own kubeconfig), else the source's own cluster."""
    if not definition.cluster or definition.cluster == cluster.context:
        return cluster
    if into is None:
        raise InvalidInput(f"{definition.where} places environments in context {definition.cluster!r}: not here")
    try:
        target = into(definition.cluster)
    except HotcloneError as error:
        where = f"{definition.where} places environments in context {definition.cluster!r}"
        raise type(error)(f"{where}: {error}") from None
    return cluster if target.server == cluster.server else target


def _prepare(
    cluster: Cluster,
    origin: Environment,
    new: str,
    env_type: str,
    allow_prod_references: bool,
    report: Report,
    into: Connect | None,
) -> tuple[Environment, TypeDefinition, Cluster, PlannedClone]:
    """The checks, in order (the cheap ones first), then the read and the plan."""
    app = origin.app
    validate_environment_name(app, new)  # before any request
    definition = envtypes.load(cluster, env_type, app=app)
    target = target_cluster(cluster, definition, into)
    across = target is not cluster
    origin = discovery.current(cluster, origin)
    if origin.incomplete:
        raise Refused(f"{origin.ref} is incomplete (an interrupted clone); destroy it or wait")
    for where in (cluster, target) if across else (cluster,):
        found = next((e for e in discovery.environments(where, app) if e.name == new), None)
        if found is not None:
            place = f" in context {where.context}" if across else ""
            raise AlreadyExists(f"environment {new!r} of {app!r} already exists{place}")
    namespace = environment_namespace(app, new)
    try:
        target.get(kinds.NAMESPACE, None, namespace)
        place = f" in context {target.context}" if across else ""
        raise AlreadyExists(f"namespace {namespace} already exists{place} (not a hotclone environment of {app})")
    except NotFound:
        pass
    report(ProgressStep("read", 0, 1, f"reading {origin.namespace}"))
    read = inventory.read(cluster, origin.namespace, exclusions(definition))
    report(ProgressStep("preflight", 0, 1, "checking references to the source"))
    planned = plan_from(
        origin,
        new,
        read,
        definition,
        allow_prod_references=allow_prod_references,
        source_server=cluster.server if across else "",
    )
    if across:
        missing = missing_kinds(target, planned.copies)
        placed = dataclasses.replace(
            planned.plan, cluster=target.context, source_cluster=cluster.context, missing_kinds=tuple(missing)
        )
        planned = dataclasses.replace(planned, plan=placed)
    for obj in planned.generated:
        _check_servable(target, definition, obj)
    return origin, definition, target, planned


def missing_kinds(target: Cluster, copies: list[Obj]) -> list[Skipped]:
    """The kinds among `copies` that `target` does not serve (a CRD not installed there), one entry
    per kind naming its objects: a clone into that cluster is refused before anything is created."""
    by_kind: dict[str, list[str]] = {}
    for obj in copies:
        try:
            api_discovery.kind_of(target, obj)
        except NotFound:
            by_kind.setdefault(f"{obj.get('apiVersion')} {obj.get('kind')}", []).append(inventory.ref(obj))
    return [
        Skipped(kind, f"not served by context {target.context} ({', '.join(refs[:3])}{' …' if len(refs) > 3 else ''})")
        for kind, refs in sorted(by_kind.items())
    ]


def _check_servable(cluster: Cluster, definition: TypeDefinition, obj: Obj) -> None:
    """A template's kind must be served here, and namespaced: found before anything is created."""
    where = f"environment type {definition.name!r}: its template makes {inventory.ref(obj)}"
    try:
        kind = api_discovery.kind_of(cluster, obj)
    except NotFound:
        version = obj.get("apiVersion") or "(no apiVersion)"
        raise InvalidInput(f"{where} ({version}), a kind {cluster.server} does not serve") from None
    if not kind.namespaced:
        raise InvalidInput(f"{where}, but {kind.qualified} is cluster-scoped (a clone makes namespaced objects)")


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
    into: Connect | None = None,
    identify: Callable[[Cluster], str] | None = None,
) -> CloneResult:
    """Carry out the plan `plan` shows (the same function makes it), all or nothing.

    Into another cluster (the type names a context) everything is written there and nothing in
    the source's cluster: a failed clone removes the one namespace it made, and both clusters are
    as they were. `user`, or `identify(target)`: who the target's API server says we are."""
    started = time.monotonic()
    report = progress or (lambda step: None)
    # Everything that can be checked without changing the cluster is checked first.
    validate_environment_name(origin.app, new)
    lifetime = durations.parse(ttl) if ttl else None
    origin, definition, target, planned = _prepare(cluster, origin, new, env_type, allow_prod_references, report, into)
    source_cluster, cluster = cluster, target  # from here on everything is written in the target cluster
    if identify is not None:
        user = identify(cluster)  # the history records who the target's API server says we are
    plan = planned.plan
    if plan.refused:
        raise Refused(refusal(plan))
    counted = f"{len(plan.findings)} reference(s), {len(plan.still_pointing)} left pointing at {origin.name}"
    report(ProgressStep("preflight", 1, 1, counted))

    expires = None
    if lifetime or definition.ttl:
        expires = (now or datetime.now(UTC)) + (lifetime or definition.ttl)  # type: ignore[operator]
    namespace = plan.namespace
    source = source_cluster if source_cluster is not cluster else None
    try:
        environment = _create_namespace(
            cluster, origin.app, new, namespace, plan.env_type, origin, user, expires, list(plan.findings), source
        )
    except HotcloneError as error:
        if source is None:
            raise
        raise type(error)(f"namespace {namespace} in context {cluster.context}: {error}") from None
    report(ProgressStep("namespace", 1, 1, namespace))
    try:
        ordered = inventory.in_creation_order(planned.copies + planned.generated)
        # The namespace, marked `creating`, is this change's journal: interrupted, it is removed
        # (or, if even that fails, shown incomplete until gc removes it). The revision comes first.
        revision = history.begin(
            cluster,
            namespace,
            action="clone",
            user=user,
            summary=[
                f"cloned from {origin.name}{f' in context {source.context}' if source else ''} "
                f"({len(plan.copies)} objects, {len(plan.generated)} from templates)"
            ],
            before=[],
            touched=[inventory.ref(o) for o in ordered],
        )
        _create_all(cluster, namespace, ordered, report)
        report(ProgressStep("templates", len(planned.generated), len(planned.generated), ", ".join(plan.generated)))
        history.save_base(cluster, namespace, origin.namespace, planned.base)
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
        copied=plan.copies,
        generated=tuple(sorted(plan.generated)),
        warnings=plan.warnings,
        findings=plan.findings,
        seconds=time.monotonic() - started,
        plan=plan,
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
    source: Cluster | None,
) -> Environment:
    annotations = {
        ANNOTATION_CLONED_FROM: origin.name,
        ANNOTATION_CREATED_BY: user,
        ANNOTATION_STATE: STATE_CREATING,
        ANNOTATION_PREFLIGHT: "\n".join(f.describe() for f in findings)[:PREFLIGHT_MAX_CHARS],
    }
    if source is not None:  # made in another cluster: where its source is, for promote and diff
        annotations[ANNOTATION_CLONED_FROM_CONTEXT] = source.context
        annotations[ANNOTATION_CLONED_FROM_SERVER] = source.server
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
    created = discovery.from_namespace(cluster.create(kinds.NAMESPACE, None, body), cluster.context, cluster.server)
    return dataclasses.replace(created, incomplete=False)  # as it will be once complete


def _create_all(cluster: Cluster, namespace: str, ordered: list[Obj], report: Callable[[ProgressStep], None]) -> None:
    """Create the objects concurrently, a kind at a time in creation order (core/waves.py); the
    first failure names its object, once every create under way has ended."""

    def create(obj: Obj) -> None:
        body = {**obj, "metadata": {**obj["metadata"], "namespace": namespace}}
        try:
            cluster.create(api_discovery.kind_of(cluster, obj), namespace, body)
        except HotcloneError as error:
            raise type(error)(f"{inventory.ref(obj)}: {error}") from None

    done = 0
    for wave in waves.grouped(ordered, lambda o: inventory.kind_of_ref(inventory.ref(o))):
        waves.write_in_waves([wave], create)
        done += len(wave)
        report(ProgressStep("objects", done, len(ordered), f"{wave[0]['kind']} x{len(wave)}"))


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
