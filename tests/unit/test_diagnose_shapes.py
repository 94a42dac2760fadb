"""The shapes of agent logs users paste into bug reports, each in the formatters the agent writes.

Fixtures in tests/data/logs are written in the shapes the upstream log statements produce
(logrus JSON, logfmt, coloured text and its terminal copy; go-plugin's stderr relay; the Go
runtime's trace), in this project's own words.
"""

import json
from pathlib import Path

import pytest

from pytest_botkube.cli import main

LOGS = Path(__file__).parent.parent / "data" / "logs"
K8S = "botkube/kubernetes"
BOTH = ("json", "text")


def _run(capsys, name, *extra):
    code = main(["diagnose", *extra, str(LOGS / name)])
    out = capsys.readouterr().out
    return code, (json.loads(out) if "--format" in extra else out)


def _json(capsys, name):
    return _run(capsys, name, "--format", "json")


# 1. A panic pasted from the middle ---------------------------------------------------------


@pytest.mark.parametrize("form", [*BOTH, "coloured"])  # coloured: `kubectl logs > file`
def test_frames_without_panic_line_are_crash_evidence(capsys, form):
    code, data = _json(capsys, f"partial_panic_v1.13.0.{form}.log")
    assert code == 1
    plugin = data["plugins"][K8S]
    assert plugin["status"] == "crashing"
    assert plugin["version"] == "v1.13.0"
    panic = plugin["panic"]
    assert panic["partial"] is True
    assert panic["message"] == ""
    assert (panic["function"], panic["location"]) == ("mergeResourceEvents", "router.go:159")
    assert panic["frames"][1].endswith("(*Router).BuildTable")  # the stdio EOF line is no frame
    detail = plugin["known_issue_detail"]
    assert (detail["ref"], detail["certainty"]) == ("kubeshop/botkube#1474", "probable")
    assert "panic line is not in the excerpt" in detail["evidence"]


@pytest.mark.parametrize("form", BOTH)
def test_frames_only_in_text_output(capsys, form):
    code, out = _run(capsys, f"partial_panic_v1.13.0.{form}.log")
    assert code == 1
    assert "No plugin appears" not in out
    assert out.splitlines()[0].startswith(
        "botkube/kubernetes: crashing, 1/10 restarts so far, panic in mergeResourceEvents"
    )
    assert "probably matches kubeshop/botkube#1474" in out


@pytest.mark.parametrize("form", BOTH)
def test_panic_line_then_frames_without_the_goroutine_line(capsys, form):
    # Cut excerpt: `panic:` and `[signal ...]`, then straight to the frames (the
    # `goroutine N [running]:` header left out of the paste).
    code, data = _json(capsys, f"cut_panic_no_goroutine_v1.13.0.{form}.log")
    assert code == 1
    plugin = data["plugins"][K8S]
    assert plugin["status"] == "crashing"
    panic = plugin["panic"]
    assert panic["message"].startswith("runtime error: invalid memory address")
    assert panic["signal"] == "SIGSEGV"
    assert panic["partial"] is False  # the panic line is there; only the header is not
    assert panic["frames"] == [
        "github.com/kubeshop/botkube/internal/source/kubernetes.mergeResourceEvents",
        "github.com/kubeshop/botkube/internal/source/kubernetes.(*Router).BuildTable",
    ]
    assert panic["locations"][0].endswith("kubernetes/router.go:159")
    detail = plugin["known_issue_detail"]
    assert (detail["ref"], detail["certainty"]) == ("kubeshop/botkube#1474", "certain")
    code, out = _run(capsys, f"cut_panic_no_goroutine_v1.13.0.{form}.log")
    assert out.splitlines()[0] == (
        "botkube/kubernetes: crashing, 1/5 restarts so far, panic in mergeResourceEvents "
        "(router.go:159); matches kubeshop/botkube#1474"
    )
    assert "none in the catalogue matches" not in out


