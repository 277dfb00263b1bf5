"""Three-way merge of one object: base (at clone time), ours (the clone), theirs (the target)."""

from __future__ import annotations

from hotclone.core.merge3 import merge

BASE = {"data": {"CHARSET": "latin1", "LOG": "info"}, "spec": {"containers": {"[web]": {"image": "w:1"}}}}


def test_ours_applied_theirs_kept() -> None:
    ours = {"data": {"CHARSET": "utf-8", "LOG": "info"}, "spec": {"containers": {"[web]": {"image": "w:2"}}}}
    theirs = {"data": {"CHARSET": "latin1", "LOG": "debug"}, "spec": {"containers": {"[web]": {"image": "w:1"}}}}
    merged, conflicts = merge(BASE, ours, theirs)
    assert not conflicts
    assert merged == {"data": {"CHARSET": "utf-8", "LOG": "debug"}, "spec": {"containers": {"[web]": {"image": "w:2"}}}}


def test_same_field_changed_differently_is_a_conflict() -> None:
    ours = {**BASE, "data": {"CHARSET": "utf-8", "LOG": "info"}}
    theirs = {**BASE, "data": {"CHARSET": "euc-kr", "LOG": "info"}}
    merged, conflicts = merge(BASE, ours, theirs)
    assert [(c.path, c.ours, c.theirs) for c in conflicts] == [(("data", "CHARSET"), "utf-8", "euc-kr")]
    assert merged["data"]["CHARSET"] == "euc-kr"  # theirs stays; the caller applies nothing


def test_same_change_on_both_sides_and_additions_and_removals() -> None:
    ours = {
        "data": {"CHARSET": "utf-8", "NEW": "1"},
        "spec": {"containers": {"[web]": {"image": "w:1"}, "[side]": {"image": "s:1"}}},
    }
    theirs = {"data": {"CHARSET": "utf-8", "LOG": "info"}, "spec": {"containers": {"[web]": {"image": "w:1"}}}}
    merged, conflicts = merge(BASE, ours, theirs)
    assert not conflicts
    # LOG removed in the clone, NEW and the sidecar added there, CHARSET changed the same way.
    assert merged == {
        "data": {"CHARSET": "utf-8", "NEW": "1"},
        "spec": {"containers": {"[web]": {"image": "w:1"}, "[side]": {"image": "s:1"}}},
    }


def test_removed_in_clone_changed_in_target_is_a_conflict() -> None:
    ours = {**BASE, "data": {"CHARSET": "latin1"}}
    theirs = {**BASE, "data": {"CHARSET": "latin1", "LOG": "debug"}}
    _, conflicts = merge(BASE, ours, theirs)
    assert [(c.path, c.ours, c.theirs) for c in conflicts] == [(("data", "LOG"), None, "debug")]
