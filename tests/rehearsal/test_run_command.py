"""``botkube-repro run`` end to end against stand-in kind/helm/docker and the API double.

The real command runs in a subprocess whose PATH holds only the stand-ins (as the e2e rehearsal
does): the cluster layer finds them there, kind writes a kubeconfig pointing at the API double,
the real kubernetes client, receiver, model and report do their work, and the agent double
(doubles/agent.py) behaves as the model predicts for the values each release was installed with.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from doubles import agent
from doubles.charts import closed_port_url, serving
from doubles.fixtures import PLUGIN_INDEX_URL, RunCommand, index_unreachable_log, make_sandbox
from doubles.kubeapi import BotkubeProfile, KubeApiDouble
from doubles.standins._common import FAIL_ENV

from pytest_botkube.live.kind import NODE_IMAGE
from pytest_botkube.reproduce.plan import workaround_values
from pytest_botkube.scenario import load_scenarios

SCENARIOS = {s.name: s for s in load_scenarios()}
TOKEN = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
PHASES = ("tools", "preflight", "node image", "cluster", "image", "receiver", "receiver probe",
          "install", "plugin start", "workload", "rescale", "watching health", "quiet window",
          "teardown", "cluster stop")  # fmt: skip


def _phase_lines(stderr: str) -> list[str]:
    """The phase names of the final phase lines, in order."""
    found = []
    for line in stderr.splitlines():
        match = re.match(r"\[\s*\d+\.\d+s\]   (\S+(?: \S+)?)\s{2,}.*\(\d+\.\ds\)$", line)
        if match:
            found.append(match.group(1).strip())
    return found


def _cleaned_up(run: RunCommand) -> None:
    """Every install was uninstalled (same release, same namespace) and its namespace deleted."""
    installs, uninstalls = run.helm("upgrade"), run.helm("uninstall")
    assert [c.argv[1] for c in installs] == [c.argv[1] for c in uninstalls]
    for call in installs:
        ns = str(call.flag("--namespace"))
        assert run.double.requests_to("DELETE", f"/api/v1/namespaces/{ns}")
        assert run.double.get("namespaces", "", ns) is None
    assert not run.double.releases


def test_scenario_run_prints_phases_live_restarts_and_the_verdict(run: RunCommand):
    done = run("crash-v1.13.0")
    assert done.returncode == 0, done.stderr + done.stdout
    phases = _phase_lines(done.stderr)
    assert phases == list(PHASES), done.stderr
    # the live restart count while waiting (a plain line, stderr is not a terminal here)
    assert re.search(r"\.\. rescale: .*k8s-hpa-events Deactivated, restarts 4/3",
                     done.stderr), done.stderr  # fmt: skip
    assert "run 1/1: crash-v1.13.0 on BotKube v1.13.0, judged by scenario crash-v1.13.0" in (
        done.stderr
    )
    out = done.stdout
    header = next(line for line in out.splitlines() if line.startswith("run "))
    assert header.split() == ["run", "BotKube", "plugin", "restarts", "exits", "panic",
                              "happened", "delivered", "predicted", "model"]  # fmt: skip
    row = next(line for line in out.splitlines() if line.startswith("crash-v1.13.0 "))
    assert row.split()[1:5] == ["v1.13.0", "Deactivated", "4/3", "2"]
    assert "SIGSEGV in mergeResourceEvents (router.go:159)" in row
    assert row.split()[-4:] == ["Deactivated,", "exit", "2", "agrees"]
    assert "upstream: https://github.com/kubeshop/botkube/issues/1474" in out
    assert "delivery diff:" in out
    assert re.search(r"Warning FailedGetResourceMetric .* no .*not forwarded .*panics", out)
    assert out.rstrip().endswith("result: all 1 runs matched their expectations")
    assert len(run.calls("kind")) == 4  # version, get clusters, create, delete
    assert [c.argv[:2] for c in run.calls("kind")] == [
        ("version",), ("get", "clusters"), ("create", "cluster"), ("delete", "cluster"),
    ]  # fmt: skip
    _cleaned_up(run)


def test_compare_with_workaround_runs_three_releases_on_one_cluster(run: RunCommand):
    _, added = workaround_values(SCENARIOS["crash-v1.13.0"].values)
    assert added == ["sources.k8s-hpa-events.botkube/kubernetes.config.event.types"]

    done = run("crash-v1.13.0", "--compare", "v1.13.0,v1.14.0", "--with-workaround")
    assert done.returncode == 0, done.stderr + done.stdout
    err, out = done.stderr, done.stdout
    assert (
        "run 2/3: crash-v1.13.0@v1.14.0 on BotKube v1.14.0, judged by scenario fixed-v1.14.0" in err
    )
    assert "run 3/3: crash-v1.13.0+workaround on BotKube v1.13.0, judged by the model (lint)" in err
    assert "workaround: added sources.k8s-hpa-events.botkube/kubernetes.config.event.types" in err
    assert _phase_lines(err).count("install") == 3
    assert _phase_lines(err).count("teardown") == 3

    # one cluster, three installs each followed by its uninstall, the right chart versions
    assert [c.argv[:2] for c in run.calls("kind")].count(("create", "cluster")) == 1
    helm = [c for c in run.calls("helm") if c.argv[0] in ("upgrade", "uninstall")]
    assert [(c.argv[0], Path(c.argv[2]).name) for c in helm[::2]] == [
        ("upgrade", "botkube-v1.13.0.tgz"), ("upgrade", "botkube-v1.14.0.tgz"),
        ("upgrade", "botkube-v1.13.0.tgz"),
    ]  # fmt: skip
    for install, uninstall in zip(helm[::2], helm[1::2], strict=True):
        assert uninstall.argv[:2] == ("uninstall", install.argv[1])
    namespaces = [str(c.flag("--namespace")) for c in helm[::2]]
    assert len(set(namespaces)) == 3

    # what the workaround run installed: the crash run's values plus the top-level event
    def installed(ns: str) -> dict[str, Any]:
        """The installed sources' plugin configs (contexts name per-release RBAC groups)."""
        path = run.sandbox.state / "helm" / ns / ns / "values.yaml"
        sources = yaml.safe_load(path.read_text())["sources"]
        return {
            alias: {k: v for k, v in body["botkube/kubernetes"].items() if k != "context"}
            for alias, body in sources.items()
        }

    crash_values, workaround_installed = installed(namespaces[0]), installed(namespaces[2])
    hpa = crash_values["k8s-hpa-events"]["config"]
    assert "event" not in hpa
    hpa["event"] = {"types": ["create", "delete", "error"]}
    assert workaround_installed == crash_values
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("crash")}
    assert rows["crash-v1.13.0"][1:4] == ["v1.13.0", "Deactivated", "4/3"]
    assert rows["crash-v1.13.0@v1.14.0"][1:5] == ["v1.14.0", "Running", "0/3", "none"]
    assert rows["crash-v1.13.0+workaround"][1:5] == ["v1.13.0", "Running", "0/3", "none"]
    assert all(r[-1] == "agrees" for r in rows.values())
    # crash delivers nothing; fixed and workaround deliver the Deployment creation
    delivered = (r"create apps/v1/deployments bk-crash-v1-13-0-v1-14-0-\S+/hpa-target\s+"
                 r"k8s-deployment-events\s+forwarded by k8s-deployment-events\s+yes")  # fmt: skip
    assert re.search(delivered, out)
    assert out.rstrip().endswith("result: all 3 runs matched their expectations")
    _cleaned_up(run)


