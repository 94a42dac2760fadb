"""How BotKube, inside kind, reaches the webhook receiver running in the pytest process.

- Linux (native Docker Engine): kind nodes sit on the ``kind`` docker bridge network; the
  host owns that network's gateway address, so the receiver binds there and pods (NATed through
  the node) reach it. Nothing is exposed beyond the bridge.
- Docker Desktop (macOS, Windows, or Linux with Desktop): the bridge lives in a VM; containers
  reach the host as ``host.docker.internal``, which Desktop forwards to the host's loopback,
  so the receiver binds ``127.0.0.1``.
- Any other cluster (``--botkube-cluster-mode existing`` on a non-kind cluster): no way to
  guess; the user passes ``--botkube-receiver-host`` (and ``--botkube-receiver-bind``).

Both can always be overridden. Before any release is installed, :func:`probe_from_node`
checks that a kind node can open the receiver URL, so an unreachable receiver fails the
session with one clear message instead of as silently missing deliveries.

argv run here (``DOCKER`` = the resolved docker executable), checked against
https://docs.docker.com/reference/cli/docker/system/info/,
https://docs.docker.com/reference/cli/docker/network/inspect/ and
https://docs.docker.com/reference/cli/docker/container/exec/:

- ``DOCKER info --format {{.OperatingSystem}}``
- ``DOCKER network inspect kind --format {{json .IPAM.Config}}``
- ``DOCKER exec NAME-control-plane curl -sS -m 5 -o /dev/null -w %{http_code} URL``
"""

from __future__ import annotations

import ipaddress
import json
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pytest_botkube.errors import BadInput, EnvironmentUnavailable
from pytest_botkube.live.tools import CommandFailed, run
from pytest_botkube.settings import flag_names

KIND_NETWORK = "kind"  # kind's network name unless KIND_EXPERIMENTAL_DOCKER_NETWORK is set
DESKTOP_HOST = "host.docker.internal"
PROBE_PATH = "/botkube-repro-probe"
_HOST = flag_names("receiver_host")
_BIND = flag_names("receiver_bind")


@dataclass(frozen=True)
class ReceiverAddress:
    bind: str  # where the receiver listens in this process
    host: str  # the name or address pods put in the webhook URL
    how: str  # one phrase for messages: how the address was chosen


def _docker_desktop(docker: Path, env: Mapping[str, str], timeout: float) -> bool:
    if platform.system().lower() != "linux":
        return True
    done = run(
        [str(docker), "info", "--format", "{{.OperatingSystem}}"],
        timeout=timeout,
        env=env,
        check=False,
    )
    return "docker desktop" in done.stdout.lower()


def kind_gateway(docker: Path, env: Mapping[str, str], timeout: float = 30.0) -> str:
    """The IPv4 gateway of the ``kind`` docker network (the host's address on it)."""
    network = env.get("KIND_EXPERIMENTAL_DOCKER_NETWORK") or KIND_NETWORK
    done = run(
        [str(docker), "network", "inspect", network, "--format", "{{json .IPAM.Config}}"],
        timeout=timeout,
        env=env,
    )
    try:
        configs = json.loads(done.stdout.strip() or "[]") or []
    except ValueError:
        configs = []
    for config in configs:
        subnet = str(config.get("Subnet", ""))
        # Some Docker versions print the gateway with a prefix length ("172.18.0.1/16").
        gateway = str(config.get("Gateway", "")).split("/", 1)[0]
        if gateway and ipaddress.ip_address(gateway).version == 4:
            return gateway
        if subnet and ipaddress.ip_network(subnet, strict=False).version == 4:
            # Some Docker versions leave Gateway empty; the bridge takes the first address.
            return str(next(ipaddress.ip_network(subnet, strict=False).hosts()))
    raise EnvironmentUnavailable(
        f"docker network {network!r} has no IPv4 gateway ({done.stdout.strip() or 'empty'}); "
        f"pass {_HOST} and {_BIND}"
    )


def choose_address(
    *,
    docker: Path | None,
    env: Mapping[str, str],
    kind_cluster: bool,
    host_override: str | None,
    bind_override: str | None,
    timeout: float = 30.0,
) -> ReceiverAddress:
    """Pick where the receiver binds and what URL host the agent uses (see module doc)."""
    if host_override:
        return ReceiverAddress(
            bind=bind_override or "0.0.0.0",  # noqa: S104 - the user asked for this host
            host=host_override,
            how=_HOST,
        )
    if not kind_cluster or docker is None:
        raise BadInput(
            f"{_HOST}: not a kind cluster, so the address at which pods reach "
            f"this machine cannot be guessed; pass it (and {_BIND})"
        )
    if _docker_desktop(docker, env, timeout):
        return ReceiverAddress(
            bind=bind_override or "127.0.0.1", host=DESKTOP_HOST, how="Docker Desktop"
        )
    gateway = kind_gateway(docker, env, timeout)
    return ReceiverAddress(bind=bind_override or gateway, host=gateway, how="kind network gateway")


def receiver_url(host: str, port: int, path: str = "/") -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    return f"http://{host}:{port}{path}"


def probe_from_node(
    docker: Path, env: Mapping[str, str], cluster_name: str, url: str, timeout: float = 30.0
) -> str:
    """Open ``url`` from the kind control-plane node; return the HTTP status it got.

    Pods leave the node through its network namespace (kindnet masquerades), so a node that
    cannot connect means the agent cannot either.
    """
    node = f"{cluster_name}-control-plane"
    probe = url.rstrip("/") + PROBE_PATH
    argv = [str(docker), "exec", node, "curl", "-sS", "-m", "5", "-o", "/dev/null"]
    try:
        done = run([*argv, "-w", "%{http_code}", probe], timeout=timeout, env=env)
    except CommandFailed as exc:
        raise EnvironmentUnavailable(
            f"the kind node {node} cannot reach the webhook receiver at {url} ({exc}); a host "
            f"firewall may block the docker bridge: allow it, or pass {_HOST} and {_BIND}"
        ) from None
    return done.stdout.strip()
