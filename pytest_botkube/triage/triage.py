"""From a bug report to one diagnosis: values, versions, the model's prediction, what the log
shows, whether the two agree, the known issue, the workaround and what stays undelivered.

Consumes the model (:func:`pytest_botkube.model.semantics.analyze`, ``forwarding``), the log
reader (``read_log``, the known-issue catalogue) and the workaround transform through their
public functions. Pure: text in, a :class:`Triage` out; the command prints and writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pytest_botkube.errors import BadInput
from pytest_botkube.helm_values import deep_merge
from pytest_botkube.model.apis import check_type
from pytest_botkube.model.config import PLUGIN_NAME
from pytest_botkube.model.events import Happening
from pytest_botkube.model.semantics import (
    NORMAL_REASONS,
    Analysis,
    Finding,
    ProcessVerdict,
    analyze,
    forwarding,
)
from pytest_botkube.model.versions import (
    KNOWN_BOTKUBE_VERSIONS,
    parse_kubernetes_version,
)
from pytest_botkube.readers.known import (
    KNOWN_ISSUES,
    KnownIssue,
    KnownMatch,
    match_agent_known,
    match_known_detail,
)
from pytest_botkube.readers.logs import LogSummary, PluginTimeline, read_log
from pytest_botkube.reproduce.plan import WORKAROUND_TYPES, workaround_values
from pytest_botkube.triage.classify import Classified, classify
from pytest_botkube.triage.markdown import Document, read_markdown
from pytest_botkube.triage.versions import (
    Evidence,
    VersionChoice,
    botkube_evidence,
    choose_botkube,
    choose_kubernetes,
    kubernetes_evidence,
)
from pytest_botkube.yamlio import KeyPath, YamlDocument, format_key_path

Verdict = ProcessVerdict  # lint's verdicts, not-started and refused included
Seen = Literal["crash", "exit", "failing", "healthy"]
Agreement = Literal["confirms", "contradicts", "cannot tell"]

_CORRECTION = re.compile(
    r"\b(sorry|correction|corrected|actually|i meant|typo|wrong (?:one|config|file|block|values)|"
    r"updated? (?:config|values|version)|edit(?:ed)?\b|here is the (?:right|correct|actual|full)|"
    r"the (?:right|correct|actual|real) (?:one|config|values)|instead)\b",
    re.IGNORECASE,
)
#: Event reasons a reporter may ask about, and the resource they are recorded on.
_REASON_RESOURCE = {
    "SuccessfulRescale": "horizontalpodautoscalers",
    "FailedGetResourceMetric": "horizontalpodautoscalers",
    "FailedComputeMetricsReplicas": "horizontalpodautoscalers",
    "ScalingReplicaSet": "deployments",
    "SuccessfulCreate": "replicasets",
    "SuccessfulDelete": "replicasets",
    "BackOff": "pods",
    "FailedScheduling": "pods",
    "Unhealthy": "pods",
    "Killing": "pods",
    "Pulled": "pods",
    "Started": "pods",
    "Scheduled": "pods",
    "OOMKilling": "nodes",
}
#: The findings that make the plugin process go down, the verdict each gives, and the catalogue
#: entry it is (a finding's upstream link may name a source line rather than the issue).
_CAUSE_CODES = {
    "BK001": "crash",
    "BK031": "crash",
    "BK002": "exit",
    "BK003": "exit",
    "BK032": "exit",
}
_CAUSE_ISSUES = {"BK001": 1474, "BK031": 1157, "BK002": 1080, "BK003": 1080, "BK032": 1080}
_EXIT_CODES = ("BK002", "BK003", "BK032")


@dataclass(frozen=True)
class KnownRef:
    issue: KnownIssue
    matched_by: tuple[str, ...]  # "model" and/or "log"
    evidence: str

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.issue.ref,
            "url": self.issue.url,
            "title": self.issue.title,
            "affected": self.issue.affected,
            "fixed_in": self.issue.fixed_in,
            "fix": self.issue.fix,
            "matched_by": list(self.matched_by),
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class ValuesChange:
    path: str
    value: Any  # the new value
    was: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "value": self.value, "was": self.was}


@dataclass
class Workaround:
    description: str
    changes: list[ValuesChange]
    values: dict[str, Any] | None  # the reported values with the changes applied
    verdict_after: Verdict | None  # on the version used

    def to_json(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "changes": [c.to_json() for c in self.changes],
            "verdict_after": self.verdict_after,
        }


@dataclass(frozen=True)
class Wanted:
    """Something the reporter's config asks for, and whether BotKube will deliver it."""

    what: str
    delivered: bool
    why: str

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, "delivered": self.delivered, "why": self.why}


