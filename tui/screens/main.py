"""Applications and environments on the left, the focused environment's workloads on the right."""

from __future__ import annotations

import time
from contextlib import suppress
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.widgets import DataTable, Footer, Input, Static
from textual.widgets.data_table import CellDoesNotExist
from textual.worker import get_current_worker

from hotclone.core.display import safe
from hotclone.core.errors import HotcloneError, Unreachable
from hotclone.core.matrix import column_names
from hotclone.core.models import (
    Action,
    Application,
    ClusterStatus,
    Environment,
    ImageSpec,
    LiveChange,
    VerificationState,
    VersionMatrix,
    Workload,
)
from hotclone.tui import clusters, fmt
from hotclone.tui.columns import Column, fit, fitted_rows, shorten
from hotclone.tui.messages import (
    ApplicationsLoaded,
    DetailsLoaded,
    EnvironmentChanged,
    EnvironmentLoaded,
    PermissionsChecked,
    VersionsLoaded,
    WaitingLoaded,
)
from hotclone.tui.screens.base import ReportingScreen
from hotclone.tui.verification import state_line
from hotclone.tui.widgets.banner import ConnectionBanner
from hotclone.tui.widgets.context_bar import ContextBar
from hotclone.tui.widgets.vim import VimTable
from hotclone.tui.workers import deliver

if TYPE_CHECKING:
    from textual.widget import Widget

    from hotclone.tui.app import HotcloneApp

# Keys that change the cluster, and the permission each needs (k9s: dangerous actions in one place).
GUARDED: dict[str, Action] = {
    "clone": Action.CLONE,
    "edit_image": Action.SET_IMAGE,
    "edit_config": Action.SET_CONFIG,
    "verify": Action.VERIFY,
    "promote": Action.PROMOTE,
    "destroy": Action.DESTROY,
}
NEEDS_ENV = {"diff", "history", *GUARDED}

# Widths are computed per fill (tui.columns): names, containers and cloned-from give up
# width before the image does, and the image keeps its tag. Kind, type, age, TTL and
# readiness are short and carry state (EXPIRED): never shortened.
WORKLOAD_COLUMNS = (
    Column("kind"),
    Column("name", shrink=1, minimum=8),
    Column("container", shrink=1, minimum=8),
    Column("ready"),
    Column("image", shrink=2, minimum=20, keep_end=True),
)
ENV_COLUMNS = (
    Column("environment", shrink=1, minimum=12),
    Column("type"),
    Column("age"),
    Column("ttl"),
    Column("from", shrink=1, minimum=6),
    Column("versions", shrink=3, minimum=8),
)
# With several clusters (issue 14) each environment names its context, k9s/Argo CD style: a column
# beside the name, which gives up width before the versions do (the details line names it in full).
MULTI_ENV_COLUMNS = (ENV_COLUMNS[0], Column("context", shrink=2, minimum=7), *ENV_COLUMNS[1:])
DETAILS_DELAY = 0.15  # seconds a live focus rests before its verification is read: holding j reads once
VERIFICATION_EVERY = 6  # quiet refreshes (10s each) between two readings of an unchanged environment's verification
INCOMPLETE = "! "  # before the name of an interrupted clone (history marks unfinished revisions alike)


def _origin(env: Environment, short: dict[str, str] | None = None) -> str:
    """Where a clone came from: its source's name, and its context when that is another cluster
    (`short`: the list's shorter context names)."""
    context = env.cloned_from_context
    if not env.cloned_from or not context or context == env.cluster:
        return env.cloned_from or ""
    return f"{env.cloned_from}@{(short or {}).get(context, context)}"


class FilterInput(Input):
    """The filter box: while typing, letters are text and the footer shows the way out."""

    BINDINGS = [Binding("escape", "screen.clear_filter", "Clear filter")]


