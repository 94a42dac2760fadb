"""YAML loading that remembers where each key stood, so errors can name file, line and key path."""

from __future__ import annotations

import base64
import math
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from pytest_botkube.errors import BadInput
from pytest_botkube.inputs import decode_text, input_name, read_input
from pytest_botkube.text import clip

KeyPath = tuple[str | int, ...]

# libyaml's parser when PyYAML was built with it (the wheels are): about five times faster.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def format_key_path(parts: Sequence[str | int]) -> str:
    """``("sources", "k8s", "botkube/kubernetes", "config", "resources", 0)`` ->
    ``sources.k8s.botkube/kubernetes.config.resources[0]``; keys holding dots are quoted."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "." in part or " " in part or not part:
            out += f'["{part}"]'
        else:
            out += f".{part}" if out else part
    return out or "<root>"


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML document with the line of every mapping key and sequence item."""

    name: str
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    notes: tuple[KeyNote, ...] = ()  # what Helm did to keys without a message

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """Line of ``path`` or of its nearest ancestor that has one."""
        parts = tuple(path)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return None

    def where(self, path: Sequence[str | int]) -> str:
        """``file:line: key.path`` for messages."""
        line = self.line_of(path)
        loc = f"{self.name}:{line}" if line is not None else self.name
        return f"{loc}: {format_key_path(path)}"

    def error(self, path: Sequence[str | int], message: str) -> BadInput:
        return BadInput(f"{self.where(path)}: {message}")

    def refuse_key_notes(self) -> None:
        """For our own files (scenarios): a key Helm would silently drop or rename is an error."""
        for note in self.notes:
            key = format_key_path(note.path)
            if note.kind == "extra-document":
                raise BadInput(
                    f"{self.name}:{note.line}: a second YAML document starts here; a scenario "
                    "file is one document (Helm too reads only the first of a values file)"
                )
            if note.kind == "not-a-string":
                raise BadInput(
                    f"{self.name}:{note.line}: {key}: key {note.written!r} is not a string "
                    f"(Helm turns it into {note.path[-1]!r}); quote it"
                )
            lines = " and ".join(str(line) for line in (*note.dropped, note.line))
            raise BadInput(f"{self.name}:{note.line}: {key}: duplicate key (lines {lines})")


