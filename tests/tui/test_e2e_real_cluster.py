"""The real dashboard against the local API server: clone, edit image, diff, promote, then check the cluster.

Needs the `seeded_app` fixture from tests/conftest.py: (core.session.Session, app name) for a
freshly seeded TopicShare-shaped application with development, qa and production.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input

from hotclone.tui.app import HotcloneApp
from tests.tui.conftest import focus_env, settle

pytestmark = pytest.mark.cluster


async def _wait_for(pilot: Any, predicate: Any, rounds: int = 100) -> None:
    for _ in range(rounds):
        await settle(pilot)
        if predicate():
            return
        await pilot.pause(0.1)
    app = pilot.app
    raise AssertionError(f"condition not reached on {app.screen}: errors {app.errors}")


async def test_clone_edit_diff_promote_against_real_cluster(seeded_app: tuple[Any, str]) -> None:
    session, app_name = seeded_app
    app = HotcloneApp(lambda: session, refresh_interval=3600, poll_interval=0.5, cursor_blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await focus_env(pilot, f"{app_name}/production")
        await _wait_for(pilot, lambda: f"{app_name}/production" in app.permissions)

        # c: clone production into a temporary environment
        await pilot.press("c")
        await settle(pilot)
        app.screen.query_one("#clone-name", Input).value = "hotfix-e2e"
        await _wait_for(pilot, lambda: app.screen.query_one("#clone-type").value is not None)
        await pilot.press("ctrl+s")
        await _wait_for(pilot, lambda: app.focused_env is not None and app.focused_env.name == "hotfix-e2e")
        await _wait_for(pilot, lambda: f"{app_name}/hotfix-e2e" in app.permissions and bool(app.main_screen.workloads))
        clone = session.environment(app_name, "hotfix-e2e")
        assert clone.cloned_from == "production"

        # e: set the web image in the clone (cursor on the web container)
        table = app.main_screen.query_one("#workloads")
        web_key = next(k.value for k in table.rows if str(k.value).split("|")[0].endswith("/web"))
        table.move_cursor(row=table.get_row_index(web_key))
        table.focus()
        await settle(pilot)
        old = next(c.image for w in app.main_screen.workloads if w.name == "web" for c in w.containers if not c.init)
        new_image = old.rsplit(":", 1)[0] + ":e2e-fix"
        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one("#image", Input).value = new_image
        await pilot.press("ctrl+s")
        await _wait_for(pilot, lambda: app.screen.query_one("#edit-preview").display)
        app.screen.query_one("#reason", Input).value = "e2e"
        await pilot.press("ctrl+s")
        await _wait_for(pilot, lambda: app.screen is app.main_screen)

        # d: diff clone vs production shows the web change
        app.main_screen.query_one("#envs").focus()
        await settle(pilot)
        await pilot.press("d")
        await _wait_for(pilot, lambda: getattr(app.screen, "diff", None) is not None)
        diff = app.screen.diff  # type: ignore[attr-defined]
        assert any(o.name == "web" and o.status == "changed" for o in diff.changed)
        await pilot.press("escape")
        await settle(pilot)

        # p: promote with the typed confirmation
        await pilot.press("p")
        await _wait_for(pilot, lambda: getattr(app.screen, "plan", None) is not None)
        app.screen.query_one("#reason", Input).value = "e2e promote"
        app.screen.query_one("#confirm", Input).value = "production"
        await pilot.press("ctrl+s")
        await _wait_for(pilot, lambda: type(app.screen).__name__ == "RolloutScreen")

    # The cluster itself: production now runs the new web image; the clone still exists.
    production = session.environment(app_name, "production")
    web = next(w for w in session.workloads(production) if w.name == "web")
    assert any(c.image == new_image for c in web.containers)
    assert session.environment(app_name, "hotfix-e2e").cloned_from == "production"
