"""The engine promote and rollback share: server dry run, preview, journaled apply.

A plan is a set of desired objects (and deletions) for one target environment. Each
desired object that already exists is written as a minimal JSON patch (core/patch.py:
only the fields that differ, so other tools' annotations and fields survive), and the
server's dry run of exactly those patches gives what the target would become; `preview`
turns that into the plan the user sees (live target vs result, the workloads that will
restart, its blast radius, and a fingerprint of every live object it touches). A
production plan is applied only with a reason. `apply` re-reads the
target and compares each touched object with its fingerprint (its content, not its
resourceVersion, which controllers bump on every status update); if anything changed
in between, nothing is applied. Then the journal (core/journal.py) records the change
before it writes, and restores and reads back everything on any interruption.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from hotclone.core import api_discovery, blast_radius, history, inventory, journal, kinds, normalize
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.diff import compare, summary_lines
from hotclone.core.errors import Conflict, HotcloneError, InvalidInput, NotFound, Refused
from hotclone.core.models import Conflict3, Environment, FieldChange, ProgressStep, PromotePlan, Skipped
from hotclone.core.patch import minimal_patch

_RESTARTING = ("Deployment", "StatefulSet", "DaemonSet")
_JOB = "Job"
NOT_ALLOWED = "not allowed to list"  # how inventory.read's reason for a Forbidden kind starts


def fingerprint(obj: Obj, namespace: str) -> str:
    """What the user saw of an object at diff time: its normalised content (secrets digested)."""
    text = json.dumps(normalize.for_compare(obj, namespace), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Material:
    """An environment's material objects by "Kind/name", and the kinds that could not be read there."""

    objects: dict[str, Obj]
    unreadable: tuple[Skipped, ...] = ()


def read(cluster: Cluster, environment: Environment) -> Material:
    """The environment's material objects and its unreadable kinds (inventory.read): a plan names those."""
    found = inventory.read(cluster, environment.namespace)
    return Material({inventory.ref(o): o for o in found.material}, tuple(found.unreadable))


def material(cluster: Cluster, environment: Environment) -> dict[str, Obj]:
    """The environment's material objects by "Kind/name"."""
    return read(cluster, environment).objects


def unreadable_lines(read_in: list[tuple[Environment, Material]]) -> tuple[str, ...]:
    """Each kind that could not be read, per environment: the plan leaves its objects as they are."""
    lines = []
    for environment, found in read_in:
        for kind in found.unreadable:
            why = kind.reason.split(": ", 1)[0]  # "not allowed to list", without the server's long sentence
            lines.append(f"{kind.object}: could not be read in {environment.namespace} ({why}): left as it is")
    return tuple(lines)


def without_kinds(objects: dict[str, Obj], unreadable: set[str]) -> dict[str, Obj]:
    """`objects` without those of the kinds named (as refs name them): what cannot be read on one side
    is neither written nor deleted on the other."""
    return {ref: o for ref, o in objects.items() if inventory.kind_of_ref(ref) not in unreadable}


def jobs_left_out(action: str, target: Environment, refs: list[str]) -> list[tuple[str, str]]:
    """(ref, why) for each Job among `refs`: a promote or rollback never creates, changes or deletes a Job.

    A Job runs once when it is created, and the server refuses changes to its pod template:
    writing one would either fail or run it again behind the engineer's back.
    """
    verb = "promoted" if action == "promote" else "rolled back"
    advice = f"run it in {target.name} yourself" if action == "promote" else "run or delete it yourself"
    why = f"Jobs are not {verb}: a Job runs once and its pod template cannot change; {advice}"
    return [(ref, f"{ref}: {why}") for ref in refs if inventory.kind_of_ref(ref) == _JOB]


def _restarts_pods(change: FieldChange) -> bool:
    """Pod-template changes roll pods; replicas, strategy and metadata do not."""
    path = change.path
    if path.startswith("metadata."):
        return False
    return path.startswith("spec.template") or not path.startswith("spec.")


