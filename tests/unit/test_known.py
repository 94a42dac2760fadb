import json
from pathlib import Path

import pytest

from pytest_botkube.readers.health import agent_report
from pytest_botkube.readers.known import (
    KNOWN_ISSUES,
    known_notes,
    match_known,
    match_known_detail,
)
from pytest_botkube.readers.logs import read_log, read_log_file

LOGS = Path(__file__).parent.parent / "data" / "logs"
PLUGIN = "botkube/kubernetes"


def _timeline(name):
    return read_log_file(LOGS / name).plugins[PLUGIN]


def test_catalogue_has_the_two_issues_with_links_and_fixes():
    by_number = {i.number: i for i in KNOWN_ISSUES}
    assert by_number[1474].url == "https://github.com/kubeshop/botkube/issues/1474"
    assert by_number[1474].fixed_in == "v1.14.0"
    assert "config.event.types" in by_number[1474].fix
    assert by_number[1080].fixed_in is None
    assert "v1.14.0" in by_number[1080].affected


@pytest.mark.parametrize(
    ("name", "number", "certainty"),
    [
        ("crash_loop_v1.13.0.json.log", 1474, "certain"),
        ("crash_loop_v1.13.0.text.log", 1474, "certain"),
        ("crash_loop_coloured_interleaved.log", 1474, "certain"),
        ("restart_agent.json.log", 1474, "certain"),
        ("previous_restart_agent.timestamps.log", 1474, "certain"),
        ("crash_loop_no_debug.json.log", 1474, "probable"),
        ("exit_loop_unknown_type.json.log", 1080, "certain"),
        ("exit_loop_unknown_type.text.log", 1080, "certain"),
    ],
)
def test_fixtures_match_their_issue(name, number, certainty):
    match = match_known_detail(_timeline(name))
    assert match is not None
    assert (match.issue.number, match.certainty) == (number, certainty)
    assert match_known(_timeline(name)) is match.issue


def test_healthy_plugin_matches_nothing():
    assert match_known(_timeline("healthy_v1.14.0.json.log")) is None


def _stderr(msg, plugin=PLUGIN):
    sub = f"{plugin}.source_v1.13.0_x"
    return json.dumps({"level": "debug", "msg": msg, "plugin": plugin, "subsystem_name": sub})


def _exit(status, plugin=PLUGIN):
    return json.dumps(
        {
            "error": f"exit status {status}",
            "level": "error",
            "msg": "plugin process exited",
            "plugin": plugin,
        }
    )


def test_panic_in_another_function_is_not_1474():
    lines = [
        _stderr("panic: runtime error: index out of range [0] with length 0"),
        _stderr("goroutine 7 [running]:"),
        _stderr("github.com/kubeshop/botkube/internal/source/kubernetes.(*Router).Other(...)"),
        _stderr("\t/src/router.go:300 +0x1"),
        _exit(2),
    ]
    timeline = read_log(lines).plugins[PLUGIN]
    assert timeline.status == "crashing"
    assert match_known(timeline) is None


def test_same_crash_in_another_plugin_is_not_catalogued():
    other = "botkube/other"
    lines = [
        _stderr("panic: boom", other),
        _stderr("goroutine 7 [running]:", other),
        _stderr("x/kubernetes.mergeResourceEvents(...)", other),
        _stderr("\t/src/router.go:159 +0x1", other),
        _exit(2, other),
    ]
    assert match_known(read_log(lines).plugins[other]) is None


def test_exit_status_1_without_parse_error_is_not_1080():
    timeline = read_log([_exit(1)]).plugins[PLUGIN]
    assert match_known(timeline) is None


def test_exit_2_after_informers_registered_is_not_probably_1474():
    registered = json.dumps(
        {
            "level": "error",
            "logger": "stderr",
            "msg": "INFO[T] Registering informers...",
            "plugin": PLUGIN,
        }
    )
    timeline = read_log([registered, _exit(2)]).plugins[PLUGIN]
    assert timeline.informers_registered
    assert match_known(timeline) is None


