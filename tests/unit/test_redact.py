"""Redaction on a values file and an agent log full of fake secrets (tests/data/secrets/)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_botkube.redact import (
    REDACTED,
    is_secret_key,
    redact_bytes,
    redact_file,
    redact_text,
    redact_values,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "secrets"
VALUES_TEXT = (DATA / "values.yaml").read_text(encoding="utf-8")
LOG_TEXT = (DATA / "agent.log").read_text(encoding="utf-8")

# kind of secret -> the fake secrets of that kind planted in values.yaml
VALUES_SECRETS: dict[str, list[str]] = {
    "slack-bot-token": ["xoxb-0000000000-1111111111111-FAKEslackBOTtokenNOTreal"],
    "slack-app-token": [
        "xapp-1-A0FAKE00000-2222222222222-fakeappLEVELtokenNOTreal0000000000000000000000"
    ],
    "mattermost-token": ["fakem4ttermosttoken0000000", "fakem4ttermostENVtoken0000"],
    "discord-token": ["MTAwMDAwMDAwMDAwMDAwMDAw.GFAKE0.fakeDISCORDbotTOKENnotREAL000000000"],
    "teams-app-password": ["Fk38Q~FAKE.teams_APP-passw0rd~NOTreal0000000"],
    "elasticsearch-password": ["FAKE-elastic-Passw0rd"],
    "pagerduty-integration-key": ["fakepagerdutyintegrationkey0000"],
    "slack-incoming-webhook": ["T00FAKE00/B00FAKE00/FAKEslackWEBHOOKpath0000"],
    "discord-webhook": ["FAKE-discord-WEBHOOK-token_NOTreal000000"],
    "teams-incoming-webhook": ["fakeTEAMSwebhookPATH0000", "00000000-fake-0000-0000-000000000000"],
    "teams-workflow-sig": ["FAKEteamsWORKFLOWsig000000000000000000000"],
    "url-userinfo": ["FAKE-userinfo-pass"],
    "url-query-token": ["FAKEqueryTOKEN000"],
    "plugin-index-header": ["FAKEpluginINDEXbearer0000"],
    "kubeconfig-base64": ["ZmFrZS1rdWJlY29uZmlnLW5vdC1yZWFsLWJhc2U2NC1GQUtF"],
    "botkube-cloud-api-key": ["FAKE-botkube-cloud-API-key-0000"],
}

LOG_SECRETS: dict[str, list[str]] = {
    "url-userinfo": ["FAKE-index-userinfo-pass", "FAKE-log-elastic-pass"],
    "url-query-token": ["FAKEindexQUERYtoken00"],
    "authorization-bearer": ["FAKElogBEARERtoken0000"],
    "mattermost-token-in-escaped-json": ["fakem4ttermostLOGtoken0000"],
    "slack-bot-token": ["xoxb-0000000000-3333333333333-FAKElogSLACKtokenNOTreal"],
    "slack-app-token": ["xapp-1-A0FAKE00000-4444444444444-fakeLOGappTOKEN000000000000000000000"],
    "discord-token-under-key": [
        "MTAwMDAwMDAwMDAwMDAwMDAw.GFAKE1.fakeLOGdiscordTOKENnotREAL00000000"
    ],
    "discord-token-free": ["MTAwMDAwMDAwMDAwMDAwMDAx.GFAKE2.fakeFREEdiscordTOKENnotREAL000000000"],
    "teams-app-password-under-key": ["Fk38Q~FAKE.teams_LOG-passw0rd~NOTreal0000000"],
    "teams-client-secret-free": ["Xy79Q~FAKE.teams_FREE-secret~NOTreal000000"],
    "teams-incoming-webhook": ["fakeLOGteamsWEBHOOK0000"],
    "slack-incoming-webhook": ["FAKElogSLACKwebhook00000"],
    "logfmt-password": ["FAKE-log-password-kv"],
    "kubeconfig-client-certificate-data": ["RkFLRS1jbGllbnQtY2VydGlmaWNhdGUtZGF0YS1OT1QtUkVBTA=="],
    "kubeconfig-client-key-data": ["RkFLRS1jbGllbnQta2V5LWRhdGEtTk9ULVJFQUw="],
    "kubeconfig-token": [
        "eyJhbGciOiJSUzI1NiIsImtpZCI6IkZBS0UifQ.eyJzdWIiOiJGQUtFLXNlcnZpY2UtYWNjb3VudCJ9"
        ".RkFLRS1zaWduYXR1cmUtTk9ULVJFQUwtMDAwMDAw"
    ],
    "kubeconfig-password": ["FAKE-kubeconfig-password"],
    "pem-private-key": [
        "MIIEowIBAAKCAQEAfakeFAKEfakeFAKEprivateKEYbodyNOTreal00000000000000",
        "fakeFAKEfakeFAKEsecondLINEofTHEkeyNOTreal0000000000000000000000000",
        "b3BlbnNzaC1rZXktdjEAAAAAfakeOPENSSHkeyNOTreal000000000000000000000",
    ],
}

# Lines that carry no secret and must come out byte for byte.
LOG_KEPT = [
    line
    for line in LOG_TEXT.splitlines()
    if any(
        marker in line
        for marker in (
            "panic: runtime error",
            "SIGSEGV",
            "mergeResourceEvents",
            "router.go:159",
            "plugin process exited",
            "Restarting source plugin",
            "Deactivating...",
            "certificate-authority-data",
            "server: https://127.0.0.1:6443",
            "username: admin",
            "Using kubeconfig",
        )
    )
]


def _all(secrets: dict[str, list[str]]) -> list[str]:
    return [s for group in secrets.values() for s in group]


def _fragments(secret: str, haystack_without_secrets: str, size: int = 10) -> list[str]:
    """Every ``size``-long window of a secret that is not ordinary text elsewhere in the input."""
    windows = {secret[i : i + size] for i in range(max(1, len(secret) - size + 1))}
    return sorted(w for w in windows if w not in haystack_without_secrets)


def _without(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "")
    return text


def _assert_gone(secrets: list[str], source: str, output: str) -> None:
    rest = _without(source, _all(VALUES_SECRETS) + _all(LOG_SECRETS))
    for secret in secrets:
        assert secret in source, f"test data lost its planted secret {secret!r}"
        assert secret not in output
        leaked = [f for f in _fragments(secret, rest) if f in output]
        assert not leaked, f"parts of {secret!r} survived: {leaked}"


@pytest.mark.parametrize("kind", sorted(VALUES_SECRETS))
def test_values_file_secret_is_redacted_structurally(kind: str) -> None:
    values = yaml.safe_load(VALUES_TEXT)
    out = yaml.safe_dump(redact_values(values), sort_keys=False)
    _assert_gone(VALUES_SECRETS[kind], VALUES_TEXT, out)


@pytest.mark.parametrize("kind", sorted(VALUES_SECRETS))
def test_values_file_secret_is_redacted_as_text(kind: str) -> None:
    _assert_gone(VALUES_SECRETS[kind], VALUES_TEXT, redact_text(VALUES_TEXT))


@pytest.mark.parametrize("kind", sorted(LOG_SECRETS))
def test_log_secret_is_redacted(kind: str) -> None:
    _assert_gone(LOG_SECRETS[kind], LOG_TEXT, redact_text(LOG_TEXT))


def test_log_lines_without_secrets_are_untouched() -> None:
    out_lines = redact_text(LOG_TEXT).splitlines()
    assert len(LOG_KEPT) >= 11
    for line in LOG_KEPT:
        assert line in out_lines


def test_redacted_log_keeps_its_line_count_outside_pem_blocks() -> None:
    out = redact_text(LOG_TEXT)
    # each PEM body collapses to one marker line; nothing else gains or loses lines
    assert len(out.splitlines()) == len(LOG_TEXT.splitlines()) - 1
    assert "-----BEGIN RSA PRIVATE KEY-----\n<redacted>\n-----END RSA PRIVATE KEY-----" in out


def test_values_keep_keys_hosts_and_non_secrets() -> None:
    values = yaml.safe_load(VALUES_TEXT)
    out = redact_values(values)
    group = out["communications"]["default-group"]
    assert group["socketSlack"]["botToken"] == REDACTED
    assert group["socketSlack"]["channels"]["default"]["name"] == "botkube-alerts"
    assert group["mattermost"]["url"] == "https://mattermost.example.invalid"
    assert group["discord"]["botID"] == "100000000000000000"
    assert group["teams"]["appID"] == "00000000-0000-0000-0000-00000000fa4e"
    assert group["elasticsearch"]["username"] == "elastic"
    assert group["webhook"]["url"] == "http://172.18.0.1:8765/botkube"
    assert out["communications"]["slack-webhooks"]["webhook"]["url"] == (
        f"https://hooks.slack.com/services/{REDACTED}"
    )
    basic = out["communications"]["basic-auth"]["webhook"]["url"]
    assert basic == f"https://{REDACTED}@receiver.example.invalid/hook?token={REDACTED}&tenant=acme"
    workflow = out["communications"]["teams-workflow"]["webhook"]["url"]
    assert workflow.endswith(
        f"api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={REDACTED}"
    )
    assert out["plugins"]["repositories"]["botkube"]["headers"]["Authorization"] == REDACTED
    assert out["plugins"]["restartPolicy"] == {"type": "DeactivatePlugin", "threshold": 3}
    assert out["kubeconfig"] == {"enabled": True, "base64Config": REDACTED, "existingSecret": ""}
    assert out["ssl"]["existingSecretName"] == "botkube-tls"
    assert out["extraEnv"][0] == {"name": "LOG_LEVEL_SOURCE_BOTKUBE_KUBERNETES", "value": "debug"}
    assert out["extraEnv"][1]["value"] == REDACTED
    assert out["sources"] == values["sources"]


def test_redact_values_never_mutates_its_input() -> None:
    values = yaml.safe_load(VALUES_TEXT)
    before = copy.deepcopy(values)
    redact_values(values)
    assert values == before


def test_empty_and_boolean_values_under_secret_keys_stay_as_they_are() -> None:
    data: dict[str, Any] = {"botToken": "", "password": None, "secret": {"enabled": False, "n": 3}}
    assert redact_values(data) == {
        "botToken": "",
        "password": None,
        # a mapping under a secret-named key is a subtree with its own keys, not a secret
        # (issue 11: a source alias k8s-secret-events was blanked whole)
        "secret": {"enabled": False, "n": 3},
    }


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("botToken", True),
        ("appToken", True),
        ("token", True),
        ("appPassword", True),
        ("apiKey", True),
        ("api_key", True),
        ("X-API-Key", True),
        ("integrationKey", True),
        ("client-key-data", True),
        ("client-certificate-data", True),
        ("base64Config", True),
        ("Authorization", True),
        ("certificate-authority-data", False),
        ("existingSecret", False),
        ("existingSecretName", False),
        ("existingCommunicationsSecretName", False),
        ("tlsSecretValid", False),
        ("secretName", False),
        ("secretProviderClass", False),
        ("key", False),
        ("name", False),
        ("botID", False),
        ("url", False),
    ],
)
def test_is_secret_key(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret


@pytest.mark.parametrize("name", ["key", "code", "sig", "signature", "X-Amz-Signature", "token"])
def test_secret_query_parameters(name: str) -> None:
    url = f"https://h.example.invalid/p?{name}=FAKEvalue123&page=2"
    assert redact_text(url) == f"https://h.example.invalid/p?{name}={REDACTED}&page=2"


def test_plain_prose_and_urls_are_untouched() -> None:
    text = (
        "HPA horizontalpodautoscalers.autoscaling/v2 rescaled: New size: 2; reason: Current"
        " number of replicas below Spec.MinReplicas\n"
        "GET https://charts.botkube.io/index.yaml?page=2 200\n"
        "image ghcr.io/kubeshop/botkube:v1.13.0 sha256:0123456789abcdef\n"
        "kindest/node:v1.31.0 registry.k8s.io/pause:3.10 key: value\n"
    )
    assert redact_text(text) == text


def test_redact_bytes_keeps_undecodable_bytes(tmp_path: Path) -> None:
    raw = b"\xff\xfebinary token=FAKEbyteTOKEN00\x00tail"
    assert redact_bytes(raw) == b"\xff\xfebinary token=" + REDACTED.encode() + b"\x00tail"
    src = tmp_path / "in.log"
    src.write_bytes(raw)
    redact_file(src, tmp_path / "out" / "in.log")
    assert b"FAKEbyteTOKEN00" not in (tmp_path / "out" / "in.log").read_bytes()


def test_json_log_lines_stay_valid_json() -> None:
    import json

    json_lines = [line for line in redact_text(LOG_TEXT).splitlines() if line.startswith("{")]
    assert len(json_lines) >= 12
    for line in json_lines:
        json.loads(line)


def test_container_env_entries_named_like_secrets() -> None:
    pod_json = (
        '{"env":[{"name":"SLACK_BOT_TOKEN","value":"FAKEenvJSON0001"},'
        '{"name":"LOG_LEVEL","value":"debug"}]}'
    )
    assert redact_text(pod_json) == (
        '{"env":[{"name":"SLACK_BOT_TOKEN","value":"<redacted>"},'
        '{"name":"LOG_LEVEL","value":"debug"}]}'
    )
    pod_yaml = "env:\n- name: MY_SECRET\n  value: FAKEenvYAML0001\n- name: MODE\n  value: fast\n"
    assert redact_text(pod_yaml) == (
        "env:\n- name: MY_SECRET\n  value: <redacted>\n- name: MODE\n  value: fast\n"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # Slack's path shape behind another host (a relay or a proxy in front of Slack)
        (
            "https://relay.example.invalid/services/T0FAKE9RD/B0FAKE9RD/FAKEpathSECRET000000",
            f"https://relay.example.invalid/services/{REDACTED}",
        ),
        (
            "https://proxy.example.invalid/slack/services/T0FAKE9RD/B0FAKE9RD/FAKEpathSECRET0?x=1",
            f"https://proxy.example.invalid/slack/services/{REDACTED}?x=1",
        ),
        # Mattermost / Rocket.Chat incoming webhooks: the key is the path after /hooks/
        (
            "https://chat.example.invalid/hooks/fakemmredacthook000000000a",
            f"https://chat.example.invalid/hooks/{REDACTED}",
        ),
        (
            "https://rc.example.invalid/hooks/FAKErcID0000/FAKErcTOKEN0000",
            f"https://rc.example.invalid/hooks/{REDACTED}",
        ),
        # a generated key as any path segment
        (
            "https://ops.example.invalid/api/notify/FAKEgenPATHkey0Mixed00X/send",
            f"https://ops.example.invalid/api/notify/{REDACTED}/send",
        ),
    ],
)
def test_webhook_secrets_in_url_paths_on_any_host(url: str, expected: str) -> None:
    assert redact_text(f'Post "{url}": dial tcp') == f'Post "{expected}": dial tcp'


def test_url_paths_without_secrets_stay_readable() -> None:
    text = (
        "https://github.com/kubeshop/botkube/releases/download/v1.13.0/plugins-index.yaml\n"
        "https://github.com/kubeshop/botkube/commit/2b275b44c0ffee0123456789abcdef0123456789\n"
        "https://10.96.0.1:443/apis/autoscaling/v2/horizontalpodautoscalers?limit=500\n"
        "https://example.invalid/runs/00000000-fake-0000-0000-000000000000/source_kubernetes_linux_amd64.tar.gz\n"
        "https://docs.botkube.io/configuration/rbac\n"
    )
    assert redact_text(text) == text


def test_path_secret_inside_an_escaped_message_keeps_the_closing_quote() -> None:
    """logfmt and JSON escape the quote after a URL as backslash-quote; the escape must stay,
    or the redacted line no longer parses."""
    line = (
        'time="2024-12-03T07:41:45Z" level=error msg="Post \\"https://hooks.slack.com/services/'
        'T0FAKE1RD/B0FAKE1RD/FAKEslackESCAPEhook00000\\": timeout" component="Source Dispatcher"'
    )
    assert redact_text(line) == (
        'time="2024-12-03T07:41:45Z" level=error msg="Post \\"https://hooks.slack.com/services/'
        f'{REDACTED}\\": timeout" component="Source Dispatcher"'
    )


def test_redact_strings_walks_keys_and_values_without_blanking_by_key() -> None:
    from pytest_botkube.redact import redact_strings

    data = {
        "token_count": 3,
        "errors": ['Post "https://h.example.invalid/p?token=FAKEwalkTOKEN00": EOF', None],
        "https://x.example.invalid/hooks/FAKEkeyHOOK0": {"ok": True},
    }
    before = copy.deepcopy(data)
    assert redact_strings(data) == {
        "token_count": 3,  # a report's own key: not blanked for its name
        "errors": [f'Post "https://h.example.invalid/p?token={REDACTED}": EOF', None],
        f"https://x.example.invalid/hooks/{REDACTED}": {"ok": True},
    }
    assert data == before
