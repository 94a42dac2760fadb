"""The one typed Settings: built from the one table, one precedence, importable without pytest."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_botkube.settings import (
    BY_NAME,
    DEFAULTS,
    OPTIONS,
    SettingError,
    Settings,
    build_settings,
    cli_flag,
    turned_on_by,
)


@pytest.mark.parametrize(
    ("environ", "said"),
    [
        ({"BOTKUBE_NO_PREFLIGHT": "1"}, "BOTKUBE_NO_PREFLIGHT=1"),
        ({"BOTKUBE_NO_PREFLIGHT": "yes"}, "BOTKUBE_NO_PREFLIGHT=yes"),
        ({"BOTKUBE_NO_PREFLIGHT": "0"}, "--botkube-no-preflight"),  # it said no: the flag did
        ({"BOTKUBE_NO_PREFLIGHT": ""}, "--botkube-no-preflight"),
        ({}, "--botkube-no-preflight"),
    ],
)
def test_a_message_names_what_turned_a_setting_on(environ: dict[str, str], said: str):
    assert turned_on_by("no_preflight", environ) == said


def test_one_typed_field_per_table_row_and_frozen():
    assert [f.name for f in dataclasses.fields(Settings)] == [o.name for o in OPTIONS]
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULTS.quiet_window = 1.0  # type: ignore[misc]


def test_defaults_are_the_tables_in_their_types():
    assert DEFAULTS.quiet_window == BY_NAME["quiet_window"].default == 20.0
    assert isinstance(DEFAULTS.quiet_window, float)
    assert DEFAULTS.restart_threshold == 3
    assert isinstance(DEFAULTS.restart_threshold, int)
    assert DEFAULTS.artifacts == Path("botkube-artifacts")
    assert DEFAULTS.scenario is None
    assert DEFAULTS.require_cluster is False
    assert Settings.defaults(quiet_window=5.0).quiet_window == 5.0
    with pytest.raises(TypeError, match="unknown setting"):
        Settings.defaults(quiet_windw=5.0)


def test_command_line_beats_environment_beats_ini_beats_default(tmp_path: Path):
    settings = build_settings(
        command_line={"keep": "always", "kubeconfig": "cfg"},
        environ={"BOTKUBE_KEEP": "on-failure", "BOTKUBE_CLUSTER_NAME": "from-env"},
        ini={"keep": "never", "cluster_name": "from-ini", "quiet_window": "7", "values": "v.yaml"},
        invocation_dir=tmp_path / "cwd",
        ini_dir=tmp_path / "ini",
        default_dir=tmp_path / "root",
    )
    assert settings.keep == "always"
    assert settings.cluster_name == "from-env"
    assert settings.quiet_window == 7.0
    assert settings.kubeconfig == tmp_path / "cwd" / "cfg"  # where it was written down
    assert settings.values == tmp_path / "ini" / "v.yaml"
    assert settings.artifacts == tmp_path / "root" / "botkube-artifacts"
    assert settings.event_timeout == DEFAULTS.event_timeout


def test_an_empty_environment_variable_is_unset(tmp_path: Path):
    settings = build_settings(
        command_line={}, environ={"BOTKUBE_KEEP": ""}, invocation_dir=tmp_path
    )
    assert settings.keep == DEFAULTS.keep


@pytest.mark.parametrize(
    ("command_line", "environ", "spell", "message"),
    [
        ({"keep": "sometimes"}, {}, cli_flag, "--keep: expected one of never, on-failure, always"),
        ({"quiet_window": "-1"}, {}, lambda o: o.flag, "--botkube-quiet-window: must be >= 0"),
        (
            {},
            {"BOTKUBE_RECEIVER_PORT": "x"},
            cli_flag,
            "environment variable BOTKUBE_RECEIVER_PORT",
        ),
    ],
)
def test_a_bad_value_names_where_it_came_from(tmp_path, command_line, environ, spell, message):
    with pytest.raises(SettingError, match=message):
        build_settings(
            command_line=command_line, environ=environ, spell=spell, invocation_dir=tmp_path
        )


def test_only_the_options_asked_for_are_resolved(tmp_path: Path):
    """``botkube-repro run`` does not offer the pytest-only settings: their environment
    variables are not read (a stale BOTKUBE_VALUES must not break a run)."""
    settings = build_settings(
        command_line={},
        environ={"BOTKUBE_VALUES": "x.yaml", "BOTKUBE_KEEP": "always"},
        invocation_dir=tmp_path,
        options=[BY_NAME["keep"]],
    )
    assert settings.values is None
    assert settings.keep == "always"


def test_settings_import_without_pytest():
    code = (
        "import sys\nimport pytest_botkube.settings\n"
        "print(sorted(m for m in sys.modules if m == 'pytest' or m.startswith('_pytest')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
