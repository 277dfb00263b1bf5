"""The TopicShare hotfix story from a shell, with the headless commands; no secret ever printed."""

from __future__ import annotations

import base64
import json
import re

from hotclone.core import demo, kinds
from tests.conftest import Seeded
from tests.helpers import Result, run_cli


def _secret_values(seeded: Seeded) -> set[str]:
    """Every Secret value in every environment of the app (seeded and generated)."""
    values = {demo.secret_value(seeded.app, env, "db-password") for env in ("production", "qa", "development")}
    values.add(demo.secret_value(seeded.app, "shared", "mail-relay"))
    for namespace in seeded.cluster.list(kinds.NAMESPACE, label_selector=f"hotclone.io/app={seeded.app}"):
        for secret in seeded.cluster.list(kinds.SECRET, namespace["metadata"]["name"]):
            if (secret["metadata"].get("labels") or {}).get("hotclone.io/history"):
                continue
            for value in (secret.get("data") or {}).values():
                text = base64.b64decode(value).decode(errors="replace")
                if len(text) >= 12:  # long enough to be a credential, not a user name
                    values.add(text)
    return values


def test_hotfix_story_headless(seeded: Seeded) -> None:
    app, config = seeded.app, seeded.kubeconfig
    outputs: list[Result] = []

    def cli(*argv: str) -> Result:
        result = run_cli(*argv, kubeconfig=config)
        outputs.append(result)
        return result

    assert cli("apps").code == 0
    assert cli("envs", app, "--json").code == 0
    cloned = cli("clone", app, "production", "hotfix-ko", "--yes")
    assert cloned.code == 0, cloned.err
    assert "rewritten" in cloned.out
    assert cli("set-image", app, "hotfix-ko", f"web={app}/web:1.9.4", "--yes").code == 0
    assert cli("set-config", app, "hotfix-ko", "app-settings", "CHARSET=UTF-8", "--yes").code == 0

    diff = cli("diff", app, "production", "hotfix-ko")
    assert diff.code == 1
    assert f"Deployment/web containers[web].image: {app}/web:1.9.3 -> {app}/web:1.9.4" in diff.out
    assert "ConfigMap/app-settings data.CHARSET: ISO-8859-1 -> UTF-8" in diff.out
    narrow = cli("diff", app, "production", "hotfix-ko", "--side-by-side", "--width", "100", "--include-env-scoped")
    assert narrow.code == 1
    assert f"+         image: {app}/web:1.9.4" in narrow.out.splitlines()  # unified below 120 columns
    wide = cli("diff", app, "production", "hotfix-ko", "--side-by-side", "--width", "160")
    assert any(line.endswith(f"|         image: {app}/web:1.9.4") for line in wide.out.splitlines())
    diff_json = cli("diff", app, "production", "hotfix-ko", "--json", "--include-env-scoped")
    assert json.loads(diff_json.out)["same"] is False

    dry = cli("promote", app, "hotfix-ko", "--dry-run")
    assert dry.code == 0 and "PRODUCTION" in dry.out
    promoted = cli("promote", app, "hotfix-ko", "--yes", "--confirm", "production", "--reason", "INC-42", "--no-wait")
    assert promoted.code == 0, promoted.err
    assert cli("diff", app, "production", "hotfix-ko").code == 0

    history = cli("history", app, "production", "--markdown")
    assert "INC-42" in history.out and "`promote` by admin" in history.out
    assert cli("history", app, "hotfix-ko", "--json").code == 0
    rolled = cli(
        "rollback", app, "production", "1", "--yes", "--confirm", "production", "--reason", "undo", "--no-wait"
    )
    assert rolled.code == 0, rolled.err
    web = seeded.cluster.get(kinds.DEPLOYMENT, seeded.namespace("production"), "web")
    assert web["spec"]["template"]["spec"]["containers"][0]["image"] == f"{app}/web:1.9.3"
    dry = cli("promote", app, "hotfix-ko", "--json", "--dry-run")
    assert dry.code == 0, dry.err
    assert cli("destroy", app, "hotfix-ko", "--yes").code == 0
    assert cli("gc", "--dry-run").code == 0
    assert cli("types", "--json").code == 0
    assert cli("whoami").code == 0

    secrets = _secret_values(seeded)
    assert len(secrets) >= 5
    printed = "\n".join(r.text for r in outputs)
    for value in secrets:
        assert value not in printed, "a secret value was printed"
    assert not re.search(r"s3cr3t-[0-9a-f]{20}", printed)
