"""Read a BotKube agent log into one timeline per plugin and one for the agent, streaming.

What the agent writes (checked against kubeshop/botkube v1.0.0 to v1.14.0 and the libraries it
pins: logrus v1.9, hashicorp/go-plugin v1.4.10, spire's hclog adapter):

- ``pkg/loggerx``: logrus with ``JSONFormatter`` (``formatter: json``, the chart default; keys
  sorted, ``level``/``msg``/``time``) or ``TextFormatter{FullTimestamp, ForceColors}`` (``time=``
  ``level=`` ``msg=`` logfmt when ``disableColors: true``, else ``INFO[<time>] msg  key=value``
  with ANSI colours). ``loggerx.ExitOnError`` (a start-up error that ends ``main``) always
  writes JSON, whatever the formatter: ``{"level":"fatal","msg":"while running application:
  ..."}``. The gRPC source client logs ``canceling streaming: ...`` through a bare
  ``logrus.New()``, so that line is always logfmt.
- ``pkg/plugin/logger.go``: every plugin gets its own logrus logger with the field ``plugin``.
  go-plugin logs ``starting plugin``/``plugin started``/``plugin process exited`` with
  ``path``/``pid``/``error`` on it, and the plugin's raw stderr (fd 2, where the Go runtime
  writes a panic) line by line at debug level on a child logger whose ``subsystem_name`` is
  ``<plugin>.<binary name>``; the binary name carries the plugin version
  (``source_v1.13.0_kubernetes``). What the plugin itself logs through ``os.Stderr`` (its
  logrus, client-go's klog) arrives through go-plugin's stdio stream as ``logger=stderr`` at
  level error, one entry per line; ``<plugin>.stdio`` says when that stream ends.
- ``pkg/plugin/manager.go``, ``health_monitor.go`` (``internal/plugin`` before v1.6; first in
  v1.4.0, before which nothing restarts a dead plugin): ``Plugin "x" is not responding.``,
  ``Restarting source plugin "x", attempt N/T...``, ``Plugin "x" has been restarted too many
  times. Deactivating...`` and, with ``RestartAgent``, ``Plugin "x" has been restarted N times
  and selected restartPolicy is "RestartAgent". Exiting...`` (fatal); ``Exiting plugin "x"
  supervisor...`` when the agent stops.
- The agent: ``Starting server on address ...`` and ``Starting controller...`` at start,
  ``Botkube connected to <platform>!``, ``Shutdown requested. Finishing...`` per component and
  ``Incoming events channel closed. Finishing...`` when it stops, and
  ``analytics.ReportPanicIfOccurs`` turning a recovered panic into a fatal entry whose message
  is ``panic: <value>`` followed by the stack. A panic in a goroutine without that guard (the
  Slack socket-mode client) is a bare Go trace on stderr with no log framing at all.
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

PluginStatus = Literal["running", "crashing", "deactivated", "exited", "unknown"]

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
_GO_FILE = re.compile(r"^\s+(\S+?):(\d+)(?: \+0x[0-9a-fA-F]+)?(?:\s.*)?$")


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
    elif (start := line.find("level=")) >= 0 and "msg=" in line:
        # logfmt without a timestamp (``DisableTimestamp``, or a plugin's own logger)
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


_RELEASE = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-rc\.(\d+))?(.*)$")


def version_key(version: str) -> tuple[int, int, int, int] | None:
    """``v1.4.0-rc.2`` -> ``(1, 4, 0, 2)``, a release sorts after its candidates; None for a
    development build (``v0.0.0-latest``) or text that is no release."""
    m = _RELEASE.match(version.strip())
    if m is None or m.group(5) or (m.group(1), m.group(2), m.group(3)) == ("0", "0", "0"):
        return None
    rc = int(m.group(4)) if m.group(4) else 1_000_000
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), rc


def has_health_monitor(version: str) -> bool | None:
    """The plugin health monitor (restart, deactivate) first ships in v1.4.0 (its rc.1 too)."""
    key = version_key(version)
    return None if key is None else key >= (1, 4, 0, 0)


@dataclass(frozen=True)
class ProcessExit:
    """go-plugin's ``plugin process exited``: status for an exit, signal for a kill."""

    line: int
    time: str | None
    status: int | None  # 0 for a clean exit
    signal: str | None
    error: str
    path: str | None
    during_shutdown: bool = False  # the agent was already stopping: not a crash

    @property
    def abnormal(self) -> bool:
        if self.during_shutdown:
            return False
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

    @property
    def in_runtime(self) -> bool:
        """Go's runtime, ``panic(...)`` itself and BotKube's panic reporter: not where it failed."""
        fn = self.function
        return (
            fn == "panic"
            or fn.startswith(("runtime.", "runtime/debug."))
            or fn.endswith(".ReportPanicIfOccurs")
        )

    def __str__(self) -> str:
        return f"{self.function} ({self.file}:{self.lineno})"


PROJECT_PREFIX = "github.com/kubeshop/botkube/"


