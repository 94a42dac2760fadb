"""A Kubernetes API server double: real HTTP, enough REST for the real kubernetes client.

Why a double and not mocks: the rehearsal must prove that the cluster layer's requests have the
shape the API server expects (paths, selectors, bodies, proxy sub-resources), so the real client
talks HTTP to this server through a generated kubeconfig, and every request is recorded.

Besides the API, the double simulates what the live run relies on: a Deployment controller
(pods and status follow ``spec.replicas``), the HPA controller's rescale Events, and a scripted
BotKube agent per release (``BotkubeProfile``: healthz body, agent logs, webhook deliveries).
Stand-in ``helm`` talks to the control endpoints under ``/_double/`` to install a release.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import os
import re
import signal
import ssl
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

CONTROL_PREFIX = "/_double/"
SERVER_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.2",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-02-12T00:00:00Z",
    "goVersion": "go1.23.6",
    "compiler": "gc",
    "platform": "linux/amd64",
}
USER = "kubernetes-admin"


@dataclass(frozen=True)
class Resource:
    """One served resource type, as the discovery documents describe it."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    singular: str
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """The name used in API error messages: ``deployments.apps``, ``pods``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
RESOURCES: tuple[Resource, ...] = (
    Resource("", "v1", "namespaces", "Namespace", False, "namespace", ("ns",), ("status",)),
    Resource("", "v1", "pods", "Pod", True, "pod", ("po",), ("log", "proxy", "status")),
    Resource("", "v1", "events", "Event", True, "event", ("ev",)),
    Resource("", "v1", "configmaps", "ConfigMap", True, "configmap", ("cm",)),
    Resource("", "v1", "secrets", "Secret", True, "secret"),
    Resource("", "v1", "services", "Service", True, "service", ("svc",), ("proxy", "status")),
    Resource("", "v1", "serviceaccounts", "ServiceAccount", True, "serviceaccount", ("sa",)),
    Resource(
        "apps",
        "v1",
        "deployments",
        "Deployment",
        True,
        "deployment",
        ("deploy",),
        ("scale", "status"),
    ),
    Resource("apps", "v1", "replicasets", "ReplicaSet", True, "replicaset", ("rs",)),
    Resource(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        True,
        "horizontalpodautoscaler",
        ("hpa",),
        ("status",),
    ),
)
BY_GV_PLURAL = {(r.group_version, r.plural): r for r in RESOURCES}

# Field selectors the real API server accepts for these resources (others answer 400).
FIELD_LABELS: dict[str, set[str]] = {
    "events": {
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    },
    "pods": {
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    },
    "namespaces": {"status.phase"},
    "secrets": {"type"},
}


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    """An API failure answered as a ``kind: Status`` object."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details or {}

    def status(self) -> dict[str, Any]:
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "details": self.details,
            "code": self.code,
        }


def not_found(res: Resource, name: str) -> ApiError:
    return ApiError(
        404,
        "NotFound",
        f'{res.qualified} "{name}" not found',
        {"name": name, "group": res.group, "kind": res.plural},
    )


@dataclass(frozen=True)
class RecordedRequest:
    """One API request as the double received it (path unquoted, body parsed when JSON)."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    content_type: str

    def param(self, key: str) -> str | None:
        values = self.query.get(key)
        return values[-1] if values else None


# ---------------------------------------------------------------- BotKube profiles


@dataclass
class Release:
    """A BotKube release the stand-in helm installed (values as the chart received them)."""

    namespace: str
    name: str
    chart: str
    chart_version: str | None
    values: dict[str, Any]
    fullname: str
    client_pid: int | None = None
    profile: BotkubeProfile | None = None
    agent_violations: str = ""  # what the stand-in helm read from BOTKUBE_STANDIN_AGENT_VIOLATION
    revision: int = 1
    deployed: str = field(default_factory=now_rfc3339)

    @property
    def cluster_name(self) -> str:
        settings = self.values.get("settings") or {}
        return str(settings.get("clusterName", "not-configured"))

    @property
    def health_port(self) -> int:
        settings = self.values.get("settings") or {}
        return int(settings.get("healthPort", 2114))

    def webhook_urls(self) -> list[str]:
        """Webhook URLs of every enabled communication group, as the agent would use them."""
        urls = []
        for group in (self.values.get("communications") or {}).values():
            hook = (group or {}).get("webhook") or {}
            if hook.get("enabled") and hook.get("url"):
                urls.append(str(hook["url"]))
        return urls


@dataclass(frozen=True)
class DeliveryContext:
    """What a scripted delivery may use to build its payload."""

    release: Release
    trigger: str
    obj: dict[str, Any] | None
    events: tuple[dict[str, Any], ...]


Body = dict[str, Any]
#: A body, or a function of the context giving none, one or several bodies (POSTed in order).
Payload = Body | Callable[[DeliveryContext], Body | list[Body] | None]


@dataclass(frozen=True)
class PlannedDelivery:
    """POST ``payload`` to the release's webhook URL(s) when ``trigger`` happens.

    Triggers: ``install`` (release installed), ``hpa`` (an HPA was created in any namespace),
    ``rescale`` (the simulated HPA controller emitted its Events).
    """

    trigger: str
    payload: Payload
    delay: float = 0.0


HEALTHY: dict[str, Any] = {"botkube": {"status": "Healthy"}, "plugins": {}, "platforms": {}}


@dataclass
class BotkubeProfile:
    """How the scripted BotKube agent of a release behaves."""

    healthz: dict[str, Any] | Callable[[Release], dict[str, Any]] = field(
        default_factory=lambda: json.loads(json.dumps(HEALTHY))
    )
    healthz_status: int = 200
    log: str | Callable[[Release], str] = ""
    previous_log: str | None = None
    restarts: int = 0
    deliveries: Sequence[PlannedDelivery] = ()
    install_error: str | None = None
    sigint_on: str | None = None  # a delivery trigger name: SIGINT the helm caller then

    def healthz_for(self, release: Release) -> dict[str, Any]:
        return self.healthz(release) if callable(self.healthz) else self.healthz

    def log_for(self, release: Release) -> str:
        return self.log(release) if callable(self.log) else self.log


ProfileSource = BotkubeProfile | Callable[[Release], BotkubeProfile]


@dataclass(frozen=True)
class SentDelivery:
    url: str
    payload: dict[str, Any]
    status: int | None
    error: str | None


# ---------------------------------------------------------------- selectors


def _split_top(text: str) -> list[str]:
    """Split a selector on commas outside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