def test_same_frames_in_a_release_with_the_fix_do_not_match_and_say_why(tmp_path, capsys):
    text = (LOGS / "partial_panic_v1.13.0.json.log").read_text(encoding="utf-8")
    path = tmp_path / "agent.log"
    path.write_text(text.replace("v1.13.0", "v1.14.0"), encoding="utf-8")
    code, data = _run(capsys, str(path), "--format", "json")
    plugin = data["plugins"][K8S]
    assert plugin["known_issue"] is None
    assert plugin["notes"] == [
        "resembles kubeshop/botkube#1474 (panic in mergeResourceEvents (router.go:159); the panic "
        "line is not in the excerpt), but v1.14.0 already has the fix (fixed in v1.14.0)"
    ]
    assert code == 1  # still a crash


# 2. The agent itself failing ---------------------------------------------------------------


@pytest.mark.parametrize("form", BOTH)
def test_start_up_fatal_when_the_index_cannot_be_fetched(capsys, form):
    code, data = _json(capsys, f"agent_fatal_plugin_index.{form}.log")
    assert code == 1
    agent = data["agent"]
    assert agent["went_down"] is True
    assert [e["event"] for e in agent["timeline"]] == ["started", "shutdown", "fatal"]
    assert agent["version"] == "v1.13.0"
    assert agent["version_from"] == "download URL"
    assert agent["fatal_errors"][0].startswith(
        "while running application: while starting plugins manager: while fetching index"
    )
    assert [k["ref"] for k in agent["known_issues"]] == ["kubeshop/botkube#1038"]


@pytest.mark.parametrize("form", BOTH)
def test_start_up_fatal_for_a_plugin_missing_from_the_index(capsys, form):
    code, out = _run(capsys, f"agent_fatal_plugin_missing.{form}.log")
    assert code == 1
    assert "agent: went down" in out
    assert "fatal: while running application: while starting plugins manager: not found" in out
    assert "matches kubeshop/botkube#1038" in out


@pytest.mark.parametrize("form", BOTH)
def test_reported_panic_in_cloud_slack(capsys, form):
    code, data = _json(capsys, f"agent_panic_cloud_slack_v1.3.0.{form}.log")
    assert code == 1
    agent = data["agent"]
    assert [(e["event"], e["detail"]) for e in agent["timeline"]] == [
        ("started", 'Starting server on address ":2113"'),
        ("connected", "Slack"),
        ("panic", "send on closed channel"),
    ]
    panic = agent["panic"]
    assert panic["message"] == "send on closed channel"
    # the reporter's own frames (debug.Stack, ReportPanicIfOccurs, panic) are skipped
    assert (panic["function"], panic["location"]) == ("(*CloudSlack).start", "slack_cloud.go:219")
    assert panic["project_function"] == "github.com/kubeshop/botkube/pkg/bot.(*CloudSlack).start"
    assert [k["ref"] for k in agent["known_issues"]] == ["kubeshop/botkube#1241"]
    assert agent["known_issues"][0]["fixed_in"] == "v1.4.0"


@pytest.mark.parametrize("form", BOTH)
def test_shutdown_then_the_next_container(capsys, form):
    code, data = _json(capsys, f"agent_shutdown_restart_v1.14.0.{form}.log")
    assert code == 0  # a requested stop is no failure
    agent = data["agent"]
    assert agent["went_down"] is False
    assert [e["event"] for e in agent["timeline"]] == [
        "started",
        "connected",
        "shutdown",
        "restarted",
        "connected",
    ]
    plugin = data["plugins"][K8S]
    # killed while the agent stopped: not a crash
    assert (plugin["status"], plugin["exits"], plugin["signals"]) == ("running", 1, [])
    assert plugin["exits_during_shutdown"] == 1


def test_shutdown_sequence_in_text(capsys):
    _, out = _run(capsys, "agent_shutdown_restart_v1.14.0.text.log")
    assert "did not go down in this excerpt" in out
    assert "shutdown: Shutdown requested. Sending final message..." in out
    assert "restarted: Starting server on address" in out
    assert "connected to Slack" in out
    assert "1 x while the agent stopped" in out


