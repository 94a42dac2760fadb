"""Fixtures for the rehearsal: the API double, stand-in executables and their environment."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from doubles.fixtures import Sandbox, make_sandbox
from doubles.kubeapi import KubeApiDouble

REAL_HELM_ENV = "BOTKUBE_REAL_HELM"  # path to a real helm binary for the cross-checks


@pytest.fixture
def api_double() -> Iterator[KubeApiDouble]:
    with KubeApiDouble(hpa_sync_delay=0.05) as double:
        yield double


@pytest.fixture
def sandbox(tmp_path: Path, api_double: KubeApiDouble) -> Sandbox:
    return make_sandbox(tmp_path / "sandbox", api_double.url)


@pytest.fixture(scope="session")
def real_helm() -> Path:
    """A real helm v3 binary (``BOTKUBE_REAL_HELM``, the get_helm.py cache, or PATH)."""
    from doubles.get_helm import cached_helm

    for candidate in (os.environ.get(REAL_HELM_ENV), cached_helm(), shutil.which("helm")):
        if candidate and Path(candidate).is_file() and "standin" not in str(candidate):
            return Path(candidate)
    pytest.skip(
        f"no real helm binary: run `python tests/doubles/get_helm.py` or set {REAL_HELM_ENV}"
    )