def test_report_bundle_has_versions_verdict_diff_diagnosis_and_no_secret(
    run: RunCommand, tmp_path: Path
):
    crash = SCENARIOS["crash-v1.13.0"]
    values = crash.overlay()
    # The reporter's own webhook binds both sources (the run swaps in its receiver's URL); a
    # disabled platform binds nothing, so without it neither source would start at all.
    values["communications"] = {
        "default-group": {
            "slack": {"enabled": False, "token": TOKEN, "channels": {}},
            "webhook": {"enabled": True, "url": "https://hooks.example.com/botkube",
                        "bindings": {"sources": ["k8s-deployment-events", "k8s-hpa-events"]}},
        }
    }  # fmt: skip
    values_file = tmp_path / "reporter-values.yaml"
    values_file.write_text(yaml.safe_dump(values), encoding="utf-8")
    report_dir = tmp_path / "bundle"

    done = run(str(values_file), "--botkube-version", "v1.13.0", "--report", str(report_dir))
    assert done.returncode == 0, done.stderr + done.stdout  # ad hoc: the run completed
    assert f"report: {report_dir / 'report.md'}" in done.stdout
    assert "judged by completing only (a values file has no expectations)" in done.stderr
    assert "it does not fail the run" in done.stderr
    # the sandbox turned preflight off through the environment, not the flag: it says which
    assert "skipped (BOTKUBE_NO_PREFLIGHT=1)" in done.stderr
    report = (report_dir / "report.md").read_text()
    assert (
        "| adhoc-reporter-values | v1.13.0 | v1.13.0 | v0.29.0 | v3.17.2 | "
        "kindest/node:v1.31.9@sha256:" in report
    )
    assert "| v1.32.2 |" in report  # the API server's version, as the double answers
    assert "| adhoc-reporter-values | v1.13.0 | Deactivated | 4/3 | 2 x4 | SIGSEGV" in report
    assert "### Delivery diff" in report
    assert "### Agent log diagnosis" in report
    assert "panic in mergeResourceEvents (router.go:159)" in report
    assert "[kubeshop/botkube#1474](https://github.com/kubeshop/botkube/issues/1474)" in report
    assert "Helm values used (redacted" in report
    # the disabled platform is installed without its token (issue 11), so nothing to redact
    installed = yaml.safe_load(
        (report_dir / "artifacts/adhoc-reporter-values/values-installed.yaml").read_text()
    )
    assert installed["communications"]["default-group"]["slack"] == {"enabled": False}
    files = {p.relative_to(report_dir).as_posix() for p in report_dir.rglob("*") if p.is_file()}
    own = "artifacts/adhoc-reporter-values/"
    assert {f"{own}agent.log", f"{own}healthz.json", f"{own}events.yaml",
            f"{own}values-installed.yaml", "values/adhoc-reporter-values.yaml",
            "artifacts/shared/run.log"} <= files  # fmt: skip
    for path in report_dir.rglob("*"):
        if path.is_file():
            assert TOKEN[:12] not in path.read_text(), path
    installed_text = (report_dir / own / "values-installed.yaml").read_text()
    assert "token:" not in installed_text, installed_text  # not installed at all (issue 11)
    transcript = (report_dir / "artifacts/shared/run.log").read_text()
    assert "quiet window" in transcript
    _cleaned_up(run)


