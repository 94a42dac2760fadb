"""Text that reaches a person: values cut to a readable length, terminal controls made visible.

Pure (no I/O). Every message and text report goes through these, because what they show comes
from files and logs the user did not write: a 50 MB scalar must not become 50 MB of stderr, and
an escape sequence or a bidi override in a log field must not recolour, move or reorder what
the terminal shows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "MAX_MESSAGE",
    "MAX_VALUE",
    "clip",
    "count",
    "describe_value",
    "one_line",
    "safe",
    "shown",
]

#: Characters of one value quoted in a message (a resource type, a version, a key).
MAX_VALUE = 80
#: Characters of a whole one-line message (file, line, key path, what, the values).
MAX_MESSAGE = 1000

# C0 and C1 controls except tab and newline, DEL, and the Unicode format characters that
# reorder or hide text: bidi embeddings/overrides/isolates, zero-width and invisible marks.
_UNSAFE_CHARS = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 but tab and newline, DEL, C1
    "\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069"  # bidi marks, overrides, isolates
    "\ufeff\ufff9-\ufffb"  # zero-width no-break space, interlinear annotation
)
_UNSAFE = re.compile(f"[{_UNSAFE_CHARS}]")
_UNSAFE_OR_NEWLINE = re.compile(f"[\t\n{_UNSAFE_CHARS}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\x1b": "\\e"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: str) -> str:
    """``text`` with every control character (but tab and newline) and every bidi/invisible
    format character shown as an escape (``\\e``, ``\\x07``, ``\\u202e``): printable as is."""
    if text.isprintable() and text.isascii():
        return text  # the common case, without the regex
    return _UNSAFE.sub(_escape, text)


def clip(text: str, limit: int = MAX_VALUE) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit:,} more characters)"


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """A message as one safe line: newlines and tabs escaped too, cut to ``limit``. The head
    is kept because it holds the file, the line and the key."""
    return clip(_UNSAFE_OR_NEWLINE.sub(_escape, text), limit)


def shown(value: Any, limit: int = MAX_VALUE) -> str:
    """``repr`` of a value for a message, safe and cut."""
    if isinstance(value, str):
        return repr(clip(value, limit))
    return clip(repr(value), limit)


def describe_value(value: Any) -> str:
    """What a value is, for "expected X, got Y": ``null``, ``a boolean (true)``, ``a list``,
    ``a mapping``, ``a string ('abc')``, ``a number (3)``; quoted values are cut."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        return f"a string ({shown(value)})"
    if isinstance(value, int | float):
        return f"a number ({shown(value)})"
    return f"{type(value).__name__} ({shown(value)})"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun in the number ``n`` needs: ``1 delivery``, ``0 deliveries``,
    ``2 rejected requests``. ``plural`` when it is not the noun + s (``delivery``'s is
    ``deliveries``: a final consonant + y becomes ies)."""
    if n == 1:
        return f"{n} {noun}"
    if plural is None:
        if noun.endswith("y") and noun[-2:-1] not in tuple("aeiou"):
            plural = noun[:-1] + "ies"
        else:
            plural = noun + "s"
    return f"{n} {plural}"
