import textwrap
from pathlib import Path

import pytest

from pytest_botkube.errors import BadInput
from pytest_botkube.model.config import (
    CHART_DEFAULT_SOURCE_NAMES,
    SourceSpec,
    ValuesModel,
    helm_merge,
    read_values,
)
from pytest_botkube.scenario import freeze
from pytest_botkube.yamlio import load_yaml

HPA = "autoscaling/v2/horizontalpodautoscalers"


def read(tmp_path: Path, text: str, version: str = "v1.13.0") -> ValuesModel:
    path = tmp_path / "values.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return read_values(load_yaml(path), version)


MINE = """
sources:
  mine:
    botkube/kubernetes:
      enabled: true
      config:
        event: {types: [create]}
        resources:
          - type: v1/pods
"""


def test_helm_merge_maps_merge_lists_replace_null_deletes():
    defaults = {"a": {"x": 1, "y": [1, 2]}, "b": 1, "c": {"k": "v"}}
    overlay = {"a": {"y": [3]}, "c": None, "d": None}
    merged = helm_merge(defaults, overlay)
    assert merged == {"a": {"x": 1, "y": [3]}, "b": 1, "d": None}
    assert defaults == {"a": {"x": 1, "y": [1, 2]}, "b": 1, "c": {"k": "v"}}  # untouched


def test_partial_overlay_binds_only_the_overlays_sources(tmp_path: Path):
    model = read(tmp_path, MINE)
    assert model.partial_overlay
    assert model.bound("mine")
    assert set(model.sources) == {"mine", *CHART_DEFAULT_SOURCE_NAMES}
    for name in CHART_DEFAULT_SOURCE_NAMES:
        assert model.sources[name].origin == "chart-default"
        assert model.sources[name].enabled
        assert not model.bound(name)
    assert model.sources["mine"].origin == "values"


def test_enabling_the_webhook_keeps_the_charts_default_bindings(tmp_path: Path):
    model = read(
        tmp_path,
        MINE
        + """
communications:
  default-group:
    webhook:
      enabled: true
      url: http://receiver
""",
    )
    assert not model.partial_overlay
    assert not model.bound("mine")
    assert model.bound("k8s-err-events")
    assert model.bound("k8s-recommendation-events")
    assert not model.bound("k8s-all-events")
    assert model.carriers("k8s-err-events") == ["communications.default-group.webhook"]


def test_bindings_list_replaces_the_default_list(tmp_path: Path):
    model = read(
        tmp_path,
        MINE
        + """
communications:
  default-group:
    webhook:
      enabled: true
      bindings:
        sources: [mine]
""",
    )
    assert model.bound("mine")
    assert not model.bound("k8s-err-events")
    binding = next(b for b in model.bindings if b.source == "mine")
    assert model.document.where(binding.path).endswith(
        "communications.default-group.webhook.bindings.sources[0]"
    )


def test_disabled_platform_binds_nothing(tmp_path: Path):
    model = read(
        tmp_path,
        MINE
        + """
communications:
  default-group:
    socketSlack:
      enabled: false
      channels:
        default: {name: x, bindings: {sources: [mine]}}
""",
    )
    assert not model.bound("mine")
    assert model.bindings == ()


@pytest.mark.parametrize(
    "platform",
    [
        "socketSlack:\n      enabled: true\n      channels:\n"
        "        c: {bindings: {sources: [mine]}}",
        "discord:\n      enabled: true\n      channels:\n        c: {bindings: {sources: [mine]}}",
        "elasticsearch:\n      enabled: true\n      indices:\n"
        "        i: {bindings: {sources: [mine]}}",
        "cloudTeams:\n      enabled: true\n      teams:\n        - channels:\n"
        "            c: {bindings: {sources: [mine]}}",
        "pagerDuty:\n      enabled: true\n      bindings: {sources: [mine]}",
    ],
)
def test_every_platform_shape_binds(tmp_path: Path, platform: str):
    model = read(tmp_path, MINE + f"communications:\n  g:\n    {platform}\n")
    assert model.bound("mine")


def test_pagerduty_exists_only_from_v1_12(tmp_path: Path):
    text = (
        MINE
        + "communications:\n  g:\n    pagerDuty: {enabled: true, bindings: {sources: [mine]}}\n"
    )
    assert not read(tmp_path, text, "v1.11.0").bound("mine")
    assert read(tmp_path, text, "v1.12.0").bound("mine")


