"""The BotKube agent of the API double, driven by the values it was installed with.

The rehearsal checks the suite's verdicts, so the agent must not know what a scenario expects:
nothing here reads a scenario file. What a release's agent shows comes from three sources that
the scenario files do not write:

* the model (``pytest_botkube.model.semantics``) of the values the stand-in helm received, on
  the chart's BotKube version and the API double's Kubernetes version: whether the
  ``botkube/kubernetes`` process runs, panics or exits, which sources start (streamed in sorted
  alias order, as the agent dispatches them), which source breaks the process, and which of the
  workload's happenings each source forwards (``semantics.forwarding``);
* the health monitor of upstream ``pkg/plugin/health_monitor.go`` (v1.13.0, same in v1.14.0):
  a failed process is restarted ``threshold`` times, the next failure deactivates the plugin, so
  ``threshold + 1`` processes exit and /healthz shows ``threshold+1/threshold`` Deactivated;
* recorded agent logs in ``tests/data/logs``: the Go panic trace of
  ``crash_loop_v1.13.0.json.log`` (function, file and line come from that recording) and the
  informer-registration failure of ``exit_loop_unknown_type.json.log`` (with the type the
  model names as unserved or malformed).

So a scenario whose ``expect`` disagrees with the model or the recordings fails the rehearsal,
and a verdict check that is switched off lets an injected violation through.

Violation injection: the environment variable :data:`VIOLATION_ENV` (read by the stand-in helm
and handed to the double with the install) holds comma-separated :data:`VIOLATIONS` names, each
optionally scoped to namespaces with ``@<glob>`` (``status@bk-crash-v1-13-0-workaround-*``).
An unknown name fails the install, so a typo cannot pass as "no violation".

Simplifications, on purpose: the agent reports only its own namespace's workload (a real one
with ``namespaces: .*`` would also see parallel releases' workloads), object changes are the
Deployment's and the HPA's creation (no updates), the restarts have all happened by the first
/healthz read, and ``RestartAgent`` is not simulated (the suite installs ``DeactivatePlugin``).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from pytest_botkube.errors import BadInput
from pytest_botkube.helm_values import release_stem
from pytest_botkube.model.events import Happening
from pytest_botkube.model.semantics import Analysis, analyze, forwarding
from pytest_botkube.model.versions import normalize_botkube_version

from .kubeapi import (
    SERVER_VERSION,
    ApiError,
    BotkubeProfile,
    DeliveryContext,
    PlannedDelivery,
    Release,
)
from .standins._common import AGENT_VIOLATION_ENV as VIOLATION_ENV

PLUGIN = "botkube/kubernetes"
#: How long after the rescale the ``late-unforwarded`` delivery comes: late enough to land inside
#: a quiet window of a second or more that starts right after the rescale, as a late event would.
LATE = 0.5
#: Each violation and what the agent does instead of what the model and the recordings say.
VIOLATIONS: dict[str, str] = {
    "status": "/healthz shows the other plugin status (Running <-> Deactivated)",
    "restarts": "/healthz shows one restart more than the health monitor counts",
    "no-entry": "/healthz lists no kubernetes source",
    "exit-status": "every plugin exit is logged with the other status (2 <-> 1)",
    "no-exit": "the 'plugin process exited' lines are left out",
    "panic": "the recorded panic trace is logged although the model predicts no panic",
    "no-panic": "the panic trace is left out (the exit status stays 2)",
    "panic-message": "the panic line names another runtime error",
    "panic-function": "the faulting frame names another function",
    "panic-location": "the faulting frame is at another line of router.go",
    "informers": "'Registering informers...' is logged where the model says the plugin never "
    "gets there, and left out where it does",
    "parse-error-line": "the 'Unable to parse resource' line is left out",
    "drop-deliveries": "nothing the model predicts is delivered",
    "unforwarded": "the HPA's Normal SuccessfulRescale Event is delivered (BotKube never does)",
    "late-unforwarded": f"the same, {LATE:g} s after the rescale (inside a quiet window)",
    "extra-source": "each delivery is also sent on behalf of a source that does not forward it",
}
LOGS = Path(__file__).resolve().parents[1] / "data" / "logs"
_T = "2026-01-01T00:00:00Z"
_RECORDED_VERSION = "v1.13.0"  # the BotKube version of the recorded logs
_RECORDED_TYPE = "autoscaling/v2beta2/horizontalpodautoscalers"
_FRAME_FUNCTION = "mergeResourceEvents"  # in the recording; replaced by panic-function
_FRAME_LOCATION = "router.go:159"  # in the recording; replaced by panic-location


# ------------------------------------------------------------------------------ violations


def parse_violations(text: str, namespace: str) -> frozenset[str]:
    """The violations of :data:`VIOLATION_ENV` that apply to ``namespace``."""
    chosen: set[str] = set()
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, _, glob = item.partition("@")
        if name not in VIOLATIONS:
            raise ValueError(
                f"{VIOLATION_ENV}: unknown violation {name!r}; one of {', '.join(VIOLATIONS)}"
            )
        if not glob or fnmatch.fnmatchcase(namespace, glob):
            chosen.add(name)
    return frozenset(chosen)


def namespace_glob(run_name: str) -> str:
    """The namespaces the suite gives a scenario's (or run's) releases: ``bk-<name>-<hex>``."""
    return f"{release_stem(run_name)}-*"


# ------------------------------------------------------------------------------ recordings


@cache
def recorded_block(name: str, first: str) -> tuple[dict[str, Any], ...]:
    """The lines of the recorded agent log ``name`` from the first whose message contains
    ``first`` up to (not including) the plugin's exit that follows it."""
    lines = (LOGS / name).read_text(encoding="utf-8").splitlines()
    out: list[dict[str, Any]] = []
    for entry in (json.loads(line) for line in lines if line.strip()):
        if out and entry.get("msg") == "plugin process exited":
            return tuple(out)
        if out or first in str(entry.get("msg", "")):
            out.append(entry)
    raise AssertionError(f"no {first!r} followed by an exit in {name}")  # pragma: no cover


