"""A user's Helm values overlay -> the BotKube sources, bindings and kubernetes plugin configs.

What ``helm install -f overlay.yaml`` hands the agent is the chart's default values with the
overlay merged over them: maps merge key by key, lists and scalars replace, and ``null`` deletes a
default key. The chart's defaults matter here because they add five enabled ``botkube/kubernetes``
sources (``k8s-recommendation-events``, ``k8s-all-events``, ``k8s-err-events``,
``k8s-err-with-logs-events``, ``k8s-create-events``) and bind two of them on every platform of
``communications.default-group``; once an overlay enables such a platform without replacing its
``bindings.sources``, those defaults run in the same plugin process as the user's sources. The
defaults below are restated from ``helm/botkube/values.yaml`` (identical from chart v1.10.0 to
v1.14.0), keeping only what the kubernetes source reads.

An overlay with no ``communications`` key at all is a partial overlay (a scenario's, or a snippet
from a bug report): nothing in it says which platform carries which source, so the model binds
exactly the sources the overlay itself defines and leaves the chart defaults unbound.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pytest_botkube.model.versions import has_pagerduty
from pytest_botkube.text import describe_value
from pytest_botkube.yamlio import KeyPath, YamlDocument, format_key_path

PLUGIN_NAME = "botkube/kubernetes"

Origin = Literal["values", "chart-default"]

_ALL_NAMESPACES = {"include": [".*"]}


def _chart_default_sources() -> dict[str, Any]:
    """The chart's default sources, as far as the kubernetes plugin reads them."""
    everyday = [
        "v1/pods",
        "v1/services",
        "networking.k8s.io/v1/ingresses",
        "v1/nodes",
        "v1/namespaces",
        "v1/persistentvolumes",
        "v1/persistentvolumeclaims",
        "v1/configmaps",
        "rbac.authorization.k8s.io/v1/roles",
        "rbac.authorization.k8s.io/v1/rolebindings",
        "rbac.authorization.k8s.io/v1/clusterrolebindings",
        "rbac.authorization.k8s.io/v1/clusterroles",
    ]
    workloads = [
        "apps/v1/daemonsets",
        "batch/v1/jobs",
        "apps/v1/deployments",
        "apps/v1/statefulsets",
    ]
    watched_fields = {
        "apps/v1/daemonsets": "status.numberReady",
        "batch/v1/jobs": "status.conditions[*].type",
        "apps/v1/deployments": "status.availableReplicas",
        "apps/v1/statefulsets": "status.readyReplicas",
    }
    node_noise = {"message": {"exclude": [".*nf_conntrack_buckets.*"]}}

    def plain(kind: str) -> dict[str, Any]:
        return {"type": kind, "event": node_noise} if kind == "v1/nodes" else {"type": kind}

    all_events = [plain(kind) for kind in everyday] + [
        {
            "type": kind,
            "event": {"types": ["create", "update", "delete", "error"]},
            "updateSetting": {
                "includeDiff": True,
                "fields": ["spec.template.spec.containers[*].image", watched_fields[kind]],
            },
        }
        for kind in workloads
    ]
    err_kinds = [
        *everyday,
        "apps/v1/deployments",
        "apps/v1/statefulsets",
        "apps/v1/daemonsets",
        "batch/v1/jobs",
    ]
    create_kinds = [
        "v1/pods",
        "v1/services",
        "networking.k8s.io/v1/ingresses",
        "v1/nodes",
        "v1/namespaces",
        "v1/configmaps",
        "apps/v1/deployments",
        "apps/v1/statefulsets",
        "apps/v1/daemonsets",
        "batch/v1/jobs",
    ]
    logs_kinds = [
        "v1/pods",
        "apps/v1/deployments",
        "apps/v1/statefulsets",
        "apps/v1/daemonsets",
        "batch/v1/jobs",
    ]

    def source(config: dict[str, Any]) -> dict[str, Any]:
        return {PLUGIN_NAME: {"enabled": True, "config": config}}

    return {
        "k8s-recommendation-events": source(
            {
                "namespaces": _ALL_NAMESPACES,
                "recommendations": {
                    "pod": {"noLatestImageTag": True, "labelsSet": True},
                    "ingress": {"backendServiceValid": True, "tlsSecretValid": True},
                },
            }
        ),
        "k8s-all-events": source(
            {
                "filters": {"objectAnnotationChecker": True, "nodeEventsChecker": True},
                "namespaces": _ALL_NAMESPACES,
                "event": {
                    "types": ["create", "delete", "error"],
                    "reason": {"include": [], "exclude": []},
                    "message": {"include": [], "exclude": []},
                },
                "annotations": {},
                "labels": {},
                "resources": all_events,
            }
        ),
        "k8s-err-events": source(
            {
                "namespaces": _ALL_NAMESPACES,
                "event": {"types": ["error"]},
                "resources": [plain(kind) for kind in err_kinds],
            }
        ),
        "k8s-err-with-logs-events": source(
            {
                "namespaces": _ALL_NAMESPACES,
                "event": {"types": ["error"]},
                "resources": [{"type": kind} for kind in logs_kinds],
            }
        ),
        "k8s-create-events": source(
            {
                "namespaces": _ALL_NAMESPACES,
                "event": {"types": ["create"]},
                "resources": [{"type": kind} for kind in create_kinds],
            }
        ),
    }


