"""``botkube-repro``: one entry point, one module per sub-command in this package.

Each command module exposes ``HELP``, ``EXIT_CODES`` (status -> meaning: every status it can
return besides 2 and 130, which every command can), ``add_arguments(parser)`` and
``run(args) -> int``; its --help lists exactly those statuses. This module only discovers
them, so adding a command never touches this file.

The exit status is the command's even when standard output is closed early
(``botkube-repro lint x.yaml | head -1``): a predicted crash must not look like success to CI.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import pkgutil
import sys
import textwrap
from collections.abc import Mapping, Sequence
from typing import Protocol, cast

from pytest_botkube import __version__
from pytest_botkube.errors import EXIT_CODES, BotkubeReproError, ExitCode
from pytest_botkube.text import one_line, safe


class Command(Protocol):
    HELP: str
    EXIT_CODES: Mapping[int, str]  # every status it returns besides EVERY_COMMAND's

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _commands() -> dict[str, Command]:
    found: dict[str, Command] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found[info.name.replace("_", "-")] = cast(Command, module)
    return found


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on bad usage already; keep its one-line message."""


#: Statuses every command can end with: argparse answers bad usage with 2 before a command
#: runs, and :func:`main` answers Ctrl-C with 130 whatever the command was doing.
EVERY_COMMAND = (ExitCode.BAD_INPUT, ExitCode.INTERRUPTED)


def exit_codes_epilog(specific: Mapping[int, str] | None = None) -> str:
    """The "exit status" block of ``--help``. With ``specific`` (a command's ``EXIT_CODES``):
    only the statuses that command can return, its statuses plus :data:`EVERY_COMMAND`, in its
    own words where it has them; without: every shared status (the program's help)."""
    shared: dict[int, str] = {int(code): text for code, text in EXIT_CODES.items()}
    if specific is None:
        meanings = shared
    else:
        meanings = {int(code): shared[int(code)] for code in EVERY_COMMAND}
        meanings.update(specific)
    lines = [
        textwrap.fill(text, 78, initial_indent=f"  {code:<3} ", subsequent_indent=" " * 6)
        for code, text in sorted(meanings.items())
    ]
    return "exit status:\n" + "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="botkube-repro",
        description="Reproduce and explain BotKube bug reports.",
        epilog=exit_codes_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in _commands().items():
        child = sub.add_parser(
            name,
            help=module.HELP,
            description=module.HELP,
            epilog=exit_codes_epilog(module.EXIT_CODES),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(child)
        child.set_defaults(_run=module.run)
    return parser


class _PipeGuard(io.TextIOBase):
    """Standard output as every command writes it: terminal-safe (control characters and bidi
    overrides from the input shown as escapes by :func:`pytest_botkube.text.safe`, the one
    helper for all text output; JSON and YAML output hold none, so they pass unchanged), and
    not turned into an exception by a closed pipe: once the reader is gone, further output is
    dropped, and the command finishes with its own status."""

    def __init__(self, stream: io.TextIOBase) -> None:
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                self._stream.write(safe(text))
            except BrokenPipeError:
                self.broken = True
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self.broken = True

    def isatty(self) -> bool:
        return self._stream.isatty()

    def writable(self) -> bool:
        return True


def _silence_closed_stdout() -> None:
    """Python flushes stdout at exit, and a closed pipe would print "Exception ignored ..."; the
    documented cure is to point the descriptor at /dev/null."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(arguments)
    args.argv = tuple(arguments)  # what was parsed, for a command that records its command line
    guard = _PipeGuard(cast(io.TextIOBase, sys.stdout))
    try:
        with contextlib.redirect_stdout(guard):
            return int(args._run(args))
    except BotkubeReproError as exc:
        print(f"botkube-repro {args.command}: error: {one_line(str(exc))}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print(f"botkube-repro {args.command}: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:  # standard error closed too: nowhere left to say anything
        return int(ExitCode.PROBLEM)
    finally:
        if guard.broken:
            _silence_closed_stdout()
