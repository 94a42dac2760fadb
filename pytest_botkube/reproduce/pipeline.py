"""The live sequence both front-ends share: one reproduction of one scenario on a live cluster.

:func:`reproduce` is the whole of it: install, plugin start, workload, rescale, deactivation,
required deliveries, quiet window, /healthz and log read, judgement, teardown. The e2e test
(through the ``botkube_reproduce`` fixture) and ``botkube-repro run`` both call it, and build
the cluster, the receiver, the image and the release with the same functions here.

Progress goes to the one progress callback, ``live.phases.Phases`` (``run`` draws a status
line, ``cli/_progress.py``; pytest passes :data:`QUIET`). What cannot run here raises
:class:`~pytest_botkube.errors.EnvironmentUnavailable` (pytest: a skip, or a failure under
``--botkube-require-cluster``; ``run``: exit 3); what the user gave wrong raises
:class:`~pytest_botkube.errors.BadInput`; everything the run observed against the scenario is
a problem in the :class:`Reproduction`. Interrupting (Ctrl-C) unwinds through the same
``finally`` blocks: the release is uninstalled and its namespace deleted.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_botkube.errors import BadInput, EnvironmentUnavailable
from pytest_botkube.live.phases import QUIET
from pytest_botkube.live.phases import Phases as Progress
from pytest_botkube.live.receiver import WebhookReceiver
from pytest_botkube.live.wait import WaitFailed, wait_until
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
from pytest_botkube.scenario import Scenario
from pytest_botkube.settings import BY_NAME, Settings, flag_names, turned_on_by
from pytest_botkube.text import count

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
        require_pinned=s.require_cluster,
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
    name: str | None = None,
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
        name=name,
    )


def preflight(
    s: Settings,
    versions: Sequence[str],
    charts: ChartFetcher,
    progress: Progress | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Before any cluster: the charts of ``versions`` (fetched, digest-checked, cached), the
    plugin index and the image registry reachable (``live/preflight.py``); one
    EnvironmentUnavailable line naming every failure. Skipped with ``--botkube-no-preflight``."""
    from pytest_botkube.live.preflight import require, run_checks

    with (progress or QUIET).phase("preflight", "chart, plugin index, image") as result:
        if s.no_preflight:
            result.text = f"skipped ({turned_on_by('no_preflight', environ or {})})"
            return
        checks = run_checks(versions, charts, plugin_index=s.plugin_index, image=s.image)
        result.text = "; ".join(c.line() for c in checks)
        require(checks)


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


@contextlib.contextmanager
def open_receiver(
    s: Settings, env: LiveEnvironment, progress: Progress | None = None
) -> Iterator[ReceiverEndpoint]:
    """The started receiver, probed from the kind node, reset; stopped on exit. Raises what
    ``choose_address`` raises, and EnvironmentUnavailable when it cannot bind or the node
    cannot reach it."""
    from pytest_botkube.live.network import choose_address, probe_from_node

    progress = progress or QUIET
    with progress.phase("receiver") as result:
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
                "pass --botkube-receiver-bind/--botkube-receiver-host"
            ) from None
        url = receiver.url_for(address.host)
        result.text = f"{url} ({address.how})"
    try:
        if env.cluster.is_kind:
            with progress.phase("receiver probe", "from the kind node") as result:
                status = probe_from_node(env.tools.docker, env.tools.env, env.cluster.name, url,
                                         receiver.identity, address)  # fmt: skip
                result.text = f"the kind node reaches this receiver (HTTP {status})"
        receiver.reset()  # the probe is not a delivery
        yield ReceiverEndpoint(receiver=receiver, url=url, address=address)
    finally:
        receiver.stop()


