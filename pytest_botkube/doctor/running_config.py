"""The config the agent runs: which ConfigMaps and Secrets project its files, merged as the
agent merges them, with ``communications`` outlined and every Secret value kept out."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from pytest_botkube.doctor.discovery import meta_of
from pytest_botkube.doctor.pod import DEFAULT_HEALTH_PORT
from pytest_botkube.doctor.reader import BotkubeNotFound, ClusterReader
from pytest_botkube.errors import BadInput
from pytest_botkube.helm_values import (
    deep_merge,
)  # the one merge of values files (maps merge, the rest replaces)
from pytest_botkube.redact import REDACTED as _REDACTED

CONFIG_PATHS_ENV = "BOTKUBE_CONFIG_PATHS"
REMOTE_CONFIG_ENV = "CONFIG_PROVIDER_IDENTIFIER"

# The agent's built-in defaults that matter here (pkg/config/default.yaml); files merge on top.
_AGENT_DEFAULTS: dict[str, Any] = {"settings": {"healthPort": str(DEFAULT_HEALTH_PORT)}}
_ENV_PREFIX = "BOTKUBE_"
_MIN_SCRUB_LEN = 6  # shorter Secret values ("true", "slack") are not worth hiding and would
# mangle ordinary words in the report


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
    ns, name = meta_of(deployment)
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
