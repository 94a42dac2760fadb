"""Sessions: tests (default, offline), lint, typecheck, e2e (needs Docker and internet)."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The offline suite: unit, pytester plugin tests and the stand-in rehearsal of the e2e run."""
    session.install("-e", ".[test]")
    session.run("pytest", "tests", "--ignore=tests/e2e", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[test]", "mypy", "types-PyYAML")
    session.run("mypy")


@nox.session(python=PYTHON)
def e2e(session: nox.Session) -> None:
    """The live suite (kind + Helm + BotKube); skips, naming what is missing, without Docker."""
    session.install("-e", ".")
    session.run("pytest", "tests/e2e", *session.posargs)
