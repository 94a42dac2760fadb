"""``botkube-repro doctor``: the pure model and the log diagnosis, pointed at a running BotKube.

Everything the doctor learns comes through a ``ClusterReader`` (``doctor/reader.py``; the real
one is ``doctor/inspect.py``), so this module never imports the kubernetes client, and every
rule (which Deployment, which config files, how they merge, what is redacted) is tested on plain
data. It only reads: no verb other than get/list is ever needed.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_botkube.doctor.discovery import (
    CHART_SELECTOR,
    CONTAINER_NAME,
    botkube_container,
    find_botkube,
    match_labels,
    running_version,
)
from pytest_botkube.doctor.pod import PodState, health_port, pick_pod
from pytest_botkube.doctor.reader import ClusterReader, ReadFailed
from pytest_botkube.doctor.running_config import read_running_config, scrub
from pytest_botkube.errors import BadInput, ExitCode
from pytest_botkube.yamlio import YamlDocument, format_key_path

# --------------------------------------------------------------------------- examination


PLUGIN = "botkube/kubernetes"
UPGRADE_TO = "v1.14.0"  # the last BotKube release, the first without #1474


@dataclass
class DoctorReport:
    """Everything the doctor found, as plain data; ``to_json`` is scrubbed of Secret values."""

    cluster: str
    namespace: str
    deployment: str
    release: str | None
    image: str
    botkube_version: str | None
    kubernetes_version: str | None
    config_files: list[str]
    pod: PodState | None
    predicted: dict[str, Any] | None
    healthz: dict[str, Any] | None
    observed: dict[str, Any] | None
    log: dict[str, Any]
    known_issue: dict[str, Any] | None
    fixes: list[str]
    problems: list[str]
    notes: list[str]
    secret_values: frozenset[str] = field(default_factory=frozenset, repr=False)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.PROBLEM if self.problems else ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "cluster": self.cluster,
            "namespace": self.namespace,
            "deployment": self.deployment,
            "release": self.release,
            "image": self.image,
            "botkube_version": self.botkube_version,
            "kubernetes_version": self.kubernetes_version,
            "config_files": self.config_files,
            "pod": None if self.pod is None else self.pod.__dict__.copy(),
            "predicted": self.predicted,
            "healthz": self.healthz,
            "observed": self.observed,
            "log": self.log,
            "known_issue": self.known_issue,
            "fixes": self.fixes,
            "problems": self.problems,
            "notes": self.notes,
            "status": "problem" if self.problems else "healthy",
            "exit_code": int(self.exit_code),
        }
        cleaned: dict[str, Any] = scrub(data, self.secret_values)
        return cleaned


def model_input(config: Mapping[str, Any]) -> dict[str, Any]:
    """The running config in the shape ``analyze`` reads (a Helm values overlay).

    The agent's files already hold the chart's defaults, so a default source missing from them
    was removed on purpose: a ``null`` tells the model not to add it back.
    """
    from pytest_botkube.model.config import CHART_DEFAULT_SOURCE_NAMES

    sources = dict(config.get("sources") or {})
    for name in CHART_DEFAULT_SOURCE_NAMES:
        sources.setdefault(name, None)
    return {**config, "sources": sources, "communications": config.get("communications") or {}}


def _read_log(
    reader: ClusterReader, namespace: str, pod: PodState, notes: list[str]
) -> tuple[Any, list[str]]:
    """The agent log, previous container first when it restarted, diagnosed as it streams."""
    from itertools import chain

    from pytest_botkube.readers.logs import read_log

    read: list[str] = []
    parts: list[Iterable[str]] = []
    if pod.restarts > 0:
        try:
            parts.append(reader.pod_log(namespace, pod.name, CONTAINER_NAME, True))
            read.append("previous")
        except ReadFailed as exc:
            notes.append(f"no previous log: {exc}")
    try:
        parts.append(reader.pod_log(namespace, pod.name, CONTAINER_NAME, False))
        read.append("current")
    except ReadFailed as exc:
        notes.append(f"no current log: {exc}")
    return read_log(chain.from_iterable(parts)), read


def examine(
    reader: ClusterReader, namespace: str | None = None, release: str | None = None
) -> DoctorReport:
    """Find BotKube, read what it runs and how it behaves, and say what is wrong and the fix."""
    from pytest_botkube.model.semantics import PLUGIN_DOWN, analyze
    from pytest_botkube.model.versions import (
        format_kubernetes_version,
        has_nil_event_panic,
        normalize_botkube_version,
        parse_kubernetes_version,
    )
    from pytest_botkube.readers.health import (
        HealthzError,
        health_verdict,
        parse_healthz,
        plugin_report,
    )

    target = find_botkube(reader, namespace, release)
    ns = target.namespace
    container = botkube_container(target.deployment)
    notes: list[str] = []
    problems: list[str] = []
    fixes: list[str] = []
    raw_version = running_version(target.deployment, container)
    running = read_running_config(reader, ns, target.deployment, container)
    server = getattr(reader, "server_version", None)
    kube_version: str | None = None
    server_version = server() if callable(server) else None
    if server_version:
        try:
            kube_version = format_kubernetes_version(parse_kubernetes_version(server_version))
        except BadInput as exc:
            notes.append(f"Kubernetes {server_version}: {exc}; the model assumes its default")

    # Predicted: the model on the config this agent runs.
    version: str | None = None
    analysis = None
    if raw_version is None:
        problems.append(f"cannot tell the BotKube version from image {container.get('image')}")
    else:
        try:
            version = normalize_botkube_version(raw_version)
        except BadInput as exc:
            problems.append(f"no prediction for image tag {raw_version}: {exc}")
    if version is not None:
        try:
            analysis = analyze(
                YamlDocument(f"config of {ns}/{target.name}", model_input(running.data)),
                version,
                kube_version,
            )
        except BadInput as exc:
            # The agent runs a config the model cannot read: say where, keep observing.
            problems.append(f"the running config cannot be read: {exc}")
    predicted = None if analysis is None else analysis.to_json()
    started = [] if analysis is None else [s.name for s in analysis.sources if s.started]
    if analysis is not None:
        if analysis.verdict in PLUGIN_DOWN:
            culprits = [s.name for s in analysis.sources if s.cause is not None]
            problems.append(
                f"predicted: the {PLUGIN} plugin process will {analysis.verdict} on {version}"
                + (f" because of source {', '.join(culprits)}" if culprits else "")
            )
        elif analysis.exit_code:
            problems.append("predicted: the config has errors (see the findings)")
        for source in analysis.sources:
            for finding in source.findings:
                if finding.severity == "error" and source.cause is not None:
                    where = format_key_path(finding.path)
                    fixes.append(f"{where}: {finding.fix} [{finding.code}, {finding.upstream}]")
        for finding in analysis.findings:
            if finding.severity == "error":
                fixes.append(f"{format_key_path(finding.path)}: {finding.fix} [{finding.code}]")

    # Observed: the pod, /healthz through the API server's proxy, the agent log.
    pods = reader.list_pods(ns, match_labels(target.deployment) or CHART_SELECTOR)
    pod = pick_pod(pods, str(container.get("name", CONTAINER_NAME)))
    healthz = None
    healthz_json: dict[str, Any] | None = None
    summary = None
    log_read: list[str] = []
    if pod is None:
        problems.append(f"Deployment {ns}/{target.name} has no pod")
    else:
        if pod.phase != "Running" or not pod.ready:
            problems.append(f"pod {pod.name} is {pod.phase}{'' if pod.ready else ', not ready'}")
        port = health_port(container, running.data)
        try:
            body = reader.get_healthz(ns, pod.name, port)
            healthz = parse_healthz(body, where=f"/healthz of {ns}/{pod.name}:{port}")
            healthz_json = {
                "port": port,
                "botkube": healthz.botkube_status,
                "plugins": {
                    alias: {
                        "enabled": p.enabled,
                        "status": p.status,
                        "restarts": f"{p.restarts}/{p.threshold}",
                    }
                    for alias, p in healthz.plugins.items()
                },
            }
            if healthz.botkube_status != "Healthy":
                problems.append(f"/healthz: botkube is {healthz.botkube_status}")
        except (ReadFailed, HealthzError) as exc:
            notes.append(f"/healthz not read: {exc}")
        summary, log_read = _read_log(reader, ns, pod, notes)
    log_json: dict[str, Any] = {
        "read": log_read,
        "lines": 0 if summary is None else summary.lines,
        "plugins": {}
        if summary is None
        else {name: plugin_report(summary, t) for name, t in sorted(summary.plugins.items())},
        "sink_failures": {
            "count": 0 if summary is None else summary.sink_failure_count,
            "first": [] if summary is None else [f.error for f in summary.sink_failures[:3]],
        },
    }
    observed = None
    known = None
    if healthz is not None or summary is not None:
        verdict = health_verdict(healthz, summary, PLUGIN, aliases=started or None)
        observed = {
            "plugin": PLUGIN,
            "status": verdict.status,
            "sentence": verdict.sentence,
            "restarts": verdict.restarts,
            "threshold": verdict.threshold,
            "aliases": list(verdict.aliases),
            "notes": list(verdict.notes),
        }
        if verdict.status in ("crashing", "deactivated", "exited"):
            problems.append(f"observed: {PLUGIN} {verdict.sentence}")
        match = verdict.known_match
        if match is not None:
            issue = match.issue
            known = {
                "ref": issue.ref,
                "url": issue.url,
                "title": issue.title,
                "certainty": match.certainty,
                "evidence": match.evidence,
                "fixed_in": issue.fixed_in,
                "fix": issue.fix,
            }
            fixes.insert(0, f"{issue.ref}: {issue.fix}")
    crash = analysis is not None and analysis.verdict == "crash"
    if crash and version is not None and has_nil_event_panic(version):
        fixes.insert(
            0,
            f"upgrade BotKube to {UPGRADE_TO}: helm upgrade {target.release or '<release>'} "
            f"botkube/botkube -n {ns} --version {UPGRADE_TO} --reuse-values",
        )
    return DoctorReport(
        cluster=reader.where,
        namespace=ns,
        deployment=target.name,
        release=target.release,
        image=str(container.get("image", "")),
        botkube_version=version or raw_version,
        kubernetes_version=kube_version,
        config_files=list(running.files),
        pod=pod,
        predicted=predicted,
        healthz=healthz_json,
        observed=observed,
        log=log_json,
        known_issue=known,
        fixes=list(dict.fromkeys(fixes)),
        problems=problems,
        notes=notes,
        secret_values=running.secret_values,
    )


def examine_cluster(
    kubeconfig: Path | None,
    context: str | None,
    namespace: str | None = None,
    release: str | None = None,
) -> DoctorReport:
    """:func:`examine` through the kubernetes client (imported here, not with the CLI)."""
    from urllib3.exceptions import InsecureRequestWarning

    from pytest_botkube.doctor.inspect import KubeReader

    with warnings.catch_warnings():
        # A kubeconfig with insecure-skip-tls-verify makes urllib3 warn on every request; the
        # user chose it, and a warning per read is not the doctor's one-line output.
        warnings.simplefilter("ignore", InsecureRequestWarning)
        reader = KubeReader.connect(kubeconfig, context)
        try:
            reader.require_kubernetes()
            return examine(reader, namespace=namespace, release=release)
        finally:
            reader.close()
