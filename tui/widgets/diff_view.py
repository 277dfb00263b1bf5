"""Two YAML texts as a diff that fits its width: unified when narrow, side by side when wide.

Below SIDE_BY_SIDE_MIN_WIDTH columns of text area the view is unified (each line gets the
whole width); `toggle_layout` overrides that choice until toggled back. Unchanged runs far
from a change are folded (`toggle_folds` shows them). Lines wrap, never cut: no sideways
scrolling. Colours come from styles/diff.tcss; the marks are characters.
"""

from __future__ import annotations

from rich.style import Style
from textual.app import ComposeResult
from textual.containers import ScrollableContainer
from textual.events import Resize
from textual.widgets import Static

from hotclone.core.difflines import SIDE_BY_SIDE_MIN_WIDTH, Folded, Row, align, fold, unify
from hotclone.core.display import safe
from hotclone.tui.widgets import diff_text

_STYLES = ("title", "removed", "added", "changed", "fold")


class DiffView(ScrollableContainer, can_focus=True):
    COMPONENT_CLASSES = {f"diff-view--{name}" for name in _STYLES}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[Row] = []
        self.titles = ("", "")
        self.forced: bool | None = None  # unified (True) or not, chosen with toggle_layout; None: by width
        self.folding = True
        self.changes: list[int] = []  # line of each change in what is shown
        self.current = -1  # index into changes of the change jumped to last

    def compose(self) -> ComposeResult:
        yield Static("", id="yaml")

    @property
    def text_width(self) -> int:
        """Cells a line may take: the view less its scrollbar gutter (kept, so lines do not reflow)."""
        return self.scrollable_content_region.width

    @property
    def automatic(self) -> bool:
        """Whether the width alone makes the view unified."""
        return self.text_width < SIDE_BY_SIDE_MIN_WIDTH

    @property
    def unified(self) -> bool:
        return self.automatic if self.forced is None else self.forced

    def show(self, left: str, right: str, left_title: str, right_title: str) -> None:
        # core's display YAML is safe already; any other caller's text is made so here.
        self.rows = align(safe(left, multiline=True), safe(right, multiline=True))
        self.titles = (safe(left_title), safe(right_title))
        self.current = -1
        self._redraw()
        self.scroll_home(animate=False)

    def toggle_layout(self) -> None:
        wanted = not self.unified
        self.forced = None if wanted == self.automatic else wanted
        self._redraw()

    def toggle_folds(self) -> None:
        self.folding = not self.folding
        self._redraw()

    def on_resize(self, event: Resize) -> None:
        self._redraw()

    def _redraw(self) -> None:
        width = self.text_width
        if width <= 0:  # not laid out yet: on_resize renders
            return
        items: list[Row | Folded] = fold(self.rows) if self.folding else list(self.rows)
        styles = {name: self._style(name) for name in _STYLES}
        if self.unified:
            rendered = diff_text.unified(unify(items), width, self.titles, styles)
        else:
            rendered = diff_text.side_by_side(items, width, self.titles, styles)
        self.changes = rendered.changes
        self.query_one("#yaml", Static).update(rendered.text)
        if 0 <= self.current < len(self.changes):  # the same change stays in sight
            self._scroll_to_change()

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"diff-view--{name}", partial=True)

    def jump(self, step: int) -> int | None:
        """Move to the next (step=1) or previous (-1) change; None past the first or last one."""
        target = self.current + step
        if not 0 <= target < len(self.changes):
            return None
        self.current = target
        return self._scroll_to_change()

    def _scroll_to_change(self) -> int:
        line = self.changes[self.current]
        self.scroll_to(y=max(line - 2, 0), animate=False)  # 2 lines of context above
        return line
