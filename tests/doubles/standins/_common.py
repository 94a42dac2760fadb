"""What every stand-in shares: the argv log, the state directory and a pflag-like parser.

kind, helm and docker are Go programs built on cobra/pflag, so the stand-ins parse the way
pflag does (``--flag value``, ``--flag=value``, ``-f value``, ``-fvalue``, bool flags without a
value, flags anywhere among the positionals, ``--`` ends the flags) and fail on an unknown flag
with pflag's wording. A flag the real tool does not have therefore fails the rehearsal.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOG_ENV = "BOTKUBE_STANDIN_LOG"  # JSON-lines file every stand-in appends its argv to
STATE_ENV = "BOTKUBE_STANDIN_STATE"  # directory with the stand-ins' shared state
DOUBLE_ENV = "BOTKUBE_DOUBLE_URL"  # base URL of the Kubernetes API double
FAIL_ENV = "BOTKUBE_STANDIN_FAIL"  # JSON {"tool sub command": "stderr message"} to fail on
#: Violations the agent double injects into the releases helm installs (doubles/agent.py).
AGENT_VIOLATION_ENV = "BOTKUBE_STANDIN_AGENT_VIOLATION"


class UsageError(Exception):
    """A command-line error, reported the way the tool reports it."""


@dataclass(frozen=True)
class Flag:
    """One flag: ``kind`` is bool, string, duration, int, float, list or map (pflag types)."""

    name: str
    kind: str = "string"
    short: str | None = None
    no_opt: str | None = None  # pflag's NoOptDefVal: the value when given without one


@dataclass
class Parsed:
    values: dict[str, Any] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
          "h": 3600.0}  # fmt: skip


def parse_duration(text: str) -> float:
    """Go's time.ParseDuration (in seconds); raises ValueError with Go's messages."""
    quoted = f'"{text}"'
    body = text.lstrip("+-")
    if body == "0":
        return 0.0
    if not body:
        raise ValueError(f"time: invalid duration {quoted}")
    total = 0.0
    pos = 0
    while pos < len(body):
        number = re.match(r"[0-9]*(\.[0-9]*)?", body[pos:])
        digits = number.group(0) if number else ""
        if digits in ("", "."):
            raise ValueError(f"time: invalid duration {quoted}")
        pos += len(digits)
        unit = re.match(r"[^0-9.]*", body[pos:])
        name = unit.group(0) if unit else ""
        if not name:
            raise ValueError(f"time: missing unit in duration {quoted}")
        if name not in _UNITS:
            raise ValueError(f'time: unknown unit "{name}" in duration {quoted}')
        pos += len(name)
        total += float(digits) * _UNITS[name]
    return -total if text.startswith("-") else total


def _convert(flag: Flag, raw: str, current: Any) -> Any:
    try:
        if flag.kind == "bool":
            if raw.lower() not in ("1", "t", "true", "0", "f", "false"):
                raise ValueError(f'strconv.ParseBool: parsing "{raw}": invalid syntax')
            return raw.lower() in ("1", "t", "true")
        if flag.kind == "duration":
            return parse_duration(raw)
        if flag.kind == "int":
            if not re.fullmatch(r"[+-]?\d+", raw):
                raise ValueError(f'strconv.ParseInt: parsing "{raw}": invalid syntax')
            return int(raw)
        if flag.kind == "float":
            return float(raw)
    except ValueError as exc:
        raise UsageError(f'invalid argument "{raw}" for "--{flag.name}" flag: {exc}') from None
    if flag.kind == "list":  # stringArray: repeated; strings/stringSlice: also comma-split
        return [*(current or []), raw]
    if flag.kind == "slice":
        return [*(current or []), *raw.split(",")]
    if flag.kind == "map":
        pairs = dict(current or {})
        for item in raw.split(","):
            key, _, value = item.partition("=")
            pairs[key] = value
        return pairs
    return raw


def parse(argv: Sequence[str], flags: Sequence[Flag]) -> Parsed:
    """Parse like pflag with interspersed arguments; raise UsageError on a bad flag."""
    by_long = {f.name: f for f in flags}
    by_short = {f.short: f for f in flags if f.short}
    out = Parsed()
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            out.args.extend(argv[i:])
            break
        if arg.startswith("--") and len(arg) > 2:
            name, eq, value = arg[2:].partition("=")
            flag = by_long.get(name)
            if flag is None:
                raise UsageError(f"unknown flag: --{name}")
        elif arg.startswith("-") and len(arg) > 1:
            short, rest = arg[1], arg[2:]
            flag = by_short.get(short)
            if flag is None:
                raise UsageError(f"unknown shorthand flag: '{short}' in {arg}")
            eq, value = ("=", rest[1:]) if rest.startswith("=") else ("=" if rest else "", rest)
            if rest and flag.kind == "bool" and not rest.startswith("="):
                raise UsageError(f"unknown shorthand flag: '{rest[0]}' in {arg}")
            name = flag.name
        else:
            out.args.append(arg)
            continue
        if not eq:
            if flag.kind == "bool":
                value = "true"
            elif flag.no_opt is not None:
                value = flag.no_opt
            elif i < len(argv):
                value = argv[i]
                i += 1
            else:
                shown = f"--{name}" if arg.startswith("--") else f"'{flag.short}' in -{flag.short}"
                raise UsageError(f"flag needs an argument: {shown}")
        out.values[flag.name] = _convert(flag, value, out.values.get(flag.name))
    return out


def record(tool: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> None:
    """Append this invocation to the log named by ``BOTKUBE_STANDIN_LOG`` (if set)."""
    env = os.environ if env is None else env
    log = env.get(LOG_ENV)
    if not log:
        return
    entry = {
        "tool": tool,
        "argv": list(argv),
        "cwd": os.getcwd(),
        "time": time.time(),
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "kubeconfig_env": env.get("KUBECONFIG"),
    }
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")


def state_dir() -> Path:
    """The shared state directory; stand-ins refuse to run without one (no stray files)."""
    value = os.environ.get(STATE_ENV)
    if not value:
        raise UsageError(f"stand-in needs {STATE_ENV} (a directory for its state)")
    path = Path(value)
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def save_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def scripted_failure(tool: str, argv: Sequence[str]) -> str | None:
    """The message to fail with when the test scripted a failure for this command prefix."""
    raw = os.environ.get(FAIL_ENV)
    if not raw:
        return None
    words = [a for a in argv if not a.startswith("-")]
    for prefix, message in json.loads(raw).items():
        want = prefix.split()
        if want[0] == tool and words[: len(want) - 1] == want[1:]:
            return str(message)
    return None


def err(text: str) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")


def out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")


def find_command(
    argv: Sequence[str],
    commands: Sequence[tuple[str, ...]],
    aliases: Mapping[str, str] | None = None,
) -> tuple[str, ...] | None:
    """The (sub)command in ``argv``: the first bare word that starts a known command."""
    aliases = aliases or {}
    words = [aliases.get(a, a) for a in argv if not a.startswith("-")]
    for start, word in enumerate(words):
        for command in commands:
            if command[0] == word and tuple(words[start : start + len(command)]) == command:
                return command
    return None


def positional_after(args: list[str], command: tuple[str, ...]) -> list[str]:
    """The positional arguments that follow the command words."""
    for start in range(len(args)):
        if tuple(args[start : start + len(command)]) == command:
            return args[start + len(command) :]
    return args
