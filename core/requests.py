"""Promotion requests: a promote into a type that requires approvals waits here for a second person.

A request is a ConfigMap in the target environment's namespace (schema: REQUEST_* keys), written
once by the requester; approvers append `decision.N` keys, and the apply that uses it appends
`applied`. The API server's policy (core/approval_policy.py) refuses every other change, so what
is read here is what the people named in it wrote. Each write below carries the resourceVersion
it read as a precondition: two approvers, or two applies, racing each other never both succeed
on the same state.
"""

from __future__ import annotations

import json
import secrets
import string
from datetime import UTC, datetime, timedelta

from hotclone.core import approval_policy, history, kinds
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.errors import Conflict, Forbidden, HotcloneError, InvalidInput, NotFound, Refused
from hotclone.core.models import Decision, DecisionKind, Environment, PromotePlan, PromotionRequest
from hotclone.core.schema import (
    DECISION_APPROVED,
    DECISION_REJECTED,
    HISTORY_REQUEST,
    LABEL_APP,
    LABEL_HISTORY,
    LABEL_PROMOTION_REQUEST,
    MAX_SUMMARY_LINE,
    MAX_SUMMARY_LINES,
    REQUEST_APPLIED_KEY,
    REQUEST_COMMENT_PREFIX,
    REQUEST_CONFIGMAP_PREFIX,
    REQUEST_CREATED_KEY,
    REQUEST_DECISION_PREFIX,
    REQUEST_EXPIRES_KEY,
    REQUEST_FINGERPRINT_KEY,
    REQUEST_REASON_KEY,
    REQUEST_REQUESTER_KEY,
    REQUEST_SKIP_VERIFICATION_KEY,
    REQUEST_SOURCE_KEY,
    REQUEST_SOURCE_NAMESPACE_KEY,
    REQUEST_SUMMARY_KEY,
    REQUEST_TARGET_KEY,
    TIME_FORMAT,
)

DEFAULT_LIFETIME = timedelta(hours=4)
_ID_ALPHABET = string.ascii_lowercase + string.digits
_ID_LENGTH = 6
_DECIDE_ATTEMPTS = 5


def new_id() -> str:
    return "r-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))


def valid_id(request_id: str) -> str:
    """A request id as the user typed it, checked before it is put into a name or a selector."""
    body = request_id.removeprefix("r-")
    if not request_id.startswith("r-") or not body or len(body) > 32 or any(c not in _ID_ALPHABET for c in body):
        raise InvalidInput(f"not a promotion request id: {request_id!r} (ids look like r-a1b2c3)")
    return request_id


def configmap_name(request_id: str) -> str:
    return REQUEST_CONFIGMAP_PREFIX + request_id


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime(TIME_FORMAT)


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


# -- reading --------------------------------------------------------------------------------------


def _decisions(data: dict[str, str]) -> tuple[Decision, ...]:
    found: list[tuple[int, Decision]] = []
    for key, value in data.items():
        number = key.removeprefix(REQUEST_DECISION_PREFIX)
        if not key.startswith(REQUEST_DECISION_PREFIX) or not number.isdigit():
            continue
        parts = value.split(" ", 2)
        if len(parts) != 3 or parts[0] not in (DECISION_APPROVED, DECISION_REJECTED):
            continue  # the policy never lets one through; an unprotected cluster might: it counts for nothing
        word: DecisionKind = "approved" if parts[0] == DECISION_APPROVED else "rejected"
        found.append((int(number), Decision(parts[2], word, _time(parts[1]))))
    return tuple(d for _, d in sorted(found, key=lambda pair: pair[0]))


def comments(configmap: Obj) -> dict[str, str]:
    """Each decider's comment, by user."""
    data: dict[str, str] = configmap.get("data") or {}
    out = {}
    for key, value in data.items():
        if key.startswith(REQUEST_COMMENT_PREFIX):
            decision = data.get(REQUEST_DECISION_PREFIX + key.removeprefix(REQUEST_COMMENT_PREFIX), "")
            parts = decision.split(" ", 2)
            if len(parts) == 3:
                out[parts[2]] = value
    return out


