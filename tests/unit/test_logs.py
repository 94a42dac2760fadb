import json
from pathlib import Path

import pytest

from pytest_botkube.errors import BadInput
from pytest_botkube.readers import logs
from pytest_botkube.readers.logs import parse_line, read_log, read_log_file

LOGS = Path(__file__).parent.parent / "data" / "logs"
PLUGIN = "botkube/kubernetes"
SUB = "botkube/kubernetes.source_v1.13.0_kubernetes"


@pytest.mark.parametrize(
    ("name", "status", "restarts", "threshold", "statuses", "formats"),
    [
        ("crash_loop_v1.13.0.json.log", "deactivated", 11, 10, [2] * 11, {"json"}),
        ("crash_loop_v1.13.0.text.log", "deactivated", 4, 3, [2] * 4, {"text"}),
        ("crash_loop_coloured_interleaved.log", "deactivated", 3, 2, [2] * 3, {"coloured"}),
        ("crash_loop_no_debug.json.log", "deactivated", 4, 3, [2] * 4, {"json"}),
        ("exit_loop_unknown_type.json.log", "deactivated", 4, 3, [1] * 4, {"json"}),
        ("exit_loop_unknown_type.text.log", "deactivated", 3, 2, [1] * 3, {"text"}),
        ("restart_agent.json.log", "crashing", 3, 2, [2] * 3, {"json"}),
        ("previous_restart_agent.timestamps.log", "crashing", 3, 2, [2] * 3, {"json"}),
        ("healthy_v1.14.0.json.log", "running", 0, None, [], {"json"}),
        ("sink_failures.json.log", "running", 0, None, [], {"json"}),
    ],
)
def test_fixture_timelines(name, status, restarts, threshold, statuses, formats):
    summary = read_log_file(LOGS / name)
    assert PLUGIN in summary.plugins
    # the executor the fixtures also run answers health checks: running, never crashing
    assert all(t.status == "running" for n, t in summary.plugins.items() if n != PLUGIN)
    timeline = summary.plugins[PLUGIN]
    assert timeline.status == status
    assert timeline.restarts == restarts
    assert timeline.threshold == threshold
    assert timeline.exit_statuses == statuses
    assert summary.formats == formats


@pytest.mark.parametrize(
    "name",
    [
        "crash_loop_v1.13.0.json.log",
        "crash_loop_v1.13.0.text.log",
        "crash_loop_coloured_interleaved.log",
        "restart_agent.json.log",
        "previous_restart_agent.timestamps.log",
    ],
)
def test_panic_reassembled_from_debug_lines(name):
    timeline = read_log_file(LOGS / name).plugins[PLUGIN]
    panic = timeline.panic
    assert panic is not None
    assert panic.complete
    assert panic.message == "runtime error: invalid memory address or nil pointer dereference"
    assert panic.signal == "SIGSEGV"
    top = panic.top_frame
    assert top is not None
    assert (
        top.function == "github.com/kubeshop/botkube/internal/source/kubernetes.mergeResourceEvents"
    )
    assert (top.short_function, top.location) == ("mergeResourceEvents", "router.go:159")
    assert panic.frames[1].short_function == "(*Router).BuildTable"
    assert panic.frames[1].location == "router.go:67"
    assert not timeline.informers_registered


def test_log_cut_mid_trace_keeps_the_later_complete_panic():
    timeline = read_log_file(LOGS / "previous_restart_agent.timestamps.log").plugins[PLUGIN]
    # The excerpt starts inside the first trace: its frames are a panic without its panic
    # line (headless); the next two are whole, and the last whole one is the one reported.
    assert timeline.panic_count == 3
    assert [p.headless for p in timeline.panics] == [True, False, False]
    assert timeline.panics[0].message == ""
    assert timeline.panics[0].frames[0].short_function == "(*Router).BuildTable"
    assert timeline.panic is timeline.panics[-1]
    assert timeline.agent_exits[-1].restarts == 2
    assert timeline.agent_exits[-1].policy == "RestartAgent"


