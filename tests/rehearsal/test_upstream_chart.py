"""The suite's values against the upstream chart, rendered by the real helm (``helm template``).

Needs the real helm (tests/doubles/get_helm.py) and upstream's chart tarball
(tests/doubles/upstream.py); skips naming whichever is missing.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from doubles.upstream import SKIP_REASON, upstream_chart

from pytest_botkube.helm_values import build_values, values_yaml
from pytest_botkube.scenario import find_scenario

URL = "http://172.18.0.1:18080/events"


def render_deployment(real_helm: Path, chart: Path, values: dict[str, Any], tmp: Path) -> Any:
    values_file = tmp / "values.yaml"
    values_file.write_text(values_yaml(values), encoding="utf-8")
    argv = [str(real_helm), "template", "bk-test", str(chart), "--namespace", "bk-test",
            "--values", str(values_file), "--show-only", "templates/deployment.yaml"]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


@pytest.mark.parametrize("version", ["v1.13.0", "v1.14.0"])
def test_the_agent_liveness_probe_gets_the_install_budget(
    real_helm: Path, tmp_path: Path, version: str
):
    chart = upstream_chart(version)
    if chart is None:
        pytest.skip(SKIP_REASON)
    scenario = find_scenario("crash-v1.13.0" if version == "v1.13.0" else "fixed-v1.14.0")
    values = build_values(scenario, receiver_url=URL, release_name="bk-test")
    deployment = render_deployment(real_helm, chart, values, tmp_path)
    agent = deployment["spec"]["template"]["spec"]["containers"][0]
    assert agent["livenessProbe"]["failureThreshold"] == 150
    assert agent["livenessProbe"]["periodSeconds"] == 2
    # the chart's own default, to prove the suite's value is what changed it
    plain = render_deployment(real_helm, chart, {}, tmp_path)
    default = plain["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]
    assert (default["failureThreshold"], default["periodSeconds"]) == (35, 2)
