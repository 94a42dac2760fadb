"""The real tests/e2e suite, run by pytester against stand-in kind/helm/docker and the API double.

Nothing of the suite is patched: the inner pytest finds the stand-ins first on PATH (the cluster
layer resolves executables from PATH), kind writes a kubeconfig pointing at the API double, the
real kubernetes client and the real receiver do their work, and the agent double
(doubles/agent.py) behaves as the model predicts for the values each release was installed with,
never as the scenario expects. The assertions read what the stand-ins recorded (argv) and what
the double received (requests).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from doubles import agent
from doubles.charts import chart_tgz, closed_port_url
from doubles.fixtures import (
    PLUGIN_INDEX_URL,
    Rehearsal,
    index_unreachable_log,
    make_sandbox,
    use_env,
)
from doubles.kubeapi import BotkubeProfile, KubeApiDouble
from doubles.recorder import Call

from pytest_botkube.bundled import manifests_dir
from pytest_botkube.live.kind import NODE_IMAGE
from pytest_botkube.scenario import load_scenarios

ALL = [s.name for s in load_scenarios()]


def _values_installed(rehearsal: Rehearsal, call: Call) -> dict[str, Any]:
    ns = call.flag("--namespace")
    release = call.argv[1]
    path = rehearsal.sandbox.state / "helm" / str(ns) / release / "values.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def test_whole_matrix_one_cluster_install_uninstall_in_order(rehearsal: Rehearsal):
    result = rehearsal.run()
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= len(ALL), result.stdout.str()[-3000:]
    assert set(outcomes) == {"passed"}, outcomes
    for name in ALL:
        result.stdout.fnmatch_lines([f"*test_scenario?{name}? PASSED*"])

    creates = rehearsal.kind("create", "cluster")
    kubeconfig = str(creates[0].flag("--kubeconfig"))
    assert Path(kubeconfig).is_relative_to(rehearsal.pytester.path)  # never in the repo
    assert [c.argv for c in creates] == [(
        "create", "cluster", "--name", "botkube-repro", "--image", NODE_IMAGE,
        "--config", str(manifests_dir() / "kind-cluster.yaml"), "--wait", "300s",
        "--kubeconfig", kubeconfig,
    )]  # fmt: skip
    assert [c.argv for c in rehearsal.kind("delete", "cluster")] == [
        ("delete", "cluster", "--name", "botkube-repro", "--kubeconfig", kubeconfig)
    ]
    kind_order = [c.argv[:2] for c in rehearsal.calls("kind")]
    assert kind_order == [
        ("version",), ("get", "clusters"), ("create", "cluster"), ("delete", "cluster"),
    ]  # fmt: skip

    installs, uninstalls = rehearsal.installs(), rehearsal.uninstalls()
    assert len(installs) == len(uninstalls) == len(ALL)
    helm = [c for c in rehearsal.calls("helm") if c.argv[0] in ("upgrade", "uninstall")]
    for index in range(0, len(helm), 2):  # install, then its uninstall, then the next install
        install, uninstall = helm[index], helm[index + 1]
        assert install.argv[0] == "upgrade"
        assert uninstall.argv[:2] == ("uninstall", install.argv[1])
    namespaces = [c.flag("--namespace") for c in installs]
    assert sorted(agent.namespace_glob(n)[:-2] for n in ALL) == sorted(
        n.rsplit("-", 1)[0] for n in namespaces if n
    )
    for call in installs:
        assert call.argv[1] == call.flag("--namespace")  # release named like its namespace
        values_file = call.flag("--values")
        chart = Path(call.argv[2])  # the digest-checked tarball, fetched into the user cache
        assert call.argv == (
            "upgrade", call.argv[1], str(chart), "--install", "--namespace", call.argv[1],
            "--create-namespace", "--wait", "--timeout", "300s", "--values", values_file,
            "--kubeconfig", kubeconfig, "--kube-context", "kind-botkube-repro",
        )  # fmt: skip
        assert chart.name in ("botkube-v1.13.0.tgz", "botkube-v1.14.0.tgz")
        assert chart.is_relative_to(rehearsal.sandbox.env["XDG_CACHE_HOME"])
        assert hashlib.sha256(chart.read_bytes()).hexdigest() == chart.parent.name
    for call in uninstalls:
        ns = call.argv[1]
        assert call.argv == (
            "uninstall", ns, "--namespace", ns, "--wait", "--timeout", "5s",
            "--ignore-not-found", "--kubeconfig", kubeconfig, "--kube-context",
            "kind-botkube-repro",
        )  # fmt: skip

    # What was installed: the receiver's URL (reachable, the delivery arrived), fast health.
    for call in installs:
        values = _values_installed(rehearsal, call)
        hook = values["communications"]["default-group"]["webhook"]
        assert hook["enabled"] is True
        assert hook["url"].startswith("http://127.0.0.1:")
        assert values["settings"]["clusterName"] == "botkube-repro"
        assert values["plugins"]["restartPolicy"]["threshold"] == 3
        assert values["plugins"]["healthCheckInterval"] == "3s"
    delivered = rehearsal.double.sent_deliveries
    assert delivered
    assert all(d.status == 200 for d in delivered), delivered

    # The workload, as the Kubernetes API received it, in every scenario's namespace.
    for ns in namespaces:
        deployments = rehearsal.api("POST", f"/apis/apps/v1/namespaces/{ns}/deployments")
        hpas = rehearsal.api(
            "POST", f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers"
        )
        assert len(deployments) == len(hpas) == 1
        dep, hpa = deployments[0].body, hpas[0].body
        container = dep["spec"]["template"]["spec"]["containers"][0]
        assert container["image"].startswith("registry.k8s.io/pause")
        assert "cpu" in container["resources"]["requests"]
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1", "kind": "Deployment", "name": dep["metadata"]["name"]
        }  # fmt: skip
        assert hpa["spec"]["minReplicas"] > dep["spec"]["replicas"]
        assert any(m["resource"]["name"] == "cpu" for m in hpa["spec"]["metrics"])
        order = rehearsal.double.requests
        logs = rehearsal.api("GET", rf"/api/v1/namespaces/{ns}/pods/[^/]+/log")
        # BotKube ignores older objects: the workload comes after the agent's log was read.
        assert order.index(logs[0]) < order.index(deployments[0]) < order.index(hpas[0])
        healthz = rehearsal.api("GET", rf"/api/v1/namespaces/{ns}/pods/[^/]+:2114/proxy/healthz")
        assert healthz, f"/healthz never read through the pod proxy in {ns}"
        assert rehearsal.api("DELETE", f"/api/v1/namespaces/{ns}")
    assert not rehearsal.double.releases  # every release uninstalled


ONE = "control-healthy-v1.13.0"  # a Running scenario: a violation fails without waiting


def _environment_outcome(
    result: pytest.RunResult, require: bool, said: str, required: str, skip: str | None = None
) -> None:
    """An environment problem: one ``required`` outcome (failed/errors) naming ``said`` under
    --botkube-require-cluster, else one skip naming ``skip`` (default ``said``)."""
    if require:
        result.assert_outcomes(**{required: 1})
        result.stdout.fnmatch_lines([f"*--botkube-require-cluster: {said}*"])
    else:
        result.assert_outcomes(skipped=1)
        result.stdout.fnmatch_lines([f"SKIPPED*BotKube e2e cannot run here: {skip or said}*"])


def _cleanup_happened(rehearsal: Rehearsal) -> str:
    """The release was uninstalled and its namespace deleted after it was installed."""
    calls = rehearsal.calls("helm")
    install = next(i for i, c in enumerate(calls) if c.argv[0] == "upgrade")
    ns = str(calls[install].flag("--namespace"))
    assert [c.argv[:2] for c in calls[install + 1 :] if c.argv[0] == "uninstall"] == [
        ("uninstall", ns)
    ]
    assert rehearsal.api("DELETE", f"/api/v1/namespaces/{ns}")
    assert rehearsal.double.get("namespaces", "", ns) is None
    assert not rehearsal.double.releases
    return ns


@pytest.mark.parametrize(
    ("keep", "deleted"),
    # never + success: the whole matrix; on-failure + failure: test_failure_saves_artifacts...;
    # never + KeyboardInterrupt: test_keyboard_interrupt...
    [("on-failure", True), ("always", False)],
)
def test_keep_policy_decides_the_deletion_of_a_created_cluster(
    rehearsal: Rehearsal, keep: str, deleted: bool
):
    result = rehearsal.run("--botkube-scenario", ONE, "--botkube-keep", keep)
    result.assert_outcomes(passed=1)
    _cleanup_happened(rehearsal)  # the release goes whatever happens to the cluster
    assert len(rehearsal.kind("create", "cluster")) == 1
    assert len(rehearsal.kind("delete", "cluster")) == (1 if deleted else 0)
    clusters = rehearsal.sandbox.run("kind", "get", "clusters").stdout.split()
    assert clusters == ([] if deleted else ["botkube-repro"])


def test_reuse_mode_with_a_candidate_image_never_creates_nor_deletes(rehearsal: Rehearsal):
    """A maintainer's flow: their own kind cluster, a candidate agent build loaded into it."""
    assert rehearsal.sandbox.run("kind", "create", "cluster", "--name", "mine").returncode == 0
    image = "ghcr.io/kubeshop/botkube:candidate"  # present in the stand-in docker's images
    result = rehearsal.run("--botkube-scenario", ONE, "--botkube-cluster-mode", "reuse",
                           "--botkube-cluster-name", "mine", "--botkube-keep", "never",
                           "--botkube-image", image)  # fmt: skip
    result.assert_outcomes(passed=1)
    kind = [c.argv for c in rehearsal.calls("kind")]
    export = rehearsal.kind("export", "kubeconfig")[0]
    assert kind == [
        ("create", "cluster", "--name", "mine"),  # the maintainer's, before the run
        ("version",),  # read and recorded with the tools
        ("get", "clusters"),
        ("export", "kubeconfig", "--name", "mine", "--kubeconfig", export.flag("--kubeconfig")),
        ("load", "docker-image", "--name", "mine", image),
    ]
    helm = rehearsal.installs()[0]
    assert helm.flag("--kube-context") == "kind-mine"
    assert helm.flag("--kubeconfig") == export.flag("--kubeconfig")
    assert _values_installed(rehearsal, helm)["image"] == {
        "registry": "ghcr.io", "repository": "kubeshop/botkube", "tag": "candidate",
        "pullPolicy": "IfNotPresent",  # loaded into the node: a pull would fail or differ
    }  # fmt: skip
    ns = str(helm.flag("--namespace"))
    pod = rehearsal.double.requests_to("GET", f"/api/v1/namespaces/{ns}/pods")[0]
    assert pod.param("labelSelector") == "app=botkube,component=controller"
    assert rehearsal.sandbox.run("kind", "get", "clusters").stdout.split() == ["mine"]


