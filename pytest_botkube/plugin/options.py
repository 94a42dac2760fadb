"""The suite's settings as pytest options and ini keys.

Each setting can come from the command line, an environment variable or an ini key in
``[tool.pytest.ini_options]``; the first one set wins, in that order, then the default. The
table and the typed :class:`~pytest_botkube.settings.Settings` are
:mod:`pytest_botkube.settings` (shared with ``botkube-repro run``); only stdlib and pytest are
imported here: ``pytest --help`` must stay fast.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import pytest

from pytest_botkube.settings import OPTIONS, SettingError, Settings, build_settings

__all__ = ["SettingError", "Settings", "add_options", "settings_from_config"]


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("botkube", "BotKube reproduction suite (pytest-botkube)")
    for option in OPTIONS:
        env_note = f" [env {option.env}]" if option.env else ""
        help_text = f"{option.described}{env_note}; ini: {option.ini}"
        if option.kind == "bool":
            group.addoption(
                option.flag, dest=option.dest, action="store_const", const=True, help=help_text
            )
        elif option.kind == "list":
            group.addoption(
                option.flag,
                dest=option.dest,
                action="append",
                default=None,
                metavar=option.metavar,
                help=help_text,
            )
        else:
            group.addoption(
                option.flag,
                dest=option.dest,
                action="store",
                default=None,
                metavar=option.metavar or (option.choices and "|".join(option.choices)) or None,
                help=help_text,
            )
        ini_type: Literal["string", "linelist"] = "linelist" if option.kind == "list" else "string"
        parser.addini(option.ini, help=option.help, type=ini_type)


def settings_from_config(
    config: pytest.Config, environ: Mapping[str, str] | None = None
) -> Settings:
    """Every option resolved: command line and environment relative to the directory pytest
    was started in, ini keys relative to the ini file's directory, path defaults to the
    rootdir. Raises :class:`SettingError` naming the bad one."""
    rootdir = Path(config.rootpath)
    settings = build_settings(
        command_line={o.name: config.getoption(o.dest, default=None) for o in OPTIONS},
        environ=os.environ if environ is None else environ,
        ini={o.name: config.getini(o.ini) for o in OPTIONS},
        invocation_dir=Path(config.invocation_params.dir),
        ini_dir=Path(config.inipath).parent if config.inipath else rootdir,
        default_dir=rootdir,
    )
    if settings.values is not None and not settings.version:
        raise SettingError("--botkube-values needs --botkube-version (e.g. v1.13.0)")
    return settings