def recorded_panic() -> tuple[dict[str, Any], ...]:
    """The plugin's panic trace as the agent re-logged it (first crash of the recording)."""
    return recorded_block("crash_loop_v1.13.0.json.log", "panic: ")


def recorded_parse_failure() -> tuple[dict[str, Any], ...]:
    """The plugin's stderr from 'Unable to parse resource' to its exit (first of the recording)."""
    return recorded_block("exit_loop_unknown_type.json.log", "Unable to parse resource")


def _restamped(entry: Mapping[str, Any], version: str, **replace: str) -> str:
    """A recorded line for this agent: its version, this double's time, ``replace`` applied to
    every string value (old -> new)."""
    fixed: dict[str, Any] = {}
    for key, value in entry.items():
        if isinstance(value, str):
            value = value.replace(_RECORDED_VERSION, version)
            for old, new in replace.items():
                value = value.replace(old, new)
        fixed[key] = _T if key == "time" else value
    return json.dumps(fixed, sort_keys=True)


# ------------------------------------------------------------------------------ the log


def _line(level: str, msg: str, **fields: Any) -> str:
    return json.dumps({"level": level, "msg": msg, **fields, "time": _T}, sort_keys=True)


def _stderr(text: str) -> str:
    """A line of the plugin's own stderr (logrus text, coloured), as the agent re-logs it."""
    return _line("error", f"\x1b[36mINFO\x1b[0m[{_T}] {text}  \x1b[36mid\x1b[0m=1",
                 logger="stderr", plugin=PLUGIN)  # fmt: skip


def _unserved_types(analysis: Analysis, values: Mapping[str, Any]) -> list[str]:
    """The resource types the model says make the plugin exit (its BK002/BK003 findings)."""
    out = []
    for report in analysis.sources:
        for finding in report.findings:
            if finding.code not in ("BK002", "BK003"):
                continue
            node: Any = values
            for key in finding.path:
                if isinstance(node, Mapping):
                    node = node.get(key)
                elif isinstance(node, list) and isinstance(key, int) and key < len(node):
                    node = node[key]
                else:
                    node = None
            out.append(str(node))
    return out


