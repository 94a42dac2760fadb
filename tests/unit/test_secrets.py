"""Secrets: what the suite installs and what `values` prints, measured on planted secrets
(tests/data/secrets: fake credentials of every platform in realistic shapes)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_botkube.cli import main
from pytest_botkube.helm_values import build_values, values_yaml
from pytest_botkube.redact import REDACTED, redact_text, redact_values
from pytest_botkube.scenario import adhoc_scenario

PLANTED_FILE = Path(__file__).parents[1] / "data" / "secrets" / "values.yaml"
INDEX_HEADER = "Bearer FAKEpluginINDEXbearer0000"  # the one credential a run needs


def _planted() -> set[str]:
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and re.search("fake", value, re.IGNORECASE):
            found.add(value)

    walk(yaml.safe_load(PLANTED_FILE.read_text(encoding="utf-8")))
    return found


def _printed(text: str) -> set[str]:
    """Planted secrets whose distinctive (FAKE-bearing) part appears in ``text``."""
    return {
        secret
        for secret in _planted()
        if any(p in text for p in re.findall(r"[\w~.-]*fake[\w~.-]*", secret, re.IGNORECASE))
    }


def test_fixture_plants_secrets():
    assert len(_planted()) >= 15


def test_values_prints_no_planted_secret(capsys: pytest.CaptureFixture[str]):
    assert main(["values", "--botkube-version", "1.13.0", str(PLANTED_FILE)]) == 0
    out = capsys.readouterr().out
    assert _printed(out) == set()
    yaml.safe_load(out)  # still valid YAML
    assert f"Authorization: {REDACTED}" in out


def test_show_secrets_prints_only_what_the_run_needs(capsys: pytest.CaptureFixture[str]):
    assert main(["values", "--botkube-version", "1.13.0", str(PLANTED_FILE), "--show-secrets"]) == 0
    assert _printed(capsys.readouterr().out) == {INDEX_HEADER}


def test_installed_values_carry_no_credential_of_a_disabled_platform():
    scenario = adhoc_scenario(PLANTED_FILE, "v1.13.0")
    installed = values_yaml(build_values(scenario, receiver_url="http://127.0.0.1:9/"))
    assert _printed(installed) == {INDEX_HEADER}
    groups = yaml.safe_load(installed)["communications"]
    for group, platforms in groups.items():
        for platform, body in platforms.items():
            if (group, platform) != ("default-group", "webhook"):
                assert body == {"enabled": False}, (group, platform)


def test_redaction_replaces_scalars_never_a_named_subtree():
    values = {
        "sources": {
            "k8s-secret-events": {"botkube/kubernetes": {"config": {"event": {"types": ["x"]}}}}
        },
        "rbac": {"groups": {"secret-readers": {"create": True, "rules": [{"verbs": ["get"]}]}}},
        "secrets": ["a", "b"],
        "headers": {"Authorization": "Bearer abcdefghijkl"},
        "tokens": [{"name": "n", "value": "v"}],
    }
    out = redact_values(values)
    assert out["sources"] == values["sources"]
    assert out["rbac"] == values["rbac"]
    assert out["secrets"] == [REDACTED, REDACTED]
    assert out["headers"] == {"Authorization": REDACTED}
    assert out["tokens"] == [{"name": "n", "value": "v"}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("secrets: [a, b]\n", "secrets: [a, b]\n"),  # was `secrets: <redacted>, b]`
        ("proxy: admin:s3cr3tPass@proxy.example.com:3128", "admin:<redacted>@proxy.example.com"),
        ("git remote: deploy:hunter22@10.0.0.5", "deploy:<redacted>@10.0.0.5"),
        ("botkube login --token abc123def456 --x", "--token <redacted> --x"),
        ("helm install --set-string x --password=pa55word", "--password=<redacted>"),
        ("image: botkube:v1.13.0@sha256:abc", "image: botkube:v1.13.0@sha256:abc"),
        ("kubectl get --namespace botkube", "kubectl get --namespace botkube"),
    ],
)
def test_text_redaction_forms(text: str, expected: str):
    out = redact_text(text)
    assert expected in out
    if text.startswith("secrets:"):
        assert yaml.safe_load(out) == {"secrets": ["a", "b"]}
