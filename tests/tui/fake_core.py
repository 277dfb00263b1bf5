"""What core does around its pure functions when it talks to a cluster, repeated over the fake's Store.

Core's reads and checks before a write (find an environment, re-read its labels, the
steps of a clone, the inputs of a promote or rollback, the checks before applying) live
in functions that take a Cluster; these are the same steps, with the same messages, over
the Store. Every rule inside them is still core's own function. tests/test_session_contract.py
holds the two copies together: the same behaviours, run against FakeSession and Session.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from hotclone.core import clone as clone_ops
from hotclone.core import (
    demo,
    discovery,
    durations,
    envtypes,
    inventory,
    journal,
    plan_apply,
    promote,
    rollback,
)
from hotclone.core.cluster import Obj
from hotclone.core.contract import Progress
from hotclone.core.destroy import INCOMPLETE_GRACE
from hotclone.core.diff import compare
from hotclone.core.errors import AlreadyExists, InvalidInput, NotFound, Refused
from hotclone.core.models import (
    PROTECTED_TYPES,
    CloneResult,
    EnvDiff,
    Environment,
    HistoryEntry,
    ProgressStep,
    PromotePlan,
    Skipped,
)
from hotclone.core.normalize import for_copy
from hotclone.core.schema import (
    ANNOTATION_CLONED_FROM,
    ANNOTATION_CLONED_FROM_CONTEXT,
    ANNOTATION_CLONED_FROM_SERVER,
    ANNOTATION_CREATED_BY,
    ANNOTATION_EXPIRES_AT,
    ANNOTATION_PREFLIGHT,
    LABEL_APP,
    PREFLIGHT_MAX_CHARS,
    TIME_FORMAT,
    environment_namespace,
)
from hotclone.core.validation import validate_environment_name, validate_label
from tests.tui.fake_store import Store


# -- environments (discovery) ------------------------------------------------------------------------
def all_environments(store: Store) -> list[Environment]:
    labelled = (ns for ns in store.namespaces.values() if (ns["metadata"].get("labels") or {}).get(LABEL_APP))
    return [discovery.from_namespace(ns, store.context) for ns in labelled]


def environments(store: Store, app: str) -> list[Environment]:
    validate_label(app, "application name")
    return sorted((e for e in all_environments(store) if e.app == app), key=discovery.sort_key)


def environment(store: Store, app: str, env: str) -> Environment:
    """As discovery.environment."""
    validate_label(env, "environment name")
    return discovery.pick(app, env, environments(store, app))


def current(store: Store, env: Environment) -> Environment:
    """As discovery.current: the environment as its namespace is labelled now (writes check fresh labels)."""
    return discovery.still(env, store.namespaces.get(env.namespace))


def expired(store: Store, now: datetime) -> list[Environment]:
    """As destroy.expired: expired environments and clones interrupted long ago, never protected ones."""
    found = []
    for env in all_environments(store):
        created = env.created
        stale = env.incomplete and created is not None and now - created > INCOMPLETE_GRACE
        if env.type not in PROTECTED_TYPES and (env.expired(now) or stale):
            found.append(env)
    return sorted(found, key=lambda e: (e.app, e.name))


# -- history -------------------------------------------------------------------------------------------
def snapshot(store: Store, env: Environment) -> list[Obj]:
    """What a revision keeps, as history.material_snapshot: the material objects in copy form."""
    return [for_copy(o) for o in store.material(env.namespace).values()]


def remember(
    store: Store, env: Environment, entry: tuple[str, list[str], str], before: list[Obj], user: str, when: datetime
) -> None:
    """As history.record: the next revision, its (action, summary, reason) and the objects from before."""
    action, summary, reason = entry
    revision = store.next_revision(env.namespace)
    stamp = when.replace(microsecond=0)  # the annotation keeps seconds
    store.record(env.namespace, HistoryEntry(revision, action, user, stamp, tuple(summary[:200]), reason), before)


def refuse_if_unfinished(store: Store, env: Environment) -> None:
    """As journal.run's first check: a half-applied change blocks every other."""
    journal.refuse_unfinished(env, [r.entry for r in store.revisions.get(env.namespace, [])])


def change_diff(env: Environment, before: list[Obj], after: list[Obj], action: str) -> EnvDiff:
    """The preview of a set-image or set-config, as images.plan and configmap_values.plan name it."""
    return compare(
        before,
        after,
        left_namespace=env.namespace,
        right_namespace=env.namespace,
        left_name=f"{env.ref} (now)",
        right_name=f"{env.ref} (after {action})",
        include_env_scoped=action == "set-config",
    )