@dataclass
class Triage:
    name: str
    document: Document
    blocks: list[Classified]
    botkube: VersionChoice
    kubernetes: VersionChoice
    values: dict[str, Any] | None = None
    values_blocks: list[int] = field(default_factory=list)
    values_notes: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)  # repairs to what was taken, labelled
    analysis: Analysis | None = None
    by_version: dict[str, Verdict] = field(default_factory=dict)
    log: LogSummary | None = None
    log_blocks: list[int] = field(default_factory=list)
    seen: Seen | None = None
    seen_why: str = ""
    other_plugins: dict[str, str] = field(default_factory=dict)  # name -> status
    agreement: Agreement = "cannot tell"
    agreement_why: str = ""
    known: KnownRef | None = None
    workaround: Workaround | None = None
    upgrade: str | None = None  # one sentence: the fixed version and what it does
    wanted: list[Wanted] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def predicted(self) -> Verdict | None:
        return None if self.analysis is None else self.analysis.verdict

    @property
    def usable(self) -> bool:
        return self.values is not None or self.log is not None

    @property
    def verdict(self) -> str:
        """crash/exit predicted or seen, else healthy, else unknown (nothing to tell from)."""
        for word in ("crash", "exit"):
            if self.predicted == word or self.seen == word:
                return word
        if self.predicted == "refused":
            return "refused"
        broken = {"crashing", "deactivated", "exited"}
        agent_down = self.log is not None and self.log.agent_down
        if self.seen == "failing" or agent_down or broken & set(self.other_plugins.values()):
            return "failing"
        if self.predicted in ("healthy", "not-started") or self.seen == "healthy":
            return str(self.predicted or "healthy")
        return "unknown"

    @property
    def exit_code(self) -> int:
        if not self.usable:
            return 2
        return 1 if self.verdict in ("crash", "exit", "failing", "refused") else 0

    def nothing_usable(self) -> str:
        """The one line for a report with no values and no log."""
        kinds = ", ".join(f"block {c.block.index}: {c.detail}" for c in self.blocks[:6])
        found = f"{len(self.blocks)} block(s) ({kinds})" if self.blocks else "no block"
        return (
            f"{self.name}: nothing to triage: looked for Helm values (a YAML block with sources, "
            "communications, ...; a helm/botkube install command with --set) and a BotKube "
            f"agent log (JSON or text lines), found {found}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "report": self.name,
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "blocks": [
                {
                    "index": c.block.index,
                    "lines": [c.block.start, c.block.end],
                    "container": c.block.container,
                    "language": c.block.info,
                    "kind": c.kind,
                    "detail": c.detail,
                    "used_for": list(c.used_for),
                    "repairs": c.all_repairs,
                }
                for c in self.blocks
            ],
            "botkube_version": self.botkube.to_json(),
            "kubernetes_version": self.kubernetes.to_json(),
            "values": None
            if self.values is None
            else {
                "blocks": self.values_blocks,
                "how": self.values_notes,
                "repairs": self.repairs,
                "values": self.values,
            },
            "prediction": None if self.analysis is None else self.analysis.to_json(),
            "by_version": dict(self.by_version),
            "log": None
            if self.log is None
            else {
                "blocks": self.log_blocks,
                "seen": self.seen,
                "why": self.seen_why,
                "plugins": {name: status for name, status in self.plugin_statuses().items()},
            },
            "agreement": {"result": self.agreement, "why": self.agreement_why},
            "known_issue": None if self.known is None else self.known.to_json(),
            "workaround": None if self.workaround is None else self.workaround.to_json(),
            "upgrade": self.upgrade,
            "wanted": [w.to_json() for w in self.wanted],
            "still_not_delivered": [w.to_json() for w in self.wanted if not w.delivered],
            "notes": list(self.notes),
        }

    def plugin_statuses(self) -> dict[str, str]:
        if self.log is None:
            return {}
        return {name: t.status for name, t in sorted(self.log.plugins.items())}


