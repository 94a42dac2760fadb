"""How BotKube, inside kind, reaches the webhook receiver running in the pytest process.

Which machine runs the containers decides it; one ``docker info`` (and, when that does not
say, ``docker version``) tells them apart (:func:`detect_runtime`):

- Docker Engine on Linux: kind nodes sit on the ``kind`` bridge network; the host owns that
  network's gateway address, so the receiver binds there and pods (NATed through the node)
  reach it. Nothing is exposed beyond the bridge. When a host firewall drops what arrives on
  the bridge, the probe's message names the bridge (``br-`` + the network id's first 12
  characters, or the ``com.docker.network.bridge.name`` option) and the rule to add.
- Docker Desktop (``OperatingSystem: Docker Desktop``), OrbStack (``OrbStack``), Colima (the
  daemon's host ``Name`` is ``colima`` or ``colima-<profile>``) and Rancher Desktop (``Rancher
  Desktop`` in the OS, or ``lima-rancher-desktop``; the docker CLI's context name, ``ClientInfo.
  Context``, says the same: ``desktop-linux``, ``orbstack``, ``colima``, ``rancher-desktop``):
  the bridge lives in a VM; containers reach
  this machine as ``host.docker.internal``, forwarded to its loopback, so the receiver binds
  ``127.0.0.1``. Any other Docker off Linux is taken as such a VM.
- Rootless Docker (``name=rootless`` among ``SecurityOptions``): the bridge is inside
  RootlessKit's namespace, not on the host; its slirp4netns gateway ``10.0.2.2`` leads to the
  host's loopback when the daemon runs with ``DOCKERD_ROOTLESS_ROOTLESSKIT_DISABLE_HOST_LOOPBACK
  =false`` (moby's contrib/dockerd-rootless.sh; the default is true: the hint says so).
- Podman (a ``Podman Engine`` server component): on Linux the kind network's gateway, as for
  Docker; in a Podman machine, ``host.containers.internal``.
- Any other cluster (``--botkube-cluster-mode existing`` on a non-kind cluster): no way to
  guess; the user passes ``--botkube-receiver-host`` (and ``--botkube-receiver-bind``).

Both can always be overridden. Before any release is installed, :func:`probe_from_node`
checks from a kind node that the receiver URL answers *with this receiver's own header*
(``X-Botkube-Repro-Receiver``: a token of the running receiver), so neither an unreachable
receiver nor another server on that port passes; either fails the session with one line and
the runtime's hint, instead of as silently missing deliveries.

argv run here (``DOCKER`` = the resolved docker executable), checked against
https://docs.docker.com/reference/cli/docker/system/info/,
https://docs.docker.com/reference/cli/docker/version/,
https://docs.docker.com/reference/cli/docker/network/inspect/ and
https://docs.docker.com/reference/cli/docker/container/exec/ (curl's ``-D -``: dump the
response headers to stdout, curl(1)):

- ``DOCKER info --format {{json .}}``
- ``DOCKER version --format {{json .Server.Components}}``   (only when ``info`` does not say)
- ``DOCKER network inspect kind --format {{json .IPAM.Config}}``
- ``DOCKER network inspect kind --format {{json .}}``           (only when the probe fails)
- ``DOCKER exec NAME-control-plane curl -sS -m 5 -o /dev/null -D - URL``
"""

from __future__ import annotations

import ipaddress
import json
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_botkube.errors import BadInput, EnvironmentUnavailable
from pytest_botkube.live import commands
from pytest_botkube.live.commands import KIND_NETWORK
from pytest_botkube.live.receiver import IDENTITY_HEADER
from pytest_botkube.live.tools import CommandFailed, run
from pytest_botkube.settings import flag_names

DESKTOP_HOST = "host.docker.internal"
ROOTLESS_HOST = "10.0.2.2"  # slirp4netns's gateway: the host, when host loopback is allowed
PODMAN_HOST = "host.containers.internal"
DOCKER_TIMEOUT = 30.0  # each docker command here (info, version, network inspect, exec curl)
_HOST = flag_names("receiver_host")
_BIND = flag_names("receiver_bind")


@dataclass(frozen=True)
class Runtime:
    """What runs the containers, and so how pods reach this machine."""

    name: str  # for messages: "Docker Desktop", "rootless Docker", ...
    host: str | None  # the name pods use; None: the kind network's gateway
    bind: str | None  # where the receiver listens; None: that gateway
    advice: str  # what to try when the node cannot reach the receiver