@dataclass
class Panic:
    """A Go panic (or fatal error) re-assembled from stderr lines, a fatal entry or a bare dump.

    ``headless`` panics were pasted without their ``panic:`` line: only frames (and perhaps the
    goroutine header) are in the excerpt, so the message is unknown. A ``panic:`` line whose
    ``goroutine N [running]:`` header was cut from the paste still gets its frames (a Go
    function line followed by its indented file line); ``goroutine`` then stays None.
    """

    line: int
    time: str | None
    message: str
    kind: Literal["panic", "fatal error"] = "panic"
    signal: str | None = None
    goroutine: str | None = None
    frames: list[StackFrame] = field(default_factory=list)
    complete: bool = False  # the trace was followed to its end
    headless: bool = False
    _pending: str | None = field(default=None, repr=False)
    _runtime_stack: bool = field(default=False, repr=False)  # in a "runtime stack:" section

    @property
    def top_frame(self) -> StackFrame | None:
        """The innermost frame outside the Go runtime: where the code failed."""
        for frame in self.frames:
            if not frame.in_runtime:
                return frame
        return self.frames[0] if self.frames else None

    @property
    def project_frame(self) -> StackFrame | None:
        """The innermost BotKube frame (``github.com/kubeshop/botkube/...``), if any."""
        for frame in self.frames:
            if frame.function.startswith(PROJECT_PREFIX) and not frame.in_runtime:
                return frame
        return None

    def functions(self) -> list[str]:
        return [f.function for f in self.frames]

    def feed(self, text: str) -> bool:
        """One line of the trace; False once the failing goroutine's stack is over."""
        if not text:
            return True
        first = text[0]
        # Before the goroutine header (or without one: an excerpt pasted without that line)
        # a frame counts only as a Go function line followed by its indented file line.
        strict = self.goroutine is None and not self.headless
        if first == "\t" or first == " ":
            if strict:
                # "panic: x [recovered]" is followed by an indented "panic: y": the real one.
                stripped = text.lstrip()
                if stripped.startswith("panic: "):
                    self.message = stripped[len("panic: ") :]
                    self._pending = None
                    return True
                if self._runtime_stack:
                    return True
            m = _GO_FILE.match(text)
            if m and self._pending is not None and len(self.frames) < MAX_FRAMES:
                self.frames.append(StackFrame(self._pending, m.group(1), int(m.group(2))))
            self._pending = None
        elif first == "[":
            if m := _GO_SIGNAL.match(text):
                self.signal = m.group(1)
        elif text.startswith("goroutine "):
            if self.goroutine is None and not self.frames:
                self.goroutine = text.rstrip().rstrip(":")
                self._runtime_stack = False
                self._pending = None
            else:  # the next goroutine's stack: the failing one is done
                self.complete = True
                self._pending = None
                return False
        elif text.startswith("created by "):
            self._pending = None
            self.complete = True
            return False
        elif strict and (
            self._runtime_stack or text.startswith("runtime stack:") or not _GO_FUNC.match(text)
        ):
            # A fatal error's "runtime stack:" (the runtime's own frames, before the failing
            # goroutine's header) or a line that is no Go function line: not a frame.
            self._runtime_stack = self._runtime_stack or text.startswith("runtime stack:")
            self._pending = None
        else:
            # "pkg/path.(*T).Method(0xc0001, {0x2, 0x3})": drop the argument list.
            text = text.rstrip()
            cut = text.rfind("(") if text.endswith(")") else -1
            self._pending = text[:cut] if cut > 0 else text
        return True


_GO_FUNC = re.compile(r"^(?:panic|[\w./\-~]+\.(?:\(\*?[\w\[\].,\- ]+\)\.)?[\w.\[\]\-~]+)\(.*\)\s*$")


def is_trace_line(text: str) -> bool:
    """A line only a Go stack trace has: a frame, its file line, a goroutine header."""
    if text.startswith(("goroutine ", "created by ")):
        return text.startswith("created by ") or text.rstrip().endswith("]:")
    if text[:1] in ("\t", " "):
        return _GO_FILE.match(text) is not None
    return _GO_FUNC.match(text) is not None


@dataclass(frozen=True)
class SinkFailure:
    line: int
    time: str | None
    error: str


@dataclass(frozen=True)
class SourceRejection:
    """A source the plugin refused to stream, though the plugin process itself runs."""

    line: int
    time: str | None
    alias: str | None  # the source streamed just before the rejection, when the log shows it
    reason: str


@dataclass(frozen=True)
class AgentEvent:
    """One step of the agent's own life: what ``diagnose`` shows as the agent timeline."""

    kind: Literal["started", "restarted", "connected", "fatal", "panic", "shutdown"]
    line: int
    time: str | None
    detail: str = ""


_VERSION_IN_PATH = re.compile(r"(?:source|executor)_(v?\d+\.\d+\.\d+[0-9A-Za-z.\-+]*?)_[^/]*$")
_VERSION_IN_URL = re.compile(r"/releases/download/(v\d+\.\d+\.\d+[0-9A-Za-z.\-+]*)/")
_CANCELING_PLUGIN = re.compile(r'for "([^"]+)" plugin')
_KLOG = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ ([^\]\s]+)\] (.*)$")
_CONNECTED = re.compile(r"^Bot[Kk]ube connected to (.+?)!?$")


def version_from_path(path: str) -> str | None:
    """``/tmp/botkube/source_v1.13.0_kubernetes`` -> ``v1.13.0``."""
    m = _VERSION_IN_PATH.search(path)
    if m is None:
        return None
    version = m.group(1)
    return version if version.startswith("v") else f"v{version}"


