"""What the ``botkube/kubernetes`` source plugin does with a config, version by version.

Restated from upstream ``internal/source/kubernetes`` (router.go, registration.go, source.go,
configuration_store.go) and the agent's scheduler at every v1.x tag; what differs between tags is
in ``versions.py``.

* The agent starts a source only when an enabled platform (or an enabled action) binds it, and only
  if its ``botkube/kubernetes`` entry is ``enabled``. Every started kubernetes source is handed to
  ONE plugin process: a crash or exit takes every kubernetes source down.
* Before the plugin sees a source, the agent builds its kubeconfig from ``context.rbac``. With
  none, the plugin's ``Stream`` refuses the source before storing it (from v1.0.1): it never runs,
  has no informers and cannot crash anything (v1.0.0 instead exits). A source whose ``config``
  the plugin's weak decoder cannot read is refused the same way, one step later.
* Routing tables: up to v1.9.1 each stream builds its own over its own source; from v1.10.0 one
  per kubeconfig over every stored source, rebuilt on each ``Stream``. Building a table reads each
  resource's effective event types: the resource's own ``event.types`` if non-empty, otherwise
  the source-level ``event.types`` (replace, no union); ``all`` becomes create, update, delete,
  error. Up to v1.13.0 this reads the source-level ``event`` through a pointer the plugin never
  defaults, so a source with ``resources`` and no ``event`` panics (nil dereference, exit status
  2) before any informer exists. v1.14.0 checks it.
* Informers: a resource gets one if a source in its table gives it ``create``, ``update`` or
  ``delete``, spelled exactly so. Only those types are turned into a GroupVersionResource and
  looked up in the REST mapper: a malformed or unknown type makes the process log and
  ``os.Exit(1)``; a type the mapper matches only loosely (case, singular, another group of the
  same version) passes and leaves an informer that lists a missing path forever. ``error``
  registers one informer on core ``v1/events`` and forwards only ``Warning`` Events whose
  involvedObject is such a resource (the resource's own type string is never checked).
  ``normal``, ``warning``, ``info`` and any other spelling have no informer path at all.
* Order: from v1.10.0 the first failing source in the agent's sorted stream order decides between
  exit and crash, and later ones never run; before, a panic always comes first.
* Matching a change or Event to a source: the resource-level ``event`` replaces the source-level
  one as a whole when it defines any reason or message constraint; then reason, message, resource
  name, namespace, annotations and labels must pass. For a Warning Event the labels are the core
  Event object's own (controllers set none), so any ``labels`` filter drops every ``error``
  event. Object changes carry an empty reason and no message, so a ``reason.include`` or
  ``message.include`` that does not match ``""`` drops them. Up to v1.2.0 a route without any
  namespace constraints panics at this step (registration.go:194).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from pytest_botkube.model.apis import NO_CRDS, CrdAssumption, check_type
from pytest_botkube.model.config import (
    PLUGIN_NAME,
    Binding,
    Constraints,
    DecodeNote,
    EventSpec,
    KubernetesConfig,
    RbacRule,
    ResourceSpec,
    SourceSpec,
    ValuesModel,
    chart_default_source_names,
    chart_default_sources,
    read_values,
)
from pytest_botkube.model.events import Forwarding, Happening
from pytest_botkube.model.keys import file_findings
from pytest_botkube.model.versions import (
    DEFAULT_KUBERNETES_VERSION,
    FIRST_FIXED_VERSION,
    KNOWN_BOTKUBE_VERSIONS,
    empty_rbac_means_no_kubeconfig,
    first_route_decides,
    format_kubernetes_version,
    has_health_monitor,
    has_nil_event_panic,
    has_nil_namespaces_panic,
    health_monitor_path,
    nil_event_panic_site,
    nil_namespaces_panic_site,
    normalize_botkube_version,
    parse_kubernetes_version,
    plugin_checks_kubeconfig,
    route_lookup_ignores_case,
    shared_router,
    source_url,
)
from pytest_botkube.yamlio import KeyPath, YamlDocument, format_key_path

Severity = Literal["error", "warning", "info"]
ProcessVerdict = Literal["crash", "exit", "healthy", "not-started", "refused"]
SourceVerdict = Literal["crash", "exit", "healthy", "inactive", "refused", "rejected"]

#: Verdicts in which the plugin process runs and then dies (the restart/deactivate loop).
PLUGIN_DOWN: frozenset[str] = frozenset({"crash", "exit"})
#: Findings that mean the agent rejects the whole configuration at start (nothing runs).
REFUSING_CODES: frozenset[str] = frozenset({"BK022", "BK029"})

INFORMER_TYPES: tuple[str, ...] = ("create", "update", "delete", "error")
OBJECT_ACTIONS: tuple[str, ...] = ("create", "update", "delete")

ISSUE_NIL_EVENT = "https://github.com/kubeshop/botkube/issues/1474"
ISSUE_ONE_PROCESS = "https://github.com/kubeshop/botkube/issues/1080"
K8S_DEPRECATION_GUIDE = "https://kubernetes.io/docs/reference/using-api/deprecation-guide/"
DOCS_KUBERNETES_SOURCE = "https://docs.botkube.io/configuration/source/kubernetes"

#: Reasons of core Events that Kubernetes controllers emit with type Normal.
NORMAL_REASONS: frozenset[str] = frozenset(
    {
        "SuccessfulRescale",
        "ScalingReplicaSet",
        "SuccessfulCreate",
        "SuccessfulDelete",
        "Scheduled",
        "Pulling",
        "Pulled",
        "Created",
        "Started",
        "Killing",
        "Completed",
        "SawCompletedJob",
        "NodeReady",
        "RegisteredNode",
        "LeaderElection",
    }
)


@dataclass(frozen=True)
class Finding:
    """One thing ``lint`` has to say, under a code that never changes meaning."""

    code: str
    name: str
    severity: Severity
    path: KeyPath
    message: str
    fix: str
    upstream: str
    where: str = ""  # "file:line: key.path", filled in by analyze()

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "path": format_key_path(self.path),
            "where": self.where,
            "message": self.message,
            "fix": self.fix,
            "upstream": self.upstream,
        }


@dataclass
class SourceReport:
    name: str
    enabled: bool
    bound: bool
    verdict: SourceVerdict
    informers: dict[str, list[str]]
    findings: list[Finding]
    origin: str = "values"
    started: bool = False
    cause: ProcessVerdict | None = None  # what this source itself does to the process
    carriers: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "enabled": self.enabled,
            "bound": self.bound,
            "verdict": self.verdict,
            "informers": {k: list(v) for k, v in self.informers.items()},
            "findings": [f.to_json() for f in self.findings],
            "origin": self.origin,
            "started": self.started,
            "cause": self.cause,
            "bound_by": list(self.carriers),
        }


@dataclass(frozen=True)
class _Route:
    """One (source, resource entry, raw event type) row of the plugin's routing table."""

    source: str
    resource: str
    raw_type: str
    type_path: KeyPath
    entry: ResourceSpec | None  # None for a recommendation route
    event: EventSpec | None  # after the override rule
    namespaces: Constraints | None
    name: Constraints
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    update_fields: tuple[str, ...] = ()


#: Resource types with objects in every cluster from the start (the control plane's own in
#: kube-system, kube-node-lease and default): a create informer on one of them gets every
#: existing object from its first list, so a panic in the create path comes right after start.
ALWAYS_PRESENT: frozenset[str] = frozenset(
    {
        "v1/pods",
        "v1/namespaces",
        "v1/nodes",
        "v1/services",
        "v1/endpoints",
        "v1/configmaps",
        "v1/serviceaccounts",
        "v1/secrets",
        "apps/v1/deployments",
        "apps/v1/replicasets",
        "apps/v1/daemonsets",
        "coordination.k8s.io/v1/leases",
        "discovery.k8s.io/v1/endpointslices",
        "scheduling.k8s.io/v1/priorityclasses",
        "rbac.authorization.k8s.io/v1/clusterroles",
        "rbac.authorization.k8s.io/v1/clusterrolebindings",
        "rbac.authorization.k8s.io/v1/roles",
        "rbac.authorization.k8s.io/v1/rolebindings",
    }
)


@dataclass(frozen=True)
class PanicCause:
    """Which nil read panics the plugin because of one source, and when, as the source at the tag
    says. ``mergeResourceEvents`` (no source-level ``event``) runs while the routing table is
    built, before any informer exists; ``matchEvent``'s nil namespaces (v1.0.0-v1.2.0) waits
    for an event that reaches a route without namespaces, and until then the process delivers
    what its other routes match."""

    function: str  # the Go function the trace ends in
    site: str  # file:line at the tag
    at_start: bool  # nothing can be delivered before it
    when: str  # clause for messages: "before any informer starts", "on the first ..."
    routes: tuple[_Route, ...] = ()  # matchEvent: the routes without namespaces an event reaches


