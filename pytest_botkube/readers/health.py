"""The agent's ``/healthz`` JSON, and one health verdict from it and the agent log together.

Upstream (``internal/health`` and ``pkg/plugin/health_stats.go``, same in v1.13.0 and v1.14.0):
``{"botkube": {"status": "Healthy"|"Unhealthy"}, "plugins": {<alias>: {"enabled", "status",
"restarts": "n/threshold"}}, "platforms": {<group>-<integration>: {"status", "restarts",
"reason", "errorMsg"}}}``; every field but ``botkube`` is ``omitempty`` (so ``enabled: false`` is
simply absent). Plugins are keyed by *source or executor alias*, while the restart statistics
behind them are kept per *plugin* (``botkube/kubernetes``): every alias backed by one plugin
process shows the same numbers. A plugin is ``Deactivated`` once restarts exceed the threshold;
HTTP stays 200 (503 only before the agent is ready), so probes never restart the pod.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pytest_botkube.errors import BadInput
from pytest_botkube.readers.known import (
    KnownIssue,
    KnownMatch,
    agent_known_notes,
    known_notes,
    match_agent_known,
    match_known_detail,
)
from pytest_botkube.readers.logs import LogSummary, Panic, PluginTimeline

VerdictStatus = Literal["running", "crashing", "deactivated", "exited", "unknown"]
_RESTARTS = re.compile(r"^\s*(\d+)\s*/\s*(-?\d+)\s*$")
_RANK: dict[str, int] = {
    "unknown": -1,
    "running": 0,
    "crashing": 1,
    "exited": 2,
    "deactivated": 2,
}
#: Statuses that mean the plugin failed (diagnose exits 1 on any of them).
FAILED_STATUSES = frozenset({"crashing", "deactivated", "exited"})


class HealthzError(BadInput):
    """The body is not BotKube's /healthz JSON; the message says where and why, in one line."""


@dataclass(frozen=True)
class PluginHealth:
    alias: str
    enabled: bool
    status: str  # "Running" or "Deactivated" upstream; kept verbatim
    restarts: int
    threshold: int

    @property
    def deactivated(self) -> bool:
        return self.status.lower() == "deactivated"


@dataclass(frozen=True)
class PlatformHealth:
    name: str
    status: str  # "Unknown" until the first send, then "Healthy" or "Unhealthy"
    restarts: str = ""
    reason: str = ""
    error_msg: str = ""


@dataclass(frozen=True)
class Healthz:
    botkube_status: str
    plugins: Mapping[str, PluginHealth] = field(default_factory=dict)
    platforms: Mapping[str, PlatformHealth] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.botkube_status == "Healthy"


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise HealthzError(f"{where}: expected a JSON object, got {type(value).__name__}")
    return value


def _absent_empty(obj: dict[str, Any], key: str) -> Any:
    value = obj.get(key)
    return {} if value is None else value


def _string(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key, "")
    if not isinstance(value, str):
        raise HealthzError(f"{where}.{key}: expected a string, got {json.dumps(value)}")
    return value


