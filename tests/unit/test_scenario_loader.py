"""The scenario loader: the model it builds, and one clear line for every way a file is wrong."""

import json
import re
from pathlib import Path

import pytest

from pytest_botkube.errors import BadInput, ExitCode
from pytest_botkube.readers.payload import parse_payload
from pytest_botkube.scenario import (
    DeliveryExpectation,
    RestartBound,
    adhoc_scenario,
    find_scenario,
    load_scenario,
    load_scenarios,
    scenario_names,
)

DATA = Path(__file__).parent.parent / "data" / "scenarios"

VALID = """\
name: NAME
description: >
  A scenario used by the loader tests.
upstream:
  - https://github.com/kubeshop/botkube/issues/1474
botkube_version: 1.13.0
values:
  sources:
    'k8s-a':
      botkube/kubernetes:
        context: &ctx
          rbac: {group: {type: Static}}
        enabled: true
        config:
          resources:
            - type: apps/v1/deployments
    'k8s-b':
      botkube/kubernetes:
        context: *ctx
        enabled: false
expect:
  plugin:
    status: Deactivated
    restarts: {exactly: threshold+1}
    exit_statuses: [2]
    panic:
      message: "invalid memory address"
      function: mergeResourceEvents
      location: router.go:159
    registering_informers: false
    why: it panics
  delivered:
    - match: {Kind: Deployment, Namespace: $namespace, Count: 1}
      why: created
  not_delivered:
    - match: {}
      why: dead
"""


PANIC_BLOCK = VALID[VALID.index("    panic:\n") : VALID.index("    registering_informers")]


def write(tmp_path: Path, text: str, name: str = "sc", suffix: str = ".yaml") -> Path:
    path = tmp_path / f"{name}{suffix}"
    path.write_text(text.replace("name: NAME", f"name: {name}"), encoding="utf-8")
    return path


def bad(path: Path, pattern: str) -> str:
    """Load ``path``, expect BadInput whose single line matches ``file:line: ...pattern``."""
    with pytest.raises(BadInput) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message
    assert info.value.exit_code == ExitCode.BAD_INPUT
    assert message.startswith(f"{path}:"), message
    assert re.search(pattern, message), message
    return message


def test_valid_file_builds_the_model(tmp_path: Path):
    scenario = load_scenario(write(tmp_path, VALID))
    assert scenario.name == "sc"
    assert scenario.botkube_version == "v1.13.0"  # normalized
    assert scenario.description == "A scenario used by the loader tests."
    assert scenario.upstream == ("https://github.com/kubeshop/botkube/issues/1474",)
    assert scenario.min_kubernetes_version is None
    assert scenario.expect is not None
    plugin = scenario.expect.plugin
    assert plugin.status == "Deactivated"
    assert plugin.restarts == RestartBound("exactly", 1, relative_to_threshold=True)
    assert plugin.exit_statuses == (2,)
    assert plugin.panic is not None
    assert plugin.panic.function == "mergeResourceEvents"
    assert plugin.panic.location == "router.go:159"
    assert plugin.registering_informers is False
    assert plugin.log_contains == ()
    assert scenario.expect.verdict == "crash"
    assert dict(scenario.expect.delivered[0].match) == {
        "Kind": "Deployment",
        "Namespace": "$namespace",
        "Count": 1,
    }
    assert scenario.source_aliases() == ("k8s-a",)  # k8s-b is disabled
    assert not scenario.adhoc


def test_values_are_frozen_and_overlay_is_an_unshared_copy(tmp_path: Path):
    scenario = load_scenario(write(tmp_path, VALID))
    with pytest.raises(TypeError):
        scenario.values["sources"] = {}  # type: ignore[index]
    overlay = scenario.overlay()
    a = overlay["sources"]["k8s-a"]["botkube/kubernetes"]["context"]
    b = overlay["sources"]["k8s-b"]["botkube/kubernetes"]["context"]
    assert a == b
    assert a is not b  # the YAML anchor does not leak shared objects
    a["rbac"] = "changed"
    assert b["rbac"] != "changed"
    assert scenario.overlay()["sources"]["k8s-a"]["botkube/kubernetes"]["context"] != a


