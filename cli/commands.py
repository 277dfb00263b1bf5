"""The headless commands, one function each, and the table that says which of them change something.

Every command has --json; changing commands show what they will do and ask first
(cli.prompts). The read-only rule is applied once, in cli.main, from `changes` here.
"""

from __future__ import annotations

import argparse
import shutil
import sys

from hotclone.cli import output
from hotclone.cli.progress import live_progress
from hotclone.cli.prompts import confirm, required_reason
from hotclone.core import approval_policy, display, durations, gates, plan_apply, promoted_patch
from hotclone.core.clone import refusal as clone_refusal
from hotclone.core.configmap_values import parse_assignment
from hotclone.core.contract import SessionContract
from hotclone.core.destroy import refuse_protected
from hotclone.core.diff import summary_lines
from hotclone.core.difflines import SIDE_BY_SIDE_MIN_WIDTH, side_by_side, unified
from hotclone.core.errors import HotcloneError, InvalidInput, NotFound, Refused
from hotclone.core.images import parse_spec
from hotclone.core.models import CheckResult, Environment, PromotePlan, Verification
from hotclone.core.validation import validate_environment_name


def emit(text: str) -> None:
    # The one writer of stdout: no control character from the cluster reaches the terminal,
    # whatever a line is made of. (JSON is ASCII already: json.dumps escapes them itself.)
    text = display.safe(text, multiline=True)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _width(args: argparse.Namespace) -> int:
    return int(args.width) or shutil.get_terminal_size((160, 40)).columns


def cmd_whoami(session: SessionContract, args: argparse.Namespace) -> int:
    info = session.connection_info()
    context, server, user = (display.safe(text) for text in (info.context, info.server, info.user))
    emit(output.dumps(info) if args.json else f"context {context}\nserver  {server}\nuser    {user}")
    if info.clusters and not args.json:
        others = [c for c in info.clusters if c.context != info.context]
        emit(output.table(["also", "server"], [[c.context, c.server] for c in others]))
    return 0


def _several(session: SessionContract) -> bool:
    """More than one cluster in this session: listings name each environment's context."""
    return len(session.clusters()) > 1


def _warn_unreachable(session: SessionContract) -> None:
    """A cluster that could not be read is said on stderr; the others are listed all the same."""
    for status in session.clusters():
        if status.state in ("unreachable", "forbidden"):
            print(f"hotclone: warning: {display.safe(status.error)} (its environments are not listed)", file=sys.stderr)


def _cloned_from(e: Environment) -> str:
    if not e.cloned_from:
        return "-"
    return f"{e.cloned_from}@{e.cloned_from_context}" if e.cloned_from_context else e.cloned_from


def cmd_apps(session: SessionContract, args: argparse.Namespace) -> int:
    apps = session.applications()
    several = _several(session)
    if args.json:
        emit(output.dumps(apps))
    else:
        rows = [
            [a.name, str(len(a.environments)), ", ".join(e.address if several else e.name for e in a.environments)]
            for a in apps
        ]
        emit(output.table(["app", "envs", "environments"], rows))
    _warn_unreachable(session)
    return 0


def cmd_envs(session: SessionContract, args: argparse.Namespace) -> int:
    envs = session.environments(args.app)
    _warn_unreachable(session)
    if not envs:
        raise NotFound(f"unknown application {args.app!r}")
    if args.json:
        emit(output.dumps(envs))
        return 0
    now = session.now()
    several = _several(session)
    rows = [
        [
            e.name,
            *([e.cluster] if several else []),
            e.type + (" (incomplete)" if e.incomplete else ""),
            e.namespace,
            output.age(e.created, now),
            output.ttl(e, now),
            _cloned_from(e),
        ]
        for e in envs
    ]
    header = ["env", *(["context"] if several else []), "type", "namespace", "age", "ttl", "cloned-from"]
    emit(output.table(header, rows))
    return 0


