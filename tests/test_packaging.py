"""The package as users get it: a wheel with its styles, layers kept apart, pinned versions."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_import_contract() -> None:
    """core never imports Textual or tui; tui never imports kubernetes (import-linter)."""
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_core_source_never_mentions_textual() -> None:
    # A second, dumb check that also catches imports hidden in strings (importlib).
    for path in (ROOT / "core").rglob("*.py"):
        text = path.read_text()
        assert "import textual" not in text and "from textual" not in text and '"textual' not in text, path
        assert "from tui" not in text and "import tui" not in text, path
    for path in (ROOT / "tui").rglob("*.py"):
        text = path.read_text()
        assert "import kubernetes" not in text and "from kubernetes" not in text, path


def test_no_inline_css() -> None:
    for path in (ROOT / "tui").rglob("*.py"):
        text = path.read_text()
        assert "DEFAULT_CSS" not in text and "\nCSS =" not in text and "    CSS =" not in text, path


def test_control_plane_versions_match_the_build_script() -> None:
    from core.controlplane import versions

    pinned = versions()
    assert pinned["KUBERNETES_VERSION"].startswith("v1.35.")
    assert pinned["ETCD_VERSION"].startswith("v3.6.")
    go_mod = (ROOT / "controlplane" / "k8s" / "go.mod").read_text()
    assert f"k8s.io/kubernetes {pinned['KUBERNETES_VERSION']}" in go_mod
    minor = pinned["KUBERNETES_VERSION"].replace("v1.", "v0.")
    assert f"k8s.io/client-go => k8s.io/client-go {minor}" in go_mod
    etcd_mod = (ROOT / "controlplane" / "etcd" / "go.mod").read_text()
    assert f"go.etcd.io/etcd/server/v3 {pinned['ETCD_VERSION']}" in etcd_mod
    assert f"sigs.k8s.io/kwok {pinned['KWOK_VERSION']}" in (ROOT / "controlplane" / "kwok" / "go.mod").read_text()


def test_textual_is_pinned_exactly() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert '"textual==' in text


@pytest.mark.timeout(600)
def test_wheel_installs_with_its_styles(tmp_path: Path) -> None:
    """A non-editable install into a fresh venv starts with its stylesheets."""
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("hotclone-*.whl"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    # Dependencies come from this test run's own environment (no network needed).
    site = next(Path(sys.prefix).glob("lib/python3*/site-packages"))
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], check=True)
    script = (
        f"import sys; sys.path.append({str(site)!r})\n"
        "import importlib.resources, pathlib, styles, tui, core\n"
        "assert 'site-packages' in styles.__file__, styles.__file__\n"
        "sheets = sorted(p.name for p in importlib.resources.files('styles').iterdir() if p.name.endswith('.tcss'))\n"
        "assert sheets, 'no .tcss shipped'\n"
        "from textual.app import App\n"
        "from textual.css.stylesheet import Stylesheet\n"
        "sheet = Stylesheet(variables=App().get_css_variables())\n"
        "for name in sheets:\n"
        "    sheet.read(pathlib.Path(str(importlib.resources.files('styles') / name)))\n"
        "sheet.parse()\n"
        "from tui.app import HotcloneApp\n"
        "print(len(sheets))\n"
    )
    result = subprocess.run(
        [str(python), "-c", script], capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": ""}
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 1
    hotclone = env_dir / "bin" / "hotclone"
    assert hotclone.exists()