def from_configmap(configmap: Obj, *, required: int = 1) -> PromotionRequest:
    """The request a ConfigMap holds; `required`: the approvals the target's type asks for now."""
    meta = configmap.get("metadata") or {}
    data: dict[str, str] = configmap.get("data") or {}
    labels = meta.get("labels") or {}
    created = _time(meta.get("creationTimestamp")) or _time(data.get(REQUEST_CREATED_KEY)) or datetime.now(UTC)
    expires = _time(data.get(REQUEST_EXPIRES_KEY)) or created  # unreadable: expired
    try:
        summary = tuple(str(line) for line in json.loads(data.get(REQUEST_SUMMARY_KEY) or "[]"))
    except (ValueError, TypeError):
        summary = ("(the summary could not be read)",)
    applied = (data.get(REQUEST_APPLIED_KEY) or "").split(" ", 1)
    return PromotionRequest(
        id=labels.get(LABEL_PROMOTION_REQUEST) or str(meta.get("name", "")).removeprefix(REQUEST_CONFIGMAP_PREFIX),
        app=labels.get(LABEL_APP, ""),
        source=data.get(REQUEST_SOURCE_KEY, ""),
        target=data.get(REQUEST_TARGET_KEY, ""),
        requester=data.get(REQUEST_REQUESTER_KEY, ""),
        reason=data.get(REQUEST_REASON_KEY, ""),
        fingerprint=data.get(REQUEST_FINGERPRINT_KEY, ""),
        summary=summary,
        created=created,
        expires_at=expires,
        required=required,
        decisions=_decisions(data),
        applied_by=applied[1] if len(applied) == 2 else None,
        applied_at=_time(applied[0]) if len(applied) == 2 else None,
        skipped_verification=data.get(REQUEST_SKIP_VERIFICATION_KEY, ""),
    )


def listed(cluster: Cluster, namespace: str | None = None) -> list[Obj]:
    """Request ConfigMaps in `namespace` (None: every namespace, one LIST)."""
    selector = f"{LABEL_HISTORY}={HISTORY_REQUEST},{LABEL_PROMOTION_REQUEST}"
    return cluster.list(kinds.CONFIGMAP, namespace, label_selector=selector)


def load(cluster: Cluster, environment: Environment, request_id: str) -> Obj:
    """The request ConfigMap `request_id` in `environment` (NotFound: one line naming both)."""
    try:
        configmap = cluster.get(kinds.CONFIGMAP, environment.namespace, configmap_name(valid_id(request_id)))
    except NotFound:
        raise NotFound(f"no promotion request {request_id} in {environment.ref}") from None
    labels = (configmap.get("metadata") or {}).get("labels") or {}
    if labels.get(LABEL_PROMOTION_REQUEST) != request_id or labels.get(LABEL_HISTORY) != HISTORY_REQUEST:
        raise NotFound(f"no promotion request {request_id} in {environment.ref}")
    return configmap


# -- writing --------------------------------------------------------------------------------------


def bounded_summary(lines: list[str]) -> list[str]:
    """At most MAX_SUMMARY_LINES lines of MAX_SUMMARY_LINE characters (a ConfigMap is bounded too)."""
    kept = [line[:MAX_SUMMARY_LINE] for line in lines[:MAX_SUMMARY_LINES]]
    if len(lines) > MAX_SUMMARY_LINES:
        kept[-1] = f"... and {len(lines) - MAX_SUMMARY_LINES + 1} more line(s)"
    return kept


