"""The cluster layer's own logic: names, image references, Events -> happenings, tool lookup,
the kind network gateway, the keep policy, and the scenario checks on recorded health and logs.

External commands are small executables written into tmp_path and found through an explicit
PATH (the same seam the rehearsal uses), never patched functions.
"""

from __future__ import annotations

import re
import stat
import sys
from pathlib import Path

import pytest

from pytest_botkube.errors import BadInput, EnvironmentUnavailable
from pytest_botkube.live.helm import Helm
from pytest_botkube.live.kind import KeepPolicy
from pytest_botkube.live.kube import default_kubeconfig
from pytest_botkube.live.network import choose_address, kind_gateway, receiver_url
from pytest_botkube.live.release import release_name
from pytest_botkube.live.tools import CommandFailed, check_docker, find_tool, run
from pytest_botkube.live.workload import event_happenings, load_manifests, prepare
from pytest_botkube.model.images import chart_image
from pytest_botkube.readers.health import parse_healthz
from pytest_botkube.readers.logs import read_log_file
from pytest_botkube.reproduce.judge import log_lacks, plugin_problems
from pytest_botkube.scenario import find_scenario
from pytest_botkube.settings import flag_names, run_spelling

DATA = Path(__file__).resolve().parents[1] / "data"


def tool(bin_dir: Path, name: str, body: str) -> Path:
    """A tiny executable ``name`` in ``bin_dir`` running ``body`` as Python."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / name
    path.write_text(f"#!{sys.executable}\nimport sys\n{body}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


# -- names and references -----------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["crash-v1.13.0", "A_Very.Odd Name!" * 6])
def test_release_name_is_a_unique_dns_label_within_helms_limit(scenario: str):
    names = {release_name(scenario) for _ in range(20)}
    assert len(names) == 20
    for name in names:
        assert len(name) <= 53
        assert re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", name), name
        assert name.startswith("bk-")


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("ghcr.io/me/botkube:fix-1474", ("ghcr.io/me/botkube", "fix-1474")),
        ("localhost:5000/botkube:dev", ("localhost:5000/botkube", "dev")),
        ("localhost:5000/botkube", ("localhost:5000/botkube", "latest")),
        ("botkube", ("botkube", "latest")),
    ],
)
def test_chart_image(ref: str, expected: tuple[str, str]):
    assert chart_image(ref) == expected


def test_chart_image_refuses_a_digest():
    with pytest.raises(ValueError, match="cannot take a digest"):
        chart_image("ghcr.io/kubeshop/botkube@sha256:" + "0" * 64)


def test_helm_installs_the_local_chart_file_without_a_repository():
    helm = Helm(Path("/bin/helm"), Path("/k/config"), context="kind-x")
    argv = helm.install_argv("bk-a", "bk-a", Path("/c/botkube-v1.13.0.tgz"), Path("/v.yaml"),
                             timeout=300)  # fmt: skip
    assert argv == ["/bin/helm", "upgrade", "bk-a", "/c/botkube-v1.13.0.tgz", "--install",
                    "--namespace", "bk-a", "--create-namespace", "--wait", "--timeout", "300s",
                    "--values", "/v.yaml", "--kubeconfig", "/k/config",
                    "--kube-context", "kind-x"]  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "failed", "keeps"),
    [
        ("never", True, False),
        ("never", False, False),
        ("on-failure", True, True),
        ("on-failure", False, False),
        ("always", False, True),
    ],
)
def test_keep_policy(policy: str, failed: bool, keeps: bool):
    assert KeepPolicy(policy).keeps(failed) is keeps


def test_default_kubeconfig_takes_the_first_kubeconfig_entry(tmp_path: Path):
    env = {"KUBECONFIG": f"{tmp_path / 'a'}:{tmp_path / 'b'}"}
    assert default_kubeconfig(env) == tmp_path / "a"
    assert default_kubeconfig({"KUBECONFIG": f":{tmp_path / 'b'}"}) == tmp_path / "b"
    assert default_kubeconfig({}) == Path.home() / ".kube" / "config"


# -- workload --------------------------------------------------------------------------------


def test_workload_manifest_rescales_and_warns_by_construction():
    deployment, hpa = load_manifests()
    assert deployment["spec"]["replicas"] < hpa["spec"]["minReplicas"]  # -> SuccessfulRescale
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].startswith("registry.k8s.io/pause:")
    assert container["resources"]["requests"]["cpu"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"  # no metrics-server -> Warning
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"] == "hpa-target"


def event(kind: str, name: str, reason: str, etype: str = "Normal", **extra: object) -> dict:
    api = {"HorizontalPodAutoscaler": "autoscaling/v2", "Deployment": "apps/v1"}.get(kind, "v1")
    api = "apps/v1" if kind == "ReplicaSet" else api
    body = {
        "involvedObject": {"kind": kind, "name": name, "namespace": "ns1", "apiVersion": api},
        "type": etype,
        "reason": reason,
        "message": f"{reason} happened",
        "count": 1,
        "lastTimestamp": "2026-11-29T00:00:00Z",
    }
    body.update(extra)
    return body


def test_event_happenings_keep_only_the_workloads_objects():
    workload = prepare("ns1")
    events = [
        event("HorizontalPodAutoscaler", "hpa-target", "SuccessfulRescale"),
        event(
            "HorizontalPodAutoscaler",
            "hpa-target",
            "FailedGetResourceMetric",
            "Warning",
            count=None,
            series={"count": 4},
            lastTimestamp=None,
            eventTime="2026-11-29T00:00:05.000000Z",
        ),
        event("ReplicaSet", "hpa-target-5d4f8", "SuccessfulCreate"),
        event("Pod", "hpa-target-5d4f8-abcde", "Scheduled"),
        event("Pod", "bk-crash-botkube-123", "Started"),  # the agent's own pod
        event("HorizontalPodAutoscaler", "other", "SuccessfulRescale"),
        event("Deployment", "hpa-target", "ScalingReplicaSet", involvedObject=None),
    ]
    got = event_happenings(workload, events)
    assert [(h.resource, h.name, h.reason, h.event_type, h.count) for h in got] == [
        ("autoscaling/v2/horizontalpodautoscalers", "hpa-target", "SuccessfulRescale", "Normal", 1),
        ("apps/v1/replicasets", "hpa-target-5d4f8", "SuccessfulCreate", "Normal", 1),
        ("v1/pods", "hpa-target-5d4f8-abcde", "Scheduled", "Normal", 1),
        (
            "autoscaling/v2/horizontalpodautoscalers",
            "hpa-target",
            "FailedGetResourceMetric",
            "Warning",
            4,
        ),
    ]
    assert all(h.namespace == "ns1" for h in got)


# -- tools -----------------------------------------------------------------------------------


def test_find_tool_uses_the_path_of_the_given_environment(tmp_path: Path):
    kind = tool(tmp_path / "bin", "kind", "print('kind v0.29.0')")
    env = {"PATH": str(tmp_path / "bin")}
    assert find_tool("kind", env) == kind
    with pytest.raises(EnvironmentUnavailable, match=r"helm not found on PATH: install Helm"):
        find_tool("helm", env)
    with pytest.raises(EnvironmentUnavailable, match="does not exist"):
        find_tool("kind", env, str(tmp_path / "nope"))
    assert find_tool("kind", {"PATH": ""}, str(kind)) == kind


def test_run_reports_status_and_stderr_and_times_out(tmp_path: Path):
    bad = tool(tmp_path / "bin", "bad", "sys.stderr.write('boom\\n'); sys.exit(3)")
    with pytest.raises(CommandFailed, match=r"exited with status 3: boom") as info:
        run([str(bad), "x"], timeout=30, env={"PATH": ""})
    assert info.value.argv == [str(bad), "x"]
    slow = tool(tmp_path / "bin", "slow", "import time; time.sleep(30)")
    with pytest.raises(CommandFailed, match=r"timed out after 0.5s"):
        run([str(slow)], timeout=0.5, env={"PATH": ""})


def test_run_passes_only_the_given_environment(tmp_path: Path):
    echo = tool(tmp_path / "bin", "echo-env", "import os; print(os.environ.get('ONLY', '-'))")
    done = run([str(echo)], timeout=30, env={"ONLY": "here"})
    assert done.stdout.strip() == "here"


def test_check_docker_without_a_daemon_names_docker(tmp_path: Path):
    docker = tool(
        tmp_path / "bin",
        "docker",
        "sys.stderr.write('Cannot connect to the Docker daemon\\n'); sys.exit(1)",
    )
    with pytest.raises(EnvironmentUnavailable, match=r"no Docker daemon answers .*install Docker"):
        check_docker(docker, {"PATH": ""})


# -- network ---------------------------------------------------------------------------------

INSPECT = """
import json
assert sys.argv[1:4] == ["network", "inspect", "kind"], sys.argv
print(json.dumps({configs}))
"""


DUAL_STACK = [{"Subnet": "fc00:f853:ccd:e793::/64"}, {"Subnet": "172.18.0.0/16", "Gateway": "172.18.0.1"}]  # fmt: skip  # noqa: E501


@pytest.mark.parametrize(
    ("configs", "gateway"),
    [
        (DUAL_STACK, "172.18.0.1"),
        ([{"Subnet": "172.19.0.0/16", "Gateway": "172.19.0.1/16"}], "172.19.0.1"),
        ([{"Subnet": "172.20.0.0/16"}], "172.20.0.1"),  # no Gateway field: the first address
    ],
)
def test_kind_gateway(tmp_path: Path, configs: list[dict[str, str]], gateway: str):
    docker = tool(tmp_path / "bin", "docker", INSPECT.format(configs=configs))
    assert kind_gateway(docker, {"PATH": ""}) == gateway


def test_kind_gateway_without_ipv4_says_what_to_pass(tmp_path: Path):
    docker = tool(tmp_path / "bin", "docker", INSPECT.format(configs=[{"Subnet": "fc00::/64"}]))
    with pytest.raises(EnvironmentUnavailable, match="--botkube-receiver-host"):
        kind_gateway(docker, {"PATH": ""})


def test_receiver_address_override_and_non_kind_cluster():
    chosen = choose_address(
        docker=None, env={}, kind_cluster=False, host_override="10.0.0.5", bind_override=None
    )
    assert (chosen.host, chosen.bind) == ("10.0.0.5", "0.0.0.0")
    with pytest.raises(BadInput, match="--botkube-receiver-host"):
        choose_address(
            docker=None, env={}, kind_cluster=False, host_override=None, bind_override=None
        )
    assert receiver_url("fd00::1", 8080) == "http://[fd00::1]:8080/"


# -- checks on recorded observations ---------------------------------------------------------


def recorded_crash():
    healthz = parse_healthz((DATA / "healthz" / "deactivated_v1.13.0.json").read_text())
    summary = read_log_file(DATA / "logs" / "crash_loop_v1.13.0.json.log")
    return healthz, summary


def test_crash_recording_meets_the_crash_scenario():
    healthz, summary = recorded_crash()
    expect = find_scenario("crash-v1.13.0").expect
    assert expect is not None
    assert plugin_problems(expect.plugin, healthz, summary, ["k8s-hpa-events"], 10) == []


def test_crash_recording_fails_the_fixed_scenario_naming_each_difference():
    healthz, summary = recorded_crash()
    expect = find_scenario("fixed-v1.14.0").expect
    assert expect is not None
    problems = plugin_problems(expect.plugin, healthz, summary, ["k8s-hpa-events"], 10)
    text = "\n".join(problems)
    assert "k8s-hpa-events: status Deactivated, expected Running" in text
    assert "k8s-hpa-events: 11 restarts, expected exactly 0" in text
    assert "plugin exit statuses [2] not in []" in text
    assert "unexpected panic" in text


def test_restart_bound_is_resolved_with_the_suites_threshold():
    healthz, summary = recorded_crash()
    expect = find_scenario("crash-v1.13.0").expect
    assert expect is not None
    problems = plugin_problems(expect.plugin, healthz, summary, ["k8s-hpa-events"], 3)
    assert problems == ["k8s-hpa-events: 11 restarts, expected exactly threshold+1 = 4"]


def test_missing_alias_and_log_needles_are_reported():
    healthz, summary = recorded_crash()
    expect = find_scenario("crash-v1.13.0").expect
    assert expect is not None
    problems = plugin_problems(expect.plugin, healthz, summary, ["not-there"], 10)
    assert problems == ["/healthz has no entry for source not-there"]
    assert log_lacks("a\nb panic here", ["panic", "Deactivating"]) == ["Deactivating"]


def test_messages_name_the_flag_of_the_front_end_in_use():
    """The cluster layer names the pytest flag; `botkube-repro run` respells it as its own."""
    assert flag_names("receiver_host") == "--botkube-receiver-host"
    with pytest.raises(BadInput) as refused:
        choose_address(
            docker=None, env={}, kind_cluster=False, host_override=None, bind_override=None
        )
    message = str(refused.value)
    assert "--botkube-receiver-host" in message
    respelled = run_spelling(message, {"receiver_host", "receiver_bind"})
    assert "--receiver-host" in respelled
    assert "--botkube-" not in respelled
    # a flag run does not offer keeps its name (run's own --botkube-version is such a flag)
    assert run_spelling("pass --botkube-version", {"keep"}) == "pass --botkube-version"
