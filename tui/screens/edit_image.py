"""`e`: change one container's image: validated input, suggestions, a diff preview, then confirmation."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.worker import Worker, WorkerState

from hotclone.core.display import safe
from hotclone.core.models import Action, EnvDiff, Environment, ImageChange, ImageSpec, Workload
from hotclone.tui.messages import ImageApplied, ImagePlanned, SuggestionsLoaded
from hotclone.tui.screens.base import report_failure
from hotclone.tui.validation import ImageReference
from hotclone.tui.widgets.vim import VimOptionList
from hotclone.tui.workers import deliver

if TYPE_CHECKING:
    from hotclone.tui.app import HotcloneApp


def describe_plan(changes: list[ImageChange], diff: EnvDiff) -> str:
    lines = [safe(f"{c.workload} {c.container}{' (init)' if c.init else ''}: {c.old} -> {c.new}") for c in changes]
    counts = diff.counts()
    lines.append(f"objects: {counts['changed']} changed, {counts['added']} added, {counts['removed']} removed")
    lines += [safe(f"  {o.ref}: {ch.describe()}") for o in diff.changed for ch in o.changes]
    return "\n".join(lines)


class EditImageModal(ModalScreen[list[ImageSpec] | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Next"),
        Binding("ctrl+o", "side_by_side", "Side by side"),
    ]

    def __init__(self, env: Environment, workload: Workload, container: str) -> None:
        super().__init__()
        self.env, self.workload, self.container = env, workload, container
        self.current = next((c.image for c in workload.containers if c.name == container), "")
        self.specs: list[ImageSpec] = []
        self.stage = "edit"  # edit -> preview -> applying
        self.preview: EnvDiff | None = None
        self.shown: list[ImageChange] = []

    @property
    def hc(self) -> HotcloneApp:
        return cast("HotcloneApp", self.app)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="edit-image"):
            yield Static(f"Edit image · {self.env.ref} · {self.workload.ref}", classes="dialog-title")
            with Vertical(id="edit-form"):
                yield Static(safe(f"container {self.container}: {self.current}"), id="current-image", markup=False)
                yield Label("New image", classes="field-label")
                # An image with control characters is never valid: not typed out raw into the box.
                prefill = self.current if safe(self.current) == self.current else ""
                yield Input(prefill, id="image", validators=[ImageReference()])
                yield Static("", id="image-error", classes="error")
                yield Label("Seen in this app's environments (enter to use)", classes="field-label")
                yield VimOptionList(id="suggestions")
            with Vertical(id="edit-preview"):
                yield Label("Preview", classes="field-label")
                with VerticalScroll(id="preview"):
                    yield Static("", id="preview-text", markup=False)
                yield Label("Reason (recorded in history)", classes="field-label")
                yield Input("", id="reason", placeholder="e.g. KO-118 Hangul mojibake")
            yield Static("", id="edit-error", classes="error", markup=False)  # the server's words
            with Horizontal(classes="buttons"):
                yield Button("Side by side (ctrl+o)", id="side-by-side", disabled=True)
                yield Button("Preview (ctrl+s)", id="submit", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#edit-preview").display = False
        self.query_one("#image", Input).focus()
        if self.env.is_production:
            allowed, reason = False, "images in production change only through promote or rollback"
        else:
            allowed, reason = self.hc.permission(Action.SET_IMAGE, self.env)
        if not allowed:  # defence in depth: the key is disabled already
            self.query_one("#edit-error", Static).update(f"Refused: {reason}")
            self.query_one("#submit", Button).disabled = True
        self.load_suggestions()

    @work(thread=True, exclusive=True, exit_on_error=False, group="suggest")
    def load_suggestions(self) -> None:
        session = self.hc.session
        assert session is not None
        suggestions = session.image_suggestions(self.env.app)
        deliver(self, SuggestionsLoaded(list(suggestions.get(self.container, []))))

    def on_suggestions_loaded(self, message: SuggestionsLoaded) -> None:
        # Images from the cluster; one holding control characters is no valid suggestion.
        images = [i for i in message.images if i != self.current and safe(i) == i]
        self.query_one("#image", Input).suggester = SuggestFromList(images)
        options = self.query_one("#suggestions", OptionList)
        options.clear_options()
        options.add_options([escape(i) for i in images] or ["(no other images seen)"])

    @on(OptionList.OptionSelected, "#suggestions")
    def _pick(self, event: OptionList.OptionSelected) -> None:
        text = str(event.option.prompt)
        if not text.startswith("("):
            box = self.query_one("#image", Input)
            box.value = text
            box.focus()

    @on(Input.Changed, "#image")
    def _validate(self, event: Input.Changed) -> None:
        result = event.validation_result
        error = result.failure_descriptions[0] if result and not result.is_valid else ""
        self.query_one("#image-error", Static).update(error)

    @on(Input.Submitted)
    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        if self.query_one("#submit", Button).disabled:
            return
        if self.stage == "edit":
            image = self.query_one("#image", Input).value.strip()
            result = self.query_one("#image", Input).validate(image)
            if result is not None and not result.is_valid:
                self.query_one("#image-error", Static).update(result.failure_descriptions[0])
                return
            if image == self.current:
                self.query_one("#image-error", Static).update("that is the current image")
                return
            self.specs = [ImageSpec(self.workload.name, self.container, image)]
            self._busy("planning…")
            self.plan()
        elif self.stage == "preview":
            changes = ", ".join(f"{c.workload} {c.container} -> {c.new}" for c in self.shown)
            self.hc.confirm_change(f"Set the image in {self.env.ref}?", changes, self._start_apply)

    def _start_apply(self) -> None:
        if self.stage == "preview":
            self.stage = "applying"
            self._busy("applying…")
            self.apply(self.query_one("#reason", Input).value.strip())

    def _busy(self, text: str) -> None:
        self.query_one("#edit-error", Static).update(text)
        self.query_one("#submit", Button).disabled = True

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan")
    def plan(self) -> None:
        session = self.hc.session
        assert session is not None
        changes, diff = session.plan_set_image(self.env, self.specs)
        deliver(self, ImagePlanned(changes, diff))

    def on_image_planned(self, message: ImagePlanned) -> None:
        self.stage = "preview"
        self.preview = message.diff
        self.shown = message.changes  # apply is guarded by exactly what this preview shows
        self.query_one("#side-by-side", Button).disabled = message.diff.same
        self.query_one("#edit-form").display = False
        self.query_one("#edit-preview").display = True
        self.query_one("#preview-text", Static).update(describe_plan(message.changes, message.diff))
        self.query_one("#edit-error", Static).update("" if message.changes else "nothing would change")
        button = self.query_one("#submit", Button)
        button.label = "Apply (ctrl+s)"
        button.disabled = not message.changes
        self.query_one("#reason", Input).focus()

    @on(Button.Pressed, "#side-by-side")
    def action_side_by_side(self) -> None:
        if self.preview is not None:
            from hotclone.tui.screens.plan_diff import PlanDiffScreen

            self.app.push_screen(PlanDiffScreen(self.preview))

    @work(thread=True, exclusive=True, exit_on_error=False, group="apply")
    def apply(self, reason: str) -> None:
        session = self.hc.session
        assert session is not None
        deliver(self, ImageApplied(session.set_image(self.env, self.specs, seen=self.shown, reason=reason)))

    def on_image_applied(self, message: ImageApplied) -> None:
        changed = ", ".join(f"{c.container} -> {c.new}" for c in message.changes) or "nothing changed"
        self.hc.notify(changed, title=f"Image updated in {self.env.ref}")
        self.dismiss(self.specs)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_failure(self, event)
        if event.state is WorkerState.ERROR and event.worker.group in ("plan", "apply"):
            self.query_one("#edit-error", Static).update(safe(f"Failed: {event.worker.error}"))
            self.query_one("#submit", Button).disabled = False
            self.stage = "edit" if event.worker.group == "plan" else "preview"

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.stage != "applying":
            self.dismiss(None)