class _AgentLog:
    """The agent log for one prediction (see the module doc), with ``violations`` applied."""

    def __init__(
        self,
        analysis: Analysis,
        values: Mapping[str, Any],
        threshold: int,
        violations: frozenset[str],
    ) -> None:
        self.analysis = analysis
        self.version = analysis.botkube_version
        self.values = values
        self.threshold = threshold
        self.violations = violations
        self.path = f"/tmp/botkube/source_{self.version}_kubernetes"

    def _panic(self) -> Iterator[str]:
        replace = {}
        if "panic-message" in self.violations:
            replace["invalid memory address or nil pointer dereference"] = "index out of range [3]"
        if "panic-function" in self.violations:
            replace[f"kubernetes.{_FRAME_FUNCTION}("] = "kubernetes.mergeRouteTypes("
        if "panic-location" in self.violations:
            replace[_FRAME_LOCATION] = "router.go:171"
        for entry in recorded_panic():
            yield _restamped(entry, self.version, **replace)

    def _parse_failure(self) -> Iterator[str]:
        if "parse-error-line" in self.violations:
            return
        types = _unserved_types(self.analysis, self.values) or ["?"]
        for entry in recorded_parse_failure():
            yield _restamped(entry, self.version, **{_RECORDED_TYPE: types[0]})

    def _exited(self, status: int, pid: int) -> Iterator[str]:
        if "no-exit" in self.violations:
            return
        if "exit-status" in self.violations:
            status = {1: 2, 2: 1}.get(status, status)
        yield _line("error", "plugin process exited", error=f"exit status {status}",
                    path=self.path, pid=pid, plugin=PLUGIN)  # fmt: skip

    def _process(self, pid: int) -> Iterator[str]:
        """One plugin process: its streams in sorted alias order, each rebuilding the routing
        table over the sources streamed so far (upstream ``Source.Stream``), until it dies."""
        verdict = self.analysis.verdict
        started = sorted(s.name for s in self.analysis.sources if s.started)
        causes = {s.name for s in self.analysis.sources if s.cause == verdict}
        flip = "informers" in self.violations
        yield _line("debug", "plugin started", path=self.path, pid=pid, plugin=PLUGIN)
        for index, alias in enumerate(started):
            yield _line("info", f'Starting a new stream for plugin "{PLUGIN}"')
            yield _line("info", "Start source streaming...", pluginName=PLUGIN, sourceName=alias)
            yield _stderr("Reconfiguring background process with 1 different Kubeconfig(s)...")
            dies = verdict != "healthy" and bool(causes & set(started[: index + 1]))
            if verdict == "crash" and dies:  # BuildTable panics before "Registering informers"
                if flip:
                    yield _stderr("Registering informers...")
                if "no-panic" not in self.violations:
                    yield from self._panic()
                yield from self._exited(2, pid)
                return
            if not flip:
                yield _stderr("Registering informers...")
            if index == 0 and "panic" in self.violations:
                yield from self._panic()
            if verdict == "exit" and dies:
                yield from self._parse_failure()
                yield from self._exited(1, pid)
                return

    def text(self) -> str:
        lines = [
            _line("info", 'Starting server on address ":2114"', component="Health server"),
            _line("info", "Source plugin registered successfully.", component="Plugin Manager",
                  plugin=PLUGIN, version=self.version),
        ]  # fmt: skip
        failing = self.analysis.verdict != "healthy"
        if not any(s.started for s in self.analysis.sources):
            return "\n".join(lines) + "\n"
        processes = self.threshold + 1 if failing else 1
        for attempt in range(processes + (1 if failing else 0)):
            if attempt:
                lines.append(_line("error", f'Plugin "{PLUGIN}" is not responding.',
                                   component="Plugin Manager"))  # fmt: skip
                lines.append(_line("info", f'Restarting source plugin "{PLUGIN}", attempt '
                                   f"{attempt}/{self.threshold}...",
                                   component="Plugin Health Monitor"))  # fmt: skip
            if attempt == processes:
                lines.append(_line("warning", f'Plugin "{PLUGIN}" has been restarted too many '
                                   "times. Deactivating...",
                                   component="Plugin Health Monitor"))  # fmt: skip
                break
            lines.extend(self._process(31 + 11 * attempt))
        return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ deliveries


def workload_happenings(ctx: DeliveryContext) -> list[Happening]:
    """What the agent sees of the workload at the rescale: the Deployment's and the HPA's
    creation, then the HPA controller's Events (from the double's own objects)."""
    hpa = ctx.obj or {}
    ns = str(hpa.get("metadata", {}).get("namespace", ""))
    target = hpa.get("spec", {}).get("scaleTargetRef", {})
    out = [
        Happening("apps/v1/deployments", str(target.get("name", "")), ns, action="create"),
        Happening(f"{hpa.get('apiVersion')}/horizontalpodautoscalers",
                  str(hpa.get("metadata", {}).get("name", "")), ns, action="create"),
    ]  # fmt: skip
    for event in ctx.events:
        involved = event.get("involvedObject", {})
        out.append(Happening(
            f"{involved.get('apiVersion')}/horizontalpodautoscalers", str(involved.get("name")),
            ns, event_type=event.get("type"), reason=str(event.get("reason", "")),
            message=str(event.get("message", "")), count=int(event.get("count", 1)),
        ))  # fmt: skip
    return out


