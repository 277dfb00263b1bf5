"""The helm CLI controlplane/build.sh builds, for the tests that install real Helm releases."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from hotclone.core.demo.controlplane import helm_binary, versions


def test_helm_is_built_at_the_pinned_version(tmp_path: Path) -> None:
    helm = helm_binary()
    if helm is None:
        # Not a skip: `make test` (CI) runs controlplane/build.sh first, so helm is always there.
        pytest.fail("helm is not built: run controlplane/build.sh")
    # helm's own folders and client-go's discovery cache in tmp_path: never the developer's ~/.config or ~/.kube.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "HELM_CACHE_HOME": str(tmp_path / "helm-cache"),
        "HELM_CONFIG_HOME": str(tmp_path / "helm-config"),
        "HELM_DATA_HOME": str(tmp_path / "helm-data"),
        "KUBECACHEDIR": str(tmp_path / "kube-cache"),
    }
    result = subprocess.run(
        [str(helm), "version", "--short"], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == versions()["HELM_VERSION"]
