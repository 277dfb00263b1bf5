"""The safety header: where am I, who am I, and is this production."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from core.models import ConnectionInfo, Environment

if TYPE_CHECKING:
    from tui.app import HotcloneApp


class ContextBar(Horizontal):
    def compose(self) -> ComposeResult:
        yield Label("hotclone", id="brand")
        yield Label("connecting…", id="ctx")
        yield Label("", id="server")
        yield Label("", id="user")
        yield Label("READ-ONLY", id="read-only-badge", classes="badge")
        yield Label("", id="prod-marker", classes="badge")

    def on_mount(self) -> None:
        app = cast("HotcloneApp", self.app)
        self.watch(app, "connection", self._show_connection)
        self.watch(app, "focused_env", self._show_environment)

    def _show_connection(self, info: ConnectionInfo | None) -> None:
        if info is None:
            return
        self.query_one("#ctx", Label).update(f"ctx: {info.context}")
        self.query_one("#server", Label).update(info.server)
        self.query_one("#user", Label).update(f"user: {info.user}")
        self.query_one("#read-only-badge").display = info.read_only

    def _show_environment(self, env: Environment | None) -> None:
        marker = self.query_one("#prod-marker", Label)
        marker.display = bool(env and env.is_production)
        marker.update("PRODUCTION" if env and env.is_production else "")