def parse_healthz(body: bytes | str, *, where: str = "healthz") -> Healthz:
    """Parse a /healthz body; unknown fields are ignored, a wrong shape raises HealthzError."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        shown = text.strip().splitlines()[0][:60] if text.strip() else "<empty body>"
        raise HealthzError(f"{where}: not JSON ({exc}): {shown!r}") from None
    top = _object(data, where)
    if "botkube" not in top:
        raise HealthzError(f"{where}: no 'botkube' key, so not BotKube's /healthz JSON")
    botkube = _object(top["botkube"], f"{where}.botkube")
    plugins: dict[str, PluginHealth] = {}
    for alias, raw in _object(_absent_empty(top, "plugins"), f"{where}.plugins").items():
        at = f"{where}.plugins.{alias}"
        entry = _object(raw, at)
        enabled = entry.get("enabled", False)
        if not isinstance(enabled, bool):
            raise HealthzError(f"{at}.enabled: expected true or false, got {json.dumps(enabled)}")
        restarts = _string(entry, "restarts", at) or "0/0"
        m = _RESTARTS.match(restarts)
        if m is None:
            raise HealthzError(f'{at}.restarts: expected "n/threshold", got {restarts!r}')
        plugins[alias] = PluginHealth(
            alias=alias,
            enabled=enabled,
            status=_string(entry, "status", at),
            restarts=int(m.group(1)),
            threshold=int(m.group(2)),
        )
    platforms: dict[str, PlatformHealth] = {}
    for name, raw in _object(_absent_empty(top, "platforms"), f"{where}.platforms").items():
        at = f"{where}.platforms.{name}"
        entry = _object(raw, at)
        platforms[name] = PlatformHealth(
            name=name,
            status=_string(entry, "status", at),
            restarts=_string(entry, "restarts", at),
            reason=_string(entry, "reason", at),
            error_msg=_string(entry, "errorMsg", at),
        )
    return Healthz(
        botkube_status=_string(botkube, "status", f"{where}.botkube"),
        plugins=plugins,
        platforms=platforms,
    )


@dataclass(frozen=True)
class HealthVerdict:
    """One plugin's health, from /healthz and/or the log, as a sentence and as fields."""

    plugin: str
    status: VerdictStatus
    sentence: str
    restarts: int | None = None
    threshold: int | None = None
    exit_statuses: tuple[int, ...] = ()
    signal: str | None = None
    panic_message: str | None = None
    panic_function: str | None = None  # short Go name, e.g. "mergeResourceEvents"
    panic_location: str | None = None  # e.g. "router.go:159"
    known_issue: KnownIssue | None = None
    known_match: KnownMatch | None = None
    informers_registered: bool | None = None
    aliases: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # where healthz and the log disagree, or what was missing

    @property
    def known_issue_url(self) -> str | None:
        return self.known_issue.url if self.known_issue is not None else None

    def __str__(self) -> str:
        return self.sentence


def _healthz_entries(
    healthz: Healthz,
    timeline: PluginTimeline | None,
    aliases: Iterable[str] | None,
    notes: list[str],
) -> list[PluginHealth]:
    if aliases is not None:
        wanted = list(aliases)
        missing = [a for a in wanted if a not in healthz.plugins]
        if missing:
            notes.append(f"healthz has no entry for {', '.join(missing)}")
        return [healthz.plugins[a] for a in wanted if a in healthz.plugins]
    if timeline is not None and timeline.aliases:
        found = [healthz.plugins[a] for a in timeline.aliases if a in healthz.plugins]
        if found:
            return found
    if healthz.plugins:
        notes.append(
            "healthz does not say which plugin backs an alias; all its entries were considered"
        )
    return list(healthz.plugins.values())


def _ratio(restarts: int | None, threshold: int | None) -> str:
    if threshold is None:
        return f"{restarts} restart{'s' if restarts != 1 else ''}"
    return f"{restarts}/{threshold} restarts"


