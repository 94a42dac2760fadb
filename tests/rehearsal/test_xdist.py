"""pytest-xdist against the stand-ins: one cluster for all workers, a release per scenario.

The real tests/e2e run in a pytester subprocess with ``-n 3``: the controller creates the kind
cluster once, before any test is scheduled, and deletes it once at the end; the workers attach
through the handoff (no kind command of their own) and each installs its scenarios in
namespaces of its own. The stand-ins record every call with its parent process, which tells the
controller's calls from the workers'.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from doubles import agent
from doubles.fixtures import Sandbox, make_sandbox, run_e2e_suite
from doubles.kubeapi import KubeApiDouble
from doubles.recorder import Call

from pytest_botkube.scenario import load_scenarios

pytest.importorskip("xdist")

SCENARIOS = load_scenarios()
ALL = [s.name for s in SCENARIOS]


@pytest.fixture
def double() -> Iterator[KubeApiDouble]:
    with KubeApiDouble(hpa_sync_delay=0) as api:
        api.set_profile("*", agent.model_agent())
        yield api


def _sandbox(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    double: KubeApiDouble,
    tools: tuple[str, ...] | None = None,
) -> Sandbox:
    root = pytester.path / "sandbox"
    sandbox = (
        make_sandbox(root, double.url) if tools is None else make_sandbox(root, double.url, tools)
    )
    # The inner pytest inherits this process's environment; monkeypatch restores it.
    for key in [k for k in os.environ if k.startswith(("BOTKUBE_", "PYTEST_XDIST"))]:
        monkeypatch.delenv(key)
    for key, value in sandbox.env.items():
        monkeypatch.setenv(key, value)
    return sandbox


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return run_e2e_suite(pytester, *args, artifacts=pytester.path / "artifacts")


def _helm(sandbox: Sandbox, command: str) -> list[Call]:
    return [c for c in sandbox.calls("helm") if c.argv[:1] == (command,)]


def test_three_workers_share_one_cluster_created_and_deleted_once(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, double: KubeApiDouble
):
    sandbox = _sandbox(pytester, monkeypatch, double)
    junit = pytester.path / "junit.xml"
    result = _run(pytester, "-n", "3", "--junitxml", str(junit))
    result.assert_outcomes(passed=len(ALL))
    assert result.ret == pytest.ExitCode.OK

    # kind: once up, once down, both by the controller (the pytester subprocess itself).
    kind = sandbox.calls("kind")
    assert [c.argv[:2] for c in kind] == [
        ("version",), ("get", "clusters"), ("create", "cluster"), ("delete", "cluster")
    ]  # fmt: skip
    controller = {c.ppid for c in kind}
    assert len(controller) == 1
    kubeconfig = kind[2].flag("--kubeconfig")
    assert kind[3].flag("--kubeconfig") == kubeconfig
    assert sandbox.run("kind", "get", "clusters").stdout == ""

    # helm: every scenario installed and uninstalled, by the workers, in distinct namespaces.
    installs, uninstalls = _helm(sandbox, "upgrade"), _helm(sandbox, "uninstall")
    assert len(installs) == len(uninstalls) == len(ALL)
    namespaces = [str(c.flag("--namespace")) for c in installs]
    assert len(set(namespaces)) == len(ALL)
    assert sorted(n.rsplit("-", 1)[0] for n in namespaces) == sorted(
        agent.namespace_glob(name)[:-2] for name in ALL
    )
    assert sorted(c.argv[1] for c in uninstalls) == sorted(c.argv[1] for c in installs)
    workers = {c.ppid for c in installs}
    assert len(workers) == 3, workers  # load scheduling gives each of 3 workers tests
    assert not workers & controller
    assert {c.ppid for c in uninstalls} == workers
    assert {c.flag("--kubeconfig") for c in (*installs, *uninstalls)} == {kubeconfig}
    for ns in namespaces:
        assert double.requests_to("DELETE", f"/api/v1/namespaces/{ns}")
    assert not double.releases

    # Each release's chart-created RBAC group is its own (no cross-release collision).
    groups = {tuple(_rbac_groups(sandbox, call)) for call in installs}
    assert len(groups) == len(ALL)

    # The controller's terminal summary: one botkube block per test, then the cluster line.
    result.stdout.fnmatch_lines([
        f"*botkube: preparing the cluster for {len(ALL)} live tests*",
        "*botkube: cluster 'botkube-repro' ready for the workers*",
    ])  # fmt: skip
    stdout = result.stdout.str()
    summary = stdout[stdout.index("= botkube =") :]
    for name in ALL:
        assert f"test_scenario[{name}] PASSED" in summary
    assert summary.count("plugin_status=") == len(ALL)
    assert "botkube: cluster 'botkube-repro' deleted" in summary

    # The JUnit XML written by the controller carries every test's botkube_* properties.
    cases = ET.parse(junit).getroot().iter("testcase")
    props = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
        for case in cases
    }
    assert set(props) == {f"test_scenario[{name}]" for name in ALL}
    for name, found in props.items():
        assert found["botkube_run"] == name[len("test_scenario[") : -1]
        assert found["botkube_plugin_status"] in ("Running", "Deactivated")
        assert found["botkube_version"] in ("v1.13.0", "v1.14.0")


def _installed(sandbox: Sandbox, call: Call) -> dict[str, Any]:
    """The values the stand-in helm kept for the release ``call`` installed."""
    ns, release = str(call.flag("--namespace")), call.argv[1]
    values: dict[str, Any] = yaml.safe_load(
        (sandbox.state / "helm" / ns / release / "values.yaml").read_text()
    )
    return values


def _rbac_groups(sandbox: Sandbox, call: Call) -> list[str]:
    groups = _installed(sandbox, call)["rbac"]["groups"]
    return sorted(name for name, body in groups.items() if body and body.get("create"))


@pytest.mark.parametrize("require", [False, True], ids=["skip", "require-cluster"])
def test_workers_skip_or_fail_with_the_controllers_reason(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    double: KubeApiDouble,
    require: bool,
):
    sandbox = _sandbox(pytester, monkeypatch, double, tools=("docker", "helm"))  # no kind
    args = ["-n", "2", "--botkube-scenario", "control-healthy-v1.13.0",
            "--botkube-scenario", "crash-v1.13.0", "-rsE"]  # fmt: skip
    result = _run(pytester, *args, *(["--botkube-require-cluster"] if require else []))
    if require:
        result.assert_outcomes(errors=2)
        result.stdout.fnmatch_lines(["*--botkube-require-cluster: kind not found on PATH*"])
        assert result.ret == pytest.ExitCode.TESTS_FAILED
    else:
        result.assert_outcomes(skipped=2)
        result.stdout.fnmatch_lines(["*BotKube e2e cannot run here: kind not found on PATH*"])
        assert result.ret == pytest.ExitCode.OK
    assert [c for c in sandbox.calls() if c.tool != "docker"] == []
    assert double.requests == []


def test_no_live_test_selected_no_cluster(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, double: KubeApiDouble
):
    sandbox = _sandbox(pytester, monkeypatch, double)
    result = _run(pytester, "-n", "2", "-m", "not botkube_e2e")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert sandbox.calls() == []
    assert "= botkube =" not in result.stdout.str()


def test_one_process_records_properties_and_summary(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, double: KubeApiDouble
):
    """Without xdist (``-p no:xdist``, as where it is not installed): same facts, same end."""
    sandbox = _sandbox(pytester, monkeypatch, double)
    junit = pytester.path / "junit.xml"
    name = "crash-v1.13.0"
    index = "http://10.0.0.5:8080/botkube.yaml"
    result = _run(pytester, "-p", "no:xdist", "--botkube-scenario", name, "--junitxml", str(junit),
                  "--botkube-plugin-index", index)  # fmt: skip
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "*= botkube =*",
        f"*test_scenario?{name}? PASSED",
        "*plugin_status=Deactivated plugin_restarts=4/3 plugin_exit_statuses=2 x4 "
        "panic=SIGSEGV in mergeResourceEvents*",
        "botkube: tools: kind v0.29.0, helm v3.17.2",
        "botkube: cluster 'botkube-repro' deleted",
    ])  # fmt: skip
    (case,) = ET.parse(junit).getroot().iter("testcase")
    found = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert found["botkube_run"] == name
    # read from `kind version` and `helm version --short` of the tools found, not assumed
    assert (found["botkube_kind_version"], found["botkube_helm_version"]) == ("v0.29.0", "v3.17.2")
    assert found["botkube_plugin_status"] == "Deactivated"
    assert found["botkube_known_issue"]
    assert len(sandbox.calls("kind")) == 4  # version, get, create, delete
    (install,) = _helm(sandbox, "upgrade")
    assert _installed(sandbox, install)["plugins"]["repositories"] == {"botkube": {"url": index}}


def test_reuse_mode_under_xdist_exports_once_and_never_deletes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, double: KubeApiDouble
):
    sandbox = _sandbox(pytester, monkeypatch, double)
    assert sandbox.run("kind", "create", "cluster", "--name", "mine").returncode == 0
    two = ["--botkube-scenario", "control-healthy-v1.13.0", "--botkube-scenario", "crash-v1.13.0"]
    result = _run(pytester, "-n", "2", "--botkube-cluster-mode", "reuse",
                  "--botkube-cluster-name", "mine", *two)  # fmt: skip
    result.assert_outcomes(passed=2)
    kind = [c.argv[:2] for c in sandbox.calls("kind")]
    assert kind == [
        ("create", "cluster"), ("version",), ("get", "clusters"), ("export", "kubeconfig"),
    ]  # fmt: skip
    installs = _helm(sandbox, "upgrade")
    assert len({c.ppid for c in installs}) == 2
    assert {c.flag("--kube-context") for c in installs} == {"kind-mine"}
    result.stdout.fnmatch_lines(
        ["botkube: cluster 'mine' left running (the suite did not create it)"]
    )
    assert sandbox.run("kind", "get", "clusters").stdout.split() == ["mine"]
