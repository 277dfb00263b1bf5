"""`c`: clone an environment. A form validated as you type, the clone's plan before anything is
created (computed again when the type changes), then the clone's progress step by step."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Log, ProgressBar, Select, Static
from textual.worker import Worker, WorkerState

from hotclone.core.display import safe
from hotclone.core.models import ClonePlan, Environment, EnvironmentType, ProgressStep
from hotclone.core.schema import environment_namespace
from hotclone.tui import fmt
from hotclone.tui.messages import CloneFinished, CloneProgressed, TypesLoaded
from hotclone.tui.screens.base import report_failure
from hotclone.tui.validation import Duration, EnvironmentName
from hotclone.tui.widgets.clone_plan import PLANNING, ClonePlanView
from hotclone.tui.workers import deliver

if TYPE_CHECKING:
    from hotclone.tui.app import HotcloneApp

STEPS = ["namespace", "objects", "templates", "preflight", "history"]


def default_name(existing: set[str], now: datetime | None) -> str:
    stamp = (now or datetime.now().astimezone()).strftime("%m%d")
    n = 1
    while f"hotfix-{stamp}-{n}" in existing:
        n += 1
    return f"hotfix-{stamp}-{n}"


@dataclass
class ClonePlanned(Message):
    """session.plan_clone's answer, for the environment type it was asked for."""

    env_type: str
    plan: ClonePlan


def refusal(plan: ClonePlan) -> str:
    """Why Clone is refused, in the dialog's words (core refuses the same plan: clone.refusal)."""
    if plan.missing_kinds:
        kinds = ", ".join(k.object for k in plan.missing_kinds)
        return safe(
            f"Refused: context {plan.cluster} does not serve {len(plan.missing_kinds)} kind(s) {plan.source} has: "
            f"{kinds} (install them there, or leave them out with the type's exclude key)."
        )
    return safe(
        f"Refused: {len(plan.still_pointing)} value(s) still point at {plan.source} (see preflight in the plan): "
        "make them environment-scoped, or tick “Allow values…” above."
    )


def _type_label(env_type: EnvironmentType) -> str:
    """A type in the picker: its TTL, and the context its environments go to when it names one."""
    label = f"{env_type.name} (ttl {fmt.ttl_text(env_type.ttl) if env_type.ttl else 'none'})"
    return safe(f"{label} → context {env_type.cluster}") if env_type.cluster else label