@pytest.mark.parametrize(
    "name",
    [
        "previous_socket_slack_panic.bare.log",
        "previous_socket_slack_panic.json.log",
        "previous_socket_slack_panic.text.log",
    ],
)
def test_bare_go_panic_from_kubectl_logs_previous(capsys, name):
    code, data = _json(capsys, name)
    assert code == 1
    agent = data["agent"]
    assert agent["went_down"] is True
    assert agent["timeline"][-1]["event"] == "panic"
    panic = agent["panic"]
    assert panic["message"] == "send on closed channel"
    assert panic["function"] == "(*Client).receiveMessagesInto"
    assert panic["project_function"] is None  # no BotKube frame in that goroutine
    assert [k["ref"] for k in agent["known_issues"]] == ["kubeshop/botkube#1475"]
    assert "go-trace" in data["formats"]


def test_bare_panic_alone_is_a_log_not_bad_input(capsys):
    code, out = _run(capsys, "previous_socket_slack_panic.bare.log")
    assert code == 1
    assert out.splitlines()[0] == "agent: went down"
    assert "line 1 (-) panic: send on closed channel" in out


# 3. Plugin stderr that is not logrus -------------------------------------------------------


@pytest.mark.parametrize("form", BOTH)
def test_klog_and_logfmt_stderr_are_plugin_errors(capsys, form):
    code, data = _json(capsys, f"plugin_stderr_klog_v1.13.0.{form}.log")
    plugin = data["plugins"][K8S]
    assert plugin["status"] == "running"
    assert plugin["plugin_errors"] == [
        "couldn't get resource list for metrics.k8s.io/v1beta1: the server is currently "
        "unable to handle the request (memcache.go:287)",
        "couldn't get current server API group list: <nil> (memcache.go:121)",
        "while listing recommendations: context deadline exceeded",
    ]  # the W-level klog line is not an error
    assert plugin["known_issue_detail"]["ref"] == "kubeshop/botkube#1189"
    assert code == 1


# 4. The version in the log -----------------------------------------------------------------


@pytest.mark.parametrize("form", BOTH)
def test_before_v1_4_0_a_dead_plugin_stays_dead(capsys, form):
    code, data = _json(capsys, f"partial_event_matching_v1.2.0.{form}.log")
    assert code == 1
    plugin = data["plugins"][K8S]
    assert plugin["status"] == "exited"
    assert plugin["health_monitor"] is False
    assert data["plugins"]["botkube/kubectl"]["version"] == "v1.2.0"
    detail = plugin["known_issue_detail"]
    assert (detail["ref"], detail["certainty"]) == ("kubeshop/botkube#1157", "probable")
    assert detail["url"] == "https://github.com/kubeshop/botkube/pull/1157"
    assert detail["fixed_in"] == "v1.3.0"


def test_exited_in_text(capsys):
    _, out = _run(capsys, "partial_event_matching_v1.2.0.text.log")
    assert out.splitlines()[0].startswith(
        "botkube/kubernetes: exited and stays down (no plugin health monitor before v1.4.0; "
        "this log shows v1.2.0)"
    )


def test_version_from_registration_when_no_url(capsys):
    _, data = _json(capsys, "agent_shutdown_restart_v1.14.0.json.log")
    assert (data["agent"]["version"], data["agent"]["version_from"]) == (
        "v1.14.0",
        "plugin registration",
    )


# 5. No evidence is not "running" -----------------------------------------------------------


@pytest.mark.parametrize("form", BOTH)
def test_plugins_named_but_not_seen_are_unknown(capsys, form):
    code, data = _json(capsys, f"plugins_named_only.{form}.log")
    assert code == 0
    assert {n: p["status"] for n, p in data["plugins"].items()} == {
        "botkube/kubectl": "unknown",
        K8S: "unknown",
    }
    assert data["formats"] == [form]
    assert data["first_time"] == "2024-11-24T11:00:00Z"
    assert data["last_time"] == "2024-11-24T11:00:05Z"
    assert data["entries"] == 3
    assert data["nothing_relevant"] is False


