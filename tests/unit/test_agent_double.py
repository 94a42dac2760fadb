"""The agent double against the upstream rules it restates (not against any scenario).

pkg/plugin/health_monitor.go (v1.13.0, v1.14.0): a failed process is reported, "Restarting ...
attempt n/T" is logged with n = restarts so far + 1, and ``shouldRestartPlugin`` restarts it
while fewer than T restarts happened; the failure after the T-th restart is deactivated. So T+1
processes exit, T+1 attempt lines, then "Deactivating...". Source.Stream (v1.13.0) rebuilds the
routing table before "Registering informers...", so a crash never logs that line for the
crashing stream.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from doubles import agent
from doubles.kubeapi import Release

from pytest_botkube.readers.logs import read_log


def _values(threshold: int, hpa_event: dict[str, Any] | None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "namespaces": {"include": [".*"]},
        "resources": [{"type": "autoscaling/v2/horizontalpodautoscalers"}],
    }
    if hpa_event is not None:
        config["event"] = hpa_event
    context = {"rbac": {"group": {"type": "Static", "static": {"values": ["g"]}}}}
    return {
        "plugins": {"restartPolicy": {"type": "DeactivatePlugin", "threshold": threshold}},
        "communications": {"default-group": {"webhook": {
            "enabled": True, "url": "http://127.0.0.1:1/", "bindings": {"sources": ["hpa"]}}}},
        "sources": {"hpa": {"botkube/kubernetes": {
            "enabled": True, "context": context, "config": config}}},
    }  # fmt: skip


def _messages(log: str) -> list[str]:
    return [str(json.loads(line)["msg"]) for line in log.splitlines()]


@pytest.mark.parametrize("threshold", [0, 1, 3, 10])
def test_a_crash_loop_has_threshold_plus_one_processes_then_deactivation(threshold: int):
    release = Release("ns", "r", "botkube", "v1.13.0", _values(threshold, None), "r-botkube")
    profile = agent.behaviour(release)
    messages = _messages(str(profile.log))
    attempts = [int(m[1]) for m in (re.search(r"attempt (\d+)/", x) for x in messages) if m]
    assert attempts == list(range(1, threshold + 2))
    assert messages.count("plugin process exited") == threshold + 1
    assert messages[-1].endswith("has been restarted too many times. Deactivating...")
    assert "Registering informers..." not in " ".join(messages)
    timeline = read_log(str(profile.log).splitlines()).plugins["botkube/kubernetes"]
    assert timeline.exit_statuses == [2] * (threshold + 1)
    assert timeline.panic is not None
    assert ("mergeResourceEvents", "router.go:159") in [
        (f.short_function, f.location.rsplit("/", 1)[-1]) for f in timeline.panic.frames
    ]
    healthz = profile.healthz_for(release)
    assert healthz["plugins"]["hpa"] == {
        "enabled": True, "status": "Deactivated", "restarts": f"{threshold + 1}/{threshold}"
    }  # fmt: skip


def test_the_fixed_version_runs_the_same_values_and_registers_informers():
    release = Release("ns", "r", "botkube", "v1.14.0", _values(3, None), "r-botkube")
    profile = agent.behaviour(release)
    messages = _messages(str(profile.log))
    assert "plugin process exited" not in messages
    assert any("Registering informers..." in m for m in messages)
    assert profile.healthz_for(release)["plugins"]["hpa"]["status"] == "Running"


def test_an_unknown_violation_fails_the_install():
    release = Release("ns", "r", "botkube", "v1.13.0", _values(3, None), "r-botkube")
    release.agent_violations = "panic-fucntion"
    with pytest.raises(Exception, match="unknown violation 'panic-fucntion'"):
        agent.model_agent()(release)