@dataclass
class PluginTimeline:
    """Everything the log says about one plugin process (shared by all its source aliases)."""

    name: str
    kind: str | None = None  # "source" or "executor"
    binary: str | None = None
    version: str | None = None  # from the binary path or the registration line
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
    started: bool = False  # the log shows the process start, stream or answer health checks
    registered: bool = False  # downloaded and registered by the plugin manager
    rejections: list[SourceRejection] = field(default_factory=list)
    health_monitor: bool | None = None  # False: the agent's version has none (before v1.4.0)
    agent_version: str | None = None  # the release the whole log shows (set by finish())
    enabled: bool = False  # the collector marked it enabled (bound to a platform or action)
    unused: list[str] = field(default_factory=list)  # why a group's definition is not run

    @property
    def release(self) -> str | None:
        """The version to hold against known issues: the plugin's own, else the agent's."""
        return self.version or self.agent_version

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
        return [e.signal for e in self.exits if e.signal is not None and e.abnormal]

    @property
    def panic(self) -> Panic | None:
        """The last complete panic with its message; else the last one seen."""
        for p in reversed(self.panics):
            if p.complete and p.frames and not p.headless:
                return p
        for p in reversed(self.panics):
            if p.frames:
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
        if self.crashed:
            if self.health_monitor is False and not self.restarts_seen:
                return "exited"  # no health monitor before v1.4.0: a dead plugin stays dead
            return "crashing"
        if self.started or self.informers_registered or self.aliases:
            return "running"
        return "unknown"  # named, but neither a start nor a failure is in this excerpt


@dataclass
class LogSummary:
    plugins: dict[str, PluginTimeline] = field(default_factory=dict)
    sink_failures: list[SinkFailure] = field(default_factory=list)
    sink_failure_count: int = 0
    lines: int = 0
    records: int = 0  # lines recognised as log entries (or as lines of a bare Go trace)
    formats: set[str] = field(default_factory=set)
    first_time: str | None = None
    last_time: str | None = None
    agent_events: list[AgentEvent] = field(default_factory=list)
    agent_panics: list[Panic] = field(default_factory=list)
    agent_panic_count: int = 0
    agent_fatals: list[str] = field(default_factory=list)  # fatal messages, first line each
    version: str | None = None  # the BotKube release, from the botkube repository's URLs/paths
    version_source: str | None = None
    bare_trace: bool = False  # the input is (or holds) a Go panic without log framing

    @property
    def looks_like_log(self) -> bool:
        return self.records > 0

    @property
    def agent_down(self) -> bool:
        """The agent process itself died: a fatal entry, a panic, or a bare Go trace."""
        return any(e.kind in ("fatal", "panic") for e in self.agent_events)

    @property
    def agent_panic(self) -> Panic | None:
        for p in reversed(self.agent_panics):
            if p.frames:
                return p
        return self.agent_panics[-1] if self.agent_panics else None

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
    gofile: Any
    goroutine: Any
    signal: Any
    level_err: Any
    level_fatal: Any
    started: Any
    starting: Any
    watcher: Any
    registered: Any
    downloading: Any
    exiting: Any
    plugin_key: Any
    shutdown: Any
    connected: Any
    json_fatal: Any
    server: Any
    canceling: Any
    closed: Any
    is_responding: Any
    call_addr: Any
    call_elided: Any
    call_empty: Any
    call_struct: Any


_STR = _Needles(
    "lugin",  # plugin, Plugin, pluginName, pluginKey
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
    "sink message",  # while sending sink message: ... (not "sink":"Webhook" on every send)
    ".go:",
    "goroutine ",
    "[signal ",
    "level=e",
    "level=f",
    "plugin started",
    "starting plugin",
    "health watcher",
    "egistered successfully",
    "Downloading",
    '" supervisor',  # Exiting plugin "x" supervisor... (not "Starting source plugin ...")
    "luginKey",
    "Shutdown requested",
    "connected to",
    '"fatal"',
    "Starting server on",
    "canceling streaming",
    "channel closed",
    " is responding",
    "(0x",  # a frame's argument list: "pkg.f(0xc000a8c1e0, ...)"
    "(...)",
    "()",
    "({",
)
_BYTES = _Needles(*(n.encode() for n in _STR))
Prefilter = Callable[[Any, "dict[str, Panic]"], bool]


#: Messages ``LogReader._handle`` acts on (outside a plugin's stderr): the JSON prefilter
#: examines an entry only when its message starts with one of them.
_HANDLED_PREFIXES = (
    "plugin process exited",
    "starting plugin",  # go-plugin's "using plugin" always follows it
    "plugin started",
    "Source plugin defined",  # ... but not enabled. / ... and enabled but not used by ...
    "Executor plugin defined",
    "Source plugin registered successfully",
    "Executor plugin registered successfully",
    "Marking source plugin as enabled",
    "Marking executor plugin as enabled",
    "Start source streaming",
    "Restarting source plugin",
    "Restarting executor plugin",
    'Plugin "',
    'Starting plugin "',
    'Exiting plugin "',
    "canceling streaming: ",
    "Downloading plugin",
    "Downloading repository index",
    "while sending sink",
    "Starting server on address",
    "Starting controller",
    "Shutdown requested",
    "Incoming events channel closed",
    "Botkube connected to",
    "BotKube connected to",
)
#: Of those, messages that say the same thing every time (per plugin, per source): the JSON
#: prefilter examines each distinct one once per agent start, not once per plugin restart.
_ONCE_PREFIXES = (
    "starting plugin",
    "plugin started",
    "Source plugin defined",
    "Executor plugin defined",
    "Source plugin registered successfully",
    "Executor plugin registered successfully",
    "Marking source plugin as enabled",
    "Marking executor plugin as enabled",
    "Start source streaming",
    'Starting plugin "',
    "Downloading plugin",
    "Downloading repository index",
)
MAX_SEEN = 4096  # distinct once-messages remembered; past that every one is examined


def _json_text(text: str, as_bytes: bool) -> Any:
    """``text`` as the JSON formatter writes it inside a string (quotes escaped)."""
    escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    return escaped.encode() if as_bytes else escaped


