"""Plain-text and JSON rendering of core's results for the command line."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from typing import Any

from hotclone.core import blast_radius, display, durations
from hotclone.core.models import BlastRadius, ClonePlan, Environment, EnvironmentType, HistoryEntry


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.repr  # internal fields (plan writes) are repr=False and never printed
        }
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return value


def dumps(value: Any) -> str:
    return json.dumps(to_jsonable(value), indent=2, sort_keys=False)


# Ages and TTLs print exactly as the dashboard prints them: both go through core.durations.
def age(since: datetime | None, now: datetime) -> str:
    return durations.age(since, now)


def ttl(environment: Environment, now: datetime) -> str:
    return durations.ttl_left(environment, now)


def type_ttl(ttl: timedelta | None) -> str:
    """An environment type's default TTL, as the dashboard shows it (and `--ttl` takes it)."""
    return durations.exact(ttl) if ttl else "-"


def type_scope(environment_type: EnvironmentType) -> str:
    """ "global", or the application it is limited to, saying when it hides a global type."""
    if environment_type.app is None:
        return "global"
    return environment_type.app + (" (overrides global)" if environment_type.overrides else "")


def type_gates(environment_type: EnvironmentType) -> str:
    """What a type checks and requires: "checks: smoke; promote needs: verification, 1 approval"."""
    parts = []
    if environment_type.checks:
        parts.append("checks: " + ", ".join(environment_type.checks))
    needs = []
    if environment_type.require_verification:
        needs.append("verification")
    if environment_type.approvals:
        needs.append(f"{environment_type.approvals} approval{'' if environment_type.approvals == 1 else 's'}")
    if needs:
        parts.append("promote needs: " + ", ".join(needs))
    return "; ".join(parts) or "-"


def types_jsonable(types: list[EnvironmentType]) -> list[dict[str, Any]]:
    """Each type's fields and its scope ("global" or the application's name)."""
    return [to_jsonable(t) | {"scope": t.app or "global"} for t in types]