def test_reuse_of_a_missing_cluster_skips_naming_it(rehearsal: Rehearsal):
    result = rehearsal.run("--botkube-scenario", ONE, "--botkube-cluster-mode", "reuse",
                           "--botkube-cluster-name", "absent", "-rs")  # fmt: skip
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*no kind cluster named 'absent'*"])
    assert rehearsal.kind("create", "cluster") == []
    assert [c.argv for c in rehearsal.calls("helm")] == [("version", "--short")]  # no install


def test_failure_saves_artifacts_and_still_cleans_up(rehearsal: Rehearsal):
    rehearsal.violate("status")
    result = rehearsal.run("--botkube-scenario", ONE, "--botkube-keep", "on-failure")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*status Deactivated, expected Running*",
        "*botkube artifacts*",
        f"artifacts: {rehearsal.artifacts}*",
    ])  # fmt: skip
    (directory,) = rehearsal.artifacts.iterdir()
    names = {p.name for p in directory.iterdir()}
    assert {"values-installed.yaml", "helm-status.json", "helm-values.yaml", "pods.yaml",
            "events.yaml", "agent.log", "healthz.json", "deliveries.txt"} <= names  # fmt: skip
    healthz = json.loads((directory / "healthz.json").read_text())
    assert {p["status"] for p in healthz["plugins"].values()} == {"Deactivated"}
    events = list(yaml.safe_load_all((directory / "events.yaml").read_text()))
    assert {"SuccessfulRescale", "FailedGetResourceMetric"} <= {e["reason"] for e in events}
    # artifacts are read before the release goes: helm status/get values saw it installed
    assert json.loads((directory / "helm-status.json").read_text())["info"]["status"] == "deployed"
    ns = _cleanup_happened(rehearsal)
    logs = rehearsal.api("GET", f"/api/v1/namespaces/{ns}/pods/[^/]+/log")
    assert {r.param("previous") for r in logs} == {"true", "false"}  # both containers' logs
    assert rehearsal.kind("delete", "cluster") == []  # kept: --botkube-keep on-failure
    result.stdout.fnmatch_lines(
        ["*cluster 'botkube-repro' kept (keep policy on-failure: --botkube-keep)*"]
    )