_DEFAULT_BOUND = ["k8s-err-events", "k8s-recommendation-events"]


def chart_default_communications() -> dict[str, Any]:
    """``default-group`` with every platform disabled and the chart's default bindings (a fresh
    copy each call). The one copy of these chart defaults: ``values.py`` reads it too."""

    def channel() -> dict[str, Any]:
        return {"default": {"bindings": {"sources": list(_DEFAULT_BOUND)}}}

    return {
        "default-group": {
            "socketSlack": {"enabled": False, "channels": channel()},
            "mattermost": {"enabled": False, "channels": channel()},
            "discord": {"enabled": False, "channels": channel()},
            "elasticsearch": {"enabled": False, "indices": channel()},
            "webhook": {"enabled": False, "bindings": {"sources": list(_DEFAULT_BOUND)}},
        }
    }


def _chart_default_actions() -> dict[str, Any]:
    return {
        "describe-created-resource": {
            "enabled": False,
            "bindings": {"sources": ["k8s-create-events"]},
        },
        "show-logs-on-error": {
            "enabled": False,
            "bindings": {"sources": ["k8s-err-with-logs-events"]},
        },
    }


CHART_DEFAULT_SOURCE_NAMES: tuple[str, ...] = tuple(_chart_default_sources())


def helm_merge(defaults: Any, overlay: Any) -> Any:
    """Helm's coalesce of the user's values onto the CHART's defaults: maps merge recursively,
    ``null`` drops a default key, the rest replaces. Not ``values.deep_merge``, which merges one
    user file onto another (there ``null`` is kept, for Helm to apply against the chart)."""
    if not isinstance(defaults, Mapping) or not isinstance(overlay, Mapping):
        return overlay
    out: dict[Any, Any] = dict(defaults)
    for key, value in overlay.items():
        if value is None:
            if key in defaults:
                out.pop(key, None)
            else:
                out[key] = None
        elif key in defaults:
            out[key] = helm_merge(defaults[key], value)
        else:
            out[key] = value
    return out


# --------------------------------------------------------------------------- the typed model


@dataclass(frozen=True)
class Constraints:
    """``include``/``exclude`` lists: exact match first, then an unanchored Go regexp search."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    path: KeyPath = ()

    @property
    def defined(self) -> bool:
        return bool(self.include) or bool(self.exclude)


@dataclass(frozen=True)
class EventSpec:
    """An ``event:`` block; ``types_paths[i]`` is where ``types[i]`` stands."""

    types: tuple[str, ...] = ()
    reason: Constraints = Constraints()
    message: Constraints = Constraints()
    path: KeyPath = ()
    types_paths: tuple[KeyPath, ...] = ()

    @property
    def constraints_defined(self) -> bool:
        return self.reason.defined or self.message.defined


@dataclass(frozen=True)
class ResourceSpec:
    index: int
    type: str
    path: KeyPath
    event: EventSpec  # a struct upstream, never nil: absent means empty
    name: Constraints = Constraints()
    namespaces: Constraints = Constraints()
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    update_fields: tuple[str, ...] = ()
    include_diff: bool = False


@dataclass(frozen=True)
class Recommendations:
    pod_no_latest_image_tag: bool = False
    pod_labels_set: bool = False
    ingress_backend_service_valid: bool = False
    ingress_tls_secret_valid: bool = False

    def resources(self) -> dict[str, str]:
        """Resource types the recommendation runner watches, each with the ``create`` type."""
        out: dict[str, str] = {}
        if self.ingress_backend_service_valid or self.ingress_tls_secret_valid:
            out["networking.k8s.io/v1/ingresses"] = "create"
        if self.pod_no_latest_image_tag or self.pod_labels_set:
            out["v1/pods"] = "create"
        return out


@dataclass(frozen=True)
class KubernetesConfig:
    """The ``config`` of one ``botkube/kubernetes`` source after the plugin's own defaults."""

    path: KeyPath
    event: EventSpec | None  # a pointer upstream: ``None`` when absent or null
    resources: tuple[ResourceSpec, ...] = ()
    namespaces: Constraints | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    recommendations: Recommendations = Recommendations()
    object_annotation_checker: bool = True
    node_events_checker: bool = True


