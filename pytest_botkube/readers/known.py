"""Known upstream BotKube failures, each a signature over a plugin's or the agent's timeline.

A signature matches either *certainly* (the log shows the defining evidence, e.g. the panicking
function) or *probably* (the evidence that would prove it is missing from the log but everything
that is there fits, e.g. exit status 2 with no panic trace because the plugin's log level was
not ``debug``, or frames pasted without their ``panic:`` line). A diagnosis names the entry, or
says plainly that none matches.

Each entry carries the release range it affects (``introduced`` up to, not including,
``fixed_in``), checked against the upstream tags; a log whose version (plugin binary path,
registration line, download URL) is outside that range does not match, and the diagnosis says
which entry it resembles and why it cannot be that one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pytest_botkube.readers.logs import LogSummary, Panic, PluginTimeline, version_key

Certainty = Literal["certain", "probable"]
Found = tuple[Certainty, str] | None


@dataclass(frozen=True)
class KnownMatch:
    issue: KnownIssue
    certainty: Certainty
    evidence: str  # one sentence: what in the log matched

    def describe(self) -> str:
        word = "matches" if self.certainty == "certain" else "probably matches"
        return f"{word} {self.issue.ref} ({self.issue.title}): {self.evidence}"


Signature = Callable[[PluginTimeline], Found]
AgentSignature = Callable[[LogSummary], Found]


def _no_plugin_signature(timeline: PluginTimeline) -> Found:
    return None


@dataclass(frozen=True)
class KnownIssue:
    number: int
    title: str
    plugin: str | None  # None: a failure of the agent itself
    affected: str  # which releases show it, in words
    fixed_in: str | None  # first release without it; None when no release fixes it
    fix: str  # what a user can do today
    signature: Signature = _no_plugin_signature
    introduced: str | None = None  # first release that shows it, for the range check
    agent_signature: AgentSignature | None = None
    pull: bool = False  # the number is a pull request (the fix), not an issue
    related: tuple[int, ...] = ()  # other threads with the same failure
    fixed_at: str | None = None  # first tag with the fix when a release candidate had it

    @property
    def url(self) -> str:
        kind = "pull" if self.pull else "issues"
        return f"https://github.com/kubeshop/botkube/{kind}/{self.number}"

    @property
    def ref(self) -> str:
        return f"kubeshop/botkube#{self.number}"

    def in_range(self, version: str | None) -> bool | None:
        """Whether ``version`` is affected; None when the version is unknown or no release."""
        key = version_key(version) if version else None
        if key is None:
            return None
        low = version_key(self.introduced) if self.introduced else None
        fixed = self.fixed_at or self.fixed_in
        high = version_key(fixed) if fixed else None
        return (low is None or key >= low) and (high is None or key < high)

    def out_of_range(self, version: str | None) -> str | None:
        """Why a log of ``version`` cannot show this issue, or None if it can."""
        if self.in_range(version) is not False:
            return None
        key = version_key(str(version))
        fixed = self.fixed_at or self.fixed_in
        high = version_key(fixed) if fixed else None
        if key is not None and high is not None and key >= high:
            return f"{version} already has the fix (fixed in {self.fixed_in or fixed})"
        return f"{version} predates it (first in {self.introduced})"

    def match(self, timeline: PluginTimeline) -> KnownMatch | None:
        if self.plugin is None or timeline.name != self.plugin:
            return None
        found = self.signature(timeline)
        if found is None or self.out_of_range(timeline.release):
            return None
        certainty, evidence = found
        return KnownMatch(self, certainty, evidence)

    def match_agent(self, summary: LogSummary) -> KnownMatch | None:
        if self.agent_signature is None:
            return None
        found = self.agent_signature(summary)
        if found is None or self.out_of_range(summary.version):
            return None
        certainty, evidence = found
        return KnownMatch(self, certainty, evidence)


def _headless(panic: Panic) -> str:
    return "; the panic line is not in the excerpt" if panic.headless else ""


def _frame_panic(timeline: PluginTimeline, *suffixes: str) -> tuple[Panic, str] | None:
    for panic in reversed(timeline.panics):
        for frame in panic.frames:
            if frame.function.endswith(suffixes):
                return panic, f"{frame.short_function} ({frame.location})"
    return None


def _nil_event_panic(timeline: PluginTimeline) -> Found:
    hit = _frame_panic(timeline, ".mergeResourceEvents")
    if hit is not None:
        panic, where = hit
        certainty: Certainty = "probable" if panic.headless else "certain"
        return certainty, f"panic in {where}{_headless(panic)}"
    if timeline.panics:
        return None  # a panic elsewhere is some other bug
    if 2 in timeline.exit_statuses and not timeline.informers_registered:
        return (
            "probable",
            "exit status 2 (a Go panic) before 'Registering informers...', but no panic trace "
            "in the log; set LOG_LEVEL_SOURCE_BOTKUBE_KUBERNETES=debug to see it",
        )
    return None


def _event_matching_panic(timeline: PluginTimeline) -> Found:
    hit = _frame_panic(
        timeline,
        ".registration.matchEvent",
        ".registration.qualifyEventForUpdate",
        ".route.hasActionableUpdateSetting",
    )
    if hit is None:
        return None
    panic, where = hit
    certainty: Certainty = "probable" if panic.headless else "certain"
    return certainty, f"panic in {where}{_headless(panic)}"


def _unknown_resource_type(timeline: PluginTimeline) -> Found:
    if timeline.panics or 1 not in timeline.exit_statuses:
        return None
    if timeline.unparsable_resources:
        types = ", ".join(timeline.unparsable_resources)
        return "certain", f"exit status 1 after 'Unable to parse resource: {types}'"
    return None


def _missing_rbac_context(timeline: PluginTimeline) -> Found:
    for rejection in timeline.rejections:
        if "kubeconfig data is missing" in rejection.reason:
            where = f"source {rejection.alias}" if rejection.alias else "a source"
            return "certain", f"{where} rejected: the agent passed no kubeconfig"
    for error in timeline.errors:
        if "no configuration has been provided" in error:  # v1.0.x, before the check
            return "probable", f"plugin error '{error}'"
    return None


_DISCOVERY = re.compile(
    r"couldn't get (?:current server API group list|resource list for \S+)"
    r"|unable to retrieve the complete list of server APIs"
)


def _discovery_failure(timeline: PluginTimeline) -> Found:
    for error in timeline.errors:
        if _DISCOVERY.search(error):
            return "certain", f"plugin error '{error}'"
    return None


def _discovery_fatal(summary: LogSummary) -> Found:
    for fatal in summary.agent_fatals:
        if _DISCOVERY.search(fatal):
            return "certain", f"agent fatal error '{fatal}'"
    return None


def _agent_panic_in(summary: LogSummary, *suffixes: str) -> Found:
    for panic in reversed(summary.agent_panics):
        for frame in panic.frames:
            if frame.function.endswith(suffixes):
                closed = "send on closed channel" in panic.message
                certainty: Certainty = "certain" if closed else "probable"
                what = panic.message or "a panic whose panic line is not in the excerpt"
                return certainty, f"{what} in {frame.short_function} ({frame.location})"
    return None


def _socket_slack_panic(summary: LogSummary) -> Found:
    return _agent_panic_in(summary, "socketmode.(*Client).receiveMessagesInto")


def _cloud_slack_panic(summary: LogSummary) -> Found:
    return _agent_panic_in(summary, ".(*CloudSlack).start")


_PLUGIN_START = (
    "while starting plugins manager",
    "while fetching index for",
    "while fetching plugin",
    "while downloading",
    "cannot find download url",
    "plugin called",  # not found source plugin called "x" in "botkube" repository
)


def _plugin_start_fatal(summary: LogSummary) -> Found:
    for fatal in summary.agent_fatals:
        if "while starting plugins manager" in fatal and any(s in fatal for s in _PLUGIN_START):
            return "certain", f"agent fatal error '{fatal}'"
    return None


KNOWN_ISSUES: tuple[KnownIssue, ...] = (
    KnownIssue(
        number=1474,
        fixed_at="v1.14.0-rc.1",
        title="kubernetes source panics in mergeResourceEvents when a source has resources "
        "but no top-level event",
        plugin="botkube/kubernetes",
        affected="v1.0.0 to v1.13.0 (the plugin dereferences the unset top-level event)",
        fixed_in="v1.14.0",
        introduced="v1.0.0",
        fix="upgrade to v1.14.0, or give every botkube/kubernetes source with resources a "
        "top-level config.event.types list",
        signature=_nil_event_panic,
    ),
    KnownIssue(
        number=1157,
        fixed_at="v1.3.0-rc.1",
        title="kubernetes source panics on a nil pointer while matching an event against a "
        "route without event or namespace constraints (regex reason/message checks)",
        plugin="botkube/kubernetes",
        affected="v1.0.0 to v1.2.0",
        fixed_in="v1.3.0",
        introduced="v1.0.0",
        fix="upgrade to v1.3.0 or later; on older releases give each resource an explicit "
        "event and namespaces block",
        signature=_event_matching_panic,
        pull=True,
    ),
    KnownIssue(
        number=1080,
        title="kubernetes source exits when a resource type is not served by the API server "
        "(unknown CRD, removed API version, malformed type); see also #1047",
        plugin="botkube/kubernetes",
        affected="every release with the external kubernetes plugin, v1.14.0 included",
        fixed_in=None,
        introduced="v1.0.0",
        fix="correct or remove the resources[].type the plugin cannot parse: install the CRD "
        "first, use an API version the cluster serves (e.g. autoscaling/v2), or write "
        "group/version/resource",
        signature=_unknown_resource_type,
        related=(1047,),
    ),
    KnownIssue(
        number=1048,
        title="a source without context.rbac gets no kubeconfig and is rejected (the plugin "
        "runs, the source never streams)",
        plugin="botkube/kubernetes",
        affected="every v1 release; since v1.1.0 the rejection is an error line naming RBAC, "
        "before that only a debug line about a missing kube config",
        fixed_in=None,
        introduced="v1.0.0",
        fix="give the source a context.rbac block (the chart's default: group type Static, "
        "value botkube-plugins-default) and the matching ClusterRole binding",
        signature=_missing_rbac_context,
    ),
    KnownIssue(
        number=1189,
        title="the kubernetes plugin's client-go cannot list an API group (an aggregated API "
        "such as metrics.k8s.io or external.metrics.k8s.io that does not answer)",
        plugin="botkube/kubernetes",
        affected="every v1 release; v0.x agents stopped at start-up on it (#726, #829)",
        fixed_in=None,
        introduced="v1.0.0",
        fix="find the unavailable API service (kubectl get apiservices | grep False) and "
        "repair or remove it (metrics-server, a custom metrics adapter, KEDA); types in other "
        "groups keep working",
        signature=_discovery_failure,
        agent_signature=_discovery_fatal,
        related=(1173, 829, 726),
    ),
    KnownIssue(
        number=1475,
        fixed_at="v1.14.0-rc.1",
        title="the agent panics with 'send on closed channel' in the Slack socket-mode "
        "client (slack-go receiveMessagesInto)",
        plugin=None,
        affected="every release with socket-mode Slack up to v1.13.0 (slack-go v0.12.2 and "
        "older; the library fixed it in v0.12.3)",
        fixed_in="v1.14.0",
        introduced="v0.18.0",
        fix="upgrade to v1.14.0 (slack-go v0.15.0); the pod restarts by itself after each "
        "panic, so messages are only lost around the restart",
        agent_signature=_socket_slack_panic,
    ),
    KnownIssue(
        number=1241,
        fixed_at="v1.4.0-rc.2",
        title="the agent panics with 'send on closed channel' in Cloud Slack after the "
        "connection to the Cloud gRPC API is retried",
        plugin=None,
        affected="v1.3.0 (Cloud Slack's first release) to v1.4.0-rc.1",
        fixed_in="v1.4.0",
        introduced="v1.3.0",
        fix="upgrade to v1.4.0 or later (PR #1246)",
        agent_signature=_cloud_slack_panic,
    ),
    KnownIssue(
        number=1038,
        title="the agent stops at start-up when the plugin index or a plugin binary cannot be "
        "downloaded, or the index has no such plugin (air-gapped cluster, index host gone, "
        "typo in a plugin name)",
        plugin=None,
        affected="every v1 release (plugins are downloaded by the agent at start)",
        fixed_in=None,
        introduced="v1.0.0",
        fix="serve plugins-index.yaml and the plugin archives yourself and point "
        "plugins.repositories.botkube.url (or BOTKUBE_PLUGINS_REPOSITORIES_BOTKUBE_URL) at it; "
        "check the plugin name and version against the index",
        agent_signature=_plugin_start_fatal,
        related=(939,),
    ),
)


def _plugin_candidates(timeline: PluginTimeline) -> list[tuple[KnownIssue, Certainty, str]]:
    found: list[tuple[KnownIssue, Certainty, str]] = []
    for issue in KNOWN_ISSUES:
        if issue.plugin is None or issue.plugin != timeline.name:
            continue
        hit = issue.signature(timeline)
        if hit is not None:
            found.append((issue, hit[0], hit[1]))
    return found


def match_known_all(timeline: PluginTimeline) -> list[KnownMatch]:
    """Every catalogue entry the timeline matches, certain matches first."""
    matches = [
        KnownMatch(issue, certainty, evidence)
        for issue, certainty, evidence in _plugin_candidates(timeline)
        if not issue.out_of_range(timeline.release)
    ]
    matches.sort(key=lambda m: m.certainty != "certain")
    return matches


def match_known_detail(timeline: PluginTimeline) -> KnownMatch | None:
    """The first catalogue entry the timeline matches, certain matches first."""
    matches = match_known_all(timeline)
    return matches[0] if matches else None


def match_known(timeline: PluginTimeline) -> KnownIssue | None:
    match = match_known_detail(timeline)
    return match.issue if match is not None else None


def known_notes(timeline: PluginTimeline) -> list[str]:
    """Entries the timeline resembles but whose affected range excludes its version."""
    notes = []
    for issue, _, evidence in _plugin_candidates(timeline):
        why = issue.out_of_range(timeline.release)
        if why is not None:
            notes.append(f"resembles {issue.ref} ({evidence}), but {why}")
    return notes


def match_agent_known(summary: LogSummary) -> list[KnownMatch]:
    """Catalogue entries the agent's own failures match (panics, fatal start-up errors)."""
    matches = [m for issue in KNOWN_ISSUES if (m := issue.match_agent(summary)) is not None]
    matches.sort(key=lambda m: m.certainty != "certain")
    return matches


def agent_known_notes(summary: LogSummary) -> list[str]:
    notes = []
    for issue in KNOWN_ISSUES:
        if issue.agent_signature is None:
            continue
        hit = issue.agent_signature(summary)
        why = issue.out_of_range(summary.version) if hit else None
        if hit is not None and why is not None:
            notes.append(f"resembles {issue.ref} ({hit[1]}), but {why}")
    return notes