def test_deactivation_time_and_aliases():
    timeline = read_log_file(LOGS / "crash_loop_v1.13.0.json.log").plugins[PLUGIN]
    assert timeline.deactivated_at == "2024-11-20T09:15:56Z"
    assert timeline.aliases == ["k8s-all-events", "k8s-hpa-events"]
    assert timeline.kind == "source"
    assert timeline.binary == "/tmp/botkube/source_v1.13.0_kubernetes"
    assert timeline.not_responding == 11


def test_exit_loop_records_the_resource_type_and_informers():
    timeline = read_log_file(LOGS / "exit_loop_unknown_type.json.log").plugins[PLUGIN]
    assert timeline.informers_registered
    assert timeline.unparsable_resources == ["autoscaling/v2beta2/horizontalpodautoscalers"]
    assert timeline.panic is None
    assert any("no matches for kind" in e for e in timeline.errors)


def test_sink_failures_are_counted():
    summary = read_log_file(LOGS / "sink_failures.json.log")
    assert summary.sink_failure_count == 2
    assert "Error Posting Webhook: 500" in summary.sink_failures[0].error
    assert "connection refused" in summary.sink_failures[1].error


def test_same_entry_in_every_formatter_reads_the_same():
    msg = 'Restarting source plugin "botkube/kubernetes", attempt 3/10...'
    bare = json.dumps({"level": "info", "msg": msg, "time": "T1"})
    lines = [
        json.dumps(
            {"component": "Plugin Health Monitor", "level": "info", "msg": msg, "time": "T1"}
        ),
        f'time="T1" level=info msg="{msg.replace(chr(34), chr(92) + chr(34))}" '
        'component="Plugin Health Monitor"',
        f'\x1b[36mINFO\x1b[0m[T1] {msg:<44}  \x1b[36mcomponent\x1b[0m="Plugin Health Monitor"',
        f'INFO[T1] {msg:<44}  component="Plugin Health Monitor"',
        f"2024-11-20T09:14:05.118203000Z {bare}",  # kubectl logs --timestamps
        f"[pod/botkube-5d8f9c7b6d-x2kqp/botkube] {bare}",  # kubectl logs --prefix
    ]
    records = [parse_line(line) for line in lines]
    assert all(r is not None for r in records)
    assert {(r.level, r.msg, r.time) for r in records if r} == {("info", msg, "T1")}
    assert [r.fields.get("component") for r in records if r][:4] == ["Plugin Health Monitor"] * 4


def test_go_quoted_values_are_unescaped():
    record = parse_line(
        'time="T" level=error msg="\\x1b[31mERRO\\x1b[0m[T] caf\u00e9 \\"q\\"\\tx" logger=stderr'
    )
    assert record is not None
    assert record.msg == '\x1b[31mERRO\x1b[0m[T] caf\u00e9 "q"\tx'
    assert record.fields == {"logger": "stderr"}


def test_nested_coloured_plugin_line_keeps_outer_fields_apart():
    inner = "\x1b[31mERRO\x1b[0m[T] Unable to parse resource: v1/nope to register with informer  "
    inner += '\x1b[31merror\x1b[0m="no matches" \x1b[31mid\x1b[0m=1'
    line = f"\x1b[31mERRO\x1b[0m[T] {inner}  \x1b[31mlogger\x1b[0m=stderr "
    line += f"\x1b[31mplugin\x1b[0m={PLUGIN}"
    record = parse_line(line)
    assert record is not None
    assert record.fields == {"logger": "stderr", "plugin": PLUGIN}
    assert record.msg == inner
    summary = read_log([line])
    assert summary.plugins[PLUGIN].unparsable_resources == ["v1/nope"]


@pytest.mark.parametrize(
    "line",
    [
        "",
        "W1120 09:14:05.118203   48213 warnings.go:70] unknown field",
        "$ kubectl -n botkube logs deploy/botkube",
        '{"not": "a log entry"}',
        "{truncated json",
    ],
)
def test_non_log_lines_are_not_records(line):
    assert parse_line(line) is None


def test_interleaved_lines_do_not_break_the_timeline():
    path = LOGS / "crash_loop_coloured_interleaved.log"
    text = path.read_text(encoding="utf-8")
    assert "\x1b[" in text
    assert "$ kubectl" in text
    summary = read_log_file(path)
    assert summary.plugins[PLUGIN].panic_count == 3


