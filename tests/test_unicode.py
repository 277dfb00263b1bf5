"""Non-ASCII values on the real API server: JSON patches go out as raw UTF-8."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hotclone.core import kinds
from hotclone.core.clone import clone
from tests.conftest import Seeded
from tests.helpers import run_cli

HANGUL = "한국어 UTF-8"


def _settings(seeded: Seeded, env: str) -> dict[str, str]:
    return dict(seeded.cluster.get(kinds.CONFIGMAP, seeded.namespace(env), "app-settings")["data"])


def _set_config(seeded: Seeded, env: str, *settings: str) -> None:
    result = run_cli(
        "set-config", seeded.app, env, "app-settings", *settings, "--yes", "--json", kubeconfig=seeded.kubeconfig
    )
    assert result.code == 0, result.text


def test_a_key_holding_hangul_can_be_set_again(seeded: Seeded) -> None:
    # The API server's `test` compares raw bytes: an escaped "\ud55c..." body never matched
    # the stored "한...", so every later set-config of that key answered 422.
    clone(seeded.cluster, seeded.env("production"), "hotfix", user="alice")
    _set_config(seeded, "hotfix", f"GREETING={HANGUL}", "CHARSET=UTF-8")
    assert _settings(seeded, "hotfix")["GREETING"] == HANGUL
    _set_config(seeded, "hotfix", "GREETING=안녕하세요 😀")
    assert _settings(seeded, "hotfix")["GREETING"] == "안녕하세요 😀"
    _set_config(seeded, "hotfix", "GREETING=plain")
    assert _settings(seeded, "hotfix")["GREETING"] == "plain"


def test_bodies_are_sent_as_raw_utf8(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = seeded.cluster
    sent: list[bytes] = []
    pool = cluster._api.rest_client.pool_manager  # what the request goes through
    original = pool.request

    def recording(method: str, url: str, **kwargs: Any) -> Any:
        if kwargs.get("body") is not None:
            sent.append(kwargs["body"])
        return original(method, url, **kwargs)

    monkeypatch.setattr(pool, "request", recording)
    namespace = seeded.namespace("qa")
    operations = [
        {"op": "test", "path": "/data/CHARSET", "value": _settings(seeded, "qa")["CHARSET"]},
        {"op": "replace", "path": "/data/CHARSET", "value": HANGUL},
    ]
    cluster.json_patch(kinds.CONFIGMAP, namespace, "app-settings", operations)
    assert HANGUL.encode() in sent[-1] and b"\\u" not in sent[-1]
    assert json.loads(sent[-1]) == operations
    # ...and the `test` of a stored Hangul value now matches.
    operations = [
        {"op": "test", "path": "/data/CHARSET", "value": HANGUL},
        {"op": "replace", "path": "/data/CHARSET", "value": "UTF-8"},
    ]
    cluster.json_patch(kinds.CONFIGMAP, namespace, "app-settings", operations)
    assert _settings(seeded, "qa")["CHARSET"] == "UTF-8"