@dataclass
class Analysis:
    """The model's prediction for one values file on one BotKube and Kubernetes version."""

    file: str
    botkube_version: str
    kubernetes_version: str
    verdict: ProcessVerdict
    sources: list[SourceReport]
    findings: list[Finding]  # about the file as a whole (bindings, partial overlay)
    model: ValuesModel
    _routes: list[_Route] = field(default_factory=list, repr=False)
    _tables: dict[str, dict[str, set[str]]] = field(default_factory=dict, repr=False)
    _configs: dict[str, KubernetesConfig] = field(default_factory=dict, repr=False)
    crds: CrdAssumption = NO_CRDS
    _panics: dict[str, PanicCause] = field(default_factory=dict, repr=False)

    @property
    def exit_code(self) -> int:
        """1 when the process fails or the agent refuses the config, or for any error finding;
        0 otherwise (``healthy``, and ``not-started``: nothing runs, so nothing can crash)."""
        if self.verdict in PLUGIN_DOWN or self.verdict == "refused":
            return 1
        every = [*self.findings, *(f for s in self.sources for f in s.findings)]
        return 1 if any(f.severity == "error" for f in every) else 0

    @property
    def panics(self) -> dict[str, PanicCause]:
        """The panic each crash-causing source brings (function, site, when); empty unless the
        verdict is ``crash``. Triage and forwarding read it, so they name the same panic."""
        return dict(self._panics)

    def first_panic(self) -> PanicCause | None:
        """The panic that comes first: one at start beats one that waits for an event."""
        causes = [self._panics[name] for name in sorted(self._panics)]
        return next((c for c in causes if c.at_start), causes[0] if causes else None)

    def crash_clause(self) -> str:
        """What follows "the plugin panics" in a one-line ``crash`` headline: nothing is delivered
        when the panic comes at start; a panic that waits for an event lets earlier ones through."""
        panic = self.first_panic()
        if panic is None or panic.at_start:
            return "; no kubernetes source delivers anything"
        return (
            f" on the first event that reaches a route without namespaces ({panic.function}, "
            f"{panic.site}): until then the other routes deliver, after it no kubernetes source "
            "does"
        )

    def source(self, name: str) -> SourceReport:
        for report in self.sources:
            if report.name == name:
                return report
        raise KeyError(name)

    def all_findings(self) -> list[Finding]:
        return [*self.findings, *(f for s in self.sources for f in s.findings)]

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "botkube_version": self.botkube_version,
            "kubernetes_version": self.kubernetes_version,
            "verdict": self.verdict,
            "partial_overlay": self.model.partial_overlay,
            "crds": {
                "assume_all": self.crds.everything,
                "served": ["/".join(gvr) for gvr in sorted(self.crds.served)],
            },
            "sources": [s.to_json() for s in self.sources],
            "findings": [f.to_json() for f in self.findings],
        }


def _since(version: str, first: str) -> bool:
    return KNOWN_BOTKUBE_VERSIONS.index(version) >= KNOWN_BOTKUBE_VERSIONS.index(first)


# --------------------------------------------------------------------------- matching helpers


@cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def allows(constraints: Constraints, value: str) -> bool:
    """Upstream ``IsAllowed``: exclude first (blank entries skipped), then include; exact or regexp.

    A pattern Go cannot compile makes the route error out, which drops the event: modelled as no.
    """
    for pattern in constraints.exclude:
        if not pattern.strip():
            continue
        if pattern == value:
            return False
        compiled = _compiled(pattern)
        if compiled is None or compiled.search(value):
            return False
    for pattern in constraints.include:
        if pattern == value:
            return True
        compiled = _compiled(pattern)
        if compiled is not None and compiled.search(value):
            return True
    return False


def expand_types(types: Iterable[str]) -> list[str]:
    out: list[str] = []
    for t in types:
        out.extend(INFORMER_TYPES if t == "all" else (t,))
    return out


def effective_types(
    source_event: EventSpec | None, resource_event: EventSpec
) -> list[tuple[str, KeyPath]]:
    """The resource's types if any, else the source's (replace, not union); ``all`` expanded."""
    if resource_event.types:
        chosen = zip(resource_event.types, resource_event.types_paths, strict=True)
    elif source_event is not None:
        chosen = zip(source_event.types, source_event.types_paths, strict=True)
    else:
        return []
    out: list[tuple[str, KeyPath]] = []
    for raw, path in chosen:
        out.extend((t, path) for t in expand_types([raw]))
    return out


def effective_event(source_event: EventSpec | None, resource_event: EventSpec) -> EventSpec | None:
    """Any reason/message constraint at resource level replaces the source-level ``event`` whole."""
    return resource_event if resource_event.constraints_defined else source_event


# --------------------------------------------------------------------------- analysis