def dry_run(
    cluster: Cluster,
    action: str,
    source: str,
    target: Environment,
    live: dict[str, Obj],
    desired: dict[str, Obj],
    deletions: list[str],
    conflicts: tuple[Conflict3, ...],
) -> PromotePlan:
    """Ask the server what every write and deletion would give, then build the preview.

    Jobs are left out before the server is asked (preview lists them as skipped), and every
    kind is resolved first: a kind the server no longer serves is one line, nothing asked.
    """
    jobs = {ref for ref, _ in jobs_left_out(action, target, [*desired, *deletions])}
    writes = {ref: body for ref, body in desired.items() if ref not in jobs}
    removals = [ref for ref in deletions if ref not in jobs]
    kinds_of = resolve_kinds(cluster, action, target, writes, removals)

    def attempt(item: tuple[str, Obj]) -> tuple[str, Obj]:
        ref, body = item
        kind = kinds_of[ref]
        try:
            if ref in live:
                operations = minimal_patch(live[ref], body, guarded=False)
                if not operations:
                    return ref, live[ref]
                return ref, cluster.json_patch(
                    kind, target.namespace, body["metadata"]["name"], operations, dry_run=True
                )
            return ref, cluster.create(kind, target.namespace, body, dry_run=True)
        except HotcloneError as error:
            raise type(error)(f"dry run of {ref} in {target.ref} failed: {error}") from None

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = dict(pool.map(attempt, writes.items())) if writes else {}
    for ref in removals:
        cluster.delete(kinds_of[ref], target.namespace, ref.split("/", 1)[1], dry_run=True)
    return preview(action, source, target, live, results, desired, deletions, conflicts)


def resolve_kinds(
    cluster: Cluster, action: str, target: Environment, desired: dict[str, Obj], deletions: list[str] | tuple[str, ...]
) -> dict[str, kinds.Kind]:
    """The kind of every object to write or delete, before the first request that writes (or dry-runs):
    a kind whose CRD is gone refuses the whole plan in one line."""
    found: dict[str, kinds.Kind] = {}
    try:
        for ref, body in desired.items():
            found[ref] = api_discovery.kind_of(cluster, body)
        for ref in deletions:
            found[ref] = api_discovery.kind_named(cluster, inventory.kind_of_ref(ref))
    except NotFound as error:
        failed = next(r for r in [*desired, *deletions] if r not in found)
        raise NotFound(f"{action} of {target.ref} refused, nothing written: {failed}: {error}") from None
    return found


def preview(
    action: str,
    source: str,
    target: Environment,
    live: dict[str, Obj],
    results: dict[str, Obj],
    desired: dict[str, Obj],
    deletions: list[str],
    conflicts: tuple[Conflict3, ...],
) -> PromotePlan:
    """The plan the user sees, from the server's dry-run `results` (ref -> object) of `desired`,
    with its blast radius (core/blast_radius.py) read from the `live` target objects.

    Pure: without a server, pass `desired` itself as `results`. Jobs among the writes and
    deletions are left out and listed as skipped (jobs_left_out).
    """
    jobs = jobs_left_out(action, target, [*desired, *deletions])
    left_out = {ref for ref, _ in jobs}
    results = {ref: obj for ref, obj in results.items() if ref not in left_out}
    deletions = [ref for ref in deletions if ref not in left_out]
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
    preconditions = {ref: fingerprint(live[ref], target.namespace) for ref in [*results, *deletions] if ref in live}
    plan = PromotePlan(
        app=target.app,
        source=source,
        target=target,
        diff=diff,
        conflicts=conflicts,
        deletions=tuple(deletions),
        restarts=restarts,
        action=action,
        skipped=tuple(why for _, why in jobs),
        writes=[desired[ref] for ref in results],
        preconditions=preconditions,
    )
    plan.blast_radius = blast_radius.radius(plan, live)
    return plan


def require_reason(plan: PromotePlan, reason: str) -> None:
    """A production promote or rollback says why: the journal's reason is what a postmortem reads first."""
    if plan.target.is_production and not reason.strip():
        raise Refused(
            f"a reason is required for a production {plan.action}: nothing applied to {plan.target.ref} (--reason)"
        )


def check_plan(plan: PromotePlan, confirm: str | None) -> None:
    """Pure: a plan with conflicts, or a production target without its typed name, is refused."""
    if plan.conflicts:
        listed = "; ".join(c.describe() for c in plan.conflicts)
        raise Conflict(f"{len(plan.conflicts)} conflict(s), nothing applied: {listed}")
    if plan.target.is_production and confirm != plan.target.name:
        raise Refused(f"{plan.target.ref} is production: confirm by typing its name ({plan.target.name!r})")


def check_unchanged(plan: PromotePlan, current: dict[str, Obj]) -> None:
    """Pure: the target's material objects (`current`, read just now) are still what the diff showed."""
    target = plan.target
    for ref, seen in plan.preconditions.items():
        now = current.get(ref)
        if now is None or fingerprint(now, target.namespace) != seen:
            raise Conflict(f"{ref} in {target.ref} changed since the diff; nothing applied (run {plan.action} again)")
    appeared = [w for w in plan.writes if inventory.ref(w) not in plan.preconditions and inventory.ref(w) in current]
    if appeared:
        raise Conflict(f"{inventory.ref(appeared[0])} appeared in {target.ref} since the diff; nothing applied")


