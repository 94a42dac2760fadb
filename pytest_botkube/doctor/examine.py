"""``botkube-repro doctor``: the pure model and the log diagnosis, pointed at a running BotKube.

Everything the doctor learns comes through a ``ClusterReader`` (the real one lives in
``cluster/inspect.py``), so this module never imports the kubernetes client, and every rule here
(which Deployment, which config files, how they merge, what is redacted) is tested on plain data.
It only reads: no verb other than get/list is ever needed.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import yaml

from pytest_botkube.errors import BadInput, BotkubeReproError, EnvironmentUnavailable, ExitCode
from pytest_botkube.helm_values import (
    deep_merge,
)  # the one merge of values files (maps merge, the rest replaces)
from pytest_botkube.model.images import parse_image
from pytest_botkube.redact import REDACTED as _REDACTED
from pytest_botkube.yamlio import YamlDocument, format_key_path

# The chart (helm/botkube/templates/deployment.yaml, v1.13.0 and v1.14.0) hard-codes these two
# labels on the Deployment and its selector, whatever nameOverride says.
CHART_SELECTOR = "app=botkube,component=controller"
RELEASE_LABEL = "app.kubernetes.io/instance"
CHART_LABEL = "helm.sh/chart"
CONTAINER_NAME = "botkube"  # the chart names the container after the chart
CONFIG_PATHS_ENV = "BOTKUBE_CONFIG_PATHS"
REMOTE_CONFIG_ENV = "CONFIG_PROVIDER_IDENTIFIER"
DEFAULT_HEALTH_PORT = 2114  # settings.healthPort in the agent's built-in defaults
CONVENTIONAL_NAMESPACE = "botkube"  # the namespace every upstream install guide uses

# The agent's built-in defaults that matter here (pkg/config/default.yaml); files merge on top.
_AGENT_DEFAULTS: dict[str, Any] = {"settings": {"healthPort": str(DEFAULT_HEALTH_PORT)}}
_ENV_PREFIX = "BOTKUBE_"
_MIN_SCRUB_LEN = 6  # shorter Secret values ("true", "slack") are not worth hiding and would
# mangle ordinary words in the report


class AccessDenied(EnvironmentUnavailable):
    """A 403 from the API server: the message names the verb and resource to grant."""

    def __init__(self, verb: str, resource: str, namespace: str | None) -> None:
        self.verb, self.resource, self.namespace = verb, resource, namespace
        where = f"in namespace {namespace}" if namespace else "at cluster scope"
        super().__init__(
            f"forbidden: cannot {verb} {resource} {where} (RBAC: grant {verb} on {resource})"
        )


class ClusterUnreachable(EnvironmentUnavailable):
    """No answer from the API server, or no usable kubeconfig."""


class BotkubeNotFound(EnvironmentUnavailable):
    """No BotKube Deployment where the doctor looked; the message says what and where."""


class ReadFailed(BotkubeReproError):
    """One observation could not be made (pod not ready for the proxy, no previous log).

    The doctor records it in the report instead of stopping: the other observations still count.
    """


class ClusterReader(Protocol):
    """The read-only calls the doctor makes; objects come back as the API's JSON (camelCase)."""

    @property
    def where(self) -> str:
        """Which cluster, for messages: ``context kind-x (https://127.0.0.1:6443)``."""
        ...

    def default_namespace(self) -> str | None: ...

    def list_deployments(self, namespace: str | None, selector: str) -> list[dict[str, Any]]: ...

    def get_deployment(self, namespace: str, name: str) -> dict[str, Any] | None: ...

    def list_pods(self, namespace: str, selector: str) -> list[dict[str, Any]]: ...

    def get_config_map(self, namespace: str, name: str) -> dict[str, str] | None: ...

    def get_secret(self, namespace: str, name: str) -> dict[str, bytes] | None:
        """The Secret's ``data``, base64-decoded; ``None`` when it does not exist."""
        ...

    def get_healthz(self, namespace: str, pod: str, port: int) -> bytes: ...

    def pod_log(self, namespace: str, pod: str, container: str, previous: bool) -> Iterator[str]:
        """The container's log, line by line, without reading it all into memory."""
        ...


# --------------------------------------------------------------------------- discovery


@dataclass(frozen=True)
class Target:
    """The BotKube Deployment the doctor examines."""

    namespace: str
    name: str
    deployment: dict[str, Any]

    @property
    def release(self) -> str | None:
        labels = self.deployment.get("metadata", {}).get("labels") or {}
        value = labels.get(RELEASE_LABEL)
        return str(value) if value else None


def chart_fullname(release: str) -> str:
    """The chart's ``botkube.fullname`` without overrides: the release name if it already
    contains ``botkube``, else ``<release>-botkube``."""
    return release if "botkube" in release else f"{release}-botkube"


