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

import contextlib
import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hotclone.core import approval_policy, discovery, envtypes, fingerprint, plan_apply, requests, verify
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.diff import summary_lines
from hotclone.core.envtypes import TypeDefinition
from hotclone.core.errors import Conflict as ConflictError
from hotclone.core.errors import Forbidden, InvalidInput, NotFound, Refused
from hotclone.core.models import Environment, Gates, PolicyStatus, PromotePlan, PromotionRequest, VerificationState
from hotclone.core.schema import MAX_REASON, REQUEST_REQUESTER_KEY, SYSTEM_NAMESPACE


def definition(cluster: Cluster, environment: Environment) -> TypeDefinition | None:
    """The environment's type as it applies to its app now; None when no such type is defined
    (a long-lived environment labelled by hand with a type nobody described: it has no gates), or
    when the user may not read the types (the plan says so: `target_type`)."""
    return target_type(cluster, environment)[0]


def target_type(cluster: Cluster, environment: Environment) -> tuple[TypeDefinition | None, str | None]:
    """The environment's type (as `definition`), read with one LIST, and the plan's line when the
    user may not read the environment types: their gates are then not known."""
    try:
        maps = envtypes.configmaps(cluster)
    except Forbidden:
        return None, (
            f"the gates of type {environment.type!r} (verification, approvals): the environment types in "
            f"{SYSTEM_NAMESPACE} could not be read (not allowed to list ConfigMaps there); not checked"
        )
    try:
        return envtypes.named(maps, environment.type, environment.app), None
    except NotFound:
        return None, None


def _verification(cluster: Cluster, origin: Environment, source_state: str, types: Cluster | None) -> VerificationState:
    state = verify.state(cluster, origin, types=types)
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
    kind: TypeDefinition | None,
    types: Cluster | None = None,
) -> Gates:
    """The gates of promoting `origin` (its material objects `ours`) onto `destination` (`theirs`)
    with `plan`: the target type's requirements (`kind`, from `target_type`), the source's
    verification (`cluster` holds the source; `types` the source's environment types, if not
    `cluster`), the plan's fingerprint."""
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
    if kind is None:
        return Gates(fingerprint=plan_fingerprint)
    state = _verification(cluster, origin, source_state, types) if kind.require_verification else None
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
    gets for them. `policy(namespace)` says whether the approval policy is enforced there; by
    default the API server is asked, now."""
    if plan.action != "promote" or plan.empty:
        return []  # a rollback restores a recorded state: never gated; an empty plan writes nothing
    target = plan.target
    kind = definition(cluster, target)
    required = kind.approvals if kind else 0
    lines: list[str] = []
    found = None
    if required or request:
        configmap = requests.load(cluster, target, request) if request else None
        ask = policy or (lambda namespace: approval_policy.status(cluster, namespace, user))

        def asked() -> PolicyStatus:
            status = ask(target.namespace)
            if approval_policy.unknown(status) and configmap is not None:
                # Someone who may update requests but not create them (a deploy bot): ask by update.
                requester = (configmap.get("data") or {}).get(REQUEST_REQUESTER_KEY, "")
                status = approval_policy.status_by_update(cluster, configmap, requester)
            return status

        require_enforced(target, required, asked)
        if configmap is None:
            raise Refused(approvals_needed(plan, required))
        found = requests.from_configmap(configmap, required=required)
        requests.refuse_use(found, target, plan.gates.fingerprint, datetime.now(UTC))
        if found.source != plan.source:
            raise Refused(f"request {request} is for {found.source}, not {plan.source}: nothing applied")
    verification = plan.gates.verification  # of the state the plan was made from (for_promote)
    if kind is not None and kind.require_verification and not (verification is not None and verification.holds):
        # With a request, the override is the one in it (what the approvers saw), and the requester's.
        reason = found.skipped_verification if found is not None else skip_verification.strip()
        if found is not None and skip_verification.strip() and not reason:
            raise Refused(
                f"the verification override must be in the request the approvers saw ({request} has none): "
                "request again with --skip-verification"
            )
        if not reason:
            raise Refused(verification_needed(plan))
        check_override(reason)
        who = found.requester if found is not None else user
        lines.append(f"verification skipped by {who}: {reason}")
    if found is not None:
        lines.append(f"requested by {found.requester} (request {found.id})")
        lines += [f"approved by {approver} (request {found.id})" for approver in found.approvers]
    return lines


def check_override(reason: str) -> None:
    """The override's reason is bounded like --reason (it is stored in the revision and the request)."""
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"--skip-verification is {len(reason)} characters long; at most {MAX_REASON} are kept")


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


class Claim:
    """Uses the request up: run after the pending revision is recorded and before the first write.

    The `applied` mark is written guarded by the resourceVersion just read, so a second apply racing
    this one gets a Conflict there and writes nothing. `possibly_used` says whether the mark may be
    written (the server refused nothing), so a failure after it can say the request is used up."""

    def __init__(self, cluster: Cluster, plan: PromotePlan, user: str, request: str) -> None:
        self._cluster, self._plan, self._user, self._request = cluster, plan, user, request
        self.possibly_used = False

    def __call__(self) -> None:
        target = self._plan.target
        kind = definition(self._cluster, target)
        required = kind.approvals if kind else 0
        try:
            requests.use(
                self._cluster,
                target,
                self._request,
                user=self._user,
                fingerprint=self._plan.gates.fingerprint,
                required=required,
            )
        except (Refused, ConflictError, Forbidden, InvalidInput, NotFound):
            raise  # the server (or hotclone) said no: the request was not touched
        except BaseException:
            self.possibly_used = True  # a timeout or Ctrl-C: the server may have written the mark
            raise
        self.possibly_used = True


