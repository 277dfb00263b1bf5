"""Main screen: loading, navigation, filter, header, permissions, refresh, lost connection."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from hotclone.core.models import Action
from hotclone.tui.screens.help import HelpScreen
from hotclone.tui.widgets.context_bar import ContextBar
from tests.tui.conftest import focus_env, make_app, settle
from tests.tui.fake_session import FakeSession


async def test_loads_applications_and_focused_workloads(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        screen = app.main_screen
        envs = screen.query_one("#envs", DataTable)
        assert envs.row_count == 9  # 2 app rows + 7 environments (5 of topicshare, 2 of billing)
        assert app.focused_env is not None and app.focused_env.name == "hotfix-ko"
        workloads = screen.query_one("#workloads", DataTable)
        # api (and its init container), web, worker, the clone's postgres, search, digest-mailer
        assert workloads.row_count == 7
        assert "topicshare/web:1.9.4" in workloads.get_row("Deployment/web|web")
        assert "rewritten" in str(screen.query_one("#preflight", Static).render())
        header = str(screen.query_one(ContextBar).render())
        assert "ctx: kind-topicshare" in header and "user: oncall@example.com" in header
        assert "READ-ONLY" not in header and "PRODUCTION" not in header
        assert ("allowed", (Action.CLONE, "hotfix-ko"), {}) in fake.calls


async def test_vim_keys_move_and_production_is_marked(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/qa")  # environments in core's order: production, qa, development, ...
        await pilot.press("k")
        await settle(pilot)
        assert app.focused_env is not None and app.focused_env.name == "production"
        bar = app.main_screen.query_one(ContextBar)
        assert "PRODUCTION" in str(bar.render())
        await pilot.press("j")
        await settle(pilot)
        assert app.focused_env is not None and app.focused_env.name == "qa"
        assert "PRODUCTION" not in str(bar.render())
        await pilot.press("G")
        await settle(pilot)
        assert app.focused_env is not None and app.focused_env.name == "hotfix-ko"
        await pilot.press("g")
        await settle(pilot)
        assert app.focused_env is None and app.main_screen.current_app == "billing"


async def test_expired_environment_shows_expired(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        row = app.main_screen.query_one("#envs", DataTable).get_row("topicshare/demo-0301")
        assert "EXPIRED" in row and "qa" in row


async def test_filter_with_slash_and_escape(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, Input) and app.focused.id == "filter"
        await pilot.press(*"hotfix")
        envs = app.main_screen.query_one("#envs", DataTable)
        assert envs.row_count == 2  # topicshare + hotfix-ko
        await pilot.press("enter")
        await settle(pilot)
        assert app.main_screen.focused is envs  # (the app's `focused` narrowed to Input above)
        assert app.focused_env is not None and app.focused_env.name == "hotfix-ko"
        await pilot.press("escape")
        assert envs.row_count == 9


async def test_read_only_disables_every_change(fake: FakeSession) -> None:
    fake.read_only = True
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        screen = app.main_screen
        assert "READ-ONLY" in str(screen.query_one(ContextBar).render())
        for action in ("clone", "edit_image", "promote", "destroy"):
            assert screen.check_action(action, ()) is None
            assert screen.disabled_reason(action) == "read-only mode"
        assert screen.check_action("diff", ()) is True
        await pilot.press("c", "x", "p", "e")
        await settle(pilot)
        assert app.screen is screen  # nothing opened
        assert "read-only mode" in str(screen.query_one("#reasons", Static).render())


async def test_rbac_denied_action_is_disabled_with_reason() -> None:
    fake = FakeSession(denied={Action.CLONE: "RBAC: cannot create namespaces"})
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/production")
        await pilot.press("c")
        await settle(pilot)
        assert app.screen is app.main_screen
        assert not fake.called("clone")
        reasons = str(app.main_screen.query_one("#reasons", Static).render())
        assert "RBAC: cannot create namespaces" in reasons
        assert "images in production change only through promote or rollback" in app.main_screen.disabled_reason(
            "edit_image"
        )


async def test_permissions_are_cached_per_environment(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/qa")
        await focus_env(pilot, "topicshare/production")
        await focus_env(pilot, "topicshare/qa")
        asked = [a for a, _k in fake.called("allowed") if a[0] is Action.CLONE and a[1] == "qa"]
        assert len(asked) == 1


async def test_ctrl_r_refreshes(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        before = len(fake.called("applications"))
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert len(fake.called("applications")) == before + 1


async def test_lost_connection_shows_banner_and_retries(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        fake.unreachable = True
        await pilot.press("ctrl+r")
        await settle(pilot)
        banner = app.main_screen.query_one("#banner", Static)
        assert banner.display and "Connection lost" in str(banner.render())
        assert app.is_running
        fake.unreachable = False
        await pilot.pause(0.2)
        await settle(pilot)
        assert not banner.display


async def test_connect_failure_does_not_crash() -> None:
    from hotclone.core.errors import Unreachable

    calls = []

    def connect() -> FakeSession:
        calls.append(1)
        if len(calls) == 1:
            raise Unreachable("kubeconfig: no such context 'prod'")
        return FakeSession()

    from hotclone.tui.app import HotcloneApp

    app = HotcloneApp(connect, refresh_interval=3600, retry_interval=0.05, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        assert len(calls) == 2 and app.connection is not None and not app.unreachable


async def test_errors_notify_and_error_log(fake: FakeSession) -> None:
    from hotclone.core.errors import ServerError

    fake.fail["workloads"] = ServerError("quota exceeded in topicshare-qa")
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/qa")
        assert app.errors and app.errors[-1] == ("Server error", "quota exceeded in topicshare-qa")
        await pilot.press("exclamation_mark")
        assert type(app.screen).__name__ == "ErrorLogScreen"
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_help_lists_keys_with_reasons(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/production")
        await pilot.press("question_mark")
        screen = app.screen
        assert type(screen).__name__ == "HelpScreen"
        assert isinstance(screen, HelpScreen)
        rows = {r[0]: r for r in screen.rows}
        for key in ("c", "e", "d", "p", "h", "x", "m", "/", "ctrl+r", "?"):
            assert key in rows, key
        assert "production environments are never destroyed" in rows["x"][2]
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_command_palette_jumps_to_environment(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        await pilot.pause()
        await pilot.press(*"hotfix-ko")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused_env is not None and app.focused_env.name == "hotfix-ko"


async def test_matrix_marks_cells_that_differ(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        await pilot.press("m")
        await settle(pilot)
        table = app.screen.query_one("#matrix-table", DataTable)
        row = [str(c) for c in table.get_row("Deployment/web")]
        assert row[0] == "Deployment/web"
        assert "≠ 1.9.4" in row and "  1.9.3" in row  # hotfix-ko differs from production
        await pilot.press("escape")
        assert app.screen is app.main_screen
