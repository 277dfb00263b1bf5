"""The verification gate in the dashboard's words: the state line beside the workloads, and a run's rows.

Every line carries its meaning in words and a mark (✓ ✗ ⚠), so it reads the same without
colour (NO_COLOR); the classes only add colour.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from hotclone.core.display import safe
from hotclone.core.models import CheckResult, Environment, ProgressStep, Verification, VerificationState

RUNNING = "running"
NOT_RUN = "not run"  # a check of the type that this run did not run (production: only read-only checks)
_OUTCOMES = ("passed", "failed", "timed out")
_SECONDS = re.compile(r"\bin (\d+(?:\.\d+)?)s\b")


def state_line(state: VerificationState | None, error: str = "") -> tuple[str, str]:
    """(text, CSS class) of an environment's verification; ("", "") when its type has nothing to verify."""
    if state is None:
        return (safe(f"? verification unknown: {error}"), "-unknown") if error else ("", "")
    latest, checks = state.latest, state.checks
    if latest is None:
        if not checks:
            return "", ""
        return safe(f"○ not verified: {len(checks)} check(s): {', '.join(checks)} · t runs them"), "-none"
    passed, total = sum(r.passed for r in latest.results), len(latest.results)
    if not state.current:
        result = "passed" if latest.passed else "failed"
        why = state.why_not or "the environment changed"
        return safe(f"⚠ verification {result}, but no longer current: {why}"), "-stale"
    if latest.passed:
        return f"✓ verified: {passed}/{total} checks passed, current", "-ok"
    failed = ", ".join(r.name for r in latest.results if not r.passed)
    return safe(f"✗ verification failed: {failed} ({passed}/{total} checks passed)"), "-failed"


@dataclass
class CheckRow:
    name: str
    outcome: str = RUNNING
    seconds: float | None = None
    detail: str = ""
    log_tail: tuple[str, ...] = ()

    @classmethod
    def of(cls, result: CheckResult) -> CheckRow:
        return cls(result.name, result.outcome, result.seconds, result.detail, result.log_tail)

    def cells(self, elapsed: float) -> tuple[str, str, str, str]:
        """(check, outcome, duration, detail); a running check counts its seconds up."""
        mark = {"passed": "✓ ", "failed": "✗ ", "timed out": "✗ ", RUNNING: "… "}.get(self.outcome, "  ")
        if self.seconds is not None:
            took = f"{self.seconds:.1f}s"
        else:
            took = f"{int(elapsed)}s" if self.outcome == RUNNING else "-"
        return self.name, mark + self.outcome, took, self.detail


@dataclass
class VerifyRun:
    """One verification of one environment, running in the app's worker (it outlives its screen)."""

    environment: Environment
    rows: dict[str, CheckRow]
    started: float = field(default_factory=time.monotonic)
    done: int = 0
    total: int = 0
    last: str = ""  # the latest progress line, as core wrote it
    verification: Verification | None = None
    error: str = ""

    @classmethod
    def start(cls, environment: Environment, checks: tuple[str, ...]) -> VerifyRun:
        return cls(environment, {name: CheckRow(name) for name in checks}, total=len(checks))

    @property
    def finished(self) -> bool:
        return self.verification is not None or bool(self.error)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def progress(self, step: ProgressStep) -> None:
        """Live, best effort: a step whose detail starts with a check's name and an outcome ends that
        row ("smoke: failed in 2.0s (...)", CheckResult.describe); the final result replaces them all."""
        self.done, self.total, self.last = step.done, step.total or self.total, step.detail
        for name, row in self.rows.items():
            if not step.detail.startswith(f"{name}:"):
                continue
            rest = step.detail[len(name) + 1 :].strip()
            outcome = next((o for o in _OUTCOMES if rest.startswith(o)), None)
            if outcome is not None:
                row.outcome = outcome
                seconds = _SECONDS.search(rest)  # core says how long it took, or the clock here does
                row.seconds = float(seconds.group(1)) if seconds else round(self.elapsed, 1)

    def finish(self, verification: Verification) -> None:
        self.verification = verification
        ran = {r.name: CheckRow.of(r) for r in verification.results}
        for name in self.rows:
            self.rows[name] = ran.pop(name, CheckRow(name, NOT_RUN, detail="not run in this environment"))
        self.rows.update(ran)  # checks the screen did not know of (the type changed meanwhile)
        self.done = self.total = len(verification.results)

    def fail(self, error: str) -> None:
        self.error = error
        for row in self.rows.values():
            if row.outcome == RUNNING:
                row.outcome = NOT_RUN

    def summary(self) -> str:
        """The status line under the table."""
        if self.error:
            return safe(f"✗ verification did not finish: {self.error} (nothing recorded)")
        if self.verification is not None:
            results = self.verification.results
            passed = sum(r.passed for r in results)
            if self.verification.passed:
                return f"✓ all {len(results)} checks passed: recorded for the state of {self.environment.ref} now"
            failed = ", ".join(r.name for r in results if not r.passed)
            return safe(f"✗ {passed}/{len(results)} checks passed; failed: {failed} · enter shows the log tail")
        return f"running {self.total} check(s) in {self.environment.namespace}… {self.done}/{self.total} done"