def _prefilter(needles: _Needles) -> Prefilter:
    """Cheap test on the raw line (str or bytes): could it change the summary?

    Most lines cannot, and this is what keeps the reader near ``json.loads`` speed: a plugin's
    stderr lines matter only while a panic is being read or when they look like a trace, its
    own log lines only when they register informers or report an error, and a health check
    that answered only the first time for each plugin. Needles are closure locals because this
    runs once per line.
    """
    n = needles
    plugin, subsystem, panic, fatal, stderr = n.plugin, n.subsystem, n.panic, n.fatal, n.stderr
    informers, parse, erro, fata, pani = n.informers, n.parse, n.erro, n.fata, n.pani
    exited, restart, responding, streaming = n.exited, n.restart, n.responding, n.streaming
    sink, gofile, goroutine, signal = n.sink, n.gofile, n.goroutine, n.signal
    level_err, level_fatal, started, watcher = n.level_err, n.level_fatal, n.started, n.watcher
    starting = n.starting
    registered, downloading, exiting = n.registered, n.downloading, n.exiting
    plugin_key, shutdown, connected, json_fatal = (
        n.plugin_key,
        n.shutdown,
        n.connected,
        n.json_fatal,
    )
    server, canceling, closed, is_responding = n.server, n.canceling, n.closed, n.is_responding
    call_addr, call_elided, call_empty = n.call_addr, n.call_elided, n.call_empty
    call_struct = n.call_struct
    answered: set[Any] = set()

    def first_answer(line: Any) -> bool:
        at = line.find(is_responding)
        key = line[max(0, at - 64) : at]
        if key in answered:
            return False
        answered.add(key)
        return True

    as_bytes = isinstance(plugin, bytes)
    brace = b"{" if as_bytes else "{"
    msg_key = b'"msg":"' if as_bytes else '"msg":"'
    json_subsystem = b'"subsystem_name":' if as_bytes else '"subsystem_name":'
    json_stderr = b'"logger":"stderr"' if as_bytes else '"logger":"stderr"'
    json_stdout = b'"logger":"stdout"' if as_bytes else '"logger":"stdout"'
    stdout = b"logger=stdout" if as_bytes else "logger=stdout"
    json_panic = b'"level":"panic"' if as_bytes else '"level":"panic"'
    json_panic_level = b'"panic"' if as_bytes else '"panic"'
    plugin_quote = _json_text('Plugin "', as_bytes)
    time_key = b'"time":' if as_bytes else '"time":'
    server_start = _json_text("Starting server on address", as_bytes)
    once = tuple(_json_text(prefix, as_bytes) for prefix in _ONCE_PREFIXES)
    heads: dict[Any, tuple[Any, ...]] = {}
    for prefix in _HANDLED_PREFIXES:
        text = _json_text(prefix, as_bytes)
        heads[text[:8]] = (*heads.get(text[:8], ()), text)
    seen: set[Any] = set()

    def first_time_seen(line: Any, start: int) -> bool:
        end = line.find(time_key, start)
        key = line[start : end if end > 0 else start + 160]
        if key in seen:
            return False
        if len(seen) < MAX_SEEN:
            seen.add(key)
        return True

    def raw_stderr_matters(line: Any, open_panic: dict[str, Panic]) -> bool:
        """A line of the plugin's raw stderr: a trace is being read, or it looks like one."""
        return (
            bool(open_panic)
            or panic in line
            or fatal in line
            or gofile in line
            or goroutine in line
            or signal in line
            or call_addr in line
            or call_elided in line
            or call_empty in line
            or call_struct in line
        )

    def own_stderr_matters(line: Any) -> bool:
        """A line the plugin logged itself: informers, a parse failure, an error or worse."""
        return (
            informers in line
            or parse in line
            or erro in line
            or fata in line
            or pani in line
            or gofile in line
            or level_err in line
            or level_fatal in line
        )

    def wanted(line: Any, open_panic: dict[str, Panic]) -> bool:
        if line[:1] == brace:
            at = line.find(msg_key)
            if at >= 0:
                # The JSON formatter: decided on the message's first bytes, or where the
                # entry is a plugin's stderr, on what it holds.
                start = at + 7
                prefixes = heads.get(line[start : start + 8])
                if prefixes is not None and line.startswith(prefixes, start):
                    if is_responding in line and line.startswith(plugin_quote, start):
                        return first_answer(line)
                    if line.startswith(once, start):
                        return first_time_seen(line, start)
                    if line.startswith(server_start, start):
                        seen.clear()  # a new agent process: its plugins and sources start anew
                        answered.clear()
                    return True
                if json_subsystem in line:
                    return raw_stderr_matters(line, open_panic)
                if json_stderr in line or json_stdout in line:
                    return own_stderr_matters(line)
                return json_fatal in line or json_panic in line
        if plugin in line:
            if subsystem in line:
                return raw_stderr_matters(line, open_panic)
            if stderr in line or stdout in line:
                return own_stderr_matters(line)
            if responding in line:
                return True
            if is_responding in line:
                return first_answer(line)
            return (
                exited in line
                or restart in line
                or streaming in line
                or started in line
                or starting in line
                or watcher in line
                or registered in line
                or downloading in line
                or exiting in line
                or plugin_key in line
                or canceling in line
                or fata in line
                or json_fatal in line
                or level_fatal in line
            )
        return (
            sink in line
            or shutdown in line
            or connected in line
            or json_fatal in line
            or json_panic_level in line
            or level_fatal in line
            or fata in line
            or pani in line
            or server in line
            or canceling in line
            or closed in line
        )

    return wanted


