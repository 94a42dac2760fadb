"""One BotKube release per scenario: its own namespace and release name, installed and removed.

Pytest-free (``botkube-repro run`` drives it the same way). Order of a scenario's life:

1. :meth:`Release.install`: write the values (:func:`pytest_botkube.helm_values.build_values`, the
   exact file ``botkube-repro values`` prints) and run ``helm upgrade --install --wait``;
2. :meth:`Release.wait_plugin_started`: the agent pod is Ready (BotKube answers /healthz 200
   only after its plugins were started), and the agent log shows the ``botkube/kubernetes``
   plugin streaming, exiting or registering informers; then a short grace, because the plugin
   ignores objects and Events older than its own start;
3. the caller creates the workload and observes (health, log, deliveries);
4. :meth:`Release.teardown`: ``helm uninstall --wait`` and, if the suite created it, the
   namespace; both even after a failure, each failure reported, neither hiding the other.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_botkube.helm_values import (
    KUBERNETES_PLUGIN,
    RELEASE_NAME_LIMIT,
    RELEASE_SUFFIX_HEX,
    release_prefix,
    release_values,
    values_yaml,
)
from pytest_botkube.live.chart import LocalChart
from pytest_botkube.live.helm import Helm
from pytest_botkube.live.kube import Kube, KubeError
from pytest_botkube.live.wait import WaitFailed, wait_until
from pytest_botkube.readers.logs import LogSummary, PluginTimeline, read_log
from pytest_botkube.scenario import Scenario
from pytest_botkube.settings import DEFAULTS, Settings


def release_name(scenario: str, limit: int = RELEASE_NAME_LIMIT) -> str:
    """A unique DNS-1123 label like ``bk-crash-v1-13-0-3f9a1c`` (at most ``limit`` chars, Helm's
    53 for a release name): :func:`~pytest_botkube.helm_values.release_prefix` plus a suffix."""
    return f"{release_prefix(scenario, limit)}-{secrets.token_hex(RELEASE_SUFFIX_HEX // 2)}"


def values_file(workdir: Path, release: str) -> Path:
    """Where the values a release installs are written (``helm upgrade --values``)."""
    return workdir / f"{release}-values.yaml"


@dataclass
class Release:
    scenario: Scenario
    kube: Kube
    helm: Helm
    chart: LocalChart
    namespace: str
    name: str
    values: dict[str, Any]
    workdir: Path
    installed: bool = False
    namespace_created: bool = False
    notes: list[str] = field(default_factory=list)
    pod_name: str | None = None

    @property
    def values_file(self) -> Path:
        return values_file(self.workdir, self.name)

    @property
    def version(self) -> str:
        """The chart's version (the scenario's BotKube version: ``ChartFetcher.get`` checked)."""
        return self.chart.version

    # -- lifecycle ------------------------------------------------------------------------

    def install(self, timeout: float) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.values_file.write_text(values_yaml(self.values), encoding="utf-8")
        self.namespace_created = not self.kube.namespace_exists(self.namespace)
        self.installed = True  # from here on, teardown must try to uninstall
        self.helm.install(
            self.name, self.namespace, self.chart.path, self.values_file, timeout=timeout
        )

    def teardown(self, timeout: float) -> list[str]:
        """Uninstall, then delete the namespace if we created it. Returns the problems."""
        problems: list[str] = []
        if self.installed:
            try:
                self.helm.uninstall(self.name, self.namespace, timeout=timeout)
            except Exception as exc:
                problems.append(f"helm uninstall {self.name}: {exc}")
        if self.namespace_created:
            try:
                self.kube.delete_namespace(self.namespace, timeout=timeout)
            except Exception as exc:
                problems.append(f"delete namespace {self.namespace}: {exc}")
        self.installed = False
        self.namespace_created = False
        return problems

    # -- observation ----------------------------------------------------------------------

    def agent_pod(self) -> dict[str, Any] | None:
        pod = self.kube.agent_pod(self.namespace)
        if pod is not None:
            self.pod_name = str(pod["metadata"]["name"])
        return pod

    def _ready_pod_name(self) -> str | None:
        pod = self.agent_pod()
        if pod is None:
            return None
        conditions = pod.get("status", {}).get("conditions") or []
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
        return str(pod["metadata"]["name"]) if ready else None

    def _current_pod_name(self) -> str | None:
        # Looked up on every read: the Deployment may have replaced the pod since the last one.
        pod = self.agent_pod()
        return None if pod is None else str(pod["metadata"]["name"])

    def log(self, *, previous: bool = False) -> str:
        name = self._current_pod_name()
        if name is None:
            return ""
        return self.kube.pod_log(self.namespace, name, previous=previous)

    def log_summary(self) -> LogSummary:
        """The agent log, previous container first (a RestartAgent exit restarts it)."""
        text = self.log(previous=True) + self.log()
        return read_log(text.splitlines())

    def plugin_timeline(self, summary: LogSummary | None = None) -> PluginTimeline | None:
        return (summary or self.log_summary()).plugins.get(KUBERNETES_PLUGIN)

    def healthz(self) -> str:
        name = self._current_pod_name()
        if name is None:
            raise KubeError(f"no BotKube agent pod in namespace {self.namespace}")
        return self.kube.healthz(self.namespace, name)

    def wait_plugin_started(self, timeout: float, grace: float = DEFAULTS.start_grace) -> None:
        """Agent pod Ready, then the kubernetes plugin seen running (or dying) in the log."""
        wait_until(
            self._ready_pod_name,
            timeout=timeout,
            interval=2.0,
            what=f"the BotKube agent pod in {self.namespace} to be Ready",
            describe=self._describe_pod,
            retry_on=(KubeError,),
        )
        if not self.scenario.source_aliases():
            return  # no kubernetes source: nothing will start
        last: list[str] = ["no log read yet"]

        def started() -> bool | None:
            timeline = self.plugin_timeline()
            if timeline is None:
                last[0] = f"no {KUBERNETES_PLUGIN} lines in the agent log"
                return None
            last[0] = (
                f"aliases streaming {timeline.aliases}, exits {timeline.exit_count}, "
                f"informers registered {timeline.informers_registered}"
            )
            seen = (
                timeline.aliases
                or timeline.informers_registered
                or timeline.exit_count
                or timeline.restarts_seen
            )
            return True if seen else None

        try:
            wait_until(
                started,
                timeout=timeout,
                interval=2.0,
                what=f"the {KUBERNETES_PLUGIN} plugin to start",
                describe=lambda: last[0],
                retry_on=(KubeError,),
            )
        except WaitFailed as exc:
            # Not fatal: a version with other log wording still runs; the grace stands in.
            self.notes.append(f"plugin start not seen in the log: {exc}")
        # A fixed pause, not a wait: there is nothing to poll. The plugin drops every event
        # whose object timestamp is before its background processor's start time (v1.13.0
        # internal/source/kubernetes/source.go:269, "Skipping older event"), and that start
        # comes a moment after the log line seen above. Objects created inside that gap would
        # never be reported. time.sleep stays interruptible: Ctrl-C raises KeyboardInterrupt.
        time.sleep(grace)

    def _describe_pod(self) -> str:
        try:
            pod = self.kube.agent_pod(self.namespace)
        except KubeError as exc:
            return str(exc)
        if pod is None:
            return f"no pod matching the agent selector in {self.namespace}"
        status = pod.get("status", {})
        containers = [
            f"{c.get('name')}: ready={c.get('ready')} restarts={c.get('restartCount')} "
            f"state={list((c.get('state') or {}).keys())}"
            for c in status.get("containerStatuses") or []
        ]
        return f"pod {pod['metadata']['name']} phase={status.get('phase')} " + "; ".join(containers)


def plan_release(
    scenario: Scenario,
    *,
    kube: Kube,
    helm: Helm,
    chart: LocalChart,
    receiver_url: str,
    cluster_name: str,
    workdir: Path,
    settings: Settings,
    name: str | None = None,
) -> Release:
    """A release of ``chart`` with fresh names and the exact values the suite installs (image,
    health values and plugin index from ``settings``); ValueError for an image the chart
    cannot take. ``name``: the release (and namespace) name drawn beforehand (``run``'s plan)."""
    namespace = name or release_name(scenario.name)  # also the release name: Helm allows 53
    values = release_values(
        scenario,
        settings,
        receiver_url=receiver_url,
        cluster_name=cluster_name,
        release_name=namespace,
    )
    return Release(
        scenario=scenario,
        kube=kube,
        helm=helm,
        chart=chart,
        namespace=namespace,
        name=namespace,
        values=values,
        workdir=workdir,
    )
