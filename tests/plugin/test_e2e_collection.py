"""The live suite on a machine that cannot run it, and the plugin's import cost, in subprocesses.

These run the real ``tests/e2e`` with a PATH that holds no docker/kind/helm, so the outcome does
not depend on what this machine has installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_botkube.scenario import scenario_names

ROOT = Path(__file__).resolve().parents[2]


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    empty_bin = tmp_path / "empty-bin"
    empty_bin.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTKUBE_")}
    env["PATH"] = str(empty_bin)
    env.update(extra)
    return env


def run_e2e(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests/e2e", "-p", "no:cacheprovider", "-rs", *args],
        cwd=ROOT,
        env=clean_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_scenario_is_collected_and_skipped_naming_docker(tmp_path: Path):
    done = run_e2e(tmp_path, "-v")
    names = scenario_names()
    assert names, "scenarios/ is empty"
    for name in names:
        assert f"test_scenario[{name}] SKIPPED" in done.stdout, done.stdout
    assert f"{len(names)} skipped" in done.stdout
    assert "docker not found on PATH: install Docker (https://docs.docker.com/engine/install/)" in (
        done.stdout
    )
    assert done.returncode == 0


@pytest.mark.parametrize(
    ("args", "env"),
    [(("--botkube-require-cluster",), {}), ((), {"BOTKUBE_REQUIRE_CLUSTER": "1"})],
)
def test_require_cluster_turns_every_skip_into_a_failure(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str]
):
    done = run_e2e(tmp_path, *args, **env)
    names = scenario_names()
    assert done.returncode == 1, done.stdout
    assert f"{len(names)} errors" in done.stdout
    assert "skipped" not in done.stdout.splitlines()[-1]
    assert "--botkube-require-cluster: docker not found on PATH" in done.stdout


def test_scenario_selection_and_unknown_scenario(tmp_path: Path):
    done = run_e2e(tmp_path, "--collect-only", "-q", "--botkube-scenario", "crash-v1.13.0")
    assert "tests/e2e/test_scenarios.py::test_scenario[crash-v1.13.0]" in done.stdout
    assert "1 test collected" in done.stdout
    done = run_e2e(tmp_path, "--collect-only", "-q", "--botkube-scenario", "nope")
    assert done.returncode != 0
    assert "--botkube-scenario: unknown nope (known: " in done.stdout + done.stderr


def test_adhoc_values_file_is_its_own_test(tmp_path: Path):
    values = tmp_path / "report.yaml"
    values.write_text("sources: {}\n", encoding="utf-8")
    done = run_e2e(
        tmp_path,
        "--collect-only",
        "-q",
        "--botkube-values",
        str(values),
        "--botkube-version",
        "1.13.0",
    )
    assert "tests/e2e/test_scenarios.py::test_scenario[adhoc-report]" in done.stdout
    assert "1 test collected" in done.stdout


PROBE = """
import json, sys
import pytest
what = sys.argv[1]
if what == "import":
    import pytest_botkube.plugin  # noqa: F401
else:
    pytest.main(["--help"])
heavy = ["kubernetes", "pytest_botkube.live.kube", "pytest_botkube.plugin.cluster",
         "pytest_botkube.plugin.release",
         "pytest_botkube.live.environment", "pytest_botkube.live.receiver"]
print("LOADED=" + json.dumps([m for m in heavy if m in sys.modules]))
"""


@pytest.mark.parametrize("what", ["import", "help"])
def test_plugin_import_and_help_do_not_load_the_cluster_layer(tmp_path: Path, what: str):
    done = subprocess.run(
        [sys.executable, "-c", PROBE, what],
        cwd=tmp_path,
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("LOADED="))
    assert json.loads(line[len("LOADED=") :]) == []
    if what == "help":
        assert "--botkube-require-cluster" in done.stdout


def test_a_scenario_file_outside_scenarios_dir_is_selectable_by_path(tmp_path: Path):
    mine = tmp_path / "my-report.yaml"
    shipped = (ROOT / "scenarios" / "crash-v1.13.0.yaml").read_text(encoding="utf-8")
    # A scenario's name must match its file name (the loader refuses it otherwise).
    mine.write_text(shipped.replace("name: crash-v1.13.0", "name: my-report"), encoding="utf-8")
    done = run_e2e(tmp_path, "--collect-only", "-q", "--botkube-scenario", str(mine))
    assert "tests/e2e/test_scenarios.py::test_scenario[my-report]" in done.stdout
    assert "1 test collected" in done.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: broken\nexpect: [\n", "broken.yaml:3:1: invalid YAML"),
        ("name: broken\ndescription: x\n", "broken.yaml: <root>: missing required key"),
    ],
)
def test_a_scenario_that_cannot_be_loaded_is_a_usage_error(tmp_path: Path, text: str, message: str):
    scenario = tmp_path / "broken.yaml"
    scenario.write_text(text, encoding="utf-8")
    # No docker on PATH: before, the loading happened in a fixture behind the environment's
    # skip, and the run ended "1 skipped", exit 0. It is checked where the option is parsed.
    done = run_e2e(tmp_path, "--botkube-scenario", str(scenario))
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout
    assert f"--botkube-scenario: {tmp_path}/{message}" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "skipped" not in done.stdout


def test_an_adhoc_values_file_that_cannot_be_loaded_is_a_usage_error(tmp_path: Path):
    values = tmp_path / "values.yaml"
    values.write_text("sources: [\n", encoding="utf-8")
    done = run_e2e(tmp_path, "--botkube-values", str(values), "--botkube-version", "v1.13.0")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout
    assert f"--botkube-values: {values}:2:1: invalid YAML" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--botkube-version", "1.13"), "--botkube-version: unknown BotKube version '1.13'"),
        (("--botkube-health-interval", "0s"), "--botkube-health-interval: '0s': BotKube"),
        (("--botkube-receiver-port", "99999"), "--botkube-receiver-port: 99999: expected a port"),
    ],
)
def test_a_bad_option_is_a_usage_error_not_a_skip(
    tmp_path: Path, args: tuple[str, ...], message: str
):
    done = run_e2e(tmp_path, *args)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    assert message in done.stderr
    assert "skipped" not in done.stdout
