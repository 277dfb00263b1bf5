"""SVG snapshots of every screen at 80x24 and 160x48, with fixed data and a frozen clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypedDict

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select

from hotclone.core import demo
from hotclone.core.schema import ANNOTATION_STATE, STATE_CREATING
from hotclone.core.settings import Settings, parse
from hotclone.tui.app import HotcloneApp
from hotclone.tui.screens.rollout import RolloutScreen
from tests.tui import fake_gates
from tests.tui.conftest import SIZES, focus_container, focus_env, make_app, settle
from tests.tui.fake_session import CONTEXT, NOW, FakeSession
from tests.tui.secret_scan import leaks, screen_text, seeded_secrets

Steps = Callable[[Pilot[Any]], Awaitable[None]]


async def _keys(pilot: Pilot[Any], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def at(ref: str, *keys: str) -> Steps:
    async def steps(pilot: Pilot[Any]) -> None:
        await focus_env(pilot, ref)
        await _keys(pilot, *keys)

    return steps


def on_web(*keys: str) -> Steps:
    """hotfix-ko with the cursor on the web container, then `keys`."""

    async def steps(pilot: Pilot[Any]) -> None:
        await focus_container(pilot, "topicshare/hotfix-ko", "Deployment/web|web")
        await _keys(pilot, *keys)

    return steps


async def clone_invalid(pilot: Pilot[Any]) -> None:
    await at("topicshare/production", "c")(pilot)
    pilot.app.screen.query_one("#clone-name", Input).value = "Hotfix_KO"
    await settle(pilot)


async def clone_refused(pilot: Pilot[Any]) -> None:
    """The plan refused (a value still names production's host), and a kind the user may not list."""
    app = pilot.app
    assert isinstance(app, HotcloneApp) and isinstance(app.session, FakeSession)
    app.session.point_at_production()
    app.session.store.unlistable["PersistentVolumeClaim"] = "persistentvolumeclaims is forbidden"
    await at("topicshare/production", "c")(pilot)


async def edit_preview(pilot: Pilot[Any]) -> None:
    await on_web("e")(pilot)
    pilot.app.screen.query_one("#image", Input).value = "topicshare/web:1.9.5"
    await _keys(pilot, "enter")


async def edit_invalid(pilot: Pilot[Any]) -> None:
    await on_web("e")(pilot)
    pilot.app.screen.query_one("#image", Input).value = "TopicShare/web:"
    await settle(pilot)


async def config_preview(pilot: Pilot[Any]) -> None:
    await at("topicshare/hotfix-ko", "v")(pilot)
    pilot.app.screen.query_one("#config-key", Select).value = "CHARSET"
    await settle(pilot)
    pilot.app.screen.query_one("#config-value", Input).value = "EUC-KR"
    await _keys(pilot, "ctrl+s")


async def plan_side_by_side(pilot: Pilot[Any]) -> None:
    await at("topicshare/hotfix-ko", "p", "ctrl+o")(pilot)


async def promote_typed(pilot: Pilot[Any]) -> None:
    await at("topicshare/hotfix-ko", "p")(pilot)
    pilot.app.screen.query_one("#reason", Input).value = "KO-118 Hangul mojibake"
    pilot.app.screen.query_one("#confirm", Input).value = "production"
    await settle(pilot)


async def promote_wide_blast_radius(pilot: Pilot[Any]) -> None:
    """A wider blast radius: production's workloads are a Helm release's, the clone moved a Service's
    port and dropped the worker, and prune is on (the worker is deleted)."""
    app = pilot.app
    assert isinstance(app, HotcloneApp) and isinstance(app.session, FakeSession)
    store = app.session.store
    for ref in ("Deployment/web", "Deployment/worker"):
        meta = store.objects["topicshare-production"][ref]["metadata"]
        meta.setdefault("labels", {})["app.kubernetes.io/managed-by"] = "Helm"
        meta.setdefault("annotations", {})["meta.helm.sh/release-name"] = "topicshare"
    store.objects["topicshare-hotfix-ko"]["Service/web"]["spec"]["ports"][0]["port"] = 8081
    store.remove("topicshare-hotfix-ko", "Deployment/worker")
    await at("topicshare/hotfix-ko", "p")(pilot)
    app.screen.query_one("#prune", Checkbox).value = True
    await settle(pilot)
    app.screen.query_one("#reason", Input).value = "KO-118 Hangul mojibake"
    app.screen.query_one("#confirm", Input).value = "production"
    await settle(pilot)


async def rollout(pilot: Pilot[Any]) -> None:
    """Promote, then step the rollout by hand with the screen's poll timer off, letting the screen
    paint each step. The status column grows to the longest status it has painted, so left to a 50 ms
    timer the final frame depended on the machine: whether a step was painted before the next came."""
    app = pilot.app
    assert isinstance(app, HotcloneApp)
    app.poll_interval = 3600
    await promote_typed(pilot)
    await _keys(pilot, "ctrl+s")  # the screen polls once as it mounts
    screen = app.screen
    assert isinstance(screen, RolloutScreen)
    for _ in range(10):
        if screen.state != "running":
            break
        screen.poll()
        await settle(pilot)
    assert screen.state != "running", "the rollout never ended"
    app.clear_notifications()
    await settle(pilot)


async def unreachable(pilot: Pilot[Any]) -> None:
    await focus_env(pilot, "topicshare/production")
    app = pilot.app
    assert isinstance(app, HotcloneApp) and isinstance(app.session, FakeSession)
    app.session.unreachable = True
    app.retry_interval = 3600  # one failure, no retry loop while the screenshot is taken
    await _keys(pilot, "ctrl+r")
    app.clear_notifications()
    await settle(pilot)


async def long_names_first(pilot: Pilot[Any]) -> None:
    """An application with long names first: TopicShare's columns are measured again, images whole."""
    await focus_env(pilot, "fulfilment/performance-regression-march")
    await focus_env(pilot, "topicshare/hotfix-ko")


async def long_names_detail(pilot: Pilot[Any]) -> None:
    """A shortened row under the cursor: shown in full below the table."""
    row = "Deployment/order-fulfilment-reconciliation-worker|prometheus-metrics-exporter-sidecar"
    await focus_container(pilot, "fulfilment/performance-regression-march", row)


async def every_state(pilot: Pilot[Any]) -> None:
    """Production and read-only context, an expired and an incomplete clone: told apart by words."""
    app = pilot.app
    assert isinstance(app, HotcloneApp) and isinstance(app.session, FakeSession)
    half = demo.namespace_object("topicshare", "half-done", "temporary")
    half["metadata"]["annotations"] = {ANNOTATION_STATE: STATE_CREATING}  # a clone interrupted half-way
    app.session.store.create_namespace(half, NOW)
    await settle(pilot)
    app.main_screen.load_all()
    await focus_env(pilot, "topicshare/demo-0301")


def gated(pilot: Pilot[Any]) -> FakeSession:
    app = pilot.app
    assert isinstance(app, HotcloneApp) and isinstance(app.session, FakeSession)
    return app.session


async def verify_failed(pilot: Pilot[Any]) -> None:
    """The verify screen after a run: smoke failed (its detail; the log tail is behind enter), search passed."""
    gated(pilot).gate_store.outcomes["smoke"] = ("failed", fake_gates.MOJIBAKE, fake_gates.MOJIBAKE_LOG)
    await at("topicshare/hotfix-ko", "t")(pilot)


async def verified_with_requests(pilot: Pilot[Any]) -> None:
    """hotfix-ko verified; its owner asked for approval, and alice asks for hers (waiting for this user)."""
    fake = gated(pilot)
    hotfix = fake.environment("topicshare", "hotfix-ko")
    fake.verify(hotfix)
    fake.request_promotion(fake.plan_promote(hotfix), reason="KO-118 Hangul mojibake")
    fake.request_as("alice@example.com", reason="KO-120 search timeouts")
    app = pilot.app
    assert isinstance(app, HotcloneApp)
    await settle(pilot)
    app.main_screen.load_all()
    await focus_env(pilot, "topicshare/hotfix-ko")


async def requests(pilot: Pilot[Any]) -> None:
    await verified_with_requests(pilot)
    await _keys(pilot, "a")


async def promote_approved(pilot: Pilot[Any]) -> None:
    """A request for exactly this plan, approved by bob: the promote applies it."""
    fake = gated(pilot)
    hotfix = fake.environment("topicshare", "hotfix-ko")
    fake.verify(hotfix)
    made = fake.request_promotion(fake.plan_promote(hotfix), reason="KO-118 Hangul mojibake")
    fake.decide_as("bob@example.com", made.id)
    await at("topicshare/hotfix-ko", "p")(pilot)
    pilot.app.screen.query_one("#reason", Input).value = "KO-118 Hangul mojibake"
    await settle(pilot)


READ_ONLY_CONTEXT = parse(f"contexts:\n  {CONTEXT}: {{read-only: true}}\n", "config.yaml")
PRODUCTION_CONTEXT = parse(f"contexts:\n  {CONTEXT}: {{production: true}}\n", "config.yaml")
BOTH_CONTEXT = parse(f"contexts:\n  {CONTEXT}: {{read-only: true, production: true}}\n", "config.yaml")


class Options(TypedDict, total=False):
    gates: bool
    read_only: bool
    rollout_fails: bool
    long_names: bool
    settings: Settings
    clusters: int
    down: bool


CASES: dict[str, tuple[Steps, Options]] = {
    "main": (at("topicshare/hotfix-ko"), {}),
    "main_production_read_only": (at("topicshare/production"), {"read_only": True}),
    "main_filter": (at("topicshare/qa", "slash", "p", "r", "o", "d"), {}),
    "main_long_names": (long_names_detail, {"long_names": True}),
    "main_after_long_names": (long_names_first, {"long_names": True}),
    "main_read_only_context": (at("topicshare/hotfix-ko"), {"settings": READ_ONLY_CONTEXT}),  # from the config file
    "main_production_context": (at("topicshare/qa"), {"settings": PRODUCTION_CONTEXT}),
    "main_no_color_states": (every_state, {"settings": BOTH_CONTEXT}),  # with NO_COLOR
    "typed_confirm": (at("topicshare/hotfix-ko", "x"), {"settings": PRODUCTION_CONTEXT}),
    "matrix": (at("topicshare/hotfix-ko", "m"), {}),
    "clone": (at("topicshare/production", "c"), {}),
    "clone_invalid": (clone_invalid, {}),
    "clone_refused": (clone_refused, {}),
    "edit_image": (on_web("e"), {}),
    "edit_image_invalid": (edit_invalid, {}),
    "edit_image_preview": (edit_preview, {}),
    "edit_config": (at("topicshare/hotfix-ko", "v"), {}),
    "edit_config_preview": (config_preview, {}),
    "promote_side_by_side": (plan_side_by_side, {}),
    "diff": (at("topicshare/hotfix-ko", "d"), {}),
    "diff_env_scoped": (at("topicshare/hotfix-ko", "d", "s", "j", "j", "j", "j"), {}),  # the Secret, masked
    "diff_image": (at("topicshare/hotfix-ko", "d", "n"), {}),  # unified at 80x24, side by side at 160x48
    "diff_toggled": (at("topicshare/hotfix-ko", "d", "n", "u"), {}),  # `u`: the other view at each size
    "diff_no_color": (at("topicshare/hotfix-ko", "d", "n"), {}),  # with NO_COLOR: the marks alone
    "promote": (at("topicshare/hotfix-ko", "p"), {}),
    "promote_confirmed": (promote_typed, {}),
    "promote_wide_blast_radius": (promote_wide_blast_radius, {}),
    "rollout_success": (rollout, {}),
    "rollout_failure": (rollout, {"rollout_fails": True}),
    "history": (at("topicshare/hotfix-ko", "h"), {}),
    "help": (at("topicshare/production", "question_mark"), {}),
    "destroy": (at("topicshare/hotfix-ko", "x"), {}),
    "unreachable": (unreachable, {}),
    "verify_failed": (verify_failed, {"gates": True}),
    "main_verified_waiting": (verified_with_requests, {"gates": True}),  # the state line, the header's badge
    "requests": (requests, {"gates": True}),
    "promote_gates_blocked": (at("topicshare/hotfix-ko", "p"), {"gates": True}),  # never verified
    "promote_request_approved": (promote_approved, {"gates": True}),
    # Issue 14: two contexts, the second down: its line above the list, the home cluster's environments
    # listed with their context, the header naming both with their state.
    "main_two_clusters_down": (at("topicshare/hotfix-ko"), {"clusters": 2, "down": True}),
}


NO_COLOR_CASES = {"diff_no_color", "main_no_color_states"}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("case", list(CASES))
def test_snapshot(case: str, size: str, snap_compare: Callable[..., bool], monkeypatch: pytest.MonkeyPatch) -> None:
    steps, options = CASES[case]
    if case in NO_COLOR_CASES:
        monkeypatch.setenv("NO_COLOR", "1")  # Textual reads it when the app is made
    app = make_app(FakeSession(**options))
    assert snap_compare(app, terminal_size=SIZES[size], run_before=steps)


@pytest.mark.parametrize("case", list(CASES))
async def test_no_secret_value_on_any_screen(case: str) -> None:
    """Each snapshot's screen, all of its text (scrolled away too), against every secret the fake holds."""
    steps, options = CASES[case]
    fake = FakeSession(**options)
    secrets = seeded_secrets(fake.app) | fake.secrets()  # the demo's, and the clones' generated passwords
    app = make_app(fake)
    async with app.run_test(size=SIZES["160x48"]) as pilot:
        await steps(pilot)
        assert not leaks(screen_text(app), secrets)


def test_no_secret_value_in_any_snapshot() -> None:
    from pathlib import Path

    files = list((Path(__file__).parent / "__snapshots__").rglob("*.svg"))
    assert files, "no snapshots: run pytest tests/tui --snapshot-update"
    secrets = seeded_secrets(FakeSession().app)  # generated ones differ per run: the test above covers them
    found = [f"{f.name}: {label}" for f in files for label in leaks(f.read_text(), secrets)]
    assert not found