def health_verdict(
    healthz: Healthz | None,
    log: LogSummary | None,
    plugin: str = "botkube/kubernetes",
    *,
    aliases: Iterable[str] | None = None,
) -> HealthVerdict:
    """Combine what /healthz and the log say about ``plugin`` into one verdict.

    ``aliases`` names the source aliases the plugin backs (from the config model); without it
    the aliases the log saw the plugin stream for are used, and failing that every entry.
    """
    notes: list[str] = []
    timeline = log.plugins.get(plugin) if log is not None else None
    if log is not None and timeline is None:
        notes.append(f"the log never mentions {plugin}")
    entries = _healthz_entries(healthz, timeline, aliases, notes) if healthz is not None else []

    hz_status: VerdictStatus | None = None
    hz_restarts = hz_threshold = None
    if entries:
        worst = max(entries, key=lambda e: (e.deactivated, e.restarts))
        hz_restarts, hz_threshold = worst.restarts, worst.threshold
        hz_status = (
            "deactivated" if worst.deactivated else "crashing" if worst.restarts else "running"
        )
    log_status: VerdictStatus | None = timeline.status if timeline is not None else None

    status: VerdictStatus = max(
        (s for s in (hz_status, log_status) if s is not None),
        key=lambda s: _RANK[s],
        default="unknown",
    )
    restarts = hz_restarts if hz_restarts is not None else None
    threshold = hz_threshold
    if timeline is not None:
        if restarts is None:
            restarts = timeline.restarts
        elif timeline.restarts and timeline.restarts != restarts:
            notes.append(
                f"healthz counts {restarts} restarts, the log shows {timeline.restarts} "
                "(a log from another container, or cut short)"
            )
        if threshold is None:
            threshold = timeline.threshold
    if hz_status is not None and log_status is not None and hz_status != log_status:
        notes.append(f"healthz says {hz_status}, the log says {log_status}")

    panic = timeline.panic if timeline is not None else None
    top = panic.top_frame if panic is not None else None
    match = match_known_detail(timeline) if timeline is not None else None
    exit_statuses = tuple(timeline.exit_statuses) if timeline is not None else ()

    if status == "deactivated":
        head = f"deactivated after {_ratio(restarts, threshold)}"
    elif status == "exited":
        version = timeline.release if timeline is not None else None
        head = (
            f"exited and stays down (no plugin health monitor before v1.4.0; this log shows "
            f"{version})"
        )
    elif timeline is not None and timeline.agent_exits:
        last = timeline.agent_exits[-1]
        head = f"agent exited after {last.restarts} restarts (restartPolicy {last.policy})"
    elif status == "crashing":
        head = f"crashing, {_ratio(restarts, threshold)} so far"
    elif status == "running":
        head = "running" if not restarts else f"running, {_ratio(restarts, threshold)}"
        if timeline is not None and timeline.informers_registered:
            head += ", informers registered"
    elif timeline is not None and timeline.unused and not timeline.enabled:
        head = f"not started: {' and '.join(timeline.unused)} (every group that defines it)"
    elif timeline is not None:
        head = "unknown: named in the log, but no start and no failure seen in this excerpt"
    else:
        head = f"no observation of {plugin}"

    cause = ""
    headless = " (frames only; the panic line is not in the excerpt)"
    if top is not None:
        cause = f", panic in {top.short_function} ({top.location})"
        if panic is not None and panic.headless:
            cause += headless
    elif panic is not None:
        cause = f", panic: {panic.message}" if panic.message else f", a panic{headless}"
    elif exit_statuses:
        cause = ", exit status " + "/".join(str(s) for s in sorted(set(exit_statuses)))
        if timeline is not None and timeline.unparsable_resources:
            cause += f" after 'Unable to parse resource: {timeline.unparsable_resources[0]}'"
    if timeline is not None and timeline.rejections and status not in FAILED_STATUSES:
        rejected = sorted({r.alias or "a source" for r in timeline.rejections})
        cause += f"; rejected source {', '.join(rejected)}"
    known = ""
    if match is not None:
        word = "matches" if match.certainty == "certain" else "probably"
        known = f"; {word} {match.issue.ref}"

    return HealthVerdict(
        plugin=plugin,
        status=status,
        sentence=head + cause + known,
        restarts=restarts,
        threshold=threshold,
        exit_statuses=exit_statuses,
        signal=panic.signal if panic is not None else None,
        panic_message=panic.message if panic is not None else None,
        panic_function=top.short_function if top is not None else None,
        panic_location=top.location if top is not None else None,
        known_issue=match.issue if match is not None else None,
        known_match=match,
        informers_registered=timeline.informers_registered if timeline is not None else None,
        aliases=tuple(e.alias for e in entries) or (tuple(timeline.aliases) if timeline else ()),
        notes=tuple(notes),
    )


