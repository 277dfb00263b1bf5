"""The gates in the dashboard: verify (live progress, log tail, esc keeps it running), the promote
dialog's gate states, the requests screen and the header's badge, on the fake session."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, DataTable, Input, Static

from hotclone.tui.screens.requests import RequestsScreen
from hotclone.tui.screens.text import TextModal
from hotclone.tui.screens.verify import VerifyScreen
from hotclone.tui.widgets.context_bar import ContextBar
from tests.tui import fake_gates
from tests.tui.conftest import focus_env, make_app, settle, until
from tests.tui.fake_session import REASON, USER, FakeSession

HOTFIX = "topicshare/hotfix-ko"
BOB, ALICE = "bob@example.com", "alice@example.com"


def text(app: App[Any], selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def row(app: App[Any], name: str) -> list[str]:
    table = app.screen.query_one(DataTable)
    return [str(cell) for cell in table.get_row(name)]


async def blocked_until(pilot: Pilot[Any], condition: Callable[[], bool], what: str) -> None:
    """`until` without settling: the fake blocks a worker on purpose here."""
    await until(pilot, condition, what, interval=0.02, settling=False)


def verified(fake: FakeSession, env: str = "hotfix-ko") -> None:
    fake.verify(fake.environment("topicshare", env))


# -- verify ----------------------------------------------------------------------------------
async def test_verify_shows_each_check_running_then_passed() -> None:
    fake = FakeSession(gates=True)
    fake.gate_store.hold = threading.Semaphore(0)  # each check ends when the test says so
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, HOTFIX)
        assert "not verified: 2 check(s): smoke, search" in text(app, "#verification")
        await pilot.press("t")
        await blocked_until(pilot, lambda: isinstance(app.screen, VerifyScreen), "the verify screen")
        await blocked_until(pilot, lambda: "running" in row(app, "smoke")[1], "smoke running")
        assert "running" in row(app, "search")[1]
        assert "running 2 check(s)" in text(app, "#verify-status")
        assert app.screen.check_action("again", ()) is None  # no second run while one runs
        fake.gate_store.hold.release()
        await blocked_until(pilot, lambda: "passed" in row(app, "smoke")[1], "smoke passed")
        assert "running" in row(app, "search")[1]
        fake.gate_store.hold.release()
        await blocked_until(pilot, lambda: "passed" in row(app, "search")[1], "search passed")
        await settle(pilot)
        assert row(app, "smoke")[1:3] == ["✓ passed", "3.2s"]  # the recorded result replaces the live one
        assert text(app, "#verify-status").startswith("✓ all 2 checks passed")
        assert fake.called("verify") == [(("hotfix-ko",), {"compare": False})]
        await pilot.press("escape")
        await settle(pilot)
        assert text(app, "#verification") == "✓ verified: 2/2 checks passed, current"


async def test_a_failed_check_shows_its_log_tail_and_the_state_line_says_which() -> None:
    fake = FakeSession(gates=True)
    fake.gate_store.outcomes["smoke"] = ("failed", fake_gates.MOJIBAKE, fake_gates.MOJIBAKE_LOG)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, HOTFIX)
        await pilot.press("t")
        await settle(pilot)
        assert row(app, "smoke")[1] == "✗ failed" and row(app, "search")[1] == "✓ passed"
        assert "failed: smoke" in text(app, "#verify-status")
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, TextModal)
        assert fake_gates.MOJIBAKE in text(app, "#text-body")
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert text(app, "#verification") == "✗ verification failed: smoke (1/2 checks passed)"


async def test_esc_leaves_the_checks_running_and_their_end_is_notified() -> None:
    fake = FakeSession(gates=True)
    fake.gate_store.hold = threading.Semaphore(0)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, HOTFIX)
        await pilot.press("t")
        await blocked_until(pilot, lambda: isinstance(app.screen, VerifyScreen), "the verify screen")
        await pilot.press("escape")
        await blocked_until(pilot, lambda: app.screen is app.main_screen, "back on the main screen")
        await pilot.press("t")  # the same run again, not a second one
        await blocked_until(pilot, lambda: isinstance(app.screen, VerifyScreen), "the verify screen again")
        await pilot.press("escape")
        fake.gate_store.hold.release(2)
        await settle(pilot)
        assert len(fake.called("verify")) == 1
        titles = [n.title for n in app._notifications]
        assert "Verification of topicshare/hotfix-ko passed" in titles
        assert text(app, "#verification").startswith("✓ verified")


async def test_verify_is_disabled_with_the_reason() -> None:
    for read_only, ref, reason in (
        (False, "topicshare/production", "environment type 'production' defines no checks"),
        (True, HOTFIX, "read-only mode"),
    ):
        fake = FakeSession(gates=True, read_only=read_only)
        app = make_app(fake)
        async with app.run_test(size=(80, 24)) as pilot:
            await focus_env(pilot, ref)
            assert app.main_screen.check_action("verify", ()) is None
            assert app.main_screen.disabled_reason("verify") == reason
            await pilot.press("t")
            await settle(pilot)
            assert app.screen is app.main_screen and not fake.called("verify")


async def test_a_later_change_makes_the_verification_no_longer_current() -> None:
    fake = FakeSession(gates=True)
    verified(fake)
    env = fake.environment("topicshare", "hotfix-ko")
    specs = [fake_gates_spec()]
    changes, _diff = fake.plan_set_image(env, specs)
    fake.set_image(env, specs, seen=changes, reason="KO-119")
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, HOTFIX)
        line = text(app, "#verification")
        assert line.startswith("⚠ verification passed, but no longer current: Deployment/web changed")


def fake_gates_spec() -> Any:
    from hotclone.core.models import ImageSpec

    return ImageSpec("web", None, "topicshare/web:1.9.5")


# -- the promote dialog's gates --------------------------------------------------------------------
async def test_an_unverified_promote_is_blocked_until_overridden_with_a_reason() -> None:
    fake = FakeSession(gates=True)
    fake.set_gates("production", approvals=0)  # verification only
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, HOTFIX)
        await pilot.press("p")
        await settle(pilot)
        assert "✗ verification required: NOT MET" in text(app, "#gates")
        submit = app.screen.query_one("#submit", Button)
        app.screen.query_one("#reason", Input).value = REASON
        app.screen.query_one("#confirm", Input).value = "production"
        await pilot.pause()
        assert submit.disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Verification required" in text(app, "#promote-error") and not fake.called("apply")
        app.screen.query_one("#skip-verification", Checkbox).value = True
        await pilot.pause()
        assert submit.disabled  # ticked, but no reason yet
        app.screen.query_one("#skip-verification-reason", Input).value = "smoke flaky, INC-7 verified by hand"
        await pilot.pause()
        assert not submit.disabled and "unverified" in str(submit.label)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert fake.called("apply")[0][1]["skip_verification"] == "smoke flaky, INC-7 verified by hand"
        latest = fake.history(fake.environment("topicshare", "production"))[-1]
        assert f"verification skipped by {USER}: smoke flaky, INC-7 verified by hand" in latest.summary


async def test_a_verified_promote_into_a_type_with_approvals_creates_a_request_and_changes_nothing() -> None:
    fake = FakeSession(gates=True)
    verified(fake)
    production = fake.environment("topicshare", "production")
    before = len(fake.history(production))
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, HOTFIX)
        await pilot.press("p")
        await settle(pilot)
        assert "• verification required: ok" in text(app, "#gates")
        submit = app.screen.query_one("#submit", Button)
        assert str(submit.label) == "Request approval (ctrl+s)"
        assert not app.screen.query_one("#confirm").display  # a request writes nothing into production
        assert submit.disabled  # the approver needs a reason
        app.screen.query_one("#reason", Input).value = REASON
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        [created] = fake.gate_store.requests.values()
        assert f"request {created.id} created" in text(app, "#gate-status")
        assert submit.disabled and not fake.called("apply")
        assert created.requester == USER and created.reason == REASON
        assert len(fake.history(production)) == before


async def test_an_approved_request_for_this_plan_is_what_promote_applies() -> None:
    fake = FakeSession(gates=True)
    verified(fake)
    hotfix = fake.environment("topicshare", "hotfix-ko")
    request = fake.request_promotion(fake.plan_promote(hotfix), reason=REASON)
    fake.decide_as(BOB, request.id)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, HOTFIX)
        await pilot.press("p")
        await settle(pilot)
        submit = app.screen.query_one("#submit", Button)
        assert str(submit.label) == f"Promote {request.id} (ctrl+s)"  # 80 columns: the approver is in the line above
        assert f"request {request.id} approved by {BOB}" in text(app, "#gate-status")
        app.screen.query_one("#reason", Input).value = REASON
        app.screen.query_one("#confirm", Input).value = "production"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert fake.called("apply")[0][1]["request"] == request.id
        latest = fake.history(fake.environment("topicshare", "production"))[-1]
        assert f"approved by {BOB} (request {request.id})" in latest.summary
        assert fake.gate_store.requests[request.id].state(fake.now()) == "applied"


# -- requests and the header's badge -----------------------------------------------------------------
async def test_own_request_cannot_be_decided_others_can_and_the_badge_follows() -> None:
    fake = FakeSession(gates=True)
    verified(fake)
    own = fake.request_promotion(fake.plan_promote(fake.environment("topicshare", "hotfix-ko")), reason=REASON)
    theirs = fake.request_as(ALICE, reason="KO-120 their fix")
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, HOTFIX)
        assert "1 to approve (a)" in str(app.screen.query_one(ContextBar).render())  # the short badge at 80 columns
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, RequestsScreen)
        table = app.screen.query_one(DataTable)
        assert {str(table.get_row(r.id)[3]) for r in (own, theirs)} == {USER, ALICE}
        table.move_cursor(row=table.get_row_index(own.id))
        await pilot.pause()
        assert app.screen.disabled_reason("approve") == "your own request: someone else must approve it"
        assert app.screen.check_action("approve", ()) is None and app.screen.check_action("reject", ()) is None
        await pilot.press("a")
        await settle(pilot)
        assert not fake.called("decide")
        table.move_cursor(row=table.get_row_index(theirs.id))
        await pilot.pause()
        assert app.screen.check_action("approve", ()) is True
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("y")  # the confirmation
        await settle(pilot)
        assert fake.called("decide") == [(("production", theirs.id), {"approve": True, "comment": ""})]
        assert str(table.get_row(theirs.id)[4]) == "approved"  # read back
        assert "to approve" not in str(app.screen.query_one(ContextBar).render())


async def test_a_rejection_asks_and_is_read_back() -> None:
    fake = FakeSession(gates=True)
    verified(fake)
    theirs = fake.request_as(ALICE)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, HOTFIX)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("n")  # asked, and declined: nothing recorded
        await settle(pilot)
        assert not fake.called("decide")
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert fake.called("decide") == [(("production", theirs.id), {"approve": False, "comment": ""})]
        assert str(app.screen.query_one(DataTable).get_row(theirs.id)[4]) == f"rejected by {USER}"


async def test_a_quiet_refresh_reads_the_verification_again_only_when_the_workloads_changed() -> None:
    fake = FakeSession(gates=True)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, HOTFIX)
        read = len(fake.called("verification"))
        app.main_screen.quiet_refresh()
        await settle(pilot)
        assert len(fake.called("verification")) == read  # nothing changed: the line stays as read
        verified(fake)  # someone verifies, and changes web afterwards
        env = fake.environment("topicshare", "hotfix-ko")
        specs = [fake_gates_spec()]
        fake.set_image(env, specs, seen=fake.plan_set_image(env, specs)[0], reason="KO-119")
        app.main_screen.quiet_refresh()
        await settle(pilot)
        assert len(fake.called("verification")) == read + 1
        assert "no longer current: Deployment/web changed" in text(app, "#verification")


async def test_run_again_after_a_finished_verification() -> None:
    fake = FakeSession(gates=True)
    fake.gate_store.outcomes["search"] = ("timed out", "no result within 5m00s", ("waiting for opensearch",))
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, HOTFIX)
        await pilot.press("t")
        await settle(pilot)
        assert row(app, "search")[1] == "✗ timed out"
        del fake.gate_store.outcomes["search"]
        await pilot.press("r")
        await settle(pilot)
        assert len(fake.called("verify")) == 2
        assert row(app, "search")[1] == "✓ passed"


async def test_a_request_where_the_policy_is_not_enforced_is_refused_in_one_line() -> None:
    fake = FakeSession(gates=True)
    fake.gate_store.policy_enforced = False
    verified(fake)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, HOTFIX)
        await pilot.press("p")
        await settle(pilot)
        app.screen.query_one("#reason", Input).value = REASON
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = text(app, "#promote-error")
        assert error.startswith("Failed: environment type 'production' requires approvals, but the API server")
        assert "hotclone install-policy" in error and not fake.gate_store.requests
