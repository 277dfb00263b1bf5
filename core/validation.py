"""Input validation that runs before any call to the API server."""

from __future__ import annotations

import re

from hotclone.core.errors import InvalidInput
from hotclone.core.schema import environment_namespace

# Every pattern here is matched with fullmatch and re.ASCII: `$` also matches before a
# trailing newline, and `\w`/`\d` match any script's letters and digits.
_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_DNS_LABEL = re.compile(_LABEL, re.ASCII)
_DNS_SUBDOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*", re.ASCII)
MAX_NAMESPACE = 63
MAX_OBJECT_NAME = 253

# Docker distribution reference grammar (github.com/distribution/reference),
# restricted to what a pod spec accepts: lowercase path components.
_HOST_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_HOST_COMPONENT}(?:\.{_HOST_COMPONENT})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(
    rf"(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?",
    re.ASCII,
)
# Registered algorithms have a fixed length of lowercase hex (opencontainers/go-digest).
_DIGEST_HEX = {"sha256": 64, "sha384": 96, "sha512": 128}


def validate_label(value: str, what: str) -> str:
    if not value:
        raise InvalidInput(f"{what} is empty")
    if len(value) > MAX_NAMESPACE or not _DNS_LABEL.fullmatch(value):
        raise InvalidInput(
            f"invalid {what} {value!r}: use lowercase letters, digits and '-', "
            "starting and ending with a letter or digit (RFC 1123 label, at most 63 characters)"
        )
    return value


def validate_object_name(value: str, what: str) -> str:
    """The name of an object that reaches an API path (ConfigMaps, workloads, ...).

    The RFC 1123 subdomain Kubernetes requires of most kinds' names: it has no '/',
    '?', '%', '..' or whitespace, so a name can never walk to another path or query.
    """
    if not value:
        raise InvalidInput(f"{what} is empty")
    if len(value) > MAX_OBJECT_NAME or not _DNS_SUBDOMAIN.fullmatch(value):
        raise InvalidInput(
            f"invalid {what} {value!r}: use lowercase letters, digits, '-' and '.', starting and ending "
            "with a letter or digit (RFC 1123 subdomain, at most 253 characters)"
        )
    return value


def validate_environment_name(app: str, env: str) -> str:
    """A new environment's name: a DNS label that still fits once prefixed with the app."""
    validate_label(env, "environment name")
    namespace = environment_namespace(app, env)
    if len(namespace) > MAX_NAMESPACE:
        room = MAX_NAMESPACE - len(app) - 1
        raise InvalidInput(
            f"environment name {env!r} is too long: namespace {namespace!r} would have {len(namespace)} "
            f"characters (at most {MAX_NAMESPACE}); use at most {room} characters"
        )
    return env


def validate_image(reference: str) -> str:
    """Accept `[host[:port]/]path[:tag][@digest]`; refuse anything a pod would not pull."""
    if not reference or reference != reference.strip():
        raise InvalidInput(f"invalid image reference {reference!r}: empty or has surrounding spaces")
    if len(reference) > 512:
        raise InvalidInput("invalid image reference: longer than 512 characters")
    match = _REFERENCE.fullmatch(reference)
    if not match:
        raise InvalidInput(
            f"invalid image reference {reference!r}: expected [registry[:port]/]name[:tag][@sha256:digest] "
            "with a lowercase name"
        )
    domain = match.group("domain")
    looks_like_host = domain and ("." in domain or ":" in domain or domain == "localhost" or domain.startswith("["))
    if domain and not looks_like_host and not re.fullmatch(_PATH_COMPONENT, domain):
        # Like docker: a first component without '.' or ':' is part of the name, not a registry.
        raise InvalidInput(f"invalid image reference {reference!r}: repository names must be lowercase")
    algorithm, _, hex_part = (match.group("digest") or "").partition(":")
    length = _DIGEST_HEX.get(algorithm)
    if length and (len(hex_part) != length or hex_part != hex_part.lower()):
        raise InvalidInput(
            f"invalid image reference {reference!r}: a {algorithm} digest has {length} lowercase hex characters"
        )
    return reference


def image_error(reference: str) -> str | None:
    """The one-line problem with an image reference, or None (for validate-as-you-type)."""
    try:
        validate_image(reference)
    except InvalidInput as error:
        return str(error)
    return None


def environment_name_error(app: str, env: str) -> str | None:
    try:
        validate_environment_name(app, env)
    except InvalidInput as error:
        return str(error)
    return None
