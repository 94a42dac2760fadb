"""``botkube-repro run``: the live reproduction as one command, with progress on stderr.

The same phases as the pytest fixtures (cluster, receiver, release, workload, observation,
teardown), composed from the cluster layer without pytest, so a maintainer with a bug report
gets one table instead of a test session. Several runs share one cluster and one receiver and
go one after the other, each in its own namespace and release (``--compare`` versions, the
``--with-workaround`` config).

Which expectations a run is judged by:

- the scenario's own run: the scenario file's ``expect``;
- a variant (another version, the workaround): a shipped scenario with the same values and
  version if there is one (``crash-v1.13.0`` on v1.14.0 is ``fixed-v1.14.0``), else the model's
  prediction (``lint``): any disagreement is a mismatch;
- a user's values file: none; the run must complete (disagreements are still flagged).

Interrupting (Ctrl-C) unwinds through the same ``finally`` blocks: the release is uninstalled,
its namespace deleted and the cluster stopped per the keep policy.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pytest_botkube.bundled import scenarios_dir
from pytest_botkube.errors import BadInput, EnvironmentUnavailable
from pytest_botkube.live.receiver import WebhookReceiver
from pytest_botkube.live.wait import WaitFailed, hold_for, wait_until
from pytest_botkube.model.events import Happening
from pytest_botkube.model.semantics import Analysis, analyze, forwarding
from pytest_botkube.model.versions import has_nil_event_panic
from pytest_botkube.readers.health import HealthVerdict, Healthz, parse_healthz
from pytest_botkube.readers.logs import LogSummary
from pytest_botkube.report.records import RunRecord, disagreements, verdict_table_text, write_bundle
from pytest_botkube.reproduce.delivery_diff import DeliveryDiff, delivery_diff
from pytest_botkube.scenario import (
    DeliveryExpectation,
    Scenario,
    freeze,
    load_scenarios,
    normalize_version,
    thaw,
)
from pytest_botkube.settings import BY_NAME as OPTION_DEFAULTS
from pytest_botkube.yamlio import format_key_path

if TYPE_CHECKING:  # the cluster layer is imported when a run starts, not with the CLI
    from pytest_botkube.live.environment import LiveConfig, LiveEnvironment
    from pytest_botkube.live.helm import ChartSource
    from pytest_botkube.live.network import ReceiverAddress
    from pytest_botkube.live.release import HealthSettings, Release
    from pytest_botkube.live.workload import Workload

#: The event types the upstream maintainer's workaround on issue #1474 adds (and lint suggests).
WORKAROUND_TYPES: tuple[str, ...] = ("create", "delete", "error")
_NIL_EVENT = "nil-event-panic"  # lint's finding names for a source without top-level event
_NIL_EVENT_TOLERATED = "nil-event-tolerated"
#: helm's words when the chart repository cannot be reached (exit 3, not a BotKube problem).
_NETWORK = re.compile(
    r"no such host|dial tcp|connection refused|i/o timeout|network is unreachable|"
    r"TLS handshake timeout|could not download|failed to fetch|cannot be reached|"
    r"Temporary failure in name resolution",
    re.IGNORECASE,
)


# The agent's fatal error when its plugin manager cannot fetch (v1.13.0 and v1.14.0,
# pkg/plugin/manager.go: fetchIndex's and the binary download's wrapping); quotes are escaped
# in the JSON log format.
_INDEX_FAILURE = re.compile(
    r'while fetching index for \\?"(?P<repo>[^"\\]+)\\?" repository with URL '
    r'\\?"(?P<url>[^"\\]+)\\?"'
)
_BINARY_FAILURE = re.compile(r'while fetching plugin \\?"(?P<plugin>[^"\\]+)\\?" binary')


def plugin_download_failure(log_text: str) -> str | None:
    """What the agent could not download, from its log (None when it says nothing of it)."""
    index = _INDEX_FAILURE.search(log_text)
    if index is not None:
        return f"the plugin index {index['url']} (repository {index['repo']!r})"
    binary = _BINARY_FAILURE.search(log_text)
    if binary is not None:
        return f"the plugin {binary['plugin']!r} from its index"
    return None


# -- the workaround, a pure transform -----------------------------------------------------------


def workaround_values(
    values: Mapping[str, Any], types: Sequence[str] = WORKAROUND_TYPES
) -> tuple[dict[str, Any], list[str]]:
    """``values`` with a top-level ``config.event.types`` on every kubernetes source that has
    ``resources:`` but no top-level ``event`` (what lint reports as BK001/BK008), and the key
    paths it added. The caller's mapping is not modified."""
    out: dict[str, Any] = thaw(values)
    analysis = analyze(out, "v1.13.0")  # the panicking version names every affected source
    added: list[str] = []
    for finding in analysis.all_findings():
        if finding.name not in (_NIL_EVENT, _NIL_EVENT_TOLERATED):
            continue
        *parents, last = finding.path
        node: Any = out
        for key in parents:
            child = node.get(key) if isinstance(node, dict) else None
            if not isinstance(child, dict):
                child = {}
                node[key] = child
            node = child
        if isinstance(node.get(last), dict) and node[last].get("types"):
            continue
        node[last] = {**(node.get(last) or {}), "types": list(types)}
        added.append(format_key_path(finding.path) + ".types")
    return out, sorted(set(added))