def test_enabled_action_binds_its_sources(tmp_path: Path):
    model = read(
        tmp_path,
        MINE
        + """
communications: {}
actions:
  describe-created-resource:
    enabled: true
""",
    )
    assert model.bound("k8s-create-events")
    assert not model.bound("mine")


def test_overriding_a_default_source_merges_into_it(tmp_path: Path):
    model = read(
        tmp_path,
        """
sources:
  k8s-all-events:
    botkube/kubernetes:
      enabled: false
  k8s-err-events:
    botkube/kubernetes:
      config:
        event: null
""",
    )
    all_events = model.sources["k8s-all-events"]
    assert all_events.origin == "values"
    assert not all_events.enabled
    assert all_events.config is not None
    assert len(all_events.config.resources) == 16
    err = model.sources["k8s-err-events"]
    assert err.config is not None
    assert err.config.event is None  # helm drops the default event
    assert len(err.config.resources) == 16


def test_event_shapes(tmp_path: Path):
    model = read(
        tmp_path,
        """
sources:
  absent: {botkube/kubernetes: {enabled: true, config: {resources: [{type: v1/pods}]}}}
  null-event: {botkube/kubernetes: {enabled: true, config: {event: null}}}
  empty: {botkube/kubernetes: {enabled: true, config: {event: {}}}}
  typed: {botkube/kubernetes: {enabled: true, config: {event: {types: [create]}}}}
""",
    )
    configs = {
        name: model.sources[name].config for name in ("absent", "null-event", "empty", "typed")
    }
    assert configs["absent"] is not None
    assert configs["absent"].event is None
    assert configs["null-event"] is not None
    assert configs["null-event"].event is None
    assert configs["empty"] is not None
    assert configs["empty"].event is not None
    assert configs["empty"].event.types == ()
    assert configs["typed"] is not None
    assert configs["typed"].event is not None
    assert configs["typed"].event.types == ("create",)
    resource = configs["absent"].resources[0]
    assert resource.event.types == ()
    assert not resource.event.constraints_defined


def test_missing_enabled_means_disabled_and_versioned_plugin_key(tmp_path: Path):
    model = read(
        tmp_path,
        """
sources:
  quiet: {botkube/kubernetes: {config: {}}}
  pinned: {"botkube/kubernetes@v1.13.0": {enabled: true}}
  other: {botkube/prometheus: {enabled: true}}
""",
    )
    assert not model.sources["quiet"].enabled
    assert not model.sources["quiet"].enabled_given
    assert model.sources["pinned"].plugin_key == "botkube/kubernetes@v1.13.0"
    assert model.sources["pinned"].enabled
    assert model.sources["other"].plugin_key is None
    assert model.sources["other"].other_plugins == ("botkube/prometheus",)


def test_frozen_mappings_and_tuples_are_accepted():
    values = freeze(
        {
            "sources": {
                "mine": {
                    "botkube/kubernetes": {
                        "enabled": True,
                        "config": {"event": {"types": ["create"]}, "resources": [{"type": HPA}]},
                    }
                }
            }
        }
    )
    model = read_values(values, "v1.14.0")
    config = model.sources["mine"].config
    assert config is not None
    assert config.resources[0].type == HPA
    assert model.document.name == "<values>"


@pytest.mark.parametrize(
    ("body", "line", "key", "problem"),
    [
        ("sources: []", 1, "sources", "expected a mapping, got a list"),
        (
            "sources:\n  s:\n    botkube/kubernetes:\n      enabled: yes please",
            4,
            "sources.s.botkube/kubernetes.enabled",
            "expected true or false",
        ),
        (
            "communications:\n  g:\n    webhook:\n      enabled: true\n      bindings:\n"
            "        sources: {a: b}",
            6,
            "communications.g.webhook.bindings.sources",
            "expected a string, got a mapping",
        ),
        ("- a\n- b", None, "<root>", "expected a mapping, got a list"),
    ],
)
def test_wrong_types_name_file_line_and_key(
    tmp_path: Path, body: str, line: int | None, key: str, problem: str
):
    """What the agent's own decoder cannot convert stops the agent: bad input."""
    path = tmp_path / "values.yaml"
    path.write_text(body + "\n", encoding="utf-8")
    with pytest.raises(BadInput) as info:
        read_values(load_yaml(path), "v1.13.0")
    where = f"{path}:{line}" if line else str(path)
    message = str(info.value)
    assert message.startswith(f"{where}: {key}: "), message
    assert problem in message
    assert "\n" not in message