def test_mismatch_exits_1_and_still_cleans_up(run: RunCommand):
    run.violate("status")
    done = run("control-healthy-v1.13.0")
    assert done.returncode == 1, done.stderr + done.stdout
    assert "status Deactivated, expected Running" in done.stdout
    assert "result: MISMATCH in control-healthy-v1.13.0 (1/1 runs)" in done.stdout
    _cleaned_up(run)
    assert len([c for c in run.calls("kind") if c.argv[:2] == ("delete", "cluster")]) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-scenario"], "no scenario named 'no-such-scenario'"),
        (["control-healthy-v1.13.0", "--keep", "sometimes"],
         "--keep: expected one of never, on-failure, always, got 'sometimes'"),
        (["control-healthy-v1.13.0", "--cluster-timeout", "soon"],
         "--cluster-timeout: expected a number, got 'soon'"),
        (["control-healthy-v1.13.0", "--compare", "1.x"], "--compare 1.x:"),
        (["control-healthy-v1.14.0"], "no scenario named"),
        (["fixed-v1.14.0", "--with-workaround"], "--with-workaround: none of v1.14.0"),
        (["VALUES"], "looks like a Helm values file; pass --botkube-version"),
        (["crash-v1.13.0", "--report", "VALUES"], "cannot create the directory"),
    ],
    ids=["unknown-scenario", "bad-keep", "bad-number", "bad-version", "unknown-2",
         "workaround-without-panicking-version", "values-without-version", "report-on-a-file"],
)  # fmt: skip
def test_bad_input_exits_2_before_any_tool_runs(
    run: RunCommand, tmp_path: Path, args: list[str], message: str
):
    values = tmp_path / "values.yaml"
    values.write_text("sources: {}\n", encoding="utf-8")
    done = run(*[str(values) if a == "VALUES" else a for a in args])
    assert done.returncode == 2, done.stderr + done.stdout
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("botkube-repro run: error: ")
    assert message in line
    assert run.calls() == []
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("tools", "extra", "reason"),
    [
        (("kind", "helm"), {}, ("docker not found on PATH",)),
        (("docker", "kind", "helm"), {"BOTKUBE_STANDIN_DOCKER": "down"}, ("no Docker daemon",)),
        (("docker", "helm"), {}, ("kind not found on PATH",)),
        # every missing tool at once, not Docker first and the others after it is fixed
        ((), {}, ("docker not found", "kind not found", "helm not found")),
        (("kind",), {}, ("docker not found", "helm not found")),
        (
            ("docker",),
            {"BOTKUBE_STANDIN_DOCKER": "down"},
            ("no Docker daemon", "kind not", "helm not"),
        ),
    ],
    ids=["no-docker", "daemon-down", "no-kind", "none", "kind-only", "daemon-down-no-tools"],
)
def test_environment_unavailable_exits_3_naming_what_is_missing(
    tmp_path: Path,
    e2e_double: KubeApiDouble,
    tools: tuple[str, ...],
    extra: dict[str, str],
    reason: tuple[str, ...],
):
    sandbox = make_sandbox(tmp_path / "sandbox", e2e_double.url, tools, extra)
    run = RunCommand(e2e_double, sandbox, tmp_path)
    done = run("crash-v1.13.0")
    assert done.returncode == 3, done.stderr + done.stdout
    missing = {"docker", "kind", "helm"} - set(tools)
    # The progress line names what is not usable, not every tool looked for (review-2: it said
    # "FAILED (docker, kind, helm)" when only the Docker daemon was down).
    failed = re.search(r"tools\s+FAILED \(not usable: ([^)]*)\)", done.stderr)
    assert failed, done.stderr
    named = set(failed.group(1).split(", "))
    daemon = {"docker daemon"} if extra.get("BOTKUBE_STANDIN_DOCKER") == "down" else set()
    assert named == missing | daemon
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("botkube-repro run: error: ")
    for said in reason:
        assert said in last, last
    assert last.count("not found on PATH") == len(missing)
    assert [c for c in run.calls() if c.tool != "docker"] == []
    assert e2e_double.requests == []
    assert done.stdout == ""