# -- what to run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedRun:
    """One install: these values on this version, judged by ``judged_by``."""

    scenario: Scenario  # name is the run's label; expect None = judged by the model or ad hoc
    judged_by: str
    by_model: bool = False  # no scenario expectations: a model disagreement is a mismatch
    note: str = ""

    @property
    def name(self) -> str:
        return self.scenario.name


def _shipped_match(values: Mapping[str, Any], version: str) -> Scenario | None:
    try:
        shipped = load_scenarios(scenarios_dir())
    except BadInput:
        return None
    plain = thaw(values)
    for scenario in shipped:
        if scenario.botkube_version == version and thaw(scenario.values) == plain:
            return scenario
    return None


def _variant(
    base: Scenario, label: str, version: str, values: Mapping[str, Any], note: str
) -> PlannedRun:
    match = _shipped_match(values, version)
    if match is not None:
        scenario = replace(
            base,
            name=label,
            botkube_version=version,
            values=freeze(thaw(values)),
            expect=match.expect,
            upstream=match.upstream or base.upstream,
        )
        return PlannedRun(scenario, f"scenario {match.name} (same values and version)", note=note)
    scenario = replace(
        base, name=label, botkube_version=version, values=freeze(thaw(values)), expect=None
    )
    if base.adhoc:
        return PlannedRun(scenario, "ad hoc: the run completes", note=note)
    return PlannedRun(
        scenario, "the model (lint): any disagreement fails", by_model=True, note=note
    )


def plan_runs(
    base: Scenario, compare: Sequence[str] = (), with_workaround: bool = False
) -> list[PlannedRun]:
    """The runs one command makes: ``base``, then each ``compare`` version, then the workaround
    on every version whose model says the original values panic."""
    versions = [base.botkube_version]
    for raw in compare:
        try:
            version = normalize_version(raw)
        except BadInput as exc:
            raise BadInput(f"--compare {raw}: {exc}") from None
        if version not in versions:
            versions.append(version)
    primary = base.botkube_version
    runs = [
        PlannedRun(
            base,
            f"scenario {base.name}" if not base.adhoc else "ad hoc: the run completes",
        )
    ]
    for version in versions[1:]:
        runs.append(_variant(base, f"{base.name}@{version}", version, base.values, ""))
    if with_workaround:
        fixed, added = workaround_values(base.values)
        if not added:
            raise BadInput(
                "--with-workaround: every kubernetes source with resources already has a "
                "top-level config.event; there is nothing to work around"
            )
        note = "workaround: added " + ", ".join(added) + f" = {list(WORKAROUND_TYPES)}"
        for version in versions:
            if not has_nil_event_panic(version):
                continue
            label = f"{base.name}+workaround" + ("" if version == primary else f"@{version}")
            runs.append(_variant(base, label, version, fixed, note))
        if len(runs) == len(versions):
            raise BadInput(
                f"--with-workaround: none of {', '.join(versions)} has the nil-event panic the "
                "workaround is for; add --compare v1.13.0"
            )
    return runs


# -- settings ---------------------------------------------------------------------------------


def _default(name: str) -> Any:
    return OPTION_DEFAULTS[name].default


@dataclass(frozen=True)
class RunSettings:
    """What a live run needs. The defaults are the settings table's (option_table.py), so the
    CLI, the pytest options and code that builds this directly cannot drift apart."""

    cluster_mode: str = _default("cluster_mode")
    cluster_name: str = _default("cluster_name")
    kubeconfig: Path | None = _default("kubeconfig")
    context: str | None = _default("context")
    node_image: str | None = _default("node_image")
    keep: str = _default("keep")
    kind: str | None = _default("kind")
    helm: str | None = _default("helm")
    docker: str | None = _default("docker")
    no_download: bool = _default("no_download")
    chart_repo: str = _default("chart_repo")
    chart: str = _default("chart")
    chart_dir: Path | None = _default("chart_dir")
    image: str | None = _default("image")
    plugin_index: str | None = _default("plugin_index")
    health_interval: str = _default("health_interval")
    restart_threshold: int = _default("restart_threshold")
    receiver_bind: str | None = _default("receiver_bind")
    receiver_host: str | None = _default("receiver_host")
    receiver_port: int = _default("receiver_port")
    cluster_timeout: float = _default("cluster_timeout")
    install_timeout: float = _default("install_timeout")
    start_timeout: float = _default("start_timeout")
    start_grace: float = _default("start_grace")
    event_timeout: float = _default("event_timeout")
    health_timeout: float = _default("health_timeout")
    quiet_window: float = _default("quiet_window")
    teardown_timeout: float = _default("teardown_timeout")