def _shows_entry(line: str) -> str | None:
    """The formatter of a line the summary does not need, or None if it is no log entry."""
    if line[:1] == "{" or '{"' in line:
        return "json" if '"msg"' in line and '"level"' in line else None
    if "level=" in line and "msg=" in line:
        return "text"
    if "\x1b[" in line:
        if _COLOURED_HEAD.search(line):
            return "coloured"
        line = _ANSI.sub("", line)
    return "plain" if _PLAIN_HEAD.search(line) else None


_BARE_PREFIX = re.compile(
    r"^(?:\[[^\]\s]*\] |\S+ (?=panic: |fatal error: |goroutine |\t|\[signal )|\d{4}-\d\d-\d\dT\S+ )"
)


class LogReader:
    """Feed lines one at a time; ``finish()`` then ``summary`` is the result."""

    def __init__(self) -> None:
        self.summary = LogSummary()
        self._open_panic: dict[str, Panic] = {}
        self._headless_done: set[str] = set()
        self._agent_panic: Panic | None = None  # a trace still being read (entry or bare)
        self._agent_state: Literal["none", "up", "down"] = "none"
        self._start_markers: set[str] = set()
        self._stopping = False
        self._last_stream: dict[str, str] = {}  # plugin -> the source streamed last
        self._versions: dict[str, str] = {}  # where the version came from -> version
        self._last_skipped: str | None = None  # the last entry no handler needed
        self._agent_trace_done = False
        self.wanted_str = _prefilter(_STR)
        self.wanted_bytes = _prefilter(_BYTES)

    def _plugin(self, name: str) -> PluginTimeline:
        timeline = self.summary.plugins.get(name)
        if timeline is None:
            timeline = self.summary.plugins[name] = PluginTimeline(name=name)
        return timeline

    def feed(self, line: str) -> None:
        self.summary.lines += 1
        if self.wanted_str(line, self._open_panic):
            self._examine(line)
        else:
            self._other(line)

    # -- lines the summary does not need, bare traces ------------------------------------

    def _other(self, line: str) -> None:
        """A line the prefilter let pass: count it if it is an entry, else maybe a bare trace."""
        line = line.rstrip("\r\n")
        form = _shows_entry(line) if line else None
        if form is not None:
            self._close_agent_panic()
            summary = self.summary
            summary.records += 1
            summary.formats.add(form)
            if summary.first_time is None:
                record = parse_line(line)
                if record is not None and record.time is not None:
                    summary.first_time = str(record.time)
            self._last_skipped = line
            return
        self._bare(line)

    def _bare(self, line: str) -> None:
        """A line that is no log entry: part of a Go panic the agent wrote without logrus."""
        text = line.rstrip("\r\n")
        if prefix := _BARE_PREFIX.match(text):
            text = text[prefix.end() :]
        panic = self._agent_panic
        if text.startswith(("panic: ", "fatal error: ")):
            self._close_agent_panic()
            kind: Literal["panic", "fatal error"] = (
                "panic" if text.startswith("panic: ") else "fatal error"
            )
            n = self.summary.lines
            started = Panic(line=n, time=None, message=text.split(": ", 1)[1], kind=kind)
            self._add_agent_panic(started, n, None, bare=True)
            return
        if panic is not None:
            self.summary.records += 1
            if not panic.feed(text):
                self._close_agent_panic()
                self._agent_trace_done = True
        elif self._agent_trace_done:
            return  # the rest of a dump whose failing goroutine was read
        elif text and is_trace_line(text) and not text.startswith("created by "):
            # frames with no panic line before them: a trace pasted from the middle
            n = self.summary.lines
            headless = Panic(line=n, time=None, message="", headless=True)
            self._add_agent_panic(headless, n, None, bare=True)
            headless.feed(text)

    def _add_agent_panic(self, panic: Panic, n: int, time: str | None, *, bare: bool) -> None:
        summary = self.summary
        summary.records += 1
        summary.agent_panic_count += 1
        if bare:
            summary.bare_trace = True
            summary.formats.add("go-trace")
        if len(summary.agent_panics) >= MAX_PANICS:
            summary.agent_panics.pop(0)
        summary.agent_panics.append(panic)
        self._agent_panic = panic
        what = panic.message or "(the panic line is not in the excerpt)"
        self._agent_event(
            "panic", n, time, what if panic.kind == "panic" else f"{panic.kind}: {what}"
        )
        self._agent_state = "down"

    def _close_agent_panic(self) -> None:
        self._agent_trace_done = False
        if self._agent_panic is not None:
            self._agent_panic._pending = None
            self._agent_panic = None

    # -- entries ---------------------------------------------------------------------------

    def _examine(self, line: str) -> None:
        if line[:1] == "{":  # the default formatter: skip building a Record
            data = _json_line(line)
            if isinstance(data, dict):
                msg = data.get("msg")
                if isinstance(msg, str):
                    raw_time = data.get("time")
                    time = raw_time if isinstance(raw_time, str) else None
                    summary = self.summary
                    if self._agent_panic is not None or self._agent_trace_done:
                        self._close_agent_panic()
                    summary.records += 1
                    summary.formats.add("json")
                    self._last_skipped = None
                    if time is not None:
                        if summary.first_time is None:
                            summary.first_time = time
                        summary.last_time = time
                    subsystem = data.get("subsystem_name")
                    plugin = data.get("plugin")
                    if isinstance(subsystem, str) and isinstance(plugin, str):
                        # the plugin's raw stderr, most of a crash loop: straight to the trace
                        if not subsystem.endswith(".stdio"):
                            timeline = summary.plugins.get(plugin) or self._plugin(plugin)
                            if timeline.version is None:
                                timeline.version = version_from_path(subsystem)
                            self._stderr_line(timeline, msg, time, summary.lines)
                        return
                    self._handle(msg, time, data, summary.lines, data.get("level"))
                    return
        record = parse_line(line)
        if record is None:
            self._bare(line)
            return
        time = None if record.time is None else str(record.time)
        self._count(record.form, time)
        self._handle(record.msg, time, record.fields, self.summary.lines, record.level)

    def _count(self, form: str, time: str | None) -> None:
        """An entry was read (the JSON path in ``_examine`` does the same inline)."""
        summary = self.summary
        self._close_agent_panic()
        summary.records += 1
        summary.formats.add(form)
        self._last_skipped = None
        if time is not None:
            if summary.first_time is None:
                summary.first_time = time
            summary.last_time = time

    def _agent_event(
        self,
        kind: Literal["started", "restarted", "connected", "fatal", "panic", "shutdown"],
        n: int,
        time: str | None,
        detail: str = "",
    ) -> None:
        _append(self.summary.agent_events, AgentEvent(kind, n, time, detail))

    def _start_marker(self, marker: str, n: int, time: str | None) -> None:
        """A line the agent prints once per start; seeing one again means a new process."""
        if self._agent_state == "up" and marker not in self._start_markers:
            self._start_markers.add(marker)
            return
        again = (
            self._agent_state == "down"
            or marker in self._start_markers
            or any(e.kind in ("started", "restarted") for e in self.summary.agent_events)
        )
        self._start_markers = {marker}
        self._agent_state = "up"
        self._stopping = False
        self._open_panic.clear()
        self._agent_event("restarted" if again else "started", n, time, marker)

    def _handle(
        self, msg: str, time: str | None, fields: dict[str, Any], n: int, level: Any = None
    ) -> None:
        summary = self.summary
        plugin = fields.get("plugin")
        subsystem = fields.get("subsystem_name")
        if subsystem is not None and isinstance(plugin, str):
            sub = str(subsystem)
            if not sub.endswith(".stdio"):
                timeline = self._plugin(plugin)
                if timeline.version is None:
                    timeline.version = version_from_path(sub)
                self._stderr_line(timeline, msg, time, n)
            return
        logger = fields.get("logger")
        # The plugin's own output: stderr always (level error), stdout only when the plugin's
        # log level is debug (level debug); v1.0.x logged a missing kubeconfig there.
        if logger in ("stderr", "stdout") and isinstance(plugin, str):
            self._plugin_output(self._plugin(plugin), msg, n, time)
            return
        if isinstance(plugin, str) and logger is None:
            if msg == "plugin process exited":
                self._exit(self._plugin(plugin), fields, time, n)
                return
            if msg in ("starting plugin", "plugin started", "using plugin", "plugin address"):
                timeline = self._plugin(plugin)
                timeline.started = True
                path = fields.get("path")
                if isinstance(path, str):
                    self._binary(timeline, path)
                return
            if msg.endswith("plugin registered successfully."):
                timeline = self._plugin(plugin)
                timeline.registered = True
                timeline.kind = timeline.kind or msg.split(" ", 1)[0].lower()
                version = fields.get("version")
                if isinstance(version, str) and version:
                    timeline.version = version
                    if "@" not in plugin and plugin.startswith("botkube/"):
                        self._versions.setdefault("plugin registration", version)
                bin_path = fields.get("binPath")
                if isinstance(bin_path, str):
                    self._binary(timeline, bin_path)
                return
        plugin_key = fields.get("pluginKey")
        if isinstance(plugin_key, str):
            # pkg/plugin/collector.go, per source or executor group, at start-up
            key_name = plugin_key.split("@", 1)[0]
            if msg.startswith("Marking"):
                self._plugin(key_name).enabled = True
            elif msg.startswith(("Source plugin defined", "Executor plugin defined")):
                timeline = self._plugin(key_name)
                reason = (
                    "defined but not enabled"
                    if "not enabled" in msg
                    else "enabled but bound to no platform or action"
                )
                if reason not in timeline.unused:
                    _append(timeline.unused, reason, MAX_MESSAGES)
            return
        if msg.startswith("Start source streaming"):
            name, alias = fields.get("pluginName"), fields.get("sourceName")
            if isinstance(name, str) and isinstance(alias, str):
                timeline = self._plugin(name)
                timeline.kind = timeline.kind or "source"
                self._last_stream[name] = alias
                if alias not in timeline.aliases:
                    _append(timeline.aliases, alias, MAX_MESSAGES * 10)
            return
        if msg.startswith("Restarting "):
            m = _RESTARTING.match(msg)
            if m:
                timeline = self._plugin(m.group(2))
                timeline.kind = m.group(1)
                timeline.health_monitor = True
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
                self._agent_event("fatal", n, time, msg)
                self._agent_state = "down"
            elif m := _RESPONDING.match(msg):
                timeline = self._plugin(m.group(1))
                timeline.started = True
                timeline.health_monitor = True
            return
        if msg.startswith("Starting plugin "):
            if m := _WATCHER.match(msg):
                timeline = self._plugin(m.group(1))
                timeline.started = True
                timeline.health_monitor = True
            return
        if msg.startswith("Exiting plugin "):
            if m := _SUPERVISOR_EXIT.match(msg):
                self._plugin(m.group(1))
                self._shutdown(n, time, msg)
            return
        if msg.startswith("canceling streaming: "):
            self._canceled(msg, n, time)
            return
        if msg.startswith(("Downloading plugin", "Downloading repository index")):
            url = fields.get("url")
            if isinstance(url, str) and (m := _VERSION_IN_URL.search(url)):
                self._versions.setdefault("download URL", m.group(1))
            return
        if "sink" in msg and msg.startswith("while sending"):
            summary.sink_failure_count += 1
            _append(summary.sink_failures, SinkFailure(n, time, msg))
            return
        level = _LEVELS.get(str(level), str(level)) if level is not None else ""
        if level in ("fatal", "panic"):
            self._fatal(msg, time, n)
            return
        if msg.startswith("Starting server on address") or msg.startswith("Starting controller"):
            self._start_marker(msg, n, time)
            return
        if msg.startswith(("Shutdown requested", "Incoming events channel closed")):
            self._shutdown(n, time, msg)
            return
        if m := _CONNECTED.match(msg):
            self._agent_event("connected", n, time, m.group(1))
            return

    def _binary(self, timeline: PluginTimeline, path: str) -> None:
        timeline.binary = path
        base = path.rsplit("/", 1)[-1]
        if timeline.kind is None and base.startswith(("source_", "executor_")):
            timeline.kind = base.split("_", 1)[0]
        if timeline.version is None:
            timeline.version = version_from_path(path)
            if timeline.version and timeline.name.startswith("botkube/"):
                self._versions.setdefault("plugin binary path", timeline.version)

    def _shutdown(self, n: int, time: str | None, msg: str) -> None:
        if not self._stopping:
            self._stopping = True
            self._agent_event("shutdown", n, time, msg)

    def _fatal(self, msg: str, time: str | None, n: int) -> None:
        """A fatal entry of the agent's own: ``log.Fatal`` (start-up error) or a reported panic."""
        first, _, rest = msg.partition("\n")
        if first.startswith("panic: "):
            panic = Panic(line=n, time=time, message=first[len("panic: ") :])
            self._add_agent_panic(panic, n, time, bare=False)
            for text in rest.split("\n"):
                if not panic.feed(text):
                    break
            if rest:  # the whole trace was in the message (JSON, logfmt)
                self._close_agent_panic()
            return
        _append(self.summary.agent_fatals, first, MAX_MESSAGES)
        self._agent_event("fatal", n, time, first)
        self._agent_state = "down"

    def _canceled(self, msg: str, n: int, time: str | None) -> None:
        """The agent's gRPC client gave up a source's stream: the plugin rejected the source."""
        reason = msg[len("canceling streaming: ") :]
        m = _CANCELING_PLUGIN.search(reason)
        name = m.group(1) if m else None
        if name is None:
            known = [p for p in self._last_stream]
            name = known[-1] if len(known) == 1 else None
        if name is None:
            return
        timeline = self._plugin(name)
        rejection = SourceRejection(n, time, self._last_stream.get(name), reason)
        _append(timeline.rejections, rejection, MAX_MESSAGES)

    def _exit(
        self, timeline: PluginTimeline, fields: dict[str, Any], time: str | None, n: int
    ) -> None:
        error = str(fields.get("error", ""))
        status_m, signal_m = _EXIT_STATUS.search(error), _SIGNAL.search(error)
        status = int(status_m.group(1)) if status_m else (None if error else 0)
        path = fields.get("path")
        if isinstance(path, str):
            self._binary(timeline, path)
        timeline.exit_count += 1
        sig = signal_m.group(1).strip() if signal_m else None
        exit_ = ProcessExit(n, time, status, sig, error, path, self._stopping)
        _append(timeline.exits, exit_)
        self._close_panic(timeline.name)
        self._headless_done.discard(timeline.name)

    def _close_panic(self, plugin: str) -> None:
        panic = self._open_panic.pop(plugin, None)
        if panic is not None:
            panic._pending = None

    def _new_panic(self, timeline: PluginTimeline, panic: Panic) -> None:
        timeline.panic_count += 1
        if len(timeline.panics) >= MAX_PANICS:
            timeline.panics.pop(0)
        timeline.panics.append(panic)
        self._open_panic[timeline.name] = panic

    def _stderr_line(self, timeline: PluginTimeline, text: str, time: str | None, n: int) -> None:
        """A raw line from the plugin's stderr: where the Go runtime prints a panic."""
        panic = self._open_panic.get(timeline.name)
        if text.startswith(("panic: ", "fatal error: ")):
            kind: Literal["panic", "fatal error"] = (
                "panic" if text.startswith("panic: ") else "fatal error"
            )
            self._new_panic(timeline, Panic(n, time, text.split(": ", 1)[1], kind=kind))
            return
        if panic is None:
            if timeline.name in self._headless_done or not text or not is_trace_line(text):
                return
            if text.startswith("created by "):
                return
            # Frames without the panic line: a trace pasted from the middle.
            panic = Panic(line=n, time=time, message="", headless=True)
            self._new_panic(timeline, panic)
        if not panic.feed(text):
            # The failing goroutine's stack is over: what follows until the process exits is
            # the rest of the same dump, not a new trace pasted from the middle.
            self._close_panic(timeline.name)
            self._headless_done.add(timeline.name)

    def _plugin_output(self, timeline: PluginTimeline, text: str, n: int, time: str | None) -> None:
        """The plugin's own log line, re-logged by the agent with ``logger=stderr``."""
        if "Registering informers" in text:
            timeline.started = True
            if not timeline.informers_registered:
                timeline.informers_registered = True
                timeline.informers_registered_at = time
            return
        if m := _PARSE_RESOURCE.search(text):
            resource = m.group(1).strip()
            if resource not in timeline.unparsable_resources:
                _append(timeline.unparsable_resources, resource, MAX_MESSAGES)
        message: str | None = None
        if m := _KLOG.match(text.strip()):
            # client-go's klog: "E0816 04:10:46.618915  80 memcache.go:189] message"
            if m.group(1) in ("E", "F"):
                message = f"{m.group(3).strip()} ({m.group(2)})"
        else:
            inner = parse_line(text)
            if inner is not None and inner.level in ("error", "fatal", "panic"):
                message = inner.msg.strip()
                error = str(inner.fields.get("error", ""))
                if error and error not in message:
                    message = f"{message}: {error}"
        if message is not None and message not in timeline.errors:
            _append(timeline.errors, message, MAX_MESSAGES)

    def finish(self) -> LogSummary:
        """Settle what needs the whole log: the release, each plugin's health monitor."""
        summary = self.summary
        last = self._last_skipped
        if last is not None:
            record = parse_line(last)
            if record is not None and record.time is not None:
                summary.last_time = str(record.time)
        if summary.last_time is None:
            summary.last_time = summary.first_time
        for source in ("download URL", "plugin registration", "plugin binary path"):
            if source in self._versions:
                summary.version, summary.version_source = self._versions[source], source
                break
        for timeline in summary.plugins.values():
            timeline.agent_version = summary.version
            if timeline.health_monitor is None:
                version = summary.version or timeline.version
                timeline.health_monitor = has_health_monitor(version) if version else None
        return summary


