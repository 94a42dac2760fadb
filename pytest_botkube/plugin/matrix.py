"""The scenario matrix: a test that uses ``botkube_scenario`` (or ``botkube_scenario_name``)
and names no scenario with the ``botkube_scenario`` marker runs once per selected scenario:
names from scenarios/, scenario files given by path, ``values:FILE`` for ``--botkube-values``.

The plugin's ``pytest_generate_tests`` calls :func:`parametrize`, so an installed plugin honours
``--botkube-scenario`` in a user's own tests, not only in this repository's tests/e2e.

Everything a user names is loaded before a test runs, so a typo or a broken file is an error on
any machine, never a skip behind "no Docker": ``--botkube-scenario`` / ``--botkube-values`` at
``pytest_configure`` (:func:`check_selection`, a usage error naming the option), the
``botkube_scenario`` marker at collection (:func:`check_marker`, a collection error naming the
test and the marker).
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
MARKER = "botkube_scenario"
#: The selection made by --botkube-scenario / --botkube-values, checked at configure.
SELECTED_KEY = pytest.StashKey[list[str]]()


def parametrize(metafunc: pytest.Metafunc, settings: Settings) -> None:
    """One call per selected scenario, with the scenario's name as the test id."""
    if metafunc.definition.get_closest_marker(MARKER) is not None:
        check_marker(metafunc, settings)
        return  # a test naming its scenario keeps it
    if "botkube_scenario_name" not in metafunc.fixturenames:
        return
    if _parametrized_by_the_test(metafunc):
        return  # @pytest.mark.parametrize("botkube_scenario_name", [...]) chose its own
    params = metafunc.config.stash.get(SELECTED_KEY, None)
    if params is None:  # no option given: every bundled scenario, loaded now
        invocation_dir = Path(metafunc.config.invocation_params.dir)
        try:
            params = selected_scenarios(settings, invocation_dir)
        except BadInput as exc:
            fail(str(exc))
    metafunc.parametrize("botkube_scenario_name", params, ids=[scenario_id(p) for p in params])


def _parametrized_by_the_test(metafunc: pytest.Metafunc) -> bool:
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0] if marker.args else marker.kwargs.get("argnames", "")
        listed = names.split(",") if isinstance(names, str) else list(names)
        if "botkube_scenario_name" in (name.strip() for name in listed):
            return True
    return False


def check_selection(config: pytest.Config, settings: Settings) -> None:
    """``--botkube-scenario`` / ``--botkube-values`` checked where they are parsed: every named
    scenario exists and every file loads, or a usage error naming the option and the file. Also
    in a project whose tests never use a scenario (there the options would otherwise be ignored
    silently). Nothing is loaded when neither option is given (``pytest --help`` stays cheap)."""
    if not settings.scenario and settings.values is None:
        return
    try:
        config.stash[SELECTED_KEY] = selected_scenarios(
            settings, Path(config.invocation_params.dir)
        )
    except BadInput as exc:
        raise pytest.UsageError(str(exc)) from None


def selected_scenarios(settings: Settings, invocation_dir: Path) -> list[str]:
    """Scenario parameters for the e2e matrix: names from scenarios/, and ``values:FILE`` for
    ``--botkube-values`` (alone, unless scenarios are also named), each loaded (a file that
    cannot be loaded is an error naming it). Raises :class:`BadInput` naming the option."""
    known = scenario_names()
    chosen = [_scenario_ref(name, invocation_dir) for name in settings.scenario or ()]
    unknown = [name for name in chosen if name not in known and not _is_path(name)]
    if unknown:
        raise BadInput(
            f"--botkube-scenario: unknown {', '.join(unknown)} (known: {', '.join(known)})"
        )
    params = chosen or ([] if settings.values is not None else known)
    if settings.values is not None:
        params.append(f"{VALUES_PREFIX}{settings.values}")
    for param in params:
        if param.startswith(VALUES_PREFIX):
            option = "--botkube-values: "
        else:
            option = "--botkube-scenario: " if chosen else ""  # else: a bundled scenario
        try:
            _load(param, settings)
        except BadInput as exc:
            raise BadInput(f"{option}{exc}") from None
    return params


def selected_versions(settings: Settings, invocation_dir: Path) -> list[str]:
    """The BotKube versions of the selected scenarios (what the preflight checks)."""
    try:
        params = selected_scenarios(settings, invocation_dir)
    except BadInput as exc:
        fail(str(exc))
    return sorted({load_scenario_param(p, settings).botkube_version for p in params})


def marker_scenario(marker: pytest.Mark) -> str:
    """The scenario a ``botkube_scenario`` marker names: one name (or file path), positional or
    ``name=``. Raises :class:`BadInput` saying what the marker needs."""
    args = [*marker.args, *([marker.kwargs["name"]] if "name" in marker.kwargs else [])]
    extra = sorted(set(marker.kwargs) - {"name"})
    if len(args) != 1 or extra or not isinstance(args[0], str) or not args[0]:
        raise BadInput(
            "needs exactly one scenario name, e.g. @pytest.mark.botkube_scenario('crash-v1.13.0')"
        )
    return args[0]


def scenario_of_marker(marker: pytest.Mark) -> str:
    """:func:`marker_scenario` for the fixture: a failure instead of :class:`BadInput`."""
    try:
        return marker_scenario(marker)
    except BadInput as exc:
        fail(f"@pytest.mark.{MARKER}: {exc}")


def check_marker(metafunc: pytest.Metafunc, settings: Settings) -> None:
    """A ``botkube_scenario`` marker's scenario loaded at collection: a marker without a name, an
    unknown name or a broken file is a collection error naming the test and the marker, on any
    machine (in a fixture it would come after the environment's skip)."""
    marker = metafunc.definition.get_closest_marker(MARKER)
    if marker is None:
        return
    try:
        _load(marker_scenario(marker), settings)
    except BadInput as exc:
        shown = ", ".join(
            [*map(repr, marker.args), *(f"{k}={v!r}" for k, v in marker.kwargs.items())]
        )
        fail(f"{metafunc.definition.nodeid}: @pytest.mark.{MARKER}({shown}): {exc}")


def _is_path(ref: str) -> bool:
    return Path(ref).is_file() or ref.endswith((".yaml", ".yml")) or "/" in ref


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


def _load(param: str, settings: Settings) -> Scenario:
    if param.startswith(VALUES_PREFIX):
        return adhoc_scenario(param[len(VALUES_PREFIX) :], str(settings.version))
    return find_scenario(param, scenarios_dir())


def load_scenario_param(param: str, settings: Settings) -> Scenario:
    try:
        return _load(param, settings)
    except BadInput as exc:
        fail(str(exc))
