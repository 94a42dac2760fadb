import json
import textwrap
from pathlib import Path

import pytest
import yaml

from pytest_botkube.cli import main
from pytest_botkube.model.versions import KNOWN_BOTKUBE_VERSIONS, parse_kubernetes_version
from pytest_botkube.scenario import load_scenarios

CRASH = """\
sources:
  k8s-deployment-events:
    botkube/kubernetes:
      enabled: true
      context: &ctx {rbac: {group: {type: Static, static: {values: [botkube-plugins-default]}}}}
      config:
        event: {types: [create]}
        resources:
          - type: apps/v1/deployments
  k8s-hpa-events:
    botkube/kubernetes:
      enabled: true
      context: *ctx
      config:
        namespaces:
          include: [".*"]
        resources:
          - type: autoscaling/v2/horizontalpodautoscalers
            event:
              types: [Normal]
              reason:
                include: [SuccessfulRescale]
"""

OLD_HPA = """\
sources:
  hpa:
    botkube/kubernetes:
      enabled: true
      context: {rbac: {group: {type: Static, static: {values: [botkube-plugins-default]}}}}
      config:
        event: {types: [create, delete]}
        resources:
          - type: autoscaling/v2beta2/horizontalpodautoscalers
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def lint(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["lint", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_crash_text_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = write(tmp_path, "crash.yaml", CRASH)
    code, out, err = lint(capsys, str(path), "--botkube-version", "v1.13.0")
    assert code == 1
    assert err == ""
    assert "error BK001 nil-event-panic" in out
    assert f"at   {path}:14: sources.k8s-hpa-events.botkube/kubernetes.config.event" in out
    assert "https://github.com/kubeshop/botkube/issues/1474" in out
    assert "fix  add a top-level config.event" in out
    assert "error BK030 collateral-damage" in out
    assert "warning BK012 normal-events-never-forwarded" in out
    assert out.rstrip().splitlines()[-1].startswith("  verdict: CRASH")


def test_same_file_is_healthy_on_v1_14(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = write(tmp_path, "crash.yaml", CRASH)
    code, out, _ = lint(capsys, str(path), "--botkube-version", "1.14.0")
    assert code == 0
    assert "BK001" not in out
    assert "info BK008 nil-event-tolerated" in out
    assert "verdict: HEALTHY" in out


@pytest.mark.parametrize("spelled", ["v1.13.0", "1.13.0"])
def test_json_single_file_contract(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spelled: str
):
    path = write(tmp_path, "crash.yaml", CRASH)
    code, out, _ = lint(capsys, str(path), "--botkube-version", spelled, "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert isinstance(data, dict)
    assert data["botkube_version"] == "v1.13.0"
    assert data["verdict"] == "crash"
    names = [s["name"] for s in data["sources"]]
    assert names[:2] == ["k8s-deployment-events", "k8s-hpa-events"]
    for source in data["sources"]:
        assert {"name", "enabled", "bound", "verdict", "informers", "findings"} <= set(source)
        assert source["verdict"] in {"crash", "exit", "healthy", "inactive"}
        for types in source["informers"].values():
            assert types == sorted(set(types))
            assert all(t in {"create", "update", "delete", "error"} for t in types)
        for finding in source["findings"]:
            assert {"code", "severity", "path", "message", "fix", "upstream"} <= set(finding)
    hpa = data["sources"][1]
    assert hpa["informers"] == {"autoscaling/v2/horizontalpodautoscalers": []}
    deployments = data["sources"][0]
    assert deployments["informers"] == {"apps/v1/deployments": ["create"]}
    assert deployments["verdict"] == "crash"


def test_json_several_files_is_a_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    crash = write(tmp_path, "crash.yaml", CRASH)
    old = write(tmp_path, "old.yaml", OLD_HPA)
    code, out, _ = lint(
        capsys, str(crash), str(old), "--botkube-version", "v1.14.0", "--format", "json"
    )
    data = json.loads(out)
    assert [d["verdict"] for d in data] == ["healthy", "exit"]
    assert [d["file"] for d in data] == [str(crash), str(old)]
    assert code == 1


@pytest.mark.parametrize(("kube", "code"), [("1.25", 0), ("1.26", 1), ("v1.31.2", 1)])
def test_kubernetes_version_decides_unserved_apis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kube: str, code: int
):
    path = write(tmp_path, "old.yaml", OLD_HPA)
    got, out, _ = lint(
        capsys, str(path), "--botkube-version", "v1.14.0", "--kubernetes-version", kube
    )
    assert got == code
    assert ("BK002" in out) is bool(code)


def test_unknown_bound_source_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    text = OLD_HPA.replace("v2beta2", "v2") + (
        "communications:\n  g:\n    webhook:\n      enabled: true\n"
        "      bindings:\n        sources: [hpa, nope]\n"
    )
    code, out, _ = lint(capsys, str(write(tmp_path, "v.yaml", text)), "--botkube-version", "1.14.0")
    assert code == 1
    assert "BK022" in out
    assert "verdict: REFUSED: the agent rejects the whole configuration" in out


def test_an_error_finding_is_status_1_also_when_nothing_starts_as_help_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """A source without an RBAC context is rejected (BK026, an error): nothing starts, so the
    verdict is not-started, and still status 1; --help and README said 1 only for a crash, an
    exit loop or a refusal (review-2)."""
    text = "sources:\n  hpa:\n    botkube/kubernetes:\n      enabled: true\n      config:\n"
    text += "        event: {types: [create]}\n"
    text += "        resources:\n          - type: autoscaling/v2/horizontalpodautoscalers\n"
    code, out, _ = lint(capsys, str(write(tmp_path, "v.yaml", text)), "--botkube-version", "1.13.0")
    assert "error BK026 no-rbac-context" in out
    assert "verdict: NOT STARTED" in out
    assert code == 1
    with pytest.raises(SystemExit):
        main(["lint", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    status_1 = help_text.split(" 1 ", 1)[1].split(" 2 ", 1)[0]
    assert "finding is an error" in status_1
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("  | `not-started` |"))
    assert row.rstrip(" |").endswith(
        "1 with an error finding (e.g. BK026: every bound source is rejected)"
    )


def _one_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("botkube-repro lint: error: ")
    return lines[0]


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    code, out, err = lint(capsys, str(tmp_path / "nope.yaml"), "--botkube-version", "1.13.0")
    assert code == 2
    assert out == ""
    assert "nope.yaml: no such file" in _one_line_error(err)


def test_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    code, _, err = lint(capsys, str(tmp_path), "--botkube-version", "1.13.0")
    assert code == 2
    assert "is a directory" in _one_line_error(err)


def test_bad_yaml_names_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = write(tmp_path, "bad.yaml", "sources:\n  a: [1, 2\n  b: 3\n")
    code, _, err = lint(capsys, str(path), "--botkube-version", "1.13.0")
    assert code == 2
    line = _one_line_error(err)
    assert f"{path}:3:" in line
    assert "invalid YAML" in line


def test_unknown_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = write(tmp_path, "crash.yaml", CRASH)
    code, _, err = lint(capsys, str(path), "--botkube-version", "1.9.2")
    assert code == 2
    line = _one_line_error(err)
    assert "'1.9.2'" in line
    assert all(v in line for v in KNOWN_BOTKUBE_VERSIONS)
    assert line.endswith("did you mean v1.9.1?")


def test_bad_kubernetes_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = write(tmp_path, "crash.yaml", CRASH)
    code, _, err = lint(
        capsys, str(path), "--botkube-version", "1.13.0", "--kubernetes-version", "latest"
    )
    assert code == 2
    assert "Kubernetes version 'latest'" in _one_line_error(err)


def test_a_config_the_plugin_cannot_decode_rejects_the_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """``resources: apps`` is split into the list ``["apps"]``, whose item cannot become a
    resource struct: the plugin rejects that source's stream (BK027), named by file:line."""
    path = write(
        tmp_path, "v.yaml", CRASH.replace("resources:\n          - type: apps", "resources: apps")
    )
    code, out, err = lint(capsys, str(path), "--botkube-version", "1.13.0")
    assert code == 1
    assert err == ""
    assert "error BK027 config-rejected" in out
    assert (
        f"at   {path}:8: sources.k8s-deployment-events.botkube/kubernetes.config.resources" in out
    )
    assert "'resources[0]' expected a map" in out