class _Analyzer:
    def __init__(
        self,
        model: ValuesModel,
        version: str,
        kube: tuple[int, int],
        crds: CrdAssumption = NO_CRDS,
    ) -> None:
        self.model = model
        self.crds = crds
        self.doc: YamlDocument = model.document
        self.version = version
        self.kube = kube
        self.kube_text = format_kubernetes_version(kube)
        self.panics = has_nil_event_panic(version)
        self.ignore_case = route_lookup_ignores_case(version)
        self.shared = shared_router(version)
        self.checks_kubeconfig = plugin_checks_kubeconfig(version)
        self.chart_sources = frozenset(chart_default_source_names(version))
        self.rejected: set[str] = set()
        self.panic_causes: dict[str, PanicCause] = {}
        self.findings: dict[str, list[Finding]] = {}
        self.doc_findings: list[Finding] = []
        self._seen: set[tuple[str, str, KeyPath]] = set()

    # -- findings ---------------------------------------------------------------------------

    def add(
        self,
        source: str | None,
        code: str,
        name: str,
        severity: Severity,
        path: KeyPath,
        message: str,
        fix: str,
        upstream: str,
    ) -> None:
        key = (source or "", code, path)
        if key in self._seen:
            return
        self._seen.add(key)
        finding = Finding(code, name, severity, path, message, fix, upstream, self.where(path))
        if source is None:
            self.doc_findings.append(finding)
        else:
            self.findings.setdefault(source, []).append(finding)

    def where(self, path: KeyPath) -> str:
        """``file:line: key.path``; for a value the file does not hold but the chart's default
        source does, say so instead of pointing at a line that does not hold it."""
        if path in self.doc.lines or len(path) < 2 or path[0] != "sources":
            return self.doc.where(path)
        node: Any = chart_default_sources(self.version)
        for part in path[1:]:
            if (isinstance(node, Mapping) and part in node) or (
                isinstance(node, list) and isinstance(part, int) and part < len(node)
            ):
                node = node[part]  # type: ignore[index]
            else:
                return self.doc.where(path)  # a key missing from both: where it would go
        return (
            f"{self.doc.name}: from the chart's default source {path[1]} "
            f"({format_key_path(path)}, not in this file)"
        )

    def reading_findings(self) -> None:
        """How Helm reads the file (model/keys.py): under the source a key path names, if any."""
        for f in file_findings(self.doc, self.version):
            alias = f.path[1] if len(f.path) > 1 and f.path[0] == "sources" else None
            source = alias if isinstance(alias, str) and alias in self.model.sources else None
            self.add(source, f.code, f.name, f.severity, f.path, f.message, f.fix, f.upstream)

    def url(self, path: str, line: int | None = None) -> str:
        return source_url(self.version, path, line)

    # -- routing table ----------------------------------------------------------------------

    def routes_for(self, spec: SourceSpec, config: KubernetesConfig) -> list[_Route]:
        routes: list[_Route] = []
        for entry in config.resources:
            event = effective_event(config.event, entry.event)
            namespaces = entry.namespaces if entry.namespaces.defined else config.namespaces
            labels = entry.labels or config.labels
            annotations = entry.annotations or config.annotations
            for raw, path in effective_types(config.event, entry.event):
                routes.append(
                    _Route(
                        spec.name,
                        entry.type,
                        raw,
                        path,
                        entry,
                        event,
                        namespaces,
                        entry.name,
                        labels,
                        annotations,
                        entry.update_fields if raw == "update" else (),
                    )
                )
        for resource, raw in config.recommendations.resources().items():
            routes.append(
                _Route(
                    spec.name,
                    resource,
                    raw,
                    (*config.path, "recommendations"),
                    None,
                    None,
                    config.namespaces,
                    Constraints(),
                    {},
                    {},
                )
            )
        return routes

    def matches(self, raw: str, wanted: str) -> bool:
        return raw == wanted or (self.ignore_case and raw.lower() == wanted)

    def reaches(self, route: _Route, wanted: str, table: Mapping[str, set[str]]) -> bool:
        """Does ``route`` receive ``wanted`` (a lower-case informer type) in this process?"""
        if not self.matches(route.raw_type, wanted):
            return False
        registered = table.get(route.resource, set())
        if wanted == "error":
            return "error" in registered
        return bool(registered & set(OBJECT_ACTIONS))

    # -- the whole file ---------------------------------------------------------------------

    def kubeconfig_gap(self, spec: SourceSpec) -> str | None:
        """Why the agent generates no kubeconfig for ``spec`` (None: it does)."""
        rbac = spec.context.rbac
        if rbac is None:
            own = spec.origin == "values" and spec.name not in self.chart_sources
            where = "has no context" if not spec.context.given else "has no context.rbac"
            return where + (" (an alias you add gets none from the chart)" if own else "")
        if rbac.types_empty and empty_rbac_means_no_kubeconfig(self.version):
            return "has a context.rbac that names neither a user nor a group type"
        return None

    def table_key(self, spec: SourceSpec) -> str:
        """Which routing table ``spec`` lands in: from v1.10.0 one per kubeconfig (sources with
        equal RBAC share it), before that one per stream."""
        if self.shared:
            return repr(spec.context.rbac)
        return f"source:{spec.name}"

    def run(self) -> Analysis:
        model = self.model
        self.reading_findings()
        specs = [s for s in model.sources.values() if s.plugin_key is not None]
        specs.sort(key=lambda s: (s.origin != "values",))
        dispatched = [s for s in specs if model.is_active(s.name)]  # the one rule (config.py)
        started: list[SourceSpec] = []
        no_client: list[SourceSpec] = []  # v1.0.0: streamed without a kubeconfig
        for spec in dispatched:
            gap = self.kubeconfig_gap(spec)
            if gap is not None and self.checks_kubeconfig:
                self.reject_without_kubeconfig(spec, gap)
            elif spec.config is None:
                self.reject_config(spec)
            elif gap is not None:
                no_client.append(spec)
                self.exit_without_kubeconfig(spec, gap)
            else:
                started.append(spec)
        started_names = {s.name for s in started}

        routes: list[_Route] = []
        configs: dict[str, KubernetesConfig] = {}
        for spec in specs:
            if spec.config is not None:
                configs[spec.name] = spec.config
        per_source_routes = {
            spec.name: self.routes_for(spec, configs[spec.name])
            for spec in specs
            if spec.name in configs
        }
        by_key: dict[str, dict[str, set[str]]] = {}
        tables: dict[str, dict[str, set[str]]] = {}
        for spec in started:
            table = by_key.setdefault(self.table_key(spec), {})
            tables[spec.name] = table
            for route in per_source_routes[spec.name]:
                table.setdefault(route.resource, set()).add(route.raw_type)
                routes.append(route)

        crash_causes = self.crash_causes(started, per_source_routes, tables)
        exit_causes = self.exit_causes(started, per_source_routes, tables)
        exit_causes |= {s.name for s in no_client}
        crash_causes, exit_causes, latent = self.in_stream_order(
            [*started, *no_client], crash_causes, exit_causes
        )
        verdict: ProcessVerdict = "crash" if crash_causes else "exit" if exit_causes else "healthy"

        self.binding_findings(specs)
        self.restart_policy_findings()
        if any(f.code in REFUSING_CODES and f.severity == "error" for f in self.doc_findings):
            verdict = "refused"  # the agent never starts: no plugin process at all
        elif not started and not no_client:
            verdict = "not-started"
        for spec in specs:
            self.decode_findings(spec)
            self.source_findings(
                spec,
                spec.name in started_names,
                per_source_routes.get(spec.name, []),
                tables.get(spec.name),
            )

        reports: list[SourceReport] = []
        for spec in specs:
            is_started = spec.name in started_names
            own: ProcessVerdict | None = (
                "crash"
                if spec.name in crash_causes
                else "exit"
                if spec.name in exit_causes
                else None
            )
            if is_started and verdict in PLUGIN_DOWN and own is None and spec.name not in latent:
                culprits = sorted(crash_causes or exit_causes)
                what = "panics" if verdict == "crash" else "exits with status 1"
                self.add(
                    spec.name,
                    "BK030",
                    "collateral-damage",
                    "error",
                    spec.plugin_path,
                    f"this source is fine on its own, but it runs in the one botkube/kubernetes "
                    f"plugin process, which {what} because of {', '.join(culprits)}; it delivers "
                    "nothing while that lasts",
                    f"fix {', '.join(culprits)}; every kubernetes source shares the process",
                    ISSUE_ONE_PROCESS,
                )
            refused = spec.name in self.rejected
            informers = (
                {entry.type: [] for entry in spec.config.resources}
                if refused and spec.config is not None
                else {}
                if refused
                else self.informers_of(
                    per_source_routes.get(spec.name, []), spec, tables.get(spec.name), is_started
                )
            )
            source_verdict: SourceVerdict = (
                "rejected"
                if refused and verdict != "refused"
                else self.source_verdict(verdict, is_started or own is not None)
            )
            reports.append(
                SourceReport(
                    name=spec.name,
                    enabled=spec.enabled,
                    bound=model.bound(spec.name),
                    verdict=source_verdict,
                    informers=informers,
                    findings=self.findings.get(spec.name, []),
                    origin=spec.origin,
                    started=is_started,
                    cause=own,
                    carriers=model.carriers(spec.name)
                    or (
                        ["partial overlay"]
                        if model.partial_overlay and spec.name in model.overlay_sources
                        else []
                    ),
                )
            )
        if not started and not no_client:
            rejected = sorted(self.rejected)
            self.add(
                None,
                "BK024",
                "no-kubernetes-source-started",
                "info",
                ("communications",) if not model.partial_overlay else ("sources",),
                (
                    f"every bound botkube/kubernetes source is rejected ({', '.join(rejected)}), "
                    "so the plugin process runs no source"
                    if rejected
                    else "no enabled botkube/kubernetes source is bound to an enabled platform, "
                    "so the plugin process is never started"
                ),
                "fix the rejected sources (see their findings)"
                if self.rejected
                else "bind a source under an enabled platform's bindings.sources",
                self.url("internal/source/scheduler.go", 170),
            )
        for note in model.notes:
            self.weak_finding(None, note)
        return Analysis(
            file=self.doc.name,
            botkube_version=self.version,
            kubernetes_version=self.kube_text,
            verdict=verdict,
            sources=reports,
            findings=self.doc_findings,
            model=model,
            _routes=routes,
            _tables=tables,
            _configs=configs,
            crds=self.crds,
            _panics={n: c for n, c in self.panic_causes.items() if n in crash_causes},
        )

    @staticmethod
    def source_verdict(verdict: ProcessVerdict, started: bool) -> SourceVerdict:
        if not started or verdict == "not-started":
            return "inactive"
        return verdict

    # -- stream order ----------------------------------------------------------------------

    def stream_keys(self, names: set[str]) -> list[str]:
        """The agent's dispatch keys ``<alias>_interactive/<bool>`` of ``names``, sorted byte-wise
        as ``maputil.SortKeys`` sorts them (a partial overlay: the suite's one webhook)."""
        model = self.model
        keys = {
            f"{b.source}_interactive/{'true' if b.interactive else 'false'}"
            for b in model.bindings
            if b.source in names
        }
        if model.partial_overlay:
            keys |= {f"{n}_interactive/false" for n in names if n in model.overlay_sources}
        return sorted(keys, key=lambda k: k.encode())

    def in_stream_order(
        self, running: list[SourceSpec], crash: set[str], exits: set[str]
    ) -> tuple[set[str], set[str], set[str]]:
        """Which failing source decides, given the order the streams open in.

        From v1.10.0 (``sorted``) each ``Stream`` stores its source and restarts the background
        run over every source stored so far; a run does not check for cancellation before it
        panics (building the table) or exits (registering informers, then ``exitOnError``'s 2 s
        sleep and ``os.Exit(1)``), and the next ``Stream`` waits for it. So the first stream, in
        sorted key order, whose source is crash- or exit-shaped decides, and later sources never
        run. Before v1.10.0 every stream runs alone at once: a panic is immediate while an exit
        first asks discovery and sleeps 2 s, so any crash-shaped source wins, whatever the order.

        Returns the deciding causes and the failing sources that never get to fail (``latent``).
        """
        failing = crash | exits
        if len(failing) < 1:
            return crash, exits, set()
        names = {s.name for s in running}
        keys = self.stream_keys(names)
        order: list[str] = []
        for key in keys:
            alias = key.rsplit("_interactive/", 1)[0]
            if alias in names and alias not in order:
                order.append(alias)
        order.extend(sorted(names - set(order)))
        shown = ", ".join(keys)
        if self.shared:
            ranked = [n for n in order if n in failing]
            first = ranked[0]
            later = ranked[1:]
            kind = "crash" if first in crash else "exit"
            what = "panics" if kind == "crash" else "exits with status 1"
            after = order[order.index(first) + 1 :]
            if later:
                self.add(
                    first,
                    "BK034",
                    "stream-order-decides",
                    "warning",
                    self.model.sources[first].plugin_path,
                    f"the outcome depends on stream order: the agent opens streams in sorted "
                    f"order of <alias>_interactive/<bool> ({shown}) and each Stream restarts the "
                    f"run over the sources stored so far; {first!r} sorts before "
                    f"{', '.join(repr(n) for n in later)}, so the process {what} before any run "
                    "contains them (renaming the aliases changes which failure you see)",
                    "fix every failing source; do not rely on the order of aliases",
                    self.url("internal/source/scheduler.go", 144),
                )
            elif kind == "crash" and after:
                self.add(
                    first,
                    "BK034",
                    "stream-order-decides",
                    "info",
                    self.model.sources[first].plugin_path,
                    f"{first!r} is not the last stream the agent opens ({shown}): the streams "
                    f"after it ({', '.join(after)}) are opened against a process that may have "
                    "just died, and the agent can then fail its start-up ('while starting source "
                    "plugin event dispatcher') instead of restarting the plugin",
                    "expect a race at start-up; the scenarios name the failing source last",
                    self.url("internal/source/scheduler.go", 144),
                )
            if kind == "crash":
                return {first}, set(), set(later)
            return set(), {first}, set(later)
        if crash and exits:
            first = sorted(crash)[0]
            self.add(
                first,
                "BK034",
                "stream-order-decides",
                "info",
                self.model.sources[first].plugin_path,
                f"on {self.version} every stream builds its own routing table at once, so this "
                f"panic comes before {', '.join(sorted(exits))} can exit (an exit asks discovery "
                "and then sleeps 2 s): the crash wins whatever the order of the streams",
                "fix every failing source",
                self.url("internal/source/kubernetes/source.go"),
            )
            return crash, set(), exits
        return crash, exits, set()

    # -- sources the plugin never runs ---------------------------------------------------------

    def kubeconfig_url(self) -> str:
        old = not _since(self.version, "v1.9.0")
        path = "internal/plugin/kubeconfig.go" if old else "pkg/plugin/kubeconfig.go"
        line = 22 if not _since(self.version, "v1.3.0") else 26 if old else 34
        return self.url(path, line)

    def reject_without_kubeconfig(self, spec: SourceSpec, gap: str) -> None:
        self.rejected.add(spec.name)
        self.no_kubeconfig(
            spec,
            f"this source {gap}, so the agent generates no kubeconfig for it and the plugin's "
            "Stream refuses it before storing its config; the agent logs 'canceling streaming: "
            "The kubeconfig data is missing ...' (#1048). The source never runs: no informers, "
            "nothing delivered, and it cannot crash or stop the plugin process. A live run of "
            "this file reproduces that rejection, not a panic",
        )

    def exit_without_kubeconfig(self, spec: SourceSpec, gap: str) -> None:
        self.no_kubeconfig(
            spec,
            f"this source {gap}, so the agent generates no kubeconfig for it; {self.version}'s "
            "Stream does not check that, and the source's goroutine cannot build a Kubernetes "
            "client from an empty kubeconfig ('no configuration has been provided'): the plugin "
            "process exits with status 1 about 2 s after start, taking every kubernetes source "
            "with it",
        )

    def no_kubeconfig(self, spec: SourceSpec, message: str) -> None:
        self.add(
            spec.name,
            "BK026",
            "no-rbac-context",
            "error",
            spec.context.path if spec.context.given else spec.plugin_path,
            message,
            "give the plugin a context, e.g. the chart's: context.rbac.group {type: Static, "
            "prefix: '', static: {values: [botkube-plugins-default]}}",
            self.kubeconfig_url(),
        )

    def reject_config(self, spec: SourceSpec) -> None:
        problem = spec.rejected
        if problem is None:  # pragma: no cover - config is None only with a rejection
            return
        self.rejected.add(spec.name)
        self.add(
            spec.name,
            "BK027",
            "config-rejected",
            "error",
            problem.path,
            f"the plugin cannot decode this source's config ({problem.message}): merging the "
            "config fails, Stream returns the error before the source is stored, and the agent "
            "logs 'canceling streaming: while merging input configs: ...'. The source never "
            "runs: no informers, nothing delivered, no crash",
            "write the value with the type the plugin expects (see the plugin's config reference)",
            self.url("internal/source/kubernetes/config/config.go"),
        )

    def decode_findings(self, spec: SourceSpec) -> None:
        if spec.origin != "values":
            return
        for note in spec.notes:
            self.weak_finding(spec.name, note)

    def weak_finding(self, source: str | None, note: DecodeNote) -> None:
        self.add(
            source,
            "BK028",
            "weakly-typed-value",
            "info",
            note.path,
            f"BotKube accepts this through its weakly typed decoder (koanf + mapstructure): "
            f"{note.message}",
            "write the value in the type BotKube expects to say what you mean",
            DOCS_KUBERNETES_SOURCE,
        )

    def informers_of(
        self,
        routes: list[_Route],
        spec: SourceSpec,
        table: Mapping[str, set[str]] | None,
        started: bool,
    ) -> dict[str, list[str]]:
        """Lower-case informer types per resource this source receives (as if started)."""
        if not started or table is None:
            # What the source would get if it ran alone with its own table.
            table = {}
            for route in routes:
                table.setdefault(route.resource, set()).add(route.raw_type)
        # Every resource the source names is a key, ``[]`` when it gets no informer (an empty
        # effective type list leaves no route at all, but the resource is still part of the
        # contract): a consumer can tell "watched, nothing registered" from "not configured".
        out: dict[str, set[str]] = {}
        if spec.config is not None:
            for entry in spec.config.resources:
                out.setdefault(entry.type, set())
        for route in routes:
            got = out.setdefault(route.resource, set())
            got.update(t for t in INFORMER_TYPES if self.reaches(route, t, table))
        return {resource: sorted(types) for resource, types in out.items()}

    # -- crash and exit ---------------------------------------------------------------------

    def aftermath(self) -> str:
        """What the agent does once the plugin process is dead, on this version and policy.

        From v1.4.0 the health watcher pings the plugin every ``plugins.healthCheckInterval``
        (under 1 s: 10 s) and the supervisor's ``shouldRestartPlugin`` decides, by the policy
        type compared lower-cased: ``DeactivatePlugin`` restarts while the count is below the
        threshold and then deactivates; ``RestartAgent`` restarts until the count reaches it,
        then exits the agent (``log.Fatalf``); any other type logs "Unknown restart policy" and
        restarts nothing. Before v1.4.0 there is no health monitor at all."""
        policy = self.model.restart_policy
        if not has_health_monitor(self.version):
            return (
                f"{self.version} has no plugin health monitor (it comes with v1.4.0), so nothing "
                "restarts or deactivates it: the plugin stays dead until the agent restarts"
            )
        kind = policy.type.lower()
        if kind == "deactivateplugin":
            return (
                f"the agent restarts it {policy.threshold} times (plugins.restartPolicy."
                "threshold), then deactivates it"
            )
        if kind == "restartagent":
            return (
                f"the agent restarts it {policy.threshold} times, then exits itself "
                "(restartPolicy RestartAgent) and the pod restarts"
            )
        return (
            f"the agent knows no restart policy {policy.type!r} ('Unknown restart policy'), so "
            "it never restarts it: the plugin stays dead"
        )

    def restart_policy_findings(self) -> None:
        policy = self.model.restart_policy
        if not policy.given:
            return
        if not has_health_monitor(self.version):
            self.add(
                None,
                "BK035",
                "restart-policy-ignored",
                "info",
                ("plugins",),
                f"plugins.restartPolicy and plugins.healthCheckInterval exist from v1.4.0; "
                f"{self.version}'s agent ignores them and never restarts a dead plugin",
                "upgrade to v1.4.0 or later for restarts and deactivation",
                self.url("pkg/config/config.go"),
            )
        elif policy.type.lower() not in {"deactivateplugin", "restartagent"}:
            self.add(
                None,
                "BK036",
                "unknown-restart-policy",
                "warning",
                (*policy.path, "type"),
                f"restart policy {policy.type!r} is neither DeactivatePlugin nor RestartAgent "
                "(compared case-insensitively): the health monitor logs 'Unknown restart "
                "policy' and never restarts a plugin that dies",
                "use DeactivatePlugin or RestartAgent",
                self.url(health_monitor_path(self.version) or "pkg/plugin/health_monitor.go"),
            )

    def crash_causes(
        self,
        started: list[SourceSpec],
        per_source: Mapping[str, list[_Route]],
        tables: Mapping[str, Mapping[str, set[str]]],
    ) -> set[str]:
        causes: set[str] = set()
        site = nil_event_panic_site(self.version)
        for spec in started:
            cfg = spec.config
            if cfg is None:
                continue
            if cfg.event is None and cfg.resources and site is not None:
                causes.add(spec.name)
                self.panic_causes[spec.name] = PanicCause(
                    "mergeResourceEvents",
                    site.rsplit("/", 1)[-1],
                    True,
                    "while it builds the routing table, before any informer starts",
                )
                self.add(
                    spec.name,
                    "BK001",
                    "nil-event-panic",
                    "error",
                    (*cfg.path, "event"),
                    f"source has {len(cfg.resources)} resources but no top-level config.event: "
                    f"BotKube {self.version} dereferences the missing event in mergeResourceEvents "
                    f"({site.rsplit('/', 1)[-1]}) and the botkube/kubernetes plugin panics "
                    "(SIGSEGV, exit status 2) before any informer starts; "
                    f"{self.aftermath()}",
                    "add a top-level config.event with types (e.g. types: [create, delete, error]),"
                    f" or upgrade to {FIRST_FIXED_VERSION}",
                    ISSUE_NIL_EVENT,
                )
                continue
            if not has_nil_namespaces_panic(self.version) or cfg.namespaces is not None:
                continue
            cause = self.nil_namespaces_cause(per_source[spec.name], tables.get(spec.name, {}))
            if cause is None:
                continue
            causes.add(spec.name)
            self.panic_causes[spec.name] = cause
            first = cause.routes[0]
            path = first.entry.path if first.entry is not None else first.type_path
            before = (
                "nothing is delivered before it"
                if cause.at_start
                else "until then the plugin delivers what its routes match; after it, nothing"
            )
            self.add(
                spec.name,
                "BK031",
                "nil-namespaces-panic",
                "error",
                path,
                f"neither the source nor {first.resource!r} sets namespaces: BotKube "
                f"{self.version} reads the route's missing namespace constraints in "
                f"matchEvent ({cause.site}) and the plugin panics (SIGSEGV, exit status 2) "
                f"{cause.when}; {before}. {self.aftermath()}",
                "add config.namespaces.include: ['.*'] (or the namespaces you watch), or "
                "upgrade to v1.3.0 or later",
                self.url("internal/source/kubernetes/registration.go", 194),
            )
        return causes

    def nil_namespaces_cause(
        self, routes: list[_Route], table: Mapping[str, set[str]]
    ) -> PanicCause | None:
        """When v1.0.0-v1.2.0's ``matchEvent`` reaches a route without namespaces, if ever.

        Per resource and informer type the routes are walked in table order (the resource
        entries' order). An event reaches route k only past routes that neither rejected it
        (reason, message, name or namespace: ``return false`` ends the walk) nor passed it (no
        labels or annotations to miss: ``return true``), so a route without namespaces is
        reachable when every route before it filters on labels or annotations. Object changes
        carry an empty reason and no message, so a reason or message filter that refuses the
        empty string keeps them from it. The create handler runs the check before it skips
        objects older than the start, so existing objects (replayed by the informer's first
        list) reach it at once; an update route gets every object again at each resync
        (``informerResyncPeriod``, 30 min by default)."""
        site = nil_namespaces_panic_site(self.version)
        if site is None:
            return None
        bare: list[tuple[_Route, str, bool]] = []
        for resource in dict.fromkeys(r.resource for r in routes):
            for wanted in INFORMER_TYPES:
                walk = [
                    r for r in routes if r.resource == resource and self.reaches(r, wanted, table)
                ]
                for k, route in enumerate(walk):
                    if route.namespaces is not None:
                        if route.labels or route.annotations:
                            continue  # an event can miss its labels and go on
                        break  # every event ends here: later routes are never reached
                    empty_ok = route.event is None or (
                        (not route.event.reason.defined or allows(route.event.reason, ""))
                        and (not route.event.message.defined or allows(route.event.message, ""))
                    )
                    if wanted != "error" and not empty_ok:
                        break  # object changes never pass this route's reason/message filter
                    at_start = (
                        wanted == "create"
                        and k == 0
                        and resource in ALWAYS_PRESENT
                        and not route.name.defined
                    )
                    bare.append((route, wanted, at_start))
                    break
        if not bare:
            return None
        early = [b for b in bare if b[2]]
        if early:
            route = early[0][0]
            when = (
                f"right after start: {route.resource} objects exist in every cluster, and the "
                "informer's first list hands each one to the create handler, which runs this "
                "check before it skips objects older than the start"
            )
            return PanicCause("matchEvent", site.rsplit("/", 1)[-1], True, when, (route,))
        kinds: dict[str, list[str]] = {}
        for route, wanted, _ in bare:
            kinds.setdefault(route.resource, []).append(wanted)
        triggers = [f"{' or '.join(w)} event of {res}" for res, w in kinds.items()]
        extra = []
        if any(wanted == "create" for _, wanted, _ in bare):
            extra.append("existing objects replay as creates as soon as the informer lists them")
        if any(wanted == "update" for _, wanted, _ in bare):
            extra.append("every resync (30 min by default) replays each object as an update")
        if any(wanted == "error" for _, wanted, _ in bare):
            extra.append("existing Warning Events replay as soon as the informer lists them")
        when = (
            f"on the first {' or '.join(triggers)} that passes that route's reason, message "
            "and name checks" + (f" ({'; '.join(extra)})" if extra else "")
        )
        routes_hit: list[_Route] = []
        for route, _, _ in bare:
            if not any(route is seen for seen in routes_hit):
                routes_hit.append(route)
        return PanicCause("matchEvent", site.rsplit("/", 1)[-1], False, when, tuple(routes_hit))

    def exit_causes(
        self,
        started: list[SourceSpec],
        per_source: Mapping[str, list[_Route]],
        tables: Mapping[str, Mapping[str, set[str]]],
    ) -> set[str]:
        causes: set[str] = set()
        for spec in started:
            table = tables.get(spec.name, {})
            informed = {r for r, types in table.items() if types & set(OBJECT_ACTIONS)}
            # one finding per resource entry, naming every informer type it gets
            # (``types: "create,delete"`` is two routes of one entry)
            types_at: dict[KeyPath, list[str]] = {}
            for route in per_source[spec.name]:
                if route.resource in informed and route.raw_type in OBJECT_ACTIONS:
                    at = (*route.entry.path, "type") if route.entry else route.type_path
                    types_at.setdefault(at, [])
                    if route.raw_type not in types_at[at]:
                        types_at[at].append(route.raw_type)
            for route in per_source[spec.name]:
                if route.resource not in informed or route.raw_type not in OBJECT_ACTIONS:
                    continue
                check = check_type(route.resource, self.kube, self.crds)
                path = (*route.entry.path, "type") if route.entry else route.type_path
                types = types_at[path]
                kinds = ", ".join(types)
                these = (
                    f"this informer ({kinds})" if len(types) == 1 else f"these informers ({kinds})"
                )
                if check.status in {"malformed", "not-served"}:
                    causes.add(spec.name)
                    better = f"; use {check.replacement}" if check.replacement else ""
                    if check.status == "malformed":
                        code, name = "BK003", "malformed-type"
                        fix = "write the type as version/resource (core) or group/version/resource"
                    elif check.custom:
                        code, name = "BK032", "custom-resource-not-served"
                        fix = (
                            "install the CRD before BotKube starts (and tell lint with --crd), or "
                            "drop the resource"
                        )
                    else:
                        code, name = "BK002", "unserved-api-version"
                        fix = f"use an API version Kubernetes {self.kube_text} serves{better}"
                    self.add(
                        spec.name,
                        code,
                        name,
                        "error",
                        path,
                        f"type {route.resource!r} gets "
                        f"{'an informer' if len(types) == 1 else 'informers'} ({kinds}) but "
                        f"{check.detail}: the plugin logs 'Unable to parse resource' and "
                        "exits with status 1 about 2 s after start, taking every kubernetes "
                        f"source with it; {self.aftermath()}",
                        fix,
                        ISSUE_ONE_PROCESS,
                    )
                elif check.status == "loose":
                    singular = "singular" in check.detail or "List" in check.detail
                    self.add(
                        spec.name,
                        "BK006" if singular else "BK033",
                        "singular-resource-name" if singular else "loose-type-match",
                        "warning",
                        path,
                        f"type {route.resource!r}: {check.detail}. The process stays up and "
                        f"{these} deliver{'s' if len(types) == 1 else ''} nothing",
                        f"write the exact group/version/plural: {check.replacement}"
                        if check.replacement
                        else "write the exact group/version/plural resource name",
                        self.url("internal/source/kubernetes/source.go"),
                    )
                elif check.custom and spec.origin == "values":
                    self.add(
                        spec.name,
                        "BK004",
                        "custom-resource-unchecked",
                        "info",
                        path,
                        f"type {route.resource!r} is not a built-in API; {check.detail}: if its "
                        "CRD is not installed when the plugin starts, the plugin exits with "
                        "status 1",
                        "install the CRD before BotKube, or drop the resource",
                        ISSUE_ONE_PROCESS,
                    )
        return causes

    # -- bindings -----------------------------------------------------------------------------

    def binding_findings(self, specs: list[SourceSpec]) -> None:
        model = self.model
        for binding in model.bindings:
            if binding.source not in model.sources:
                self.add(
                    None,
                    "BK022",
                    "unknown-bound-source",
                    "error",
                    binding.path,
                    f"{binding.carrier} binds source {binding.source!r}, which no values file "
                    "defines: the agent's config validation rejects the whole configuration and "
                    "BotKube does not start",
                    f"define sources.{binding.source} or remove it from the bindings",
                    self.url("pkg/config/validator.go", 362),
                )
        self.rbac_findings()
        for spec in specs:
            if spec.origin != "values":
                continue
            if model.partial_overlay and spec.name in model.overlay_sources:
                self.add(
                    spec.name,
                    "BK021",
                    "partial-overlay",
                    "info",
                    spec.path,
                    "the file has no communications section, so it is read as a partial overlay: "
                    "this source is treated as bound (the chart's default sources are not)",
                    "add communications.<group>.<platform>.bindings.sources to lint bindings too",
                    self.url("helm/botkube/values.yaml"),
                )
            if not spec.enabled:
                given = spec.enabled_given
                self.add(
                    spec.name,
                    "BK023",
                    "plugin-disabled",
                    "info" if given else "warning",
                    (*spec.plugin_path, "enabled"),
                    "botkube/kubernetes is disabled here, so the source never starts"
                    if given
                    else "botkube/kubernetes has no 'enabled' key, which defaults to false: the "
                    "source never starts",
                    "set enabled: true",
                    self.url("internal/source/scheduler.go", 258),
                )
            elif not model.bound(spec.name):
                self.add(
                    spec.name,
                    "BK020",
                    "unbound-source",
                    "warning",
                    spec.path,
                    "no enabled platform or action binds this source, so the agent never starts it "
                    "(it cannot crash, and it delivers nothing)",
                    f"add {spec.name!r} to an enabled platform's bindings.sources",
                    self.url("internal/source/scheduler.go", 170),
                )

    def rbac_findings(self) -> None:
        """Upstream's ``validatePluginRBAC``: inside one ``bindings.sources`` list, every enabled
        plugin of the same key must carry the same ``context.rbac`` (compared whole), or the
        agent's config validation refuses the configuration and BotKube does not start. A
        partial overlay has no lists; the suite binds all its sources in one webhook list."""
        model = self.model
        lists: dict[KeyPath, list[Binding]] = {}
        for binding in model.bindings:
            lists.setdefault(binding.list_path, []).append(binding)
        if model.partial_overlay:
            mine = [model.sources[n] for n in sorted(model.overlay_sources) if n in model.sources]
            lists[("sources",)] = [
                Binding(s.name, "the suite's webhook", s.path, ("sources",)) for s in mine
            ]
        for path, members in lists.items():
            first: dict[str, tuple[Binding, RbacRule | None]] = {}
            for binding in members:
                spec = model.sources.get(binding.source)
                if spec is None or spec.plugin_key is None or not spec.enabled:
                    continue
                rbac = spec.context.rbac
                seen = first.setdefault(spec.plugin_key, (binding, rbac))
                if seen[1] == rbac:
                    continue
                partial = path == ("sources",)
                self.add(
                    None,
                    "BK029",
                    "binding-rbac-differs",
                    "warning" if partial else "error",
                    spec.context.path if partial else binding.path,
                    (
                        "if these sources are bound in one bindings.sources list, as the suite "
                        "binds a partial overlay's sources to its webhook, "
                        if partial
                        else f"{binding.carrier} binds "
                    )
                    + f"{seen[0].source!r} and {binding.source!r}, whose {spec.plugin_key} "
                    "plugins have different context.rbac: the agent's config validation refuses "
                    "the whole configuration ('Binding is referencing plugins of same kind with "
                    "different RBAC') and BotKube does not start",
                    "give every source in one bindings list the same context.rbac",
                    self.url("pkg/config/validator.go"),
                )

    # -- per source config findings -------------------------------------------------------------

    def source_findings(
        self,
        spec: SourceSpec,
        started: bool,
        routes: list[_Route],
        process_table: Mapping[str, set[str]] | None,
    ) -> None:
        cfg = spec.config
        if cfg is None or spec.origin != "values":
            return
        name = spec.name
        if cfg.event is None and cfg.resources:
            if not self.panics:
                self.add(
                    name,
                    "BK008",
                    "nil-event-tolerated",
                    "info",
                    (*cfg.path, "event"),
                    f"no top-level config.event: fine on {self.version}, but BotKube v1.13.0 and "
                    "older panic on this source",
                    "add a top-level config.event.types to stay portable",
                    ISSUE_NIL_EVENT,
                )
            elif not started:
                self.add(
                    name,
                    "BK001",
                    "nil-event-panic",
                    "warning",
                    (*cfg.path, "event"),
                    (
                        "the plugin rejects this source now, but once it runs it panics "
                        if name in self.rejected
                        else "not started now, but once bound this source panics "
                    )
                    + f"BotKube {self.version}'s botkube/kubernetes plugin: it has resources "
                    "and no top-level config.event",
                    "add a top-level config.event with types before it runs",
                    ISSUE_NIL_EVENT,
                )
        table: Mapping[str, set[str]] = process_table or {}
        if not started or process_table is None:
            own: dict[str, set[str]] = {}
            for route in routes:
                own.setdefault(route.resource, set()).add(route.raw_type)
            table = own
        for event in self.event_blocks(cfg):
            self.reason_findings(name, event)
        for constraints in self.constraint_blocks(cfg):
            if constraints.exclude and not constraints.include:
                self.add(
                    name,
                    "BK018",
                    "exclude-without-include",
                    "warning",
                    constraints.path,
                    "exclude without include rejects every value: upstream checks exclude, then "
                    "include, and refuses what no include matched",
                    "add include: ['.*'] next to the exclude list",
                    self.url("internal/source/kubernetes/config/config.go", 133),
                )
        for entry in cfg.resources:
            self.entry_findings(name, cfg, entry, [r for r in routes if r.entry is entry], table)

    def event_blocks(self, cfg: KubernetesConfig) -> list[EventSpec]:
        blocks = [cfg.event] if cfg.event is not None else []
        blocks.extend(entry.event for entry in cfg.resources)
        return blocks

    def constraint_blocks(self, cfg: KubernetesConfig) -> list[Constraints]:
        blocks: list[Constraints] = [cfg.namespaces] if cfg.namespaces is not None else []
        for event in self.event_blocks(cfg):
            blocks.extend((event.reason, event.message))
        for entry in cfg.resources:
            blocks.extend((entry.namespaces, entry.name))
        return blocks

    def reason_findings(self, source: str, event: EventSpec) -> None:
        for i, reason in enumerate(event.reason.include):
            if reason in NORMAL_REASONS:
                hpa = " (the HPA's scaling Event)" if reason == "SuccessfulRescale" else ""
                self.add(
                    source,
                    "BK012",
                    "normal-events-never-forwarded",
                    "warning",
                    (*event.reason.path, "include", i),
                    f"{reason!r}{hpa} is the reason of a Normal-type core Event; no BotKube "
                    "version forwards Normal Events (only Warning Events, through the 'error' "
                    "type), so this include entry can never match",
                    "expect create/delete of the object or Warning reasons under 'error' instead",
                    ISSUE_NIL_EVENT,
                )
        for constraints in (event.reason, event.message):
            for kind in ("include", "exclude"):
                for i, pattern in enumerate(getattr(constraints, kind)):
                    if pattern.strip() and _compiled(pattern) is None:
                        self.add(
                            source,
                            "BK016",
                            "invalid-regex",
                            "warning",
                            (*constraints.path, kind, i),
                            f"{pattern!r} is not a valid regular expression: every event checked "
                            "against it is dropped with an error",
                            "fix the pattern (Go RE2 syntax)",
                            self.url("internal/source/kubernetes/config/config.go"),
                        )

    def entry_findings(
        self,
        source: str,
        cfg: KubernetesConfig,
        entry: ResourceSpec,
        routes: list[_Route],
        table: Mapping[str, set[str]],
    ) -> None:
        router = "internal/source/kubernetes/router.go"
        delivered: set[str] = set()
        for route in routes:
            got = {t for t in INFORMER_TYPES if self.reaches(route, t, table)}
            delivered |= got
            raw = route.raw_type
            if got or raw in INFORMER_TYPES:
                continue
            lowered = raw.lower()
            if lowered == "normal":
                self.add(
                    source,
                    "BK012",
                    "normal-events-never-forwarded",
                    "warning",
                    route.type_path,
                    f"type {raw!r} has no informer path: BotKube never forwards Normal-type core "
                    "Events (e.g. the HPA's SuccessfulRescale), in any version",
                    "use create/update/delete for object changes and 'error' for Warning Events",
                    ISSUE_NIL_EVENT,
                )
            elif lowered in {*INFORMER_TYPES, "all"}:
                self.add(
                    source,
                    "BK010",
                    "no-informer-type",
                    "warning",
                    route.type_path,
                    f"type {raw!r} is case-sensitive at informer registration: it registers "
                    f"nothing and is silently ignored (write {lowered!r})",
                    f"write {lowered!r}",
                    self.url(router, 290),
                )
            elif lowered in {"warning", "info"}:
                self.add(
                    source,
                    "BK010",
                    "no-informer-type",
                    "warning",
                    route.type_path,
                    f"type {raw!r} has no informer path and is silently ignored; Warning Events "
                    "reach a sink only through the 'error' type",
                    "use 'error' for Warning Events",
                    self.url(router, 290),
                )
            else:
                self.add(
                    source,
                    "BK010",
                    "no-informer-type",
                    "warning",
                    route.type_path,
                    f"type {raw!r} is not a BotKube event type; it registers nothing",
                    "use create, update, delete, error or all",
                    self.url(router, 290),
                )
        if not delivered:
            why = (
                "it has no event types (no resource-level types and no source-level event.types)"
                if not routes
                else "none of its effective types registers an informer"
            )
            self.add(
                source,
                "BK015",
                "resource-without-informer",
                "warning",
                entry.path,
                f"{entry.type!r} gets no informer from this source: {why}, so nothing is ever "
                "delivered for it",
                "give it create/update/delete for object changes or error for Warning Events",
                self.url(router, 290),
            )
        event = effective_event(cfg.event, entry.event)
        actions = sorted(delivered & set(OBJECT_ACTIONS))
        informed = bool(table.get(entry.type, set()) & set(OBJECT_ACTIONS))
        if "error" in delivered and not informed:
            check = check_type(entry.type, self.kube, self.crds)
            if check.status in {"malformed", "not-served", "loose"}:
                self.add(
                    source,
                    "BK005",
                    "unchecked-type-never-matches",
                    "warning",
                    (*entry.path, "type"),
                    f"type {entry.type!r}: {check.detail}; with only 'error' it is never "
                    "checked (no exit), but no Warning Event can ever match it",
                    f"use {check.replacement}" if check.replacement else "fix the type",
                    ISSUE_ONE_PROCESS,
                )
        if "error" in delivered and (entry.labels or cfg.labels):
            kind = entry.type.rsplit("/", 1)[-1]
            self.add(
                source,
                "BK025",
                "labels-filter-drops-warning-events",
                "warning",
                (*entry.path, "labels") if entry.labels else (*cfg.path, "labels"),
                f"a Warning Event about {kind} is matched against the labels of the core Event "
                f"object itself, not of the {kind}; Kubernetes controllers emit Events without "
                "labels, so this labels filter drops every 'error' event of this resource",
                "drop the labels filter here, or watch 'error' in a resource entry without labels",
                self.url("internal/source/kubernetes/k8sutil/resource.go", 34),
            )
        if event is not None and actions:
            if event.reason.defined and not allows(event.reason, ""):
                self.add(
                    source,
                    "BK011",
                    "reason-filter-drops-resource-events",
                    "warning",
                    event.reason.path,
                    f"object changes ({', '.join(actions)}) of {entry.type} carry an empty reason, "
                    "so these reason constraints drop every one of them",
                    "move the reason filter to a resource that only uses 'error', or drop it",
                    self.url("internal/source/kubernetes/registration.go", 141),
                )
            if event.message.defined and not allows(event.message, ""):
                self.add(
                    source,
                    "BK013",
                    "message-filter-drops-resource-events",
                    "warning",
                    event.message.path,
                    f"object changes ({', '.join(actions)}) of {entry.type} carry no message, so "
                    "these message constraints drop every one of them",
                    "move the message filter to a resource that only uses 'error', or drop it",
                    self.url("internal/source/kubernetes/registration.go", 141),
                )
        if (
            entry.event.constraints_defined
            and cfg.event is not None
            and cfg.event.constraints_defined
        ):
            self.add(
                source,
                "BK014",
                "resource-event-replaces-source-event",
                "info",
                entry.event.path,
                "this resource defines its own reason/message constraints, so the source-level "
                "event's reason and message constraints do not apply to it at all (replace, not "
                "merge)",
                "repeat the source-level constraints here if they should still apply",
                self.url(router, 324),
            )
        if entry.type == "v1/nodes" and cfg.node_events_checker and actions:
            self.add(
                source,
                "BK017",
                "node-changes-filtered",
                "info",
                entry.path,
                "the nodeEventsChecker filter (on by default) drops Node object changes, which "
                "carry no NodeReady/NodeNotReady reason",
                "set config.filters.nodeEventsChecker: false to get Node object changes",
                self.url("internal/source/kubernetes/filterengine/filters/node_event_checker.go"),
            )
        recommended = cfg.recommendations.resources()
        if entry.type in recommended and "create" in delivered:
            self.add(
                source,
                "BK019",
                "recommendations-take-over-create",
                "info",
                entry.path,
                f"recommendations are on for {entry.type}, so its create events from this source "
                "are forwarded only when a recommendation fires",
                "turn the recommendation off or watch creates from another source",
                self.url("internal/source/kubernetes/recommendation/resource_events.go"),
            )


