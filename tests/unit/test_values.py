"""The Helm values builder and ``botkube-repro values``: what the suite installs, nothing else."""

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_botkube.cli import main
from pytest_botkube.errors import BadInput
from pytest_botkube.helm_values import (
    DEBUG_ENV_NAME,
    build_values,
    deep_merge,
    values_yaml,
    webhook_bindings,
)
from pytest_botkube.model.config import CHART_DEFAULT_SOURCE_NAMES
from pytest_botkube.scenario import find_scenario

URL = "http://172.18.0.1:18080/events"


def k8s(enabled: bool = True, **config: Any) -> dict[str, Any]:
    return {"botkube/kubernetes": {"enabled": enabled, "config": config}}


def webhook(values: dict[str, Any]) -> dict[str, Any]:
    hook: dict[str, Any] = values["communications"]["default-group"]["webhook"]
    return hook


def test_suite_owned_keys():
    values = build_values(
        {"sources": {"k8s-hpa": k8s()}},
        receiver_url=URL,
        cluster_name="repro",
        health_check_interval="2s",
        restart_threshold=1,
    )
    assert values["settings"] == {"clusterName": "repro", "upgradeNotifier": False}
    assert values["analytics"] == {"disable": True}
    assert webhook(values) == {"enabled": True, "url": URL, "bindings": {"sources": ["k8s-hpa"]}}
    assert values["plugins"] == {
        "healthCheckInterval": "2s",
        "restartPolicy": {"type": "DeactivatePlugin", "threshold": 1},
    }
    assert values["extraEnv"] == [{"name": DEBUG_ENV_NAME, "value": "debug"}]
    assert values["existingCommunicationsSecretName"] == ""
    assert values["config"] == {"provider": {"identifier": ""}}
    assert "image" not in values
    group = values["communications"]["default-group"]
    assert {name: body["enabled"] for name, body in group.items()} == {
        "socketSlack": False,
        "mattermost": False,
        "discord": False,
        "elasticsearch": False,
        "webhook": True,
    }


def test_bindings_are_the_enabled_kubernetes_sources_in_overlay_order():
    overlay = {
        "sources": {
            "zz-first": k8s(),
            "off": k8s(enabled=False),
            "no-enabled-key": {"botkube/kubernetes": {"config": {}}},
            "prometheus": {"botkube/prometheus": {"enabled": True}},
            "aa-last": k8s(),
        }
    }
    assert webhook(build_values(overlay, receiver_url=URL))["bindings"]["sources"] == [
        "zz-first",
        "aa-last",
    ]


def test_chart_default_sources_are_switched_off_unless_the_scenario_uses_them():
    values = build_values({"sources": {"k8s-hpa": k8s()}}, receiver_url=URL)
    for alias in CHART_DEFAULT_SOURCE_NAMES:
        assert values["sources"][alias] == {"botkube/kubernetes": {"enabled": False}}
    # A scenario that redefines a chart alias keeps its own body (Helm merges it with the chart's).
    mine = build_values(
        {"sources": {"k8s-all-events": k8s(event={"types": ["create"]})}}, receiver_url=URL
    )
    assert mine["sources"]["k8s-all-events"] == k8s(event={"types": ["create"]})
    assert webhook(mine)["bindings"]["sources"] == ["k8s-all-events"]


def test_bindings_follow_the_overlay_communications_when_it_has_them():
    overlay = {
        "communications": {
            "default-group": {
                "socketSlack": {
                    "enabled": True,
                    "botToken": "xoxb-secret",
                    "channels": {"ops": {"bindings": {"sources": ["k8s-err-events", "k8s-b"]}}},
                },
                "discord": {  # disabled: its bindings start nothing
                    "enabled": False,
                    "channels": {"x": {"bindings": {"sources": ["k8s-c"]}}},
                },
            },
            "team-group": {
                "webhook": {
                    "enabled": True,
                    "url": "https://their.example",
                    "bindings": {"sources": ["k8s-d"]},
                }
            },
        },
        "actions": {"describe": {"enabled": True, "bindings": {"sources": ["k8s-a"]}}},
        "sources": {"k8s-a": k8s(), "k8s-b": k8s(), "k8s-c": k8s(), "k8s-d": k8s(), "k8s-e": k8s()},
    }
    values = build_values(overlay, receiver_url=URL)
    # k8s-e is bound nowhere, k8s-c only to a disabled platform; the chart's own Slack channel
    # `default` survives the merge with its bindings (k8s-err-events, k8s-recommendation-events).
    assert webhook(values)["bindings"]["sources"] == [
        "k8s-a",
        "k8s-b",
        "k8s-d",
        "k8s-recommendation-events",
        "k8s-err-events",
    ]
    assert "k8s-err-events" not in values["sources"]  # left to the chart, where it is enabled
    assert values["sources"]["k8s-all-events"] == {"botkube/kubernetes": {"enabled": False}}
    # every platform but the suite's webhook is off, in every group
    assert values["communications"]["default-group"]["socketSlack"]["enabled"] is False
    assert values["communications"]["team-group"]["webhook"]["enabled"] is False
    assert webhook(values)["url"] == URL