@pytest.mark.parametrize(
    "moment",
    ["install", "hpa"],
    ids=["during-helm-install", "during-the-test"],
)
def test_keyboard_interrupt_still_cleans_up(rehearsal: Rehearsal, moment: str):
    """The double sends SIGINT to the inner pytest (helm's parent process) while helm installs
    (the helm child is killed mid-call) or when the test creates the HPA."""
    rehearsal.double.set_profile("*", agent.model_agent(sigint_on=moment))
    result = rehearsal.run("--botkube-scenario", ONE)
    result.stdout.fnmatch_lines(["*! KeyboardInterrupt !*"])
    hpas = rehearsal.api("POST", "/apis/autoscaling/v2/namespaces/[^/]+/horizontalpodautoscalers")
    assert len(hpas) == (0 if moment == "install" else 1)  # where the interrupt landed
    _cleanup_happened(rehearsal)
    assert len(rehearsal.kind("delete", "cluster")) == 1
    assert rehearsal.sandbox.run("kind", "get", "clusters").stdout == ""
    assert result.ret == pytest.ExitCode.INTERRUPTED


@pytest.mark.parametrize(
    ("tools", "extra", "reason", "require"),
    [
        ((), {}, "docker not found on PATH", False),
        ((), {}, "docker not found on PATH", True),
        (("docker", "helm"), {}, "kind not found on PATH", False),
        (("docker", "kind"), {}, "helm not found on PATH", False),
        (("docker", "kind", "helm"), {"BOTKUBE_STANDIN_DOCKER": "down"},
         "no Docker daemon answers", False),
        (("docker", "kind", "helm"), {"BOTKUBE_STANDIN_DOCKER": "down"},
         "no Docker daemon answers", True),
    ],
    ids=["no-docker", "no-docker-required", "no-kind", "no-helm", "daemon-down",
         "daemon-down-required"],
)  # fmt: skip
def test_missing_tools_skip_or_fail_with_the_reason(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    e2e_double: KubeApiDouble,
    tools: tuple[str, ...],
    extra: dict[str, str],
    reason: str,
    require: bool,
):
    sandbox = make_sandbox(pytester.path / "sandbox", e2e_double.url, tools, extra)
    use_env(monkeypatch, sandbox.env)
    rehearsal = Rehearsal(pytester, e2e_double, sandbox, monkeypatch)
    args = ["--botkube-scenario", ONE, "--botkube-scenario", "crash-v1.13.0", "-rsE"]
    result = rehearsal.run(*args, *(["--botkube-require-cluster"] if require else []))
    if require:
        result.assert_outcomes(errors=2)
        result.stdout.fnmatch_lines([f"*--botkube-require-cluster: {reason}*"])
        assert result.ret == pytest.ExitCode.TESTS_FAILED
    else:
        result.assert_outcomes(skipped=2)
        result.stdout.fnmatch_lines([f"SKIPPED*BotKube e2e cannot run here: {reason}*"])
        assert result.ret == pytest.ExitCode.OK
    assert [c.argv[:2] for c in sandbox.calls() if c.tool != "docker"] == []
    assert e2e_double.requests == []


