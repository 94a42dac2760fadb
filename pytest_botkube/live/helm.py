"""Installing and removing a BotKube release with the Helm 3 CLI.

Exact argv (``HELM`` = the resolved helm executable; ``CONN`` = ``--kubeconfig KCFG`` plus
``--kube-context CTX`` when a context is set), each flag checked against `helm <cmd> --help` of
Helm v3.17.2 and https://helm.sh/docs/helm/helm_upgrade/, .../helm_uninstall/,
.../helm_status/, .../helm_get_values/:

- ``HELM upgrade RELEASE CHART --install --namespace NS --create-namespace --wait
  --timeout 300s --values VALUES.yaml CONN``
  (``CHART`` is always a local path: the digest-checked ``.tgz`` that ``live/chart.py`` fetched
  or the user's chart directory; helm's "chart archive" and "unpacked chart directory" forms,
  https://helm.sh/docs/helm/helm_install/. Helm itself never goes to a chart repository, so no
  ``--repo``/``--version``: the file has exactly one version)
- ``HELM uninstall RELEASE --namespace NS --wait --timeout 120s --ignore-not-found CONN``
- ``HELM status RELEASE --namespace NS --output json CONN``
- ``HELM get values RELEASE --namespace NS --all --output yaml CONN``
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pytest_botkube.live.tools import run
from pytest_botkube.settings import DEFAULTS

#: How long the helm process may run past its own ``--timeout`` (start-up, the last writes).
INSTALL_MARGIN = 60.0
UNINSTALL_MARGIN = 30.0


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
        chart: Path,
        values_file: Path,
        *,
        timeout: float,
    ) -> str:
        """``helm upgrade --install --wait``: returns helm's stdout; raises CommandFailed."""
        argv = self.install_argv(release, namespace, chart, values_file, timeout=timeout)
        # helm's --timeout bounds the wait; the process gets a minute more to start and finish.
        return run(argv, timeout=timeout + INSTALL_MARGIN, env=self.env).stdout

    def install_argv(
        self, release: str, namespace: str, chart: Path, values_file: Path, *, timeout: float
    ) -> list[str]:
        return [
            str(self.path),
            "upgrade",
            release,
            str(chart),
            "--install",
            "--namespace",
            namespace,
            "--create-namespace",
            "--wait",
            "--timeout",
            f"{int(timeout)}s",
            "--values",
            str(values_file),
            *self._connection(),
        ]

    def uninstall_argv(self, release: str, namespace: str, *, timeout: float) -> list[str]:
        flags = ["--wait", "--timeout", f"{int(timeout)}s", "--ignore-not-found"]
        return [str(self.path), "uninstall", release, "--namespace", namespace, *flags,
                *self._connection()]  # fmt: skip

    def uninstall(
        self, release: str, namespace: str, *, timeout: float = DEFAULTS.teardown_timeout
    ) -> str:
        argv = self.uninstall_argv(release, namespace, timeout=timeout)
        return run(argv, timeout=timeout + UNINSTALL_MARGIN, env=self.env).stdout

    def status_argv(self, release: str, namespace: str) -> list[str]:
        return [str(self.path), "status", release, "--namespace", namespace, "--output", "json",
                *self._connection()]  # fmt: skip

    def get_values_argv(self, release: str, namespace: str) -> list[str]:
        return [str(self.path), "get", "values", release, "--namespace", namespace, "--all",
                "--output", "yaml", *self._connection()]  # fmt: skip

    def status(self, release: str, namespace: str) -> str:
        argv = self.status_argv(release, namespace)
        return run(argv, timeout=self.command_timeout, env=self.env).stdout

    def get_values(self, release: str, namespace: str) -> str:
        argv = self.get_values_argv(release, namespace)
        return run(argv, timeout=self.command_timeout, env=self.env).stdout
