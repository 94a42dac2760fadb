"""The scenario matrix: a test that uses ``botkube_scenario`` (or ``botkube_scenario_name``)
and names no scenario with the ``botkube_scenario`` marker runs once per selected scenario:
names from scenarios/, scenario files given by path, ``values:FILE`` for ``--botkube-values``.

The plugin's ``pytest_generate_tests`` calls :func:`parametrize`, so an installed plugin honours
``--botkube-scenario`` in a user's own tests, not only in this repository's tests/e2e.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_botkube.bundled import scenarios_dir
from pytest_botkube.errors import BadInput
from pytest_botkube.plugin.outcomes import fail
from pytest_botkube.scenario import Scenario, adhoc_scenario, find_scenario, scenario_names
from pytest_botkube.settings import Settings

VALUES_PREFIX = "values:"  # a scenario parameter naming a user's values file (ad-hoc run)


def parametrize(metafunc: pytest.Metafunc, settings: Settings) -> None:
    """One call per selected scenario, with the scenario's name as the test id."""
    if "botkube_scenario_name" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("botkube_scenario") is not None:
        return  # a test naming its scenario keeps it
    if _parametrized_by_the_test(metafunc):
        return  # @pytest.mark.parametrize("botkube_scenario_name", [...]) chose its own
    invocation_dir = Path(metafunc.config.invocation_params.dir)
    params = selected_scenarios(settings, invocation_dir)
    metafunc.parametrize("botkube_scenario_name", params, ids=[scenario_id(p) for p in params])


def _parametrized_by_the_test(metafunc: pytest.Metafunc) -> bool:
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0] if marker.args else marker.kwargs.get("argnames", "")
        listed = names.split(",") if isinstance(names, str) else list(names)
        if "botkube_scenario_name" in (name.strip() for name in listed):
            return True
    return False


def selected_scenarios(settings: Settings, invocation_dir: Path) -> list[str]:
    """Scenario parameters for the e2e matrix: names from scenarios/, and ``values:FILE`` for
    ``--botkube-values`` (alone, unless scenarios are also named)."""
    known = scenario_names()
    chosen = [_scenario_ref(name, invocation_dir) for name in settings.scenario or ()]
    unknown = [name for name in chosen if name not in known and not Path(name).is_file()]
    if unknown:
        raise pytest.UsageError(
            f"--botkube-scenario: unknown {', '.join(unknown)} (known: {', '.join(known)})"
        )
    params = chosen or ([] if settings.values is not None else known)
    if settings.values is not None:
        params.append(f"{VALUES_PREFIX}{settings.values}")
    for param in params:
        # Loaded here, at collection: a file that cannot be loaded is a collection error
        # naming it, on any machine, not a skip hidden behind "no Docker".
        load_scenario_param(param, settings)
    return params


def selected_versions(settings: Settings, invocation_dir: Path) -> list[str]:
    """The BotKube versions of the selected scenarios (what the preflight checks)."""
    params = selected_scenarios(settings, invocation_dir)
    return sorted({load_scenario_param(p, settings).botkube_version for p in params})


def _scenario_ref(name: str, invocation_dir: Path) -> str:
    """A scenario name as given, or a scenario file's path made absolute (a file outside
    scenarios/, e.g. one a user wrote for a bug report)."""
    if name.endswith((".yaml", ".yml")) or "/" in name:
        path = Path(name)
        return str(path if path.is_absolute() else invocation_dir / path)
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
