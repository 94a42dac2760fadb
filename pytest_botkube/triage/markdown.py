"""The blocks of a bug report written in GitHub Markdown, read leniently.

Reporters paste values, logs and ``kubectl`` output as fenced blocks (with or without a
language tag), as indented blocks, or raw inside ``<details>``; and they break the fences:
a closing fence indented into a list item (GitHub then runs the block on into the prose), a
fence glued to the last line, text on the opening fence line, a block never closed. This
reader takes every such line the way the reporter meant it and records each repair, so the
triage can say what it changed. Everything outside the blocks is prose, kept with line
numbers for the version finder. Pure: a string in, data out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Container = Literal["fenced", "indented", "details"]

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_GLUED_CLOSE = re.compile(r"^(?P<body>.*\S)[ \t]*(?P<fence>`{3,})[ \t]*$")
_LANGUAGE = re.compile(r"^[A-Za-z0-9_+#.-]{1,30}$")
_DETAILS_OPEN = re.compile(r"<details\b[^>]*>", re.IGNORECASE)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)
_SUMMARY = re.compile(r"<summary\b[^>]*>(?P<text>.*?)</summary\s*>", re.IGNORECASE)
_HTML_ONLY = re.compile(r"^\s*(?:</?(?:p|br|summary|details|div|pre|code|b|i)\b[^>]*>\s*)+$", re.I)
_TAG = re.compile(r"<[^>]+>")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


@dataclass(frozen=True)
class Block:
    """One block of the report; lines are 1-based lines of the report text."""

    index: int  # 1-based, in report order
    start: int  # first line of the block (the opening fence for a fenced block)
    end: int  # last line (the closing fence, when there is one)
    container: Container
    info: str  # the language tag as written ('' for none)
    text: str  # the content, dedented, without fences
    lead: str  # the prose between the previous block and this one (for hints)
    caption: str  # the <summary> of the enclosing <details>, if any
    repairs: tuple[str, ...] = ()
    first_content_line: int = 0  # report line of the content's first line

    @property
    def where(self) -> str:
        return f"lines {self.start}-{self.end}" if self.end != self.start else f"line {self.start}"


@dataclass(frozen=True)
class ProseLine:
    number: int
    text: str


@dataclass
class Document:
    blocks: list[Block] = field(default_factory=list)
    prose: list[ProseLine] = field(default_factory=list)
    lines: int = 0


@dataclass
class _Details:
    start: int
    summary: str = ""
    blocks_before: int = 0
    inner: list[tuple[int, str]] = field(default_factory=list)


def _indent_width(text: str) -> int:
    width = 0
    for ch in text:
        if ch == " ":
            width += 1
        elif ch == "\t":
            width += 4 - width % 4
        else:
            break
    return width


def _strip_indent(line: str, amount: int) -> str:
    """Remove up to ``amount`` columns of leading whitespace (tabs count to the next stop)."""
    if amount <= 0:
        return line
    expanded = line.expandtabs(4) if "\t" in line[: amount + 1] else line
    i = 0
    while i < len(expanded) and i < amount and expanded[i] == " ":
        i += 1
    return expanded[i:]


def _dedent(lines: list[str]) -> list[str]:
    widths = [_indent_width(line) for line in lines if line.strip()]
    common = min(widths, default=0)
    return [_strip_indent(line, common) if line.strip() else "" for line in lines]


def _trim_blank(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _info_and_first_line(info: str) -> tuple[str, str | None]:
    """A fence's info string is a language tag; anything else is content written on the
    fence line (``` ```NAME: botkube ```), which GitHub hides: it is the block's first line."""
    text = info.strip()
    if not text:
        return "", None
    word = text.split(" ", 1)[0]
    if _LANGUAGE.match(text) and ":" not in text:
        return text, None
    if _LANGUAGE.match(word) and ":" not in word and word.lower() in _KNOWN_TAGS:
        return word, None  # ```yaml title=values.yaml: attributes after the tag
    return "", text


_KNOWN_TAGS = frozenset(
    [
        "yaml",
        "yml",
        "json",
        "jsonc",
        "console",
        "shell",
        "sh",
        "bash",
        "zsh",
        "text",
        "txt",
        "log",
        "logs",
        "plain",
        "plaintext",
        "go",
        "c",
        "diff",
        "ini",
        "toml",
        "properties",
        "sql",
        "python",
        "py",
        "js",
        "javascript",
        "hcl",
        "dockerfile",
        "html",
        "xml",
        "md",
    ]
)


class _Reader:
    def __init__(self, text: str) -> None:
        self.lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.doc = Document(lines=len(self.lines))
        self.details: list[_Details] = []
        self.lead: list[str] = []
        self.in_comment = False
        self.prev_blank = True
        self.prev_list = False

    # -- helpers ---------------------------------------------------------------------------
    def caption(self) -> str:
        for d in reversed(self.details):
            if d.summary:
                return d.summary
        return ""

    def add(
        self,
        start: int,
        end: int,
        container: Container,
        info: str,
        content: list[str],
        repairs: list[str],
        first_content_line: int,
        caption: str | None = None,
    ) -> None:
        while content and not content[-1].strip():
            content = content[:-1]
        lead = " ".join(s.strip() for s in self.lead if s.strip())
        self.doc.blocks.append(
            Block(
                index=len(self.doc.blocks) + 1,
                start=start,
                end=end,
                container=container,
                info=info,
                text="\n".join(content),
                lead=lead[-400:],
                caption=self.caption() if caption is None else caption,
                repairs=tuple(repairs),
                first_content_line=first_content_line,
            )
        )
        self.lead = []

    def prose(self, number: int, line: str) -> None:
        text = line
        if self.in_comment:
            end = text.find("-->")
            if end < 0:
                return
            text = text[end + 3 :]
            self.in_comment = False
        while "<!--" in text:
            before, _, after = text.partition("<!--")
            end = after.find("-->")
            if end < 0:
                self.in_comment = True
                text = before
                break
            text = before + after[end + 3 :]
        for d in self.details:
            d.inner.append((number, text))
        summary = _SUMMARY.search(text)
        if summary and self.details and not self.details[-1].summary:
            self.details[-1].summary = _TAG.sub("", summary["text"]).strip()
        if text.strip() and not _HTML_ONLY.match(text):
            self.doc.prose.append(ProseLine(number, text))
            self.lead.append(_TAG.sub(" ", text))

    # -- the scan --------------------------------------------------------------------------
    def run(self) -> Document:
        i = 0
        n = len(self.lines)
        while i < n:
            line = self.lines[i]
            number = i + 1
            if not self.in_comment:
                fence = _FENCE.match(line)
                if fence and not (fence["fence"][0] == "`" and "`" in fence["info"]):
                    i = self.fenced(i, fence)
                    self.prev_blank, self.prev_list = True, False
                    continue
                if (
                    _indent_width(line) >= 4
                    and line.strip()
                    and self.prev_blank
                    and not self.prev_list
                    and not self.details_tag(line)
                    and not _LIST_ITEM.match(line)  # a tab-indented list, as pasted from notes
                ):
                    i = self.indented(i)
                    continue
                self.details_tag(line, act=True, number=number)
            self.prose(number, line)
            if line.strip():
                self.prev_list = bool(_LIST_ITEM.match(line)) or (
                    self.prev_list and _indent_width(line) > 0
                )
            self.prev_blank = not line.strip()
            i += 1
        for d in reversed(self.details):
            self.close_details(d, n)
        self.details = []
        return self.doc

    def details_tag(self, line: str, act: bool = False, number: int = 0) -> bool:
        opened = _DETAILS_OPEN.search(line)
        closed = _DETAILS_CLOSE.search(line)
        if not act:
            return bool(opened or closed)
        if opened and not (closed and closed.start() > opened.start()):
            self.details.append(_Details(start=number, blocks_before=len(self.doc.blocks)))
        if closed and self.details:
            if opened and closed.start() > opened.start():
                return True  # <details>...</details> on one line: nothing to extract
            d = self.details.pop()
            # the closing line itself is not content
            self.close_details(d, number)
        return bool(opened or closed)

    def close_details(self, d: _Details, end: int) -> None:
        """A <details> section without a block inside holds its content raw: that is a block."""
        if len(self.doc.blocks) != d.blocks_before:
            return
        inner = []
        for num, text in d.inner:
            text = _DETAILS_CLOSE.sub("", _DETAILS_OPEN.sub("", _SUMMARY.sub("", text)))
            if text.strip() and _HTML_ONLY.match(text):
                continue
            inner.append((num, text))
        content = _trim_blank(_dedent([t for _, t in inner]))
        if not any(line.strip() for line in content):
            return
        numbers = {num for num, _ in inner}
        self.doc.prose = [p for p in self.doc.prose if p.number not in numbers]
        self.lead = []
        first = min(numbers) if numbers else d.start
        self.add(d.start, end, "details", "", content, [], first, caption=d.summary)

    def fenced(self, i: int, opening: re.Match[str]) -> int:
        start = i + 1
        indent = _indent_width(opening["indent"])
        fence = opening["fence"]
        info, first = _info_and_first_line(opening["info"])
        repairs: list[str] = []
        content: list[str] = []
        if first is not None:
            content.append(first)
            repairs.append(
                f"line {start}: text after the opening fence ({first[:40]!r}) taken as the "
                "block's first line (GitHub hides it as a language tag)"
            )
        j = i + 1
        n = len(self.lines)
        while j < n:
            line = self.lines[j]
            stripped = line.strip()
            if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
                depth = _indent_width(line)
                if depth > indent + 3:
                    repairs.append(
                        f"line {j + 1}: the closing fence is indented {depth} columns, so "
                        "Markdown reads it as text and runs the block on; taken as the block's "
                        "end"
                    )
                break
            glued = _GLUED_CLOSE.match(line) if fence[0] == "`" else None
            if glued and len(glued["fence"]) >= len(fence) and "`" not in glued["body"][-1:]:
                content.append(_strip_indent(glued["body"], indent))
                repairs.append(
                    f"line {j + 1}: the closing fence is glued to the end of the line; the "
                    "text before it taken as the block's last line"
                )
                break
            content.append(_strip_indent(line, indent))
            j += 1
        if j >= n:
            repairs.append(
                f"line {start}: the block is never closed; taken to the end of the report"
            )
            end = n
        else:
            end = j + 1
        first_line = start if first is not None else start + 1
        self.add(start, end, "fenced", info, content, repairs, first_line)
        return j + 1

    def indented(self, i: int) -> int:
        n = len(self.lines)
        j = i
        taken: list[str] = []
        while j < n:
            line = self.lines[j]
            if line.strip() and _indent_width(line) < 4:
                break
            if line.strip() and _FENCE.match(line):
                break
            if _LIST_ITEM.match(line) and taken and not taken[-1].strip():
                break  # a tab-indented list after the block, not more of it
            taken.append(line)
            j += 1
        while taken and not taken[-1].strip():
            taken.pop()
        end = i + len(taken)
        self.add(i + 1, end, "indented", "", _dedent(taken), [], i + 1)
        for num in range(i + 1, end + 1):
            for d in self.details:
                d.inner.append((num, ""))
        self.prev_blank = False
        return end


def read_markdown(text: str) -> Document:
    """Every block of ``text`` (fenced, indented, raw ``<details>``) and its prose lines."""
    return _Reader(text).run()


def issue_markdown(issue: dict[str, object], comments: list[dict[str, object]]) -> str:
    """A GitHub issue and its comments as one report: the title, the body, then each comment
    under a heading naming its author, as a maintainer would paste them."""

    def login(obj: dict[str, object]) -> str:
        user = obj.get("user")
        return str(user.get("login", "?")) if isinstance(user, dict) else "?"

    parts = [f"# {issue.get('title') or ''}".rstrip(), "", str(issue.get("body") or "")]
    for comment in comments:
        when = str(comment.get("created_at") or "")[:10]
        parts += [
            "",
            f"### Comment by @{login(comment)} ({when})",
            "",
            str(comment.get("body") or ""),
        ]
    return "\n".join(parts) + "\n"