class MainScreen(ReportingScreen):
    AUTO_FOCUS = "#envs"
    # The tooltips double as the command palette's entries (tui.commands): one list of actions.
    # The footer shows the story's keys in its order and fits 80 columns; `/` (k9s), the matrix and the
    # requests (`a`, also named by the header's badge when some wait for this user) are in `?` and the palette.
    BINDINGS = [
        Binding("slash", "filter", "Filter", tooltip="Filter environments", show=False),
        Binding("c", "clone", "Clone", tooltip="Clone the focused environment"),
        Binding("e", "edit_image", "Image", tooltip="Edit the image of the focused workload"),
        Binding("v", "edit_config", "Config", tooltip="Edit a ConfigMap value of the focused environment"),
        Binding("d", "diff", "Diff", tooltip="Diff two environments"),
        Binding("t", "verify", "Verify", tooltip="Verify: run the focused environment's checks"),
        Binding("p", "promote", "Promote", tooltip="Promote the focused clone"),
        Binding("h", "history", "History", tooltip="History and rollback"),
        Binding("x", "destroy", "Destroy", tooltip="Destroy the focused temporary environment"),
        Binding("m", "matrix", "Matrix", tooltip="Version matrix", show=False),
        Binding("a", "requests", "Requests", tooltip="Promotion requests: approve or reject", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.applications: list[Application] = []
        self.matrices: dict[str, VersionMatrix] = {}
        self.envs: dict[str, Environment] = {}
        self.workloads: list[Workload] = []
        self.verification: VerificationState | None = None  # the focused environment's, with its workloads
        self.verification_error = ""
        self._quiet_refreshes = 0
        self.now: datetime | None = None
        self.current_app: str | None = None
        self._pending_focus: str | None = None
        self._checking: str | None = None
        self._workload_rows: dict[str, tuple[str, ...]] = {}  # row key -> full cells, for the detail line
        self._shortened: set[str] = set()  # row keys with a shortened cell
        self._env_widths: list[int] = []
        self._measured: dict[str, Size] = {}  # table id -> the size its columns were measured for
        # Preflight findings per environment ref: an annotation a clone writes once, read once per
        # environment while live (the live view keeps namespaces slim, not their findings' meaning).
        self._preflight: dict[str, list[str]] = {}
        self.clusters: tuple[ClusterStatus, ...] = ()  # every context as the last load found it

    @property
    def hc(self) -> HotcloneApp:
        return cast("HotcloneApp", self.app)

    @property
    def env(self) -> Environment | None:
        return self.hc.focused_env

    def compose(self) -> ComposeResult:
        yield ContextBar()
        yield ConnectionBanner(id="banner")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield FilterInput(placeholder="filter environments…", id="filter")
                yield Static("", id="cluster-warnings", markup=False)  # a cluster that does not answer
                yield VimTable(id="envs")
            with Vertical(id="right"):
                # markup=False: these show annotations and the server's words, not markup
                yield Static("loading environments…", id="env-title", markup=False)
                yield VimTable(id="workloads")
                yield Static("", id="workload-detail", markup=False)  # the full row when a cell is shortened
                yield Static("", id="verification", markup=False)  # the verification gate's state, in words
                yield Static("", id="preflight", markup=False)
        yield Static("", id="reasons", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        envs = self.query_one("#envs", DataTable)
        envs.add_columns(*(c.label for c in ENV_COLUMNS))
        envs.loading = True
        self.query_one("#workloads", DataTable).add_columns(*(c.label for c in WORKLOAD_COLUMNS))
        self.set_interval(self.hc.refresh_interval, self.quiet_refresh)

    def on_resize(self) -> None:
        # The widths depend on the space: measure again once the new layout is in place.
        self.call_after_refresh(self._remeasure)

    def _remeasure(self) -> None:
        """Fill again the tables whose size changed since their columns were measured."""
        for table_id, fill in (("envs", self._fill_envs), ("workloads", self._fill_workloads)):
            size = self.query_one(f"#{table_id}", DataTable).size
            if size.width and size != self._measured.get(table_id) and table_id in self._measured:
                fill()

    def _set_columns(self, table: DataTable[str], columns: tuple[Column, ...], rows: list[list[str]]) -> list[int]:
        """Rebuild the columns with widths for these rows in the table's width; returns the widths."""
        widths = fit(columns, rows, self._room(table, len(rows)), table.cell_padding)
        table.clear(columns=True)
        for column, size in zip(columns, widths, strict=True):
            table.add_column(shorten(column.label, size), width=size, key=column.label)
        # A table under its loading indicator has no size yet: its pane's is used until it has.
        self._measured[table.id or ""] = table.size
        self.call_after_refresh(self._remeasure)
        return widths

    @staticmethod
    def _room(table: DataTable[str], rows: int) -> int:
        """Cells available for the columns (padding included) of a table holding `rows` rows."""
        size = table.size if table.size.width else cast("Widget", table.parent).size
        scrollbar = table.styles.scrollbar_size_vertical if rows + 1 > size.height else 0
        return size.width - scrollbar

    # -- loading ---------------------------------------------------------------------------
    def reload(self) -> None:
        self.load_all()

    @work(thread=True, exclusive=True, exit_on_error=False, group="apps")
    def load_all(self) -> None:
        session, live = self.hc.session, self.hc.live_view
        if session is None:
            return
        # Live: memory, no request (a thread still: the matrices of 1,000 environments take a while).
        apps = live.applications() if live else session.applications()  # one LIST: the list now, versions follow
        # Each context as that read found it (one that did not answer is left out of `apps`).
        statuses = tuple(live.clusters if live else session.clusters())
        deliver(self, ApplicationsLoaded(apps, session.now(), statuses))
        self.load_waiting()
        if live is None and self.hc.live_starting:
            return  # the versions follow the watches' first sync (the app reloads then)
        deliver(self, VersionsLoaded((live or session).version_matrices(apps)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="versions")
    def load_versions(self, namespaces: frozenset[str]) -> None:
        """The version cells of the applications holding these namespaces, from the live view."""
        live = self.hc.live_view
        apps = [a for a in self.applications if any(e.namespace in namespaces for e in a.environments)]
        if live is not None and apps:
            deliver(self, VersionsLoaded(live.version_matrices(apps), partial=True))

    @work(thread=True, exclusive=True, exit_on_error=False, group="waiting")
    def load_waiting(self) -> None:
        """Requests waiting for this user (the header's badge): its own worker, so a failure here
        never keeps the environments from showing."""
        session = self.hc.session
        if session is not None:
            deliver(self, WaitingLoaded(session.waiting_for_me()))

    def show_environment(self, env: Environment) -> None:
        """The focused environment's workloads: from memory at once when live, else read in a worker."""
        live = self.hc.live_view
        if live is None or self.hc.session is None:
            self.load_environment(env)
            return
        preflight = self._preflight.get(clusters.key(env), [])
        self._environment_loaded(
            EnvironmentLoaded(env, live.workloads(env), preflight, self.hc.session.now(), verification_read=False)
        )
        self.load_details(env)

    @work(thread=True, exclusive=True, exit_on_error=False, group="details")
    def load_details(self, env: Environment) -> None:
        """After a live focus change: the verification (it reads the environment) and, once per
        environment, its preflight findings. Exclusive and delayed, so moving on cancels it unread."""
        session = self.hc.session
        time.sleep(DETAILS_DELAY)
        if session is None or get_current_worker().is_cancelled:
            return
        preflight = self._preflight.get(clusters.key(env))
        if preflight is None:
            preflight = session.preflight(env) if env.cloned_from else []
        verification, error = None, ""
        try:
            verification = session.verification(env)
        except Unreachable:
            raise
        except HotcloneError as failure:
            error = str(failure)
        deliver(self, DetailsLoaded(env, preflight, verification, error))

    @work(thread=True, exclusive=True, exit_on_error=False, group="env")
    def load_environment(self, env: Environment, *, quiet: bool = False) -> None:
        session = self.hc.session
        if session is None:
            return
        workloads = session.workloads(env)
        preflight = session.preflight(env) if env.cloned_from else []
        # The verification's state reads every material object (and its check Jobs): a quiet refresh
        # asks again only when the workloads changed, or once a minute.
        if quiet and workloads == self.workloads and self._quiet_refreshes % VERIFICATION_EVERY:
            deliver(self, EnvironmentLoaded(env, workloads, preflight, session.now(), verification_read=False))
            return
        verification, error = None, ""
        try:
            verification = session.verification(env)
        except Unreachable:
            raise
        except HotcloneError as failure:  # the workloads still show; the line says why there is no state
            error = str(failure)
        deliver(self, EnvironmentLoaded(env, workloads, preflight, session.now(), verification, error))

    def verification_changed(self, env: Environment) -> None:
        """A verification of `env` ended: its state line (and the promote gate) follow."""
        if self.env is not None and clusters.key(self.env) == clusters.key(env):
            if self.hc.live_view is not None:
                self.load_details(env)
            else:
                self.load_environment(env)

    def live_changed(self, change: LiveChange) -> None:
        """The watches saw a change: repaint what it touched, from memory (no request)."""
        if self.hc.live_view is None:
            return  # not synced yet, or fallback: the polling path shows the cluster
        if change.everything or change.environments:
            self.load_all()  # the list and every version cell
        elif change.namespaces:
            self.load_versions(change.namespaces)
        env = self.env
        if env is not None and (change.everything or env.namespace in change.namespaces):
            self._live_workloads(env)

    def _live_workloads(self, env: Environment) -> None:
        """Repaint the focused environment's workloads; its verification is read again only when
        what it verifies changed (images, workloads), not for every readiness step of a rollout."""
        live, session = self.hc.live_view, self.hc.session
        if live is None or session is None:
            return
        before = [(w.ref, w.containers) for w in self.workloads]
        workloads = live.workloads(env)
        preflight = self._preflight.get(clusters.key(env), [])
        self._environment_loaded(EnvironmentLoaded(env, workloads, preflight, session.now(), verification_read=False))
        if [(w.ref, w.containers) for w in workloads] != before:
            self.load_details(env)

    @work(thread=True, exclusive=True, exit_on_error=False, group="perms")
    def check_permissions(self, env: Environment) -> None:
        session = self.hc.session
        if session is None:
            return
        answers = {action: session.allowed(action, env) for action in Action}
        deliver(self, PermissionsChecked(env, answers))

    def quiet_refresh(self) -> None:
        """Periodic: only the focused environment, without a loading indicator; never while live."""
        if self.hc.live_view is not None:
            return  # the watches bring every change
        if self.env is not None and self.hc.session is not None and not self.hc.unreachable:
            self._quiet_refreshes += 1
            self.load_environment(self.env, quiet=True)

    def on_applications_loaded(self, message: ApplicationsLoaded) -> None:
        self.hc.mark_reachable()
        self.applications, self.now = message.applications, message.now
        self.envs = {clusters.key(e): e for a in self.applications for e in a.environments}
        self.clusters = message.clusters
        self.hc.clusters = message.clusters if self.several else ()
        self._show_cluster_warnings()
        self.query_one("#envs", DataTable).loading = False
        self._fill_envs()

    @property
    def several(self) -> bool:
        """More than one cluster: each environment row names its context."""
        return clusters.several(self.clusters, self.envs.values())

    @property
    def env_columns(self) -> tuple[Column, ...]:
        return MULTI_ENV_COLUMNS if self.several else ENV_COLUMNS

    def _show_cluster_warnings(self) -> None:
        """One line per cluster that does not answer: its environments are not listed (or their last
        known state is, marked); the others' are, as ever."""
        lines = [line for line in map(clusters.problem, self.clusters) if line] if self.several else []
        warnings = self.query_one("#cluster-warnings", Static)
        warnings.update("\n".join(lines))
        warnings.display = bool(lines)

    def on_versions_loaded(self, message: VersionsLoaded) -> None:
        self.matrices = {**self.matrices, **message.matrices} if message.partial else message.matrices
        rows = self._env_rows()
        table = self.query_one("#envs", DataTable)
        columns = self.env_columns
        if fit(columns, [cells for _key, cells in rows], self._room(table, len(rows))) != self._env_widths:
            self._fill_envs()  # first versions: the columns are measured again
            return
        # Otherwise fill the column in place: rebuilding the table would fight a cursor the user moves.
        versions = columns[-1]
        for key, cells in rows:
            with suppress(CellDoesNotExist):  # the row may be filtered out
                table.update_cell(key, versions.label, shorten(cells[-1], self._env_widths[-1]))

    def _version_summary(self, env: Environment) -> str:
        matrix = self.matrices.get(env.app)
        if matrix is None:
            return ""
        # The matrix names an environment found in two clusters by its address (core/matrix.py).
        column = env.address if env.address in matrix.environments else env.name
        return matrix.summary(column)

    def _env_rows(self) -> list[tuple[str, list[str]]]:
        """(row key, cells) of the environment list under the filter; cluster text made safe."""
        needle = self.query_one("#filter", Input).value.strip().lower()
        now = self.now or datetime.now().astimezone()
        several, down = self.several, clusters.down(self.clusters)
        short = clusters.short_names([*(c.context for c in self.clusters), *(e.cluster for e in self.envs.values())])
        rows: list[tuple[str, list[str]]] = []
        for application in self.applications:
            shown = [
                e
                for e in application.environments
                if not needle or needle in f"{e.ref} {e.type}{f' {e.cluster}' if several else ''}".lower()
            ]
            if not shown and needle not in application.name:
                continue
            blank = [""] * (len(self.env_columns) - 1)
            rows.append((f"app:{application.name}", [safe(f"▾ {application.name}"), *blank]))
            for e in shown:
                name = (INCOMPLETE if e.incomplete else "  ") + safe(e.name)  # a character, not a colour
                origin = _origin(e, short)
                cells = [name, e.type, fmt.age(e, now), fmt.ttl(e, now), origin, self._version_summary(e)]
                if several:  # the last known state of a cluster that is down says so: a mark, not a colour
                    name = short.get(e.cluster, e.cluster)
                    cells.insert(1, f"⚠ {name}" if e.cluster in down else name)
                rows.append((clusters.key(e), [safe(c) for c in cells]))
        return rows

    def _fill_envs(self) -> None:
        table = self.query_one("#envs", DataTable)
        keep = self._pending_focus or (clusters.key(self.env) if self.env else None) or self._cursor_key(table)
        self._pending_focus = None
        rows = self._env_rows()
        columns = self.env_columns
        self._env_widths = self._set_columns(table, columns, [cells for _key, cells in rows])
        for key, cells in rows:
            table.add_row(*fitted_rows(columns, [cells], self._env_widths)[0], key=key)
        if table.row_count:
            self.focus_row(keep or "", move_focus=False)
        if self.focused is None:
            table.focus()

    @staticmethod
    def _cursor_key(table: DataTable[str]) -> str | None:
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def focus_row(self, key: str, *, move_focus: bool = True) -> None:
        """Move the environment cursor to `key` ("app/env" or "app:name"); used by the palette too."""
        table = self.query_one("#envs", DataTable)
        if key not in self.envs and not key.startswith("app:"):
            # "app/env" without its context (the palette, a clone just made): the environment of that name.
            key = next((k for k, e in self.envs.items() if e.ref == key), key)
        try:
            index = table.get_row_index(key)
        except Exception:  # row filtered out or gone: first environment instead
            index = 1 if table.row_count > 1 else 0
        table.move_cursor(row=index)
        self._on_cursor(table)
        if move_focus:
            table.focus()

    @on(DataTable.RowHighlighted, "#envs")
    def _env_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._on_cursor(event.data_table)

    def _on_cursor(self, table: DataTable[str]) -> None:
        key = self._cursor_key(table)
        if key is None:
            return
        env = self.envs.get(key)
        previous = self.env
        self.current_app = env.app if env else key.removeprefix("app:")
        self.hc.focused_env = env
        if env is None:
            self._show_app(self.current_app)
        elif previous is None or clusters.key(previous) != clusters.key(env) or not self.workloads:
            self.query_one("#env-title", Static).update(self._title(env))
            self.query_one("#workloads", DataTable).loading = True
            self._show_verification(None, "")  # another environment's state must not show as this one's
            self.show_environment(env)
        if env is not None and key not in self.hc.permissions and self._checking != key:
            self._checking = key  # one access review per environment, even when the cursor settles twice
            self.check_permissions(env)
        self._update_reasons()

    def _title(self, env: Environment) -> str:
        bits = [f"{env.ref} · {env.type}"]
        if self.several:
            bits.append(f"context {env.cluster}")
        now = self.now or datetime.now().astimezone()
        if fmt.ttl(env, now) == "EXPIRED":
            bits.append("EXPIRED")
        if env.incomplete:
            bits.append("! incomplete (an interrupted clone)")
        if env.cloned_from:
            bits.append(f"cloned from {_origin(env)}")
        if env.created_by:
            bits.append(f"by {env.created_by}")
        return safe(" · ".join(bits))  # cloned-from and created-by are annotations: any text

    def _show_app(self, app: str) -> None:
        count = sum(len(a.environments) for a in self.applications if a.name == app)
        self.query_one("#env-title", Static).update(f"{app}: {count} environments — select one (j/k)")
        self.query_one("#workloads", DataTable).clear()
        self.query_one("#preflight", Static).update("")
        self.workloads = []
        self._show_verification(None, "")
        self._workload_rows, self._shortened = {}, set()
        self._show_detail()

    def on_environment_loaded(self, message: EnvironmentLoaded) -> None:
        self.hc.mark_reachable()
        self._environment_loaded(message)

    def _environment_loaded(self, message: EnvironmentLoaded) -> None:
        if self.env is None or clusters.key(message.environment) != clusters.key(self.env):
            return  # the user moved on
        self.workloads = message.workloads
        self.query_one("#workloads", DataTable).loading = False
        self._fill_workloads()
        self._show_preflight(message.preflight)
        if message.verification_read:
            self._show_verification(message.verification, message.verification_error)
        self.refresh_bindings()

    def on_details_loaded(self, message: DetailsLoaded) -> None:
        self.hc.mark_reachable()
        self._preflight[clusters.key(message.environment)] = message.preflight
        if self.env is None or clusters.key(message.environment) != clusters.key(self.env):
            return
        self._show_preflight(message.preflight)
        self._show_verification(message.verification, message.verification_error)
        self.refresh_bindings()

    def _show_preflight(self, findings: list[str]) -> None:
        # Rewritten references are information; the rest still point at the source.
        warnings = "\n".join(("↻ " if line.endswith("(rewritten)") else "⚠ ") + safe(line) for line in findings)
        self.query_one("#preflight", Static).update(warnings)
        self.query_one("#preflight").display = bool(warnings)

    def _show_verification(self, state: VerificationState | None, error: str) -> None:
        self.verification, self.verification_error = state, error
        line = self.query_one("#verification", Static)
        text, kind = state_line(state, error)
        line.update(text)
        line.display = bool(text)
        for name in ("-ok", "-failed", "-stale", "-none", "-unknown"):
            line.set_class(name == kind, name)

    def on_waiting_loaded(self, message: WaitingLoaded) -> None:
        self.hc.waiting = tuple(message.requests)

    def _fill_workloads(self) -> None:
        table = self.query_one("#workloads", DataTable)
        keep = self._cursor_key(table)
        self._workload_rows = {}
        for w in self.workloads:
            ready = f"{w.ready}/{w.desired}" if w.desired else "-"
            for c in w.containers:
                container = f"{c.name} (init)" if c.init else c.name
                cells = (w.kind, w.name, container, ready, c.image)
                self._workload_rows[f"{w.ref}|{c.name}"] = tuple(map(safe, cells))
        full = [list(cells) for cells in self._workload_rows.values()]
        widths = self._set_columns(table, WORKLOAD_COLUMNS, full)
        self._shortened = set()
        shortened = fitted_rows(WORKLOAD_COLUMNS, full, widths)
        for (key, full_row), shown in zip(self._workload_rows.items(), shortened, strict=True):
            if shown != list(full_row):
                self._shortened.add(key)
            table.add_row(*shown, key=key)
        if keep:
            with suppress(Exception):  # the row may be gone after a change
                table.move_cursor(row=table.get_row_index(keep))
        self._show_detail()

    @on(DataTable.RowHighlighted, "#workloads")
    def _workload_highlighted(self) -> None:
        self._show_detail()
        self.refresh_bindings()

    def _show_detail(self) -> None:
        """The highlighted workload row in full, when one of its cells had to be shortened."""
        detail = self.query_one("#workload-detail", Static)
        key = self._cursor_key(self.query_one("#workloads", DataTable))
        if key is None or key not in self._shortened:
            detail.display = False
            return
        kind, name, container, _ready, image = self._workload_rows[key]
        detail.update(f"{kind}/{name} · {container}: {image}")
        detail.display = True

    def on_permissions_checked(self, message: PermissionsChecked) -> None:
        self.hc.permissions[clusters.key(message.environment)] = message.allowed
        self._checking = None
        self.refresh_bindings()
        self._update_reasons()

    def on_environment_changed(self, message: EnvironmentChanged) -> None:
        self.hc.permissions.clear()
        if message.focus:
            self._pending_focus = "/".join(message.focus)
        self.workloads = []
        self.load_all()
        if self.env is not None:
            self.show_environment(self.env)
            self._checking = clusters.key(self.env)
            self.check_permissions(self.env)  # answers may change with the environment (e.g. now cloned)

    # -- enabling and disabling keys --------------------------------------------------------
    def disabled_reason(self, action: str) -> str:
        if action in NEEDS_ENV and self.env is None:
            return "select an environment"
        if action in GUARDED:
            allowed, reason = self.hc.permission(GUARDED[action], self.env)
            if not allowed:
                return reason
        if action == "edit_image" and self._selected_container() is None:
            return "no workload selected"
        if action in ("matrix", "requests") and self.current_app is None:
            return "select an application"
        if action == "verify":
            return self._verify_refusal()
        return ""

    def _verify_refusal(self) -> str:
        """Why the focused environment cannot be verified now ("" when it can)."""
        env = self.env
        if env is None:
            return "select an environment"
        state = self.verification
        if state is None or clusters.key(state.environment) != clusters.key(env):
            return self.verification_error or "reading its verification…"
        if not state.checks:
            return f"environment type {env.type!r} defines no checks"
        return ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # textual: None shows the key dimmed (disabled), False would hide it; we want it seen as disabled.
        if action in NEEDS_ENV or action in ("matrix", "requests"):
            return None if self.disabled_reason(action) else True
        return True

    def _update_reasons(self) -> None:
        # Keys sharing a reason share its words ("clone, edit image, ...: read-only mode"): one line at 80 columns.
        by_reason: dict[str, list[str]] = {}
        for action in GUARDED:
            reason = self.disabled_reason(action)
            if action == "verify" and reason and reason == self._verify_refusal():
                continue  # the type's reason (no checks): the verification line and `?` say it
            if reason:
                by_reason.setdefault(reason, []).append(action.replace("_", " "))
        reasons = [f"{', '.join(actions)}: {reason}" for reason, actions in by_reason.items()]
        self.query_one("#reasons", Static).update(safe(" · ".join(reasons)))  # the API server's reasons
        self.refresh_bindings()

    # -- actions ----------------------------------------------------------------------------
    def run_palette_action(self, action: str) -> None:
        if self.check_action(action, ()) is not True:
            self.notify(
                self.disabled_reason(action), title=f"{action.replace('_', ' ')} unavailable", severity="warning"
            )
            return
        getattr(self, f"action_{action}")()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self.query_one("#envs").focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self._fill_envs()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one("#envs").focus()

    def _selected_container(self) -> tuple[Workload, str] | None:
        table = self.query_one("#workloads", DataTable)
        key = self._cursor_key(table)
        if key is None:
            return None
        ref, container = key.split("|", 1)
        workload = next((w for w in self.workloads if w.ref == ref), None)
        return (workload, container) if workload else None

    def action_clone(self) -> None:
        from hotclone.tui.screens.clone import CloneModal

        env = self.env
        assert env is not None
        existing = {e.name for a in self.applications if a.name == env.app for e in a.environments}
        self.app.push_screen(CloneModal(env, existing, self.now), self._cloned)

    def _cloned(self, env: Environment | None) -> None:
        if env is not None:
            self.post_message(EnvironmentChanged((env.app, env.name)))

    def action_edit_image(self) -> None:
        from hotclone.tui.screens.edit_image import EditImageModal

        selected = self._selected_container()
        if self.env is None or selected is None:
            return
        workload, container = selected
        self.app.push_screen(EditImageModal(self.env, workload, container), self._edited)

    def action_edit_config(self) -> None:
        from hotclone.tui.screens.edit_config import EditConfigModal

        if self.env is not None:
            self.app.push_screen(EditConfigModal(self.env), self._edited)

    def _edited(self, specs: list[ImageSpec] | bool | None) -> None:
        if specs:
            self.post_message(EnvironmentChanged())

    def action_diff(self) -> None:
        from hotclone.tui.screens.diff import DiffScreen

        env = self.env
        assert env is not None
        environments = [e for a in self.applications if a.name == env.app for e in a.environments]
        # Labels as the diff screen shows them: `name@context` where two clusters share a name.
        label = dict(zip(environments, column_names(environments), strict=True))
        names = list(label.values())
        source = next((e for e in environments if env.cloned_from_env(e)), None)
        production = next((e for e in environments if e.is_production), None)
        left = label[source] if source else label[production] if production else names[0]
        right = label.get(env, env.name)
        right = right if right != left else next((n for n in names if n != left), left)
        self.app.push_screen(DiffScreen(env.app, environments, left, right))

    def action_promote(self) -> None:
        from hotclone.tui.screens.promote import PromoteModal

        env = self.env
        assert env is not None
        self.app.push_screen(PromoteModal.for_promote(env), self.after_apply)

    def after_apply(self, plan: object) -> None:
        from hotclone.core.models import PromotePlan
        from hotclone.tui.screens.rollout import RolloutScreen

        if isinstance(plan, PromotePlan):
            self.post_message(EnvironmentChanged((plan.app, plan.target.name)))
            self.app.push_screen(RolloutScreen(plan))

    def action_history(self) -> None:
        from hotclone.tui.screens.history import HistoryScreen

        assert self.env is not None
        self.app.push_screen(HistoryScreen(self.env))

    def action_destroy(self) -> None:
        env = self.env
        assert env is not None
        body = (
            f"Delete environment {env.ref}: namespace {env.namespace} and every object in it "
            f"({len(self.workloads)} workloads, their services, config and data)."
        )
        self.hc.confirm_change(f"Destroy {env.ref}?", body, partial(self.destroy, env), ask=True, yes="Destroy")

    @work(thread=True, exclusive=True, exit_on_error=False, group="destroy")
    def destroy(self, env: Environment) -> None:
        session = self.hc.session
        assert session is not None
        session.destroy(env)
        self.app.call_from_thread(self.app.notify, f"{env.ref} destroyed", title="Destroyed")
        deliver(self, EnvironmentChanged((env.app, env.cloned_from or "")))

    def action_verify(self) -> None:
        from hotclone.tui.screens.verify import VerifyScreen

        env, state = self.env, self.verification
        assert env is not None and state is not None
        running = self.hc.verify_runs.get(clusters.key(env))
        if running is not None and not running.finished:
            self.app.push_screen(VerifyScreen(running))  # the run already going: follow it
            return

        def start() -> None:
            self.app.push_screen(VerifyScreen(self.hc.start_verification(env, state.checks)))

        body = f"Run {len(state.checks)} check Job(s) ({', '.join(state.checks)}) in {env.namespace}"
        self.hc.confirm_change(f"Verify {env.ref}?", safe(body), start)

    def action_requests(self) -> None:
        from hotclone.tui.screens.requests import RequestsScreen

        assert self.current_app is not None
        self.app.push_screen(RequestsScreen(self.current_app))

    def action_matrix(self) -> None:
        from hotclone.tui.screens.matrix import MatrixScreen

        assert self.current_app is not None
        self.app.push_screen(MatrixScreen(self.current_app))