def cmd_types(session: SessionContract, args: argparse.Namespace) -> int:
    types = session.environment_types(args.app)
    if args.json:
        emit(output.dumps(output.types_jsonable(types)))
    else:
        placed = any(t.cluster for t in types)  # the column appears once a type names a context
        rows = [
            [
                t.name,
                output.type_scope(t),
                *([t.cluster or "(same)"] if placed else []),
                output.type_ttl(t.ttl),
                ", ".join(t.template_names) or "-",
                output.type_gates(t),
            ]
            for t in types
        ]
        header = ["type", "scope", *(["context"] if placed else []), "ttl", "templates", "gates"]
        emit(output.table(header, rows))
    return 0


def cmd_clone(session: SessionContract, args: argparse.Namespace) -> int:
    source = session.environment(args.app, args.source)  # unknown source: fail before asking
    validate_environment_name(args.app, args.new)
    if args.ttl:
        durations.parse(args.ttl)  # a bad --ttl fails the dry run too
    if args.dry_run:
        plan = session.plan_clone(
            source, args.new, env_type=args.env_type, allow_prod_references=args.allow_prod_references
        )
        emit(output.clone_plan_json(plan) if args.json else "\n".join(output.clone_plan_lines(plan)))
        if plan.refused:
            raise Refused(clone_refusal(plan))
        if not args.json:
            emit("dry run: nothing created")
        return 0
    lifetime = args.ttl or "the type's default"
    where = _placed(session, args.app, args.env_type)
    confirm(
        args,
        f"Clone {args.app}/{args.source} into {args.app}-{args.new}{where} (type {args.env_type}, ttl {lifetime})?",
    )
    with live_progress(args, "clone") as progress:
        result = session.clone(
            source,
            args.new,
            env_type=args.env_type,
            ttl=args.ttl,
            allow_prod_references=args.allow_prod_references,
            progress=progress,
        )
    if args.json:
        emit(output.dumps(result))
        return 0
    env = result.environment
    lines = [
        f"cloned {args.app}/{args.source} -> {env.ref} (namespace {env.namespace}, type {env.type})"
        f" in {result.seconds:.1f}s",
    ]
    if result.plan is not None:
        lines += output.clone_counts(result.plan)
    emit("\n".join(lines))
    return 0


def _placed(session: SessionContract, app: str, type_name: str) -> str:
    """ " in context B" when the type puts its environments in another cluster (asked so the
    question says where; the clone itself reads the type again)."""
    try:
        found = next((t for t in session.environment_types(app) if t.name == type_name), None)
    except HotcloneError:
        return ""  # the clone says what is wrong with the type, or that it may not be read
    return f" in context {display.safe(found.cluster)}" if found is not None and found.cluster else ""


def cmd_set_image(session: SessionContract, args: argparse.Namespace) -> int:
    specs = [parse_spec(text) for text in args.images]
    environment = session.environment(args.app, args.env)
    changes, _ = session.plan_set_image(environment, specs)
    if not changes:
        emit(output.dumps([]) if args.json else "nothing to change: the images are already set")
        return 0
    if not args.json:
        emit("\n".join(display.safe(f"{c.workload} {c.container}: {c.old} -> {c.new}") for c in changes))
    confirm(args, f"Apply {len(changes)} image change(s) to {args.app}/{args.env}?")
    applied = session.set_image(environment, specs, seen=changes, reason=args.reason)
    emit(output.dumps(applied) if args.json else f"updated {len(applied)} container(s) in {args.app}/{args.env}")
    return 0


def cmd_set_config(session: SessionContract, args: argparse.Namespace) -> int:
    values = dict(parse_assignment(text) for text in args.settings)
    environment = session.environment(args.app, args.env)
    changes, _ = session.plan_set_config(environment, args.configmap, values)
    if not changes:
        emit(output.dumps([]) if args.json else "nothing to change: the values are already set")
        return 0
    if not args.json:
        emit("\n".join(c.describe() for c in changes))
    confirm(args, f"Apply {len(changes)} change(s) to ConfigMap/{args.configmap} in {args.app}/{args.env}?")
    applied = session.set_config(environment, args.configmap, values, seen=changes, reason=args.reason)
    emit(output.dumps(applied) if args.json else f"updated {len(applied)} key(s) of ConfigMap/{args.configmap}")
    return 0


