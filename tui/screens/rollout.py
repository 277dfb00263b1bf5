"""After promote/rollback: follow each restarting workload until it is ready or has failed.

With the live view the statuses come from the watches on each change in the target's
namespace (the first one is read, so it is never older than the apply); without it, a poll.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Static

from hotclone.core.models import Action, LiveChange, PromotePlan, RolloutStatus
from hotclone.tui import clusters
from hotclone.tui.messages import EnvironmentChanged, PermissionsChecked, RolloutPolled
from hotclone.tui.screens.base import ReportingScreen
from hotclone.tui.widgets.banner import ConnectionBanner
from hotclone.tui.widgets.context_bar import ContextBar
from hotclone.tui.widgets.vim import VimTable
from hotclone.tui.workers import deliver

if TYPE_CHECKING:
    from hotclone.tui.app import HotcloneApp


def failed(status: RolloutStatus) -> bool:
    return status.failed and not status.done


class RolloutScreen(ReportingScreen):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("r", "rollback", "Roll back"),
    ]

    def __init__(self, plan: PromotePlan, *, timeout: float = 600.0) -> None:
        super().__init__()
        self.plan, self.timeout = plan, timeout
        self.state = "running"  # running, success, failure
        self.elapsed = 0.0
        self._timer: Timer | None = None

    @property
    def hc(self) -> HotcloneApp:
        return cast("HotcloneApp", self.app)

    def compose(self) -> ComposeResult:
        yield ContextBar()
        yield ConnectionBanner()
        yield Static(f"Rollout of {self.plan.action} into {self.plan.target.ref}", classes="screen-title")
        yield VimTable(id="rollout-table")
        yield Static("waiting for the first status…", id="rollout-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.hc.focused_env = self.plan.target
        table = self.query_one(DataTable)
        for column in ("workload", "ready", "updated", "status"):
            table.add_column(column, key=column)
        for workload in self.plan.restarts:
            table.add_row(workload, "…", "…", "waiting", key=workload)
        if not self.plan.restarts:
            self._finish("success", "No workload restarts: done.")
            return
        self.poll()
        self._timer = self.set_interval(self.hc.poll_interval, self._tick)

    def _tick(self) -> None:
        self.elapsed += self.hc.poll_interval
        if self.elapsed >= self.timeout:
            self._finish("failure", f"Timed out after {int(self.timeout)}s. Press r to roll back.")
        elif self.state == "running" and self.hc.live_view is None:
            self.poll()  # no watch to follow (fallback, or not synced yet)

    def live_changed(self, change: LiveChange) -> None:
        live = self.hc.live_view
        if live is None or self.state != "running":
            return
        if change.everything or self.plan.target.namespace in change.namespaces:
            self.on_rollout_polled(RolloutPolled(live.rollout_status(self.plan.target, list(self.plan.restarts))))

    @work(thread=True, exclusive=True, exit_on_error=False, group="rollout")
    def poll(self) -> None:
        session = self.hc.session
        assert session is not None
        deliver(self, RolloutPolled(session.rollout_status(self.plan.target, list(self.plan.restarts))))

    def on_rollout_polled(self, message: RolloutPolled) -> None:
        if self.state != "running":
            return
        table = self.query_one(DataTable)
        for s in message.statuses:
            status = "ready" if s.done else ("FAILED " if failed(s) else "") + (s.message or "rolling out")
            if s.workload not in table.rows:
                table.add_row(s.workload, "", "", "", key=s.workload)
            table.update_cell(s.workload, "ready", f"{s.ready}/{s.desired}")
            table.update_cell(s.workload, "updated", str(s.updated))
            table.update_cell(s.workload, "status", status, update_width=True)  # the reason must show in full
        if any(failed(s) for s in message.statuses):
            bad = ", ".join(s.workload for s in message.statuses if failed(s))
            self._finish("failure", f"✗ Rollout failed: {bad}. Press r to roll back {self.plan.target.ref}.")
        elif message.statuses and all(s.done for s in message.statuses):
            self._finish("success", f"✓ Rollout complete: {self.plan.target.ref} is ready.")
        else:
            waiting = sum(not s.done for s in message.statuses)
            self.query_one("#rollout-status", Static).update(f"{waiting} workloads rolling out… ({int(self.elapsed)}s)")

    def _finish(self, state: str, text: str) -> None:
        self.state = state
        if self._timer is not None:
            self._timer.stop()
        line = self.query_one("#rollout-status", Static)
        line.update(text)
        line.add_class(state)
        self.refresh_bindings()
        if state == "failure":
            self.hc.notify(text, title="Rollout failed", severity="error", timeout=10)
            if self.plan.target.ref not in self.hc.permissions:
                self.check_permissions()

    @work(thread=True, exclusive=True, exit_on_error=False, group="perms")
    def check_permissions(self) -> None:
        session = self.hc.session
        assert session is not None
        target = self.plan.target
        deliver(self, PermissionsChecked(target, {a: session.allowed(a, target) for a in Action}))

    def on_permissions_checked(self, message: PermissionsChecked) -> None:
        self.hc.permissions[clusters.key(message.environment)] = message.allowed
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "rollback":
            if self.state != "failure":
                return False  # hidden: only offered after a failure
            return True if self.hc.permission(Action.ROLLBACK, self.plan.target)[0] else None
        return True

    def action_rollback(self) -> None:
        from hotclone.tui.screens.promote import PromoteModal

        self.app.push_screen(PromoteModal.for_rollback(self.plan.target, None), self._rolled_back)

    def _rolled_back(self, plan: PromotePlan | None) -> None:
        if plan is not None:
            # The rollback changed the cluster: the list behind this screen must not stay stale.
            self.hc.main_screen.post_message(EnvironmentChanged((plan.app, plan.target.name)))
            self.app.switch_screen(RolloutScreen(plan))