def analyze(
    doc: YamlDocument | Mapping[str, Any],
    botkube_version: str,
    kubernetes_version: str | None = None,
    crds: CrdAssumption = NO_CRDS,
) -> Analysis:
    """Predict what BotKube ``botkube_version`` does with a values overlay (see module doc).

    ``crds`` says which custom resources the cluster serves; by default none, as on the suite's
    kind cluster, so an informer on a custom type is predicted to exit the process."""
    version = normalize_botkube_version(botkube_version)
    kube = parse_kubernetes_version(kubernetes_version or DEFAULT_KUBERNETES_VERSION)
    model = read_values(doc, version)
    return _Analyzer(model, version, kube, crds).run()


# --------------------------------------------------------------------------- forwarding


Walk = Literal["pass", "reject", "panic"]


def _constraints_miss(route: _Route, reason: str, messages: list[str], name: str) -> str:
    """The reason, message and name checks of upstream ``matchEvent``: '' when they pass."""
    event = route.event
    if event is not None and event.reason.defined and not allows(event.reason, reason):
        shown = repr(reason) if reason else "an empty reason"
        return f"{shown} does not pass the reason filter at {format_key_path(event.reason.path)}"
    if event is not None and event.message.defined:
        candidates = messages or [""]
        if not any(allows(event.message, m) for m in candidates):
            return f"the message does not pass the filter at {format_key_path(event.message.path)}"
    if route.name.defined and not allows(route.name, name):
        return f"name {name!r} does not pass the name filter at {format_key_path(route.name.path)}"
    return ""


