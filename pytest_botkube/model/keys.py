"""What the file says before BotKube reads it: keys Helm drops or renames, and keys nobody reads.

``lint`` reports these beside the model's predictions. Each check works on the user's own file
(its keys and lines), never on the chart's defaults, so every finding points at a line that
exists in that file.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pytest_botkube.model.versions import normalize_botkube_version, platforms, source_url
from pytest_botkube.yamlio import KeyNote, KeyPath, YamlDocument, format_key_path

Severity = Literal["error", "warning", "info"]

HELM_DUPLICATE_KEYS = "https://github.com/helm/helm/issues/4107"
HELM_KEY_TYPES = "https://github.com/kubernetes-sigs/yaml/blob/v1.4.0/yaml.go"
HELM_READ_VALUES = "https://github.com/helm/helm/blob/v3.17.2/pkg/chartutil/values.go"


@dataclass(frozen=True)
class FileFinding:
    """A finding about the file itself; the analysis gives it a place (``where``)."""

    code: str
    name: str
    severity: Severity
    path: KeyPath
    message: str
    fix: str
    upstream: str


def _lines(lines: tuple[int, ...]) -> str:
    return ", ".join(str(line) for line in lines[:-1]) + f" and {lines[-1]}"


def _note_finding(note: KeyNote) -> FileFinding:
    key = format_key_path(note.path)
    if note.kind == "duplicate":
        lines = (*note.dropped, note.line)
        return FileFinding(
            "BK040",
            "duplicate-key",
            "warning",
            note.path,
            f"{key} is written more than once (lines {_lines(lines)}): Helm keeps the last one "
            f"(line {note.line}) without a message, so the block at line "
            f"{_lines(note.dropped) if len(note.dropped) > 1 else note.dropped[0]} is never "
            "installed; every finding here is about the block Helm keeps",
            "keep one block (merge the two by hand)",
            HELM_DUPLICATE_KEYS,
        )
    if note.kind == "extra-document":
        return FileFinding(
            "BK046",
            "ignored-document",
            "warning",
            note.path,
            f"the file goes on after its first YAML document: a second one starts at line "
            f"{note.line}, and Helm reads only the first document of a values file and ignores "
            "the rest without a message, so nothing from that line on is installed (and lint "
            "does not read it either)",
            f"merge the documents into one (drop the {note.written!r} at line {note.line}), or "
            "give each to helm as its own -f file",
            HELM_READ_VALUES,
        )
    if note.kind == "collision":
        lines = (*note.dropped, note.line)
        return FileFinding(
            "BK042",
            "keys-collide",
            "warning",
            note.path,
            f"the keys at lines {_lines(lines)} are different YAML types that Helm turns into the "
            f"same string {note.path[-1]!r}; Helm then keeps one of them at random (Go map "
            f"order), lint reads the last (line {note.line})",
            "quote the keys and keep one",
            HELM_KEY_TYPES,
        )
    kind = "a boolean" if note.path[-1] in ("true", "false") else "a number"
    return FileFinding(
        "BK041",
        "key-not-a-string",
        "warning",
        note.path,
        f"key {note.written!r} is {kind} in YAML 1.1: Helm turns it into the string "
        f"{note.path[-1]!r}, which is what BotKube sees",
        f"quote it: '{note.written}': if you meant the text, or write {note.path[-1]!r}",
        HELM_KEY_TYPES,
    )


# --------------------------------------------------------------------------- accepted keys
# Restated by hand from the structs the kubernetes source plugin decodes its config into
# (internal/source/kubernetes/config/config.go, and config.Logger in pkg/config/config.go) and
# the agent's per-plugin entry (pkg/config/config.go: Plugin, PluginContext, PolicyRule), read at
# every tag v1.0.0..v1.14.0. What changed between tags: ``extraButtons`` and ``log.formatter``
# appear in v1.2.0; nothing else. koanf + mapstructure decode them, matching a key to a field
# case-insensitively and dropping every key no field takes, without a message.

Schema = Mapping[str, Any]  # key -> sub-schema; LEAF: a value; FREE: any keys; [schema]: list
LEAF: None = None
FREE: Mapping[str, Any] = {"*": None}

_CONSTRAINTS: Schema = {"include": LEAF, "exclude": LEAF}
_EVENT: Schema = {"reason": _CONSTRAINTS, "message": _CONSTRAINTS, "types": LEAF}
_RESOURCE: Schema = {
    "type": LEAF,
    "name": _CONSTRAINTS,
    "namespaces": _CONSTRAINTS,
    "annotations": FREE,
    "labels": FREE,
    "event": _EVENT,
    "updateSetting": {"fields": LEAF, "includeDiff": LEAF},
}
_SUBJECT = {"type": LEAF, "prefix": LEAF}
_CONTEXT: Schema = {
    "rbac": {
        "user": {**_SUBJECT, "static": {"value": LEAF}},
        "group": {**_SUBJECT, "static": {"values": LEAF}},
    }
}

#: Keys that are not in any version, with what the writer most likely meant.
_HINTS = {
    "reasons": "reason.include (a list of reasons, or regular expressions, under event.reason)",
    "reason_include": "reason.include",
    "minimumEventCount": "remove it: no BotKube version has an event-count threshold",
    "eventTypes": "event.types",
    "type": "resources[].type (each resource entry has its own type)",
    "kinds": "resources[].type",
}

#: First tag at which a kubernetes config key exists (absent before).
_SINCE = {"extraButtons": "v1.2.0", "log.formatter": "v1.2.0"}


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.lstrip("v").split("."))


def kubernetes_config_keys(botkube_version: str) -> Schema:
    """The keys the ``botkube/kubernetes`` plugin reads under ``config:`` at this version."""
    newer = _version_key(normalize_botkube_version(botkube_version)) >= _version_key("v1.2.0")
    log: dict[str, Any] = {"level": LEAF, "disableColors": LEAF}
    schema: dict[str, Any] = {
        "informerResyncPeriod": LEAF,
        "log": log,
        "recommendations": {
            "ingress": {"backendServiceValid": LEAF, "tlsSecretValid": LEAF},
            "pod": {"noLatestImageTag": LEAF, "labelsSet": LEAF},
        },
        "event": _EVENT,
        "resources": [_RESOURCE],
        "commands": {"verbs": LEAF, "resources": LEAF},
        "namespaces": _CONSTRAINTS,
        "annotations": FREE,
        "labels": FREE,
        "filters": {"objectAnnotationChecker": LEAF, "nodeEventsChecker": LEAF},
    }
    if newer:
        log["formatter"] = LEAF
        schema["extraButtons"] = [
            {
                "enabled": LEAF,
                "trigger": {"type": LEAF},
                "button": {"commandTpl": LEAF, "displayName": LEAF},
            }
        ]
    return schema


def plugin_entry_keys(botkube_version: str) -> Schema:
    """``sources.<alias>.botkube/kubernetes``: the agent reads enabled, config, context."""
    return {"enabled": LEAF, "config": kubernetes_config_keys(botkube_version), "context": _CONTEXT}


#: Top-level keys of the chart's values.yaml, the same at every v1.x tag except ``ingress``
#: (v1.0.0..v1.8.0, removed in v1.9.0); ``global`` is Helm's own.
_CHART_TOP = [
    "image",
    "podSecurityPolicy",
    "securityContext",
    "containerSecurityContext",
    "rbac",
    "kubeconfig",
    "actions",
    "sources",
    "executors",
    "aliases",
    "existingCommunicationsSecretName",
    "communications",
    "settings",
    "ssl",
    "service",
    "serviceMonitor",
    "deployment",
    "replicaCount",
    "extraAnnotations",
    "extraLabels",
    "priorityClassName",
    "nameOverride",
    "fullnameOverride",
    "resources",
    "extraEnv",
    "extraVolumes",
    "extraVolumeMounts",
    "nodeSelector",
    "tolerations",
    "affinity",
    "serviceAccount",
    "extraObjects",
    "analytics",
    "configWatcher",
    "plugins",
    "config",
    "global",
]


def chart_top_level_keys(botkube_version: str) -> frozenset[str]:
    """Top-level values keys the BotKube chart of this version knows."""
    version = _version_key(normalize_botkube_version(botkube_version))
    return frozenset([*_CHART_TOP, *(["ingress"] if version < _version_key("v1.9.0") else [])])


# --------------------------------------------------------------------------- key checks
def _all_paths(schema: Schema, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for key, sub in schema.items():
        if key == "*":
            continue
        path = (*prefix, key)
        yield path
        inner = sub[0] if isinstance(sub, list) else sub
        if isinstance(inner, Mapping) and inner is not FREE:
            yield from _all_paths(inner, path)


def _suggest(key: str, here: Schema, whole: Schema, base: str) -> str:
    """Did-you-mean: a known slip, the same key (or a close one) elsewhere, or a near spelling."""
    if key in _HINTS:
        return _HINTS[key]
    paths = list(_all_paths(whole))
    same = sorted((p for p in paths if p[-1].lower() == key.lower()), key=len)
    if same:
        shown = ".".join(same[0]).replace("resources.", "resources[].", 1)
        return f"{base}.{shown}" if base else shown
    close = difflib.get_close_matches(key, [k for k in here if k != "*"], n=1, cutoff=0.7)
    if close:
        return close[0]
    anywhere = difflib.get_close_matches(key, [p[-1] for p in paths], n=1, cutoff=0.8)
    if anywhere:
        where = next(p for p in paths if p[-1] == anywhere[0])
        return f"{base}.{'.'.join(where)}" if base else ".".join(where)
    return ""


class _KeyChecker:
    def __init__(self, version: str) -> None:
        self.version = normalize_botkube_version(version)
        self.out: list[FileFinding] = []
        self.entry = plugin_entry_keys(self.version)
        self.upstream = source_url(self.version, "internal/source/kubernetes/config/config.go")

    def walk(self, value: Any, schema: Schema, path: KeyPath, what: str) -> None:
        if not isinstance(value, Mapping) or schema is FREE:
            return
        lower = {k.lower(): k for k in schema}
        for key, child in value.items():
            key = str(key)
            cpath = (*path, key)
            if key in schema:
                sub = schema[key]
            elif key.lower() in lower:
                right = lower[key.lower()]
                self.out.append(
                    FileFinding(
                        "BK043",
                        "unknown-key",
                        "warning",
                        cpath,
                        f"{key!r} is spelled {right!r} in BotKube {self.version}; BotKube "
                        "matches keys case-insensitively, lint reads only the exact spelling, "
                        "so its prediction may miss this key",
                        f"write {right!r}",
                        self.upstream,
                    )
                )
                continue
            else:
                self.unknown(key, cpath, schema, what)
                continue
            if isinstance(sub, list):
                if isinstance(child, list):
                    for i, item in enumerate(child):
                        self.walk(item, sub[0], (*cpath, i), what)
            elif isinstance(sub, Mapping):
                self.walk(child, sub, cpath, what)

    def unknown(self, key: str, path: KeyPath, here: Schema, what: str) -> None:
        config = kubernetes_config_keys(self.version)
        in_config = what == "plugin config"
        base = "" if in_config else "config"
        hint = _suggest(key, here, config, base)
        newer = next((v for k, v in _SINCE.items() if k.split(".")[-1] == key), None)
        since = f" (it exists from {newer})" if newer and not in_config else ""
        if newer and in_config:
            since = f" (the key exists from BotKube {newer} on)"
        self.out.append(
            FileFinding(
                "BK043",
                "unknown-key",
                "warning",
                path,
                f"BotKube ignores this key: the {what} of BotKube {self.version} has no key "
                f"{key!r}{since}, and unknown keys are dropped without a message",
                hint
                if hint.startswith("remove")
                else f"did you mean {hint}?"
                if hint
                else f"remove it, or upgrade to {newer} or later"
                if newer
                else "remove it, or see the upstream config struct",
                self.upstream,
            )
        )

    def sources(self, sources: Any) -> None:
        if not isinstance(sources, Mapping):
            return
        for alias, body in sources.items():
            if not isinstance(body, Mapping):
                continue
            for key, plugin in body.items():
                key = str(key)
                path: KeyPath = ("sources", str(alias), key)
                if key == "botkube/kubernetes" or key.startswith("botkube/kubernetes@"):
                    self.walk_entry(plugin, path)
                elif "/" not in key and key != "displayName":
                    self.out.append(
                        FileFinding(
                            "BK043",
                            "unknown-key",
                            "warning",
                            path,
                            f"BotKube ignores this key: a source holds displayName and plugins "
                            f"(REPO/NAME keys such as botkube/kubernetes), and {key!r} is neither",
                            f"did you mean botkube/kubernetes.config.{key}?"
                            if key in kubernetes_config_keys(self.version)
                            else "move it under the plugin's config:",
                            source_url(self.version, "pkg/config/config.go"),
                        )
                    )

    def walk_entry(self, plugin: Any, path: KeyPath) -> None:
        if not isinstance(plugin, Mapping):
            return
        for key, child in plugin.items():
            key = str(key)
            cpath = (*path, key)
            if key == "config":
                self.walk(child, self.entry["config"], cpath, "plugin config")
            elif key == "context":
                self.walk(child, _CONTEXT, cpath, "plugin context")
            elif key != "enabled":
                self.walk(
                    {key: child},
                    {"enabled": LEAF, "config": LEAF, "context": LEAF},
                    path,
                    "plugin entry",
                )


def file_findings(document: YamlDocument, botkube_version: str) -> list[FileFinding]:
    """Every finding about how Helm and BotKube read the file's keys, in file order."""
    out = [_note_finding(note) for note in document.notes]
    data = document.data
    if not isinstance(data, Mapping):
        return out
    checker = _KeyChecker(botkube_version)
    checker.sources(data.get("sources"))
    out.extend(checker.out)
    out.extend(_top_level(data, checker.version))
    return out


