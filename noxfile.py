"""Sessions: tests (default, offline), lint, typecheck, e2e (needs Docker and internet)."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
# A missing interpreter must fail CI, never skip the tests silently.
nox.options.error_on_missing_interpreters = True

# Pinned so a new release of a linter cannot turn main red overnight.
RUFF = "ruff==0.17.6"
MYPY = "mypy==2.4.1"


@nox.session
def tests(session: nox.Session) -> None:
    """The offline suite: unit, pytester plugin tests and the stand-in rehearsal of the e2e run.
    Spread over one pytest-xdist worker per CPU (the rehearsal spends most of its time waiting on
    stand-in processes); ``nox -s tests -- -n 0`` runs it in one process, a later ``-n`` wins."""
    session.install("-e", ".[test]")
    session.run("pytest", "tests", "--ignore=tests/e2e", "-n", "auto", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install(RUFF)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[test]", MYPY, "types-PyYAML")
    session.run("mypy")


@nox.session
def e2e(session: nox.Session) -> None:
    """The live suite (kind + Helm + BotKube); skips, naming what is missing, without Docker.
    ``nox -s e2e -- -n 3`` spreads the scenarios over three pytest-xdist workers sharing one
    cluster."""
    session.install("-e", ".", "pytest-xdist>=3.5")
    session.run("pytest", "tests/e2e", *session.posargs)