@pytest.mark.parametrize(("moment", "phase"), [("install", "install"), ("hpa", "workload")])
def test_ctrl_c_tears_down_and_exits_130(run: RunCommand, moment: str, phase: str):
    """The double sends SIGINT to helm's parent (the run) while helm installs, or when the
    HPA is created."""
    run.double.set_profile("*", agent.model_agent(sigint_on=moment))
    done = run("crash-v1.13.0")
    assert done.returncode == 130, done.stderr + done.stdout
    assert re.search(rf"{phase}\s+INTERRUPTED", done.stderr), done.stderr
    assert re.search(r"teardown\s+uninstalled bk-crash-v1-13-0-\S+, namespace", done.stderr)
    assert re.search(r"cluster stop\s+cluster 'botkube-repro' deleted", done.stderr)
    assert done.stderr.strip().endswith("botkube-repro run: interrupted")
    _cleaned_up(run)
    assert run.sandbox.run("kind", "get", "clusters").stdout == ""


def test_helm_install_refused_is_a_failed_run(tmp_path: Path, e2e_double: KubeApiDouble):
    error = "Error: INSTALLATION FAILED: values don't meet the specifications of the schema"
    extra = {FAIL_ENV: json.dumps({"helm upgrade": error})}
    sandbox = make_sandbox(tmp_path / "sandbox", e2e_double.url, extra=extra)
    run = RunCommand(e2e_double, sandbox, tmp_path)
    done = run("crash-v1.13.0")
    assert done.returncode == 1, done.stderr + done.stdout
    assert "problem: helm install failed:" in done.stdout
    assert run.helm("uninstall")  # --ignore-not-found: teardown after a failed install
    assert [c.argv[:2] for c in run.calls("kind")][-1] == ("delete", "cluster")


def test_no_chart_source_answering_is_3_naming_each_source(
    tmp_path: Path, e2e_double: KubeApiDouble
):
    down = closed_port_url()
    sandbox = make_sandbox(tmp_path / "sandbox", e2e_double.url, extra={"BOTKUBE_CHART": down})
    run = RunCommand(e2e_double, sandbox, tmp_path)
    done = run("crash-v1.13.0")
    assert done.returncode == 3, done.stderr + done.stdout
    assert f"cannot get the BotKube chart botkube v1.13.0: {down}/index.yaml:" in done.stderr
    assert "Connection refused" in done.stderr or "refused" in done.stderr.lower()
    assert "Traceback" not in done.stderr
    assert not [c for c in run.calls("helm") if c.argv[0] == "upgrade"]  # nothing installed
    assert [c.argv[:2] for c in run.calls("kind")][-1] == ("delete", "cluster")


