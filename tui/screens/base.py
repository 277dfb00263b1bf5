"""Worker.StateChanged does not bubble: every screen forwards its failed workers to the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual.screen import Screen
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from hotclone.tui.app import HotcloneApp


def report_failure(screen: Screen[Any], event: Worker.StateChanged) -> None:
    if event.state is WorkerState.ERROR and event.worker.error is not None:
        cast("HotcloneApp", screen.app).report(event.worker.error)


class ReportingScreen(Screen[None]):
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_failure(self, event)