def body(
    plan: PromotePlan,
    *,
    request_id: str,
    requester: str,
    source_namespace: str,
    reason: str,
    summary: list[str],
    skip_verification: str,
    now: datetime,
    lifetime: timedelta,
) -> Obj:
    """The request ConfigMap for `plan` (pure)."""
    target = plan.target
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": configmap_name(request_id),
            "namespace": target.namespace,
            "labels": {LABEL_HISTORY: HISTORY_REQUEST, LABEL_PROMOTION_REQUEST: request_id, LABEL_APP: target.app},
        },
        "data": {
            REQUEST_REQUESTER_KEY: requester,
            REQUEST_SOURCE_KEY: plan.source,
            REQUEST_SOURCE_NAMESPACE_KEY: source_namespace,
            REQUEST_TARGET_KEY: target.name,
            REQUEST_FINGERPRINT_KEY: plan.gates.fingerprint,
            REQUEST_REASON_KEY: reason,
            REQUEST_SUMMARY_KEY: json.dumps(bounded_summary(summary), ensure_ascii=False),
            REQUEST_CREATED_KEY: _stamp(now),
            REQUEST_EXPIRES_KEY: _stamp(now + lifetime),
            REQUEST_SKIP_VERIFICATION_KEY: skip_verification,
        },
    }