# -- the session's pieces, shared with the pytest fixtures (fixtures.py) --------------------------


def live_config(s: RunSettings, work_dir: Path) -> LiveConfig:
    """The cluster the settings describe (``botkube-repro run`` and the pytest session)."""
    from pytest_botkube.live import environment as live
    from pytest_botkube.live.kind import NODE_IMAGE, ClusterMode, KeepPolicy

    return live.LiveConfig(
        mode=ClusterMode(s.cluster_mode),
        cluster_name=s.cluster_name,
        node_image=s.node_image or NODE_IMAGE,
        kubeconfig=s.kubeconfig,
        context=s.context,
        keep=KeepPolicy(s.keep),
        kind_path=s.kind,
        helm_path=s.helm,
        docker_path=s.docker,
        allow_download=not s.no_download,
        work_dir=work_dir,
        cluster_timeout=s.cluster_timeout,
    )


def health_settings(s: RunSettings) -> HealthSettings:
    from pytest_botkube.live.release import HealthSettings

    # The agent may take as long to become ready as helm --wait waits for it.
    return HealthSettings(s.health_interval, s.restart_threshold, s.install_timeout)


def chart_source(s: RunSettings) -> ChartSource:
    from pytest_botkube.live.helm import ChartSource

    return ChartSource(repo=s.chart_repo, chart=s.chart, directory=s.chart_dir)


def plan_live_release(
    s: RunSettings, scenario: Scenario, env: LiveEnvironment, receiver_url: str, workdir: Path
) -> Release:
    """The release of ``scenario`` on ``env`` (not installed yet); ValueError for values the
    chart cannot take."""
    from pytest_botkube.live.release import plan_release

    return plan_release(
        scenario,
        kube=env.kube,
        helm=env.helm,
        chart=chart_source(s),
        receiver_url=receiver_url,
        cluster_name=env.cluster.name,
        workdir=workdir,
        health=health_settings(s),
        image=s.image,
        plugin_index_url=s.plugin_index,
    )


#: helm's words when an object the release creates already belongs to another release.
_OWNED_ELSEWHERE = "cannot be imported into the current release"


def install_failure_hint(message: str) -> str:
    """What to do about a failed ``helm install`` whose message is ``message`` ("" when there
    is nothing to add)."""
    if _OWNED_ELSEWHERE not in message:
        return ""
    return (
        "; another release owns a cluster-scoped object this one creates (the chart's RBAC "
        "objects are named per release: one of an interrupted run? an object of the values' "
        "`extraObjects`?): find it with `helm list --all-namespaces` and uninstall it"
    )


@dataclass
class ReceiverEndpoint:
    """The session's receiver and the URL the agent in the cluster uses to reach it."""

    receiver: WebhookReceiver
    url: str
    address: ReceiverAddress


def _phase(
    progress: Progress | None, name: str, what: str = ""
) -> contextlib.AbstractContextManager[PhaseResult]:
    return (
        progress.phase(name, what)
        if progress is not None
        else contextlib.nullcontext(PhaseResult())
    )


@contextlib.contextmanager
def open_receiver(
    s: RunSettings, env: LiveEnvironment, progress: Progress | None = None
) -> Iterator[ReceiverEndpoint]:
    """The started receiver, probed from the kind node, reset; stopped on exit. Raises what
    ``choose_address`` raises, and EnvironmentUnavailable when it cannot bind or the node
    cannot reach it."""
    from pytest_botkube.live.network import choose_address, probe_from_node

    with _phase(progress, "receiver") as result:
        address = choose_address(
            docker=env.tools.docker if env.cluster.is_kind else None,
            env=env.tools.env,
            kind_cluster=env.cluster.is_kind,
            host_override=s.receiver_host,
            bind_override=s.receiver_bind,
        )
        receiver = WebhookReceiver(address.bind, s.receiver_port)
        try:
            receiver.start()
        except OSError as exc:
            raise EnvironmentUnavailable(
                f"the webhook receiver cannot bind {address.bind} ({address.how}): {exc}; "
                "pass --receiver-bind/--receiver-host "
                "(pytest: --botkube-receiver-bind/--botkube-receiver-host)"
            ) from None
        url = receiver.url_for(address.host)
        result.text = f"{url} ({address.how})"
    try:
        if env.cluster.is_kind:
            with _phase(progress, "receiver probe", "from the kind node") as result:
                status = probe_from_node(env.tools.docker, env.tools.env, env.cluster.name, url)
                result.text = f"the kind node reaches the receiver (HTTP {status})"
        receiver.reset()  # the probe is not a delivery
        yield ReceiverEndpoint(receiver=receiver, url=url, address=address)
    finally:
        receiver.stop()


