"""Set config changes only the named keys, never production, and refuses racing edits."""

from __future__ import annotations

import pytest

from hotclone.core import configmap_values, kinds
from hotclone.core.configmap_values import parse_assignment, plan
from hotclone.core.errors import Conflict, InvalidInput, NotFound, Refused
from tests.conftest import Seeded
from tests.helpers import set_config_as_previewed as apply


def _settings(seeded: Seeded, env: str) -> dict[str, str]:
    return dict(seeded.cluster.get(kinds.CONFIGMAP, seeded.namespace(env), "app-settings")["data"])


def test_set_config_changes_only_the_named_key_and_records_history(seeded: Seeded) -> None:
    before = _settings(seeded, "qa")
    changes, diff = plan(seeded.cluster, seeded.env("qa"), "app-settings", {"CHARSET": "EUC-KR"})
    assert [(c.key, c.old, c.new) for c in changes] == [("CHARSET", "UTF-8", "EUC-KR")]
    assert [c.describe() for o in diff.changed for c in o.changes] == ["data.CHARSET: UTF-8 -> EUC-KR"]
    assert _settings(seeded, "qa") == before  # planning changes nothing
    apply(seeded.cluster, seeded.env("qa"), "app-settings", {"CHARSET": "EUC-KR", "NEW_KEY": "a=b"}, user="u")
    assert _settings(seeded, "qa") == {**before, "CHARSET": "EUC-KR", "NEW_KEY": "a=b"}
    (entry,) = [e for e in seeded.session.history(seeded.env("qa")) if e.action == "set-config"]
    assert "ConfigMap/app-settings data.CHARSET: UTF-8 -> EUC-KR" in entry.summary


def test_production_unknown_configmap_and_bad_keys(seeded: Seeded) -> None:
    cluster = seeded.cluster
    with pytest.raises(Refused, match="promote or rollback"):
        apply(cluster, seeded.env("production"), "app-settings", {"CHARSET": "UTF-8"}, user="u")
    with pytest.raises(NotFound, match="no ConfigMap 'nope'"):
        apply(cluster, seeded.env("qa"), "nope", {"A": "1"}, user="u")
    with pytest.raises(InvalidInput, match="invalid ConfigMap key"):
        parse_assignment("bad key=1")
    with pytest.raises(InvalidInput, match="expected KEY=VALUE"):
        parse_assignment("novalue")
    assert _settings(seeded, "production")["CHARSET"] == "ISO-8859-1"


def test_racing_edit_of_the_same_key_is_refused(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = seeded.cluster
    original = cluster.json_patch

    def someone_else_first(*args: object, **kwargs: object) -> object:
        live = cluster.get(kinds.CONFIGMAP, seeded.namespace("qa"), "app-settings")
        live["data"]["CHARSET"] = "Shift_JIS"
        cluster.replace(kinds.CONFIGMAP, seeded.namespace("qa"), live)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cluster, "json_patch", someone_else_first)
    with pytest.raises(Conflict, match="changed while it was being edited"):
        apply(cluster, seeded.env("qa"), "app-settings", {"CHARSET": "EUC-KR"}, user="u")
    assert _settings(seeded, "qa")["CHARSET"] == "Shift_JIS"


def test_a_value_changed_after_the_preview_is_not_overwritten(seeded: Seeded) -> None:
    """Before: apply re-read the ConfigMap and guarded against that fresh value, overwriting a colleague."""
    cluster, qa = seeded.cluster, seeded.env("qa")
    shown, _ = plan(cluster, qa, "app-settings", {"CHARSET": "EUC-KR"})
    cluster.patch(kinds.CONFIGMAP, seeded.namespace("qa"), "app-settings", {"data": {"CHARSET": "Shift_JIS"}})
    with pytest.raises(Conflict, match="changed since the preview"):
        configmap_values.apply(cluster, qa, "app-settings", {"CHARSET": "EUC-KR"}, seen=shown, user="u")
    assert _settings(seeded, "qa")["CHARSET"] == "Shift_JIS"