def _namespace_miss(route: _Route, namespace: str) -> str:
    if (
        route.namespaces is not None
        and route.namespaces.defined
        and not allows(route.namespaces, namespace)
    ):
        return (
            f"namespace {namespace!r} does not pass the namespace filter at "
            f"{format_key_path(route.namespaces.path)}"
        )
    return ""


def _match_walk(
    routes: list[_Route], version: str, happening: Happening
) -> tuple[Walk, _Route | None, str]:
    """Upstream ``matchEvent`` over one resource's routes for one informer type, in table order.

    Returns ("pass", route, ""), ("reject", None, why) or ("panic", route, "") where the walk
    reads a route's nil namespaces (v1.0.0-v1.2.0). Up to v1.9.1 a reason, message, name or
    namespace rejection ends the walk (``first_route_decides``); labels and annotations always
    move on. Labels are checked for core Events only: those are matched against the Event
    object's own labels, which controllers never set. An object change carries the object's
    labels, which a ``Happening`` does not record, so its labels or annotations filter is not
    judged.
    """
    stop_at_first = first_route_decides(version)
    nil_panics = has_nil_namespaces_panic(version)
    core = happening.is_core_event
    reason = happening.reason if core else ""
    messages = [happening.message] if core else []
    why = ""
    for route in routes:
        why = _constraints_miss(route, reason, messages, happening.name)
        if not why:
            if route.namespaces is None and nil_panics:
                return "panic", route, ""
            why = _namespace_miss(route, happening.namespace)
        if why:
            if stop_at_first:
                return "reject", None, why
            continue
        if core and route.labels:
            why = (
                "the route's labels filter is matched against the core Event's own labels, and "
                "Events carry none"
            )
            continue
        return "pass", route, ""
    return "reject", None, why