def load_image(s: Settings, env: LiveEnvironment, progress: Progress | None = None) -> None:
    """``--botkube-image`` into the kind node (``kind load docker-image``); BadInput naming the
    flag when it cannot be loaded. Without the setting the node pulls the chart's image."""
    from pytest_botkube.live.tools import CommandFailed

    with (progress or QUIET).phase("image") as result:
        if not s.image:
            result.text = "chart default ghcr.io/kubeshop/botkube:<version> (node pulls)"
            return
        try:
            env.load_image(s.image, timeout=s.install_timeout)
        except (CommandFailed, BadInput) as exc:
            raise BadInput(f"{flag_names('image')} {s.image}: {exc}") from None
        result.text = f"loaded {s.image} into the kind node"


# -- one reproduction ---------------------------------------------------------------------------


@dataclass(repr=False)  # the record holds the installed values: never dump them in a report
class Reproduction:
    """One scenario reproduced: the judged record and every way the run contradicted the
    scenario (a wait that gave up, a plugin/log/model check, a failed install or teardown)."""

    scenario: Scenario
    record: RunRecord
    problems: list[str] = field(default_factory=list)
    diff: DeliveryDiff | None = None  # None: never observed (install or start failed)
    verdict: HealthVerdict | None = None
    by_model: bool = False  # judged by the model (judge_run failed the record on a disagreement)

    @property
    def ok(self) -> bool:
        """No problem, and the judge did not fail the record. The judge's rules (the scenario's
        checks; for a model-judged run, "the model disagrees" fails it) live in
        :func:`~pytest_botkube.reproduce.judge.judge_run` only."""
        return not self.problems and self.record.expectations_met is not False

    def model_disagreements(self) -> list[str]:
        """For a model-judged run, each way the run contradicted the model (what made the
        judge fail it), for the front-ends' text; otherwise none."""
        return disagreements(self.record) if self.by_model else []

    def __repr__(self) -> str:
        return f"<Reproduction {self.scenario.name}: {len(self.problems)} problem(s)>"

    def explain(self) -> str:
        """Why it is not ok, for a test failure: the health sentence, each problem, and what
        the scenario says it expects."""
        sentence = self.verdict.sentence if self.verdict is not None else "not observed"
        lines = [f"{self.scenario.name}: {sentence}", *(f"  {p}" for p in self.problems)]
        lines += [f"  model disagrees: {d}" for d in self.model_disagreements()]
        expect = self.scenario.expect
        if expect is not None:
            lines.append(f"why the scenario expects otherwise: {expect.plugin.why.strip()}")
        return "\n".join(lines)


#: What a front-end saves of a run before its release goes (artifacts), given the result so far.
Collect = Callable[["Release", WebhookReceiver, Reproduction], tuple[Path, ...]]


def reproduce(
    scenario: Scenario,
    *,
    settings: Settings,
    env: LiveEnvironment,
    endpoint: ReceiverEndpoint,
    workdir: Path,
    charts: ChartFetcher | None = None,
    progress: Progress | None = None,
    by_model: bool = False,
    collect: Collect | None = None,
    release_name: str | None = None,
) -> Reproduction:
    """Install ``scenario`` on ``env``, observe it against its expectations (or, ``by_model``,
    the model's prediction), judge it, collect what ``collect`` saves, tear it down. BadInput
    for values the chart cannot take; EnvironmentUnavailable when the cluster cannot fetch the
    chart or the agent its plugins."""
    from pytest_botkube.live.kube import KubeError

    progress = progress or QUIET
    receiver = endpoint.receiver
    receiver.reset()
    try:
        release = plan_live_release(settings, scenario, env, endpoint.url, workdir, charts,
                                    release_name)  # fmt: skip
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    predicted = analyze(release.values, scenario.botkube_version, env.kubernetes_version)
    for line in live_run_caveats(predicted):
        progress.say(f"  note: {line}")
    problems: list[str] = []
    try:
        result: Reproduction | None = None
        problems += install(release, settings, progress)
        if not problems:
            try:
                result = _observe(release, env, receiver, settings, progress, problems, by_model)
            except KubeError as exc:  # e.g. RBAC refusing the workload: this run failed
                problems.append(f"Kubernetes API: {exc}")
        if result is None:
            result = Reproduction(scenario, _unobserved(release, env), problems, by_model=by_model)
        if collect is not None:
            result.record = replace(result.record, artifacts=collect(release, receiver, result))
        return result
    finally:
        with progress.phase("teardown", f"helm uninstall {release.name}") as phase:
            trouble = release.teardown(settings.teardown_timeout)
            phase.text = (
                "; ".join(trouble)
                if trouble
                else f"uninstalled {release.name}, namespace {release.namespace} deleted"
            )
        problems.extend(trouble)  # the result's own list: cleanup trouble fails the run too


