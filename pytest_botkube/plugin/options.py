"""The suite's settings: one table of ``--botkube-*`` options, their ini keys and env variables.

Each setting can come from the command line, an environment variable or an ini key in
``[tool.pytest.ini_options]``; the first one set wins, in that order, then the default. The
table itself is :mod:`pytest_botkube.settings` (shared with ``botkube-repro run``); only
stdlib and pytest are imported here: ``pytest --help`` must stay fast.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from pytest_botkube.settings import BY_NAME, OPTIONS, Option, SettingError, convert, given

__all__ = [
    "BY_NAME",
    "OPTIONS",
    "Option",
    "SettingError",
    "Settings",
    "add_options",
    "convert",
    "resolve",
    "settings_from_config",
]


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("botkube", "BotKube reproduction suite (pytest-botkube)")
    for option in OPTIONS:
        env_note = f" [env {option.env}]" if option.env else ""
        default_note = f" (default {option.default})" if option.default not in (None, "") else ""
        help_text = f"{option.help}{default_note}{env_note}; ini: {option.ini}"
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


def _anchored(value: Any, base: Path) -> Any:
    """A relative path setting is relative to where it was written down."""
    if isinstance(value, Path) and not value.is_absolute():
        return base / value
    return value


def resolve(option: Option, config: pytest.Config, environ: Mapping[str, str]) -> Any:
    """Command line, then environment (both relative to the directory pytest was started in),
    then ini key (relative to the ini file's directory), then the default (rootdir)."""
    invoked = Path(config.invocation_params.dir)
    found = given(option, config.getoption(option.dest, default=None), option.flag, environ)
    if found is not None:
        return _anchored(convert(option, *found), invoked)
    ini = config.getini(option.ini)
    if ini not in (None, "", []):
        base = Path(config.inipath).parent if config.inipath else Path(config.rootpath)
        return _anchored(convert(option, ini, f"ini key {option.ini}"), base)
    if option.kind == "path" and option.default is not None:
        return Path(config.rootpath) / option.default
    return option.default


@dataclass(frozen=True)
class Settings:
    """Every setting, resolved, by name: ``settings.cluster_mode``, ``settings.values`` ..."""

    resolved: Mapping[str, Any]
    rootdir: Path
    invocation_dir: Path = Path()

    def __getattr__(self, name: str) -> Any:
        try:
            return self.resolved[name]
        except KeyError:
            raise AttributeError(name) from None

    def path(self, name: str) -> Path | None:
        """A path setting (already absolute, see :func:`resolve`); relative ones, which only a
        hand-made Settings holds, are taken from the rootdir."""
        value = self.resolved.get(name)
        if value is None:
            return None
        path = Path(value)
        return path if path.is_absolute() else self.rootdir / path


def settings_from_config(
    config: pytest.Config, environ: Mapping[str, str] | None = None
) -> Settings:
    """Resolve every option; raise :class:`SettingError` naming the bad one."""
    env = os.environ if environ is None else environ
    values = {option.name: resolve(option, config, env) for option in OPTIONS}
    if values["values"] is not None and not values["version"]:
        raise SettingError("--botkube-values needs --botkube-version (e.g. v1.13.0)")
    return Settings(
        resolved=values,
        rootdir=Path(str(config.rootpath)),
        invocation_dir=Path(config.invocation_params.dir),
    )
