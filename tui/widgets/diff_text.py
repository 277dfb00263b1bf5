"""The diff view's text: unified or side by side, wrapped to the view's width (never cut),
with the line where each change starts (targets of n / N). Pure: no app needed to test it.

Every line carries its mark as a character (`-` `+` `~`), so states read without colour
(NO_COLOR, a light theme); colours are the view's component classes, passed in as styles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rich.cells import cell_len, get_character_cell_size
from rich.style import Style
from rich.text import Text

from hotclone.core.difflines import Folded, Line, Row

Styles = Mapping[str, Style]  # "title", "removed", "added", "changed", "fold" -> style from the stylesheet

_SIDE_MARK = {" ": " ", "|": "~", "<": "-", ">": "+"}
# Left and right style of a row by its tag; the missing side of a row is tinted too.
_SIDE_STYLE = {" ": (None, None), "|": ("changed", "changed"), "<": ("removed", "changed"), ">": ("changed", "added")}
_LINE_STYLE = {" ": None, "-": "removed", "+": "added"}
_SEPARATOR = " │ "
_BREAKS = frozenset(" /.,:;=&?-_")


@dataclass
class Rendered:
    text: Text = field(default_factory=lambda: Text(no_wrap=True, overflow="ignore", end=""))
    changes: list[int] = field(default_factory=list)  # line of the first line of every change
    lines: int = 0


class _Writer:
    def __init__(self, styles: Styles | None) -> None:
        self.styles = styles or {}
        self.out = Rendered()
        self._in_change = False

    def line(self, *parts: tuple[str, str | None]) -> None:
        if self.out.lines:
            self.out.text.append("\n")
        for text, style in parts:
            self.out.text.append(text, style=self.styles.get(style, "") if style else "")
        self.out.lines += 1

    def mark_change(self, changed: bool) -> None:
        if changed and not self._in_change:
            self.out.changes.append(self.out.lines)
        self._in_change = changed

    def fold(self, item: Folded, width: int) -> None:
        self.mark_change(False)
        for part in wrap(f"  {item.describe()}", width):
            self.line((pad(part, width), "fold"))


def wrap(text: str, width: int) -> list[str]:
    """`text` in pieces of at most `width` cells (Hangul counts two), broken after a space or
    punctuation when one is in the second half of the piece, else where the width ends."""
    width = max(width, 1)
    pieces: list[str] = []
    start = used = 0
    after = -1  # index just after the last break character in text[start:]
    for index, char in enumerate(text):
        size = get_character_cell_size(char)
        if used + size > width and index > start:
            cut = after if after - start > (index - start) // 2 else index
            pieces.append(text[start:cut])
            start, used = cut, cell_len(text[cut:index])
            after = max((start + i + 1 for i, c in enumerate(text[start:index]) if c in _BREAKS), default=-1)
        used += size
        if char in _BREAKS:
            after = index + 1
    return [*pieces, text[start:]]


def pad(text: str, width: int) -> str:
    return text + " " * max(width - cell_len(text), 0)


def unified(
    items: Sequence[Line | Folded], width: int, titles: tuple[str, str], styles: Styles | None = None
) -> Rendered:
    """`width` cells a line: a mark, a space, the text (wrapped, the mark on every piece)."""
    column = max(width - 2, 1)
    out = _Writer(styles)
    for part in wrap(f"--- {titles[0]}  +++ {titles[1]}", width):
        out.line((pad(part, width), "title"))
    for item in items:
        if isinstance(item, Folded):
            out.fold(item, width)
            continue
        mark, text = item
        out.mark_change(mark != " ")
        style = _LINE_STYLE[mark]
        for part in wrap(text, column):
            out.line((f"{mark} ", style), (pad(part, column), style))
    return out.out


def side_by_side(
    items: Sequence[Row | Folded], width: int, titles: tuple[str, str], styles: Styles | None = None
) -> Rendered:
    """Two columns of (width - 3) / 2 cells, each a mark, a space and the text, wrapped in step."""
    side = max((width - len(_SEPARATOR)) // 2, 3)
    column = side - 2
    out = _Writer(styles)
    for left, right in _pieces(titles[0], titles[1], column):
        out.line((f"  {pad(left, column)}", "title"), (_SEPARATOR, "title"), (f"  {pad(right, column)}", "title"))
    for item in items:
        if isinstance(item, Folded):
            out.fold(item, side * 2 + len(_SEPARATOR))
            continue
        left_text, right_text, tag = item
        out.mark_change(tag != " ")
        mark = _SIDE_MARK[tag]
        left_style, right_style = _SIDE_STYLE[tag]
        for left, right in _pieces(left_text or "", right_text or "", column):
            out.line(
                (f"{mark} ", left_style),
                (pad(left, column), left_style),
                (_SEPARATOR, None),
                (f"{mark} ", right_style),
                (pad(right, column), right_style),
            )
    return out.out


def _pieces(left: str, right: str, column: int) -> list[tuple[str, str]]:
    lefts, rights = wrap(left, column), wrap(right, column)
    count = max(len(lefts), len(rights))
    return [(lefts[n] if n < len(lefts) else "", rights[n] if n < len(rights) else "") for n in range(count)]
