"""Where the project's scenario files and manifests live.

Found in this order: ``BOTKUBE_REPRO_HOME`` (a directory holding ``scenarios/`` and
``manifests/``, e.g. a fork's own set), the source checkout the package sits in (an editable
install, or the suite run from a clone), and the copy an installed wheel carries as package
data (``pytest_botkube/data``, written by ``setup.py``'s build hook). Never the current
directory: an installed ``botkube-repro`` finds the same files wherever it is started.
A single scenario file anywhere is always usable by its path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

HOME_ENV = "BOTKUBE_REPRO_HOME"
PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE_DATA = PACKAGE_DIR / "data"


def _has_both(directory: Path) -> bool:
    return (directory / "scenarios").is_dir() and (directory / "manifests").is_dir()


def project_home(environ: Mapping[str, str] | None = None) -> Path:
    """The directory holding ``scenarios/`` and ``manifests/``."""
    env = os.environ if environ is None else environ
    if env.get(HOME_ENV):
        return Path(env[HOME_ENV]).expanduser()
    checkout = PACKAGE_DIR.parent
    if _has_both(checkout) and (checkout / "pyproject.toml").is_file():
        return checkout
    return PACKAGE_DATA


def scenarios_dir(environ: Mapping[str, str] | None = None) -> Path:
    return project_home(environ) / "scenarios"


def manifests_dir(environ: Mapping[str, str] | None = None) -> Path:
    return project_home(environ) / "manifests"
