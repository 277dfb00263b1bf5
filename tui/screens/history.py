"""`h`: revisions of an environment (who, when, what, why, state); enter for the summary, r to roll back.

An unfinished revision (a change interrupted half-way) is marked, and R restores the
state from before it (recover), which every other change waits for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from hotclone.core.display import safe
from hotclone.core.models import Action, Environment, HistoryEntry, PromotePlan
from hotclone.tui import fmt
from hotclone.tui.messages import EnvironmentChanged, HistoryLoaded
from hotclone.tui.screens.base import ReportingScreen
from hotclone.tui.widgets.banner import ConnectionBanner
from hotclone.tui.widgets.context_bar import ContextBar
from hotclone.tui.widgets.vim import VimTable
from hotclone.tui.workers import deliver

if TYPE_CHECKING:
    from hotclone.tui.app import HotcloneApp


class HistoryScreen(ReportingScreen):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("enter", "show", "Summary"),
        Binding("r", "rollback", "Roll back to before"),
        Binding("R", "recover", "Recover"),
    ]

    def __init__(self, env: Environment) -> None:
        super().__init__()
        self.env = env
        self.entries: list[HistoryEntry] = []

    @property
    def hc(self) -> HotcloneApp:
        return cast("HotcloneApp", self.app)

    def compose(self) -> ComposeResult:
        yield ContextBar()
        yield ConnectionBanner()
        yield Static(f"History of {self.env.ref}", classes="screen-title")
        yield VimTable(id="history-table")
        yield Static("", id="history-detail", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("rev", "when", "who", "action", "state", "reason")
        table.loading = True
        self.reload()

    def reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="history")
    def load(self) -> None:
        session = self.hc.session
        assert session is not None
        deliver(self, HistoryLoaded(session.history(self.env), session.now()))

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        self.entries = sorted(message.entries, key=lambda e: e.revision, reverse=True)
        table = self.query_one(DataTable)
        table.loading = False
        table.clear()
        for e in self.entries:
            when = f"{fmt.duration(message.now - e.timestamp)} ago"
            state = e.state if e.finished else f"! {e.state}"  # a mark, not only a colour (NO_COLOR)
            row = (str(e.revision), when, safe(e.user), safe(e.action), state, safe(e.reason or "-"))
            table.add_row(*row, key=str(e.revision))
        if not self.entries:
            self.query_one("#history-detail", Static).update("No changes recorded by hotclone yet.")
        elif self.unfinished:
            latest = self.unfinished[-1]
            self.query_one("#history-detail", Static).update(
                f"! revision {latest.revision} ({latest.action}) is {latest.state}: every change waits until "
                "R restores the state from before it"
            )
        table.focus()
        self.refresh_bindings()

    def _selected(self) -> HistoryEntry | None:
        table = self.query_one(DataTable)
        if not table.row_count or not self.entries:
            return None
        return self.entries[table.cursor_row] if table.cursor_row < len(self.entries) else None

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        entry = self._selected()
        if entry is not None:
            text = f"rev {entry.revision} {entry.action} by {entry.user}: " + "; ".join(entry.summary)
            self.query_one("#history-detail", Static).update(safe(text))  # a revision's fields are any text

    @on(DataTable.RowSelected)
    def action_show(self) -> None:
        from hotclone.tui.screens.text import TextModal

        entry = self._selected()
        if entry is None:
            return
        # One line per field: a newline in a reason must not pass for a line of the summary.
        body = "\n".join(
            [
                safe(f"revision {entry.revision} · {entry.action}"),
                safe(f"by {entry.user} at {entry.timestamp:%Y-%m-%d %H:%M:%S %Z}"),
                safe(f"reason: {entry.reason or '-'}"),
                "",
                *map(safe, entry.summary),
            ]
        )
        self.app.push_screen(TextModal(f"{self.env.ref} revision {entry.revision}", body))

    @property
    def unfinished(self) -> list[HistoryEntry]:
        return sorted((e for e in self.entries if not e.finished), key=lambda e: e.revision)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "recover":  # offered only when there is something to recover
            if not self.unfinished:
                return False
            return True if self.hc.permission(Action.ROLLBACK, self.env)[0] else None
        if action == "rollback":  # None: shown dimmed, with the reason in help
            return True if self._selected() is not None and self.hc.permission(Action.ROLLBACK, self.env)[0] else None
        if action == "show":
            return True if self._selected() is not None else None
        return True

    def disabled_reason(self, action: str) -> str:
        if action in ("rollback", "recover"):
            return self.hc.permission(Action.ROLLBACK, self.env)[1] or "no revision selected"
        return ""

    def action_rollback(self) -> None:
        from hotclone.tui.screens.promote import PromoteModal

        entry = self._selected()
        if entry is not None:
            self.app.push_screen(PromoteModal.for_rollback(self.env, entry.revision), self._rolled_back)

    def action_recover(self) -> None:
        numbers = ", ".join(str(e.revision) for e in self.unfinished)
        body = (
            f"Restore {self.env.ref} to the state from before revision(s) {numbers}: every object those "
            "changes wrote is put back as it was, then read back."
        )
        self.hc.confirm_change(f"Recover {self.env.ref}?", body, self.recover, ask=True, yes="Recover")

    @work(thread=True, exclusive=True, exit_on_error=False, group="recover")
    def recover(self) -> None:
        session = self.hc.session
        assert session is not None
        recovered = session.recover(self.env)
        self.app.call_from_thread(self._recovered, [e.revision for e in recovered])

    def _recovered(self, revisions: list[int]) -> None:
        numbers = ", ".join(map(str, revisions)) or "none"
        self.notify(f"revision(s) {numbers} restored and read back", title=f"Recovered {self.env.ref}")
        self.hc.main_screen.post_message(EnvironmentChanged((self.env.app, self.env.name)))
        self.reload()

    def _rolled_back(self, plan: PromotePlan | None) -> None:
        if plan is not None:
            from hotclone.tui.screens.rollout import RolloutScreen

            self.hc.main_screen.post_message(EnvironmentChanged((plan.app, plan.target.name)))
            self.app.switch_screen(RolloutScreen(plan))
