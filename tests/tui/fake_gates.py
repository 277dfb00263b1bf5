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

from hotclone.core import envtypes, fingerprint
from hotclone.core.errors import InvalidInput, NotFound, Refused
from hotclone.core.models import (
    CheckDefinition,
    CheckOutcome,
    CheckResult,
    Decision,
    Environment,
    Gates,
    PromotePlan,
    PromotionRequest,
    Verification,
    VerificationState,
)
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

    def run_check(self, check: CheckDefinition, env: Environment) -> CheckResult:
        if self.hold is not None:
            self.hold.acquire(timeout=10)
        outcome, detail, tail = self.outcomes.get(check.name, ("passed", "", ()))
        job = self.new_id(f"{check.name}-")
        self.jobs[job] = f"uid-{job}"
        seconds = self.seconds.get(check.name, 2.0)
        return CheckResult(check.name, env.name, outcome, seconds, job, f"uid-{job}", detail, tail)

    # -- promotion requests ------------------------------------------------------------------
    def require_policy(self, definition: envtypes.TypeDefinition) -> None:
        if definition.approvals and not self.policy_enforced:
            raise Refused(
                f"environment type {definition.name!r} requires approvals, but the API server does not enforce "
                "hotclone's approval policy: ask a cluster admin to run `hotclone install-policy`"
            )

    def request(self, app: str, target: str, request_id: str) -> PromotionRequest:
        found = self.requests.get(request_id)
        if found is None or found.app != app or found.target != target:
            raise NotFound(f"no promotion request {request_id!r} into {app}/{target}")
        return found

    def decide(self, found: PromotionRequest, user: str, approve: bool, now: datetime) -> PromotionRequest:
        """As requests.decide, and what the policy refuses: one's own request, a decided one."""
        if user == found.requester:
            raise Refused("hotclone: nobody may approve their own promotion request")
        state = found.state(now)
        if state != "pending":
            raise Refused(f"request {found.id} is {state}: nothing to decide")
        if any(d.user == user for d in found.decisions):
            raise Refused(f"you already decided on request {found.id}")
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
        """As gates.enforce: refuse in one line, or return the history summary's extra lines."""
        if plan.action != "promote":
            return []  # a rollback restores a recorded state: never gated
        extra: list[str] = []
        if definition.require_verification and not gates_now.verified:
            if not skip_verification.strip():
                state = gates_now.verification.describe() if gates_now.verification else "not verified"
                raise Refused(f"{definition.where} requires a current, passed verification: {state}")
            extra.append(f"verification skipped by {user}: {skip_verification.strip()}")
        if definition.approvals:
            self.require_policy(definition)
            if request is None:
                raise Refused(
                    f"{definition.where} requires {definition.approvals} approval(s): request one first "
                    "(promote without a request creates it)"
                )
            found = self.request(plan.app, plan.target.name, request)
            state = found.state(now)
            if len(found.approvers) < definition.approvals and state in ("pending", "approved"):
                raise Refused(f"request {found.id} has {len(found.approvers)}/{definition.approvals} approvals")
            if state != "approved":
                raise Refused(f"request {found.id} is {state}: nothing applied")
            if found.fingerprint != gates_now.fingerprint:
                raise Refused("the plan changed since the request was approved: nothing applied; request again")
            self.requests[found.id] = replace(found, applied_by=user, applied_at=now)
            extra.append(f"approved by {', '.join(found.approvers)} (request {found.id})")
        return extra

    def new_request(
        self, plan: PromotePlan, summary: list[str], *, requester: str, reason: str, skip: str, now: datetime
    ) -> PromotionRequest:
        approvals = plan.gates.approvals
        if not reason.strip():
            raise InvalidInput("a promotion request needs a reason: the approver is asked about it")
        made = PromotionRequest(
            self.new_id("r-"),
            plan.app,
            plan.source,
            plan.target.name,
            requester,
            reason.strip(),
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
    store: Store, plan: PromotePlan, origin: Environment, definition: envtypes.TypeDefinition, state: VerificationState
) -> Gates:
    """As gates.for_promote: the target type's gates, the source's verification, the plan's fingerprint."""
    source_state, _ = state_digests(store, origin)
    target = plan.target
    bound = fingerprint.plan(
        plan.action,
        origin.namespace,
        source_state,
        target.namespace,
        plan.writes,
        plan.deletions,
        store.material(target.namespace),
    )
    return Gates(
        require_verification=definition.require_verification,
        verification=state if definition.require_verification else None,
        approvals=definition.approvals,
        fingerprint=bound,
    )