_SET_RE = re.compile(r"^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$")


def label_matcher(selector: str) -> Callable[[dict[str, str]], bool]:
    """Kubernetes label selector semantics (equality, set-based, existence)."""
    checks: list[Callable[[dict[str, str]], bool]] = []
    for term in _split_top(selector):
        if m := _SET_RE.match(term):
            key, op, vals = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",")}
            if op == "in":
                checks.append(lambda lb, k=key, v=vals: lb.get(k) in v)
            else:
                checks.append(lambda lb, k=key, v=vals: lb.get(k) not in v)
        elif "!=" in term:
            k, v = (s.strip() for s in term.split("!=", 1))
            checks.append(lambda lb, k=k, v=v: lb.get(k) != v)
        elif "=" in term:
            k, v = (s.strip() for s in term.replace("==", "=").split("=", 1))
            checks.append(lambda lb, k=k, v=v: lb.get(k) == v)
        elif term.startswith("!"):
            absent = term[1:].strip()
            checks.append(lambda lb, k=absent: k not in lb)
        elif re.fullmatch(r"[\w./-]+", term):
            checks.append(lambda lb, k=term: k in lb)
        else:
            raise ApiError(400, "BadRequest", f"unable to parse requirement: {term!r}")
    return lambda labels: all(c(labels) for c in checks)


def _dotted(obj: dict[str, Any], path: str) -> str:
    cur: Any = obj
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    if isinstance(cur, dict) and path == "source":
        cur = cur.get("component")
    return "" if cur is None else str(cur)


def field_matcher(res: Resource, selector: str) -> Callable[[dict[str, Any]], bool]:
    allowed = FIELD_LABELS.get(res.plural, set()) | {"metadata.name", "metadata.namespace"}
    checks: list[Callable[[dict[str, Any]], bool]] = []
    for term in _split_top(selector):
        neg = "!=" in term
        k, v = (s.strip() for s in term.replace("==", "=").split("!=" if neg else "=", 1))
        if k not in allowed:
            raise ApiError(400, "BadRequest", f'field label not supported: "{k}"')
        checks.append(lambda o, k=k, v=v, neg=neg: (_dotted(o, k) == v) != neg)
    return lambda obj: all(c(obj) for c in checks)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (also good enough for the strategic merges used here)."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# ---------------------------------------------------------------- the double


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default listen backlog (5) resets connections when xdist workers, the kubernetes
    # client's pool and the scripted agent connect at once.
    request_queue_size = 128