# --------------------------------------------------------------------------- values


def _source_keys(values: Mapping[str, Any]) -> set[str]:
    sources = values.get("sources")
    return {str(k) for k in sources} if isinstance(sources, Mapping) else set()


def select_values(
    blocks: Sequence[Classified],
) -> tuple[dict[str, Any] | None, list[int], list[str]]:
    """Combine the report's values blocks and --set command lines into one overlay.

    A later values block replaces the earlier ones when the prose before it says it corrects
    them, or when it defines a source an earlier block defined (a newer version of the same
    config); otherwise the blocks merge in report order as ``helm -f a -f b`` merges them.
    ``--set`` values go on top, as Helm applies them after every ``-f`` file.
    """
    files = [c for c in blocks if c.kind == "values" and c.values is not None]
    sets = [c for c in blocks if c.kind == "set" and c.values is not None]
    if not files and not sets:
        return None, [], []
    notes: list[str] = []
    current: dict[str, Any] = {}
    used: list[int] = []
    for c in files:
        assert c.values is not None
        if not used:
            current, used = dict(c.values), [c.block.index]
            continue
        said = _CORRECTION.search(c.block.lead)
        shared = _source_keys(current) & _source_keys(c.values)
        if said or shared:
            why = (
                f"the text before it says {said.group(0)!r}"
                if said
                else f"it defines source(s) {', '.join(sorted(shared))} again"
            )
            earlier = ", ".join(str(i) for i in used)
            notes.append(f"block {c.block.index} replaces block {earlier}: {why}")
            for old in blocks:
                if old.block.index in used:
                    old.used_for = [u for u in old.used_for if u != "values"] + ["superseded"]
            current, used = dict(c.values), [c.block.index]
        else:
            notes.append(
                f"block {c.block.index} merged over block {', '.join(str(i) for i in used)} "
                "as helm -f merges files (maps merge, lists replace)"
            )
            current = deep_merge(current, c.values)
            used.append(c.block.index)
    for c in sets:
        assert c.values is not None
        if used:
            notes.append(f"--set values of block {c.block.index} applied on top, as Helm does")
        current = deep_merge(current, c.values)
        used.append(c.block.index)
    for c in blocks:
        if c.block.index in used:
            c.used_for.append("values")
    return current, used, notes


# --------------------------------------------------------------------------- logs


def _seen(summary: LogSummary) -> tuple[Seen | None, str, KnownMatch | None]:
    timeline = summary.plugins.get(PLUGIN_NAME)
    if timeline is None:
        return None, "the log shows nothing of the botkube/kubernetes plugin", None
    match = match_known_detail(timeline)
    if match is not None and match.issue.number == 1474:
        return "crash", match.evidence, match
    if match is not None and match.issue.number == 1080:
        return "exit", match.evidence, match
    if timeline.panics:
        panic = timeline.panic
        top = panic.top_frame if panic is not None else None
        where = f" in {top.short_function} ({top.location})" if top is not None else ""
        return "crash", f"a panic{where}: {panic.message if panic else ''}", match
    if 2 in timeline.exit_statuses:
        return "crash", "plugin process exited with status 2 (a Go panic)", match
    if 1 in timeline.exit_statuses:
        return "exit", "plugin process exited with status 1", match
    if timeline.status in ("crashing", "deactivated", "exited"):
        return "failing", _failing(timeline), match
    if timeline.informers_registered:
        return "healthy", "'Registering informers...' logged and no exit or restart", match
    return None, "the log shows the plugin but neither its informers nor an exit", match


def _failing(timeline: PluginTimeline) -> str:
    parts = [f"status {timeline.status}"]
    if timeline.threshold is not None:
        parts.append(f"restarts {timeline.restarts}/{timeline.threshold}")
    if timeline.not_responding:
        parts.append(f"not responding x{timeline.not_responding}")
    return ", ".join(parts) + " without an exit status in the log"