# Ranges checked against the upstream tags: the fix commits' first tags, the files' first tags.
@pytest.mark.parametrize(
    ("number", "affected", "not_affected"),
    [
        (1474, ["v1.0.0", "v1.13.0", "v1.14.0-rc.0"], ["v1.14.0", "v1.14.0-rc.1", "v0.18.0"]),
        (1157, ["v1.0.0", "v1.2.0", "v1.3.0-rc.0"], ["v1.3.0-rc.1", "v1.3.0", "v1.13.0"]),
        (1241, ["v1.3.0", "v1.4.0-rc.1"], ["v1.2.0", "v1.4.0", "v1.14.0"]),
        (1475, ["v0.18.0", "v1.8.0", "v1.13.0"], ["v1.14.0"]),
        (1080, ["v1.0.0", "v1.14.0"], ["v0.18.0"]),
    ],
)
def test_affected_ranges(number, affected, not_affected):
    issue = {i.number: i for i in KNOWN_ISSUES}[number]
    assert [issue.in_range(v) for v in affected] == [True] * len(affected)
    assert [issue.in_range(v) for v in not_affected] == [False] * len(not_affected)
    assert issue.in_range("v0.0.0-latest") is None  # a development build: unknown


def test_every_entry_has_a_range_fix_and_a_signature():
    for issue in KNOWN_ISSUES:
        assert issue.introduced, issue.number
        assert issue.fix, issue.number
        if issue.plugin is None:
            assert issue.agent_signature is not None, issue.number
    assert {i.number for i in KNOWN_ISSUES} >= {1474, 1080, 1048, 1157, 1189, 1475, 1241, 1038}


def test_version_outside_the_range_is_a_note_not_a_match():
    lines = [
        _stderr("panic: runtime error: invalid memory address or nil pointer dereference"),
        _stderr("goroutine 7 [running]:"),
        _stderr(
            "github.com/kubeshop/botkube/internal/source/kubernetes.registration.matchEvent(...)"
        ),
        _stderr("\t/src/registration.go:144 +0x1"),
        _exit(2),
    ]
    timeline = read_log(lines).plugins[PLUGIN]  # the stderr subsystem names v1.13.0
    assert timeline.version == "v1.13.0"
    assert match_known(timeline) is None
    assert known_notes(timeline) == [
        "resembles kubeshop/botkube#1157 (panic in registration.matchEvent (registration.go:144)),"
        " but v1.13.0 already has the fix (fixed in v1.3.0)"
    ]
    old = read_log([line.replace("v1.13.0", "v1.2.0") for line in lines]).plugins[PLUGIN]
    match = match_known_detail(old)
    assert match is not None
    assert (match.issue.number, match.certainty) == (1157, "certain")


def test_agent_exit_under_restart_agent_names_the_plugin():
    summary = read_log_file(LOGS / "restart_agent.json.log")
    report = agent_report(summary)
    assert report["went_down"] is True
    assert report["exited_for_plugin"] == PLUGIN
    assert report["known_issues"] == []


def test_v1_0_missing_kubeconfig_on_plugin_stdout_is_probably_1048():
    inner = (
        'time="2023-04-25T11:48:07Z" level=error msg="while reading kube config. invalid '
        'configuration: no configuration has been provided, try setting KUBERNETES_MASTER"'
    )
    for line in (
        json.dumps(
            {"level": "debug", "logger": "stdout", "msg": inner, "plugin": PLUGIN},
            separators=(",", ":"),
        ),
        f'time="2023-04-25T11:48:07Z" level=debug msg={json.dumps(inner)} logger=stdout '
        f"plugin={PLUGIN}",
    ):
        timeline = read_log([line]).plugins[PLUGIN]
        match = match_known_detail(timeline)
        assert match is not None, line
        assert (match.issue.number, match.certainty) == (1048, "probable")
