"""Side-by-side YAML aligned line by line; text is never cut, the view scrolls sideways instead."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import ScrollableContainer
from textual.widgets import Static

from hotclone.core.display import safe

# A marker per line keeps changes visible without colour (NO_COLOR).
_MARK = {"equal": " ", "replace": "~", "delete": "-", "insert": "+"}


@dataclass(frozen=True)
class Row:
    left: str | None
    right: str | None
    tag: str  # equal, replace, delete, insert


def align(left: str, right: str) -> list[Row]:
    a, b = left.splitlines(), right.splitlines()
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [Row(x, y, tag) for x, y in zip(a[i1:i2], b[j1:j2], strict=True)]
            continue
        span = max(i2 - i1, j2 - j1)
        for k in range(span):
            x = a[i1 + k] if i1 + k < i2 else None
            y = b[j1 + k] if j1 + k < j2 else None
            rows.append(
                Row(x, y, "replace" if x is not None and y is not None else ("delete" if y is None else "insert"))
            )
    return rows


def change_starts(rows: list[Row]) -> list[int]:
    """Index of the first row of every block of changed rows (targets of n / N)."""
    return [i for i, r in enumerate(rows) if r.tag != "equal" and (i == 0 or rows[i - 1].tag == "equal")]


# Left and right style of a row, by its tag: names of SideBySide's component classes.
_SIDES = {
    "equal": (None, None),
    "replace": ("changed", "changed"),
    "delete": ("removed", "changed"),
    "insert": ("changed", "added"),
}
Styles = dict[str, Style]  # "title", "removed", "added", "changed" -> style from the stylesheet


def render(rows: list[Row], left_title: str, right_title: str, styles: Styles | None = None) -> Text:
    def style(name: str | None) -> Style | str:
        return (styles or {}).get(name, "") if name else ""

    width = max([len(left_title), *(len(r.left or "") for r in rows)], default=10)
    text = Text(no_wrap=True, overflow="ignore")
    text.append(f"  {left_title.ljust(width)} │   {right_title}\n", style=style("title"))
    for r in rows:
        mark = _MARK[r.tag]
        left, right = (r.left or "").ljust(width), r.right or ""
        left_style, right_style = _SIDES[r.tag]
        text.append(f"{mark} ")
        text.append(left, style=style(left_style))
        text.append(" │ ")
        text.append(f"{mark} ")
        text.append(right, style=style(right_style))
        text.append("\n")
    return text


class SideBySide(ScrollableContainer, can_focus=True):
    """Scrolls both ways; `show_change` jumps to the n-th change block. Colours come from styles/diff.tcss."""

    COMPONENT_CLASSES = {
        "side-by-side--title",
        "side-by-side--removed",
        "side-by-side--added",
        "side-by-side--changed",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[Row] = []
        self.starts: list[int] = []
        self.current = -1

    def compose(self) -> ComposeResult:
        yield Static("", id="yaml")

    def show(self, left: str, right: str, left_title: str, right_title: str) -> None:
        # core's display YAML is safe already; any other caller's text is made so here.
        left, right = safe(left, multiline=True), safe(right, multiline=True)
        left_title, right_title = safe(left_title), safe(right_title)
        self.rows = align(left, right)
        self.starts = change_starts(self.rows)
        self.current = -1
        styles = {
            name: self.get_component_rich_style(f"side-by-side--{name}", partial=True)
            for name in ("title", "removed", "added", "changed")
        }
        self.query_one("#yaml", Static).update(render(self.rows, left_title, right_title, styles))
        self.scroll_home(animate=False)

    def jump(self, step: int) -> int | None:
        """Move to the next (step=1) or previous (-1) change; None past the first or last one."""
        target = self.current + step
        if not 0 <= target < len(self.starts):
            return None
        self.current = target
        row = self.starts[self.current]
        self.scroll_to(y=max(row + 1 - 2, 0), animate=False)  # +1 for the title line, 2 lines of context
        return row