# -- progress ---------------------------------------------------------------------------------


class Progress:
    """One line per phase with its duration; while a phase runs, a status line that a terminal
    redraws every second (elapsed time, live plugin restarts) and that a log file gets as plain
    lines when it changes, plus a heartbeat, so that no minute passes silently."""

    def __init__(
        self,
        stream: TextIO,
        *,
        live: bool | None = None,
        heartbeat: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.live = stream.isatty() if live is None else live
        self.heartbeat = heartbeat
        self.clock = clock
        self.started = clock()
        self.lines: list[str] = []  # the final lines, for the bundle's transcript
        self._lock = threading.Lock()
        self._phase: str | None = None
        self._phase_start = 0.0
        self._status = ""
        self._printed = ""  # the last status written as a plain line
        self._last_plain = 0.0
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def _stamp(self) -> str:
        return f"[{self.clock() - self.started:6.1f}s]"

    def _write(self, text: str) -> None:
        with self._lock:
            if self.live:
                self.stream.write("\r\x1b[K")
            self.stream.write(text + "\n")
            self.stream.flush()
            self.lines.append(text)
            self._redraw_locked()

    def _redraw_locked(self) -> None:
        if not self.live or self._phase is None:
            return
        took = self.clock() - self._phase_start
        status = f": {self._status}" if self._status else ""
        self.stream.write(f"\r\x1b[K  .. {self._phase}{status} ({took:.0f}s)")
        self.stream.flush()

    def say(self, text: str) -> None:
        self._write(f"{self._stamp()} {text}")

    def section(self, text: str) -> None:
        """A heading line (a new run): the next status is printed even if it reads the same."""
        with self._lock:
            self._printed = ""
        self.say(text)

    def status(self) -> str:
        """The last live status (what a wait that gives up last observed)."""
        return self._status or "nothing read yet"

    def update(self, status: str) -> None:
        """The current phase's live status (e.g. ``k8s-hpa-events Running, restarts 2/3``)."""
        with self._lock:
            self._status = status
            if self.live:
                self._redraw_locked()
                return
            # a log gets a line when the state changes, not again for the next phase
            changed = status != self._printed
            self._printed = status
        if changed:
            self._plain(status)

    def _plain(self, status: str) -> None:
        took = self.clock() - self._phase_start
        self._last_plain = self.clock()
        self.say(f"  .. {self._phase}: {status} ({took:.0f}s)")

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            with self._lock:
                phase, status = self._phase, self._status
                if self.live:
                    self._redraw_locked()
                    continue
            if phase is not None and self.clock() - self._last_plain >= self.heartbeat:
                self._plain(f"still waiting{', ' + status if status else ''}")

    @contextlib.contextmanager
    def phase(self, name: str, what: str = "") -> Iterator[PhaseResult]:
        result = PhaseResult(what)
        with self._lock:
            self._phase, self._phase_start, self._status = name, self.clock(), ""
            self._last_plain = self.clock()
            if self._ticker is None:
                self._ticker = threading.Thread(target=self._tick, daemon=True)
                self._ticker.start()
            self._redraw_locked()
        outcome = "FAILED"
        try:
            yield result
            outcome = ""
        except KeyboardInterrupt:
            outcome = "INTERRUPTED"
            raise
        finally:
            took = self.clock() - self._phase_start
            with self._lock:
                self._phase = None
            text = result.text or "done"
            if outcome:
                text = f"{outcome} ({result.text})" if result.text else outcome
            self.say(f"  {name:<16} {text} ({took:.1f}s)")

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)


@dataclass
class PhaseResult:
    text: str = ""


# -- one run ----------------------------------------------------------------------------------


@dataclass
class RunOutcome:
    plan: PlannedRun
    record: RunRecord
    problems: list[str] = field(default_factory=list)
    diff: DeliveryDiff | None = None

    @property
    def ok(self) -> bool:
        if self.problems:
            return False
        if self.plan.by_model and disagreements(self.record):
            return False
        return self.record.expectations_met is not False