def claim(cluster: Cluster, plan: PromotePlan, *, user: str, request: str | None) -> Claim | None:
    """The hook that uses the request up (None: nothing to use)."""
    if plan.action != "promote" or plan.empty or request is None:
        return None
    return Claim(cluster, plan, user, request)


# -- the approval workflow the Session offers (requests, decisions, who is waiting) ---------------


def _definitions(cluster: Cluster) -> Callable[[Environment], int]:
    """The approvals each environment's type requires, from one LIST of the type ConfigMaps (a user who
    may not read the types sees each request counted against one approval: a listing, not a gate)."""
    try:
        maps = envtypes.configmaps(cluster)
    except Forbidden:
        return lambda environment: 1

    def required(environment: Environment) -> int:
        try:
            return envtypes.named(maps, environment.type, environment.app).approvals
        except NotFound:
            return 0

    return required


def require_enforced(environment: Environment, required: int, status: Callable[[], PolicyStatus]) -> None:
    """A type that requires approvals where the API server does not enforce the policy is refused; when
    the question itself could not be asked (RBAC), that is said instead."""
    if not required:
        return
    found = status()
    if found.enforced:
        return
    if approval_policy.unknown(found):
        raise Forbidden(f"cannot tell whether the API server enforces hotclone's approval policy: {found.detail}")
    raise policy_refusal(environment.type, found)


def request(
    cluster: Cluster,
    plan: PromotePlan,
    *,
    user: str,
    reason: str,
    skip_verification: str,
    lifetime: timedelta,
) -> PromotionRequest:
    """Record a request for `plan` in its target: the verification gate holds, or is skipped with a
    reason that the request carries (so the approvers see it)."""
    plan_apply.check_plan(plan, plan.target.name)  # conflicts refuse a request as they refuse an apply
    if plan.action != "promote" or plan.empty:
        raise Refused(f"nothing to request: {plan.target.ref} already matches")
    target = discovery.current(cluster, plan.target)
    kind = definition(cluster, target)
    required = kind.approvals if kind else 0
    require_enforced(target, required, lambda: approval_policy.status(cluster, target.namespace, user))
    if not required:
        raise Refused(f"{target.ref} (type {target.type}) requires no approval: promote it directly")
    verification = plan.gates.verification
    verified = verification is not None and verification.holds
    if kind is not None and kind.require_verification and not verified:
        if not skip_verification.strip():
            raise Refused(verification_needed(plan))
        check_override(skip_verification)
    else:
        skip_verification = ""  # nothing skipped: the request claims no override
    source_namespace = plan.source_namespace or discovery.environment(cluster, plan.app, plan.source).namespace
    lines = summary_lines(plan.diff) + [f"{ref} deleted" for ref in plan.deletions]
    return requests.create(
        cluster,
        plan,
        requester=user,
        source_namespace=source_namespace,
        reason=reason,
        summary=plan_apply.history_summary(plan, lines),
        skip_verification=skip_verification.strip(),
        required=required,
        lifetime=lifetime,
    )


def _request_configmaps(cluster: Cluster, namespaces: list[str]) -> list[Obj]:
    """The request ConfigMaps of `namespaces`: one cluster-wide LIST, or one per namespace for a user
    who may not list cluster-wide (a namespace they may not read is left out)."""
    try:
        wanted = set(namespaces)
        return [c for c in requests.listed(cluster) if c["metadata"].get("namespace") in wanted]
    except Forbidden:
        found: list[Obj] = []
        for namespace in namespaces:
            with contextlib.suppress(Forbidden):
                found += requests.listed(cluster, namespace)
        return found


def listed(cluster: Cluster, environments: list[Environment]) -> list[PromotionRequest]:
    """The requests into `environments`, newest first, each counted against its type's approvals now."""
    by_namespace = {e.namespace: e for e in environments}
    required = _definitions(cluster)
    found = [
        requests.from_configmap(c, required=required(by_namespace[c["metadata"]["namespace"]]))
        for c in _request_configmaps(cluster, list(by_namespace))
    ]
    return sorted(found, key=lambda r: r.created, reverse=True)


def waiting(cluster: Cluster, environments: list[Environment], user: str, now: datetime) -> list[PromotionRequest]:
    """Pending requests into `environments` that `user` did not make and has not decided."""
    return [
        r
        for r in listed(cluster, environments)
        if r.requester != user and all(d.user != user for d in r.decisions) and r.state(now) == "pending"
    ]


def decide(
    cluster: Cluster, environment: Environment, request_id: str, *, user: str, approve: bool, comment: str
) -> PromotionRequest:
    """Approve or reject as `user` (never their own request), where the policy is enforced; read back."""
    environment = discovery.current(cluster, environment)
    configmap = requests.load(cluster, environment, request_id)
    kind = definition(cluster, environment)
    required = kind.approvals if kind else 0
    found = requests.from_configmap(configmap, required=required)
    requests.refuse_decision(found, environment, user, datetime.now(UTC))
    # An approver may update requests but not create them: the API server is asked with a forged decision.
    require_enforced(
        environment, required, lambda: approval_policy.status_by_update(cluster, configmap, found.requester)
    )
    return requests.decide(
        cluster, environment, request_id, user=user, approve=approve, comment=comment, required=required
    )
