"""The clone dialog's plan: what the clone copies, generates, rewrites, adjusts and skips, before it runs.

One fact a line, in the words `hotclone clone --dry-run` prints (cli/output.py says the
same things), so the dashboard and the CLI tell one story. `plan_lines` is pure; the
view scrolls (the dialog stays usable at 80x24) and shows warnings in their own style,
each line also starting with the word "warning" (NO_COLOR reads the same).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from hotclone.core.display import safe
from hotclone.core.models import ClonePlan

PLANNING = "planning…"


def plan_lines(plan: ClonePlan, namespace: str | None = None) -> tuple[list[str], list[str]]:
    """(lines, warnings) of the plan, cluster text escaped. `namespace`: the clone's, if the name
    was edited since the plan was made (only the namespace depends on the name)."""
    into = namespace or plan.namespace
    by_kind = ", ".join(f"{kind} {count}" for kind, count in plan.copies_by_kind())
    lines = []
    if plan.cross_cluster:  # issue 14: the type places its environments in another cluster
        lines.append(f"into context {plan.cluster} (the source is in context {plan.source_cluster or 'this one'})")
    if plan.missing_kinds:
        lines.append(f"refused: context {plan.cluster} does not serve {len(plan.missing_kinds)} kind(s):")
        lines += [f"  {k.describe()}" for k in plan.missing_kinds]
    lines.append(f"copy {len(plan.copies)} object(s)" + (f": {by_kind}" if by_kind else ""))
    listed = f": {', '.join(plan.generated)}" if plan.generated else ""
    lines.append(f"generate {len(plan.generated)} from the templates of type {plan.env_type!r}{listed}")
    rewritten = len(plan.findings) - len(plan.still_pointing)
    lines.append(f"preflight: {rewritten} value(s) naming the source's namespace rewritten to {into}")
    lines += [f"preflight: {f.describe()}" for f in plan.still_pointing]
    lines += [f"adjust {a.describe()}" for a in plan.adjustments]
    if plan.skipped:
        lines.append(f"skip {len(plan.skipped)} object(s), each with its reason:")
        lines += [f"  {s.describe()}" for s in plan.skipped]
    kinds = list(dict.fromkeys(k.object for k in plan.excluded_kinds))  # Event of v1 and events.k8s.io read alike
    if kinds:
        lines.append(f"kinds never copied, by policy: {', '.join(kinds)}")
    warnings = [f"warning: {w}" for w in plan.warnings]  # unreadable kinds among them
    return [safe(line) for line in lines], [safe(w) for w in warnings]


class ClonePlanView(VerticalScroll):
    """The plan, "planning…" while it is computed, or the one line saying why there is none."""

    def compose(self) -> ComposeResult:
        yield Static(PLANNING, id="clone-plan-lines", markup=False)
        yield Static("", id="clone-plan-warnings", classes="plan-warning", markup=False)

    def on_mount(self) -> None:
        self.border_title = "plan"
        self.query_one("#clone-plan-warnings").display = False

    def planning(self) -> None:
        self._show([PLANNING], [])

    def failed(self, line: str) -> None:
        self._show([safe(line)], [])

    def show(self, plan: ClonePlan, namespace: str | None = None) -> None:
        self._show(*plan_lines(plan, namespace))

    def _show(self, lines: list[str], warnings: list[str]) -> None:
        self.query_one("#clone-plan-lines", Static).update("\n".join(lines))
        shown = self.query_one("#clone-plan-warnings", Static)
        shown.update("\n".join(warnings))
        shown.display = bool(warnings)
