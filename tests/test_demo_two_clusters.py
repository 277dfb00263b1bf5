"""`hotclone demo --two-clusters`: the README's cross-cluster story, exactly as written there, on
two local control planes the demo starts; `demo --stop` stops both."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hotclone.core import kinds
from hotclone.core.cluster import Cluster
from hotclone.core.demo.controlplane import ADMIN_CONTEXT, APPROVER_CONTEXT, REMOTE_CONTEXT, find_binaries
from hotclone.core.errors import NotFound
from tests.helpers import run_cli


@pytest.mark.timeout(300)
def test_the_readme_cross_cluster_story(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {**os.environ, "HOTCLONE_CACHE": str(tmp_path), "KUBEBUILDER_ASSETS": str(find_binaries())}
    env.pop("KUBECONFIG", None)

    def demo(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "hotclone", "demo", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=150)

    started = demo("--two-clusters", "--no-ui")
    try:
        assert started.returncode == 0, started.stderr
        kubeconfig = started.stdout.strip().splitlines()[-1].removeprefix("export KUBECONFIG=")
        assert f"--context {ADMIN_CONTEXT} --context {REMOTE_CONTEXT}" in started.stderr
        home, remote = Cluster.connect(kubeconfig, ADMIN_CONTEXT), Cluster.connect(kubeconfig, REMOTE_CONTEXT)
        assert home.server != remote.server

        def hc(*argv: str, context: str | None = None) -> tuple[int, str]:
            contexts = ["--context", context] if context else ["--context", ADMIN_CONTEXT, "--context", REMOTE_CONTEXT]
            result = run_cli(*argv, "--kubeconfig", kubeconfig, *contexts)
            return result.code, result.out + result.err

        code, text = hc("envs", "topicshare")
        assert code == 0 and "CONTEXT" in text and ADMIN_CONTEXT in text
        assert hc("clone", "topicshare", "production", "hotfix-ko", "--type", "remote-temp", "--yes")[0] == 0
        clone = remote.get(kinds.NAMESPACE, None, "topicshare-hotfix-ko")  # made in the second cluster
        assert clone["metadata"]["annotations"]["hotclone.io/cloned-from-context"] == ADMIN_CONTEXT
        with pytest.raises(NotFound):
            home.get(kinds.NAMESPACE, None, "topicshare-hotfix-ko")  # and nothing in production's
        assert hc("set-image", "topicshare", "hotfix-ko", "web=topicshare/web:1.9.4", "--yes")[0] == 0
        code, text = hc("diff", "topicshare", "production", "hotfix-ko")
        assert code == 1 and "topicshare/web:1.9.3 -> topicshare/web:1.9.4" in text
        code, text = hc("verify", "topicshare", "hotfix-ko")
        assert code == 0 and "smoke: passed" in text, text
        code, text = hc("promote", "topicshare", "hotfix-ko", "--yes", "--confirm", "production", "--reason", "ko fix")
        assert code == 0, text
        found = re.search(r"requested (r-[a-z0-9]+)", text)
        assert found, text
        rid = found.group(1)
        code, text = hc("approve", "topicshare", "production", rid, "--yes", context=APPROVER_CONTEXT)
        assert code == 0, text
        code, text = hc(
            "promote", "topicshare", "hotfix-ko", "production", "--request", rid, "--yes", "--confirm", "production",
            "--reason", "ko fix", "--no-wait",
        )  # fmt: skip
        assert code == 0, text
        web = home.get(kinds.DEPLOYMENT, "topicshare-production", "web")
        assert web["spec"]["template"]["spec"]["containers"][0]["image"] == "topicshare/web:1.9.4"
        code, text = hc("history", "topicshare", "production")
        assert code == 0 and f"from hotfix-ko in context {REMOTE_CONTEXT}" in text, text
        assert hc("destroy", "topicshare", "hotfix-ko", "--yes")[0] == 0
        home.close()
        remote.close()
    finally:
        stopped = demo("--stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert not Path(kubeconfig).exists()  # the joined kubeconfig goes with the planes
    assert not list((tmp_path / "demo").glob("state*.json"))
