from pathlib import Path

import pytest

from pytest_botkube.errors import BadInput
from pytest_botkube.readers.health import HealthzError, health_verdict, parse_healthz
from pytest_botkube.readers.logs import read_log_file

DATA = Path(__file__).parent.parent / "data"
PLUGIN = "botkube/kubernetes"


def _hz(name):
    return parse_healthz((DATA / "healthz" / name).read_bytes())


def _log(name):
    return read_log_file(DATA / "logs" / name)


def test_parse_deactivated():
    hz = _hz("deactivated_v1.13.0.json")
    assert hz.ready
    hpa = hz.plugins["k8s-hpa-events"]
    assert (hpa.enabled, hpa.status, hpa.restarts, hpa.threshold) == (True, "Deactivated", 11, 10)
    assert hpa.deactivated
    # enabled is omitempty upstream: a disabled source has no "enabled" key
    assert hz.plugins["k8s-recommendation-events"].enabled is False
    assert hz.platforms["default-group-webhook"].status == "Unknown"


def test_parse_tolerates_unknown_fields_and_missing_sections():
    hz = _hz("unknown_fields.json")
    assert hz.plugins["k8s-hpa-events"].restarts == 0
    starting = _hz("starting.json")
    assert not starting.ready
    assert starting.plugins == {}
    assert starting.platforms == {}


def test_parse_platform_failure():
    hook = _hz("crashing_sink_unhealthy.json").platforms["default-group-webhook"]
    assert (hook.status, hook.reason) == ("Unhealthy", "Connection error")
    assert "500" in hook.error_msg


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ((DATA / "healthz" / "not_healthz.html").read_bytes(), "healthz: not JSON"),
        (
            (DATA / "healthz" / "bad_restarts.json").read_bytes(),
            "healthz.plugins.k8s-hpa-events.restarts: expected \"n/threshold\", got 'eleven'",
        ),
        (b"[]", "healthz: expected a JSON object, got list"),
        (b'{"status": "ok"}', "no 'botkube' key"),
        (b'{"botkube": {}, "plugins": {"a": {"enabled": "yes"}}}', "healthz.plugins.a.enabled"),
        (b'{"botkube": {}, "plugins": []}', "healthz.plugins: expected a JSON object"),
        (b"", "<empty body>"),
        (b"\xff\xfe", "healthz: not JSON"),
    ],
)
def test_parse_errors_are_one_line_bad_input(body, expected):
    with pytest.raises(HealthzError) as info:
        parse_healthz(body)
    assert isinstance(info.value, BadInput)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_verdict_from_healthz_and_log():
    verdict = health_verdict(_hz("deactivated_v1.13.0.json"), _log("crash_loop_v1.13.0.json.log"))
    assert verdict.sentence == (
        "deactivated after 11/10 restarts, panic in mergeResourceEvents (router.go:159); "
        "matches kubeshop/botkube#1474"
    )
    assert (verdict.status, verdict.restarts, verdict.threshold) == ("deactivated", 11, 10)
    assert verdict.exit_statuses == (2,) * 11
    assert (verdict.panic_function, verdict.panic_location) == (
        "mergeResourceEvents",
        "router.go:159",
    )
    assert verdict.signal == "SIGSEGV"
    assert verdict.known_issue_url == "https://github.com/kubeshop/botkube/issues/1474"
    assert verdict.informers_registered is False
    # the log says which aliases the plugin backs, so the kubectl executor entry is left out
    assert verdict.aliases == ("k8s-all-events", "k8s-hpa-events")
    assert verdict.notes == ()
    assert str(verdict) == verdict.sentence


def test_verdict_from_healthz_alone_with_explicit_aliases():
    hz = _hz("deactivated_v1.13.0.json")
    verdict = health_verdict(hz, None, aliases=["k8s-hpa-events", "k8s-gone"])
    assert verdict.sentence == "deactivated after 11/10 restarts"
    assert verdict.aliases == ("k8s-hpa-events",)
    assert verdict.notes == ("healthz has no entry for k8s-gone",)
    only_tools = health_verdict(hz, None, aliases=["k8s-default-tools"])
    assert only_tools.status == "running"


def test_verdict_without_alias_knowledge_considers_every_entry():
    verdict = health_verdict(_hz("deactivated_v1.13.0.json"), None)
    assert verdict.status == "deactivated"
    assert any("all its entries" in n for n in verdict.notes)


def test_verdict_from_log_alone():
    verdict = health_verdict(None, _log("exit_loop_unknown_type.json.log"))
    assert verdict.sentence == (
        "deactivated after 4/3 restarts, exit status 1 after "
        "'Unable to parse resource: autoscaling/v2beta2/horizontalpodautoscalers'; "
        "matches kubeshop/botkube#1080"
    )
    assert verdict.panic_function is None
    running = health_verdict(None, _log("healthy_v1.14.0.json.log"))
    assert running.sentence == "running, informers registered"
    assert running.known_issue is None


def test_verdict_restart_agent():
    verdict = health_verdict(None, _log("restart_agent.json.log"))
    assert verdict.status == "crashing"
    assert verdict.sentence.startswith(
        "agent exited after 2 restarts (restartPolicy RestartAgent), panic in mergeResourceEvents"
    )


def test_verdict_notes_disagreement():
    verdict = health_verdict(_hz("running_v1.14.0.json"), _log("crash_loop_v1.13.0.text.log"))
    assert verdict.status == "deactivated"  # the worse of the two observations
    assert verdict.restarts == 0  # healthz is the current count
    assert "healthz says running, the log says deactivated" in verdict.notes
    assert any("the log shows 4" in n for n in verdict.notes)


def test_verdict_with_nothing_known():
    verdict = health_verdict(None, None)
    assert (verdict.status, verdict.sentence) == ("unknown", "no observation of botkube/kubernetes")
    other = health_verdict(None, _log("healthy_v1.14.0.json.log"), "botkube/other")
    assert other.status == "unknown"
    assert other.notes == ("the log never mentions botkube/other",)


def test_verdict_crashing_from_healthz_restarts():
    verdict = health_verdict(_hz("crashing_sink_unhealthy.json"), None)
    assert verdict.sentence == "crashing, 2/3 restarts so far"
