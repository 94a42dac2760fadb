"""The agent pod to examine and the port its /healthz listens on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_HEALTH_PORT = 2114  # settings.healthPort in the agent's built-in defaults


@dataclass(frozen=True)
class PodState:
    """The agent pod as the API reports it."""

    name: str
    phase: str
    ready: bool
    restarts: int
    last_exit_code: int | None = None
    last_reason: str | None = None


def pick_pod(pods: Sequence[Mapping[str, Any]], container: str) -> PodState | None:
    """The pod to examine: not terminating, Running first, newest first."""

    def rank(pod: Mapping[str, Any]) -> tuple[bool, bool, str]:
        meta = pod.get("metadata") or {}
        phase = (pod.get("status") or {}).get("phase")
        return (
            "deletionTimestamp" not in meta,
            phase == "Running",
            str(meta.get("creationTimestamp", "")),
        )

    if not pods:
        return None
    pod = max(pods, key=rank)
    status = pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    mine = next((s for s in statuses if s.get("name") == container), None)
    restarts, ready, code, reason = 0, False, None, None
    if mine is not None:
        restarts = int(mine.get("restartCount", 0))
        ready = bool(mine.get("ready", False))
        terminated = (mine.get("lastState") or {}).get("terminated") or {}
        if terminated:
            code = terminated.get("exitCode")
            reason = terminated.get("reason")
    return PodState(
        name=str((pod.get("metadata") or {}).get("name", "")),
        phase=str(status.get("phase", "Unknown")),
        ready=ready,
        restarts=restarts,
        last_exit_code=int(code) if code is not None else None,
        last_reason=str(reason) if reason else None,
    )


def health_port(container: Mapping[str, Any], config: Mapping[str, Any]) -> int:
    """The agent's health port: the config's ``settings.healthPort`` (what the agent listens
    on), else the port the chart's probes use, else the agent default 2114."""
    configured = str((config.get("settings") or {}).get("healthPort") or "").strip()
    if configured.isdigit():
        return int(configured)
    named = {p.get("name"): p.get("containerPort") for p in container.get("ports") or []}
    for probe in ("readinessProbe", "livenessProbe"):
        http = (container.get(probe) or {}).get("httpGet") or {}
        port = http.get("port")
        if isinstance(port, int):
            return port
        if isinstance(port, str) and port.isdigit():
            return int(port)
        if isinstance(port, str) and isinstance(named.get(port), int):
            return int(named[port])
    return DEFAULT_HEALTH_PORT