_RESPONDING = re.compile(r'^Plugin "([^"]+)" is responding\.')
_WATCHER = re.compile(r'^Starting plugin "([^"]+)" health watcher')
_SUPERVISOR_EXIT = re.compile(r'^Exiting plugin "([^"]+)" supervisor')


def read_log(lines: Iterable[str]) -> LogSummary:
    """Summarise an agent log given as lines (any iterable: a file, a generator, a list)."""
    reader = LogReader()
    feed = reader.feed
    for line in lines:
        feed(line)
    return reader.finish()


def _read_stream(stream: Readable, first: bytes) -> LogSummary:
    """``LogReader.feed`` inlined over undecoded lines: only lines the prefilter wants are
    decoded and parsed, JSON entries it does not want are only counted, and a line longer
    than MAX_LINE is read in pieces."""
    reader = LogReader()
    summary, examine, other = reader.summary, reader._examine, reader._other
    open_panic = reader._open_panic
    wanted, readline, limit = reader.wanted_bytes, stream.readline, MAX_LINE
    count = skipped = 0
    last: bytes | None = None
    pending: bytes | None = first
    if pending and pending.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark
        pending = pending[3:] or readline(limit)
    pending = pending or None
    while True:
        if pending is not None:
            raw, pending = pending, None
        else:
            raw = readline(limit)
            if not raw:
                break
        count += 1
        if wanted(raw, open_panic):
            summary.lines = count
            examine(raw.decode("utf-8", "replace"))
            last = None
        elif raw[:1] == b"{" and b'"msg"' in raw:
            skipped += 1  # an entry the summary does not need
            last = raw
            if summary.first_time is None:
                summary.lines = count
                other(raw.decode("utf-8", "replace"))
                skipped -= 1
        else:
            summary.lines = count
            other(raw.decode("utf-8", "replace"))
            last = None
    summary.lines = count
    if skipped:
        summary.records += skipped
        summary.formats.add("json")
    if last is not None:
        reader._last_skipped = last.decode("utf-8", "replace")
    return reader.finish()


