"""The doctor command's wiring: registered, cheap to import, bad input before any connection."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_botkube.cli import main


def test_doctor_never_imports_the_kubernetes_client_until_it_connects() -> None:
    code = (
        "import sys\n"
        "from pytest_botkube import cli\nfrom pytest_botkube.doctor import examine, render\n"
        "cli.build_parser()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('kubernetes', 'urllib3')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_missing_kubeconfig_file_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["doctor", "--kubeconfig", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"botkube-repro doctor: error: {missing}: no such kubeconfig file\n"
    )


def test_no_kubeconfig_to_be_found_is_environment_unavailable(tmp_path: Path) -> None:
    """Nothing the user typed is wrong (README doctor, --help: 3), unlike a --kubeconfig that
    names a missing file (2, above)."""
    env = {k: v for k, v in os.environ.items() if k != "KUBERNETES_SERVICE_HOST"}
    env.update(HOME=str(tmp_path), KUBECONFIG="")
    out = subprocess.run(
        [sys.executable, "-m", "pytest_botkube.cli", "doctor"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 3
    assert out.stderr == (
        f"botkube-repro doctor: error: no kubeconfig at {tmp_path}/.kube/config "
        "(pass --kubeconfig, or set KUBECONFIG)\n"
    )
    assert out.stdout == ""


def test_unknown_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["doctor", "--format", "yaml"])
    assert info.value.code == 2
    assert "invalid choice: 'yaml'" in capsys.readouterr().err


def test_kubeconfig_that_is_not_yaml_is_one_line_of_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "kubeconfig"
    broken.write_text("clusters: [\n", encoding="utf-8")
    assert main(["doctor", "--kubeconfig", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"botkube-repro doctor: error: {broken}: not a usable kubeconfig: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err
