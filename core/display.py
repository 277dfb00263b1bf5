"""Text from a cluster or a user, made safe to show on a terminal.

A ConfigMap value, an annotation, a `--reason` or an image can hold control characters:
ESC starts sequences that retitle, clear or recolour the terminal (kubectl's
CVE-2021-25743), CR and BS overwrite what was printed, and Unicode bidi controls
reorder a line so it reads differently from what it holds (Trojan Source). Every front
end passes such text through `safe` before it reaches a screen or a terminal; JSON
output needs nothing (json.dumps escapes control characters itself).

Escapes are JSON's (`\\u001b`, `\\t`, `\\r`, ...): the notation `--json` prints for the same
character, and valid inside a YAML double-quoted string too. Printable Unicode (Hangul,
accents, emoji with their joiners and variation selectors) is never touched.
"""

from __future__ import annotations

import json
import re

# C0 except \n (its own choice below), DEL and C1; lone surrogates (unprintable, and
# they make a UTF-8 terminal write fail); bidi controls (ALM, LRM, RLM, LRE..RLO,
# LRI..PDI); and format characters that hide text and have no use in a script: zero
# width space, word joiner and invisible operators, Mongolian vowel separator, line and
# paragraph separators, the deprecated shaping controls, BOM, interlinear annotations.
# Zero-width (non-)joiners stay: emoji sequences, Persian and Indic text need them.
_CONTROLS = (
    r"\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\u061c\u180e\u200b\u200e\u200f"
    r"\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
_LINE = re.compile(f"[\\n{_CONTROLS}]")
_BLOCK = re.compile(f"[{_CONTROLS}]")
_SHORT = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT.get(char) or f"\\u{ord(char):04x}"


def safe(text: str, *, multiline: bool = False) -> str:
    """`text` with every control character written as a visible escape.

    One line unless `multiline`, which keeps newlines for text meant as a block (YAML,
    a modal's body); a tab is escaped either way, since it would break columns. Safe
    text comes back unchanged, so applying it twice does no harm.
    """
    return (_BLOCK if multiline else _LINE).sub(_escape, text)


def value(text: str) -> str:
    """A value on one line: itself when nothing needs escaping, else quoted JSON-style.

    Quoting escapes backslashes too, so a value holding ESC (`"x\\u001b"`) never looks
    like one holding the six characters `\\u001b` (shown bare), and old -> new lines
    cannot show two different values alike.
    """
    if not _LINE.search(text):
        return text
    return safe(json.dumps(text, ensure_ascii=False))