def test_forbidden_health_proxy_fails_naming_the_rbac_answer(rehearsal: Rehearsal):
    """RBAC without ``pods/proxy``: the failure quotes the API server, and cleanup still runs."""
    rehearsal.double.forbid(r"/api/v1/namespaces/[^/]+/pods/[^/]+/proxy/.*")
    result = rehearsal.run("--botkube-scenario", ONE)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ['*HTTP 403*cannot get resource "pods/proxy" in API group "" in the namespace "bk-*']
    )
    _cleanup_happened(rehearsal)
    assert len(rehearsal.kind("delete", "cluster")) == 1


@pytest.mark.parametrize("require", [False, True], ids=["skip", "require-cluster"])
def test_a_chart_archive_runs_only_the_scenarios_of_its_app_version(
    rehearsal: Rehearsal, require: bool
):
    """``--botkube-chart FILE.tgz`` is one BotKube version: a scenario on another is skipped
    (or fails under --botkube-require-cluster) with the reason; the others install it."""
    archive = rehearsal.pytester.path / "my-botkube.tgz"
    archive.write_bytes(chart_tgz("v1.14.0"))
    args = ["--botkube-chart", str(archive), "--botkube-scenario", "crash-v1.13.0",
            "--botkube-scenario", "fixed-v1.14.0", "-rsE"]  # fmt: skip
    result = rehearsal.run(*args, *(["--botkube-require-cluster"] if require else []))
    reason = (
        f"crash-v1.13.0: the chart {archive} is BotKube v1.14.0 (appVersion), the scenario needs "
        "v1.13.0"
    )
    if require:  # found by the pipeline in the test's call (botkube_reproduce): a failure
        result.assert_outcomes(passed=1, failed=1)
        result.stdout.fnmatch_lines([f"*--botkube-require-cluster: {reason}*"])
    else:
        result.assert_outcomes(passed=1, skipped=1)
        result.stdout.fnmatch_lines([f"SKIPPED*BotKube e2e cannot run here: {reason}*"])
    [install] = rehearsal.installs()
    assert install.argv[2] == str(archive)  # the user's file as it is, no copy, no repository
    assert "fixed-v1-14-0" in install.argv[1]


