"""Bad input table: exit 2, one line naming the problem, no traceback, no change in the cluster."""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from hotclone.core import demo, envtypes, inventory, kinds, normalize
from hotclone.core.clone import clone
from hotclone.core.cluster import Cluster
from hotclone.core.demo.controlplane import RESTRICTED_CONTEXT, free_port
from hotclone.core.discovery import environment
from hotclone.core.images import parse_spec
from hotclone.core.schema import ANNOTATION_STATE, STATE_CREATING, SYSTEM_NAMESPACE
from tests.conftest import fresh_app
from tests.helpers import kubeconfig_variant, run_cli
from tests.helpers import set_image_as_previewed as apply


@pytest.fixture(scope="module")
def world(admin: Cluster) -> Iterator[dict[str, str]]:
    """One app with a clone `hotfix` and its set-image, plus a type with a broken template."""
    app = fresh_app()
    demo.seed(admin, app)
    clone(admin, environment(admin, app, "production"), "hotfix")
    apply(admin, environment(admin, app, "hotfix"), [parse_spec(f"web={app}/web:1.9.4")], user="test")
    broken = f"broken-{app}"
    configmap = envtypes.type_configmap(
        broken, "kind: ConfigMap\nmetadata:\n  name: x-${oops}\n", "1h", app=app
    )  # its own: other tests never see it
    configmap["metadata"]["name"] = broken
    admin.create(kinds.CONFIGMAP, SYSTEM_NAMESPACE, configmap)
    # A clone interrupted before it finished: still marked as being created.
    clone(admin, environment(admin, app, "production"), "halfway")
    marked = {"metadata": {"annotations": {ANNOTATION_STATE: STATE_CREATING}}}
    admin.patch(kinds.NAMESPACE, None, f"{app}-halfway", marked)
    yield {"app": app, "broken": broken}


class _LoginPage(http.server.BaseHTTPRequestHandler):
    """What a proxy in front of the API server answers when its session expired."""

    def do_GET(self) -> None:
        page = b"<html><body>Please sign in</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def login_page() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _LoginPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _odd_kubeconfig(variant: str, kubeconfig: str, folder: Path, login_page: str) -> str:
    """A kubeconfig that is a list, needs a missing exec plugin, or leads to a login page."""
    path = folder / f"config-{variant}"
    if variant == "list-kubeconfig":
        path.write_text("- apiVersion: v1\n- kind: Config\n")
        return str(path)
    config = yaml.safe_load(Path(kubeconfig).read_text())
    for user in config["users"]:
        if variant == "exec-plugin":
            plugin = {"apiVersion": "client.authentication.k8s.io/v1", "command": str(folder / "no-such-plugin")}
            user["user"] = {"exec": {**plugin, "interactiveMode": "Never"}}
    if variant == "html-proxy":
        for entry in config["clusters"]:
            entry["cluster"] = {"server": login_page}
    path.write_text(yaml.safe_dump(config))
    return str(path)


def _state(cluster: Cluster, app: str) -> str:
    """A fingerprint of everything the app owns: namespaces and their objects' content."""
    parts: list[tuple[str, str, object]] = []
    for namespace in sorted(
        n["metadata"]["name"] for n in cluster.list(kinds.NAMESPACE, label_selector=f"hotclone.io/app={app}")
    ):
        for obj in inventory.load(cluster, namespace):
            parts.append((namespace, inventory.ref(obj), normalize.for_compare(obj, namespace)))
        history = cluster.list(kinds.SECRET, namespace, label_selector="hotclone.io/history")
        parts.append((namespace, "history", sorted(s["metadata"]["name"] for s in history)))
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


