"""One live environment per session: the tools, the cluster, the API and Helm handles.

Pytest-free, so ``botkube-repro run`` can use it as the pytest fixtures do. The checks run
cheapest first and stop at the first missing piece, with a message naming it and how to get
it: Docker (binary, then a daemon that answers), kind, helm, then the cluster itself.

Parallel runs (pytest-xdist): one process :func:`start`s the environment and hands a
:class:`ClusterHandoff` (plain JSON) to the others, which :func:`attach` to it: they run no
kind command, never delete the cluster, and reuse the tools the first process found.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pytest_botkube.bundled import manifests_dir
from pytest_botkube.errors import BadInput, EnvironmentUnavailable
from pytest_botkube.live.download import user_cache_root
from pytest_botkube.live.helm import Helm
from pytest_botkube.live.kind import (
    NODE_IMAGE,
    Cluster,
    ClusterMode,
    ClusterSpec,
    KeepPolicy,
    kind_cluster_names,
    kind_context,
    make_kind_cluster,
    not_answering,
    pull_node_image,
    start_cluster,
    stop_cluster,
)
from pytest_botkube.live.kube import Kube, KubeError, default_kubeconfig
from pytest_botkube.live.phases import QUIET, Phases
from pytest_botkube.live.tools import (
    Toolbox,
    ToolLocation,
    check_docker,
    fetch_tool,
    locate_tool,
    read_helm_version,
    read_kind_version,
    version_findings,
    which,
)
from pytest_botkube.settings import DEFAULTS

KIND_CONFIG_FILE = "kind-cluster.yaml"
_MODE = ClusterMode(DEFAULTS.cluster_mode)  # the settings table's defaults, typed
_KEEP = KeepPolicy(DEFAULTS.keep)


@dataclass(frozen=True)
class LiveConfig:
    mode: ClusterMode = _MODE
    cluster_name: str = DEFAULTS.cluster_name
    node_image: str = NODE_IMAGE
    kind_config: Path | None = None  # default manifests/kind-cluster.yaml
    kubeconfig: Path | None = None  # existing mode: default $KUBECONFIG / ~/.kube/config
    context: str | None = None
    keep: KeepPolicy = _KEEP
    kind_path: str | None = None
    helm_path: str | None = None
    docker_path: str | None = None
    allow_download: bool = not DEFAULTS.no_download
    work_dir: Path = Path(".botkube-repro")  # the kind cluster's kubeconfig (a temp dir)
    cache_dir: Path | None = None  # downloaded kind/helm (default: user_cache_dir())
    cluster_timeout: float = DEFAULTS.cluster_timeout
    command_timeout: float = 120.0
    pull_timeout: float = DEFAULTS.pull_timeout
    require_pinned: bool = False  # --botkube-require-cluster: a kind/helm that may not work fails


@dataclass
class LiveEnvironment:
    config: LiveConfig
    tools: Toolbox
    cluster: Cluster
    kube: Kube
    helm: Helm
    kubernetes_version: str
    notes: list[str] = field(default_factory=list)  # warnings (tools other than the pinned)

    def load_image(self, image: str, timeout: float = DEFAULTS.install_timeout) -> None:
        """``kind load docker-image`` (kind clusters only: others must pull it themselves)."""
        if self.cluster.kind is None:
            raise BadInput(
                f"--botkube-image {image}: images can only be loaded into a kind cluster; "
                "push it to a registry the cluster can pull from and drop --botkube-image"
            )
        self.cluster.kind.load_docker_image(image, timeout=timeout)

    def stop(self, failed: bool) -> str:
        self.kube.close()
        return stop_cluster(self.cluster, self.config.keep, failed)

    def handoff(self) -> ClusterHandoff:
        """What another process needs to use this cluster without owning it."""
        tools = self.tools
        return ClusterHandoff(
            name=self.cluster.name,
            kubeconfig=str(self.cluster.kubeconfig),
            context=self.cluster.context,
            mode=self.cluster.mode.value,
            is_kind=self.cluster.is_kind,
            created=self.cluster.created,
            docker=str(tools.docker),
            kind=None if tools.kind is None else str(tools.kind),
            helm=str(tools.helm),
            kubectl=None if tools.kubectl is None else str(tools.kubectl),
            kubernetes_version=self.kubernetes_version,
            kind_version=tools.kind_version,
            helm_version=tools.helm_version,
        )


@dataclass(frozen=True)
class ClusterHandoff:
    """A running cluster as the process that brought it up describes it to others (JSON)."""

    name: str
    kubeconfig: str
    context: str | None
    mode: str
    is_kind: bool
    created: bool  # by the owner: informative only, an attached process never deletes
    docker: str
    kind: str | None
    helm: str
    kubectl: str | None
    kubernetes_version: str
    kind_version: str = ""
    helm_version: str = ""


def user_cache_dir(env: Mapping[str, str]) -> Path:
    """Where pinned tool downloads are kept between runs: ``$XDG_CACHE_HOME/pytest-botkube/bin``."""
    return user_cache_root(env) / "bin"


def locate_tools(config: LiveConfig, env: Mapping[str, str]) -> dict[str, ToolLocation]:
    """Where each executable the mode needs is, or will be downloaded to, touching nothing
    (``run --plan`` prints it; :func:`find_tools` acts on it)."""
    cache = config.cache_dir or user_cache_dir(env)
    found: dict[str, ToolLocation] = {}
    if config.mode is not ClusterMode.EXISTING:
        found["docker"] = locate_tool("docker", env, config.docker_path)
        found["kind"] = locate_tool("kind", env, config.kind_path, cache_dir=cache,
                                    allow_download=config.allow_download)  # fmt: skip
    found["helm"] = locate_tool("helm", env, config.helm_path, cache_dir=cache,
                                allow_download=config.allow_download)  # fmt: skip
    return found


class ToolsUnavailable(EnvironmentUnavailable):
    """The tools a run needs are not all there; ``tools`` names the ones that are not (the
    progress line says those, not every tool it looked for)."""

    def __init__(self, message: str, tools: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.tools = tools


def find_tools(config: LiveConfig, env: Mapping[str, str]) -> Toolbox:
    """Resolve every executable the mode needs; one ToolsUnavailable names every missing
    one (and a Docker daemon that does not answer), so one fix is not followed by the next."""
    cache = config.cache_dir or user_cache_dir(env)
    located = locate_tools(config, env)
    problems = [loc.problem for loc in located.values() if loc.problem]
    failing = [name for name, loc in located.items() if loc.problem]
    docker_loc = located.get("docker")
    if docker_loc is not None and docker_loc.path is not None:
        try:
            check_docker(docker_loc.path, env)
        except EnvironmentUnavailable as exc:
            problems.insert(0, str(exc))
            failing.insert(0, "docker daemon")
    if problems:
        raise ToolsUnavailable("; ".join(problems), tuple(failing))
    kind = fetch_tool(located["kind"], cache) if "kind" in located else None
    helm = fetch_tool(located["helm"], cache)
    return Toolbox(
        docker=docker_loc.path if docker_loc is not None and docker_loc.path else Path("docker"),
        kind=kind,
        helm=helm,
        kubectl=which("kubectl", env),
        env=dict(env),
        kind_version="" if kind is None else read_kind_version(kind, env),
        helm_version=read_helm_version(helm, env),
    )


def check_versions(tools: Toolbox, config: LiveConfig) -> list[str]:
    """The warnings about tools other than the pinned ones; EnvironmentUnavailable instead when
    ``config.require_pinned`` (``--botkube-require-cluster``) and one cannot be trusted."""
    warnings, problems = version_findings(tools, config.node_image)
    if problems and config.require_pinned:
        raise EnvironmentUnavailable("; ".join(problems))
    return [*warnings, *problems]


def kind_config_file(config: LiveConfig) -> Path:
    """The kind cluster configuration ``kind create cluster --config`` gets."""
    return config.kind_config or manifests_dir() / KIND_CONFIG_FILE


def cluster_context(config: LiveConfig) -> str | None:
    """The kubeconfig context the run uses: the given one, else kind's ``kind-NAME`` for a
    kind cluster, else (existing mode) the kubeconfig's current context (None)."""
    if config.context or config.mode is ClusterMode.EXISTING:
        return config.context
    return kind_context(config.cluster_name)