@pytest.mark.parametrize(
    ("how", "violate", "kept"),
    [
        ({"BOTKUBE_KEEP": "always"}, None, True),  # the pytest option's env variable
        (["--keep", "on-failure"], "status", True),
        (["--keep", "on-failure"], None, False),
    ],
    ids=["env-always", "on-failure-failed", "on-failure-passed"],
)
def test_keep_policy_decides_the_cluster_and_releases_always_go(
    tmp_path: Path,
    e2e_double: KubeApiDouble,
    how: dict[str, str] | list[str],
    violate: str | None,
    kept: bool,
):
    extra = dict(how) if isinstance(how, dict) else {}
    if violate:
        extra[agent.VIOLATION_ENV] = violate
    sandbox = make_sandbox(tmp_path / "sandbox", e2e_double.url, extra=extra)
    run = RunCommand(e2e_double, sandbox, tmp_path)
    name = "control-healthy-v1.13.0"
    done = run(name, *(how if isinstance(how, list) else []))
    assert done.returncode == (1 if violate else 0), done.stderr + done.stdout
    _cleaned_up(run)
    deletes = [c for c in run.calls("kind") if c.argv[:2] == ("delete", "cluster")]
    assert len(deletes) == (0 if kept else 1)
    clusters = sandbox.run("kind", "get", "clusters").stdout.split()
    assert clusters == (["botkube-repro"] if kept else [])
    if kept:
        assert "kept (keep policy " in done.stderr
        assert ": --keep); delete it with" in done.stderr  # run's spelling, not pytest's
        assert "--botkube-keep" not in done.stderr
        match = re.search(r"kubeconfig of the kept cluster: (\S+)", done.stdout)
        assert match, done.stdout
        work = Path(match.group(1))
        assert (work / "kubeconfig-botkube-repro").is_file()
        shutil.rmtree(work)  # the run leaves it for the kept cluster


def test_agent_without_network_to_the_plugin_index_exits_3_after_cleanup(run: RunCommand):
    url = PLUGIN_INDEX_URL
    name = "control-healthy-v1.13.0"
    run.double.set_profile(
        agent.namespace_glob(name), BotkubeProfile(log=index_unreachable_log(url))
    )
    done = run(name, "--start-timeout=1")
    assert done.returncode == 3, done.stderr + done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("botkube-repro run: error: the BotKube agent in bk-control-healthy-")
    assert f"cannot download the plugin index {url} (repository 'botkube')" in last
    assert "--plugin-index" in last
    _cleaned_up(run)
    assert [c.argv[:2] for c in run.calls("kind")][-1] == ("delete", "cluster")


def test_a_refused_api_call_fails_the_run_with_the_servers_answer(run: RunCommand):
    run.double.forbid(r"/apis/apps/v1/namespaces/[^/]+/deployments")
    done = run("control-healthy-v1.13.0")
    assert done.returncode == 1, done.stderr + done.stdout
    assert re.search(r"workload\s+FAILED", done.stderr)
    assert re.search(r"problem: Kubernetes API: .*403", done.stdout), done.stdout
    assert "Traceback" not in done.stderr
    _cleaned_up(run)


def test_a_chart_directory_of_another_version_is_refused_before_any_cluster(run: RunCommand):
    chart = run.cwd / "checkout" / "helm" / "botkube"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v1\nname: botkube\nversion: v1.13.0\nappVersion: v1.13.0\n", encoding="utf-8"
    )
    done = run("crash-v1.13.0", "--compare", "v1.14.0", "--chart", str(chart))
    assert done.returncode == 2, done.stderr + done.stdout
    assert done.stderr.strip() == (
        f"botkube-repro run: error: --chart: crash-v1.13.0@v1.14.0: the chart {chart} is BotKube "
        "v1.13.0 (appVersion), the scenario needs v1.14.0: pass a chart of that version, or run "
        "only the v1.13.0 scenarios"
    )
    assert run.calls() == []  # no docker, kind or helm was even asked


def test_a_chart_path_that_is_not_there_is_bad_input(run: RunCommand):
    done = run("crash-v1.13.0", "--chart", str(run.cwd / "nope"))
    assert done.returncode == 2
    assert f"--chart {run.cwd / 'nope'}: no such file or directory" in done.stderr
    assert run.calls() == []


# -- kind create cleans up after itself; the node image is its own phase ---------------------------


def _kind_clusters(run: RunCommand) -> list[str]:
    return run.sandbox.run("kind", "get", "clusters").stdout.split()


@pytest.mark.parametrize(
    ("trouble", "args", "said"),
    [("crash", [], "failed to init node with kubeadm"),
     ("hang", ["--cluster-timeout", "1"], "timed out after 3s")],
    ids=["create-fails", "create-times-out"],
)  # fmt: skip
def test_a_failed_or_timed_out_create_deletes_the_half_made_cluster(
    tmp_path: Path, e2e_double: KubeApiDouble, trouble: str, args: list[str], said: str
):
    extra = {"BOTKUBE_STANDIN_KIND_CREATE": trouble}
    sandbox = make_sandbox(tmp_path / "sandbox", e2e_double.url, extra=extra)
    run = RunCommand(e2e_double, sandbox, tmp_path)
    done = run("crash-v1.13.0", *args)
    assert done.returncode == 3, done.stderr + done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("botkube-repro run: error: kind could not create the cluster: ")
    assert said in last
    assert last.endswith(
        "the half-made cluster was deleted (kind delete cluster --name botkube-repro)"
    )
    assert [c.argv[:2] for c in run.calls("kind")] == [
        ("version",), ("get", "clusters"), ("create", "cluster"), ("delete", "cluster"),
    ]  # fmt: skip
    assert _kind_clusters(run) == []  # the next run starts clean
    assert not run.helm("upgrade")


