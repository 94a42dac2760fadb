import json
from pathlib import Path

import pytest

from pytest_botkube.readers.known import KNOWN_ISSUES, match_known, match_known_detail
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
