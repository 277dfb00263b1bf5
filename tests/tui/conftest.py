"""Fixtures for dashboard tests: the fake session, a deterministic app, and a way to let workers finish."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable
from textual.worker import WorkerCancelled, WorkerFailed

from hotclone.tui.app import HotcloneApp
from hotclone.tui.screens.rollout import RolloutScreen
from tests.tui.fake_session import FakeSession

SIZES = {"80x24": (80, 24), "160x48": (160, 48)}


def make_app(session: FakeSession | None = None) -> HotcloneApp:
    fake = session or FakeSession()
    # No periodic refresh and no blinking cursor: snapshots must not depend on timing.
    return HotcloneApp(
        lambda: fake,
        refresh_interval=3600,
        poll_interval=0.05,
        retry_interval=0.05,
        cursor_blink=False,
    )


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until chained workers (connect -> load -> focus -> load) and their messages are done."""
    app = pilot.app
    for _ in range(20):
        with suppress(WorkerFailed, WorkerCancelled):  # failures are the app's to report; tests check that
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            await pilot.pause()
            if not any(w.is_running for w in app.workers):
                return


async def until(
    pilot: Pilot[Any],
    condition: Callable[[], bool],
    what: str = "the condition",
    *,
    rounds: int = 100,
    interval: float = 0.1,
    settling: bool = True,
) -> None:
    """Pause until `condition()` holds; fail after `rounds`. Each round settles the workers first,
    unless `settling` is off (a worker blocked on purpose: settle would wait for it)."""
    for _ in range(rounds):
        if settling:
            await settle(pilot)
        if condition():
            return
        await pilot.pause(interval)
    app = pilot.app
    raise AssertionError(f"never: {what} (on {app.screen}, errors {getattr(app, 'errors', None)})")


async def rollout_ended(pilot: Pilot[Any]) -> None:
    """Wait until the rollout screen has ended (success or failure), within 10 s. Each poll is one
    controller step of the fake, so how many steps a fixed pause gets depends on the machine."""

    def ended() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, RolloutScreen) and screen.state != "running"

    await until(pilot, ended, "the rollout ended", rounds=200, interval=0.05)
    await settle(pilot)


async def focus_env(pilot: Pilot[Any], ref: str) -> None:
    app = pilot.app
    assert isinstance(app, HotcloneApp)
    await settle(pilot)
    app.main_screen.focus_row(ref)
    await settle(pilot)


async def focus_container(pilot: Pilot[Any], ref: str, row: str) -> None:
    """Focus environment `ref`, then put the workloads cursor on `row` ("Deployment/web|web")."""
    app = pilot.app
    assert isinstance(app, HotcloneApp)
    await focus_env(pilot, ref)
    table = app.main_screen.query_one("#workloads", DataTable)
    table.move_cursor(row=table.get_row_index(row))
    table.focus()
    await settle(pilot)


@pytest.fixture
def fake() -> FakeSession:
    return FakeSession()


@pytest.fixture
def app_factory() -> Callable[..., HotcloneApp]:
    return make_app
