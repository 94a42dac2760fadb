"""Which runtime runs the containers, so where the receiver listens and what pods call it.

``docker`` here is a small executable answering ``docker info --format {{json .}}`` and
``docker version --format {{json .Server.Components}}`` with the fields each runtime reports
(written from the runtimes' documented ``docker info`` shapes: Docker Desktop's and OrbStack's
OperatingSystem, Colima's and Rancher Desktop's VM host name, the CLI context name, rootless
Docker's security option, Podman's server component), found through an explicit path, never a
patched function.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_botkube.errors import EnvironmentUnavailable
from pytest_botkube.live.network import (
    DESKTOP_HOST,
    ROOTLESS_HOST,
    ReceiverAddress,
    Runtime,
    _headers,
    choose_address,
    detect_runtime,
    firewall_advice,
    kind_bridge,
    probe_from_node,
)

DOCKER = """#!{python}
import json, sys
info, components, network, exec_out, exec_code = {answers!r}
args = sys.argv[1:]
if args[:1] == ["info"]:
    print(json.dumps(info)) if info is not None else sys.exit(1)
elif args[:1] == ["version"]:
    print(json.dumps(components))
elif args[:2] == ["network", "inspect"]:
    print(json.dumps(network)) if network is not None else sys.exit(1)
elif args[:1] == ["exec"]:
    sys.stdout.write(exec_out)
    if exec_code:
        sys.stderr.write("curl: (7) Failed to connect")
    sys.exit(exec_code)