# (id, argv with {app}/{broken} placeholders, regex the one line must match, kubeconfig variant)
CASES: list[tuple[str, list[str], str, str]] = [
    ("clone-bad-name", ["clone", "{app}", "production", "Hot_Fix", "--yes"], "invalid environment name 'Hot_Fix'", ""),
    ("clone-too-long", ["clone", "{app}", "production", "x" * 58, "--yes"], "too long", ""),
    ("clone-unknown-source", ["clone", "{app}", "staging", "x", "--yes"], "unknown environment 'staging'", ""),
    ("clone-unknown-app", ["clone", "nosuchapp", "production", "x", "--yes"], "unknown application 'nosuchapp'", ""),
    (
        "clone-unknown-type",
        ["clone", "{app}", "production", "x", "--type", "nope", "--yes"],
        "unknown environment type 'nope'",
        "",
    ),
    ("clone-existing", ["clone", "{app}", "production", "qa", "--yes"], "already exists", ""),
    ("clone-bad-ttl", ["clone", "{app}", "production", "x", "--ttl", "5y", "--yes"], "invalid duration '5y'", ""),
    ("clone-no-terminal", ["clone", "{app}", "production", "x"], "not a terminal and no --yes", ""),
    (
        "clone-broken-template",
        ["clone", "{app}", "production", "x", "--type", "{broken}", "--yes"],
        r"template document 1: unknown placeholder \$\{oops\}",
        "",
    ),
    ("clone-restricted", ["clone", "{app}", "production", "x", "--yes"], "forbidden|cannot create", "restricted"),
    ("clone-read-only", ["clone", "{app}", "production", "x", "--yes", "--read-only"], "read-only mode", ""),
    (
        "set-image-production",
        ["set-image", "{app}", "production", "web=a:1", "--yes"],
        "production: images there change only through promote or rollback",
        "",
    ),
    (
        "set-image-bad-ref",
        ["set-image", "{app}", "hotfix", "web=Web:1", "--yes"],
        "must be lowercase|invalid image reference",
        "",
    ),
    (
        "set-image-no-equals",
        ["set-image", "{app}", "hotfix", "web", "--yes"],
        r"expected WORKLOAD\[/CONTAINER\]=IMAGE",
        "",
    ),
    ("set-image-unknown-workload", ["set-image", "{app}", "hotfix", "nope=a:1", "--yes"], "no workload 'nope'", ""),
    (
        "set-image-unknown-container",
        ["set-image", "{app}", "hotfix", "web/nope=a:1", "--yes"],
        "no container 'nope'",
        "",
    ),
    (
        "set-image-bad-digest",
        ["set-image", "{app}", "hotfix", "web=a@sha256:123", "--yes"],
        "invalid image reference",
        "",
    ),
    ("set-image-no-terminal", ["set-image", "{app}", "hotfix", "web=a:2"], "not a terminal", ""),
    ("set-image-restricted", ["set-image", "{app}", "hotfix", "web=a:2", "--yes"], "forbidden|cannot", "restricted"),
    (
        "set-config-production",
        ["set-config", "{app}", "production", "app-settings", "CHARSET=x", "--yes"],
        "configuration changes only through promote",
        "",
    ),
    ("set-config-unknown-map", ["set-config", "{app}", "hotfix", "nope", "A=1", "--yes"], "no ConfigMap 'nope'", ""),
    (
        "set-config-bad-key",
        ["set-config", "{app}", "hotfix", "app-settings", "a b=1", "--yes"],
        "invalid ConfigMap key",
        "",
    ),
    ("set-config-no-terminal", ["set-config", "{app}", "hotfix", "app-settings", "CHARSET=x"], "not a terminal", ""),
    ("diff-unknown-env", ["diff", "{app}", "production", "nope"], "unknown environment 'nope'", ""),
    ("diff-bad-env-name", ["diff", "{app}", "Prod", "qa"], "invalid environment name 'Prod'", ""),
    ("promote-not-a-clone", ["promote", "{app}", "production", "--yes"], "not cloned from another environment", ""),
    ("promote-onto-itself", ["promote", "{app}", "qa", "qa", "--yes"], "onto itself", ""),
    ("promote-no-confirm", ["promote", "{app}", "hotfix", "--yes", "--reason", "x"], "pass --confirm production", ""),
    (
        "promote-wrong-confirm",
        ["promote", "{app}", "hotfix", "--yes", "--confirm", "prod", "--reason", "x"],
        "pass --confirm production",
        "",
    ),
    ("promote-no-terminal", ["promote", "{app}", "hotfix"], "not a terminal", ""),
    (
        "promote-other-app",
        ["promote", "{app}", "hotfix", "nosuchenv", "--yes"],
        "unknown environment 'nosuchenv' of application",
        "",
    ),
    (
        "promote-read-only",
        ["promote", "{app}", "hotfix", "--yes", "--confirm", "production", "--read-only"],
        "read-only mode",
        "",
    ),
    (
        "promote-restricted",
        ["promote", "{app}", "hotfix", "--yes", "--confirm", "production", "--reason", "x"],
        "forbidden|cannot",
        "restricted",
    ),
    ("rollback-unknown-revision", ["rollback", "{app}", "hotfix", "99", "--yes"], "unknown revision 99", ""),
    ("rollback-of-clone-creation", ["rollback", "{app}", "hotfix", "1", "--yes"], "nothing to roll back to", ""),
    ("rollback-not-a-number", ["rollback", "{app}", "hotfix", "latest", "--yes"], "invalid int value", ""),
    ("history-unknown-env", ["history", "{app}", "nope"], "unknown environment 'nope'", ""),
    ("destroy-production", ["destroy", "{app}", "production", "--yes"], "never destroys", ""),
    ("destroy-qa", ["destroy", "{app}", "qa", "--yes"], "never destroys", ""),
    ("destroy-unknown", ["destroy", "{app}", "nope", "--yes"], "unknown environment 'nope'", ""),
    ("destroy-no-terminal", ["destroy", "{app}", "hotfix"], "not a terminal", ""),
    ("gc-read-only", ["gc", "--yes", "--read-only"], "read-only mode", ""),
    ("apps-missing-kubeconfig", ["apps"], "kubeconfig not found", "missing"),
    ("apps-unreachable", ["apps"], "cannot reach the API server", "unreachable"),
    ("apps-bad-token", ["apps"], "rejected the credentials", "bad-token"),
    ("envs-unknown-context", ["envs", "{app}", "--context", "nope"], "context 'nope' not found", "no-context"),
    ("unknown-command", ["frobnicate"], "invalid choice", ""),
    # Names that reach a URL path: validated before any request, never a path or a query.
    (
        "set-config-path-into-production",
        ["set-config", "{app}", "hotfix", "../../{app}-production/configmaps/app-settings", "K=V", "--yes"],
        r"^hotclone: error: invalid ConfigMap name '\.\./\.\./",
        "",
    ),
    (
        "set-config-path-outside-the-app",
        ["set-config", "{app}", "hotfix", "../../kube-system/configmaps/x", "K=V", "--yes"],
        "invalid ConfigMap name '../../kube-system/configmaps/x'",
        "",
    ),
    (
        "set-config-query-in-name",
        ["set-config", "{app}", "hotfix", "app-settings?dryRun=All", "K=V", "--yes"],
        r"invalid ConfigMap name 'app-settings\?dryRun=All'",
        "",
    ),
    (
        "set-config-secret-as-configmap",
        ["set-config", "{app}", "hotfix", "../secrets/mail-relay", "api-key=x", "--yes"],
        "invalid ConfigMap name '../secrets/mail-relay'",
        "",
    ),
    (
        "set-config-name-newline",
        ["set-config", "{app}", "hotfix", "app-settings\n", "K=V", "--yes"],
        "invalid ConfigMap name",
        "",
    ),
    (
        "set-config-incomplete-clone",
        ["set-config", "{app}", "halfway", "app-settings", "CHARSET=UTF-8", "--yes"],
        "halfway is incomplete",
        "",
    ),
    ("set-image-incomplete-clone", ["set-image", "{app}", "halfway", "web=a:2", "--yes"], "is incomplete", ""),
    (
        "set-image-workload-path",
        ["set-image", "{app}", "hotfix", "../../x=a:1", "--yes"],
        "invalid workload name '..'",
        "",
    ),
    (
        "set-image-workload-query",
        ["set-image", "{app}", "hotfix", "web?dryRun=All=a:1", "--yes"],
        r"invalid workload name 'web\?dryRun'",
        "",
    ),
    ("set-image-unicode-tag", ["set-image", "{app}", "hotfix", "web=a:1.9.4-\u00fc", "--yes"], "invalid image", ""),
    (
        "set-image-arabic-indic-tag",
        ["set-image", "{app}", "hotfix", "web=a:\u0661.\u0669.\u0664", "--yes"],
        "invalid image reference",
        "",
    ),
    ("set-image-same-container-twice", ["set-image", "{app}", "hotfix", "web=a:1", "web=a:2", "--yes"], "twice", ""),
    ("set-image-named-two-ways", ["set-image", "{app}", "hotfix", "web=a:1", "web/web=a:2", "--yes"], "twice", ""),
    ("clone-name-newline", ["clone", "{app}", "production", "fix\n", "--yes"], "invalid environment name", ""),
    ("envs-app-newline", ["envs", "{app}\n"], "invalid application name", ""),
    ("clone-ttl-huge", ["clone", "{app}", "production", "x", "--ttl", "999999999h", "--yes"], "at most 365 days", ""),
    (
        "clone-ttl-overflow",
        ["clone", "{app}", "production", "x", "--ttl", "99999999999999999999d", "--yes"],
        "at most 365 days",
        "",
    ),
    ("promote-timeout-negative", ["promote", "{app}", "hotfix", "--timeout", "-1", "--yes"], "invalid number", ""),
    ("promote-timeout-nan", ["promote", "{app}", "hotfix", "--timeout", "nan", "--yes"], "invalid number", ""),
    ("demo-seed-only-read-only", ["demo", "--seed-only", "--read-only"], "read-only mode", ""),
    ("apps-kubeconfig-is-a-list", ["apps"], "top level is a list", "list-kubeconfig"),
    ("apps-exec-plugin-missing", ["apps", "--json"], "credential plugin of context .* failed", "exec-plugin"),
    ("apps-html-login-page", ["apps", "--json"], "text/html, not a Kubernetes API object", "html-proxy"),
]


