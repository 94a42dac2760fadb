"""The session's cluster: create a kind cluster, reuse one by name, or use an existing kubeconfig.

The kind lifecycle goes through pytest-kind's ``KindCluster`` (so a test can still use its
``kubectl``/``port_forward`` helpers), subclassed to fix what its 2022 defaults get wrong for
this suite: it would download kind v0.17.0 for amd64 only, run without timeouts and without
``--wait``, and boot a node image too old for current kind. Here kind is the executable the
caller found (PATH first), the node image is digest-pinned, and every command has a timeout.

Exact argv run by this module (``KIND`` = the resolved kind executable), checked against the
kind v0.29.0 sources (pkg/cmd/kind/...) and https://kind.sigs.k8s.io/docs/user/quick-start/:

- ``KIND get clusters``                                       (one name per line on stdout)
- ``DOCKER image inspect --format {{.Id}} IMAGE`` then, when absent, ``DOCKER pull IMAGE``
  (the node image, before the create: what kind's "Ensuring node image" step does,
  pkg/cluster/internal/providers/docker/images.go at v0.29.0, but as a step of its own with
  its own timeout and progress, so a slow registry no longer eats the create's budget)
- ``KIND create cluster --name NAME --image IMAGE --config CONFIG --wait 300s --kubeconfig KCFG``
- ``KIND export kubeconfig --name NAME --kubeconfig KCFG``      (reuse mode)
- ``KIND load docker-image --name NAME IMAGE``                  (image override)
- ``KIND delete cluster --name NAME --kubeconfig KCFG``         (only a cluster we created)

A cluster is deleted only when this session created it *and* the keep policy allows it;
a reused or existing cluster is never deleted. A create that fails or times out is followed by
``kind delete cluster`` (idempotent, per its help text): kind removes its nodes itself after
most failures, but not when its process is killed at our timeout, and a left-over
``NAME-control-plane`` would otherwise be picked up by the next run. A cluster of that name
that exists before the create is used only if it answers (``kind export kubeconfig``, then the
API server's ``/version``); if not, the run stops naming it (it is not ours to delete).
"""

from __future__ import annotations

import enum
import platform
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_botkube.errors import BadInput, EnvironmentUnavailable
from pytest_botkube.live import commands
from pytest_botkube.live.tools import CommandFailed, run, run_streaming
from pytest_botkube.settings import DEFAULTS, flag_names

# kind v0.29.0 release notes ("Images pre-built for this release"), Kubernetes 1.31: BotKube
# v1.13/v1.14 were built against client-go 1.31-era APIs; autoscaling/v2 HPAs are served, and
# autoscaling/v2beta2 is not (removed in 1.26), which the unknown-type scenario relies on.
NODE_IMAGE = (
    "kindest/node:v1.31.9@sha256:b94a3a6c06198d17f59cca8c6f486236fa05e2fb359cbd75dabbfc348a10b211"
)
KUBERNETES_VERSION = "1.31.9"
DELETE_TIMEOUT = 180.0  # `kind delete cluster`


class ClusterMode(enum.StrEnum):
    CREATE = "create"  # create a kind cluster (reused if one by that name already exists)
    REUSE = "reuse"  # a kind cluster that must already exist; never deleted
    EXISTING = "existing"  # any cluster from a kubeconfig/context; kind is not used at all


class KeepPolicy(enum.StrEnum):
    NEVER = "never"
    ON_FAILURE = "on-failure"
    ALWAYS = "always"

    def keeps(self, failed: bool) -> bool:
        return self is KeepPolicy.ALWAYS or (self is KeepPolicy.ON_FAILURE and failed)


def _kind_cluster_base() -> type[Any]:
    # pytest-kind imports pykube and requests at module level: load it only for a live run.
    from pytest_kind.cluster import KindCluster

    base: type[Any] = KindCluster
    return base


@dataclass
class ClusterSpec:
    mode: ClusterMode
    name: str
    node_image: str
    config_file: Path | None
    kubeconfig: Path  # where kind writes (create/reuse) or where to read (existing)
    context: str | None  # None: kind-NAME for kind clusters, current-context for existing
    create_timeout: float
    command_timeout: float = 120.0
    pull_timeout: float = DEFAULTS.pull_timeout


@dataclass
class Cluster:
    """What the rest of the suite needs: how to reach the API and whether we own it."""

    name: str
    kubeconfig: Path
    context: str | None
    created: bool
    mode: ClusterMode
    kind: Any = None  # the KindCluster (None in existing mode)
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_kind(self) -> bool:
        return self.kind is not None


