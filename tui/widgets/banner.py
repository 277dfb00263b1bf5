"""A one-line banner shown while the API server cannot be reached (the app keeps retrying) or
while the watches reconnect (the screens keep showing the last state they had)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.content import Content
from textual.widgets import Static

from hotclone.core.display import safe

if TYPE_CHECKING:
    from hotclone.tui.app import HotcloneApp


class ConnectionBanner(Static):
    def on_mount(self) -> None:
        app = cast("HotcloneApp", self.app)
        self.watch(app, "unreachable", lambda _: self._show())
        self.watch(app, "live_state", lambda _: self._show())

    def _show(self) -> None:
        app = cast("HotcloneApp", self.app)
        message = app.unreachable
        if message:
            # The error's text (a proxy's answer, say) as plain text: no control characters, no markup.
            text = f"⚠ Connection lost: {message} — retrying"
        elif app.live_state == "reconnecting":
            error = app.live.error if app.live is not None else ""
            text = f"⚠ Watch interrupted{': ' + error if error else ''} — reconnecting; showing the last state"
        else:
            text = ""
        self.display = bool(text)
        self.update(Content(safe(text)) if text else "")