def payload(happening: Happening, source: str, cluster: str) -> dict[str, Any]:
    """BotKube's webhook body for one forwarded happening (upstream event.New and
    pkg/sink/webhook.go: one POST per forwarding source, ``data`` keys are Go field names)."""
    api, _, plural = happening.resource.rpartition("/")
    kinds = {"deployments": "Deployment", "horizontalpodautoscalers": "HorizontalPodAutoscaler"}
    core = happening.is_core_event
    etype = "error" if core else str(happening.action)
    data: dict[str, Any] = {
        "APIVersion": api, "Kind": kinds.get(plural, plural), "Name": happening.name,
        "Namespace": happening.namespace, "Type": etype,
        "Title": f"{happening.resource} {etype}" if core else f"{happening.resource} {etype}d",
        "Reason": happening.reason if core else "",
        "Level": ("error" if happening.event_type == "Warning" else "info") if core else
        {"create": "success", "update": "info", "delete": "error"}[etype],
        "Cluster": cluster, "TimeStamp": _T, "Count": happening.count if core else 0,
        "Action": "", "Resource": happening.resource,
        "Messages": [happening.message] if core else None,
        "Recommendations": None, "Warnings": None,
    }  # fmt: skip
    return {"source": source, "data": data, "timeStamp": "0001-01-01T00:00:00Z"}


def _deliveries(analysis: Analysis, violations: frozenset[str]) -> list[PlannedDelivery]:
    started = sorted(s.name for s in analysis.sources if s.started)

    def mine(ctx: DeliveryContext) -> list[Happening]:
        if ctx.obj is None or ctx.obj["metadata"].get("namespace") != ctx.release.namespace:
            return []  # another release's workload: not simulated (module doc)
        return workload_happenings(ctx)

    def forwarded(ctx: DeliveryContext) -> list[dict[str, Any]]:
        if "drop-deliveries" in violations:
            return []
        bodies = []
        for happening in mine(ctx):
            sources = list(forwarding(analysis, happening).sources)
            if sources and "extra-source" in violations:
                sources += [a for a in started if a not in sources][:1] or ["k8s-extra-events"]
            bodies += [payload(happening, s, ctx.release.cluster_name) for s in sources]
        return bodies

    def unforwarded(ctx: DeliveryContext) -> list[dict[str, Any]]:
        source = started[0] if started else "k8s-hpa-events"
        return [
            payload(h, source, ctx.release.cluster_name)
            for h in mine(ctx)
            if h.reason == "SuccessfulRescale"
        ]

    planned = [PlannedDelivery("rescale", forwarded)]
    if "unforwarded" in violations:
        planned.append(PlannedDelivery("rescale", unforwarded))
    if "late-unforwarded" in violations:
        planned.append(PlannedDelivery("rescale", unforwarded, delay=LATE))
    return planned


# ------------------------------------------------------------------------------ the agent


def botkube_version(release: Release) -> str:
    """The chart version, else the image tag: what the model is asked about."""
    tag = str((release.values.get("image") or {}).get("tag") or "")
    for candidate in (release.chart_version or "", tag):
        try:
            return normalize_botkube_version(candidate)
        except BadInput:
            continue
    raise ValueError(f"cannot tell the BotKube version of chart {release.chart_version!r}, "
                     f"image tag {tag!r}")  # fmt: skip


def healthz(analysis: Analysis, threshold: int, violations: frozenset[str]) -> dict[str, Any]:
    failing = analysis.verdict != "healthy"
    status = "Deactivated" if failing else "Running"
    if "status" in violations:
        status = "Running" if failing else "Deactivated"
    restarts = threshold + 1 if failing else 0
    if "restarts" in violations:
        restarts += 1
    plugins = {
        s.name: {"enabled": True, "status": status, "restarts": f"{restarts}/{threshold}"}
        for s in analysis.sources
        if s.started and "no-entry" not in violations
    }
    return {
        "botkube": {"status": "Healthy"},
        "plugins": plugins,
        "platforms": {"default-group-webhook": {"status": "Unknown", "restarts": "0/0"}},
    }


def behaviour(release: Release, violations: frozenset[str] = frozenset()) -> BotkubeProfile:
    """The agent of ``release``: the model's prediction for its values, with ``violations``."""
    policy = (release.values.get("plugins") or {}).get("restartPolicy") or {}
    threshold = int(policy.get("threshold", 10))
    analysis = analyze(release.values, botkube_version(release), SERVER_VERSION["gitVersion"])
    return BotkubeProfile(
        healthz=healthz(analysis, threshold, violations),
        log=_AgentLog(analysis, release.values, threshold, violations).text(),
        deliveries=_deliveries(analysis, violations),
    )


def model_agent(sigint_on: str | None = None) -> Callable[[Release], BotkubeProfile]:
    """A profile factory for ``KubeApiDouble.set_profile``: every release's agent behaves as
    :func:`behaviour` says, with the violations its install carried (:data:`VIOLATION_ENV`)."""

    def factory(release: Release) -> BotkubeProfile:
        try:
            violations = parse_violations(release.agent_violations, release.namespace)
            profile = behaviour(release, violations)
        except (ValueError, BadInput) as exc:
            raise ApiError(500, "InternalError", f"agent double: {exc}") from None
        profile.sigint_on = sigint_on
        return profile

    return factory
