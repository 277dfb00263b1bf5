"""`t`: run the focused environment's checks (its type's Job templates) and follow each one live.

The run belongs to the app (HotcloneApp.start_verification), not to this screen: esc goes back
while the checks keep running, the result is recorded and notified when they end, and `t`
on the same environment shows the run again. enter shows a check's log tail; r runs them again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from hotclone.core.display import safe
from hotclone.tui.screens.base import ReportingScreen
from hotclone.tui.verification import RUNNING, CheckRow, VerifyRun
from hotclone.tui.widgets.banner import ConnectionBanner
from hotclone.tui.widgets.context_bar import ContextBar
from hotclone.tui.widgets.vim import VimTable

if TYPE_CHECKING:
    from hotclone.tui.app import HotcloneApp

COLUMNS = ("check", "outcome", "took", "detail")


class VerifyScreen(ReportingScreen):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("l", "log", "Log tail"),
        Binding("enter", "log", "Log tail", show=False),
        Binding("r", "again", "Run again"),
    ]

    def __init__(self, run: VerifyRun) -> None:
        super().__init__()
        self.run = run

    @property
    def hc(self) -> HotcloneApp:
        return cast("HotcloneApp", self.app)

    def compose(self) -> ComposeResult:
        env = self.run.environment
        yield ContextBar()
        yield ConnectionBanner()
        yield Static(safe(f"Verify {env.ref} · checks of type {env.type}"), classes="screen-title", markup=False)
        yield VimTable(id="verify-table")
        yield Static("", id="verify-status", markup=False)
        yield Static("", id="verify-detail", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.hc.focused_env = self.run.environment
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        self.show_run()
        self.set_interval(1.0, self._tick)  # running checks count their seconds up

    def _tick(self) -> None:
        if not self.run.finished:
            self.show_run()

    def show_run(self) -> None:
        """Called by the app at every step of the run, and by the clock while it runs."""
        tables = self.query(DataTable)
        if not tables or len(tables.first().columns) != len(COLUMNS):
            return  # a step that arrived before on_mount made the columns: on_mount shows the run
        table = tables.first()
        elapsed = self.run.elapsed
        for name, row in self.run.rows.items():
            cells = row.cells(elapsed)
            if name not in table.rows:
                table.add_row(*cells, key=name)
                continue
            for column, value in zip(COLUMNS[1:], cells[1:], strict=True):
                table.update_cell(name, column, value, update_width=column == "detail")
        status = self.query_one("#verify-status", Static)
        status.update(self.run.summary())
        state = "running" if not self.run.finished else ("passed" if self._passed() else "failed")
        for name in ("running", "passed", "failed"):
            status.set_class(name == state, f"-{name}")
        self._show_detail()
        self.refresh_bindings()

    def _passed(self) -> bool:
        return self.run.verification is not None and self.run.verification.passed

    def _selected(self) -> CheckRow | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.run.rows.get(str(key))

    @on(DataTable.RowHighlighted)
    def _show_detail(self) -> None:
        row = self._selected()
        detail = self.query_one("#verify-detail", Static)
        if row is None or row.outcome == RUNNING:
            detail.update("")
            return
        tail = f" · enter: the last {len(row.log_tail)} log lines" if row.log_tail else ""
        detail.update(safe(f"{row.name}: {row.outcome}" + (f" ({row.detail})" if row.detail else "") + tail))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "log":
            row = self._selected()
            return True if row is not None and row.log_tail else None
        if action == "again":
            return True if self.run.finished else None
        return True

    def disabled_reason(self, action: str) -> str:
        if action == "log":
            return "only a failed or timed out check has a log tail"
        if action == "again":
            return "the checks are still running"
        return ""

    @on(DataTable.RowSelected)
    def action_log(self) -> None:
        from hotclone.tui.screens.text import TextModal

        row = self._selected()
        if row is not None and row.log_tail:
            # The tail as core kept it: Secret values masked there, control characters escaped by TextModal.
            body = "\n".join(
                [f"{row.name}: {row.outcome}" + (f" ({row.detail})" if row.detail else ""), "", *row.log_tail]
            )
            self.app.push_screen(TextModal(f"Log tail of {row.name} in {self.run.environment.ref}", body))

    def action_again(self) -> None:
        if self.run.finished:
            checks = tuple(self.run.rows)
            self.hc.confirm_change(
                f"Verify {self.run.environment.ref}?",
                f"Run {len(checks)} check Job(s) in {self.run.environment.namespace}",
                lambda: self._restart(checks),
            )

    def _restart(self, checks: tuple[str, ...]) -> None:
        self.run = self.hc.start_verification(self.run.environment, checks)
        self.query_one(DataTable).clear()
        self.show_run()