def _agreement(t: Triage, match: KnownMatch | None) -> tuple[Agreement, str]:
    predicted, seen = t.predicted, t.seen
    if t.analysis is None and t.log is None:
        return "cannot tell", "the report has neither values nor a log"
    if t.analysis is None:
        why = "no values in the report" if t.values is None else (t.botkube.note or "no model")
        return "cannot tell", f"nothing to predict from ({why}); the log alone says: {t.seen_why}"
    if t.log is None:
        return "cannot tell", "the report has no agent log"
    if seen is None:
        return "cannot tell", t.seen_why
    version = t.analysis.botkube_version
    if seen == predicted:
        if seen == "crash":
            certainty = "" if match is None or match.certainty == "certain" else " (probably)"
            return "confirms", f"predicted and seen{certainty}: {t.seen_why}"
        if seen == "exit":
            types = _exit_types(t.analysis)
            logged = set(t.log.plugins[PLUGIN_NAME].unparsable_resources)
            if logged and types and not logged & set(types):
                return (
                    "contradicts",
                    f"both exit, but the log names {', '.join(sorted(logged))} and the model "
                    f"{', '.join(types)}",
                )
            return "confirms", f"predicted and seen: {t.seen_why}"
        return "confirms", f"predicted healthy on {version} and the log agrees: {t.seen_why}"
    if seen == "failing" and predicted != "healthy":
        return "confirms", f"predicted {predicted}; the log shows the plugin failing: {t.seen_why}"
    hint = (
        "the values in the report may not be all the agent ran (another -f file, --set, the "
        "chart defaults) or the version differs"
    )
    return (
        "contradicts",
        f"the model predicts {predicted} on {version}, the log shows {seen}: {t.seen_why}; {hint}",
    )


def _exit_types(analysis: Analysis) -> list[str]:
    out: list[str] = []
    for f in analysis.all_findings():
        if f.code in _EXIT_CODES:
            m = re.search(r"type '([^']+)'", f.message)
            if m:
                out.append(m.group(1))
    return sorted(set(out))


# --------------------------------------------------------------------------- known issues


def _issue(number: int) -> KnownIssue | None:
    for issue in KNOWN_ISSUES:
        if issue.number == number:
            return issue
    return None


def _cause_findings(analysis: Analysis) -> list[Finding]:
    return [f for f in analysis.all_findings() if f.code in _CAUSE_CODES]


def _known(t: Triage, match: KnownMatch | None) -> KnownRef | None:
    by_model: KnownIssue | None = None
    model_evidence = ""
    if t.analysis is not None and t.analysis.verdict != "healthy":
        for f in _cause_findings(t.analysis):
            issue = _issue(_CAUSE_ISSUES[f.code])
            if issue is not None and _CAUSE_CODES[f.code] == t.analysis.verdict:
                by_model = issue
                model_evidence = f"lint {f.code} {f.name} at {format_key_path(f.path)}"
                break
    if by_model is not None and match is not None and match.issue.number == by_model.number:
        return KnownRef(by_model, ("model", "log"), f"{model_evidence}; log: {match.evidence}")
    if by_model is not None:
        return KnownRef(by_model, ("model",), model_evidence)
    if match is not None:
        return KnownRef(match.issue, ("log",), match.evidence)
    if t.log is not None:
        agent = match_agent_known(t.log)
        if agent:
            return KnownRef(agent[0].issue, ("log",), agent[0].evidence)
    return None


# --------------------------------------------------------------------------- fixes


def _value_at(values: Any, path: KeyPath) -> Any:
    node = values
    for key in path:
        found = isinstance(key, int) and isinstance(node, list) and key < len(node)
        if found or (isinstance(node, Mapping) and key in node):
            node = node[key]
        else:
            return None
    return node


