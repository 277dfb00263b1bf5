"""Command palette (`:` or ctrl+p): jump to any app/environment, run any action of the main screen."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from textual.binding import Binding
from textual.command import Hit, Hits, Provider

from hotclone.tui import clusters

if TYPE_CHECKING:
    from hotclone.tui.app import HotcloneApp


def palette_actions() -> list[tuple[str, str]]:
    """(action, text) for every main-screen key with a tooltip, in the footer or not: built from
    its bindings, never a second list."""
    from hotclone.tui.screens.main import MainScreen

    return [(b.action, b.tooltip) for b in MainScreen.BINDINGS if isinstance(b, Binding) and b.tooltip]


class HotcloneCommands(Provider):
    def _targets(self) -> list[tuple[str, str]]:
        app = cast("HotcloneApp", self.app)
        main = app.main_screen
        out = []
        for application in main.applications:
            out.append((f"Go to {application.name}", f"app:{application.name}"))
            for e in application.environments:
                shown = f"{e.app}/{e.address}" if main.several else e.ref
                out.append((f"Go to {shown} ({e.type})", clusters.key(e)))
        return out

    async def search(self, query: str) -> Hits:
        app = cast("HotcloneApp", self.app)
        main = app.main_screen
        matcher = self.matcher(query)
        for text, key in self._targets():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(main.focus_row, key), help="jump")
        for action, text in palette_actions():
            score = matcher.match(text)
            if score > 0:
                allowed = main.check_action(action, ()) is True
                label = text if allowed else f"{text} (disabled: {main.disabled_reason(action)})"
                yield Hit(score, matcher.highlight(label), partial(main.run_palette_action, action))