def install(release: Release, s: Settings, progress: Progress | None = None) -> list[str]:
    """``helm upgrade --install``, the agent Ready, the kubernetes plugin seen; the problems
    (empty: started). EnvironmentUnavailable when the agent's log says it cannot download its
    plugin index or a plugin."""
    from pytest_botkube.live.tools import CommandFailed

    progress = progress or QUIET
    with progress.phase("install", f"helm upgrade --install {release.name}") as result:
        try:
            release.install(s.install_timeout)
        except CommandFailed as exc:
            result.text = "helm install failed"
            return [f"helm install failed: {exc}{install_failure_hint(str(exc))}"]
        result.text = f"{release.chart.describe()} deployed in {release.namespace}"
    with progress.phase("plugin start", "agent Ready, kubernetes plugin seen") as result:
        try:
            release.wait_plugin_started(s.start_timeout, grace=s.start_grace)
        except WaitFailed as exc:
            _check_plugin_download(release)
            result.text = "agent never became Ready"
            return [str(exc)]
        if release.notes:  # the plugin was never seen starting: maybe it never arrived
            _check_plugin_download(release)
        result.text = "started" + (f" ({release.notes[-1]})" if release.notes else "")
    return []


def _check_plugin_download(release: Release) -> None:
    """EnvironmentUnavailable when the agent log says it could not download its plugin index
    or a plugin (the cluster has no network to it), not a BotKube problem."""
    from pytest_botkube.live.kube import KubeError

    try:
        text = release.log(previous=True) + release.log()
    except KubeError:
        return
    failure = plugin_download_failure(text)
    if failure is not None:
        raise EnvironmentUnavailable(
            f"the BotKube agent in {release.namespace} cannot download {failure}; the "
            f"cluster needs network access to it, or pass {flag_names('plugin_index')} with "
            "an index it can reach (see `botkube-repro mirror`)"
        )


def _unobserved(release: Release, env: LiveEnvironment) -> RunRecord:
    """The record of a run that never got to its workload."""
    return RunRecord(
        name=release.scenario.name,
        botkube_version=release.scenario.botkube_version,
        values=release.values,
        chart_version=release.version,
        kubernetes_version=env.kubernetes_version,
        kind_version=env.tools.kind_version,
        helm_version=env.tools.helm_version,
        node_image=env.config.node_image,
        expectations_met=False,
    )


def _health_line(release: Release, aliases: tuple[str, ...]) -> str:
    """``alias Status, restarts n/t`` for each source, read once from /healthz."""
    from pytest_botkube.live.kube import KubeError

    try:
        healthz = parse_healthz(release.healthz(), where=f"{release.namespace} /healthz")
    except (KubeError, BadInput) as exc:
        return f"/healthz not readable yet ({exc})"
    parts = []
    for alias in aliases:
        entry = healthz.plugins.get(alias)
        parts.append(
            f"{alias} {entry.status}, restarts {entry.restarts}/{entry.threshold}"
            if entry is not None
            else f"{alias} absent"
        )
    return "; ".join(parts) or "no kubernetes source"


