"""``botkube-repro triage`` over reports in the shapes maintainers receive (tests/data/reports,
written for this suite in the shapes of upstream issue threads)."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from pytest_botkube.cli import main
from pytest_botkube.reproduce.plan import plan_runs
from pytest_botkube.scenario import load_scenario
from pytest_botkube.triage.triage import Triage, triage_report

REPORTS = Path(__file__).parent.parent / "data" / "reports"


def _triage(name: str, **kwargs: str) -> Triage:
    path = REPORTS / f"{name}.md"
    return triage_report(path.read_text(encoding="utf-8"), str(path), **kwargs)


def _kinds(t: Triage) -> list[tuple[str, list[str]]]:
    return [(c.kind, list(dict.fromkeys(c.used_for))) for c in t.blocks]


def test_crash_report_with_a_partial_log():
    t = _triage("crash-partial-log")
    assert _kinds(t) == [("values", ["values"]), ("log", ["log", "version"])]
    assert t.botkube.used == "v1.13.0"
    assert t.botkube.found[0].kind == "prose"  # "Botkube v1.13.0" in the description
    assert t.botkube.disagreement is None
    assert t.kubernetes.used == "1.29"  # "EKS 1.29"
    assert t.predicted == "crash"
    assert t.seen == "crash"
    assert t.agreement == "confirms"
    assert "mergeResourceEvents" in t.agreement_why
    assert t.known is not None
    assert (t.known.issue.number, t.known.matched_by) == (1474, ("model", "log"))
    assert t.known.issue.fixed_in == "v1.14.0"
    assert t.workaround is not None
    assert [c.path for c in t.workaround.changes] == [
        "sources.hpa-scaling.botkube/kubernetes.config.event.types"
    ]
    assert t.workaround.verdict_after == "healthy"
    assert t.by_version["v1.14.0"] == "healthy"
    missing = [w for w in t.wanted if not w.delivered]
    assert [w.what for w in missing] == [
        "Normal SuccessfulRescale autoscaling/v2/horizontalpodautoscalers"
    ]
    assert "never forwards Normal-type core Events" in missing[0].why
    assert t.exit_code == 1
    # the finding names the report's own line of the source's config
    finding = next(f for f in t.analysis.all_findings() if f.code == "BK001")  # type: ignore[union-attr]
    assert finding.where.endswith(
        "crash-partial-log.md:23: sources.hpa-scaling.botkube/kubernetes.config.event"
    )


def test_unserved_type_report_with_a_disagreeing_version():
    t = _triage("unserved-type")
    assert _kinds(t) == [
        ("values", ["values"]),
        ("values-file", ["version"]),
        ("log", ["log", "version"]),
        ("kubectl", []),
    ]
    # prose says 1.11.0, the helm command and the plugin path in the log say v1.12.0
    assert t.botkube.used == "v1.12.0"
    assert t.botkube.disagreement is not None
    assert "v1.11.0 from the prose" in t.botkube.disagreement
    assert t.kubernetes.used == "1.27"
    assert (t.predicted, t.seen, t.agreement) == ("exit", "exit", "confirms")
    assert t.known is not None
    assert t.known.issue.number == 1080
    assert t.workaround is not None
    (change,) = t.workaround.changes
    assert (change.was, change.value) == (
        "autoscaling/v2beta2/horizontalpodautoscalers",
        "autoscaling/v2/horizontalpodautoscalers",
    )
    assert t.workaround.verdict_after == "healthy"
    assert all(w.delivered for w in t.wanted)
    assert t.exit_code == 1


def test_successful_rescale_question_without_a_log():
    t = _triage("successfulrescale-question")
    assert _kinds(t) == [("values", ["values"]), ("kubectl", ["version"])]
    assert t.blocks[0].block.container == "indented"
    assert t.botkube.used == "v1.14.0"  # the image tag in kubectl describe
    assert t.botkube.found[0].kind == "image"
    assert (t.predicted, t.seen, t.agreement) == ("healthy", None, "cannot tell")
    assert t.known is None
    assert t.workaround is None
    missing = {w.what for w in t.wanted if not w.delivered}
    assert "Normal SuccessfulRescale autoscaling/v2/horizontalpodautoscalers" in missing
    assert t.exit_code == 0


def test_stray_fence_report():
    t = _triage("stray-fence")
    assert _kinds(t) == [("values", ["values"]), ("log", ["log", "version"])]
    repairs = t.blocks[0].all_repairs
    assert "the closing fence is indented 20 columns" in repairs[0]
    assert any("elision" in r for r in repairs)
    assert any("HTML comment" in r for r in repairs)
    assert all(r.startswith("block 1: ") for r in t.repairs[:3])
    assert t.values is not None
    hpa = t.values["sources"]["hpa-rescale"]["botkube/kubernetes"]["config"]
    assert hpa["resources"][0]["event"]["reason"]["include"] == ["SuccessfulRescale"]
    assert (t.botkube.used, t.predicted, t.seen, t.agreement) == (
        "v1.13.0",
        "crash",
        "crash",
        "confirms",
    )
    assert t.plugin_statuses() == {"botkube/kubernetes": "deactivated"}


def test_correction_replaces_the_earlier_values_and_set_goes_on_top():
    t = _triage("correction")
    assert _kinds(t) == [("values", ["superseded"]), ("values", ["values"]), ("set", ["values"])]
    assert t.values_blocks == [2, 3]
    assert t.values_notes[0].startswith("block 2 replaces block 1: the text before it says")
    assert t.values is not None
    assert t.values["settings"] == {"clusterName": "prod-eu"}
    assert t.values["analytics"] == {"disable": True}
    # the first block alone would be healthy; the correction is the crash
    assert t.predicted == "crash"
    assert t.botkube.used == "v1.13.0"  # "Chart version v1.13.0"; "upgraded from v1.12.0" is not
    assert t.botkube.disagreement is None
    assert t.kubernetes.used == "1.30"
    assert t.exit_code == 1


def test_only_a_log():
    t = _triage("only-log")
    assert _kinds(t) == [("log", ["log", "version"])]
    assert t.blocks[0].block.container == "details"
    assert t.botkube.used == "v1.11.0"
    assert (t.predicted, t.seen, t.agreement) == (None, "crash", "cannot tell")
    assert t.known is not None
    assert t.known.matched_by == ("log",)
    assert t.exit_code == 1


def test_the_override_wins_and_the_disagreement_is_said():
    t = _triage("crash-partial-log", botkube_version="1.14.0")
    assert t.botkube.used == "v1.14.0"
    assert t.botkube.disagreement is not None
    assert t.predicted == "healthy"
    assert t.seen == "crash"
    assert t.agreement == "contradicts"
    assert t.exit_code == 1  # seen, even if not predicted


def test_a_report_without_values_or_log_is_unusable():
    t = triage_report("We'd love a Mattermost threads option!\n\n```\nfoo\n```\n", "feature.md")
    assert not t.usable
    assert t.exit_code == 2
    assert "looked for Helm values" in t.nothing_usable()


# --------------------------------------------------------------------------- the command


def test_cli_text_and_exit_codes(capsys: pytest.CaptureFixture[str]):
    assert main(["triage", str(REPORTS / "crash-partial-log.md")]) == 1
    out = capsys.readouterr().out
    assert "known issue: kubeshop/botkube#1474 (model and log)" in out
    assert (
        "sources.hpa-scaling.botkube/kubernetes.config.event.types: [create, delete, error]" in out
    )
    assert "log vs prediction: CONFIRMS" in out
    assert main(["triage", str(REPORTS / "successfulrescale-question.md")]) == 0


def test_cli_json_contract(capsys: pytest.CaptureFixture[str]):
    assert main(["triage", str(REPORTS / "unserved-type.md"), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "exit"
    assert data["exit_code"] == 1
    assert [b["kind"] for b in data["blocks"]] == ["values", "values-file", "log", "kubectl"]
    assert data["botkube_version"]["used"] == "v1.12.0"
    assert data["agreement"]["result"] == "confirms"
    assert data["known_issue"]["ref"] == "kubeshop/botkube#1080"
    assert data["workaround"]["changes"][0]["value"] == "autoscaling/v2/horizontalpodautoscalers"
    assert data["prediction"]["verdict"] == "exit"
    assert data["log"]["seen"] == "exit"


def test_cli_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["triage", str(tmp_path / "missing.md")]) == 2
    assert "missing.md: no such file" in capsys.readouterr().err
    assert main(["triage", str(tmp_path)]) == 2
    empty = tmp_path / "idea.md"
    empty.write_text("Please add Teams threads.\n")
    assert main(["triage", str(empty)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2
    assert "nothing to triage" in err
    assert main(["triage", str(empty), "--botkube-version", "9.9.9"]) == 2
    assert "unknown BotKube version" in capsys.readouterr().err


def test_cli_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    import io
    import sys

    data = (REPORTS / "only-log.md").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["triage", "-"]) == 1
    assert "v1.11.0" in capsys.readouterr().out


# --------------------------------------------------------------------------- --write-scenario

WRITABLE = {
    "crash-partial-log": ("crash-partial-log-v1.13.0", "crash"),
    "unserved-type": ("unserved-type-v1.12.0", "exit"),
    "successfulrescale-question": ("successfulrescale-question-v1.14.0", "healthy"),
    "stray-fence": ("stray-fence-v1.13.0", "crash"),
    "correction": ("correction-v1.13.0", "crash"),
}


@pytest.mark.parametrize("report", sorted(WRITABLE))
def test_written_scenario_passes_the_loader_and_lint(
    report: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    name, verdict = WRITABLE[report]
    code = main(["triage", str(REPORTS / f"{report}.md"), "--write-scenario", str(tmp_path)])
    assert code == (0 if verdict == "healthy" else 1)
    out = capsys.readouterr().out
    path = tmp_path / f"{name}.yaml"
    scenario = load_scenario(path)
    assert scenario.name == name
    assert scenario.expect is not None
    assert scenario.expect.verdict == verdict
    # the values are the report's, as the triage took them
    t = _triage(report)
    assert scenario.overlay() == t.values
    # every expectation says it is model-derived and names what it rests on
    whys = [scenario.expect.plugin.why] + [
        e.why for e in (*scenario.expect.delivered, *scenario.expect.not_delivered)
    ]
    assert all(w.startswith("Model-derived (lint on BotKube") for w in whys)
    if verdict == "crash":
        assert "finding BK001 nil-event-panic" in scenario.expect.plugin.why
    if verdict == "exit":
        assert "finding BK002 unserved-api-version" in scenario.expect.plugin.why
    for repair in t.repairs:
        assert repair in scenario.description
    # lint reads the file and agrees with its expectation
    assert main(["lint", str(path), "--format", "json"]) == (0 if verdict == "healthy" else 1)
    assert json.loads(capsys.readouterr().out)["verdict"] == verdict
    # the printed next step is a run the planner accepts
    (step,) = [line for line in out.splitlines() if line.startswith("  next: ")]
    argv = step.split("next: ", 1)[1].split()
    assert argv[:3] == ["botkube-repro", "run", str(path)]
    compare = argv[argv.index("--compare") + 1] if "--compare" in argv else None
    runs = plan_runs(scenario, [compare] if compare else [], "--with-workaround" in argv)
    if verdict == "crash":
        assert compare == "v1.14.0"
        assert [r.name for r in runs] == [name, f"{name}@v1.14.0", f"{name}+workaround"]
    assert argv[-2:] == ["--report", f"{name}-report"]


def test_scenario_expectations_follow_the_model_on_the_suite_workload(tmp_path: Path):
    assert main(["triage", str(REPORTS / "successfulrescale-question.md"),
                 "--write-scenario", str(tmp_path), "--format", "json"]) == 0  # fmt: skip
    scenario = load_scenario(tmp_path / "successfulrescale-question-v1.14.0.yaml")
    assert scenario.expect is not None
    delivered = [dict(e.match) for e in scenario.expect.delivered]
    not_delivered = [dict(e.match) for e in scenario.expect.not_delivered]
    # the resource-level `types: [normal]` replaces the source-level list (no union), and
    # normal has no informer: nothing about the HPA arrives, not even its create
    assert delivered == []
    assert {"Type": "create", "Kind": "HorizontalPodAutoscaler", "Name": "hpa-target"} in (
        not_delivered
    )
    assert {
        "Type": "error",
        "Kind": "HorizontalPodAutoscaler",
        "Name": "hpa-target",
        "Reason": "FailedGetResourceMetric",
    } in not_delivered
    assert {"Kind": "HorizontalPodAutoscaler", "Reason": "SuccessfulRescale"} in not_delivered
    assert {"Type": "create", "Kind": "Deployment", "Name": "hpa-target"} in not_delivered
    assert scenario.expect.plugin.verdict == "healthy"


def test_write_scenario_refuses_a_report_without_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    code = main(["triage", str(REPORTS / "only-log.md"), "--write-scenario", str(tmp_path)])
    assert code == 2
    assert "--write-scenario needs Helm values" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_readme_example_is_what_the_command_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    """The README's capture came from the real command; its triage lines must still be true
    (model wording is lint's and is not compared here)."""
    readme = (Path(__file__).parent.parent.parent / "README.md").read_text(encoding="utf-8")
    command = "$ botkube-repro triage hpa-segfault.md --write-scenario triaged\n"
    capture = readme.split(command, 1)[1].split("$ echo $?", 1)[0].splitlines()
    (tmp_path / "hpa-segfault.md").write_bytes((REPORTS / "stray-fence.md").read_bytes())
    monkeypatch.chdir(tmp_path)
    assert main(["triage", "hpa-segfault.md", "--write-scenario", "triaged"]) == 1
    out = capsys.readouterr().out.splitlines()
    own = ("  blocks:", "     ", "  BotKube:", "  Kubernetes:", "  values:", "  log vs prediction:",
           "  known issue:", "    values change:", "      sources.", "  scenario:", "  next:",
           "  verdict:", "    by version:")  # fmt: skip
    checked = [line for line in capture if line.startswith(own)]
    assert len(checked) >= 12
    for line in checked:
        assert line in out, f"README capture line no longer printed: {line!r}"


def test_an_agent_panic_without_a_kubernetes_frame_is_the_agents(
    capsys: pytest.CaptureFixture[str],
):
    report = (
        "Botkube v1.14.0 restarts every few hours:\n\n```\n"
        "panic: send on closed channel\n\n"
        "goroutine 212 [running]:\n"
        "github.com/kubeshop/botkube/pkg/bot.(*SocketSlack).Start.func2()\n"
        "\t/home/runner/work/botkube/botkube/pkg/bot/socketslack.go:180 +0x2b5\n"
        "```\n"
    )
    t = triage_report(report, "agent-panic.md")
    assert [c.kind for c in t.blocks] == ["log"]
    assert t.log is not None
    assert t.log.agent_down
    assert "kubernetes" not in t.plugin_statuses()
    assert t.verdict == "failing"
    assert t.exit_code == 1


def test_a_config_that_starts_no_source_is_not_a_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    report = tmp_path / "quiet.md"
    report.write_text(
        "On Botkube v1.14.0 nothing arrives:\n\n```yaml\nsources:\n  mine:\n"
        "    botkube/kubernetes:\n      enabled: false\n```\n"
    )
    assert main(["triage", str(report)]) == 0
    assert "NOT STARTED" in capsys.readouterr().out
    assert main(["triage", str(report), "--write-scenario", str(tmp_path / "out")]) == 2
    assert "predicts not-started" in capsys.readouterr().err


# A reporter pastes their real overlay: chat tokens and a sink URL with its credential. These are
# made-up values in the shapes Slack and a generic webhook use.
_SECRET_REPORT = """\
Our Botkube v1.13.0 went quiet after we added the HPA source.

```yaml
communications:
  default-group:
    socketSlack:
      enabled: true
      botToken: xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx
      appToken: xapp-1-A0123456789-1234567890123-0123456789abcdef0123456789abcdef
      channels:
        default: {name: ops, bindings: {sources: [hpa]}}
    webhook:
      enabled: true
      url: https://hooks.example.org/notify?token=s3cr3tW3bh00kValue
      bindings: {sources: [hpa]}
sources:
  hpa:
    botkube/kubernetes:
      enabled: true
      context: {rbac: {group: {type: Static, static: {values: [botkube-plugins-default]}}}}
      config:
        resources:
          - type: autoscaling/v2/horizontalpodautoscalers
            event: {types: [create, delete]}
```
"""
_SECRETS = ("AbCdEfGhIjKlMnOpQrStUvWx", "0123456789abcdef0123456789abcdef", "s3cr3tW3bh00kValue")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_reporters_secrets_leave_neither_in_the_output_nor_in_the_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
):
    report = tmp_path / "tokens.md"
    report.write_text(_SECRET_REPORT, encoding="utf-8")
    out_dir = tmp_path / "out"
    argv = ["triage", str(report), "--format", fmt, "--write-scenario", str(out_dir)]
    assert main(argv) == 1  # the HPA source still crashes v1.13.0
    out = capsys.readouterr().out
    (written,) = out_dir.glob("*.yaml")
    scenario_text = written.read_text(encoding="utf-8")
    for secret in _SECRETS:
        assert secret not in out
        assert secret not in scenario_text
    if fmt == "json":
        values = json.loads(out)["values"]["values"]["communications"]["default-group"]
        assert values["socketSlack"]["botToken"] == "<redacted>"
        assert values["webhook"]["url"].startswith("https://hooks.example.org/notify?token=")
    scenario = load_scenario(written)  # still a scenario the loader and lint accept
    assert scenario.expect is not None
    assert scenario.expect.plugin.status == "Deactivated"
    assert "replaced by <redacted>" in scenario.description
    assert main(["lint", str(written)]) == 1