def cmd_diff(session: SessionContract, args: argparse.Namespace) -> int:
    left, right = session.environment(args.app, args.left), session.environment(args.app, args.right)
    diff = session.diff(left, right, include_env_scoped=args.include_env_scoped)
    if args.json:
        emit(output.dumps({"same": diff.same, "counts": diff.counts(), "diff": diff}))
    elif diff.same:
        emit(f"{diff.left} and {diff.right} are the same")
    elif args.side_by_side:
        width = _width(args)  # a narrow terminal gets the unified view, as the dashboard's
        emit(side_by_side(diff, width) if width >= SIDE_BY_SIDE_MIN_WIDTH else unified(diff, width))
    else:
        emit("\n".join(summary_lines(diff)))
    return 0 if diff.same else 1


def _in(context: str, plan: PromotePlan) -> str:
    """ "@context" for each side of a promote across clusters; nothing within one."""
    across = plan.source_cluster and plan.target.cluster and plan.source_cluster != plan.target.cluster
    return f"@{context}" if across else ""


def _describe_plan(plan: PromotePlan) -> str:
    counts = plan.diff.counts()
    lines = [
        (
            f"rollback {plan.target.ref} to the state before {plan.source}"
            if plan.action == "rollback"
            else f"promote {plan.app}/{plan.source}{_in(plan.source_cluster, plan)} -> {plan.target.ref}"
            f"{_in(plan.target.cluster, plan)}"
        )
        + (" (PRODUCTION)" if plan.target.is_production else ""),
        f"  objects: {counts['changed']} changed, {counts['added']} added, {len(plan.deletions)} deleted;"
        f" workloads restarting: {', '.join(plan.restarts) or 'none'}",
        "  blast radius:",
    ]
    lines += output.radius_lines(plan.blast_radius)
    lines += [f"  {line}" for line in summary_lines(plan.diff)]
    lines += [f"  delete {display.safe(ref)}" for ref in plan.deletions]
    lines += [f"  CONFLICT {display.safe(c.describe())}" for c in plan.conflicts]
    lines += [f"  WARNING: RBAC {display.safe(ref)} changes in {plan.target.ref} (--include-rbac)" for ref in plan.rbac]
    lines += [f"  skipped: {display.safe(item)}" for item in plan.skipped]
    lines += [f"  gate: {display.safe(line)}" for line in plan.gates.lines()]
    return "\n".join(lines)


def _run_plan(session: SessionContract, plan: PromotePlan, args: argparse.Namespace, dry_run: bool = False) -> int:
    if args.json and (dry_run or plan.empty or plan.conflicts):
        emit(output.dumps(plan))
    elif not args.json:
        emit(_describe_plan(plan))
    if plan.conflicts:
        raise HotcloneError(
            f"{len(plan.conflicts)} conflict(s) between the clone and {plan.target.ref}: nothing applied"
        )
    if dry_run or plan.empty:
        if plan.empty and not args.json:
            emit(f"nothing to {plan.action}: {plan.target.ref} already matches")
        return 0
    request = getattr(args, "request", None)
    skip_verification = getattr(args, "skip_verification", "") or ""
    refusal = gates.refusal_before_asking(plan, request=request, skip_verification=skip_verification)
    if refusal:
        raise Refused(refusal)  # before asking: the apply would refuse it anyway
    production = plan.target.name if plan.target.is_production else None
    reason = required_reason(args, lambda given: plan_apply.require_reason(plan, given)) if production else args.reason
    confirm(args, f"Apply this {plan.action} to {plan.target.ref}?", production)
    with live_progress(args, plan.action) as progress:
        lines = session.apply(
            plan,
            confirm=plan.target.name,
            reason=reason,
            progress=progress,
            request=request,
            skip_verification=skip_verification,
        )
    statuses = []
    if args.wait and plan.restarts:
        if not args.json:
            emit(f"applied; waiting for the rollout of {', '.join(plan.restarts)} (up to {args.timeout:.0f}s)")
        statuses = session.wait_for_rollout(plan.target, list(plan.restarts), timeout=args.timeout)
    if args.json:
        emit(output.dumps({"applied": lines, "target": plan.target, "rollout": statuses}))
    else:
        emit(f"{plan.action} applied to {plan.target.ref}: {len(lines)} change(s)")
        emit("\n".join(display.safe(f"  rollout {s.workload}: {s.message}") for s in statuses))
    stuck = [s for s in statuses if not s.done]
    if stuck:
        raise HotcloneError(
            f"applied, but the rollout of {', '.join(s.workload for s in stuck)} did not complete in "
            f"{args.timeout:.0f}s; see hotclone history {plan.app} {plan.target.name} to roll back"
        )
    return 0