def test_a_failed_create_is_a_skip_and_leaves_no_cluster(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, e2e_double: KubeApiDouble
):
    extra = {"BOTKUBE_STANDIN_KIND_CREATE": "crash"}
    sandbox = make_sandbox(pytester.path / "sandbox", e2e_double.url, extra=extra)
    use_env(monkeypatch, sandbox.env)
    rehearsal = Rehearsal(pytester, e2e_double, sandbox, monkeypatch)
    result = rehearsal.run("--botkube-scenario", ONE, "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines([
        "SKIPPED*BotKube e2e cannot run here: kind could not create the cluster:*failed to init "
        "node with kubeadm; the half-made cluster was deleted (kind delete cluster --name "
        "botkube-repro)*"
    ])  # fmt: skip
    assert [c.argv[:2] for c in rehearsal.calls("kind")] == [
        ("version",), ("get", "clusters"), ("create", "cluster"), ("delete", "cluster"),
    ]  # fmt: skip
    assert sandbox.run("kind", "get", "clusters").stdout == ""


@pytest.mark.parametrize("require", [False, True], ids=["skip", "require-cluster"])
def test_agent_without_network_to_the_plugin_index_is_an_environment_problem(
    rehearsal: Rehearsal, require: bool
):
    """Classified as ``botkube-repro run`` classifies it (exit 3 there, see
    test_run_command): a skip naming the index, a failure under --botkube-require-cluster;
    the release is removed either way."""
    url = PLUGIN_INDEX_URL
    rehearsal.double.set_profile(
        agent.namespace_glob(ONE), BotkubeProfile(log=index_unreachable_log(url))
    )
    args = ["--botkube-scenario", ONE, "--botkube-start-timeout=1", "-rs"]
    result = rehearsal.run(*args, *(["--botkube-require-cluster"] if require else []))
    said = f"cannot download the plugin index {url} (repository 'botkube')"
    _environment_outcome(result, require, f"{ONE}: the BotKube agent", "failed", skip=f"{ONE}: ")
    assert said in result.stdout.str()
    _cleanup_happened(rehearsal)


