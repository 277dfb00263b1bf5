"""The promotion gates over the fake's Store: verification records, check Jobs, promotion requests.

What core/verify.py, core/requests.py and core/gates.py keep in the cluster is held here in
memory; every rule that is a pure function of core's models (PromotionRequest.state and
.approvers, VerificationState.holds, Gates.verified, the fingerprints) is core's own.
Check outcomes are the test's choice (the fake node of the local control plane plays them
the same way): `outcomes[name] = ("failed", detail, log tail)`.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from hotclone.core import envtypes, fingerprint, gates, requests
from hotclone.core.errors import NotFound, Refused
from hotclone.core.models import (
    CheckDefinition,
    CheckOutcome,
    CheckResult,
    Decision,
    Environment,
    Gates,
    PolicyStatus,
    PromotePlan,
    PromotionRequest,
    Verification,
    VerificationState,
)
from hotclone.core.schema import APPROVAL_POLICY
from tests.tui.fake_store import Store

REQUEST_TTL = timedelta(hours=4)  # as core/requests.py's default
# The checks and gates of FakeSession(gates=True): TopicShare's clones run two checks, and a
# promote into production needs a current, passed verification and one approval.
STORY_CHECKS = ("smoke", "search")
STORY_SECONDS = {"smoke": 3.2, "search": 1.4}
JOB_TEMPLATE = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec: {{}}\n"
MOJIBAKE = "smoke: Hangul renders as mojibake"
MOJIBAKE_LOG = ("GET /topics/ko 200", "expected '한국어', got '???'", MOJIBAKE)

Outcome = tuple[CheckOutcome, str, tuple[str, ...]]
FAILED_JOB = "BackoffLimitExceeded Job has reached the specified backoff limit"  # the Job controller's words


def demo_outcome(check: str, images: list[str]) -> Outcome:
    """As core/demo/topicshare/kwok-stages.yaml plays the demo's smoke check: it fails where web
    runs 1.9.3 (the incident), with the termination message as its log tail; every other passes."""
    if check == "smoke" and any(image.endswith("/web:1.9.3") for image in images):
        return "failed", FAILED_JOB, (MOJIBAKE,)
    return "passed", "", ()


def with_gates(
    definition: envtypes.TypeDefinition,
    *,
    checks: tuple[str, ...] | None = None,
    require_verification: bool | None = None,
    approvals: int | None = None,
) -> envtypes.TypeDefinition:
    """The type with these gates (checks named, as the `checks` key's Job templates name them)."""
    found = definition
    if checks is not None:
        found = replace(found, checks=tuple(CheckDefinition(n, JOB_TEMPLATE.format(name=n)) for n in checks))
    if require_verification is not None:
        found = replace(found, require_verification=require_verification)
    if approvals is not None:
        found = replace(found, approvals=approvals)
    return found


def state_digests(store: Store, env: Environment) -> tuple[str, dict[str, str]]:
    """The environment's fingerprint and one digest per material object (to name what changed)."""
    material = store.material(env.namespace)
    digests = {ref: fingerprint.environment([obj], env.namespace) for ref, obj in material.items()}
    return fingerprint.environment(material.values(), env.namespace), digests


def why_not_current(now: dict[str, str], then: dict[str, str], fingerprints: tuple[str, str]) -> str:
    """Why a verification no longer holds for the state now ("" when it does)."""
    if fingerprints[0] == fingerprints[1]:
        return ""
    for ref in sorted(set(now) | set(then)):
        if ref not in then:
            return f"{ref} added since the verification"
        if ref not in now:
            return f"{ref} removed since the verification"
        if now[ref] != then[ref]:
            return f"{ref} changed since the verification"
    return "the environment changed since the verification"


@dataclass
class GateWorld:
    """What the gates keep in the fake cluster, and the test's hooks."""

    verifications: dict[str, tuple[Verification, dict[str, str]]] = field(default_factory=dict)  # namespace ->
    jobs: dict[str, str] = field(default_factory=dict)  # check Job name -> uid (deleting one: "gone")
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # check name -> how it ends (default: passed)
    seconds: dict[str, float] = field(default_factory=lambda: dict(STORY_SECONDS))
    hold: threading.Semaphore | None = None  # each check waits for a release before it ends (live progress)
    requests: dict[str, PromotionRequest] = field(default_factory=dict)  # id -> request
    policy_enforced: bool = True  # the API server enforces the approval policy (install-policy ran)
    _ids: random.Random = field(default_factory=lambda: random.Random(12))

    def new_id(self, prefix: str) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        return prefix + "".join(self._ids.choice(alphabet) for _ in range(6))

    # -- verification ----------------------------------------------------------------------
    def state(self, store: Store, env: Environment, definition: envtypes.TypeDefinition) -> VerificationState:
        """As verify.state: the latest record, re-checked against the state now and its Jobs."""
        checks = tuple(c.name for c in definition.checks)
        record = self.verifications.get(env.namespace)
        if record is None:
            return VerificationState(env, None, checks=checks)
        verification, then = record
        now_fingerprint, now = state_digests(store, env)
        why = why_not_current(now, then, (now_fingerprint, verification.fingerprint))
        for result in verification.results:
            if not why and result.passed and self.jobs.get(result.job) != result.job_uid:
                why = f"check Job {result.job} is gone"
        return VerificationState(env, verification, current=not why, why_not=why, checks=checks)

    def run_check(self, check: CheckDefinition, env: Environment, images: list[str]) -> CheckResult:
        """One check's Job, ended as the local control plane's fake node ends it (the test may choose)."""
        if self.hold is not None:
            self.hold.acquire(timeout=10)
        outcome, detail, tail = self.outcomes.get(check.name) or demo_outcome(check.name, images)
        job = self.new_id(f"{check.name}-")
        self.jobs[job] = f"uid-{job}"
        seconds = self.seconds.get(check.name, 2.0)
        return CheckResult(check.name, env.name, outcome, seconds, job, f"uid-{job}", detail, tail)

    # -- promotion requests ------------------------------------------------------------------
    def policy(self) -> PolicyStatus:
        """As approval_policy.status: what the API server did with a dry-run forged request."""
        if self.policy_enforced:
            return PolicyStatus(True, f"the API server enforces {APPROVAL_POLICY} (a forged request was refused)")
        return PolicyStatus(False, f"the API server accepted a forged request: {APPROVAL_POLICY} is not enforced")

    def require_policy(self, target: Environment, definition: envtypes.TypeDefinition) -> None:
        gates.require_enforced(target, definition.approvals, self.policy)

    def request(self, target: Environment, request_id: str) -> PromotionRequest:
        """As requests.load: a request of that id in the target environment."""
        found = self.requests.get(requests.valid_id(request_id))
        if found is None or found.app != target.app or found.target != target.name:
            raise NotFound(f"no promotion request {request_id} in {target.ref}")
        return found

    def decide(
        self, found: PromotionRequest, target: Environment, user: str, approve: bool, now: datetime
    ) -> PromotionRequest:
        """As requests.decide: core's own refusals (the API server's policy refuses the first too)."""
        requests.refuse_decision(found, target, user, now)
        decided = replace(
            found, decisions=(*found.decisions, Decision(user, "approved" if approve else "rejected", now))
        )
        self.requests[found.id] = decided
        return decided

    def enforce(
        self,
        plan: PromotePlan,
        definition: envtypes.TypeDefinition,
        gates_now: Gates,
        *,
        user: str,
        request: str | None,
        skip_verification: str,
        now: datetime,
    ) -> list[str]:
        """As gates.enforce, with core's own refusals: one line, or the revision summary's gate lines.
        `gates_now`: the plan's fingerprint as the store is now (the real apply's dry run sees that)."""
        if plan.action != "promote" or plan.empty:
            return []  # a rollback restores a recorded state: never gated
        target, required = plan.target, definition.approvals
        found = None
        if required or request:
            self.require_policy(target, definition)
            if request is None:
                raise Refused(gates.approvals_needed(plan, required))
            found = replace(self.request(target, request), required=required)
            requests.refuse_use(found, target, gates_now.fingerprint, now)
            if found.source != plan.source:
                raise Refused(f"request {request} is for {found.source}, not {plan.source}: nothing applied")
        lines: list[str] = []
        verification = plan.gates.verification  # of the state the plan was made from
        if definition.require_verification and not (verification is not None and verification.holds):
            reason = found.skipped_verification if found is not None else skip_verification.strip()
            if found is not None and skip_verification.strip() and not reason:
                raise Refused(
                    f"the verification override must be in the request the approvers saw ({request} has none): "
                    "request again with --skip-verification"
                )
            if not reason:
                raise Refused(gates.verification_needed(plan))
            gates.check_override(reason)
            lines.append(f"verification skipped by {found.requester if found is not None else user}: {reason}")
        if found is not None:
            lines.append(f"requested by {found.requester} (request {found.id})")
            lines += [f"approved by {approver} (request {found.id})" for approver in found.approvers]
        return lines

    def claim(self, request_id: str, user: str, now: datetime) -> None:
        """The request is used up (once): the apply writes next."""
        found = self.requests[request_id]
        self.requests[request_id] = replace(found, applied_by=user, applied_at=now)

    def new_request(
        self, plan: PromotePlan, summary: list[str], *, requester: str, reason: str, skip: str, now: datetime
    ) -> PromotionRequest:
        """As requests.create (the checks before it are gates.request's: FakeSession.request_promotion)."""
        approvals = plan.gates.approvals
        made = PromotionRequest(
            self.new_id("r-"),
            plan.app,
            plan.source,
            plan.target.name,
            requester,
            reason,
            plan.gates.fingerprint,
            tuple(summary),
            now,
            now + REQUEST_TTL,
            required=approvals,
            skipped_verification=skip.strip(),
        )
        self.requests[made.id] = made
        return made


def gates_for(
    store: Store,
    plan: PromotePlan,
    origin: Environment,
    definition: envtypes.TypeDefinition,
    state: VerificationState,
    target_store: Store | None = None,
) -> Gates:
    """As gates.for_promote: the target type's gates, the source's verification, the plan's fingerprint.
    `target_store`: the target's cluster, when it is not the source's."""
    source_state, _ = state_digests(store, origin)
    target = plan.target
    bound = fingerprint.plan(
        plan.action,
        origin.namespace,
        source_state,
        target.namespace,
        plan.writes,
        plan.deletions,
        (target_store or store).material(target.namespace),
    )
    return Gates(
        require_verification=definition.require_verification,
        verification=state if definition.require_verification else None,
        approvals=definition.approvals,
        fingerprint=bound,
    )
