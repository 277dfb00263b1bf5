"""The diff view: unified when narrow, side by side when wide, `u` to switch, `z` to unfold, n/N in both."""

from __future__ import annotations

from typing import Any

import pytest
from rich.cells import cell_len
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from hotclone.core.difflines import SIDE_BY_SIDE_MIN_WIDTH, Folded, align, fold, unify
from hotclone.tui.app import HotcloneApp
from hotclone.tui.widgets import diff_text
from hotclone.tui.widgets.diff_view import DiffView
from tests.tui.conftest import focus_env, make_app, settle
from tests.tui.fake_session import FakeSession

OLD = "\n".join(["kind: Deployment", *(f"k{i}: v" for i in range(12)), "image: topicshare/web:1.9.3", "tail: x"])
NEW = OLD.replace("1.9.3", "1.9.4").replace("kind: Deployment", "kind: Deployment\nlabel: new")


# -- the text, without an app ---------------------------------------------------------------
@pytest.mark.parametrize("width", [20, 41, 78, 124])
def test_unified_lines_fit_carry_a_mark_and_know_where_changes_start(width: int) -> None:
    items = unify(fold(align(OLD, NEW)))
    shown = diff_text.unified(items, width, ("production", "hotfix-ko"))
    lines = shown.text.plain.splitlines()
    assert len(lines) == shown.lines
    assert all(cell_len(line) == width for line in lines)  # padded to the width, never past it
    assert lines[0].startswith("--- production")
    starts = [lines[i] for i in shown.changes]
    assert [line[0] for line in starts] == ["+", "-"]  # the added label, then the image's old line
    plain = "".join(line[2:].rstrip() for line in lines if line.startswith("+"))
    assert "image: topicshare/web:1.9.4" in plain  # wrapped perhaps, never cut
    assert "… 6 unchanged lines …" in " ".join(shown.text.plain.split())  # k3..k8


@pytest.mark.parametrize("width", [41, 80, 124, 200])
def test_side_by_side_columns_fit_and_wrap_in_step(width: int) -> None:
    items = fold(align(OLD, NEW))
    shown = diff_text.side_by_side(items, width, ("production", "hotfix-ko"))
    lines = shown.text.plain.splitlines()
    assert all(cell_len(line) <= width for line in lines)
    changed = [line for line in lines if "│" in line and line.startswith("~")]
    assert changed and all(" │ ~ " in line for line in changed)  # both sides marked
    assert [lines[i][0] for i in shown.changes] == ["+", "~"]
    assert [item.count for item in items if isinstance(item, Folded)] == [6]


def test_wrap_counts_wide_characters_and_prefers_breaks() -> None:
    assert diff_text.wrap("한글한글", 4) == ["한글", "한글"]
    assert diff_text.wrap("    imagePullPolicy: IfNotPresent", 24) == ["    imagePullPolicy: ", "IfNotPresent"]
    assert diff_text.wrap("", 5) == [""]
    assert "".join(diff_text.wrap("x" * 100, 7)) == "x" * 100


def test_styles_come_in_by_name() -> None:
    from rich.style import Style

    styles = {"added": Style(bgcolor="green"), "removed": Style(bgcolor="red")}
    shown = diff_text.unified(unify(align("a", "b")), 20, ("l", "r"), styles)
    spans = {shown.text.plain[s.start : s.end].strip(): s.style for s in shown.text.spans if s.style}
    assert spans["- a"[0]] == styles["removed"] and spans["b"] == styles["added"]


# -- the screen ------------------------------------------------------------------------------
async def _open_diff(pilot: Pilot[Any], *keys: str) -> DiffView:
    await focus_env(pilot, "topicshare/hotfix-ko")
    for key in ("d", *keys):
        await pilot.press(key)
        await settle(pilot)
    return pilot.app.screen.query_one(DiffView)


def _shown(app: HotcloneApp) -> list[str]:
    return str(app.screen.query_one("#yaml", Static).render()).splitlines()


