"""A scripted BotKube agent for the API double, written from a scenario's expectations.

The rehearsal proves the suite's wiring, not BotKube's behaviour (the live run does that), so
the agent plays back what a scenario says a real agent would show: /healthz entries for the
scenario's kubernetes sources, an agent log in BotKube's JSON format (plugin start, streams,
``Registering informers...``, the Go panic trace or the exit-on-error line, restarts and the
deactivation), and the deliveries the scenario expects, POSTed to the webhook URL that the
suite installed once the HPA controller has rescaled. ``violate`` turns one of those into the
opposite so that a test can watch the suite fail, save artifacts and still clean up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from pytest_botkube.scenario import DeliveryExpectation, Scenario

from .kubeapi import BotkubeProfile, DeliveryContext, PlannedDelivery, Release

PLUGIN = "botkube/kubernetes"
VIOLATIONS = ("status", "deliveries", "panic")
_T = "2026-01-01T00:00:00Z"


def namespace_glob(scenario_name: str) -> str:
    """The namespaces the suite gives this scenario's releases (``bk-<name>-<hex>``)."""
    body = re.sub(r"[^a-z0-9-]+", "-", scenario_name.lower()).strip("-")
    return f"bk-{body}-*"


def _line(level: str, msg: str, **fields: Any) -> str:
    return json.dumps({"level": level, "msg": msg, **fields, "time": _T}, sort_keys=True)


def _stderr(level: str, text: str) -> str:
    head = {"info": "\x1b[36mINFO\x1b[0m", "error": "\x1b[31mERRO\x1b[0m"}[level]
    return _line("error", f"{head}[{_T}] {text}  \x1b[36mid\x1b[0m=1", logger="stderr",
                 plugin=PLUGIN)  # fmt: skip


def _panic(version: str, message: str, function: str, location: str) -> Iterator[str]:
    sub = {"plugin": PLUGIN, "subsystem_name": f"{PLUGIN}.source_{version}_kubernetes"}
    src = "/home/runner/work/botkube/botkube/internal/source/kubernetes"
    yield _line("debug", f"panic: runtime error: {message}", **sub)
    yield _line("debug", "[signal SIGSEGV: segmentation violation code=0x1 addr=0x8 pc=0x2f3a1c5]",
                **sub)  # fmt: skip
    yield _line("debug", "", **sub)
    yield _line("debug", "goroutine 52 [running]:", **sub)
    yield _line("debug", f"github.com/kubeshop/botkube/internal/source/kubernetes.{function}(0xc0)",
                **sub)  # fmt: skip
    yield _line("debug", f"\t{src}/{location} +0x105", **sub)
    yield _line("debug", "created by golang.org/x/sync/errgroup.(*Group).Go in goroutine 40", **sub)
    errgroup = "/home/runner/go/pkg/mod/golang.org/x/sync@v0.7.0/errgroup/errgroup.go:75"
    yield _line("debug", f"\t{errgroup}", **sub)


def agent_log(
    scenario: Scenario, threshold: int, restarts: int, status: str, *, panic: bool = True
) -> str:
    """The agent log a real agent would print for the scenario's expected plugin behaviour."""
    expect = scenario.expect
    assert expect is not None
    plugin = expect.plugin
    version = scenario.botkube_version
    path = f"/tmp/botkube/source_{version}_kubernetes"
    aliases = sorted(scenario.source_aliases())
    exits = list(plugin.exit_statuses)
    starts = restarts + 1 if exits else 1
    lines = [
        _line("info", 'Starting server on address ":2114"', component="Health server"),
        _line(
            "info",
            "Source plugin registered successfully.",
            component="Plugin Manager",
            plugin=PLUGIN,
            version=version,
        ),
    ]
    for start in range(starts):
        if start:
            attempt = f'Restarting source plugin "{PLUGIN}", attempt {start}/{threshold}...'
            lines.append(_line("info", attempt, component="Plugin Health Monitor"))
        lines.append(_line("debug", "plugin started", path=path, pid=31 + start, plugin=PLUGIN))
        for alias in aliases:
            lines.append(_line("info", "Start source streaming...", pluginName=PLUGIN,
                               sourceName=alias))  # fmt: skip
            if plugin.registering_informers and alias == aliases[0]:
                lines.append(_stderr("info", "Registering informers..."))
        if not exits:
            continue
        status_code = exits[start % len(exits)]
        if status_code == 2 and plugin.panic is not None and panic:
            lines.extend(_panic(version, plugin.panic.message, plugin.panic.function,
                                plugin.panic.location))  # fmt: skip
        for needle in plugin.log_contains:
            lines.append(_stderr("error", needle))
        lines.append(_line("error", "plugin process exited", error=f"exit status {status_code}",
                           path=path, pid=31 + start, plugin=PLUGIN))  # fmt: skip
    if status == "Deactivated":
        lines.append(_line("info", f'Plugin "{PLUGIN}" is not responding.'))
        lines.append(_line("warning", f'Plugin "{PLUGIN}" has been restarted too many times. '
                           "Deactivating...", component="Plugin Health Monitor"))  # fmt: skip
    return "\n".join(lines) + "\n"