"""

ENGINE = [{"Name": "Engine", "Version": "28.1.1"}]


def docker(
    tmp_path: Path,
    info: dict[str, Any] | None,
    components: list[dict[str, str]] = ENGINE,
    network: dict[str, Any] | None = None,
    exec_out: str = "",
    exec_code: int = 0,
) -> Path:
    path = tmp_path / "docker"
    answers = (info, components, network, exec_out, exec_code)
    path.write_text(DOCKER.format(python=sys.executable, answers=answers), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def info(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "OperatingSystem": "Ubuntu 24.04 LTS",
        "Name": "build-host",
        "SecurityOptions": ["name=apparmor", "name=seccomp,profile=builtin", "name=cgroupns"],
        "ClientInfo": {"Context": "default"},
    }
    return {**base, **fields}


@pytest.mark.parametrize(
    ("fields", "components", "system", "name", "host"),
    [
        ({"OperatingSystem": "Docker Desktop"}, ENGINE, "darwin", "Docker Desktop", DESKTOP_HOST),
        ({"ClientInfo": {"Context": "desktop-linux"}}, ENGINE, "linux", "Docker Desktop",
         DESKTOP_HOST),
        ({"OperatingSystem": "OrbStack"}, ENGINE, "darwin", "OrbStack", DESKTOP_HOST),
        ({"Name": "colima"}, ENGINE, "darwin", "Colima", DESKTOP_HOST),
        ({"Name": "colima-work", "ClientInfo": {"Context": "colima-work"}}, ENGINE, "darwin",
         "Colima", DESKTOP_HOST),
        ({"Name": "lima-rancher-desktop"}, ENGINE, "darwin", "Rancher Desktop", DESKTOP_HOST),
        ({"OperatingSystem": "Rancher Desktop WSL Distribution"}, ENGINE, "windows",
         "Rancher Desktop", DESKTOP_HOST),
        ({"Name": "localhost.localdomain", "OperatingSystem": "fedora"},
         [{"Name": "Podman Engine", "Version": "5.4.0"}], "darwin", "Podman machine",
         "host.containers.internal"),
        ({"OperatingSystem": "fedora"}, [{"Name": "Podman Engine", "Version": "5.4.0"}],
         "linux", "Podman", None),
        ({"SecurityOptions": ["name=seccomp,profile=builtin", "name=rootless",
                              "name=cgroupns"]}, ENGINE, "linux", "rootless Docker",
         ROOTLESS_HOST),
        ({}, ENGINE, "linux", "Docker Engine", None),
        ({"OperatingSystem": "Alpine Linux v3.20"}, ENGINE, "darwin", "Alpine Linux v3.20",
         DESKTOP_HOST),
    ],
    ids=["desktop-mac", "desktop-linux-context", "orbstack", "colima", "colima-profile",
         "rancher-mac", "rancher-windows", "podman-machine", "podman-linux", "rootless",
         "engine", "unknown-vm"],
)  # fmt: skip
def test_the_runtime_is_told_from_docker_info(
    tmp_path: Path,
    fields: dict[str, Any],
    components: list[dict[str, str]],
    system: str,
    name: str,
    host: str | None,
):
    runtime = detect_runtime(docker(tmp_path, info(**fields), components), {}, system=system)
    assert (runtime.name, runtime.host) == (name, host)
    assert runtime.bind == (None if host is None else "127.0.0.1")
    assert runtime.advice


def test_a_docker_info_that_fails_is_the_plain_engine_on_linux(tmp_path: Path):
    runtime = detect_runtime(docker(tmp_path, None), {}, system="linux")
    assert (runtime.name, runtime.host) == ("Docker Engine", None)


def test_rootless_advice_names_the_rootlesskit_setting(tmp_path: Path):
    rootless = info(SecurityOptions=["name=rootless"])
    runtime = detect_runtime(docker(tmp_path, rootless), {}, system="linux")
    assert "DOCKERD_ROOTLESS_ROOTLESSKIT_DISABLE_HOST_LOOPBACK=false" in runtime.advice
    assert "systemctl --user restart docker" in runtime.advice


NETWORK = {"Name": "kind", "Id": "8f2e61c0d9a4b7e3c1f05a6d2b9e8c7f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d",
           "Options": {"com.docker.network.driver.mtu": "1500"},
           "IPAM": {"Config": [{"Subnet": "172.18.0.0/16", "Gateway": "172.18.0.1"}]}}  # fmt: skip


def test_the_kind_bridge_is_br_and_the_network_id_or_its_named_bridge(tmp_path: Path):
    assert kind_bridge(docker(tmp_path, info(), network=NETWORK), {}) == "br-8f2e61c0d9a4"
    named = {**NETWORK, "Options": {"com.docker.network.bridge.name": "kindbr0"}}
    assert kind_bridge(docker(tmp_path, info(), network=named), {}) == "kindbr0"
    assert kind_bridge(docker(tmp_path, info(), network=None), {}) is None


def test_the_firewall_advice_names_the_bridge_and_the_port():
    text = firewall_advice("br-8f2e61c0d9a4", 38211)
    assert "sudo iptables -I INPUT -i br-8f2e61c0d9a4 -p tcp --dport 38211 -j ACCEPT" in text
    assert "sudo ufw allow in on br-8f2e61c0d9a4 to any port 38211 proto tcp" in text
    assert "br-<first 12 characters" in firewall_advice(None, 1)


def test_choose_address_uses_the_runtime(tmp_path: Path):
    orb = docker(tmp_path, info(OperatingSystem="OrbStack"))
    chosen = choose_address(docker=orb, env={}, kind_cluster=True, host_override=None,
                            bind_override=None)  # fmt: skip
    assert (chosen.bind, chosen.host, chosen.how) == ("127.0.0.1", DESKTOP_HOST, "OrbStack")
    assert chosen.runtime is not None


def test_curls_header_dump_keeps_the_last_response():
    dump = (
        "HTTP/1.1 301 Moved Permanently\r\nLocation: /x\r\n\r\n"
        "HTTP/1.1 405 Method Not Allowed\r\nX-Botkube-Repro-Receiver: abc\r\nServer: x\r\n\r\n"
    )
    assert _headers(dump) == (405, {"x-botkube-repro-receiver": "abc", "server": "x"})


ENGINE_RUNTIME = Runtime("Docker Engine", None, None, "the bridge")
URL = "http://172.18.0.1:38211/"


def test_an_answer_without_this_receivers_header_is_not_this_receiver(tmp_path: Path):
    other = "HTTP/1.1 404 Not Found\r\nServer: nginx/1.27\r\n\r\n"
    fake = docker(tmp_path, info(), exec_out=other)
    address = ReceiverAddress("172.18.0.1", "172.18.0.1", "gateway", ENGINE_RUNTIME)
    with pytest.raises(EnvironmentUnavailable) as caught:
        probe_from_node(fake, {}, "c", URL, "token-1", address)
    message = str(caught.value)
    assert "what answered (HTTP 404, nginx/1.27) is not this run's webhook receiver" in message
    assert "pass --botkube-receiver-port, or" in message  # run respells it as --receiver-port
    ours = "HTTP/1.1 405 Method Not Allowed\r\nX-Botkube-Repro-Receiver: token-1\r\n\r\n"
    assert probe_from_node(docker(tmp_path, info(), exec_out=ours), {}, "c", URL, "token-1") == 405


def test_an_unreachable_receiver_on_the_bridge_names_the_bridge_and_the_rule(tmp_path: Path):
    fake = docker(tmp_path, info(), network=NETWORK, exec_code=7)
    address = ReceiverAddress("172.18.0.1", "172.18.0.1", "gateway", ENGINE_RUNTIME)
    with pytest.raises(EnvironmentUnavailable) as caught:
        probe_from_node(fake, {}, "c", URL, "token-1", address)
    message = str(caught.value)
    assert message.startswith(f"the kind node c-control-plane cannot reach the webhook receiver "
                              f"at {URL} (")  # fmt: skip
    assert "-i br-8f2e61c0d9a4 -p tcp --dport 38211 -j ACCEPT" in message
    assert "\n" not in message


def test_an_unreachable_receiver_in_a_vm_gives_that_runtimes_hint(tmp_path: Path):
    colima = detect_runtime(docker(tmp_path, info(Name="colima")), {}, system="darwin")
    fake = docker(tmp_path, info(), exec_code=7)
    address = ReceiverAddress("127.0.0.1", DESKTOP_HOST, "Colima", colima)
    with pytest.raises(EnvironmentUnavailable, match=r"Colima forwards host\.docker\.internal .* "
                       r"192\.168\.5\.2") as caught:  # fmt: skip
        probe_from_node(fake, {}, "c", "http://host.docker.internal:1/", "t", address)
    assert "iptables" not in str(caught.value)
    assert json.dumps(str(caught.value))  # one printable line
