"""What no screen may ever show: the demo's seeded secret values and the ones clones generate.

Secrets are kept as {label: value}; a leak is reported by its label only, so a failing
test never prints the value. A value is searched as itself, as its base64 (how a Secret
stores it) and as an SVG snapshot escapes either, so a screen that printed a Secret's raw
data would be caught too.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from textual.app import App
from textual.widgets import DataTable, Input, Log, OptionList, Static

from hotclone.core import demo, inventory
from hotclone.core.cluster import Obj
from hotclone.core.normalize import decode_secret_values

# Keys whose values are secret; a Secret's host or username names nothing sensitive.
SENSITIVE_KEYS = ("password", "url", "api-key", "token")
Secrets = dict[str, str]  # label (never the value) -> value


def seeded_secrets(app: str) -> Secrets:
    """Every secret value `demo.seed` gives `app`: each environment's database password, the relay key."""
    found = {f"{app}/{env} db-password": demo.secret_value(app, env, "db-password") for env in demo.VERSIONS}
    found[f"{app} mail-relay api-key"] = demo.secret_value(app, "shared", "mail-relay")
    return found


def secret_values(objects: Iterable[Obj], where: str) -> Secrets:
    """The sensitive values of the Secrets among `objects`, decoded (for scanning only)."""
    return {
        f"{where} {inventory.ref(obj)} {key}": value
        for obj in objects
        if obj.get("kind") == "Secret"
        for key, value in decode_secret_values(obj).items()
        if key in SENSITIVE_KEYS and value
    }


def _escaped(text: str) -> str:
    return text.replace("-", "&#45;").replace("+", "&#43;").replace("/", "&#47;")


def _forms(value: str) -> set[str]:
    encoded = base64.b64encode(value.encode()).decode()
    return {value, encoded, _escaped(value), _escaped(encoded)}


def leaks(text: str, secrets: Secrets) -> list[str]:
    """Labels of the secrets that appear in `text` in any form."""
    return [label for label, value in secrets.items() if any(form in text for form in _forms(value))]


def screen_text(app: App[Any]) -> str:
    """Everything the current screen holds as text, scrolled out of view or not, plus what is visible."""
    screen = app.screen
    parts = [app.export_screenshot()]
    parts += [str(w.render()) for w in screen.query(Static)]
    parts += [w.value for w in screen.query(Input)]
    parts += [line for log in screen.query(Log) for line in log.lines]
    for table in screen.query(DataTable):
        parts += [str(cell) for index in range(table.row_count) for cell in table.get_row_at(index)]
    for options in screen.query(OptionList):
        parts += [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    return "\n".join(parts)