def _reaching(
    analysis: Analysis, analyzer: _Analyzer, source: str, happening: Happening
) -> tuple[list[_Route], list[_Route]]:
    """(the source's routes for the happening's resource, those whose informer gets it)."""
    mine = [r for r in analysis._routes if r.source == source and r.resource == happening.resource]
    wanted = "error" if happening.is_core_event else str(happening.action)
    table = analysis._tables.get(source, {})
    return mine, [r for r in mine if analyzer.reaches(r, wanted, table)]


def _decide(analysis: Analysis, analyzer: _Analyzer, source: str, happening: Happening) -> str:
    """'' when ``source`` forwards the happening, else one clause saying why not."""
    cfg = analysis._configs[source]
    mine, reaching = _reaching(analysis, analyzer, source, happening)
    if not mine:
        return f"{source} does not watch {happening.resource}"
    wanted = "error" if happening.is_core_event else str(happening.action)
    if not reaching:
        spelled = sorted({r.raw_type for r in mine})
        if wanted == "error" or not any(analyzer.matches(r.raw_type, wanted) for r in mine):
            return (
                f"{source}'s effective types for {happening.resource} are {spelled}, which do not "
                f"give it an informer for {wanted!r}"
            )
        return (
            f"{source} asks for {wanted!r} on {happening.resource} but no source registers that "
            "informer with an exact lower-case type"
        )
    outcome, _, why = _match_walk(reaching, analysis.botkube_version, happening)
    if outcome == "reject":
        return f"{source}: {why}"
    # the filters below run after matchEvent (handleEvent, the filter engine)
    if not happening.is_core_event:
        if happening.resource == "v1/nodes" and cfg.node_events_checker:
            return f"{source}'s nodeEventsChecker filter drops Node object changes"
        if wanted == "create" and happening.resource in cfg.recommendations.resources():
            return (
                f"{source} has recommendations on for {happening.resource}, so its creates are "
                "forwarded only when a recommendation fires"
            )
    return ""


