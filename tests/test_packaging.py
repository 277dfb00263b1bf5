"""The package as users get it: a wheel with its styles, layers kept apart, pinned versions."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_import_contract() -> None:
    """Layers kept apart, core's capabilities independent of each other (import-linter)."""
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def _sources(*folders: str) -> list[Path]:
    return [path for folder in folders for path in (ROOT / folder).rglob("*.py")]


def test_core_source_never_mentions_textual_or_a_front_end() -> None:
    # A second, dumb check that also catches imports hidden in strings (importlib).
    for path in _sources("core"):
        text = path.read_text()
        assert "import textual" not in text and "from textual" not in text and '"textual' not in text, path
        for front_end in ("tui", "cli"):
            assert f"hotclone.{front_end}" not in text, path
    for path in _sources("tui"):
        text = path.read_text()
        assert "import kubernetes" not in text and "from kubernetes" not in text, path
        assert "hotclone.cli" not in text, path


def test_every_import_goes_through_the_hotclone_namespace() -> None:
    """`import core` would work from a checkout and load a second copy of every module; never in the wheel."""
    bare = re.compile(r"^\s*(from|import) (core|tui|cli|styles)\b", re.MULTILINE)
    offenders = [str(p) for p in _sources("core", "tui", "cli", "tests", "benchmarks") if bare.search(p.read_text())]
    assert offenders == []


def test_no_inline_css() -> None:
    for path in (ROOT / "tui").rglob("*.py"):
        text = path.read_text()
        assert "DEFAULT_CSS" not in text and "\nCSS =" not in text and "    CSS =" not in text, path


def test_control_plane_versions_match_the_build_script() -> None:
    from hotclone.core.demo.controlplane import versions

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


def _unrelated_core_package(site: Path) -> None:
    """Another distribution's top-level `core` (a common name): hotclone must neither break nor shadow it."""
    (site / "core").mkdir()
    (site / "core" / "__init__.py").write_text("OWNER = 'someone-else'\n")


@pytest.mark.timeout(600)
def test_wheel_installs_under_one_namespace_beside_an_unrelated_core(tmp_path: Path, kubeconfig: str) -> None:
    """A non-editable install into a fresh venv that already has a `core` package: styles ship, commands run."""
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("hotclone-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"hotclone"}, tops
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    env_site = next(env_dir.glob("lib/python3*/site-packages"))
    _unrelated_core_package(env_site)
    # Dependencies come from this test run's own environment (no network needed).
    deps = next(Path(sys.prefix).glob("lib/python3*/site-packages"))
    (env_site / "zz_test_deps.pth").write_text(f"{deps}\n")  # appended after the venv's own packages
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], check=True)
    script = (
        "import importlib.resources, pathlib, core\n"
        "assert core.OWNER == 'someone-else', core.__file__\n"
        "import hotclone.styles, hotclone.tui.app, hotclone.cli.main\n"
        "assert 'site-packages' in hotclone.styles.__file__, hotclone.styles.__file__\n"
        "root = importlib.resources.files('hotclone.styles')\n"
        "sheets = sorted(p.name for p in root.iterdir() if p.name.endswith('.tcss'))\n"
        "assert sheets, 'no .tcss shipped'\n"
        "from textual.app import App\n"
        "from textual.css.stylesheet import Stylesheet\n"
        "sheet = Stylesheet(variables=App().get_css_variables())\n"
        "for name in sheets:\n"
        "    sheet.read(pathlib.Path(str(root / name)))\n"
        "sheet.parse()\n"
        "print(len(sheets))\n"
    )
    clean = {**os.environ, "PYTHONPATH": ""}
    result = subprocess.run([str(python), "-c", script], capture_output=True, text=True, cwd=tmp_path, env=clean)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 1
    hotclone = str(env_dir / "bin" / "hotclone")
    version = subprocess.run([hotclone, "--version"], capture_output=True, text=True, cwd=tmp_path, env=clean)
    assert version.returncode == 0 and version.stdout.strip() == "hotclone 0.1.0", version
    apps = subprocess.run(
        [hotclone, "apps", "--json", "--kubeconfig", kubeconfig],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=clean,
    )
    assert apps.returncode == 0, apps.stderr
    assert isinstance(json.loads(apps.stdout), list)


def test_pre_commit_runs_the_same_tools_as_make_check() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ncheck:", 1)[1].split("\n\n", 1)[0]
    tools = {line.split()[0].removeprefix("$(BIN)/") for line in recipe.splitlines()[1:] if line.startswith("\t")}
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    assert (
        {hook["entry"].split()[0].removeprefix(".venv/bin/") for hook in hooks}
        == tools
        == {
            "ruff",
            "mypy",
            "lint-imports",
        }
    )
