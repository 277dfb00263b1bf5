"""`?`: every key of the screen underneath, with the reason when an action is disabled."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from hotclone.tui.widgets.vim import VimTable

_KEY_NAMES = {"question_mark": "?", "slash": "/", "colon": ":", "exclamation_mark": "!", "escape": "esc"}


def key_label(key: str) -> str:
    return _KEY_NAMES.get(key, key)


def help_rows(screen: Screen[object]) -> list[tuple[str, str, str]]:
    """(key, description, status) for every binding active on `screen`."""
    reason = getattr(screen, "disabled_reason", None)
    rows = []
    for key, active in screen.active_bindings.items():
        description = active.binding.description or active.binding.action.replace("_", " ")
        status = ""
        if not active.enabled:
            why = reason(active.binding.action) if callable(reason) else ""
            status = f"disabled: {why}" if why else "disabled"
        rows.append((key_label(key), description, status))
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help"):
            yield Static("Keys on this screen", classes="dialog-title")
            yield VimTable(id="help-keys")
            yield Static("j/k move in lists · tab next pane · esc back · : palette", classes="hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "action", "")
        for key, description, status in self.rows:
            table.add_row(key, description, status)