def _plugin_down(analysis: Analysis, happening: Happening, what: str) -> Forwarding | None:
    """The answer when the plugin process dies; None when this happening may come before a
    panic that waits for an event (``matchEvent``'s nil namespaces, v1.0.0-v1.2.0)."""
    culprits = sorted(s.name for s in analysis.sources if s.cause is not None)
    caused = f"caused by {', '.join(culprits)}"
    if analysis.verdict == "exit":
        return Forwarding(
            False,
            (),
            f"{what}: not delivered, the botkube/kubernetes plugin process exits with status 1 "
            f"at informer registration ({caused}), so no kubernetes source delivers anything",
        )
    causes = [analysis._panics[name] for name in culprits if name in analysis._panics]
    early = [c for c in causes if c.at_start]
    if early or not causes:
        how = (
            f"panics in {early[0].function} ({early[0].site}) {early[0].when}"
            if early
            else "panics"
        )
        return Forwarding(
            False,
            (),
            f"{what}: not delivered, the botkube/kubernetes plugin process {how} ({caused}), "
            "so no kubernetes source delivers anything",
        )
    return None


def _panic_trigger(analysis: Analysis, analyzer: _Analyzer, happening: Happening) -> str:
    """The culprit whose route without namespaces this happening reaches ('' when none)."""
    for name in sorted(analysis._panics):
        _, reaching = _reaching(analysis, analyzer, name, happening)
        outcome, route, _ = _match_walk(reaching, analysis.botkube_version, happening)
        if outcome == "panic" and route is not None:
            return f"{name}'s route for {route.resource}"
    return ""


