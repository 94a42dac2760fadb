"""The GitHub e2e workflow cannot run here; check its shape, its pins and its matrix script."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_botkube.scenario import scenario_names
from pytest_botkube.settings import OPTIONS

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "e2e.yml"
TEXT = WORKFLOW.read_text(encoding="utf-8")
DOC: dict[Any, Any] = yaml.safe_load(TEXT)
JOBS: dict[str, Any] = DOC["jobs"]


def _steps() -> list[tuple[str, dict[str, Any]]]:
    return [(name, step) for name, job in JOBS.items() for step in job["steps"]]


def test_triggers_permissions_and_jobs() -> None:
    triggers = DOC.get("on", DOC.get(True))  # YAML 1.1 reads a bare `on` key as True
    assert set(triggers) == {"workflow_dispatch", "workflow_call", "pull_request", "push"}
    assert DOC["permissions"] == {"contents": "read"}
    assert set(JOBS) == {"scenarios", "e2e"}
    for job in JOBS.values():
        assert job["runs-on"].startswith("ubuntu-")
        assert isinstance(job["timeout-minutes"], int)


@pytest.mark.parametrize(("job", "step"), _steps(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_step_either_uses_or_runs(job: str, step: dict[str, Any]) -> None:
    assert ("uses" in step) != ("run" in step), f"{job}: {step}"
    assert set(step) <= {"id", "name", "uses", "run", "with", "if", "env"}


def test_every_action_is_pinned_to_a_full_sha_with_its_tag() -> None:
    uses_lines = [line.strip() for line in TEXT.splitlines()
                  if "uses:" in line and not line.lstrip().startswith("#")]  # fmt: skip
    assert len(uses_lines) == 4
    for line in uses_lines:
        assert re.fullmatch(r"(- )?uses: [a-z-]+/[a-z-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line), line
    shas = {line.split("@")[1].split()[0] for line in uses_lines}
    assert len(shas) == 3  # checkout twice, setup-python, upload-artifact


def test_matrix_comes_from_the_scenarios_job() -> None:
    e2e = JOBS["e2e"]
    assert e2e["needs"] == "scenarios"
    assert e2e["strategy"]["fail-fast"] is False
    assert e2e["strategy"]["matrix"]["scenario"] == "${{ fromJSON(needs.scenarios.outputs.names) }}"
    assert JOBS["scenarios"]["outputs"]["names"] == "${{ steps.list.outputs.names }}"
    assert [s.get("id") for s in JOBS["scenarios"]["steps"]] == [None, "list"]


def _matrix(tmp_path: Path, only: str = "") -> subprocess.CompletedProcess[str]:
    run = JOBS["scenarios"]["steps"][1]["run"]
    script = run.split("<<'PY'\n", 1)[1].rsplit("PY", 1)[0]
    env = {**os.environ, "GITHUB_OUTPUT": str(tmp_path / "github_output"), "ONLY": only}
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, timeout=30,
                          capture_output=True, text=True, check=False)  # fmt: skip


def test_the_scenarios_input_narrows_the_matrix_and_refuses_unknown_names(tmp_path: Path) -> None:
    done = _matrix(tmp_path, " crash-v1.13.0, fixed-v1.14.0 ")
    assert done.returncode == 0, done.stderr
    value = (tmp_path / "github_output").read_text(encoding="utf-8").strip().partition("=")[2]
    assert yaml.safe_load(value) == ["crash-v1.13.0", "fixed-v1.14.0"]
    bad = _matrix(tmp_path / "x", "crash-v1.13.0,nope")
    assert bad.returncode != 0
    assert "unknown scenarios: nope" in bad.stderr


def test_matrix_script_lists_exactly_the_project_scenarios(tmp_path: Path) -> None:
    run = JOBS["scenarios"]["steps"][1]["run"]
    script = run.split("<<'PY'\n", 1)[1].rsplit("PY", 1)[0]
    output = tmp_path / "github_output"
    env = {**os.environ, "GITHUB_OUTPUT": str(output)}
    subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=30,
        capture_output=True,
    )
    key, _, value = output.read_text(encoding="utf-8").strip().partition("=")
    assert key == "names"
    names = yaml.safe_load(value)
    assert names == scenario_names(ROOT / "scenarios")
    assert len(names) >= 1


def _step(name: str) -> dict[str, Any]:
    (step,) = [s for s in JOBS["e2e"]["steps"] if s.get("name") == name]
    return step


def _nox_argv() -> list[str]:
    (line,) = [ln for ln in _step("live run of the scenario")["run"].splitlines()
               if ln.startswith("nox ")]  # fmt: skip
    return line.split()


def test_e2e_step_uses_the_nox_session_and_real_plugin_options() -> None:
    live = _step("live run of the scenario")
    argv = _nox_argv()
    assert argv[:4] == ["nox", "-s", "e2e", "--"]
    flags = set(re.findall(r"--botkube-[a-z-]+", live["run"]))
    known = {option.flag for option in OPTIONS}
    assert flags == {"--botkube-require-cluster", "--botkube-scenario", "--botkube-artifacts",
                     "--botkube-step-summary", "--botkube-image", "--botkube-chart"}  # fmt: skip
    assert flags <= known
    assert argv[argv.index("--botkube-scenario") + 1] == '"$SCENARIO"'
    assert argv[argv.index("--botkube-artifacts") + 1] == '"$ARTIFACTS"'
    assert argv[argv.index("--botkube-step-summary") + 1] == '"$GITHUB_STEP_SUMMARY"'
    assert argv[-1] == '"${extra[@]}"'  # --botkube-image/--botkube-chart only when given
    env = JOBS["e2e"]["env"]
    assert env["SCENARIO"] == "${{ matrix.scenario }}"  # via env, never pasted into the script
    assert env["BOTKUBE_IMAGE"] == "${{ inputs.botkube-image }}"
    for _, step in _steps():
        assert "${{" not in step.get("run", ""), step  # inputs reach scripts through env only
    noxfile = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    assert "e2e" in {n.name for n in noxfile.body if isinstance(n, ast.FunctionDef)}


def test_the_pinned_tools_are_the_suites_pins_checked_and_first_on_path() -> None:
    from pytest_botkube.live.tools import HELM_SHA256, HELM_VERSION, KIND_SHA256, KIND_VERSION

    env = JOBS["e2e"]["env"]
    assert (env["KIND_VERSION"], env["KIND_SHA256"]) == (
        KIND_VERSION,
        KIND_SHA256["linux", "amd64"],
    )
    assert (env["HELM_VERSION"], env["HELM_SHA256"]) == (
        HELM_VERSION,
        HELM_SHA256["linux", "amd64"],
    )
    script = _step("pinned kind and helm, first on PATH")["run"]
    assert script.count("sha256sum --check --strict") == 2
    assert 'echo "$bin" >> "$GITHUB_PATH"' in script.splitlines()[-1]
    names = [s.get("name") for s in JOBS["e2e"]["steps"]]
    assert names.index("pinned kind and helm, first on PATH") < names.index(
        "live run of the scenario"
    )
    assert "kind version" in _step("the tools that run")["run"]
    assert JOBS["e2e"]["runs-on"] == "ubuntu-24.04"  # an amd64 runner: the pins are amd64's


def test_a_download_with_another_digest_stops_the_job(tmp_path: Path) -> None:
    """The install step as bash runs it, with a curl that serves other bytes: sha256sum
    refuses them and nothing is put on PATH."""
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    curl = bindir / "curl"
    curl.write_text('#!/bin/sh\nwhile [ "$1" != "-o" ]; do shift; done\n'
                    'printf "not kind" > "$2"\n', encoding="utf-8")  # fmt: skip
    curl.chmod(0o755)
    github_path = tmp_path / "github_path"
    env = {**os.environ, **{k: str(v) for k, v in JOBS["e2e"]["env"].items()
                            if not str(v).startswith("${{")},
           "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", "RUNNER_TEMP": str(tmp_path),
           "GITHUB_PATH": str(github_path)}  # fmt: skip
    script = _step("pinned kind and helm, first on PATH")["run"]
    done = subprocess.run(["bash", "-e", "-c", script], env=env, capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode != 0
    assert "FAILED" in done.stdout + done.stderr
    assert not github_path.exists()


def test_reusable_and_manual_inputs_agree() -> None:
    triggers = DOC.get("on", DOC.get(True))
    called = triggers["workflow_call"]["inputs"]
    manual = triggers["workflow_dispatch"]["inputs"]
    assert set(called) == set(manual) | {"suite-repository", "suite-ref"}
    for name, spec in manual.items():
        assert spec == called[name], name
    for name in ("botkube-image", "botkube-chart", "scenarios"):
        assert called[name]["required"] is False
    for job in JOBS.values():
        checkout = job["steps"][0]
        assert (
            checkout["with"]["repository"] == "${{ inputs.suite-repository || github.repository }}"
        )
        assert checkout["with"]["ref"] == "${{ inputs.suite-ref }}"
    assert _step("pull the candidate image")["if"] == "${{ inputs.botkube-image != '' }}"


def test_artifacts_are_uploaded_even_on_failure() -> None:
    (upload,) = [s for s in JOBS["e2e"]["steps"] if "upload-artifact" in s.get("uses", "")]
    assert upload["if"] == "${{ always() }}"
    assert upload["with"]["path"] == "${{ env.ARTIFACTS }}"
    assert "${{ matrix.scenario }}" in upload["with"]["name"]
