"""The config file from the command line: a read-only context refuses changes, a production
context asks for its name, and --read-only still wins. Against the local control plane."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotclone.core import kinds
from hotclone.core.demo.controlplane import ADMIN_CONTEXT
from hotclone.core.errors import NotFound
from tests.conftest import Seeded
from tests.helpers import run_cli


def _config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    monkeypatch.setenv("HOTCLONE_CONFIG", str(path))
    return path


def _exists(seeded: Seeded, env: str) -> bool:
    try:
        seeded.cluster.get(kinds.NAMESPACE, None, seeded.namespace(env))
    except NotFound:
        return False
    return True


def test_a_read_only_context_refuses_a_change(seeded: Seeded, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = _config(monkeypatch, tmp_path, f"contexts:\n  {ADMIN_CONTEXT}: {{read-only: true}}\n")
    result = run_cli("clone", seeded.app, "production", "ro", "--yes", kubeconfig=seeded.kubeconfig)
    assert result.code == 2 and result.out == ""
    assert result.err == f"hotclone: error: read-only context {ADMIN_CONTEXT} ({path}): clone is disabled\n"
    assert not _exists(seeded, "ro")
    assert run_cli("envs", seeded.app, kubeconfig=seeded.kubeconfig).code == 0  # reading still works


def test_read_only_from_the_flag_still_wins(seeded: Seeded, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _config(monkeypatch, tmp_path, f"contexts:\n  {ADMIN_CONTEXT}: {{read-only: false}}\n")
    result = run_cli("clone", seeded.app, "production", "ro", "--yes", "--read-only", kubeconfig=seeded.kubeconfig)
    assert result.code == 2 and result.err == "hotclone: error: read-only mode: clone is disabled\n"
    assert not _exists(seeded, "ro")


def test_a_production_context_asks_for_its_name(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _config(monkeypatch, tmp_path, f"contexts:\n  {ADMIN_CONTEXT}: {{production: true}}\n")
    args = ("clone", seeded.app, "qa", "pc", "--yes")
    refused = run_cli(*args, kubeconfig=seeded.kubeconfig)
    assert refused.code == 2 and refused.err == (
        f"hotclone: error: context {ADMIN_CONTEXT} is marked production: "
        f"pass --confirm {ADMIN_CONTEXT} together with --yes\n"
    )
    assert not _exists(seeded, "pc")
    wrong = run_cli(*args, "--confirm", "pc", kubeconfig=seeded.kubeconfig)
    assert wrong.code == 2 and not _exists(seeded, "pc")
    done = run_cli(*args, "--confirm", ADMIN_CONTEXT, kubeconfig=seeded.kubeconfig)
    assert done.code == 0, done.text
    assert _exists(seeded, "pc")


def test_a_bad_config_file_is_one_line(seeded: Seeded, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = _config(monkeypatch, tmp_path, f"contexts:\n  {ADMIN_CONTEXT}: {{readonly: true}}\n")
    result = run_cli("envs", seeded.app, kubeconfig=seeded.kubeconfig)
    assert result.code == 2
    assert result.err == (
        f"hotclone: error: {path}: unknown key 'contexts.{ADMIN_CONTEXT}.readonly' (known: read-only, production)\n"
    )