def _observe(
    release: Release,
    env: LiveEnvironment,
    receiver: WebhookReceiver,
    s: Settings,
    progress: Progress,
    problems: list[str],
    by_model: bool,
) -> Reproduction:
    """From the workload to the judgement; ``problems`` gets every failed wait and check."""
    from pytest_botkube.live.kube import KubeError
    from pytest_botkube.live.workload import create, prepare
    from pytest_botkube.reproduce.judge import (
        assert_not_delivered,
        judge_run,
        read_health,
        wait_for_delivery,
        wait_for_plugin_status,
    )

    scenario = release.scenario
    expect = scenario.expect
    namespace = release.namespace
    aliases = scenario.source_aliases()
    analysis = analyze(release.values, scenario.botkube_version, env.kubernetes_version)
    predicted_down = analysis.verdict in PLUGIN_DOWN

    def health_probe() -> None:  # every poll: the plugin's restarts show while waiting
        progress.update(_health_line(release, aliases))

    with progress.phase("workload", "Deployment + HPA") as result:
        workload = prepare(namespace)
        create(env.kube, workload)
        result.text = f"created {workload.deployment_name} and HPA {workload.hpa_name}"
    try:
        with progress.phase("rescale", "waiting for SuccessfulRescale") as result:
            rescale = workload.wait_for_rescale(s.event_timeout, on_poll=health_probe)
            result.text = f"{rescale.reason}: {rescale.message}"
        want_down = waits_for_deactivation(scenario, predicted_down)
        with progress.phase("watching health") as result:
            if want_down:
                wait_for_plugin_status(release, "Deactivated", s.health_timeout, health_probe)
            result.text = _health_line(release, aliases)
        if expect is not None and expect.delivered:
            with progress.phase("deliveries") as result:
                for wanted in expect.delivered:
                    wait_for_delivery(
                        receiver, wanted, namespace, s.event_timeout, release, health_probe
                    )
                result.text = f"{count(len(expect.delivered), 'expected delivery')} arrived"
        elif expect is None and not predicted_down:
            with progress.phase("deliveries") as result:
                result.text = _await_predicted(workload, receiver, analysis, s, progress)
    except WaitFailed as exc:
        problems.append(str(exc))
    happened: list[Happening] = []
    with contextlib.suppress(KubeError):
        happened = workload.happenings()
    not_delivered = expect.not_delivered if expect is not None else ()
    with progress.phase("quiet window", f"{s.quiet_window:g}s") as result:
        try:
            assert_not_delivered(receiver, not_delivered, namespace, s.quiet_window, health_probe)
            result.text = f"{count(len(receiver.deliveries()), 'delivery')} in total"
        except WaitFailed as exc:
            problems.append(str(exc))
            result.text = "a delivery that must not arrive did"
        with contextlib.suppress(KubeError):
            happened = workload.happenings()  # and what happened during the window
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
        by_model=by_model,
        tool_versions=(env.tools.kind_version, env.tools.helm_version),
    )
    problems += judged.problems
    return Reproduction(scenario, judged.record, problems, judged.diff, judged.verdict, by_model)


def waits_for_deactivation(scenario: Scenario, predicted_down: bool) -> bool:
    """Whether the run waits for the plugin to be Deactivated: the scenario says so, or (no
    expectations) the model predicts the plugin goes down."""
    expect = scenario.expect
    return expect.plugin.status == "Deactivated" if expect else predicted_down


def _await_predicted(
    workload: Workload,
    receiver: WebhookReceiver,
    analysis: Analysis,
    s: Settings,
    progress: Progress,
) -> str:
    """Give the deliveries the model predicts time to arrive; never a failure by itself (the
    delivery diff shows what did not come)."""
    from pytest_botkube.live.kube import KubeError

    def probe() -> bool | None:
        happened = workload.happenings()
        diff = delivery_diff(happened, receiver.deliveries(), lambda h: forwarding(analysis, h))
        predicted = [r for r in diff.rows if r.forwarding and r.forwarding.delivered]
        left = [r for r in predicted if not r.delivered]
        arrived = len(predicted) - len(left)
        progress.update(f"{arrived} of {count(len(predicted), 'predicted delivery')} arrived")
        return True if not left else None

    try:
        wait_until(probe, timeout=s.event_timeout, interval=1.0,
                   what="the deliveries the model predicts", retry_on=(KubeError,))  # fmt: skip
    except WaitFailed:
        return "not every predicted delivery arrived (see the delivery diff)"
    return "every delivery the model predicts arrived"