def test_a_cluster_left_half_made_by_an_earlier_run_is_named_not_reused(
    tmp_path: Path, e2e_double: KubeApiDouble
):
    sandbox = make_sandbox(tmp_path / "sandbox", e2e_double.url)
    half = {**sandbox.env, "BOTKUBE_STANDIN_KIND_CREATE": "crash"}
    subprocess.run([str(sandbox.bin_dir / "kind"), "create", "cluster", "--name", "botkube-repro"],
                   env=half, capture_output=True, timeout=30, check=False)  # fmt: skip
    run = RunCommand(e2e_double, sandbox, tmp_path)
    assert _kind_clusters(run) == ["botkube-repro"]
    done = run("crash-v1.13.0")
    assert done.returncode == 3, done.stderr + done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert (
        "a kind cluster named 'botkube-repro' already exists (left by an interrupted run?)" in last
    )
    assert "failed to get cluster internal kubeconfig" in last
    assert "`kind delete cluster --name botkube-repro`" in last
    assert "pass --cluster-name OTHER" in last  # run's spelling of the flag
    assert "--botkube-" not in last
    assert ("create", "cluster") not in [c.argv[:2] for c in run.calls("kind")][1:]
    assert ("delete", "cluster") not in [c.argv[:2] for c in run.calls("kind")]
    assert _kind_clusters(run) == ["botkube-repro"]  # not ours: left for the user


def test_a_cluster_whose_api_does_not_answer_is_named_not_reused(
    tmp_path: Path, e2e_double: KubeApiDouble
):
    sandbox = make_sandbox(tmp_path / "sandbox", e2e_double.url)
    dead = {**sandbox.env, "BOTKUBE_DOUBLE_URL": closed_port_url()}
    made = subprocess.run([str(sandbox.bin_dir / "kind"), "create", "cluster", "--name",
                           "botkube-repro"], env=dead, capture_output=True, timeout=30,
                          check=False)  # fmt: skip
    assert made.returncode == 0, made.stderr
    run = RunCommand(e2e_double, sandbox, tmp_path)
    done = run("crash-v1.13.0")
    assert done.returncode == 3, done.stderr + done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert "a kind cluster named 'botkube-repro' already exists" in last
    assert "its API server does not answer" in last
    assert ("delete", "cluster") not in [c.argv[:2] for c in run.calls("kind")]
    assert _kind_clusters(run) == ["botkube-repro"]
    assert e2e_double.requests == []


@pytest.mark.parametrize(
    ("pull", "args", "said"),
    [("fail", [], "lookup registry-1.docker.io: no such host"),
     ("slow:2", ["--pull-timeout", "1"], "timed out after 1s")],
    ids=["registry-down", "pull-too-slow"],
)  # fmt: skip
def test_the_node_image_pull_fails_on_its_own_before_any_create(
    tmp_path: Path, e2e_double: KubeApiDouble, pull: str, args: list[str], said: str
):
    extra = {"BOTKUBE_STANDIN_PULL": pull}
    sandbox = make_sandbox(tmp_path / "sandbox", e2e_double.url, extra=extra)
    run = RunCommand(e2e_double, sandbox, tmp_path)
    done = run("crash-v1.13.0", *args)
    assert done.returncode == 3, done.stderr + done.stdout
    assert re.search(r"node image\s+FAILED", done.stderr)
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(
        f"botkube-repro run: error: cannot pull the kind node image {NODE_IMAGE}"
    )
    assert said in last
    assert "--pull-timeout" in last  # run's spelling of the flag
    assert "--botkube-" not in last
    assert [c.argv[:2] for c in run.calls("kind")] == [("version",), ("get", "clusters")]
    docker = [c.argv[:2] for c in run.calls("docker")]
    assert ("image", "inspect") in docker
    assert ("pull", NODE_IMAGE) in docker