def test_one_bad_file_among_several_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    good = write(tmp_path, "good.yaml", CRASH)
    missing = tmp_path / "missing.yaml"
    code, out, err = lint(capsys, str(good), str(missing), "--botkube-version", "1.13.0")
    assert code == 2  # the worst of the files: bad input
    assert err == ""
    assert "verdict: CRASH" in out  # the good file still gets its report
    assert f"{missing}: error: no such file" in out.splitlines()  # the file named once
    assert str(missing) not in out.replace(f"{missing}: error: ", "", 1)


def test_missing_version_for_a_values_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = write(tmp_path, "c.yaml", CRASH)
    code, out, err = lint(capsys, str(path))
    assert code == 2
    assert out == ""
    assert "--botkube-version is required" in _one_line_error(err)


def test_scenario_file_is_linted_through_its_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    from pytest_botkube.bundled import scenarios_dir

    text = (scenarios_dir() / "crash-v1.13.0.yaml").read_text(encoding="utf-8")
    path = tmp_path / "crash-v1.13.0.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.strip() == "'k8s-hpa-events':")
    code, out, _ = lint(capsys, str(path))
    assert code == 1
    assert f"at   {path}:{line}: sources.k8s-hpa-events" in out
    code, out, _ = lint(capsys, str(path), "--botkube-version", "1.14.0")
    assert "verdict: CRASH" not in out


