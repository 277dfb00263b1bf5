"""Every change goes through a modal: open, validate inline, cancel, submit, and the resulting core call."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, DataTable, Input, OptionList, Select, Static

from hotclone.core.errors import AlreadyExists, InvalidInput, Refused
from hotclone.core.models import ClonePlan, ConfigChange, ImageChange, ImageSpec
from hotclone.tui import fmt
from hotclone.tui.screens.clone import CloneModal
from hotclone.tui.widgets.diff_view import DiffView
from tests.tui.conftest import focus_container, focus_env, make_app, rollout_ended, settle
from tests.tui.fake_session import FakeSession
from tests.tui.secret_scan import leaks, screen_text, seeded_secrets

WEB = "Deployment/web|web"  # the web container's row in the workloads table
UNGATED = {"request": None, "skip_verification": ""}  # apply's gate arguments when the type has no gates


def text(app: App[Any], selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


# -- clone ---------------------------------------------------------------------------------
async def test_clone_validates_then_clones_and_focuses_new_env(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/production")
        await pilot.press("c")
        await settle(pilot)
        name = app.screen.query_one("#clone-name", Input)
        assert name.value == "hotfix-0314-1"
        assert app.screen.query_one("#clone-type", Select).value == "temporary"
        assert app.screen.query_one("#clone-ttl", Input).value == "24h"
        for bad in ("Hotfix", "-x", "qa", "x_y", "a" * 60):
            name.value = bad
            await pilot.pause()
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert text(app, "#name-error"), bad
        assert not fake.called("clone")
        name.value = "hotfix-ko2"
        await pilot.pause()
        assert text(app, "#name-error") == ""
        app.screen.query_one("#clone-type", Select).value = "development"
        await pilot.pause()
        # the type's TTL as the demo defines it (168h), in the dashboard's TTL text
        assert app.screen.query_one("#clone-ttl", Input).value == fmt.ttl_text(timedelta(hours=168))
        app.screen.query_one("#clone-ttl", Input).value = "48h"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert fake.called("clone") == [
            (("production", "hotfix-ko2"), {"env_type": "development", "ttl": "48h", "allow_prod_references": False})
        ]
        assert app.screen is app.main_screen
        assert app.focused_env is not None and app.focused_env.name == "hotfix-ko2"


async def test_clone_cancel_calls_nothing(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/production")
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main_screen and not fake.called("clone")


async def test_clone_failure_says_why_and_keeps_the_form(fake: FakeSession) -> None:
    fake.fail["clone"] = AlreadyExists("namespace topicshare-hotfix-0314-1 already exists")
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/production")
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "already exists" in text(app, "#clone-error")
        assert "Nothing was left behind" in text(app, "#clone-error")
        assert app.errors[-1][0] == "Already exists"
        await pilot.click("#back")
        assert app.screen.query_one("#clone-form").display


async def test_clone_progress_is_shown(fake: FakeSession) -> None:
    from textual.message import Message

    from hotclone.tui.messages import CloneProgressed

    steps: list[str] = []

    def hook(message: Message) -> None:
        if isinstance(message, CloneProgressed):
            steps.append(f"{message.step.name} {message.step.done}/{message.step.total}")

    app = make_app(fake)
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        await focus_env(pilot, "topicshare/production")
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        # core's steps: 14 material objects and production's Certificate and Helm-managed ConfigMap copied
        # (Helm's release record skipped), 5 made from the temporary type's templates
        assert steps[0] == "read 0/1" and "objects 21/21" in steps and steps[-1] == "history 1/1"


async def _open_clone(pilot: Pilot[Any]) -> None:
    await focus_env(pilot, "topicshare/production")
    await pilot.press("c")
    await settle(pilot)


def _plan_text(app: App[Any]) -> str:
    return text(app, "#clone-plan-lines")


async def test_clone_shows_the_plan_before_creating_anything(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_clone(pilot)
        # Planned once on opening, with the name and type the form starts with; nothing created.
        assert fake.called("plan_clone") == [
            (("production", "hotfix-0314-1"), {"env_type": "temporary", "allow_prod_references": False})
        ]
        shown = _plan_text(app)
        assert shown.startswith("copy 16 object(s): ServiceAccount 1, ConfigMap 2, Secret 1, Service 3, Deployment 3")
        assert "Certificate.cert-manager.io 1" in shown
        assert "generate 5 from the templates of type 'temporary': ConfigMap/environment, Secret/db-" in shown
        assert "preflight: 5 value(s) naming the source's namespace rewritten to topicshare-hotfix-0314-1" in shown
        assert "adjust ConfigMap/edge-proxy: Helm release topicshare-edge's marks removed" in shown
        assert not app.screen.query_one("#submit", Button).disabled
        assert not fake.called("clone")
        # The name changes only the namespace: no new plan per keystroke.
        app.screen.query_one("#clone-name", Input).value = "ko-fix"
        await settle(pilot)
        assert len(fake.called("plan_clone")) == 1
        assert "rewritten to topicshare-ko-fix" in _plan_text(app)
        # Another type, another plan.
        app.screen.query_one("#clone-type", Select).value = "development"
        await settle(pilot)
        assert fake.called("plan_clone")[-1] == (
            ("production", "ko-fix"),
            {"env_type": "development", "allow_prod_references": False},
        )
        assert "generate 2 from the templates of type 'development'" in _plan_text(app)
        screen = app.screen
        assert isinstance(screen, CloneModal) and screen.plan is not None
        plan = screen.plan
        await pilot.press("ctrl+s")
        await settle(pilot)
        # The clone is the plan the dialog showed: the same objects, copied and generated.
        assert set(fake.store.objects["topicshare-ko-fix"]) == {*plan.copies, *plan.generated}


async def test_clone_plan_lists_what_is_skipped_and_why(fake: FakeSession) -> None:
    fake.store.unlistable["PersistentVolumeClaim"] = 'persistentvolumeclaims is forbidden: cannot list "pvc"'
    app = make_app(fake)
    async with app.run_test(size=(160, 48)) as pilot:
        await _open_clone(pilot)
        shown = _plan_text(app).splitlines()
        start = shown.index("skip 4 object(s), each with its reason:")
        assert shown[start + 1 : start + 5] == [
            "  Secret/sh.helm.release.v1.topicshare-edge.v1: Helm's record of its release "
            "(the clone is not that release)",
            "  ConfigMap/environment: environment-scoped: made from the template of type 'temporary'",
            "  Secret/db-credentials: environment-scoped: made from the template of type 'temporary'",
            "  Ingress/web: environment-scoped: made from the template of type 'temporary'",
        ]
        assert shown[-1] == (
            "kinds never copied, by policy: Pod, Event, EndpointSlice, Lease, ControllerRevision, CSIStorageCapacity"
        )
        # A kind the user may not list: in the warning style, and said beside the button (Clone still allowed).
        warnings = app.screen.query_one("#clone-plan-warnings", Static)
        assert warnings.display and warnings.has_class("plan-warning")
        assert str(warnings.render()).startswith(
            "warning: PersistentVolumeClaim could not be read, so it is not copied: not allowed to list:"
        )
        status = app.screen.query_one("#clone-plan-status", Static)
        assert status.has_class("plan-warning") and "1 kind(s) could not be read" in str(status.render())
        assert not app.screen.query_one("#submit", Button).disabled


async def test_clone_refused_plan_blocks_create_and_says_why(fake: FakeSession) -> None:
    fake.point_at_production()
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_clone(pilot)
        assert "preflight: ConfigMap/app-settings data.PUBLIC_URL: host www.topicshare.example.com" in _plan_text(app)
        submit = app.screen.query_one("#submit", Button)
        status = text(app, "#clone-plan-status")
        assert submit.disabled and status.startswith("Refused: 1 value(s) still point at production")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "CloneModal" and not fake.called("clone")  # no confirmation either
        # Allowing references changes only whether the plan is refused: no new plan.
        app.screen.query_one("#clone-allow-refs", Checkbox).toggle()
        await settle(pilot)
        assert not submit.disabled and len(fake.called("plan_clone")) == 1
        await pilot.press("ctrl+s")
        await settle(pilot)
        (call,) = fake.called("clone")
        assert call[1]["allow_prod_references"] is True


async def test_clone_plan_error_is_one_line_and_blocks_create(fake: FakeSession) -> None:
    fake.fail["plan_clone"] = InvalidInput(
        "environment type 'temporary': its template makes Widget.example.com/w (example.com/v1), "
        "a kind https://127.0.0.1:6443 does not serve"
    )
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_clone(pilot)
        assert _plan_text(app) == f"Plan failed: {fake.fail['plan_clone']}"
        assert app.screen.query_one("#submit", Button).disabled
        assert text(app, "#clone-plan-status").startswith("No plan, so no clone")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not fake.called("clone")


async def test_clone_plan_runs_in_a_worker_and_create_waits_for_it(
    fake: FakeSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()
    plan_clone = fake.plan_clone

    def slow_plan(*args: Any, **kwargs: Any) -> ClonePlan:
        gate.wait(10)  # a slow API server
        return plan_clone(*args, **kwargs)

    monkeypatch.setattr(fake, "plan_clone", slow_plan)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/production")
        await pilot.press("c")
        for _ in range(100):
            await pilot.pause(0.01)
            if isinstance(app.screen, CloneModal) and app.screen.planned_type:
                break
        assert _plan_text(app) == "planning…"
        assert app.screen.query_one("#submit", Button).disabled
        assert text(app, "#clone-plan-status") == "Clone waits for the plan (planning…)"
        # The dialog keeps answering while the plan is computed: typing works, Clone does nothing.
        await pilot.press("end", "2")
        assert app.screen.query_one("#clone-name", Input).value == "hotfix-0314-12"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not fake.called("clone") and type(app.screen).__name__ == "CloneModal"
        gate.set()
        await settle(pilot)
        assert _plan_text(app).startswith("copy 16 object(s)")
        assert not app.screen.query_one("#submit", Button).disabled


async def test_clone_dialog_fits_80x24_and_its_plan_scrolls(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_clone(pilot)
        plan = app.screen.query_one("#clone-plan")
        assert plan.max_scroll_y > 0  # more than fits: it scrolls
        for widget in ("#clone-name", "#clone-type", "#clone-ttl", "#clone-allow-refs", "#submit", "#cancel"):
            region = app.screen.query_one(widget).region
            assert region.height and region.bottom <= 23, widget  # inside the dialog's border
        plan.focus()
        await pilot.press("end")
        for _ in range(100):  # the scroll is animated
            if plan.scroll_y == plan.max_scroll_y:
                break
            await pilot.pause(0.02)
        assert plan.scroll_y == plan.max_scroll_y


# -- edit image ----------------------------------------------------------------------------
async def _open_edit(pilot: Pilot[Any]) -> None:
    await focus_container(pilot, "topicshare/hotfix-ko", WEB)
    await pilot.press("e")
    await settle(pilot)


async def test_edit_image_validates_previews_and_applies(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_edit(pilot)
        box = app.screen.query_one("#image", Input)
        assert box.value == "topicshare/web:1.9.4"
        suggestions = app.screen.query_one("#suggestions", OptionList)
        assert suggestions.option_count == 3  # development's, qa's and production's (not the current one)
        for bad in ("registry.example.com/TopicShare/web:1", "web:", "web@sha256:abc", "a//b", ""):
            box.value = bad
            await pilot.pause()
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert text(app, "#image-error"), bad
        assert not fake.called("plan_set_image")
        box.value = "topicshare/web:1.9.5"
        await pilot.pause()
        assert text(app, "#image-error") == ""
        await pilot.press("enter")
        await settle(pilot)
        spec = ImageSpec("web", "web", "topicshare/web:1.9.5")
        assert fake.called("plan_set_image") == [(("hotfix-ko", [spec]), {})]
        preview = text(app, "#preview-text")
        assert "topicshare/web:1.9.4 -> topicshare/web:1.9.5" in preview
        assert not fake.called("set_image")
        app.screen.query_one("#reason", Input).value = "KO-118"
        await pilot.press("ctrl+s")
        await settle(pilot)
        seen = [ImageChange("Deployment/web", "web", "topicshare/web:1.9.4", "topicshare/web:1.9.5")]  # the preview's
        assert fake.called("set_image") == [(("hotfix-ko", [spec]), {"seen": seen, "reason": "KO-118"})]
        assert app.screen is app.main_screen
        assert "1.9.5" in str(app.main_screen.query_one("#workloads", DataTable).get_row("Deployment/web|web"))


async def test_edit_image_suggestion_pick_and_cancel(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_edit(pilot)
        app.screen.query_one("#suggestions", OptionList).focus()
        await pilot.press("j", "j", "enter")
        assert app.screen.query_one("#image", Input).value == "topicshare/web:2.0.0-rc.2"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main_screen and not fake.called("plan_set_image")


async def test_edit_image_refused_in_production(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/production")
        await pilot.press("tab", "e")
        await settle(pilot)
        assert app.screen is app.main_screen
        assert "promote or rollback" in text(app, "#reasons")


# -- destroy -------------------------------------------------------------------------------
async def test_destroy_confirms_naming_what_goes(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        await pilot.press("x")
        await settle(pilot)
        assert "namespace topicshare-hotfix-ko" in text(app, "#confirm-body")
        await pilot.press("n")
        await settle(pilot)
        assert not fake.called("destroy")
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert fake.called("destroy") == [(("hotfix-ko",), {})]
        assert "topicshare/hotfix-ko" not in app.main_screen.envs


async def test_destroy_refused_for_production_and_qa(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        for env in ("production", "qa"):
            await focus_env(pilot, f"topicshare/{env}")
            await pilot.press("x")
            await settle(pilot)
            assert app.screen is app.main_screen
            assert "never destroyed" in app.main_screen.disabled_reason("destroy")
        assert not fake.called("destroy")


# -- diff ----------------------------------------------------------------------------------
async def test_diff_defaults_to_clone_vs_source_and_navigates(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        await pilot.press("d")
        await settle(pilot)
        assert fake.called("diff")[-1] == (("production", "hotfix-ko"), {"include_env_scoped": False})
        counts = text(app, "#diff-counts")
        assert "production ↔ hotfix-ko" in counts and "~2" in counts
        objects = app.screen.query_one("#diff-objects", OptionList)
        assert objects.option_count == 2
        assert text(app, "#diff-changes") == "data.CHARSET: ISO-8859-1 -> UTF-8"
        side = app.screen.query_one("#diff-view", DiffView)
        assert side.current == 0
        await pilot.press("n")  # only one change here: moves to the next object
        await settle(pilot)
        assert objects.highlighted == 1
        assert text(app, "#diff-changes") == "containers[web].image: topicshare/web:1.9.3 -> topicshare/web:1.9.4"
        await pilot.press("N")
        await settle(pilot)
        assert objects.highlighted == 0
        await pilot.press("s")
        await settle(pilot)
        assert fake.called("diff")[-1][1] == {"include_env_scoped": True}
        # + the environment ConfigMap, Ingress and Secret (templated), and the clone's own postgres
        assert objects.option_count == 7
        await pilot.press("w")
        await settle(pilot)
        assert fake.called("diff")[-1][0] == ("hotfix-ko", "production")
        await pilot.press("[")  # the left side cycles on, past the last environment to the first
        await settle(pilot)
        assert fake.called("diff")[-1][0] == ("production", "production")
        assert text(app, "#diff-changes") == "The two environments are the same."
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_diff_never_shows_secret_values(fake: FakeSession) -> None:
    secrets = seeded_secrets(fake.app) | fake.secrets()
    app = make_app(fake)
    async with app.run_test(size=(160, 48)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        objects = app.screen.query_one("#diff-objects", OptionList)
        objects.highlighted = next(
            i for i in range(objects.option_count) if "Secret" in str(objects.get_option_at_index(i).prompt)
        )
        await settle(pilot)
        rendered = str(app.screen.query_one("#yaml", Static).render())
        assert "password: <hidden, differs>" in rendered  # the clone's password is its own
        assert not leaks(rendered, secrets) and not leaks(screen_text(app), secrets)


# -- promote and rollout -------------------------------------------------------------------
async def test_promote_requires_the_exact_production_name(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        await pilot.press("p")
        await settle(pilot)
        assert fake.called("plan_promote") == [(("hotfix-ko", None), {"prune": False})]
        summary = text(app, "#plan-summary")
        assert "2 objects change" in summary and "1 workloads restart" in summary
        submit = app.screen.query_one("#submit", Button)
        assert submit.disabled
        app.screen.query_one("#reason", Input).value = "KO-118 Hangul fix"
        for wrong in ("", "prod", "Production", "production "):
            app.screen.query_one("#confirm", Input).value = wrong
            await pilot.pause()
            assert submit.disabled, wrong
            await pilot.press("ctrl+s")
            await settle(pilot)
        assert not fake.called("apply")
        app.screen.query_one("#confirm", Input).value = "production"
        await pilot.pause()
        assert not submit.disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert fake.called("apply") == [
            (("promote", "production"), {"confirm": "production", "reason": "KO-118 Hangul fix", **UNGATED})
        ]
        assert type(app.screen).__name__ == "RolloutScreen"
        await rollout_ended(pilot)
        status = app.screen.query_one("#rollout-status", Static)
        assert "Rollout complete" in str(status.render()) and status.has_class("success")
        assert app.screen.check_action("rollback", ()) is False  # not offered after success


async def test_promote_cancel(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main_screen and not fake.called("apply")


async def test_promote_disabled_for_environment_not_cloned(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/qa")
        await pilot.press("p")
        await settle(pilot)
        assert app.screen is app.main_screen and not fake.called("plan_promote")


async def test_failed_rollout_offers_one_key_rollback() -> None:
    fake = FakeSession(rollout_fails=True)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        await pilot.press("p")
        await settle(pilot)
        app.screen.query_one("#reason", Input).value = "KO-118"
        app.screen.query_one("#confirm", Input).value = "production"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await rollout_ended(pilot)
        status = app.screen.query_one("#rollout-status", Static)
        assert "Rollout failed" in str(status.render()) and status.has_class("failure")
        # the controller's reason, in full on screen (the status column grows to fit it)
        assert "ProgressDeadlineExceeded: ReplicaSet" in app.export_screenshot().replace("&#160;", " ")
        assert app.screen.check_action("rollback", ()) is True
        await pilot.press("r")
        await settle(pilot)
        assert fake.called("plan_rollback") == [(("production", None), {})]  # None: undo the latest revision
        assert type(app.screen).__name__ == "PromoteModal"
        assert app.screen.query_one("#submit", Button).disabled  # same typed confirmation and reason
        app.screen.query_one("#reason", Input).value = "KO-118 rollout stuck"
        app.screen.query_one("#confirm", Input).value = "production"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert fake.called("apply")[-1] == (
            ("rollback", "production"),
            {"confirm": "production", "reason": "KO-118 rollout stuck", **UNGATED},
        )


async def test_production_promote_needs_a_reason(fake: FakeSession) -> None:
    """Apply stays disabled, with a hint, until a production promote has a reason; blanks are no reason."""
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        await pilot.press("p")
        await settle(pilot)
        assert "give a reason" in text(app, "#confirm-warning")
        assert "required for production" in str(app.screen.query_one("#reason-label", Static).render())
        assert "restarts: Deployment/web (2 pods)" in text(app, "#plan-details")  # the blast radius, first
        submit = app.screen.query_one("#submit", Button)
        app.screen.query_one("#confirm", Input).value = "production"
        for blank in ("", "   "):
            app.screen.query_one("#reason", Input).value = blank
            await pilot.pause()
            assert submit.disabled, repr(blank)
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert text(app, "#promote-error") == "A reason is required for production."
            assert app.focused is app.screen.query_one("#reason", Input)
        assert not fake.called("apply")
        app.screen.query_one("#reason", Input).value = "KO-118 Hangul fix"
        await pilot.pause()
        assert not submit.disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert fake.called("apply") == [
            (("promote", "production"), {"confirm": "production", "reason": "KO-118 Hangul fix", **UNGATED})
        ]


async def test_the_fake_refuses_a_production_promote_without_a_reason(fake: FakeSession) -> None:
    """The rule is core's (plan_apply.require_reason), so every front end gets it: the fake too."""
    production = fake.environment("topicshare", "production")
    before = fake.history(production), fake.workloads(production)
    plan = fake.plan_promote(fake.environment("topicshare", "hotfix-ko"))
    message = "a reason is required for a production promote: nothing applied to topicshare/production (--reason)"
    with pytest.raises(Refused, match=f"^{re.escape(message)}$"):
        fake.apply(plan, confirm="production", reason=" ")
    assert (fake.history(production), fake.workloads(production)) == before