def test_a_node_image_already_here_is_not_pulled_and_the_pull_shows_progress(run: RunCommand):
    done = run("control-healthy-v1.13.0")
    assert done.returncode == 0, done.stderr + done.stdout
    assert f".. node image: Status: Downloaded newer image for {NODE_IMAGE}" in done.stderr
    first = [c for c in run.calls("docker") if c.argv[:1] == ("pull",)]
    assert len(first) == 1
    again = run("control-healthy-v1.13.0")
    assert again.returncode == 0, again.stderr + again.stdout
    assert f"node image       {NODE_IMAGE} already present" in again.stderr
    assert len([c for c in run.calls("docker") if c.argv[:1] == ("pull",)]) == 1


# -- the probe: this receiver, from the kind node --------------------------------------------------


def test_another_server_on_the_receivers_address_is_not_taken_for_it(
    tmp_path: Path, e2e_double: KubeApiDouble
):
    """Something else answers where the agent would send: the probe tells it from this
    run's receiver by the receiver's own header, before anything is installed."""
    with serving({"/": b"hello"}) as other:  # another server, on 127.0.0.1:PORT
        port = other.url.rsplit(":", 1)[1]
        run = RunCommand(e2e_double, make_sandbox(tmp_path / "sandbox", e2e_double.url),
                         tmp_path)  # fmt: skip
        # the receiver takes the same port on another loopback address; pods are told the
        # other server's address
        done = run("crash-v1.13.0", "--receiver-port", port, "--receiver-bind", "127.0.0.2",
                   "--receiver-host", "127.0.0.1")  # fmt: skip
    assert done.returncode == 3, done.stderr + done.stdout
    assert re.search(r"receiver probe\s+FAILED", done.stderr)
    last = done.stderr.strip().splitlines()[-1]
    assert f"reached http://127.0.0.1:{port}/, but what answered (HTTP 404" in last
    assert "is not this run's webhook receiver" in last
    assert not run.helm("upgrade")


def test_a_receiver_the_node_cannot_reach_names_the_kind_bridge_and_the_rule(
    tmp_path: Path, e2e_double: KubeApiDouble
):
    """Docker Engine on Linux: pods are told the kind gateway; the receiver listening
    elsewhere stands in for a firewall dropping the bridge's traffic."""
    extra = {"BOTKUBE_STANDIN_GATEWAY": "127.0.0.3"}
    run = RunCommand(e2e_double, make_sandbox(tmp_path / "sandbox", e2e_double.url, extra=extra),
                     tmp_path)  # fmt: skip
    done = run("crash-v1.13.0", "--receiver-bind", "127.0.0.1")
    assert done.returncode == 3, done.stderr + done.stdout
    assert re.search(r"receiver\s+http://127\.0\.0\.3:\d+/ \(kind network gateway, Docker "
                     r"Engine\)", done.stderr)  # fmt: skip
    last = done.stderr.strip().splitlines()[-1]
    assert "cannot reach the webhook receiver at http://127.0.0.3:" in last
    assert "with Docker Engine on Linux the receiver listens on the kind network's gateway" in last
    assert re.search(r"sudo iptables -I INPUT -i br-3f6c0a1b2d4e -p tcp --dport \d+ -j ACCEPT",
                     last)  # fmt: skip
    assert not run.helm("upgrade")


# -- the preflight: before any cluster ------------------------------------------------------

PREFLIGHT_ON = {"BOTKUBE_NO_PREFLIGHT": ""}  # the sandbox turns it off: no internet here
INDEX = b"entries:\n  - name: kubernetes\n    type: source\n    version: v1.13.0\n    urls: []\n"


def test_the_preflight_passes_then_the_run_goes_on(tmp_path: Path, e2e_double: KubeApiDouble):
    with serving({"/plugins-index.yaml": INDEX}) as index:
        sandbox = make_sandbox(tmp_path / "sandbox", e2e_double.url, extra=PREFLIGHT_ON)
        run = RunCommand(e2e_double, sandbox, tmp_path)
        done = run("control-healthy-v1.13.0", "--plugin-index", f"{index.url}/plugins-index.yaml",
                   "--image", "ghcr.io/kubeshop/botkube:candidate")  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    line = next(ln for ln in done.stderr.splitlines() if re.search(r"\]   preflight\s", ln))
    assert "chart botkube v1.13.0 (chart sources http://127.0.0.1:" in line
    assert f"plugin index ({index.url}/plugins-index.yaml): 1 plugins" in line
    assert _phase_lines(done.stderr)[:3] == ["tools", "preflight", "node image"]