_PLATFORM_WORDS = frozenset(
    {"socketSlack", "cloudSlack", "mattermost", "discord", "teams", "cloudTeams", "webhook"}
    | {"elasticsearch", "pagerDuty", "slack"}
)
HELM_GET_VALUES_HEADER = "USER-SUPPLIED VALUES"


def _top_level(data: Mapping[str, Any], version: str) -> list[FileFinding]:
    known = chart_top_level_keys(version)
    chart = source_url(version, "helm/botkube/values.yaml")
    out: list[FileFinding] = []
    sources_null = "sources" in data and data["sources"] is None
    comms_null = "communications" in data and data["communications"] is None
    for key, value in data.items():
        key = str(key)
        if key in known:
            continue
        if key == HELM_GET_VALUES_HEADER:
            out.append(
                FileFinding(
                    "BK044",
                    "unknown-top-level-key",
                    "info",
                    (key,),
                    "this is the header line `helm get values` prints, not a value; Helm "
                    "keeps it as a key nobody reads, harmless",
                    "delete the line",
                    chart,
                )
            )
            continue
        body = value if isinstance(value, Mapping) else {}
        plugins = [str(k) for k in body if "/" in str(k)]
        platform_keys = [
            str(k) for k in body if str(k) in _PLATFORM_WORDS or str(k) in platforms(version)
        ]
        if plugins:
            where, what = "sources", f"a source alias (it holds the plugin {plugins[0]})"
            extra = (
                " `sources:` itself is empty (null), so Helm deletes every chart default source"
                " too."
                if sources_null
                else ""
            )
        elif platform_keys:
            where, what = "communications", f"a communication group (it holds {platform_keys[0]})"
            extra = (
                " `communications:` itself is empty (null), so Helm deletes the chart's platforms"
                " too."
                if comms_null
                else ""
            )
        elif key in _PLATFORM_WORDS or key in platforms(version):
            where, what, extra = "communications.<group>", f"a platform ({key})", ""
        else:
            close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.75)
            out.append(
                FileFinding(
                    "BK044",
                    "unknown-top-level-key",
                    "warning",
                    (key,),
                    f"the BotKube chart {version} has no top-level key {key!r}: Helm passes it "
                    "on and no template reads it",
                    f"did you mean {close[0]}?" if close else "remove it",
                    chart,
                )
            )
            continue
        out.append(
            FileFinding(
                "BK045",
                "misindented-block",
                "warning",
                (key,),
                f"{key!r} stands at the top level but looks like {what}: it is probably "
                f"mis-indented and belongs under {where}:, where BotKube would read it; here "
                f"nothing reads it.{extra}",
                f"indent {key!r} (and its block) under {where}:",
                chart,
            )
        )
    return out
