"""Roll an environment back: restore its material objects as a history revision saw them.

A revision's snapshot is the state just before that change, so restoring it undoes
the change (and everything after it). What the change added is deleted. Jobs are
neither restored nor deleted (a Job runs once: plan_apply.jobs_left_out lists them as
skipped), nor are kinds the user may not read now. A kind the snapshot holds that the
server no longer serves (its CRD deleted) refuses the rollback before anything is
written. The dry run,
preview and guarded apply are plan_apply's, shared with promote.
"""

from __future__ import annotations

import copy
import dataclasses

from hotclone.core import discovery, history, inventory, journal, normalize, plan_apply
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.errors import NotFound, Refused
from hotclone.core.models import Environment, HistoryEntry, PromotePlan
from hotclone.core.schema import LEGACY_SNAPSHOT_KINDS, REVISION_COMPLETE


def plan(cluster: Cluster, environment: Environment, revision: int | None = None) -> PromotePlan:
    """Restore the state from just before `revision` (default: the latest revision, i.e. undo it)."""
    environment = discovery.current(cluster, environment)
    entries = history.entries(cluster, environment)
    unfinished = [e for e in entries if not e.finished]
    if unfinished:  # its before-state comes first: recover, then roll back if still needed
        raise Refused(journal.unfinished_message(environment, unfinished[-1]))
    if revision is None:
        done = [e.revision for e in entries if e.state == REVISION_COMPLETE]
        if not done:
            raise NotFound(f"{environment.ref} has no history to roll back")
        revision = max(done)
    entry, snapshot = history.snapshot(cluster, environment, revision)
    _refuse_creation(environment, entry)  # before reading the environment, as the refusal needs nothing else
    found = plan_apply.read(cluster, environment)
    # A kind the user may not read now is left as it is: its objects in the snapshot are not restored.
    # (A kind no longer served is not: restoring its objects is refused, before anything is written.)
    unreadable = {k.object for k in found.unreadable if k.reason.startswith(plan_apply.NOT_ALLOWED)}
    current = found.objects
    snapshot = [o for o in snapshot if inventory.kind_of_ref(inventory.ref(o)) not in unreadable]
    desired, deletions = restore_plan(environment, entry, snapshot, current)
    source = f"revision {revision}"
    plan = plan_apply.dry_run(cluster, "rollback", source, environment, current, desired, deletions, ())
    skipped = plan_apply.unreadable_lines([(environment, found)])
    return dataclasses.replace(plan, skipped=(*plan.skipped, *skipped))


def restore_plan(
    environment: Environment, entry: HistoryEntry, snapshot: list[Obj], current: dict[str, Obj]
) -> tuple[dict[str, Obj], list[str]]:
    """What to write (ref -> object) and delete so that `current` becomes `snapshot` again.

    Pure. Environment-scoped objects of the snapshot are left alone; a clone's own
    revision is refused: before it, the environment did not exist.
    """
    _refuse_creation(environment, entry)
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
    # Restoring a state means removing what the change added, among the kinds the snapshot recorded:
    # an old revision never saw custom resources, quotas or Endpoints, so their absence means nothing.
    deletions = sorted(
        ref
        for ref in set(current) - set(wanted)
        if not entry.legacy_snapshot or inventory.kind_of_ref(ref) in LEGACY_SNAPSHOT_KINDS
    )
    return desired, deletions


def _refuse_creation(environment: Environment, entry: HistoryEntry) -> None:
    if entry.action == "clone":
        raise Refused(
            f"revision {entry.revision} of {environment.ref} created it: nothing to roll back to (destroy it instead)"
        )
