"""NO_COLOR: every state of the main screen is told by characters, not only by colour."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from hotclone.core import demo
from hotclone.core.schema import ANNOTATION_STATE, STATE_CREATING
from hotclone.core.settings import parse
from hotclone.tui.widgets.context_bar import ContextBar
from tests.tui.conftest import focus_env, make_app, settle
from tests.tui.fake_session import CONTEXT, NOW, FakeSession


async def test_states_read_without_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    settings = parse(f"contexts:\n  {CONTEXT}: {{read-only: true, production: true}}\n", "config.yaml")
    fake = FakeSession(settings=settings)
    half = demo.namespace_object("topicshare", "half-done", "temporary")
    half["metadata"]["annotations"] = {ANNOTATION_STATE: STATE_CREATING}  # an interrupted clone
    fake.store.create_namespace(half, NOW)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color
        screen = app.main_screen
        header = str(screen.query_one(ContextBar).render())
        assert "READ-ONLY" in header and "PRODUCTION" in header
        envs = screen.query_one("#envs", DataTable)
        assert "EXPIRED" in envs.get_row("topicshare/demo-0301")
        assert envs.get_row("topicshare/half-done")[0] == "! half-done"
        assert "production" in envs.get_row("topicshare/production")  # the type, in words
        await focus_env(pilot, "topicshare/half-done")
        assert "! incomplete" in str(screen.query_one("#env-title", Static).render())
        await focus_env(pilot, "topicshare/demo-0301")
        assert "EXPIRED" in str(screen.query_one("#env-title", Static).render())
        assert "read-only mode" in str(screen.query_one("#reasons", Static).render())