#: Nodes a document may expand to once aliases are followed; a realistic values file (1,000
#: sources x 5 resources) has about 60,000. Above it the file is an alias bomb, not a config.
MAX_EXPANDED_NODES = 2_000_000


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_aliases(root: yaml.Node, name: str) -> None:
    """Refuse a node that contains itself (``&a [*a]``) and an alias bomb: everything that reads
    the data (the model, the merge, the dump) walks it as a tree."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            size = 1 + sum(sizes[id(child)] for child in _children(node))
            if size > MAX_EXPANDED_NODES:
                raise BadInput(
                    f"{name}:{node.start_mark.line + 1}: invalid YAML: aliases expand to more "
                    f"than {MAX_EXPANDED_NODES:,} nodes"
                )
            sizes[key] = size
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise BadInput(
                f"{name}:{node.start_mark.line + 1}:{node.start_mark.column + 1}: invalid YAML: "
                "an alias refers to a node that contains it (a recursive structure)"
            )
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if isinstance(child, yaml.ScalarNode):
                sizes[id(child)] = 1  # most nodes: no need to visit them
            elif id(child) not in sizes:
                stack.append((child, False))


# --------------------------------------------------------------------------- Helm's reading
# Helm reads a values file with sigs.k8s.io/yaml: go-yaml v2 decodes it (YAML 1.1 scalars, keys
# of any scalar type, a repeated key silently overwritten, ``<<`` merges applied in order), then
# every key is turned into a string for JSON. PyYAML differs on each point, so the document is
# built here from the composed nodes the way Helm builds it, remembering what Helm does silently.

_TAG = "tag:yaml.org,2002:"
_PLAIN = "tag:pytest-botkube:plain"  # an untagged plain scalar: resolved below as go-yaml v2 does
_HINTS = {**dict.fromkeys("+-", "S"), **dict.fromkeys("0123456789", "D")}
_HINTS.update({**dict.fromkeys("yYnNtTfFoO~", "M"), ".": "."})
_WORDS: dict[str, Any] = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE"), True),
    **dict.fromkeys(("on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE"), False),
    **dict.fromkeys(("off", "Off", "OFF"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
_GO_INT = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_GO_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?")
_INT64 = (-(2**63), 2**63 - 1)


def _go_int(text: str) -> int | None:
    """Go's ``strconv.ParseInt(text, 0, 64)``, then ``ParseUint``: 0x, 0o, 0b and a leading 0
    (octal) prefixes; None when neither accepts it."""
    match = _GO_INT.fullmatch(text)
    if match is None:
        return None
    sign, digits = match.groups()
    prefix = digits[:2].lower()
    if prefix in ("0x", "0o", "0b"):
        value = int(digits[2:], {"0x": 16, "0o": 8, "0b": 2}[prefix])
    elif len(digits) > 1 and digits[0] == "0":
        value = int(digits[1:], 8)
    else:
        value = int(digits)
    value = -value if sign == "-" else value
    if _INT64[0] <= value <= _INT64[1] or (not sign and value < 2**64):
        return value
    return None


def helm_scalar(text: str) -> Any:
    """What go-yaml v2 (Helm's parser) makes of an untagged plain scalar: YAML 1.1 words
    (``yes``, ``on``, ``y`` are true), Go integer syntax, floats, else the text. A timestamp stays
    text, as Helm keeps it."""
    hint = _HINTS.get(text[:1], "M" if not text else None)
    if hint is None:
        return text
    if text in _WORDS:
        return _WORDS[text]
    if hint == ".":
        return float(text) if _DOT_FLOAT.fullmatch(text) else text
    if hint == "M":
        return text
    plain = text.replace("_", "")
    number = _go_int(plain)
    if number is not None:
        return number
    if _GO_FLOAT.fullmatch(plain):
        value = float(plain)
        return text if math.isinf(value) else value  # Go refuses an out-of-range float
    return text


def _float32_text(value: float) -> str:
    """Go's ``strconv.FormatFloat(value, 'g', -1, 32)``, as sigs.k8s.io/yaml spells a float key."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    single = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):  # the shortest decimal that reads back as the same float32
        mantissa, exponent = f"{single:.{digits - 1}e}".split("e")
        if struct.unpack("f", struct.pack("f", float(f"{mantissa}e{exponent}")))[0] == single:
            break
    sign = "-" if mantissa.startswith("-") else ""
    figures = mantissa.lstrip("-").replace(".", "").rstrip("0") or "0"
    exp = int(exponent)
    if exp < -4 or exp >= 6:  # Go switches to %e from exponent 6 for the shortest form
        rest = f".{figures[1:]}" if len(figures) > 1 else ""
        return f"{sign}{figures[0]}{rest}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp < 0:
        return f"{sign}0.{'0' * (-exp - 1)}{figures}"
    whole, frac = figures[: exp + 1].ljust(exp + 1, "0"), figures[exp + 1 :]
    return f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}"


