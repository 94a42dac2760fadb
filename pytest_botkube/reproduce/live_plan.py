"""What ``botkube-repro run`` will do, said before it does anything (``run --plan``).

:func:`build` reads only the settings, the environment mapping and files (which executable
is on ``PATH``, what is in the cache): no subprocess, no network, no directory created. It
draws what a run draws at random (the work directory, each release's name) and the run then
*uses* those (``cli/run.py`` executes the plan it printed or wrote), and every argv comes from
the builders the cluster layer runs (``live/commands.py``, :class:`~pytest_botkube.live.helm.
Helm`), every budget from the timeouts it passes. The rehearsal checks the argv the stand-in
tools recorded against the plan, step by step (tests/rehearsal/test_run_plan.py).

What only the run can know stands as a placeholder: ``http://receiver-host.invalid`` (a
name that never resolves, RFC 6761) for the receiver's URL, chosen from ``docker info`` / the
kind network and its bound port; ``<sha256>`` for a chart digest that a repository's index
gives.
"""

from __future__ import annotations

import secrets
import shlex
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_botkube.errors import BadInput
from pytest_botkube.helm_values import release_values
from pytest_botkube.live import commands
from pytest_botkube.live.environment import (
    LiveConfig,
    cluster_context,
    kind_config_file,
    locate_tools,
    planned_kubeconfig,
)
from pytest_botkube.live.helm import INSTALL_MARGIN, UNINSTALL_MARGIN, Helm
from pytest_botkube.live.kind import (
    DELETE_TIMEOUT,
    KUBERNETES_VERSION,
    ClusterMode,
    cluster_name,
    create_margin,
)
from pytest_botkube.live.network import DOCKER_TIMEOUT
from pytest_botkube.live.preflight import TIMEOUT as PREFLIGHT_TIMEOUT
from pytest_botkube.live.preflight import botkube_image, manifest_url, plugin_index_url
from pytest_botkube.live.release import release_name, values_file
from pytest_botkube.live.tools import (
    DOCKER_CHECK_TIMEOUT,
    DOWNLOAD_TIMEOUT,
    VERSION_TIMEOUT,
    ToolLocation,
    pinned_sha256,
)
from pytest_botkube.model.semantics import PLUGIN_DOWN, analyze
from pytest_botkube.report.records import NOT_RUN, Prediction, RunRecord
from pytest_botkube.reproduce import pipeline
from pytest_botkube.reproduce.judge import prediction
from pytest_botkube.reproduce.plan import PlannedRun
from pytest_botkube.settings import BY_NAME, Settings, turned_on_by

RECEIVER_URL = "http://receiver-host.invalid"
WORK_PREFIX = "botkube-repro-"


@dataclass(frozen=True)
class Step:
    """One thing the run does, in order: an external command (``argv``) or a wait."""

    phase: str  # the progress line's phase name
    what: str
    budget: float  # the most it may take, seconds (the timeout the run gives it)
    argv: tuple[str, ...] = ()  # empty: not an external command (a wait, an HTTP request)
    when: str = ""  # the condition under which it runs; "" always

    @property
    def tool(self) -> str:
        return Path(self.argv[0]).name if self.argv else ""


@dataclass(frozen=True)
class ChartPlan:
    version: str
    urls: tuple[str, ...]  # tried in order; empty: a local chart
    sha256: str | None  # what the bytes must hash to (None: the index's, or the user's chart)
    path: str  # what helm installs


@dataclass(frozen=True)
class ReleasePlan:
    run: PlannedRun
    name: str  # release and namespace
    values_file: Path
    image: str
    values: Mapping[str, Any]  # what it installs, the receiver's URL as RECEIVER_URL
    prediction: Prediction

    def not_run_record(self, problem: str, node_image: str = "") -> RunRecord:
        """The report's record of this run when the environment could not run it: the
        values it would install and the model's prediction, and why it did not run."""
        scenario = self.run.scenario
        return RunRecord(
            name=self.run.name,
            botkube_version=scenario.botkube_version,
            values=self.values,
            node_image=node_image,
            predicted=self.prediction,
            observed_status=NOT_RUN,
            diagnosis=(f"not run: {problem}",),
            expectations_met=None,
        )


