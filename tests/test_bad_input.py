"""Bad input table: exit 2, one line naming the problem, no traceback, no change in the cluster."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotclone.core import demo, envtypes, inventory, kinds, normalize
from hotclone.core.clone import clone
from hotclone.core.cluster import Cluster
from hotclone.core.demo.controlplane import RESTRICTED_CONTEXT, free_port
from hotclone.core.discovery import environment
from hotclone.core.images import apply, parse_spec
from hotclone.core.schema import SYSTEM_NAMESPACE
from tests.conftest import fresh_app
from tests.helpers import kubeconfig_variant, run_cli


@pytest.fixture(scope="module")
def world(admin: Cluster) -> Iterator[dict[str, str]]:
    """One app with a clone `hotfix` and its set-image, plus a type with a broken template."""
    app = fresh_app()
    demo.seed(admin, app)
    clone(admin, environment(admin, app, "production"), "hotfix")
    apply(admin, environment(admin, app, "hotfix"), [parse_spec(f"web={app}/web:1.9.4")], user="test")
    broken = f"broken-{app}"
    configmap = envtypes.type_configmap(broken, "kind: ConfigMap\nmetadata:\n  name: x-${oops}\n", "1h")
    configmap["metadata"]["name"] = broken
    admin.create(kinds.CONFIGMAP, SYSTEM_NAMESPACE, configmap)
    yield {"app": app, "broken": broken}


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
    ("promote-no-confirm", ["promote", "{app}", "hotfix", "--yes"], "pass --confirm production", ""),
    (
        "promote-wrong-confirm",
        ["promote", "{app}", "hotfix", "--yes", "--confirm", "prod"],
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
        ["promote", "{app}", "hotfix", "--yes", "--confirm", "production"],
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
]


@pytest.mark.parametrize(("argv", "pattern", "variant"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(
    argv: list[str], pattern: str, variant: str, world: dict[str, str], admin: Cluster, kubeconfig: str, tmp_path: Path
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