@pytest.mark.parametrize("broken", ["plugin-index", "chart"])
def test_a_failed_preflight_is_3_before_any_cluster(
    tmp_path: Path, e2e_double: KubeApiDouble, broken: str
):
    with serving({"/plugins-index.yaml": INDEX}) as index:
        url = f"{index.url}/{'gone' if broken == 'plugin-index' else 'plugins-index'}.yaml"
        extra = {**PREFLIGHT_ON, **({"BOTKUBE_CHART": closed_port_url()} if broken == "chart"
                                   else {})}  # fmt: skip
        sandbox = make_sandbox(tmp_path / "sandbox", e2e_double.url, extra=extra)
        run = RunCommand(e2e_double, sandbox, tmp_path)
        done = run("crash-v1.13.0", "--plugin-index", url, "--image",
                   "ghcr.io/kubeshop/botkube:candidate")  # fmt: skip
    assert done.returncode == 3, done.stderr + done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("botkube-repro run: error: preflight: ")
    said = (f"plugin index ({url}): HTTP 404" if broken == "plugin-index"
            else "chart botkube v1.13.0 (chart sources http://127.0.0.1:")  # fmt: skip
    assert said in last
    assert [c.argv[:2] for c in run.calls("kind")] == [("version",)]  # tools read, nothing made
    assert not run.helm("upgrade")
    assert e2e_double.requests == []


# -- --report when the run cannot happen ------------------------------------------------------


def _not_run_report(report: Path, problem: str) -> str:
    """report.md of runs that never happened: each run's prediction and values, the problem,
    the plan; checked from the files, as a maintainer attaching them would read them."""
    text = (report / "report.md").read_text(encoding="utf-8")
    assert "## crash-v1.13.0 (BotKube v1.13.0)" in text
    assert re.search(r"\| plugin status \| Deactivated \| not run \|", text), text
    assert re.search(r"\| plugin exit statuses \| 2 \| - \|", text), text  # not "none": unseen
    assert re.search(r"\| restarts \|  \| - \|", text), text
    assert re.search(r"\| panic \|  \| - \|", text), text
    assert "| not run | - | - | - | - | - | Deactivated, exit 2 | - |" in text
    log = (report / "artifacts" / "shared" / "run.log").read_text(encoding="utf-8").splitlines()
    assert log[-2].startswith("the run cannot happen; report of what it would do: ")
    assert log[-2].endswith("report.md")
    assert log[-1].startswith("botkube-repro run: error: ")
    assert problem in log[-1]
    assert "Why it did not run" in text
    assert "Helm values it would install" in text
    assert f"not run: {problem}" in text
    assert "lint verdict: crash" in text
    assert "MODEL DISAGREES" not in text.upper()  # a run that did not happen disagrees with nothing
    values = yaml.safe_load((report / "values" / "crash-v1.13.0.yaml").read_text())
    source = values["sources"]["k8s-hpa-events"]["botkube/kubernetes"]
    assert source["config"]["resources"], "the values it would install"
    assert "event" not in source["config"]
    plan = (report / "artifacts" / "shared" / "plan.txt").read_text(encoding="utf-8")
    assert "$ " in plan
    assert "helm" in plan
    assert "upgrade" in plan
    return text


def test_report_without_docker_still_has_prediction_values_and_problem(
    tmp_path: Path, e2e_double: KubeApiDouble
):
    sandbox = make_sandbox(tmp_path / "sandbox", e2e_double.url, ("kind", "helm"))
    run = RunCommand(e2e_double, sandbox, tmp_path)
    done = run("crash-v1.13.0", "--report", str(tmp_path / "report"))
    assert done.returncode == 3, done.stderr + done.stdout
    _not_run_report(tmp_path / "report", "docker not found on PATH")
    assert "the run cannot happen; report of what it would do: " in done.stderr
    assert e2e_double.requests == []


def test_report_after_a_failed_preflight(tmp_path: Path, e2e_double: KubeApiDouble):
    extra = {**PREFLIGHT_ON, "BOTKUBE_CHART": closed_port_url()}
    sandbox = make_sandbox(tmp_path / "sandbox", e2e_double.url, extra=extra)
    run = RunCommand(e2e_double, sandbox, tmp_path)
    image = "ghcr.io/kubeshop/botkube:candidate"
    done = run("crash-v1.13.0", "--report", str(tmp_path / "report"), "--image", image,
               "--plugin-index", closed_port_url())  # fmt: skip
    assert done.returncode == 3, done.stderr + done.stdout
    text = _not_run_report(tmp_path / "report", "preflight: chart botkube v1.13.0")
    assert "plugin index" in text
    assert not run.helm("upgrade")
