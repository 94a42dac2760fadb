"""The e2e matrix: which scenarios the ``botkube_scenario_name`` parameter takes (names from
scenarios/, scenario files given by path, ``values:FILE`` for ``--botkube-values``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_botkube.bundled import scenarios_dir
from pytest_botkube.errors import BadInput
from pytest_botkube.plugin.options import Settings
from pytest_botkube.plugin.outcomes import fail
from pytest_botkube.scenario import Scenario, adhoc_scenario, find_scenario, scenario_names

VALUES_PREFIX = "values:"  # a scenario parameter naming a user's values file (ad-hoc run)


def selected_scenarios(settings: Settings) -> list[str]:
    """Scenario parameters for the e2e matrix: names from scenarios/, and ``values:FILE`` for
    ``--botkube-values`` (alone, unless scenarios are also named)."""
    known = scenario_names()
    chosen = [_scenario_ref(name, settings) for name in settings.scenario or ()]
    unknown = [name for name in chosen if name not in known and not Path(name).is_file()]
    if unknown:
        raise pytest.UsageError(
            f"--botkube-scenario: unknown {', '.join(unknown)} (known: {', '.join(known)})"
        )
    params = chosen or ([] if settings.values is not None else known)
    if settings.values is not None:
        params.append(f"{VALUES_PREFIX}{settings.path('values')}")
    for param in params:
        # Loaded here, at collection: a file that cannot be loaded is a collection error
        # naming it, on any machine, not a skip hidden behind "no Docker".
        load_scenario_param(param, settings)
    return params


def _scenario_ref(name: str, settings: Settings) -> str:
    """A scenario name as given, or a scenario file's path made absolute (a file outside
    scenarios/, e.g. one a user wrote for a bug report)."""
    if name.endswith((".yaml", ".yml")) or "/" in name:
        path = Path(name)
        return str(path if path.is_absolute() else settings.invocation_dir / path)
    return name


def scenario_id(param: str) -> str:
    if param.startswith(VALUES_PREFIX):
        return f"adhoc-{Path(param[len(VALUES_PREFIX) :]).stem}"
    if param.endswith((".yaml", ".yml")):
        return Path(param).stem
    return param


def load_scenario_param(param: str, settings: Settings) -> Scenario:
    try:
        if param.startswith(VALUES_PREFIX):
            return adhoc_scenario(param[len(VALUES_PREFIX) :], str(settings.version))
        return find_scenario(param, scenarios_dir())
    except BadInput as exc:
        fail(str(exc))