def _debug(msg: str) -> str:
    return json.dumps(
        {"level": "debug", "msg": msg, "plugin": PLUGIN, "subsystem_name": SUB, "time": "T"}
    )


def _exit(status: int) -> str:
    return json.dumps(
        {
            "error": f"exit status {status}",
            "level": "error",
            "msg": "plugin process exited",
            "path": "/tmp/botkube/source_v1.13.0_kubernetes",
            "pid": 7,
            "plugin": PLUGIN,
            "time": "T",
        }
    )


def test_recovered_panic_keeps_the_final_message_and_fatal_error_is_a_panic():
    lines = [
        _debug("panic: first [recovered]"),
        _debug("\tpanic: second"),
        _debug(""),
        _debug("goroutine 1 [running]:"),
        _debug("main.f()"),
        _debug("\t/src/main.go:10 +0x1"),
        _exit(2),
        _debug("fatal error: concurrent map writes"),
        _debug(""),
        _debug("goroutine 9 [running]:"),
        _debug("runtime.throw({0x1, 0x2})"),
        _debug("\t/usr/local/go/src/runtime/panic.go:1077 +0x5c"),
        _debug("main.g(...)"),
        _debug("\t/src/main.go:20"),
        _debug(""),
        _debug("goroutine 1 [select]:"),
        _debug("main.h()"),
        _debug("\t/src/main.go:30 +0x1"),
        _exit(2),
    ]
    timeline = read_log(lines).plugins[PLUGIN]
    first, second = timeline.panics
    assert first.message == "second"
    assert [f.location for f in first.frames] == ["main.go:10"]
    assert second.kind == "fatal error"
    assert second.complete
    # Frames of the other goroutine are not part of the failing stack; runtime frames are
    # kept but the top frame is the first outside the runtime.
    assert [f.location for f in second.frames] == ["panic.go:1077", "main.go:20"]
    assert second.top_frame is not None
    assert second.top_frame.short_function == "g"


def test_clean_exit_and_signal_are_told_apart():
    clean = json.dumps(
        {"level": "info", "msg": "plugin process exited", "path": "/p", "pid": 1, "plugin": PLUGIN}
    )
    killed = json.dumps(
        {
            "error": "signal: killed",
            "level": "error",
            "msg": "plugin process exited",
            "plugin": PLUGIN,
        }
    )
    timeline = read_log([clean]).plugins[PLUGIN]
    # a clean exit alone is no failure, and no sign that the plugin runs either
    assert timeline.status == "unknown"
    assert not timeline.crashed
    assert timeline.exits[0].status == 0
    timeline = read_log([clean, killed]).plugins[PLUGIN]
    assert timeline.status == "crashing"
    assert timeline.signals == ["killed"]
    assert timeline.exit_statuses == []


def test_lists_are_bounded_but_counts_go_on(monkeypatch):
    monkeypatch.setattr(logs, "MAX_EVENTS", 5)
    timeline = read_log(_exit(2) for _ in range(50)).plugins[PLUGIN]
    assert timeline.exit_count == 50
    assert len(timeline.exits) == 5


def test_read_log_consumes_a_generator_lazily():
    seen = []

    def lines():
        for i in range(3):
            seen.append(i)
            yield _exit(1)

    summary = read_log(lines())
    assert seen == [0, 1, 2]
    assert summary.lines == 3


def test_overlong_physical_line_is_read_in_pieces(tmp_path, monkeypatch):
    monkeypatch.setattr(logs, "MAX_LINE", 1000)
    path = tmp_path / "agent.log"
    path.write_text("x" * 5000 + "\n" + _exit(2) + "\n", encoding="utf-8")
    summary = read_log_file(path)
    # five 1000-character pieces, the bare newline that ends them, then the entry
    assert summary.lines == 7
    assert summary.plugins[PLUGIN].exit_statuses == [2]


