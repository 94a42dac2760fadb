"""Where the project's scenario files and manifests live.

They sit beside the package in a source checkout (the normal way to run the suite); an installed
copy finds them through ``BOTKUBE_REPRO_HOME`` or the current directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

HOME_ENV = "BOTKUBE_REPRO_HOME"


def project_home(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """The directory holding ``scenarios/`` and ``manifests/``."""
    env = os.environ if environ is None else environ
    if env.get(HOME_ENV):
        return Path(env[HOME_ENV])
    start = Path.cwd() if cwd is None else cwd
    for candidate in (start, *start.parents):
        if (candidate / "scenarios").is_dir() and (candidate / "manifests").is_dir():
            return candidate
    return Path(__file__).resolve().parent.parent


def scenarios_dir(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    return project_home(environ, cwd) / "scenarios"


def manifests_dir(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    return project_home(environ, cwd) / "manifests"
