"""Connecting like kubectl: kubeconfig, context, identity; clear errors when it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotclone.core.cluster import Cluster
from hotclone.core.demo.controlplane import ADMIN_CONTEXT, RESTRICTED_CONTEXT
from hotclone.core.errors import Forbidden, Unreachable
from hotclone.core.session import Session
from tests.helpers import kubeconfig_variant


def test_identity_context_and_server(kubeconfig: str, plane: object) -> None:
    session = Session.connect(kubeconfig, RESTRICTED_CONTEXT, read_only=True)
    info = session.connection_info()
    assert (info.context, info.user, info.read_only) == (RESTRICTED_CONTEXT, "restricted", True)
    assert info.server == plane.server  # type: ignore[attr-defined]
    session.close()


def test_kubeconfig_env_variable_and_current_context(kubeconfig: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", kubeconfig)
    cluster = Cluster.connect()
    assert cluster.context == ADMIN_CONTEXT
    assert cluster.whoami().username == "admin"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "kubeconfig not found"),
        ("{not yaml: [", "unusable"),
        ("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n", "unusable|no current context"),
    ],
)
def test_broken_kubeconfig(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "config"
    if content is not None:
        path.write_text(content)
    with pytest.raises(Unreachable, match=message) as error:
        Cluster.connect(str(path))
    assert "\n" not in str(error.value)


def test_unknown_context(kubeconfig: str) -> None:
    with pytest.raises(Unreachable, match="context 'nope' not found"):
        Cluster.connect(kubeconfig, "nope")


def test_unreachable_server_is_one_clear_line(kubeconfig: str, tmp_path: Path) -> None:
    from hotclone.core.demo.controlplane import free_port

    path = kubeconfig_variant(kubeconfig, tmp_path, server=f"https://127.0.0.1:{free_port()}")
    cluster = Cluster.connect(path, ADMIN_CONTEXT)
    with pytest.raises(Unreachable, match="cannot reach the API server at https://127.0.0.1:") as error:
        cluster.whoami()
    assert "\n" not in str(error.value)


def test_expired_or_wrong_credentials(kubeconfig: str, tmp_path: Path) -> None:
    path = kubeconfig_variant(kubeconfig, tmp_path, token="expired-token")
    with pytest.raises(Forbidden, match="rejected the credentials"):
        Cluster.connect(path, ADMIN_CONTEXT).whoami()
