"""The one gate every file input passes: values files, scenarios, agent logs, reports.

An input is a regular file or ``-`` (standard input). Anything else is refused before it is
opened: a FIFO would block the open itself, ``/dev/zero`` never ends, a directory is a mistake.
A regular file's size is checked against the cap before a byte is read; standard input is
counted while it is read and refused as soon as it passes the cap. The cap is
:data:`DEFAULT_MAX_INPUT_BYTES`, overridden by the environment variable
``BOTKUBE_REPRO_MAX_INPUT`` (bytes, or with a K, M or G suffix: ``512M``), for both the
command line and the pytest plugin.

Every refusal is a :class:`~pytest_botkube.errors.BadInput` of one line naming the input.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from pytest_botkube.errors import BadInput
from pytest_botkube.text import shown

__all__ = [
    "DEFAULT_MAX_INPUT_BYTES",
    "MAX_INPUT_ENV",
    "STDIN",
    "Readable",
    "decode_text",
    "input_name",
    "max_input_bytes",
    "open_input",
    "read_input",
]

STDIN = "-"
MAX_INPUT_ENV = "BOTKUBE_REPRO_MAX_INPUT"
#: 64 MiB: a values file is kilobytes, a day of debug-level agent log tens of megabytes.
DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024

_SIZE = re.compile(r"\s*(\d+)\s*([kmg]?)i?b?\s*", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def max_input_bytes(environ: Mapping[str, str] | None = None) -> int:
    """The size cap in bytes: ``BOTKUBE_REPRO_MAX_INPUT`` if set, else the default."""
    raw = (os.environ if environ is None else environ).get(MAX_INPUT_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_MAX_INPUT_BYTES
    match = _SIZE.fullmatch(raw)
    if match is None or int(match.group(1)) == 0:
        raise BadInput(
            f"{MAX_INPUT_ENV}={shown(raw)}: expected a size in bytes, e.g. 67108864 or 64M"
        )
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def input_name(path: str | Path) -> str:
    """How messages name an input: the path as given, or ``standard input`` for ``-``."""
    return "standard input" if str(path) == STDIN else str(path)


def _size(n: int) -> str:
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= factor:
            return f"{n / factor:.1f} {unit}"
    return f"{n} bytes"


def _too_large(name: str, size: str, limit: int) -> BadInput:
    return BadInput(
        f"{name}: {size} is over the {_size(limit)} input limit "
        f"(set {MAX_INPUT_ENV}, e.g. {MAX_INPUT_ENV}=512M, to allow more)"
    )


class Readable(Protocol):
    """What the readers need of an input: ``read`` and ``readline`` with a size."""

    def read(self, size: int = -1, /) -> bytes: ...

    def readline(self, size: int = -1, /) -> bytes: ...


class _Capped:
    """A binary stream that refuses to go past ``limit`` bytes: standard input has no size to
    check in advance."""

    def __init__(self, stream: Readable, name: str, limit: int) -> None:
        self._stream, self._name, self._left, self._limit = stream, name, limit, limit

    def _count(self, data: bytes) -> bytes:
        self._left -= len(data)
        if self._left < 0:
            raise _too_large(self._name, "more than that", self._limit)
        return data

    def read(self, size: int = -1, /) -> bytes:
        want = self._left + 1 if size < 0 or size > self._left + 1 else size
        return self._count(self._stream.read(want))

    def readline(self, size: int = -1, /) -> bytes:
        want = self._left + 1 if size < 0 or size > self._left + 1 else size
        return self._count(self._stream.readline(want))


def _refuse_kind(name: str, mode: int, what: str) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise BadInput(f"{name}: is a directory, not {what}")
    kind = next((label for test, label in _KINDS if test(mode)), "not a regular file")
    raise BadInput(
        f"{name}: is {kind}, not a regular file; give the file itself, or - and redirect it "
        "to standard input"
    )


@contextmanager
def open_input(
    path: str | Path, what: str = "a file", *, limit: int | None = None
) -> Iterator[Readable]:
    """The input opened for binary reading, after the checks; ``what`` (``a log file``) is
    what a directory is said not to be. Standard input is refused once past the cap; a
    regular file is checked before it is read (one that grows while read is not: a streaming
    reader holds a line at a time; :func:`read_input` reads at most the cap)."""
    cap = max_input_bytes() if limit is None else limit
    name = input_name(path)
    if str(path) == STDIN:
        yield _Capped(sys.stdin.buffer, name, cap)
        return
    try:
        before = os.stat(path)
    except FileNotFoundError:
        raise BadInput(f"{name}: no such file") from None
    except OSError as exc:
        raise BadInput(f"{name}: cannot read: {exc.strerror or exc}") from None
    _refuse_kind(name, before.st_mode, what)
    if before.st_size > cap:
        raise _too_large(name, _size(before.st_size), cap)
    try:
        # O_NONBLOCK: should the path be swapped for a FIFO after the stat, the open must not
        # wait for a writer; the fstat below then refuses it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise BadInput(f"{name}: cannot read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as stream:
        _refuse_kind(name, os.fstat(fd).st_mode, what)
        os.set_blocking(fd, True)
        yield stream


def read_input(path: str | Path, what: str = "a file", *, limit: int | None = None) -> bytes:
    """The whole input, checked and capped as :func:`open_input` does."""
    cap = max_input_bytes() if limit is None else limit
    with open_input(path, what, limit=cap) as stream:
        try:
            data = stream.read(cap + 1)  # a file that grew after the check stops at the cap
        except OSError as exc:
            raise BadInput(f"{input_name(path)}: cannot read: {exc.strerror or exc}") from None
    if len(data) > cap:
        raise _too_large(input_name(path), "more than that", cap)
    return data


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 text, or one line naming the line and column of the first byte that is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise BadInput(
            f"{name}:{line}:{column}: not UTF-8 text (byte 0x{data[exc.start]:02x})"
        ) from None