def cmd_promote(session: SessionContract, args: argparse.Namespace) -> int:
    source = session.environment(args.app, args.source)
    target = session.environment(args.app, args.target) if args.target else None
    plan = session.plan_promote(source, target, prune=args.prune, include_rbac=args.include_rbac)
    if plan.gates.approvals and not args.request and not args.dry_run:
        return _request_promotion(session, plan, args)
    return _run_plan(session, plan, args, dry_run=args.dry_run)


def _request_promotion(session: SessionContract, plan: PromotePlan, args: argparse.Namespace) -> int:
    """A target that requires approvals: record a request for this plan; nothing in the target changes."""
    if not args.json:
        emit(_describe_plan(plan))
    if plan.conflicts:
        raise HotcloneError(
            f"{len(plan.conflicts)} conflict(s) between the clone and {plan.target.ref}: nothing requested"
        )
    if plan.empty:
        emit(output.dumps(plan) if args.json else f"nothing to promote: {plan.target.ref} already matches")
        return 0
    refusal = gates.verification_refusal(plan, args.skip_verification)
    if refusal:
        raise Refused(refusal)
    reason = required_reason(args, lambda given: plan_apply.require_reason(plan, given))
    approvals = f"{plan.gates.approvals} approval{'' if plan.gates.approvals == 1 else 's'}"
    confirm(args, f"{plan.target.ref} requires {approvals}: request them for this plan (nothing changes yet)?")
    request = session.request_promotion(plan, reason=reason, skip_verification=args.skip_verification)
    if args.json:
        emit(output.dumps(request))
        return 0
    target = plan.target
    emit(
        "\n".join(
            [
                f"requested {request.id}: promote {plan.app}/{plan.source} -> {target.ref}, expires "
                f"{request.expires_at.strftime('%Y-%m-%d %H:%M:%SZ')}; nothing in {target.ref} changed",
                f"  someone other than {display.safe(request.requester)} approves it:"
                f"  hotclone approve {plan.app} {target.name} {request.id}",
                f"  then apply it:  hotclone promote {plan.app} {plan.source} {target.name} --request {request.id}",
            ]
        )
    )
    return 0


def cmd_rollback(session: SessionContract, args: argparse.Namespace) -> int:
    plan = session.plan_rollback(session.environment(args.app, args.env), args.revision)
    return _run_plan(session, plan, args)


