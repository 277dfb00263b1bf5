"""The placeholder engine: `${name}` and `${random:N}` in multi-document YAML.

One engine for environment types (which offer `${app}`, `${env}`, `${namespace}`) and
the demo's data files (which add a few values of their own): the caller passes the
names it offers, and an unknown placeholder is an error that lists exactly those.
Errors are one line and name the document (`where`), because users write these files.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Mapping

import yaml

from hotclone.core.cluster import Obj
from hotclone.core.errors import InvalidInput

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_RANDOM = re.compile(r"^random:(\d{1,3})$")
_RANDOM_MAX = 256
_ALPHABET = string.ascii_lowercase + string.digits


def split_documents(text: str) -> tuple[str, ...]:
    """The non-empty documents of a multi-document YAML text, unparsed (placeholders intact).

    Each keeps its last newline: a block scalar (`|`) ending the document keeps its own.
    """
    parts = re.split(r"^---\s*$", text, flags=re.M)
    return tuple(p.strip("\n") + "\n" for p in parts if p.strip())


def expand(document: str, values: Mapping[str, str], where: str) -> str:
    """Replace every placeholder; `${random:N}` is N fresh lowercase letters and digits."""

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in values:
            return values[key]
        random = _RANDOM.match(key)
        if random and 1 <= int(random.group(1)) <= _RANDOM_MAX:
            return "".join(secrets.choice(_ALPHABET) for _ in range(int(random.group(1))))
        known = ", ".join([*(f"${{{name}}}" for name in values), "${random:N}"])
        raise InvalidInput(f"{where}: unknown placeholder ${{{key}}} (known: {known})")

    return _PLACEHOLDER.sub(replace, document)


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster on the demo's 400 lines


def parse(text: str, where: str) -> object:
    """One YAML document; None when it is empty."""
    try:
        return yaml.load(text, Loader=_LOADER)  # a safe loader (libyaml's when available)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        raise InvalidInput(f"{where}: invalid YAML{line}: {getattr(error, 'problem', error)}") from None


def render(document: str, values: Mapping[str, str], where: str) -> object:
    """Expand, then parse one document."""
    return parse(expand(document, values, where), where)


def render_objects(text: str, values: Mapping[str, str], source: str) -> list[Obj]:
    """The objects of a multi-document text; a document of only comments is skipped."""
    objects: list[Obj] = []
    for number, document in enumerate(split_documents(text), start=1):
        where = f"{source}, document {number}"
        obj = render(document, values, where)
        if obj is None:
            continue
        if not isinstance(obj, dict) or not obj.get("kind"):
            raise InvalidInput(f"{where}: not a Kubernetes object (needs kind)")
        objects.append(obj)
    return objects