def planned_kubeconfig(config: LiveConfig, env: Mapping[str, str]) -> Path:
    """The kubeconfig :func:`start` will use: kind writes it into the work dir (create/reuse),
    the existing mode reads the user's."""
    if config.mode is ClusterMode.EXISTING:
        return (config.kubeconfig or default_kubeconfig(env)).resolve()
    return (config.work_dir / f"kubeconfig-{config.cluster_name}").resolve()


def start(
    config: LiveConfig,
    env: Mapping[str, str] | None = None,
    phases: Phases = QUIET,
    before_cluster: Callable[[], None] | None = None,
) -> LiveEnvironment:
    """Find the tools, bring up or attach to the cluster, connect. ``env`` defaults to a copy
    of this process's environment (never modified). ``phases`` hears of the node image pull
    (a phase of its own, before the create) and of the cluster. ``before_cluster`` runs once
    the tools are found and before any cluster command (the preflight)."""
    environ = dict(os.environ if env is None else env)
    with phases.phase("tools", "docker, kind, helm") as note:
        try:
            tools = find_tools(config, environ)
        except ToolsUnavailable as exc:
            note.text = f"not usable: {', '.join(exc.tools)}"
            raise
        notes = check_versions(tools, config)
        found = [f"kind {tools.kind_version}"] if tools.kind is not None else []
        note.text = ", ".join([*found, f"helm {tools.helm_version}"]) + "".join(
            f"; warning: {n}" for n in notes
        )
    if before_cluster is not None:
        before_cluster()
    spec = ClusterSpec(
        mode=config.mode,
        name=config.cluster_name,
        node_image=config.node_image,
        config_file=kind_config_file(config),
        kubeconfig=planned_kubeconfig(config, environ),
        context=config.context,
        create_timeout=config.cluster_timeout,
        command_timeout=config.command_timeout,
        pull_timeout=config.pull_timeout,
    )
    what = {
        ClusterMode.CREATE: f"kind create cluster {config.cluster_name}",
        ClusterMode.REUSE: f"reuse kind cluster {config.cluster_name}",
        ClusterMode.EXISTING: "existing cluster from the kubeconfig",
    }[config.mode]
    names: list[str] | None = None
    if tools.kind is not None:
        names = kind_cluster_names(tools.kind, environ, config.command_timeout)
        if config.mode is ClusterMode.CREATE and config.cluster_name not in names:
            with phases.phase("node image", f"docker pull {spec.node_image}") as note:
                note.text = pull_node_image(
                    tools.docker, spec.node_image, environ, timeout=spec.pull_timeout,
                    on_line=phases.update, command_timeout=config.command_timeout,
                )  # fmt: skip
    with phases.phase("cluster", what) as note:
        cluster = start_cluster(spec, kind_path=tools.kind, kubectl_path=tools.kubectl,
                                env=environ, names=names)  # fmt: skip
        kube, version = _connect(cluster, config)
        note.text = (
            f"{'created' if cluster.created else 'using'} {cluster.name!r}, Kubernetes {version}"
        )
    live = _environment(config, tools, cluster, kube, version, environ)
    live.notes.extend(notes)
    return live


