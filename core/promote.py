"""Promote a clone's changes onto its target (or roll back to a snapshot).

plan: three-way merge per material object (base = the source's objects when the
clone was made, ours = the clone now, theirs = the target now), then a server-side
dry run of every write; the user sees live target vs dry-run result. apply: every
object the plan touches is re-read and compared with what the diff showed (its
content, not its resourceVersion, which controllers bump on every status update);
if anything changed in between, nothing is applied. Writes then carry the
resourceVersion just read, so the server refuses a change racing with ours. Environment-scoped objects of the
target are never read into the plan, so they are never written.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hotclone.core import discovery, history, inventory, kinds, normalize
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.diff import compare, format_path, show, summary_lines
from hotclone.core.errors import Conflict, HotcloneError, InvalidInput, NotFound, Refused
from hotclone.core.merge3 import FieldConflict, merge
from hotclone.core.models import Conflict3, Environment, FieldChange, ProgressStep, PromotePlan, RolloutStatus

_RESTARTING = ("Deployment", "StatefulSet", "DaemonSet")


def fingerprint(obj: Obj, namespace: str) -> str:
    """What the user saw of an object at diff time: its normalised content (secrets digested)."""
    text = json.dumps(normalize.for_compare(obj, namespace), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _material(cluster: Cluster, environment: Environment) -> dict[str, Obj]:
    return {inventory.ref(o): o for o in inventory.material(cluster, environment.namespace)}


def plan(
    cluster: Cluster, origin: Environment, destination: Environment | None = None, *, prune: bool = False
) -> PromotePlan:
    """Promote `origin` onto `destination` (default: the environment it was cloned from)."""
    origin = discovery.current(cluster, origin)
    if destination is None:
        if not origin.cloned_from:
            raise InvalidInput(
                f"{origin.ref} was not cloned from another environment: name the target (promote APP FROM TO)"
            )
        destination = discovery.environment(cluster, origin.app, origin.cloned_from)
    else:
        destination = discovery.current(cluster, destination)
    if destination.namespace == origin.namespace:
        raise InvalidInput(f"cannot promote {origin.ref} onto itself")
    for environment in (origin, destination):
        if environment.incomplete:
            raise Refused(f"{environment.ref} is incomplete (an interrupted clone)")
    ours = _material(cluster, origin)
    theirs = _material(cluster, destination)
    base: dict[str, Obj] | None = None
    base_namespace = destination.namespace
    if origin.cloned_from == destination.name:
        try:
            base_namespace, base_objects = history.load_base(cluster, origin.namespace)
            base = {inventory.ref(o): o for o in base_objects}
        except NotFound:
            base = None  # not made by hotclone clone: a two-way promote (the clone wins)
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
        if not found and merged != t_m:
            desired[ref] = normalize.from_merge(merged, destination.namespace)
    deletions = sorted(set(theirs) - set(ours)) if prune else []
    return _dry_run(cluster, origin.name, destination, theirs, desired, deletions, tuple(conflicts), "promote")


def _shown(value: Any, secret: bool) -> str | None:
    if value is None:
        return None
    return "<hidden>" if secret else show(value)


def _restarts_pods(change: FieldChange) -> bool:
    """Pod-template changes roll pods; replicas, strategy and metadata do not."""
    path = change.path
    if path.startswith("metadata."):
        return False
    return path.startswith("spec.template") or not path.startswith("spec.")


def plan_rollback(cluster: Cluster, environment: Environment, revision: int | None = None) -> PromotePlan:
    """Restore the state from just before `revision` (default: the latest revision, i.e. undo it)."""
    environment = discovery.current(cluster, environment)
    if revision is None:
        entries = history.entries(cluster, environment)
        if not entries:
            raise NotFound(f"{environment.ref} has no history to roll back")
        revision = max(e.revision for e in entries)
    entry, snapshot = history.snapshot(cluster, environment, revision)
    if entry.action == "clone":
        raise Refused(
            f"revision {revision} of {environment.ref} created it: nothing to roll back to (destroy it instead)"
        )
    current = _material(cluster, environment)
    wanted = {inventory.ref(o): o for o in snapshot if not inventory.is_environment_scoped(o)}
    desired: dict[str, Obj] = {}
    for ref, obj in wanted.items():
        body = copy.deepcopy(obj)
        body["metadata"]["namespace"] = environment.namespace
        live = current.get(ref)
        unchanged = live is not None and normalize.for_merge(live, environment.namespace) == normalize.for_merge(
            body, environment.namespace
        )
        if unchanged:
            continue
        desired[ref] = body
    # Restoring a state means removing what the change added.
    deletions = sorted(set(current) - set(wanted))
    return _dry_run(cluster, f"revision {revision}", environment, current, desired, deletions, (), "rollback")


def _dry_run(
    cluster: Cluster,
    source: str,
    target: Environment,
    live: dict[str, Obj],
    desired: dict[str, Obj],
    deletions: list[str],
    conflicts: tuple[Conflict3, ...],
    action: str,
) -> PromotePlan:
    def attempt(item: tuple[str, Obj]) -> tuple[str, Obj]:
        ref, body = item
        kind = kinds.kind_named(body["kind"])
        try:
            if ref in live:
                return ref, cluster.replace(kind, target.namespace, body, dry_run=True)
            return ref, cluster.create(kind, target.namespace, body, dry_run=True)
        except HotcloneError as error:
            raise type(error)(f"dry run of {ref} in {target.ref} failed: {error}") from None

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = dict(pool.map(attempt, desired.items())) if desired else {}
    for ref in deletions:
        kind, name = ref.split("/", 1)
        cluster.delete(kinds.kind_named(kind), target.namespace, name, dry_run=True)
    after = {ref: obj for ref, obj in live.items() if ref not in deletions}
    after.update(results)
    diff = compare(
        live.values(),
        after.values(),
        left_namespace=target.namespace,
        right_namespace=target.namespace,
        left_name=f"{target.ref} (live)",
        right_name=f"{target.ref} (after {action})",
    )
    restarts = tuple(o.ref for o in diff.changed if o.kind in _RESTARTING and any(map(_restarts_pods, o.changes)))
    preconditions = {ref: fingerprint(live[ref], target.namespace) for ref in [*desired, *deletions] if ref in live}
    return PromotePlan(
        app=target.app,
        source=source,
        target=target,
        diff=diff,
        conflicts=conflicts,
        deletions=tuple(deletions),
        restarts=restarts,
        action=action,
        writes=[desired[ref] for ref in results],
        preconditions=preconditions,
    )


def apply(
    cluster: Cluster,
    plan: PromotePlan,
    *,
    confirm: str | None,
    reason: str,
    user: str,
    progress: Callable[[ProgressStep], None] | None = None,
) -> list[str]:
    """Apply a plan; returns its summary lines. All or nothing."""
    report = progress or (lambda step: None)
    target = plan.target
    if plan.conflicts:
        listed = "; ".join(c.describe() for c in plan.conflicts)
        raise Conflict(f"{len(plan.conflicts)} conflict(s), nothing applied: {listed}")
    if target.is_production and confirm != target.name:
        raise Refused(f"{target.ref} is production: confirm by typing its name ({target.name!r})")
    if plan.empty:
        return []
    current = _material(cluster, target)
    for ref, seen in plan.preconditions.items():
        now = current.get(ref)
        if now is None or fingerprint(now, target.namespace) != seen:
            raise Conflict(f"{ref} in {target.ref} changed since the diff; nothing applied (run {plan.action} again)")
    appeared = [w for w in plan.writes if inventory.ref(w) not in plan.preconditions and inventory.ref(w) in current]
    if appeared:
        raise Conflict(f"{inventory.ref(appeared[0])} appeared in {target.ref} since the diff; nothing applied")
    before = [normalize.for_copy(o) for o in current.values()]
    done: list[tuple[str, str]] = []  # (verb, ref) for undo
    total = len(plan.writes) + len(plan.deletions)
    try:
        for body in plan.writes:
            ref, kind = inventory.ref(body), kinds.kind_named(body["kind"])
            report(ProgressStep("apply", len(done), total, ref))
            if ref in plan.preconditions:
                _replace_unchanged(cluster, kind, target.namespace, body, current[ref], plan.preconditions[ref])
                done.append(("replaced", ref))
            else:
                cluster.create(kind, target.namespace, body)
                done.append(("created", ref))
        for ref in plan.deletions:
            kind_name, name = ref.split("/", 1)
            report(ProgressStep("apply", len(done), total, f"delete {ref}"))
            cluster.delete(
                kinds.kind_named(kind_name),
                target.namespace,
                name,
                resource_version=current[ref]["metadata"]["resourceVersion"],
            )
            done.append(("deleted", ref))
    except HotcloneError as error:
        _undo(cluster, target, current, done)
        raise type(error)(f"{plan.action} of {target.ref} stopped and was undone, nothing changed: {error}") from None
    report(ProgressStep("apply", total, total))
    lines = summary_lines(plan.diff) + [f"{ref} deleted" for ref in plan.deletions]
    report(ProgressStep("history", 0, 1))
    history.record(
        cluster,
        target.namespace,
        action=plan.action,
        user=user,
        summary=[f"from {plan.source}", *lines],
        before=before,
        reason=reason,
    )
    return lines


def _replace_unchanged(
    cluster: Cluster, kind: kinds.Kind, namespace: str, body: Obj, live: Obj, seen: str, attempts: int = 5
) -> None:
    """Replace with the live resourceVersion; when only the status moved on (controllers
    do that all the time), re-read and try again; when the content changed, refuse."""
    for _ in range(attempts):
        version = live["metadata"]["resourceVersion"]
        try:
            cluster.replace(kind, namespace, {**body, "metadata": {**body["metadata"], "resourceVersion": version}})
            return
        except Conflict:
            live = cluster.get(kind, namespace, body["metadata"]["name"])
            if fingerprint(live, namespace) != seen:
                raise Conflict(f"{inventory.ref(body)} changed since the diff") from None
    raise Conflict(f"{inventory.ref(body)} keeps changing; gave up after {attempts} attempts")


def _undo(cluster: Cluster, target: Environment, before: dict[str, Obj], done: list[tuple[str, str]]) -> None:
    for verb, ref in reversed(done):
        kind_name, name = ref.split("/", 1)
        kind = kinds.kind_named(kind_name)
        try:
            if verb == "created":
                cluster.delete(kind, target.namespace, name)
            elif verb == "replaced":
                live = cluster.get(kind, target.namespace, name)
                restored = normalize.for_copy(before[ref])
                restored["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
                cluster.replace(kind, target.namespace, restored)
            else:
                cluster.create(kind, target.namespace, normalize.for_copy(before[ref]))
        except HotcloneError:
            continue  # best effort; the history snapshot still holds the state before


def rollout_status(cluster: Cluster, environment: Environment, workloads: list[str]) -> list[RolloutStatus]:
    def status(ref: str) -> RolloutStatus:
        kind_name, name = ref.split("/", 1)
        obj = cluster.get(kinds.kind_named(kind_name), environment.namespace, name)
        return _rollout(ref, obj)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(status, workloads))


def _rollout(ref: str, obj: Obj) -> RolloutStatus:
    spec, st, meta = obj.get("spec") or {}, obj.get("status") or {}, obj["metadata"]
    observed = st.get("observedGeneration", 0) >= meta.get("generation", 0)
    kind = obj["kind"]
    if kind == "DaemonSet":
        desired = st.get("desiredNumberScheduled", 0)
        updated, ready = st.get("updatedNumberScheduled", 0), st.get("numberAvailable", 0)
    elif kind in ("Deployment", "StatefulSet"):
        desired = spec.get("replicas", 1)
        updated, ready = st.get("updatedReplicas", 0), st.get("availableReplicas", st.get("readyReplicas", 0))
        if kind == "StatefulSet":
            ready = st.get("readyReplicas", 0)
    else:
        return RolloutStatus(ref, 1, 1, 1, True, "scheduled")
    done = observed and updated >= desired and ready >= desired and st.get("replicas", desired) <= desired
    message = "complete" if done else f"{updated}/{desired} updated, {ready}/{desired} ready"
    stalled = next(
        (c for c in st.get("conditions") or [] if c.get("type") == "Progressing" and c.get("status") == "False"),
        None,
    )
    if stalled and not done:
        reason = stalled.get("reason") or "not progressing"
        return RolloutStatus(ref, ready, desired, updated, False, f"{reason}: {stalled.get('message', '')}", True)
    return RolloutStatus(ref, ready, desired, updated, done, message)


def wait_for_rollout(
    cluster: Cluster, environment: Environment, workloads: list[str], *, timeout: float = 180.0
) -> list[RolloutStatus]:
    deadline = time.monotonic() + timeout
    while True:
        statuses = rollout_status(cluster, environment, workloads)
        if all(s.done or s.failed for s in statuses) or time.monotonic() > deadline:
            return statuses
        time.sleep(0.5)