@dataclass(frozen=True)
class LivePlan:
    config: LiveConfig
    tools: tuple[ToolLocation, ...]
    charts: tuple[ChartPlan, ...]
    images: tuple[tuple[str, str], ...]  # (image, how it reaches the node)
    releases: tuple[ReleasePlan, ...]
    steps: tuple[Step, ...]
    problems: tuple[str, ...]  # what stops the run before any cluster (exit 3)

    @property
    def work_dir(self) -> Path:
        return self.config.work_dir

    @property
    def total_budget(self) -> float:
        return sum(step.budget for step in self.steps)

    def commands(self) -> list[Step]:
        return [step for step in self.steps if step.argv]

    def make_work_dir(self) -> Path:
        """Create the drawn work directory, private (as ``mkdtemp`` would)."""
        self.work_dir.mkdir(mode=0o700)
        return self.work_dir

    def render(self) -> str:
        return render(self)


def draw_work_dir() -> Path:
    """A fresh work directory name under the temp dir (created only when the run starts)."""
    return Path(tempfile.gettempdir()) / f"{WORK_PREFIX}{secrets.token_hex(4)}"


def build(
    runs: Sequence[PlannedRun],
    s: Settings,
    environ: Mapping[str, str],
    *,
    collect_artifacts: bool = False,
    work_dir: Path | None = None,
) -> LivePlan:
    """The plan of ``runs`` under settings ``s``; touches nothing (see the module doc)."""
    config = pipeline.live_config(s, work_dir or draw_work_dir())
    located = locate_tools(config, environ)
    kind_cluster = config.mode is not ClusterMode.EXISTING
    docker = located["docker"].argv0() if kind_cluster else "docker"
    kind = located["kind"].argv0() if kind_cluster else "kind"
    helm_path = located["helm"].argv0()
    problems = [loc.problem for loc in located.values() if loc.problem]
    charts_of = pipeline.chart_fetcher(s, environ)
    steps: list[Step] = []

    def add(phase: str, what: str, budget: float, argv: Sequence[str] = (), when: str = "") -> None:
        steps.append(Step(phase, what, float(budget), tuple(argv), when))

    # -- tools (environment.find_tools) ----------------------------------------------------
    if kind_cluster:
        add("tools", "the Docker daemon answers", DOCKER_CHECK_TIMEOUT,
            commands.docker_server_version(Path(docker)))  # fmt: skip
    for loc in located.values():
        if loc.download_url:
            add("tools", f"download {loc.download_url} (sha256 {pinned_sha256(loc.name)}) to "
                f"{loc.path}", DOWNLOAD_TIMEOUT)  # fmt: skip
    if kind_cluster:
        add("tools", "kind's version", VERSION_TIMEOUT, commands.kind_version(Path(kind)))
    add("tools", "helm's version", VERSION_TIMEOUT, commands.helm_version(Path(helm_path)))

    # -- preflight (live/preflight.py) -----------------------------------------------------
    versions = list(dict.fromkeys(r.scenario.botkube_version for r in runs))
    charts = []
    for version in versions:
        urls, sha256, path = charts_of.planned(version)
        charts.append(ChartPlan(version, urls, sha256, path))
    if s.no_preflight:
        add("preflight", f"skipped ({turned_on_by('no_preflight', environ)})", 0)
    else:
        for chart in charts:
            for url in chart.urls:
                check = f", sha256 must be {chart.sha256}" if chart.sha256 else ""
                add("preflight", f"GET {url}{check}", charts_of.timeout,
                    when="not cached, and no earlier source served it")  # fmt: skip
        for url in dict.fromkeys(plugin_index_url(v, s.plugin_index) for v in versions):
            add("preflight", f"GET {url}: a plugin index", PREFLIGHT_TIMEOUT)
        if not s.image:
            for ref in dict.fromkeys(botkube_image(v) for v in versions):
                add("preflight", f"HEAD {manifest_url(ref)}", PREFLIGHT_TIMEOUT)
                add("preflight", "GET the registry's anonymous pull token", PREFLIGHT_TIMEOUT,
                    when="the registry answers 401 with a Bearer challenge")  # fmt: skip

    # -- cluster (environment.start, kind.start_cluster) -----------------------------------
    name = config.cluster_name
    kubeconfig = planned_kubeconfig(config, environ)
    if kind_cluster:
        add("cluster", "the kind clusters there are", config.command_timeout,
            commands.kind_get_clusters(Path(kind)))  # fmt: skip
    if config.mode is ClusterMode.CREATE:
        absent = f"no kind cluster {name!r} yet"
        add("node image", "is the node image on this machine", config.command_timeout,
            commands.docker_image_id(Path(docker), config.node_image), when=absent)  # fmt: skip
        add("node image", "pull the node image", config.pull_timeout,
            commands.docker_pull(Path(docker), config.node_image),
            when=f"{absent} and the image is not here")  # fmt: skip
        wait = config.cluster_timeout
        add("cluster", "create the cluster", wait + create_margin(wait),
            commands.kind_create(Path(kind), name, image=config.node_image,
                                 config=kind_config_file(config), wait_seconds=wait,
                                 kubeconfig=kubeconfig), when=absent)  # fmt: skip
        add("cluster", "use the cluster of that name, if it answers", config.command_timeout,
            commands.kind_export_kubeconfig(Path(kind), name, kubeconfig),
            when=f"a kind cluster {name!r} exists")  # fmt: skip
    elif config.mode is ClusterMode.REUSE:
        add("cluster", "the kubeconfig of the existing cluster", config.command_timeout,
            commands.kind_export_kubeconfig(Path(kind), name, kubeconfig))  # fmt: skip
    if s.image:
        if kind_cluster:
            add("image", f"load {s.image} into the node", s.install_timeout,
                commands.kind_load_image(Path(kind), name, s.image))  # fmt: skip
        else:
            problems.append(f"{BY_NAME['image'].flag} {s.image}: images can only be loaded into "
                            "a kind cluster")  # fmt: skip

    # -- receiver (network.choose_address, network.probe_from_node) ------------------------
    if kind_cluster and not s.receiver_host:
        add("receiver", "which container runtime (docker info)", DOCKER_TIMEOUT,
            commands.docker_info(Path(docker)))  # fmt: skip
        add("receiver", "is it Podman", DOCKER_TIMEOUT,
            commands.docker_server_components(Path(docker)),
            when="docker info names no known desktop runtime")  # fmt: skip
        add("receiver", "the kind network's gateway (the receiver binds there)", DOCKER_TIMEOUT,
            commands.docker_network_ipam(Path(docker)),
            when="Docker Engine or Podman on Linux")  # fmt: skip
    if kind_cluster:
        add("receiver probe", "the node reaches this receiver (its own header)", DOCKER_TIMEOUT,
            commands.node_probe(Path(docker), name, RECEIVER_URL))  # fmt: skip
        add("receiver probe", "the kind bridge, for the firewall hint", DOCKER_TIMEOUT,
            commands.docker_network(Path(docker)), when="the probe failed")  # fmt: skip

    # -- each release (pipeline.reproduce) -------------------------------------------------
    helm = Helm(path=Path(helm_path), kubeconfig=kubeconfig, context=cluster_context(config),
                env=environ, command_timeout=config.command_timeout)  # fmt: skip
    releases = []
    workdir = config.work_dir / "releases"
    cluster = cluster_name(config.mode, name, config.context)
    for index, run in enumerate(runs, 1):
        scenario = run.scenario
        rel = release_name(scenario.name)
        chart = charts[versions.index(scenario.botkube_version)]
        vfile = values_file(workdir, rel)
        try:
            values = release_values(scenario, s, receiver_url=RECEIVER_URL,
                                    cluster_name=cluster, release_name=rel)  # fmt: skip
        except ValueError as exc:
            raise BadInput(str(exc)) from None
        analysis = analyze(values, scenario.botkube_version,
                           KUBERNETES_VERSION if kind_cluster else None)  # fmt: skip
        image = botkube_image(scenario.botkube_version, s.image)
        releases.append(ReleasePlan(run, rel, vfile, image, values, prediction(analysis)))
        label = f"run {index}: {run.name}"
        add("install", f"{label}: install BotKube {scenario.botkube_version}",
            s.install_timeout + INSTALL_MARGIN,
            helm.install_argv(rel, rel, Path(chart.path), vfile,
                              timeout=s.install_timeout))  # fmt: skip
        add("plugin start", f"{label}: the agent pod Ready", s.start_timeout)
        add("plugin start", f"{label}: the kubernetes plugin seen in the agent log",
            s.start_timeout)  # fmt: skip
        add("plugin start", f"{label}: grace after the plugin start", s.start_grace)
        add("rescale", f"{label}: the HPA's SuccessfulRescale", s.event_timeout)
        down = analysis.verdict in PLUGIN_DOWN
        if pipeline.waits_for_deactivation(scenario, down):
            add("watching health", f"{label}: the plugin Deactivated", s.health_timeout)
        expect = scenario.expect
        if expect is not None:
            for wanted in expect.delivered:
                add("deliveries", f"{label}: {wanted.describe()}", s.event_timeout)
        elif not down:
            add("deliveries", f"{label}: the deliveries the model predicts", s.event_timeout)
        add("quiet window", f"{label}: nothing that must not arrive", s.quiet_window)
        if collect_artifacts:
            add("artifacts", f"{label}: helm status", config.command_timeout,
                helm.status_argv(rel, rel))  # fmt: skip
            add("artifacts", f"{label}: the values helm holds", config.command_timeout,
                helm.get_values_argv(rel, rel))  # fmt: skip
        add("teardown", f"{label}: uninstall", s.teardown_timeout + UNINSTALL_MARGIN,
            helm.uninstall_argv(rel, rel, timeout=s.teardown_timeout))  # fmt: skip
        add("teardown", f"{label}: delete namespace {rel}", s.teardown_timeout,
            when="the run created it")  # fmt: skip

    # -- cluster stop (kind.stop_cluster) --------------------------------------------------
    if config.mode is ClusterMode.CREATE:
        keep = {"never": "the run created it", "on-failure": "the run created it and every run "
                "matched", "always": "never (keep always)"}[config.keep.value]  # fmt: skip
        add("cluster stop", "delete the cluster", DELETE_TIMEOUT,
            commands.kind_delete(Path(kind), name, kubeconfig), when=keep)  # fmt: skip

    images = []
    if kind_cluster:
        images.append((config.node_image, "the kind node image: pulled before the create"))
    for ref in dict.fromkeys(r.image for r in releases):
        node = "the kind node" if kind_cluster else "the cluster's nodes"
        how = "from this machine's Docker, kind load" if s.image else f"pulled by {node}"
        images.append((ref, how))
    return LivePlan(config, tuple(located.values()), tuple(charts), tuple(images),
                    tuple(releases), tuple(steps), tuple(problems))  # fmt: skip