@pytest.mark.parametrize(("argv", "pattern", "variant"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(
    argv: list[str],
    pattern: str,
    variant: str,
    world: dict[str, str],
    admin: Cluster,
    kubeconfig: str,
    tmp_path: Path,
    login_page: str,
) -> None:
    args = [a.format(**world) for a in argv]
    before = _state(admin, world["app"])
    context = "hotclone-local"
    config: str | None = kubeconfig
    if variant == "restricted":
        context = RESTRICTED_CONTEXT
    elif variant == "missing":
        config = str(tmp_path / "does-not-exist")
    elif variant == "unreachable":
        config = kubeconfig_variant(kubeconfig, tmp_path, server=f"https://127.0.0.1:{free_port()}")
    elif variant == "bad-token":
        config = kubeconfig_variant(kubeconfig, tmp_path, token="expired")
    elif variant in ("list-kubeconfig", "exec-plugin", "html-proxy"):
        config = _odd_kubeconfig(variant, kubeconfig, tmp_path, login_page)
    if variant == "no-context":
        result = run_cli(*args, "--kubeconfig", kubeconfig)
    else:
        result = run_cli(*args, kubeconfig=config, context=context)
    assert result.code == 2, result.text
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.text
    assert lines[0].startswith("hotclone: error: ")
    assert re.search(pattern, lines[0], re.IGNORECASE), lines[0]
    assert _state(admin, world["app"]) == before, "the cluster changed"


def test_table_is_big_enough() -> None:
    assert len(CASES) >= 30


def test_dashboard_refuses_a_missing_kubeconfig_before_opening(tmp_path: Path) -> None:
    # Had the dashboard opened, this would block: the error comes first, as a line.
    result = run_cli("--kubeconfig", str(tmp_path / "nope"))
    assert result.code == 2
    assert (
        result.err.strip()
        == f"hotclone: error: kubeconfig not found: {tmp_path / 'nope'} (use --kubeconfig or set KUBECONFIG)"
    )


def test_a_secret_named_as_a_configmap_is_never_read_or_printed(
    world: dict[str, str], admin: Cluster, kubeconfig: str
) -> None:
    app = world["app"]
    secret = admin.get(kinds.SECRET, f"{app}-hotfix", "mail-relay")
    values = normalize.decode_secret_values(secret).values()
    for name in ("../secrets/mail-relay", "../../" + app + "-hotfix/secrets/mail-relay"):
        result = run_cli("set-config", app, "hotfix", name, "api-key=x", "--yes", "--json", kubeconfig=kubeconfig)
        assert result.code == 2, result.text
        assert "invalid ConfigMap name" in result.err
        assert not any(value in result.text for value in values if value), "a secret value was printed"
