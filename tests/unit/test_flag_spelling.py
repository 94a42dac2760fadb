"""One setting, one name in every command (review-1, issue-9 finding 4): the spelling of a
setting that several commands take comes from the settings table, as ``botkube-repro run``
spells it (pytest: ``--botkube-`` in front), and every help line states its default once."""

from __future__ import annotations

import argparse
import re

import pytest
import yaml

from pytest_botkube.cli import build_parser, main, values
from pytest_botkube.settings import BY_NAME, OPTIONS, cli_flag


def _help_of(command: str) -> str:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return " ".join(sub.choices[command].format_help().split())  # argparse's wrapping undone


def _flags_of(command: str) -> set[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {
        flag
        for action in sub.choices[command]._actions
        if action.help != argparse.SUPPRESS
        for flag in action.option_strings
    }


@pytest.mark.parametrize("name", values.SETTINGS)
def test_values_and_run_spell_a_setting_alike(name: str):
    flag = cli_flag(BY_NAME[name])
    assert flag in _flags_of("values")
    assert flag in _flags_of("run")


def test_mirror_spells_the_plugin_index_as_run_does():
    assert "--plugin-index" in _flags_of("mirror")
    shown = _flags_of("values") | _flags_of("mirror")
    assert not shown & {"--health-check-interval", "--plugin-index-url"}


@pytest.mark.parametrize("command", ["values", "run", "mirror"])
def test_every_flag_of_a_command_has_help(command: str):
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    bare = [a.option_strings for a in sub.choices[command]._actions
            if a.option_strings and not a.help]  # fmt: skip
    assert bare == []


@pytest.mark.parametrize("command", ["values", "run"])
def test_a_help_line_states_its_default_once(command: str):
    text = _help_of(command)
    assert not re.search(r"\(default[^)]*\)\s*\(default", text), text
    assert "(default 0)" in _help_of("run")  # --receiver-port still says it


def test_the_table_help_never_states_the_default_itself():
    """The front-ends append "(default X)" (Option.described); a row saying it too doubled it."""
    for option in OPTIONS:
        if option.default not in (None, ""):
            assert "default" not in option.help, option.name


def test_values_takes_runs_spelling_and_the_old_one(capsys: pytest.CaptureFixture[str]):
    argv = ["values", "crash-v1.13.0", "--health-interval", "5s", "--restart-threshold", "1"]
    assert main([*argv, "--plugin-index", "http://10.0.0.1/i.yaml", "--cluster-name", "c9"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["plugins"]["healthCheckInterval"] == "5s"
    assert printed["plugins"]["restartPolicy"]["threshold"] == 1
    assert printed["plugins"]["repositories"]["botkube"]["url"] == "http://10.0.0.1/i.yaml"
    assert printed["settings"]["clusterName"] == "c9"
    old = ["values", "crash-v1.13.0", "--health-check-interval", "7s"]
    assert main([*old, "--plugin-index-url", "http://10.0.0.1/j.yaml"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["plugins"]["healthCheckInterval"] == "7s"
    assert printed["plugins"]["repositories"]["botkube"]["url"] == "http://10.0.0.1/j.yaml"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--health-interval", "100ms"], "--health-interval: '100ms': BotKube replaces"),
        (["--health-check-interval", "0s"], "--health-interval: '0s': BotKube replaces"),
        (["--restart-threshold", "many"], "--restart-threshold: "),
    ],
)
def test_a_bad_value_names_the_flag(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
):
    assert main(["values", "crash-v1.13.0", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert len(err.splitlines()) == 1
