"""The sandbox a rehearsal test runs stand-ins in: bin dir first on PATH, private state."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import standins
from .charts import shared_repository
from .recorder import Call, read_calls
from .standins._common import DOUBLE_ENV, LOG_ENV, STATE_ENV

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


def run_e2e_suite(
    pytester: pytest.Pytester, *args: str, artifacts: Path, timeout: float = 240
) -> pytest.RunResult:
    """The real tests/e2e suite in a subprocess, with the repository's pytest config and
    :data:`FAST_E2E` (``args`` come after, so a test's own option wins)."""
    return pytester.runpytest_subprocess(
        str(REPO / "tests" / "e2e"), "-c", str(REPO / "pyproject.toml"),
        "--rootdir", str(pytester.path), "-p", "no:cacheprovider", "-v",
        "--botkube-artifacts", str(artifacts), *FAST_E2E, *args,
        timeout=timeout,
    )  # fmt: skip


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
            "XDG_CACHE_HOME": str(root / "cache"),
        }
    )
    env.update(extra or {})
    return Sandbox(root, bin_dir, Path(env[LOG_ENV]), Path(env[STATE_ENV]), env)