def table(headers: list[str], rows: list[list[str]]) -> str:
    # Cells are cluster text: one line each, control characters escaped (core.display).
    rows = [[display.safe(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)


def radius_lines(blast: BlastRadius) -> list[str]:
    """The plan text's blast radius: one line per class ("none" included: an empty class is something
    to know too); objects other tools manage one a line, each saying what that tool will do."""
    lines = []
    for name, items in blast_radius.classes(blast):
        if name == "owned by other tools" and items:
            lines += [f"    {name}:", *(f"      {display.safe(item)}" for item in items)]
        else:
            lines.append(f"    {name}: {display.safe(', '.join(items)) or 'none'}")
    return lines


def revision_lines(entry: HistoryEntry) -> list[str]:
    """One revision in full: who, when, why, its state, then every line of its summary."""
    safe = display.safe
    stamp = entry.timestamp.strftime("%Y-%m-%d %H:%M:%SZ")
    lines = [f"revision {entry.revision}: {safe(entry.action)} by {safe(entry.user)} at {stamp} ({safe(entry.state)})"]
    lines += [f"  reason: {safe(entry.reason)}"] if entry.reason else []
    lines += [f"  {safe(line)}" for line in entry.summary]
    lines += [f"  still changed: {safe(ref)}" for ref in entry.changed]
    return lines


def patch_title(environment: Environment, entry: HistoryEntry, revision: int) -> str:
    """The comment heading `history --patch`: what the patch is, and where it came from."""
    stamp = entry.timestamp.strftime("%Y-%m-%d %H:%M:%SZ")
    why = f": {entry.reason}" if entry.reason else ""
    source = next((line for line in entry.summary if line.startswith("from ")), "")
    origin = f" {source}" if source else ""
    first = f"revision {revision} of {environment.ref}: {entry.action}{origin} by {entry.user} at {stamp}{why}"
    command = f"hotclone history {environment.app} {environment.name} {revision} --patch"
    return f"{display.safe(first)}\nthe fields it changed, as kustomize patches: {command}"


def history_markdown(env_ref: str, entries: list[HistoryEntry]) -> str:
    """An incident timeline for a postmortem."""
    safe = display.safe  # every field on one line: a newline in a reason must not start a fake entry
    lines = [f"# Timeline of {safe(env_ref)}", ""]
    for entry in entries:
        stamp = entry.timestamp.strftime("%Y-%m-%d %H:%M:%SZ")
        reason = f" — {safe(entry.reason)}" if entry.reason else ""
        state = "" if entry.state == "complete" else f" ({safe(entry.state)})"
        lines.append(
            f"- **{stamp}** revision {entry.revision}: `{safe(entry.action)}`{state} by {safe(entry.user)}{reason}"
        )
        lines += [f"  - {safe(line)}" for line in entry.summary[:20]]
    return "\n".join(lines) + "\n"


# -- clone: the plan (`clone --dry-run`) and the counts of the clone made ------------------------------
def _copies(plan: ClonePlan) -> str:
    by_kind = ", ".join(f"{kind} {count}" for kind, count in plan.copies_by_kind())
    return f"copy {len(plan.copies)} object(s)" + (f": {by_kind}" if by_kind else "")


def _generated(plan: ClonePlan) -> str:
    listed = f": {', '.join(plan.generated)}" if plan.generated else ""
    return f"generate {len(plan.generated)} from the templates of type {plan.env_type!r}{listed}"


def _preflight(plan: ClonePlan) -> list[str]:
    rewritten = len(plan.findings) - len(plan.still_pointing)
    lines = [f"preflight: {rewritten} value(s) naming the source's namespace rewritten to {plan.namespace}"]
    return lines + [f"preflight: {f.describe()}" for f in plan.still_pointing]


def clone_plan_lines(plan: ClonePlan) -> list[str]:
    """Everything the plan holds, one fact a line (cluster text escaped)."""
    safe = display.safe
    lines = [f"plan: clone {plan.app}/{plan.source} -> {plan.app}/{plan.new} (namespace {plan.namespace})"]
    if plan.cross_cluster:
        lines.append(f"  into context {safe(plan.cluster)} (the source is in context {safe(plan.source_cluster)})")
    lines += [f"  refused: {safe(k.object)} {safe(k.reason)}" for k in plan.missing_kinds]
    lines += [f"  {safe(_copies(plan))}", f"  {safe(_generated(plan))}"]
    lines += [f"  {safe(line)}" for line in _preflight(plan)]
    lines += [f"  adjust {safe(a.describe())}" for a in plan.adjustments]
    lines += [f"  skip {safe(s.describe())}" for s in plan.skipped]
    by_reason: dict[str, dict[str, None]] = {}  # ordered sets: Event of v1 and of events.k8s.io read alike
    for kind in plan.excluded_kinds:
        by_reason.setdefault(kind.reason, {})[kind.object] = None
    lines += [f"  kinds not copied: {safe(', '.join(k))}: {safe(reason)}" for reason, k in by_reason.items()]
    lines += [f"  warning: {safe(w)}" for w in plan.warnings]
    return lines


def clone_counts(plan: ClonePlan) -> list[str]:
    """The clone made, in the plan's counts (`--json` and `--dry-run` have every line)."""
    safe = display.safe
    made = _copies(plan).replace("copy ", "copied ", 1)
    lines = [f"  {safe(made)}", f"  {safe(_generated(plan).replace('generate ', 'generated ', 1))}"]
    lines += [f"  {safe(line)}" for line in _preflight(plan)]
    lines.append(f"  {len(plan.adjustments)} adjustment(s), {len(plan.skipped)} object(s) skipped with a reason")
    lines += [f"  warning: {safe(w)}" for w in plan.warnings]
    return lines


def clone_plan_json(plan: ClonePlan) -> str:
    """The plan as JSON: its fields, then `refused` and the per-kind counts."""
    body = to_jsonable(plan)
    body["refused"] = plan.refused
    body["copies_by_kind"] = dict(plan.copies_by_kind())
    return json.dumps(body, indent=2)
