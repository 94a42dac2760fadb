"""diagnose output is pasted into public issues: no secret from the log may reach it.

The fixtures (tests/data/logs/secrets_*) are agent logs in the shapes BotKube v1.13.0 writes, with
fake credentials where real logs carry them: the webhook sink's failed POST names its URL
(``pkg/sink/webhook.go`` wraps the net/http error, which quotes the URL with only the userinfo
password masked) and the plugin manager's start-up error names the index URL as configured
(``pkg/plugin/manager.go``, password included).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_botkube.cli import diagnose, main
from pytest_botkube.redact import REDACTED

LOGS = Path(__file__).parent.parent / "data" / "logs"

SINK_SECRETS = {  # in the order of the failures in the log
    "slack-shaped path behind a relay host": "FAKErelayHOOKpath0000000",
    "query token": "FAKEdiagQUERYtoken01",
    "hooks.slack.com path": "FAKEslackDIAGhook0000000",
    "mattermost /hooks/ key": "fakemmdiaghook00000000000a",
    "generated key in a path segment": "FAKEdiagPATHkey0Mixed000X",
}
FATAL_SECRETS = {
    "userinfo password": "FAKEdiagINDEXpass0",
    "presigned credential": "FAKEdiagAMZcredential0",
    "presigned signature": "FAKEdiagAMZsignature0000",
}
TEXT_SHOWN_SINKS = 3  # the text output shows the first three sink failures, JSON the first five


def _diagnose(capsys, name: str, output: str) -> tuple[int, str]:
    extra = ["--format", "json"] if output == "json" else []
    code = main(["diagnose", *extra, str(LOGS / name)])
    return code, capsys.readouterr().out


def _expected(name: str, output: str) -> list[str]:
    if name.startswith("secrets_index_fatal"):
        return list(FATAL_SECRETS.values())
    secrets = list(SINK_SECRETS.values())
    return secrets[:-1] if output == "text" else secrets  # the 4th failure is not in the text


CASES = [
    (f"{stem}.{form}.log", output)
    for stem in ("secrets_sink_failures_v1.13.0", "secrets_index_fatal")
    for form in ("json", "text")
    for output in ("text", "json")
]


@pytest.mark.parametrize(("name", "output"), CASES)
def test_without_redaction_diagnose_would_print_the_secrets(capsys, monkeypatch, name, output):
    """The check below can fail: with the redaction switched off every planted secret is shown."""
    monkeypatch.setattr(diagnose, "redact_strings", lambda data: data)
    _, out = _diagnose(capsys, name, output)
    for secret in _expected(name, output):
        assert secret in out


@pytest.mark.parametrize(("name", "output"), CASES)
def test_diagnose_prints_no_secret_from_the_log(capsys, name, output):
    code, out = _diagnose(capsys, name, output)
    assert code == 1  # a sink failure / an agent fatal: still the same verdict
    raw = (LOGS / name).read_text(encoding="utf-8")
    for secret in _expected(name, output):
        assert secret in raw, f"fixture lost its planted secret {secret!r}"
        assert secret not in out
    assert REDACTED in out


@pytest.mark.parametrize("form", ["json", "text"])
def test_redacted_sink_failures_keep_host_and_error(capsys, form):
    _, out = _diagnose(capsys, f"secrets_sink_failures_v1.13.0.{form}.log", "json")
    data = json.loads(out)
    assert data["sink_failures"]["count"] == 4
    errors = [f["error"] for f in data["sink_failures"]["first"]]
    assert errors[0] == (
        "while sending sink message: while sending message to webhook: Post "
        f'"https://relay.example.invalid/services/{REDACTED}?token={REDACTED}&channel=ops": '
        "dial tcp: lookup relay.example.invalid on 10.96.0.10:53: no such host"
    )
    assert f'"https://hooks.slack.com/services/{REDACTED}": context deadline' in errors[1]
    assert f'"https://{REDACTED}@chat.example.invalid/hooks/{REDACTED}": read tcp' in errors[2]
    assert f'"https://ops.example.invalid/api/notify/{REDACTED}": net/http' in errors[3]


@pytest.mark.parametrize("form", ["json", "text"])
def test_redacted_index_fatal_keeps_the_known_issue(capsys, form):
    _, out = _diagnose(capsys, f"secrets_index_fatal.{form}.log", "json")
    agent = json.loads(out)["agent"]
    assert agent["went_down"] is True
    assert [k["ref"] for k in agent["known_issues"]] == ["kubeshop/botkube#1038"]
    fatal = next(e for e in agent["timeline"] if e["event"] == "fatal")
    assert (
        f'URL "https://{REDACTED}@plugins.example.invalid/botkube/v1.12.0/plugins-index.yaml'
        f'?X-Amz-Credential={REDACTED}&X-Amz-Signature={REDACTED}": incorrect status code: 403'
    ) in fatal["detail"]