def test_a_platform_enabled_without_bindings_inherits_the_charts():
    overlay = {
        "communications": {"default-group": {"socketSlack": {"enabled": True, "botToken": "x"}}},
        "sources": {"k8s-mine": k8s()},
    }
    # Helm keeps the chart's channel `default`, bound to k8s-err-events and
    # k8s-recommendation-events; the overlay's own source is bound nowhere.
    assert webhook_bindings(overlay) == ["k8s-recommendation-events", "k8s-err-events"]
    replaced = {
        "communications": {
            "default-group": {
                "webhook": {"enabled": True, "bindings": {"sources": ["k8s-mine"]}},
                "discord": {
                    "enabled": True,
                    "channels": {"default": {"bindings": {"sources": []}}},
                },
            }
        },
        "sources": {"k8s-mine": k8s()},
    }
    assert webhook_bindings(replaced) == ["k8s-mine"]  # lists replace the chart's


def test_partial_overlay_without_communications_binds_everything():
    assert webhook_bindings({"sources": {"a": k8s(), "b": k8s(enabled=False)}}) == ["a"]
    assert webhook_bindings({"communications": {}, "sources": {"a": k8s()}}) == []


def test_never_mutates_its_input():
    scenario = find_scenario("crash-v1.13.0")
    before = scenario.overlay()
    build_values(scenario, receiver_url=URL, image=("ghcr.io/x/botkube", "t"))
    assert scenario.overlay() == before
    overlay = {
        "sources": {"a": k8s()},
        "extraEnv": [{"name": "X", "value": "1"}],
        "plugins": {"x": 1},
    }
    frozen = copy.deepcopy(overlay)
    values = build_values(overlay, receiver_url=URL)
    assert overlay == frozen
    values["sources"]["a"]["botkube/kubernetes"]["enabled"] = False  # result shares nothing
    values["extraEnv"].append("y")
    assert overlay == frozen


def test_merge_rules_maps_merge_lists_replace_null_kept():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": "x", "e": {"f": 1}}
    overlay = {"a": {"c": [3], "g": 2}, "d": None, "e": "scalar"}
    assert deep_merge(base, overlay) == {"a": {"b": 1, "c": [3], "g": 2}, "d": None, "e": "scalar"}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": "x", "e": {"f": 1}}


def test_scenario_may_choose_restart_policy_but_not_the_threshold():
    overlay = {
        "sources": {"a": k8s()},
        "plugins": {"restartPolicy": {"type": "RestartAgent", "threshold": 99}, "cacheDir": "/c"},
        "settings": {"clusterName": "theirs", "log": {"level": "debug"}},
    }
    values = build_values(overlay, receiver_url=URL, restart_threshold=2)
    assert values["plugins"]["restartPolicy"] == {"type": "RestartAgent", "threshold": 2}
    assert values["plugins"]["cacheDir"] == "/c"
    assert values["settings"] == {
        "clusterName": "botkube-repro",
        "upgradeNotifier": False,
        "log": {"level": "debug"},
    }


def test_extra_env_from_the_overlay_keeps_the_plugin_debug_log():
    overlay = {
        "sources": {"a": k8s()},
        "extraEnv": [
            {"name": "HTTPS_PROXY", "value": "http://proxy:3128"},
            {"name": DEBUG_ENV_NAME, "value": "info"},
        ],
    }
    assert build_values(overlay, receiver_url=URL)["extraEnv"] == [
        {"name": "HTTPS_PROXY", "value": "http://proxy:3128"},
        {"name": DEBUG_ENV_NAME, "value": "debug"},
    ]


def test_plugin_index_only_when_given():
    assert "repositories" not in build_values({"sources": {}}, receiver_url=URL)["plugins"]
    values = build_values(
        {"sources": {}}, receiver_url=URL, plugin_index_url="http://10.0.0.1/i.yaml"
    )
    assert values["plugins"]["repositories"] == {"botkube": {"url": "http://10.0.0.1/i.yaml"}}