@pytest.mark.parametrize(
    ("old", "new", "pattern"),
    [
        # unknown keys, at every level
        ("botkube_version:", "colour: red\nbotkube_version:", r":6: colour: unknown key 'colour'"),
        ("    status:", "    statos: x\n    status:", r"expect\.plugin\.statos: unknown key"),
        (
            "restarts: {exactly: threshold+1}",
            "restarts: {exactly: 1, at_least: 1}",
            r"expect\.plugin\.restarts: give exactly one of",
        ),
        (
            "      location:",
            "      line: 3\n      location:",
            r"expect\.plugin\.panic\.line: unknown",
        ),
        ("{Kind: Deployment,", "{Knd: Deployment,", r"delivered\[0\]\.match\.Knd: unknown key"),
        ("      why: created", "      why: created\n      extra: 1", r"delivered\[0\]\.extra"),
        # wrong types
        ("name: NAME", "name: 3", r"name: expected a string, got a number"),
        ("upstream:\n  - https", "upstream: https", r"upstream: expected a list"),
        ("  - https://github.com/k", "  - ftp://github.com/k", r"upstream\[0\]: expected a URL"),
        ("exit_statuses: [2]", "exit_statuses: two", r"exit_statuses: expected a list"),
        ("exit_statuses: [2]", "exit_statuses: [x]", r"exit_statuses\[0\]: expected a process"),
        ("status: Deactivated", "status: deactivated", r"status: expected Running or Deact"),
        ("registering_informers: false", "registering_informers: no!", r"expected true or false"),
        ("threshold+1}", "lots}", r"restarts\.exactly: expected a count or 'threshold'"),
        ("threshold+1}", "-1}", r"restarts\.exactly: must not be negative"),
        ("Count: 1}", "Count: one}", r"match\.Count: expected a number"),
        ("Kind: Deployment,", "Kind: [Deployment],", r"match\.Kind: expected a string"),
        ("    why: it panics", "    why: ''", r"expect\.plugin\.why: must not be empty"),
        (
            "botkube_version: 1.13.0",
            "botkube_version: 1.13.0\nmin_kubernetes_version: 1.30",
            r'min_kubernetes_version: expected a quoted "1\.MINOR"',
        ),
        ("botkube_version: 1.13.0", "botkube_version: 1.13", r"botkube_version: expected a string"),
        (
            "values:\n  sources:",
            "values:\n  nope: 1\n  x:",
            r"values: missing required key 'sources'",
        ),
        (
            "    'k8s-b':\n",
            "    'k8s-b': 7\n    'k8s-c':\n",
            r"values\.sources\.k8s-b: expected a mapping",
        ),
        # missing expectations
        (
            "  not_delivered:\n    - match: {}\n      why: dead\n",
            "",
            r"expect: missing required key 'not_delivered'",
        ),
        ("    why: it panics\n", "", r"expect\.plugin: missing required key 'why'"),
        ("      why: created\n", "", r"delivered\[0\]: missing required key 'why'"),
        ("    panic:\n", "    broken:\n", r"unknown key 'broken'"),
        # unknown version
        (
            "botkube_version: 1.13.0",
            "botkube_version: v1.12.9",
            r":6: botkube_version: unknown BotKube version 'v1\.12\.9'",
        ),
        # outcomes that correspond to no verdict, or contradict themselves
        (
            PANIC_BLOCK,
            "    panic: null\n",
            r"expect\.plugin: a Deactivated plugin needs a panic",
        ),
        (
            "status: Deactivated",
            "status: Running",
            r"expect\.plugin\.panic: a Running plugin cannot",
        ),
    ],
)
def test_each_rule_names_file_line_and_key_path(tmp_path: Path, old: str, new: str, pattern: str):
    assert old in VALID
    bad(write(tmp_path, VALID.replace(old, new, 1)), pattern)


def test_values_must_be_a_mapping(tmp_path: Path):
    text = VALID[: VALID.index("values:")] + "values: [1]\n" + VALID[VALID.index("expect:") :]
    bad(write(tmp_path, text), r":7: values: expected a mapping of Helm values, got a list")


def test_missing_top_level_expectation(tmp_path: Path):
    text = VALID[: VALID.index("expect:")]
    message = bad(write(tmp_path, text), r"<root>: missing required key 'expect'")
    assert message.startswith(f"{tmp_path / 'sc.yaml'}: <root>")  # no line for the root