def test_stdin_dash(monkeypatch):
    import io
    import sys

    data = (LOGS / "exit_loop_unknown_type.json.log").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    summary = read_log_file("-")
    assert summary.plugins[PLUGIN].exit_statuses == [1] * 4


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty, so it has {found}"),
        (b"\x00\x01\x02\xff\xfe binary\n", "read 1 line and found {found} in it"),
        (b"just some text\nand more\n", "read 2 lines and found {found} in them"),
    ],
)
def test_not_a_log_is_bad_input(tmp_path, content, expected):
    path = tmp_path / "x.log"
    path.write_bytes(content)
    with pytest.raises(BadInput, match="no BotKube agent log entry") as info:
        read_log_file(path)
    # one line: "<file>: <what was read> ... no BotKube agent log entry (...) and no Go panic"
    found = "no BotKube agent log entry (JSON or logrus text) and no Go panic"
    assert str(info.value) == f"{path}: {expected.format(found=found)}"
    assert "\n" not in str(info.value)


def test_missing_and_directory_are_bad_input(tmp_path):
    with pytest.raises(BadInput, match="no such file"):
        read_log_file(tmp_path / "nope.log")
    with pytest.raises(BadInput, match="is a directory"):
        read_log_file(tmp_path)


def test_plugin_for_alias():
    summary = read_log_file(LOGS / "healthy_v1.14.0.json.log")
    assert summary.plugin_for_alias("k8s-hpa-events") == PLUGIN
    assert summary.plugin_for_alias("nope") is None


ALL_LOGS = sorted(p.name for p in LOGS.glob("*.log"))


@pytest.mark.parametrize("name", ALL_LOGS)
def test_streamed_bytes_and_lines_read_the_same(name):
    """read_log_file's bytes loop and read_log's str loop are two copies of one reader."""
    streamed = read_log_file(LOGS / name)
    text = (LOGS / name).read_text(encoding="utf-8")
    listed = read_log(text.splitlines(keepends=True))

    def shape(summary):
        return (
            summary.lines,
            summary.records,
            sorted(summary.formats),
            summary.first_time,
            summary.last_time,
            summary.version,
            [(e.kind, e.line, e.detail) for e in summary.agent_events],
            {
                n: (t.status, t.exit_count, t.panic_count, t.restarts, t.version, t.errors)
                for n, t in summary.plugins.items()
            },
            summary.sink_failure_count,
        )

    assert shape(streamed) == shape(listed)


def test_agent_restarted_after_a_bare_panic():
    panic = (LOGS / "previous_socket_slack_panic.bare.log").read_text().splitlines()
    healthy = (LOGS / "healthy_v1.14.0.json.log").read_text().splitlines()
    summary = read_log(panic + healthy)  # kubectl logs --previous, then the current container
    assert [e.kind for e in summary.agent_events] == ["panic", "restarted"]
    assert summary.agent_down
    assert summary.plugins[PLUGIN].status == "running"


def test_bare_frames_without_panic_line_are_a_headless_agent_panic():
    trace = (LOGS / "previous_socket_slack_panic.bare.log").read_text().splitlines()
    summary = read_log(trace[5:])  # pasted from the second frame on
    panic = summary.agent_panic
    assert panic is not None
    assert panic.headless
    assert panic.top_frame is not None
    assert panic.top_frame.short_function == "(*Client).runMessageReceiver"
    assert summary.agent_down


def test_logrus_panic_level_entry_is_an_agent_failure():
    entry = json.dumps({"level": "panic", "msg": "boom", "time": "T"})
    summary = read_log([entry])
    assert [(e.kind, e.detail) for e in summary.agent_events] == [("fatal", "boom")]
    assert summary.agent_fatals == ["boom"]


def test_once_messages_are_examined_again_after_a_new_agent_start():
    def entry(**fields):
        return json.dumps(fields, separators=(",", ":"))  # as logrus writes it

    start = entry(level="info", msg='Starting server on address ":2113"')
    stream = entry(
        **{
            "level": "info",
            "msg": "Start source streaming...",
            "pluginName": PLUGIN,
            "sourceName": "a",
            "time": "T",
        }
    )
    reader = logs.LogReader()
    wanted = reader.wanted_bytes
    assert [wanted(line.encode(), {}) for line in (start, stream, stream, start, stream)] == [
        True,
        True,
        False,  # the same source streamed again: nothing new
        True,
        True,  # a new agent process streams its sources anew
    ]


