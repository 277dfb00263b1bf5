"""The footer at 80 columns: every key it shows is whole, the primary keys are among them, `?` lists the rest."""

from __future__ import annotations

import pytest
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Footer, Input

from hotclone.tui.commands import palette_actions
from hotclone.tui.screens.main import MainScreen
from tests.tui.conftest import make_app, settle
from tests.tui.fake_session import FakeSession
from tests.tui.test_snapshots import CASES

# The keys a user mid-incident reads in the footer, per screen; `?` (help) is on every one.
PRIMARY = {
    "MainScreen": {"c", "e", "v", "d", "t", "p", "h", "x"},  # m (matrix) and a (requests): `?`, palette
    "MatrixScreen": {"escape"},
    "DiffScreen": {"escape", "n", "u", "s", "w"},
    "PlanDiffScreen": {"escape", "n", "u"},
    "HistoryScreen": {"escape", "r"},
    "RolloutScreen": {"escape"},  # and r (roll back) once the rollout failed
    "VerifyScreen": {"escape", "l", "r"},
    "RequestsScreen": {"escape", "a", "r"},
}


@pytest.mark.parametrize("case", list(CASES))
async def test_every_footer_fits_80_columns(case: str) -> None:
    steps, options = CASES[case]
    app = make_app(FakeSession(**options))
    async with app.run_test(size=(80, 24)) as pilot:
        await steps(pilot)
        await settle(pilot)
        screen = app.screen
        if isinstance(screen, ModalScreen):
            pytest.skip("a dialog: its keys are on its buttons")
        keys = list(screen.query_one(Footer).query("FooterKey"))
        shown = {key.key for key in keys if key.region.width and key.region.right <= 80}  # type: ignore[attr-defined]
        assert len(shown) == len(keys), "a key is cut off or pushed out of the footer"
        if isinstance(screen.focused, Input):  # typing: letters are text, the footer says how to get out
            assert shown == {"escape"}
        else:
            expected = {*PRIMARY[type(screen).__name__], "question_mark"}
            if getattr(screen, "state", "") == "failure":
                expected.add("r")
            assert expected <= shown


async def test_keys_left_out_of_the_footer_are_in_help_and_the_palette() -> None:
    app = make_app(FakeSession())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = {key.key for key in app.main_screen.query_one(Footer).query("FooterKey")}  # type: ignore[attr-defined]
        assert "slash" not in footer and "ctrl+r" not in footer
        assert ("filter", "Filter environments") in palette_actions()
        await pilot.press("question_mark")
        await settle(pilot)
        from hotclone.tui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        keys = {key for key, _description, _status in app.screen.rows}
        assert {"/", "ctrl+r", ":", "!", "c", "?"} <= keys


def test_every_tooltip_action_of_the_main_screen_is_in_the_palette() -> None:
    actions = {action for action, _text in palette_actions()}
    assert actions == {b.action for b in MainScreen.BINDINGS if isinstance(b, Binding) and b.tooltip}