# -- history -------------------------------------------------------------------------------
async def test_history_lists_shows_and_rolls_back(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        await pilot.press("h")
        await settle(pilot)
        table = app.screen.query_one("#history-table", DataTable)
        assert [table.get_row_at(i)[3] for i in range(table.row_count)] == ["set-config", "set-image", "clone"]
        row = [str(cell) for cell in table.get_row("2")]
        assert row[:4] == ["2", "2h ago", "oncall@example.com", "set-image"] and row[-1] == "KO-118 Hangul mojibake"
        await pilot.press("j", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "TextModal"
        assert "Deployment/web web: topicshare/web:1.9.3 -> topicshare/web:1.9.4" in text(app, "#text-body")
        await pilot.press("escape")
        await pilot.press("r")
        await settle(pilot)
        assert fake.called("plan_rollback") == [(("hotfix-ko", 2), {})]
        assert not app.screen.query_one("#confirm").display  # not production: no typed name
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert fake.called("apply") == [(("rollback", "hotfix-ko"), {"confirm": None, "reason": "", **UNGATED})]
        assert type(app.screen).__name__ == "RolloutScreen"


# -- previews side by side, prune, conflicts, preflight override ----------------------------
async def test_promote_prune_toggle_replans_and_side_by_side_opens(fake: FakeSession) -> None:
    fake.store.remove("topicshare-hotfix-ko", "Deployment/worker")  # the clone dropped the worker
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        await pilot.press("p")
        await settle(pilot)
        assert "0 deletions" in text(app, "#plan-summary")  # kept in production unless pruned
        app.screen.query_one("#prune", Checkbox).toggle()
        await settle(pilot)
        assert fake.called("plan_promote")[-1] == (("hotfix-ko", None), {"prune": True})
        assert "1 deletions" in text(app, "#plan-summary")
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert type(app.screen).__name__ == "PlanDiffScreen"
        assert "ConfigMap/app-settings" in str(
            app.screen.query_one("#diff-objects", OptionList).get_option_at_index(0).prompt
        )
        assert app.screen.check_action("swap", ()) is False
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "PromoteModal"
        assert not fake.called("apply")


async def test_promote_with_conflicts_cannot_be_applied(fake: FakeSession) -> None:
    fake.conflicting = True
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        await pilot.press("p")
        await settle(pilot)
        assert "conflict" in text(app, "#promote-error")
        app.screen.query_one("#confirm", Input).value = "production"
        await pilot.pause()
        assert app.screen.query_one("#submit", Button).disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not fake.called("apply")


async def test_edit_image_preview_side_by_side(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_edit(pilot)
        app.screen.query_one("#image", Input).value = "topicshare/web:1.9.5"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert type(app.screen).__name__ == "PlanDiffScreen"
        assert not fake.called("set_image")


async def test_clone_can_allow_references_to_the_source(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/production")
        await pilot.press("c")
        await settle(pilot)
        app.screen.query_one("#clone-name", Input).value = "refs-ok"
        app.screen.query_one("#clone-allow-refs", Checkbox).toggle()
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        (call,) = fake.called("clone")
        assert call[1]["allow_prod_references"] is True


# -- edit config -------------------------------------------------------------------------------
async def test_edit_config_previews_and_applies(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        await pilot.press("v")
        await settle(pilot)
        assert app.screen.query_one("#config-map", Select).value == "app-settings"
        app.screen.query_one("#config-key", Select).value = "CHARSET"
        await pilot.pause()
        assert app.screen.query_one("#config-value", Input).value == "UTF-8"  # fixed in the story already
        app.screen.query_one("#config-key", Select).value = "LOG_LEVEL"
        await pilot.pause()
        value = app.screen.query_one("#config-value", Input)
        assert value.value == "info"
        value.value = "debug"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "data.LOG_LEVEL: info -> debug" in text(app, "#config-preview-text")
        assert not fake.called("set_config")
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert type(app.screen).__name__ == "PlanDiffScreen"
        await pilot.press("escape")
        await settle(pilot)
        app.screen.query_one("#config-reason", Input).value = "KO-118"
        await pilot.press("ctrl+s")
        await settle(pilot)
        seen = [ConfigChange("app-settings", "LOG_LEVEL", "info", "debug")]  # what the preview showed
        assert fake.called("set_config") == [
            (("hotfix-ko", "app-settings", {"LOG_LEVEL": "debug"}), {"seen": seen, "reason": "KO-118"})
        ]
        assert app.screen is app.main_screen


async def test_edit_config_cancel_and_refused_in_production(fake: FakeSession) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main_screen and not fake.called("plan_set_config")
        await focus_env(pilot, "topicshare/production")
        await pilot.press("v")
        await settle(pilot)
        assert app.screen is app.main_screen  # disabled, with the reason shown
        assert "configuration in production" in text(app, "#reasons")