def _set_at(values: dict[str, Any], path: KeyPath, value: Any) -> dict[str, Any]:
    out = deep_merge({}, values)
    node: Any = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def _workaround(t: Triage) -> Workaround | None:
    analysis, values = t.analysis, t.values
    if analysis is None or values is None or analysis.verdict == "healthy":
        return None
    version, kube = analysis.botkube_version, analysis.kubernetes_version
    if analysis.verdict == "crash":
        return _crash_workaround(values, version, kube)
    changes: list[ValuesChange] = []
    fixed_values: dict[str, Any] = values
    unfixable: list[str] = []
    for f in _cause_findings(analysis):
        if f.code not in _EXIT_CODES:
            continue
        current = _value_at(fixed_values, f.path)
        check = check_type(str(current), parse_kubernetes_version(kube)) if current else None
        if check is not None and check.replacement and isinstance(current, str):
            fixed_values = _set_at(fixed_values, f.path, check.replacement)
            changes.append(ValuesChange(format_key_path(f.path), check.replacement, current))
        else:
            unfixable.append(f"{format_key_path(f.path)} ({f.fix})")
    if not changes:
        return (
            Workaround("correct or remove " + "; ".join(unfixable), [], None, None)
            if unfixable
            else None
        )
    after = analyze(fixed_values, version, kube).verdict
    text = "use a resource type the API server serves"
    if unfixable:
        text += "; also correct " + "; ".join(unfixable)
    return Workaround(text, changes, fixed_values, after)


def _crash_workaround(values: dict[str, Any], version: str, kube: str) -> Workaround | None:
    """#1474's workaround (a top-level config.event.types), then, where the v1.0-v1.2 panic on
    missing namespaces (BK031, #1157) remains, the namespaces lint's fix names."""
    changes: list[ValuesChange] = []
    said: list[str] = []
    fixed, added = workaround_values(values)
    if added:
        changes += [ValuesChange(path, list(WORKAROUND_TYPES)) for path in added]
        said.append(
            "give every kubernetes source with resources a top-level config.event.types (the "
            "maintainers' workaround on #1474)"
        )
    after = analyze(fixed, version, kube)
    bare = sorted(
        {f.path[:4] for f in after.all_findings() if f.code == "BK031"},
        key=format_key_path,
    )
    bare = [config for config in bare if isinstance(_value_at(fixed, config), Mapping)]
    for config in bare:
        path = (*config, "namespaces")
        current = _value_at(fixed, path)
        namespaces = dict(current) if isinstance(current, Mapping) else {}
        fixed = _set_at(fixed, path, {**namespaces, "include": [".*"]})
        changes.append(ValuesChange(format_key_path((*path, "include")), [".*"]))
    if bare:
        said.append(
            "give every kubernetes source without namespaces a config.namespaces.include "
            f"('.*': every namespace), which {version} dereferences when it matches an event "
            "(#1157)"
        )
        after = analyze(fixed, version, kube)
    if not changes:
        return None
    return Workaround("; ".join(said), changes, fixed, after.verdict)


def _wanted_happenings(values: Mapping[str, Any], prose: str) -> list[Happening]:
    """What the reporter's sources ask for: each resource's object-change types, the Event
    reasons their filters name, Normal Events where a type asks for them, and the Event
    reasons the prose asks about on a watched resource."""
    out: list[Happening] = []
    sources = values.get("sources")
    if not isinstance(sources, Mapping):
        return out
    asked = {r for r in _REASON_RESOURCE if re.search(rf"\b{r}\b", prose)}
    for body in sources.values():
        plugin = body.get(PLUGIN_NAME) if isinstance(body, Mapping) else None
        config = plugin.get("config") if isinstance(plugin, Mapping) else None
        if not isinstance(config, Mapping):
            continue
        top = config.get("event")
        top_event: Mapping[str, Any] = top if isinstance(top, Mapping) else {}
        namespace = _sample_namespace(config.get("namespaces"))
        resources = config.get("resources")
        for entry in resources if isinstance(resources, list) else []:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("type"), str):
                continue
            rtype = entry["type"]
            own = entry.get("event")
            event: Mapping[str, Any] = own if isinstance(own, Mapping) else {}
            namespace = _sample_namespace(entry.get("namespaces")) or namespace or "default"
            types = _strings(event.get("types")) or _strings(top_event.get("types"))
            reasons = _strings(_get(event, "reason", "include")) or _strings(
                _get(top_event, "reason", "include")
            )
            for raw in types:
                low = raw.lower()
                if low in ("create", "update", "delete"):
                    out.append(Happening(rtype, "example", namespace, action=low))  # type: ignore[arg-type]
                elif low == "normal" and not reasons:
                    out.append(Happening(rtype, "example", namespace, event_type="Normal"))
            for reason in reasons:
                if re.fullmatch(r"[A-Za-z]+", reason):
                    kind = "Normal" if reason in NORMAL_REASONS else "Warning"
                    out.append(
                        Happening(rtype, "example", namespace, event_type=kind, reason=reason)  # type: ignore[arg-type]
                    )
            for reason in asked:
                if rtype.rsplit("/", 1)[-1] == _REASON_RESOURCE[reason]:
                    kind = "Normal" if reason in NORMAL_REASONS else "Warning"
                    out.append(
                        Happening(rtype, "example", namespace, event_type=kind, reason=reason)  # type: ignore[arg-type]
                    )
    unique: list[Happening] = []
    for h in out:
        if h not in unique:
            unique.append(h)
    return unique


