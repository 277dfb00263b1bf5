"""The headless `hotclone` commands. Every command has --json; errors are one line, exit 2.

Changing commands show what they will do and ask on a terminal; scripts pass --yes
(and --confirm NAME for a production target). Without a terminal and without --yes
nothing changes and the exit code is 2.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable
from typing import NoReturn

from core import output
from core.cli_options import DashboardOptions
from core.cluster import Cluster
from core.config import parse_assignment
from core.destroy import refuse_protected
from core.diff import side_by_side, summary_lines
from core.errors import Forbidden, HotcloneError, NotFound, Refused
from core.images import parse_spec
from core.models import PromotePlan
from core.session import Session

OpenDashboard = Callable[[DashboardOptions], int]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse's usage dump is several lines; keep errors to one.
        self.exit(2, f"hotclone: error: {message} (see hotclone --help)\n")


def _common() -> _Parser:
    """Options accepted before or after the subcommand."""
    common = _Parser(add_help=False)
    s = argparse.SUPPRESS
    common.add_argument("--context", default=s, help="kube context (default: the kubeconfig's current context)")
    common.add_argument("--kubeconfig", default=s, help="kubeconfig path (default: $KUBECONFIG or ~/.kube/config)")
    common.add_argument("--read-only", action="store_true", default=s, help="disable every change")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = _Parser(
        prog="hotclone",
        parents=[common],
        description="Clone production into a temporary environment, fix it, diff it, promote it back.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str, *, changes: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        if changes:
            p.add_argument("--yes", "-y", action="store_true", help="do not ask (scripts)")
        return p

    demo = command("demo", "local control plane + TopicShare demo, then the dashboard")
    demo.add_argument("--no-ui", action="store_true", help="start (or reuse) it, print KUBECONFIG, leave it running")
    demo.add_argument("--seed-only", action="store_true", help="only seed TopicShare into the current context")
    demo.add_argument("--stop", action="store_true", help="stop the demo control plane")
    command("whoami", "context, cluster and the user the API server sees")
    command("apps", "list applications")
    envs = command("envs", "list an application's environments")
    envs.add_argument("app")
    command("types", "list environment types")

    clone = command("clone", "clone an environment into a new one", changes=True)
    clone.add_argument("app")
    clone.add_argument("source")
    clone.add_argument("new")
    clone.add_argument("--type", default="temporary", dest="env_type", help="environment type (default: temporary)")
    clone.add_argument("--ttl", help="lifetime, e.g. 24h (default: the type's)")
    clone.add_argument(
        "--allow-prod-references", action="store_true", help="clone even if values still point at the source"
    )

    set_image = command("set-image", "change container images (not in production)", changes=True)
    set_image.add_argument("app")
    set_image.add_argument("env")
    set_image.add_argument("images", nargs="+", metavar="WORKLOAD[/CONTAINER]=IMAGE")
    set_image.add_argument("--reason", default="", help="recorded in history")

    set_config = command("set-config", "change ConfigMap values (not in production)", changes=True)
    set_config.add_argument("app")
    set_config.add_argument("env")
    set_config.add_argument("configmap")
    set_config.add_argument("settings", nargs="+", metavar="KEY=VALUE")
    set_config.add_argument("--reason", default="", help="recorded in history")

    diff = command("diff", "diff two environments (exit 0 same, 1 different, 2 error)")
    diff.add_argument("app")
    diff.add_argument("left")
    diff.add_argument("right")
    diff.add_argument("--side-by-side", action="store_true")
    diff.add_argument("--include-env-scoped", action="store_true")
    diff.add_argument("--width", type=int, default=0, help="columns for --side-by-side (default: terminal width)")

    for name, help_text in (("promote", "promote a clone onto its target"), ("rollback", "restore a revision's state")):
        p = command(name, help_text, changes=True)
        p.add_argument("app")
        if name == "promote":
            p.add_argument("source")
            p.add_argument("target", nargs="?")
            p.add_argument("--prune", action="store_true", help="delete objects only in the target")
            p.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
        else:
            p.add_argument("env")
            p.add_argument("revision", type=int)
        p.add_argument("--confirm", metavar="NAME", help="the target's name (required for production with --yes)")
        p.add_argument("--reason", default="", help="recorded in history")
        p.add_argument("--wait", action=argparse.BooleanOptionalAction, default=True, help="wait for the rollout")
        p.add_argument("--timeout", type=float, default=180.0, help="rollout timeout in seconds")

    history = command("history", "revisions of an environment")
    history.add_argument("app")
    history.add_argument("env")
    history.add_argument("--markdown", action="store_true", help="incident timeline for a postmortem")

    destroy = command("destroy", "delete a non-production environment", changes=True)
    destroy.add_argument("app")
    destroy.add_argument("env")
    gc = command("gc", "delete expired temporary environments", changes=True)
    gc.add_argument("--dry-run", action="store_true", help="list them only")
    return parser


def main(argv: list[str], *, open_dashboard: OpenDashboard) -> int:
    args = build_parser().parse_args(argv)
    kubeconfig = getattr(args, "kubeconfig", None)
    context = getattr(args, "context", None)
    read_only = bool(getattr(args, "read_only", False))
    try:
        if args.command is None:
            # A kubeconfig problem will not fix itself: say so now instead of retrying in the
            # dashboard. (Loading it makes no network call; an unreachable server is retried.)
            Cluster.connect(kubeconfig, context).close()
            return open_dashboard(DashboardOptions(kubeconfig, context, read_only))
        if args.command == "demo":
            from core.demo_command import run_demo

            return run_demo(args, kubeconfig, context, read_only, open_dashboard)
        if read_only and _changes(args):
            raise Forbidden(f"read-only mode: {args.command} is disabled")
        session = Session.connect(kubeconfig, context, read_only=read_only)
        try:
            return COMMANDS[args.command](session, args)
        finally:
            session.close()
    except HotcloneError as error:
        print(f"hotclone: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hotclone: interrupted", file=sys.stderr)
        return 130


# -- helpers --------------------------------------------------------------------------


def _changes(args: argparse.Namespace) -> bool:
    if args.command in ("promote", "gc"):
        return not args.dry_run
    return args.command in ("clone", "set-image", "set-config", "rollback", "destroy")


def _print(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _confirm(args: argparse.Namespace, question: str, production_name: str | None = None) -> None:
    """Raise unless the user (or --yes [--confirm NAME]) agreed. Nothing has changed yet."""
    confirm = getattr(args, "confirm", None)
    if getattr(args, "yes", False):
        if production_name and confirm != production_name:
            raise Refused(f"the target is production: pass --confirm {production_name} together with --yes")
        return
    if not sys.stdin.isatty():
        raise Refused("not a terminal and no --yes given: nothing was changed")
    if production_name:
        answer = input(f"{question}\nThis is PRODUCTION. Type {production_name!r} to confirm: ").strip()
        if answer != production_name:
            raise Refused(f"confirmation {answer!r} does not match {production_name!r}: nothing was changed")
        return
    if input(f"{question} [y/N] ").strip().lower() not in ("y", "yes"):
        raise Refused("not confirmed: nothing was changed")


def _width(args: argparse.Namespace) -> int:
    return int(args.width) or shutil.get_terminal_size((160, 40)).columns


# -- commands -------------------------------------------------------------------------


def cmd_whoami(session: Session, args: argparse.Namespace) -> int:
    info = session.connection_info()
    _print(output.dumps(info) if args.json else f"context {info.context}\nserver  {info.server}\nuser    {info.user}")
    return 0


def cmd_apps(session: Session, args: argparse.Namespace) -> int:
    apps = session.applications()
    if args.json:
        _print(output.dumps(apps))
    else:
        rows = [[a.name, str(len(a.environments)), ", ".join(e.name for e in a.environments)] for a in apps]
        _print(output.table(["app", "envs", "environments"], rows))
    return 0


def cmd_envs(session: Session, args: argparse.Namespace) -> int:
    envs = session.environments(args.app)
    if not envs:
        raise NotFound(f"unknown application {args.app!r}")
    if args.json:
        _print(output.dumps(envs))
        return 0
    now = session.now()
    rows = [
        [
            e.name,
            e.type + (" (incomplete)" if e.incomplete else ""),
            e.namespace,
            output.age(e.created, now),
            output.ttl(e, now),
            e.cloned_from or "-",
        ]
        for e in envs
    ]
    _print(output.table(["env", "type", "namespace", "age", "ttl", "cloned-from"], rows))
    return 0


def cmd_types(session: Session, args: argparse.Namespace) -> int:
    types = session.environment_types()
    if args.json:
        _print(output.dumps(types))
    else:
        rows = [
            [t.name, output.format_duration(t.ttl) if t.ttl else "-", ", ".join(t.template_names) or "-"] for t in types
        ]
        _print(output.table(["type", "ttl", "templates"], rows))
    return 0


def cmd_clone(session: Session, args: argparse.Namespace) -> int:
    session.environment(args.app, args.source)  # unknown source: fail before asking
    from core.validation import validate_environment_name

    validate_environment_name(args.app, args.new)
    lifetime = args.ttl or "the type's default"
    _confirm(args, f"Clone {args.app}/{args.source} into {args.app}-{args.new} (type {args.env_type}, ttl {lifetime})?")
    result = session.clone(
        args.app,
        args.source,
        args.new,
        env_type=args.env_type,
        ttl=args.ttl,
        allow_prod_references=args.allow_prod_references,
    )
    if args.json:
        _print(output.dumps(result))
        return 0
    env = result.environment
    lines = [
        f"cloned {args.app}/{args.source} -> {env.ref} (namespace {env.namespace}, type {env.type})"
        f" in {result.seconds:.1f}s",
        f"  {len(result.copied)} material objects copied, {len(result.generated)} from templates"
        + (f" ({', '.join(result.generated)})" if result.generated else ""),
    ]
    lines += [f"  preflight: {f.describe()}" for f in result.findings]
    lines += [f"  warning: {w}" for w in result.warnings]
    _print("\n".join(lines))
    return 0


def cmd_set_image(session: Session, args: argparse.Namespace) -> int:
    specs = [parse_spec(text) for text in args.images]
    changes, _ = session.plan_set_image(args.app, args.env, specs)
    if not changes:
        _print(output.dumps([]) if args.json else "nothing to change: the images are already set")
        return 0
    if not args.json:
        _print("\n".join(f"{c.workload} {c.container}: {c.old} -> {c.new}" for c in changes))
    _confirm(args, f"Apply {len(changes)} image change(s) to {args.app}/{args.env}?")
    applied = session.set_image(args.app, args.env, specs, reason=args.reason)
    _print(output.dumps(applied) if args.json else f"updated {len(applied)} container(s) in {args.app}/{args.env}")
    return 0


def cmd_set_config(session: Session, args: argparse.Namespace) -> int:
    values = dict(parse_assignment(text) for text in args.settings)
    changes, _ = session.plan_set_config(args.app, args.env, args.configmap, values)
    if not changes:
        _print(output.dumps([]) if args.json else "nothing to change: the values are already set")
        return 0
    if not args.json:
        _print("\n".join(c.describe() for c in changes))
    _confirm(args, f"Apply {len(changes)} change(s) to ConfigMap/{args.configmap} in {args.app}/{args.env}?")
    applied = session.set_config(args.app, args.env, args.configmap, values, reason=args.reason)
    _print(output.dumps(applied) if args.json else f"updated {len(applied)} key(s) of ConfigMap/{args.configmap}")
    return 0


def cmd_diff(session: Session, args: argparse.Namespace) -> int:
    diff = session.diff(args.app, args.left, args.right, include_env_scoped=args.include_env_scoped)
    if args.json:
        _print(output.dumps({"same": diff.same, "counts": diff.counts(), "diff": diff}))
    elif diff.same:
        _print(f"{diff.left} and {diff.right} are the same")
    elif args.side_by_side:
        _print(side_by_side(diff, _width(args)))
    else:
        _print("\n".join(summary_lines(diff)))
    return 0 if diff.same else 1


def _describe_plan(plan: PromotePlan) -> str:
    counts = plan.diff.counts()
    lines = [
        (
            f"rollback {plan.target.ref} to the state before {plan.source}"
            if plan.action == "rollback"
            else f"promote {plan.app}/{plan.source} -> {plan.target.ref}"
        )
        + (" (PRODUCTION)" if plan.target.is_production else ""),
        f"  objects: {counts['changed']} changed, {counts['added']} added, {len(plan.deletions)} deleted;"
        f" workloads restarting: {', '.join(plan.restarts) or 'none'}",
    ]
    lines += [f"  {line}" for line in summary_lines(plan.diff)]
    lines += [f"  delete {ref}" for ref in plan.deletions]
    lines += [f"  CONFLICT {c.describe()}" for c in plan.conflicts]
    return "\n".join(lines)


def _run_plan(session: Session, plan: PromotePlan, args: argparse.Namespace, dry_run: bool = False) -> int:
    if args.json and (dry_run or plan.empty or plan.conflicts):
        _print(output.dumps(plan))
    elif not args.json:
        _print(_describe_plan(plan))
    if plan.conflicts:
        raise HotcloneError(
            f"{len(plan.conflicts)} conflict(s) between the clone and {plan.target.ref}: nothing applied"
        )
    if dry_run or plan.empty:
        if plan.empty and not args.json:
            _print(f"nothing to {plan.action}: {plan.target.ref} already matches")
        return 0
    production = plan.target.name if plan.target.is_production else None
    _confirm(args, f"Apply this {plan.action} to {plan.target.ref}?", production)
    lines = session.apply(plan, confirm=plan.target.name, reason=args.reason)
    statuses = []
    if args.wait and plan.restarts:
        from core.promote import wait_for_rollout

        if not args.json:
            _print(f"applied; waiting for the rollout of {', '.join(plan.restarts)} (up to {args.timeout:.0f}s)")
        statuses = wait_for_rollout(session.cluster, plan.target, list(plan.restarts), timeout=args.timeout)
    if args.json:
        _print(output.dumps({"applied": lines, "target": plan.target, "rollout": statuses}))
    else:
        _print(f"{plan.action} applied to {plan.target.ref}: {len(lines)} change(s)")
        _print("\n".join(f"  rollout {s.workload}: {s.message}" for s in statuses))
    stuck = [s for s in statuses if not s.done]
    if stuck:
        raise HotcloneError(
            f"applied, but the rollout of {', '.join(s.workload for s in stuck)} did not complete in "
            f"{args.timeout:.0f}s; see hotclone history {plan.app} {plan.target.name} to roll back"
        )
    return 0


def cmd_promote(session: Session, args: argparse.Namespace) -> int:
    plan = session.plan_promote(args.app, args.source, args.target, prune=args.prune)
    return _run_plan(session, plan, args, dry_run=args.dry_run)


def cmd_rollback(session: Session, args: argparse.Namespace) -> int:
    plan = session.plan_rollback(args.app, args.env, args.revision)
    return _run_plan(session, plan, args)


def cmd_history(session: Session, args: argparse.Namespace) -> int:
    entries = session.history(args.app, args.env)
    if args.json:
        _print(output.dumps(entries))
    elif args.markdown:
        _print(output.history_markdown(f"{args.app}/{args.env}", entries))
    else:
        rows = [
            [
                str(e.revision),
                e.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
                e.user,
                e.action,
                e.reason or "-",
                "; ".join(e.summary)[:80],
            ]
            for e in entries
        ]
        _print(output.table(["rev", "when (utc)", "who", "action", "reason", "what"], rows))
    return 0


def cmd_destroy(session: Session, args: argparse.Namespace) -> int:
    environment = session.environment(args.app, args.env)
    refuse_protected(environment)  # before asking, not after
    _confirm(args, f"Delete {environment.ref}: namespace {environment.namespace} and everything in it?")
    session.destroy(args.app, args.env)
    _print(
        output.dumps(environment) if args.json else f"destroyed {environment.ref} (namespace {environment.namespace})"
    )
    return 0


def cmd_gc(session: Session, args: argparse.Namespace) -> int:
    candidates = session.expired()
    if args.dry_run or not candidates:
        _print(output.dumps(candidates) if args.json else "\n".join(e.ref for e in candidates) or "nothing expired")
        return 0
    if not args.json:
        _print("\n".join(f"expired: {e.ref} ({e.namespace})" for e in candidates))
    _confirm(args, f"Delete {len(candidates)} expired environment(s)?")
    removed = session.gc()
    _print(output.dumps(removed) if args.json else f"removed {len(removed)} environment(s)")
    return 0


COMMANDS: dict[str, Callable[[Session, argparse.Namespace], int]] = {
    "whoami": cmd_whoami,
    "apps": cmd_apps,
    "envs": cmd_envs,
    "types": cmd_types,
    "clone": cmd_clone,
    "set-image": cmd_set_image,
    "set-config": cmd_set_config,
    "diff": cmd_diff,
    "promote": cmd_promote,
    "rollback": cmd_rollback,
    "history": cmd_history,
    "destroy": cmd_destroy,
    "gc": cmd_gc,
}
