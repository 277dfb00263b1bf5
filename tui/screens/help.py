"""`?`: every key of the screen underneath, with the reason when an action is disabled."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from hotclone.tui.widgets.vim import VimTable

_KEY_NAMES = {"question_mark": "?", "slash": "/", "colon": ":", "exclamation_mark": "!", "escape": "esc"}


def _own_actions(node: DOMNode) -> set[str]:
    """Actions bound by hotclone's classes, not Textual's defaults (tab, copy, quit...)."""
    return {
        b.action
        for cls in type(node).__mro__
        if cls.__module__.startswith("hotclone.")
        for b in cls.__dict__.get("BINDINGS", [])
        if isinstance(b, Binding)
    }


def key_label(key: str) -> str:
    return _KEY_NAMES.get(key, key)


def help_rows(screen: Screen[object]) -> list[tuple[str, str, str]]:
    """(key, description, status) for every binding active on `screen`: the screen's own keys
    first (those the footer had no room for among them), then the app's, then moving in lists."""
    reason = getattr(screen, "disabled_reason", None)
    rows = []
    order = [screen, screen.app]

    def rank(item: tuple[str, ActiveBinding]) -> int:
        node, action = item[1].node, item[1].binding.action
        return order.index(node) if node in order and action in _own_actions(node) else len(order)

    for key, active in sorted(screen.active_bindings.items(), key=rank):
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
        self.call_after_refresh(self._fill)  # the reasons wrap in the width the dialog gets

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        keys, actions = (max((len(row[i]) for row in self.rows), default=0) for i in (0, 1))
        room = table.size.width - table.styles.scrollbar_size_vertical - 6 * table.cell_padding
        table.clear(columns=True)
        table.add_column("key", width=max(keys, 3))
        table.add_column("action", width=max(actions, 6))
        table.add_column("", width=max(room - keys - actions, 12))
        for key, description, status in self.rows:
            table.add_row(key, description, status, height=None)  # a long reason wraps, never cut
