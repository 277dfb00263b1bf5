"""`!`: the full text of the errors shown as notifications (detail on demand)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from hotclone.core.display import safe


class ErrorLogScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__()
        self.errors = errors

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="error-log"):
            yield Static("Errors (newest first)", classes="dialog-title")
            with VerticalScroll():
                if not self.errors:
                    yield Static("No errors.")
                for title, detail in reversed(self.errors):
                    text = f"[b]{safe(title)}[/b]\n{safe(detail, multiline=True)}"
                    yield Static(text, classes="error-entry", markup=False)