def cmd_history(session: SessionContract, args: argparse.Namespace) -> int:
    if args.patch and args.revision is None:
        raise InvalidInput("--patch needs a revision: hotclone history APP ENV REV --patch")
    environment = session.environment(args.app, args.env)
    if args.patch:
        patch = session.history_patch(environment, args.revision)
        absent = promoted_patch.missing(patch, environment.ref)
        if absent:
            raise NotFound(absent)
        title = output.patch_title(environment, patch.entry, args.revision)
        emit(output.dumps(patch.documents) if args.json else promoted_patch.to_yaml(patch, title))
        return 0
    entries = session.history(environment)
    if args.revision is not None:
        entry = next((e for e in entries if e.revision == args.revision), None)
        if entry is None:
            known = ", ".join(str(e.revision) for e in entries) or "none"
            raise NotFound(f"unknown revision {args.revision} of {environment.ref} (known: {known})")
        emit(output.dumps(entry) if args.json else "\n".join(output.revision_lines(entry)))
        return 0
    if args.json:
        emit(output.dumps(entries))
    elif args.markdown:
        emit(output.history_markdown(f"{args.app}/{args.env}", entries))
    else:
        rows = [
            [
                str(e.revision),
                e.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
                e.user,
                e.action,
                e.state,
                e.reason or "-",
                "; ".join(e.summary)[:80],
            ]
            for e in entries
        ]
        emit(output.table(["rev", "when (utc)", "who", "action", "state", "reason", "what"], rows))
        unfinished = [e for e in entries if not e.finished]
        if unfinished:
            emit(f"revision {unfinished[-1].revision} is unfinished: hotclone recover {args.app} {args.env}")
    return 0


def cmd_recover(session: SessionContract, args: argparse.Namespace) -> int:
    environment = session.environment(args.app, args.env)
    unfinished = [e for e in session.history(environment) if not e.finished]
    if not unfinished:
        emit(output.dumps([]) if args.json else f"nothing to recover: every revision of {environment.ref} is finished")
        return 0
    if not args.json:
        for e in unfinished:
            still = f", still changed: {', '.join(e.changed)}" if e.changed else ""
            emit(display.safe(f"revision {e.revision} {e.action} by {e.user}: {e.state}{still}"))
    production = environment.name if environment.is_production else None
    confirm(args, f"Restore {environment.ref} to the state from before these revision(s)?", production)
    recovered = session.recover(environment)
    if args.json:
        emit(output.dumps(recovered))
    else:
        numbers = ", ".join(str(e.revision) for e in recovered)
        emit(f"recovered {environment.ref}: revision(s) {numbers} restored and read back")
    return 0


def cmd_destroy(session: SessionContract, args: argparse.Namespace) -> int:
    environment = session.environment(args.app, args.env)
    refuse_protected(environment)  # before asking, not after
    confirm(args, f"Delete {environment.ref}: namespace {environment.namespace} and everything in it?")
    session.destroy(environment)
    emit(output.dumps(environment) if args.json else f"destroyed {environment.ref} (namespace {environment.namespace})")
    return 0


def cmd_gc(session: SessionContract, args: argparse.Namespace) -> int:
    candidates = session.expired()
    if args.dry_run or not candidates:
        emit(output.dumps(candidates) if args.json else "\n".join(e.ref for e in candidates) or "nothing expired")
        return 0
    if not args.json:
        emit("\n".join(f"expired: {e.ref} ({e.namespace})" for e in candidates))
    confirm(args, f"Delete {len(candidates)} expired environment(s)?")
    removed = session.gc()
    emit(output.dumps(removed) if args.json else f"removed {len(removed)} environment(s)")
    return 0


def cmd_verify(session: SessionContract, args: argparse.Namespace) -> int:
    """Run the type's checks; exit 0 when all passed, 1 when any failed or timed out (2: an error)."""
    environment = session.environment(args.app, args.env)
    with live_progress(args, "verify") as progress:
        verification = session.verify(environment, compare=args.compare, progress=progress)
    if args.json:
        emit(output.dumps({"passed": verification.passed} | output.to_jsonable(verification)))
        return 0 if verification.passed else 1
    defined = session.verification(verification.environment).checks
    emit("\n".join(_verification_lines(verification, defined)))
    return 0 if verification.passed else 1


