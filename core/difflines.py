"""Line views of two YAML texts: aligned (`diff -y`), unified (`diff -u`), unchanged runs folded.

Pure text functions shared by the CLI's renderings (below) and the dashboard's diff view.
The texts come from core.diff.display_yaml: Secret values are masked there already.
"""

from __future__ import annotations

import difflib
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from hotclone.core import display
from hotclone.core.models import EnvDiff

SIDE_BY_SIDE_MIN_WIDTH = 120
"""Columns of text area from which two sides are shown: each side then keeps 58 columns
(56 of YAML after its mark), where an image reference or an env entry reads on one line.
Narrower, a unified view gives every line the whole width, as delta does."""

CONTEXT = 3  # unchanged lines kept on each side of a change, as `diff -u` keeps

Row = tuple[str | None, str | None, str]  # left line, right line, tag: " ", "|", "<", ">"
Line = tuple[str, str]  # one line of a unified diff: mark ("-", "+" or " ") and text


@dataclass(frozen=True)
class Folded:
    """A run of unchanged lines left out of a view."""

    count: int

    def describe(self) -> str:
        return f"… {self.count} unchanged lines …"


def align(left: str, right: str) -> list[Row]:
    """Pair up the lines of two texts, like `diff -y`."""
    a, b = left.splitlines(), right.splitlines()
    rows: list[Row] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            rows += [(a[i], b[j], " ") for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
        elif op == "replace":
            for k in range(max(i2 - i1, j2 - j1)):
                l_line = a[i1 + k] if i1 + k < i2 else None
                r_line = b[j1 + k] if j1 + k < j2 else None
                rows.append(
                    (
                        l_line,
                        r_line,
                        "|" if l_line is not None and r_line is not None else "<" if r_line is None else ">",
                    )
                )
        elif op == "delete":
            rows += [(a[i], None, "<") for i in range(i1, i2)]
        else:
            rows += [(None, b[j], ">") for j in range(j1, j2)]
    return rows


def fold(rows: Sequence[Row], context: int = CONTEXT) -> list[Row | Folded]:
    """`rows` with every unchanged row farther than `context` rows from a change left out,
    each run of them as one Folded. A run of one row stays: its marker would take its place."""
    near = _near_changes(rows, context)
    out: list[Row | Folded] = []
    hidden: list[Row] = []
    for index, row in enumerate(rows):
        if index not in near:
            hidden.append(row)
            continue
        out += _folded(hidden)
        hidden = []
        out.append(row)
    return out + _folded(hidden)


def _folded(hidden: list[Row]) -> list[Row | Folded]:
    return list(hidden) if len(hidden) < 2 else [Folded(len(hidden))]


def _near_changes(rows: Sequence[Row], context: int) -> set[int]:
    changed = [i for i, row in enumerate(rows) if row[2] != " "]
    return {j for i in changed for j in range(max(0, i - context), min(len(rows), i + context + 1))}


def unify(items: Sequence[Row | Folded]) -> list[Line | Folded]:
    """Aligned rows as unified lines: each block of changed rows as its old lines (-), then its new ones (+)."""
    out: list[Line | Folded] = []
    old: list[Line] = []
    new: list[Line] = []
    for item in items:
        if isinstance(item, Folded) or item[2] == " ":
            out += [*old, *new]
            old, new = [], []
            out.append(item if isinstance(item, Folded) else (" ", item[0] or ""))
            continue
        left, right, _ = item
        old += [("-", left)] if left is not None else []
        new += [("+", right)] if right is not None else []
    return [*out, *old, *new]


# -- the CLI's renderings: changed objects only, long lines wrapped, never cut ------------------


def side_by_side(diff: EnvDiff, width: int = 160, *, context: int = CONTEXT) -> str:
    column = max(20, (width - 3) // 2)
    out: list[str] = [f"{diff.left:<{column}} | {diff.right}", "=" * min(width, column * 2 + 3)]
    for obj in diff.changed:
        out.append(f"--- {obj.ref} ({obj.status})")
        for item in fold(align(obj.left_yaml, obj.right_yaml), context):
            if isinstance(item, Folded):
                out.append(f"  {item.describe()}")
                continue
            l_line, r_line, tag = item
            l_parts = textwrap.wrap(l_line or "", column, drop_whitespace=False) or [""]
            r_parts = textwrap.wrap(r_line or "", column, drop_whitespace=False) or [""]
            for n in range(max(len(l_parts), len(r_parts))):
                lp = l_parts[n] if n < len(l_parts) else ""
                rp = r_parts[n] if n < len(r_parts) else ""
                out.append(f"{lp:<{column}} {tag if n == 0 else ' '} {rp}".rstrip())
    return display.safe("\n".join(out), multiline=True)  # the YAML is safe already; titles too now


def unified(diff: EnvDiff, width: int = 80, *, context: int = CONTEXT) -> str:
    """For a terminal narrower than SIDE_BY_SIDE_MIN_WIDTH: each changed object as `diff -u` would show it."""
    column = max(20, width - 2)
    out: list[str] = [f"--- {diff.left}", f"+++ {diff.right}"]
    for obj in diff.changed:
        out.append(f"@@ {obj.ref} ({obj.status}) @@")
        for item in unify(fold(align(obj.left_yaml, obj.right_yaml), context)):
            if isinstance(item, Folded):
                out.append(f"  {item.describe()}")
                continue
            mark, line = item
            for part in textwrap.wrap(line, column, drop_whitespace=False) or [""]:
                out.append(f"{mark} {part}".rstrip())  # the mark on every piece: NO_COLOR still reads it
    return display.safe("\n".join(out), multiline=True)
