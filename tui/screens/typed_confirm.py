"""A change in a context the config file marks production: confirmed by typing the context's name."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from hotclone.core.display import safe


class TypedConfirmModal(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, body: str, expected: str) -> None:
        super().__init__()
        self.title_text, self.body, self.expected = safe(title), safe(body, multiline=True), expected

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog danger", id="typed-confirm"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.body, markup=False)
            # Words, not only the red border: the warning reads the same without colour (NO_COLOR).
            yield Static(
                f"PRODUCTION context: type {safe(self.expected)!r} to confirm",
                classes="production-warning",
                markup=False,
            )
            yield Label("Context name", classes="field-label")
            yield Input("", id="typed-name")  # no placeholder: without colour it would read as typed
            yield Static("", id="typed-error", classes="error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Confirm (enter)", id="yes", variant="error", disabled=True)
                yield Button("Cancel (esc)", id="no")

    def on_mount(self) -> None:
        self.query_one("#typed-name", Input).focus()

    @on(Input.Changed, "#typed-name")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#yes", Button).disabled = event.value != self.expected
        self.query_one("#typed-error", Static).update("")

    @on(Input.Submitted, "#typed-name")
    @on(Button.Pressed, "#yes")
    def _submit(self) -> None:
        if self.query_one("#typed-name", Input).value == self.expected:
            self.dismiss(True)
        else:
            self.query_one("#typed-error", Static).update(f"Type {safe(self.expected)!r} exactly: nothing was changed.")

    @on(Button.Pressed, "#no")
    def action_cancel(self) -> None:
        self.dismiss(False)
