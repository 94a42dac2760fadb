"""The stand-ins answer as the real tools do, and fail where the real tools fail.

Where a real helm binary is available (tests/doubles/get_helm.py), the stand-in's answers to
bad command lines are compared with helm's own, and the suite's exact helm command lines are
run through the real helm against the API double (``--dry-run=client``) to prove they parse.
"""

from __future__ import annotations

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from doubles.charts import chart_tgz
from doubles.fixtures import Sandbox, make_sandbox
from doubles.kubeapi import KubeApiDouble
from doubles.recorder import commands
from kubernetes import client, config

CHART = Path(__file__).resolve().parents[1] / "data" / "chart"


def _kind_cluster(sandbox: Sandbox, name: str = "bk") -> Path:
    kubeconfig = sandbox.root / "kubeconfig"
    done = sandbox.run(
        "kind", "create", "cluster", "--name", name, "--image", "kindest/node:v1.31.9",
        "--wait", "300s", "--kubeconfig", str(kubeconfig),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return kubeconfig


def test_kind_lifecycle_writes_a_kubeconfig_for_the_double(sandbox: Sandbox):
    assert sandbox.run("kind", "get", "clusters").stderr == "No kind clusters found.\n"
    kubeconfig = _kind_cluster(sandbox)
    assert sandbox.run("kind", "version").stdout.startswith("kind v0.29.0 ")
    api = config.new_client_from_config(config_file=str(kubeconfig), context="kind-bk")
    names = [n.metadata.name for n in client.CoreV1Api(api).list_namespace().items]
    api.close()
    assert "kube-system" in names
    assert sandbox.run("kind", "get", "clusters").stdout == "bk\n"
    again = sandbox.run("kind", "create", "cluster", "--name=bk")
    assert again.returncode == 1
    assert again.stderr.strip().endswith(
        'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "bk"'
    )
    exported = sandbox.root / "exported"
    assert sandbox.run("kind", "export", "kubeconfig", "--name", "bk", "--kubeconfig",
                       str(exported)).returncode == 0  # fmt: skip
    assert yaml.safe_load(exported.read_text())["current-context"] == "kind-bk"
    got = sandbox.run("kind", "get", "kubeconfig", "--name", "bk")
    assert (
        yaml.safe_load(got.stdout)["clusters"][0]["cluster"]["server"]
        == sandbox.env["BOTKUBE_DOUBLE_URL"]
    )
    assert sandbox.run("kind", "delete", "cluster", "--name", "bk", "--kubeconfig",
                       str(kubeconfig)).returncode == 0  # fmt: skip
    assert "kind-bk" not in kubeconfig.read_text()
    assert sandbox.run("kind", "get", "clusters").stdout == ""
    assert commands(sandbox.log)[:3] == ["kind get clusters", "kind create cluster", "kind version"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["create", "cluster", "--nam", "x"], "ERROR: unknown flag: --nam"),
        (["create", "cluster", "--wait", "5 minutes"],
         'ERROR: invalid argument "5 minutes" for "--wait" flag: time: unknown unit " minutes" '
         'in duration "5 minutes"'),
        (["load", "docker-image", "--name", "bk", "busybox:1"],
         'ERROR: image: "busybox:1" not present locally'),
        (["load", "docker-image", "--name", "nope", "ghcr.io/kubeshop/botkube:candidate"],
         'ERROR: no nodes found for cluster "nope"'),
        (["export", "kubeconfig", "--name", "nope"],
         "ERROR: could not locate any control plane nodes for cluster named 'nope'. "
         "Use the --name option to select a different cluster"),
    ],
)  # fmt: skip
def test_kind_rejects_what_kind_rejects(sandbox: Sandbox, argv: list[str], message: str):
    done = sandbox.run("kind", *argv)
    assert (done.returncode, done.stderr.strip()) == (1, message)


def test_kind_loads_a_local_image(sandbox: Sandbox):
    _kind_cluster(sandbox)
    image = "ghcr.io/kubeshop/botkube:candidate"
    done = sandbox.run("kind", "load", "docker-image", "--name", "bk", image)
    assert done.returncode == 0, done.stderr
    assert f'Image: "{image}" with ID "sha256:' in done.stderr
    assert 'not yet present on node "bk-control-plane", loading...' in done.stderr