def test_unknown_in_text_and_no_no_plugin_line(capsys):
    _, out = _run(capsys, "plugins_named_only.text.log")
    assert "No plugin appears" not in out
    assert "botkube/kubernetes: unknown: named in the log, but no start and no failure" in out


@pytest.mark.parametrize("form", BOTH)
def test_valid_entries_with_nothing_relevant(capsys, form):
    code, out = _run(capsys, f"nothing_relevant.{form}.log")
    assert code == 0
    assert out.splitlines()[-1] == (
        f"Read 6 log entries ({form}); nothing in them about plugins, the agent's start, "
        "failure or stop, or sinks."
    )


def test_nothing_relevant_json_keeps_formats_and_times(capsys):
    _, data = _json(capsys, "nothing_relevant.json.log")
    assert (data["formats"], data["first_time"], data["last_time"]) == (
        ["json"],
        "2024-11-24T11:00:00Z",
        "2024-11-24T11:05:00Z",
    )
    assert data["nothing_relevant"] is True


def test_not_a_log_is_still_bad_input(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("the agent crashed again\nsee the screenshot\n", encoding="utf-8")
    assert main(["diagnose", str(path)]) == 2
    assert "no BotKube agent log entry" in capsys.readouterr().err


# 6. Source rejected for a missing RBAC context; sink failures ------------------------------


@pytest.mark.parametrize("form", BOTH)
def test_missing_rbac_context_is_a_finding_on_that_source(capsys, form):
    code, data = _json(capsys, f"rbac_missing_sink_404_v1.13.0.{form}.log")
    assert code == 1
    plugin = data["plugins"][K8S]
    assert plugin["status"] == "running"  # the process runs; the source never streams
    [rejection] = plugin["source_rejections"]
    assert rejection["source"] == "team-a-pods"
    assert rejection["reason"].startswith("The kubeconfig data is missing.")
    assert plugin["known_issue_detail"]["ref"] == "kubeshop/botkube#1048"
    # the failed POST is its own finding, not folded into the plugin
    assert data["sink_failures"]["count"] == 1
    assert data["sink_failures"]["first"][0]["error"].endswith("Error Posting Webhook: 404")


# 7. Hostile or odd text --------------------------------------------------------------------


@pytest.mark.parametrize("form", BOTH)
def test_escapes_and_bidi_are_printed_escaped(capsys, form):
    code, out = _run(capsys, f"hostile_escapes.{form}.log")
    assert code == 1  # the sink failure
    for raw in ("\x1b", "\x07", "\u202e", "\u2067", "\u2069"):
        assert raw not in out
    assert "failed to list \\e]0;owned\\x07\\e[2J: forbidden \\u202egnp.exe" in out
    assert "\\e[31mred\\e[0m \\u2067x\\u2069" in out


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_input_is_decoded_and_named(tmp_path, capsys, codec):
    text = (LOGS / "crash_loop_v1.13.0.json.log").read_text(encoding="utf-8")
    path = tmp_path / "agent.log"
    path.write_bytes(text.replace("\n", "\r\n").encode(codec))
    code, data = _run(capsys, str(path), "--format", "json")
    assert code == 1
    assert data["formats"] == ["json", "utf-16"]
    assert data["plugins"][K8S]["status"] == "deactivated"
    assert data["plugins"][K8S]["restarts"] == 11


def test_utf8_byte_order_mark_is_not_part_of_the_first_line(tmp_path, capsys):
    text = (LOGS / "healthy_v1.14.0.json.log").read_text(encoding="utf-8")
    path = tmp_path / "agent.log"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    _, data = _run(capsys, str(path), "--format", "json")
    assert data["first_time"] == "2024-11-22T08:00:00Z"
    assert data["entries"] == len(text.splitlines())


def test_help_states_the_exit_codes(capsys):
    with pytest.raises(SystemExit) as info:
        main(["diagnose", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "exit status:" in out
    for code in ("  0  ", "  1  ", "  2  ", "  130 "):
        assert code in out
