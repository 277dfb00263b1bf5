"""The config file in the dashboard: a read-only context, and a production context whose every
change is confirmed by typing the context's name."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Button, Input

from hotclone.core.models import Action
from hotclone.core.settings import parse
from hotclone.tui.screens.confirm import ConfirmModal
from hotclone.tui.screens.typed_confirm import TypedConfirmModal
from hotclone.tui.widgets.context_bar import ContextBar
from tests.tui.conftest import focus_container, focus_env, make_app, settle
from tests.tui.fake_session import CONTEXT, FakeSession

READ_ONLY = parse(f"contexts:\n  {CONTEXT}: {{read-only: true}}\n", "config.yaml")
PRODUCTION = parse(f"contexts:\n  {CONTEXT}: {{production: true}}\n", "config.yaml")


async def _type(pilot: Pilot[Any], text: str) -> None:
    box = pilot.app.screen.query_one("#typed-name", Input)
    box.value = text
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)


async def test_a_read_only_context_from_the_file_disables_every_change() -> None:
    app = make_app(FakeSession(settings=READ_ONLY))
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        assert "READ-ONLY" in str(app.main_screen.query_one(ContextBar).render())
        assert app.permission(Action.CLONE, app.focused_env) == (False, "read-only mode")
        await pilot.press("c", "x")
        await settle(pilot)
        assert app.screen is app.main_screen


async def test_a_production_context_is_marked_on_every_environment() -> None:
    app = make_app(FakeSession(settings=PRODUCTION))
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/qa")
        bar = app.main_screen.query_one(ContextBar)
        assert bar.has_class("-production-context") and "PRODUCTION" in str(bar.render())
    app = make_app(FakeSession())
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/qa")
        bar = app.main_screen.query_one(ContextBar)
        assert not bar.has_class("-production-context") and "PRODUCTION" not in str(bar.render())


async def test_destroy_in_a_production_context_takes_the_typed_name() -> None:
    fake = FakeSession(settings=PRODUCTION)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, TypedConfirmModal)  # instead of the yes/no question
        assert app.screen.query_one("#yes", Button).disabled
        await _type(pilot, "hotfix-ko")  # the environment's name is not the context's
        assert isinstance(app.screen, TypedConfirmModal) and not fake.called("destroy")
        await _type(pilot, CONTEXT)
        assert fake.called("destroy") == [(("hotfix-ko",), {})]


async def test_clone_in_a_production_context_waits_for_the_name_and_escape_cancels() -> None:
    fake = FakeSession(settings=PRODUCTION)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/production")
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TypedConfirmModal) and not fake.called("clone")
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "CloneModal" and not fake.called("clone")
        assert app.screen.query_one("#clone-form").display  # the form, as it was
        await pilot.press("ctrl+s")
        await settle(pilot)
        await _type(pilot, CONTEXT)
        assert [args for args, _ in fake.called("clone")] == [("production", "hotfix-0314-1")]


async def test_set_image_in_a_production_context_takes_the_typed_name() -> None:
    fake = FakeSession(settings=PRODUCTION)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_container(pilot, "topicshare/hotfix-ko", "Deployment/web|web")
        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one("#image", Input).value = "topicshare/web:1.9.5"
        await pilot.press("enter")
        await settle(pilot)
        app.screen.query_one("#reason", Input).value = "KO-118"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TypedConfirmModal) and not fake.called("set_image")
        await _type(pilot, CONTEXT)
        assert len(fake.called("set_image")) == 1


async def test_promote_into_production_asks_one_typed_name_only() -> None:
    """The production target's name was typed in the dialog: the context's is not asked on top."""
    fake = FakeSession(settings=PRODUCTION)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        await pilot.press("p")
        await settle(pilot)
        app.screen.query_one("#reason", Input).value = "KO-118 Hangul fix"
        app.screen.query_one("#confirm", Input).value = "production"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, TypedConfirmModal)
        assert len(fake.called("apply")) == 1


async def test_rollback_of_a_clone_in_a_production_context_takes_the_typed_name() -> None:
    fake = FakeSession(settings=PRODUCTION)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one("#reason", Input).value = "undo"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TypedConfirmModal) and not fake.called("apply")
        await _type(pilot, CONTEXT)
        assert len(fake.called("apply")) == 1


async def test_without_a_production_context_destroy_keeps_its_yes_no_question() -> None:
    app = make_app(FakeSession())
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