def _receiver() -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def test_docker_daemon_network_and_node_probe(sandbox: Sandbox):
    version = sandbox.run("docker", "version", "--format", "{{.Server.Version}}")
    assert (version.returncode, version.stdout.strip()) == (0, "28.1.1")
    missing = sandbox.run("docker", "network", "inspect", "kind", "--format",
                          "{{json .IPAM.Config}}")  # fmt: skip
    assert missing.returncode == 1
    assert missing.stderr.strip() == "Error response from daemon: network kind not found"
    _kind_cluster(sandbox)
    net = sandbox.run("docker", "network", "inspect", "kind", "--format", "{{json .IPAM.Config}}")
    gateways = [c.get("Gateway") for c in json.loads(net.stdout)]
    assert "127.0.0.1" in gateways
    info = sandbox.run("docker", "info", "--format", "{{.OperatingSystem}}")
    assert "Docker Desktop" not in info.stdout
    server = _receiver()
    url = f"http://127.0.0.1:{server.server_address[1]}/botkube-repro-probe"
    probe = sandbox.run("docker", "exec", "bk-control-plane", "curl", "-sS", "-m", "5", "-o",
                        "/dev/null", "-w", "%{http_code}", url)  # fmt: skip
    server.shutdown()
    server.server_close()
    assert (probe.returncode, probe.stdout) == (0, "404")
    refused = sandbox.run("docker", "exec", "bk-control-plane", "curl", "-sS", "-m", "1", url)
    assert refused.returncode == 7
    no_node = sandbox.run("docker", "exec", "other-control-plane", "curl", url)
    assert (
        no_node.stderr.strip()
        == "Error response from daemon: No such container: other-control-plane"
    )
    bad = sandbox.run("docker", "network", "inspect", "--formatt", "x", "kind")
    assert (bad.returncode, bad.stderr.splitlines()[0]) == (125, "unknown flag: --formatt")


def test_docker_down_and_desktop(tmp_path: Path, api_double: KubeApiDouble):
    down = make_sandbox(tmp_path / "d", api_double.url, extra={"BOTKUBE_STANDIN_DOCKER": "down"})
    done = down.run("docker", "version", "--format", "{{.Server.Version}}")
    assert done.returncode == 1
    assert "Cannot connect to the Docker daemon" in done.stderr
    desktop = make_sandbox(tmp_path / "k", api_double.url,
                           extra={"BOTKUBE_STANDIN_DOCKER": "desktop"})  # fmt: skip
    info = desktop.run("docker", "info", "--format", "{{.OperatingSystem}}")
    assert info.stdout.strip() == "Docker Desktop"


def _values_file(sandbox: Sandbox) -> Path:
    path = sandbox.root / "values.yaml"
    path.write_text(yaml.safe_dump({
        "settings": {"clusterName": "rehearsal"},
        "communications": {"default-group": {"webhook": {"enabled": True,
                                                         "url": "http://127.0.0.1:9/"}}},
    }))  # fmt: skip
    return path