class KubeApiDouble:
    """The API server double. Use as a context manager; ``url`` is its base URL."""

    def __init__(
        self,
        *,
        hpa_sync_delay: float = 0.05,
        namespace_grace: float = 0.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """``tls``: serve HTTPS with this server context (a real API server's scheme)."""
        self.hpa_sync_delay = hpa_sync_delay
        self.tls = tls
        self.namespace_grace = namespace_grace
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._rv = 1000
        self._seq: list[tuple[int, str, str, dict[str, Any]]] = []  # (rv, type, plural, obj)
        self._requests: list[RecordedRequest] = []
        self._control: list[dict[str, Any]] = []
        self._forbidden: list[tuple[str, re.Pattern[str]]] = []
        self._profiles: list[tuple[str, ProfileSource]] = []
        self._releases: dict[tuple[str, str], Release] = {}
        self._sent: list[SentDelivery] = []
        self._timers: list[threading.Timer] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self._put(
                RESOURCES[0], "", self._new_meta(RESOURCES[0], "", {"metadata": {"name": ns}})
            )

    # -- lifecycle

    def start(self) -> KubeApiDouble:
        server = _Server(("127.0.0.1", 0), _handler_for(self))
        if self.tls is not None:
            server.socket = self.tls.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._changed:
            self._changed.notify_all()

    def __enter__(self) -> KubeApiDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the double first"
        host, port = self._server.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host!s}:{port}"

    def kubeconfig(self, cluster: str = "kind-botkube") -> dict[str, Any]:
        """A kubeconfig document (as kind writes it, minus TLS) pointing at this double."""
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {},
            "current-context": cluster,
            "clusters": [{"name": cluster, "cluster": {"server": self.url}}],
            "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": cluster}}],
            "users": [{"name": cluster, "user": {"token": "double-token"}}],
        }

    def write_kubeconfig(self, path: Path, cluster: str = "kind-botkube") -> Path:
        path.write_text(yaml.safe_dump(self.kubeconfig(cluster)), encoding="utf-8")
        return path

    # -- scripting

    def forbid(self, path_pattern: str, method: str = "*") -> None:
        """Answer 403 Forbidden for requests whose unquoted path fully matches the regex."""
        with self._lock:
            self._forbidden.append((method.upper(), re.compile(path_pattern)))

    def set_profile(self, namespace_glob: str, profile: ProfileSource) -> None:
        """Script the BotKube agent of releases installed in matching namespaces (latest wins)."""
        with self._lock:
            self._profiles.append((namespace_glob, profile))

    # -- inspection

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, method: str, path_regex: str) -> list[RecordedRequest]:
        pattern = re.compile(path_regex)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    @property
    def control_calls(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._control)

    @property
    def sent_deliveries(self) -> list[SentDelivery]:
        with self._lock:
            return list(self._sent)

    @property
    def releases(self) -> dict[tuple[str, str], Release]:
        with self._lock:
            return dict(self._releases)

    def objects(self, plural: str, namespace: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                json.loads(json.dumps(o))
                for (p, ns, _), o in sorted(self._objects.items())
                if p == plural and (namespace is None or ns == namespace)
            ]

    def get(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            obj = self._objects.get((plural, namespace, name))
            return None if obj is None else json.loads(json.dumps(obj))

    # -- storage helpers

    def _next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    def _new_meta(self, res: Resource, ns: str, body: dict[str, Any]) -> dict[str, Any]:
        obj = json.loads(json.dumps(body))
        obj["apiVersion"], obj["kind"] = res.group_version, res.kind
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
        if res.namespaced:
            meta["namespace"] = ns
        meta.update(uid=str(uuid.uuid4()), creationTimestamp=now_rfc3339(), generation=1)
        if res.plural == "namespaces":
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
            obj["spec"] = {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}
        return obj

    def _put(self, res: Resource, ns: str, obj: dict[str, Any], kind: str = "ADDED") -> None:
        with self._changed:
            obj["metadata"]["resourceVersion"] = self._next_rv()
            self._objects[(res.plural, ns, obj["metadata"]["name"])] = obj
            self._seq.append((self._rv, kind, res.plural, json.loads(json.dumps(obj))))
            self._changed.notify_all()

    def _remove(self, res: Resource, ns: str, name: str) -> dict[str, Any] | None:
        with self._changed:
            obj = self._objects.pop((res.plural, ns, name), None)
            if obj is not None:
                self._seq.append((int(self._next_rv()), "DELETED", res.plural, obj))
                self._changed.notify_all()
            return obj

    def _namespace_active(self, ns: str) -> None:
        nso = self._objects.get(("namespaces", "", ns))
        if nso is None:
            raise ApiError(
                404, "NotFound", f'namespaces "{ns}" not found', {"name": ns, "kind": "namespaces"}
            )
        if nso["status"]["phase"] == "Terminating":
            raise ApiError(
                403,
                "Forbidden",
                f"unable to create new content in namespace {ns} because it is being terminated",
            )

    # -- the REST API

    def handle(self, method: str, raw_path: str, body: bytes, ctype: str) -> tuple[int, str, Any]:
        """Answer one request: (status, content type, JSON-able or str or iterator)."""
        split = urlsplit(raw_path)
        segments = [unquote(s) for s in split.path.split("/") if s]
        path = "/" + "/".join(segments)
        query = parse_qs(split.query, keep_blank_values=True)
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = body.decode("utf-8", "replace")
        if split.path.startswith(CONTROL_PREFIX):
            with self._lock:
                self._control.append({"path": path, "body": parsed})
            return self._control_call(segments[1:], parsed)
        with self._lock:
            self._requests.append(RecordedRequest(method, path, query, parsed, ctype))
        try:
            for meth, pattern in self._forbidden:
                if meth in ("*", method) and pattern.fullmatch(path):
                    raise self._forbidden_error(method, segments, query)
            return self._route(method, segments, query, parsed, ctype)
        except ApiError as err:
            return err.code, "application/json", err.status()

    def _forbidden_error(
        self, method: str, seg: list[str], query: dict[str, list[str]]
    ) -> ApiError:
        target = self._parse_target(seg)
        if target is None:
            return ApiError(
                403,
                "Forbidden",
                f'forbidden: User "{USER}" cannot {method.lower()} path "/{"/".join(seg)}"',
            )
        res, ns, name, sub = target
        verb = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method)
        if verb is None:
            verb = "get" if name else ("watch" if _truthy(query, "watch") else "list")
        what = f'{res.qualified} "{name}"' if name else res.qualified
        resource = f"{res.plural}/{sub.split('/')[0]}" if sub else res.plural
        where = f' in the namespace "{ns}"' if ns else " at the cluster scope"
        return ApiError(
            403,
            "Forbidden",
            f'{what} is forbidden: User "{USER}" cannot {verb} resource "{resource}" '
            f'in API group "{res.group}"{where}',
            {"name": name or "", "group": res.group, "kind": res.plural},
        )

    def _parse_target(self, seg: list[str]) -> tuple[Resource, str, str, str] | None:
        """(resource, namespace, name, subresource path) of an API path, None for discovery."""
        if seg[:2] == ["api", "v1"]:
            gv, rest = "v1", seg[2:]
        elif seg[:1] == ["apis"] and len(seg) >= 3:
            gv, rest = f"{seg[1]}/{seg[2]}", seg[3:]
        else:
            return None
        ns = ""
        if len(rest) >= 3 and rest[0] == "namespaces":
            ns, rest = rest[1], rest[2:]
        if not rest:
            return None
        res = BY_GV_PLURAL.get((gv, rest[0]))
        if res is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else ""
        return res, ns, name, "/".join(rest[2:])

    def _route(
        self, method: str, seg: list[str], query: dict[str, list[str]], body: Any, ctype: str
    ) -> tuple[int, str, Any]:
        if method == "GET":
            if seg == ["version"]:
                return 200, "application/json", SERVER_VERSION
            if seg in (["healthz"], ["readyz"], ["livez"]):
                return 200, "text/plain", "ok"
            if seg == ["api"]:
                return (
                    200,
                    "application/json",
                    {
                        "kind": "APIVersions",
                        "versions": ["v1"],
                        "serverAddressByClientCIDRs": [
                            {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}
                        ],
                    },
                )
            if seg == ["apis"]:
                return (
                    200,
                    "application/json",
                    {
                        "kind": "APIGroupList",
                        "apiVersion": "v1",
                        "groups": [_group_doc(g) for g in _groups()],
                    },
                )
            if len(seg) == 2 and seg[0] == "apis":
                if seg[1] not in _groups():
                    raise ApiError(
                        404, "NotFound", "the server could not find the requested resource"
                    )
                return (
                    200,
                    "application/json",
                    {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(seg[1])},
                )
            if seg == ["api", "v1"] or (len(seg) == 3 and seg[0] == "apis"):
                gv = "v1" if seg[0] == "api" else f"{seg[1]}/{seg[2]}"
                served = [r for r in RESOURCES if r.group_version == gv]
                if not served:
                    raise ApiError(
                        404, "NotFound", "the server could not find the requested resource"
                    )
                return 200, "application/json", _resource_list(gv, served)
        target = self._parse_target(seg)
        if target is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        res, ns, name, sub = target
        if sub:
            return self._subresource(method, res, ns, name, sub, query, body)
        if not name:
            if method == "GET":
                if _truthy(query, "watch"):
                    return 200, "application/json", self._watch(res, ns, query)
                return 200, "application/json", self._list(res, ns, query)
            if method == "POST":
                return 201, "application/json", self._create(res, ns, body)
            raise ApiError(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            )
        if method == "GET":
            return 200, "application/json", self._read(res, ns, name)
        if method == "PUT":
            return 200, "application/json", self._replace(res, ns, name, body)
        if method == "PATCH":
            return 200, "application/json", self._patch(res, ns, name, body, ctype)
        if method == "DELETE":
            return 200, "application/json", self._delete(res, ns, name)
        raise ApiError(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )

    def _list(self, res: Resource, ns: str, query: dict[str, list[str]]) -> dict[str, Any]:
        labels = label_matcher(query.get("labelSelector", [""])[-1])
        fields = field_matcher(res, query.get("fieldSelector", [""])[-1])
        with self._lock:
            items = [
                json.loads(json.dumps(o))
                for (p, ons, _), o in sorted(self._objects.items())
                if p == res.plural
                and (not ns or ons == ns)
                and labels(o["metadata"].get("labels") or {})
                and fields(o)
            ]
            rv = str(self._rv)
        limit = query.get("limit", [""])[-1]
        if limit.isdigit() and int(limit) > 0:
            items = items[: int(limit)]
        for item in items:
            item.pop("apiVersion", None)
            item.pop("kind", None)
        return {
            "kind": f"{res.kind}List",
            "apiVersion": res.group_version,
            "metadata": {"resourceVersion": rv},
            "items": items,
        }

    def _watch(self, res: Resource, ns: str, query: dict[str, list[str]]) -> Iterator[bytes]:
        labels = label_matcher(query.get("labelSelector", [""])[-1])
        fields = field_matcher(res, query.get("fieldSelector", [""])[-1])
        timeout = float(query.get("timeoutSeconds", ["30"])[-1])
        since = query.get("resourceVersion", [""])[-1]
        start_rv = int(since) if since.isdigit() and int(since) > 0 else 0

        def stream() -> Iterator[bytes]:
            deadline = time.monotonic() + min(timeout, 30.0)
            seen = start_rv
            if not start_rv:
                with self._lock:
                    current = [
                        o
                        for (p, ons, _), o in sorted(self._objects.items())
                        if p == res.plural and (not ns or ons == ns)
                    ]
                    seen = self._rv
                for obj in current:
                    if labels(obj["metadata"].get("labels") or {}) and fields(obj):
                        yield _line({"type": "ADDED", "object": obj})
            while self._server is not None and time.monotonic() < deadline:
                with self._changed:
                    fresh = [e for e in self._seq if e[0] > seen and e[2] == res.plural]
                    if not fresh:
                        self._changed.wait(min(0.2, max(0.0, deadline - time.monotonic())))
                        continue
                    seen = max(e[0] for e in fresh)
                for _, kind, _, obj in fresh:
                    if ns and obj["metadata"].get("namespace") != ns:
                        continue
                    if labels(obj["metadata"].get("labels") or {}) and fields(obj):
                        yield _line({"type": kind, "object": obj})

        return stream()

    def _read(self, res: Resource, ns: str, name: str) -> dict[str, Any]:
        obj = self.get(res.plural, ns, name)
        if obj is None:
            raise not_found(res, name)
        return obj

    def _create(self, res: Resource, ns: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("metadata"), dict):
            raise ApiError(
                400, "BadRequest", "the body of the request was not a JSON object with metadata"
            )
        meta = body["metadata"]
        if not meta.get("name") and not meta.get("generateName"):
            raise ApiError(
                422,
                "Invalid",
                f'{res.kind} "" is invalid: metadata.name: Required value: '
                "name or generateName is required",
            )
        if body.get("kind") not in (None, res.kind):
            raise ApiError(
                400,
                "BadRequest",
                f"the API version in the data ({body.get('apiVersion')}) does not match "
                f"the expected API version ({res.group_version})",
            )
        with self._lock:
            if res.namespaced:
                self._namespace_active(ns)
            obj = self._new_meta(res, ns, body)
            name = obj["metadata"]["name"]
            if (res.plural, ns, name) in self._objects:
                raise ApiError(
                    409,
                    "AlreadyExists",
                    f'{res.qualified} "{name}" already exists',
                    {"name": name, "group": res.group, "kind": res.plural},
                )
            self._put(res, ns, obj)
        self._after_write(res, ns, obj, created=True)
        return self._read(res, ns, name)

    def _replace(self, res: Resource, ns: str, name: str, body: Any) -> dict[str, Any]:
        with self._lock:
            old = self._objects.get((res.plural, ns, name))
            if old is None:
                raise not_found(res, name)
            obj = json.loads(json.dumps(body))
            obj["apiVersion"], obj["kind"] = res.group_version, res.kind
            keep = {
                k: old["metadata"][k]
                for k in ("uid", "creationTimestamp", "namespace")
                if k in old["metadata"]
            }
            obj.setdefault("metadata", {}).update(keep)
            obj["metadata"]["generation"] = int(old["metadata"].get("generation", 1)) + 1
            self._put(res, ns, obj, "MODIFIED")
        self._after_write(res, ns, obj, created=False)
        return self._read(res, ns, name)

    def _patch(self, res: Resource, ns: str, name: str, body: Any, ctype: str) -> dict[str, Any]:
        if "json-patch" in ctype:
            raise ApiError(415, "UnsupportedMediaType", "the double only supports merge patches")
        with self._lock:
            old = self._objects.get((res.plural, ns, name))
            if old is None:
                raise not_found(res, name)
            obj = merge_patch(old, body)
            obj["metadata"]["generation"] = int(old["metadata"].get("generation", 1)) + 1
            self._put(res, ns, obj, "MODIFIED")
        self._after_write(res, ns, obj, created=False)
        return self._read(res, ns, name)

    def _delete(self, res: Resource, ns: str, name: str) -> dict[str, Any]:
        with self._lock:
            obj = self._objects.get((res.plural, ns, name))
            if obj is None:
                raise not_found(res, name)
            if res.plural == "namespaces":
                if obj["status"]["phase"] == "Terminating":
                    return json.loads(json.dumps(obj))
                obj["status"]["phase"] = "Terminating"
                obj["metadata"]["deletionTimestamp"] = now_rfc3339()
                self._put(res, ns, obj, "MODIFIED")
                snapshot = json.loads(json.dumps(obj))
                self._later(self.namespace_grace, self._finish_namespace, name)
                return snapshot
            self._remove(res, ns, name)
            if res.plural == "deployments":
                self._reconcile_pods(ns, obj, 0)
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": {
                "name": name,
                "group": res.group,
                "kind": res.plural,
                "uid": obj["metadata"]["uid"],
            },
        }

    def _finish_namespace(self, name: str) -> None:
        with self._lock:
            for key in [k for k in self._objects if k[1] == name]:
                res = next(r for r in RESOURCES if r.plural == key[0])
                self._remove(res, key[1], key[2])
            for rel_key in [k for k in self._releases if k[0] == name]:
                del self._releases[rel_key]
            self._remove(RESOURCES[0], "", name)

    def _subresource(
        self,
        method: str,
        res: Resource,
        ns: str,
        name: str,
        sub: str,
        query: dict[str, list[str]],
        body: Any,
    ) -> tuple[int, str, Any]:
        head, _, rest = sub.partition("/")
        if res.plural == "pods" and head == "log" and method == "GET":
            return 200, "text/plain", self._pod_log(ns, name, query)
        if head == "proxy" and method == "GET" and res.plural in ("pods", "services"):
            if res.plural == "services":
                return self._service_proxy(ns, name, rest)
            pod_name, port = _name_port(name)
            return self._pod_proxy(ns, pod_name, port, rest)
        if head in ("status", "scale") and method == "GET" and head in res.subresources:
            obj = self._read(res, ns, name)
            if head == "scale":
                return (
                    200,
                    "application/json",
                    {
                        "kind": "Scale",
                        "apiVersion": "autoscaling/v1",
                        "metadata": {"name": name, "namespace": ns},
                        "spec": {"replicas": obj["spec"].get("replicas", 1)},
                        "status": {"replicas": obj.get("status", {}).get("replicas", 0)},
                    },
                )
            return 200, "application/json", obj
        raise ApiError(404, "NotFound", "the server could not find the requested resource")

    # -- simulated controllers

    def _after_write(self, res: Resource, ns: str, obj: dict[str, Any], *, created: bool) -> None:
        if res.plural == "deployments":
            self._reconcile_pods(ns, obj, int(obj.get("spec", {}).get("replicas", 1)))
        elif res.plural == "horizontalpodautoscalers" and created:
            self._later(self.hpa_sync_delay, self._hpa_sync, ns, obj["metadata"]["name"])
            self._fire("hpa", obj, ())

    def _reconcile_pods(self, ns: str, dep: dict[str, Any], want: int) -> None:
        pods_res = BY_GV_PLURAL[("v1", "pods")]
        dep_name = dep["metadata"]["name"]
        template = dep.get("spec", {}).get("template", {})
        tmpl_hash = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]
        with self._lock:
            owned = sorted(
                n
                for (p, pns, n), o in self._objects.items()
                if p == "pods"
                and pns == ns
                and o.get("metadata", {}).get("annotations", {}).get("double/owner") == dep_name
            )
            for extra in owned[want:]:
                self._remove(pods_res, ns, extra)
            release = self._release_for_deployment(ns, dep_name)
            for _ in range(len(owned), want):
                pod = self._make_pod(ns, dep_name, tmpl_hash, template, release)
                self._put(pods_res, ns, pod)
            if ("deployments", ns, dep_name) in self._objects:
                live = self._objects[("deployments", ns, dep_name)]
                live["status"] = {
                    "observedGeneration": live["metadata"].get("generation", 1),
                    "replicas": want,
                    "updatedReplicas": want,
                    "readyReplicas": want,
                    "availableReplicas": want,
                    "conditions": [
                        _condition("Available", "MinimumReplicasAvailable"),
                        _condition("Progressing", "NewReplicaSetAvailable"),
                    ],
                }
                if want == 0:
                    for key in (
                        "readyReplicas",
                        "availableReplicas",
                        "updatedReplicas",
                        "replicas",
                    ):
                        live["status"].pop(key)
                self._put(BY_GV_PLURAL[("apps/v1", "deployments")], ns, live, "MODIFIED")
                if want != len(owned):
                    way = "up" if want > len(owned) else "down"
                    self._event(ns, live, "Normal", "ScalingReplicaSet",
                                f"Scaled {way} replica set {dep_name}-{tmpl_hash} from "
                                f"{len(owned)} to {want}", "deployment-controller")  # fmt: skip

    def _make_pod(
        self, ns: str, dep: str, tmpl_hash: str, template: dict[str, Any], release: Release | None
    ) -> dict[str, Any]:
        spec = json.loads(json.dumps(template.get("spec", {})))
        labels = dict(template.get("metadata", {}).get("labels") or {})
        labels["pod-template-hash"] = tmpl_hash
        profile = release.profile if release else None
        restarts = profile.restarts if profile else 0
        started = now_rfc3339()
        statuses = []
        for c in spec.get("containers", []):
            last: dict[str, Any] = {}
            if profile is not None and profile.previous_log is not None:
                last = {
                    "terminated": {
                        "exitCode": 1,
                        "reason": "Error",
                        "startedAt": started,
                        "finishedAt": started,
                    }
                }
            statuses.append(
                {
                    "name": c.get("name"),
                    "image": c.get("image"),
                    "imageID": "",
                    "ready": True,
                    "started": True,
                    "restartCount": restarts,
                    "state": {"running": {"startedAt": started}},
                    "lastState": last,
                }
            )
        pod = {
            "metadata": {
                "name": f"{dep}-{tmpl_hash}-{uuid.uuid4().hex[:5]}",
                "labels": labels,
                "annotations": {"double/owner": dep},
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "ReplicaSet",
                        "name": f"{dep}-{tmpl_hash}",
                        "uid": str(uuid.uuid4()),
                        "controller": True,
                    }
                ],
            },
            "spec": {**spec, "nodeName": "botkube-control-plane"},
            "status": {
                "phase": "Running",
                "podIP": "10.244.0.7",
                "hostIP": "172.18.0.2",
                "startTime": started,
                "conditions": [
                    {"type": "Ready", "status": "True"},
                    {"type": "ContainersReady", "status": "True"},
                ],
                "containerStatuses": statuses,
            },
        }
        return self._new_meta(BY_GV_PLURAL[("v1", "pods")], ns, pod)

    def _hpa_sync(self, ns: str, name: str) -> None:
        """What the HPA controller does without metrics-server: rescale to min, then complain."""
        hpa = self.get("horizontalpodautoscalers", ns, name)
        if hpa is None:
            return
        spec = hpa.get("spec", {})
        ref = spec.get("scaleTargetRef", {})
        if ref.get("kind") != "Deployment":
            return
        dep = self.get("deployments", ns, ref.get("name", ""))
        if dep is None:
            self._event(
                ns,
                hpa,
                "Warning",
                "FailedGetScale",
                f'deployments/scale.apps "{ref.get("name")}" not found',
            )
            return
        events = []
        current = int(dep["spec"].get("replicas", 1))
        minimum = int(spec.get("minReplicas", 1))
        if minimum > current:
            patched = merge_patch(dep, {"spec": {"replicas": minimum}})
            with self._lock:
                self._put(BY_GV_PLURAL[("apps/v1", "deployments")], ns, patched, "MODIFIED")
            self._reconcile_pods(ns, patched, minimum)
            events.append(
                self._event(
                    ns,
                    hpa,
                    "Normal",
                    "SuccessfulRescale",
                    f"New size: {minimum}; reason: Current number of replicas below "
                    "Spec.MinReplicas",
                )
            )
        for metric in spec.get("metrics", []):
            if metric.get("type") == "Resource":
                rname = metric.get("resource", {}).get("name", "cpu")
                events.append(
                    self._event(
                        ns,
                        hpa,
                        "Warning",
                        "FailedGetResourceMetric",
                        f"failed to get {rname} utilization: unable to get metrics for resource "
                        f"{rname}: unable to fetch metrics from resource metrics API: the server "
                        "could not find the requested resource (get pods.metrics.k8s.io)",
                    )
                )
        self._fire("rescale", hpa, tuple(events))

    def _event(
        self,
        ns: str,
        obj: dict[str, Any],
        etype: str,
        reason: str,
        msg: str,
        component: str = "horizontal-pod-autoscaler",
    ) -> dict[str, Any]:
        meta = obj["metadata"]
        ts = now_rfc3339()
        event = self._new_meta(
            BY_GV_PLURAL[("v1", "events")],
            ns,
            {
                "metadata": {"name": f"{meta['name']}.{uuid.uuid4().hex[:16]}"},
                "involvedObject": {
                    "kind": obj["kind"],
                    "namespace": ns,
                    "name": meta["name"],
                    "uid": meta["uid"],
                    "apiVersion": obj["apiVersion"],
                    "resourceVersion": meta.get("resourceVersion", ""),
                },
                "reason": reason,
                "message": msg,
                "type": etype,
                "count": 1,
                "source": {"component": component},
                "firstTimestamp": ts,
                "lastTimestamp": ts,
                "eventTime": None,
                "reportingComponent": component,
                "reportingInstance": "",
            },
        )
        with self._lock:
            self._put(BY_GV_PLURAL[("v1", "events")], ns, event)
        return event

    def add_event(
        self, ns: str, involved: dict[str, Any], etype: str, reason: str, msg: str
    ) -> dict[str, Any]:
        """Record a core Event about ``involved`` (a stored object), as a controller would."""
        return self._event(ns, involved, etype, reason, msg)

    def _later(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        if delay <= 0:
            fn(*args)
            return
        timer = threading.Timer(delay, fn, args)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    # -- BotKube releases

    def _profile_for(self, release: Release) -> BotkubeProfile:
        with self._lock:
            chosen: ProfileSource = BotkubeProfile()
            for glob, source in self._profiles:
                if fnmatch.fnmatchcase(release.namespace, glob):
                    chosen = source
        return chosen(release) if callable(chosen) else chosen

    def _release_for_deployment(self, ns: str, dep: str) -> Release | None:
        for (rns, _), rel in self._releases.items():
            if rns == ns and rel.fullname == dep:
                return rel
        return None

    def _release_for_pod(self, ns: str, pod: str) -> Release | None:
        obj = self.get("pods", ns, pod)
        if obj is None:
            return None
        owner = obj["metadata"].get("annotations", {}).get("double/owner", "")
        return self._release_for_deployment(ns, owner)

    def install(
        self,
        namespace: str,
        release: str,
        values: dict[str, Any],
        *,
        chart: str = "botkube",
        chart_version: str | None = None,
        create_namespace: bool = False,
        client_pid: int | None = None,
        revision: int = 1,
        agent_violations: str = "",
    ) -> Release:
        """What ``helm install`` of the BotKube chart leaves in the cluster, scripted by profile."""
        fullname = str(values.get("fullnameOverride") or "")
        if not fullname:
            name = str(values.get("nameOverride") or "botkube")
            fullname = release if name in release else f"{release}-{name}"
        rel = Release(namespace, release, chart, chart_version, values, fullname[:63], client_pid)
        rel.revision = revision
        rel.agent_violations = agent_violations
        rel.profile = self._profile_for(rel)
        if rel.profile.install_error:
            raise ApiError(500, "InternalError", rel.profile.install_error)
        with self._lock:
            if ("namespaces", "", namespace) not in self._objects:
                if not create_namespace:
                    raise ApiError(404, "NotFound", f'namespaces "{namespace}" not found')
                self._create(RESOURCES[0], "", {"metadata": {"name": namespace}})
            if (namespace, release) in self._releases:
                raise ApiError(409, "AlreadyExists", "cannot re-use a name that is still in use")
            self._releases[(namespace, release)] = rel
        image = values.get("image") or {}
        tag = image.get("tag") or chart_version or "v1.13.0"
        registry = image.get("registry", "ghcr.io")
        image_ref = f"{registry}/{image.get('repository', 'kubeshop/botkube')}:{tag}"
        labels = {
            "app.kubernetes.io/name": "botkube",
            "app.kubernetes.io/instance": release,
            "app.kubernetes.io/managed-by": "Helm",
            "component": "controller",
            "app": "botkube",
        }
        pod_labels = {"component": "controller", "app": "botkube"}
        probe = {"httpGet": {"path": "/healthz", "port": rel.health_port}}
        deployment = {
            "metadata": {"name": rel.fullname, "labels": labels},
            "spec": {
                "replicas": int(values.get("replicaCount", 1)),
                "selector": {"matchLabels": pod_labels},
                "template": {
                    "metadata": {"labels": pod_labels},
                    "spec": {
                        "serviceAccountName": f"{rel.fullname}-sa",
                        "containers": [
                            {
                                "name": "botkube",
                                "image": image_ref,
                                "readinessProbe": probe,
                                "livenessProbe": probe,
                                "env": [
                                    {"name": k, "value": str(v)}
                                    for k, v in sorted((values.get("extraEnv") or {}).items())
                                ]
                                if isinstance(values.get("extraEnv"), dict)
                                else [],
                            }
                        ],
                    },
                },
            },
        }
        self._create(
            BY_GV_PLURAL[("v1", "serviceaccounts")],
            namespace,
            {"metadata": {"name": f"{rel.fullname}-sa", "labels": labels}},
        )
        incoming = (values.get("plugins") or {}).get("incomingWebhook") or {}
        if incoming.get("enabled", True):
            port = int(incoming.get("port", 2115))
            self._create(
                BY_GV_PLURAL[("v1", "services")],
                namespace,
                {
                    "metadata": {"name": rel.fullname, "labels": labels},
                    "spec": {
                        "type": "ClusterIP",
                        "selector": {"app": "botkube"},
                        "ports": [
                            {
                                "name": "incoming-webhook",
                                "port": port,
                                "targetPort": int(incoming.get("targetPort", port)),
                            }
                        ],
                    },
                },
            )
        self._create(
            BY_GV_PLURAL[("v1", "secrets")],
            namespace,
            {
                "metadata": {
                    "name": f"sh.helm.release.v1.{release}.v1",
                    "labels": {
                        "owner": "helm",
                        "name": release,
                        "status": "deployed",
                        "version": str(revision),
                    },
                },
                "type": "helm.sh/release.v1",
                "data": {},
            },
        )
        self._create(BY_GV_PLURAL[("apps/v1", "deployments")], namespace, deployment)
        self._fire("install", None, (), only=rel)
        return rel

    def uninstall(self, namespace: str, release: str) -> bool:
        """Remove what install() created; False when there is no such release."""
        with self._lock:
            rel = self._releases.pop((namespace, release), None)
            if rel is None:
                return False
            for plural, name in (
                ("deployments", rel.fullname),
                ("services", rel.fullname),
                ("serviceaccounts", f"{rel.fullname}-sa"),
                ("secrets", f"sh.helm.release.v1.{release}.v{rel.revision}"),
            ):
                res = next(r for r in RESOURCES if r.plural == plural)
                if self._remove(res, namespace, name) is not None and plural == "deployments":
                    self._reconcile_pods(namespace, {"metadata": {"name": name}}, 0)
        return True

    def _fire(
        self,
        trigger: str,
        obj: dict[str, Any] | None,
        events: tuple[dict[str, Any], ...],
        only: Release | None = None,
    ) -> None:
        with self._lock:
            releases = [only] if only else list(self._releases.values())
        for rel in releases:
            profile = rel.profile
            if profile is None:
                continue
            if profile.sigint_on == trigger and rel.client_pid:
                os.kill(rel.client_pid, signal.SIGINT)
            ctx = DeliveryContext(rel, trigger, obj, events)
            for planned in profile.deliveries:
                if planned.trigger == trigger:
                    self._later(planned.delay, self._deliver, ctx, planned.payload)

    def _deliver(self, ctx: DeliveryContext, payload: Payload) -> None:
        made = payload(ctx) if callable(payload) else payload
        bodies = [] if made is None else made if isinstance(made, list) else [made]
        for body, url in ((b, u) for b in bodies for u in ctx.release.webhook_urls()):
            req = urllib.request.Request(
                url,
                data=json.dumps(body).encode(),
                method="POST",
                headers={"Content-Type": "application/json"},
            )
            status: int | None = None
            error: str | None = None
            try:
                with urllib.request.urlopen(req, timeout=5) as resp:
                    status = resp.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except (urllib.error.URLError, OSError) as exc:
                error = str(exc)
            with self._lock:
                self._sent.append(SentDelivery(url, body, status, error))

    # -- logs and proxies

    def _pod_log(self, ns: str, name: str, query: dict[str, list[str]]) -> str:
        pod = self._read(BY_GV_PLURAL[("v1", "pods")], ns, name)
        containers = [c["name"] for c in pod["spec"].get("containers", [])]
        container = query.get("container", [""])[-1]
        if container and container not in containers:
            raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {name}")
        if not container and len(containers) > 1:
            raise ApiError(
                400,
                "BadRequest",
                f"a container name must be specified for pod {name}, choose one of: "
                f"[{' '.join(containers)}]",
            )
        container = container or (containers[0] if containers else "")
        rel = self._release_for_pod(ns, name)
        profile = rel.profile if rel else None
        if _truthy(query, "previous"):
            if profile is None or profile.previous_log is None:
                raise ApiError(
                    400,
                    "BadRequest",
                    f'previous terminated container "{container}" in pod "{name}" not found',
                )
            text = profile.previous_log
        else:
            text = profile.log_for(rel) if profile and rel else ""
        tail = query.get("tailLines", [""])[-1]
        if tail.isdigit():
            lines = text.splitlines(keepends=True)
            text = "".join(lines[-int(tail) :]) if int(tail) else ""
        return text

    def _pod_proxy(self, ns: str, pod: str, port: str, path: str) -> tuple[int, str, Any]:
        obj = self._read(BY_GV_PLURAL[("v1", "pods")], ns, pod)
        rel = self._release_for_pod(ns, pod)
        if rel is None or rel.profile is None or port != str(rel.health_port):
            ip = obj["status"].get("podIP", "10.244.0.7")
            raise ApiError(
                503,
                "ServiceUnavailable",
                f"error trying to reach service: dial tcp {ip}:{port or 80}: "
                "connect: connection refused",
            )
        if path != "healthz":
            return 404, "text/plain", "404 page not found\n"
        return rel.profile.healthz_status, "application/json", rel.profile.healthz_for(rel)

    def _service_proxy(self, ns: str, name: str, path: str) -> tuple[int, str, Any]:
        parts = name.split(":")
        svc_name, port = (parts[1], parts[2]) if len(parts) == 3 else _name_port(name)
        svc = self._read(BY_GV_PLURAL[("v1", "services")], ns, svc_name)
        target = None
        for p in svc["spec"].get("ports", []):
            if port in ("", str(p.get("port")), str(p.get("name"))):
                target = str(p.get("targetPort", p.get("port")))
                break
        selector = svc["spec"].get("selector", {})
        pods = self._list(
            BY_GV_PLURAL[("v1", "pods")],
            ns,
            {"labelSelector": [",".join(f"{k}={v}" for k, v in selector.items())]},
        )["items"]
        if target is None or not pods:
            raise ApiError(
                503, "ServiceUnavailable", f'no endpoints available for service "{name}"'
            )
        return self._pod_proxy(ns, pods[0]["metadata"]["name"], target, path)

    # -- control endpoints for the stand-ins

    def _control_call(self, seg: list[str], body: Any) -> tuple[int, str, Any]:
        try:
            if seg == ["helm", "install"]:
                rel = self.install(
                    body["namespace"],
                    body["release"],
                    body.get("values") or {},
                    chart=body.get("chart", "botkube"),
                    chart_version=body.get("version"),
                    create_namespace=bool(body.get("create_namespace")),
                    client_pid=body.get("client_pid"),
                    revision=int(body.get("revision", 1)),
                    agent_violations=str(body.get("agent_violations") or ""),
                )
                return 200, "application/json", {"fullname": rel.fullname}
            if seg == ["helm", "uninstall"]:
                found = self.uninstall(body["namespace"], body["release"])
                return 200, "application/json", {"found": found}
            if seg == ["helm", "releases"]:
                return (
                    200,
                    "application/json",
                    [
                        {
                            "namespace": r.namespace,
                            "name": r.name,
                            "chart": r.chart,
                            "version": r.chart_version,
                            "values": r.values,
                            "revision": r.revision,
                            "deployed": r.deployed,
                        }
                        for r in self.releases.values()
                    ],
                )
        except ApiError as err:
            return err.code, "application/json", err.status()
        return 404, "application/json", {"error": f"unknown control call {seg}"}


def _condition(ctype: str, reason: str) -> dict[str, str]:
    return {"type": ctype, "status": "True", "reason": reason}


def _name_port(name: str) -> tuple[str, str]:
    base, _, port = name.partition(":")
    return base, port


def _truthy(query: dict[str, list[str]], key: str) -> bool:
    return query.get(key, ["false"])[-1].lower() in ("true", "1")


def _line(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode() + b"\n"


def _groups() -> list[str]:
    return sorted({r.group for r in RESOURCES if r.group})


def _group_doc(group: str) -> dict[str, Any]:
    versions = sorted({r.version for r in RESOURCES if r.group == group})
    gv = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": gv, "preferredVersion": gv[0]}


def _resource_list(gv: str, served: list[Resource]) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for r in served:
        resources.append(
            {
                "name": r.plural,
                "singularName": r.singular,
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": VERBS,
                "shortNames": list(r.short_names),
            }
        )
        for sub in r.subresources:
            verbs = ["get"] if sub in ("log", "proxy") else ["get", "patch", "update"]
            kind = "Scale" if sub == "scale" else r.kind
            resources.append(
                {
                    "name": f"{r.plural}/{sub}",
                    "singularName": "",
                    "namespaced": r.namespaced,
                    "kind": kind,
                    "verbs": verbs,
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": gv,
        "resources": resources,
    }


def _handler_for(double: KubeApiDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            ctype = self.headers.get("Content-Type", "")
            status, out_type, payload = double.handle(self.command, self.path, body, ctype)
            self.send_response(status)
            self.send_header("Content-Type", out_type)
            if isinstance(payload, Iterator):
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    for chunk in payload:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            # the client may have gone away (e.g. interrupted mid-request), as clients do
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
