"""`v` on an environment: change a ConfigMap value (the charset fix), previewed as a diff first."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from hotclone.core.display import safe, value
from hotclone.core.models import Action, ConfigChange, EnvDiff, Environment
from hotclone.tui.messages import ConfigApplied, ConfigMapsLoaded, ConfigPlanned
from hotclone.tui.screens.base import report_failure
from hotclone.tui.workers import deliver

if TYPE_CHECKING:
    from hotclone.tui.app import HotcloneApp


class EditConfigModal(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Next"),
        Binding("ctrl+o", "side_by_side", "Side by side"),
    ]

    def __init__(self, env: Environment) -> None:
        super().__init__()
        self.env = env
        self.configmaps: dict[str, dict[str, str]] = {}
        self.stage = "edit"  # edit -> preview -> applying
        self.preview: EnvDiff | None = None
        self.shown: list[ConfigChange] = []
        self.values: dict[str, str] = {}

    @property
    def hc(self) -> HotcloneApp:
        return cast("HotcloneApp", self.app)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="edit-config"):
            yield Static(f"Edit config · {self.env.ref}", classes="dialog-title", markup=False)
            with Vertical(id="config-form"):
                yield Label("ConfigMap", classes="field-label")
                yield Select[str]([], id="config-map", prompt="loading…")
                yield Label("Key", classes="field-label")
                yield Select[str]([], id="config-key", prompt="choose a key, or type a new one below")
                yield Input("", id="config-new-key", placeholder="new key (optional)")
                yield Label("Value", classes="field-label")
                yield Input("", id="config-value")
            with Vertical(id="config-preview"):
                yield Label("Preview", classes="field-label")
                with VerticalScroll(id="preview"):
                    yield Static("", id="config-preview-text", markup=False)
                yield Label("Reason (recorded in history)", classes="field-label")
                yield Input("", id="config-reason", placeholder="e.g. KO-118 Hangul mojibake")
            yield Static("", id="config-error", classes="error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Side by side (ctrl+o)", id="side-by-side", disabled=True)
                yield Button("Preview (ctrl+s)", id="submit", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#config-preview").display = False
        allowed, reason = self.hc.permission(Action.SET_CONFIG, self.env)
        if not allowed:  # defence in depth: the key is disabled already
            self.query_one("#config-error", Static).update(f"Refused: {reason}")
            self.query_one("#submit", Button).disabled = True
        self.load_configmaps()

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def load_configmaps(self) -> None:
        session = self.hc.session
        assert session is not None
        deliver(self, ConfigMapsLoaded(session.configmaps(self.env)))

    def on_config_maps_loaded(self, message: ConfigMapsLoaded) -> None:
        self.configmaps = message.configmaps
        maps = self.query_one("#config-map", Select)
        maps.set_options([(name, name) for name in sorted(message.configmaps)])
        if "app-settings" in message.configmaps:
            maps.value = "app-settings"
        elif message.configmaps:
            maps.value = sorted(message.configmaps)[0]
        maps.focus()

    @on(Select.Changed, "#config-map")
    def _map_chosen(self, event: Select.Changed) -> None:
        keys = sorted(self.configmaps.get(str(event.value), {})) if event.value is not Select.NULL else []
        self.query_one("#config-key", Select).set_options([(k, k) for k in keys])

    @on(Select.Changed, "#config-key")
    def _key_chosen(self, event: Select.Changed) -> None:
        if event.value is Select.NULL:
            return
        data = self.configmaps.get(str(self.query_one("#config-map", Select).value), {})
        current = data.get(str(event.value), "")
        box = self.query_one("#config-value", Input)
        # An Input draws its value raw: a value with control characters is not typed out
        # into it, but shown escaped as the hint (the preview shows it escaped too).
        box.value = current if safe(current) == current else ""
        box.placeholder = "" if safe(current) == current else f"now {value(current)}: type the new value"
        self.query_one("#config-new-key", Input).value = ""

    def _target(self) -> tuple[str, str] | None:
        configmap = self.query_one("#config-map", Select).value
        new_key = self.query_one("#config-new-key", Input).value.strip()
        key = new_key or self.query_one("#config-key", Select).value
        if configmap is Select.NULL or key is Select.NULL or not key:
            return None
        return str(configmap), str(key)

    @on(Input.Submitted)
    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        if self.query_one("#submit", Button).disabled:
            return
        if self.stage == "edit":
            target = self._target()
            if target is None:
                self.query_one("#config-error", Static).update("choose a ConfigMap and a key")
                return
            configmap, key = target
            self.values = {key: self.query_one("#config-value", Input).value}
            self._busy("planning…")
            self.plan(configmap)
        elif self.stage == "preview":
            configmap = str(self.query_one("#config-map", Select).value)
            changes = "\n".join(c.describe() for c in self.shown)
            self.hc.confirm_change(f"Change ConfigMap/{configmap} in {self.env.ref}?", changes, self._start_apply)

    def _start_apply(self) -> None:
        if self.stage == "preview":
            self.stage = "applying"
            self._busy("applying…")
            self.apply(str(self.query_one("#config-map", Select).value), self.query_one("#config-reason", Input).value)

    def _busy(self, text: str) -> None:
        self.query_one("#config-error", Static).update(text)
        self.query_one("#submit", Button).disabled = True

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan")
    def plan(self, configmap: str) -> None:
        session = self.hc.session
        assert session is not None
        changes, diff = session.plan_set_config(self.env, configmap, self.values)
        deliver(self, ConfigPlanned(changes, diff))

    def on_config_planned(self, message: ConfigPlanned) -> None:
        self.stage = "preview"
        self.preview = message.diff
        self.shown = message.changes  # apply is guarded by exactly what this preview shows
        self.query_one("#config-form").display = False
        self.query_one("#config-preview").display = True
        lines = "\n".join(c.describe() for c in message.changes)
        self.query_one("#config-preview-text", Static).update(safe(lines, multiline=True) or "nothing would change")
        self.query_one("#config-error", Static).update("")
        self.query_one("#side-by-side", Button).disabled = message.diff.same
        button = self.query_one("#submit", Button)
        button.label = "Apply (ctrl+s)"
        button.disabled = not message.changes
        self.query_one("#config-reason", Input).focus()

    @on(Button.Pressed, "#side-by-side")
    def action_side_by_side(self) -> None:
        if self.preview is not None:
            from hotclone.tui.screens.plan_diff import PlanDiffScreen

            self.app.push_screen(PlanDiffScreen(self.preview))

    @work(thread=True, exclusive=True, exit_on_error=False, group="apply")
    def apply(self, configmap: str, reason: str) -> None:
        session = self.hc.session
        assert session is not None
        changes = session.set_config(self.env, configmap, self.values, seen=self.shown, reason=reason.strip())
        deliver(self, ConfigApplied(changes))

    def on_config_applied(self, message: ConfigApplied) -> None:
        changed = ", ".join(f"{c.key} = {c.new}" for c in message.changes) or "nothing changed"
        self.hc.notify(changed, title=f"Config updated in {self.env.ref}")
        self.dismiss(bool(message.changes))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_failure(self, event)
        if event.state is WorkerState.ERROR and event.worker.group in ("plan", "apply"):
            self.query_one("#config-error", Static).update(safe(f"Failed: {event.worker.error}"))
            self.query_one("#submit", Button).disabled = False
            self.stage = "edit" if event.worker.group == "plan" else "preview"

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.stage != "applying":
            self.dismiss(False)