def _restarts(scenario: Scenario, threshold: int) -> int:
    assert scenario.expect is not None
    bound = scenario.expect.plugin.restarts
    return next(n for n in range(threshold + 5) if bound.holds(n, threshold))


def _payload(want: DeliveryExpectation, scenario: Scenario, ctx: DeliveryContext) -> dict[str, Any]:
    ns = ctx.release.namespace
    match = dict(want.resolved(ns))
    kind = str(match.get("Kind", "HorizontalPodAutoscaler"))
    api = {"Deployment": "apps/v1", "HorizontalPodAutoscaler": "autoscaling/v2"}.get(kind, "v1")
    plural = {"Deployment": "deployments", "HorizontalPodAutoscaler": "horizontalpodautoscalers"}
    resource = f"{api}/{plural.get(kind, kind.lower() + 's')}"
    etype = str(match.get("Type", "create"))
    data: dict[str, Any] = {
        "APIVersion": api, "Kind": kind, "Name": "hpa-target", "Namespace": ns, "Type": etype,
        "Title": f"{resource} {etype}d" if etype in ("create", "update", "delete") else "",
        "Reason": "", "Level": "info" if etype != "error" else "error",
        "Cluster": ctx.release.cluster_name, "TimeStamp": _T, "Count": 0, "Action": "",
        "Resource": resource, "Messages": [], "Recommendations": [], "Warnings": [],
    }  # fmt: skip
    if etype == "error":
        reason = str(match.get("Reason", ""))
        event = next((e for e in ctx.events if e.get("reason") == reason), None)
        data.update(Reason=reason, Count=1, Messages=[event["message"]] if event else [])
    source = str(match.pop("Source", ",".join(_watching(scenario, resource))))
    for key, value in match.items():
        if key == "Messages":
            data["Messages"] = [*data["Messages"], value]
        else:
            data[key] = value
    return {"source": source, "data": data, "timeStamp": "0001-01-01T00:00:00Z"}


def _watching(scenario: Scenario, resource: str) -> list[str]:
    """The kubernetes sources whose ``resources:`` list ``resource`` (all of them if none)."""
    aliases = []
    for alias in scenario.source_aliases():
        plugin = scenario.values["sources"][alias]["botkube/kubernetes"]
        types = [r.get("type") for r in (plugin.get("config") or {}).get("resources") or []]
        if resource in types:
            aliases.append(alias)
    return aliases or list(scenario.source_aliases())


def profile_for(
    scenario: Scenario, violate: str | None = None, sigint_on: str | None = None
) -> Callable[[Release], BotkubeProfile]:
    """A profile factory (for ``KubeApiDouble.set_profile``) playing back ``scenario``."""
    if violate not in (None, *VIOLATIONS):
        raise ValueError(f"violate: one of {VIOLATIONS}")
    expect = scenario.expect
    if expect is None:
        raise ValueError(f"scenario {scenario.name} has no expectations to play back")

    def factory(release: Release) -> BotkubeProfile:
        policy = (release.values.get("plugins") or {}).get("restartPolicy") or {}
        threshold = int(policy.get("threshold", 10))
        restarts = _restarts(scenario, threshold)
        status = expect.plugin.status
        if violate == "status":
            status = "Running" if status == "Deactivated" else "Deactivated"
        plugins = {
            alias: {"enabled": True, "status": status, "restarts": f"{restarts}/{threshold}"}
            for alias in scenario.source_aliases()
        }
        healthz = {
            "botkube": {"status": "Healthy"},
            "plugins": plugins,
            "platforms": {"default-group-webhook": {"status": "Unknown", "restarts": "0/0"}},
        }
        deliveries = []
        if violate != "deliveries":
            for want in expect.delivered:
                deliveries.append(PlannedDelivery(
                    "rescale", lambda ctx, want=want: _payload(want, scenario, ctx)))  # fmt: skip
        return BotkubeProfile(
            healthz=healthz,
            log=agent_log(scenario, threshold, restarts, status, panic=violate != "panic"),
            deliveries=deliveries,
            sigint_on=sigint_on,
        )

    return factory
