"""The dashboard follows the live view (issue 13): changes by others on screen without a key press,
focus changes from memory, polling only without the watches, the rollout screen from the watch,
and a first frame from the kubeconfig before the session connects."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from hotclone.core.models import ConnectionInfo
from hotclone.tui.app import HotcloneApp
from hotclone.tui.screens.rollout import RolloutScreen
from hotclone.tui.widgets.context_bar import ContextBar
from tests.tui.conftest import focus_env, make_app, settle
from tests.tui.fake_session import REASON, USER, FakeSession

READS = ("applications", "environments", "workloads", "version_matrices", "version_matrix", "rollout_status")


async def _within(pilot: Pilot[Any], seconds: float, shown: Callable[[], bool]) -> float:
    """Seconds until `shown()` holds, without pressing anything; fails after `seconds`."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if shown():
            return time.monotonic() - start
        await pilot.pause(0.01)
    raise AssertionError(f"not on screen within {seconds}s")


def _workload_cells(app: HotcloneApp) -> list[str]:
    table = app.main_screen.query_one("#workloads", DataTable)
    return [str(cell) for key in table.rows for cell in table.get_row(key)]


def _reads(fake: FakeSession) -> list[str]:
    return [name for name, _args, _kwargs in fake.calls if name in READS]


async def test_an_external_image_change_is_on_screen_within_a_second_without_a_key() -> None:
    fake = FakeSession(live_state="live")
    app = make_app(fake)
    async with app.run_test(size=(160, 48)) as pilot:
        await focus_env(pilot, "topicshare/qa")
        assert app.live_state == "live" and "topicshare/web:2.0.0-rc.2" in _workload_cells(app)
        fake.calls.clear()
        fake.external_set_image("qa", "web", "topicshare/web:2.0.1")  # kubectl set image, from another thread
        elapsed = await _within(pilot, 1.0, lambda: "topicshare/web:2.0.1" in _workload_cells(app))
        assert elapsed < 1.0
        # The version column follows too, and nothing was read through the session to show it.
        matrices = lambda: app.main_screen.matrices["topicshare"].rows  # noqa: E731
        await _within(pilot, 1.0, lambda: any("2.0.1" in tag for _ref, tags in matrices() for tag in tags))
        assert _reads(fake) == []


async def test_a_focus_change_shows_workloads_from_memory_and_reads_the_verification_once() -> None:
    fake = FakeSession(live_state="live")
    app = make_app(fake)
    async with app.run_test(size=(160, 48)) as pilot:
        await focus_env(pilot, "topicshare/production")
        fake.calls.clear()
        app.main_screen.focus_row("topicshare/hotfix-ko")
        # Shown in the same turn of the event loop: no worker, no request.
        assert "topicshare/web:1.9.4" in _workload_cells(app)
        assert not app.main_screen.query_one("#workloads", DataTable).loading
        for _ in range(3):  # holding j: the verification of the environments passed by is never read
            await pilot.press("j")
        await settle(pilot)
        assert _reads(fake) == []
        assert [args for args, _ in fake.called("verification")] == [(app.focused_env.name,)]  # type: ignore[union-attr]
        assert "verif" in str(app.main_screen.query_one("#verification", Static).render()).lower()


async def test_a_new_environment_appears_in_the_list_by_itself() -> None:
    fake = FakeSession(live_state="live")
    app = make_app(fake)
    async with app.run_test(size=(160, 48)) as pilot:
        await focus_env(pilot, "topicshare/qa")
        envs = app.main_screen.query_one("#envs", DataTable)
        assert "topicshare/perf-1" not in envs.rows
        fake.external_add_environment("perf-1")
        await _within(pilot, 1.0, lambda: "topicshare/perf-1" in envs.rows)
        assert app.focused_env is not None and app.focused_env.name == "qa"  # the cursor stays where it was


async def test_without_the_watches_the_dashboard_polls_and_with_them_it_does_not() -> None:
    for state, polls in (("fallback", True), ("live", False)):
        fake = FakeSession(live_state=state)  # type: ignore[arg-type]
        app = HotcloneApp(lambda fake=fake: fake, refresh_interval=0.1, cursor_blink=False)  # type: ignore[misc]
        async with app.run_test(size=(160, 48)) as pilot:
            await focus_env(pilot, "topicshare/qa")
            before = len(fake.called("workloads"))
            await pilot.pause(0.6)
            await settle(pilot)
            assert (len(fake.called("workloads")) > before) is polls, state
            assert app.live_state == state


async def test_the_rollout_screen_follows_the_watch() -> None:
    fake = FakeSession(live_state="live")
    plan = fake.plan_promote(fake.environment("topicshare", "hotfix-ko"))
    fake.apply(plan, confirm="production", reason=REASON)
    app = make_app(fake)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        app.push_screen(RolloutScreen(plan))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RolloutScreen) and screen.state == "running"
        assert len(fake.called("rollout_status")) == 1  # the first status is read: never older than the apply
        status = screen.query_one("#rollout-status", Static)
        for _ in range(10):
            if screen.state != "running":
                break
            for ref in plan.restarts:
                fake.external_rollout_step(plan.target, ref)  # the controllers, unasked
            await pilot.pause(0.1)
        assert screen.state == "success", status.render()
        assert len(fake.called("rollout_status")) == 1  # no poll: every later status came from the watch


async def test_the_first_frame_shows_the_kubeconfig_before_the_session_connects() -> None:
    fake, connected = FakeSession(), threading.Event()

    def connect() -> FakeSession:
        connected.wait(10)
        return fake

    preview = ConnectionInfo("ctx-from-kubeconfig", "https://10.0.0.1:6443", "kube-user", False)
    app = HotcloneApp(connect, refresh_interval=3600, cursor_blink=False, preview=preview)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            header = str(app.main_screen.query_one(ContextBar).render())
            assert "ctx: ctx-from-kubeconfig" in header and "user: kube-user" in header
            assert "loading" in str(app.main_screen.query_one("#env-title", Static).render())
            assert app.session is None
            connected.set()
            await _within(pilot, 5.0, lambda: f"user: {USER}" in str(app.main_screen.query_one(ContextBar).render()))
    finally:
        connected.set()