def test_broken_scenario_is_named_as_a_scenario_not_as_a_values_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    body = textwrap.indent(CRASH, "  ")
    scenario = f"name: x\nbotkube_version: v1.13.0\nvalues:\n{body}expect: {{}}\n"
    path = write(tmp_path, "scenario.yaml", scenario)
    code, out, err = lint(capsys, str(path))
    assert (code, out) == (2, "")
    message = _one_line_error(err)
    assert f"{path}:" in message
    assert "missing required key" in message  # the scenario loader's own validation
    no_expect = write(tmp_path, "y.yaml", f"name: y\nbotkube_version: v1.13.0\nvalues:\n{body}")
    code, _, err = lint(capsys, str(no_expect))
    assert code == 2
    assert "--botkube-version" not in err
    assert "missing required key" in _one_line_error(err)
    unknown = write(tmp_path, "z.yaml", scenario.replace("expect: {}", "expext: {}"))
    code, _, err = lint(capsys, str(unknown))
    assert code == 2
    assert "unknown key 'expext'" in _one_line_error(err)


SCENARIOS = load_scenarios()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_lint_agrees_with_every_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], scenario
):
    assert scenario.expect is not None
    expected = scenario.expect.verdict
    assert expected is not None, f"{scenario.name} has no lint verdict"
    path = tmp_path / f"{scenario.name}.values.yaml"
    path.write_text(yaml.safe_dump(scenario.overlay(), sort_keys=False), encoding="utf-8")
    argv = [str(path), "--botkube-version", scenario.botkube_version, "--format", "json"]
    minimum = scenario.min_kubernetes_version
    if minimum and parse_kubernetes_version(minimum) > parse_kubernetes_version("1.31"):
        argv += ["--kubernetes-version", minimum]
    code, out, _ = lint(capsys, *argv)
    data = json.loads(out)
    assert data["verdict"] == expected
    assert code == (0 if expected == "healthy" else 1)
    started = [s for s in data["sources"] if s["started"]]
    assert {s["name"] for s in started} == set(scenario.source_aliases())
    assert all(s["verdict"] == expected for s in started)
