"""A one-line banner shown while the API server cannot be reached; the app keeps retrying."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.content import Content
from textual.widgets import Static

from hotclone.core.display import safe

if TYPE_CHECKING:
    from hotclone.tui.app import HotcloneApp


class ConnectionBanner(Static):
    def on_mount(self) -> None:
        self.watch(cast("HotcloneApp", self.app), "unreachable", self._show)

    def _show(self, message: str) -> None:
        self.display = bool(message)
        # The error's text (a proxy's answer, say) as plain text: no control characters, no markup.
        self.update(Content(safe(f"⚠ Connection lost: {message} — retrying")) if message else "")
