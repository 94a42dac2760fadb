"""Every external command of a live run, as an argv builder: the one place an argv is spelled.

The cluster layer runs exactly these (``tools.run``), and ``botkube-repro run --plan`` prints
them (``reproduce/live_plan.py``), so the plan cannot drift from what a run does. Each flag was
checked against the tool's documentation and, for kind and helm, the pinned release's source or
``--help`` (see the modules that run them: ``kind.py``, ``network.py``, ``tools.py``,
``helm.py``).
"""

from __future__ import annotations

from pathlib import Path

KIND_NETWORK = "kind"  # kind's network name unless KIND_EXPERIMENTAL_DOCKER_NETWORK is set
PROBE_PATH = "/botkube-repro-probe"

Argv = list[str]


# -- docker (https://docs.docker.com/reference/cli/docker/) --------------------------------------


def docker_server_version(docker: Path) -> Argv:
    return [str(docker), "version", "--format", "{{.Server.Version}}"]


def docker_info(docker: Path) -> Argv:
    return [str(docker), "info", "--format", "{{json .}}"]


def docker_server_components(docker: Path) -> Argv:
    return [str(docker), "version", "--format", "{{json .Server.Components}}"]


def docker_image_id(docker: Path, image: str) -> Argv:
    return [str(docker), "image", "inspect", "--format", "{{.Id}}", image]


def docker_pull(docker: Path, image: str) -> Argv:
    return [str(docker), "pull", image]


def docker_network_ipam(docker: Path, network: str = KIND_NETWORK) -> Argv:
    return [str(docker), "network", "inspect", network, "--format", "{{json .IPAM.Config}}"]


def docker_network(docker: Path, network: str = KIND_NETWORK) -> Argv:
    return [str(docker), "network", "inspect", network, "--format", "{{json .}}"]


def node_probe(docker: Path, cluster_name: str, url: str) -> Argv:
    """From the kind control-plane node, the receiver's answer headers (curl's ``-D -``)."""
    probe = url.rstrip("/") + PROBE_PATH
    node = f"{cluster_name}-control-plane"
    return [str(docker), "exec", node, "curl", "-sS", "-m", "5", "-o", "/dev/null", "-D", "-",
            probe]  # fmt: skip


# -- kind (v0.29.0, pkg/cmd/kind/...) -------------------------------------------------------


def kind_version(kind: Path) -> Argv:
    return [str(kind), "version"]


def kind_get_clusters(kind: Path) -> Argv:
    return [str(kind), "get", "clusters"]


def kind_create(
    kind: Path,
    name: str,
    *,
    image: str | None,
    config: Path | None,
    wait_seconds: float,
    kubeconfig: Path,
) -> Argv:
    argv = [str(kind), "create", "cluster", "--name", name]
    if image:
        argv += ["--image", image]
    if config is not None:
        argv += ["--config", str(config)]
    return [*argv, "--wait", f"{int(wait_seconds)}s", "--kubeconfig", str(kubeconfig)]


def kind_export_kubeconfig(kind: Path, name: str, kubeconfig: Path) -> Argv:
    return [str(kind), "export", "kubeconfig", "--name", name, "--kubeconfig", str(kubeconfig)]


def kind_load_image(kind: Path, name: str, image: str) -> Argv:
    return [str(kind), "load", "docker-image", "--name", name, image]


def kind_delete(kind: Path, name: str, kubeconfig: Path) -> Argv:
    return [str(kind), "delete", "cluster", "--name", name, "--kubeconfig", str(kubeconfig)]


# -- helm (v3.17.2; install/uninstall/status are Helm's methods, bound to a kubeconfig) ----------


def helm_version(helm: Path) -> Argv:
    return [str(helm), "version", "--short"]
