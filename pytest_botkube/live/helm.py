"""Installing and removing a BotKube release with the Helm 3 CLI.

Exact argv (``HELM`` = the resolved helm executable; ``CONN`` = ``--kubeconfig KCFG`` plus
``--kube-context CTX`` when a context is set), each flag checked against `helm <cmd> --help` of
Helm v3.17.2 and https://helm.sh/docs/helm/helm_upgrade/, .../helm_uninstall/,
.../helm_status/, .../helm_get_values/:

- ``HELM upgrade RELEASE CHART --install --namespace NS --create-namespace --wait
  --timeout 300s --values VALUES.yaml [--version V] [--repo URL] CONN``
  (``CHART`` is the chart name with ``--repo``, or a local chart directory without it, in
  which case ``--version`` is not passed: a directory has exactly one version)
- ``HELM uninstall RELEASE --namespace NS --wait --timeout 120s --ignore-not-found CONN``
- ``HELM status RELEASE --namespace NS --output json CONN``
- ``HELM get values RELEASE --namespace NS --all --output yaml CONN``
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pytest_botkube.live.tools import run

DEFAULT_REPO = "https://charts.botkube.io"
DEFAULT_CHART = "botkube"


@dataclass(frozen=True)
class ChartSource:
    """Where the chart comes from: ``repo`` + ``chart`` name, or a local ``directory``."""

    repo: str = DEFAULT_REPO
    chart: str = DEFAULT_CHART
    directory: Path | None = None

    def argv(self, version: str | None) -> tuple[str, list[str]]:
        """The chart argument and the flags that locate it."""
        if self.directory is not None:
            return str(self.directory), []
        flags = ["--repo", self.repo]
        if version:
            flags = ["--version", version, *flags]
        return self.chart, flags

    def describe(self, version: str | None) -> str:
        if self.directory is not None:
            return f"local chart {self.directory}"
        return f"{self.chart} {version or '(latest)'} from {self.repo}"


@dataclass(frozen=True)
class Helm:
    path: Path
    kubeconfig: Path
    context: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    command_timeout: float = 120.0

    def _connection(self) -> list[str]:
        flags = ["--kubeconfig", str(self.kubeconfig)]
        if self.context:
            flags += ["--kube-context", self.context]
        return flags

    def install(
        self,
        release: str,
        namespace: str,
        source: ChartSource,
        values_file: Path,
        *,
        version: str | None,
        timeout: float,
    ) -> str:
        """``helm upgrade --install --wait``: returns helm's stdout; raises CommandFailed."""
        chart, chart_flags = source.argv(version)
        argv = [
            str(self.path),
            "upgrade",
            release,
            chart,
            "--install",
            "--namespace",
            namespace,
            "--create-namespace",
            "--wait",
            "--timeout",
            f"{int(timeout)}s",
            "--values",
            str(values_file),
            *chart_flags,
            *self._connection(),
        ]
        # helm's --timeout bounds the wait; the process gets a minute more to pull the chart.
        return run(argv, timeout=timeout + 60.0, env=self.env).stdout

    def uninstall(self, release: str, namespace: str, *, timeout: float = 120.0) -> str:
        argv = [
            str(self.path),
            "uninstall",
            release,
            "--namespace",
            namespace,
            "--wait",
            "--timeout",
            f"{int(timeout)}s",
            "--ignore-not-found",
            *self._connection(),
        ]
        return run(argv, timeout=timeout + 30.0, env=self.env).stdout

    def status(self, release: str, namespace: str) -> str:
        argv = [str(self.path), "status", release, "--namespace", namespace, "--output", "json"]
        return run([*argv, *self._connection()], timeout=self.command_timeout, env=self.env).stdout

    def get_values(self, release: str, namespace: str) -> str:
        argv = [str(self.path), "get", "values", release, "--namespace", namespace]
        argv += ["--all", "--output", "yaml", *self._connection()]
        return run(argv, timeout=self.command_timeout, env=self.env).stdout
