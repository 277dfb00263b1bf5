"""Odd kubeconfigs and servers, diffs of added keys, and the merge placeholder (no control plane needed)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import yaml

from hotclone.core import kinds, normalize
from hotclone.core.cluster import Cluster
from hotclone.core.diff import field_changes
from hotclone.core.errors import ServerError, Unreachable
from tests.helpers import run_cli


def _kubeconfig(folder: Path, server: str, user: Mapping[str, object]) -> str:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "ctx",
    }
    path = folder / "config"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def _one_error_line(argv: list[str], kubeconfig: str) -> str:
    result = run_cli(*argv, "--kubeconfig", kubeconfig)
    assert result.code == 2, result.text
    assert "Traceback" not in result.text
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert result.out == ""
    return lines[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("- a\n- b\n", "its top level is a list, not a mapping"),
        ("just text\n", "its top level is a str, not a mapping"),
        ("apiVersion: v1\nclusters: 5\n", "unusable: malformed"),
    ],
)
def test_kubeconfig_of_the_wrong_shape_is_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "config"
    path.write_text(content)
    with pytest.raises(Unreachable, match=message):
        Cluster.connect(str(path))
    assert message in _one_error_line(["apps"], str(path))


def test_a_missing_exec_credential_plugin_stops_before_any_request(tmp_path: Path) -> None:
    # The client logs the failure and would carry on as system:anonymous.
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": str(tmp_path / "no-such-plugin"),
            "interactiveMode": "Never",
        }
    }
    config = _kubeconfig(tmp_path, "https://127.0.0.1:1", user)
    with pytest.raises(Unreachable, match="the credential plugin of context ctx failed: .*no-such-plugin"):
        Cluster.connect(config)
    line = _one_error_line(["apps", "--json"], config)
    assert line.startswith("hotclone: error: the credential plugin of context ctx failed:")


class _Proxy(http.server.BaseHTTPRequestHandler):
    body = b""
    content_type = ""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[type[_Proxy]]:
    handler = type("Handler", (_Proxy,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html><body>Please log in</body></html>", "text/html; charset=utf-8"),
        (b"[]", "application/json"),
        (b'"ok"', "application/json"),
        (b"", "text/plain"),
    ],
)
def test_a_server_that_is_not_the_api_is_an_error(
    tmp_path: Path, proxy: type[_Proxy], body: bytes, content_type: str
) -> None:
    proxy.body, proxy.content_type = body, content_type
    config = _kubeconfig(tmp_path, proxy.url, {"token": "t"})  # type: ignore[attr-defined]
    cluster = Cluster.connect(config)
    with pytest.raises(ServerError, match=f"answered GET /api/v1/namespaces with HTTP 200 and {content_type}"):
        cluster.list(kinds.NAMESPACE)
    line = _one_error_line(["apps", "--json"], config)  # it printed `[]` with exit 0
    assert "not a Kubernetes API object" in line


def test_adding_two_keys_to_a_configmap_reports_each_key() -> None:
    before = {"kind": "ConfigMap", "metadata": {"name": "m"}}
    after = {**before, "data": {"A": "x", "B": "y"}}
    for left in (before, {**before, "data": {}}, {**before, "data": {"C": "1"}}):
        described = [c.describe() for c in field_changes(left, after)]
        assert described[:2] == ["data.A: + x", "data.B: + y"], described
    assert [c.describe() for c in field_changes(after, before)] == ["data.A: - x", "data.B: - y"]


def test_a_removed_container_is_still_one_change() -> None:
    keyed = {"[web]": {"name": "web", "image": "a"}, "[side]": {"name": "side", "image": "b"}}
    left = {"kind": "Deployment", "spec": {"template": {"spec": {"containers": keyed}}}}
    right = {"kind": "Deployment", "spec": {"template": {"spec": {"containers": {"[web]": keyed["[web]"]}}}}}
    assert [c.path for c in field_changes(left, right)] == ["containers[side]"]


@pytest.mark.parametrize(
    "value",
    ["${namespace}", "${namespace}.svc", "$${namespace}", "\ue000n", "\ue000\ue000", "x\ue000"],
)
def test_text_users_write_survives_the_merge_form(value: str) -> None:
    """The merge form's namespace placeholder cannot be written by users: every value round-trips."""
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "m"},
        "data": {"LITERAL": value, "URL": "http://api.ts-hotfix.svc"},
    }
    merged = normalize.for_merge(obj, "ts-hotfix")
    back = normalize.from_merge(merged, "ts-production")
    assert back["data"] == {"LITERAL": value, "URL": "http://api.ts-production.svc"}
    assert back["metadata"]["namespace"] == "ts-production"