def _compact(**fields):
    return json.dumps(fields, separators=(",", ":"))  # as logrus writes it


@pytest.mark.parametrize("compact", [True, False])
def test_every_line_that_names_a_plugin_names_it(compact):
    dump = _compact if compact else (lambda **f: json.dumps(f))
    lines = {
        "a/marked": dump(
            level="debug", msg="Marking source plugin as enabled", pluginKey="a/marked"
        ),
        "a/off": dump(
            level="debug", msg="Source plugin defined but not enabled.", pluginKey="a/off"
        ),
        "a/unbound": dump(
            level="debug",
            msg="Executor plugin defined and enabled but not used by any platform or "
            "standalone action",
            pluginKey="a/unbound",
        ),
        "a/starting": dump(level="debug", msg="starting plugin", path="/p", plugin="a/starting"),
        "a/started": dump(
            level="debug", msg="plugin started", path="/p", pid=3, plugin="a/started"
        ),
        "a/registered": dump(
            level="info",
            msg="Source plugin registered successfully.",
            plugin="a/registered",
            version="v1.13.0",
        ),
        "a/stopping": dump(level="info", msg='Exiting plugin "a/stopping" supervisor...'),
    }
    summary = read_log(lines.values())
    assert set(summary.plugins) == set(lines)
    status = {name: t.status for name, t in summary.plugins.items()}
    assert status["a/starting"] == status["a/started"] == "running"
    assert status["a/off"] == status["a/unbound"] == status["a/registered"] == "unknown"
    assert summary.plugins["a/off"].unused == ["defined but not enabled"]
    assert summary.plugins["a/unbound"].unused == ["enabled but bound to no platform or action"]
    assert summary.plugins["a/registered"].version == "v1.13.0"
    from pytest_botkube.readers.health import health_verdict

    assert health_verdict(None, summary, "a/off").sentence == (
        "not started: defined but not enabled (every group that defines it)"
    )
    assert health_verdict(None, summary, "a/marked").sentence.startswith("unknown: named")


def _fed(lines):
    panic = logs.Panic(line=1, time=None, message="x")
    for line in lines:
        panic.feed(line)
    return panic


def test_frames_after_a_panic_line_without_the_goroutine_header():
    panic = _fed(
        [
            "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x1]",
            "example.com/app/pkg.(*T).Do(0xc000010000)",
            "\t/src/app/pkg/t.go:42 +0x1f",
            "example.com/app/pkg.run(...)",
            "\t/src/app/pkg/run.go:7",
        ]
    )
    assert [str(f) for f in panic.frames] == [
        "example.com/app/pkg.(*T).Do (/src/app/pkg/t.go:42)",
        "example.com/app/pkg.run (/src/app/pkg/run.go:7)",
    ]
    assert panic.goroutine is None
    assert not panic.headless


def test_before_the_goroutine_header_only_function_then_file_lines_are_frames():
    panic = _fed(
        [
            "    some indented note: 12",  # an indented line with no function before it
            "see the attached file for details",  # prose, not a Go function line
            "\t/src/app/notes.txt:3",  # so this file line has no frame to belong to
            "runtime stack:",  # a fatal error's runtime frames: not where it failed
            "runtime.throw({0x1, 0x2})",
            "\t/usr/local/go/src/runtime/panic.go:1077 +0x5c",
            "goroutine 9 [running]:",
            "example.com/app/pkg.work()",
            "\t/src/app/pkg/work.go:11 +0x2a",
        ]
    )
    assert [str(f) for f in panic.frames] == ["example.com/app/pkg.work (/src/app/pkg/work.go:11)"]
    assert panic.goroutine == "goroutine 9 [running]"


def test_recovered_panic_still_takes_the_inner_message():
    panic = _fed(["\tpanic: the real one", "example.com/app.f()", "\t/src/app/f.go:1"])
    assert panic.message == "the real one"
    assert [f.function for f in panic.frames] == ["example.com/app.f"]