def _seconds(value: float) -> str:
    whole = round(value)
    minutes, seconds = divmod(whole, 60)
    return f"{value:g}s" if minutes == 0 else f"{value:g}s ({minutes}m{seconds:02d}s)"


def render(plan: LivePlan) -> str:
    """The plan as ``run --plan`` prints it; each command is one ``$`` line, shell-quoted."""
    config = plan.config
    which = cluster_name(config.mode, config.cluster_name, config.context)
    keep = f", keep {config.keep.value}" if config.mode is ClusterMode.CREATE else ""
    out = [
        f"botkube-repro run plan: {len(plan.releases)} run(s), cluster mode "
        f"{config.mode.value} ({which}){keep}; nothing has been run",
        "",
        "tools:",
    ]
    for loc in plan.tools:
        where = f"{loc.path} ({loc.how})" if loc.path else f"MISSING: {loc.problem}"
        if loc.download_url:
            where = f"{loc.path} (download {loc.download_url}, sha256 {pinned_sha256(loc.name)})"
        out.append(f"  {loc.name:<7} {where}")
    out += ["", "charts (each source in order; the first serving the sha256 wins; cached):"]
    for chart in plan.charts:
        digest = chart.sha256 or "the source's index.yaml digest (not pinned)"
        if not chart.urls:
            digest = "none checked (the user's chart)"
        out.append(f"  botkube {chart.version}: sha256 {digest}")
        out += [f"    {n}. {url}" for n, url in enumerate(chart.urls, 1)]
        out.append(f"    helm installs {chart.path}")
    out += ["", "images:"]
    out += [f"  {ref}  ({how})" for ref, how in plan.images]
    out += ["", f"work directory: {plan.work_dir} (created when the run starts)", "releases:"]
    for rel in plan.releases:
        out.append(f"  {rel.run.name} on BotKube {rel.run.scenario.botkube_version}: release "
                   f"and namespace {rel.name}, judged by {rel.run.judged_by}")  # fmt: skip
        out.append(f"    values file {rel.values_file}")
    out += ["", "steps (in order; budget = the most each may take):"]
    for step in plan.steps:
        when = f"  [if {step.when}]" if step.when else ""
        out.append(f"  {step.phase:<15} {step.what}  ({_seconds(step.budget)}){when}")
        if step.argv:
            out.append(f"      $ {shlex.join(step.argv)}")
    out += [
        "",
        f"total budget: {_seconds(plan.total_budget)} at most (every step that may run, "
        "each to its limit)",
        f"{RECEIVER_URL} stands for the webhook receiver's URL, known once it is bound "
        "(fixed by --receiver-host and --receiver-port)",
    ]
    if plan.problems:
        out += ["", "the run would stop before any cluster (exit 3):"]
        out += [f"  - {p}" for p in plan.problems]
    return "\n".join(out) + "\n"