class CloneModal(ModalScreen[Environment | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "submit", "Clone")]
    # Short terminals: the plan takes the rows the form leaves; tall ones: the dialog fits its plan (modals.tcss).
    VERTICAL_BREAKPOINTS = [(0, "-short"), (44, "-tall")]

    def __init__(self, source: Environment, existing: set[str], now: datetime | None) -> None:
        super().__init__()
        self.source, self.existing, self.now = source, existing, now
        self.types: dict[str, EnvironmentType] = {}
        self.running = False
        self.plan: ClonePlan | None = None  # the plan for the chosen type, once computed
        self.planned_type: str | None = None  # the type the last plan was asked for
        self.plan_error: str | None = None  # why there is no plan for it (one line)
        self._planning: Worker[None] | None = None  # the worker computing the plan for planned_type

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="clone"):
            yield Static(f"Clone {self.source.ref} ({self.source.type})", classes="dialog-title")
            with Vertical(id="clone-form"):
                yield Label("New environment name", classes="field-label")
                yield Input(
                    default_name(self.existing, self.now),
                    id="clone-name",
                    validators=[EnvironmentName(self.source.app, self.existing)],
                )
                yield Static("", id="name-error", classes="error")
                yield Label("Environment type", classes="field-label")
                yield Select[str]([], id="clone-type", prompt="loading types…", allow_blank=True)
                yield Label("Time to live (empty: never expires)", classes="field-label")
                yield Input("24h", id="clone-ttl", validators=[Duration()])
                yield Static("", id="ttl-error", classes="error")
                yield Checkbox("Allow values that still point at the source (preflight)", id="clone-allow-refs")
                yield ClonePlanView(id="clone-plan")
                yield Static("Clone waits for the plan.", id="clone-plan-status", classes="plan-status", markup=False)
                with Horizontal(classes="buttons"):
                    yield Button("Clone (ctrl+s)", id="submit", variant="primary", disabled=True)
                    yield Button("Cancel (esc)", id="cancel")
            with Vertical(id="clone-progress"):
                yield ProgressBar(total=len(STEPS), id="clone-bar", show_eta=False)
                yield Log(id="clone-progress-log", auto_scroll=True)
                yield Static("", id="clone-error", classes="error", markup=False)  # the server's words
                with Horizontal(classes="buttons"):
                    yield Button("Back to the form", id="back")

    @property
    def hc(self) -> HotcloneApp:
        return cast("HotcloneApp", self.app)

    def on_mount(self) -> None:
        self.query_one("#clone-progress").display = False
        for line in ("#name-error", "#ttl-error"):
            self.query_one(line).display = False
        self.query_one("#clone-name", Input).focus()
        self.load_types()

    @work(thread=True, exclusive=True, exit_on_error=False, group="clone-types")
    def load_types(self) -> None:
        session = self.hc.session
        assert session is not None
        deliver(self, TypesLoaded(session.environment_types(self.source.app)))

    def on_types_loaded(self, message: TypesLoaded) -> None:
        self.types = {t.name: t for t in message.types}
        select = self.query_one("#clone-type", Select)
        select.set_options([(_type_label(t), t.name) for t in message.types])
        select.value = "temporary" if "temporary" in self.types else message.types[0].name

    @on(Select.Changed, "#clone-type")
    def _type_changed(self, event: Select.Changed) -> None:
        chosen = self.types.get(str(event.value))
        if chosen is not None:
            self.query_one("#clone-ttl", Input).value = fmt.ttl_text(chosen.ttl) if chosen.ttl else ""
            self._replan(chosen.name)

    # -- the plan ------------------------------------------------------------------------------
    def _plan_name(self) -> str:
        """The name to plan with: the one typed if valid (only the namespace depends on it), else the default."""
        name = self.query_one("#clone-name", Input)
        result = name.validate(name.value)
        return name.value if result is None or result.is_valid else default_name(self.existing, self.now)

    def _replan(self, env_type: str) -> None:
        """A different plan: nothing may be created until it has been computed and shown."""
        if env_type == self.planned_type:
            return
        self.plan, self.planned_type, self.plan_error = None, env_type, None
        self.query_one(ClonePlanView).planning()
        self._update_plan_state()
        allow = self.query_one("#clone-allow-refs", Checkbox).value
        self._planning = self.load_plan(self._plan_name(), env_type, allow)

    @work(thread=True, exclusive=True, exit_on_error=False, group="clone-plan")
    def load_plan(self, name: str, env_type: str, allow_prod_references: bool) -> None:
        session = self.hc.session
        assert session is not None
        plan = session.plan_clone(self.source, name, env_type=env_type, allow_prod_references=allow_prod_references)
        deliver(self, ClonePlanned(env_type, plan))

    def on_clone_planned(self, message: ClonePlanned) -> None:
        if message.env_type != self.planned_type:
            return  # the type changed again while this plan was computed
        self.plan = message.plan
        self.query_one(ClonePlanView).show(message.plan, self._namespace())
        self._update_plan_state()

    def _namespace(self) -> str:
        """The clone's namespace for the name as typed now (the plan was made with another, valid name)."""
        name = self.query_one("#clone-name", Input)
        result = name.validate(name.value)
        valid = result is None or result.is_valid
        return environment_namespace(self.source.app, name.value) if valid else "the new environment's namespace"

    def _effective_plan(self) -> ClonePlan | None:
        """The plan with the checkbox as it is now (allowing references changes only whether it is refused)."""
        if self.plan is None:
            return None
        allow = self.query_one("#clone-allow-refs", Checkbox).value
        return dataclasses.replace(self.plan, allow_prod_references=allow)

    def _blocked(self) -> str | None:
        """Why Clone cannot start now, or None."""
        plan = self._effective_plan()
        if self.plan_error is not None:
            return "No plan, so no clone: choose another type, or cancel."
        if plan is None:
            return f"Clone waits for the plan ({PLANNING})"
        return refusal(plan) if plan.refused else None

    def _update_plan_state(self) -> None:
        status = self.query_one("#clone-plan-status", Static)
        blocked = self._blocked()
        plan = self.plan
        unreadable = len(plan.unreadable) if plan is not None else 0
        if blocked is None and unreadable:
            said = f"warning: {unreadable} kind(s) could not be read and are not copied (see the plan)"
        else:
            said = blocked or ""
        status.update(said)
        status.display = bool(said)  # a row only when it has something to say
        status.set_class(blocked is not None and (plan is not None or self.plan_error is not None), "error")
        status.set_class(blocked is None and bool(unreadable), "plan-warning")
        self.query_one("#submit", Button).disabled = self.running or blocked is not None

    @on(Checkbox.Changed, "#clone-allow-refs")
    def _allow_changed(self) -> None:
        self._update_plan_state()

    @on(Input.Changed)
    def _validate(self, event: Input.Changed) -> None:
        target = {"clone-name": "#name-error", "clone-ttl": "#ttl-error"}.get(event.input.id or "")
        if target and event.validation_result is not None:
            failures = event.validation_result.failure_descriptions
            self._say(target, failures[0] if failures else "")
        if event.input.id == "clone-name" and self.plan is not None:
            self.query_one(ClonePlanView).show(self.plan, self._namespace())  # the namespace line follows the name

    def _say(self, selector: str, error: str) -> None:
        """A field's error line takes a row only while it has something to say (the plan gets the rows)."""
        line = self.query_one(selector, Static)
        line.update(error)
        line.display = bool(error)

    def _errors(self) -> list[str]:
        errors = []
        for field in ("#clone-name", "#clone-ttl"):
            result = self.query_one(field, Input).validate(self.query_one(field, Input).value)
            if result is not None and not result.is_valid:
                errors += result.failure_descriptions
        if self.query_one("#clone-type", Select).value is Select.NULL:
            errors.append("choose an environment type")
        return errors

    @on(Input.Submitted)
    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        if self.running:
            return
        errors = self._errors()
        if errors:
            self._say("#name-error", errors[0])
            return
        if self._blocked() is not None:
            self._update_plan_state()  # the status line says why
            return
        name = self.query_one("#clone-name", Input).value
        env_type = str(self.query_one("#clone-type", Select).value)
        ttl = self.query_one("#clone-ttl", Input).value or None
        allow = self.query_one("#clone-allow-refs", Checkbox).value
        plan = self.plan
        into = f" into context {plan.cluster}" if plan is not None and plan.cross_cluster else ""
        self.hc.confirm_change(
            safe(f"Clone {self.source.ref} into {self.source.app}/{name}{into}?"),
            safe(f"A new environment {self.source.app}/{name} ({env_type}){into} with a copy of {self.source.ref}."),
            partial(self._start, name, env_type, ttl, allow),
        )

    def _start(self, name: str, env_type: str, ttl: str | None, allow: bool) -> None:
        if self.running:
            return
        self.query_one("#clone-form").display = False
        self.query_one("#clone-progress").display = True
        self.query_one("#back").display = False
        self.query_one("#clone-error", Static).update("")
        self.query_one("#clone-bar", ProgressBar).update(progress=0)
        log = self.query_one(Log)
        log.clear()
        log.write_line(f"cloning {self.source.ref} -> {self.source.app}/{name} ({env_type})")
        self.running = True
        self._update_plan_state()
        self.run_clone(name, env_type, ttl, allow)

    @work(thread=True, exclusive=True, exit_on_error=False, group="clone")
    def run_clone(self, name: str, env_type: str, ttl: str | None, allow_prod_references: bool) -> None:
        session = self.hc.session
        assert session is not None
        result = session.clone(
            self.source,
            name,
            env_type=env_type,
            ttl=ttl,
            allow_prod_references=allow_prod_references,
            progress=self._progress,
        )
        self.post_message(CloneFinished(result))

    def _progress(self, step: ProgressStep) -> None:
        """Called on the worker thread; post_message is thread-safe."""
        self.post_message(CloneProgressed(step))

    def on_clone_progressed(self, message: CloneProgressed) -> None:
        step = message.step
        index = STEPS.index(step.name) if step.name in STEPS else len(STEPS) - 1
        fraction = step.done / step.total if step.total else 1
        self.query_one("#clone-bar", ProgressBar).update(progress=index + fraction)
        if step.done == step.total or step.detail:
            self.query_one(Log).write_line(safe(f"{step.name}: {step.done}/{step.total} {step.detail}".rstrip()))

    def on_clone_finished(self, message: CloneFinished) -> None:
        self.running = False
        result = message.result
        skipped = f", {len(result.plan.skipped)} skipped" if result.plan and result.plan.skipped else ""
        self.hc.notify(
            f"{result.environment.ref}: {len(result.copied)} copied, {len(result.generated)} generated{skipped}",
            title="Clone ready",
        )
        for warning in result.warnings:
            self.hc.notify(warning, title="Clone warning", severity="warning")
        self.dismiss(result.environment)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_failure(self, event)
        if event.worker is self._planning and event.state is WorkerState.ERROR:
            # One line in the dialog (the detail is in the error log); Clone stays disabled.
            self.plan_error = f"Plan failed: {event.worker.error}"
            self.query_one(ClonePlanView).failed(self.plan_error)
            self._update_plan_state()
            return
        if event.worker.group == "clone" and event.state is WorkerState.ERROR:
            self.running = False
            self._update_plan_state()
            self.query_one("#clone-error", Static).update(
                safe(f"Clone failed: {event.worker.error}") + "\nNothing was left behind; fix the form and retry."
            )
            self.query_one("#back").display = True
            self.query_one("#back", Button).focus()

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.query_one("#clone-progress").display = False
        self.query_one("#clone-form").display = True
        self.query_one("#clone-name", Input).focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self.running:
            self.dismiss(None)