async def test_narrow_is_unified_and_u_switches_until_switched_back(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _open_diff(pilot, "n")  # the web Deployment: the image change
        assert view.text_width < SIDE_BY_SIDE_MIN_WIDTH and view.unified
        lines = _shown(app)
        assert "+         image: topicshare/web:1.9.4" in [line.rstrip() for line in lines]
        assert "-         image: topicshare/web:1.9.3" in [line.rstrip() for line in lines]
        await pilot.press("u")
        await settle(pilot)
        assert not view.unified and view.forced is False
        pair = "~         image: topicshare/web:1.9.3 │ ~         image: topicshare/web:1.9.4"
        assert any(pair in line for line in _shown(app))
        await pilot.press("N")  # the override stays while moving between objects
        await settle(pilot)
        assert app.screen.query_one("#diff-objects", OptionList).highlighted == 0
        assert not view.unified and any("│" in line for line in _shown(app))
        await pilot.press("u")  # back to what the width says: the automatic choice again
        await settle(pilot)
        assert view.unified and view.forced is None


async def test_wide_is_side_by_side_and_u_makes_it_unified(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(160, 48)) as pilot:
        view = await _open_diff(pilot)
        assert view.text_width >= SIDE_BY_SIDE_MIN_WIDTH and not view.unified
        lines = _shown(app)
        assert any(line.startswith("~   CHARSET: ISO-8859-1") and "│ ~   CHARSET: UTF-8" in line for line in lines)
        await pilot.press("u")
        await settle(pilot)
        assert view.unified and view.forced is True
        lines = [line.rstrip() for line in _shown(app)]
        assert "-   CHARSET: ISO-8859-1" in lines and "+   CHARSET: UTF-8" in lines


async def test_unchanged_runs_fold_and_z_shows_them(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _open_diff(pilot, "n")
        folded = _shown(app)
        assert [line.strip() for line in folded if "unchanged lines" in line] == [
            "… 41 unchanged lines …",
            "… 32 unchanged lines …",
        ]
        await pilot.press("z")
        await settle(pilot)
        assert not view.folding
        unfolded = _shown(app)
        assert not any("unchanged lines" in line for line in unfolded)
        assert len(unfolded) == len(folded) - 2 + 41 + 32
        assert view.changes == [len(unfolded) - 32 - 5]  # the image line, after the 41 + 3 lines above it
        assert view.scroll_y > 0  # the change stays in sight
        await pilot.press("z")
        await settle(pilot)
        assert view.folding and _shown(app) == folded


async def test_n_and_N_step_through_changes_in_both_views(fake: FakeSession) -> None:
    web = fake.store.get("topicshare-hotfix-ko", "Deployment/web")
    web["spec"]["replicas"] = 5  # a second change in web, far from the image
    fake.store.put("topicshare-hotfix-ko", web)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _open_diff(pilot, "n")
        objects = app.screen.query_one("#diff-objects", OptionList)
        assert objects.highlighted == 1 and view.current == 0 and len(view.changes) == 2
        for layout in ("unified", "side by side"):
            await pilot.press("n")
            await settle(pilot)
            assert view.current == 1 and objects.highlighted == 1, layout
            await pilot.press("N")
            await settle(pilot)
            assert view.current == 0, layout
            await pilot.press("u")
            await settle(pilot)
            assert view.current == 0  # switching keeps the change in sight


async def test_no_color_keeps_every_mark(monkeypatch: pytest.MonkeyPatch, fake: FakeSession) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(fake)
    assert app.no_color  # Textual reads NO_COLOR when the app is made
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_diff(pilot, "n")
        lines = [line.rstrip() for line in _shown(app)]
        assert "-         image: topicshare/web:1.9.3" in lines and "+         image: topicshare/web:1.9.4" in lines


async def test_plan_diff_switches_too(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        for key in ("p", "ctrl+o"):
            await pilot.press(key)
            await settle(pilot)
        assert type(app.screen).__name__ == "PlanDiffScreen"
        view = app.screen.query_one(DiffView)
        assert view.unified
        await pilot.press("u")
        await settle(pilot)
        assert not view.unified


async def test_the_automatic_choice_follows_the_terminal_size(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _open_diff(pilot, "n")
        assert view.unified
        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        assert not view.unified and view.forced is None
        assert any("│ ~         image: topicshare/web:1.9.4" in line for line in _shown(app))
        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        assert view.unified
