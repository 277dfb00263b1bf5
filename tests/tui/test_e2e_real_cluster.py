"""The real dashboard against the local API server: clone, edit image, diff, history, promote, then check the cluster.

Every screen it reaches is scanned, all of its text, for every secret value on the cluster
for this app: the demo's seeded ones and the clone's generated database password.
Needs the `seeded` fixture from tests/conftest.py: a freshly seeded TopicShare-shaped app.
"""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, OptionList, Select

from hotclone.core import kinds
from hotclone.core.schema import LABEL_APP
from hotclone.tui.app import HotcloneApp
from hotclone.tui.screens.diff import DiffScreen
from hotclone.tui.screens.promote import PromoteModal
from tests.conftest import Seeded
from tests.tui.conftest import focus_env, settle, until
from tests.tui.secret_scan import Secrets, leaks, screen_text, secret_values, seeded_secrets

pytestmark = pytest.mark.cluster


def _checked(app: HotcloneApp, ref: str) -> bool:
    """The dashboard has asked the API server what may be done in `ref` (keyed `app/env@context`)."""
    return any(key == ref or key.startswith(f"{ref}@") for key in app.permissions)


class Scanner:
    """Scans a screen for every secret the app has on the cluster right now (new clones included)."""

    def __init__(self, seeded: Seeded, app: HotcloneApp) -> None:
        self.seeded, self.app = seeded, app
        self.screens: list[str] = []

    def secrets(self) -> Secrets:
        found = seeded_secrets(self.seeded.app)
        selector = f"{LABEL_APP}={self.seeded.app}"
        for namespace in self.seeded.cluster.list(kinds.NAMESPACE, label_selector=selector):
            name = namespace["metadata"]["name"]
            found |= secret_values(self.seeded.cluster.list(kinds.SECRET, name), name)
        return found

    def __call__(self, where: str) -> None:
        secrets = self.secrets()
        assert len(secrets) >= 4, "the scan would look for nothing"
        assert not leaks(screen_text(self.app), secrets), f"a secret value is on the {where} screen"
        self.screens.append(where)


async def test_clone_edit_diff_promote_against_real_cluster(seeded: Seeded) -> None:
    session, app_name = seeded.session, seeded.app
    app = HotcloneApp(lambda: session, refresh_interval=3600, poll_interval=0.5, cursor_blink=False)
    scan = Scanner(seeded, app)
    async with app.run_test(size=(160, 48)) as pilot:
        await focus_env(pilot, f"{app_name}/production")
        await until(pilot, lambda: _checked(app, f"{app_name}/production"))
        scan("main")

        # c: clone production into a temporary environment
        await pilot.press("c")
        await settle(pilot)
        app.screen.query_one("#clone-name", Input).value = "hotfix-e2e"
        await until(pilot, lambda: app.screen.query_one("#clone-type", Select).value is not Select.NULL)
        scan("clone form")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.focused_env is not None and app.focused_env.name == "hotfix-e2e")
        await until(pilot, lambda: _checked(app, f"{app_name}/hotfix-e2e") and bool(app.main_screen.workloads))
        clone = session.environment(app_name, "hotfix-e2e")
        assert clone.cloned_from == "production"
        assert any("hotfix-e2e" in label for label in scan.secrets()), "the clone's generated password is scanned for"
        scan("main, on the clone")

        # e: set the web image in the clone (cursor on the web container)
        table = app.main_screen.query_one("#workloads", DataTable)
        web_key = next(str(k.value) for k in table.rows if str(k.value).split("|")[0].endswith("/web"))
        table.move_cursor(row=table.get_row_index(web_key))
        table.focus()
        await settle(pilot)
        old = next(c.image for w in app.main_screen.workloads if w.name == "web" for c in w.containers if not c.init)
        new_image = old.rsplit(":", 1)[0] + ":e2e-fix"
        await pilot.press("e")
        await settle(pilot)
        scan("edit image")
        app.screen.query_one("#image", Input).value = new_image
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen.query_one("#edit-preview").display)
        scan("edit image preview")
        app.screen.query_one("#reason", Input).value = "e2e"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is app.main_screen)

        # d: diff clone vs production shows the web change; with env-scoped objects, every Secret's YAML
        app.main_screen.query_one("#envs").focus()
        await settle(pilot)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, DiffScreen) and app.screen.diff is not None)
        screen = app.screen
        assert isinstance(screen, DiffScreen) and screen.diff is not None
        assert any(o.name == "web" and o.status == "changed" for o in screen.diff.changed)
        scan("diff")
        await pilot.press("s")
        await until(pilot, lambda: any(o.env_scoped for o in screen.objects))
        secrets_at = [i for i, o in enumerate(screen.objects) if o.kind == "Secret"]
        assert secrets_at, "the env-scoped diff shows the Secrets"
        for index in secrets_at:
            screen.query_one("#diff-objects", OptionList).highlighted = index
            await settle(pilot)
            scan(f"diff, Secret #{index} side by side")
        await pilot.press("escape")
        await settle(pilot)

        # h: the clone's history (clone, set-image)
        await pilot.press("h")
        await until(pilot, lambda: app.screen.query_one("#history-table", DataTable).row_count == 2)
        scan("history")
        await pilot.press("escape")
        await settle(pilot)

        # p: promote with the typed confirmation, after a look at the plan side by side
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PromoteModal) and app.screen.plan is not None)
        scan("promote preview")
        await pilot.press("ctrl+o")
        await until(pilot, lambda: type(app.screen).__name__ == "PlanDiffScreen")
        scan("promote side by side")
        await pilot.press("escape")
        await settle(pilot)
        app.screen.query_one("#reason", Input).value = "e2e promote"
        app.screen.query_one("#confirm", Input).value = "production"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: type(app.screen).__name__ == "RolloutScreen")
        scan("rollout")  # no controllers on the local API server: it stays rolling out

    assert len(scan.screens) >= 10
    # The cluster itself: production now runs the new web image; the clone still exists.
    production = session.environment(app_name, "production")
    web = next(w for w in session.workloads(production) if w.name == "web")
    assert any(c.image == new_image for c in web.containers)
    assert session.environment(app_name, "hotfix-e2e").cloned_from == "production"