@dataclass(frozen=True)
class SourceSpec:
    name: str
    origin: Origin
    path: KeyPath  # ("sources", name)
    plugin_key: str | None  # the key holding the kubernetes plugin, e.g. "botkube/kubernetes"
    enabled: bool
    enabled_given: bool  # False when ``enabled`` was left out (it defaults to false)
    config: KubernetesConfig | None
    other_plugins: tuple[str, ...] = ()

    @property
    def plugin_path(self) -> KeyPath:
        return (*self.path, self.plugin_key or PLUGIN_NAME)


@dataclass(frozen=True)
class Binding:
    """One enabled platform (or action) that carries ``source``."""

    source: str
    carrier: str  # e.g. "communications.default-group.webhook"
    path: KeyPath  # where the source name stands in the list


@dataclass(frozen=True)
class ValuesModel:
    document: YamlDocument
    sources: Mapping[str, SourceSpec]
    partial_overlay: bool
    bindings: tuple[Binding, ...]
    overlay_sources: frozenset[str]  # aliases the overlay itself defines
    _carriers: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        carriers: dict[str, set[str]] = {}
        for binding in self.bindings:
            carriers.setdefault(binding.source, set()).add(binding.carrier)
        object.__setattr__(
            self, "_carriers", {name: tuple(sorted(found)) for name, found in carriers.items()}
        )

    def bound(self, name: str) -> bool:
        if self.partial_overlay and name in self.overlay_sources:
            return True
        return name in self._carriers

    def carriers(self, name: str) -> list[str]:
        return list(self._carriers.get(name, ()))


# --------------------------------------------------------------------------- reading