@dataclass(frozen=True)
class ReceiverAddress:
    bind: str  # where the receiver listens in this process
    host: str  # the name or address pods put in the webhook URL
    how: str  # one phrase for messages: how the address was chosen
    runtime: Runtime | None = None  # None: the user chose the address


def _json(text: str) -> Any:
    try:
        return json.loads(text.strip() or "null")
    except ValueError:
        return None


def _vm_advice(name: str, extra: str = "") -> str:
    return (
        f"{name} forwards {DESKTOP_HOST} to this machine's loopback, where the receiver "
        f"listens; if a VPN or proxy intercepts it{extra}, pass {_HOST} and {_BIND}"
    )


def detect_runtime(
    docker: Path, env: Mapping[str, str], timeout: float = DOCKER_TIMEOUT, system: str | None = None
) -> Runtime:
    """The container runtime behind ``docker``, from ``docker info`` (see the module doc)."""
    system = (system or platform.system()).lower()
    done = run(commands.docker_info(docker), timeout=timeout, env=env, check=False)
    info = _json(done.stdout) if done.returncode == 0 else None
    info = info if isinstance(info, dict) else {}
    os_name = str(info.get("OperatingSystem") or "")
    host_name = str(info.get("Name") or "")
    options = [str(o) for o in info.get("SecurityOptions") or []]
    client = info.get("ClientInfo")
    context = str(client.get("Context") or "") if isinstance(client, dict) else ""
    if os_name == "Docker Desktop" or context == "desktop-linux":
        return Runtime("Docker Desktop", DESKTOP_HOST, "127.0.0.1", _vm_advice("Docker Desktop"))
    if os_name == "OrbStack" or context == "orbstack":
        return Runtime(
            "OrbStack",
            DESKTOP_HOST,
            "127.0.0.1",
            _vm_advice("OrbStack", " (OrbStack also answers host.orb.internal)"),
        )
    if (
        "Rancher Desktop" in os_name
        or "rancher-desktop" in (host_name, context)
        or (host_name == "lima-rancher-desktop")
    ):
        return Runtime(
            "Rancher Desktop",
            DESKTOP_HOST,
            "127.0.0.1",
            _vm_advice("Rancher Desktop", " (on macOS try host.lima.internal)"),
        )
    if any(n == "colima" or n.startswith("colima-") for n in (host_name, context)):
        return Runtime(
            "Colima",
            DESKTOP_HOST,
            "127.0.0.1",
            _vm_advice("Colima", " (try 192.168.5.2, lima's address of the host)"),
        )
    version = run(commands.docker_server_components(docker), timeout=timeout, env=env,
                  check=False)  # fmt: skip
    components = _json(version.stdout) if version.returncode == 0 else None
    names = {str(c.get("Name")) for c in components or [] if isinstance(c, dict)}
    if "Podman Engine" in names:
        if system == "linux":
            return Runtime("Podman", None, None, _bridge_advice("Podman"))
        return Runtime(
            "Podman machine",
            PODMAN_HOST,
            "127.0.0.1",
            (
                f"Podman maps {PODMAN_HOST} to this machine; pods resolve names through the "
                "cluster DNS, which may not know it: pass its address (`podman machine ssh getent "
                f"hosts {PODMAN_HOST}`) as {_HOST}, and {_BIND} 127.0.0.1"
            ),
        )
    if "name=rootless" in options:
        return Runtime(
            "rootless Docker",
            ROOTLESS_HOST,
            "127.0.0.1",
            (
                f"rootless Docker reaches this machine's loopback at {ROOTLESS_HOST} only when the "
                "daemon runs with DOCKERD_ROOTLESS_ROOTLESSKIT_DISABLE_HOST_LOOPBACK=false "
                "(`systemctl --user edit docker.service`, add it under [Service] as "
                "Environment=..., then `systemctl --user restart docker`); or pass this machine's "
                f"LAN address as {_HOST} and {_BIND} 0.0.0.0"
            ),
        )
    if system != "linux":
        label = os_name or "a Docker VM"
        return Runtime(label, DESKTOP_HOST, "127.0.0.1", _vm_advice(label))
    return Runtime("Docker Engine", None, None, _bridge_advice("Docker Engine"))  # fmt: skip


def _bridge_advice(name: str) -> str:
    return (
        f"with {name} on Linux the receiver listens on the kind network's gateway; a host "
        "firewall that drops what arrives from the kind bridge blocks it"
    )


