"""Environments in more than one cluster (issue 14): the list marks each one's context, a cluster
that is down says so without holding the others back, clone and promote name both clusters."""

from __future__ import annotations

from textual.widgets import Button, DataTable, Select, Static

from hotclone.tui.screens.clone import CloneModal
from hotclone.tui.screens.diff import DiffScreen
from hotclone.tui.screens.promote import PromoteModal
from hotclone.tui.widgets.context_bar import ContextBar
from tests.tui import fake_world as world
from tests.tui.conftest import focus_env, make_app, settle
from tests.tui.fake_session import CONTEXT, CONTEXT_B, FakeSession

HOME_DEV, REMOTE_DEV = f"topicshare/development@{CONTEXT}", f"topicshare/development@{CONTEXT_B}"


def _text(widget: Static) -> str:
    return str(widget.render())


async def test_two_clusters_listed_each_row_with_its_context() -> None:
    app = make_app(FakeSession(clusters=2))
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-eu")  # a bare name found in one cluster
        screen = app.main_screen
        envs = screen.query_one("#envs", DataTable)
        assert [str(c.label) for c in envs.columns.values()][:2] == ["environment", "context"]
        # The same name in both clusters: two rows, each with its context (the shared "kind-" dropped).
        assert envs.get_row(HOME_DEV)[1] == "topicshare" and envs.get_row(REMOTE_DEV)[1] == "staging"
        assert envs.get_row(f"topicshare/hotfix-eu@{CONTEXT_B}")[5].startswith("produ")  # production@topicshare
        title = _text(screen.query_one("#env-title", Static))
        assert f"context {CONTEXT_B}" in title
        header = str(screen.query_one(ContextBar).render())
        assert f"ctx: {CONTEXT} ✓, {CONTEXT_B} ✓" in header
        assert not screen.query_one("#cluster-warnings").display
        # Moving between the two "development" rows reads each in its own cluster.
        screen.focus_row(REMOTE_DEV)
        await settle(pilot)
        assert app.focused_env is not None and app.focused_env.cluster == CONTEXT_B
        assert f"context {CONTEXT_B}" in _text(screen.query_one("#env-title", Static))
        await pilot.press("k")
        await settle(pilot)
        assert app.focused_env is not None and app.focused_env.address == f"development@{CONTEXT}"


async def test_one_cluster_is_unchanged() -> None:
    app = make_app(FakeSession())
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        screen = app.main_screen
        assert not screen.several and app.clusters == ()
        assert "context" not in [str(c.label) for c in screen.query_one("#envs", DataTable).columns.values()]
        assert "context " not in _text(screen.query_one("#env-title", Static))


async def test_a_cluster_down_is_said_and_the_other_still_works() -> None:
    fake = FakeSession(clusters=2, down=True)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        screen = app.main_screen
        warning = screen.query_one("#cluster-warnings", Static)
        assert warning.display
        assert _text(warning).startswith(f"⚠ context {CONTEXT_B} unreachable: cannot reach https://127.0.0.1:6444")
        header = str(screen.query_one(ContextBar).render())
        assert f"{CONTEXT} ✓, {CONTEXT_B} ✗ unreachable" in header  # a mark and a word: NO_COLOR reads it
        assert all(e.cluster == CONTEXT for e in screen.envs.values())  # the down cluster's are not listed
        assert not app.unreachable  # the home cluster answers: no "cannot reach" banner
        assert app.focused_env is not None and app.focused_env.name == "hotfix-ko"
        assert screen.query_one("#workloads", DataTable).row_count == 7
        await pilot.press("k")
        await settle(pilot)
        assert app.focused_env is not None and app.focused_env.name == "demo-0301"
        assert screen.query_one("#workloads", DataTable).row_count > 0


async def test_a_cluster_going_down_and_coming_back() -> None:
    fake = FakeSession(clusters=2)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        screen = app.main_screen
        assert f"topicshare/hotfix-eu@{CONTEXT_B}" in screen.envs
        fake.cluster_down()
        screen.load_all()
        await settle(pilot)
        assert f"topicshare/hotfix-eu@{CONTEXT_B}" not in screen.envs
        assert screen.query_one("#cluster-warnings").display
        assert app.focused_env is not None and app.focused_env.name == "hotfix-ko"  # the cursor stays
        fake.down.clear()
        screen.load_all()
        await settle(pilot)
        assert f"topicshare/hotfix-eu@{CONTEXT_B}" in screen.envs
        assert not screen.query_one("#cluster-warnings").display


async def test_live_statuses_come_from_the_live_view() -> None:
    fake = FakeSession(clusters=2, down=True, live_state="live")
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        assert app.live_view is not None
        assert fake.called("clusters") == []  # memory, no request
        assert [s.state for s in app.clusters] == ["ok", "unreachable"]
        assert app.main_screen.query_one("#cluster-warnings").display


async def test_clone_into_another_cluster_refused_for_missing_kinds() -> None:
    app = make_app(FakeSession(clusters=2))
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, f"topicshare/production@{CONTEXT}")
        await pilot.press("c")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, CloneModal)
        modal.query_one("#clone-type", Select).value = world.REMOTE_TYPE
        await settle(pilot)
        plan = _text(modal.query_one("#clone-plan-lines", Static))
        assert plan.startswith(f"into context {CONTEXT_B} (the source is in context {CONTEXT})")
        assert "cert-manager.io/v1 Certificate" in plan
        status = _text(modal.query_one("#clone-plan-status", Static))
        assert status.startswith(f"Refused: context {CONTEXT_B} does not serve 1 kind(s) production has")
        assert "cert-manager.io/v1 Certificate" in status
        assert modal.query_one("#submit", Button).disabled
        # The type that leaves Certificates out: no missing kind, so not refused for that.
        modal.query_one("#clone-type", Select).value = world.REMOTE_LEAN
        await settle(pilot)
        assert modal.plan is not None and modal.plan.cross_cluster and not modal.plan.missing_kinds
        assert "does not serve" not in _text(modal.query_one("#clone-plan-status", Static))


async def test_promote_across_clusters_names_both() -> None:
    app = make_app(FakeSession(clusters=2))
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/hotfix-eu")
        await pilot.press("p")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, PromoteModal)
        route = f"hotfix-eu@{CONTEXT_B} → topicshare/production@{CONTEXT}"
        assert route in _text(modal.query_one("#plan-summary", Static))
        assert f"→ production@{CONTEXT}" in _text(modal.query_one(".dialog-title", Static))
        assert modal.plan is not None and modal.plan.source_cluster == CONTEXT_B


async def test_diff_tells_same_named_environments_in_two_clusters_apart() -> None:
    fake = FakeSession(clusters=2)
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus_env(pilot, "topicshare/production")
        app.main_screen.focus_row(REMOTE_DEV)
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        right = app.screen.query_one("#diff-right", Select)
        assert right.value == f"development@{CONTEXT_B}"  # labelled with its context: the name is in both
        assert app.screen.query_one("#diff-left", Select).value == "production"
        screen = app.screen
        assert isinstance(screen, DiffScreen)
        assert screen.by_name[f"development@{CONTEXT_B}"].cluster == CONTEXT_B
        assert screen.by_name[f"development@{CONTEXT}"].cluster == CONTEXT
        assert fake.called("diff")[-1][0] == ("production", "development")
