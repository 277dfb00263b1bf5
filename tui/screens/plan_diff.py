"""A fixed diff (a plan's live-vs-after view) in the diff screen's layout."""

from __future__ import annotations

from textual.app import ComposeResult

from hotclone.core.display import safe
from hotclone.core.models import EnvDiff
from hotclone.tui.messages import DiffLoaded
from hotclone.tui.screens.diff import DiffScreen

# Keys of the environment diff that make no sense for a computed plan.
_FIXED = {"toggle_scoped", "swap", "cycle_left", "cycle_right"}


class PlanDiffScreen(DiffScreen):
    """Read-only: opened from a preview (set image, promote, rollback) before anything is applied."""

    def __init__(self, diff: EnvDiff, *, route: str = "") -> None:
        super().__init__("", [], diff.left, diff.right)
        self.environments = [diff.left, diff.right]  # labels of the hidden pickers; nothing is loaded
        self.fixed = diff
        self.route = route  # a promote across clusters: both ends with their context

    def compose(self) -> ComposeResult:
        yield from super().compose()

    def on_mount(self) -> None:
        self.query_one("#diff-pickers").display = False
        self.query_one("#diff-objects").focus()
        self.on_diff_loaded(DiffLoaded(self.fixed))

    def reload(self) -> None:
        self.on_diff_loaded(DiffLoaded(self.fixed))

    def _title(self, suffix: str) -> None:
        route = f" · {self.route}" if self.route else ""
        heading = safe(f"{self.fixed.left} ↔ {self.fixed.right}{route}")
        self.query_one("#diff-counts").update(f"{heading} {suffix}")  # type: ignore[attr-defined]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action not in _FIXED
