"""`a`: the promotion requests into an application's environments; approve or reject someone else's.

Nobody approves their own request (the API server refuses it too: hotclone's approval policy),
so the keys are disabled there with the reason. Each decision asks first, then is read back.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from hotclone.core.display import safe
from hotclone.core.models import PromotionRequest
from hotclone.tui import fmt
from hotclone.tui.messages import RequestDecided, RequestsLoaded
from hotclone.tui.screens.base import ReportingScreen
from hotclone.tui.widgets.banner import ConnectionBanner
from hotclone.tui.widgets.context_bar import ContextBar
from hotclone.tui.widgets.vim import VimTable
from hotclone.tui.workers import deliver

if TYPE_CHECKING:
    from hotclone.tui.app import HotcloneApp

COLUMNS = ("id", "target", "from", "requester", "state", "approvals", "expires", "reason")


def expiry(request: PromotionRequest, now: datetime) -> str:
    if request.applied_by:
        return "used"
    if now >= request.expires_at:
        return f"{fmt.duration(now - request.expires_at)} ago"
    return f"in {fmt.duration(request.expires_at - now)}"


def cells(request: PromotionRequest, now: datetime) -> tuple[str, ...]:
    approvals = f"{len(request.approvers)}/{request.required}"
    state: str = request.state(now)
    if state == "rejected":
        state = f"rejected by {', '.join(request.rejected_by)}"
    return (request.id, request.target, request.source, request.requester, state, approvals, expiry(request, now),
            request.reason)  # fmt: skip


def details(request: PromotionRequest, now: datetime) -> str:
    """The request in full, one line per field (a newline in a reason must not pass for a summary line)."""
    lines = [
        f"{request.id}: promote {request.source} → {request.app}/{request.target}",
        f"requested by {request.requester} at {request.created:%Y-%m-%d %H:%M:%S %Z}, expires {expiry(request, now)}",
        f"state: {request.state(now)} · approvals {len(request.approvers)}/{request.required}",
        f"reason: {request.reason or '-'}",
    ]
    lines += [f"{d.decision} by {d.user}" for d in request.decisions]
    if request.skipped_verification:
        lines.append(f"verification skipped: {request.skipped_verification}")
    if request.applied_by:
        lines.append(f"applied by {request.applied_by}")
    lines += ["", "changes:", *(f"  {line}" for line in request.summary)]
    return "\n".join(safe(line) for line in lines)


class RequestsScreen(ReportingScreen):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("enter", "show", "Summary"),
        Binding("a", "approve", "Approve"),
        Binding("r", "reject", "Reject"),
    ]

    def __init__(self, app_name: str) -> None:
        super().__init__()
        self.app_name = app_name
        self.requests: list[PromotionRequest] = []
        self.now: datetime | None = None
        self.deciding = False

    @property
    def hc(self) -> HotcloneApp:
        return cast("HotcloneApp", self.app)

    def compose(self) -> ComposeResult:
        yield ContextBar()
        yield ConnectionBanner()
        yield Static(safe(f"Promotion requests of {self.app_name}"), classes="screen-title", markup=False)
        yield VimTable(id="requests-table")
        yield Static("", id="requests-detail", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        table.loading = True
        self.reload()

    def reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="requests")
    def load(self) -> None:
        session = self.hc.session
        assert session is not None
        deliver(self, RequestsLoaded(session.promotion_requests(self.app_name), session.now()))

    def on_requests_loaded(self, message: RequestsLoaded) -> None:
        self.requests, self.now = message.requests, message.now
        table = self.query_one(DataTable)
        keep = self._selected()
        table.loading = False
        table.clear()
        for request in self.requests:
            table.add_row(*cells(request, message.now), key=request.id)
        if keep is not None and keep.id in table.rows:
            table.move_cursor(row=table.get_row_index(keep.id))
        if not self.requests:
            self.query_one("#requests-detail", Static).update(
                f"No promotion requests into {self.app_name}'s environments."
            )
        table.focus()
        self._show_detail()
        self.refresh_bindings()

    def _selected(self) -> PromotionRequest | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        return next((r for r in self.requests if r.id == key), None)

    @on(DataTable.RowHighlighted)
    def _show_detail(self) -> None:
        request = self._selected()
        if request is None or self.now is None:
            return
        why = self.disabled_reason("approve")
        decide = f" · approve/reject: {why}" if why else " · a approve · r reject"
        line = f"{request.id} by {request.requester}: {len(request.summary)} change line(s), enter shows them"
        self.query_one("#requests-detail", Static).update(safe(line + decide))

    # -- enabling and disabling keys ---------------------------------------------------------
    def disabled_reason(self, action: str) -> str:
        if action not in ("approve", "reject"):
            return "no request selected" if action == "show" and self._selected() is None else ""
        info, request = self.hc.connection, self._selected()
        if info is not None and info.read_only:
            return "read-only mode"
        if request is None or self.now is None:
            return "no request selected"
        if info is not None and request.requester == info.user:
            return "your own request: someone else must approve it"
        state = request.state(self.now)
        if state != "pending":
            return f"the request is {state}"
        if info is not None and any(d.user == info.user for d in request.decisions):
            return "you already decided on it"
        if self.deciding:
            return "a decision is being recorded"
        return ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("approve", "reject", "show"):
            return None if self.disabled_reason(action) else True
        return True

    # -- actions -------------------------------------------------------------------------------
    @on(DataTable.RowSelected)
    def action_show(self) -> None:
        from hotclone.tui.screens.text import TextModal

        request = self._selected()
        if request is not None and self.now is not None:
            self.app.push_screen(TextModal(f"Promotion request {request.id}", details(request, self.now)))

    def action_approve(self) -> None:
        self._ask(approve=True)

    def action_reject(self) -> None:
        self._ask(approve=False)

    def _ask(self, *, approve: bool) -> None:
        request = self._selected()
        why = self.disabled_reason("approve")
        if request is None or self.now is None or why:
            if why:
                self.notify(why, title="Cannot decide", severity="warning")
            return
        word = "Approve" if approve else "Reject"
        body = details(request, self.now)
        self.hc.confirm_change(
            f"{word} {request.id} into {self.app_name}/{request.target}?",
            body,
            partial(self.decide, request, approve),
            ask=True,
            yes=word,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="decide")
    def decide(self, request: PromotionRequest, approve: bool) -> None:
        session = self.hc.session
        assert session is not None
        self.app.call_from_thread(setattr, self, "deciding", True)
        try:
            target = session.environment(request.app, request.target)
            deliver(self, RequestDecided(session.decide(target, request.id, approve=approve)))
        finally:
            self.app.call_from_thread(setattr, self, "deciding", False)

    def on_request_decided(self, message: RequestDecided) -> None:
        request, now = message.request, self.now
        state = request.state(now) if now is not None else "recorded"
        self.notify(
            f"{len(request.approvers)}/{request.required} approvals, now {state}",
            title=f"{request.id}: your decision is recorded",
        )
        self.reload()
        self.hc.main_screen.load_waiting()  # the header's badge follows