def test_name_must_match_file_stem(tmp_path: Path):
    path = tmp_path / "other.yaml"
    path.write_text(VALID.replace("name: NAME", "name: crash-v1.13.0"), encoding="utf-8")
    bad(path, r"other\.yaml:1: name: name 'crash-v1\.13\.0' must match the file name 'other'")


def test_unknown_key_points_at_its_own_line(tmp_path: Path):
    text = VALID.replace(
        "    registering_informers: false", "    registering_informers: false\n    speed: 3"
    )
    message = bad(write(tmp_path, text), r"expect\.plugin\.speed")
    line = text.splitlines().index("    speed: 3") + 1
    assert f"sc.yaml:{line}: expect.plugin.speed:" in message


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", r"empty file"),
        ("- just\n- a list\n", r"<root>: expected a mapping, got a list"),
        ("name: [unclosed\n", r":2:1: invalid YAML"),
    ],
)
def test_unusable_files(tmp_path: Path, text: str, pattern: str):
    path = tmp_path / "sc.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput, match=pattern):
        load_scenario(path)


def test_checked_in_bad_files_each_fail_on_their_rule():
    expected = {
        "unknown-key.yaml": r"unknown-key\.yaml:\d+: expect\.plugin\.restart: unknown key",
        "wrong-type.yaml": r"wrong-type\.yaml:\d+: expect\.delivered: expected a list",
        "no-expect.yaml": r"no-expect\.yaml: <root>: missing required key 'expect'",
        "old-version.yaml": r"old-version\.yaml:\d+: botkube_version: unknown BotKube version",
    }
    assert sorted(p.name for p in (DATA / "bad").iterdir()) == sorted(expected)
    for name, pattern in expected.items():
        with pytest.raises(BadInput, match=pattern):
            load_scenario(DATA / "bad" / name)


def test_duplicate_names_in_one_directory_are_refused():
    # dup.yaml and dup.yml both call themselves "dup"
    with pytest.raises(
        BadInput, match=r"dup\.yml:1: name: duplicate scenario name 'dup' \(also in .*dup\.yaml\)"
    ):
        load_scenarios(DATA / "duplicate")


def test_load_scenarios_sorted_and_names_listed(tmp_path: Path):
    for name in ("b-two", "a-one"):
        write(tmp_path, VALID, name=name)
    (tmp_path / "notes.txt").write_text("not a scenario", encoding="utf-8")
    assert [s.name for s in load_scenarios(tmp_path)] == ["a-one", "b-two"]
    assert scenario_names(tmp_path) == ["a-one", "b-two"]
    with pytest.raises(BadInput, match="no such scenario directory"):
        load_scenarios(tmp_path / "missing")


def test_find_scenario_by_name_or_path(tmp_path: Path):
    path = write(tmp_path, VALID, name="mine")
    assert find_scenario("mine", tmp_path).path == path
    assert find_scenario(path).name == "mine"
    assert find_scenario(str(path)).name == "mine"
    with pytest.raises(BadInput, match=r"no scenario named 'nope' in .* \(known: mine\)"):
        find_scenario("nope", tmp_path)
    with pytest.raises(BadInput, match="no such file"):
        find_scenario(tmp_path / "gone.yaml")


def test_adhoc_scenario_from_a_user_values_file(tmp_path: Path):
    values = tmp_path / "report-values.yaml"
    values.write_text(
        "sources:\n  k8s-hpa-events:\n    botkube/kubernetes:\n      enabled: true\n"
        "settings:\n  clusterName: theirs\n",
        encoding="utf-8",
    )
    scenario = adhoc_scenario(values, "1.14.0")
    assert scenario.adhoc
    assert scenario.expect is None
    assert scenario.name == "adhoc-report-values"
    assert scenario.botkube_version == "v1.14.0"
    assert scenario.overlay()["settings"] == {"clusterName": "theirs"}
    assert scenario.source_aliases() == ("k8s-hpa-events",)
    with pytest.raises(BadInput, match=r"unknown BotKube version 'v9\.9\.9'"):
        adhoc_scenario(values, "v9.9.9")


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", r"report\.yaml: empty file"),
        ("[1, 2]\n", r"report\.yaml: <root>: expected a mapping of Helm values, got a list"),
        ("sources: 3\n", r"report\.yaml:1: sources: expected a non-empty mapping of sources"),
    ],
)
def test_adhoc_scenario_rejects_unusable_values(tmp_path: Path, text: str, pattern: str):
    values = tmp_path / "report.yaml"
    values.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput, match=pattern):
        adhoc_scenario(values, "v1.13.0")


