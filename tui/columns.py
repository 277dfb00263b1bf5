"""Column widths for a table computed from the rows shown and the width available.

A DataTable's automatic widths only ever grow (the widest value ever shown), so a table
filled again with other rows keeps columns too wide for them and cuts the last column.
Here every fill is measured afresh; when the rows do not fit, columns give up width in
the order their `shrink` says (1 first, then 2, ...; 0 never), each down to its
`minimum`, and shortened cells end in an ellipsis. A column that keeps its end (an
image: the tag is the point) loses its beginning instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len

ELLIPSIS = "…"


@dataclass(frozen=True)
class Column:
    label: str
    shrink: int = 0  # 0: never shortened; lower numbers give up width first
    minimum: int = 8
    keep_end: bool = False  # shorten at the start ("…search:2.17.1"), not at the end


def fit(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int, padding: int = 1) -> list[int]:
    """Content width of each column so that the rows fit `width` cells (padding included) if they can."""
    widths = [max([cell_len(c.label), *(cell_len(row[i]) for row in rows)]) for i, c in enumerate(columns)]
    overflow = sum(widths) + 2 * padding * len(columns) - width
    for level in sorted({c.shrink for c in columns if c.shrink}):
        group = [i for i, c in enumerate(columns) if c.shrink == level]
        # Water-filling: the widest column of the group gives up a cell at a time, so the
        # group ends up evenly shortened rather than one column reduced to nothing.
        while overflow > 0:
            widest = max(group, key=lambda i: widths[i] - _floor(columns[i], widths[i]))
            if widths[widest] <= _floor(columns[widest], widths[widest]):
                break
            widths[widest] -= 1
            overflow -= 1
    return widths


def _floor(column: Column, natural: int) -> int:
    return min(natural, column.minimum)  # a label gives way too ("contain…"): the rows matter more


def shorten(text: str, width: int, *, keep_end: bool = False) -> str:
    """`text` in at most `width` cells, with an ellipsis where something was left out."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    kept = list(reversed(text)) if keep_end else list(text)
    out: list[str] = []
    used = 0
    for char in kept:
        size = cell_len(char)
        if used + size > width - 1:
            break
        out.append(char)
        used += size
    if not keep_end:
        return "".join(out) + ELLIPSIS
    body = "".join(reversed(out))
    # An image reads best cut at a path segment: "…/fulfilment/api:3.1", not "…e.com/fulfilment/api:3.1".
    cut = body.find("/")
    return ELLIPSIS + (body[cut:] if cut > 0 else body)


def fitted_rows(columns: Sequence[Column], rows: Sequence[Sequence[str]], widths: Sequence[int]) -> list[list[str]]:
    return [[shorten(cell, widths[i], keep_end=columns[i].keep_end) for i, cell in enumerate(row)] for row in rows]
