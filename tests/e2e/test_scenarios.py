"""Each scenario, live: install it, make the HPA rescale, and check what the scenario claims.

Order inside one test (every wait bounded, see README "Live e2e run" for the budget):

1. (fixtures) ``helm upgrade --install --wait``, agent Ready, plugin started, workload created;
2. the HPA rescales (``SuccessfulRescale``), proving the cluster produced the events;
3. a plugin expected ``Deactivated`` is waited for on /healthz;
4. every delivery that must arrive is waited for;
5. the workload's happenings are read, then deliveries that must not arrive are watched for
   during the quiet window;
6. /healthz and the agent log are checked against the plugin expectation (status, restarts,
   exit statuses, panic signature, informers), and the delivery diff against the model.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from pytest_botkube.live.environment import LiveEnvironment
from pytest_botkube.live.receiver import WebhookReceiver
from pytest_botkube.live.release import Release
from pytest_botkube.live.wait import WaitFailed
from pytest_botkube.live.workload import Workload
from pytest_botkube.model.semantics import analyze
from pytest_botkube.report.records import record_properties
from pytest_botkube.reproduce.judge import (
    Health,
    assert_not_delivered,
    judge_run,
    wait_for_delivery,
)
from pytest_botkube.scenario import Scenario
from pytest_botkube.settings import Settings

pytestmark = pytest.mark.botkube_e2e


@contextmanager
def expectation(scenario: Scenario) -> Iterator[None]:
    """A wait that gives up fails the test with its one message (what was awaited, for how
    long, the last state seen), not with a traceback into the wait machinery."""
    try:
        yield
    except WaitFailed as exc:
        # `from None`: the report shows the one message, not the wait's traceback chained to it.
        raise pytest.fail.Exception(f"{scenario.name}: {exc}", pytrace=False) from None


def test_scenario(
    request: pytest.FixtureRequest,
    botkube_settings: Settings,
    botkube_environment: LiveEnvironment,
    botkube_scenario: Scenario,
    botkube_release: Release,
    botkube_workload: Workload,
    botkube_receiver: WebhookReceiver,
    botkube_health: Health,
) -> None:
    settings = botkube_settings
    namespace = botkube_release.namespace
    expect = botkube_scenario.expect

    with expectation(botkube_scenario):
        botkube_workload.wait_for_rescale(float(settings.event_timeout))

        if expect is not None and expect.plugin.status == "Deactivated":
            botkube_health.wait_for("Deactivated", float(settings.health_timeout))
        if expect is not None:
            for wanted in expect.delivered:
                wait_for_delivery(
                    botkube_receiver,
                    wanted,
                    namespace,
                    float(settings.event_timeout),
                    botkube_release,
                )

        happened = botkube_workload.happenings()
        if expect is not None:
            assert_not_delivered(
                botkube_receiver, expect.not_delivered, namespace, float(settings.quiet_window)
            )

    analysis = analyze(
        botkube_release.values,
        botkube_scenario.botkube_version,
        botkube_environment.kubernetes_version,
    )
    judged = judge_run(
        botkube_release,
        analysis=analysis,
        happened=happened,
        receiver=botkube_receiver,
        health=botkube_health.read(),
        kubernetes_version=botkube_environment.kubernetes_version,
        node_image=botkube_environment.config.node_image,
        restart_threshold=int(settings.restart_threshold),
    )
    verdict = judged.verdict
    request.node.add_report_section(
        "call", "botkube", f"health: {verdict.sentence}\n\n{judged.diff.render_text()}"
    )
    # user_properties: what record_property fills, without its xunit2 warning; the JUnit XML
    # carries them with junit_family=xunit1, and every report hook sees them.
    request.node.user_properties.extend(record_properties(judged.record))
    if expect is None:
        return  # an ad-hoc run reports what happened (section and properties); nothing to assert
    assert not judged.problems, (
        f"{botkube_scenario.name}: {verdict.sentence}\n  "
        + "\n  ".join(judged.problems)
        + f"\nwhy the scenario expects otherwise: {expect.plugin.why.strip()}"
    )
