"""Go durations as BotKube reads them (``time.ParseDuration``), and the health-check interval it
honours. Pure: the option table (settings.py) checks the flag with it and the values builder
(helm_values.py) checks what it installs, so neither has to import the other."""

from __future__ import annotations

import re

from pytest_botkube.errors import BadInput
from pytest_botkube.text import shown

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_NANOS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9}
_NANOS["h"] = 60 * _NANOS["m"]


def go_duration_nanos(text: str) -> int | None:
    """Nanoseconds of a Go ``time.Duration`` string such as ``3s`` or ``1m30s``; None if invalid."""
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            return None
        total += float(match[1]) * _NANOS[match[2]]
        pos = match.end()
    return int(total) if text and pos == len(text) else None


def check_health_interval(text: str) -> None:
    """A ``plugins.healthCheckInterval`` BotKube honours: a Go duration of 1s or more."""
    nanos = go_duration_nanos(text)
    if nanos is None:
        raise BadInput(f"{shown(text)}: expected a Go duration like 3s")
    if nanos < 10**9:
        raise BadInput(f"{shown(text)}: BotKube replaces values under 1s with 10s; use 1s or more")
