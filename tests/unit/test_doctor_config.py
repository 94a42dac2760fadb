"""The doctor's pure rules: which Deployment, which config files, how they merge, what is hidden."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from pytest_botkube.doctor.discovery import (
    botkube_container,
    find_botkube,
    image_tag,
    running_version,
)
from pytest_botkube.doctor.pod import DEFAULT_HEALTH_PORT, PodState, health_port, pick_pod
from pytest_botkube.doctor.reader import AccessDenied, BotkubeNotFound, ReadFailed
from pytest_botkube.doctor.running_config import (
    ObjectKey,
    config_files,
    env_overlay,
    read_running_config,
    scrub,
)
from pytest_botkube.errors import BadInput, ExitCode
from pytest_botkube.helm_values import deep_merge

PATHS = (
    "/config/global_config.yaml,/config/comm_config.yaml,"
    "/config/_runtime_state.yaml,/startup-config/_startup_state.yaml"
)


def chart_deployment(
    *, image: str = "ghcr.io/kubeshop/botkube:v1.13.0", env: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The parts of the chart's Deployment the doctor reads (helm/botkube/templates)."""
    return {
        "metadata": {
            "name": "botkube",
            "namespace": "botkube",
            "labels": {
                "app": "botkube",
                "component": "controller",
                "app.kubernetes.io/instance": "botkube",
                "helm.sh/chart": "botkube-v1.13.0",
            },
        },
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "botkube",
                            "image": image,
                            "env": env
                            if env is not None
                            else [{"name": "BOTKUBE_CONFIG_PATHS", "value": PATHS}],
                            "readinessProbe": {"httpGet": {"path": "/healthz", "port": 2114}},
                            "volumeMounts": [
                                {"name": "cache-volume", "mountPath": "/tmp"},
                                {"name": "config-volume", "mountPath": "/config"},
                                {"name": "startup-config", "mountPath": "/startup-config"},
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "cache-volume", "emptyDir": {}},
                        {
                            "name": "config-volume",
                            "projected": {
                                "sources": [
                                    {"configMap": {"name": "botkube-global-config"}},
                                    {"secret": {"name": "botkube-communication-secret"}},
                                    {"configMap": {"name": "botkube-runtime-config"}},
                                ]
                            },
                        },
                        {"name": "startup-config", "configMap": {"name": "botkube-startup-config"}},
                    ],
                }
            }
        },
    }


