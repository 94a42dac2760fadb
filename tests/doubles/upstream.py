"""The upstream BotKube chart tarballs, when this machine has them (never committed).

Tests that check the suite against the real chart (its templates, its digests) use the bytes
the upstream repository publishes: from ``BOTKUBE_UPSTREAM_CHARTS`` (a directory holding
``botkube-<version>.tgz``, e.g. files taken from the ``gh-pages`` branch of kubeshop/botkube),
else the chart cache a live run fills (``$XDG_CACHE_HOME/pytest-botkube/charts/<sha256>/``, which
holds only files whose digest was checked). Without them
those tests skip, naming this module.
"""

from __future__ import annotations

import os
from pathlib import Path

CHARTS_ENV = "BOTKUBE_UPSTREAM_CHARTS"
_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pytest-botkube"


def upstream_chart(version: str) -> Path | None:
    """``botkube-<version>.tgz`` as upstream published it, or None."""
    name = f"botkube-{version}.tgz"
    given = os.environ.get(CHARTS_ENV)
    candidates = [Path(given) / name] if given else []
    candidates += sorted((_CACHE / "charts").glob(f"*/{name}"))
    return next((path for path in candidates if path.is_file()), None)


SKIP_REASON = (
    f"no upstream BotKube chart tarball: set {CHARTS_ENV} to a directory with "
    "botkube-<version>.tgz from kubeshop/botkube's gh-pages branch, or run a live session once"
)
