"""``botkube-repro doctor`` end to end: the real CLI and kubernetes client against the API double.

The double serves what the BotKube chart installs (Deployment, pods, the global-config ConfigMap,
the communications Secret, the persistent-state ConfigMaps), the agent log (current and previous)
and /healthz behind the pod proxy. The scenario files give the configs; the agent logs are the
observation tests' data (tests/data/logs).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from doubles.kubeapi import BotkubeProfile, KubeApiDouble
from doubles.kubeapi_doctor import install_botkube

from pytest_botkube.bundled import manifests_dir
from pytest_botkube.cli import main
from pytest_botkube.model.versions import KNOWN_BOTKUBE_VERSIONS
from pytest_botkube.scenario import find_scenario, kubernetes_source_aliases, thaw

LOGS = Path(__file__).resolve().parents[1] / "data" / "logs"
TOKEN = "xoxb-424242424242-PLANTED-doctor-secret-token"
WEBHOOK = "https://hooks.example.invalid/services/PLANTED/doctor-secret-webhook-path"


def values_of(scenario: str) -> dict[str, Any]:
    """The scenario's values plus what a real install has: communications carrying secrets."""
    values: dict[str, Any] = thaw(find_scenario(scenario).values)
    aliases = list(kubernetes_source_aliases(values))
    values["communications"] = {
        "default-group": {
            "socketSlack": {
                "enabled": False,
                "appToken": TOKEN.replace("xoxb", "xapp"),
                "botToken": TOKEN,
                "channels": {
                    "default": {
                        "name": "SLACK_CHANNEL",
                        "bindings": {"sources": ["k8s-err-events"]},
                    }
                },
            },
            "webhook": {"enabled": True, "url": WEBHOOK, "bindings": {"sources": aliases}},
        }
    }
    values.setdefault("settings", {})["clusterName"] = "prod-eu-1"
    return values


def healthz(alias_state: dict[str, tuple[str, str]]) -> dict[str, Any]:
    return {
        "botkube": {"status": "Healthy"},
        "plugins": {
            alias: {"enabled": True, "status": status, "restarts": restarts}
            for alias, (status, restarts) in alias_state.items()
        },
        "platforms": {"webhook": {"status": "Healthy", "restarts": "0/1"}},
    }


def healthy_log(version: str) -> str:
    return (
        (LOGS / "healthy_v1.14.0.json.log").read_text(encoding="utf-8").replace("v1.14.0", version)
    )


def crash_log() -> str:
    # The agent also logged the webhook URL once (a failed send): it must not leak either.
    return (LOGS / "crash_loop_v1.13.0.json.log").read_text(encoding="utf-8") + (
        json.dumps(
            {
                "level": "error",
                "msg": f'while sending sink message: Post "{WEBHOOK}": connection refused',
                "time": "2024-11-20T09:15:00Z",
            }
        )
        + "\n"
    )


