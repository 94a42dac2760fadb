"""Read a BotKube agent log into one timeline per plugin, streaming, in either formatter.

What the agent writes (checked against kubeshop/botkube v1.13.0 and v1.14.0, identical there):

- ``pkg/loggerx``: logrus with ``JSONFormatter`` (``formatter: json``, the chart default; keys
  sorted, ``level``/``msg``/``time``) or ``TextFormatter{FullTimestamp, ForceColors}`` (``time=``
  ``level=`` ``msg=`` logfmt when ``disableColors: true``, else ``INFO[<time>] msg  key=value``
  with ANSI colours).
- ``pkg/plugin/logger.go``: every plugin gets its own logrus logger with the field ``plugin``.
  go-plugin (v1.4.10) logs through spire's hclog adapter: ``plugin process exited`` with
  ``path``/``pid``/``error`` on the root logger, and the plugin's raw stderr (where a Go panic
  goes) line by line at debug level on a child logger whose ``subsystem_name`` is
  ``<plugin>.<binary name>``. What the plugin itself logs arrives as ``logger=stderr`` at level
  error, its message being the plugin's own (coloured) logrus line.
- ``pkg/plugin/manager.go``, ``health_monitor.go``: ``Plugin "x" is not responding.``,
  ``Restarting source plugin "x", attempt N/T...``, ``Plugin "x" has been restarted too many
  times. Deactivating...`` and, with ``RestartAgent``, ``Plugin "x" has been restarted N times and
  selected restartPolicy is "RestartAgent". Exiting...`` (fatal).
- ``internal/source/dispatcher.go``: ``Start source streaming...`` (``pluginName``,
  ``sourceName``) and ``while sending sink message: ...`` on a failed sink POST.

The reader never holds more than one line plus a bounded summary, so a 1 GB log stays flat.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pytest_botkube.errors import BadInput
from pytest_botkube.inputs import Readable, input_name, open_input

PluginStatus = Literal["running", "crashing", "deactivated"]

# Bounds on what one summary keeps, so memory does not grow with the log.
MAX_EVENTS = 1000  # exits, restarts, sink failures, agent exits kept per list
MAX_PANICS = 20  # panics kept per plugin (the count goes on)
MAX_FRAMES = 12  # frames kept per panic
MAX_MESSAGES = 20  # distinct plugin error messages kept per plugin
MAX_LINE = 1 << 20  # a longer physical line is read in pieces; the pieces are not log records

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_LEVELS = {
    "TRAC": "trace",
    "DEBU": "debug",
    "INFO": "info",
    "WARN": "warning",
    "ERRO": "error",
    "FATA": "fatal",
    "PANI": "panic",
    "warn": "warning",
}
_COLOURED_HEAD = re.compile(r"\x1b\[\d+m(TRAC|DEBU|INFO|WARN|ERRO|FATA|PANI)\x1b\[0m\[([^\]]*)\] ")
_COLOURED_KEY = re.compile(r" \x1b\[\d+m([^\x1b=\s]+)\x1b\[0m=")
_PLAIN_HEAD = re.compile(r"(?<![A-Za-z])(TRAC|DEBU|INFO|WARN|ERRO|FATA|PANI)\[([^\]]*)\] ")
_PLAIN_FIRST_KEY = re.compile(r"  +(?=[A-Za-z_][\w.\-/]*=)")
_LOGFMT = re.compile(r'([^\s="]+)=("(?:[^"\\]|\\.)*"|[^\s"]*)')
_GO_ESCAPE = re.compile(r'\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[abfnrtv"\\\'])')
_GO_SIMPLE = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    '"': '"',
    "\\": "\\",
    "'": "'",
}
# Keys the agent itself puts on a re-logged plugin line (outer fields of a nested record).
_OUTER_KEYS = frozenset({"logger", "plugin", "subsystem_name"})

_NOT_RESPONDING = re.compile(r'^Plugin "([^"]+)" is not responding\.')
_RESTARTING = re.compile(r'^Restarting (source|executor) plugin "([^"]+)", attempt (\d+)/(-?\d+)')
_DEACTIVATING = re.compile(r'^Plugin "([^"]+)" has been restarted too many times\. Deactivating')
_AGENT_EXIT = re.compile(
    r'^Plugin "([^"]+)" has been restarted (\d+) times and selected restartPolicy is "([^"]*)"'
)
_EXIT_STATUS = re.compile(r"exit status (-?\d+)")
_SIGNAL = re.compile(r"signal: ([\w ]+)")
_PARSE_RESOURCE = re.compile(r"Unable to parse resource: (.*?) to register with informer")
_GO_SIGNAL = re.compile(r"^\[signal (SIG[A-Z0-9]+)")
_GO_FILE = re.compile(r"^\s+(\S+?):(\d+)(?: \+0x[0-9a-fA-F]+)?$")


def _go_unquote(quoted: str) -> str:
    """Undo Go's ``%q`` (logrus quotes values that need it), keeping non-ASCII text intact."""
    body = quoted[1:-1]
    if "\\" not in body:
        return body

    def one(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc[0] in "xuU":
            return chr(int(esc[1:], 16))
        return _GO_SIMPLE[esc]

    return _GO_ESCAPE.sub(one, body)


def _value(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
        return _go_unquote(raw)
    return raw


@dataclass(slots=True)
class Record:
    """One logrus entry, whichever formatter wrote it."""

    level: str  # trace, debug, info, warning, error, fatal, panic ("" if unknown)
    msg: str
    time: str | None
    fields: dict[str, Any]
    form: Literal["json", "text", "coloured", "plain"]


def _parse_logfmt(text: str) -> Record | None:
    fields: dict[str, Any] = {}
    for m in _LOGFMT.finditer(text):
        fields[m.group(1)] = _value(m.group(2))
    if "msg" not in fields or "level" not in fields:
        return None
    level = str(fields.pop("level"))
    return Record(
        level=_LEVELS.get(level, level),
        msg=str(fields.pop("msg")),
        time=fields.pop("time", None),
        fields=fields,
        form="text",
    )


def _parse_coloured(text: str, head: re.Match[str]) -> Record:
    rest = text[head.end() :]
    keys = list(_COLOURED_KEY.finditer(rest))
    first = 0
    if keys and _COLOURED_HEAD.match(rest):
        # The message is itself a coloured logrus line (a plugin's own output): only the
        # trailing keys the agent adds belong to this record.
        first = len(keys)
        while first > 0 and keys[first - 1].group(1) in _OUTER_KEYS:
            first -= 1
    keys = keys[first:]
    msg = rest[: keys[0].start()] if keys else rest
    fields: dict[str, Any] = {}
    for i, key in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(rest)
        fields[key.group(1)] = _value(rest[key.end() : end])
    return Record(
        level=_LEVELS[head.group(1)],
        msg=msg.rstrip(),
        time=head.group(2),
        fields=fields,
        form="coloured",
    )


def _parse_plain(text: str, head: re.Match[str]) -> Record:
    """A coloured line whose colour codes were stripped (copied from a terminal)."""
    rest = text[head.end() :]
    split = _PLAIN_FIRST_KEY.search(rest)
    msg, tail = (rest[: split.start()], rest[split.end() :]) if split else (rest, "")
    fields = {m.group(1): _value(m.group(2)) for m in _LOGFMT.finditer(tail)}
    return Record(
        level=_LEVELS[head.group(1)],
        msg=msg.rstrip(),
        time=head.group(2),
        fields=fields,
        form="plain",
    )


def _json_record(data: dict[str, Any]) -> Record:
    level = str(data.pop("level", ""))
    msg = data.pop("msg")
    return Record(
        level=_LEVELS.get(level, level),
        msg=msg if isinstance(msg, str) else str(msg),
        time=data.pop("time", None),
        fields=data,
        form="json",
    )


# json.loads minus its Python-level wrapper (two regex matches and two calls per line): the
# C scanner itself, as json.JSONDecoder.raw_decode uses it.
_DECODER: Any = json.JSONDecoder()  # typeshed does not declare scan_once
_SCAN_JSON: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once


def _json_line(line: str) -> Any:
    try:
        data, end = _SCAN_JSON(line, 0)
    except (StopIteration, ValueError):
        return None
    return data if end == len(line) or not line[end:].strip() else None


def parse_line(line: str) -> Record | None:
    """One physical line -> its record, or None for a line that is not a logrus entry.

    Prefixes such as ``kubectl logs --timestamps``/``--prefix`` or a colourised pod name are
    skipped by looking for where the entry starts.
    """
    if line[:1] == "{":
        data = _json_line(line)
        if isinstance(data, dict) and "msg" in data:
            return _json_record(data)
    line = line.rstrip("\r\n")
    start = line.find('{"')
    if start > 0 and 'time="' not in line[:start]:
        data = _json_line(line[start:])
        if isinstance(data, dict) and "msg" in data:
            return _json_record(data)
    start = line.find('time="')
    if start >= 0:
        record = _parse_logfmt(line[start:])
        if record is not None:
            return record
    if "\x1b[" in line:
        head = _COLOURED_HEAD.search(line)
        if head is not None:
            return _parse_coloured(line, head)
        line = _ANSI.sub("", line)
    head = _PLAIN_HEAD.search(line)
    if head is not None:
        return _parse_plain(line, head)
    return None


@dataclass(frozen=True)
class ProcessExit:
    """go-plugin's ``plugin process exited``: status for an exit, signal for a kill."""

    line: int
    time: str | None
    status: int | None  # 0 for a clean exit
    signal: str | None
    error: str
    path: str | None

    @property
    def abnormal(self) -> bool:
        return self.signal is not None or (self.status is not None and self.status != 0)


@dataclass(frozen=True)
class Restart:
    line: int
    time: str | None
    attempt: int
    threshold: int


@dataclass(frozen=True)
class AgentExit:
    """``RestartAgent`` policy: the agent exits (fatal) and Kubernetes restarts the pod."""

    line: int
    time: str | None
    restarts: int
    policy: str


@dataclass(frozen=True)
class StackFrame:
    function: str  # fully qualified, as Go prints it, without arguments
    file: str
    lineno: int

    @property
    def short_function(self) -> str:
        """``github.com/x/y/kubernetes.(*Router).BuildTable`` -> ``(*Router).BuildTable``."""
        last = self.function.rsplit("/", 1)[-1]
        return last.split(".", 1)[1] if "." in last else last

    @property
    def location(self) -> str:
        return f"{self.file.rsplit('/', 1)[-1]}:{self.lineno}"

    def __str__(self) -> str:
        return f"{self.function} ({self.file}:{self.lineno})"


@dataclass
class Panic:
    """A Go panic (or fatal error) re-assembled from the plugin's stderr lines."""

    line: int
    time: str | None
    message: str
    kind: Literal["panic", "fatal error"] = "panic"
    signal: str | None = None
    goroutine: str | None = None
    frames: list[StackFrame] = field(default_factory=list)
    complete: bool = False  # the trace was followed to its end
    _pending: str | None = field(default=None, repr=False)

    @property
    def top_frame(self) -> StackFrame | None:
        """The innermost frame outside the Go runtime: where the plugin's code failed."""
        for frame in self.frames:
            if not frame.function.startswith("runtime."):
                return frame
        return self.frames[0] if self.frames else None


@dataclass(frozen=True)
class SinkFailure:
    line: int
    time: str | None
    error: str


@dataclass
class PluginTimeline:
    """Everything the log says about one plugin process (shared by all its source aliases)."""

    name: str
    kind: str | None = None  # "source" or "executor"
    binary: str | None = None
    exits: list[ProcessExit] = field(default_factory=list)
    exit_count: int = 0
    restarts_seen: list[Restart] = field(default_factory=list)
    not_responding: int = 0
    deactivated_at: str | None = None
    deactivated_line: int | None = None
    agent_exits: list[AgentExit] = field(default_factory=list)
    panics: list[Panic] = field(default_factory=list)
    panic_count: int = 0
    informers_registered: bool = False
    informers_registered_at: str | None = None
    unparsable_resources: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the plugin's own error lines, distinct
    aliases: list[str] = field(default_factory=list)  # source aliases streamed by this plugin

    @property
    def restarts(self) -> int:
        """Restarts counted as /healthz counts them: the highest attempt number logged."""
        return max((r.attempt for r in self.restarts_seen), default=0)

    @property
    def threshold(self) -> int | None:
        return self.restarts_seen[-1].threshold if self.restarts_seen else None

    @property
    def deactivated(self) -> bool:
        return self.deactivated_line is not None

    @property
    def exit_statuses(self) -> list[int]:
        return [e.status for e in self.exits if e.status is not None and e.abnormal]

    @property
    def signals(self) -> list[str]:
        return [e.signal for e in self.exits if e.signal is not None]

    @property
    def panic(self) -> Panic | None:
        """The last complete panic (a log cut mid-trace leaves the earlier one whole)."""
        for p in reversed(self.panics):
            if p.complete and p.frames:
                return p
        return self.panics[-1] if self.panics else None

    @property
    def crashed(self) -> bool:
        return bool(
            self.restarts_seen
            or self.agent_exits
            or self.panics
            or self.not_responding
            or any(e.abnormal for e in self.exits)
        )

    @property
    def status(self) -> PluginStatus:
        if self.deactivated:
            return "deactivated"
        return "crashing" if self.crashed else "running"


@dataclass
class LogSummary:
    plugins: dict[str, PluginTimeline] = field(default_factory=dict)
    sink_failures: list[SinkFailure] = field(default_factory=list)
    sink_failure_count: int = 0
    lines: int = 0
    records: int = 0  # lines recognised as log entries among those examined
    formats: set[str] = field(default_factory=set)
    first_time: str | None = None
    last_time: str | None = None

    @property
    def looks_like_log(self) -> bool:
        return self.records > 0

    def plugin_for_alias(self, alias: str) -> str | None:
        for name, timeline in self.plugins.items():
            if alias in timeline.aliases:
                return name
        return None


def _append(items: list[Any], item: Any, limit: int | None = None) -> None:
    if len(items) < (MAX_EVENTS if limit is None else limit):
        items.append(item)


class _Needles(NamedTuple):
    """Substrings the prefilter looks for; one instance for str lines, one for bytes lines."""

    plugin: Any
    subsystem: Any
    panic: Any
    fatal: Any
    stderr: Any
    informers: Any
    parse: Any
    erro: Any
    fata: Any
    pani: Any
    exited: Any
    restart: Any
    responding: Any
    streaming: Any
    sink: Any


_STR = _Needles(
    "lugin",  # plugin, Plugin, pluginName
    "subsystem_name",
    "panic: ",
    "fatal error: ",
    "stderr",
    "Registering informers",
    "Unable to parse",
    "ERRO",
    "FATA",
    "PANI",
    "exited",
    "estart",
    "not responding",
    "streaming",
    "sink",
)
_BYTES = _Needles(*(n.encode() for n in _STR))
Prefilter = Callable[[Any, "dict[str, Panic]"], bool]


def _prefilter(needles: _Needles) -> Prefilter:
    """Cheap test on the raw line (str or bytes): could it change the summary?

    Most lines cannot, and this is what keeps the reader near ``json.loads`` speed: a plugin's
    stderr lines matter only while a panic is being read or when one starts, its own log lines
    only when they register informers or report an error. Needles are closure locals because
    this runs once per line.
    """
    (plugin, subsystem, panic, fatal, stderr, informers, parse, erro, fata, pani) = needles[:10]
    exited, restart, responding, streaming, sink = needles[10:]

    def wanted(line: Any, open_panic: dict[str, Panic]) -> bool:
        if plugin in line:
            if subsystem in line:
                return bool(open_panic) or panic in line or fatal in line
            if stderr in line:
                return (
                    informers in line
                    or parse in line
                    or erro in line
                    or fata in line
                    or pani in line
                )
            return exited in line or restart in line or responding in line or streaming in line
        return sink in line

    return wanted


_WANTED_STR = _prefilter(_STR)
_WANTED_BYTES = _prefilter(_BYTES)


def _looks_like_entry(line: str) -> bool:
    return (
        '"level"' in line or "level=" in line or _PLAIN_HEAD.search(_ANSI.sub("", line)) is not None
    )


class LogReader:
    """Feed lines one at a time; ``summary`` is the result so far."""

    def __init__(self) -> None:
        self.summary = LogSummary()
        self._open_panic: dict[str, Panic] = {}
        self._recognised = False

    def _plugin(self, name: str) -> PluginTimeline:
        timeline = self.summary.plugins.get(name)
        if timeline is None:
            timeline = self.summary.plugins[name] = PluginTimeline(name=name)
        return timeline

    def _skipped(self, line: str) -> None:
        if not self._recognised and _looks_like_entry(line):
            self._recognised = True
            self.summary.records += 1

    def feed(self, line: str) -> None:
        self.summary.lines += 1
        if _WANTED_STR(line, self._open_panic):
            self._examine(line)
        elif not self._recognised:
            self._skipped(line)

    def _examine(self, line: str) -> None:
        if line[:1] == "{":  # the default formatter: skip building a Record
            data = _json_line(line)
            if isinstance(data, dict):
                msg = data.get("msg")
                if isinstance(msg, str):
                    raw_time = data.get("time")
                    time = raw_time if isinstance(raw_time, str) else None
                    self._count("json", time)
                    self._handle(msg, time, data, self.summary.lines)
                    return
        record = parse_line(line)
        if record is None:
            return
        time = None if record.time is None else str(record.time)
        self._count(record.form, time)
        self._handle(record.msg, time, record.fields, self.summary.lines)

    def _count(self, form: str, time: str | None) -> None:
        summary = self.summary
        self._recognised = True
        summary.records += 1
        summary.formats.add(form)
        if time is not None:
            if summary.first_time is None:
                summary.first_time = time
            summary.last_time = time

    def _handle(self, msg: str, time: str | None, fields: dict[str, Any], n: int) -> None:
        plugin = fields.get("plugin")
        subsystem = fields.get("subsystem_name")
        if subsystem is not None and isinstance(plugin, str):
            if not str(subsystem).endswith(".stdio"):
                self._stderr_line(self._plugin(plugin), msg, time, n)
            return
        if fields.get("logger") == "stderr" and isinstance(plugin, str):
            self._plugin_output(self._plugin(plugin), msg, n, time)
            return
        if msg == "plugin process exited" and isinstance(plugin, str):
            self._exit(self._plugin(plugin), fields, time, n)
            return
        if msg.startswith("Start source streaming"):
            name, alias = fields.get("pluginName"), fields.get("sourceName")
            if isinstance(name, str) and isinstance(alias, str):
                timeline = self._plugin(name)
                timeline.kind = timeline.kind or "source"
                if alias not in timeline.aliases:
                    _append(timeline.aliases, alias, MAX_MESSAGES * 10)
            return
        if msg.startswith("Restarting "):
            m = _RESTARTING.match(msg)
            if m:
                timeline = self._plugin(m.group(2))
                timeline.kind = m.group(1)
                restart = Restart(n, time, int(m.group(3)), int(m.group(4)))
                if len(timeline.restarts_seen) >= MAX_EVENTS:
                    timeline.restarts_seen[-1] = restart  # keep the latest: it sets the count
                else:
                    timeline.restarts_seen.append(restart)
            return
        if msg.startswith("Plugin "):
            if m := _NOT_RESPONDING.match(msg):
                self._plugin(m.group(1)).not_responding += 1
            elif m := _DEACTIVATING.match(msg):
                timeline = self._plugin(m.group(1))
                timeline.deactivated_at, timeline.deactivated_line = time, n
            elif m := _AGENT_EXIT.match(msg):
                timeline = self._plugin(m.group(1))
                _append(timeline.agent_exits, AgentExit(n, time, int(m.group(2)), m.group(3)))
            return
        if "sink" in msg and msg.startswith("while sending"):
            self.summary.sink_failure_count += 1
            _append(self.summary.sink_failures, SinkFailure(n, time, msg))

    def _exit(
        self, timeline: PluginTimeline, fields: dict[str, Any], time: str | None, n: int
    ) -> None:
        error = str(fields.get("error", ""))
        status_m, signal_m = _EXIT_STATUS.search(error), _SIGNAL.search(error)
        status = int(status_m.group(1)) if status_m else (None if error else 0)
        path = fields.get("path")
        if isinstance(path, str):
            timeline.binary = path
            base = path.rsplit("/", 1)[-1]
            if timeline.kind is None and base.startswith(("source_", "executor_")):
                timeline.kind = base.split("_", 1)[0]
        timeline.exit_count += 1
        sig = signal_m.group(1).strip() if signal_m else None
        _append(timeline.exits, ProcessExit(n, time, status, sig, error, path))
        self._close_panic(timeline.name)

    def _close_panic(self, plugin: str) -> None:
        panic = self._open_panic.pop(plugin, None)
        if panic is not None:
            panic._pending = None

    def _stderr_line(self, timeline: PluginTimeline, text: str, time: str | None, n: int) -> None:
        """A raw line from the plugin's stderr: where the Go runtime prints a panic."""
        panic = self._open_panic.get(timeline.name)
        if text.startswith(("panic: ", "fatal error: ")):
            kind: Literal["panic", "fatal error"] = (
                "panic" if text.startswith("panic: ") else "fatal error"
            )
            started = Panic(line=n, time=time, message=text.split(": ", 1)[1], kind=kind)
            timeline.panic_count += 1
            if len(timeline.panics) >= MAX_PANICS:
                timeline.panics.pop(0)
            timeline.panics.append(started)
            self._open_panic[timeline.name] = started
            return
        if panic is None or not text:
            return
        first = text[0]
        if first == "\t" or first == " ":
            if panic.goroutine is None:
                # "panic: x [recovered]" is followed by an indented "panic: y": the real one.
                stripped = text.lstrip()
                if stripped.startswith("panic: "):
                    panic.message = stripped[len("panic: ") :]
                return
            m = _GO_FILE.match(text)
            if m and panic._pending is not None and len(panic.frames) < MAX_FRAMES:
                panic.frames.append(StackFrame(panic._pending, m.group(1), int(m.group(2))))
            panic._pending = None
        elif first == "[":
            if m := _GO_SIGNAL.match(text):
                panic.signal = m.group(1)
        elif text.startswith("goroutine "):
            if panic.goroutine is None:
                panic.goroutine = text.rstrip(":")
            else:  # the next goroutine's stack: the panicking one is done
                panic.complete = True
                self._close_panic(timeline.name)
        elif text.startswith("created by "):
            panic._pending = None
            panic.complete = True
        elif panic.goroutine is not None:
            # "pkg/path.(*T).Method(0xc0001, {0x2, 0x3})": drop the argument list.
            cut = text.rfind("(") if text.endswith(")") else -1
            panic._pending = text[:cut] if cut > 0 else text

    def _plugin_output(self, timeline: PluginTimeline, text: str, n: int, time: str | None) -> None:
        """The plugin's own log line, re-logged by the agent with ``logger=stderr``."""
        if "Registering informers" in text:
            if not timeline.informers_registered:
                timeline.informers_registered = True
                timeline.informers_registered_at = time
            return
        if m := _PARSE_RESOURCE.search(text):
            resource = m.group(1).strip()
            if resource not in timeline.unparsable_resources:
                _append(timeline.unparsable_resources, resource, MAX_MESSAGES)
        inner = parse_line(text)
        if inner is not None and inner.level in ("error", "fatal", "panic"):
            message = inner.msg.strip()
            error = str(inner.fields.get("error", ""))
            if error and error not in message:
                message = f"{message}: {error}"
            if message not in timeline.errors:
                _append(timeline.errors, message, MAX_MESSAGES)


def read_log(lines: Iterable[str]) -> LogSummary:
    """Summarise an agent log given as lines (any iterable: a file, a generator, a list)."""
    reader = LogReader()
    feed = reader.feed
    for line in lines:
        feed(line)
    return reader.summary


def _read_stream(stream: Readable) -> LogSummary:
    """``LogReader.feed`` inlined over undecoded lines: only lines the prefilter wants are
    decoded and parsed, and a line longer than MAX_LINE is read in pieces."""
    reader = LogReader()
    summary, examine, open_panic = reader.summary, reader._examine, reader._open_panic
    wanted, readline, limit = _WANTED_BYTES, stream.readline, MAX_LINE
    count = 0
    while raw := readline(limit):
        count += 1
        if wanted(raw, open_panic):
            summary.lines = count
            examine(raw.decode("utf-8", "replace"))
        elif not reader._recognised:
            summary.lines = count
            reader._skipped(raw.decode("utf-8", "replace"))
    summary.lines = count
    return summary


def read_log_file(path_or_dash: str | Path) -> LogSummary:
    """Summarise a log file (``-`` reads standard input) that passes the input gate
    (:mod:`pytest_botkube.inputs`); unreadable input raises BadInput."""
    where = input_name(path_or_dash)
    with open_input(path_or_dash, "a log file") as stream:
        try:
            summary = _read_stream(stream)
        except OSError as exc:
            raise BadInput(f"{where}: cannot read: {exc.strerror or exc}") from None
    if not summary.looks_like_log:
        what = "is empty" if summary.lines == 0 else f"has {summary.lines} line(s) but"
        raise BadInput(f"{where}: {what} no BotKube agent log entry (JSON or logrus text)")
    return summary
