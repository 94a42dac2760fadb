"""Each scenario, live: the one reproduction pipeline (``reproduce/pipeline.py``, the same one
``botkube-repro run`` drives) and one assertion on what it found.

What the pipeline does, every wait bounded (see README "Live e2e run" for the budget): helm
install, agent Ready and plugin started; the workload; the HPA rescale (``SuccessfulRescale``,
proving the cluster produced the events); a plugin expected ``Deactivated`` waited for on
/healthz; every delivery that must arrive; the quiet window for those that must not; /healthz
and the agent log against the plugin expectation (status, restarts, exit statuses, panic
signature, informers, log lines); the delivery diff against the model; teardown. An ad-hoc
values file (``--botkube-values``) has no expectations: it passes when the run completes, and
reports what happened (the ``botkube`` report section and ``botkube_*`` properties).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # collecting the suite loads no cluster layer
    from pytest_botkube.plugin.release import Reproducer
    from pytest_botkube.scenario import Scenario

pytestmark = pytest.mark.botkube_e2e


def test_scenario(botkube_reproduce: Reproducer, botkube_scenario: Scenario) -> None:
    done = botkube_reproduce(botkube_scenario)
    assert done.ok, done.explain()
