"""`m`: workloads x environments with image tags; cells that differ from production are marked."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from hotclone.core.display import safe
from hotclone.core.models import VersionMatrix
from hotclone.tui.messages import MatrixLoaded
from hotclone.tui.screens.base import ReportingScreen
from hotclone.tui.widgets.banner import ConnectionBanner
from hotclone.tui.widgets.context_bar import ContextBar
from hotclone.tui.widgets.vim import VimTable
from hotclone.tui.workers import deliver

if TYPE_CHECKING:
    from hotclone.tui.app import HotcloneApp


class MatrixScreen(ReportingScreen):
    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back")]
    COMPONENT_CLASSES = {"matrix--differs"}  # a cell that differs from the baseline (styles/screens.tcss)

    def __init__(self, app_name: str) -> None:
        super().__init__()
        self.app_name = app_name

    def compose(self) -> ComposeResult:
        yield ContextBar()
        yield ConnectionBanner()
        yield Static(f"Versions of {self.app_name}", classes="screen-title")
        yield VimTable(id="matrix-table")
        yield Static("", id="matrix-legend")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(DataTable).loading = True
        self.reload()

    def reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="matrix")
    def load(self) -> None:
        session = cast("HotcloneApp", self.app).session
        assert session is not None
        deliver(self, MatrixLoaded(session.version_matrix(self.app_name)))

    def on_matrix_loaded(self, message: MatrixLoaded) -> None:
        matrix: VersionMatrix = message.matrix
        table = self.query_one(DataTable)
        table.loading = False
        table.clear(columns=True)
        table.add_column("workload", key="workload")
        for env in matrix.environments:
            table.add_column(f"{env}*" if env == matrix.baseline else env, key=env)
        differs = self.get_component_rich_style("matrix--differs", partial=True)
        for r, (ref, tags) in enumerate(matrix.rows):
            cells: list[str | Text] = [ref]
            for c, tag in enumerate(map(safe, tags)):  # image tags are cluster text
                # "≠" keeps the difference visible without colour (NO_COLOR).
                cells.append(Text(f"≠ {tag}", style=differs) if matrix.differs(r, c) else Text(f"  {tag}"))
            table.add_row(*cells, key=ref)
        baseline = matrix.baseline or "no production environment"
        self.query_one("#matrix-legend", Static).update(f"* baseline: {baseline} · ≠ differs from the baseline")
