"""Reading what the stand-ins recorded: one JSON line per invocation, in call order."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Call:
    """One stand-in invocation: the tool and its argv (without the executable)."""

    tool: str
    argv: tuple[str, ...]
    cwd: str
    time: float
    pid: int
    ppid: int

    @property
    def words(self) -> tuple[str, ...]:
        """The argv without flags (the command words come first)."""
        return tuple(a for a in self.argv if not a.startswith("-"))

    def is_(self, *command: str) -> bool:
        """True when the call runs ``command`` (e.g. ``is_("create", "cluster")``)."""
        return self.argv[: len(command)] == command

    def flag(self, name: str) -> str | None:
        """The value of ``--name VALUE`` or ``--name=VALUE`` (last one wins), else None."""
        value = None
        for i, arg in enumerate(self.argv):
            if arg == name and i + 1 < len(self.argv):
                value = self.argv[i + 1]
            elif arg.startswith(name + "="):
                value = arg.split("=", 1)[1]
        return value

    def has(self, name: str) -> bool:
        return any(a == name or a.startswith(name + "=") for a in self.argv)

    def __str__(self) -> str:
        return " ".join((self.tool, *self.argv))


def read_calls(log: Path, tool: str | None = None) -> list[Call]:
    """All recorded calls (of ``tool`` when given); an absent log means no call was made."""
    if not log.exists():
        return []
    calls = []
    for line in log.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw: dict[str, Any] = json.loads(line)
        call = Call(raw["tool"], tuple(raw["argv"]), raw["cwd"], raw["time"], raw["pid"],
                    raw["ppid"])  # fmt: skip
        if tool is None or call.tool == tool:
            calls.append(call)
    return calls


def commands(log: Path) -> list[str]:
    """``tool subcommand`` words of every call, in order: a compact view for assertions."""
    out = []
    for call in read_calls(log):
        head = [w for w in call.argv[:2] if not w.startswith("-")]
        out.append(" ".join([call.tool, *head]))
    return out
