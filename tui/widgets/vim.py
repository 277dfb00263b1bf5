"""Lists with k9s/vim movement keys (j/k/g/G) on top of the arrow keys."""

from __future__ import annotations

from rich.markup import escape
from rich.text import TextType
from textual.binding import Binding
from textual.widgets import DataTable, OptionList
from textual.widgets.data_table import ColumnKey, RowKey

from hotclone.core.display import safe

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

    # Every table shows cluster text (names, images, annotations, reasons, users): a text
    # cell is made safe here, once for all of them. DataTable reads a str cell as markup,
    # so it is escaped too; an unbalanced `[/x]` would otherwise stop the dashboard.
    def add_row(
        self, *cells: str, height: int | None = 1, key: str | None = None, label: TextType | None = None
    ) -> RowKey:
        return super().add_row(*map(_cell, cells), height=height, key=key, label=label)

    def update_cell(
        self, row_key: RowKey | str, column_key: ColumnKey | str, value: str, *, update_width: bool = False
    ) -> None:
        super().update_cell(row_key, column_key, _cell(value), update_width=update_width)


def _cell(value: str) -> str:
    return escape(safe(value)) if isinstance(value, str) else value


class VimOptionList(OptionList):
    BINDINGS = [*_VIM, Binding("g", "first", "First", show=False), Binding("G", "last", "Last", show=False)]
