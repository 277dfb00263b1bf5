"""The gates a promote passes: what the target's type requires, checked before the first write.

- Verification (type `requireVerification`): the source's latest verification passed and still
  holds for exactly the state the plan was made from (core/verify.py), unless the user gives a
  reason to skip it; the override is recorded in the revision's summary, so `history` and the
  incident timeline show who skipped it and why.
- Approvals (type `approvals: N`): a promotion request (core/requests.py) approved by N people
  other than the requester, not rejected, unexpired, unused, whose fingerprint is this plan's;
  and only where the API server enforces the approval policy (core/approval_policy.py): a type
  that requires approvals is never silently weaker. The request is used up right before the
  first write (`claim`), guarded by the resourceVersion read, so it serves one apply only.

Rollbacks are not gated: they restore a recorded state, and during an incident undo must stay
possible. The number of approvals is the target type's at apply time, never the request's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime

from hotclone.core import approval_policy, envtypes, fingerprint, history, requests
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.envtypes import TypeDefinition
from hotclone.core.errors import NotFound, Refused
from hotclone.core.models import Environment, Gates, PolicyStatus, PromotePlan, VerificationState


def definition(cluster: Cluster, environment: Environment) -> TypeDefinition | None:
    """The environment's type as it applies to its app now; None when no such type is defined
    (a long-lived environment labelled by hand with a type nobody described: it has no gates)."""
    try:
        return envtypes.load(cluster, environment.type, environment.app)
    except NotFound:
        return None


def _verification(cluster: Cluster, origin: Environment, source_state: str) -> VerificationState:
    from hotclone.core import verify  # helper V's module; imported here so gates load without it

    state = verify.state(cluster, origin)
    if state.holds and state.latest is not None and state.latest.fingerprint != source_state:
        # verify.state read the clone again: bind the gate to the state this plan was made from.
        return dataclasses.replace(state, current=False, why_not=f"{origin.ref} changed while the plan was made")
    return state


def for_promote(
    cluster: Cluster,
    origin: Environment,
    destination: Environment,
    ours: dict[str, Obj],
    theirs: dict[str, Obj],
    plan: PromotePlan,
) -> Gates:
    """The gates of promoting `origin` (its material objects `ours`) onto `destination` (`theirs`)
    with `plan`: the target type's requirements, the source's verification, the plan's fingerprint."""
    source_state = fingerprint.environment(ours.values(), origin.namespace)
    plan_fingerprint = fingerprint.plan(
        plan.action,
        origin.namespace,
        source_state,
        destination.namespace,
        plan.writes,
        plan.deletions,
        theirs,
    )
    kind = definition(cluster, destination)
    if kind is None:
        return Gates(fingerprint=plan_fingerprint)
    state = _verification(cluster, origin, source_state) if kind.require_verification else None
    return Gates(
        require_verification=kind.require_verification,
        verification=state,
        approvals=kind.approvals,
        fingerprint=plan_fingerprint,
    )


def policy_refusal(type_name: str, status: PolicyStatus) -> Refused:
    return Refused(approval_policy.not_enforced_message(type_name, status))


def enforce(
    cluster: Cluster,
    plan: PromotePlan,
    *,
    user: str,
    request: str | None,
    skip_verification: str,
    policy: Callable[[str], PolicyStatus] | None = None,
) -> list[str]:
    """Refuse (one line) a promote whose gates do not hold; return the lines the revision's summary
    gets for them. `policy(namespace)` says whether the approval policy is enforced there (the
    session caches it); by default it is asked."""
    if plan.action != "promote" or plan.empty:
        return []  # a rollback restores a recorded state: never gated; an empty plan writes nothing
    target = plan.target
    kind = definition(cluster, target)
    required = kind.approvals if kind else 0
    lines: list[str] = []
    found = None
    if required or request:
        ask = policy or (lambda namespace: approval_policy.status(cluster, namespace, user))
        status = ask(target.namespace)
        if required and not status.enforced:
            raise policy_refusal(target.type, status)
        if request is None:
            raise Refused(approvals_needed(plan, required))
        found = requests.from_configmap(requests.load(cluster, target, request), required=required)
        requests.refuse_use(found, target, plan.gates.fingerprint, datetime.now(UTC))
        if found.source != plan.source:
            raise Refused(f"request {request} is for {found.source}, not {plan.source}: nothing applied")
    verification = plan.gates.verification  # of the state the plan was made from (for_promote)
    if kind is not None and kind.require_verification and not (verification is not None and verification.holds):
        reason = skip_verification.strip() or (found.skipped_verification if found else "")
        if found is not None and skip_verification.strip() and not found.skipped_verification:
            raise Refused(
                f"the verification override must be in the request the approvers saw ({request} has none): "
                "request again with --skip-verification"
            )
        if not reason:
            raise Refused(verification_needed(plan))
        history.check_reason(reason)
        who = found.requester if found is not None and not skip_verification.strip() else user
        lines.append(f"verification skipped by {who}: {reason}")
    if found is not None:
        lines.append(f"requested by {found.requester} (request {found.id})")
        lines += [f"approved by {approver} (request {found.id})" for approver in found.approvers]
    return lines


def approvals_needed(plan: PromotePlan, required: int) -> str:
    target = plan.target
    return (
        f"{target.ref} (type {target.type}) requires {required} approval(s): nothing applied; run "
        f"hotclone promote {target.app} {plan.source} {target.name} without --request to request one"
    )


def verification_needed(plan: PromotePlan) -> str:
    target, state = plan.target, plan.gates.verification
    described = state.describe() if state is not None else f"{plan.source} was not checked"
    return (
        f"{target.ref} (type {target.type}) requires a passed verification of {plan.source}: {described}; "
        f"run hotclone verify {target.app} {plan.source}, or pass --skip-verification REASON"
    )


def verification_refusal(plan: PromotePlan, skip_verification: str) -> str | None:
    """Pure: why the plan's verification gate refuses it (None: it holds, or is skipped with a reason)."""
    if plan.action != "promote" or plan.empty or plan.gates.verified or skip_verification.strip():
        return None
    return verification_needed(plan)


def refusal_before_asking(plan: PromotePlan, *, request: str | None, skip_verification: str) -> str | None:
    """Pure, from the plan's gates: why the apply would be refused, told before anyone is asked to
    confirm; None when it may go on (enforce checks everything again, against the cluster)."""
    if plan.action != "promote" or plan.empty:
        return None
    if plan.gates.approvals and not request:
        return approvals_needed(plan, plan.gates.approvals)
    if request and plan.gates.approvals:
        return None  # the override, if any, is the request's (the approvers saw it)
    return verification_refusal(plan, skip_verification)


def claim(cluster: Cluster, plan: PromotePlan, *, user: str, request: str | None) -> Callable[[], None] | None:
    """What to run after the pending revision is recorded and before the first write: use the request up
    (a racing second apply gets a Conflict there and writes nothing)."""
    if plan.action != "promote" or request is None:
        return None
    target = plan.target

    def use() -> None:
        kind = definition(cluster, target)
        required = kind.approvals if kind else 0
        requests.use(cluster, target, request, user=user, fingerprint=plan.gates.fingerprint, required=required)

    return use
