"""`d`: changed objects with counts on one side, the selected object's YAML diff on the other."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from hotclone.core.display import safe
from hotclone.core.matrix import column_names
from hotclone.core.models import EnvDiff, Environment, ObjectDiff
from hotclone.tui.messages import DiffLoaded
from hotclone.tui.screens.base import ReportingScreen
from hotclone.tui.widgets.banner import ConnectionBanner
from hotclone.tui.widgets.context_bar import ContextBar
from hotclone.tui.widgets.diff_view import DiffView
from hotclone.tui.widgets.vim import VimOptionList
from hotclone.tui.workers import deliver

if TYPE_CHECKING:
    from hotclone.tui.app import HotcloneApp

_MARK = {"added": "+", "removed": "-", "changed": "~", "same": " "}


class DiffScreen(ReportingScreen):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("n", "next_change", "Next change"),
        Binding("N", "previous_change", "Prev change", show=False),
        Binding("u", "toggle_layout", "View", tooltip="Switch between the unified and side-by-side view"),
        Binding("z", "toggle_folds", "Fold", tooltip="Show or fold the unchanged lines far from a change"),
        Binding("s", "toggle_scoped", "Env-scoped"),
        Binding("w", "swap", "Swap"),
        Binding("[", "cycle_left", "Left env", show=False),
        Binding("]", "cycle_right", "Right env", show=False),
    ]

    def __init__(self, app_name: str, environments: list[Environment], left: str, right: str) -> None:
        super().__init__()
        self.app_name = app_name
        # By name, or `name@context` where two clusters share one (as the version matrix labels them).
        self.by_name = dict(zip(column_names(environments), environments, strict=True))
        self.environments = list(self.by_name)
        self.left, self.right = left, right
        self.include_env_scoped = False
        self.diff: EnvDiff | None = None
        self.objects: list[ObjectDiff] = []

    @property
    def hc(self) -> HotcloneApp:
        return cast("HotcloneApp", self.app)

    def compose(self) -> ComposeResult:
        yield ContextBar()
        yield ConnectionBanner()
        options = [(e, e) for e in self.environments]
        with Horizontal(id="diff-pickers"):
            yield Select[str](options, value=self.left, allow_blank=False, id="diff-left")
            yield Label("vs")
            yield Select[str](options, value=self.right, allow_blank=False, id="diff-right")
        yield Static("", id="diff-counts", markup=False)
        with Horizontal(id="diff-body"):
            yield VimOptionList(id="diff-objects")
            with Vertical(id="diff-side"):
                yield Static("", id="diff-changes", markup=False)
                yield DiffView(id="diff-view")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#diff-objects").loading = True
        self.query_one("#diff-objects").focus()
        self.reload()

    def reload(self) -> None:
        self._title("loading…")
        self.load(self.left, self.right, self.include_env_scoped)

    def _title(self, suffix: str) -> None:
        scoped = "with" if self.include_env_scoped else "without"
        text = f"{self.app_name}: {self.left} ↔ {self.right} ({scoped} env-scoped) {suffix}"
        self.query_one("#diff-counts", Static).update(text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="diff")
    def load(self, left: str, right: str, include_env_scoped: bool) -> None:
        session = self.hc.session
        assert session is not None
        a, b = self.by_name[left], self.by_name[right]
        deliver(self, DiffLoaded(session.diff(a, b, include_env_scoped=include_env_scoped)))

    def on_diff_loaded(self, message: DiffLoaded) -> None:
        self.diff = message.diff
        self.objects = list(message.diff.changed) or list(message.diff.objects)
        counts = message.diff.counts()
        self._title(f"· +{counts['added']} -{counts['removed']} ~{counts['changed']}")
        options = self.query_one("#diff-objects", OptionList)
        options.loading = False
        options.clear_options()
        if message.diff.same:
            self.objects = []
            options.add_option(Option("no differences", disabled=True))
            self.query_one("#diff-changes", Static).update("The two environments are the same.")
            self.query_one(DiffView).show("", "", self.left, self.right)
            return
        for i, obj in enumerate(self.objects):
            scoped = " (env)" if obj.env_scoped else ""
            prompt = f"{_MARK[obj.status]} {safe(obj.ref)}{scoped} [{len(obj.changes)}]"
            options.add_option(Option(prompt, id=str(i)))
        options.highlighted = 0

    @on(OptionList.OptionHighlighted, "#diff-objects")
    def _show_object(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index >= len(self.objects):
            return
        obj = self.objects[event.option_index]
        changes = "\n".join(c.describe() for c in obj.changes) or f"{obj.ref}: {obj.status}"
        self.query_one("#diff-changes", Static).update(safe(changes, multiline=True))
        view = self.query_one(DiffView)
        view.show(obj.left_yaml, obj.right_yaml, self.left, self.right)
        view.jump(1)

    def action_next_change(self) -> None:
        self._jump(1)

    def action_previous_change(self) -> None:
        self._jump(-1)

    def _jump(self, step: int) -> None:
        if self.query_one(DiffView).jump(step) is None:
            # no (more) changes in this object: move to the next/previous object
            options = self.query_one("#diff-objects", OptionList)
            if self.objects:
                options.highlighted = ((options.highlighted or 0) + step) % len(self.objects)

    def action_toggle_layout(self) -> None:
        self.query_one(DiffView).toggle_layout()

    def action_toggle_folds(self) -> None:
        self.query_one(DiffView).toggle_folds()

    def action_toggle_scoped(self) -> None:
        self.include_env_scoped = not self.include_env_scoped
        self.reload()

    def action_swap(self) -> None:
        self.left, self.right = self.right, self.left
        self._sync_selects()
        self.reload()

    def _cycle(self, current: str) -> str:
        return self.environments[(self.environments.index(current) + 1) % len(self.environments)]

    def action_cycle_left(self) -> None:
        self.left = self._cycle(self.left)
        self._sync_selects()
        self.reload()

    def action_cycle_right(self) -> None:
        self.right = self._cycle(self.right)
        self._sync_selects()
        self.reload()

    def _sync_selects(self) -> None:
        with self.prevent(Select.Changed):
            self.query_one("#diff-left", Select).value = self.left
            self.query_one("#diff-right", Select).value = self.right

    @on(Select.Changed)
    def _picked(self, event: Select.Changed) -> None:
        value = str(event.value)
        if event.select.id == "diff-left" and value != self.left:
            self.left = value
            self.reload()
        elif event.select.id == "diff-right" and value != self.right:
            self.right = value
            self.reload()
