"""Helm's merge rules, with real helm as the oracle (issue 15 items 3 and 10).

The chart here is a dump chart whose defaults are the model's restatement of the BotKube chart's
``sources``/``communications``/``actions``; helm coalesces each overlay onto them and the model
must agree on every rule: ``null`` deletes a chart key, maps merge, lists replace, a null the
chart has no key for is kept, several ``-f`` files merge before the chart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from doubles.helm_oracle import (
    helm_template,
    real_helm_or_skip,
    render_values,
    upstream_chart_or_skip,
)

from pytest_botkube.helm_values import build_values, deep_merge, webhook_bindings
from pytest_botkube.model import config
from pytest_botkube.model.semantics import analyze
from pytest_botkube.scenario import kubernetes_source_aliases
from pytest_botkube.yamlio import parse_yaml

K8S = "botkube/kubernetes"


def chart_defaults() -> dict[str, Any]:
    return {
        "sources": config._chart_default_sources(),
        "communications": config.chart_default_communications(),
        "actions": config._chart_default_actions(),
    }


OVERLAYS = {
    "sources-null": "sources: null\n",
    "one-default-null": "sources:\n  k8s-all-events: null\n",
    "enabled-null": f"sources:\n  k8s-err-events:\n    {K8S}:\n      enabled: null\n",
    "list-replaces": (
        f"sources:\n  k8s-err-events:\n    {K8S}:\n      config:\n"
        "        resources: [{type: v1/pods}]\n"
    ),
    "map-merges": (
        f"sources:\n  k8s-create-events:\n    {K8S}:\n      config:\n"
        "        event: {types: [create, delete]}\n"
    ),
    "new-source-keeps-its-nulls": (
        f"sources:\n  mine:\n    {K8S}:\n      enabled: true\n      config:\n"
        "        event: null\n        resources: [{type: v1/pods}]\n"
    ),
    "communications-null": "communications: null\n",
    "bindings-null": "communications:\n  default-group:\n    webhook:\n      bindings: null\n",
    "scalar-over-map": "actions: 3\n",
}


@pytest.mark.parametrize("name", list(OVERLAYS))
def test_model_coalesces_like_real_helm(tmp_path: Path, name: str):
    helm = real_helm_or_skip()
    overlay = yaml.safe_load(OVERLAYS[name])
    rendered = render_values(helm, tmp_path, chart_defaults(), OVERLAYS[name])
    assert isinstance(rendered, dict), rendered
    assert config.helm_merge(chart_defaults(), overlay) == rendered


def test_several_files_merge_with_nulls_kept_then_coalesce(tmp_path: Path):
    helm = real_helm_or_skip()
    first = f"sources:\n  k8s-err-events:\n    {K8S}:\n      enabled: null\n"
    second = f"sources:\n  k8s-err-events:\n    {K8S}:\n      config: null\n"
    rendered = render_values(helm, tmp_path, chart_defaults(), first, second)
    ours = config.helm_merge(
        chart_defaults(), deep_merge(yaml.safe_load(first), yaml.safe_load(second))
    )
    assert ours == rendered
    kept = rendered["sources"]["k8s-err-events"][K8S]
    assert "enabled" not in kept  # both chart keys deleted
    assert "config" not in kept


def test_sources_null_deletes_the_chart_sources_for_lint_too():
    doc = parse_yaml("sources: null\n", "f.yaml")
    assert config.read_values(doc, "v1.14.0").sources == {}
    comms = parse_yaml("communications: null\n", "f.yaml")
    model = config.read_values(comms, "v1.14.0")
    assert not model.partial_overlay
    assert model.bindings == ()  # null deleted the chart's platforms, and so their bindings


# --------------------------------------------------------------------------- item 10
TWEAK = f"""\
sources:
  k8s-err-events:
    {K8S}:
      config:
        event: {{types: [error, create]}}
  mine:
    {K8S}:
      enabled: true
      context:
        rbac: {{group: {{type: Static, prefix: "", static: {{values: [botkube-plugins-default]}}}}}}
      config:
        event: {{types: [create]}}
        resources: [{{type: apps/v1/deployments}}]
"""
BOUND = (
    TWEAK
    + """\
communications:
  default-group:
    webhook:
      enabled: true
      bindings: {sources: [k8s-err-events, mine]}
"""
)


@pytest.mark.parametrize("text", [TWEAK, BOUND], ids=["partial-overlay", "bound"])
def test_one_rule_for_active_sources_in_lint_values_and_scenarios(tmp_path: Path, text: str):
    """A chart default tweaked without `enabled` stays enabled (Helm keeps the chart's `true`):
    lint, the values the suite installs and the scenario loader all start it."""
    overlay = yaml.safe_load(text)
    analysis = analyze(parse_yaml(text, "f.yaml"), "v1.14.0")
    started = tuple(s.name for s in analysis.sources if s.started)
    assert started == ("k8s-err-events", "mine")
    assert tuple(webhook_bindings(overlay, "v1.14.0")) == started
    assert kubernetes_source_aliases(overlay, "v1.14.0") == started
    installed = build_values(overlay, receiver_url="http://r.invalid/")
    assert installed["communications"]["default-group"]["webhook"]["bindings"]["sources"] == list(
        started
    )
    helm = real_helm_or_skip()
    rendered = render_values(helm, tmp_path, chart_defaults(), text)
    assert isinstance(rendered, dict)
    assert rendered["sources"]["k8s-err-events"][K8S]["enabled"] is True


@pytest.mark.parametrize("version", ["v1.13.0", "v1.14.0"])
def test_restated_chart_defaults_match_the_upstream_chart(tmp_path: Path, version: str):
    """Development-time check (skips without the upstream chart): the real chart's rendered
    sources agree with the model's restatement on what the kubernetes plugin reads."""
    helm = real_helm_or_skip()
    chart = upstream_chart_or_skip(version)
    out = helm_template(helm, chart, [], show="templates/global-config.yaml")
    assert not out.startswith("HELM-ERROR"), out
    rendered = yaml.safe_load(yaml.safe_load(out)["data"]["global_config.yaml"])
    ours = config._chart_default_sources()
    for alias, body in ours.items():
        real = rendered["sources"][alias][K8S]
        assert real["enabled"] is body[K8S]["enabled"], alias
        mine, theirs = body[K8S]["config"], real["config"]
        assert mine.get("event") == theirs.get("event"), alias
        assert [r["type"] for r in mine.get("resources", [])] == [
            r["type"] for r in theirs.get("resources", [])
        ], alias
        assert mine.get("namespaces") == theirs.get("namespaces"), alias
