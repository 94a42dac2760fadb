import subprocess
import sys

import pytest

from pytest_botkube.cli import main


def test_unknown_command_is_usage_error(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_console_script_module_runs_version():
    out = subprocess.run(
        [sys.executable, "-m", "pytest_botkube.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.startswith("botkube-repro ")
