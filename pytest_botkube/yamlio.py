"""YAML loading that remembers where each key stood, so errors can name file, line and key path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pytest_botkube.errors import BadInput

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


def _walk(node: yaml.Node, prefix: KeyPath, lines: dict[KeyPath, int]) -> None:
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


def parse_yaml(text: str, name: str) -> YamlDocument:
    """Parse one YAML document; a syntax error becomes ``name:line:col: invalid YAML: ...``."""
    loader = _Loader(text)
    try:
        # Compose once and build the data from that node: half the work of parsing twice.
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        problem = exc.problem or exc.context or "unparseable"
        raise BadInput(f"{where}: invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise BadInput(f"{name}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    lines: dict[KeyPath, int] = {}
    if node is not None:
        if "&" in text:  # no anchor, no alias: the common case skips the check
            _check_aliases(node, name)
        _walk(node, (), lines)
    return YamlDocument(name=name, data=data, lines=lines)


def load_yaml(path: Path | str) -> YamlDocument:
    """Read and parse a YAML file; unreadable files are ``BadInput`` naming the path."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"{p}: no such file") from None
    except IsADirectoryError:
        raise BadInput(f"{p}: is a directory, not a YAML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{p}: cannot read: {exc}") from None
    return parse_yaml(text, str(p))