def _config(tmp_path: Path, body: str) -> SourceSpec:
    text = "sources:\n  s:\n    botkube/kubernetes:\n      enabled: true\n      config:\n"
    text += textwrap.indent(textwrap.dedent(body).strip(), " " * 8) + "\n"
    return read(tmp_path, text).sources["s"]


# Each case restates one mapstructure v1.5.0 weak rule (decode_hooks.go StringToSliceHookFunc,
# mapstructure.go decodeSlice/decodeString/decodeBool/decodeMapFromSlice/decodeStructFromMap).
WEAK = {
    "types: create": ("types", ("create",), "one-item list"),
    "types: 'create,delete'": ("types", ("create", "delete"), "split on commas"),
    "types: 'create, delete'": ("types", ("create", " delete"), "split on commas"),
    "types: ''": ("types", (), "split on commas"),
    "types: 7": ("types", ("7",), "one-item list"),
    "types: [true, 1.10]": ("types", ("1", "1.1"), "read as the string"),
    "types: {}": ("types", (), "empty mapping"),
    "Types: [delete]": ("types", ("delete",), "case-insensitive"),
}


@pytest.mark.parametrize("body", sorted(WEAK))
def test_weak_list_and_string_rules_for_event_types(tmp_path: Path, body: str):
    _what, expected, note = WEAK[body]
    spec = _config(tmp_path, f"event:\n  {body}\nresources: []")
    assert spec.rejected is None
    assert spec.config is not None
    assert spec.config.event is not None
    assert spec.config.event.types == expected
    assert any(note in n.message for n in spec.notes), spec.notes


def test_weak_rules_for_resources_maps_bools_and_keys(tmp_path: Path):
    spec = _config(
        tmp_path,
        """
        event: {types: [create]}
        resources:
          Type: v1/pods
          Labels: [{app: web}, {tier: true}]
          Namespaces: {include: '.*'}
          updateSetting: {includeDiff: 't', fields: 'a,b'}
        filters: {nodeEventsChecker: 0, objectAnnotationChecker: 'F'}
        """,
    )
    assert spec.rejected is None
    config = spec.config
    assert config is not None
    (entry,) = config.resources  # a mapping is read as a one-item list
    assert entry.type == "v1/pods"
    assert dict(entry.labels) == {"app": "web", "tier": "1"}
    assert entry.namespaces.include == (".*",)
    assert entry.include_diff is True
    assert entry.update_fields == ("a", "b")
    assert config.node_events_checker is False
    assert config.object_annotation_checker is False


def test_top_level_keys_are_not_case_folded(tmp_path: Path):
    """The plugin loads its defaults first, so the exact ``event`` key exists (nil) and the
    user's ``Event`` is an extra key nobody reads: the source still has no event."""
    spec = _config(tmp_path, "Event: {types: [create]}\nresources: [{type: v1/pods}]")
    assert spec.config is not None
    assert spec.config.event is None


@pytest.mark.parametrize(
    ("body", "key", "problem"),
    [
        ("resources: [v1/pods]", "resources[0]", "expected a map, got a string"),
        ("labels: {app: {x: 1}}", "labels[app]", "expected a string, got a mapping"),
        ("namespaces: ['.*']", "namespaces", "expected a map, got a list"),
        ("event: create", "event", "expected a map, got a string"),
        (
            "resources: [{type: v1/pods, updateSetting: {includeDiff: maybe}}]",
            "resources[0].updateSetting.includeDiff",
            "as bool",
        ),
    ],
)
def test_values_the_plugin_cannot_decode_reject_the_source(
    tmp_path: Path, body: str, key: str, problem: str
):
    spec = _config(tmp_path, body)
    assert spec.config is None
    assert spec.rejected is not None
    assert problem in spec.rejected.message
    assert f"'{key}" in spec.rejected.message


def test_bindings_given_as_a_string_are_split(tmp_path: Path):
    model = read(
        tmp_path,
        MINE + "communications:\n  g:\n    webhook:\n      enabled: true\n"
        "      bindings:\n        sources: 'mine,k8s-err-events'\n",
    )
    assert [b.source for b in model.bindings] == ["mine", "k8s-err-events"]
    assert model.notes


def test_empty_file_is_an_empty_overlay(tmp_path: Path):
    model = read(tmp_path, "")
    assert model.partial_overlay
    assert model.overlay_sources == frozenset()
    assert not any(model.bound(name) for name in model.sources)