def _helm_install(
    sandbox: Sandbox, kubeconfig: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    return sandbox.run(
        "helm", "upgrade", "botkube", "botkube", "--install", "--namespace", "bk-ns",
        "--create-namespace", "--wait", "--timeout", "300s", "--values", str(_values_file(sandbox)),
        "--version", "v1.13.0", "--repo", "https://charts.botkube.io", "--kubeconfig",
        str(kubeconfig), "--kube-context", "kind-bk", *extra,
    )  # fmt: skip


def test_helm_install_status_values_uninstall(sandbox: Sandbox, api_double: KubeApiDouble):
    kubeconfig = _kind_cluster(sandbox)
    done = _helm_install(sandbox, kubeconfig)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('Release "botkube" does not exist. Installing it now.\n')
    assert "STATUS: deployed" in done.stdout
    assert api_double.get("deployments", "bk-ns", "botkube") is not None
    rel = api_double.releases[("bk-ns", "botkube")]
    assert rel.chart_version == "v1.13.0"
    assert rel.cluster_name == "rehearsal"
    installed = sandbox.state / "helm" / "bk-ns" / "botkube"
    assert yaml.safe_load((installed / "values.yaml").read_text())["settings"] == {
        "clusterName": "rehearsal"
    }
    assert (installed / "values-0.yaml").read_text() == _values_file(sandbox).read_text()
    conn = ["--kubeconfig", str(kubeconfig), "--kube-context", "kind-bk"]
    status = sandbox.run("helm", "status", "botkube", "--namespace", "bk-ns", "--output", "json",
                         *conn)  # fmt: skip
    assert json.loads(status.stdout)["info"]["status"] == "deployed"
    values = sandbox.run("helm", "get", "values", "botkube", "--namespace", "bk-ns", "--all",
                         "--output", "yaml", *conn)  # fmt: skip
    assert yaml.safe_load(values.stdout)["settings"]["clusterName"] == "rehearsal"
    gone = sandbox.run("helm", "uninstall", "botkube", "--namespace", "bk-ns", "--wait",
                       "--timeout", "120s", "--ignore-not-found", *conn)  # fmt: skip
    assert (gone.returncode, gone.stdout) == (0, 'release "botkube" uninstalled\n')
    assert api_double.get("deployments", "bk-ns", "botkube") is None
    again = sandbox.run("helm", "uninstall", "botkube", "--namespace", "bk-ns", *conn)
    assert again.returncode == 1
    assert again.stderr.strip() == (
        "Error: uninstall: Release not loaded: botkube: release: not found"
    )
    quiet = sandbox.run("helm", "uninstall", "botkube", "-n", "bk-ns", "--ignore-not-found", *conn)
    assert (quiet.returncode, quiet.stdout) == (0, "")


def test_helm_without_create_namespace_fails_like_helm(sandbox: Sandbox):
    kubeconfig = _kind_cluster(sandbox)
    done = sandbox.run("helm", "install", "botkube", str(CHART), "-n", "absent", "--kubeconfig",
                       str(kubeconfig))  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip() == 'Error: namespaces "absent" not found'


def test_helm_unknown_chart_version(sandbox: Sandbox):
    kubeconfig = _kind_cluster(sandbox)
    done = _helm_install(sandbox, kubeconfig, "--version", "1.13.0")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        'Error: chart "botkube" version "1.13.0" not found in https://charts.botkube.io repository'
    )


BAD_COMMAND_LINES = [
    ["upgrade", "r", str(CHART), "--install", "--bogus"],
    ["upgrade", "r", str(CHART), "--install", "-x"],
    ["upgrade", "r", str(CHART), "--install", "--timeout", "300"],
    ["upgrade", "r", str(CHART), "--install", "--timeout", "5 min"],
    ["upgrade", "r", str(CHART), "--install", "--timeout", "5x"],
    ["upgrade", "r", str(CHART), "--install", "--wait=maybe"],
    ["upgrade", "r", str(CHART), "--install", "--namespace"],
    ["uninstall", "--wait"],
    ["uninstall", "r", "--create-namespace"],
    ["status", "r", "--all"],
    ["get", "values", "r", "--output-format", "yaml"],
]


@pytest.mark.parametrize("argv", BAD_COMMAND_LINES, ids=lambda a: " ".join(a[:1] + a[3:]))
def test_helm_rejects_bad_command_lines_like_real_helm(
    sandbox: Sandbox, real_helm: Path, argv: list[str]
):
    mine = sandbox.run("helm", *argv)
    real = subprocess.run([str(real_helm), *argv], capture_output=True, text=True, timeout=60,
                          env=sandbox.env, check=False)  # fmt: skip
    assert (mine.returncode, mine.stderr.splitlines()[0]) == (
        real.returncode,
        real.stderr.splitlines()[0],
    )