# -- clone ---------------------------------------------------------------------------------------------
def type_named(types: dict[str, envtypes.TypeDefinition], name: str) -> envtypes.TypeDefinition:
    """As envtypes.load."""
    if name not in types:
        raise NotFound(f"unknown environment type {name!r} (known: {', '.join(sorted(types))})")
    return types[name]


def prepare(
    store: Store,
    types: dict[str, envtypes.TypeDefinition],
    source: Environment,
    new: str,
    *,
    env_type: str,
    allow_refs: bool,
    report: Progress,
    into: Store | None = None,
) -> tuple[Environment, envtypes.TypeDefinition, Store, clone_ops.PlannedClone]:
    """clone._prepare's checks (in its order), the read, then core's own plan (clone.plan_from).
    `into`: the store of the context the type names (a clone into another cluster)."""
    app = source.app
    validate_environment_name(app, new)
    definition = type_named(types, env_type)
    target = into if into is not None and into is not store else store
    across = target is not store
    origin = current(store, source)
    if origin.incomplete:
        raise Refused(f"{origin.ref} is incomplete (an interrupted clone); destroy it or wait")
    for where in (store, target) if across else (store,):
        if new in {e.name for e in environments(where, app)}:
            place = f" in context {where.context}" if across else ""
            raise AlreadyExists(f"environment {new!r} of {app!r} already exists{place}")
    namespace = environment_namespace(app, new)
    if namespace in target.namespaces:
        place = f" in context {target.context}" if across else ""
        raise AlreadyExists(f"namespace {namespace} already exists{place} (not a hotclone environment of {app})")
    report(ProgressStep("read", 0, 1, f"reading {origin.namespace}"))
    read = store.read(origin.namespace, clone_ops.exclusions(definition))
    report(ProgressStep("preflight", 0, 1, "checking references to the source"))
    planned = clone_ops.plan_from(
        origin, new, read, definition, allow_prod_references=allow_refs, source_server=store.server if across else ""
    )
    if across:
        placed = dataclasses.replace(
            planned.plan,
            cluster=target.context,
            source_cluster=store.context,
            missing_kinds=tuple(missing_kinds(target, planned.copies)),
        )
        planned = dataclasses.replace(planned, plan=placed)
    return origin, definition, target, planned


def missing_kinds(target: Store, copies: list[Obj]) -> list[Skipped]:
    """As clone.missing_kinds: one entry per kind the target does not serve, naming its objects."""
    by_kind: dict[str, list[str]] = {}
    for obj in copies:
        if obj["kind"] in target.unserved:
            by_kind.setdefault(f"{obj.get('apiVersion')} {obj.get('kind')}", []).append(inventory.ref(obj))
    return [
        Skipped(kind, f"not served by context {target.context} ({', '.join(refs[:3])}{' …' if len(refs) > 3 else ''})")
        for kind, refs in sorted(by_kind.items())
    ]


def clone(
    store: Store,
    types: dict[str, envtypes.TypeDefinition],
    source: Environment,
    new: str,
    *,
    env_type: str,
    ttl: str | None,
    allow_refs: bool,
    report: Progress,
    user: str,
    now: datetime,
    into: Store | None = None,
) -> CloneResult:
    """clone.clone's steps, from the checks (in its order) to the history entry: the plan, carried out."""
    validate_environment_name(source.app, new)
    lifetime = durations.parse(ttl) if ttl else None
    prepared = prepare(store, types, source, new, env_type=env_type, allow_refs=allow_refs, report=report, into=into)
    origin, definition, target, planned = prepared
    source_store, store = store, target  # from here on everything is written in the target cluster
    plan = planned.plan
    if plan.refused:
        raise Refused(clone_ops.refusal(plan))
    left = f"{len(plan.findings)} reference(s), {len(plan.still_pointing)} left pointing at {origin.name}"
    report(ProgressStep("preflight", 1, 1, left))
    annotations = {
        ANNOTATION_CLONED_FROM: origin.name,
        ANNOTATION_CREATED_BY: user,
        ANNOTATION_PREFLIGHT: "\n".join(f.describe() for f in plan.findings)[:PREFLIGHT_MAX_CHARS],
    }
    across = store is not source_store
    if across:  # made in another cluster: where its source is, for promote and diff
        annotations[ANNOTATION_CLONED_FROM_CONTEXT] = source_store.context
        annotations[ANNOTATION_CLONED_FROM_SERVER] = source_store.server
    lifetime = lifetime or definition.ttl
    if lifetime:
        annotations[ANNOTATION_EXPIRES_AT] = (now + lifetime).strftime(TIME_FORMAT)
    body = demo.namespace_object(origin.app, new, definition.name)
    body["metadata"]["annotations"] = annotations
    created = discovery.from_namespace(store.create_namespace(body, now), store.context)
    report(ProgressStep("namespace", 1, 1, plan.namespace))
    ordered = inventory.in_creation_order(planned.copies + planned.generated)
    for done, obj in enumerate(ordered, start=1):
        store.put(plan.namespace, obj)
        if done == len(ordered) or ordered[done]["kind"] != obj["kind"]:
            report(ProgressStep("objects", done, len(ordered), obj["kind"]))
    report(ProgressStep("templates", len(planned.generated), len(planned.generated), ", ".join(plan.generated)))
    store.bases[plan.namespace] = (origin.namespace, planned.base)
    where = f" in context {source_store.context}" if across else ""
    summary = f"cloned from {origin.name}{where} ({len(plan.copies)} objects, {len(plan.generated)} from templates)"
    remember(store, created, ("clone", [summary], ""), [], user, now)
    report(ProgressStep("history", 1, 1, "revision 1 recorded"))
    return CloneResult(created, plan.copies, tuple(sorted(plan.generated)), plan.warnings, plan.findings, plan=plan)