def helm_key_text(key: Any) -> str:
    """The string Helm makes of a decoded key: ``1`` -> ``"1"``, ``yes`` -> ``"true"``."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return _float32_text(key)
    return str(key)


NoteKind = Literal["duplicate", "not-a-string", "collision", "extra-document"]

#: The key path a note about the documents after the first stands under (``format_key_path``
#: shows it as written in the file), so that its finding names the line where Helm stops reading.
REST_OF_FILE: KeyPath = ("---",)


@dataclass(frozen=True)
class KeyNote:
    """Something Helm does to a key without saying so; ``line`` is the occurrence Helm keeps.

    ``duplicate``: the same key more than once, Helm keeps the last (``dropped`` lines lose);
    ``not-a-string``: a key Helm decodes as a number or boolean and turns into ``path[-1]``;
    ``collision``: keys of different types that Helm turns into one string: it keeps one of them
    *at random* (Go map order); this reader keeps the last, ``dropped`` lists the others;
    ``extra-document``: the file goes on after its first YAML document (``---``): Helm reads only
    the first and ignores the rest, at ``line`` (path :data:`REST_OF_FILE`).
    """

    kind: NoteKind
    path: KeyPath
    line: int
    written: str
    dropped: tuple[int, ...] = ()


def _helm_resolve(
    self: yaml.SafeLoader, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]
) -> str:
    """Tags every untagged plain scalar so that the builder resolves it the way Helm does."""
    if kind is yaml.ScalarNode and implicit[0]:
        return _PLAIN
    return cast(str, _Loader.resolve(self, kind, value, implicit))  # type: ignore[no-untyped-call]


_HelmLoader: type[yaml.SafeLoader] = type("_HelmLoader", (_Loader,), {"resolve": _helm_resolve})


class _Builder:
    """Builds Helm's view of a composed document, with the line of every kept key and item."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lines: dict[KeyPath, int] = {}
        self.notes: dict[tuple[NoteKind, KeyPath, int], KeyNote] = {}

    def fail(self, node: yaml.Node, message: str) -> BadInput:
        mark = node.start_mark
        return BadInput(f"{self.name}:{mark.line + 1}:{mark.column + 1}: {message}")

    def scalar(self, node: yaml.ScalarNode) -> Any:
        tag, text = node.tag, node.value
        if tag == _PLAIN:
            return helm_scalar(text)
        if not tag.startswith(_TAG) or tag == f"{_TAG}str":
            return text  # go-yaml v2 keeps the text of a tag it does not resolve
        kind = tag[len(_TAG) :]
        if kind == "binary":
            try:
                return base64.b64decode(text, validate=False).decode("utf-8", "replace")
            except ValueError:
                raise self.fail(node, f"invalid YAML: cannot decode !!binary {text!r}") from None
        value = helm_scalar(text)
        if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        wanted = {"bool": bool, "int": int, "float": float, "null": type(None)}.get(kind)
        if wanted is None or (type(value) is wanted):
            return value if wanted is not None else text
        raise self.fail(node, f"invalid YAML: cannot decode {text!r} as !!{kind}")

    def typed_key(self, node: yaml.Node) -> tuple[str, Any]:
        if not isinstance(node, yaml.ScalarNode):
            what = "a mapping" if isinstance(node, yaml.MappingNode) else "a list"
            raise self.fail(node, f"Helm refuses this file: {what} cannot be a key")
        value = self.scalar(node)
        if value is None:
            raise self.fail(node, "Helm refuses this file: a null key (empty, ~ or null)")
        if isinstance(value, float) and math.isnan(value):
            return "nan", id(node)  # NaN is never equal to itself: each one is its own key
        if isinstance(value, int) and not isinstance(value, bool) and value > _INT64[1]:
            raise self.fail(node, f"Helm refuses this file: key {node.value} is too big")
        return type(value).__name__, value

    def entries(
        self, node: yaml.MappingNode, path: KeyPath
    ) -> dict[Any, tuple[yaml.Node, yaml.Node]]:
        """go-yaml v2's map: keys in order, a repeated key overwrites, ``<<`` applies in place."""
        out: dict[Any, tuple[yaml.Node, yaml.Node]] = {}
        explicit: set[Any] = set()
        for key_node, value_node in node.value:
            if (
                isinstance(key_node, yaml.ScalarNode)
                and key_node.value == "<<"
                and (key_node.tag in (_PLAIN, f"{_TAG}merge"))
            ):
                for source in self.merge_sources(value_node):
                    out.update(self.entries(source, path))
                continue
            key = self.typed_key(key_node)
            if key in explicit:
                first = out[key][0]
                self.note(
                    "duplicate",
                    (*path, helm_key_text(key[1])),
                    key_node,
                    first.value,
                    (first.start_mark.line + 1,),
                )
            explicit.add(key)
            out[key] = (key_node, value_node)
        return out

    def merge_sources(self, node: yaml.Node) -> list[yaml.MappingNode]:
        if isinstance(node, yaml.MappingNode):
            return [node]
        if isinstance(node, yaml.SequenceNode) and all(
            isinstance(item, yaml.MappingNode) for item in node.value
        ):
            return list(reversed(node.value))  # earlier maps take precedence: applied last
        raise self.fail(node, "invalid YAML: a << merge needs a mapping or a list of mappings")

    def note(
        self, kind: NoteKind, path: KeyPath, kept: yaml.Node, written: str, dropped: tuple[int, ...]
    ) -> None:
        line = kept.start_mark.line + 1
        self.notes.setdefault((kind, path, line), KeyNote(kind, path, line, written, dropped))

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.lines[(*path, index)] = item.start_mark.line + 1
                items.append(self.build(item, (*path, index)))
            return items
        by_text: dict[str, list[tuple[Any, yaml.Node, yaml.Node]]] = {}
        for key, (key_node, value_node) in self.entries(cast(yaml.MappingNode, node), path).items():
            by_text.setdefault(helm_key_text(key[1]), []).append((key, key_node, value_node))
        out: dict[str, Any] = {}
        for text, group in by_text.items():
            group.sort(key=lambda entry: entry[1].start_mark.index)
            key, key_node, value_node = group[-1]
            child = (*path, text)
            if len(group) > 1:
                dropped = tuple(k.start_mark.line + 1 for _, k, _ in group[:-1])
                self.note("collision", child, key_node, key_node.value, dropped)
            for other_key, other_node, _ in group:
                if other_key[0] != "str":
                    self.note("not-a-string", child, other_node, other_node.value, ())
            self.lines[child] = key_node.start_mark.line + 1
            out[text] = self.build(value_node, child)
        return out


