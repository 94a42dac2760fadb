import io
import json
import sys
from pathlib import Path

import pytest

from pytest_botkube.cli import main

LOGS = Path(__file__).parent.parent / "data" / "logs"
PLUGIN = "botkube/kubernetes"


def _json(capsys, name):
    code = main(["diagnose", "--format", "json", str(LOGS / name)])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("name", "code", "status", "restarts", "threshold", "statuses", "issue", "top"),
    [
        (
            "crash_loop_v1.13.0.json.log",
            1,
            "deactivated",
            11,
            10,
            [2] * 11,
            1474,
            "mergeResourceEvents",
        ),
        (
            "crash_loop_v1.13.0.text.log",
            1,
            "deactivated",
            4,
            3,
            [2] * 4,
            1474,
            "mergeResourceEvents",
        ),
        (
            "crash_loop_coloured_interleaved.log",
            1,
            "deactivated",
            3,
            2,
            [2] * 3,
            1474,
            "mergeResourceEvents",
        ),
        ("exit_loop_unknown_type.json.log", 1, "deactivated", 4, 3, [1] * 4, 1080, None),
        ("exit_loop_unknown_type.text.log", 1, "deactivated", 3, 2, [1] * 3, 1080, None),
        ("restart_agent.json.log", 1, "crashing", 3, 2, [2] * 3, 1474, "mergeResourceEvents"),
        ("healthy_v1.14.0.json.log", 0, "running", 0, None, [], None, None),
        # a failed sink POST is a problem seen (exit 1), though the plugin runs
        ("sink_failures.json.log", 1, "running", 0, None, [], None, None),
    ],
)
def test_json_output(capsys, name, code, status, restarts, threshold, statuses, issue, top):
    got_code, data = _json(capsys, name)
    assert got_code == code
    plugin = data["plugins"][PLUGIN]
    assert plugin["status"] == status
    assert (plugin["restarts"], plugin["threshold"]) == (restarts, threshold)
    assert plugin["exit_statuses"] == statuses
    expected_url = f"https://github.com/kubeshop/botkube/issues/{issue}" if issue else None
    assert plugin["known_issue"] == expected_url
    if top is None:
        assert plugin["panic"] is None
    else:
        assert plugin["panic"]["frames"][0].endswith(f".{top}")
        assert plugin["panic"]["location"] == "router.go:159"
        assert plugin["panic"]["message"].startswith("runtime error: invalid memory address")


def test_text_output_names_issue_and_fix(capsys):
    code = main(["diagnose", str(LOGS / "crash_loop_v1.13.0.json.log")])
    out = capsys.readouterr().out
    assert code == 1
    assert out.splitlines()[0] == (
        "botkube/kubernetes: deactivated after 11/10 restarts, panic in mergeResourceEvents "
        "(router.go:159); matches kubeshop/botkube#1474"
    )
    assert "https://github.com/kubeshop/botkube/issues/1474" in out
    assert "fixed in: v1.14.0" in out
    assert "'Registering informers...' printed: never" in out


def test_text_output_says_plainly_when_nothing_matches(capsys, tmp_path):
    lines = [
        {"level": "debug", "msg": "panic: boom", "plugin": PLUGIN, "subsystem_name": "x.y"},
        {
            "error": "exit status 2",
            "level": "error",
            "msg": "plugin process exited",
            "plugin": PLUGIN,
        },
    ]
    path = tmp_path / "agent.log"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    assert main(["diagnose", str(path)]) == 1
    assert "known issue: none in the catalogue matches" in capsys.readouterr().out


def test_sink_failures_in_text(capsys):
    assert main(["diagnose", str(LOGS / "sink_failures.json.log")]) == 1
    out = capsys.readouterr().out
    assert "sink send failures: 2" in out


def test_stdin(capsys, monkeypatch):
    data = (LOGS / "exit_loop_unknown_type.text.log").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["diagnose", "--format", "json", "-"]) == 1
    assert json.loads(capsys.readouterr().out)["plugins"][PLUGIN]["exit_statuses"] == [1] * 3


@pytest.mark.parametrize("content", [None, b"", b"not a log\n"])
def test_unreadable_input_exits_2_with_one_line(capsys, tmp_path, content):
    path = tmp_path / "agent.log"
    if content is not None:
        path.write_bytes(content)
    assert main(["diagnose", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"botkube-repro diagnose: error: {path}")