def test_real_helm_parses_the_suites_install_and_uninstall_lines(
    sandbox: Sandbox, real_helm: Path, api_double: KubeApiDouble
):
    """The exact argv shape of pytest_botkube.live.helm, run by the real helm against the
    API double with a local chart (no repo download; ``--dry-run=client`` renders only)."""
    kubeconfig = _kind_cluster(sandbox)
    conn = ["--kubeconfig", str(kubeconfig), "--kube-context", "kind-bk"]
    install = [
        "upgrade", "botkube", str(CHART), "--install", "--namespace", "bk-ns",
        "--create-namespace", "--wait", "--timeout", "300s", "--values",
        str(_values_file(sandbox)), *conn,
    ]  # fmt: skip
    # Rendering only: the double serves no OpenAPI document for helm's schema validation.
    dry_run = ["--dry-run=client", "--disable-openapi-validation"]
    real = subprocess.run([str(real_helm), *install, *dry_run], capture_output=True, text=True,
                          timeout=60, env=sandbox.env, check=False)  # fmt: skip
    assert real.returncode == 0, real.stderr
    assert 'clusterName: "rehearsal"' in real.stdout
    # helm looked for the release's history where helm keeps it: Secrets labelled owner=helm.
    history = api_double.requests_to("GET", "/api/v1/namespaces/bk-ns/secrets")
    assert history
    assert history[0].param("labelSelector") == "name=botkube,owner=helm"
    uninstall = ["uninstall", "botkube", "--namespace", "bk-ns", "--wait", "--timeout", "120s",
                 "--ignore-not-found", *conn]  # fmt: skip
    real = subprocess.run([str(real_helm), *uninstall], capture_output=True, text=True,
                          timeout=60, env=sandbox.env, check=False)  # fmt: skip
    assert real.returncode == 0, real.stderr
    # status and get values, as the artifacts collector runs them: the flags parse, and the
    # real helm, finding no release Secret in the double, says so exactly as the stand-in does.
    for argv in (["status", "botkube", "--namespace", "bk-ns", "--output", "json", *conn],
                 ["get", "values", "botkube", "--namespace", "bk-ns", "--all", "--output",
                  "yaml", *conn]):  # fmt: skip
        real = subprocess.run([str(real_helm), *argv], capture_output=True, text=True,
                              timeout=60, env=sandbox.env, check=False)  # fmt: skip
        mine = sandbox.run("helm", *argv)
        assert (real.returncode, real.stderr) == (1, "Error: release: not found\n")
        assert (mine.returncode, mine.stderr) == (real.returncode, real.stderr)


def test_real_helm_and_the_standin_install_a_chart_archive_alike(
    sandbox: Sandbox, real_helm: Path, api_double: KubeApiDouble
):
    """The suite installs the fetched ``botkube-<v>.tgz`` file (no --repo, no --version): the
    real helm renders the test chart archive, and the stand-in reads the same version."""
    kubeconfig = _kind_cluster(sandbox)
    archive = sandbox.root / "botkube-v1.14.0.tgz"
    archive.write_bytes(chart_tgz("v1.14.0"))
    conn = ["--kubeconfig", str(kubeconfig), "--kube-context", "kind-bk"]
    install = ["upgrade", "botkube", str(archive), "--install", "--namespace", "bk-ns",
               "--create-namespace", "--wait", "--timeout", "300s", "--values",
               str(_values_file(sandbox)), *conn]  # fmt: skip
    dry_run = ["--dry-run=client", "--disable-openapi-validation"]
    real = subprocess.run([str(real_helm), *install, *dry_run], capture_output=True, text=True,
                          timeout=60, env=sandbox.env, check=False)  # fmt: skip
    assert real.returncode == 0, real.stderr
    assert 'tag: "v1.14.0"' in real.stdout  # the archive's own template and values
    mine = sandbox.run("helm", *install)
    assert mine.returncode == 0, mine.stderr
    assert api_double.releases[("bk-ns", "botkube")].chart_version == "v1.14.0"
    broken = sandbox.root / "broken.tgz"
    broken.write_bytes(b"not a chart")
    bad = [*install[:2], str(broken), *install[3:]]
    real = subprocess.run([str(real_helm), *bad, *dry_run], capture_output=True, text=True,
                          timeout=60, env=sandbox.env, check=False)  # fmt: skip
    mine = sandbox.run("helm", *bad)
    assert (mine.returncode, real.returncode) == (1, 1)
    assert real.stderr.startswith("Error: ")
    assert mine.stderr.startswith("Error: ")