@pytest.mark.parametrize(
    ("repo", "registry", "repository"),
    [
        ("ghcr.io/kubeshop/botkube", "ghcr.io", "kubeshop/botkube"),
        ("localhost:5000/botkube", "localhost:5000", "botkube"),
        ("localhost/botkube", "localhost", "botkube"),
        ("kubeshop/botkube", "docker.io", "kubeshop/botkube"),
        ("botkube", "docker.io", "library/botkube"),
    ],
)
def test_image_override_splits_registry_as_docker_does(repo: str, registry: str, repository: str):
    values = build_values({"sources": {}}, receiver_url=URL, image=(repo, "fix-1474"))
    assert values["image"] == {
        "registry": registry,
        "repository": repository,
        "tag": "fix-1474",
        "pullPolicy": "IfNotPresent",
    }


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"receiver_url": "ftp://x/"}, r"receiver URL 'ftp://x/'"),
        ({"receiver_url": "http://"}, r"receiver URL 'http://'"),
        (
            {"receiver_url": "http://10.0.0.1:99999/e"},
            r"receiver URL 'http://10.0.0.1:99999/e': .*port",
        ),
        ({"receiver_url": "http://h:x/"}, r"receiver URL 'http://h:x/': .*port"),
        ({"health_check_interval": "500ms"}, r"under 1s with 10s"),
        ({"health_check_interval": "3 s"}, r"expected a Go duration"),
        ({"health_check_interval": ""}, r"expected a Go duration"),
        ({"restart_threshold": -1}, r"restart threshold -1"),
        ({"cluster_name": " "}, r"cluster name"),
        ({"image": ("", "t")}, r"image override"),
    ],
)
def test_bad_settings_are_bad_input(kwargs: dict[str, Any], pattern: str):
    args: dict[str, Any] = {"receiver_url": URL, **kwargs}
    with pytest.raises(BadInput, match=pattern):
        build_values({"sources": {}}, **args)


@pytest.mark.parametrize("interval", ["1s", "3s", "1m30s", "1.5s", "2500ms"])
def test_go_durations_of_a_second_or_more_are_accepted(interval: str):
    values = build_values({"sources": {}}, receiver_url=URL, health_check_interval=interval)
    assert values["plugins"]["healthCheckInterval"] == interval


def test_values_yaml_is_deterministic_plain_and_round_trips():
    scenario = find_scenario("crash-v1.13.0")  # uses a YAML anchor for the plugin context
    values = build_values(scenario, receiver_url=URL)
    text = values_yaml(values)
    assert text == values_yaml(build_values(scenario, receiver_url=URL))
    assert "&id" not in text
    assert "*id" not in text
    assert yaml.safe_load(text) == values
    top_keys = [line.split(":")[0] for line in text.splitlines() if line and line[0] != " "]
    assert top_keys == sorted(top_keys)
    assert "extraEnv:\n  - name: LOG_LEVEL_SOURCE_BOTKUBE_KUBERNETES\n" in text


def test_building_from_built_values_changes_nothing():
    for name in ("crash-v1.13.0", "delivering-v1.14.0"):
        once = build_values(find_scenario(name), receiver_url=URL)
        assert build_values(once, receiver_url=URL) == once