@pytest.mark.parametrize(
    ("bound", "threshold", "observed", "holds", "text"),
    [
        (RestartBound("exactly", 1, True), 3, 4, True, "exactly threshold+1 = 4"),
        (RestartBound("exactly", 1, True), 3, 3, False, "exactly threshold+1 = 4"),
        (RestartBound("at_least", 0, True), 10, 11, True, "at least threshold = 10"),
        (RestartBound("at_least", 0, True), 10, 9, False, "at least threshold = 10"),
        (RestartBound("at_most", 2), 10, 2, True, "at most 2"),
        (RestartBound("at_most", 2), 10, 3, False, "at most 2"),
        (RestartBound("exactly", -1, True), 3, 2, True, "exactly threshold-1 = 2"),
    ],
)
def test_restart_bounds(bound: RestartBound, threshold: int, observed: int, holds: bool, text: str):
    assert bound.holds(observed, threshold) is holds
    assert bound.describe(threshold) == text


def _body(source: str, **data: object) -> dict[str, object]:
    return {"source": source, "data": data, "timeStamp": "0001-01-01T00:00:00Z"}


def test_delivery_matchers_on_raw_payloads():
    hpa_warning = _body(
        "k8s-hpa-events",
        Type="error",
        Kind="HorizontalPodAutoscaler",
        Name="hpa-target",
        Namespace="bk-1",
        Reason="FailedGetResourceMetric",
        Messages=["failed to get cpu utilization"],
        Count=1,
    )
    want = DeliveryExpectation(
        match={"Type": "error", "Namespace": "$namespace", "Source": "k8s-hpa-events"}, why="w"
    )
    assert want.matches(hpa_warning, namespace="bk-1")
    assert not want.matches(hpa_warning, namespace="bk-2")
    assert DeliveryExpectation(match={}, why="anything").matches(hpa_warning, namespace="x")
    assert DeliveryExpectation(match={"Count": 1}, why="").matches(hpa_warning, "bk-1")
    assert not DeliveryExpectation(match={"Count": 2}, why="").matches(hpa_warning, "bk-1")
    assert DeliveryExpectation(match={"Messages": "failed to get cpu utilization"}, why="").matches(
        hpa_warning, "bk-1"
    )
    assert not DeliveryExpectation(match={"Messages": "failed"}, why="").matches(hpa_warning, "n")
    assert not DeliveryExpectation(match={"Source": "k8s-hpa"}, why="").matches(hpa_warning, "n")
    assert not DeliveryExpectation(match={"Reason": "SuccessfulRescale"}, why="").matches(
        hpa_warning, "bk-1"
    )


def test_delivery_matchers_agree_with_the_typed_delivery():
    body = _body(
        "k8s-deployment-events",
        Type="create",
        Kind="Deployment",
        Name="hpa-target",
        Namespace="bk-7",
        Resource="apps/v1/deployments",
        Count=0,
    )
    delivery = parse_payload(json.dumps(body).encode())
    cases = [
        {"Type": "create", "Kind": "Deployment", "Namespace": "$namespace"},
        {"Source": "k8s-deployment-events", "Resource": "apps/v1/deployments"},
        {"Kind": "HorizontalPodAutoscaler"},
        {"Namespace": "$namespace", "Name": "other"},
    ]
    for match in cases:
        expectation = DeliveryExpectation(match=match, why="")
        assert delivery.matches(**expectation.delivery_kwargs("bk-7")) is expectation.matches(
            body, "bk-7"
        ), match


def test_delivery_matchers_take_the_receivers_typed_deliveries_and_refuse_other_shapes():
    body = _body("k8s-hpa-events", Type="error", Name="hpa-target", Namespace="bk-3", Count=2)
    typed = parse_payload(json.dumps(body).encode())
    want = DeliveryExpectation(match={"Type": "error", "Namespace": "$namespace"}, why="")
    assert want.matches(typed, "bk-3")
    assert not want.matches(typed, "bk-4")
    assert DeliveryExpectation(match={"Count": 2}, why="").matches(typed, "bk-3")
    assert not DeliveryExpectation(match={}, why="").matches({"data": "not an object"}, "bk-3")
