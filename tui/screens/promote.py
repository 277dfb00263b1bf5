"""`p` (and rollback): the plan from the server's dry run, a reason, and for production the typed name.

A promote shows the target type's gates (plan.gates): a verification that does not hold blocks
it unless overridden with a reason (recorded in history); with approvals required, the action
is "Request approval" until a request for exactly this plan is approved, then it applies that
request. A rollback is never gated (undo must stay possible mid-incident).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static
from textual.worker import Worker, WorkerState

from hotclone.core.display import safe
from hotclone.core.models import Environment, PromotePlan, PromotionRequest
from hotclone.tui.messages import GateRequestsLoaded, PlanApplied, PlanLoaded, RequestCreated
from hotclone.tui.screens.base import report_failure
from hotclone.tui.workers import deliver

if TYPE_CHECKING:
    from hotclone.core.contract import SessionContract
    from hotclone.tui.app import HotcloneApp

PlanLoader = Callable[["SessionContract", bool], PromotePlan]  # (session, prune) -> plan
_WHO_WIDTH = 24  # approvers' names in the button; the status line above it names them in full
_WIDE = 120  # the app's -wide breakpoint: the dialog is 100 columns


def gate_lines(plan: PromotePlan) -> tuple[str, str]:
    """(text, CSS class) of the plan's gates, each line marked so that it reads without colour."""
    lines = plan.gates.lines()
    if not lines:
        return "", ""
    blocked = not plan.gates.verified
    marked = [("✗ " if "NOT MET" in line else "• ") + line for line in lines]
    return safe("\n".join(marked), multiline=True), "-blocked" if blocked else "-met"


def approved_request(plan: PromotePlan, requests: list[PromotionRequest], now: datetime) -> PromotionRequest | None:
    """An approved, unused request for exactly this plan (its fingerprint): the one a promote applies."""
    return next(
        (r for r in requests if r.fingerprint == plan.gates.fingerprint and r.state(now) == "approved"),
        None,
    )


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def plan_counts(plan: PromotePlan) -> str:
    counts = plan.diff.counts()
    objects = counts["changed"] + counts["added"] + counts["removed"]
    return (
        f"{objects} objects change ({counts['changed']} changed, {counts['added']} added, "
        f"{counts['removed']} removed) · {len(plan.restarts)} workloads restart "
        f"({plan.blast_radius.pods} pods) · {len(plan.deletions)} deletions"
        + (f" · {len(owned)} owned by other tools" if (owned := plan.blast_radius.other_owners) else "")
    )


# What an empty class reads as in the one line that names them all ("no restarts, ... or ...").
_NONE = {"owned by other tools": "objects of other tools", "services": "Services"}


def radius_lines(plan: PromotePlan) -> list[str]:
    """The blast radius, first in the details (which scroll): a line per class it touches, one for the rest."""
    classes = plan.blast_radius.classes()
    lines = []
    for name, items in classes:
        if len(items) == 1:
            lines.append(f"  {name}: {items[0]}")
        elif items:  # one per line: a long list wrapped by the terminal is hard to read
            lines += [f"  {name}:", *(f"    {item}" for item in items)]
    untouched = [_NONE.get(name, name) for name, items in classes if not items]
    if untouched:
        listed = f"{', '.join(untouched[:-1])} or {untouched[-1]}" if len(untouched) > 1 else untouched[0]
        lines.append(f"  no {listed}")
    return ["blast radius", *lines]


def plan_details(plan: PromotePlan) -> str:
    lines = [*radius_lines(plan), "changes"] if not plan.empty else []
    lines += [
        f"{o.status:>7} {o.ref}" + "".join(f"\n          {c.describe()}" for c in o.changes) for o in plan.diff.changed
    ]
    lines += [f"CONFLICT {c.describe()}" for c in plan.conflicts]
    lines += [f"   skip {item}" for item in plan.skipped]  # nothing left out silently (RBAC: CLI flag only)
    return safe("\n".join(lines), multiline=True) or "nothing to change"


def plan_route(plan: PromotePlan) -> str:
    """`promote hotfix@b → topicshare/production@a` when the plan crosses clusters, else "" (not escaped)."""
    source, target = plan.source_cluster, plan.target.cluster
    if not source or not target or source == target:
        return ""
    return f"{plan.action} {plan.source}@{source} → {plan.target.app}/{plan.target.name}@{target}"