def create(
    cluster: Cluster,
    plan: PromotePlan,
    *,
    requester: str,
    source_namespace: str,
    reason: str,
    summary: list[str],
    skip_verification: str = "",
    required: int = 1,
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> PromotionRequest:
    """Record a request for `plan` in its target; read back."""
    if not plan.gates.fingerprint:
        raise Refused(f"the plan into {plan.target.ref} has no fingerprint: nothing requested")
    history.check_reason(reason)
    if lifetime <= timedelta(0) or lifetime > approval_policy.MAX_LIFETIME:
        raise InvalidInput(
            f"a request's lifetime must be positive and at most {approval_policy.MAX_LIFETIME.days} days"
        )
    request_id = new_id()
    configmap = body(
        plan,
        request_id=request_id,
        requester=requester,
        source_namespace=source_namespace,
        reason=reason,
        summary=summary,
        skip_verification=skip_verification,
        now=datetime.now(UTC),
        lifetime=lifetime,
    )
    try:
        cluster.create(kinds.CONFIGMAP, plan.target.namespace, configmap)
    except HotcloneError as error:
        raise _refused(error, f"request into {plan.target.ref} not recorded") from None
    made = from_configmap(load(cluster, plan.target, request_id), required=required)
    if made.fingerprint != plan.gates.fingerprint or made.requester != requester:
        raise Conflict(f"request {request_id} in {plan.target.ref} reads back different from what was written")
    return made


def _refused(error: HotcloneError, what: str) -> HotcloneError:
    """The API server's refusal, one line: the policy's own reason when it was the policy."""
    if approval_policy.denied_by_policy(error):
        return Forbidden(f"{what}: the API server refused it: {approval_policy.refusal(error)}")
    return type(error)(f"{what}: {error}")


def decide(
    cluster: Cluster,
    environment: Environment,
    request_id: str,
    *,
    user: str,
    approve: bool,
    comment: str = "",
    required: int = 1,
) -> PromotionRequest:
    """Append this user's decision (never on their own request, nor on a used, rejected or expired one);
    read back. Another decision written at the same moment makes it read again and retry."""
    if len(comment) > approval_policy.MAX_COMMENT:
        raise InvalidInput(f"--comment is {len(comment)} characters long; at most {approval_policy.MAX_COMMENT}")
    word = DECISION_APPROVED if approve else DECISION_REJECTED
    for _ in range(_DECIDE_ATTEMPTS):
        configmap = load(cluster, environment, request_id)
        request = from_configmap(configmap, required=required)
        refuse_decision(request, environment, user, datetime.now(UTC))
        data = configmap.get("data") or {}
        number = sum(1 for k in data if k.startswith(REQUEST_DECISION_PREFIX)) + 1
        patch_data = {f"{REQUEST_DECISION_PREFIX}{number}": f"{word} {_stamp(datetime.now(UTC))} {user}"}
        if comment:
            patch_data[f"{REQUEST_COMMENT_PREFIX}{number}"] = comment
        version = configmap["metadata"]["resourceVersion"]
        try:
            cluster.patch(
                kinds.CONFIGMAP,
                environment.namespace,
                configmap_name(request_id),
                {"metadata": {"resourceVersion": version}, "data": patch_data},
            )
        except Conflict:
            continue  # someone decided at the same moment: read again
        except HotcloneError as error:
            raise _refused(error, f"{word} of {request_id} not recorded") from None
        decided = from_configmap(load(cluster, environment, request_id), required=required)
        if not any(d.user == user and d.decision == word for d in decided.decisions):
            raise Conflict(f"the decision on {request_id} does not read back: nothing recorded")
        return decided
    raise Conflict(f"{request_id} in {environment.ref} kept changing; gave up after {_DECIDE_ATTEMPTS} attempts")


def refuse_decision(request: PromotionRequest, environment: Environment, user: str, now: datetime) -> None:
    """Pure: hotclone's own refusals before it asks the API server (which refuses the first too)."""
    if request.requester == user:
        raise Refused(f"nobody may approve or reject their own promotion request ({request.id} is {user}'s)")
    state = request.state(now)
    if state in ("applied", "rejected", "expired"):
        raise Refused(f"request {request.id} into {environment.ref} is {state}: nothing to decide")
    if any(d.user == user for d in request.decisions):
        raise Refused(f"{user} already decided on request {request.id}")


def refuse_use(request: PromotionRequest, environment: Environment, fingerprint: str, now: datetime) -> None:
    """Pure: a request is used only when approved by enough people other than the requester, not
    rejected, unexpired, unused, and for exactly this plan."""
    state = request.state(now)
    where = f"request {request.id} into {environment.ref}"
    if state == "applied":
        when = request.applied_at.strftime("%Y-%m-%d %H:%M:%SZ") if request.applied_at else "before"
        raise Refused(f"{where} was already used by {request.applied_by} at {when}: request again")
    if state == "rejected":
        raise Refused(f"{where} was rejected by {', '.join(request.rejected_by)}: nothing applied")
    if state == "expired":
        raise Refused(f"{where} expired at {request.expires_at.strftime('%Y-%m-%d %H:%M:%SZ')}: request again")
    if state == "pending":
        have = len(request.approvers)
        raise Refused(f"{where} has {have} of {request.required} approval(s) needed: nothing applied")
    if request.fingerprint != fingerprint:
        raise Refused(f"the plan changed since {request.id} was approved: nothing applied; request again")


def use(
    cluster: Cluster,
    environment: Environment,
    request_id: str,
    *,
    user: str,
    fingerprint: str,
    required: int,
) -> PromotionRequest:
    """Mark the request used by this apply: read it, check it again, and write `applied` guarded by the
    resourceVersion just read, so a second apply racing this one gets a Conflict and writes nothing."""
    configmap = load(cluster, environment, request_id)
    request = from_configmap(configmap, required=required)
    refuse_use(request, environment, fingerprint, datetime.now(UTC))
    version = configmap["metadata"]["resourceVersion"]
    try:
        cluster.patch(
            kinds.CONFIGMAP,
            environment.namespace,
            configmap_name(request_id),
            {
                "metadata": {"resourceVersion": version},
                "data": {REQUEST_APPLIED_KEY: f"{_stamp(datetime.now(UTC))} {user}"},
            },
        )
    except Conflict:
        raise Conflict(
            f"request {request_id} changed while it was being used (another apply?): nothing applied"
        ) from None
    except HotcloneError as error:
        raise _refused(error, f"request {request_id} could not be marked used: nothing applied") from None
    return from_configmap(load(cluster, environment, request_id), required=required)
