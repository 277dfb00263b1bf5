"""Lists with k9s/vim movement keys (j/k/g/G) on top of the arrow keys."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import DataTable, OptionList

_VIM = [
    Binding("j", "cursor_down", "Down", show=False),
    Binding("k", "cursor_up", "Up", show=False),
]


class VimTable(DataTable[str]):
    BINDINGS = [
        *_VIM,
        Binding("g", "scroll_top", "Top", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=False)


class VimOptionList(OptionList):
    BINDINGS = [*_VIM, Binding("g", "first", "First", show=False), Binding("G", "last", "Last", show=False)]
