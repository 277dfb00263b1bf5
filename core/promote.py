"""Promote a clone's changes onto its target: a three-way merge per material object.

base = the source's objects when the clone was made (stored in the clone's history),
ours = the clone now, theirs = the target now. Environment-scoped objects of the
target are never read into the plan, so they are never written; neither are Jobs
(plan_apply.jobs_left_out) nor the kinds the user may not read in either environment:
the plan lists both as skipped. The dry run, preview
and guarded apply are plan_apply's, shared with rollback.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hotclone.core import discovery, environment_fields, gates, history, inventory, normalize, plan_apply
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.diff import format_path, show
from hotclone.core.errors import InvalidInput, NotFound, Refused
from hotclone.core.merge3 import FieldConflict, merge
from hotclone.core.models import Conflict3, Environment, PromotePlan, Touched


def plan(
    cluster: Cluster,
    origin: Environment,
    destination: Environment | None = None,
    *,
    prune: bool = False,
    include_rbac: bool = False,
    into: Cluster | None = None,
) -> PromotePlan:
    """Promote `origin` onto `destination` (default: the environment it was cloned from).

    `cluster` holds `origin`; `into` holds `destination` when it is in another cluster (a clone
    made across clusters promoted back): the source is read there, the target read, dry-run and
    later written here, and the base recorded at clone time still makes it three-way.
    RBAC objects are left out (and listed as skipped) unless `include_rbac`: see
    core.inventory.RBAC_KINDS for the rule.
    """
    target_cluster = into or cluster
    origin = discovery.current(cluster, origin)
    if destination is None:
        if not origin.cloned_from:
            raise InvalidInput(
                f"{origin.ref} was not cloned from another environment: name the target (promote APP FROM TO)"
            )
        destination = discovery.environment(target_cluster, origin.app, origin.cloned_from)
    else:
        destination = discovery.current(target_cluster, destination)
    if destination.namespace == origin.namespace and target_cluster.server == cluster.server:
        raise InvalidInput(f"cannot promote {origin.ref} onto itself")
    for environment in (origin, destination):
        if environment.incomplete:
            raise Refused(f"{environment.ref} is incomplete (an interrupted clone)")
    ours_read, theirs_read = plan_apply.read(cluster, origin), plan_apply.read(target_cluster, destination)
    # A kind unreadable on either side is left as it is on both: otherwise a prune would delete what
    # the clone could not show, or a create would collide with what the target could not.
    unreadable = {k.object for k in (*ours_read.unreadable, *theirs_read.unreadable)}
    ours = plan_apply.without_kinds(ours_read.objects, unreadable)
    theirs = plan_apply.without_kinds(theirs_read.objects, unreadable)
    base: dict[str, Obj] | None = None
    base_namespace = destination.namespace
    if origin.cloned_from_env(destination):
        try:
            base_namespace, base_objects = history.load_base(cluster, origin.namespace)
            base = {inventory.ref(o): o for o in base_objects}
        except NotFound:
            base = None  # not made by hotclone clone: a two-way promote (the clone wins)
    merged = merge_plan(origin, destination, ours, theirs, base, base_namespace, prune=prune, include_rbac=include_rbac)
    rbac = rbac_touched(origin, destination, ours, theirs, base, base_namespace, prune=prune)
    result = plan_apply.dry_run(target_cluster, "promote", origin.name, destination, theirs, *merged)
    skipped = plan_apply.unreadable_lines([(origin, ours_read), (destination, theirs_read)])
    result = dataclasses.replace(
        result,
        skipped=(*result.skipped, *skipped),
        source_cluster=origin.cluster,
        source_namespace=origin.namespace,
    )
    result = with_rbac(result, rbac, include_rbac=include_rbac)
    # The target type's gates, bound to exactly this plan (core/gates.py); never dropped silently.
    kind, unknown = gates.target_type(target_cluster, destination)
    # A clone made across clusters has its type in its source's cluster (where it was cloned from).
    types = target_cluster if origin.cloned_from_server == target_cluster.server else cluster
    found = gates.for_promote(cluster, origin, destination, ours_read.objects, theirs_read.objects, result, kind, types)
    return dataclasses.replace(
        result,
        gates=found,
        skipped=(*result.skipped, unknown) if unknown else result.skipped,
    )


def merge_plan(
    origin: Environment,
    destination: Environment,
    ours: dict[str, Obj],
    theirs: dict[str, Obj],
    base: dict[str, Obj] | None,
    base_namespace: str,
    *,
    prune: bool,
    include_rbac: bool = False,
) -> tuple[dict[str, Obj], list[str], tuple[Conflict3, ...]]:
    """What to write into `destination` (ref -> object), what to delete, and the conflicts.

    Pure. `ours`/`theirs`/`base` map "Kind/name" to material objects; `base` is None
    for a two-way promote (the clone wins), and its objects live in `base_namespace`.
    RBAC objects take no part unless `include_rbac` (rbac_touched names them).
    """
    if not include_rbac:
        ours = {ref: o for ref, o in ours.items() if not inventory.is_rbac(ref)}
        theirs = {ref: o for ref, o in theirs.items() if not inventory.is_rbac(ref)}
    desired: dict[str, Obj] = {}
    conflicts: list[Conflict3] = []
    for ref in sorted(set(ours) | set(theirs)):
        o, t = ours.get(ref), theirs.get(ref)
        b = base.get(ref) if base is not None else None
        if o is None:
            continue  # only in the target: kept (deleted below with prune)
        o_m = normalize.for_merge(o, origin.namespace)
        if t is None:
            if b is not None and normalize.for_merge(b, base_namespace) == o_m:
                continue  # deleted in the target after the clone, unchanged in the clone: respect that
            desired[ref] = normalize.from_merge(o_m, destination.namespace)
            continue
        t_m = normalize.for_merge(t, destination.namespace)
        if base is None or b is None:
            merged, found = o_m, list[FieldConflict]()
        else:
            merged, found = merge(normalize.for_merge(b, base_namespace), o_m, t_m)
        secret = t.get("kind") == "Secret"
        conflicts += [
            Conflict3(ref, format_path(c.path), _shown(c.ours, secret), _shown(c.theirs, secret)) for c in found
        ]
        if found:
            continue
        # The target keeps its own environment fields and other tools' marks (core/environment_fields.py).
        body = environment_fields.keep_target(normalize.from_merge(merged, destination.namespace), t)
        if normalize.for_merge(body, destination.namespace) != t_m:
            desired[ref] = body
    deletions = sorted(set(theirs) - set(ours)) if prune else []
    return desired, deletions, tuple(conflicts)


def rbac_touched(
    origin: Environment,
    destination: Environment,
    ours: dict[str, Obj],
    theirs: dict[str, Obj],
    base: dict[str, Obj] | None,
    base_namespace: str,
    *,
    prune: bool,
) -> list[str]:
    """The RBAC objects ("Kind/name") a promote would write, delete or conflict on. Pure."""
    ours = {ref: o for ref, o in ours.items() if inventory.is_rbac(ref)}
    theirs = {ref: o for ref, o in theirs.items() if inventory.is_rbac(ref)}
    desired, deletions, conflicts = merge_plan(
        origin, destination, ours, theirs, base, base_namespace, prune=prune, include_rbac=True
    )
    return sorted({*desired, *deletions, *(c.object for c in conflicts)})


def with_rbac(plan: PromotePlan, rbac: list[str], *, include_rbac: bool) -> PromotePlan:
    """The plan with its RBAC objects named: written (include_rbac) or skipped, never silently."""
    if include_rbac:
        return dataclasses.replace(plan, rbac=tuple(rbac))
    # The blast radius names them too: its RBAC class shows what stays as it is, and why.
    left_out = tuple(Touched(ref, "skipped") for ref in rbac)
    return dataclasses.replace(
        plan,
        skipped=(*plan.skipped, *(f"{ref} (RBAC: pass --include-rbac)" for ref in rbac)),
        blast_radius=dataclasses.replace(plan.blast_radius, rbac=(*plan.blast_radius.rbac, *left_out)),
    )


def _shown(value: Any, secret: bool) -> str | None:
    if value is None:
        return None
    return "<hidden>" if secret else show(value)