def _meta(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace", "")), str(meta.get("name", ""))


def find_botkube(reader: ClusterReader, namespace: str | None, release: str | None) -> Target:
    """Find exactly one BotKube Deployment, by the chart's labels, then by the release's name."""
    selector = CHART_SELECTOR + (f",{RELEASE_LABEL}={release}" if release else "")
    found: list[dict[str, Any]] = []
    if namespace is not None:
        namespaces = [namespace]
        found = reader.list_deployments(namespace, selector)
        scope = f"namespace {namespace}"
    else:
        try:
            found = reader.list_deployments(None, selector)
            namespaces = []
            scope = "all namespaces"
        except AccessDenied as denied:
            # A namespaced Role cannot list across namespaces: try where BotKube usually lives.
            namespaces = _likely_namespaces(reader)
            scope = "namespace " + " and ".join(namespaces)
            scope += " (listing Deployments in all namespaces is forbidden)"
            denials: list[AccessDenied] = []
            for ns in namespaces:
                try:
                    found.extend(reader.list_deployments(ns, selector))
                except AccessDenied as exc:
                    denials.append(exc)
            if len(denials) == len(namespaces):
                raise denials[0] if denials else denied from None
    looked_for = f"Deployments labelled {selector} in {scope}"
    if not found and release:
        # Not labelled like the chart (a fork, a kustomized copy): try the chart's name for it.
        name = chart_fullname(release)
        where = namespaces or _likely_namespaces(reader)
        for ns in where:
            deployment = reader.get_deployment(ns, name)
            if deployment is not None:
                found.append(deployment)
        looked_for += f", and a Deployment named {name} in namespace {' and '.join(where)}"
    if not found:
        hint = "" if namespace else "; pass --namespace if BotKube runs elsewhere"
        raise BotkubeNotFound(f"no BotKube found in {reader.where}: looked for {looked_for}{hint}")
    if len(found) > 1:
        names = ", ".join("/".join(_meta(d)) for d in found)
        raise BadInput(
            f"found {len(found)} BotKube Deployments ({names}); choose one with --namespace "
            "and --release"
        )
    ns, name = _meta(found[0])
    return Target(namespace=ns or (namespace or ""), name=name, deployment=found[0])


def _likely_namespaces(reader: ClusterReader) -> list[str]:
    """The kubeconfig context's namespace, then the one every upstream guide installs into."""
    return list(dict.fromkeys(filter(None, [reader.default_namespace(), CONVENTIONAL_NAMESPACE])))


def botkube_container(deployment: Mapping[str, Any]) -> dict[str, Any]:
    """The agent container: named ``botkube`` by the chart, else the one running its image."""
    containers: list[dict[str, Any]] = (
        deployment.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or []
    )
    for container in containers:
        if container.get("name") == CONTAINER_NAME:
            return container
    for container in containers:
        if "kubeshop/botkube" in str(container.get("image", "")):
            return container
    if len(containers) == 1:
        return containers[0]
    ns, name = _meta(deployment)
    raise BotkubeNotFound(
        f"Deployment {ns}/{name} has no container named {CONTAINER_NAME!r} nor one running "
        "a kubeshop/botkube image"
    )


def image_tag(image: str) -> str | None:
    """``ghcr.io/kubeshop/botkube:v1.13.0@sha256:...`` -> ``v1.13.0``; no tag -> ``None``."""
    return parse_image(image).tag


def running_version(deployment: Mapping[str, Any], container: Mapping[str, Any]) -> str | None:
    """The BotKube version the agent runs: its image tag, else the chart label's version."""
    tag = image_tag(str(container.get("image", "")))
    if tag:
        return tag
    labels = deployment.get("metadata", {}).get("labels") or {}
    chart = str(labels.get(CHART_LABEL, ""))
    if chart.startswith("botkube-"):
        return chart.removeprefix("botkube-").replace("_", "+")
    return None


# --------------------------------------------------------------------------- config files


@dataclass(frozen=True)
class ObjectKey:
    """One key of a ConfigMap or Secret that may supply a config file."""

    kind: Literal["ConfigMap", "Secret"]
    name: str
    key: str
    optional: bool = False

    def describe(self, namespace: str) -> str:
        return f"{self.kind} {namespace}/{self.name} key {self.key}"


@dataclass(frozen=True)
class ConfigFile:
    """A path in ``BOTKUBE_CONFIG_PATHS`` and the objects that may project it, in order."""

    path: str
    candidates: tuple[ObjectKey, ...]


def _env_value(container: Mapping[str, Any], name: str) -> str | None:
    for env in container.get("env") or []:
        if env.get("name") == name and "value" in env:
            return str(env["value"])
    return None


def _sorted_config_paths(paths: Iterable[str]) -> list[str]:
    """The agent loads ``_``-prefixed files (persistent state) last, keeping order otherwise."""
    plain: list[str] = []
    special: list[str] = []
    for path in paths:
        (special if posixpath.basename(path).startswith("_") else plain).append(path)
    return plain + special


def _sources_of(volume: Mapping[str, Any], key: str) -> list[ObjectKey]:
    """The ConfigMap/Secret keys that can supply file ``key`` of a volume."""

    def pick(
        kind: Literal["ConfigMap", "Secret"], ref: Mapping[str, Any], name: str
    ) -> list[ObjectKey]:
        optional = bool(ref.get("optional", False))
        items = ref.get("items")
        if items:
            return [
                ObjectKey(kind, name, str(item["key"]), optional)
                for item in items
                if item.get("path") == key and "key" in item
            ]
        return [ObjectKey(kind, name, key, optional)]

    out: list[ObjectKey] = []
    if "configMap" in volume:
        ref = volume["configMap"]
        out += pick("ConfigMap", ref, str(ref.get("name", "")))
    elif "secret" in volume:
        ref = volume["secret"]
        out += pick("Secret", ref, str(ref.get("secretName", "")))
    elif "projected" in volume:
        for source in volume["projected"].get("sources") or []:
            if "configMap" in source:
                out += pick("ConfigMap", source["configMap"], str(source["configMap"]["name"]))
            elif "secret" in source:
                out += pick("Secret", source["secret"], str(source["secret"]["name"]))
    return out


def config_files(deployment: Mapping[str, Any], container: Mapping[str, Any]) -> list[ConfigFile]:
    """Where each file of ``BOTKUBE_CONFIG_PATHS`` comes from, in the order the agent merges them.

    Resolved through the container's volumeMounts and the pod's volumes, so a renamed or
    ``existingCommunicationsSecretName`` Secret is found exactly as the kubelet mounts it.
    """
    ns, name = _meta(deployment)
    raw = _env_value(container, CONFIG_PATHS_ENV)
    if raw is None:
        if _env_value(container, REMOTE_CONFIG_ENV) is not None:
            raise BadInput(
                f"Deployment {ns}/{name} reads its config from Botkube Cloud "
                f"({REMOTE_CONFIG_ENV} is set); the doctor checks locally configured agents only"
            )
        raise BadInput(
            f"Deployment {ns}/{name}: container {container.get('name')!r} has no "
            f"{CONFIG_PATHS_ENV} value, so the doctor cannot tell which config it runs"
        )
    volumes = {
        v.get("name"): v
        for v in deployment.get("spec", {}).get("template", {}).get("spec", {}).get("volumes") or []
    }
    mounts = sorted(
        container.get("volumeMounts") or [],
        key=lambda m: len(str(m.get("mountPath", ""))),
        reverse=True,
    )
    files: list[ConfigFile] = []
    for path in _sorted_config_paths(p.strip() for p in raw.split(",") if p.strip()):
        candidates: list[ObjectKey] = []
        for mount in mounts:
            mount_path = str(mount.get("mountPath", "")).rstrip("/")
            volume = volumes.get(mount.get("name"))
            if volume is None:
                continue
            if mount.get("subPath"):
                if path == mount_path:
                    candidates = _sources_of(volume, str(mount["subPath"]))
                    break
                continue
            if path.startswith(mount_path + "/"):
                candidates = _sources_of(volume, path[len(mount_path) + 1 :])
                break
        files.append(ConfigFile(path=path, candidates=tuple(candidates)))
    return files


# --------------------------------------------------------------------------- merge and redact
# The agent's koanf loader merges its files as Helm merges ``-f`` files (maps merge key by key,
# lists and scalars replace, ``null`` replaces too), so ``values.deep_merge`` serves both.


def env_overlay(container: Mapping[str, Any]) -> dict[str, Any]:
    """The ``BOTKUBE_*`` env vars with literal values as the agent maps them onto config keys:
    ``_`` nests, ``__`` joins camelCase (``BOTKUBE_SETTINGS_HEALTH__PORT`` ->
    ``settings.healthPort``). ``BOTKUBE_CONFIG_PATHS`` itself is not config."""
    overlay: dict[str, Any] = {}
    for env in container.get("env") or []:
        name = str(env.get("name", ""))
        if not name.startswith(_ENV_PREFIX) or name == CONFIG_PATHS_ENV or "value" not in env:
            continue
        words = name.removeprefix(_ENV_PREFIX).split("__")
        joined = words[0].lower() + "".join(w.lower().capitalize() for w in words[1:])
        node = overlay
        *parents, leaf = joined.split("_")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[leaf] = str(env["value"])
    return overlay


_BINDING_LISTS = ("sources", "executors")


def outline_communications(node: Any) -> tuple[Any, set[str]]:
    """Keep only what decides which sources run: the group/platform/channel structure, the
    ``enabled``/``disabled`` flags and the ``bindings`` lists. Every other value (tokens, URLs,
    channel names, headers) is dropped and returned, so the report can be scrubbed of it."""
    dropped: set[str] = set()

    def walk(value: Any) -> Any:
        if isinstance(value, Mapping):
            kept: dict[str, Any] = {}
            for key, child in value.items():
                if key == "bindings" and isinstance(child, Mapping):
                    bindings: dict[str, Any] = {}
                    for name, items in child.items():
                        if name in _BINDING_LISTS and isinstance(items, list):
                            bindings[name] = [str(i) for i in items if isinstance(i, str)]
                        else:
                            collect(items)
                    kept[key] = bindings
                elif key in ("enabled", "disabled") and isinstance(child, bool | str):
                    kept[key] = child if isinstance(child, bool) else child.lower() == "true"
                elif isinstance(child, Mapping | list):
                    sub = walk(child)
                    if sub:
                        kept[str(key)] = sub
                else:
                    collect(child)
            return kept
        if isinstance(value, list):
            return [w for w in (walk(item) for item in value) if w]
        collect(value)
        return None

    def collect(value: Any) -> None:
        if isinstance(value, Mapping):
            for child in value.values():
                collect(child)
        elif isinstance(value, list):
            for child in value:
                collect(child)
        elif isinstance(value, str) and len(value) >= _MIN_SCRUB_LEN:
            dropped.add(value)

    return walk(node) or {}, dropped


def secret_strings(data: Any) -> set[str]:
    """Every string long enough to matter in a Secret's YAML (or its raw text when it is not
    YAML), for scrubbing: a value kept in the outline is removed from this set by the caller."""
    out: set[str] = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and len(item) >= _MIN_SCRUB_LEN:
            out.add(item)
    return out


def scrub(value: Any, secrets: Iterable[str]) -> Any:
    """A copy of ``value`` with every secret string replaced by ``[redacted]``, everywhere."""
    ordered = sorted(set(secrets), key=len, reverse=True)
    if not ordered:
        return value

    def clean(item: Any) -> Any:
        if isinstance(item, str):
            for secret in ordered:
                if secret in item:
                    item = item.replace(secret, _REDACTED)
            return item
        if isinstance(item, Mapping):
            return {clean(k): clean(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [clean(v) for v in item]
        return item

    return clean(value)


@dataclass(frozen=True)
class RunningConfig:
    """The config the agent runs, merged as it merges it, with ``communications`` outlined."""

    data: dict[str, Any]
    files: tuple[str, ...]  # "path <- ConfigMap ns/name key k", in merge order
    secret_values: frozenset[str] = field(default_factory=frozenset, repr=False)


def _parse_config_text(text: str, label: str, secret: bool) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{label}:{mark.line + 1}" if mark else label
        # A Secret's parse error may quote its content: say only where it is.
        detail = "" if secret else f": {exc.problem}"
        raise BadInput(f"{where}: invalid YAML{detail}") from None
    except yaml.YAMLError:
        raise BadInput(f"{label}: invalid YAML") from None


def read_running_config(
    reader: ClusterReader,
    namespace: str,
    deployment: Mapping[str, Any],
    container: Mapping[str, Any],
) -> RunningConfig:
    """Read and merge every config file of the agent; never keep a Secret's values."""
    merged = deep_merge({}, _AGENT_DEFAULTS)
    described: list[str] = []
    secrets: set[str] = set()
    kept: set[str] = set()
    config_maps: dict[str, dict[str, str] | None] = {}
    secret_objs: dict[str, dict[str, bytes] | None] = {}
    for file in config_files(deployment, container):
        text: str | None = None
        origin: ObjectKey | None = None
        for candidate in file.candidates:
            if candidate.kind == "ConfigMap":
                if candidate.name not in config_maps:
                    config_maps[candidate.name] = reader.get_config_map(namespace, candidate.name)
                cm = config_maps[candidate.name]
                if cm is not None and candidate.key in cm:
                    text, origin = cm[candidate.key], candidate
                    break
            else:
                if candidate.name not in secret_objs:
                    secret_objs[candidate.name] = reader.get_secret(namespace, candidate.name)
                sec = secret_objs[candidate.name]
                if sec is not None and candidate.key in sec:
                    text = sec[candidate.key].decode("utf-8", errors="replace")
                    origin = candidate
                    break
        if origin is None or text is None:
            if file.candidates and all(c.optional for c in file.candidates):
                continue
            looked = "; ".join(c.describe(namespace) for c in file.candidates) or "no volume"
            raise BotkubeNotFound(
                f"config file {file.path} of the agent not found (looked in {looked})"
            )
        label = origin.describe(namespace)
        is_secret = origin.kind == "Secret"
        data = _parse_config_text(text, label, is_secret)
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise BadInput(f"{label}: expected a YAML mapping")
        if is_secret:
            secrets |= secret_strings(data)
            outline, _ = outline_communications(data.get("communications") or {})
            kept |= _binding_names(outline)
            data = {"communications": outline} if "communications" in data else {}
        described.append(f"{file.path} <- {label}")
        merged = deep_merge(merged, data)
    overlay = env_overlay(container)
    merged = deep_merge(merged, overlay)
    # Whatever reached `communications` (Secret or plain files or env) is outlined the same way.
    outline, dropped = outline_communications(merged.get("communications") or {})
    kept |= _binding_names(outline)
    if "communications" in merged:
        merged["communications"] = outline
    secrets |= dropped
    # A value that is also in the Deployment or a ConfigMap ("botkube", a namespace) is public;
    # scrubbing it would only mangle the report.
    public = json.dumps(deployment) + "\n".join(
        text for cm in config_maps.values() if cm for text in cm.values()
    )
    secrets = {s for s in secrets if len(s) >= _MIN_SCRUB_LEN and s not in kept and s not in public}
    return RunningConfig(data=merged, files=tuple(described), secret_values=frozenset(secrets))


def _binding_names(outline: Any) -> set[str]:
    """Strings kept in the outline (source/executor aliases), which are not secrets."""
    out: set[str] = set()
    stack = [outline]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            stack.extend(item.values())
            out.update(str(k) for k in item)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            out.add(item)
    return out


# --------------------------------------------------------------------------- pod and health


@dataclass(frozen=True)
class PodState:
    """The agent pod as the API reports it."""

    name: str
    phase: str
    ready: bool
    restarts: int
    last_exit_code: int | None = None
    last_reason: str | None = None


def pick_pod(pods: Sequence[Mapping[str, Any]], container: str) -> PodState | None:
    """The pod to examine: not terminating, Running first, newest first."""

    def rank(pod: Mapping[str, Any]) -> tuple[bool, bool, str]:
        meta = pod.get("metadata") or {}
        phase = (pod.get("status") or {}).get("phase")
        return (
            "deletionTimestamp" not in meta,
            phase == "Running",
            str(meta.get("creationTimestamp", "")),
        )

    if not pods:
        return None
    pod = max(pods, key=rank)
    status = pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    mine = next((s for s in statuses if s.get("name") == container), None)
    restarts, ready, code, reason = 0, False, None, None
    if mine is not None:
        restarts = int(mine.get("restartCount", 0))
        ready = bool(mine.get("ready", False))
        terminated = (mine.get("lastState") or {}).get("terminated") or {}
        if terminated:
            code = terminated.get("exitCode")
            reason = terminated.get("reason")
    return PodState(
        name=str((pod.get("metadata") or {}).get("name", "")),
        phase=str(status.get("phase", "Unknown")),
        ready=ready,
        restarts=restarts,
        last_exit_code=int(code) if code is not None else None,
        last_reason=str(reason) if reason else None,
    )


def health_port(container: Mapping[str, Any], config: Mapping[str, Any]) -> int:
    """The agent's health port: the config's ``settings.healthPort`` (what the agent listens
    on), else the port the chart's probes use, else the agent default 2114."""
    configured = str((config.get("settings") or {}).get("healthPort") or "").strip()
    if configured.isdigit():
        return int(configured)
    named = {p.get("name"): p.get("containerPort") for p in container.get("ports") or []}
    for probe in ("readinessProbe", "livenessProbe"):
        http = (container.get(probe) or {}).get("httpGet") or {}
        port = http.get("port")
        if isinstance(port, int):
            return port
        if isinstance(port, str) and port.isdigit():
            return int(port)
        if isinstance(port, str) and isinstance(named.get(port), int):
            return int(named[port])
    return DEFAULT_HEALTH_PORT


# --------------------------------------------------------------------------- examination


PLUGIN = "botkube/kubernetes"
UPGRADE_TO = "v1.14.0"  # the last BotKube release, the first without #1474


@dataclass
class DoctorReport:
    """Everything the doctor found, as plain data; ``to_json`` is scrubbed of Secret values."""

    cluster: str
    namespace: str
    deployment: str
    release: str | None
    image: str
    botkube_version: str | None
    kubernetes_version: str | None
    config_files: list[str]
    pod: PodState | None
    predicted: dict[str, Any] | None
    healthz: dict[str, Any] | None
    observed: dict[str, Any] | None
    log: dict[str, Any]
    known_issue: dict[str, Any] | None
    fixes: list[str]
    problems: list[str]
    notes: list[str]
    secret_values: frozenset[str] = field(default_factory=frozenset, repr=False)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.PROBLEM if self.problems else ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "cluster": self.cluster,
            "namespace": self.namespace,
            "deployment": self.deployment,
            "release": self.release,
            "image": self.image,
            "botkube_version": self.botkube_version,
            "kubernetes_version": self.kubernetes_version,
            "config_files": self.config_files,
            "pod": None if self.pod is None else self.pod.__dict__.copy(),
            "predicted": self.predicted,
            "healthz": self.healthz,
            "observed": self.observed,
            "log": self.log,
            "known_issue": self.known_issue,
            "fixes": self.fixes,
            "problems": self.problems,
            "notes": self.notes,
            "status": "problem" if self.problems else "healthy",
            "exit_code": int(self.exit_code),
        }
        cleaned: dict[str, Any] = scrub(data, self.secret_values)
        return cleaned


def model_input(config: Mapping[str, Any]) -> dict[str, Any]:
    """The running config in the shape ``analyze`` reads (a Helm values overlay).

    The agent's files already hold the chart's defaults, so a default source missing from them
    was removed on purpose: a ``null`` tells the model not to add it back.
    """
    from pytest_botkube.model.config import CHART_DEFAULT_SOURCE_NAMES

    sources = dict(config.get("sources") or {})
    for name in CHART_DEFAULT_SOURCE_NAMES:
        sources.setdefault(name, None)
    return {**config, "sources": sources, "communications": config.get("communications") or {}}


def _read_log(
    reader: ClusterReader, namespace: str, pod: PodState, notes: list[str]
) -> tuple[Any, list[str]]:
    """The agent log, previous container first when it restarted, diagnosed as it streams."""
    from itertools import chain

    from pytest_botkube.readers.logs import read_log

    read: list[str] = []
    parts: list[Iterable[str]] = []
    if pod.restarts > 0:
        try:
            parts.append(reader.pod_log(namespace, pod.name, CONTAINER_NAME, True))
            read.append("previous")
        except ReadFailed as exc:
            notes.append(f"no previous log: {exc}")
    try:
        parts.append(reader.pod_log(namespace, pod.name, CONTAINER_NAME, False))
        read.append("current")
    except ReadFailed as exc:
        notes.append(f"no current log: {exc}")
    return read_log(chain.from_iterable(parts)), read


def examine(
    reader: ClusterReader, namespace: str | None = None, release: str | None = None
) -> DoctorReport:
    """Find BotKube, read what it runs and how it behaves, and say what is wrong and the fix."""
    from pytest_botkube.model.semantics import analyze
    from pytest_botkube.model.versions import (
        format_kubernetes_version,
        has_nil_event_panic,
        normalize_botkube_version,
        parse_kubernetes_version,
    )
    from pytest_botkube.readers.health import (
        HealthzError,
        health_verdict,
        parse_healthz,
        plugin_report,
    )

    target = find_botkube(reader, namespace, release)
    ns = target.namespace
    container = botkube_container(target.deployment)
    notes: list[str] = []
    problems: list[str] = []
    fixes: list[str] = []
    raw_version = running_version(target.deployment, container)
    running = read_running_config(reader, ns, target.deployment, container)
    server = getattr(reader, "server_version", None)
    kube_version: str | None = None
    server_version = server() if callable(server) else None
    if server_version:
        try:
            kube_version = format_kubernetes_version(parse_kubernetes_version(server_version))
        except BadInput as exc:
            notes.append(f"Kubernetes {server_version}: {exc}; the model assumes its default")

    # Predicted: the model on the config this agent runs.
    version: str | None = None
    analysis = None
    if raw_version is None:
        problems.append(f"cannot tell the BotKube version from image {container.get('image')}")
    else:
        try:
            version = normalize_botkube_version(raw_version)
        except BadInput as exc:
            problems.append(f"no prediction for image tag {raw_version}: {exc}")
    if version is not None:
        try:
            analysis = analyze(
                YamlDocument(f"config of {ns}/{target.name}", model_input(running.data)),
                version,
                kube_version,
            )
        except BadInput as exc:
            # The agent runs a config the model cannot read: say where, keep observing.
            problems.append(f"the running config cannot be read: {exc}")
    predicted = None if analysis is None else analysis.to_json()
    started = [] if analysis is None else [s.name for s in analysis.sources if s.started]
    if analysis is not None:
        if analysis.verdict != "healthy":
            culprits = [s.name for s in analysis.sources if s.cause is not None]
            problems.append(
                f"predicted: the {PLUGIN} plugin process will {analysis.verdict} on {version}"
                + (f" because of source {', '.join(culprits)}" if culprits else "")
            )
        elif analysis.exit_code:
            problems.append("predicted: the config has errors (see the findings)")
        for source in analysis.sources:
            for finding in source.findings:
                if finding.severity == "error" and source.cause is not None:
                    where = format_key_path(finding.path)
                    fixes.append(f"{where}: {finding.fix} [{finding.code}, {finding.upstream}]")
        for finding in analysis.findings:
            if finding.severity == "error":
                fixes.append(f"{format_key_path(finding.path)}: {finding.fix} [{finding.code}]")

    # Observed: the pod, /healthz through the API server's proxy, the agent log.
    pods = reader.list_pods(ns, _match_labels(target.deployment) or CHART_SELECTOR)
    pod = pick_pod(pods, str(container.get("name", CONTAINER_NAME)))
    healthz = None
    healthz_json: dict[str, Any] | None = None
    summary = None
    log_read: list[str] = []
    if pod is None:
        problems.append(f"Deployment {ns}/{target.name} has no pod")
    else:
        if pod.phase != "Running" or not pod.ready:
            problems.append(f"pod {pod.name} is {pod.phase}{'' if pod.ready else ', not ready'}")
        port = health_port(container, running.data)
        try:
            body = reader.get_healthz(ns, pod.name, port)
            healthz = parse_healthz(body, where=f"/healthz of {ns}/{pod.name}:{port}")
            healthz_json = {
                "port": port,
                "botkube": healthz.botkube_status,
                "plugins": {
                    alias: {
                        "enabled": p.enabled,
                        "status": p.status,
                        "restarts": f"{p.restarts}/{p.threshold}",
                    }
                    for alias, p in healthz.plugins.items()
                },
            }
            if healthz.botkube_status != "Healthy":
                problems.append(f"/healthz: botkube is {healthz.botkube_status}")
        except (ReadFailed, HealthzError) as exc:
            notes.append(f"/healthz not read: {exc}")
        summary, log_read = _read_log(reader, ns, pod, notes)
    log_json: dict[str, Any] = {
        "read": log_read,
        "lines": 0 if summary is None else summary.lines,
        "plugins": {}
        if summary is None
        else {name: plugin_report(summary, t) for name, t in sorted(summary.plugins.items())},
        "sink_failures": {
            "count": 0 if summary is None else summary.sink_failure_count,
            "first": [] if summary is None else [f.error for f in summary.sink_failures[:3]],
        },
    }
    observed = None
    known = None
    if healthz is not None or summary is not None:
        verdict = health_verdict(healthz, summary, PLUGIN, aliases=started or None)
        observed = {
            "plugin": PLUGIN,
            "status": verdict.status,
            "sentence": verdict.sentence,
            "restarts": verdict.restarts,
            "threshold": verdict.threshold,
            "aliases": list(verdict.aliases),
            "notes": list(verdict.notes),
        }
        if verdict.status in ("crashing", "deactivated"):
            problems.append(f"observed: {PLUGIN} {verdict.sentence}")
        match = verdict.known_match
        if match is not None:
            issue = match.issue
            known = {
                "ref": issue.ref,
                "url": issue.url,
                "title": issue.title,
                "certainty": match.certainty,
                "evidence": match.evidence,
                "fixed_in": issue.fixed_in,
                "fix": issue.fix,
            }
            fixes.insert(0, f"{issue.ref}: {issue.fix}")
    crash = analysis is not None and analysis.verdict == "crash"
    if crash and version is not None and has_nil_event_panic(version):
        fixes.insert(
            0,
            f"upgrade BotKube to {UPGRADE_TO}: helm upgrade {target.release or '<release>'} "
            f"botkube/botkube -n {ns} --version {UPGRADE_TO} --reuse-values",
        )
    return DoctorReport(
        cluster=reader.where,
        namespace=ns,
        deployment=target.name,
        release=target.release,
        image=str(container.get("image", "")),
        botkube_version=version or raw_version,
        kubernetes_version=kube_version,
        config_files=list(running.files),
        pod=pod,
        predicted=predicted,
        healthz=healthz_json,
        observed=observed,
        log=log_json,
        known_issue=known,
        fixes=list(dict.fromkeys(fixes)),
        problems=problems,
        notes=notes,
        secret_values=running.secret_values,
    )


def _match_labels(deployment: Mapping[str, Any]) -> str:
    labels = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


# --------------------------------------------------------------------------- rendering


def render_json(report: DoctorReport) -> str:
    return json.dumps(report.to_json(), indent=2, sort_keys=False)


def render_text(report: DoctorReport) -> str:
    """The report for people, built from the scrubbed JSON so both outputs hide the same."""
    data = report.to_json()
    out: list[str] = [f"BotKube doctor: {data['cluster']}"]

    def row(label: str, value: str) -> None:
        out.append(f"  {label:<11} {value}")

    release = f" (release {data['release']})" if data["release"] else ""
    row("Deployment", f"{data['namespace']}/{data['deployment']}{release}")
    row("Version", f"{data['botkube_version'] or 'unknown'} (image {data['image']})")
    row("Kubernetes", data["kubernetes_version"] or "unknown")
    pod = data["pod"]
    if pod is not None:
        last = ""
        if pod["last_exit_code"] is not None:
            last = f", last exit {pod['last_exit_code']} {pod['last_reason'] or ''}".rstrip()
        ready = "ready" if pod["ready"] else "not ready"
        row("Pod", f"{pod['name']} {pod['phase']}, {ready}, {pod['restarts']} restarts{last}")
    out.append("  Config      (the Secret's values are never read into this report)")
    out.extend(f"    {f}" for f in data["config_files"])

    predicted = data["predicted"]
    out.append("")
    if predicted is None:
        out.append("Predicted: no prediction (see problems)")
    else:
        out.append(
            f"Predicted ({predicted['botkube_version']}, Kubernetes "
            f"{predicted['kubernetes_version']}): {PLUGIN} process {predicted['verdict']}"
        )
        for source in predicted["sources"]:
            if not source["started"] and not source["findings"]:
                continue
            state = source["verdict"] if source["started"] else f"{source['verdict']}, not started"
            out.append(f"  {source['name']}: {state}")
            for finding in source["findings"]:
                if finding["severity"] == "info":
                    continue
                out.append(
                    f"    {finding['code']} {finding['severity']} {finding['path']}: "
                    f"{finding['message']}"
                )
    out.append("")
    out.append("Observed:")
    healthz = data["healthz"]
    if healthz is None:
        out.append("  /healthz: not read")
    else:
        plugins = (
            ", ".join(
                f"{alias} {p['status']} {p['restarts']} restarts"
                for alias, p in healthz["plugins"].items()
            )
            or "no plugins"
        )
        out.append(f"  /healthz (port {healthz['port']}): botkube {healthz['botkube']}; {plugins}")
    log = data["log"]
    read = " + ".join(log["read"]) or "none"
    out.append(f"  log ({read}, {log['lines']} lines):")
    for name, t in log["plugins"].items():
        extra = f", exit statuses {sorted(set(t['exit_statuses']))}" if t["exit_statuses"] else ""
        panic = t["panic"]
        if panic is not None:
            extra += f", panic: {panic['message']}"
            if panic["function"]:
                extra += f" in {panic['function']} ({panic['location']})"
        ratio = f"{t['restarts']}/{t['threshold']}" if t["threshold"] else str(t["restarts"])
        out.append(f"    {name}: {t['status']}, {ratio} restarts{extra}")
    sinks = log["sink_failures"]
    if sinks["count"]:
        out.append(f"    sink send failures: {sinks['count']}, first: {sinks['first'][0]}")
    observed = data["observed"]
    if observed is not None:
        out.append(f"  {PLUGIN}: {observed['sentence']}")
        out.extend(f"    note: {n}" for n in observed["notes"])
    known = data["known_issue"]
    out.append("")
    if known is None:
        out.append("Known issue: none of the catalogued upstream failures matches the log")
    else:
        fixed = f", fixed in {known['fixed_in']}" if known["fixed_in"] else ", not fixed upstream"
        out.append(f"Known issue: {known['ref']} {known['title']} ({known['url']}{fixed})")
        out.append(f"  {known['certainty']}: {known['evidence']}")
    if data["fixes"]:
        out.append("")
        out.append("Fix:")
        out.extend(f"  - {f}" for f in data["fixes"])
    if data["notes"]:
        out.append("")
        out.extend(f"Note: {n}" for n in data["notes"])
    out.append("")
    if data["problems"]:
        out.append(f"Result: PROBLEM (exit {data['exit_code']})")
        out.extend(f"  - {p}" for p in data["problems"])
    else:
        out.append("Result: healthy, and predicted healthy (exit 0)")
    return "\n".join(out) + "\n"


__all__ = [
    "CHART_SELECTOR",
    "AccessDenied",
    "BotkubeNotFound",
    "ClusterReader",
    "ClusterUnreachable",
    "ConfigFile",
    "DoctorReport",
    "ExitCode",
    "ObjectKey",
    "PodState",
    "ReadFailed",
    "RunningConfig",
    "Target",
    "botkube_container",
    "config_files",
    "deep_merge",
    "env_overlay",
    "examine",
    "find_botkube",
    "health_port",
    "image_tag",
    "model_input",
    "outline_communications",
    "pick_pod",
    "read_running_config",
    "render_json",
    "render_text",
    "running_version",
    "scrub",
]
