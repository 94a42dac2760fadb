"""Fixtures for the rehearsal: the API double, stand-in executables and their environment."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from doubles import agent
from doubles.fixtures import Rehearsal, RunCommand, Sandbox, make_sandbox, use_env
from doubles.kubeapi import KubeApiDouble

REAL_HELM_ENV = "BOTKUBE_REAL_HELM"  # path to a real helm binary for the cross-checks


@pytest.fixture
def api_double() -> Iterator[KubeApiDouble]:
    with KubeApiDouble(hpa_sync_delay=0.05) as double:
        yield double


@pytest.fixture
def sandbox(tmp_path: Path, api_double: KubeApiDouble) -> Sandbox:
    return make_sandbox(tmp_path / "sandbox", api_double.url)


@pytest.fixture
def e2e_double() -> Iterator[KubeApiDouble]:
    """The API double with a synchronous HPA controller (the Events exist once the HPA does)
    and the model-driven agent (doubles/agent.py) in every namespace."""
    with KubeApiDouble(hpa_sync_delay=0) as double:
        double.set_profile("*", agent.model_agent())
        yield double


@pytest.fixture
def rehearsal(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, e2e_double: KubeApiDouble
) -> Rehearsal:
    """The real e2e suite, ready to run in a pytester subprocess against the stand-ins."""
    sandbox = make_sandbox(pytester.path / "sandbox", e2e_double.url)
    use_env(monkeypatch, sandbox.env)
    return Rehearsal(pytester, e2e_double, sandbox, monkeypatch)


@pytest.fixture
def run(tmp_path: Path, e2e_double: KubeApiDouble) -> RunCommand:
    """``botkube-repro run``, ready to run in a subprocess against the stand-ins."""
    return RunCommand(e2e_double, make_sandbox(tmp_path / "sandbox", e2e_double.url), tmp_path)


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
