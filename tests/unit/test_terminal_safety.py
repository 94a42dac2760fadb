"""Text output escapes control characters and bidi overrides from any input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_botkube.cli import main
from pytest_botkube.text import count, one_line, safe

HOSTILE = "web\x1b[31mRED\x1b]0;title\x07\u202egnp.exe\u2066x\u2069\x00\x7f\x9b"


def test_safe_shows_every_control_and_bidi_character_as_an_escape():
    shown = safe(HOSTILE)
    assert shown == "web\\e[31mRED\\e]0;title\\x07\\u202egnp.exe\\u2066x\\u2069\\x00\\x7f\\x9b"
    assert shown.isprintable()
    assert (
        safe("tab\tand\nnewline stay, é and 日本 too") == "tab\tand\nnewline stay, é and 日本 too"
    )
    assert one_line("two\nlines\r") == "two\\nlines\\r"


def _values_with(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "values.yaml"
    body = {
        "sources": {
            text: {
                "botkube/kubernetes": {
                    "enabled": True,
                    "context": {
                        "rbac": {
                            "group": {
                                "type": "Static",
                                "prefix": "",
                                "static": {"values": ["botkube-plugins-default"]},
                            }
                        }
                    },
                    "config": {
                        "event": {"types": ["create"]},
                        "resources": [{"type": "apps/v1/deployments"}],
                    },
                }
            }
        }
    }
    path.write_text(json.dumps(body), encoding="utf-8")  # JSON is YAML
    return path


def test_lint_text_report_is_terminal_safe(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    hostile = "k8s-\x1b[2Jsource\u202e"  # a source alias, shown in the sources table
    code = main(["lint", "--botkube-version", "1.13.0", str(_values_with(tmp_path, hostile))])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    assert "\x1b" not in out + err
    assert "\u202e" not in out + err
    assert "k8s-\\e[2Jsource\\u202e" in out  # the alias is shown, escaped


def test_diagnose_text_report_is_terminal_safe(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    log = tmp_path / "agent.log"
    entry = {
        "level": "error",
        "msg": "plugin process exited",
        "plugin": "botkube/kubernetes",
        "error": "exit status 2 \x1b[31m\u202eevil",
        "time": "2026-01-01T00:00:00Z",
    }
    log.write_text(json.dumps(entry) + "\n", encoding="utf-8")
    main(["diagnose", str(log)])
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err
    assert "\u202e" not in out + err


def test_an_error_message_is_terminal_safe(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "values.yaml"
    path.write_text('sources: "\x1b[31m\u202e"\n', encoding="utf-8")
    assert main(["lint", "--botkube-version", "1.13.0", str(path)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "\u202e" not in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("n", "noun", "expected"),
    [
        (0, "delivery", "0 deliveries"),
        (1, "delivery", "1 delivery"),
        (2, "expected delivery", "2 expected deliveries"),
        (1, "rejected request", "1 rejected request"),
        (3, "rejected request", "3 rejected requests"),
        (2, "day", "2 days"),
        (2, "child", "2 children"),
    ],
)
def test_count_puts_the_noun_in_the_number(n: int, noun: str, expected: str) -> None:
    plural = "children" if noun == "child" else None
    assert count(n, noun, plural) == expected
