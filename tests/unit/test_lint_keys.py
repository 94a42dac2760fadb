"""Keys BotKube ignores, unknown top-level keys, mis-indented blocks (issue 15 items 1 and 2)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from doubles.helm_oracle import real_helm_or_skip, render_values

from pytest_botkube.model import config
from pytest_botkube.model.keys import chart_top_level_keys, file_findings, kubernetes_config_keys
from pytest_botkube.model.semantics import analyze
from pytest_botkube.model.versions import KNOWN_BOTKUBE_VERSIONS
from pytest_botkube.yamlio import parse_yaml

TYPOS = """\
sources:
  k8s-hpa:
    botkube/kubernetes:
      enabled: true
      namespaces: {include: [".*"]}
      config:
        event:
          types: [create]
          reasons: [SuccessfulRescale]
        minimumEventCount: 2
        resources:
          - type: autoscaling/v2/horizontalpodautoscalers
            evnt: {types: [delete]}
"""


def by_path(text: str, version: str) -> dict[str, tuple[str, str, str]]:
    doc = parse_yaml(text, "f.yaml")
    analysis = analyze(doc, version)
    return {
        f.where.split(": ", 1)[1]: (f.code, f.where.split(":")[1], f.fix)
        for f in analysis.all_findings()
        if f.code in {"BK043", "BK044", "BK045"}
    }


def test_every_key_botkube_ignores_is_reported_with_line_and_did_you_mean():
    found = by_path(TYPOS, "v1.13.0")
    base = "sources.k8s-hpa.botkube/kubernetes"
    assert found == {
        f"{base}.namespaces": ("BK043", "5", "did you mean config.namespaces?"),
        f"{base}.config.event.reasons": (
            "BK043",
            "9",
            "did you mean reason.include (a list of reasons, or regular expressions, under "
            "event.reason)?",
        ),
        f"{base}.config.minimumEventCount": (
            "BK043",
            "10",
            "remove it: no BotKube version has an event-count threshold",
        ),
        f"{base}.config.resources[0].evnt": ("BK043", "13", "did you mean event?"),
    }


def test_accepted_keys_depend_on_the_version():
    text = TYPOS.replace("        minimumEventCount: 2\n", "        extraButtons: []\n")
    assert "sources.k8s-hpa.botkube/kubernetes.config.extraButtons" in by_path(text, "v1.1.0")
    assert "sources.k8s-hpa.botkube/kubernetes.config.extraButtons" not in by_path(text, "v1.2.0")
    assert "ingress" in chart_top_level_keys("v1.8.0")
    assert "ingress" not in chart_top_level_keys("v1.9.0")


def test_chart_default_sources_use_only_accepted_keys():
    """The model's own restatement of the chart passes the key check (no false alarms)."""
    for version in KNOWN_BOTKUBE_VERSIONS:
        doc = parse_yaml("", "f.yaml")
        object.__setattr__(doc, "data", {"sources": config._chart_default_sources(version)})
        assert file_findings(doc, version) == [], version


MISINDENTED = """\
sources:
k8s-hpa:
  botkube/kubernetes:
    enabled: true
    config:
      event: {types: [create]}
      resources: [{type: autoscaling/v2/horizontalpodautoscalers}]
communications:
default-group:
  webhook: {enabled: true, url: "http://x/", bindings: {sources: [k8s-hpa]}}
setings: {clusterName: x}
"""


def test_misindented_blocks_are_named_as_such_and_helm_agrees_on_the_shape(tmp_path: Path):
    found = by_path(MISINDENTED, "v1.14.0")
    assert found["k8s-hpa"][:2] == ("BK045", "2")
    assert found["k8s-hpa"][2] == "indent 'k8s-hpa' (and its block) under sources:"
    assert found["default-group"][:2] == ("BK045", "9")
    assert found["setings"] == ("BK044", "11", "did you mean settings?")
    analysis = analyze(parse_yaml(MISINDENTED, "f.yaml"), "v1.14.0")
    assert analysis.verdict == "not-started"
    assert not analysis.sources  # sources: null deleted the chart's defaults too
    chart = {
        "sources": config._chart_default_sources(),
        "communications": config.chart_default_communications(),
    }
    rendered = render_values(real_helm_or_skip(), tmp_path, chart, MISINDENTED)
    assert isinstance(rendered, dict)
    assert "sources" not in rendered  # null deleted the chart's sources
    assert "communications" not in rendered
    assert {"k8s-hpa", "default-group", "setings"} <= set(rendered)


# --------------------------------------------------------------------------- against upstream
UPSTREAM_GIT_ENV = "BOTKUBE_UPSTREAM_GIT"  # a bare clone of kubeshop/botkube (fetch it)


def _upstream_git() -> Path:
    for candidate in (os.environ.get(UPSTREAM_GIT_ENV), "/work/.mirror/kubeshop+botkube/repo"):
        if candidate and (Path(candidate) / "HEAD").is_file():
            return Path(candidate)
    pytest.skip(f"no upstream BotKube git directory (set {UPSTREAM_GIT_ENV}); development only")


def _struct_tags(source: str, name: str) -> set[str]:
    body = re.search(rf"type {name} struct {{(.*?)\n}}", source, re.S)
    assert body is not None, name
    return {tag for tag in re.findall(r'yaml:"([A-Za-z]+)', body.group(1))}


@pytest.mark.parametrize("version", KNOWN_BOTKUBE_VERSIONS)
def test_key_table_matches_the_plugin_config_structs_at_each_tag(version: str):
    git = _upstream_git()
    path = f"{version}:internal/source/kubernetes/config/config.go"
    source = subprocess.run(
        ["git", f"--git-dir={git}", "show", path],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    schema = kubernetes_config_keys(version)
    assert set(schema) == _struct_tags(source, "Config")
    assert set(schema["resources"][0]) == _struct_tags(source, "Resource")
    assert set(schema["event"]) == _struct_tags(source, "KubernetesEvent")
    assert set(schema["filters"]) == _struct_tags(source, "Filters")
    assert set(schema["recommendations"]) == _struct_tags(source, "Recommendations")
