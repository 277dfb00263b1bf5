"""The `hotclone` console script: parse argv, apply the read-only rule, run one command.

Read-only comes from `--read-only` or the config file (core.settings); a context the file
marks production makes every change ask for the context's name (cli.prompts.confirm).

Errors are one line on stderr and exit 2, never a traceback. Only what the command needs
is imported: Textual when the dashboard opens, the Kubernetes client when a session
connects (the dashboard paints its first frame before that), a command's own modules
when it runs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from hotclone.cli.parser import build_parser, contexts_of
from hotclone.cli.registry import COMMANDS
from hotclone.cli.signals import say, stop_once
from hotclone.core import display, kubeconfig, settings
from hotclone.core.errors import Forbidden, HotcloneError, Interrupted
from hotclone.core.models import ConnectionInfo

if TYPE_CHECKING:
    from hotclone.core.session import Session

Connect = Callable[[], "Session"]


def open_dashboard(connect: Connect, preview: ConnectionInfo | None = None) -> int:
    from hotclone.tui.app import run_dashboard

    return run_dashboard(connect, preview)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    kubeconfig_path = getattr(args, "kubeconfig", None)
    contexts = contexts_of(args)
    context = contexts[0] if contexts else None
    read_only = bool(getattr(args, "read_only", False))
    request_timeout = getattr(args, "request_timeout", None)
    try:
        if args.command == "demo":  # its own local control plane: the config file is for real clusters
            from hotclone.cli.demo import run_demo

            return run_demo(args, kubeconfig_path, context, read_only, open_dashboard)
        config = settings.load()  # a bad file stops here, before any cluster is touched
        if not contexts:  # the file may name the clusters to show together
            contexts = list(config.default_contexts)
            context = contexts[0] if contexts else None

        def connect() -> Session:
            from hotclone.core.session import Session  # the Kubernetes client: only once needed

            return Session.connect(
                kubeconfig_path,
                context,
                read_only=read_only,
                request_timeout=request_timeout,
                settings=config,
                contexts=contexts,
            )

        if args.command is None:
            # A kubeconfig problem will not fix itself: say so now instead of retrying in the
            # dashboard (the file alone, read without the client; the client checks the rest).
            # The same reading is the first frame's header (context, server, the kubeconfig's user).
            seen = kubeconfig.view(kubeconfig_path, context)
            chosen = config.for_context(seen.context)
            preview = ConnectionInfo(
                seen.context, seen.server, seen.user, read_only or chosen.read_only, chosen.production
            )
            return open_dashboard(connect, preview)
        command = COMMANDS[args.command]
        changes = command.changes_with(args)
        if read_only and changes:
            raise Forbidden(f"read-only mode: {args.command} is disabled")
        session = connect()
        if session.read_only and changes:  # not the flag: the config file marks the context read-only
            refusal = f"read-only context {session.context} ({config.path}): {args.command} is disabled"
            session.close()
            raise Forbidden(refusal)
        if session.production_context_name:  # every change asks for its name (prompts.confirm)
            args.production_context = session.production_context_name
        try:
            with stop_once():  # Ctrl-C, SIGHUP and SIGTERM stop a change once, and it is restored
                return command.run(session, args)
        finally:
            session.close()
    except Interrupted as error:  # a change was under way: the message says what is true now
        say(f"hotclone: {display.safe(str(error))}")
        return 130
    except HotcloneError as error:
        say(f"hotclone: error: {display.safe(str(error))}")  # one line, nothing raw
        return 2
    except KeyboardInterrupt:  # outside a change's writes (they raise Interrupted, saying what is true)
        say("hotclone: interrupted")
        return 130