def _health_line(release: Release, aliases: Sequence[str]) -> tuple[str, Healthz | None]:
    """``alias Status restarts n/t`` for each source, read once from /healthz."""
    from pytest_botkube.live.kube import KubeError

    try:
        healthz = parse_healthz(release.healthz(), where=f"{release.namespace} /healthz")
    except (KubeError, BadInput) as exc:
        return f"/healthz not readable yet ({exc})", None
    parts = []
    for alias in aliases:
        entry = healthz.plugins.get(alias)
        parts.append(
            f"{alias} {entry.status}, restarts {entry.restarts}/{entry.threshold}"
            if entry is not None
            else f"{alias} absent"
        )
    return "; ".join(parts) or "no kubernetes source", healthz


class Runner:
    """Runs planned runs on one live environment, one after the other."""

    def __init__(
        self,
        settings: RunSettings,
        progress: Progress,
        *,
        environ: Mapping[str, str],
        work_dir: Path,
        collect_artifacts: bool = False,
    ) -> None:
        self.settings = settings
        self.progress = progress
        self.environ = dict(environ)
        self.work_dir = work_dir
        self.collect_artifacts = collect_artifacts
        self.kind_version = ""
        self.cluster_message = ""

    # -- session ------------------------------------------------------------------------

    def live_config(self) -> LiveConfig:
        return live_config(self.settings, self.work_dir)

    def run_all(self, plans: Sequence[PlannedRun]) -> list[RunOutcome]:
        from pytest_botkube.live import environment as live
        from pytest_botkube.live.tools import CommandFailed

        config = self.live_config()
        what = {
            "create": f"kind create cluster {config.cluster_name}",
            "reuse": f"reuse kind cluster {config.cluster_name}",
            "existing": "existing cluster from the kubeconfig",
        }[config.mode.value]
        with self.progress.phase("cluster", what) as result:
            env = live.start(config, self.environ)
            result.text = (
                f"{'created' if env.cluster.created else 'using'} {env.cluster.name!r}, "
                f"Kubernetes {env.kubernetes_version}"
            )
        outcomes: list[RunOutcome] = []
        failed = True
        try:
            self.kind_version = self._kind_version(env)
            with self.progress.phase("image") as result:
                if self.settings.image:
                    try:
                        env.load_image(self.settings.image, timeout=self.settings.install_timeout)
                    except CommandFailed as exc:
                        raise BadInput(f"--image {self.settings.image}: {exc}") from None
                    result.text = f"loaded {self.settings.image} into the kind node"
                else:
                    result.text = "chart default ghcr.io/kubeshop/botkube:<version> (node pulls)"
            with open_receiver(self.settings, env, self.progress) as endpoint:
                receiver, url = endpoint.receiver, endpoint.url
                for index, plan in enumerate(plans, 1):
                    scenario = plan.scenario
                    self.progress.section(
                        f"run {index}/{len(plans)}: {plan.name} on BotKube "
                        f"{scenario.botkube_version}, judged by {plan.judged_by}"
                    )
                    if plan.note:
                        self.progress.say(f"  {plan.note}")
                    outcomes.append(self.run_one(plan, env, receiver, url))
            failed = not all(o.ok for o in outcomes)
        finally:
            with self.progress.phase("cluster stop") as result:
                self.cluster_message = result.text = env.stop(failed)
        return outcomes

    def _kind_version(self, env: LiveEnvironment) -> str:
        from pytest_botkube.live.tools import CommandFailed, run

        if env.tools.kind is None:
            return ""
        try:
            out = run([str(env.tools.kind), "version"], timeout=30, env=env.tools.env).stdout
        except CommandFailed:
            return "?"
        words = out.split()
        return words[1] if len(words) > 1 and words[0] == "kind" else out.strip()

    # -- one run --------------------------------------------------------------------------

    def run_one(
        self, plan: PlannedRun, env: LiveEnvironment, receiver: WebhookReceiver, url: str
    ) -> RunOutcome:
        from pytest_botkube.live.kube import KubeError

        s = self.settings
        scenario = plan.scenario
        receiver.reset()
        try:
            release = plan_live_release(s, scenario, env, url, self.work_dir / "releases")
        except ValueError as exc:
            raise BadInput(str(exc)) from None
        problems: list[str] = []
        try:
            if self._install(release, problems):
                try:
                    return self._observe(plan, env, release, receiver, problems)
                except KubeError as exc:  # e.g. RBAC refusing the workload: this run failed
                    problems.append(f"Kubernetes API: {exc}")
            return RunOutcome(plan, self._failed_record(plan, release, env, problems), problems)
        finally:
            with self.progress.phase("teardown", f"helm uninstall {release.name}") as result:
                trouble = release.teardown(s.teardown_timeout)
                result.text = (
                    "; ".join(trouble)
                    if trouble
                    else f"uninstalled {release.name}, namespace {release.namespace} deleted"
                )
            problems.extend(trouble)

    def _install(self, release: Release, problems: list[str]) -> bool:
        from pytest_botkube.live.tools import CommandFailed

        s = self.settings
        version = release.version or f"chart dir {s.chart_dir}"
        with self.progress.phase("install", f"helm upgrade --install {release.name}") as result:
            try:
                release.install(s.install_timeout)
            except CommandFailed as exc:
                if _NETWORK.search(str(exc)):
                    raise EnvironmentUnavailable(
                        f"helm cannot fetch the BotKube chart {version} from {s.chart_repo}: "
                        f"{exc}; check the network, or pass --chart-dir with a local chart"
                    ) from None
                hint = install_failure_hint(str(exc))
                problems.append(f"helm install failed: {exc}{hint}")
                result.text = "helm install failed"
                return False
            result.text = f"chart {version} deployed in {release.namespace}"
        with self.progress.phase("plugin start", "agent Ready, kubernetes plugin seen") as result:
            try:
                release.wait_plugin_started(s.start_timeout, grace=s.start_grace)
            except WaitFailed as exc:
                self._check_plugin_download(release)
                problems.append(str(exc))
                result.text = "agent never became Ready"
                return False
            if release.notes:  # the plugin was never seen starting: maybe it never arrived
                self._check_plugin_download(release)
            result.text = "started" + (f" ({release.notes[-1]})" if release.notes else "")
        return True

    def _check_plugin_download(self, release: Release) -> None:
        """EnvironmentUnavailable when the agent log says it could not download its plugin
        index or a plugin (the cluster has no network to it), not a BotKube problem."""
        from pytest_botkube.live.kube import KubeError

        try:
            text = release.log(previous=True) + release.log()
        except KubeError:
            return
        failure = plugin_download_failure(text)
        if failure is not None:
            raise EnvironmentUnavailable(
                f"the BotKube agent in {release.namespace} cannot download {failure}; the "
                "cluster needs network access to it, or pass --plugin-index with an index it "
                "can reach (see `botkube-repro mirror`)"
            )

    def _failed_record(
        self, plan: PlannedRun, release: Release, env: LiveEnvironment, problems: Sequence[str]
    ) -> RunRecord:
        return RunRecord(
            name=plan.name,
            botkube_version=plan.scenario.botkube_version,
            values=release.values,
            chart_version=release.version or str(release.chart.directory),
            kubernetes_version=env.kubernetes_version,
            kind_version=self.kind_version,
            node_image=env.config.node_image,
            diagnosis=(*problems, f"run: judged by {plan.judged_by}"),
            artifacts=self._artifacts(release, None),
            expectations_met=False,
        )

    def _artifacts(self, release: Release, receiver: WebhookReceiver | None) -> tuple[Path, ...]:
        if not self.collect_artifacts:
            return ()
        from pytest_botkube.live.artifacts import collect

        directory = self.work_dir / "artifacts" / release.namespace
        with self.progress.phase("artifacts") as result:
            saved = collect(release, directory, receiver.summary() if receiver else "")
            result.text = f"{len(saved.files)} files"
        return tuple(saved.files)  # files: the bundle files them under the run's own name

    def _observe(
        self,
        plan: PlannedRun,
        env: LiveEnvironment,
        release: Release,
        receiver: WebhookReceiver,
        problems: list[str],
    ) -> RunOutcome:
        from pytest_botkube.live.kube import KubeError
        from pytest_botkube.live.workload import create, prepare
        from pytest_botkube.reproduce.judge import judge_run, payloads, read_health

        s = self.settings
        scenario = plan.scenario
        expect = scenario.expect
        namespace = release.namespace
        aliases = scenario.source_aliases()
        analysis = analyze(release.values, scenario.botkube_version, env.kubernetes_version)
        predicted_down = analysis.verdict != "healthy"

        def health_probe() -> Healthz | None:
            line, healthz = _health_line(release, aliases)
            self.progress.update(line)
            return healthz

        with self.progress.phase("workload", "Deployment + HPA") as result:
            workload = prepare(namespace)
            create(env.kube, workload)
            result.text = f"created {workload.deployment_name} and HPA {workload.hpa_name}"
        try:
            with self.progress.phase("rescale", "waiting for SuccessfulRescale") as result:
                rescale = self._wait_rescale(workload, health_probe)
                result.text = f"{rescale.reason}: {rescale.message}"
            want_down = expect.plugin.status == "Deactivated" if expect else predicted_down
            with self.progress.phase("watching health") as result:
                if want_down:
                    self._wait_deactivated(health_probe, aliases, s.health_timeout)
                line, _ = _health_line(release, aliases)
                result.text = line
            if expect is not None and expect.delivered:
                with self.progress.phase("deliveries") as result:
                    for wanted in expect.delivered:
                        self._wait_delivery(release, receiver, wanted, health_probe)
                    result.text = f"{len(expect.delivered)} expected deliveries arrived"
            elif expect is None and not predicted_down:
                with self.progress.phase("deliveries") as result:
                    result.text = self._await_predicted(workload, receiver, analysis)
        except WaitFailed as exc:
            problems.append(str(exc))
        happened: list[Happening] = []
        with contextlib.suppress(KubeError):
            happened = workload.happenings()
        not_delivered = expect.not_delivered if expect is not None else ()
        window = s.quiet_window
        with self.progress.phase("quiet window", f"{window:g}s") as result:

            def violation() -> str | None:
                health_probe()
                for body in payloads(receiver):
                    for unwanted in not_delivered:
                        if unwanted.matches(body, namespace):
                            data = json.dumps(body.get("data") or {}, sort_keys=True)
                            return f"[{unwanted.describe()}] matched {data}"
                return None

            try:
                hold_for(
                    violation,
                    window=window,
                    interval=1.0,
                    what="a delivery that must not arrive",
                    describe=receiver.summary,
                )
                result.text = f"{len(receiver.deliveries())} deliveries in total"
            except WaitFailed as exc:
                problems.append(str(exc))
                result.text = "a delivery that must not arrive did"
            with contextlib.suppress(KubeError):
                happened = workload.happenings()

        health: tuple[Healthz, LogSummary, HealthVerdict] | None = None
        try:
            health = read_health(release)
        except (KubeError, BadInput) as exc:
            problems.append(f"/healthz and agent log: {exc}")
        judged = judge_run(
            release,
            analysis=analysis,
            happened=happened,
            receiver=receiver,
            health=health,
            kubernetes_version=env.kubernetes_version,
            node_image=env.config.node_image,
            restart_threshold=s.restart_threshold,
            earlier=problems,
            by_model=plan.by_model,
        )
        problems += judged.problems
        record = self._record(judged.record, plan, problems)
        record = replace(record, artifacts=self._artifacts(release, receiver))
        return RunOutcome(plan, record, problems, judged.diff)

    def _record(self, record: RunRecord, plan: PlannedRun, problems: Sequence[str]) -> RunRecord:
        """The command's additions to the judged record: kind's version, every problem, the
        judge and the plan's note."""
        extra = (
            *problems,
            f"run: judged by {plan.judged_by}",
            *([f"run: {plan.note}"] if plan.note else []),
        )
        return replace(record, kind_version=self.kind_version,
                       diagnosis=(*record.diagnosis, *extra))  # fmt: skip

    def _wait_rescale(self, workload: Workload, health: Callable[[], object]) -> Happening:
        """``SuccessfulRescale`` on the HPA (as ``Workload.wait_for_rescale``), reading /healthz
        on every poll so the plugin's restarts show while the HPA controller works."""
        from pytest_botkube.live.kube import KubeError
        from pytest_botkube.live.workload import RESCALE_REASON, event_happenings

        kube = workload.kube
        assert kube is not None  # created before
        last = ["no Events yet"]

        def rescaled() -> Happening | None:
            health()
            found = [h for h in event_happenings(workload, kube.events(workload.namespace))
                     if h.name == workload.hpa_name]  # fmt: skip
            last[0] = "; ".join(f"{h.event_type} {h.reason}" for h in found) or "no HPA Events"
            return next((h for h in found if h.reason == RESCALE_REASON), None)

        return wait_until(
            rescaled,
            timeout=self.settings.event_timeout,
            interval=2.0,
            what=f"{RESCALE_REASON} on HPA {workload.namespace}/{workload.hpa_name}",
            describe=lambda: last[0],
            retry_on=(KubeError,),
        )

    def _wait_delivery(
        self,
        release: Release,
        receiver: WebhookReceiver,
        wanted: DeliveryExpectation,
        health: Callable[[], object],
    ) -> None:
        """The first delivery matching ``wanted`` (as ``checks.wait_for_delivery``, whose
        failure text it keeps), with the live /healthz line while waiting."""
        from pytest_botkube.reproduce.judge import payloads, sending_side

        def arrived() -> bool | None:
            health()
            bodies = payloads(receiver)
            return True if any(wanted.matches(b, release.namespace) for b in bodies) else None

        wait_until(
            arrived,
            timeout=self.settings.event_timeout,
            interval=1.0,
            what=f"delivery {wanted.describe()} (why: {wanted.why.strip()})",
            describe=lambda: f"{receiver.summary()}\nagent side: {sending_side(release)}",
        )

    def _wait_deactivated(
        self, probe: Callable[[], Healthz | None], aliases: Sequence[str], timeout: float
    ) -> None:
        def down() -> bool | None:
            healthz = probe()
            if healthz is None:
                return None
            entries = [healthz.plugins.get(a) for a in aliases]
            return True if all(e is not None and e.deactivated for e in entries) else None

        wait_until(
            down,
            timeout=timeout,
            interval=1.0,
            what=f"/healthz to show Deactivated for {', '.join(aliases) or 'no alias'}",
            describe=self.progress.status,
        )

    def _await_predicted(
        self, workload: Workload, receiver: WebhookReceiver, analysis: Analysis
    ) -> str:
        """Give the deliveries the model predicts time to arrive; never a failure by itself
        (the delivery diff shows what did not come)."""
        from pytest_botkube.live.kube import KubeError

        def probe() -> bool | None:
            happened = workload.happenings()
            diff = delivery_diff(happened, receiver.deliveries(), lambda h: forwarding(analysis, h))
            predicted = [r for r in diff.rows if r.forwarding and r.forwarding.delivered]
            left = [r for r in predicted if not r.delivered]
            self.progress.update(f"{len(predicted) - len(left)} of {len(predicted)} predicted "
                                 "deliveries arrived")  # fmt: skip
            return True if not left else None

        try:
            wait_until(probe, timeout=self.settings.event_timeout, interval=1.0,
                       what="the deliveries the model predicts", retry_on=(KubeError,))  # fmt: skip
        except WaitFailed:
            return "not every predicted delivery arrived (see the delivery diff)"
        return "every delivery the model predicts arrived"