def kind_bridge(
    docker: Path, env: Mapping[str, str], timeout: float = DOCKER_TIMEOUT
) -> str | None:
    """The Linux bridge interface of the ``kind`` network (None when docker does not say)."""
    network = env.get("KIND_EXPERIMENTAL_DOCKER_NETWORK") or KIND_NETWORK
    done = run(commands.docker_network(docker, network), timeout=timeout, env=env, check=False)
    doc = _json(done.stdout) if done.returncode == 0 else None
    if not isinstance(doc, dict):
        return None
    named = (doc.get("Options") or {}).get("com.docker.network.bridge.name")
    if named:
        return str(named)
    ident = str(doc.get("Id") or "")
    return f"br-{ident[:12]}" if len(ident) >= 12 else None


def firewall_advice(bridge: str | None, port: int) -> str:
    """The rule that lets the kind bridge reach the receiver's port."""
    iface = bridge or "br-<first 12 characters of `docker network inspect kind -f {{.Id}}`>"
    return (
        f"allow it, e.g. `sudo iptables -I INPUT -i {iface} -p tcp --dport {port} -j ACCEPT` "
        f"or `sudo ufw allow in on {iface} to any port {port} proto tcp`, or pass {_HOST} "
        f"and {_BIND}"
    )


def kind_gateway(docker: Path, env: Mapping[str, str], timeout: float = DOCKER_TIMEOUT) -> str:
    """The IPv4 gateway of the ``kind`` docker network (the host's address on it)."""
    network = env.get("KIND_EXPERIMENTAL_DOCKER_NETWORK") or KIND_NETWORK
    done = run(commands.docker_network_ipam(docker, network), timeout=timeout, env=env)
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
    timeout: float = DOCKER_TIMEOUT,
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
    runtime = detect_runtime(docker, env, timeout)
    if runtime.host is not None and runtime.bind is not None:
        return ReceiverAddress(bind_override or runtime.bind, runtime.host, runtime.name, runtime)
    gateway = kind_gateway(docker, env, timeout)
    how = f"kind network gateway, {runtime.name}"
    return ReceiverAddress(bind_override or gateway, gateway, how, runtime)


def receiver_url(host: str, port: int, path: str = "/") -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    return f"http://{host}:{port}{path}"


def _headers(dump: str) -> tuple[int | None, dict[str, str]]:
    """The status and headers of the last response in curl's ``-D -`` dump."""
    status: int | None = None
    headers: dict[str, str] = {}
    for line in dump.splitlines():
        line = line.strip()
        if line.upper().startswith("HTTP/"):
            parts = line.split()
            status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            headers = {}
        elif ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return status, headers


def probe_from_node(
    docker: Path,
    env: Mapping[str, str],
    cluster_name: str,
    url: str,
    identity: str,
    address: ReceiverAddress | None = None,
    timeout: float = DOCKER_TIMEOUT,
) -> int:
    """Open ``url`` from the kind control-plane node and check that the answer carries this
    receiver's ``identity``; return the HTTP status. EnvironmentUnavailable with the
    runtime's hint when the node cannot connect or another server answers.

    Pods leave the node through its network namespace (kindnet masquerades), so a node that
    cannot connect means the agent cannot either.
    """
    node = f"{cluster_name}-control-plane"
    runtime = address.runtime if address is not None else None
    try:
        done = run(commands.node_probe(docker, cluster_name, url), timeout=timeout, env=env)
    except CommandFailed as exc:
        advice = runtime.advice if runtime is not None else f"pass {_HOST} and {_BIND}"
        if runtime is not None and runtime.host is None:  # the bridge: name it and the rule
            port = int(url.rsplit(":", 1)[-1].split("/", 1)[0])
            advice += "; " + firewall_advice(kind_bridge(docker, env, timeout), port)
        raise EnvironmentUnavailable(
            f"the kind node {node} cannot reach the webhook receiver at {url} ({exc}); {advice}"
        ) from None
    status, headers = _headers(done.stdout)
    if headers.get(IDENTITY_HEADER.lower()) != identity:
        server = headers.get("server", "no Server header")
        raise EnvironmentUnavailable(
            f"the kind node {node} reached {url}, but what answered (HTTP {status}, {server}) "
            "is not this run's webhook receiver (no matching "
            f"{IDENTITY_HEADER} header): another server has that address; pass "
            f"{flag_names('receiver_port')}, or {_HOST} and {_BIND}"
        )
    return status or 0
