"""What ``helm install`` of the BotKube chart leaves for ``botkube-repro doctor`` to read.

The API double's ``install`` creates the Deployment, its pods and the scripted agent (log,
previous log, restarts, /healthz behind the pod proxy). The doctor also reads what the chart's
templates add (checked against helm/botkube/templates at v1.13.0 and v1.14.0, identical there):

- ``<fullname>-global-config`` ConfigMap, key ``global_config.yaml``: every values section but
  ``communications``;
- ``<fullname>-communication-secret`` Secret, key ``comm_config.yaml``: ``communications:``;
- ``botkube-runtime-config`` / ``botkube-startup-config`` ConfigMaps, keys
  ``_runtime_state.yaml`` (channel source bindings, action enablement) and
  ``_startup_state.yaml`` (channel notification flags);
- on the container, ``BOTKUBE_CONFIG_PATHS`` naming the four files, the ``config-volume``
  (projected: the global ConfigMap, the Secret, the runtime ConfigMap) mounted at ``/config`` and
  ``startup-config`` at ``/startup-config``.

This module adds those objects through the double's own REST API, so they are stored and served
exactly like objects any client creates.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import yaml

from doubles.kubeapi import BotkubeProfile, KubeApiDouble, Release

RUNTIME_CONFIG_MAP = "botkube-runtime-config"
STARTUP_CONFIG_MAP = "botkube-startup-config"


def _request(double: KubeApiDouble, method: str, path: str, body: Any, ctype: str) -> Any:
    status, _, answer = double.handle(method, path, json.dumps(body).encode(), ctype)
    assert status < 300, f"{method} {path}: {status} {answer}"
    return answer


def _create(double: KubeApiDouble, namespace: str, plural: str, body: dict[str, Any]) -> None:
    _request(double, "POST", f"/api/v1/namespaces/{namespace}/{plural}", body, "application/json")


def _channel_state(communications: dict[str, Any], pick: str) -> dict[str, Any]:
    """The chart's persistent state: per group and platform with channels, one entry each."""
    state: dict[str, Any] = {}
    for group, platforms in communications.items():
        group_state: dict[str, Any] = {}
        for platform, cfg in (platforms or {}).items():
            channels = (cfg or {}).get("channels") or {}
            if not channels:
                continue
            per_channel: dict[str, Any] = {}
            for alias, channel in channels.items():
                if pick == "bindings":
                    sources = ((channel or {}).get("bindings") or {}).get("sources") or []
                    per_channel[alias] = {"bindings": {"sources": list(sources)}}
                else:
                    disabled = bool(((channel or {}).get("notification") or {}).get("disabled"))
                    per_channel[alias] = {"notification": {"disabled": disabled}}
            group_state[platform] = {"channels": per_channel}
        state[group] = group_state or None
    return state


def install_botkube(
    double: KubeApiDouble,
    values: dict[str, Any],
    *,
    version: str,
    namespace: str = "botkube",
    release: str = "botkube",
    profile: BotkubeProfile | None = None,
) -> Release:
    """Install a BotKube release the way the chart lays it out, with a scripted agent."""
    double.set_profile(namespace, profile or BotkubeProfile())
    rel = double.install(namespace, release, values, chart_version=version, create_namespace=True)
    full = rel.fullname
    communications = values.get("communications") or {}
    global_config = {k: v for k, v in values.items() if k not in ("communications", "image")}
    _create(
        double,
        namespace,
        "configmaps",
        {
            "metadata": {"name": f"{full}-global-config", "labels": {"app": "botkube"}},
            "data": {"global_config.yaml": yaml.safe_dump(global_config, sort_keys=False)},
        },
    )
    comm_text = "# Communication settings\n" + yaml.safe_dump(
        {"communications": communications}, sort_keys=False
    )
    _create(
        double,
        namespace,
        "secrets",
        {
            "metadata": {"name": f"{full}-communication-secret"},
            "type": "Opaque",
            "data": {"comm_config.yaml": base64.b64encode(comm_text.encode()).decode()},
        },
    )
    runtime = {
        "actions": {
            name: {"enabled": bool((cfg or {}).get("enabled"))}
            for name, cfg in (values.get("actions") or {}).items()
        },
        "communications": _channel_state(communications, "bindings"),
    }
    _create(
        double,
        namespace,
        "configmaps",
        {
            "metadata": {"name": RUNTIME_CONFIG_MAP},
            "data": {"_runtime_state.yaml": yaml.safe_dump(runtime, sort_keys=False)},
        },
    )
    startup = {"communications": _channel_state(communications, "notification")}
    _create(
        double,
        namespace,
        "configmaps",
        {
            "metadata": {"name": STARTUP_CONFIG_MAP},
            "data": {"_startup_state.yaml": yaml.safe_dump(startup, sort_keys=False)},
        },
    )
    deployment = double.get("deployments", namespace, full)
    assert deployment is not None
    pod_spec = deployment["spec"]["template"]["spec"]
    container = pod_spec["containers"][0]
    paths = (
        "/config/global_config.yaml,/config/comm_config.yaml,"
        "/config/_runtime_state.yaml,/startup-config/_startup_state.yaml"
    )
    container["env"] = [
        {"name": "BOTKUBE_CONFIG_PATHS", "value": paths},
        {"name": "BOTKUBE_SETTINGS_METRICS__PORT", "value": "2112"},
        {"name": "BOTKUBE_SETTINGS_SYSTEM__CONFIG__MAP_NAMESPACE", "value": namespace},
        {"name": "LOG_LEVEL_SOURCE_BOTKUBE_KUBERNETES", "value": "debug"},
        *container.get("env", []),
    ]
    container["volumeMounts"] = [
        {"name": "cache-volume", "mountPath": "/tmp"},
        {"name": "config-volume", "mountPath": "/config"},
        {"name": "startup-config", "mountPath": "/startup-config"},
    ]
    pod_spec["volumes"] = [
        {"name": "cache-volume", "emptyDir": {}},
        {
            "name": "config-volume",
            "projected": {
                "sources": [
                    {"configMap": {"name": f"{full}-global-config"}},
                    {"secret": {"name": f"{full}-communication-secret"}},
                    {"configMap": {"name": RUNTIME_CONFIG_MAP}},
                ]
            },
        },
        {"name": "startup-config", "configMap": {"name": STARTUP_CONFIG_MAP}},
    ]
    _request(
        double,
        "PATCH",
        f"/apis/apps/v1/namespaces/{namespace}/deployments/{full}",
        {"spec": {"template": {"spec": pod_spec}}},
        "application/merge-patch+json",
    )
    return rel
