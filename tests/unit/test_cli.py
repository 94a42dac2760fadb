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


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "crash-v1.13.0", "--kind", "/nonexistent/kind"], "--kind: '/nonexistent/kind'"),
        (["run", "crash-v1.13.0", "--helm", "/nonexistent/helm", "--plan"], "--helm: "),
        (
            ["mirror", "{tmp}/m", "--botkube-version", "v1.13.0", "--docker", "/no/docker"],
            "--docker",
        ),
    ],
)
def test_a_typed_tool_path_that_is_not_there_is_bad_input(
    argv: list[str], message: str, tmp_path, capsys: pytest.CaptureFixture[str]
):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 2  # like doctor --kubeconfig /nonexistent, not "environment" (3)
    err = capsys.readouterr().err
    assert message in err
    assert "does not exist" in err
    assert not (tmp_path / "m").exists()


def test_a_tool_path_is_checked_wherever_it_came_from(tmp_path) -> None:
    from pytest_botkube.settings import SettingError, build_settings

    plain = tmp_path / "helm"
    plain.write_text("", encoding="utf-8")  # there, but not executable
    with pytest.raises(SettingError, match=r"environment variable BOTKUBE_HELM: .* not executable"):
        build_settings(
            command_line={}, environ={"BOTKUBE_HELM": str(plain)}, invocation_dir=tmp_path
        )
    settings = build_settings(  # a bare name is PATH's to resolve when the run starts
        command_line={"kind": "kind-0.29"}, environ={}, invocation_dir=tmp_path
    )
    assert settings.kind == "kind-0.29"