class PromoteModal(ModalScreen[PromotePlan | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Apply"),
        Binding("ctrl+o", "side_by_side", "Side by side"),
    ]

    def __init__(self, title: str, loader: PlanLoader, *, can_prune: bool = False) -> None:
        super().__init__()
        self.title_text, self.loader, self.can_prune = safe(title), loader, can_prune  # names a cloned-from
        self.plan: PromotePlan | None = None
        self.applying = False
        self.requests: list[PromotionRequest] | None = None  # requests into the target (approvals only)
        self.approved: PromotionRequest | None = None  # the approved request for exactly this plan
        self.created: PromotionRequest | None = None  # the request this dialog just created

    @classmethod
    def for_promote(cls, source: Environment) -> PromoteModal:
        target = source.cloned_from or "its source"
        context = source.cloned_from_context
        if source.cloned_from and context and source.cluster and context != source.cluster:
            # Made in another cluster: both ends named with their context (issue 14).
            return cls(
                f"Promote {source.app}/{source.address} → {target}@{context}",
                lambda session, prune: session.plan_promote(source, prune=prune),
                can_prune=True,
            )
        return cls(
            f"Promote {source.ref} → {target}",
            lambda session, prune: session.plan_promote(source, prune=prune),
            can_prune=True,
        )

    @classmethod
    def for_rollback(cls, env: Environment, revision: int | None) -> PromoteModal:
        """Roll back to just before `revision`; None means the latest revision."""

        def load(session: SessionContract, _prune: bool) -> PromotePlan:
            return session.plan_rollback(env, revision)

        label = f"revision {revision}" if revision is not None else "the latest revision"
        return cls(f"Roll back {env.ref}: undo {label}", load)

    @property
    def hc(self) -> HotcloneApp:
        return cast("HotcloneApp", self.app)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="promote"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Static("Computing the plan with a server-side dry run…", id="plan-summary", markup=False)
            yield Static("", id="gates", markup=False)
            with VerticalScroll(id="plan-changes"):
                yield Static("", id="plan-details", markup=False)
            yield Checkbox("Prune: delete objects that exist only in the target", id="prune")
            yield Checkbox("Skip verification (the reason is recorded in history)", id="skip-verification")
            yield Input("", id="skip-verification-reason", placeholder="why promote without a current verification")
            yield Label("Reason (recorded in history)", id="reason-label", classes="field-label")
            yield Input("", id="reason", placeholder="why this change")
            yield Static("", id="confirm-warning", classes="production-warning", markup=False)
            yield Input("", id="confirm", placeholder="type the target's name")
            yield Static("", id="gate-status", markup=False)
            yield Static("", id="promote-error", classes="error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Side by side (ctrl+o)", id="side-by-side", disabled=True)
                yield Button("Apply (ctrl+s)", id="submit", variant="error", disabled=True)
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#confirm").display = False
        self.query_one("#confirm-warning").display = False
        self.query_one("#prune").display = self.can_prune
        for gate in ("#gates", "#skip-verification", "#gate-status"):
            self.query_one(gate).display = False
        self.load_plan(False)

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan")
    def load_plan(self, prune: bool) -> None:
        session = self.hc.session
        assert session is not None
        deliver(self, PlanLoaded(self.loader(session, prune)))

    @on(Checkbox.Changed, "#prune")
    def _prune_changed(self, event: Checkbox.Changed) -> None:
        # A different plan: nothing may be applied until it has been computed and shown.
        self.plan = None
        self.requests = self.approved = None
        self._update_button()
        self.query_one("#plan-summary", Static).update("Computing the plan with a server-side dry run…")
        self.load_plan(event.value)

    @on(Button.Pressed, "#side-by-side")
    def action_side_by_side(self) -> None:
        if self.plan is not None:
            from hotclone.tui.screens.plan_diff import PlanDiffScreen

            self.app.push_screen(PlanDiffScreen(self.plan.diff, route=plan_route(self.plan)))

    def on_plan_loaded(self, message: PlanLoaded) -> None:
        plan = self.plan = message.plan
        target = plan.target
        self.query_one("#plan-summary", Static).update(
            safe(plan_route(plan) or f"{plan.action} {plan.source} → {target.ref}") + f"\n{plan_counts(plan)}"
        )
        self.query_one("#plan-details", Static).update(plan_details(plan))
        if target.is_production:
            self.query_one("#promote").add_class("production")
            warning = self.query_one("#confirm-warning", Static)
            warning.update(f"PRODUCTION: give a reason and type {target.name!r} to confirm")
            warning.display = True
            self.query_one("#reason-label", Label).update("Reason (required for production, recorded in history)")
            self.query_one("#confirm").display = True
        error = self.query_one("#promote-error", Static)
        if plan.conflicts:
            error.update(f"{len(plan.conflicts)} conflict(s): the clone and the target changed the same fields.")
        elif plan.empty:
            error.update("Nothing to apply: the target already matches.")
        else:
            error.update("")
        self.query_one("#side-by-side", Button).disabled = plan.diff.same
        self._show_gates(plan)
        self.query_one("#reason", Input).focus()
        self._update_button()

    # -- gates --------------------------------------------------------------------------------
    def _show_gates(self, plan: PromotePlan) -> None:
        text, kind = gate_lines(plan)
        self.query_one("#promote").set_class(bool(text), "-gated")  # the plan's box gives up rows (gates.tcss)
        gates = self.query_one("#gates", Static)
        gates.update(text)
        gates.display = bool(text)
        for name in ("-blocked", "-met"):
            gates.set_class(name == kind, name)
        self.query_one("#skip-verification").display = plan.action == "promote" and not plan.gates.verified
        if plan.action == "promote" and plan.gates.approvals:
            self._status("checking the promotion requests into the target…")
            self.load_gate_requests(plan)
        elif plan.action == "promote" and not plan.gates.verified:
            self._status("verification required: verify the clone (t), or tick Skip verification and say why")

    def _status(self, text: str) -> None:
        status = self.query_one("#gate-status", Static)
        status.update(safe(text))
        status.display = bool(text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="gate-requests")
    def load_gate_requests(self, plan: PromotePlan) -> None:
        session = self.hc.session
        assert session is not None
        deliver(self, GateRequestsLoaded(plan, session.promotion_requests(plan.app, plan.target.name), session.now()))

    def on_gate_requests_loaded(self, message: GateRequestsLoaded) -> None:
        if message.plan is not self.plan:
            return  # prune was toggled meanwhile: another plan
        self.requests = message.requests
        self.approved = approved_request(message.plan, message.requests, message.now)
        # Applying a request takes the override it carries, never a new one.
        self.query_one("#skip-verification").display = not message.plan.gates.verified and self.approved is None
        same = [r for r in message.requests if r.fingerprint == message.plan.gates.fingerprint]
        pending = [r for r in same if r.state(message.now) == "pending"]
        if self.approved is not None:
            who = ", ".join(self.approved.approvers)
            self._status(f"request {self.approved.id} approved by {who}: promoting applies it, once")
        elif pending:
            first = pending[0]
            self._status(
                f"request {first.id} for this plan waits for {first.required - len(first.approvers)} more "
                f"approval(s) (requested by {first.requester}); another request is possible"
            )
        else:
            count = message.plan.gates.approvals
            self._status(f"this asks {count} other person(s) to approve: the target does not change yet")
        self._update_button()

    def _requesting(self) -> bool:
        """A promote into a type with approvals, without an approved request for this plan yet."""
        plan = self.plan
        return plan is not None and plan.action == "promote" and bool(plan.gates.approvals) and self.approved is None

    def _skip_reason(self) -> str:
        if not self.query_one("#skip-verification", Checkbox).value:
            return ""
        return self.query_one("#skip-verification-reason", Input).value.strip()

    def _verification_blocks(self) -> bool:
        """The verification gate refuses: with an approved request its override is the request's (what
        the approvers saw, core/gates.py), otherwise the one given here."""
        plan = self.plan
        if plan is None or plan.action != "promote" or plan.gates.verified:
            return False
        if self.approved is not None:
            return not self.approved.skipped_verification
        return not self._skip_reason()

    @on(Checkbox.Changed, "#skip-verification")
    def _skip_changed(self, event: Checkbox.Changed) -> None:
        reason = self.query_one("#skip-verification-reason", Input)
        reason.display = event.value
        if event.value:
            reason.focus()
        self._update_button()

    def _reason_missing(self) -> bool:
        """Production promotes and rollbacks need a reason (core refuses them without one too); so does a
        promotion request (the approver is asked about it)."""
        plan = self.plan
        needed = plan is not None and (plan.target.is_production or self._requesting())
        return needed and not self.query_one("#reason", Input).value.strip()

    def _confirmed(self) -> bool:
        plan = self.plan
        if plan is None or plan.empty or plan.conflicts or self._reason_missing() or self.created is not None:
            return False
        if self._verification_blocks():
            return False
        if plan.action == "promote" and plan.gates.approvals and self.requests is None:
            return False  # the requests are still being read
        if self._requesting():
            return True  # a request changes nothing in the target: no typed name
        return not plan.target.is_production or self.query_one("#confirm", Input).value == plan.target.name

    @on(Input.Changed)
    def _update_button(self) -> None:
        submit = self.query_one("#submit", Button)
        submit.disabled = self.applying or not self._confirmed()
        plan = self.plan
        requesting = self._requesting()
        production = plan is not None and plan.target.is_production
        self.query_one("#confirm").display = production and not requesting
        self.query_one("#confirm-warning").display = production and not requesting
        if requesting:
            self.query_one("#reason-label", Label).update("Reason (required: the approver reads it; kept in history)")
        elif production:
            self.query_one("#reason-label", Label).update("Reason (required for production, recorded in history)")
        if self.approved is not None:
            # The approvers in the button where there is room; at 80 columns the status line names them.
            if self.app.size.width >= _WIDE:
                who = shorten(", ".join(self.approved.approvers), _WHO_WIDTH)
                submit.label = f"Promote (request {self.approved.id} approved by {who})"
            else:
                submit.label = f"Promote {self.approved.id} (ctrl+s)"
        elif requesting:
            submit.label = "Request approval (ctrl+s)"
        elif plan is not None and plan.action == "promote" and self._skip_reason():
            submit.label = "Apply unverified (ctrl+s)"
        else:
            submit.label = "Apply (ctrl+s)"

    @on(Input.Submitted)
    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        if self.applying or self.plan is None:
            return
        if not self._confirmed():
            if self._reason_missing():
                for_what = "a promotion request (the approver reads it)" if self._requesting() else "production"
                self.query_one("#promote-error", Static).update(f"A reason is required for {for_what}.")
                self.query_one("#reason", Input).focus()
            elif self._verification_blocks():
                self.query_one("#promote-error", Static).update(
                    "Verification required: verify the clone, or tick Skip verification and give a reason."
                )
            elif self.plan.target.is_production:
                self.query_one("#promote-error", Static).update(f"Type {self.plan.target.name!r} exactly to confirm.")
                self.query_one("#confirm", Input).focus()
            return
        # A production context types its name too, unless the production target's was just typed.
        plan = self.plan
        summary = safe(f"{plan.action} {plan.source} → {plan.target.ref}")
        if self._requesting():
            self.hc.confirm_change(f"Request approval for {plan.target.ref}?", summary, self._start_request)
            return
        self.hc.confirm_change(
            f"Apply to {plan.target.ref}?", summary, self._start_apply, typed_already=plan.target.is_production
        )

    def _start_apply(self) -> None:
        if self.applying or self.plan is None:
            return
        self.applying = True
        self._update_button()
        self.query_one("#promote-error", Static).update("applying…")
        confirm = self.query_one("#confirm", Input).value if self.plan.target.is_production else None
        request = self.approved.id if self.approved is not None else None
        skip = "" if request is not None else self._skip_reason()  # a request carries its own override
        self.apply(self.plan, confirm, self.query_one("#reason", Input).value.strip(), request, skip)

    @work(thread=True, exclusive=True, exit_on_error=False, group="apply")
    def apply(self, plan: PromotePlan, confirm: str | None, reason: str, request: str | None, skip: str) -> None:
        session = self.hc.session
        assert session is not None
        applied = session.apply(plan, confirm=confirm, reason=reason, request=request, skip_verification=skip)
        deliver(self, PlanApplied(plan, applied))

    def _start_request(self) -> None:
        if self.applying or self.plan is None:
            return
        self.applying = True
        self._update_button()
        self.query_one("#promote-error", Static).update("recording the request…")
        self.request(self.plan, self.query_one("#reason", Input).value.strip(), self._skip_reason())

    @work(thread=True, exclusive=True, exit_on_error=False, group="request")
    def request(self, plan: PromotePlan, reason: str, skip: str) -> None:
        session = self.hc.session
        assert session is not None
        deliver(self, RequestCreated(session.request_promotion(plan, reason=reason, skip_verification=skip)))

    def on_request_created(self, message: RequestCreated) -> None:
        request = self.created = message.request
        self.applying = False
        self.query_one("#promote-error", Static).update("")
        self._status(
            f"request {request.id} created: it waits for {request.required} approval(s) by someone else; "
            "once approved, p applies it · a lists the requests"
        )
        self.query_one("#cancel", Button).label = "Close (esc)"
        self._update_button()
        self.hc.notify(f"{request.id} into {request.app}/{request.target}", title="Promotion request created")

    def on_plan_applied(self, message: PlanApplied) -> None:
        plan = message.plan
        self.hc.notify(f"{len(message.applied)} objects written to {plan.target.ref}", title=f"{plan.action} applied")
        self.dismiss(plan)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_failure(self, event)
        if event.state is WorkerState.ERROR and event.worker.group in ("plan", "apply", "request", "gate-requests"):
            self.applying = False
            self.query_one("#promote-error", Static).update(safe(f"Failed: {event.worker.error}"))
            if event.worker.group == "plan":
                self.query_one("#plan-summary", Static).update("No plan.")
            self._update_button()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self.applying:
            self.dismiss(None)