@pytest.mark.parametrize(
    ("kind", "helm", "require", "outcome", "said"),
    [("v0.29.0", "v3.18.4", True, "passed", "warning: helm v3.18.4 (*) is not the pinned v3.17.2"),
     ("v0.30.0", "v3.17.2", False, "passed", "warning: kind v0.30.0 (*) is not the pinned "
      "v0.29.0, and its default node image (kindest/node:v1.34.0@*) is not the pinned kind's*"),
     ("v0.30.0", "v3.17.2", True, "errors", "*--botkube-require-cluster: kind v0.30.0 (*) is not "
      "the pinned v0.29.0, and its default node image*"),
     ("v0.29.0", "v4.0.1", True, "errors", "*--botkube-require-cluster: helm v4.0.1 (*) is not "
      "the pinned v3.17.2, nor a Helm 3*")],
    ids=["other-helm-warns", "other-kind-warns", "other-kind-required-fails", "helm4-required"],
)  # fmt: skip
def test_tools_other_than_the_pinned_warn_or_fail_under_require_cluster(
    rehearsal: Rehearsal,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    helm: str,
    require: bool,
    outcome: str,
    said: str,
):
    monkeypatch.setenv("BOTKUBE_STANDIN_KIND_VERSION", kind)
    monkeypatch.setenv("BOTKUBE_STANDIN_HELM_VERSION", helm)
    args = ["--botkube-scenario", ONE, "-rsE", *(["--botkube-require-cluster"] if require else [])]
    result = rehearsal.run(*args)
    result.assert_outcomes(**{outcome: 1})
    result.stdout.fnmatch_lines([f"*{said}"])
    if outcome == "passed":
        result.stdout.fnmatch_lines([f"botkube: tools: kind {kind}, helm {helm}"])
    else:
        assert rehearsal.kind("create", "cluster") == []  # refused before any cluster


def test_the_job_summary_has_the_verdict_beside_the_prediction(rehearsal: Rehearsal):
    summary = rehearsal.pytester.path / "step-summary.md"
    summary.write_text("## earlier step\n\n", encoding="utf-8")  # appended to, not replaced
    result = rehearsal.run("--botkube-scenario", "crash-v1.13.0", "--botkube-scenario", ONE,
                           "--botkube-step-summary", str(summary))  # fmt: skip
    result.assert_outcomes(passed=2)
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## earlier step\n\n## BotKube reproduction\n")
    lines = text.splitlines()
    assert "| run | BotKube | plugin | restarts | exits | panic | happened | delivered | " \
           "predicted | model |" in lines  # fmt: skip
    crash = next(line for line in lines if line.startswith("| crash-v1.13.0 | v1.13.0 |"))
    cells = [c.strip() for c in crash.strip("|").split("|")]
    assert cells[2:4] == ["Deactivated", "4/3"]
    assert cells[-2:] == ["Deactivated, exit 2", "agrees"]
    assert "- `test_scenarios.py::test_scenario[crash-v1.13.0]`: **passed**" in lines
    assert "- tools: kind v0.29.0, helm v3.17.2" in lines
    assert "- cluster 'botkube-repro' deleted" in lines
    assert "| run | BotKube | chart | kind | helm | node image | Kubernetes |" in lines


def test_the_job_summary_says_why_nothing_ran(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, e2e_double: KubeApiDouble
):
    sandbox = make_sandbox(pytester.path / "sandbox", e2e_double.url, ("kind", "helm"))
    use_env(monkeypatch, sandbox.env)
    rehearsal = Rehearsal(pytester, e2e_double, sandbox, monkeypatch)
    summary = pytester.path / "step-summary.md"
    result = rehearsal.run("--botkube-scenario", ONE, "--botkube-step-summary", str(summary))
    result.assert_outcomes(skipped=1)
    text = summary.read_text(encoding="utf-8")
    assert "No BotKube run completed." in text
    assert f"`test_scenarios.py::test_scenario[{ONE}]`: **skipped (Skipped: BotKube e2e cannot " \
           "run here: docker not found on PATH" in text  # fmt: skip


@pytest.mark.parametrize("require", [False, True], ids=["skip", "require-cluster"])
def test_a_failed_preflight_skips_or_fails_before_any_cluster(
    rehearsal: Rehearsal, monkeypatch: pytest.MonkeyPatch, require: bool
):
    monkeypatch.setenv("BOTKUBE_NO_PREFLIGHT", "")
    down = closed_port_url()
    args = ["--botkube-scenario", ONE, "--botkube-plugin-index", f"{down}/plugins-index.yaml",
            "--botkube-image", "ghcr.io/kubeshop/botkube:candidate", "-rsE"]  # fmt: skip
    result = rehearsal.run(*args, *(["--botkube-require-cluster"] if require else []))
    said = f"preflight: plugin index ({down}/plugins-index.yaml): unreachable ("
    _environment_outcome(result, require, said, "errors")
    assert rehearsal.kind("create", "cluster") == []
    assert rehearsal.kind("get", "clusters") == []
