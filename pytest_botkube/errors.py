"""Errors that reach a person as one line and a distinct exit status, never as a traceback."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit statuses shared by every ``botkube-repro`` command."""

    OK = 0
    PROBLEM = 1  # a crash, an exit loop, a mismatch: the tool worked and found something
    BAD_INPUT = 2  # the user's input cannot be read or understood
    ENVIRONMENT = 3  # the machine cannot do it (no Docker, no cluster, no network)
    INTERRUPTED = 130  # Ctrl-C or SIGTERM, after cleaning up (128 + SIGINT, as shells report it)


#: What each status means, for every command's ``--help`` (a command may say more in its own).
EXIT_CODES: dict[ExitCode, str] = {
    ExitCode.OK: "no problem found",
    ExitCode.PROBLEM: "a BotKube problem predicted or seen (crash, exit loop, mismatch)",
    ExitCode.BAD_INPUT: "bad input or usage (file, key, flag, version), one line naming it",
    ExitCode.ENVIRONMENT: "environment unavailable (no Docker, kind, helm, cluster, network)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C, SIGTERM)",
}


class BotkubeReproError(Exception):
    """Base class: ``str(err)`` is the whole message a user sees."""

    exit_code: ExitCode = ExitCode.PROBLEM


class BadInput(BotkubeReproError):
    """A file, key, flag or version the user gave is wrong; the message names where."""

    exit_code = ExitCode.BAD_INPUT


class EnvironmentUnavailable(BotkubeReproError):
    """Something outside the user's input is missing: a tool, a daemon, a cluster, the network."""

    exit_code = ExitCode.ENVIRONMENT