def _get(node: Mapping[str, Any], *path: str) -> Any:
    cur: Any = node
    for key in path:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(key)
    return cur


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str | int)]
    return []


def _sample_namespace(namespaces: Any) -> str | None:
    include = _strings(namespaces.get("include")) if isinstance(namespaces, Mapping) else []
    for pattern in include:
        if re.fullmatch(r"[a-z0-9-]+", pattern):
            return pattern
    return "default" if include else None


def _wanted(t: Triage) -> list[Wanted]:
    if t.analysis is None or t.values is None:
        return []
    prose = " ".join(p.text for p in t.document.prose)
    target = t.analysis
    if t.workaround is not None and t.workaround.values is not None:
        target = analyze(
            t.workaround.values, t.analysis.botkube_version, t.analysis.kubernetes_version
        )
    asked = t.workaround.values if t.workaround and t.workaround.values else t.values
    out: list[Wanted] = []
    for happening in _wanted_happenings(asked, prose):
        decision = forwarding(target, happening)
        example = f" {happening.namespace}/{happening.name}"
        what = " ".join(happening.describe().replace(example, "").split())
        why = " ".join(decision.why.replace(example, "").split())
        out.append(Wanted(what, decision.delivered, why))
    return out


# --------------------------------------------------------------------------- the triage


def _evidence(doc: Document, blocks: Sequence[Classified]) -> tuple[list[Evidence], list[Evidence]]:
    botkube: list[Evidence] = []
    kube: list[Evidence] = []
    for line in doc.prose:
        where = f"line {line.number}"
        botkube += botkube_evidence(line.text, where)
        kube += kubernetes_evidence(line.text, where)
    for c in blocks:
        where = f"block {c.block.index} ({c.kind})"
        if c.kind == "log":
            # the log reader's own reading: plugin paths, registration lines, release URLs
            summary = read_log(c.log_lines)
            if summary.version is not None:
                botkube.append(
                    Evidence(summary.version, "plugin-binary", where, summary.version_source or "")
                )
            for name, timeline in sorted(summary.plugins.items()):
                if timeline.version is not None and summary.version is None:
                    text = timeline.binary or f"{name} {timeline.version}"
                    botkube.append(Evidence(timeline.version, "plugin-binary", where, text))
        elif c.kind in ("set", "values-file", "other", "kubectl", "values"):
            found = botkube_evidence(c.block.text, where, log=c.kind in ("values", "kubectl"))
            for command in c.commands:
                if command.version:
                    found.append(
                        Evidence(
                            command.version
                            if command.version.startswith("v")
                            else f"v{command.version}",
                            "chart",
                            where,
                            f"--version {command.version}",
                        )
                    )
            botkube += found
        if c.kind in ("kubectl", "other", "log"):
            kube += kubernetes_evidence(c.block.text, where)
        if c.kind == "values" and isinstance(c.values, Mapping):
            tag = _get(c.values, "image", "tag")
            if isinstance(tag, str) and re.fullmatch(r"v?\d+\.\d+\.\d+(-rc\.\d+)?", tag):
                botkube.append(
                    Evidence(
                        tag if tag.startswith("v") else f"v{tag}",
                        "image",
                        where,
                        f"image.tag: {tag}",
                    )
                )
    return botkube, kube