def doctor(
    double: KubeApiDouble, tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    kubeconfig = double.write_kubeconfig(tmp_path / "kubeconfig")
    code = main(["doctor", "--kubeconfig", str(kubeconfig), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def crashing(api_double: KubeApiDouble) -> KubeApiDouble:
    values = values_of("crash-v1.13.0")
    profile = BotkubeProfile(
        log=crash_log(),
        healthz=healthz({a: ("Deactivated", "11/10") for a in kubernetes_source_aliases(values)}),
    )
    install_botkube(api_double, values, version="v1.13.0", profile=profile)
    return api_double


def test_crashing_v1_13_config_is_diagnosed_with_its_fix(
    crashing: KubeApiDouble, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = doctor(crashing, tmp_path, capsys, "--format", "json")
    assert (code, err) == (1, "")
    report = json.loads(out)
    assert report["botkube_version"] == "v1.13.0"
    assert report["kubernetes_version"] == "1.32"
    assert report["predicted"]["verdict"] == "crash"
    culprit = next(s for s in report["predicted"]["sources"] if s["cause"] == "crash")
    assert culprit["name"] == "k8s-hpa-events"
    assert report["observed"]["status"] == "deactivated"
    assert report["healthz"]["plugins"]["k8s-hpa-events"]["status"] == "Deactivated"
    assert report["log"]["plugins"]["botkube/kubernetes"]["exit_statuses"][0] == 2
    assert report["known_issue"]["ref"] == "kubeshop/botkube#1474"
    assert report["known_issue"]["certainty"] == "certain"
    assert report["fixes"][0].startswith("upgrade BotKube to v1.14.0")
    assert any(
        f.startswith("sources.k8s-hpa-events.botkube/kubernetes.config") for f in report["fixes"]
    )
    assert report["status"] == "problem"

    code, text, _ = doctor(crashing, tmp_path, capsys)
    assert code == 1
    assert "Predicted (v1.13.0, Kubernetes 1.32): botkube/kubernetes process crash" in text
    assert "deactivated after 11/10 restarts, panic in mergeResourceEvents (router.go:159)" in text
    assert "Known issue: kubeshop/botkube#1474" in text
    assert "Result: PROBLEM (exit 1)" in text


@pytest.mark.parametrize(
    ("scenario", "version"),
    [("workaround-v1.13.0", "v1.13.0"), ("fixed-v1.14.0", "v1.14.0")],
)
def test_workaround_and_upgrade_are_healthy(
    api_double: KubeApiDouble,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    scenario: str,
    version: str,
) -> None:
    values = values_of(scenario)
    profile = BotkubeProfile(
        log=healthy_log(version),
        healthz=healthz({a: ("Running", "0/10") for a in kubernetes_source_aliases(values)}),
    )
    install_botkube(api_double, values, version=version, profile=profile)
    code, out, err = doctor(api_double, tmp_path, capsys, "--format", "json")
    report = json.loads(out)
    assert (code, err) == (0, ""), report["problems"]
    assert report["botkube_version"] == version
    assert report["predicted"]["verdict"] == "healthy"
    assert report["observed"]["status"] == "running"
    assert report["known_issue"] is None
    assert report["problems"] == []
    code, text, _ = doctor(api_double, tmp_path, capsys)
    assert code == 0
    assert "Result: healthy, and predicted healthy (exit 0)" in text


def test_unserved_type_exit_loop_names_1080_and_the_type_not_an_upgrade(
    api_double: KubeApiDouble, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = values_of("unknown-type-v1.14.0")
    profile = BotkubeProfile(
        log=(LOGS / "exit_loop_unknown_type.json.log").read_text(encoding="utf-8"),
        healthz=healthz({a: ("Deactivated", "11/10") for a in kubernetes_source_aliases(values)}),
    )
    install_botkube(api_double, values, version="v1.14.0", profile=profile)
    code, out, _ = doctor(api_double, tmp_path, capsys, "--format", "json")
    report = json.loads(out)
    assert code == 1
    # The double's API server is Kubernetes 1.32, which no longer serves autoscaling/v2beta2.
    assert report["predicted"]["verdict"] == "exit"
    assert report["known_issue"]["ref"] == "kubeshop/botkube#1080"
    assert report["fixes"][0].startswith("kubeshop/botkube#1080: correct or remove")
    assert any("sources.k8s-hpa-events" in f for f in report["fixes"])
    assert not any("upgrade" in f.lower() for f in report["fixes"])


def test_version_the_model_does_not_know_is_observed_but_not_passed(
    api_double: KubeApiDouble, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = values_of("fixed-v1.14.0")
    values["image"] = {"tag": "v0.18.0"}  # before the plugin architecture: not modelled
    profile = BotkubeProfile(
        log=healthy_log("v0.18.0"),
        healthz=healthz({a: ("Running", "0/10") for a in kubernetes_source_aliases(values)}),
    )
    install_botkube(api_double, values, version="v0.18.0", profile=profile)
    code, out, _ = doctor(api_double, tmp_path, capsys, "--format", "json")
    report = json.loads(out)
    assert code == 1
    assert report["predicted"] is None
    assert report["observed"]["status"] == "running"
    assert report["problems"] == [
        "no prediction for image tag v0.18.0: unknown BotKube version 'v0.18.0': the model "
        f"covers the v1.x releases {', '.join(KNOWN_BOTKUBE_VERSIONS)}; did you mean v1.0.0?"
    ]


def test_restarted_agent_log_is_read_with_the_previous_container(
    api_double: KubeApiDouble, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = values_of("crash-v1.13.0")
    profile = BotkubeProfile(
        previous_log=(LOGS / "restart_agent.json.log").read_text(encoding="utf-8"),
        log=healthy_log("v1.13.0").split("Start source streaming")[0].rsplit("\n", 1)[0] + "\n",
        restarts=3,
        healthz=healthz({}),
    )
    install_botkube(api_double, values, version="v1.13.0", profile=profile)
    code, out, _ = doctor(api_double, tmp_path, capsys, "-n", "botkube", "--format", "json")
    report = json.loads(out)
    assert code == 1
    assert report["pod"]["restarts"] == 3
    assert report["log"]["read"] == ["previous", "current"]
    assert report["known_issue"]["ref"] == "kubeshop/botkube#1474"
    previous = api_double.requests_to("GET", r"/api/v1/namespaces/botkube/pods/[^/]+/log")
    assert [r.param("previous") for r in previous] == ["true", "false"]
    assert {r.param("container") for r in previous} == {"botkube"}


def test_missing_pods_log_permission_is_one_line_naming_it(
    crashing: KubeApiDouble, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crashing.forbid(r"/api/v1/namespaces/botkube/pods/[^/]+/log")
    code, out, err = doctor(crashing, tmp_path, capsys)
    assert (code, out) == (3, "")
    assert err == (
        "botkube-repro doctor: error: forbidden: cannot get pods/log in namespace botkube "
        "(RBAC: grant get on pods/log)\n"
    )


def test_planted_secret_never_appears_in_any_output(
    crashing: KubeApiDouble, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The Secret really holds the token (base64) and the log really holds the webhook URL.
    secret = crashing.get("secrets", "botkube", "botkube-communication-secret")
    assert secret is not None
    assert TOKEN in json.dumps(secret) or TOKEN.encode() in _decoded(secret)
    outputs = []
    for fmt in ("text", "json"):
        code, out, err = doctor(crashing, tmp_path, capsys, "--format", fmt)
        assert code == 1
        outputs.append(out + err)
    crashing.forbid(r"/api/v1/namespaces/botkube/pods/[^/]+/log")
    outputs.append("".join(doctor(crashing, tmp_path, capsys)[1:]))
    for text in outputs:
        for planted in (TOKEN, TOKEN.replace("xoxb", "xapp"), WEBHOOK, "PLANTED", "SLACK_CHANNEL"):
            assert planted not in text
    # The log's sink failure was reported with the URL scrubbed, not dropped.
    scrubbed = 'while sending sink message: Post "<redacted>": connection refused'
    assert f"sink send failures: 1, first: {scrubbed}" in outputs[0]
    report = json.loads(outputs[1])
    assert report["log"]["sink_failures"]["first"] == [scrubbed]
    # What decides bindings (the outline of communications) still reached the model.
    hpa = next(s for s in report["predicted"]["sources"] if s["name"] == "k8s-hpa-events")
    assert hpa["bound_by"] == ["communications.default-group.webhook"]


def _decoded(secret: dict[str, Any]) -> bytes:
    import base64

    return b"".join(base64.b64decode(v) for v in secret.get("data", {}).values())


def test_unreachable_cluster_exits_3_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nothing listens
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "gone",
                "clusters": [{"name": "gone", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
                "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "u"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
            }
        ),
        encoding="utf-8",
    )
    code = main(["doctor", "--kubeconfig", str(kubeconfig)])
    out, err = capsys.readouterr()
    assert (code, out) == (3, "")
    assert err.count("\n") == 1
    assert err.startswith(
        f"botkube-repro doctor: error: cannot reach the Kubernetes API of context gone "
        f"(http://127.0.0.1:{port})"
    )


def test_not_found_says_what_was_looked_for_and_where(
    api_double: KubeApiDouble, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = doctor(api_double, tmp_path, capsys, "--release", "bk")
    assert (code, out) == (3, "")
    assert re.fullmatch(
        r"botkube-repro doctor: error: no BotKube found in context kind-botkube "
        r"\(http://127\.0\.0\.1:\d+\): looked for Deployments labelled "
        r"app=botkube,component=controller,app\.kubernetes\.io/instance=bk in all namespaces, "
        r"and a Deployment named bk-botkube in namespace botkube; pass --namespace if BotKube "
        r"runs elsewhere\n",
        err,
    )


def test_bad_context_is_bad_input(
    api_double: KubeApiDouble, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = doctor(api_double, tmp_path, capsys, "--context", "nope")
    assert (code, out) == (2, "")
    assert "--context nope: not in" in err
    assert "kind-botkube" in err


# ------------------------------------------------------------------ read-only, within the Role


def _rbac_role() -> dict[str, Any]:
    docs = yaml.safe_load_all((manifests_dir() / "doctor-rbac.yaml").read_text(encoding="utf-8"))
    return next(d for d in docs if d and d["kind"] == "Role")


def _authorization(path: str, query: dict[str, list[str]]) -> tuple[str, str, str, str]:
    """(API group, resource incl. subresource, verb, namespace) as RBAC sees a GET."""
    parts = path.strip("/").split("/")
    group, rest = ("", parts[2:]) if parts[0] == "api" else (parts[1], parts[3:])
    namespace = ""
    if rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    resource = rest[0] + (f"/{rest[2]}" if len(rest) > 2 else "")
    verb = "get" if len(rest) > 1 else ("watch" if query.get("watch") else "list")
    return group, resource, verb, namespace


def test_every_call_is_a_get_the_shipped_role_allows(
    crashing: KubeApiDouble, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As with the Role only: listing Deployments across namespaces is forbidden.
    crashing.forbid(r"/apis/apps/v1/deployments")
    before = len(crashing.requests)
    code, _, err = doctor(crashing, tmp_path, capsys)
    assert (code, err) == (1, "")
    calls = crashing.requests[before:]
    assert {c.method for c in calls} == {"GET"}
    role = _rbac_role()
    checked = set()
    for call in calls:
        if call.path == "/version" or call.path == "/apis/apps/v1/deployments":
            continue  # /version is open to every authenticated user; the other was refused
        group, resource, verb, namespace = _authorization(call.path, call.query)
        assert namespace == "botkube", call.path
        allowed = any(
            group in r["apiGroups"] and resource in r["resources"] and verb in r["verbs"]
            for r in role["rules"]
        )
        assert allowed, f"{verb} {resource} ({call.path}) is not in manifests/doctor-rbac.yaml"
        checked.add((resource, verb))
    assert checked == {
        ("deployments", "list"),
        ("configmaps", "get"),
        ("secrets", "get"),
        ("pods", "list"),
        ("pods/proxy", "get"),
        ("pods/log", "get"),
    }
    paths = [c.path for c in calls]
    assert any(
        re.fullmatch(r"/api/v1/namespaces/botkube/pods/botkube-[\w-]+:2114/proxy/healthz", p)
        for p in paths
    )


def _self_signed(tmp_path: Path) -> ssl.SSLContext:
    """A throwaway server certificate, made by openssl (the test skips without it)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not on PATH: cannot make a certificate for the HTTPS API double")
    key, cert = tmp_path / "tls.key", tmp_path / "tls.crt"
    ec_key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    files = ("-keyout", str(key), "-out", str(cert))
    subprocess.run(
        [openssl, "req", "-x509", *ec_key, *files, "-days", "1", "-subj", "/CN=x"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_insecure_skip_tls_verify_adds_no_warning_to_the_output(tmp_path: Path) -> None:
    """A kubeconfig with insecure-skip-tls-verify (kind's, many dev clusters') makes urllib3
    warn on every unverified HTTPS request; the doctor's output stays its own report. Run as
    a user runs it: a separate process with Python's default warning filters."""
    import urllib3

    with KubeApiDouble(tls=_self_signed(tmp_path)) as double:
        values = values_of("fixed-v1.14.0")
        profile = BotkubeProfile(
            log=healthy_log("v1.14.0"),
            healthz=healthz({a: ("Running", "0/10") for a in kubernetes_source_aliases(values)}),
        )
        install_botkube(double, values, version="v1.14.0", profile=profile)
        # The control: this server does make urllib3 warn when nothing filters it.
        with pytest.warns(urllib3.exceptions.InsecureRequestWarning):
            urllib3.PoolManager(cert_reqs="CERT_NONE").request("GET", f"{double.url}/version")

        config = double.kubeconfig()
        config["clusters"][0]["cluster"]["insecure-skip-tls-verify"] = True
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(yaml.safe_dump(config), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
        done = subprocess.run(
            [sys.executable, "-m", "pytest_botkube.cli", "doctor", "--kubeconfig", str(kubeconfig)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "InsecureRequestWarning" not in done.stdout
    assert "Unverified HTTPS request" not in done.stdout
    assert "Result: healthy, and predicted healthy (exit 0)" in done.stdout