def _match_json(match: KnownMatch) -> dict[str, Any]:
    issue = match.issue
    return {
        "ref": issue.ref,
        "url": issue.url,
        "title": issue.title,
        "certainty": match.certainty,
        "evidence": match.evidence,
        "affected": issue.affected,
        "fixed_in": issue.fixed_in,
        "fix": issue.fix,
    }


def panic_json(panic: Panic | None, count: int) -> dict[str, Any] | None:
    """One panic as JSON: the message, the frames, where it failed (``partial`` when the panic
    line was not in the excerpt)."""
    if panic is None:
        return None
    top, project = panic.top_frame, panic.project_frame
    return {
        "message": panic.message,
        "kind": panic.kind,
        "signal": panic.signal,
        "frames": [f.function for f in panic.frames],
        "locations": [f"{f.file}:{f.lineno}" for f in panic.frames],
        "function": top.short_function if top else None,
        "top_function": top.function if top else None,
        "location": top.location if top else None,
        "project_function": project.function if project else None,
        "project_location": project.location if project else None,
        "count": count,
        "line": panic.line,
        "partial": panic.headless,
    }


def plugin_report(summary: LogSummary, timeline: PluginTimeline) -> dict[str, Any]:
    """The JSON shape of one plugin's diagnosis from its log (stable keys; ``diagnose --format
    json`` and the doctor's report both print it, and scripts depend on them)."""
    match = match_known_detail(timeline)
    verdict = health_verdict(None, summary, timeline.name)
    return {
        "status": timeline.status,
        "summary": verdict.sentence,
        "kind": timeline.kind,
        "version": timeline.version,
        "restarts": timeline.restarts,
        "threshold": timeline.threshold,
        "exit_statuses": timeline.exit_statuses,
        "signals": timeline.signals,
        "exits": timeline.exit_count,
        "exits_during_shutdown": sum(1 for e in timeline.exits if e.during_shutdown),
        "not_responding": timeline.not_responding,
        "deactivated_at": timeline.deactivated_at,
        "agent_exits": [
            {"time": a.time, "restarts": a.restarts, "policy": a.policy, "line": a.line}
            for a in timeline.agent_exits
        ],
        "panic": panic_json(timeline.panic, timeline.panic_count),
        "informers_registered": timeline.informers_registered,
        "unparsable_resources": timeline.unparsable_resources,
        "plugin_errors": timeline.errors,
        "aliases": timeline.aliases,
        "source_rejections": [
            {"source": r.alias, "reason": r.reason, "time": r.time, "line": r.line}
            for r in timeline.rejections
        ],
        "health_monitor": timeline.health_monitor,
        "not_started": timeline.unused if not timeline.enabled else [],
        "known_issue": match.issue.url if match else None,
        "known_issue_detail": None if match is None else _match_json(match),
        "notes": known_notes(timeline),
    }


def agent_report(summary: LogSummary) -> dict[str, Any]:
    """The agent's own timeline as JSON: start, platforms, fatal errors, panics, shutdown."""
    matches = match_agent_known(summary)
    # With restartPolicy RestartAgent the agent's fatal exit is a plugin's crash loop.
    exits = [(a.line, name) for name, t in summary.plugins.items() for a in t.agent_exits]
    return {
        "version": summary.version,
        "version_from": summary.version_source,
        "went_down": summary.agent_down,
        "timeline": [
            {"event": e.kind, "time": e.time, "line": e.line, "detail": e.detail}
            for e in summary.agent_events
        ],
        "fatal_errors": summary.agent_fatals,
        "panic": panic_json(summary.agent_panic, summary.agent_panic_count),
        "known_issues": [_match_json(m) for m in matches],
        "notes": agent_known_notes(summary),
        "exited_for_plugin": max(exits)[1] if exits else None,
    }
