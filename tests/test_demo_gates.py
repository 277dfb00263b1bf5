"""The README's hotfix story with the demo's gates (`hotclone demo` seeds them): TopicShare's
production needs a current, passed verification of the clone and an approval by a second
person, which the API server enforces. Run through the command line, as the README shows it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from hotclone.core import demo, envtypes, kinds
from hotclone.core.cluster import Cluster
from hotclone.core.demo.controlplane import APPROVER_CONTEXT
from hotclone.core.demo.seeding import gated_production_type
from hotclone.core.schema import SYSTEM_NAMESPACE
from tests.conftest import fresh_app
from tests.helpers import run_cli


@pytest.fixture
def gated_app(admin: Cluster) -> Iterator[str]:
    app = fresh_app()
    demo.seed(admin, app, gates=True)
    yield app
    for namespace in admin.list(kinds.NAMESPACE, label_selector=f"hotclone.io/app={app}"):
        admin.delete(kinds.NAMESPACE, None, namespace["metadata"]["name"])
    admin.delete(kinds.CONFIGMAP, SYSTEM_NAMESPACE, gated_production_type(app)["metadata"]["name"])


def test_the_readme_story_passes_both_gates(admin: Cluster, kubeconfig: str, gated_app: str) -> None:
    app = gated_app

    def cli(*argv: str, context: str | None = None) -> tuple[int, str]:
        result = run_cli(*argv, kubeconfig=kubeconfig, **({"context": context} if context else {}))
        return result.code, result.out + result.err

    production = envtypes.load(admin, "production", app)
    assert production.require_verification and production.approvals == 1
    assert cli("clone", app, "production", "hotfix-ko", "--yes")[0] == 0

    code, text = cli("verify", app, "hotfix-ko")  # the clone still runs the incident's 1.9.3
    assert code == 1 and "smoke: failed" in text and "Hangul renders as mojibake" in text
    assert cli("set-image", app, "hotfix-ko", f"web={app}/web:1.9.4", "--yes")[0] == 0
    assert cli("set-config", app, "hotfix-ko", "app-settings", "CHARSET=UTF-8", "--yes")[0] == 0
    code, text = cli("promote", app, "hotfix-ko", "--reason", "INC-4711 Hangul", "--yes")
    assert code == 2 and "verif" in text.splitlines()[-1], text  # the first gate: nothing requested
    code, text = cli("requests", app)
    assert code == 0 and "r-" not in text
    code, text = cli("verify", app, "hotfix-ko", "--compare")
    assert code == 0 and "smoke: passed" in text
    assert re.search(r"production.*smoke: failed|smoke.*production.*failed", text, re.S), text

    code, text = cli("promote", app, "hotfix-ko", "--reason", "INC-4711 Hangul", "--yes")
    assert code == 0, text
    request = re.search(r"requested (r-[a-z0-9]+)", text)
    assert request, text
    rid = request.group(1)
    assert f"{app}/web:1.9.3" in str(admin.get(kinds.DEPLOYMENT, f"{app}-production", "web"))  # not yet

    code, text = cli("approve", app, "production", rid, "--yes")  # the requester cannot approve
    assert code == 2 and "own" in text
    code, text = cli("requests", app, context=APPROVER_CONTEXT)
    assert code == 0 and rid in text and "pending" in text
    code, text = cli("approve", app, "production", rid, "--yes", context=APPROVER_CONTEXT)
    assert code == 0, text

    code, text = cli(
        "promote", app, "hotfix-ko", "--request", rid, "--reason", "INC-4711 Hangul", "--yes",
        "--confirm", "production", "--no-wait",
    )  # fmt: skip
    assert code == 0, text
    web = admin.get(kinds.DEPLOYMENT, f"{app}-production", "web")
    assert web["spec"]["template"]["spec"]["containers"][0]["image"] == f"{app}/web:1.9.4"
    code, text = cli("history", app, "production", "--markdown")
    assert code == 0 and "approved by approver" in text and rid in text
    code, text = cli("requests", app, "production")
    assert code == 0 and re.search(rf"{rid}\s.*applied", text), text  # used once: applied, not pending
