"""What each block of a report is: Helm values, a ``--set`` command line, a ``helm -f``
reference, a BotKube agent log, ``kubectl`` output, or something else.

The language tag is a hint at most (reporters tag logs as ``c`` and YAML as ``json``); the
content decides. A YAML block that does not parse is repaired only where the paste itself is
broken (tab indentation, elision lines such as ``...``, HTML comment markers, a prompt line,
``helm get values`` headers), each repair recorded, and parsed again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from pytest_botkube.errors import BadInput
from pytest_botkube.helm_values import deep_merge
from pytest_botkube.readers.logs import parse_line
from pytest_botkube.triage.commands import HelmCommand, find_commands
from pytest_botkube.triage.markdown import Block
from pytest_botkube.yamlio import YamlDocument, parse_yaml

Kind = Literal["values", "set", "values-file", "log", "kubectl", "other"]

#: Top-level keys of the botkube/botkube chart's values.yaml (v1.10.0 to v1.14.0) a values
#: overlay is recognised by; a block with none of them is not taken for Helm values.
CHART_KEYS = frozenset(
    {
        "sources",
        "communications",
        "executors",
        "settings",
        "plugins",
        "actions",
        "aliases",
        "extraEnv",
        "image",
        "rbac",
        "analytics",
        "existingCommunicationsSecretName",
        "serviceAccount",
        "configWatcher",
        "kubeconfig",
        "ssl",
        "service",
        "serviceMonitor",
        "deployment",
        "extraVolumes",
        "extraVolumeMounts",
        "extraAnnotations",
        "extraLabels",
        "extraObjects",
        "nodeSelector",
        "tolerations",
        "affinity",
        "priorityClassName",
        "containerSecurityContext",
        "securityContext",
        "podSecurityPolicy",
        "incomingWebhook",
        "filters",
        "global",
        "nameOverride",
        "fullnameOverride",
        "replicaCount",
        "remoteConfig",
        "lifecycleServer",
        "resources",
    }
)
PLUGIN_KEY = "botkube/kubernetes"

_KUBECTL_COMMAND = re.compile(r"^\s*(?:[$#>]\s*)?kubectl\s+(?!logs\b)\w+")
_KUBECTL_LOGS = re.compile(r"^\s*(?:[$#>]\s*)?kubectl\s+logs\b")
_KUBECTL_OUTPUT = (
    re.compile(r"^NAME\s+(READY\s+STATUS|STATUS|REVISION|NAMESPACE|TYPE|AGE|DATA|REFERENCE)\b"),
    re.compile(r"^\s*Type\s+Reason\s+Age\s+From\s+Message"),
    re.compile(r"^LAST SEEN\s+TYPE\s+REASON"),
    re.compile(r"^(Client|Server) Version:"),
    re.compile(r"^Name:\s+\S+"),
    re.compile(r"^Events:\s*$"),
)
_GO_PANIC = re.compile(r"^(panic: |fatal error: )")
_GOROUTINE = re.compile(r"^goroutine \d+ \[")
_ELISION = re.compile(
    r"^\s*(?:\.\.\.|…|\[\s*\.\.\.\s*\]|<\s*\.\.\.\s*>|\(\s*\.\.\.\s*\)|\[snip\]|<snip>)\s*$"
)
_HTML_COMMENT = re.compile(r"^\s*<!--.*-->\s*$")
_PROMPT = re.compile(r"^\s*\$\s+\S")
_HELM_VALUES_HEADER = re.compile(r"^(USER-SUPPLIED VALUES|COMPUTED VALUES):\s*(null|\{\})?\s*$")
_LEADING_TABS = re.compile(r"^\t+")


@dataclass
class Classified:
    """One block and what the triage took it for."""

    block: Block
    kind: Kind
    detail: str  # one phrase for the listing: "Helm values (sources: k8s-hpa-events)"
    repairs: list[str] = field(default_factory=list)
    values: dict[str, Any] | None = None  # values, or the --set overlay
    doc: YamlDocument | None = None  # the parsed values block, with its lines
    commands: list[HelmCommand] = field(default_factory=list)
    log_lines: list[str] = field(default_factory=list)
    log_format: str | None = None
    used_for: list[str] = field(default_factory=list)  # filled in by the triage

    @property
    def all_repairs(self) -> list[str]:
        return [*self.block.repairs, *self.repairs]


# --------------------------------------------------------------------------- YAML


def _try_yaml(text: str) -> tuple[Any, int | None, str]:
    """(data, error line, problem); error line None when it parsed."""
    try:
        return yaml.safe_load(text), None, ""
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return None, (mark.line + 1 if mark else 0), str(exc.problem or exc.context or "")
    except yaml.YAMLError as exc:
        return None, 0, str(exc)


def _helm_header(lines: list[str]) -> tuple[str, list[str]] | None:
    headers = [i for i, line in enumerate(lines) if _HELM_VALUES_HEADER.match(line)]
    if not headers:
        return None
    cut = lines[headers[0] + 1 :]
    for j, line in enumerate(cut):
        if _HELM_VALUES_HEADER.match(line):  # COMPUTED VALUES after USER-SUPPLIED
            cut = cut[:j]
            break
    return f"dropped the 'helm get values' header '{lines[headers[0]].strip()}'", cut


def _tabs(lines: list[str]) -> tuple[str, list[str]] | None:
    if not any(_LEADING_TABS.match(line) for line in lines):
        return None
    return (
        "tab indentation (YAML forbids tabs) replaced by two spaces per tab",
        [_LEADING_TABS.sub(lambda m: "  " * len(m.group()), line) for line in lines],
    )


def _dropping(pattern: re.Pattern[str], what: str) -> Any:
    def step(lines: list[str]) -> tuple[str, list[str]] | None:
        hit = {i for i, line in enumerate(lines) if pattern.match(line)}
        if not hit:
            return None
        shown = ", ".join(repr(lines[i].strip()) for i in sorted(hit)[:3])
        return f"dropped {len(hit)} {what} line(s) ({shown})", [
            line for i, line in enumerate(lines) if i not in hit
        ]

    return step


def _prompt(lines: list[str]) -> tuple[str, list[str]] | None:
    if lines and _PROMPT.match(lines[0]):
        return f"dropped the shell command line {lines[0].strip()[:60]!r}", lines[1:]
    return None


#: Repairs for a paste, in the order they are tried; each applies on top of the earlier ones.
_REPAIRS = (
    _tabs,
    _dropping(_ELISION, "elision ('...' marks left-out text; YAML reads it as a document end)"),
    _dropping(_HTML_COMMENT, "HTML comment"),
    _prompt,
)


def _parse_values_text(text: str) -> tuple[Any, list[str], str | None, str]:
    """Parse a block as YAML, repairing what a paste breaks; (data, repairs, text, problem)."""
    header = _helm_header(text.split("\n"))
    if header is not None:  # 'helm get values' output parses, but with the header as a key
        data, error, problem = _try_yaml("\n".join(header[1]))
        if error is None:
            return data, [header[0]], "\n".join(header[1]), ""
    data, error, problem = _try_yaml(text)
    if error is None:
        return data, [], text, ""
    first_problem = f"line {error}: {problem}" if error else problem
    lines = text.split("\n")
    applied: list[str] = []
    for repair in _REPAIRS:
        result = repair(lines)
        if result is None:
            continue
        description, lines = result
        applied.append(description)
        data, error, problem = _try_yaml("\n".join(lines))
        if error is None:
            return data, applied, "\n".join(lines), ""
    return None, [], None, first_problem


def _is_alias_map(data: Mapping[str, Any]) -> bool:
    """``'k8s-hpa': {botkube/kubernetes: {...}}`` pasted without the ``sources:`` above it."""
    return bool(data) and all(
        isinstance(body, Mapping) and PLUGIN_KEY in body for body in data.values()
    )


def _values_shape(data: Any) -> tuple[dict[str, Any] | None, str | None]:
    """(values, wrap repair) when ``data`` is a values overlay or a source fragment of one."""
    if not isinstance(data, Mapping) or not data:
        return None, None
    if "apiVersion" in data and "kind" in data:
        return None, None  # a Kubernetes manifest
    keys = {str(k) for k in data}
    if _is_alias_map(data):
        aliases = ", ".join(sorted(keys))
        return (
            {"sources": dict(data)},
            f"the block starts below 'sources:' (source {aliases}); taken as under sources",
        )
    if PLUGIN_KEY in keys and len(keys) <= 3 and keys <= {PLUGIN_KEY, "displayName", "enabled"}:
        return (
            {"sources": {"reported-source": dict(data)}},
            "the block is one source's body without its alias; taken as source 'reported-source'",
        )
    if keys & CHART_KEYS and (keys & (CHART_KEYS - {"resources", "image", "config"})):
        return dict(data), None
    if "sources" in keys or "communications" in keys or "executors" in keys:
        return dict(data), None
    return None, None


# --------------------------------------------------------------------------- logs


def _kubernetes_trace(lines: list[str]) -> bool:
    return any("internal/source/kubernetes" in line for line in lines)


def _as_plugin_output(lines: list[str]) -> list[str]:
    """A raw Go panic trace from the kubernetes plugin, as the agent re-logs plugin stderr
    (one debug record per line), so the log reader can assemble it."""
    out = []
    for line in lines:
        record = {
            "level": "debug",
            "msg": line,
            "plugin": PLUGIN_KEY,
            "subsystem_name": "botkube/kubernetes.source_kubernetes",
        }
        out.append(json.dumps(record))
    return out


def _log_share(lines: list[str]) -> tuple[int, int, str | None]:
    """(log records, non-blank lines, dominant format)."""
    nonblank = [line for line in lines if line.strip()]
    forms: dict[str, int] = {}
    records = 0
    for line in nonblank:
        record = parse_line(line)
        if record is not None:
            records += 1
            forms[record.form] = forms.get(record.form, 0) + 1
    fmt = max(forms, key=lambda f: forms[f]) if forms else None
    return records, len(nonblank), fmt


# --------------------------------------------------------------------------- kubectl


def _kubectl_score(lines: list[str]) -> int:
    score = 0
    for line in lines:
        if _KUBECTL_COMMAND.match(line):
            score += 2
        if any(p.match(line) for p in _KUBECTL_OUTPUT):
            score += 1
    return score


# --------------------------------------------------------------------------- the classifier


def _source_names(values: Mapping[str, Any]) -> list[str]:
    sources = values.get("sources")
    return [str(k) for k in sources] if isinstance(sources, Mapping) else []


def classify(block: Block) -> Classified:
    """What ``block`` holds (see the module docstring)."""
    text = block.text
    lines = text.split("\n")
    nonblank = [line for line in lines if line.strip()]
    if not nonblank:
        return Classified(block, "other", "empty block")

    commands = find_commands(text)
    with_sets = [c for c in commands if c.sets]
    if with_sets:
        overlay: dict[str, Any] = {}
        for command in with_sets:
            overlay = deep_merge(overlay, command.values())
        flags = sum(len(c.sets) for c in with_sets)
        names = _source_names(overlay)
        detail = f"{with_sets[0].tool} {with_sets[0].verb} command line with {flags} --set flag(s)"
        if names:
            detail += f" (sources: {', '.join(names)})"
        return Classified(block, "set", detail, values=overlay, commands=commands)
    if commands and any(c.files for c in commands):
        files = [f for c in commands for f in c.files]
        return Classified(
            block,
            "values-file",
            f"{commands[0].tool} {commands[0].verb} with -f {', '.join(files)}",
            commands=commands,
        )

    records, total, fmt = _log_share(lines)
    if records and (records * 3 >= total or any(_KUBECTL_LOGS.match(line) for line in lines)):
        log_lines = [line for line in lines if not _KUBECTL_LOGS.match(line)]
        return Classified(
            block,
            "log",
            f"BotKube agent log ({fmt}, {records} entries)",
            log_lines=log_lines,
            log_format=fmt,
        )
    if any(_GO_PANIC.match(line) for line in nonblank) and any(
        _GOROUTINE.match(line) for line in nonblank
    ):
        if _kubernetes_trace(nonblank):
            return Classified(
                block,
                "log",
                "raw Go panic trace of the botkube/kubernetes plugin",
                repairs=[
                    "a raw Go panic trace (not agent log records): read as the "
                    "botkube/kubernetes plugin's output, which the agent re-logs line by line"
                ],
                log_lines=_as_plugin_output(lines),
                log_format="go-trace",
            )
        return Classified(
            block,
            "log",
            "raw Go panic trace (the agent's own: no kubernetes plugin frame)",
            log_lines=lines,
            log_format="go-trace",
        )

    if commands:
        return Classified(
            block,
            "other",
            f"{commands[0].tool} {commands[0].verb} command line without --set or -f",
            commands=commands,
        )
    if _kubectl_score(nonblank) >= 2:
        return Classified(block, "kubectl", "kubectl output")

    data, repairs, repaired_text, problem = _parse_values_text(text)
    values, wrap = _values_shape(data)
    if values is not None and repaired_text is not None:
        try:
            doc = parse_yaml(repaired_text, f"block {block.index}")
        except BadInput:
            doc = None
        if wrap:
            repairs.append(wrap)
            doc = None  # the lines no longer map onto key paths
        names = _source_names(values)
        detail = "Helm values" + (f" (sources: {', '.join(names)})" if names else "")
        return Classified(block, "values", detail, repairs=repairs, values=values, doc=doc)
    if data is None and problem and _looks_like_yaml(nonblank):
        return Classified(block, "other", f"YAML that does not parse ({problem})")
    if isinstance(data, Mapping) and "apiVersion" in data and "kind" in data:
        return Classified(block, "kubectl", f"a Kubernetes {data.get('kind')} manifest")
    if _kubectl_score(nonblank):
        return Classified(block, "kubectl", "kubectl output")
    if isinstance(data, Mapping):
        return Classified(block, "other", "YAML or JSON that is not BotKube's Helm values")
    return Classified(block, "other", "text")


def _looks_like_yaml(lines: list[str]) -> bool:
    keyish = sum(1 for line in lines if re.match(r"^\s*(- )?[\w'\"./-]+:(\s|$)", line))
    return keyish * 2 >= len(lines)
