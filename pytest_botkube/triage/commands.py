"""``helm install|upgrade`` and ``botkube install`` command lines from a report, read as Helm
reads their ``--set`` flags.

Helm (pkg/strvals) splits a ``--set`` value on unescaped commas into ``key=value`` pairs,
keys on unescaped dots into a path (``name[2]`` addresses a list item), and types each value:
``true``/``false`` become booleans, ``null`` deletes, a decimal integer without a leading zero
becomes a number, ``{a,b}`` a list; ``--set-string`` keeps strings and ``--set-json`` reads
JSON. Flags apply in order, after every ``-f`` file. The tests check this reading against the
real helm binary.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pytest_botkube.helm_values import deep_merge

_COMMAND = re.compile(
    r"^\s*(?:[$#>]\s*)?(?P<tool>helm|botkube)\s+(?P<verb>install|upgrade|template)\b"
)
_INT = re.compile(r"^[-+]?[0-9]+$")
_INDEX = re.compile(r"^(?P<name>.*)\[(?P<index>\d+)\]$")
#: helm's cap on a list index in --set (pkg/strvals: MaxIndex)
MAX_INDEX = 65536


class SetError(ValueError):
    """A ``--set`` value helm would refuse; the message says which part."""


@dataclass
class HelmCommand:
    """One install/upgrade command as written in the report."""

    line: int  # 1-based line within the block
    tool: str  # helm or botkube
    verb: str
    argv: tuple[str, ...]
    sets: list[tuple[str, str]] = field(default_factory=list)  # (flag, value) in order
    files: list[str] = field(default_factory=list)  # -f/--values
    version: str | None = None  # --version
    chart: str | None = None
    errors: list[str] = field(default_factory=list)

    def values(self) -> dict[str, Any]:
        """The ``--set*`` flags applied in order onto an empty overlay."""
        out: dict[str, Any] = {}
        for flag, text in self.sets:
            try:
                out = apply_set(out, text, flag)
            except SetError as exc:
                self.errors.append(f"{flag} {text!r}: {exc}")
        return out


def _split_unescaped(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside backslash escapes and ``{...}`` lists; escapes are kept."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _typed(text: str, flag: str) -> Any:
    if flag == "--set-string":
        return _unescape(text)
    if flag == "--set-json":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise SetError(f"not JSON: {exc}") from None
    raw = _unescape(text)
    lowered = raw.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    if lowered == "null":
        return None
    if raw == "0":
        return 0
    if raw and raw[0] != "0" and _INT.match(raw) and -(2**63) <= int(raw) < 2**63:
        return int(raw)  # Go's strconv.ParseInt(raw, 10, 64), as helm's typedVal
    return raw


def _value(text: str, flag: str) -> Any:
    if flag != "--set-json" and text.startswith("{") and text.endswith("}"):
        return [_typed(item, flag) for item in _split_unescaped(text[1:-1], ",") if item != ""]
    return _typed(text, flag)


def _path(key: str) -> list[str | int]:
    out: list[str | int] = []
    for part in _split_unescaped(key, "."):
        indexes: list[int] = []
        while True:
            m = _INDEX.match(part)
            if m is None or part.endswith("\\]"):
                break
            index = int(m["index"])
            if index > MAX_INDEX:
                raise SetError(f"index {index} is larger than helm's maximum {MAX_INDEX}")
            indexes.insert(0, index)
            part = m["name"]
        if part == "" and not indexes:
            raise SetError(f"empty key in {key!r}")
        if part:
            out.append(_unescape(part))
        out.extend(indexes)
    return out


def _assign(node: Any, path: list[str | int], value: Any) -> Any:
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        items = list(node) if isinstance(node, list) else []
        while len(items) <= head:
            items.append(None)
        items[head] = _assign(items[head], rest, value) if rest else value
        return items
    mapping = dict(node) if isinstance(node, dict) else {}
    if rest:
        mapping[head] = _assign(mapping.get(head), rest, value)
    else:
        mapping[head] = value  # a null stays: Helm's merge with the chart then deletes the key
    return mapping


def apply_set(values: dict[str, Any], text: str, flag: str = "--set") -> dict[str, Any]:
    """``values`` with one ``--set``-style flag value applied (a new dict)."""
    out = values
    for pair in _split_unescaped(text, ","):
        if pair == "":
            continue
        key, eq, raw = pair.partition("=")
        while eq and key.endswith("\\"):  # an escaped '=' belongs to the key
            more_key, eq, raw = raw.partition("=")
            key = f"{key}={more_key}"
        if not eq:
            raise SetError(f"key {key!r} has no value (expected key=value)")
        path = _path(key)
        if not path:
            raise SetError(f"empty key in {pair!r}")
        overlay = _assign({}, path, _value(raw, flag))
        out = _merge_set(out, overlay)
    return out


def _merge_set(base: Any, overlay: Any) -> Any:
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = dict(base)
        for key, value in overlay.items():
            merged[key] = _merge_set(base.get(key), value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(overlay, list):
        items = list(base)
        for index, value in enumerate(overlay):
            if value is None and index < len(items):
                continue  # a padding slot, not an assignment
            while len(items) <= index:
                items.append(None)
            items[index] = _merge_set(items[index], value) if items[index] is not None else value
        return items
    return overlay


_VALUE_FLAGS = {
    "--set": "--set",
    "--set-string": "--set-string",
    "--set-json": "--set-json",
    "--set-file": "--set-file",
    "--set-literal": "--set-literal",
}
_WITH_ARGUMENT = {
    "-f",
    "--values",
    "--version",
    "-n",
    "--namespace",
    "--kube-context",
    "--kubeconfig",
    "--repo",
    "--timeout",
    "--post-renderer",
    "--description",
    "-o",
    "--output",
    "--username",
    "--password",
    "--ca-file",
    "--cert-file",
    "--key-file",
    "--repository-config",
    "--registry-config",
    "--repository-cache",
    "--cloud-org-id",
    "--cloud-instance-id",
    "--cloud-api-key",
    "--helm-timeout",
    "--chart-name",
    "--release-name",
}


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """Lines with shell continuations (trailing backslash) joined; 1-based first line."""
    pending: list[str] = []
    first = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not pending:
            first = number
        stripped = line.rstrip()
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(line)
        yield first, " ".join(pending)
        pending = []
    if pending:
        yield first, " ".join(pending)


def find_commands(text: str) -> list[HelmCommand]:
    """Every ``helm install|upgrade|template`` and ``botkube install|upgrade`` in ``text``."""
    found: list[HelmCommand] = []
    for number, line in _logical_lines(text):
        m = _COMMAND.match(line)
        if m is None:
            continue
        try:
            argv = shlex.split(line[m.start("tool") :], comments=False, posix=True)
        except ValueError:
            argv = line[m.start("tool") :].split()
        command = HelmCommand(line=number, tool=m["tool"], verb=m["verb"], argv=tuple(argv))
        positional: list[str] = []
        i = 2
        while i < len(argv):
            arg = argv[i]
            name, eq, inline = arg.partition("=")
            if name in _VALUE_FLAGS or name in _WITH_ARGUMENT:
                if eq:
                    value: str | None = inline
                else:
                    value = argv[i + 1] if i + 1 < len(argv) else None
                    i += 1
                if value is None:
                    command.errors.append(f"{name} has no value")
                elif name in ("--set-file",):
                    command.errors.append(
                        f"{name} {value}: reads a file that is not in the report; ignored"
                    )
                elif name in _VALUE_FLAGS:
                    command.sets.append((_VALUE_FLAGS[name], value))
                elif name in ("-f", "--values"):
                    command.files.extend(v for v in value.split(",") if v)
                elif name == "--version":
                    command.version = value
            elif arg.startswith("-"):
                pass  # a switch (--install, --wait, --create-namespace, ...)
            else:
                positional.append(arg)
            i += 1
        # helm install NAME CHART / helm upgrade NAME CHART / helm install CHART --generate-name
        if positional:
            command.chart = positional[-1] if command.tool == "helm" else None
        found.append(command)
    return found


def merge_commands(commands: Iterable[HelmCommand]) -> dict[str, Any]:
    """The ``--set`` values of several commands, later ones on top (Helm's merge)."""
    out: dict[str, Any] = {}
    for command in commands:
        out = deep_merge(out, command.values())
    return out
