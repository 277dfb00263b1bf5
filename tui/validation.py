"""Input checks run as the user types; the same rules core enforces, so bad input never reaches it."""

from __future__ import annotations

import re

from textual.validation import ValidationResult, Validator

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_TTL = re.compile(r"^[1-9][0-9]*[smhd]$")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST = r"(?:localhost(?::[0-9]+)?|[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+(?::[0-9]+)?|[a-zA-Z0-9-]+:[0-9]+)"
_IMAGE = re.compile(
    rf"^(?:{_HOST}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})?(?:@sha256:[a-f0-9]{{64}})?$"
)


def environment_name_error(app: str, name: str) -> str | None:
    """Why `name` cannot name a new environment of `app`, or None."""
    if not name:
        return "a name is required"
    if not _LABEL.match(name):
        return "lowercase letters, digits and '-', starting and ending with a letter or digit"
    if len(app) + 1 + len(name) > 63:
        return f"too long: namespace {app}-{name} would exceed 63 characters"
    return None


def image_error(image: str) -> str | None:
    """Why `image` is not a docker image reference, or None."""
    if not image:
        return "an image is required"
    if not _IMAGE.match(image):
        return "not an image reference: [host[:port]/]path[:tag][@sha256:<64 hex>], lowercase path"
    return None


def ttl_error(ttl: str) -> str | None:
    if ttl and not _TTL.match(ttl):
        return "a duration such as 24h, 90m or 3d"
    return None


class _Rule(Validator):
    def check(self, value: str) -> str | None:
        raise NotImplementedError

    def validate(self, value: str) -> ValidationResult:
        error = self.check(value)
        return self.failure(error) if error else self.success()


class EnvironmentName(_Rule):
    def __init__(self, app: str, existing: set[str]) -> None:
        super().__init__()
        self.app, self.existing = app, existing

    def check(self, value: str) -> str | None:
        if value in self.existing:
            return f"{self.app}/{value} already exists"
        return environment_name_error(self.app, value)


class ImageReference(_Rule):
    def check(self, value: str) -> str | None:
        return image_error(value)


class Duration(_Rule):
    def check(self, value: str) -> str | None:
        return ttl_error(value)
