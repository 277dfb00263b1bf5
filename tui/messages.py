"""Past-tense messages that carry worker results back to the UI thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual.message import Message

from core.models import (
    Application,
    CloneResult,
    CloneStep,
    ConnectionInfo,
    Environment,
    EnvironmentType,
    VersionMatrix,
    Workload,
)
from core.permissions import Action


@dataclass
class Connected(Message):
    info: ConnectionInfo


@dataclass
class ApplicationsLoaded(Message):
    applications: list[Application]
    matrices: dict[str, VersionMatrix]
    now: datetime


@dataclass
class EnvironmentLoaded(Message):
    environment: Environment
    workloads: list[Workload]
    preflight: list[str]
    now: datetime


@dataclass
class PermissionsChecked(Message):
    environment: Environment
    allowed: dict[Action, tuple[bool, str]]


@dataclass
class CloneProgressed(Message):
    step: CloneStep


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