class DictReader:
    """A ClusterReader over plain dicts: what a cluster would answer, without HTTP."""

    where = "context test (https://example.invalid)"

    def __init__(
        self,
        *,
        deployments: dict[str, list[dict[str, Any]]] | None = None,
        config_maps: dict[str, dict[str, str]] | None = None,
        secrets: dict[str, dict[str, bytes]] | None = None,
        forbid_cluster_list: bool = False,
        context_namespace: str | None = None,
    ) -> None:
        self.deployments = deployments or {}
        self.config_maps = config_maps or {}
        self.secrets = secrets or {}
        self.forbid_cluster_list = forbid_cluster_list
        self.context_namespace = context_namespace
        self.calls: list[tuple[str, ...]] = []

    def default_namespace(self) -> str | None:
        return self.context_namespace

    def list_deployments(self, namespace: str | None, selector: str) -> list[dict[str, Any]]:
        self.calls.append(("list_deployments", namespace or "*", selector))
        if namespace is None:
            if self.forbid_cluster_list:
                raise AccessDenied("list", "deployments", None)
            return [d for items in self.deployments.values() for d in items]
        return list(self.deployments.get(namespace, []))

    def get_deployment(self, namespace: str, name: str) -> dict[str, Any] | None:
        self.calls.append(("get_deployment", namespace, name))
        return None

    def list_pods(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        return []

    def get_config_map(self, namespace: str, name: str) -> dict[str, str] | None:
        return self.config_maps.get(name)

    def get_secret(self, namespace: str, name: str) -> dict[str, bytes] | None:
        return self.secrets.get(name)

    def get_healthz(self, namespace: str, pod: str, port: int) -> bytes:
        raise ReadFailed("no pods here")

    def pod_log(self, namespace: str, pod: str, container: str, previous: bool) -> Iterator[str]:
        return iter(())


TOKEN = "xoxb-000000000000-PLANTED-doctor-token"
WEBHOOK = "https://hooks.example.invalid/T000/B000/PLANTEDwebhooksecret"

GLOBAL = {
    "settings": {"clusterName": "prod-eu", "healthPort": 2114},
    "sources": {
        "k8s-hpa-events": {
            "botkube/kubernetes": {
                "enabled": True,
                "config": {"resources": [{"type": "autoscaling/v2/horizontalpodautoscalers"}]},
            }
        }
    },
}
COMM = {
    "communications": {
        "default-group": {
            "socketSlack": {
                "enabled": False,
                "botToken": TOKEN,
                "botName": "botkube",
                "channels": {
                    "default": {"name": "alerts-prod", "bindings": {"sources": ["k8s-err-events"]}}
                },
            },
            "webhook": {
                "enabled": True,
                "url": WEBHOOK,
                "bindings": {"sources": ["k8s-hpa-events"]},
            },
        }
    }
}
RUNTIME = {
    "communications": {
        "default-group": {
            "socketSlack": {"channels": {"default": {"bindings": {"sources": ["k8s-hpa-events"]}}}}
        }
    }
}


def chart_reader(**overrides: Any) -> DictReader:
    config_maps = {
        "botkube-global-config": {"global_config.yaml": yaml.safe_dump(GLOBAL)},
        "botkube-runtime-config": {"_runtime_state.yaml": yaml.safe_dump(RUNTIME)},
        "botkube-startup-config": {"_startup_state.yaml": "communications: {}\n"},
    }
    secrets = {"botkube-communication-secret": {"comm_config.yaml": yaml.safe_dump(COMM).encode()}}
    return DictReader(
        deployments={"botkube": [chart_deployment()]},
        config_maps=overrides.pop("config_maps", config_maps),
        secrets=overrides.pop("secrets", secrets),
        **overrides,
    )


# --------------------------------------------------------------------------- version


@pytest.mark.parametrize(
    ("image", "tag"),
    [
        ("ghcr.io/kubeshop/botkube:v1.13.0", "v1.13.0"),
        ("registry.local:5000/kubeshop/botkube:v1.14.0", "v1.14.0"),
        ("ghcr.io/kubeshop/botkube:v1.13.0@sha256:" + "a" * 64, "v1.13.0"),
        ("registry.local:5000/kubeshop/botkube", None),
        ("ghcr.io/kubeshop/botkube@sha256:" + "b" * 64, None),
    ],
)
def test_image_tag(image: str, tag: str | None) -> None:
    assert image_tag(image) == tag


def test_version_falls_back_to_chart_label_when_image_is_pinned_by_digest() -> None:
    dep = chart_deployment(image="ghcr.io/kubeshop/botkube@sha256:" + "c" * 64)
    container = botkube_container(dep)
    assert running_version(dep, container) == "v1.13.0"


def test_container_found_by_image_when_renamed() -> None:
    dep = chart_deployment()
    containers = dep["spec"]["template"]["spec"]["containers"]
    containers[0]["name"] = "agent"
    containers.insert(0, {"name": "sidecar", "image": "busybox:1"})
    assert botkube_container(dep)["name"] == "agent"


# --------------------------------------------------------------------------- config files


def test_config_files_follow_volumes_and_load_underscore_files_last() -> None:
    env = [
        {
            "name": "BOTKUBE_CONFIG_PATHS",
            "value": "/startup-config/_startup_state.yaml,/config/global_config.yaml,"
            "/config/comm_config.yaml",
        }
    ]
    dep = chart_deployment(env=env)
    files = config_files(dep, botkube_container(dep))
    assert [f.path for f in files] == [
        "/config/global_config.yaml",
        "/config/comm_config.yaml",
        "/startup-config/_startup_state.yaml",
    ]
    # A projected volume: every source may hold the key, in the volume's order.
    assert [(c.kind, c.name) for c in files[1].candidates] == [
        ("ConfigMap", "botkube-global-config"),
        ("Secret", "botkube-communication-secret"),
        ("ConfigMap", "botkube-runtime-config"),
    ]
    assert [(c.kind, c.name, c.key) for c in files[2].candidates] == [
        ("ConfigMap", "botkube-startup-config", "_startup_state.yaml")
    ]


def test_config_files_honour_items_and_sub_path() -> None:
    dep = chart_deployment(
        env=[{"name": "BOTKUBE_CONFIG_PATHS", "value": "/etc/bk/comm.yaml,/cfg.yaml"}]
    )
    spec = dep["spec"]["template"]["spec"]
    spec["containers"][0]["volumeMounts"] = [
        {"name": "comm", "mountPath": "/etc/bk"},
        {"name": "single", "mountPath": "/cfg.yaml", "subPath": "whole.yaml"},
    ]
    spec["volumes"] = [
        {
            "name": "comm",
            "secret": {
                "secretName": "my-comms",
                "items": [{"key": "comm_config.yaml", "path": "comm.yaml"}],
            },
        },
        {"name": "single", "configMap": {"name": "mine", "optional": True}},
    ]
    files = config_files(dep, botkube_container(dep))
    assert files[0].candidates == (ObjectKey("Secret", "my-comms", "comm_config.yaml"),)
    assert files[1].candidates == (ObjectKey("ConfigMap", "mine", "whole.yaml", True),)


def test_remote_config_is_named_not_guessed() -> None:
    dep = chart_deployment(env=[{"name": "CONFIG_PROVIDER_IDENTIFIER", "value": "abc"}])
    with pytest.raises(BadInput, match="Botkube Cloud"):
        config_files(dep, botkube_container(dep))


def test_missing_config_paths_is_bad_input_naming_the_deployment() -> None:
    dep = chart_deployment(env=[])
    with pytest.raises(BadInput, match=r"botkube/botkube: .*BOTKUBE_CONFIG_PATHS"):
        config_files(dep, botkube_container(dep))


# --------------------------------------------------------------------------- merge


def test_deep_merge_replaces_lists_and_leaves_inputs_alone() -> None:
    base = {"a": {"list": [1, 2], "keep": 1}, "b": 1}
    overlay = {"a": {"list": [3]}, "c": {"d": 1}}
    merged = deep_merge(base, overlay)
    assert merged == {"a": {"list": [3], "keep": 1}, "b": 1, "c": {"d": 1}}
    assert base == {"a": {"list": [1, 2], "keep": 1}, "b": 1}
    assert overlay == {"a": {"list": [3]}, "c": {"d": 1}}


def test_env_overlay_maps_names_like_the_agent() -> None:
    container = {
        "env": [
            {"name": "BOTKUBE_SETTINGS_HEALTH__PORT", "value": "3000"},
            {"name": "BOTKUBE_CONFIG_PATHS", "value": PATHS},
            {"name": "BOTKUBE_SETTINGS_CLUSTER__NAME", "valueFrom": {"fieldRef": {}}},
            {"name": "OTHER", "value": "x"},
        ]
    }
    assert env_overlay(container) == {"settings": {"healthPort": "3000"}}


def test_running_config_merges_like_the_agent_and_outlines_the_secret() -> None:
    reader = chart_reader()
    dep = chart_deployment()
    running = read_running_config(reader, "botkube", dep, botkube_container(dep))
    comms = running.data["communications"]["default-group"]
    # _runtime_state.yaml, loaded last, replaced the channel's bindings list.
    assert comms["socketSlack"]["channels"]["default"]["bindings"] == {
        "sources": ["k8s-hpa-events"]
    }
    assert comms["webhook"] == {"enabled": True, "bindings": {"sources": ["k8s-hpa-events"]}}
    assert running.data["sources"] == GLOBAL["sources"]
    assert [f.split(" <- ")[1] for f in running.files] == [
        "ConfigMap botkube/botkube-global-config key global_config.yaml",
        "Secret botkube/botkube-communication-secret key comm_config.yaml",
        "ConfigMap botkube/botkube-runtime-config key _runtime_state.yaml",
        "ConfigMap botkube/botkube-startup-config key _startup_state.yaml",
    ]
    dumped = json.dumps(running.data)
    for secret in (TOKEN, WEBHOOK, "alerts-prod"):
        assert secret not in dumped
        assert secret in running.secret_values
    # Names that are public (they are in the Deployment) are not scrubbed from reports.
    assert "botkube" not in running.secret_values


def test_scrub_replaces_every_occurrence_in_nested_data() -> None:
    data = {"log": [f"POST {WEBHOOK} failed"], WEBHOOK: 1, "n": 3}
    clean = scrub(data, {WEBHOOK})
    assert WEBHOOK not in json.dumps(clean)
    assert clean["n"] == 3


def test_missing_config_map_names_what_was_looked_for() -> None:
    reader = chart_reader()
    del reader.config_maps["botkube-startup-config"]
    dep = chart_deployment()
    with pytest.raises(BotkubeNotFound) as info:
        read_running_config(reader, "botkube", dep, botkube_container(dep))
    assert "/startup-config/_startup_state.yaml" in str(info.value)
    assert "ConfigMap botkube/botkube-startup-config" in str(info.value)
    assert info.value.exit_code == ExitCode.ENVIRONMENT


def test_invalid_yaml_in_the_secret_never_quotes_it() -> None:
    broken = f"communications:\n  x: [{TOKEN}\n"
    reader = chart_reader(
        secrets={"botkube-communication-secret": {"comm_config.yaml": broken.encode()}}
    )
    dep = chart_deployment()
    with pytest.raises(BadInput) as info:
        read_running_config(reader, "botkube", dep, botkube_container(dep))
    assert "Secret botkube/botkube-communication-secret key comm_config.yaml" in str(info.value)
    assert TOKEN not in str(info.value)


# --------------------------------------------------------------------------- discovery


def test_find_lists_all_namespaces_by_the_chart_labels() -> None:
    reader = chart_reader()
    target = find_botkube(reader, None, None)
    assert (target.namespace, target.name, target.release) == ("botkube", "botkube", "botkube")
    assert reader.calls[0] == ("list_deployments", "*", "app=botkube,component=controller")


def test_find_falls_back_to_likely_namespaces_when_cluster_list_is_forbidden() -> None:
    reader = chart_reader(forbid_cluster_list=True, context_namespace="ops")
    target = find_botkube(reader, None, "botkube")
    assert target.name == "botkube"
    listed = [c[1] for c in reader.calls if c[0] == "list_deployments"]
    assert listed == ["*", "ops", "botkube"]


def test_not_found_says_what_and_where() -> None:
    reader = DictReader()
    with pytest.raises(BotkubeNotFound) as info:
        find_botkube(reader, "monitoring", "bk")
    message = str(info.value)
    assert message == (
        f"no BotKube found in {reader.where}: looked for Deployments labelled "
        "app=botkube,component=controller,app.kubernetes.io/instance=bk in namespace monitoring, "
        "and a Deployment named bk-botkube in namespace monitoring"
    )
    assert ("get_deployment", "monitoring", "bk-botkube") in reader.calls
    assert info.value.exit_code == ExitCode.ENVIRONMENT


def test_two_installs_ask_the_user_to_choose() -> None:
    other = chart_deployment()
    other["metadata"]["namespace"] = "team-b"
    reader = DictReader(deployments={"botkube": [chart_deployment()], "team-b": [other]})
    with pytest.raises(BadInput, match=r"botkube/botkube, team-b/botkube.*--namespace"):
        find_botkube(reader, None, None)


# --------------------------------------------------------------------------- pod and port


def _pod(name: str, created: str, phase: str = "Running", **status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "creationTimestamp": created},
        "status": {"phase": phase, "containerStatuses": [{"name": "botkube", **status}]},
    }


def test_pick_pod_prefers_the_newest_running_pod() -> None:
    pods = [
        _pod("old", "2024-01-01T00:00:00Z", restartCount=0),
        _pod(
            "new",
            "2024-01-02T00:00:00Z",
            restartCount=3,
            ready=True,
            lastState={"terminated": {"exitCode": 1, "reason": "Error"}},
        ),
        _pod("pending", "2024-01-03T00:00:00Z", phase="Pending"),
    ]
    state = pick_pod(pods, "botkube")
    assert state == PodState("new", "Running", True, 3, 1, "Error")
    assert pick_pod([], "botkube") is None


def test_health_port_prefers_the_config_then_the_probe() -> None:
    container = {
        "ports": [{"name": "health", "containerPort": 2200}],
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "health"}},
    }
    assert health_port(container, {"settings": {"healthPort": "3000"}}) == 3000
    assert health_port(container, {}) == 2200
    assert health_port({}, {}) == DEFAULT_HEALTH_PORT