def make_kind_cluster(
    name: str, kubeconfig: Path, kind_path: Path, kubectl_path: Path | None, env: Mapping[str, str]
) -> Any:
    """A ``KindCluster`` whose commands run the given kind with timeouts and the pinned image."""
    base = _kind_cluster_base()

    class BotkubeKindCluster(base):  # type: ignore[misc, valid-type]
        """pytest-kind's KindCluster with pinned tools, timeouts and ``--wait``."""

        created_by_us = False

        def ensure_kind(self) -> None:
            if not Path(self.kind_path).exists():
                raise EnvironmentUnavailable(f"kind executable {self.kind_path} does not exist")

        def ensure_kubectl(self) -> None:
            # pytest-kind would download kubectl v1.25.3 into the working directory.
            if not Path(self.kubectl_path).exists():
                raise EnvironmentUnavailable(
                    "KindCluster.kubectl() needs kubectl on PATH "
                    "(https://kubernetes.io/docs/tasks/tools/); the suite itself does not"
                )

        def cluster_names(self, timeout: float = 60.0) -> list[str]:
            return kind_cluster_names(Path(self.kind_path), env, timeout)

        def create(
            self, config_file: Path | None = None, *, wait_seconds: float = DEFAULTS.cluster_timeout
        ) -> None:
            """``kind create cluster``; on a failure or timeout the half-made cluster is deleted
            and EnvironmentUnavailable says so (or how to delete it, if that failed too)."""
            self.ensure_kind()
            argv = commands.kind_create(
                Path(self.kind_path), self.name, image=self.image, config=config_file,
                wait_seconds=wait_seconds, kubeconfig=Path(self.kubeconfig_path),
            )  # fmt: skip
            try:
                run(argv, timeout=wait_seconds + create_margin(wait_seconds), env=env)
            except CommandFailed as exc:
                raise EnvironmentUnavailable(
                    f"kind could not create the cluster: {exc}; {self._remove_half_made()}"
                ) from None
            except BaseException:  # Ctrl-C during the create: no half-made cluster either
                self._remove_half_made()
                raise
            self.created_by_us = True

        def _remove_half_made(self) -> str:
            try:
                self.delete()
            except CommandFailed as exc:
                return (
                    f"deleting the half-made cluster failed too ({exc}): run "
                    f"`kind delete cluster --name {self.name}`"
                )
            return f"the half-made cluster was deleted (kind delete cluster --name {self.name})"

        def export_kubeconfig(self, timeout: float = 60.0) -> None:
            argv = commands.kind_export_kubeconfig(
                Path(self.kind_path), self.name, Path(self.kubeconfig_path)
            )
            run(argv, timeout=timeout, env=env)

        def load_docker_image(
            self, docker_image: str, timeout: float = DEFAULTS.install_timeout
        ) -> None:
            argv = commands.kind_load_image(Path(self.kind_path), self.name, docker_image)
            run(argv, timeout=timeout, env=env)

        def delete(self, timeout: float = DELETE_TIMEOUT) -> None:
            argv = commands.kind_delete(Path(self.kind_path), self.name, Path(self.kubeconfig_path))
            run(argv, timeout=timeout, env=env)

        @property
        def api(self) -> Any:
            # pytest-kind sets a pykube client after create(); built on first use here.
            import pykube  # type: ignore[import-untyped]

            return pykube.HTTPClient(pykube.KubeConfig.from_file(str(self.kubeconfig_path)))

    cluster = BotkubeKindCluster.__new__(BotkubeKindCluster)
    # KindCluster.__init__ would create ./.pytest-kind/<name> in the working directory and point
    # kind/kubectl at its own download locations; set the same attributes to ours instead.
    cluster.name = name
    cluster.image = None
    cluster.path = kubeconfig.parent
    cluster.kubeconfig_path = kubeconfig
    cluster.kind_path = kind_path
    cluster.kubectl_path = kubectl_path or Path("kubectl")
    cluster.platform = platform.system().lower()
    return cluster


def kind_cluster_names(kind: Path, env: Mapping[str, str], timeout: float = 60.0) -> list[str]:
    """``kind get clusters``: one name per line (none: "No kind clusters found." on stderr)."""
    done = run(commands.kind_get_clusters(kind), timeout=timeout, env=env)
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def cluster_name(mode: ClusterMode, name: str, context: str | None) -> str:
    """The cluster's name as the run calls it (``settings.clusterName`` in the values): the
    kind cluster's, or in existing mode the context's (``existing`` for the current one)."""
    if mode is ClusterMode.EXISTING:
        return context or "existing"
    return name


def kind_context(name: str) -> str:
    return f"kind-{name}"


