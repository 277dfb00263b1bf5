"""The hotclone dashboard: owns the session, the connection state and error reporting."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from hotclone.core.display import safe
from hotclone.core.errors import HotcloneError, Unreachable
from hotclone.core.models import (
    Action,
    ClusterStatus,
    ConnectionInfo,
    Environment,
    LiveChange,
    LiveState,
    ProgressStep,
    PromotionRequest,
    Verification,
)
from hotclone.tui import clusters
from hotclone.tui.commands import HotcloneCommands
from hotclone.tui.messages import LiveChanged
from hotclone.tui.paths import stylesheets
from hotclone.tui.screens.errors import ErrorLogScreen
from hotclone.tui.screens.help import HelpScreen, help_rows
from hotclone.tui.screens.main import MainScreen
from hotclone.tui.verification import VerifyRun

if TYPE_CHECKING:
    from hotclone.core.contract import LiveView, SessionContract

Permissions = dict[Action, tuple[bool, str]]


class HotcloneApp(App[int]):
    CSS_PATH = stylesheets()
    TITLE = "hotclone"
    COMMANDS = App.COMMANDS | {HotcloneCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS = [
        # The footer holds the keys a user needs mid-incident, at 80 columns; `?` lists all.
        Binding("ctrl+r", "refresh", "Refresh", show=False),  # the screen follows the cluster by itself
        Binding("question_mark", "help", "Help"),
        Binding("colon", "command_palette", "Palette", show=False),
        Binding("exclamation_mark", "error_log", "Errors", show=False),
        Binding("q", "quit", "Quit", show=False),
    ]

    connection: reactive[ConnectionInfo | None] = reactive(None)
    focused_env: reactive[Environment | None] = reactive(None)
    unreachable: reactive[str] = reactive("")  # why the API server cannot be reached; "" when fine
    # The watches' state (core/live.py): "live" renders from memory; "reconnecting" keeps the last state.
    live_state: reactive[LiveState | None] = reactive(None)
    # Pending promotion requests this user could decide: the header's "N requests waiting for you".
    waiting: reactive[tuple[PromotionRequest, ...]] = reactive(())
    # With several contexts (issue 14): each one's state as the last load found it, home first; () with one.
    clusters: reactive[tuple[ClusterStatus, ...]] = reactive(())

    def __init__(
        self,
        connect: Callable[[], SessionContract],
        *,
        refresh_interval: float = 10.0,
        poll_interval: float = 1.0,
        retry_interval: float = 3.0,
        cursor_blink: bool = True,
        preview: ConnectionInfo | None = None,
    ) -> None:
        super().__init__()
        self._connect = connect
        self._preview = preview  # the kubeconfig's context and user: the header before the client connects
        self.session: SessionContract | None = None
        self.live: LiveView | None = None
        self.refresh_interval = refresh_interval
        self.poll_interval = poll_interval
        self.retry_interval = retry_interval
        self.cursor_blink = cursor_blink  # off in snapshot tests, and kind to slow SSH links
        self.permissions: dict[str, Permissions] = {}  # clusters.key(env) -> cached answers
        self.errors: list[tuple[str, str]] = []  # (title, detail) for the error log
        # clusters.key(env) -> its latest verification run in this dashboard
        self.verify_runs: dict[str, VerifyRun] = {}
        self._retrying = False

    def on_mount(self) -> None:
        if self._preview is not None:
            self.connection = self._preview
        self.push_screen(MainScreen())
        self.connect()
        # The watches report changes, not their own state: a glance at memory once a second.
        self.set_interval(1.0, self._check_live_state)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if not self.cursor_blink and isinstance(event.widget, Input):
            event.widget.cursor_blink = False

    @property
    def main_screen(self) -> MainScreen:
        return next(s for s in self.screen_stack if isinstance(s, MainScreen))

    # -- connection ----------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="connect")
    def connect(self) -> None:
        session = self._connect()
        info = session.connection_info()
        self.call_from_thread(self._connected, session, info)

    def _connected(self, session: SessionContract, info: ConnectionInfo) -> None:
        self.session = session
        self.connection = info
        self.unreachable = ""
        if self.live is None:  # watches start at once; until they are synced the screens read as before
            self.live = session.live(self._live_changed)
            self.live_state = self.live.state
        self.main_screen.load_all()

    @property
    def live_view(self) -> LiveView | None:
        """The live view when its reads are worth showing: current, or the last state while reconnecting."""
        live = self.live
        return live if live is not None and live.state in ("live", "reconnecting") else None

    def _live_changed(self, change: LiveChange) -> None:
        """Called on the watches' thread: hand it to the UI thread, never touch a widget here."""
        self.post_message(LiveChanged(change))

    def on_live_changed(self, message: LiveChanged) -> None:
        self._check_live_state()
        for screen in self.screen_stack:
            follow = getattr(screen, "live_changed", None)
            if callable(follow):
                follow(message.change)

    def _check_live_state(self) -> None:
        if self.live is None:
            return
        state, before = self.live.state, self.live_state
        self.live_state = state
        if state == "live" and before not in ("live", "reconnecting"):
            self.main_screen.load_all()  # the first sync: from now on the screens render from memory
        elif state == "fallback" and before != "fallback":
            self.main_screen.load_all()  # no watches for this user: the versions are read, as before
        elif self.live_view is not None and self.clusters and _states(self.live.clusters) != _states(self.clusters):
            self.main_screen.load_all()  # a cluster went down or came back: its line and environments follow

    @property
    def live_starting(self) -> bool:
        """The watches are making their first LIST: the versions will come from them (reading them
        through the session too would decode every workload twice while the user waits)."""
        return self.live is not None and self.live.state == "starting"

    def mark_reachable(self) -> None:
        self.unreachable = ""

    def _retry(self) -> None:
        self._retrying = False
        if self.session is None:
            self.connect()
        else:
            self.main_screen.load_all()

    # -- errors: every failed worker ends here unless its screen handled it -------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.report(event.worker.error)

    def report(self, error: BaseException) -> None:
        if isinstance(error, Unreachable):
            self.unreachable = str(error)
            if not self._retrying:
                self._retrying = True
                self.set_timer(self.retry_interval, self._retry)
            return
        if isinstance(error, HotcloneError):
            title, detail = error.title, str(error)
        else:  # a bug: keep the traceback for the error log, never crash the dashboard
            title = f"Unexpected {type(error).__name__}"
            detail = "".join(traceback.format_exception(error))
        self.errors.append((title, detail))
        self.notify(detail.splitlines()[-1] if detail else title, title=title, severity="error", timeout=8)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification (screens' and widgets' too) ends here. They carry cluster text
        (errors, names, values): control characters escaped, and never read as markup,
        which hotclone's notifications do not use."""
        message, title = safe(message, multiline=True), safe(title)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    # -- permissions -----------------------------------------------------------------------
    def permission(self, action: Action, env: Environment | None) -> tuple[bool, str]:
        if self.connection is not None and self.connection.read_only:
            return False, "read-only mode"
        if env is None:
            return False, "select an environment"
        cached = self.permissions.get(clusters.key(env))
        if cached is None:
            return False, "checking permissions…"
        return cached.get(action, (False, "unknown action"))

    def confirm_change(
        self,
        title: str,
        body: str,
        proceed: Callable[[], object],
        *,
        ask: bool = False,
        yes: str = "Yes",
        typed_already: bool = False,
    ) -> None:
        """Every change the dashboard makes passes here just before it writes.

        In a context the config file marks production the user types the context's name,
        unless the dialog just had them type a production target's name (one typed name per
        change, as in the CLI). Elsewhere `ask` puts a yes/no question; without it the
        dialog's own submit was the confirmation.
        """
        from hotclone.tui.screens.confirm import ConfirmModal
        from hotclone.tui.screens.typed_confirm import TypedConfirmModal

        def answered(ok: bool | None) -> None:
            if ok:
                proceed()

        info = self.connection
        if info is not None and info.production_context and not typed_already:
            self.push_screen(TypedConfirmModal(title, body, info.context), answered)
        elif ask:
            self.push_screen(ConfirmModal(title, body, yes=yes, danger=True), answered)
        else:
            proceed()

    # -- verification: runs outlive their screen --------------------------------------------
    def start_verification(self, env: Environment, checks: tuple[str, ...]) -> VerifyRun:
        """Run `env`'s checks in a worker of the app: leaving the verify screen does not stop them
        (stopping would delete their Jobs and record nothing); the end is notified."""
        running = self.verify_runs.get(clusters.key(env))
        if running is not None and not running.finished:
            return running
        run = self.verify_runs[clusters.key(env)] = VerifyRun.start(env, checks)
        self._verify(run)
        return run

    @work(thread=True, exit_on_error=False, group="verify")
    def _verify(self, run: VerifyRun) -> None:
        session = self.session
        assert session is not None

        def progress(step: ProgressStep) -> None:
            self.call_from_thread(self._verify_progressed, run, step)

        try:
            result = session.verify(run.environment, progress=progress)
        except Exception as error:
            self.call_from_thread(self._verify_finished, run, None, str(error) or type(error).__name__)
            raise  # reported as every failed worker is
        self.call_from_thread(self._verify_finished, run, result, "")

    def _verify_progressed(self, run: VerifyRun, step: ProgressStep) -> None:
        try:
            run.progress(step)
            self._show_run(run)
        except Exception as error:  # a display bug must not stop the checks (that deletes their Jobs)
            self.report(error)

    def _verify_finished(self, run: VerifyRun, result: Verification | None, error: str) -> None:
        from hotclone.tui.screens.verify import VerifyScreen

        if result is not None:
            run.finish(result)
            passed = sum(r.passed for r in result.results)
            verdict = "passed" if result.passed else "FAILED"
            if not (isinstance(self.screen, VerifyScreen) and self.screen.run is run):
                self.notify(
                    f"{passed}/{len(result.results)} checks passed",
                    title=f"Verification of {run.environment.ref} {verdict}",
                    severity="information" if result.passed else "error",
                )
        else:
            run.fail(error.splitlines()[-1] if error.strip() else "failed")
        self._show_run(run)
        self.main_screen.verification_changed(run.environment)

    def _show_run(self, run: VerifyRun) -> None:
        from hotclone.tui.screens.verify import VerifyScreen

        for screen in self.screen_stack:
            if isinstance(screen, VerifyScreen) and screen.run is run:
                screen.show_run()

    # -- actions ---------------------------------------------------------------------------
    def action_refresh(self) -> None:
        self.permissions.clear()
        if self.session is None:
            self.connect()
            return
        refresh = getattr(self.screen, "reload", None)
        if callable(refresh):
            refresh()
        if self.screen is not self.main_screen:
            self.main_screen.load_all()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(help_rows(self.screen)))

    def action_error_log(self) -> None:
        self.push_screen(ErrorLogScreen(self.errors))

    def on_unmount(self) -> None:
        if self.live is not None:
            self.live.stop()
        if self.session is not None:
            self.session.close()


def _states(statuses: Iterable[ClusterStatus]) -> list[tuple[str, str]]:
    return [(s.context, s.state) for s in statuses]


def run_dashboard(connect: Callable[[], SessionContract], preview: ConnectionInfo | None = None) -> int:
    """Open the dashboard; `connect` blocks (it runs in a worker) and returns the session. `preview`
    (the kubeconfig's context and user) is the header of the first frame, before it connects."""
    app = HotcloneApp(connect, preview=preview)
    result = app.run()
    return result if isinstance(result, int) else 0