_NO_NAMESPACES_V1_2 = """\
Running Botkube 1.2.0 here, and the kubernetes plugin dies as soon as pods change.

```yaml
sources:
  pods:
    botkube/kubernetes:
      enabled: true
      context: {rbac: {group: {type: Static, static: {values: [botkube-plugins-default]}}}}
      config:
        event:
          types: [create, delete]
        resources:
          - type: v1/pods
```
"""


def _upstream_function_at(version: str, path: str, line: int) -> str:
    """The Go function ``path:line`` lies in at ``version`` (skips without the upstream git)."""
    git = next(
        (
            Path(c)
            for c in (os.environ.get("BOTKUBE_UPSTREAM_GIT"), "/work/.mirror/kubeshop+botkube/repo")
            if c and (Path(c) / "HEAD").is_file()
        ),
        None,
    )
    if git is None:
        pytest.skip("no upstream BotKube git directory (set BOTKUBE_UPSTREAM_GIT); development")
    source = subprocess.run(
        ["git", f"--git-dir={git}", "show", f"{version}:{path}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.splitlines()
    funcs = [re.match(r"^func (?:\([^)]*\) )?(\w+)", text) for text in source[:line]]
    return [m.group(1) for m in funcs if m][-1]


def _written_match_event_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str):
    """``triage --write-scenario`` of a v1.2.0 report: (stdout, the scenario), which must expect
    matchEvent's panic at registration.go:194."""
    report = tmp_path / "report.md"
    report.write_text(text, encoding="utf-8")
    assert main(["triage", str(report), "--write-scenario", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    (written,) = (tmp_path / "out").glob("*.yaml")
    scenario = load_scenario(written)
    assert scenario.expect is not None
    panic = scenario.expect.plugin.panic
    assert panic is not None
    assert (panic.function, panic.location) == ("matchEvent", "registration.go:194")
    return out, scenario


def test_the_v1_2_nil_namespaces_panic_is_1157_with_its_own_workaround_and_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    t = triage_report(_NO_NAMESPACES_V1_2, "ns.md")
    assert (t.botkube.used, t.predicted) == ("v1.2.0", "crash")
    assert t.known is not None
    assert (t.known.issue.number, t.known.matched_by) == (1157, ("model",))
    assert t.workaround is not None
    assert [(c.path, c.value) for c in t.workaround.changes] == [
        ("sources.pods.botkube/kubernetes.config.namespaces.include", [".*"])
    ]
    assert t.workaround.verdict_after == "healthy"
    assert t.upgrade is not None
    assert t.upgrade.startswith("upgrade to v1.3.0")
    out, scenario = _written_match_event_scenario(tmp_path, capsys, _NO_NAMESPACES_V1_2)
    assert "--with-workaround" not in out  # run's workaround is #1474's, no use here
    assert scenario.expect is not None
    panic = scenario.expect.plugin.panic
    assert panic is not None
    assert "BK031" in scenario.expect.plugin.why
    file, line = panic.location.split(":")
    assert (
        _upstream_function_at("v1.2.0", f"internal/source/kubernetes/{file}", int(line))
        == panic.function
    )


def test_a_custom_resource_the_cluster_lacks_is_1080_by_model_and_log():
    report = (
        "Botkube v1.12.0, the plugin keeps restarting:\n\n```yaml\nsources:\n  crds:\n"
        "    botkube/kubernetes:\n      enabled: true\n"
        "      context: {rbac: {group: {type: Static, static: {values: [x]}}}}\n"
        "      config:\n        event: {types: [create]}\n"
        "        namespaces: {include: ['.*']}\n        resources:\n"
        "          - type: monitoring.coreos.com/v1/prometheusrules\n```\n\n```\n"
        'time="2024-06-03T08:11:42Z" level=error msg="ERRO Unable to parse resource: '
        'monitoring.coreos.com/v1/prometheusrules to register with informer" logger=stderr '
        "plugin=botkube/kubernetes\n"
        'time="2024-06-03T08:11:44Z" level=error msg="plugin process exited" error="exit '
        'status 1" path=/tmp/botkube/source_v1.12.0_kubernetes pid=24 plugin=botkube/kubernetes\n'
        "```\n"
    )
    t = triage_report(report, "crd.md")
    assert (t.predicted, t.seen, t.agreement) == ("exit", "exit", "confirms")
    assert t.known is not None
    assert (t.known.issue.number, t.known.matched_by) == (1080, ("model", "log"))
    assert t.workaround is not None
    assert "resources[0].type" in t.workaround.description
    assert "install the CRD" in t.workaround.description


_NO_NAMESPACES_HPA_V1_2 = _NO_NAMESPACES_V1_2.replace(
    "v1/pods", "autoscaling/v2/horizontalpodautoscalers"
)


def test_written_scenario_for_a_panic_that_waits_for_an_event(tmp_path, capsys):
    """registration.go matchEvent (v1.2.0) reads the nil namespaces per event: with no HPA at
    start the panic waits for the first HPA create, so the scenario names matchEvent and does not
    claim that nothing at all is delivered (the model's per-happening answers say what is)."""
    _, scenario = _written_match_event_scenario(tmp_path, capsys, _NO_NAMESPACES_HPA_V1_2)
    assert scenario.expect is not None
    assert all(d.match for d in scenario.expect.not_delivered)
