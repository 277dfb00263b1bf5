"""Past-tense messages that carry worker results back to the UI thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual.message import Message

from hotclone.core.models import (
    Action,
    Application,
    CloneResult,
    ClusterStatus,
    ConfigChange,
    EnvDiff,
    Environment,
    EnvironmentType,
    HistoryEntry,
    ImageChange,
    LiveChange,
    ProgressStep,
    PromotePlan,
    PromotionRequest,
    RolloutStatus,
    Verification,
    VerificationState,
    VersionMatrix,
    Workload,
)


@dataclass
class ApplicationsLoaded(Message):
    applications: list[Application]
    now: datetime
    clusters: tuple[ClusterStatus, ...] = ()  # every context as this load found it, home first


@dataclass
class VersionsLoaded(Message):
    """The version column, after the list is already on screen."""

    matrices: dict[str, VersionMatrix]
    partial: bool = False  # only these applications' matrices (a watch event): the others stay


@dataclass
class EnvironmentLoaded(Message):
    environment: Environment
    workloads: list[Workload]
    preflight: list[str]
    now: datetime
    verification: VerificationState | None = None  # None: could not be read (`verification_error` says why)
    verification_error: str = ""
    verification_read: bool = True  # False: a quiet refresh that kept the last state


@dataclass
class DetailsLoaded(Message):
    """What a live focus change shows after the workloads: preflight findings and the verification."""

    environment: Environment
    preflight: list[str]
    verification: VerificationState | None
    verification_error: str = ""


@dataclass
class LiveChanged(Message):
    """The live view (watches) says what changed; posted from its thread, handled on the UI's."""

    change: LiveChange


@dataclass
class PermissionsChecked(Message):
    environment: Environment
    allowed: dict[Action, tuple[bool, str]]


@dataclass
class CloneProgressed(Message):
    step: ProgressStep


@dataclass
class EnvironmentChanged(Message):
    """Something changed an environment: reload and focus `focus` (app, env) when given."""

    focus: tuple[str, str] | None = None


@dataclass
class MatrixLoaded(Message):
    matrix: VersionMatrix


@dataclass
class TypesLoaded(Message):
    types: list[EnvironmentType]


@dataclass
class CloneFinished(Message):
    result: CloneResult


@dataclass
class SuggestionsLoaded(Message):
    images: list[str]


@dataclass
class ImagePlanned(Message):
    changes: list[ImageChange]
    diff: EnvDiff


@dataclass
class ImageApplied(Message):
    changes: list[ImageChange]


@dataclass
class PlanLoaded(Message):
    plan: PromotePlan


@dataclass
class PlanApplied(Message):
    plan: PromotePlan
    applied: list[str]


@dataclass
class RolloutPolled(Message):
    statuses: list[RolloutStatus]


@dataclass
class HistoryLoaded(Message):
    entries: list[HistoryEntry]
    now: datetime


@dataclass
class DiffLoaded(Message):
    diff: EnvDiff


@dataclass
class ConfigMapsLoaded(Message):
    configmaps: dict[str, dict[str, str]]


@dataclass
class ConfigPlanned(Message):
    changes: list[ConfigChange]
    diff: EnvDiff


@dataclass
class ConfigApplied(Message):
    changes: list[ConfigChange]


@dataclass
class WaitingLoaded(Message):
    """Pending promotion requests this user could decide (the header's badge)."""

    requests: list[PromotionRequest]


@dataclass
class VerifyProgressed(Message):
    """A step of a verification running in the app's worker, for the environment `ref`."""

    ref: str
    step: ProgressStep


@dataclass
class VerifyFinished(Message):
    ref: str
    verification: Verification | None  # None: the run failed (`error` says why)
    error: str = ""


@dataclass
class RequestsLoaded(Message):
    requests: list[PromotionRequest]
    now: datetime


@dataclass
class RequestDecided(Message):
    request: PromotionRequest


@dataclass
class GateRequestsLoaded(Message):
    """The promote dialog's requests into its target, for the plan it shows."""

    plan: PromotePlan
    requests: list[PromotionRequest]
    now: datetime


@dataclass
class RequestCreated(Message):
    request: PromotionRequest
