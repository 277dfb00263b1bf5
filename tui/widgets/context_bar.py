"""The safety header: where am I, who am I, and is this production.

One line of text rather than a row of labels: its parts must never be squeezed out of
sight by layout, whatever the width (the server goes first when space runs out).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import events
from textual.widgets import Static

from hotclone.core.display import safe
from hotclone.core.models import ClusterStatus, ConnectionInfo, Environment
from hotclone.tui.clusters import status_text

if TYPE_CHECKING:
    from hotclone.tui.app import HotcloneApp


class ContextBar(Static):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "context-bar--brand",
        "context-bar--muted",
        "context-bar--read-only",
        "context-bar--production",
        "context-bar--waiting",
        "context-bar--down",
    }

    def on_mount(self) -> None:
        app = cast("HotcloneApp", self.app)
        self.watch(app, "connection", lambda _: self._redraw())
        self.watch(app, "focused_env", lambda _: self._redraw())
        self.watch(app, "waiting", lambda _: self._redraw())
        self.watch(app, "clusters", lambda _: self._redraw())

    def on_click(self, event: events.Click) -> None:
        """The badge's way in: the requests of the application the first waiting request is for."""
        app = cast("HotcloneApp", self.app)
        if app.waiting:
            from hotclone.tui.screens.requests import RequestsScreen

            app.push_screen(RequestsScreen(app.waiting[0].app))

    def on_resize(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        app = cast("HotcloneApp", self.app)
        # A context the config file marks production: the whole header turns red (and says so).
        self.set_class(app.connection is not None and app.connection.production_context, "-production-context")
        width, waiting = self.size.width or 80, len(app.waiting)
        self.update(self.compose_text(app.connection, app.focused_env, width, waiting, app.clusters))

    def compose_text(
        self,
        info: ConnectionInfo | None,
        env: Environment | None,
        width: int,
        waiting: int = 0,
        clusters: tuple[ClusterStatus, ...] = (),
    ) -> Text:
        style = self.get_component_rich_style
        text = Text.assemble(("hotclone", style("context-bar--brand")), " ")
        if info is None:
            text.append("connecting…", style("context-bar--muted"))
            return text
        badges = Text()
        if info.read_only:
            badges.append(" "), badges.append(" READ-ONLY ", style("context-bar--read-only"))
        if info.production_context or (env is not None and env.is_production):
            badges.append(" "), badges.append(" PRODUCTION ", style("context-bar--production"))
        # The kubeconfig's names and the identity the server reports: any text.
        context, user, server = safe(info.context), safe(info.user), safe(info.server)
        several = clusters or info.clusters
        if len(several) > 1:
            # Every context, home first, each with its state in a mark and a word (NO_COLOR reads it):
            # the user goes before the server when the line is full (each cluster has its own anyway).
            text.append("ctx: ")
            for index, status in enumerate(several):
                text.append(", " if index else "")
                text.append(status_text(status), None if status.ok else style("context-bar--down"))
            if len(text) + len(badges) + len(user) + 8 <= width:
                text.append(f"  user: {user}")
        else:
            text.append(f"ctx: {context}  user: {user}")
        if waiting:  # words, not a colour: it reads the same with NO_COLOR; shorter when the line is full
            label = f" {waiting} request{'s' if waiting > 1 else ''} waiting for you (a) "
            if len(text) + len(badges) + len(label) + 1 > width:
                label = f" {waiting} to approve (a) "
            badges.append(" "), badges.append(label, style("context-bar--waiting"))
        if len(text) + len(badges) + len(server) + 2 <= width:
            text.append(f"  {server}", style("context-bar--muted"))
        text.append_text(badges)
        return text
