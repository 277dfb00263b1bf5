"""A read-only text dialog (revision summaries, long details)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from hotclone.core.display import safe


class TextModal(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close")]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.title_text, self.body = safe(title), safe(body, multiline=True)  # cluster text, shown as is

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="text-modal"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            with VerticalScroll():
                yield Static(self.body, id="text-body", markup=False)
