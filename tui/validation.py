"""Validators for inputs, checked as the user types: core's own rules, so bad input never reaches it."""

from __future__ import annotations

from textual.validation import ValidationResult, Validator

from hotclone.core import durations, validation
from hotclone.core.errors import InvalidInput


def environment_name_error(app: str, name: str) -> str | None:
    """Why `name` cannot name a new environment of `app`, or None."""
    if not name:
        return "a name is required"
    return validation.environment_name_error(app, name)


def image_error(image: str) -> str | None:
    """Why `image` is not a pullable image reference, or None."""
    if not image:
        return "an image is required"
    return validation.image_error(image)


def ttl_error(ttl: str) -> str | None:
    if not ttl:
        return None
    try:
        durations.parse(ttl)
    except InvalidInput as error:
        return str(error)
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
