"""Known upstream BotKube failures, each a signature over a plugin's log timeline.

A signature matches either *certainly* (the log shows the defining evidence, e.g. the panicking
function) or *probably* (the evidence that would prove it is missing from the log but everything
that is there fits, e.g. exit status 2 with no panic trace because the plugin's log level was
not ``debug``). A diagnosis names the entry, or says plainly that none matches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pytest_botkube.readers.logs import PluginTimeline

Certainty = Literal["certain", "probable"]


@dataclass(frozen=True)
class KnownMatch:
    issue: KnownIssue
    certainty: Certainty
    evidence: str  # one sentence: what in the log matched

    def describe(self) -> str:
        word = "matches" if self.certainty == "certain" else "probably matches"
        return f"{word} {self.issue.ref} ({self.issue.title}): {self.evidence}"


Signature = Callable[[PluginTimeline], tuple[Certainty, str] | None]


@dataclass(frozen=True)
class KnownIssue:
    number: int
    title: str
    plugin: str
    affected: str  # which releases show it
    fixed_in: str | None  # first release without it; None when no release fixes it
    fix: str  # what a user can do today
    signature: Signature

    @property
    def url(self) -> str:
        return f"https://github.com/kubeshop/botkube/issues/{self.number}"

    @property
    def ref(self) -> str:
        return f"kubeshop/botkube#{self.number}"

    def match(self, timeline: PluginTimeline) -> KnownMatch | None:
        if timeline.name != self.plugin:
            return None
        found = self.signature(timeline)
        if found is None:
            return None
        certainty, evidence = found
        return KnownMatch(self, certainty, evidence)


def _nil_event_panic(timeline: PluginTimeline) -> tuple[Certainty, str] | None:
    for panic in reversed(timeline.panics):
        for frame in panic.frames:
            if frame.function.endswith(".mergeResourceEvents"):
                return "certain", f"panic in mergeResourceEvents ({frame.location})"
    if timeline.panics:
        return None  # a panic elsewhere is some other bug
    if 2 in timeline.exit_statuses and not timeline.informers_registered:
        return (
            "probable",
            "exit status 2 (a Go panic) before 'Registering informers...', but no panic trace "
            "in the log; set LOG_LEVEL_SOURCE_BOTKUBE_KUBERNETES=debug to see it",
        )
    return None


def _unknown_resource_type(timeline: PluginTimeline) -> tuple[Certainty, str] | None:
    if timeline.panics or 1 not in timeline.exit_statuses:
        return None
    if timeline.unparsable_resources:
        types = ", ".join(timeline.unparsable_resources)
        return "certain", f"exit status 1 after 'Unable to parse resource: {types}'"
    return None


KNOWN_ISSUES: tuple[KnownIssue, ...] = (
    KnownIssue(
        number=1474,
        title="kubernetes source panics in mergeResourceEvents when a source has resources "
        "but no top-level event",
        plugin="botkube/kubernetes",
        affected="v1.13.0 and earlier (the plugin dereferences the unset top-level event)",
        fixed_in="v1.14.0",
        fix="upgrade to v1.14.0, or give every botkube/kubernetes source with resources a "
        "top-level config.event.types list",
        signature=_nil_event_panic,
    ),
    KnownIssue(
        number=1080,
        title="kubernetes source exits when a resource type is not served by the API server "
        "(unknown CRD, removed API version, malformed type); see also #1047",
        plugin="botkube/kubernetes",
        affected="every release with the external kubernetes plugin, v1.14.0 included",
        fixed_in=None,
        fix="correct or remove the resources[].type the plugin cannot parse: install the CRD "
        "first, use an API version the cluster serves (e.g. autoscaling/v2), or write "
        "group/version/resource",
        signature=_unknown_resource_type,
    ),
)


def match_known_detail(timeline: PluginTimeline) -> KnownMatch | None:
    """The first catalogue entry the timeline matches, certain matches first."""
    matches = [m for issue in KNOWN_ISSUES if (m := issue.match(timeline)) is not None]
    matches.sort(key=lambda m: m.certainty != "certain")
    return matches[0] if matches else None


def match_known(timeline: PluginTimeline) -> KnownIssue | None:
    match = match_known_detail(timeline)
    return match.issue if match is not None else None
