"""The placeholder engine that environment types and the demo's data files share (no cluster needed)."""

from __future__ import annotations

import re

import pytest

from hotclone.core import templates
from hotclone.core.errors import InvalidInput

TYPE_VALUES = {"app": "shop", "env": "qa", "namespace": "shop-qa"}


def test_unknown_placeholder_lists_exactly_the_names_offered() -> None:
    with pytest.raises(InvalidInput) as error:
        templates.expand("name: ${version}", TYPE_VALUES, "type 'x', template document 1")
    message = str(error.value)
    assert message == (
        "type 'x', template document 1: unknown placeholder ${version} "
        "(known: ${app}, ${env}, ${namespace}, ${random:N})"
    )
    extra = {**TYPE_VALUES, "version": "1.0"}
    assert templates.expand("image: ${app}:${version}", extra, "demo") == "image: shop:1.0"


def test_random_is_fresh_lowercase_alphanumerics_of_the_asked_length() -> None:
    first = templates.expand("${random:24}", {}, "t")
    assert re.fullmatch(r"[a-z0-9]{24}", first)
    assert first != templates.expand("${random:24}", {}, "t")
    with pytest.raises(InvalidInput, match=r"unknown placeholder \$\{random:0\}"):
        templates.expand("${random:0}", {}, "t")


def test_documents_split_and_a_final_block_scalar_keeps_its_newline() -> None:
    text = "kind: A\n---\n\n---\nkind: B\ndata:\n  x: |\n    line\n"
    assert templates.split_documents(text) == ("kind: A\n", "kind: B\ndata:\n  x: |\n    line\n")
    objects = templates.render_objects("# only a comment\n---\n" + text, {}, "file f")
    assert [o["kind"] for o in objects] == ["A", "B"]
    assert objects[1]["data"]["x"] == "line\n"


def test_errors_are_one_line_and_name_the_document() -> None:
    with pytest.raises(InvalidInput, match=r"^file f, document 2: invalid YAML at line \d+: ") as error:
        templates.render_objects("kind: A\n---\nkind: [unclosed\n", {}, "file f")
    assert "\n" not in str(error.value)
    with pytest.raises(InvalidInput, match=r"^file f, document 1: not a Kubernetes object"):
        templates.render_objects("- a list\n", {}, "file f")