def create_margin(wait_seconds: float) -> float:
    """How long ``kind create`` may run past its own ``--wait``: a minute for a full wait (the
    nodes, kubeadm, the kubeconfig), a fifth of a short one."""
    return max(2.0, min(60.0, wait_seconds / 5))


def node_image_present(docker: Path, image: str, env: Mapping[str, str], timeout: float) -> bool:
    done = run(commands.docker_image_id(docker, image), timeout=timeout, env=env, check=False)
    return done.returncode == 0


def pull_node_image(
    docker: Path,
    image: str,
    env: Mapping[str, str],
    *,
    timeout: float,
    on_line: Callable[[str], None] = lambda line: None,
    command_timeout: float = 60.0,
) -> str:
    """The node image on this machine before ``kind create``: pulled (each progress line to
    ``on_line``) unless already present. Returns what was done; EnvironmentUnavailable when
    the pull fails or outlasts ``timeout``."""
    if node_image_present(docker, image, env, command_timeout):
        return f"{image} already present"
    try:
        run_streaming(commands.docker_pull(docker, image), timeout=timeout, env=env,
                      on_line=on_line)  # fmt: skip
    except CommandFailed as exc:
        raise EnvironmentUnavailable(
            f"cannot pull the kind node image {image}: {exc}; check the network to the registry "
            f"({flag_names('pull_timeout')} for a slow link), or `docker pull {image}` "
            "once by hand"
        ) from None
    return f"pulled {image}"


def start_cluster(
    spec: ClusterSpec,
    *,
    kind_path: Path | None,
    kubectl_path: Path | None,
    env: Mapping[str, str],
    names: Sequence[str] | None = None,
) -> Cluster:
    """Bring up (or attach to) the session's cluster per ``spec.mode``. ``names``: what
    ``kind get clusters`` said just before (asked again when None)."""
    if spec.mode is ClusterMode.EXISTING:
        if not spec.kubeconfig.is_file():
            raise BadInput(f"--botkube-kubeconfig: {spec.kubeconfig} does not exist")
        return Cluster(
            name=cluster_name(spec.mode, spec.name, spec.context),
            kubeconfig=spec.kubeconfig,
            context=spec.context,
            created=False,
            mode=spec.mode,
            env=env,
        )
    if kind_path is None:
        raise EnvironmentUnavailable("kind is needed for --botkube-cluster-mode " + spec.mode)
    spec.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
    kind = make_kind_cluster(spec.name, spec.kubeconfig, kind_path, kubectl_path, env)
    kind.image = spec.node_image
    if names is None:
        names = kind.cluster_names(spec.command_timeout)
    if spec.mode is ClusterMode.REUSE:
        if spec.name not in names:
            raise EnvironmentUnavailable(
                f"--botkube-cluster-mode reuse: no kind cluster named {spec.name!r} "
                f"(kind get clusters: {', '.join(names) or 'none'}); create it with "
                f"`kind create cluster --name {spec.name} --image {spec.node_image}` "
                "or use --botkube-cluster-mode create"
            )
        kind.export_kubeconfig(spec.command_timeout)
    elif spec.name in names:  # create mode, but the name is taken: use it only if it answers
        try:
            kind.export_kubeconfig(spec.command_timeout)
        except CommandFailed as exc:
            why = f"kind export kubeconfig: {exc}"
            raise EnvironmentUnavailable(not_answering(spec.name, why)) from None
    else:
        kind.create(spec.config_file, wait_seconds=spec.create_timeout)
    return Cluster(
        name=spec.name,
        kubeconfig=spec.kubeconfig,
        context=spec.context or kind_context(spec.name),
        created=bool(kind.created_by_us),
        mode=spec.mode,
        kind=kind,
        env=env,
    )


def not_answering(name: str, why: str) -> str:
    """The message for a kind cluster that was there before the run and does not answer."""
    return (
        f"a kind cluster named {name!r} already exists (left by an interrupted run?) but does "
        f"not answer ({why}); the suite did not create it, so it is not deleted: delete it with "
        f"`kind delete cluster --name {name}`, or pass {flag_names('cluster_name')} OTHER"
    )


def stop_cluster(cluster: Cluster, keep: KeepPolicy, failed: bool) -> str:
    """Delete the cluster if we created it and the policy allows; say what was done."""
    if not cluster.created or cluster.kind is None:
        return f"cluster {cluster.name!r} left running (the suite did not create it)"
    if keep.keeps(failed):
        return (
            f"cluster {cluster.name!r} kept (keep policy {keep.value}: {flag_names('keep')}); "
            "delete it with "
            f"`kind delete cluster --name {cluster.name}`"
        )
    cluster.kind.delete()
    return f"cluster {cluster.name!r} deleted"