def _connect(cluster: Cluster, config: LiveConfig) -> tuple[Kube, str]:
    """The API client and the server's version; on any failure the cluster is stopped (deleted
    if we created it, per the keep policy) before the error goes up."""
    try:
        kube = Kube.connect(cluster.kubeconfig, cluster.context)
        try:
            version = kube.server_version()
        # KubeError: refused, timed out or an HTTP error; ValueError: an answer not JSON (a
        # proxy's page). Anything else is a bug here and must fail, not skip the e2e tests.
        except (KubeError, ValueError) as exc:
            kube.close()
            why = f"its API server does not answer: {exc}"
            if cluster.mode is ClusterMode.CREATE and not cluster.created:
                raise EnvironmentUnavailable(not_answering(cluster.name, why)) from None
            raise EnvironmentUnavailable(
                f"the cluster's API server does not answer ({exc})"
            ) from None
    except BaseException:
        stop_cluster(cluster, config.keep, failed=True)
        raise
    return kube, version


def _environment(
    config: LiveConfig,
    tools: Toolbox,
    cluster: Cluster,
    kube: Kube,
    kubernetes_version: str,
    env: Mapping[str, str],
) -> LiveEnvironment:
    """The environment around a connected cluster, with a Helm bound to its kubeconfig."""
    helm = Helm(
        path=tools.helm,
        kubeconfig=cluster.kubeconfig,
        context=cluster.context,
        env=env,
        command_timeout=config.command_timeout,
    )
    return LiveEnvironment(
        config=config,
        tools=tools,
        cluster=cluster,
        kube=kube,
        helm=helm,
        kubernetes_version=kubernetes_version,
    )


def attach(
    handoff: ClusterHandoff, config: LiveConfig, env: Mapping[str, str] | None = None
) -> LiveEnvironment:
    """Use a cluster another process started: no kind command, no tool search, and a
    :class:`Cluster` marked not created, so :meth:`LiveEnvironment.stop` never deletes it."""
    environ = dict(os.environ if env is None else env)
    kubeconfig = Path(handoff.kubeconfig)
    if not kubeconfig.is_file():
        raise EnvironmentUnavailable(
            f"the shared cluster's kubeconfig {kubeconfig} is gone (was the cluster deleted?)"
        )
    tools = Toolbox(
        docker=Path(handoff.docker),
        kind=None if handoff.kind is None else Path(handoff.kind),
        helm=Path(handoff.helm),
        kubectl=None if handoff.kubectl is None else Path(handoff.kubectl),
        env=environ,
        kind_version=handoff.kind_version,
        helm_version=handoff.helm_version,
    )
    kind = None
    if handoff.is_kind and tools.kind is not None:
        kind = make_kind_cluster(handoff.name, kubeconfig, tools.kind, tools.kubectl, environ)
    cluster = Cluster(
        name=handoff.name,
        kubeconfig=kubeconfig,
        context=handoff.context,
        created=False,
        mode=ClusterMode(handoff.mode),
        kind=kind,
        env=environ,
    )
    kube = Kube.connect(cluster.kubeconfig, cluster.context)
    return _environment(config, tools, cluster, kube, handoff.kubernetes_version, environ)
