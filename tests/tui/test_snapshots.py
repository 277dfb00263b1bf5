"""SVG snapshots of every screen at 80x24 and 160x48, with fixed data and a frozen clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from tests.tui.conftest import SIZES, focus_env, make_app, settle
from tests.tui.fake_session import FakeSession

Steps = Callable[[Pilot[object]], Awaitable[None]]


async def _keys(pilot: Pilot[object], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def at(ref: str, *keys: str) -> Steps:
    async def steps(pilot: Pilot[object]) -> None:
        await focus_env(pilot, ref)
        await _keys(pilot, *keys)

    return steps


async def clone_invalid(pilot: Pilot[object]) -> None:
    await at("topicshare/production", "c")(pilot)
    pilot.app.screen.query_one("#clone-name", Input).value = "Hotfix_KO"
    await settle(pilot)


async def edit_preview(pilot: Pilot[object]) -> None:
    await at("topicshare/hotfix-ko", "tab", "e")(pilot)
    pilot.app.screen.query_one("#image", Input).value = "registry.example.com/topicshare/web:1.9.5"
    await _keys(pilot, "enter")


async def edit_invalid(pilot: Pilot[object]) -> None:
    await at("topicshare/hotfix-ko", "tab", "e")(pilot)
    pilot.app.screen.query_one("#image", Input).value = "registry.example.com/TopicShare/web:"
    await settle(pilot)


async def config_preview(pilot: Pilot[object]) -> None:
    await at("topicshare/hotfix-ko", "v")(pilot)
    pilot.app.screen.query_one("#config-key", Select).value = "CHARSET"
    await settle(pilot)
    pilot.app.screen.query_one("#config-value", Input).value = "UTF-8"
    await _keys(pilot, "ctrl+s")


async def plan_side_by_side(pilot: Pilot[object]) -> None:
    await at("topicshare/hotfix-ko", "p", "ctrl+o")(pilot)


async def promote_typed(pilot: Pilot[object]) -> None:
    await at("topicshare/hotfix-ko", "p")(pilot)
    pilot.app.screen.query_one("#reason", Input).value = "KO-118 Hangul mojibake"
    pilot.app.screen.query_one("#confirm", Input).value = "production"
    await settle(pilot)


async def rollout(pilot: Pilot[object]) -> None:
    await promote_typed(pilot)
    await _keys(pilot, "ctrl+s")
    for _ in range(3):
        await pilot.pause(0.1)
        await settle(pilot)
    pilot.app.clear_notifications()
    await settle(pilot)


async def unreachable(pilot: Pilot[object]) -> None:
    await focus_env(pilot, "topicshare/production")
    session = pilot.app.session
    assert isinstance(session, FakeSession)
    session.unreachable = True
    pilot.app.retry_interval = 3600  # one failure, no retry loop while the screenshot is taken
    await _keys(pilot, "ctrl+r")
    pilot.app.clear_notifications()
    await settle(pilot)


CASES: dict[str, tuple[Steps, dict[str, object]]] = {
    "main": (at("topicshare/hotfix-ko"), {}),
    "main_production_read_only": (at("topicshare/production"), {"read_only": True}),
    "main_filter": (at("topicshare/qa", "slash", "p", "r", "o", "d"), {}),
    "matrix": (at("topicshare/hotfix-ko", "m"), {}),
    "clone": (at("topicshare/production", "c"), {}),
    "clone_invalid": (clone_invalid, {}),
    "edit_image": (at("topicshare/hotfix-ko", "tab", "e"), {}),
    "edit_image_invalid": (edit_invalid, {}),
    "edit_image_preview": (edit_preview, {}),
    "edit_config": (at("topicshare/hotfix-ko", "v"), {}),
    "edit_config_preview": (config_preview, {}),
    "promote_side_by_side": (plan_side_by_side, {}),
    "diff": (at("topicshare/hotfix-ko", "d"), {}),
    "diff_env_scoped": (at("topicshare/hotfix-ko", "d", "s", "j", "j"), {}),
    "promote": (at("topicshare/hotfix-ko", "p"), {}),
    "promote_confirmed": (promote_typed, {}),
    "rollout_success": (rollout, {}),
    "rollout_failure": (rollout, {"rollout_fails": True}),
    "history": (at("topicshare/production", "h"), {}),
    "help": (at("topicshare/production", "question_mark"), {}),
    "destroy": (at("topicshare/hotfix-ko", "x"), {}),
    "unreachable": (unreachable, {}),
}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("case", list(CASES))
def test_snapshot(case: str, size: str, snap_compare: Callable[..., bool]) -> None:
    steps, options = CASES[case]
    app = make_app(FakeSession(**options))  # type: ignore[arg-type]
    assert snap_compare(app, terminal_size=SIZES[size], run_before=steps)


def test_no_secret_value_in_any_snapshot() -> None:
    from pathlib import Path

    from tests.tui.fake_session import FAKE_API_TOKEN, FAKE_CLONE_PASSWORD, FAKE_DB_PASSWORD

    files = list((Path(__file__).parent / "__snapshots__").rglob("*.svg"))
    assert files, "no snapshots: run pytest tests/tui --snapshot-update"
    secrets = (FAKE_DB_PASSWORD, FAKE_API_TOKEN, FAKE_CLONE_PASSWORD)
    leaks = [f.name for f in files for s in secrets if s in f.read_text() or s.replace("-", "&#45;") in f.read_text()]
    assert not leaks