def test_values_command_prints_what_the_suite_installs(capsys: pytest.CaptureFixture[str]):
    assert main(["values", "crash-v1.13.0", "--receiver-url", URL, "--cluster-name", "c1"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    scenario = find_scenario("crash-v1.13.0")
    expected = build_values(
        scenario, receiver_url=URL, cluster_name="c1", release_name="bk-crash-v1-13-0"
    )
    assert printed == expected


def test_values_command_on_a_user_values_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "theirs.yaml"
    path.write_text("sources:\n  k8s-hpa:\n    botkube/kubernetes:\n      enabled: true\n")
    argv = ["values", str(path), "--botkube-version", "1.13.0", "--image", "localhost/bk:dev"]
    argv += ["--health-check-interval", "5s", "--restart-threshold", "1"]
    assert main([*argv, "--plugin-index-url", "http://10.0.0.1/index.yaml"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["plugins"]["healthCheckInterval"] == "5s"
    assert printed["plugins"]["restartPolicy"]["threshold"] == 1
    assert webhook(printed)["bindings"]["sources"] == ["k8s-hpa"]
    assert printed["image"]["repository"] == "bk"
    assert printed["plugins"]["repositories"]["botkube"]["url"] == "http://10.0.0.1/index.yaml"


@pytest.mark.parametrize(
    ("image", "repository", "tag"),
    [("botkube", "library/botkube", "latest"), ("localhost:5000/bk", "bk", "latest")],
)
def test_values_command_image_without_tag_is_latest_as_a_run_installs_it(
    capsys: pytest.CaptureFixture[str], image: str, repository: str, tag: str
):
    """One rule for ``--image`` and ``--botkube-image``: no tag is ``latest`` (docker pull)."""
    assert main(["values", "crash-v1.13.0", "--image", image]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)["image"]
    assert (printed["repository"], printed["tag"]) == (repository, tag)


@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["no-such-scenario"], r"no scenario named 'no-such-scenario'"),
        (["VALUES"], r"theirs\.yaml: looks like a Helm values file; pass --botkube-version"),
        (["VALUES", "--botkube-version", "v0.1.0"], r"--botkube-version: unknown BotKube version"),
        (["crash-v1.13.0", "--botkube-version", "v1.14.0"], r"no such values file"),
        (["SCENARIO", "--botkube-version", "v1.14.0"], r"pins its own BotKube version"),
        (["crash-v1.13.0", "--image", "ghcr.io/me/bk@sha256:" + "0" * 64], r"REPOSITORY:TAG"),
        (["crash-v1.13.0", "--image", ":dev"], r"--image ':dev': expected REPOSITORY\[:TAG\]"),
        (["crash-v1.13.0", "--receiver-url", "localhost:80"], r"receiver URL"),
        (["crash-v1.13.0", "--receiver-url", "http://h:99999"], r"'http://h:99999': .*port"),
        (["crash-v1.13.0", "--health-check-interval", "100ms"], r"under 1s"),
    ],
)
def test_values_command_bad_input_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], pattern: str
):
    values_file = tmp_path / "theirs.yaml"
    values_file.write_text("sources: {}\n")
    scenario_file = find_scenario("crash-v1.13.0").path
    assert scenario_file is not None
    argv = [{"VALUES": str(values_file), "SCENARIO": str(scenario_file)}.get(a, a) for a in argv]
    assert main(["values", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("botkube-repro values: error: ")
    assert re.search(pattern, lines[0]), lines[0]


# -- parallel releases in one cluster: the chart's cluster-scoped names ------------------------

GROUP = "botkube-plugins-default"
STATIC_CONTEXT = {
    "rbac": {"group": {"type": "Static", "prefix": "", "static": {"values": [GROUP]}}}
}


def _created_cluster_objects(values: dict[str, Any]) -> set[str]:
    """Names of the ClusterRole/ClusterRoleBinding pairs templates/rbac-groups.yaml renders
    (one per ``rbac.groups`` entry with ``create``, the chart's default entry unless nulled)."""
    groups = deep_merge({"groups": {GROUP: {"create": True}}}, values.get("rbac", {}))["groups"]
    return {name for name, body in groups.items() if body and body.get("create")}


def _impersonated(values: dict[str, Any], alias: str) -> list[str]:
    group = values["sources"][alias]["botkube/kubernetes"]["context"]["rbac"]["group"]
    return [group["prefix"] + v for v in group["static"]["values"]]


def test_two_releases_get_disjoint_cluster_scoped_rbac_names():
    scenario = find_scenario("crash-v1.13.0")
    first, second = (
        build_values(scenario, receiver_url=URL, release_name=name)
        for name in ("bk-crash-v1-13-0-aaaaaa", "bk-crash-v1-13-0-bbbbbb")
    )
    one, two = _created_cluster_objects(first), _created_cluster_objects(second)
    assert one == {f"bk-crash-v1-13-0-aaaaaa-{GROUP}"}
    assert two == {f"bk-crash-v1-13-0-bbbbbb-{GROUP}"}
    assert first["rbac"]["groups"][GROUP] is None  # Helm drops the chart's default entry
    for values, created in ((first, one), (second, two)):
        # The scenario's sources impersonate their own release's group, with the chart's rules.
        for alias in ("k8s-deployment-events", "k8s-hpa-events"):
            assert _impersonated(values, alias) == sorted(created)
        (body,) = (values["rbac"]["groups"][name] for name in created)
        assert body["rules"] == [
            {"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "watch", "list"]}
        ]
        assert values["fullnameOverride"] == ""  # main ClusterRole named after the release
    # Without a release name nothing is renamed (what a single install would use).
    plain = build_values(scenario, receiver_url=URL)
    assert "rbac" not in plain
    assert _impersonated(plain, "k8s-hpa-events") == [GROUP]


def test_bound_chart_default_source_follows_the_renamed_group():
    overlay = {
        "communications": {
            "default-group": {
                "webhook": {"enabled": True, "bindings": {"sources": ["k8s-err-events"]}}
            }
        }
    }
    values = build_values(overlay, receiver_url=URL, release_name="bk-r1")
    assert _impersonated(values, "k8s-err-events") == [f"bk-r1-{GROUP}"]
    # Unbound chart sources are switched off and keep the chart's context untouched.
    assert values["sources"]["k8s-all-events"] == {"botkube/kubernetes": {"enabled": False}}


def test_user_groups_prefixes_and_static_group_name_are_renamed_outside_groups_kept():
    overlay = {
        "rbac": {
            "staticGroupName": "legacy",
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}],
            "groups": {
                "team-readers": {"create": True, "rules": []},
                "not-created": {"create": False},
            },
        },
        "fullnameOverride": "botkube",
        "sources": {
            "mine": {
                "botkube/kubernetes": {
                    "enabled": True,
                    "context": {
                        "rbac": {
                            "group": {
                                "type": "Static",
                                "prefix": "team-",
                                "static": {"values": ["readers", "outside"]},
                            }
                        }
                    },
                }
            },
            "legacy-src": {
                "botkube/kubernetes": {
                    "enabled": True,
                    "context": {
                        "rbac": {"group": {"type": "Static", "static": {"values": ["legacy"]}}}
                    },
                }
            },
            "by-channel": {
                "botkube/kubernetes": {
                    "enabled": True,
                    "context": {"rbac": {"group": {"type": "ChannelName", "prefix": ""}}},
                }
            },
        },
    }
    values = build_values(overlay, receiver_url=URL, release_name="bk-r2")
    groups = values["rbac"]["groups"]
    assert "team-readers" not in groups  # left out: a null Helm cannot drop breaks the chart
    assert groups[GROUP] is None
    assert groups["bk-r2-team-readers"] == {"create": True, "rules": []}
    assert groups["not-created"] == {"create": False}  # creates nothing: left alone
    assert _created_cluster_objects(values) == {"bk-r2-team-readers", f"bk-r2-{GROUP}"}
    assert values["rbac"]["staticGroupName"] == "bk-r2-legacy"
    # prefix folded in: the created group renamed, one bound outside the chart kept.
    assert _impersonated(values, "mine") == ["bk-r2-team-readers", "team-outside"]
    assert _impersonated(values, "legacy-src") == ["bk-r2-legacy"]
    channel = values["sources"]["by-channel"]["botkube/kubernetes"]["context"]["rbac"]["group"]
    assert channel == {"type": "ChannelName", "prefix": ""}
    assert values["fullnameOverride"] == ""
    assert overlay["fullnameOverride"] == "botkube"  # the caller's mapping is not touched


def test_plugin_index_url_sets_the_botkube_repository():
    values = build_values(
        {"sources": {"k8s-hpa": k8s()}},
        receiver_url=URL,
        plugin_index_url="http://10.0.0.5:8080/botkube.yaml",
    )
    assert values["plugins"]["repositories"] == {
        "botkube": {"url": "http://10.0.0.5:8080/botkube.yaml"}
    }
    assert "repositories" not in build_values({}, receiver_url=URL)["plugins"]


def test_values_command_names_rbac_after_the_release(capsys):
    """The printed values carry the same per-release RBAC renames a run installs."""
    assert main(["values", "crash-v1.13.0", "--release-name", "bk-mine"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert "bk-mine-botkube-plugins-default" in printed["rbac"]["groups"]
    assert printed["rbac"]["groups"]["botkube-plugins-default"] is None
    assert main(["values", "crash-v1.13.0"]) == 0
    default = yaml.safe_load(capsys.readouterr().out)
    assert "bk-crash-v1-13-0-botkube-plugins-default" in default["rbac"]["groups"]


def test_agent_liveness_budget_covers_the_install_wait():
    """The chart's 35 x 2 s would let the kubelet kill an agent still downloading its plugins;
    the suite gives it the helm --wait budget, and never less than the chart's threshold."""
    values = build_values({"sources": {"k8s-hpa": k8s()}}, receiver_url=URL)
    assert values["deployment"]["livenessProbe"] == {"periodSeconds": 2, "failureThreshold": 150}
    short = build_values({}, receiver_url=URL, liveness_budget=10)
    assert short["deployment"]["livenessProbe"]["failureThreshold"] == 35
    odd = build_values({}, receiver_url=URL, liveness_budget=301)
    assert odd["deployment"]["livenessProbe"]["failureThreshold"] == 151


def test_a_scenario_cannot_shorten_the_liveness_budget():
    overlay = {"deployment": {"livenessProbe": {"failureThreshold": 1, "timeoutSeconds": 4}}}
    probe = build_values(overlay, receiver_url=URL)["deployment"]["livenessProbe"]
    assert probe == {"failureThreshold": 150, "periodSeconds": 2, "timeoutSeconds": 4}
