"""The live matrix: one test per scenario file in scenarios/ (or the ones chosen with
--botkube-scenario), plus an ad-hoc test for --botkube-values.

Every test runs against the session's cluster and receiver. On a machine without Docker, kind
or helm each test is skipped with the reason (a failure with --botkube-require-cluster).
"""

from __future__ import annotations

import pytest

from pytest_botkube.plugin import SETTINGS_KEY
from pytest_botkube.plugin.matrix import scenario_id, selected_scenarios


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "botkube_scenario_name" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("botkube_scenario") is not None:
        return  # a test naming its scenario keeps it
    params = selected_scenarios(metafunc.config.stash[SETTINGS_KEY])
    metafunc.parametrize("botkube_scenario_name", params, ids=[scenario_id(p) for p in params])
