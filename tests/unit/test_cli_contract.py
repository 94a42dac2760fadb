"""What every botkube-repro command promises: its status survives a closed pipe, its --help
states the statuses it can return, no flag swallows a positional argument, options are
checked before the environment is touched, and a pytest option is a usage error, not a skip."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_botkube.cli import _commands, build_parser, main
from pytest_botkube.errors import EXIT_CODES

ROOT = Path(__file__).resolve().parents[2]
CRASH = ROOT / "scenarios" / "crash-v1.13.0.yaml"


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_exit_status_survives_a_reader_that_closed_the_pipe():
    """`botkube-repro lint crash.yaml | head -1`: the reader is gone before lint writes; the
    predicted crash must still be exit 1 (it was 0: BrokenPipeError was answered with OK)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_botkube.cli", "lint", str(CRASH)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.close()  # before the interpreter has even started
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert err == b""  # no "Exception ignored ... BrokenPipeError" at exit


def _listed_statuses(help_text: str) -> set[int]:
    block = help_text.split("exit status:\n", 1)[1]
    return {int(m) for m in re.findall(r"^  (\d+) ", block, flags=re.MULTILINE)}


def test_every_command_help_lists_exactly_the_statuses_it_can_return():
    parsers = _subcommands()
    commands = _commands()
    assert set(parsers) == set(commands)
    for name, parser in parsers.items():
        listed = _listed_statuses(parser.format_help())
        assert listed == set(commands[name].EXIT_CODES) | {2, 130}, name
        assert 0 in listed, name
    assert _listed_statuses(build_parser().format_help()) == {int(c) for c in EXIT_CODES}


@pytest.mark.parametrize(
    ("command", "never"),
    [("diagnose", {3}), ("lint", {3}), ("values", {1, 3}), ("receive", {1})],
)
def test_offline_commands_do_not_list_statuses_they_never_return(command, never):
    """diagnose, lint and values touch no network, cluster or tool, so 3 (environment
    unavailable) is not theirs; values prints and judges nothing, so 1 is not either."""
    assert not _listed_statuses(_subcommands()[command].format_help()) & never


def test_no_flag_can_swallow_a_positional_argument():
    for name, parser in _subcommands().items():
        if not any(not a.option_strings for a in parser._actions):
            continue
        greedy = [
            a.option_strings[0]
            for a in parser._actions
            if a.option_strings and a.nargs in ("+", "*", argparse.REMAINDER)
        ]
        assert greedy == [], f"{name}: {greedy} would take the positional argument after them"


def test_run_takes_the_file_after_its_version_flags():
    args = build_parser().parse_args(
        ["run", "--botkube-version", "v1.13.0", "--compare", "v1.14.0", "report.yaml"]
    )
    assert args.target == "report.yaml"
    assert args.botkube_version == ["v1.13.0"]
    assert args.compare == ["v1.14.0"]


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--health-interval", "0s"], {}, "--health-interval: '0s': BotKube replaces values"),
        (["--health-interval", "soon"], {}, "--health-interval: 'soon': expected a Go duration"),
        ([], {"BOTKUBE_HEALTH_INTERVAL": "500ms"}, "environment variable BOTKUBE_HEALTH_INTERVAL"),
        (["--receiver-port", "70000"], {}, "--receiver-port: 70000: expected a port number"),
        (["--image", "ghcr.io/x/botkube@sha256:" + "0" * 64], {}, "--image: "),
        (["--keep", "sometimes"], {}, "--keep: expected one of never, on-failure, always"),
        (["--quiet-window", "nan"], {}, "--quiet-window: must be >= 0"),
        (["--botkube-version", "1.13"], {}, "unknown BotKube version '1.13'"),
    ],
)
def test_run_checks_every_option_before_the_environment(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    env: dict[str, str],
    message: str,
):
    """No Docker here (PATH is empty): an option checked after the environment was exit 3."""
    monkeypatch.setenv("PATH", str(tmp_path))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    values = tmp_path / "values.yaml"
    values.write_text("sources: {}\n", encoding="utf-8")
    target = [str(values)] if "--botkube-version" in argv else ["crash-v1.13.0"]
    code = main(["run", *target, "--no-download", *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err
    assert len(err.splitlines()) == 1
    assert "--botkube-health" not in err  # run's spelling of its flags


@pytest.mark.parametrize(
    ("command", "argv", "message"),
    [
        ("values", ["crash-v1.13.0", "--health-check-interval", "0s"], "use 1s or more"),
        ("lint", [str(CRASH), "--botkube-version", "1.13"], "unknown BotKube version '1.13'"),
        ("lint", [str(CRASH), "--kubernetes-version", "two"], "two"),
        ("diagnose", ["-", "--format", "yaml"], "invalid choice: 'yaml'"),
    ],
)
def test_other_commands_refuse_bad_options_with_status_2(
    capsys: pytest.CaptureFixture[str], command: str, argv: list[str], message: str
):
    try:
        code = main([command, *argv])
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err
