"""How a BotKube test ends early: one failure message, or "cannot run here".

"Cannot run here" (no Docker daemon, kind or helm missing and not downloadable, cluster not
reachable, no network to the chart) is a skip naming what is missing and how to get it, or,
with ``--botkube-require-cluster``, a failure: a CI job must never pass by skipping.
"""

from __future__ import annotations

from typing import NoReturn

import pytest

from pytest_botkube.settings import Settings


def fail(message: str) -> NoReturn:
    """Fail with one message; ``from None`` keeps a caught error's traceback out of the report."""
    raise pytest.fail.Exception(message, pytrace=False) from None


def cannot_run(settings: Settings, message: str) -> NoReturn:
    """Skip, or fail under ``--botkube-require-cluster``."""
    if settings.require_cluster:
        fail(f"--botkube-require-cluster: {message}")
    raise pytest.skip.Exception(f"BotKube e2e cannot run here: {message}") from None
