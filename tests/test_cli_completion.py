"""`hotclone completion bash|zsh` prints a static script the shell accepts and completes from."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from hotclone.cli.registry import COMMANDS
from tests.helpers import run_cli


def _bash_completes(script: str, *words: str) -> list[str]:
    """What bash offers for `hotclone WORDS<TAB>` (the last word is the one being completed)."""
    driver = (
        'eval "$SCRIPT"\n'
        'COMP_WORDS=(hotclone "$@"); COMP_CWORD=$#\n'
        '_shtab_hotclone\n printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        ["bash", "-c", driver, "bash", *words],
        env={"SCRIPT": script, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def test_bash_script_is_valid_and_completes_subcommands_and_options() -> None:
    result = run_cli("completion", "bash")
    assert result.code == 0 and result.err == ""
    assert "complete -o bashdefault -F _shtab_hotclone hotclone" in result.out
    for name in [*COMMANDS, "demo", "completion"]:
        assert name in result.out
    syntax = subprocess.run(["bash", "-n"], input=result.out, capture_output=True, text=True, check=False)
    assert syntax.returncode == 0, syntax.stderr

    assert set(_bash_completes(result.out, "cl")) == {"clone"}
    assert "--allow-prod-references" in _bash_completes(result.out, "clone", "--al")
    assert {"--dry-run", "--prune"} <= set(_bash_completes(result.out, "promote", "--"))
    assert _bash_completes(result.out, "completion", "") == ["bash", "zsh"]


def test_zsh_script_is_generated() -> None:
    result = run_cli("completion", "zsh")
    assert result.code == 0 and result.err == ""
    assert result.out.startswith("#compdef hotclone")
    assert "set-image:'change container images" in result.out
    assert ":kubeconfig:_files" in result.out  # --kubeconfig completes file names
    if shutil.which("zsh"):  # not installed on every machine; the text checks above still ran
        syntax = subprocess.run(["zsh", "-n"], input=result.out, capture_output=True, text=True, check=False)
        assert syntax.returncode == 0, syntax.stderr


@pytest.mark.parametrize("argv", [("completion",), ("completion", "fish")])
def test_a_missing_or_unknown_shell_is_one_line_and_exit_2(argv: tuple[str, ...]) -> None:
    result = run_cli(*argv)
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1 and "shell" in result.err
