"""``triage --write-scenario`` on a report whose sources watch only the reporter's namespaces.

The suite's workload lives in the run's own namespace (live/release.py's ``release_name``), so a
written scenario must let that namespace through, and its expectations must be the model's on
the values the run installs (the suite's restart threshold, not the reporter's).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_botkube.cli import main
from pytest_botkube.helm_values import build_values, run_namespace_pattern
from pytest_botkube.live.release import release_name
from pytest_botkube.model.config import Constraints
from pytest_botkube.model.semantics import allows, analyze, forwarding
from pytest_botkube.reproduce.plan import plan_runs
from pytest_botkube.scenario import load_scenario
from pytest_botkube.settings import DEFAULTS
from pytest_botkube.triage.scenario_file import workload_happenings

REPORTS = Path(__file__).parent.parent / "data" / "reports"
NAME = "team-namespaces-v1.13.0"
SOURCE = ("sources", "checkout-watch", "botkube/kubernetes", "config")


def _config(values: dict[str, Any]) -> dict[str, Any]:
    out: Any = values
    for key in SOURCE:
        out = out[key]
    return dict(out)


def _write(tmp_path: Path, capsys: pytest.CaptureFixture[str], report: Path) -> tuple[str, Path]:
    code = main(["triage", str(report), "--write-scenario", str(tmp_path / "out")])
    out = capsys.readouterr().out
    (path,) = (tmp_path / "out").glob("*.yaml")
    return f"{code}\n{out}", path


def test_the_reporters_namespace_lists_let_the_suites_runs_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, path = _write(tmp_path, capsys, REPORTS / "team-namespaces.md")
    assert out.startswith("1\n")
    pattern = run_namespace_pattern(NAME)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    config = _config(data["values"])
    # the reporter's entries stay, the suite's is added: source level and resource level
    assert config["namespaces"]["include"] == ["checkout-.*", pattern]
    assert config["resources"][1]["namespaces"]["include"] == ["checkout-live", pattern]
    assert "namespaces" not in config["resources"][0]  # no list there: left as written
    # the description's repairs and the printed summary say so, naming both keys
    for key in ("config.namespaces.include", "config.resources[1].namespaces.include"):
        assert f"values.sources.checkout-watch.botkube/kubernetes.{key}" in data["description"]
    assert out.count("changed for the suite: ") == 2
    assert pattern in data["description"]
    # every run the next step makes gets a namespace the model lets through: the compare and
    # workaround runs deliver the workload's Deployment create
    scenario = load_scenario(path)
    delivered = {}
    for run in plan_runs(scenario, ["v1.14.0"], True):
        namespace = release_name(run.name)
        assert allows(Constraints(include=(pattern,)), namespace), namespace
        installed = analyze(
            build_values(run.scenario, receiver_url="http://192.0.2.7:9/"),
            run.scenario.botkube_version,
            "1.31",
        )
        create, *_ = workload_happenings(namespace)
        delivered[run.name] = forwarding(installed, create).delivered
    assert delivered == {NAME: False, f"{NAME}@v1.14.0": True, f"{NAME}+workaround": True}


def test_the_plugin_why_counts_the_restarts_the_suite_installs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, path = _write(tmp_path, capsys, REPORTS / "team-namespaces.md")
    scenario = load_scenario(path)
    assert scenario.expect is not None
    why = scenario.expect.plugin.why
    assert scenario.overlay()["plugins"]["restartPolicy"]["threshold"] == 7  # the reporter's
    assert f"restarts it {DEFAULTS.restart_threshold} times" in why
    assert "7 times" not in why


_HEALTHY = """\
Botkube v1.14.0: is a Deployment create in our shop namespaces delivered?

```yaml
sources:
  shop:
    botkube/kubernetes:
      enabled: true
      context: {rbac: {group: {type: Static, static: {values: [botkube-plugins-default]}}}}
      config:
        namespaces: {include: [shop-eu, shop-us], exclude: [kube-system]}
        event: {types: [create]}
        resources:
          - type: apps/v1/deployments
```
"""


def test_a_healthy_scenario_expects_the_delivery_its_installed_values_make(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "shop.md"
    report.write_text(_HEALTHY, encoding="utf-8")
    assert main(["triage", str(report), "--format", "json",
                 "--write-scenario", str(tmp_path / "out")]) == 0  # fmt: skip
    written = json.loads(capsys.readouterr().out)["scenario"]
    (change,) = written["for_the_suite"]
    assert change in written["repairs"]
    scenario = load_scenario(Path(written["path"]))
    assert scenario.expect is not None
    config = scenario.overlay()["sources"]["shop"]["botkube/kubernetes"]["config"]
    assert config["namespaces"] == {
        "include": ["shop-eu", "shop-us", run_namespace_pattern("shop-v1.14.0")],
        "exclude": ["kube-system"],
    }
    assert [dict(e.match) for e in scenario.expect.delivered] == [
        {"Type": "create", "Kind": "Deployment", "Name": "hpa-target"}
    ]


def test_the_pattern_covers_every_run_name_also_when_it_is_cut_to_helms_limit() -> None:
    for name in ("crash-v1.13.0", "a-very-long-report-title-about-our-checkout-hpa-v1.13.0"):
        pattern = run_namespace_pattern(name)
        for label in (name, f"{name}@v1.14.0", f"{name}+workaround"):
            namespace = release_name(label)
            assert len(namespace) <= 53
            assert allows(Constraints(include=(pattern,)), namespace), (pattern, namespace)
        assert not allows(Constraints(include=(pattern,)), "bk-other-v1-13-0-3f2a9c")
