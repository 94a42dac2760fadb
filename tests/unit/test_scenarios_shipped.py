"""Every shipped scenario loads, and agrees with the offline model (``lint``) on what happens."""

import re
from typing import Any

import pytest

from pytest_botkube import bundled as resources
from pytest_botkube.helm_values import build_values, webhook_bindings
from pytest_botkube.model.events import Happening
from pytest_botkube.model.semantics import analyze, forwarding
from pytest_botkube.scenario import (
    Scenario,
    find_scenario,
    load_scenario,
    load_scenarios,
    scenario_names,
)

REQUIRED = {
    "crash-v1.13.0",
    "crash-alone-v1.13.0",
    "workaround-v1.13.0",
    "fixed-v1.14.0",
    "delivering-v1.14.0",
    "unknown-type-v1.13.0",
    "unknown-type-v1.14.0",
    "control-healthy-v1.13.0",
}
NAMES = scenario_names()
NAMESPACE = "bk-scenario"
HPA = "autoscaling/v2/horizontalpodautoscalers"
DEPLOYMENTS = "apps/v1/deployments"
KINDS = {HPA: "HorizontalPodAutoscaler", DEPLOYMENTS: "Deployment"}

# What the suite's workload (issue 4) makes the cluster do: a Deployment `hpa-target` (1 replica)
# and an autoscaling/v2 HPA `hpa-target` (minReplicas 2, CPU target, no metrics-server).
WORKLOAD = (
    Happening(DEPLOYMENTS, "hpa-target", NAMESPACE, action="create"),
    Happening(HPA, "hpa-target", NAMESPACE, action="create"),
    Happening(HPA, "hpa-target", NAMESPACE, event_type="Normal", reason="SuccessfulRescale"),
    Happening(HPA, "hpa-target", NAMESPACE, event_type="Warning", reason="FailedGetResourceMetric"),
    Happening(
        HPA, "hpa-target", NAMESPACE, event_type="Warning", reason="FailedComputeMetricsReplicas"
    ),
)


def test_the_required_scenarios_ship():
    assert set(NAMES) >= REQUIRED
    assert len(load_scenarios()) == len(NAMES)


@pytest.fixture(params=NAMES)
def scenario(request: pytest.FixtureRequest) -> Scenario:
    name: str = request.param
    return find_scenario(name)


def test_scenario_is_complete(scenario: Scenario):
    assert scenario.expect is not None
    assert scenario.expect.verdict is not None
    assert scenario.upstream
    assert scenario.source_aliases()
    for item in (*scenario.expect.delivered, *scenario.expect.not_delivered):
        assert item.why.strip()


def test_lint_verdict_matches_the_expected_outcome(scenario: Scenario):
    assert scenario.expect is not None
    kube = scenario.min_kubernetes_version
    on_overlay = analyze(scenario.overlay(), scenario.botkube_version, kube)
    assert on_overlay.verdict == scenario.expect.verdict
    # The values the suite really installs (base values merged in) predict the same outcome.
    installed = build_values(scenario, receiver_url="http://172.18.0.1:18080/")
    assert analyze(installed, scenario.botkube_version, kube).verdict == scenario.expect.verdict


def _payloads(scenario: Scenario) -> list[dict[str, Any]]:
    """The webhook bodies the model predicts for the workload's happenings."""
    installed = build_values(scenario, receiver_url="http://172.18.0.1:18080/")
    analysis = analyze(installed, scenario.botkube_version, scenario.min_kubernetes_version)
    out = []
    for happening in WORKLOAD:
        decision = forwarding(analysis, happening)
        if not decision.delivered:
            continue
        out.append(
            {
                "source": ",".join(decision.sources),
                "data": {
                    "Type": "error" if happening.is_core_event else happening.action,
                    "Kind": KINDS[happening.resource],
                    "Name": happening.name,
                    "Namespace": happening.namespace,
                    "Reason": happening.reason,
                    "Resource": happening.resource,
                },
                "timeStamp": "0001-01-01T00:00:00Z",  # BotKube always sends it (Go's zero time)
            }
        )
    return out


def test_delivery_expectations_agree_with_the_model(scenario: Scenario):
    assert scenario.expect is not None
    predicted = _payloads(scenario)
    for want in scenario.expect.delivered:
        assert any(want.matches(p, NAMESPACE) for p in predicted), (want.describe(), predicted)
    for unwanted in scenario.expect.not_delivered:
        hits = [p for p in predicted if unwanted.matches(p, NAMESPACE)]
        assert not hits, (unwanted.describe(), hits)


def test_sources_watch_the_namespace_the_suite_creates(scenario: Scenario):
    """The workload lives in a fresh namespace per run; every source must cover it, as users'
    `include: [".*"]` does, or a "not delivered" would only say the namespace was filtered."""
    sample = "bk-crash-v1-13-0-3f2a9c"
    for alias in scenario.source_aliases():
        config = scenario.overlay()["sources"][alias]["botkube/kubernetes"]["config"]
        include = config["namespaces"]["include"]
        assert any(re.fullmatch(pattern, sample) for pattern in include), (alias, include)
        assert not config["namespaces"].get("exclude"), alias


def test_the_suite_binds_exactly_the_scenarios_kubernetes_sources(scenario: Scenario):
    assert webhook_bindings(scenario.overlay()) == list(scenario.source_aliases())


def test_1474_configs_are_kept_as_reported():
    """crash and fixed run the reporter's source unchanged; only the version differs."""
    crash = load_scenario(resources.scenarios_dir() / "crash-v1.13.0.yaml")
    fixed = load_scenario(resources.scenarios_dir() / "fixed-v1.14.0.yaml")
    assert crash.overlay() == fixed.overlay()
    hpa = crash.overlay()["sources"]["k8s-hpa-events"]["botkube/kubernetes"]["config"]
    assert "event" not in hpa
    assert hpa["resources"] == [
        {
            "type": HPA,
            "event": {"types": ["Normal"], "reason": {"include": ["SuccessfulRescale"]}},
        }
    ]
    alone = load_scenario(resources.scenarios_dir() / "crash-alone-v1.13.0.yaml")
    assert (
        alone.overlay()["sources"]["k8s-hpa-events"] == crash.overlay()["sources"]["k8s-hpa-events"]
    )
    assert alone.source_aliases() == ("k8s-hpa-events",)
    workaround = load_scenario(resources.scenarios_dir() / "workaround-v1.13.0.yaml")
    fixed_by_hand = workaround.overlay()["sources"]["k8s-hpa-events"]["botkube/kubernetes"]
    assert fixed_by_hand["config"]["event"] == {"types": ["create", "delete", "error"]}


FAILING = [
    s.name for s in load_scenarios() if s.expect is not None and s.expect.verdict != "healthy"
]


@pytest.mark.parametrize("name", FAILING)
def test_healthy_neighbour_streams_before_the_failing_source(name: str):
    """The agent opens one stream per bound source in alphabetical order of alias. If the failing
    source came first, the next start-up stream call could meet the already dead plugin process
    and the agent itself would exit: a race, and not the outcome these scenarios claim.
    """
    scenario = find_scenario(name)
    installed = build_values(scenario, receiver_url="http://172.18.0.1:18080/")
    analysis = analyze(installed, scenario.botkube_version, scenario.min_kubernetes_version)
    culprits = [s.name for s in analysis.sources if s.cause is not None]
    started = sorted(s.name for s in analysis.sources if s.started)
    assert culprits
    assert started[-1] in culprits, (started, culprits)