#: Collections nested in one another. libyaml stops at 1,000; everything that reads the data
#: (the builder above, the model, the merge, the dump, the redaction) walks it recursively, and
#: Python's recursion limit comes first, so the reader refuses deeper files itself. A values
#: file needs about ten levels.
MAX_DEPTH = 100


def _check_depth(root: yaml.Node, name: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH, aliases followed (without recursion)."""
    deepest: dict[int, int] = {}  # a node shared through an alias is walked again only deeper
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, yaml.ScalarNode) or deepest.get(id(node), 0) >= depth:
            continue
        if depth > MAX_DEPTH:
            raise BadInput(
                f"{name}:{node.start_mark.line + 1}: invalid YAML: nested deeper than "
                f"{MAX_DEPTH} levels"
            )
        deepest[id(node)] = depth
        stack.extend((child, depth + 1) for child in _children(node))


# What YAML 1.1 accepts in a stream (tab, newline, carriage return, printable, NEL, ...).
_NOT_YAML = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _reader_error(text: str, name: str, exc: yaml.YAMLError) -> BadInput:
    """A character YAML does not allow, by line and column (the reader gives an offset)."""
    found = _NOT_YAML.search(text)
    if found is None:
        return BadInput(f"{name}: invalid YAML: {clip(str(exc).splitlines()[0])}")
    at = found.start()
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    char = found.group()
    what = "a NUL byte" if char == "\0" else f"the control character U+{ord(char):04X}"
    return BadInput(f"{name}:{line}:{column}: invalid YAML: {what} (YAML text cannot hold it)")


def _walk(node: yaml.Node, prefix: KeyPath, lines: dict[KeyPath, int]) -> None:
    """Lines of PyYAML's reading (``helm=False``): the first occurrence of a key."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key: str | int = key_node.value
            if key == "<<":
                _walk(value_node, prefix, lines)
                continue
            path = (*prefix, key)
            lines.setdefault(path, key_node.start_mark.line + 1)
            _walk(value_node, path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = (*prefix, index)
            lines.setdefault(path, item.start_mark.line + 1)
            _walk(item, path, lines)


_FENCE = re.compile(r"^\s*(```|~~~)", re.M)
_TEMPLATE = re.compile(r"\{\{.*?\}\}")


def pasted_hint(text: str) -> str:
    """What a file that is not plain YAML looks like, and what to do: '' when nothing stands out.

    Appended to a parse error: the usual causes are a Markdown fence copied from an issue and a
    chart template instead of a values file."""
    fence = _FENCE.search(text)
    if fence:
        line = text.count("\n", 0, fence.start()) + 1
        return (
            f"; line {line} is a Markdown code fence ({fence.group(1)}) copied with the YAML: "
            "keep only the lines between the fences"
        )
    template = _TEMPLATE.search(text)
    if template:
        line = text.count("\n", 0, template.start()) + 1
        return (
            f"; line {line} holds Helm template syntax ({template.group(0)[:40]}): this looks "
            "like a chart template, and a values file is plain YAML: pass the file you give "
            "helm with -f (`helm get values RELEASE -n NAMESPACE` prints an installed one)"
        )
    return ""


def not_values_reason(data: Any) -> str:
    """Why a parsed file is not Helm values ('' when it may be): a Kubernetes manifest, such as
    ``kubectl get configmap -o yaml`` output of the agent's rendered config."""
    if isinstance(data, dict) and "apiVersion" in data and "kind" in data:
        kind = data.get("kind")
        return (
            f"this is a Kubernetes {kind} manifest (apiVersion/kind, e.g. `kubectl get -o yaml` "
            "output), not Helm values: pass the values file you give helm with -f "
            "(`helm get values RELEASE -n NAMESPACE` prints an installed release's); "
            "`botkube-repro doctor` reads a running agent's config"
        )
    if isinstance(data, list):
        return "the file is a YAML list; Helm values are a mapping (sources:, communications:, ...)"
    if data is not None and not isinstance(data, dict):
        return f"the file is a single {type(data).__name__} value; Helm values are a mapping"
    return ""


def parse_yaml(text: str, name: str, *, helm: bool = True) -> YamlDocument:
    """Parse one YAML document (see :func:`_parse`); an error names what a pasted file looks
    like when it holds a Markdown fence or template syntax."""
    try:
        return _parse(text, name, helm=helm)
    except BadInput as exc:
        hint = pasted_hint(text) if helm else ""
        if not hint:
            raise
        raise BadInput(f"{exc}{hint}") from None


def _parse(text: str, name: str, *, helm: bool = True) -> YamlDocument:
    """Parse one YAML document as Helm reads a values file (see above); a syntax error becomes
    ``name:line:col: invalid YAML: ...``. What Helm does silently is in ``notes``, including a
    file that goes on after its first document (``---``): Helm reads the first one only.

    ``helm=False`` reads it as PyYAML does (YAML 1.1 scalars, no key notes), for files a Go
    program decodes into typed string fields (a plugin index), where the text of ``1111`` stays.
    """
    loader = _HelmLoader(text) if helm else _Loader(text)
    rest: tuple[int, str] | None = None
    try:
        if helm:  # Helm's ReadValues decodes the first document and ignores the rest
            node = loader.get_node() if loader.check_node() else None
            rest = _rest_of_stream(loader, text) if node is not None else None
            data = None
        else:
            node = loader.get_single_node()
            data = None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        problem = exc.problem or exc.context or "unparseable"
        raise BadInput(f"{where}: invalid YAML: {clip(problem)}") from None
    except yaml.reader.ReaderError as exc:
        raise _reader_error(text, name, exc) from None
    except yaml.YAMLError as exc:
        raise BadInput(f"{name}: invalid YAML: {clip(str(exc).splitlines()[0])}") from None
    except RecursionError:  # the pure-Python parser, without libyaml's own depth limit
        raise BadInput(f"{name}: invalid YAML: nested deeper than {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()
    if node is None:
        return YamlDocument(name=name, data=None)
    if "&" in text:  # no anchor, no alias: the common case skips the check
        _check_aliases(node, name)
    _check_depth(node, name)
    if not helm:
        lines: dict[KeyPath, int] = {}
        _walk(node, (), lines)
        return YamlDocument(name=name, data=data, lines=lines)
    builder = _Builder(name)
    data = builder.build(node, ())
    if rest is not None:
        builder.lines[REST_OF_FILE] = rest[0]
        note = KeyNote("extra-document", REST_OF_FILE, *rest)
        builder.notes[(note.kind, note.path, note.line)] = note
    notes = sorted(builder.notes.values(), key=lambda n: (n.line, n.kind))
    return YamlDocument(name=name, data=data, lines=builder.lines, notes=tuple(notes))


_EMPTY_LINE = re.compile(r"^\s*(?:#.*|---\s*|\.\.\.\s*)?$")
_MARKER = re.compile(r"^(---|\.\.\.)(?:\s|$)")


def _rest_of_stream(loader: yaml.SafeLoader, text: str) -> tuple[int, str] | None:
    """(line, marker) where content after the first document starts, or None when nothing but
    separators, blank lines and comments follow. As in go-yaml, nothing after the first
    document is parsed: a broken second document does not stop Helm either."""
    lines = text.splitlines()
    try:
        if loader.check_event(yaml.StreamEndEvent):
            return None
        index = int(loader.peek_event().start_mark.line)  # type: ignore[no-untyped-call]
    except yaml.YAMLError as exc:  # content after '...' without a '---'
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        index = int(mark.line) if mark is not None else len(lines) - 1
        while index > 0 and not _MARKER.match(lines[min(index, len(lines) - 1)]):
            index -= 1
    index = min(index, max(len(lines) - 1, 0))
    marker = _MARKER.match(lines[index]) if lines else None
    head = lines[index][3:] if marker else lines[index] if lines else ""
    if all(_EMPTY_LINE.match(rest) for rest in (head, *lines[index + 1 :])):
        return None
    return index + 1, marker.group(1) if marker else "---"


def load_yaml(path: Path | str) -> YamlDocument:
    """Read and parse a YAML file (``-``: standard input) through the input gate
    (:mod:`pytest_botkube.inputs`: a regular file, under the size cap)."""
    name = input_name(path)
    return parse_yaml(decode_text(read_input(path, "a YAML file"), name), name)
