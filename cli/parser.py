"""The command line's grammar: global options accepted before or after every subcommand."""

from __future__ import annotations

import argparse
import math
from typing import NoReturn

from hotclone.cli.completion import SHELLS, PrintScript
from hotclone.cli.registry import COMMANDS


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hotclone")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


class _Version(argparse.Action):
    """Like argparse's "version", but reads the installed metadata only when asked."""

    def __init__(self, option_strings: list[str], dest: str, **_: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(f"hotclone {_version()}")  # stdout, as argparse's own version action does
        parser.exit(0)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse's usage dump is several lines; keep errors to one.
        self.exit(2, f"hotclone: error: {message} (see hotclone --help)\n")


def _seconds(text: str) -> float:
    """A positive, finite number of seconds (float() alone takes -1, nan and inf)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"invalid number of seconds {text!r}: must be a positive number")
    return value


def _common(contexts: str) -> _Parser:
    """Options accepted before or after the subcommand. `--context` may be given more than once
    (one dashboard, one listing across clusters); those before and after the subcommand are kept
    apart (`contexts`: the attribute each side appends to; argparse lets a subcommand's values
    replace the top level's) and joined by `contexts_of`."""
    common = _Parser(add_help=False)
    s = argparse.SUPPRESS
    common.add_argument(
        "--context",
        action="append",
        dest=contexts,
        default=s,
        metavar="CTX",
        help="kube context (default: the kubeconfig's current one); repeat it to show several clusters",
    )
    common.add_argument("--kubeconfig", default=s, help="kubeconfig path (default: $KUBECONFIG or ~/.kube/config)")
    common.add_argument("--read-only", action="store_true", default=s, help="disable every change")
    common.add_argument(
        "--request-timeout",
        type=_seconds,
        default=s,
        metavar="SECONDS",
        help="give up on an API request after this long (default: 30)",
    )
    return common


def contexts_of(args: argparse.Namespace) -> list[str]:
    """Every --context given, before and after the subcommand, in order, each once."""
    given = [*getattr(args, "contexts_before", []), *getattr(args, "contexts_after", [])]
    return list(dict.fromkeys(given))


def build_parser() -> argparse.ArgumentParser:
    common = _common("contexts_after")
    parser = _Parser(
        prog="hotclone",
        parents=[_common("contexts_before")],
        description="Clone production into a temporary environment, fix it, diff it, promote it back.",
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        if name in COMMANDS and COMMANDS[name].changes:
            p.add_argument("--yes", "-y", action="store_true", help="do not ask (scripts)")
            p.add_argument(
                "--confirm",
                metavar="NAME",
                help="with --yes: the production target's name, else a production context's (config file)",
            )
        return p

    demo = command("demo", "local control plane + TopicShare demo, then the dashboard")
    demo.add_argument("--no-ui", action="store_true", help="start (or reuse) it, print KUBECONFIG, leave it running")
    demo.add_argument("--seed-only", action="store_true", help="only seed TopicShare into the current context")
    demo.add_argument("--stop", action="store_true", help="stop the demo control plane")
    demo.add_argument(
        "--two-clusters",
        action="store_true",
        help="a second local cluster too: TopicShare's type remote-temp clones into it",
    )
    command("whoami", "context, cluster and the user the API server sees")
    command("apps", "list applications")
    envs = command("envs", "list an application's environments")
    envs.add_argument("app")
    types = command("types", "list environment types (with APP: those that apply to it)")
    types.add_argument("app", nargs="?", help="only the types that apply to this application")

    clone = command("clone", "clone an environment into a new one")
    clone.add_argument("app")
    clone.add_argument("source")
    clone.add_argument("new")
    clone.add_argument("--type", default="temporary", dest="env_type", help="environment type (default: temporary)")
    clone.add_argument("--ttl", help="lifetime, e.g. 24h (default: the type's)")
    clone.add_argument(
        "--allow-prod-references", action="store_true", help="clone even if values still point at the source"
    )
    clone.add_argument(
        "--dry-run", action="store_true", help="show the plan (copied, adjusted, skipped and why); create nothing"
    )

    set_image = command("set-image", "change container images (not in production)")
    set_image.add_argument("app")
    set_image.add_argument("env")
    set_image.add_argument("images", nargs="+", metavar="WORKLOAD[/CONTAINER]=IMAGE")
    set_image.add_argument("--reason", default="", help="recorded in history")

    set_config = command("set-config", "change ConfigMap values (not in production)")
    set_config.add_argument("app")
    set_config.add_argument("env")
    set_config.add_argument("configmap")
    set_config.add_argument("settings", nargs="+", metavar="KEY=VALUE")
    set_config.add_argument("--reason", default="", help="recorded in history")

    diff = command("diff", "diff two environments (exit 0 same, 1 different, 2 error)")
    diff.add_argument("app")
    diff.add_argument("left")
    diff.add_argument("right")
    diff.add_argument(
        "--side-by-side", action="store_true", help="the YAML side by side (unified below 120 columns), in context"
    )
    diff.add_argument("--include-env-scoped", action="store_true")
    diff.add_argument("--width", type=int, default=0, help="columns for --side-by-side (default: terminal width)")

    for name, help_text in (("promote", "promote a clone onto its target"), ("rollback", "restore a revision's state")):
        p = command(name, help_text)
        p.add_argument("app")
        if name == "promote":
            p.add_argument("source")
            p.add_argument("target", nargs="?")
            p.add_argument("--prune", action="store_true", help="delete objects only in the target")
            p.add_argument(
                "--include-rbac",
                action="store_true",
                help="also write ServiceAccounts, Roles and RoleBindings into the target (skipped by default)",
            )
            p.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
            p.add_argument(
                "--request",
                metavar="ID",
                help="apply this approved promotion request (a target whose type requires approvals)",
            )
            p.add_argument(
                "--skip-verification",
                metavar="REASON",
                default="",
                help="promote without a passed verification of the source; the reason is recorded in history",
            )
        else:
            p.add_argument("env")
            p.add_argument("revision", type=int)
        p.add_argument("--reason", default="", help="recorded in history")
        p.add_argument("--wait", action=argparse.BooleanOptionalAction, default=True, help="wait for the rollout")
        p.add_argument("--timeout", type=_seconds, default=180.0, help="rollout timeout in seconds")

    recover = command("recover", "restore the state from before an interrupted (unfinished) revision")
    recover.add_argument("app")
    recover.add_argument("env")

    history = command("history", "revisions of an environment (with REV: that revision in full)")
    history.add_argument("app")
    history.add_argument("env")
    history.add_argument("revision", type=int, nargs="?", help="one revision: its whole summary")
    history.add_argument("--markdown", action="store_true", help="incident timeline for a postmortem")
    history.add_argument(
        "--patch",
        action="store_true",
        help="with REV: its change as a kustomize-style patch of exactly the fields it changed (Secret values hidden)",
    )

    destroy = command("destroy", "delete a non-production environment")
    destroy.add_argument("app")
    destroy.add_argument("env")
    gc = command("gc", "delete expired temporary environments")
    gc.add_argument("--dry-run", action="store_true", help="list them only")

    verify = command("verify", "run the environment type's checks there (exit 0 all passed, 1 any failed, 2 error)")
    verify.add_argument("app")
    verify.add_argument("env")
    verify.add_argument(
        "--compare", action="store_true", help="also run the read-only checks in the environment it was cloned from"
    )

    requests = command("requests", "promotion requests into an application's environments")
    requests.add_argument("app")
    requests.add_argument("env", nargs="?", help="only those into this environment")
    for name, help_text in (
        ("approve", "approve a promotion request (never your own)"),
        ("reject", "reject a promotion request (never your own)"),
    ):
        p = command(name, help_text)
        p.add_argument("app")
        p.add_argument("env", help="the request's target environment")
        p.add_argument("id", help="the request's id (r-...)")
        p.add_argument("--comment", default="", help="recorded beside the decision")
    command("install-policy", "install the approval policy the API server enforces (cluster admin)")

    completion_help = "print a shell completion script: hotclone completion bash|zsh"
    completion = sub.add_parser("completion", parents=[common], help=completion_help, description=completion_help)
    completion.add_argument("shell", choices=SHELLS, action=PrintScript)
    return parser
