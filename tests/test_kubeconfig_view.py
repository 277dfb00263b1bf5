"""The kubeconfig as the dashboard's first frame reads it (no Kubernetes client): merged like
kubectl merges $KUBECONFIG, and agreeing with the client on the real local kubeconfig."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hotclone.core import kubeconfig
from hotclone.core.cluster import Cluster
from hotclone.core.demo.controlplane import RESTRICTED_CONTEXT
from hotclone.core.errors import Unreachable


def write(folder: Path, name: str, config: object) -> str:
    path = folder / name
    path.write_text(yaml.safe_dump(config))
    return str(path)


def config(current: str | None, contexts: dict[str, tuple[str, str]], clusters: dict[str, str]) -> dict[str, object]:
    return {
        "current-context": current,
        "contexts": [{"name": n, "context": {"cluster": c, "user": u}} for n, (c, u) in contexts.items()],
        "clusters": [{"name": n, "cluster": {"server": s}} for n, s in clusters.items()],
        "users": [],
    }


def test_files_merge_as_kubectl_merges_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = write(tmp_path, "a", config(None, {"prod": ("eu", "alice")}, {"eu": "https://eu.example:6443"}))
    second = write(
        tmp_path,
        "b",
        config("prod", {"prod": ("us", "mallory"), "dev": ("us", "bob")}, {"us": "https://us.example", "eu": "x"}),
    )
    monkeypatch.setenv("KUBECONFIG", f"{first}:{tmp_path / 'missing'}:{second}")
    # current-context from the first file that sets it; each entry from the first file defining it.
    assert kubeconfig.view() == kubeconfig.KubeconfigView("prod", "https://eu.example:6443", "alice")
    assert kubeconfig.view(context="dev") == kubeconfig.KubeconfigView("dev", "https://us.example", "bob")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("- a\n- b\n", "its top level is a list, not a mapping"),
        ("a: [\n", "is unusable"),
        (yaml.safe_dump(config(None, {"x": ("c", "u")}, {})), "has no current context; pass --context"),
        (yaml.safe_dump(config("gone", {"x": ("c", "u")}, {})), "context 'gone' not found"),
    ],
)
def test_unusable_files_are_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "config"
    path.write_text(content)
    with pytest.raises(Unreachable, match=message):
        kubeconfig.view(str(path))


def test_a_missing_file_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(Unreachable, match="kubeconfig not found"):
        kubeconfig.view(str(tmp_path / "nowhere"))


def test_it_agrees_with_the_client_on_the_local_control_plane(kubeconfig: str) -> None:
    for context in (None, RESTRICTED_CONTEXT):
        seen = kubeconfig_view = kubeconfig_module_view(kubeconfig, context)
        cluster = Cluster.connect(kubeconfig, context)
        try:
            assert (seen.context, seen.server) == (cluster.context, cluster.server)
        finally:
            cluster.close()
        assert kubeconfig_view.user in ("admin", "restricted")


def kubeconfig_module_view(path: str, context: str | None) -> kubeconfig.KubeconfigView:
    return kubeconfig.view(path, context)