def forwarding(analysis: Analysis, happening: Happening) -> Forwarding:
    """Would BotKube deliver ``happening``, through which sources, or why not."""
    what = happening.describe()
    if analysis.verdict == "refused":
        return Forwarding(
            False,
            (),
            f"{what}: not delivered, the agent refuses the whole configuration at start "
            "(see the error findings), so BotKube does not run",
        )
    waiting: list[PanicCause] = []
    if analysis.verdict in PLUGIN_DOWN:
        down = _plugin_down(analysis, happening, what)
        if down is not None:
            return down
        waiting = list(analysis._panics.values())
    if happening.is_core_event and happening.event_type != "Warning":
        return Forwarding(
            False,
            (),
            f"{what}: not delivered, BotKube never forwards {happening.event_type}-type core "
            "Events (only Warning Events, through the 'error' type), in any version",
        )
    started = [s.name for s in analysis.sources if s.started]
    if not started:
        return Forwarding(
            False, (), f"{what}: not delivered, no botkube/kubernetes source is started"
        )
    analyzer = _Analyzer(
        analysis.model,
        analysis.botkube_version,
        parse_kubernetes_version(analysis.kubernetes_version),
        analysis.crds,
    )
    if waiting:
        trigger = _panic_trigger(analysis, analyzer, happening)
        if trigger:
            return Forwarding(
                False,
                (),
                f"{what}: not delivered, it makes the botkube/kubernetes plugin process panic: it "
                f"reaches {trigger}, which has no namespaces, and matchEvent "
                f"({waiting[0].site}) reads them before anything is sent; after that no "
                "kubernetes source delivers anything (nothing restarts the plugin before v1.4.0)",
            )
    delivered: list[str] = []
    reasons: list[str] = []
    for name in started:
        why = _decide(analysis, analyzer, name, happening)
        if why:
            reasons.append(why)
        else:
            delivered.append(name)
    if delivered:
        names = ", ".join(sorted(delivered))
        if waiting:
            return Forwarding(
                True,
                tuple(sorted(delivered)),
                f"{what}: delivered by {names} if it comes before the event that makes the "
                f"plugin panic in matchEvent ({waiting[0].site}) {waiting[0].when}; after that "
                "no kubernetes source delivers anything",
            )
        return Forwarding(True, tuple(sorted(delivered)), f"{what}: delivered by {names}")
    watching = [r for r in reasons if "does not watch" not in r]
    shown = watching or reasons
    return Forwarding(False, (), f"{what}: not delivered; " + "; ".join(shown))


def live_run_caveats(analysis: Analysis) -> list[str]:
    """One line per thing a live run of these values reproduces instead of the plugin running:
    a source the plugin rejects (no kubeconfig, an undecodable config) and a configuration the
    agent refuses. ``values`` and ``run`` print them, so nobody waits for a panic that cannot
    come."""
    out: list[str] = []
    for report in analysis.sources:
        if report.verdict != "rejected":
            continue
        for finding in report.findings:
            if finding.code in {"BK026", "BK027"} and finding.severity == "error":
                why = "it has no RBAC context" if finding.code == "BK026" else "its config"
                out.append(
                    f"source {report.name!r} is rejected by the plugin ({finding.code} "
                    f"{finding.name}: {why}); a live run reproduces that rejection "
                    "('canceling streaming: ...' in the agent log), not a panic, and the "
                    "source delivers nothing"
                )
                break
    for finding in analysis.findings:
        if finding.code == "BK029" and finding.severity == "error":
            out.append(
                f"{finding.code} {finding.name}: the agent refuses this configuration, so a live "
                "run shows BotKube failing to start, not the plugin's behaviour"
            )
    return out


__all__ = [
    "DEFAULT_KUBERNETES_VERSION",
    "PLUGIN_NAME",
    "Analysis",
    "Finding",
    "SourceReport",
    "allows",
    "analyze",
    "effective_event",
    "effective_types",
    "forwarding",
    "live_run_caveats",
]