async def test_verify_a_clone_against_real_cluster(seeded: Seeded) -> None:
    """t on a clone of production: the demo's smoke check runs as a real Job, fails on web 1.9.3 with
    the fake node's message as its log tail, and the state beside the workloads says so."""
    from hotclone.core.models import ImageSpec
    from hotclone.tui.screens.text import TextModal
    from hotclone.tui.screens.verify import VerifyScreen

    session, app_name = seeded.session, seeded.app
    session.clone(session.environment(app_name, "production"), "verify-e2e")
    app = HotcloneApp(lambda: session, refresh_interval=3600, poll_interval=0.5, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, f"{app_name}/verify-e2e")
        await until(pilot, lambda: _checked(app, f"{app_name}/verify-e2e"))
        await until(pilot, lambda: app.main_screen.verification is not None)
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, VerifyScreen) and app.screen.run.finished, rounds=300)
        screen = app.screen
        assert isinstance(screen, VerifyScreen)
        assert screen.run.error == "" and screen.run.rows["smoke"].outcome == "failed"
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, TextModal)
        assert "smoke: Hangul renders as mojibake" in screen_text(app)
        await pilot.press("escape", "escape")
        await until(pilot, lambda: "verification failed: smoke" in screen_text(app))

        clone = session.environment(app_name, "verify-e2e")
        specs = [ImageSpec("web", None, f"{app_name}/web:1.9.4")]
        session.set_image(clone, specs, seen=session.plan_set_image(clone, specs)[0])
        app.main_screen.verification_changed(clone)
        await until(pilot, lambda: "no longer current: Deployment/web changed" in screen_text(app))
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, VerifyScreen) and app.screen.run.finished, rounds=300)
        assert app.screen.run.rows["smoke"].outcome == "passed"  # type: ignore[attr-defined]
        await pilot.press("escape")
        await until(pilot, lambda: "verified: 1/1 checks passed, current" in screen_text(app))


async def test_a_patch_by_someone_else_shows_without_a_key_press(seeded: Seeded) -> None:
    """The watches on the real API server: an admin's PATCH of qa's web image reaches the screen by itself."""
    import time

    app_name = seeded.app
    app = HotcloneApp(lambda: seeded.session, refresh_interval=3600, poll_interval=0.5, cursor_blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await focus_env(pilot, f"{app_name}/qa")
        await until(pilot, lambda: app.live_state == "live")
        table = app.main_screen.query_one("#workloads", DataTable)
        image = f"{app_name}/web:9.9.9-e2e"
        patch = {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}}}
        seeded.cluster.patch(kinds.DEPLOYMENT, seeded.namespace("qa"), "web", patch)
        written = time.monotonic()
        while image not in [str(c) for key in table.rows for c in table.get_row(key)]:
            assert time.monotonic() - written < 5.0, f"not on screen: errors {app.errors}"
            await pilot.pause(0.02)
        assert time.monotonic() - written < 5.0