def _utf16(head: bytes) -> str | None:
    """The UTF-16 codec a file needs (what a PowerShell redirect writes), or None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if len(head) >= 8 and head[1::2].count(0) >= len(head) // 2 - 1 and head[0::2].count(0) == 0:
        return "utf-16-le"
    if len(head) >= 8 and head[0::2].count(0) >= len(head) // 2 - 1 and head[1::2].count(0) == 0:
        return "utf-16-be"
    return None


def _utf16_lines(stream: Readable, first: bytes, codec: str) -> Iterable[str]:
    """The lines of a UTF-16 log, decoded as it streams (a chunk and one line at a time)."""
    import codecs

    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    rest = ""
    chunk = first
    while chunk:
        text = rest + decoder.decode(chunk)
        lines = text.split("\n")
        rest = lines.pop()
        for line in lines:
            yield line + "\n"
        if len(rest) > MAX_LINE:  # a line longer than MAX_LINE is read in pieces
            yield rest
            rest = ""
        chunk = stream.read(1 << 16)
    rest += decoder.decode(b"", final=True)
    if rest:
        yield rest


def read_log_file(path_or_dash: str | Path, *, limit: int | None = None) -> LogSummary:
    """Summarise a log file (``-`` reads standard input) that passes the input gate
    (:mod:`pytest_botkube.inputs`); unreadable input raises BadInput. UTF-16 (what a
    PowerShell redirect writes) is decoded and named in ``formats``. ``limit`` overrides the
    gate's size cap (benchmarks read logs of a gigabyte)."""
    where = input_name(path_or_dash)
    encoding: str | None = None
    with open_input(path_or_dash, "a log file", limit=limit) as stream:
        try:
            first = stream.readline(MAX_LINE)
            encoding = _utf16(first[:64])
            if encoding is not None:
                summary = read_log(_utf16_lines(stream, first, encoding))
            else:
                summary = _read_stream(stream, first)
        except OSError as exc:
            raise BadInput(f"{where}: cannot read: {exc.strerror or exc}") from None
    if encoding is not None:
        summary.formats.add("utf-16")
    if not summary.looks_like_log:
        found = "no BotKube agent log entry (JSON or logrus text) and no Go panic"
        if summary.lines == 0:
            message = f"the file is empty, so it has {found}"
        else:
            one = summary.lines == 1
            lines = f"{summary.lines} line{'' if one else 's'}"
            message = f"read {lines} and found {found} in {'it' if one else 'them'}"
        raise BadInput(f"{where}: {message}")
    return summary
