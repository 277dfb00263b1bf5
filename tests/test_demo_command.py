"""`hotclone demo --no-ui` starts (or reuses) a seeded local control plane; --stop stops it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hotclone.core.demo.controlplane import find_binaries


@pytest.mark.timeout(240)
def test_demo_no_ui_start_reuse_stop(tmp_path: Path) -> None:
    env = {**os.environ, "HOTCLONE_CACHE": str(tmp_path), "KUBEBUILDER_ASSETS": str(find_binaries())}
    env.pop("KUBECONFIG", None)

    def hotclone(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "hotclone", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    started = hotclone("demo", "--no-ui")
    try:
        assert started.returncode == 0, started.stderr
        line = started.stdout.strip().splitlines()[-1]
        assert line.startswith("export KUBECONFIG=")
        kubeconfig = line.split("=", 1)[1]
        assert Path(kubeconfig).exists()
        apps = hotclone("apps", "--kubeconfig", kubeconfig)
        assert apps.returncode == 0 and "topicshare" in apps.stdout
        types = hotclone("types", "--kubeconfig", kubeconfig)
        assert "temporary" in types.stdout  # read from hotclone-system
        begin = time.monotonic()
        again = hotclone("demo", "--no-ui")
        assert again.returncode == 0 and again.stdout.strip().splitlines()[-1] == line
        assert time.monotonic() - begin < 10  # reused, not restarted
    finally:
        stopped = hotclone("demo", "--stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert not Path(kubeconfig).exists()
    assert hotclone("apps", "--kubeconfig", kubeconfig).returncode == 2