# -- the whole command --------------------------------------------------------------------------


def render_outcomes(outcomes: Sequence[RunOutcome]) -> str:
    """The end of a run: the verdict table, then per run its judge, problems and delivery diff."""
    records = [o.record for o in outcomes]
    parts = ["", verdict_table_text(records).rstrip("\n")]
    for outcome in outcomes:
        record = outcome.record
        mark = "ok" if outcome.ok else "MISMATCH"
        parts.append("")
        parts.append(
            f"== {record.name} (BotKube {record.botkube_version}): {mark}, judged by "
            f"{outcome.plan.judged_by}"
        )
        parts += [f"   problem: {p}" for p in outcome.problems]
        if outcome.plan.by_model:
            parts += [f"   model disagrees: {p}" for p in disagreements(record)]
        if outcome.diff is not None and record.diagnosis:  # the agent log's health sentence
            parts.append(f"   diagnosis: {record.diagnosis[0]}")
        if record.known_issue:
            parts.append(f"   upstream: {record.known_issue} {record.known_issue_title}".rstrip())
        if outcome.diff is not None and outcome.diff.rows:
            parts.append("   delivery diff:")
            parts += [f"     {line}" for line in outcome.diff.render_text().splitlines()]
    bad = [o.record.name for o in outcomes if not o.ok]
    parts.append("")
    if bad:
        parts.append(f"result: MISMATCH in {', '.join(bad)} ({len(bad)}/{len(outcomes)} runs)")
    else:
        parts.append(f"result: all {len(outcomes)} runs matched their expectations")
    from pytest_botkube.redact import redact_text

    return redact_text("\n".join(parts) + "\n")


