"""The sandbox a rehearsal test runs stand-ins in: bin dir first on PATH, private state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import standins
from .charts import shared_repository
from .kubeapi import KubeApiDouble, RecordedRequest
from .recorder import Call, read_calls
from .standins._common import AGENT_VIOLATION_ENV, DOUBLE_ENV, LOG_ENV, STATE_ENV

REPO = Path(__file__).resolve().parents[2]
#: Waits for an e2e run against the doubles: they answer at once, and the quiet window only
#: needs to see no delivery.
FAST_E2E = (
    "--botkube-no-download",
    "--botkube-quiet-window=0.2",
    "--botkube-event-timeout=5",
    "--botkube-start-timeout=5",
    "--botkube-health-timeout=5",
    "--botkube-teardown-timeout=5",
    "--botkube-start-grace=0",
)
#: The same short waits for ``botkube-repro run``.
FAST_RUN = (
    "--no-download", "--quiet-window=0.3", "--event-timeout=5", "--start-timeout=5",
    "--health-timeout=5", "--teardown-timeout=5", "--start-grace=0",
)  # fmt: skip


def e2e_suite_args(rootdir: Path, artifacts: Path, *args: str) -> list[str]:
    """pytest's arguments for the real tests/e2e suite with the repository's pytest config and
    :data:`FAST_E2E` (``args`` come after, so a test's own option wins)."""
    return [
        str(REPO / "tests" / "e2e"), "-c", str(REPO / "pyproject.toml"),
        "--rootdir", str(rootdir), "-p", "no:cacheprovider", "-v",
        "--botkube-artifacts", str(artifacts), *FAST_E2E, *args,
    ]  # fmt: skip


def run_e2e_suite(
    pytester: pytest.Pytester, *args: str, artifacts: Path, timeout: float = 240
) -> pytest.RunResult:
    """The real tests/e2e suite in a pytester subprocess (:func:`e2e_suite_args`)."""
    return pytester.runpytest_subprocess(
        *e2e_suite_args(pytester.path, artifacts, *args), timeout=timeout
    )


@dataclass
class Sandbox:
    """Stand-ins installed in ``bin_dir``, with the environment a test passes to subprocesses."""

    root: Path
    bin_dir: Path
    log: Path
    state: Path
    env: dict[str, str]

    def run(self, tool: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin_dir / tool), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.root,
        )

    def calls(self, tool: str | None = None) -> list[Call]:
        return read_calls(self.log, tool)


def make_sandbox(
    root: Path,
    double_url: str,
    tools: tuple[str, ...] = standins.TOOLS,
    extra: Mapping[str, str] | None = None,
) -> Sandbox:
    """A bin dir with ``tools`` first on PATH, a private HOME/KUBECONFIG/cache, and the chart
    from a local repository (``BOTKUBE_CHART``; a copied env)."""
    bin_dir = root / "bin"
    standins.install(bin_dir, tools)
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOTKUBE_", "KUBECONFIG"))}
    env.update(
        {
            "PATH": str(bin_dir),  # nothing else: a real docker/kind/helm must not be found
            "HOME": str(home),
            "KUBECONFIG": str(home / ".kube" / "config"),
            LOG_ENV: str(root / "standin-calls.jsonl"),
            STATE_ENV: str(root / "standin-state"),
            DOUBLE_ENV: double_url,
            "BOTKUBE_STANDIN_IMAGES": "ghcr.io/kubeshop/botkube:candidate",
            # charts by URL from a local repository, cached in the sandbox, never the network
            "BOTKUBE_CHART": shared_repository(),
            # no internet here: the preflight's own tests turn it on against local servers
            "BOTKUBE_NO_PREFLIGHT": "1",
            "XDG_CACHE_HOME": str(root / "cache"),
        }
    )
    env.update(extra or {})
    return Sandbox(root, bin_dir, Path(env[LOG_ENV]), Path(env[STATE_ENV]), env)


@dataclass
class Rehearsal:
    """The real tests/e2e suite in a pytester subprocess against the stand-ins and the double."""

    pytester: pytest.Pytester
    double: KubeApiDouble
    sandbox: Sandbox
    monkeypatch: pytest.MonkeyPatch

    @property
    def artifacts(self) -> Path:
        return self.pytester.path / "artifacts"

    def violate(self, *violations: str) -> None:
        """The agent double injects ``violations`` (each may be scoped ``name@namespace-glob``)
        into the releases; the inner pytest and its helm inherit the environment, which
        monkeypatch restores."""
        self.monkeypatch.setenv(AGENT_VIOLATION_ENV, ",".join(violations))

    def run(self, *args: str, timeout: float = 240) -> pytest.RunResult:
        return run_e2e_suite(self.pytester, *args, artifacts=self.artifacts, timeout=timeout)

    def calls(self, tool: str | None = None) -> list[Call]:
        return self.sandbox.calls(tool)

    def installs(self) -> list[Call]:
        return [c for c in self.calls("helm") if c.argv[:1] == ("upgrade",)]

    def uninstalls(self) -> list[Call]:
        return [c for c in self.calls("helm") if c.argv[:1] == ("uninstall",)]

    def kind(self, *command: str) -> list[Call]:
        return [c for c in self.calls("kind") if c.argv[: len(command)] == command]

    def api(self, method: str, path_regex: str) -> list[RecordedRequest]:
        return self.double.requests_to(method, path_regex)


def use_env(monkeypatch: pytest.MonkeyPatch, env: Mapping[str, str]) -> None:
    """The inner pytest inherits this process's environment (pytester offers no other way):
    ``env`` replaces every ``BOTKUBE_*`` variable; monkeypatch restores them after the test."""
    for key in [k for k in os.environ if k.startswith("BOTKUBE_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)


@dataclass
class RunCommand:
    """``botkube-repro run`` in a subprocess whose PATH holds only the stand-ins."""

    double: KubeApiDouble
    sandbox: Sandbox
    cwd: Path

    def violate(self, *violations: str) -> None:
        """The agent double injects ``violations`` (each may be scoped ``name@namespace-glob``)."""
        self.sandbox.env[AGENT_VIOLATION_ENV] = ",".join(violations)

    def __call__(self, *args: str, fast: bool = True) -> subprocess.CompletedProcess[str]:
        # FAST_RUN first: a test's own option of the same name comes later and wins
        argv = [sys.executable, "-m", "pytest_botkube.cli", "run", *(FAST_RUN if fast else ()),
                *args]  # fmt: skip
        return subprocess.run(argv, env=self.sandbox.env, cwd=self.cwd, capture_output=True,
                              text=True, timeout=120, check=False)  # fmt: skip

    def calls(self, tool: str | None = None) -> list[Call]:
        return self.sandbox.calls(tool)

    def helm(self, verb: str) -> list[Call]:
        return [c for c in self.calls("helm") if c.argv[:1] == (verb,)]


#: The agent's plugin index of v1.13.0 (GitHub releases), as its fatal log line names it.
PLUGIN_INDEX_URL = (
    "https://github.com/kubeshop/botkube/releases/download/v1.13.0/plugins-index.yaml"
)


def index_unreachable_log(url: str = PLUGIN_INDEX_URL) -> str:
    """The agent's last words when its cluster has no network to the plugin index (the
    plugin manager's fetchIndex error, wrapped as pkg/plugin/manager.go wraps it)."""
    return json.dumps({
        "level": "fatal", "time": "2026-01-01T00:00:00Z",
        "msg": "while running application: while starting plugins manager: while fetching index "
               f'for "botkube" repository with URL "{url}": Get "{url}": dial tcp: lookup '
               "github.com: no such host",
    }) + "\n"  # fmt: skip