def _verification_lines(verification: Verification, defined: tuple[str, ...]) -> list[str]:
    """One line per check (its log tail indented below a failure), the comparison, then the verdict."""

    def described(results: tuple[CheckResult, ...], skipped_in: str, indent: str = "") -> list[str]:
        lines: list[str] = []
        for result in results:
            lines.append(indent + display.safe(result.describe()))
            lines += [f"{indent}    {display.safe(line)}" for line in result.log_tail]
        ran = {r.name for r in results}
        lines += [
            f"{indent}{name}: skipped ({skipped_in} runs only read-only checks)" for name in defined if name not in ran
        ]
        return lines

    environment = verification.environment
    lines = described(verification.results, environment.name)
    if verification.compared_with:
        lines.append(f"compared with {display.safe(verification.compared_with)}:")
        lines += described(verification.compared, verification.compared_with, "  ")
    passed = sum(1 for r in verification.results if r.passed)
    verdict = "passed" if verification.passed else "failed"
    lines.append(
        f"verification {verdict}: {passed} of {len(verification.results)} checks passed"
        f" (recorded for the current state of {display.safe(environment.ref)})"
    )
    return lines


def cmd_requests(session: SessionContract, args: argparse.Namespace) -> int:
    found = session.promotion_requests(args.app, args.env)
    now = session.now()
    if args.json:
        emit(output.dumps([output.to_jsonable(r) | {"state": r.state(now), "approvers": r.approvers} for r in found]))
        return 0
    rows = [
        [
            r.id,
            r.target,
            r.source,
            r.requester,
            r.state(now),
            f"{len(r.approvers)}/{r.required}",
            f"{output.age(r.created, now)} / {durations.ttl_left(r.expires_at, now)}",
            r.reason or "-",
        ]
        for r in found
    ]
    emit(output.table(["id", "target", "from", "requester", "state", "approvals", "age/expires", "reason"], rows))
    return 0


def _decide(session: SessionContract, args: argparse.Namespace, *, approve: bool) -> int:
    environment = session.environment(args.app, args.env)
    request = next((r for r in session.promotion_requests(args.app, args.env) if r.id == args.id), None)
    if request is None:
        raise NotFound(f"no promotion request {args.id} in {environment.ref} (see hotclone requests {args.app})")
    if not args.json:
        # The requester wrote every one of these: each stays on its own line (no forged "approved by" lines).
        safe = display.safe
        what = f"promote {args.app}/{safe(request.source)} -> {environment.ref}"
        emit(f"request {request.id}: {what} by {safe(request.requester)}")
        emit(f"  reason: {safe(request.reason) or '-'}")
        if request.skipped_verification:
            emit(f"  verification skipped: {safe(request.skipped_verification)}")
        emit("\n".join(f"  {safe(line)}" for line in request.summary))
    verb = "Approve" if approve else "Reject"
    confirm(args, f"{verb} request {request.id} into {environment.ref}?")
    decided = session.decide(environment, request.id, approve=approve, comment=args.comment)
    if args.json:
        emit(output.dumps(decided))
        return 0
    state = decided.state(session.now())
    word = "approved" if approve else "rejected"
    emit(f"{word} {decided.id}: {state}, {len(decided.approvers)} of {decided.required} approval(s)")
    if state == "approved":
        emit(f"  apply it: hotclone promote {args.app} {decided.source} {decided.target} --request {decided.id}")
    return 0


def cmd_approve(session: SessionContract, args: argparse.Namespace) -> int:
    return _decide(session, args, approve=True)


def cmd_reject(session: SessionContract, args: argparse.Namespace) -> int:
    return _decide(session, args, approve=False)


def cmd_install_policy(session: SessionContract, args: argparse.Namespace) -> int:
    if not args.json:
        emit("install (create or update) the approval policy the API server enforces:")
        emit("\n".join(f"  {line}" for line in approval_policy.describe()))
    confirm(args, "Install hotclone's approval policy (cluster-wide)?")
    lines = session.install_policy()
    emit(output.dumps(lines) if args.json else "\n".join(lines))
    return 0
