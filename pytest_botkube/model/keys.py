"""What the file says before BotKube reads it: keys Helm drops or renames, and keys nobody reads.

``lint`` reports these beside the model's predictions. Each check works on the user's own file
(its keys and lines), never on the chart's defaults, so every finding points at a line that
exists in that file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pytest_botkube.yamlio import KeyNote, KeyPath, YamlDocument, format_key_path

Severity = Literal["error", "warning", "info"]

HELM_DUPLICATE_KEYS = "https://github.com/helm/helm/issues/4107"
HELM_KEY_TYPES = "https://github.com/kubernetes-sigs/yaml/blob/v1.4.0/yaml.go"


@dataclass(frozen=True)
class FileFinding:
    """A finding about the file itself; the analysis gives it a place (``where``)."""

    code: str
    name: str
    severity: Severity
    path: KeyPath
    message: str
    fix: str
    upstream: str


def _lines(lines: tuple[int, ...]) -> str:
    return ", ".join(str(line) for line in lines[:-1]) + f" and {lines[-1]}"


def _note_finding(note: KeyNote) -> FileFinding:
    key = format_key_path(note.path)
    if note.kind == "duplicate":
        lines = (*note.dropped, note.line)
        return FileFinding(
            "BK040",
            "duplicate-key",
            "warning",
            note.path,
            f"{key} is written more than once (lines {_lines(lines)}): Helm keeps the last one "
            f"(line {note.line}) without a message, so the block at line "
            f"{_lines(note.dropped) if len(note.dropped) > 1 else note.dropped[0]} is never "
            "installed; every finding here is about the block Helm keeps",
            "keep one block (merge the two by hand)",
            HELM_DUPLICATE_KEYS,
        )
    if note.kind == "collision":
        lines = (*note.dropped, note.line)
        return FileFinding(
            "BK042",
            "keys-collide",
            "warning",
            note.path,
            f"the keys at lines {_lines(lines)} are different YAML types that Helm turns into the "
            f"same string {note.path[-1]!r}; Helm then keeps one of them at random (Go map "
            f"order), lint reads the last (line {note.line})",
            "quote the keys and keep one",
            HELM_KEY_TYPES,
        )
    kind = "a boolean" if note.path[-1] in ("true", "false") else "a number"
    return FileFinding(
        "BK041",
        "key-not-a-string",
        "warning",
        note.path,
        f"key {note.written!r} is {kind} in YAML 1.1: Helm turns it into the string "
        f"{note.path[-1]!r}, which is what BotKube sees",
        f"quote it: '{note.written}': if you meant the text, or write {note.path[-1]!r}",
        HELM_KEY_TYPES,
    )


def file_findings(document: YamlDocument, botkube_version: str) -> list[FileFinding]:
    """Every finding about how Helm reads the file, in line order."""
    del botkube_version  # the key tables below are per version; the notes are not
    return [_note_finding(note) for note in document.notes]
