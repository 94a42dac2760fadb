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
    assert set(triggers) == {"workflow_dispatch", "pull_request", "push"}
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
    uses_lines = [line.strip() for line in TEXT.splitlines() if "uses:" in line]
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


def test_e2e_step_uses_the_nox_session_and_real_plugin_options() -> None:
    (live,) = [s for s in JOBS["e2e"]["steps"] if s.get("name") == "live run of the scenario"]
    argv = live["run"].split()
    assert argv[:4] == ["nox", "-s", "e2e", "--"]
    flags = {a for a in argv if a.startswith("--botkube-")}
    known = {option.flag for option in OPTIONS}
    assert flags == {"--botkube-require-cluster", "--botkube-scenario", "--botkube-artifacts"}
    assert flags <= known
    assert argv[argv.index("--botkube-scenario") + 1] == '"$SCENARIO"'
    assert argv[argv.index("--botkube-artifacts") + 1] == '"$ARTIFACTS"'
    env = JOBS["e2e"]["env"]
    assert env["SCENARIO"] == "${{ matrix.scenario }}"  # via env, never pasted into the script
    assert "${{" not in live["run"]
    noxfile = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    assert "e2e" in {n.name for n in noxfile.body if isinstance(n, ast.FunctionDef)}


def test_artifacts_are_uploaded_even_on_failure() -> None:
    (upload,) = [s for s in JOBS["e2e"]["steps"] if "upload-artifact" in s.get("uses", "")]
    assert upload["if"] == "${{ always() }}"
    assert upload["with"]["path"] == "${{ env.ARTIFACTS }}"
    assert "${{ matrix.scenario }}" in upload["with"]["name"]