class _Reader:
    """Typed access to the merged values; a wrong type is ``BadInput`` naming file:line and key."""

    def __init__(self, document: YamlDocument) -> None:
        self.doc = document

    def mapping(self, value: Any, path: KeyPath, *, allow_null: bool = True) -> Mapping[str, Any]:
        if value is None and allow_null:
            return {}
        if not isinstance(value, Mapping):
            raise self.doc.error(path, f"expected a mapping, got {_kind(value)}")
        return value

    def sequence(self, value: Any, path: KeyPath) -> Sequence[Any]:
        if value is None:
            return ()
        if not isinstance(value, list | tuple):
            raise self.doc.error(path, f"expected a list, got {_kind(value)}")
        return value

    def string(self, value: Any, path: KeyPath) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.doc.error(path, f"expected a string, got {_kind(value)}")
        return str(value)

    def boolean(self, value: Any, path: KeyPath, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.doc.error(path, f"expected true or false, got {_kind(value)}")
        return value

    def strings(self, value: Any, path: KeyPath) -> tuple[str, ...]:
        items = self.sequence(value, path)
        return tuple(self.string(item, (*path, i)) for i, item in enumerate(items))

    def string_map(self, value: Any, path: KeyPath) -> dict[str, str]:
        raw = self.mapping(value, path)
        return {str(k): self.string(v, (*path, str(k))) for k, v in raw.items() if v is not None}

    def constraints(self, value: Any, path: KeyPath) -> Constraints:
        raw = self.mapping(value, path)
        return Constraints(
            include=self.strings(raw.get("include"), (*path, "include")),
            exclude=self.strings(raw.get("exclude"), (*path, "exclude")),
            path=path,
        )

    def event(self, value: Any, path: KeyPath) -> EventSpec:
        raw = self.mapping(value, path)
        types_path = (*path, "types")
        types = self.strings(raw.get("types"), types_path)
        return EventSpec(
            types=types,
            reason=self.constraints(raw.get("reason"), (*path, "reason")),
            message=self.constraints(raw.get("message"), (*path, "message")),
            path=path,
            types_paths=tuple((*types_path, i) for i in range(len(types))),
        )

    def resource(self, value: Any, index: int, path: KeyPath) -> ResourceSpec:
        raw = self.mapping(value, path, allow_null=False)
        update = self.mapping(raw.get("updateSetting"), (*path, "updateSetting"))
        return ResourceSpec(
            index=index,
            type=self.string(raw.get("type", ""), (*path, "type")),
            path=path,
            event=self.event(raw.get("event"), (*path, "event")),
            name=self.constraints(raw.get("name"), (*path, "name")),
            namespaces=self.constraints(raw.get("namespaces"), (*path, "namespaces")),
            labels=self.string_map(raw.get("labels"), (*path, "labels")),
            annotations=self.string_map(raw.get("annotations"), (*path, "annotations")),
            update_fields=self.strings(update.get("fields"), (*path, "updateSetting", "fields")),
            include_diff=self.boolean(
                update.get("includeDiff"), (*path, "updateSetting", "includeDiff"), False
            ),
        )

    def kubernetes_config(self, value: Any, path: KeyPath) -> KubernetesConfig:
        raw = self.mapping(value, path)
        event_raw = raw.get("event")
        resources_path = (*path, "resources")
        resources = self.sequence(raw.get("resources"), resources_path)
        rec = self.mapping(raw.get("recommendations"), (*path, "recommendations"))
        pod = self.mapping(rec.get("pod"), (*path, "recommendations", "pod"))
        ingress = self.mapping(rec.get("ingress"), (*path, "recommendations", "ingress"))
        filters = self.mapping(raw.get("filters"), (*path, "filters"))
        rp = (*path, "recommendations")
        return KubernetesConfig(
            path=path,
            event=None if event_raw is None else self.event(event_raw, (*path, "event")),
            resources=tuple(
                self.resource(item, i, (*resources_path, i)) for i, item in enumerate(resources)
            ),
            namespaces=(
                None
                if raw.get("namespaces") is None
                else self.constraints(raw["namespaces"], (*path, "namespaces"))
            ),
            labels=self.string_map(raw.get("labels"), (*path, "labels")),
            annotations=self.string_map(raw.get("annotations"), (*path, "annotations")),
            recommendations=Recommendations(
                pod_no_latest_image_tag=self.boolean(
                    pod.get("noLatestImageTag"), (*rp, "pod", "noLatestImageTag"), False
                ),
                pod_labels_set=self.boolean(pod.get("labelsSet"), (*rp, "pod", "labelsSet"), False),
                ingress_backend_service_valid=self.boolean(
                    ingress.get("backendServiceValid"),
                    (*rp, "ingress", "backendServiceValid"),
                    False,
                ),
                ingress_tls_secret_valid=self.boolean(
                    ingress.get("tlsSecretValid"), (*rp, "ingress", "tlsSecretValid"), False
                ),
            ),
            object_annotation_checker=self.boolean(
                filters.get("objectAnnotationChecker"),
                (*path, "filters", "objectAnnotationChecker"),
                True,
            ),
            node_events_checker=self.boolean(
                filters.get("nodeEventsChecker"), (*path, "filters", "nodeEventsChecker"), True
            ),
        )

    def source(self, name: str, value: Any, origin: Origin) -> SourceSpec:
        path: KeyPath = ("sources", name)
        raw = self.mapping(value, path)
        plugin_key: str | None = None
        others: list[str] = []
        for key in raw:
            key_text = str(key)
            if key_text == PLUGIN_NAME or key_text.startswith(f"{PLUGIN_NAME}@"):
                plugin_key = key_text
            elif "/" in key_text:
                others.append(key_text)
        if plugin_key is None:
            return SourceSpec(name, origin, path, None, False, False, None, tuple(others))
        plugin_path = (*path, plugin_key)
        plugin = self.mapping(raw[plugin_key], plugin_path)
        enabled = self.boolean(plugin.get("enabled"), (*plugin_path, "enabled"), False)
        config = self.kubernetes_config(plugin.get("config"), (*plugin_path, "config"))
        return SourceSpec(
            name,
            origin,
            path,
            plugin_key,
            enabled,
            plugin.get("enabled") is not None,
            config,
            tuple(others),
        )


_kind = describe_value  # one wording for "got ..." in every message


def _platform_lists(
    reader: _Reader, group: str, platform: str, cfg: Mapping[str, Any]
) -> Iterator[tuple[KeyPath, Any]]:
    """Every ``bindings.sources`` list of one enabled platform, with its key path."""
    base: KeyPath = ("communications", group, platform)
    if platform in {"socketSlack", "cloudSlack", "mattermost", "discord"}:
        channels = reader.mapping(cfg.get("channels"), (*base, "channels"))
        for alias, channel in channels.items():
            path = (*base, "channels", str(alias))
            bindings = reader.mapping(
                reader.mapping(channel, path).get("bindings"), (*path, "bindings")
            )
            yield (*path, "bindings", "sources"), bindings.get("sources")
    elif platform == "elasticsearch":
        indices = reader.mapping(cfg.get("indices"), (*base, "indices"))
        for alias, index in indices.items():
            path = (*base, "indices", str(alias))
            bindings = reader.mapping(
                reader.mapping(index, path).get("bindings"), (*path, "bindings")
            )
            yield (*path, "bindings", "sources"), bindings.get("sources")
    elif platform == "cloudTeams":
        teams = reader.sequence(cfg.get("teams"), (*base, "teams"))
        for t, team in enumerate(teams):
            tpath = (*base, "teams", t)
            channels = reader.mapping(
                reader.mapping(team, tpath).get("channels"), (*tpath, "channels")
            )
            for alias, channel in channels.items():
                path = (*tpath, "channels", str(alias))
                bindings = reader.mapping(
                    reader.mapping(channel, path).get("bindings"), (*path, "bindings")
                )
                yield (*path, "bindings", "sources"), bindings.get("sources")
    elif platform in {"webhook", "pagerDuty"}:
        bindings = reader.mapping(cfg.get("bindings"), (*base, "bindings"))
        yield (*base, "bindings", "sources"), bindings.get("sources")


_PLATFORMS = (
    "socketSlack",
    "cloudSlack",
    "mattermost",
    "discord",
    "cloudTeams",
    "webhook",
    "elasticsearch",
    "pagerDuty",
)


def as_document(doc: YamlDocument | Mapping[str, Any], name: str = "<values>") -> YamlDocument:
    if isinstance(doc, YamlDocument):
        return doc
    return YamlDocument(name=name, data=doc)


def read_values(doc: YamlDocument | Mapping[str, Any], botkube_version: str) -> ValuesModel:
    """Merge the overlay over the chart defaults and read what the kubernetes plugin will see."""
    document = as_document(doc)
    reader = _Reader(document)
    root = reader.mapping(document.data, ())
    overlay_sources_raw = reader.mapping(root.get("sources"), ("sources",))
    merged_sources = helm_merge(_chart_default_sources(), overlay_sources_raw)
    defaults = set(CHART_DEFAULT_SOURCE_NAMES)

    sources: dict[str, SourceSpec] = {}
    for name, value in merged_sources.items():
        alias = str(name)
        origin: Origin = (
            "values" if name in overlay_sources_raw or alias not in defaults else "chart-default"
        )
        sources[alias] = reader.source(alias, value, origin)

    partial = root.get("communications") is None
    bindings: list[Binding] = []
    if not partial:
        comms = helm_merge(
            chart_default_communications(),
            reader.mapping(root["communications"], ("communications",)),
        )
        for group, group_cfg in comms.items():
            group_map = reader.mapping(group_cfg, ("communications", str(group)))
            for platform in _PLATFORMS:
                if platform == "pagerDuty" and not has_pagerduty(botkube_version):
                    continue
                cfg = reader.mapping(
                    group_map.get(platform), ("communications", str(group), platform)
                )
                enabled = reader.boolean(
                    cfg.get("enabled"), ("communications", str(group), platform, "enabled"), False
                )
                if not enabled:
                    continue
                carrier = format_key_path(("communications", str(group), platform))
                for path, names in _platform_lists(reader, str(group), platform, cfg):
                    for i, item in enumerate(reader.sequence(names, path)):
                        bindings.append(
                            Binding(reader.string(item, (*path, i)), carrier, (*path, i))
                        )
    actions = helm_merge(
        _chart_default_actions(), reader.mapping(root.get("actions"), ("actions",))
    )
    for action, action_cfg in actions.items():
        apath: KeyPath = ("actions", str(action))
        amap = reader.mapping(action_cfg, apath)
        if not reader.boolean(amap.get("enabled"), (*apath, "enabled"), False):
            continue
        abind = reader.mapping(amap.get("bindings"), (*apath, "bindings"))
        spath = (*apath, "bindings", "sources")
        for i, item in enumerate(reader.sequence(abind.get("sources"), spath)):
            bindings.append(
                Binding(reader.string(item, (*spath, i)), format_key_path(apath), (*spath, i))
            )

    return ValuesModel(
        document=document,
        sources=sources,
        partial_overlay=partial,
        bindings=tuple(bindings),
        overlay_sources=frozenset(str(k) for k in overlay_sources_raw),
    )