def execute(
    plans: Sequence[PlannedRun],
    settings: RunSettings,
    *,
    environ: Mapping[str, str],
    report_dir: Path | None = None,
    err: TextIO | None = None,
    out: TextIO | None = None,
    live: bool | None = None,
    command_line: Sequence[str] = (),
) -> list[RunOutcome]:
    """Run ``plans`` on one cluster, print the verdict, write the bundle; the outcomes."""
    err = err if err is not None else sys.stderr
    out = out if out is not None else sys.stdout
    progress = Progress(err, live=live)
    work_dir = Path(tempfile.mkdtemp(prefix="botkube-repro-"))
    outcomes: list[RunOutcome] = []
    keep_work = False
    try:
        runner = Runner(settings, progress, environ=environ, work_dir=work_dir,
                        collect_artifacts=report_dir is not None)  # fmt: skip
        if command_line:
            progress.say("botkube-repro run " + " ".join(command_line))
        try:
            outcomes = runner.run_all(plans)
        except KeyboardInterrupt:
            progress.say("interrupted: cleaned up (releases uninstalled, cluster per --keep)")
            raise
        keep_work = "kept" in runner.cluster_message
        out.write(render_outcomes(outcomes))
        out.flush()
        if report_dir is not None:
            transcript = work_dir / "run.log"
            transcript.write_text("\n".join(progress.lines) + "\n", encoding="utf-8")
            report = write_bundle(report_dir, [o.record for o in outcomes], [transcript])
            out.write(f"report: {report}\n")
        if keep_work:
            out.write(f"kubeconfig of the kept cluster: {work_dir}\n")
    finally:
        progress.close()
        if not keep_work:
            shutil.rmtree(work_dir, ignore_errors=True)
    return outcomes
