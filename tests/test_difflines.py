"""The line views of a diff: aligned rows, folded unchanged runs, unified lines, the CLI's texts."""

from __future__ import annotations

from hotclone.core.difflines import Folded, align, fold, side_by_side, unified, unify
from hotclone.core.models import EnvDiff, ObjectDiff

OLD = "\n".join(["a: 1", "b: 2", "c: 3", "image: web:1.9.3", *(f"k{i}: v" for i in range(10)), "z: last"])
NEW = OLD.replace("web:1.9.3", "web:1.9.4").replace("z: last", "z: changed") + "\nextra: added"


def test_align_pairs_changed_lines_and_keeps_the_lone_ones() -> None:
    rows = align("a\nb\nc", "a\nB\nc\nd")
    assert rows == [("a", "a", " "), ("b", "B", "|"), ("c", "c", " "), (None, "d", ">")]
    assert align("a\nb", "a") == [("a", "a", " "), ("b", None, "<")]


def test_fold_keeps_context_around_changes_and_counts_the_rest() -> None:
    items = fold(align(OLD, NEW), context=3)
    assert items[:7] == [
        ("a: 1", "a: 1", " "),
        ("b: 2", "b: 2", " "),
        ("c: 3", "c: 3", " "),
        ("image: web:1.9.3", "image: web:1.9.4", "|"),
        ("k0: v", "k0: v", " "),
        ("k1: v", "k1: v", " "),
        ("k2: v", "k2: v", " "),
    ]
    assert items[7] == Folded(4)  # k3..k6: more than 3 rows from either change
    assert items[8:11] == [(f"k{i}: v", f"k{i}: v", " ") for i in (7, 8, 9)]
    assert [row[2] for row in items[11:] if not isinstance(row, Folded)] == ["|", ">"]
    assert Folded(4).describe() == "… 4 unchanged lines …"


def test_fold_never_hides_a_single_line_or_a_change() -> None:
    # a gap of exactly 2 * context + 1 unchanged rows: the one row left over stays shown
    old = "\n".join(["x", *"abcdefg", "y"])
    new = "\n".join(["X", *"abcdefg", "Y"])
    assert not any(isinstance(item, Folded) for item in fold(align(old, new), context=3))
    assert fold(align("same\nsame2", "same\nsame2")) == [Folded(2)]
    added = fold(align("", "a\nb\nc\nd\ne"))
    assert all(not isinstance(item, Folded) and item[2] == ">" for item in added)


def test_unify_shows_old_lines_then_new_ones_per_block() -> None:
    rows = align("a\nb\nc\nd", "a\nB\nC\nd\ne")
    assert unify(rows) == [(" ", "a"), ("-", "b"), ("-", "c"), ("+", "B"), ("+", "C"), (" ", "d"), ("+", "e")]
    assert unify([Folded(3), ("x", None, "<")]) == [Folded(3), ("-", "x")]


def _diff() -> EnvDiff:
    web = ObjectDiff("Deployment", "web", "changed", (), OLD, NEW)
    same = ObjectDiff("Service", "web", "same")
    return EnvDiff("topicshare/production", "topicshare/hotfix-ko", (same, web))


def test_cli_unified_text_marks_every_line_and_fits_the_width() -> None:
    text = unified(_diff(), 40)
    lines = text.splitlines()
    assert lines[:3] == ["--- topicshare/production", "+++ topicshare/hotfix-ko", "@@ Deployment/web (changed) @@"]
    assert "- image: web:1.9.3" in lines and "+ image: web:1.9.4" in lines
    assert "  … 4 unchanged lines …" in lines
    assert "Service/web" not in text  # only changed objects
    long = EnvDiff("a", "b", (ObjectDiff("ConfigMap", "c", "changed", (), "v: " + "x" * 100, "v: y"),))
    wrapped = unified(long, 40).splitlines()
    assert all(len(line) <= 40 for line in wrapped)
    assert [line[0] for line in wrapped[3:]] == ["-", "-", "-", "+"]  # the mark on every piece


def test_cli_side_by_side_folds_the_same_way() -> None:
    text = side_by_side(_diff(), 100)
    assert "  … 4 unchanged lines …" in text.splitlines()
    assert all(len(line) <= 100 for line in text.splitlines())
