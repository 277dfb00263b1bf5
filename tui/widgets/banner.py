"""A one-line banner shown while the API server cannot be reached; the app keeps retrying."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.widgets import Static

if TYPE_CHECKING:
    from hotclone.tui.app import HotcloneApp


class ConnectionBanner(Static):
    def on_mount(self) -> None:
        self.watch(cast("HotcloneApp", self.app), "unreachable", self._show)

    def _show(self, message: str) -> None:
        self.display = bool(message)
        self.update(f"⚠ Connection lost: {message} — retrying" if message else "")