def apply(
    cluster: Cluster,
    plan: PromotePlan,
    *,
    confirm: str | None,
    reason: str,
    user: str,
    progress: Callable[[ProgressStep], None] | None = None,
    gate_lines: list[str] | None = None,
    before_write: Callable[[], None] | None = None,
) -> list[str]:
    """Apply a plan, journaled; returns its summary lines. All or nothing (see core/journal.py).

    `gate_lines` go into the revision's summary (core/gates.py: an override, the approvals);
    `before_write` runs after the pending revision is recorded and before the first write (it uses
    up a promotion request: if it raises, nothing is written and the revision is marked undone)."""
    report = progress or (lambda step: None)
    target = plan.target
    check_plan(plan, confirm)
    if plan.empty:
        return []
    require_reason(plan, reason)
    history.check_reason(reason)
    current = material(cluster, target)
    check_unchanged(plan, current)
    writes_by_ref = {inventory.ref(w): w for w in plan.writes}
    kinds_of = resolve_kinds(cluster, plan.action, target, writes_by_ref, plan.deletions)  # before any write
    before = [normalize.for_copy(o) for o in current.values()]
    touched = [*writes_by_ref, *plan.deletions]
    lines = summary_lines(plan.diff) + [f"{ref} deleted" for ref in plan.deletions]
    total = len(touched)

    def write(writes: journal.Writes) -> None:
        if before_write is not None:
            before_write()
        # One at a time. (A signal raised into concurrent.futures' wait could leave its locks held and
        # hang the restore: seen in CI, reproduced by tests/test_waves.py; core/waves.py, which clone
        # uses, no longer blocks there. Promote could use it again; not done yet.)
        for done, body in enumerate(plan.writes):
            ref = inventory.ref(body)
            kind = kinds_of[ref]
            report(ProgressStep("apply", done, total, ref))
            with writes.writing(ref):
                if ref in plan.preconditions:
                    _patch_unchanged(cluster, kind, target.namespace, body, current[ref], plan.preconditions[ref])
                else:
                    cluster.create(kind, target.namespace, body)
        for done, ref in enumerate(plan.deletions, start=len(plan.writes)):
            name = ref.split("/", 1)[1]
            report(ProgressStep("apply", done, total, f"delete {ref}"))
            version = current[ref]["metadata"]["resourceVersion"]
            with writes.writing(ref):
                cluster.delete(kinds_of[ref], target.namespace, name, resource_version=version)
        report(ProgressStep("apply", total, total))

    report(ProgressStep("history", 0, 1, "recording the revision before writing"))
    journal.run(
        cluster,
        target,
        action=plan.action,
        user=user,
        reason=reason,
        summary=history_summary(plan, lines, gate_lines or []),
        before=before,
        touched=touched,
        write=write,
    )
    report(ProgressStep("history", 1, 1, "revision complete"))
    return lines


def history_summary(plan: PromotePlan, lines: list[str], gate_lines: list[str] | None = None) -> list[str]:
    """The revision's summary: where from, its gates (a skipped verification, who approved), what
    another tool manages (carried back into its chart or Git, or that tool reverts it), then the changes."""
    across = plan.source_cluster and plan.target.cluster and plan.source_cluster != plan.target.cluster
    origin = f"from {plan.source} in context {plan.source_cluster}" if across else f"from {plan.source}"
    return [origin, *(gate_lines or []), *blast_radius.carry_back(plan.blast_radius), *lines]


def _patch_unchanged(
    cluster: Cluster, kind: kinds.Kind, namespace: str, body: Obj, live: Obj, seen: str, attempts: int = 5
) -> None:
    """A minimal patch guarded by the live resourceVersion; when only the status moved on
    (controllers do that all the time), re-read and try again; when the content changed, refuse."""
    name = body["metadata"]["name"]
    for _ in range(attempts):
        operations = minimal_patch(live, body)
        if not operations:
            return
        try:
            cluster.json_patch(kind, namespace, name, operations)
            return
        except (Conflict, InvalidInput):  # a failed resourceVersion test is a 422
            live = cluster.get(kind, namespace, name)
            if fingerprint(live, namespace) != seen:
                raise Conflict(f"{inventory.ref(body)} changed since the diff") from None
    raise Conflict(f"{inventory.ref(body)} keeps changing; gave up after {attempts} attempts")