# -- promote and rollback ------------------------------------------------------------------------------
def promote_plan(
    store: Store,
    source: Environment,
    target: Environment | None,
    prune: bool,
    *,
    include_rbac: bool = False,
    stores: dict[str, Store] | None = None,
) -> PromotePlan:
    """promote.plan's inputs read from the store, merge_plan's answer previewed (no server to dry-run it).
    `stores`: every cluster's, by context: the target may be in another (a clone made across clusters)."""
    origin = current(store, source)
    found = stores or {}
    if target is None:
        if not origin.cloned_from:
            raise InvalidInput(
                f"{origin.ref} was not cloned from another environment: name the target (promote APP FROM TO)"
            )
        there = found.get(origin.cloned_from_context or "", store)
        destination = environment(there, origin.app, origin.cloned_from)
    else:
        there = found.get(target.cluster, store)
        destination = current(there, target)
    if destination.namespace == origin.namespace and there is store:
        raise InvalidInput(f"cannot promote {origin.ref} onto itself")
    for env in (origin, destination):
        if env.incomplete:
            raise Refused(f"{env.ref} is incomplete (an interrupted clone)")
    ours, theirs = store.material(origin.namespace), there.material(destination.namespace)
    base, base_namespace = None, destination.namespace
    if origin.cloned_from == destination.name and origin.namespace in store.bases:
        base_namespace, base_objects = store.bases[origin.namespace]
        base = {inventory.ref(o): o for o in base_objects}
    desired, deletions, conflicts = promote.merge_plan(
        origin, destination, ours, theirs, base, base_namespace, prune=prune, include_rbac=include_rbac
    )
    rbac = promote.rbac_touched(origin, destination, ours, theirs, base, base_namespace, prune=prune)
    result = plan_apply.preview("promote", origin.name, destination, theirs, desired, desired, deletions, conflicts)
    plan = promote.with_rbac(result, rbac, include_rbac=include_rbac)
    plan.source_cluster, plan.source_namespace = origin.cluster, origin.namespace
    return plan


def rollback_plan(store: Store, env: Environment, revision: int | None) -> PromotePlan:
    """rollback.plan's inputs read from the store, restore_plan's answer previewed."""
    fresh = current(store, env)
    revisions = store.revisions.get(fresh.namespace, [])
    if revision is None:
        if not revisions:
            raise NotFound(f"{fresh.ref} has no history to roll back")
        revision = max(r.entry.revision for r in revisions)
    found = next((r for r in revisions if r.entry.revision == revision), None)
    if found is None:
        known = ", ".join(str(r.entry.revision) for r in revisions) or "none"
        raise NotFound(f"unknown revision {revision} of {fresh.ref} (known: {known})")
    live = store.material(fresh.namespace)
    desired, deletions = rollback.restore_plan(fresh, found.entry, found.before, live)
    return plan_apply.preview("rollback", f"revision {revision}", fresh, live, desired, desired, deletions, ())


def check_unchanged(store: Store, plan: PromotePlan) -> None:
    """plan_apply.apply's check, on the store's objects."""
    plan_apply.check_unchanged(plan, store.material(plan.target.namespace))
