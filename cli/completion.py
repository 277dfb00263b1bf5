"""`hotclone completion bash|zsh`: print a static shell completion script (made by shtab).

Static on purpose: the shell completes subcommands and options from the script alone,
without starting Python or asking the cluster, and `hotclone` itself never imports
shtab except here. Regenerate the script after an upgrade.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from typing import Any

SHELLS = ("bash", "zsh")
PATH_OPTIONS = ("--kubeconfig",)  # completed as file names


def script(shell: str) -> str:
    import shtab

    from hotclone.cli.parser import build_parser

    parser = build_parser()
    for action in _actions(parser):
        if any(option in PATH_OPTIONS for option in action.option_strings):
            action.complete = shtab.FILE  # type: ignore[attr-defined]  # shtab reads this attribute
    return str(shtab.complete(parser, shell=shell))


def _actions(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    for action in parser._actions:
        yield action
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _actions(child)


class PrintScript(argparse.Action):
    """The SHELL positional of `completion`: print the script and exit while parsing.

    Like --version, so the command needs no cluster connection and no entry in COMMANDS.
    """

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        text = script(str(values))
        sys.stdout.write(text if text.endswith("\n") else text + "\n")  # argparse's exit message goes to stderr
        parser.exit(0)