def triage_report(
    text: str,
    name: str,
    *,
    botkube_version: str | None = None,
    kubernetes_version: str | None = None,
) -> Triage:
    """Read ``text`` (Markdown) and diagnose it; see the module docstring."""
    doc = read_markdown(text)
    blocks = [classify(b) for b in doc.blocks]
    bk_found, kube_found = _evidence(doc, blocks)
    botkube = choose_botkube(bk_found, botkube_version)
    kubernetes = choose_kubernetes(kube_found, kubernetes_version)
    t = Triage(name=name, document=doc, blocks=blocks, botkube=botkube, kubernetes=kubernetes)

    values, used, notes = select_values(blocks)
    t.values, t.values_blocks, t.values_notes = values, used, notes
    for c in blocks:
        if c.block.index in used:
            t.repairs += [f"block {c.block.index}: {r}" for r in c.all_repairs]
        if c.kind == "values-file":
            files = ", ".join(f for cmd in c.commands for f in cmd.files)
            t.notes.append(
                f"block {c.block.index} installs with -f {files}; the triage takes the values "
                "blocks of the report as that file's content"
                if used
                else f"block {c.block.index} installs with -f {files}, which is not in the report"
            )
        for command in c.commands:
            for error in command.errors:
                t.notes.append(f"block {c.block.index}: {error}")

    version = botkube.used
    if version is None and botkube_version is None and not botkube.found:
        version = KNOWN_BOTKUBE_VERSIONS[-1]
        botkube.used = version
        botkube.covered = True
        botkube.note = (
            f"no BotKube version in the report: assumed {version}, the last release; pass "
            "--botkube-version for the reporter's (the verdict per version is listed)"
        )
    if values is not None:
        source = _values_document(name, blocks, used, values)
        if version is not None:
            t.analysis = analyze(source, version, kubernetes.used)
        for known in KNOWN_BOTKUBE_VERSIONS:
            t.by_version[known] = analyze(source, known, kubernetes.used).verdict

    log_blocks = [c for c in blocks if c.kind == "log"]
    match: KnownMatch | None = None
    if log_blocks:
        lines = [line for c in log_blocks for line in c.log_lines]
        t.log = read_log(lines)
        t.log_blocks = [c.block.index for c in log_blocks]
        for c in log_blocks:
            c.used_for.append("log")
            t.repairs += [f"block {c.block.index}: {r}" for r in c.all_repairs]
        t.seen, t.seen_why, match = _seen(t.log)
        t.other_plugins = {n: tl.status for n, tl in t.log.plugins.items() if n != PLUGIN_NAME}
    sources_of_versions = {
        e.where for e in [*botkube.found, *kubernetes.found] if e.version in _used(t)
    }
    for c in blocks:
        if any(w.startswith(f"block {c.block.index} ") for w in sources_of_versions):
            c.used_for.append("version")
    t.agreement, t.agreement_why = _agreement(t, match)
    t.known = _known(t, match)
    t.workaround = _workaround(t)
    if t.known is not None and t.known.issue.fixed_in and t.by_version.get(t.known.issue.fixed_in):
        fixed = t.known.issue.fixed_in
        t.upgrade = f"upgrade to {fixed}: the model predicts {t.by_version[fixed]} there"
    t.wanted = _wanted(t)
    return t


def _values_document(
    name: str, blocks: Sequence[Classified], used: Sequence[int], values: dict[str, Any]
) -> YamlDocument:
    """The values as the model's input; findings name report lines when one block, taken as
    written, holds them all."""
    taken = [c for c in blocks if c.block.index in used]
    if len(taken) == 1 and taken[0].doc is not None and not taken[0].all_repairs:
        c = taken[0]
        assert c.doc is not None
        offset = c.block.first_content_line - 1
        lines = {path: line + offset for path, line in c.doc.lines.items()}
        return YamlDocument(name, values, lines)
    return YamlDocument(name, values, {})


def _used(t: Triage) -> set[str]:
    used = {t.botkube.used or "", t.kubernetes.used or ""}
    return {v for v in used if v} | {
        e.version for e in t.kubernetes.found if e.version.startswith(f"{t.kubernetes.used}.")
    }


def require_usable(t: Triage) -> None:
    if not t.usable:
        raise BadInput(t.nothing_usable())
