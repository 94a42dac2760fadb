"""A user's Helm values overlay -> the BotKube sources, bindings and kubernetes plugin configs.

What ``helm install -f overlay.yaml`` hands the agent is the chart's default values with the
overlay merged over them: maps merge key by key, lists and scalars replace, and ``null`` deletes a
default key. The chart's defaults matter here because they add five enabled ``botkube/kubernetes``
sources (``k8s-recommendation-events``, ``k8s-all-events``, ``k8s-err-events``,
``k8s-err-with-logs-events``, ``k8s-create-events``) and bind two of them on every platform of
``communications.default-group``; once an overlay enables such a platform without replacing its
``bindings.sources``, those defaults run in the same plugin process as the user's sources. The
defaults below are restated from ``helm/botkube/values.yaml`` at each tag, keeping only what the
kubernetes source and the scheduler read. Across v1.x they differ in three places: the ``v1/nodes``
entries get a ``message.exclude`` of ``nf_conntrack_buckets`` noise from v1.4.0; v1.2.0-v1.8.0
add a disabled ``k8s-err-events-with-ai-support`` source bound on the chat platforms; the
``slack`` and ``teams`` platforms are in the chart up to v1.8.0 (``slack`` up to v1.9.0). Every
default source carries the same plugin ``context`` (an RBAC group ``botkube-plugins-default``):
an alias the user adds gets none from the chart.

An overlay with no ``communications`` key at all is a partial overlay (a scenario's, or a snippet
from a bug report): nothing in it says which platform carries which source, so the model binds
exactly the sources the overlay itself defines and leaves the chart defaults unbound.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from pytest_botkube.model.versions import (
    KNOWN_BOTKUBE_VERSIONS,
    interactive_platforms,
    normalize_botkube_version,
    platforms,
)
from pytest_botkube.text import describe_value
from pytest_botkube.yamlio import KeyPath, YamlDocument, format_key_path

PLUGIN_NAME = "botkube/kubernetes"

Origin = Literal["values", "chart-default"]

_ALL_NAMESPACES = {"include": [".*"]}
_LATEST = KNOWN_BOTKUBE_VERSIONS[-1]

#: The ``context`` every chart default source's ``botkube/kubernetes`` plugin has (all v1.x;
#: v1.0.0 also sets a ``defaultNamespace``, which the kubeconfig does not read).
CHART_DEFAULT_CONTEXT: dict[str, Any] = {
    "rbac": {
        "group": {
            "type": "Static",
            "prefix": "",
            "static": {"values": ["botkube-plugins-default"]},
        }
    }
}


def _since(version: str, first: str) -> bool:
    return KNOWN_BOTKUBE_VERSIONS.index(version) >= KNOWN_BOTKUBE_VERSIONS.index(first)


def _chart_default_sources(version: str = _LATEST) -> dict[str, Any]:
    """The chart's default sources at ``version``, as far as the kubernetes plugin reads them."""
    version = normalize_botkube_version(version)
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
    quiet_nodes = _since(version, "v1.4.0")

    def plain(kind: str) -> dict[str, Any]:
        if kind == "v1/nodes" and quiet_nodes:
            return {"type": kind, "event": node_noise}
        return {"type": kind}

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

    def source(config: dict[str, Any], enabled: bool = True) -> dict[str, Any]:
        context = {"rbac": {"group": dict(CHART_DEFAULT_CONTEXT["rbac"]["group"])}}
        return {PLUGIN_NAME: {"enabled": enabled, "context": context, "config": config}}

    out = {
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
    if _since(version, "v1.2.0") and not _since(version, "v1.9.0"):
        out[_AI_SOURCE] = source(
            {
                "namespaces": _ALL_NAMESPACES,
                "event": {"types": ["error"]},
                "resources": [plain(kind) for kind in err_kinds],
            },
            enabled=False,
        )
    return out


_AI_SOURCE = "k8s-err-events-with-ai-support"


_DEFAULT_BOUND = ["k8s-err-events", "k8s-recommendation-events"]


def chart_default_communications(version: str = _LATEST) -> dict[str, Any]:
    """``default-group`` with every platform disabled and the chart's default bindings at
    ``version`` (a fresh copy each call). The one copy of these chart defaults: ``values.py``
    reads it too."""
    version = normalize_botkube_version(version)
    chat = list(_DEFAULT_BOUND)
    if _since(version, "v1.2.0") and not _since(version, "v1.9.0"):
        chat.append(_AI_SOURCE)

    def channel(bound: list[str]) -> dict[str, Any]:
        return {"default": {"bindings": {"sources": list(bound)}}}

    group: dict[str, Any] = {
        "socketSlack": {"enabled": False, "channels": channel(chat)},
        "mattermost": {"enabled": False, "channels": channel(chat)},
        "discord": {"enabled": False, "channels": channel(chat)},
        "elasticsearch": {"enabled": False, "indices": channel(_DEFAULT_BOUND)},
        "webhook": {"enabled": False, "bindings": {"sources": list(_DEFAULT_BOUND)}},
    }
    if not _since(version, "v1.9.1"):
        group["slack"] = {"enabled": False, "channels": channel(_DEFAULT_BOUND)}
    if not _since(version, "v1.9.0"):
        group["teams"] = {"enabled": False, "bindings": {"sources": list(chat)}}
    return {"default-group": group}


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


def chart_default_sources(version: str = _LATEST) -> dict[str, Any]:
    """The chart's default sources at ``version`` (a fresh copy), as the model restates them."""
    return _chart_default_sources(version)


def chart_default_source_names(version: str = _LATEST) -> tuple[str, ...]:
    """Aliases the chart defines at ``version`` (v1.2.0-v1.8.0 add a disabled AI source)."""
    return tuple(_chart_default_sources(version))


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
class DecodeNote:
    """Where BotKube's weak decoder converted a value (or, for a rejection, could not)."""

    path: KeyPath
    message: str


@dataclass(frozen=True)
class RbacRule:
    """``context.rbac`` as the agent's ``PolicyRule`` holds it (compared whole, as upstream's
    binding validation does with ``reflect.DeepEqual``)."""

    user_type: str = ""
    user_prefix: str = ""
    user_value: str = ""
    group_type: str = ""
    group_prefix: str = ""
    group_values: tuple[str, ...] = ()

    @property
    def types_empty(self) -> bool:
        return not self.user_type and not self.group_type


@dataclass(frozen=True)
class PluginContext:
    """A plugin's ``context``: the agent builds the plugin's kubeconfig from ``rbac`` alone."""

    path: KeyPath
    given: bool
    rbac: RbacRule | None  # None when ``context`` or ``context.rbac`` is absent or null


@dataclass(frozen=True)
class SourceSpec:
    name: str
    origin: Origin
    path: KeyPath  # ("sources", name)
    plugin_key: str | None  # the key holding the kubernetes plugin, e.g. "botkube/kubernetes"
    enabled: bool
    enabled_given: bool  # False when ``enabled`` was left out (it defaults to false)
    config: KubernetesConfig | None  # None without the plugin, or when the plugin rejects it
    other_plugins: tuple[str, ...] = ()
    context: PluginContext = PluginContext((), False, None)
    rejected: DecodeNote | None = None  # the plugin's decoder cannot read ``config``
    notes: tuple[DecodeNote, ...] = ()  # values BotKube converts on the way in

    @property
    def plugin_path(self) -> KeyPath:
        return (*self.path, self.plugin_key or PLUGIN_NAME)


@dataclass(frozen=True)
class Binding:
    """One enabled platform (or action) that carries ``source``."""

    source: str
    carrier: str  # e.g. "communications.default-group.webhook"
    path: KeyPath  # where the source name stands in the list
    list_path: KeyPath = ()  # the ``bindings.sources`` list it belongs to
    interactive: bool = False  # the platform takes interactive messages (its own stream key)


@dataclass(frozen=True)
class RestartPolicy:
    """``plugins.restartPolicy`` after the chart's defaults (``DeactivatePlugin``, 10), as the
    agent's health monitor reads it from v1.4.0; earlier agents have no such setting."""

    path: KeyPath = ("plugins", "restartPolicy")
    given: bool = False  # the file sets plugins.restartPolicy or plugins.healthCheckInterval
    type: str = "DeactivatePlugin"
    threshold: int = 10


@dataclass(frozen=True)
class ValuesModel:
    document: YamlDocument
    sources: Mapping[str, SourceSpec]
    partial_overlay: bool
    bindings: tuple[Binding, ...]
    overlay_sources: frozenset[str]  # aliases the overlay itself defines
    notes: tuple[DecodeNote, ...] = ()  # the agent's own weak conversions (bindings)
    overlay_order: tuple[str, ...] = ()  # the same, in the file's order
    restart_policy: RestartPolicy = RestartPolicy()
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

    def is_active(self, name: str) -> bool:
        """The agent starts this source's kubernetes plugin: enabled (after Helm's coalesce with
        the chart, so a chart default the file tweaks without ``enabled`` stays enabled) and
        bound by an enabled platform or action (every overlay source of a partial overlay)."""
        spec = self.sources.get(name)
        return (
            spec is not None and spec.plugin_key is not None and spec.enabled and self.bound(name)
        )

    def active(self) -> tuple[str, ...]:
        """Active sources, the file's own in its order, then the chart's defaults."""
        order = [*self.overlay_order, *(n for n in self.sources if n not in self.overlay_sources)]
        return tuple(name for name in order if self.is_active(name))


# --------------------------------------------------------------------------- reading


class _Rejected(Exception):
    """The plugin's decoder cannot read a value: ``MergeConfigs`` fails and ``Stream`` returns
    the error before the source is stored (the agent logs ``canceling streaming: while merging
    input configs: ...``)."""

    def __init__(self, path: KeyPath, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def _go_name(path: KeyPath, base: KeyPath = ()) -> str:
    """mapstructure's field name for an error: ``resources[0].namespaces`` (relative to
    ``base``, the plugin config or the agent config it is decoded from)."""
    out = ""
    for part in path[len(base) :] if path[: len(base)] == base else path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def go_float(value: float) -> str:
    """Go's ``strconv.FormatFloat(f, 'f', -1, 64)``: the shortest digits, never an exponent."""
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    if text.endswith(".0"):
        text = text[:-2]
    return text


class _Reader:
    """The values as BotKube decodes them, with the plugin's own decoder rules.

    Both the agent (its config) and the ``botkube/kubernetes`` plugin (each source's ``config``)
    decode with koanf v1.4 + mapstructure v1.5 in weak mode (koanf's ``UnmarshalWithConf``
    defaults: ``WeaklyTypedInput`` plus a string-to-slice hook splitting on ``","``). Restated:

    * a list field given a string takes the comma-separated parts, unstripped (``"create,
      delete"`` is ``["create", " delete"]``, and the second part matches nothing); an empty
      string is an empty list; any other scalar becomes a one-item list; a non-empty mapping
      becomes a one-item list holding it, an empty mapping an empty list;
    * a string field takes a bool as ``"1"``/``"0"``, a number in decimal (``1.10`` -> ``"1.1"``);
      a mapping or list there is an error;
    * a bool field takes ``strconv.ParseBool`` spellings (``"true"``, ``"t"``, ``"1"``,
      ``"False"`` ...), ``""`` as false, and a number as "not zero"; other strings are an error;
    * a ``map[string]string`` takes a list of mappings merged in order (an empty list is empty);
    * a struct field matches its key exactly, else case-insensitively (``Types:``), but only in
      maps the user wrote whole: the plugin first loads its defaults as a struct, so the
      top-level config keys and the keys inside ``filters``, ``recommendations``, ``log`` and
      ``commands`` already exist spelled exactly, and a differently cased user key there is an
      extra key nobody reads;
    * ``null`` leaves the field at its default; a ``null`` list item is the zero value ``""``.

    Anything that is only *converted* is accepted and gets a note; a value the decoder cannot
    convert inside a plugin ``config`` rejects that source's stream (``_Rejected``), while one
    in the agent's own settings is bad input (the agent would not start at all).
    """

    def __init__(self, document: YamlDocument) -> None:
        self.doc = document
        self.notes: list[DecodeNote] = []
        self.base: KeyPath = ()  # the plugin config being decoded, for mapstructure's names

    def note(self, path: KeyPath, message: str) -> None:
        self.notes.append(DecodeNote(path, message))

    # -- the agent's settings: what cannot be converted is bad input -----------------------

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
        try:
            return self._string(value, path)
        except _Rejected as exc:
            raise self.doc.error(path, exc.message) from None

    def boolean(self, value: Any, path: KeyPath, default: bool) -> bool:
        try:
            return self._boolean(value, path, default)
        except _Rejected as exc:
            raise self.doc.error(path, exc.message) from None

    def names(self, value: Any, path: KeyPath) -> list[tuple[str, KeyPath]]:
        """A ``[]string`` of the agent's config (``bindings.sources``), weakly decoded."""
        try:
            return self._strings(value, path)
        except _Rejected as exc:
            raise self.doc.error(exc.path, exc.message) from None

    # -- weak conversions ------------------------------------------------------------------

    def _string(self, value: Any, path: KeyPath, name: str | None = None) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            text = "1" if value else "0"
        elif isinstance(value, int):
            text = str(value)
        elif isinstance(value, float):
            text = go_float(value)
        elif value is None:
            return ""
        else:
            shown = name or _go_name(path, self.base)
            raise _Rejected(path, f"'{shown}' expected a string, got {_kind(value)}")
        self.note(path, f"{_kind(value)} is read as the string {text!r}")
        return text

    def _boolean(self, value: Any, path: KeyPath, default: bool) -> bool:
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            result = value != 0
        elif isinstance(value, str) and value in _GO_BOOLS:
            result = _GO_BOOLS[value]
        else:
            raise _Rejected(
                path,
                f"cannot parse '{_go_name(path, self.base)}' as bool: expected true or false, got "
                f"{_kind(value)}",
            )
        self.note(path, f"{_kind(value)} is read as {str(result).lower()}")
        return result

    def _list(self, value: Any, path: KeyPath) -> list[tuple[Any, KeyPath]]:
        """Items of a slice field with the path each stands at (a lifted value keeps its own)."""
        if value is None:
            return []
        if isinstance(value, list | tuple):
            return [(item, (*path, i)) for i, item in enumerate(value)]
        if isinstance(value, str):
            parts = value.split(",") if value else []
            if len(parts) != 1 or parts[0] != value:
                shown = "[" + ", ".join(repr(p) for p in parts) + "]"
                self.note(path, f"the string {value!r} is split on commas: {shown}")
            else:
                self.note(path, f"the string {value!r} is read as the one-item list [{value!r}]")
            return [(part, path) for part in parts]
        if isinstance(value, Mapping):
            if not value:
                self.note(path, "an empty mapping is read as an empty list")
                return []
            self.note(path, "a mapping is read as a one-item list holding it")
            return [(value, path)]
        self.note(path, f"{_kind(value)} is read as a one-item list")
        return [(value, path)]

    def _texts(self, value: Any, path: KeyPath) -> tuple[str, ...]:
        """A ``[]string`` whose item paths nobody needs (constraints, update fields)."""
        if isinstance(value, list) and all(type(item) is str for item in value):
            return tuple(value)  # the usual case, nothing to convert
        return tuple(text for text, _ in self._strings(value, path))

    def _strings(self, value: Any, path: KeyPath) -> list[tuple[str, KeyPath]]:
        if isinstance(value, list) and all(type(item) is str for item in value):
            return [(item, (*path, i)) for i, item in enumerate(value)]
        out: list[tuple[str, KeyPath]] = []
        for item, where in self._list(value, path):
            if item is None:
                self.note(where, "a null item is read as the empty string")
            out.append((self._string(item, where), where))
        return out

    def _struct(self, value: Any, path: KeyPath, name: str | None = None) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            shown = name or _go_name(path, self.base)
            raise _Rejected(path, f"'{shown}' expected a map, got {_kind(value)}")
        return value

    def _field(
        self, raw: Mapping[str, Any], name: str, path: KeyPath, *, folded: bool = True
    ) -> tuple[Any, KeyPath]:
        """``raw[name]`` and its path; with ``folded``, a key equal to ``name`` ignoring case
        when no exact one exists (mapstructure's fallback)."""
        if name in raw:
            return raw[name], (*path, name)
        if folded and raw:
            lowered = name.lower()
            for key in raw:
                if isinstance(key, str) and key.lower() == lowered:
                    self.note((*path, key), f"key {key!r} is read as {name!r} (case-insensitive)")
                    return raw[key], (*path, key)
        return None, (*path, name)

    def _string_map(self, value: Any, path: KeyPath) -> dict[str, str]:
        if value is None:
            return {}
        if isinstance(value, list | tuple):
            if value:
                self.note(path, "a list of mappings is read as one mapping, merged in order")
            out: dict[str, str] = {}
            for i, item in enumerate(value):
                out.update(self._string_map_of(item, (*path, i)))
            return out
        return self._string_map_of(value, path)

    def _string_map_of(self, value: Any, path: KeyPath) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise _Rejected(
                path, f"'{_go_name(path, self.base)}' expected a map, got {_kind(value)}"
            )
        out: dict[str, str] = {}
        for key, item in value.items():
            where = (*path, str(key))
            if item is None:
                out[str(key)] = ""
                self.note(where, "null is read as the empty string")
                continue
            out[str(key)] = self._string(item, where, f"{_go_name(path, self.base)}[{key}]")
        return out

    # -- the plugin's config structs -------------------------------------------------------

    def constraints(self, value: Any, path: KeyPath) -> Constraints:
        raw = self._struct(value, path)
        include, include_path = self._field(raw, "include", path)
        exclude, exclude_path = self._field(raw, "exclude", path)
        return Constraints(
            include=self._texts(include, include_path),
            exclude=self._texts(exclude, exclude_path),
            path=path,
        )

    def event(self, value: Any, path: KeyPath) -> EventSpec:
        raw = self._struct(value, path)
        types_raw, types_path = self._field(raw, "types", path)
        types = self._strings(types_raw, types_path)
        reason, reason_path = self._field(raw, "reason", path)
        message, message_path = self._field(raw, "message", path)
        return EventSpec(
            types=tuple(t for t, _ in types),
            reason=self.constraints(reason, reason_path),
            message=self.constraints(message, message_path),
            path=path,
            types_paths=tuple(where for _, where in types),
        )

    def resource(self, value: Any, index: int, path: KeyPath) -> ResourceSpec:
        lifted = not path or path[-1] != index  # a value lifted into a one-item list
        raw = self._struct(value, path, f"{_go_name(path, self.base)}[{index}]" if lifted else None)
        field = self._field
        update, update_path = field(raw, "updateSetting", path)
        update_raw = self._struct(update, update_path)
        fields, fields_path = field(update_raw, "fields", update_path)
        diff, diff_path = field(update_raw, "includeDiff", update_path)
        kind, kind_path = field(raw, "type", path)
        event, event_path = field(raw, "event", path)
        name, name_path = field(raw, "name", path)
        namespaces, namespaces_path = field(raw, "namespaces", path)
        labels, labels_path = field(raw, "labels", path)
        annotations, annotations_path = field(raw, "annotations", path)
        return ResourceSpec(
            index=index,
            type=self._string(kind, kind_path),
            path=path,
            event=self.event(event, event_path),
            name=self.constraints(name, name_path),
            namespaces=self.constraints(namespaces, namespaces_path),
            labels=self._string_map(labels, labels_path),
            annotations=self._string_map(annotations, annotations_path),
            update_fields=self._texts(fields, fields_path),
            include_diff=self._boolean(diff, diff_path, False),
        )

    def kubernetes_config(self, value: Any, path: KeyPath) -> KubernetesConfig:
        if value is not None and not isinstance(value, Mapping):
            # The agent hands the plugin this value as YAML; koanf cannot load it as a map.
            raise _Rejected(path, f"the config must be a mapping, got {_kind(value)}")
        raw: Mapping[str, Any] = value or {}
        # Top-level keys, and those inside the structs the plugin defaults, exist exactly spelled
        # (see the class docstring), so they are never matched case-insensitively.
        exact = {"folded": False}
        event_raw, event_path = self._field(raw, "event", path, **exact)
        resources_raw, resources_path = self._field(raw, "resources", path, **exact)
        rec_raw, rp = self._field(raw, "recommendations", path, **exact)
        rec = self._struct(rec_raw, rp)
        pod_raw, pod_path = self._field(rec, "pod", rp, **exact)
        ingress_raw, ingress_path = self._field(rec, "ingress", rp, **exact)
        pod = self._struct(pod_raw, pod_path)
        ingress = self._struct(ingress_raw, ingress_path)
        filters_raw, filters_path = self._field(raw, "filters", path, **exact)
        filters = self._struct(filters_raw, filters_path)
        namespaces_raw, namespaces_path = self._field(raw, "namespaces", path, **exact)
        labels_raw, labels_path = self._field(raw, "labels", path, **exact)
        annotations_raw, annotations_path = self._field(raw, "annotations", path, **exact)

        def flag(where: Mapping[str, Any], base: KeyPath, key: str, default: bool) -> bool:
            got, got_path = self._field(where, key, base, **exact)
            return self._boolean(got, got_path, default)

        return KubernetesConfig(
            path=path,
            event=None if event_raw is None else self.event(event_raw, event_path),
            resources=tuple(
                self.resource(item, i, where)
                for i, (item, where) in enumerate(self._list(resources_raw, resources_path))
            ),
            namespaces=(
                None
                if namespaces_raw is None
                else self.constraints(namespaces_raw, namespaces_path)
            ),
            labels=self._string_map(labels_raw, labels_path),
            annotations=self._string_map(annotations_raw, annotations_path),
            recommendations=Recommendations(
                pod_no_latest_image_tag=flag(pod, pod_path, "noLatestImageTag", False),
                pod_labels_set=flag(pod, pod_path, "labelsSet", False),
                ingress_backend_service_valid=flag(
                    ingress, ingress_path, "backendServiceValid", False
                ),
                ingress_tls_secret_valid=flag(ingress, ingress_path, "tlsSecretValid", False),
            ),
            object_annotation_checker=flag(filters, filters_path, "objectAnnotationChecker", True),
            node_events_checker=flag(filters, filters_path, "nodeEventsChecker", True),
        )

    def plugin_context(self, value: Any, path: KeyPath) -> PluginContext:
        """``context`` as the agent decodes it: only ``rbac`` matters to the kubeconfig."""
        raw = self.mapping(value, path)
        rbac_raw = raw.get("rbac")
        rbac_path = (*path, "rbac")
        if rbac_raw is None:
            return PluginContext(path, value is not None, None)
        rbac = self.mapping(rbac_raw, rbac_path)
        user_path, group_path = (*rbac_path, "user"), (*rbac_path, "group")
        user = self.mapping(rbac.get("user"), user_path)
        group = self.mapping(rbac.get("group"), group_path)
        user_static = self.mapping(user.get("static"), (*user_path, "static"))
        group_static = self.mapping(group.get("static"), (*group_path, "static"))
        rule = RbacRule(
            user_type=self.string(user.get("type", ""), (*user_path, "type")),
            user_prefix=self.string(user.get("prefix", ""), (*user_path, "prefix")),
            user_value=self.string(user_static.get("value", ""), (*user_path, "static", "value")),
            group_type=self.string(group.get("type", ""), (*group_path, "type")),
            group_prefix=self.string(group.get("prefix", ""), (*group_path, "prefix")),
            group_values=tuple(
                s
                for s, _ in self.names(
                    group_static.get("values"), (*group_path, "static", "values")
                )
            ),
        )
        return PluginContext(path, True, rule)

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
        self.notes = []
        enabled = self.boolean(plugin.get("enabled"), (*plugin_path, "enabled"), False)
        context = self.plugin_context(plugin.get("context"), (*plugin_path, "context"))
        config_path = (*plugin_path, "config")
        self.base = config_path
        config: KubernetesConfig | None
        rejected: DecodeNote | None = None
        try:
            config = self.kubernetes_config(plugin.get("config"), config_path)
        except _Rejected as exc:
            config, rejected = None, DecodeNote(exc.path, exc.message)
        self.base = ()
        return SourceSpec(
            name,
            origin,
            path,
            plugin_key,
            enabled,
            plugin.get("enabled") is not None,
            config,
            tuple(others),
            context=context,
            rejected=rejected,
            notes=tuple(self.notes),
        )


_kind = describe_value  # one wording for "got ..." in every message

#: ``strconv.ParseBool``'s spellings, plus mapstructure's ``""`` as false.
_GO_BOOLS = {
    **dict.fromkeys(("1", "t", "T", "TRUE", "true", "True"), True),
    **dict.fromkeys(("0", "f", "F", "FALSE", "false", "False", ""), False),
}


def _platform_lists(
    reader: _Reader, group: str, platform: str, cfg: Mapping[str, Any]
) -> Iterator[tuple[KeyPath, Any]]:
    """Every ``bindings.sources`` list of one enabled platform, with its key path."""
    base: KeyPath = ("communications", group, platform)
    if platform in {"slack", "socketSlack", "cloudSlack", "mattermost", "discord"}:
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
    elif platform in {"webhook", "pagerDuty", "teams"}:
        bindings = reader.mapping(cfg.get("bindings"), (*base, "bindings"))
        yield (*base, "bindings", "sources"), bindings.get("sources")


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
    version = normalize_botkube_version(botkube_version)
    # Helm coalesces the whole file onto the chart: ``sources: null`` deletes every chart default
    # source, ``communications: null`` every chart platform (and so every chart binding).
    chart = {
        "sources": _chart_default_sources(version),
        "communications": chart_default_communications(version),
        "actions": _chart_default_actions(),
    }
    merged = helm_merge(chart, {key: root[key] for key in chart if key in root})
    merged_sources = reader.mapping(merged.get("sources"), ("sources",))
    defaults = set(chart["sources"])

    sources: dict[str, SourceSpec] = {}
    for name, value in merged_sources.items():
        alias = str(name)
        origin: Origin = (
            "values" if name in overlay_sources_raw or alias not in defaults else "chart-default"
        )
        sources[alias] = reader.source(alias, value, origin)

    reader.notes = []
    partial = "communications" not in root
    bindings: list[Binding] = []
    if not partial:
        comms = reader.mapping(merged.get("communications"), ("communications",))
        for group, group_cfg in comms.items():
            group_map = reader.mapping(group_cfg, ("communications", str(group)))
            for platform in platforms(version):
                cfg = reader.mapping(
                    group_map.get(platform), ("communications", str(group), platform)
                )
                enabled = reader.boolean(
                    cfg.get("enabled"), ("communications", str(group), platform, "enabled"), False
                )
                if not enabled:
                    continue
                carrier = format_key_path(("communications", str(group), platform))
                interactive = platform in interactive_platforms(version)
                for path, names in _platform_lists(reader, str(group), platform, cfg):
                    for alias, where in reader.names(names, path):
                        bindings.append(Binding(alias, carrier, where, path, interactive))
    actions = reader.mapping(merged.get("actions"), ("actions",))
    for action, action_cfg in actions.items():
        apath: KeyPath = ("actions", str(action))
        amap = reader.mapping(action_cfg, apath)
        if not reader.boolean(amap.get("enabled"), (*apath, "enabled"), False):
            continue
        abind = reader.mapping(amap.get("bindings"), (*apath, "bindings"))
        spath = (*apath, "bindings", "sources")
        for alias, where in reader.names(abind.get("sources"), spath):
            bindings.append(Binding(alias, format_key_path(apath), where, spath))

    return ValuesModel(
        document=document,
        restart_policy=_restart_policy(reader, root),
        sources=sources,
        partial_overlay=partial,
        bindings=tuple(bindings),
        overlay_sources=frozenset(str(k) for k in overlay_sources_raw),
        notes=tuple(reader.notes),
        overlay_order=tuple(str(k) for k in overlay_sources_raw),
    )


def _restart_policy(reader: _Reader, root: Mapping[str, Any]) -> RestartPolicy:
    """The agent decodes ``plugins`` weakly too: ``threshold: "3"`` is 3."""
    plugins = reader.mapping(root.get("plugins"), ("plugins",))
    path: KeyPath = ("plugins", "restartPolicy")
    policy = reader.mapping(plugins.get("restartPolicy"), path)
    given = "restartPolicy" in plugins or "healthCheckInterval" in plugins
    kind = policy.get("type")
    raw = policy.get("threshold")
    threshold = 10
    if isinstance(raw, int) and not isinstance(raw, bool):
        threshold = raw
    elif isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        threshold = int(raw)
    elif raw is not None:
        raise reader.doc.error((*path, "threshold"), f"expected a number, got {_kind(raw)}")
    return RestartPolicy(
        path,
        given,
        "DeactivatePlugin" if kind is None else reader.string(kind, (*path, "type")),
        threshold,
    )


def active_kubernetes_sources(
    doc: YamlDocument | Mapping[str, Any], botkube_version: str
) -> tuple[str, ...]:
    """THE rule for which ``botkube/kubernetes`` sources run, shared by ``lint``, ``values`` (the
    webhook bindings) and the scenario loader: the chart-coalesced plugin is enabled and the
    source is bound (see :meth:`ValuesModel.active`)."""
    return read_values(doc, botkube_version).active()
