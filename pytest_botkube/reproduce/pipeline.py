"""The live sequence both front-ends share: cluster, receiver, release, workload, observation,
judgement, teardown.

``botkube-repro run`` and the pytest fixtures build the cluster, the receiver and the release
with the same functions here; progress goes to a :class:`Progress` (the command draws a status
line, see ``cli/_progress.py``; pytest stays quiet). Interrupting (Ctrl-C) unwinds through the
same ``finally`` blocks: the release is uninstalled, its namespace deleted and the cluster
stopped per the keep policy.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pytest_botkube.errors import BadInput, EnvironmentUnavailable
from pytest_botkube.live.receiver import WebhookReceiver
from pytest_botkube.live.wait import WaitFailed, hold_for, wait_until
from pytest_botkube.model.events import Happening
from pytest_botkube.model.semantics import (
    PLUGIN_DOWN,
    Analysis,
    analyze,
    forwarding,
    live_run_caveats,
)
from pytest_botkube.readers.health import HealthVerdict, Healthz, parse_healthz
from pytest_botkube.readers.logs import LogSummary
from pytest_botkube.report.records import RunRecord, disagreements
from pytest_botkube.reproduce.delivery_diff import DeliveryDiff, delivery_diff
from pytest_botkube.reproduce.plan import PlannedRun
from pytest_botkube.scenario import DeliveryExpectation, Scenario
from pytest_botkube.settings import BY_NAME, Settings

if TYPE_CHECKING:  # the cluster layer is imported when a run starts, not with the CLI
    from pytest_botkube.live.chart import ChartFetcher
    from pytest_botkube.live.environment import LiveConfig, LiveEnvironment
    from pytest_botkube.live.network import ReceiverAddress
    from pytest_botkube.live.release import Release
    from pytest_botkube.live.workload import Workload


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


# -- the session's pieces, shared with the pytest fixtures (plugin/) ----------------------------


def live_config(s: Settings, work_dir: Path) -> LiveConfig:
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
        pull_timeout=s.pull_timeout,
    )


def chart_fetcher(s: Settings, environ: Mapping[str, str]) -> ChartFetcher:
    """The session's charts: ``s.chart`` (BadInput when it names nothing usable), cached under
    the user's cache directory of ``environ``."""
    from pytest_botkube.live.chart import ChartFetcher, parse_chart_spec
    from pytest_botkube.live.download import user_cache_root

    spec = parse_chart_spec(s.chart, BY_NAME["chart"].flag)
    return ChartFetcher(spec, user_cache_root(environ) / "charts")


def plan_live_release(
    s: Settings,
    scenario: Scenario,
    env: LiveEnvironment,
    receiver_url: str,
    workdir: Path,
    charts: ChartFetcher | None = None,
) -> Release:
    """The release of ``scenario`` on ``env`` (not installed yet), its chart fetched and checked:
    ChartUnavailable (exit 3), ChartVersionMismatch; ValueError for values the chart cannot
    take."""
    from pytest_botkube.live.release import plan_release

    charts = charts if charts is not None else chart_fetcher(s, env.tools.env)
    return plan_release(
        scenario,
        kube=env.kube,
        helm=env.helm,
        chart=charts.get(scenario.botkube_version),
        receiver_url=receiver_url,
        cluster_name=env.cluster.name,
        workdir=workdir,
        settings=s,
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
    s: Settings, env: LiveEnvironment, progress: Progress | None = None
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
                status = probe_from_node(env.tools.docker, env.tools.env, env.cluster.name, url,
                                         receiver.identity, address)  # fmt: skip
                result.text = f"the kind node reaches this receiver (HTTP {status})"
        receiver.reset()  # the probe is not a delivery
        yield ReceiverEndpoint(receiver=receiver, url=url, address=address)
    finally:
        receiver.stop()


# -- progress: a callback, drawn by the front-end -----------------------------------------------


@dataclass
class PhaseResult:
    text: str = ""


class Progress(Protocol):
    """Where the pipeline reports its phases and live status (``botkube-repro run`` draws a
    status line; the pytest fixtures report nothing)."""

    def phase(self, name: str, what: str = "") -> contextlib.AbstractContextManager[PhaseResult]:
        """A phase, timed; the block sets ``PhaseResult.text`` to its one-line result."""
        ...

    def update(self, status: str) -> None:
        """The current phase's live status (e.g. ``k8s-hpa-events Running, restarts 2/3``)."""

    def say(self, text: str) -> None: ...

    def section(self, text: str) -> None:
        """A heading line (a new run)."""

    def status(self) -> str:
        """The last live status (what a wait that gives up last observed)."""
        ...


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
        settings: Settings,
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
        self.charts = chart_fetcher(settings, self.environ)  # BadInput before any cluster

    # -- session ------------------------------------------------------------------------

    def live_config(self) -> LiveConfig:
        return live_config(self.settings, self.work_dir)

    def run_all(self, plans: Sequence[PlannedRun]) -> list[RunOutcome]:
        from pytest_botkube.live import environment as live
        from pytest_botkube.live.tools import CommandFailed

        config = self.live_config()
        env = live.start(config, self.environ, phases=self.progress)
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
            release = plan_live_release(
                s, scenario, env, url, self.work_dir / "releases", self.charts
            )
        except ValueError as exc:
            raise BadInput(str(exc)) from None
        predicted = analyze(release.values, scenario.botkube_version, env.kubernetes_version)
        for line in live_run_caveats(predicted):
            self.progress.say(f"  note: {line}")
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
        with self.progress.phase("install", f"helm upgrade --install {release.name}") as result:
            try:
                release.install(s.install_timeout)
            except CommandFailed as exc:
                hint = install_failure_hint(str(exc))
                problems.append(f"helm install failed: {exc}{hint}")
                result.text = "helm install failed"
                return False
            result.text = f"{release.chart.describe()} deployed in {release.namespace}"
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
            chart_version=release.version,
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
        predicted_down = analysis.verdict in PLUGIN_DOWN

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
